// SPDX-License-Identifier: GPL-2.0-or-later
/* The parts every display shares, and the "none" display. */
#define G_LOG_DOMAIN "rb-display"

#include "config.h"

#include <string.h>

#include "hw/display-private.h"
#include "hw/render.h"

void rb_display_init(RbDisplay *display, const char *kind,
		     void (*show)(RbDisplay *, const RbScreen *),
		     void (*flush)(RbDisplay *), void (*destroy)(RbDisplay *))
{
	display->kind = kind;
	display->show = show;
	display->flush = flush;
	display->destroy = destroy;
}

/* Field by field: padding in the caller's struct may hold anything. */
static bool screen_same(const RbScreen *a, const RbScreen *b)
{
	return a->kind == b->kind &&
	       strncmp(a->name, b->name, sizeof(a->name)) == 0 &&
	       a->seconds_left == b->seconds_left && a->pin == b->pin &&
	       a->attempts_left == b->attempts_left && a->stale == b->stale;
}

void rb_display_show(RbDisplay *display, const RbScreen *screen)
{
	if (display->have_last && screen_same(&display->last, screen))
		return;
	memset(&display->last, 0, sizeof(display->last));
	display->last.kind = screen->kind;
	memcpy(display->last.name, screen->name, sizeof(screen->name));
	display->last.name[sizeof(display->last.name) - 1] = '\0';
	display->last.seconds_left = screen->seconds_left;
	display->last.pin = screen->pin;
	display->last.attempts_left = screen->attempts_left;
	display->last.stale = screen->stale;
	display->have_last = true;
	display->show(display, &display->last);
}

void rb_display_flush(RbDisplay *display)
{
	if (display->flush)
		display->flush(display);
}

void rb_display_free(RbDisplay *display)
{
	if (display)
		display->destroy(display);
}

void rb_display_log_screen(const char *who, const RbScreen *screen)
{
	char lines[4][RB_TEXT_MAX_COLS + 1];
	g_autoptr(GString) s = g_string_new(NULL);
	unsigned int n = rb_render_lines(screen, 40, 4, lines);

	for (unsigned int i = 0; i < n; i++) {
		if (i)
			g_string_append(s, " | ");
		g_string_append(s, lines[i]);
	}
	g_message("%s: %s", who, s->str);
}

/* ---- none ---- */

static void none_show(RbDisplay *display, const RbScreen *screen)
{
	rb_display_log_screen("screen", screen);
}

static void none_destroy(RbDisplay *display)
{
	g_free(display);
}

RbDisplay *rb_display_none_new(void)
{
	RbDisplay *d = g_new0(RbDisplay, 1);

	rb_display_init(d, "none", none_show, NULL, none_destroy);
	return d;
}
