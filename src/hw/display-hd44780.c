// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * HD44780 character LCD (16x2, 20x4) behind a PCF8574 i2c backpack, in
 * 4-bit mode. Each PCF8574 byte sets its eight outputs; a nibble is two
 * bytes, E high then E low. The init sequence runs with its delays from
 * main-loop timeouts; afterwards only changed characters are rewritten
 * (set DDRAM address, then the changed run of a row).
 */
#define G_LOG_DOMAIN "rb-display-hd44780"

#include "config.h"

#include <string.h>

#include "core/error.h"
#include "hw/display-private.h"
#include "hw/render.h"

#define MAX_COLS 20
#define MAX_ROWS 4

const RbHd44780Pins rb_hd44780_default_pins = {
	.rs = 0,
	.rw = 1,
	.e = 2,
	.backlight = 3,
	.d = {4, 5, 6, 7},
};

typedef enum {
	STEP_RAW = 0, /* all lines low, backlight on */
	STEP_NIBBLE, /* one nibble, RS=0 (8-bit mode start-up) */
	STEP_CMD, /* a full command, RS=0 */
} InitStepKind;

static const struct {
	InitStepKind kind;
	uint8_t value;
	unsigned int delay_ms;
} init_steps[] = {
	{STEP_RAW, 0, 50}, /* > 40 ms after power-up */
	{STEP_NIBBLE, 0x3, 5}, /* function set (8-bit), > 4.1 ms */
	{STEP_NIBBLE, 0x3, 1}, /* > 100 us */
	{STEP_NIBBLE, 0x3, 1}, {STEP_NIBBLE, 0x2, 1}, /* 4-bit mode */
	{STEP_CMD, 0x28, 0}, /* 4-bit, 2 lines, 5x8 */
	{STEP_CMD, 0x08, 0}, /* display off */
	{STEP_CMD, 0x01, 2}, /* clear, 1.52 ms */
	{STEP_CMD, 0x06, 0}, /* entry mode: increment, no shift */
	{STEP_CMD, 0x0c, 0}, /* display on, no cursor */
};

typedef struct {
	RbDisplay base;
	RbI2cLink *link;
	RbHd44780Pins pins;
	unsigned int cols, rows;
	unsigned int init_pos; /* < G_N_ELEMENTS(init_steps): initialising */
	char want[MAX_ROWS][MAX_COLS];
	char sent[MAX_ROWS][MAX_COLS];
} Hd44780;

static const uint8_t row_addr[MAX_ROWS] = {0x00, 0x40, 0x14, 0x54};

static uint8_t bit(uint8_t pin)
{
	return (uint8_t)(1u << pin);
}

/* The PCF8574 bytes for one nibble: E high, then E low. */
static size_t put_nibble(const Hd44780 *h, uint8_t nibble, bool rs,
			 uint8_t *out)
{
	uint8_t v = bit(h->pins.backlight);

	for (unsigned int i = 0; i < 4; i++)
		if (nibble & (1u << i))
			v |= bit(h->pins.d[i]);
	if (rs)
		v |= bit(h->pins.rs);
	out[0] = v | bit(h->pins.e);
	out[1] = v;
	return 2;
}

static size_t put_byte(const Hd44780 *h, uint8_t b, bool rs, uint8_t *out)
{
	size_t n = put_nibble(h, b >> 4, rs, out);

	return n + put_nibble(h, b & 0x0f, rs, out + n);
}

