/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pure rendering of an RbScreen for the display backends: a 128xH 1-bit
 * frame for pixel displays and files, text lines for character LCDs and
 * the text file. No I/O. Fonts are in font.c.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/screen.h"

#define RB_FRAME_WIDTH 128
#define RB_FRAME_MAX_HEIGHT 64

/*
 * A 1-bit frame in the SSD1306's memory layout: page p (rows 8p..8p+7),
 * column x is bits[p * 128 + x], bit (y % 8) is row y. Set bit = lit.
 */
typedef struct {
	unsigned int height; /* 32 or 64 */
	uint8_t bits[RB_FRAME_WIDTH * RB_FRAME_MAX_HEIGHT / 8];
} RbFrame;

/* Clears @frame to @height (32 or 64; anything else is clamped to 64). */
void rb_frame_init(RbFrame *frame, unsigned int height);
bool rb_frame_get(const RbFrame *frame, unsigned int x, unsigned int y);
/* Out-of-range pixels are ignored. */
void rb_frame_set(RbFrame *frame, unsigned int x, unsigned int y, bool on);
static inline unsigned int rb_frame_pages(const RbFrame *frame)
{
	return frame->height / 8;
}

/* Draws @screen into @frame (cleared first; keeps frame->height). */
void rb_render_screen(const RbScreen *screen, RbFrame *frame);

/*
 * Draws @text (ASCII; other bytes as '?') with its top-left corner at
 * (@x, @y), each font pixel as @scale x @scale. Returns the width drawn.
 */
unsigned int rb_render_text(RbFrame *frame, int x, int y, const char *text,
			    unsigned int scale);
/* The width rb_render_text() would draw. */
unsigned int rb_render_text_width(const char *text, unsigned int scale);

#define RB_TEXT_MAX_COLS 40
/*
 * The screen as at most @rows lines of at most @cols (1..40) characters,
 * not padded, for character LCDs (16x2, 20x4) and the text file. Returns
 * the number of lines written to @lines.
 */
unsigned int rb_render_lines(const RbScreen *screen, unsigned int cols,
			     unsigned int rows,
			     char lines[][RB_TEXT_MAX_COLS + 1]);

/*
 * A one-line machine-readable summary: "IDLE", "PAIRING 58",
 * "PIN 123456 58", "LOCKOUT 299", "STALE_BOND BOX" / "STALE_BOND PHONE",
 * "PAIRED_OK", "PAIRING_FAILED 2". Returns a new string.
 */
char *rb_render_summary(const RbScreen *screen);

/* "4:59" (m:ss; minutes may exceed 59). @buf at least 16 bytes. */
void rb_render_mmss(uint32_t seconds, char *buf, size_t len);

/* Encodes @frame as a PBM P4 (@ascii false) or P1 image. Returns bytes. */
GBytes *rb_frame_to_pbm(const RbFrame *frame, bool ascii);
/* As a PGM P5 image, lit pixels 255 on 0. */
GBytes *rb_frame_to_pgm(const RbFrame *frame);

/* The 5x8 font (capitals 7 high, descenders in row 7): rows top to bottom, bit 4 is the leftmost column. */
#define RB_FONT_WIDTH 5
#define RB_FONT_HEIGHT 8
const uint8_t *rb_font_glyph(char c);
