/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Debounce and chord detection over raw button edges. Pure: edges come in
 * with their timestamps (the kernel's, for libgpiod and evdev), time comes
 * in as an argument, and gestures come out.
 *
 * Debounce: a raw level counts once it has been stable for
 * RB_DEBOUNCE_MS; shorter glitches are ignored.
 *
 * Chord: QUIZZER_RESET + TIMER_530 + CONTEST all (debounced) down for
 * RB_CHORD_HOLD_MS, in any order. It fires once; it is re-armed only after
 * all three are released, so a held chord never fires again.
 *
 * Exit presses: a debounced press of QUIZZER_RESET or TIMER_RESET. The
 * press that belongs to a chord is not an exit press: QUIZZER_RESET must be
 * released and pressed again after the chord fired.
 */
#pragma once

#include "core/types.h"

#define RB_DEBOUNCE_MS 30
#define RB_CHORD_HOLD_MS 1500

typedef enum {
	RB_GESTURE_CHORD = 0,
	RB_GESTURE_EXIT_QUIZZER_RESET,
	RB_GESTURE_EXIT_TIMER_RESET,
} RbGesture;

/* A debounced edge: @button's level became @pressed; @at is the raw edge
 * that settled (the kernel's timestamp of the press or release). */
typedef struct {
	RbButton button;
	bool pressed;
	RbTime at;
	bool chord_held; /* the chord's three buttons are all down after it */
} RbDebouncedEdge;

/* Gestures recognised by one call; at most one per button plus the chord.
 * The debounced edges of the call too, in time order; if more settle in
 * one call than fit, the oldest are kept and @edges_lost counts the rest. */
#define RB_GESTURES_MAX 8
#define RB_EDGES_MAX 16
typedef struct {
	RbGesture g[RB_GESTURES_MAX];
	unsigned int n;
	RbDebouncedEdge edges[RB_EDGES_MAX];
	unsigned int n_edges;
	unsigned int edges_lost;
} RbGestures;

typedef struct {
	bool raw[RB_BUTTON_COUNT];
	RbTime raw_since[RB_BUTTON_COUNT];
	bool stable[RB_BUTTON_COUNT];
	bool chord_down; /* all three debounced down */
	RbTime chord_since; /* since when */
	bool chord_armed; /* may fire: all three released since last */
} RbButtons;

void rb_buttons_init(RbButtons *b);

/*
 * A raw edge: @pressed is the new level of @button at @now. Levels that
 * settled before @now are applied first. Gestures recognised up to @now
 * are appended to @out (which the caller zeroes).
 */
void rb_buttons_edge(RbButtons *b, RbButton button, bool pressed, RbTime now,
		     RbGestures *out);

/* Time passes: settles debounced levels and the chord hold. */
void rb_buttons_advance(RbButtons *b, RbTime now, RbGestures *out);

/* The next time rb_buttons_advance() may recognise something, or 0. */
RbTime rb_buttons_next_deadline(const RbButtons *b);

/* The debounced level of @button. */
bool rb_buttons_down(const RbButtons *b, RbButton button);

/* The chord's three buttons are all (debounced) down. */
bool rb_buttons_chord_held(const RbButtons *b);