static int hd44780_step(void *user_data, GError **error)
{
	Hd44780 *h = user_data;
	uint8_t buf[4 * (1 + MAX_COLS)];
	size_t n = 0;

	if (h->init_pos < G_N_ELEMENTS(init_steps)) {
		unsigned int i = h->init_pos;

		switch (init_steps[i].kind) {
		case STEP_RAW:
			buf[n++] = bit(h->pins.backlight);
			break;
		case STEP_NIBBLE:
			n = put_nibble(h, init_steps[i].value, false, buf);
			break;
		case STEP_CMD:
			n = put_byte(h, init_steps[i].value, false, buf);
			break;
		}
		if (!rb_i2c_link_write(h->link, buf, n, error))
			return -2;
		h->init_pos++;
		if (h->init_pos == G_N_ELEMENTS(init_steps))
			memset(h->sent, ' ', sizeof(h->sent));
		return (int)init_steps[i].delay_ms;
	}
	for (unsigned int r = 0; r < h->rows; r++) {
		unsigned int x0 = 0, x1 = h->cols - 1;

		while (x0 < h->cols && h->want[r][x0] == h->sent[r][x0])
			x0++;
		if (x0 == h->cols)
			continue;
		while (h->want[r][x1] == h->sent[r][x1])
			x1--;
		n = put_byte(h, (uint8_t)(0x80 | (row_addr[r] + x0)), false,
			     buf);
		for (unsigned int x = x0; x <= x1; x++)
			n += put_byte(h, (uint8_t)h->want[r][x], true, buf + n);
		if (!rb_i2c_link_write(h->link, buf, n, error))
			return -2;
		memcpy(&h->sent[r][x0], &h->want[r][x0], x1 - x0 + 1);
		return 0;
	}
	return -1;
}

static void hd44780_show(RbDisplay *display, const RbScreen *screen)
{
	Hd44780 *h = (Hd44780 *)display;
	char lines[MAX_ROWS][RB_TEXT_MAX_COLS + 1];
	unsigned int n = rb_render_lines(screen, h->cols, h->rows, lines);

	memset(h->want, ' ', sizeof(h->want));
	for (unsigned int r = 0; r < n; r++) {
		size_t len = strlen(lines[r]);
		size_t x = (h->cols - len) / 2; /* centred */

		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)lines[r][i];

			/* The A00 ROM has ASCII from 0x20 to 0x7d. */
			h->want[r][x + i] = (char)(c >= 0x20 && c <= 0x7d
							   ? c
							   : '?');
		}
	}
	if (rb_i2c_link_failed(h->link)) {
		if (!rb_i2c_link_retry_due(h->link)) {
			rb_display_log_screen("screen", screen);
			return;
		}
		h->init_pos = 0;
	}
	rb_i2c_link_kick(h->link);
}

static void hd44780_flush(RbDisplay *display)
{
	rb_i2c_link_flush(((Hd44780 *)display)->link);
}

static void hd44780_destroy(RbDisplay *display)
{
	Hd44780 *h = (Hd44780 *)display;

	rb_i2c_link_free(h->link);
	g_free(h);
}

static bool pins_valid(const RbHd44780Pins *p)
{
	uint8_t all[] = {p->rs,	  p->rw,   p->e,    p->backlight,
			 p->d[0], p->d[1], p->d[2], p->d[3]};
	unsigned int seen = 0;

	for (unsigned int i = 0; i < G_N_ELEMENTS(all); i++) {
		if (all[i] > 7 || (seen & (1u << all[i])))
			return false;
		seen |= 1u << all[i];
	}
	return true;
}

RbDisplay *rb_display_hd44780_new(const RbI2cOps *ops, void *ops_data,
				  const char *bus, unsigned int addr,
				  unsigned int cols, unsigned int rows,
				  const RbHd44780Pins *pins, GError **error)
{
	Hd44780 *h;

	if (!((cols == 16 && rows == 2) || (cols == 20 && rows == 4))) {
		g_set_error(error, RB_ERROR, RB_ERROR_RANGE,
			    "HD44780 size %ux%u: 16x2 or 20x4", cols, rows);
		return NULL;
	}
	if (!pins)
		pins = &rb_hd44780_default_pins;
	if (!pins_valid(pins)) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "HD44780 pin mapping: eight distinct PCF8574 bits "
			    "0..7 needed");
		return NULL;
	}
	h = g_new0(Hd44780, 1);
	rb_display_init(&h->base, "hd44780", hd44780_show, hd44780_flush,
			hd44780_destroy);
	h->pins = *pins;
	h->cols = cols;
	h->rows = rows;
	memset(h->want, ' ', sizeof(h->want));
	memset(h->sent, ' ', sizeof(h->sent));
	h->link = rb_i2c_link_new(ops, ops_data, bus, addr, "HD44780",
				  hd44780_step, h, error);
	if (!h->link) {
		g_free(h);
		return NULL;
	}
	/* Initialise (and clear) the panel now, before the first screen. */
	rb_i2c_link_kick(h->link);
	return &h->base;
}
