// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * RbScreen to pixels and to text. Pure and deterministic.
 *
 * 128x64: the name in the top row, the content below; the PIN in 15x21
 * digits. 128x32: the content only (the name on the idle screen).
 */
#define G_LOG_DOMAIN "rb-render"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "core/types.h"
#include "hw/render.h"

#define CELL_W (RB_FONT_WIDTH + 1)
#define LINE_H 10
#define STALE_TITLE "Pairing out of date"
#define STALE_HINT "Forget box on phone, hold chord, pair again"
#define STALE_HINT_SHORT "Forget on phone, hold chord+pair"

void rb_frame_init(RbFrame *frame, unsigned int height)
{
	memset(frame, 0, sizeof(*frame));
	frame->height = height == 32 ? 32 : 64;
}

bool rb_frame_get(const RbFrame *frame, unsigned int x, unsigned int y)
{
	if (x >= RB_FRAME_WIDTH || y >= frame->height)
		return false;
	return frame->bits[(y / 8) * RB_FRAME_WIDTH + x] & (1u << (y % 8));
}

void rb_frame_set(RbFrame *frame, unsigned int x, unsigned int y, bool on)
{
	uint8_t *b;

	if (x >= RB_FRAME_WIDTH || y >= frame->height)
		return;
	b = &frame->bits[(y / 8) * RB_FRAME_WIDTH + x];
	if (on)
		*b |= (uint8_t)(1u << (y % 8));
	else
		*b &= (uint8_t) ~(1u << (y % 8));
}

unsigned int rb_render_text_width(const char *text, unsigned int scale)
{
	size_t n = strlen(text);

	if (n == 0)
		return 0;
	return (unsigned int)n * CELL_W * scale - scale;
}

unsigned int rb_render_text(RbFrame *frame, int x, int y, const char *text,
			    unsigned int scale)
{
	int cx = x;

	for (const char *p = text; *p; p++) {
		const uint8_t *g = rb_font_glyph(*p);

		for (int row = 0; row < RB_FONT_HEIGHT; row++) {
			for (int col = 0; col < RB_FONT_WIDTH; col++) {
				if (!(g[row] & (0x10 >> col)))
					continue;
				for (unsigned int dy = 0; dy < scale; dy++)
					for (unsigned int dx = 0; dx < scale;
					     dx++) {
						int px = cx + col * (int)scale +
							 (int)dx;
						int py = y + row * (int)scale +
							 (int)dy;

						if (px >= 0 && py >= 0)
							rb_frame_set(
								frame,
								(unsigned)px,
								(unsigned)py,
								true);
					}
			}
		}
		cx += CELL_W * (int)scale;
	}
	return rb_render_text_width(text, scale);
}

/* Centred; text wider than the frame is cut at the right edge. */
static void text_centred(RbFrame *frame, int y, const char *text,
			 unsigned int scale)
{
	unsigned int w = rb_render_text_width(text, scale);
	int x = w >= RB_FRAME_WIDTH ? 0 : (int)(RB_FRAME_WIDTH - w) / 2;

	rb_render_text(frame, x, y, text, scale);
}

void rb_render_mmss(uint32_t seconds, char *buf, size_t len)
{
	snprintf(buf, len, "%u:%02u", seconds / 60, seconds % 60);
}

/*
 * Greedy word wrap of @text into lines of at most @cols characters; a word
 * longer than a line is cut. Returns the number of lines (at most @max).
 */
