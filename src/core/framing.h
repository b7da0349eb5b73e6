/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Framing: one protocol message split into ATT-sized fragments and put back
 * together. Pure.
 *
 * Each fragment starts with a header byte:
 *   bit 7  FIRST  - the first fragment of a message
 *   bit 6  LAST   - the last fragment of a message
 *   bits 0..5     - sequence number, 0 in the first fragment, +1 mod 64
 * The first fragment then holds the message's total length as a 16-bit
 * little-endian integer, then payload bytes; the others hold payload only.
 * A message that fits in one fragment is FIRST|LAST, seq 0.
 *
 * The maximum message size is RB_FRAME_MAX_MESSAGE bytes. A fragment is at
 * most the ATT payload (MTU - 3) and at least 4 bytes long in total for a
 * first fragment (header + length + 1 payload byte) unless the message is
 * empty.
 */
#pragma once

#include <glib.h>

#include "core/types.h"

#define RB_FRAME_MAX_MESSAGE 4096
#define RB_FRAME_HEADER_FIRST 0x80
#define RB_FRAME_HEADER_LAST 0x40
#define RB_FRAME_SEQ_MASK 0x3f
/* A partial message older than this is discarded. */
#define RB_FRAME_REASSEMBLY_TIMEOUT_MS 10000
/* The smallest ATT payload: MTU 23 - 3. */
#define RB_FRAME_MIN_PAYLOAD 20

/*
 * Splits @msg (@len bytes, at most RB_FRAME_MAX_MESSAGE) into fragments of
 * at most @payload bytes each (the ATT payload, MTU - 3, at least
 * RB_FRAME_MIN_PAYLOAD). Returns a GPtrArray of GBytes, or NULL with
 * @error set. The caller unrefs the array.
 */
GPtrArray *rb_frame_split(const uint8_t *msg, gsize len, gsize payload,
			  GError **error);

typedef enum {
	RB_FRAME_MORE = 0, /* fragment accepted, message incomplete */
	RB_FRAME_COMPLETE, /* a whole message is ready */
	RB_FRAME_ERROR, /* fragment refused; state reset */
} RbFrameResult;

typedef struct {
	bool active;
	uint8_t next_seq;
	uint16_t total;
	RbTime started;
	GByteArray *buf;
} RbReassembler;

void rb_reassembler_init(RbReassembler *r);
void rb_reassembler_clear(RbReassembler *r);

/*
 * Feeds one fragment received at @now. On COMPLETE, *msg receives the
 * message (the caller unrefs it) and the reassembler is empty again. On
 * ERROR, @error says why (malformed, out of order, duplicate, truncated,
 * oversized) and no partial state remains.
 */
RbFrameResult rb_reassembler_feed(RbReassembler *r, const uint8_t *frag,
				  gsize len, RbTime now, GBytes **msg,
				  GError **error);
