// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The screen model's text form: used for the journal, the "none" display
 * and character displays that want the core's wording.
 */
#include <stdio.h>
#include <string.h>

#include "core/screen.h"
#include "core/types.h"

bool rb_screen_equal(const RbScreen *a, const RbScreen *b)
{
	return a->kind == b->kind && strcmp(a->name, b->name) == 0 &&
	       a->seconds_left == b->seconds_left && a->pin == b->pin &&
	       a->attempts_left == b->attempts_left && a->stale == b->stale;
}

static void put(char lines[][41], unsigned int *n, unsigned int rows,
		unsigned int cols, const char *text)
{
	if (*n >= rows)
		return;
	size_t len = strnlen(text, cols);

	memcpy(lines[*n], text, len);
	lines[*n][len] = '\0';
	(*n)++;
}

unsigned int rb_screen_render_text(const RbScreen *s, unsigned int cols,
				   unsigned int rows, char lines[][41])
{
	char buf[64];
	unsigned int n = 0;

	if (cols > RB_SCREEN_TEXT_MAX_COLS)
		cols = RB_SCREEN_TEXT_MAX_COLS;
	put(lines, &n, rows, cols, s->name);
	switch (s->kind) {
	case RB_SCREEN_IDLE:
		break;
	case RB_SCREEN_PAIRING:
		snprintf(buf, sizeof(buf), "Pairing %u s", s->seconds_left);
		put(lines, &n, rows, cols, buf);
		put(lines, &n, rows, cols, "Pair from your phone");
		break;
	case RB_SCREEN_PIN:
		snprintf(buf, sizeof(buf), "PIN %06u", s->pin % 1000000);
		put(lines, &n, rows, cols, buf);
		snprintf(buf, sizeof(buf), "%u s left", s->seconds_left);
		put(lines, &n, rows, cols, buf);
		break;
	case RB_SCREEN_LOCKOUT:
		snprintf(buf, sizeof(buf), "Locked %u:%02u",
			 s->seconds_left / 60, s->seconds_left % 60);
		put(lines, &n, rows, cols, buf);
		put(lines, &n, rows, cols, "Too many wrong PINs");
		break;
	case RB_SCREEN_STALE_BOND:
		put(lines, &n, rows, cols, "Forget box on phone");
		put(lines, &n, rows, cols, "Hold chord, pair again");
		break;
	case RB_SCREEN_PAIRED_OK:
		put(lines, &n, rows, cols, "Paired OK");
		break;
	case RB_SCREEN_PAIRING_FAILED:
		put(lines, &n, rows, cols, "Wrong PIN");
		snprintf(buf, sizeof(buf), "%u tries left", s->attempts_left);
		put(lines, &n, rows, cols, buf);
		break;
	}
	return n;
}
