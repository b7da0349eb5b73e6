/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SMBus fallback of the i2c-dev transport (i2c.c). Some i2c adapters
 * speak only SMBus (I2C_FUNCS lacks I2C_FUNC_I2C: many PC SMBus
 * controllers, the kernel's i2c-stub used by the VM tests); a plain i2c
 * write() on them fails with EOPNOTSUPP. There, one i2c write becomes a
 * series of SMBus "I2C block write" transfers (START addr command data...
 * STOP, at most 32 data bytes) and, for a lone byte, an SMBus "write
 * byte" (START addr byte STOP). On the wire a block write is the same as a
 * plain i2c write of command + data, so writes of up to 33 bytes go out
 * unchanged; longer ones are split, in one of two ways (RbI2cSplitMode).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/display.h"

/* The SMBus limit of data bytes per block transfer (I2C_SMBUS_BLOCK_MAX). */
#define RB_I2C_SMBUS_BLOCK_MAX 32

typedef enum {
	/*
	 * buf[0] is a control byte that every transfer must start with, the
	 * rest is the payload (SSD1306: 0x00 then commands, 0x40 then
	 * display RAM data; the RAM pointer carries on across transfers).
	 * Each transfer: command = buf[0], data = up to 32 payload bytes.
	 * Note: a command stream longer than 32 bytes may be cut inside a
	 * multi-byte command; the SSD1306 backend never sends one that long.
	 */
	RB_I2C_SPLIT_CONTROL_BYTE = 0,
	/*
	 * buf is a plain byte stream with no prefix (PCF8574 port writes):
	 * consecutive pieces of up to 33 bytes, command = the piece's first
	 * byte, data = the rest. Repeating a byte would glitch the port.
	 */
	RB_I2C_SPLIT_STREAM,
} RbI2cSplitMode;

/* One SMBus write transfer. */
typedef struct {
	uint8_t command;
	const uint8_t *data; /* points into the split buffer; NULL if len 0 */
	size_t len; /* 0..RB_I2C_SMBUS_BLOCK_MAX; 0: SMBus write byte */
} RbI2cSmbusChunk;

/*
 * The pure splitting: the next transfer of a write of @buf (@len bytes)
 * in @mode. *@pos is the iterator: 0 before the first call, not to be
 * touched in between. Returns false (leaving @out alone) when all of @buf
 * has been covered; an empty @buf gives no transfer at all.
 */
bool rb_i2c_smbus_next(RbI2cSplitMode mode, const uint8_t *buf, size_t len,
		       size_t *pos, RbI2cSmbusChunk *out);

/*
 * The real transport for plain byte streams (HD44780 behind a PCF8574):
 * like rb_i2c_dev_ops (which splits in RB_I2C_SPLIT_CONTROL_BYTE mode, for
 * the SSD1306) except on SMBus-only adapters, where it splits in
 * RB_I2C_SPLIT_STREAM mode. On adapters with plain I2C both are write().
 */
extern const RbI2cOps rb_i2c_dev_stream_ops;