static unsigned int wrap(const char *text, unsigned int cols,
			 char lines[][RB_TEXT_MAX_COLS + 1], unsigned int max)
{
	unsigned int n = 0;
	const char *p = text;

	if (cols > RB_TEXT_MAX_COLS)
		cols = RB_TEXT_MAX_COLS;
	while (*p && n < max) {
		size_t len = strlen(p), cut;

		while (*p == ' ')
			p++;
		len = strlen(p);
		if (len == 0)
			break;
		if (len <= cols) {
			cut = len;
		} else {
			cut = cols;
			while (cut > 0 && p[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = cols;
		}
		memcpy(lines[n], p, cut);
		lines[n][cut] = '\0';
		while (cut > 0 && lines[n][cut - 1] == ' ')
			lines[n][--cut] = '\0';
		n++;
		p += cut;
	}
	return n;
}

static const char *tries_text(uint32_t left, char *buf, size_t len)
{
	if (left == 0)
		snprintf(buf, len, "No tries left");
	else
		snprintf(buf, len, "%u %s left", left,
			 left == 1 ? "try" : "tries");
	return buf;
}

void rb_render_screen(const RbScreen *screen, RbFrame *frame)
{
	bool tall = frame->height >= 64;
	char name[sizeof(screen->name) + 1];
	char buf[48], mmss[16];
	char lines[4][RB_TEXT_MAX_COLS + 1];
	unsigned int n;
	int y;

	rb_frame_init(frame, frame->height);
	/* The name may not be NUL-terminated in a malformed screen. */
	memcpy(name, screen->name, sizeof(screen->name));
	name[sizeof(screen->name)] = '\0';
	if (tall && screen->kind != RB_SCREEN_IDLE)
		text_centred(frame, 0, name, 1);
	y = tall ? 14 : 0;

	switch (screen->kind) {
	case RB_SCREEN_IDLE:
		text_centred(frame, (int)frame->height / 2 - 4, name, 1);
		break;
	case RB_SCREEN_PAIRING:
		text_centred(frame, y, "Pairing mode", 1);
		if (tall)
			text_centred(frame, y + LINE_H, "Connect your phone",
				     1);
		snprintf(buf, sizeof(buf), "%u s", screen->seconds_left);
		text_centred(frame, tall ? 42 : 14, buf, 2);
		break;
	case RB_SCREEN_PIN:
		snprintf(buf, sizeof(buf), "%06u", screen->pin % 1000000);
		text_centred(frame, tall ? 13 : 0, buf, 3);
		snprintf(buf, sizeof(buf), "%u s", screen->seconds_left);
		if (tall)
			text_centred(frame, 42, buf, 2);
		else
			text_centred(frame, 24, buf, 1);
		break;
	case RB_SCREEN_LOCKOUT:
		rb_render_mmss(screen->seconds_left, mmss, sizeof(mmss));
		text_centred(frame, y, "Pairing locked", 1);
		text_centred(frame, tall ? 30 : 11, mmss, tall ? 3 : 2);
		break;
	case RB_SCREEN_STALE_BOND:
		text_centred(frame, y, STALE_TITLE, 1);
		n = wrap(STALE_HINT, RB_FRAME_WIDTH / CELL_W, lines, 3);
		for (unsigned int i = 0; i < n; i++)
			text_centred(frame,
				     tall ? 30 + (int)i * LINE_H
					  : 8 + (int)i * 8,
				     lines[i], 1);
		break;
	case RB_SCREEN_PAIRED_OK:
		text_centred(frame, tall ? 28 : 9, "Paired OK", 2);
		break;
	case RB_SCREEN_PAIRING_FAILED:
		text_centred(frame, tall ? 18 : 0, "Wrong PIN", 2);
		text_centred(
			frame, tall ? 44 : 22,
			tries_text(screen->attempts_left, buf, sizeof(buf)), 1);
		break;
	}
}

static void put_line(char lines[][RB_TEXT_MAX_COLS + 1], unsigned int *n,
		     unsigned int rows, unsigned int cols, const char *text)
{
	if (*n >= rows)
		return;
	g_strlcpy(lines[*n], text, cols + 1);
	(*n)++;
}

unsigned int rb_render_lines(const RbScreen *screen, unsigned int cols,
			     unsigned int rows,
			     char lines[][RB_TEXT_MAX_COLS + 1])
{
	bool roomy = rows >= 4;
	char name[sizeof(screen->name) + 1];
	char buf[48], mmss[16];
	char wrapped[4][RB_TEXT_MAX_COLS + 1];
	unsigned int n = 0, w;

	if (cols == 0 || rows == 0)
		return 0;
	if (cols > RB_TEXT_MAX_COLS)
		cols = RB_TEXT_MAX_COLS;
	memcpy(name, screen->name, sizeof(screen->name));
	name[sizeof(screen->name)] = '\0';

	switch (screen->kind) {
	case RB_SCREEN_IDLE:
		put_line(lines, &n, rows, cols, name);
		break;
	case RB_SCREEN_PAIRING:
		if (roomy)
			put_line(lines, &n, rows, cols, name);
		put_line(lines, &n, rows, cols, "Pairing mode");
		if (roomy)
			put_line(lines, &n, rows, cols, "Connect your phone");
		snprintf(buf, sizeof(buf), "%u s left", screen->seconds_left);
		put_line(lines, &n, rows, cols, buf);
		break;
	case RB_SCREEN_PIN:
		if (roomy)
			put_line(lines, &n, rows, cols, name);
		snprintf(buf, sizeof(buf), "PIN %06u", screen->pin % 1000000);
		put_line(lines, &n, rows, cols, buf);
		if (roomy)
			put_line(lines, &n, rows, cols, "Type it on phone");
		snprintf(buf, sizeof(buf), "%u s left", screen->seconds_left);
		put_line(lines, &n, rows, cols, buf);
		break;
	case RB_SCREEN_LOCKOUT:
		rb_render_mmss(screen->seconds_left, mmss, sizeof(mmss));
		if (roomy)
			put_line(lines, &n, rows, cols, name);
		put_line(lines, &n, rows, cols, "Pairing locked");
		snprintf(buf, sizeof(buf), "Locked %s", mmss);
		put_line(lines, &n, rows, cols, buf);
		break;
	case RB_SCREEN_STALE_BOND:
		if (rows >= 4 && cols >= 16) {
			put_line(lines, &n, rows, cols, STALE_TITLE);
			w = wrap(STALE_HINT, cols, wrapped, rows - 1);
		} else {
			w = wrap(cols >= 20 ? STALE_HINT : STALE_HINT_SHORT,
				 cols, wrapped, rows);
		}
		for (unsigned int i = 0; i < w; i++)
			put_line(lines, &n, rows, cols, wrapped[i]);
		break;
	case RB_SCREEN_PAIRED_OK:
		put_line(lines, &n, rows, cols, name);
		put_line(lines, &n, rows, cols, "Paired OK");
		break;
	case RB_SCREEN_PAIRING_FAILED:
		if (roomy)
			put_line(lines, &n, rows, cols, name);
		put_line(lines, &n, rows, cols, "Wrong PIN");
		put_line(lines, &n, rows, cols,
			 tries_text(screen->attempts_left, buf, sizeof(buf)));
		break;
	}
	return n;
}

char *rb_render_summary(const RbScreen *screen)
{
	switch (screen->kind) {
	case RB_SCREEN_IDLE:
		return g_strdup("IDLE");
	case RB_SCREEN_PAIRING:
		return g_strdup_printf("PAIRING %u", screen->seconds_left);
	case RB_SCREEN_PIN:
		return g_strdup_printf("PIN %06u %u", screen->pin % 1000000,
				       screen->seconds_left);
	case RB_SCREEN_LOCKOUT:
		return g_strdup_printf("LOCKOUT %u", screen->seconds_left);
	case RB_SCREEN_STALE_BOND:
		return g_strdup_printf(
			"STALE_BOND %s",
			screen->stale == RB_STALE_PHONE_HAS_STALE_BOND ? "PHONE"
								       : "BOX");
	case RB_SCREEN_PAIRED_OK:
		return g_strdup("PAIRED_OK");
	case RB_SCREEN_PAIRING_FAILED:
		return g_strdup_printf("PAIRING_FAILED %u",
				       screen->attempts_left);
	}
	return g_strdup_printf("UNKNOWN %d", (int)screen->kind);
}

GBytes *rb_frame_to_pbm(const RbFrame *frame, bool ascii)
{
	GString *s = g_string_new(NULL);

	g_string_append_printf(s, "%s\n%u %u\n", ascii ? "P1" : "P4",
			       RB_FRAME_WIDTH, frame->height);
	for (unsigned int y = 0; y < frame->height; y++) {
		if (ascii) {
			for (unsigned int x = 0; x < RB_FRAME_WIDTH; x++) {
				g_string_append_c(s, rb_frame_get(frame, x, y)
							     ? '1'
							     : '0');
				if (x % 64 == 63)
					g_string_append_c(s, '\n');
			}
			continue;
		}
		for (unsigned int x = 0; x < RB_FRAME_WIDTH; x += 8) {
			uint8_t b = 0;

			for (unsigned int i = 0; i < 8; i++)
				if (rb_frame_get(frame, x + i, y))
					b |= (uint8_t)(0x80 >> i);
			g_string_append_c(s, (char)b);
		}
	}
	return g_string_free_to_bytes(s);
}

GBytes *rb_frame_to_pgm(const RbFrame *frame)
{
	GString *s = g_string_new(NULL);

	g_string_append_printf(s, "P5\n%u %u\n255\n", RB_FRAME_WIDTH,
			       frame->height);
	for (unsigned int y = 0; y < frame->height; y++)
		for (unsigned int x = 0; x < RB_FRAME_WIDTH; x++)
			g_string_append_c(
				s, rb_frame_get(frame, x, y) ? (char)0xff : 0);
	return g_string_free_to_bytes(s);
}
