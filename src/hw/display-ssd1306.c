// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SSD1306 128x64 / 128x32 OLED over i2c. The frame is rendered at once;
 * the pump then sends, one step per main-loop dispatch: the init sequence
 * (display off), every page in full, "display on", and afterwards only the
 * changed columns of changed pages (column and page address commands,
 * horizontal addressing), so a countdown tick sends a few dozen bytes.
 *
 * Timing: a 128-byte page is ~12 ms at 100 kHz, ~3 ms at 400 kHz
 * (dtparam=i2c_arm_baudrate=400000 recommended in /boot/config.txt).
 */
#define G_LOG_DOMAIN "rb-display-ssd1306"

#include "config.h"

#include <string.h>

#include "core/error.h"
#include "hw/display-private.h"
#include "hw/render.h"

#define CTRL_CMD 0x00
#define CTRL_DATA 0x40

typedef struct {
	RbDisplay base;
	RbI2cLink *link;
	RbFrame want; /* what should be shown */
	RbFrame sent; /* what the panel holds, where valid */
	bool need_init;
	bool page_valid[RB_FRAME_MAX_HEIGHT / 8];
	bool display_on;
} Ssd1306;

static int ssd1306_init_sequence(unsigned int height, uint8_t *out)
{
	const uint8_t seq[] = {
		CTRL_CMD, 0xae, /* display off */
		0xd5,	  0x80, /* clock divide / oscillator */
		0xa8,	  (uint8_t)(height - 1), /* multiplex ratio */
		0xd3,	  0x00, /* display offset */
		0x40, /* start line 0 */
		0x8d,	  0x14, /* charge pump on */
		0x20,	  0x00, /* horizontal addressing */
		0xa1, /* segment remap: column 127 = SEG0 */
		0xc8, /* COM scan descending */
		0xda,	  height == 32 ? 0x02 : 0x12, /* COM pins */
		0x81,	  height == 32 ? 0x8f : 0xcf, /* contrast */
		0xd9,	  0xf1, /* precharge */
		0xdb,	  0x40, /* VCOMH deselect */
		0xa4, /* show RAM */
		0xa6, /* normal (not inverted) */
		0x2e, /* scrolling off */
	};

	memcpy(out, seq, sizeof(seq));
	return (int)sizeof(seq);
}

static int ssd1306_step(void *user_data, GError **error)
{
	Ssd1306 *s = user_data;
	unsigned int pages = rb_frame_pages(&s->want);
	uint8_t buf[1 + RB_FRAME_WIDTH];

	if (s->need_init) {
		int n = ssd1306_init_sequence(s->want.height, buf);

		if (!rb_i2c_link_write(s->link, buf, (size_t)n, error))
			return -2;
		s->need_init = false;
		s->display_on = false;
		memset(s->page_valid, 0, sizeof(s->page_valid));
		return 0;
	}
	for (unsigned int p = 0; p < pages; p++) {
		const uint8_t *want = &s->want.bits[p * RB_FRAME_WIDTH];
		uint8_t *sent = &s->sent.bits[p * RB_FRAME_WIDTH];
		unsigned int x0 = 0, x1 = RB_FRAME_WIDTH - 1;
		uint8_t cmd[] = {CTRL_CMD, 0x21, 0, 0, 0x22, 0, 0};

		if (s->page_valid[p]) {
			while (x0 < RB_FRAME_WIDTH && want[x0] == sent[x0])
				x0++;
			if (x0 == RB_FRAME_WIDTH)
				continue;
			while (want[x1] == sent[x1])
				x1--;
		}
		cmd[2] = (uint8_t)x0;
		cmd[3] = (uint8_t)x1;
		cmd[5] = (uint8_t)p;
		cmd[6] = (uint8_t)p;
		buf[0] = CTRL_DATA;
		memcpy(buf + 1, want + x0, x1 - x0 + 1);
		if (!rb_i2c_link_write(s->link, cmd, sizeof(cmd), error) ||
		    !rb_i2c_link_write(s->link, buf, x1 - x0 + 2, error))
			return -2;
		memcpy(sent + x0, want + x0, x1 - x0 + 1);
		s->page_valid[p] = true;
		return 0;
	}
	if (!s->display_on) {
		const uint8_t on[] = {CTRL_CMD, 0xaf};

		if (!rb_i2c_link_write(s->link, on, sizeof(on), error))
			return -2;
		s->display_on = true;
		return 0;
	}
	return -1;
}

static void ssd1306_show(RbDisplay *display, const RbScreen *screen)
{
	Ssd1306 *s = (Ssd1306 *)display;

	rb_render_screen(screen, &s->want);
	if (rb_i2c_link_failed(s->link)) {
		if (!rb_i2c_link_retry_due(s->link)) {
			rb_display_log_screen("screen", screen);
			return;
		}
		s->need_init = true;
	}
	rb_i2c_link_kick(s->link);
}

static void ssd1306_flush(RbDisplay *display)
{
	rb_i2c_link_flush(((Ssd1306 *)display)->link);
}

static void ssd1306_destroy(RbDisplay *display)
{
	Ssd1306 *s = (Ssd1306 *)display;

	rb_i2c_link_free(s->link);
	g_free(s);
}

RbDisplay *rb_display_ssd1306_new(const RbI2cOps *ops, void *ops_data,
				  const char *bus, unsigned int addr,
				  unsigned int height, GError **error)
{
	Ssd1306 *s;

	if (height != 32 && height != 64) {
		g_set_error(error, RB_ERROR, RB_ERROR_RANGE,
			    "SSD1306 height %u: 32 or 64", height);
		return NULL;
	}
	s = g_new0(Ssd1306, 1);
	rb_display_init(&s->base, "ssd1306", ssd1306_show, ssd1306_flush,
			ssd1306_destroy);
	rb_frame_init(&s->want, height);
	rb_frame_init(&s->sent, height);
	s->need_init = true;
	s->link = rb_i2c_link_new(ops, ops_data, bus, addr, "SSD1306",
				  ssd1306_step, s, error);
	if (!s->link) {
		g_free(s);
		return NULL;
	}
	return &s->base;
}
