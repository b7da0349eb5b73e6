/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Displays: where the core's RbScreen is shown. One opaque type, several
 * implementations (SSD1306 OLED and HD44780 LCD over i2c-dev, an image +
 * text file, the journal), in the shape of BlueZ's src/shared/io.h.
 *
 * rb_display_show() never blocks the main loop for long: i2c displays
 * render at once and send the changed part in small steps from main-loop
 * sources (at the default 100 kHz i2c clock one 128-byte SSD1306 page is
 * ~12 ms and a full 128x64 frame ~95 ms; with dtparam=i2c_arm_baudrate=400000
 * in /boot/config.txt a full frame takes ~25 ms, recommended). Showing an
 * equal screen again sends nothing.
 *
 * A display that fails (missing, NAK) is logged once, naming bus and
 * address; from then on screens are logged as by the "none" display and
 * the hardware is retried now and then. The daemon keeps working.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/screen.h"

typedef struct RbDisplay RbDisplay;

/* Shows @screen (copied). */
void rb_display_show(RbDisplay *display, const RbScreen *screen);

/*
 * Sends whatever is still queued, blocking (for shutdown and tests).
 * A no-op for displays without a queue.
 */
void rb_display_flush(RbDisplay *display);

/* Drops pending transfers, closes the device. NULL is fine. */
void rb_display_free(RbDisplay *display);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RbDisplay, rb_display_free)

/* ---- the i2c transport (i2c-dev.c; tests inject their own) ---- */

typedef struct {
	/*
	 * Opens @bus ("/dev/i2c-1", or "1") for the 7-bit @addr; returns a
	 * handle (never NULL on success) or NULL with an error.
	 */
	void *(*open)(const char *bus, unsigned int addr, void *user_data,
		      GError **error);
	/* One i2c write transfer (START addr buf STOP). */
	bool (*write)(void *handle, const uint8_t *buf, size_t len,
		      GError **error);
	void (*close)(void *handle);
} RbI2cOps;

/* The real transport: /dev/i2c-N, ioctl(I2C_SLAVE), write(). */
extern const RbI2cOps rb_i2c_dev_ops;
/*
 * The same for byte streams (the HD44780's PCF8574): on SMBus-only
 * adapters the stream is cut into consecutive pieces instead of repeating
 * a control byte (see i2c-smbus.h).
 */
extern const RbI2cOps rb_i2c_dev_stream_ops;

/* ---- SSD1306 OLED (display-ssd1306.c) ---- */

/*
 * @height 64 or 32 (width is 128). @addr usually 0x3c. @ops NULL: the real
 * i2c-dev; @ops_data is passed to ops->open. Error if @bus cannot be opened
 * or the geometry is not supported; a display that does not answer is
 * found on the first transfer and handled as described above.
 */
RbDisplay *rb_display_ssd1306_new(const RbI2cOps *ops, void *ops_data,
				  const char *bus, unsigned int addr,
				  unsigned int height, GError **error);

/* ---- HD44780 character LCD behind a PCF8574 backpack ---- */

/* Which PCF8574 bit (0..7) drives which LCD pin. */
typedef struct {
	uint8_t rs, rw, e, backlight;
	uint8_t d[4]; /* D4..D7 */
} RbHd44780Pins;

/* The common backpack: P0=RS P1=RW P2=E P3=backlight P4..P7=D4..D7. */
extern const RbHd44780Pins rb_hd44780_default_pins;

/*
 * @cols x @rows: 16x2 or 20x4. @addr usually 0x27 (or 0x3f). @pins NULL:
 * the default mapping. Only changed characters are rewritten.
 */
RbDisplay *rb_display_hd44780_new(const RbI2cOps *ops, void *ops_data,
				  const char *bus, unsigned int addr,
				  unsigned int cols, unsigned int rows,
				  const RbHd44780Pins *pins, GError **error);

/* ---- file (display-file.c) ---- */

typedef enum {
	RB_DISPLAY_FILE_PBM = 0, /* P4, binary bitmap */
	RB_DISPLAY_FILE_PBM_ASCII, /* P1 */
	RB_DISPLAY_FILE_PGM, /* P5, 0 or 255 */
} RbDisplayFileFormat;

/*
 * Writes each screen to <prefix>.pbm (or .pgm) as a 128x@height image and
 * to <prefix>.txt, each atomically (temp file, fsync, rename): readers never
 * see half a file. Both are mode 0600 whatever the umask: the text holds
 * the PIN. The first line of the text file sums the screen up
 * ("IDLE", "PAIRING 58", "PIN 123456 58", "LOCKOUT 299",
 * "STALE_BOND PHONE", "PAIRED_OK", "PAIRING_FAILED 2"), the second is the
 * name, then the screen as a 20x4 LCD would show it. Error if the directory
 * of @prefix does not exist or @height is not 32 or 64.
 */
RbDisplay *rb_display_file_new(const char *prefix, RbDisplayFileFormat format,
			       unsigned int height, GError **error);

/* ---- none (display-none.c): screens are logged with g_message() ---- */

RbDisplay *rb_display_none_new(void);
