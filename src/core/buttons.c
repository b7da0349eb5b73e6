// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Debounce and chord detection. See buttons.h for the rules.
 */
#include <string.h>

#include "core/buttons.h"

static const RbButton chord_buttons[] = {
	RB_BUTTON_QUIZZER_RESET,
	RB_BUTTON_TIMER_530,
	RB_BUTTON_CONTEST,
};
#define N_CHORD (sizeof(chord_buttons) / sizeof(chord_buttons[0]))

void rb_buttons_init(RbButtons *b)
{
	memset(b, 0, sizeof(*b));
	b->chord_armed = true;
}

bool rb_buttons_down(const RbButtons *b, RbButton button)
{
	return b->stable[button];
}

bool rb_buttons_chord_held(const RbButtons *b)
{
	return b->chord_down;
}

static void push_edge(RbGestures *out, const RbButtons *b, RbButton button,
		      RbTime at)
{
	RbDebouncedEdge *e;

	if (out->n_edges >= RB_EDGES_MAX) {
		out->edges_lost++;
		return;
	}
	e = &out->edges[out->n_edges++];
	e->button = button;
	e->pressed = b->stable[button];
	e->at = at;
	e->chord_held = b->chord_down;
}

static void push(RbGestures *out, RbGesture g)
{
	if (out->n < RB_GESTURES_MAX)
		out->g[out->n++] = g;
}

static void update_chord(RbButtons *b, RbTime t)
{
	bool all = true, none = true;

	for (unsigned int i = 0; i < N_CHORD; i++) {
		if (b->stable[chord_buttons[i]])
			none = false;
		else
			all = false;
	}
	if (all && !b->chord_down) {
		b->chord_down = true;
		b->chord_since = t;
	} else if (!all) {
		b->chord_down = false;
	}
	if (none)
		b->chord_armed = true;
}

/* The earliest button whose raw level has been stable long enough by @now
 * to become its debounced level, or -1. */
static int next_settling(const RbButtons *b, RbTime now)
{
	int best = -1;

	for (unsigned int i = 0; i < RB_BUTTON_COUNT; i++) {
		if (b->raw[i] == b->stable[i])
			continue;
		if (b->raw_since[i] + RB_DEBOUNCE_MS > now)
			continue;
		if (best < 0 || b->raw_since[i] < b->raw_since[best])
			best = (int)i;
	}
	return best;
}

static void check_chord(RbButtons *b, RbTime now, RbGestures *out)
{
	if (b->chord_down && b->chord_armed &&
	    b->chord_since + RB_CHORD_HOLD_MS <= now) {
		b->chord_armed = false;
		push(out, RB_GESTURE_CHORD);
	}
}

void rb_buttons_advance(RbButtons *b, RbTime now, RbGestures *out)
{
	int i;

	while ((i = next_settling(b, now)) >= 0) {
		RbTime t = b->raw_since[i] + RB_DEBOUNCE_MS;

		/* A chord that completed its hold before this change fires
		 * first, in time order. */
		check_chord(b, t, out);
		b->stable[i] = b->raw[i];
		if (b->stable[i]) {
			if (i == RB_BUTTON_QUIZZER_RESET)
				push(out, RB_GESTURE_EXIT_QUIZZER_RESET);
			else if (i == RB_BUTTON_TIMER_RESET)
				push(out, RB_GESTURE_EXIT_TIMER_RESET);
		}
		update_chord(b, t);
		push_edge(out, b, (RbButton)i, b->raw_since[i]);
	}
	check_chord(b, now, out);
}

void rb_buttons_edge(RbButtons *b, RbButton button, bool pressed, RbTime now,
		     RbGestures *out)
{
	if ((unsigned int)button >= RB_BUTTON_COUNT)
		return;
	rb_buttons_advance(b, now, out);
	if (b->raw[button] == pressed)
		return;
	b->raw[button] = pressed;
	b->raw_since[button] = now;
}

RbTime rb_buttons_next_deadline(const RbButtons *b)
{
	RbTime next = 0;

	for (unsigned int i = 0; i < RB_BUTTON_COUNT; i++) {
		RbTime t;

		if (b->raw[i] == b->stable[i])
			continue;
		t = b->raw_since[i] + RB_DEBOUNCE_MS;
		if (next == 0 || t < next)
			next = t;
	}
	if (b->chord_down && b->chord_armed) {
		RbTime t = b->chord_since + RB_CHORD_HOLD_MS;

		if (next == 0 || t < next)
			next = t;
	}
	return next;
}
