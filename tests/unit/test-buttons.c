// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Debounce and chord detection, driven by scripted raw edges.
 */
#include <check.h>
#include <string.h>

#include "core/buttons.h"

#define QR RB_BUTTON_QUIZZER_RESET
#define TR RB_BUTTON_TIMER_RESET
#define T5 RB_BUTTON_TIMER_530
#define CT RB_BUTTON_CONTEST

/* A scripted step: at time t, button b goes to level `down`; b < 0 is a
 * pure time advance. */
typedef struct {
	RbTime t;
	int b;
	bool down;
} Step;

#define END                                                                    \
	{                                                                      \
		0, -2, false                                                   \
	}
#define AT(t)                                                                  \
	{                                                                      \
		t, -1, false                                                   \
	}
#define P(t, b)                                                                \
	{                                                                      \
		t, b, true                                                     \
	}
#define R(t, b)                                                                \
	{                                                                      \
		t, b, false                                                    \
	}

typedef struct {
	const char *name;
	Step steps[24];
	/* expected gesture counts */
	unsigned int chords;
	unsigned int exit_qr;
	unsigned int exit_tr;
} Case;

static const Case cases[] = {
	{"/buttons/chord/in-order",
	 {P(100, QR), P(120, T5), P(140, CT), AT(3000), END},
	 1,
	 1,
	 0},
	{"/buttons/chord/reverse-order",
	 {P(100, CT), P(120, T5), P(140, QR), AT(3000), END},
	 1,
	 1,
	 0},
	{"/buttons/chord/t5-first",
	 {P(100, T5), P(120, QR), P(140, CT), AT(3000), END},
	 1,
	 1,
	 0},
	{"/buttons/chord/ct-qr-t5",
	 {P(100, CT), P(120, QR), P(140, T5), AT(3000), END},
	 1,
	 1,
	 0},
	{"/buttons/chord/too-short",
	 {P(100, QR), P(100, T5), P(100, CT), R(1500, CT), AT(5000), END},
	 0,
	 1,
	 0},
	{"/buttons/chord/exact-hold",
	 /* all down (debounced) at 130; fires at 130 + 1500 */
	 {P(100, QR), P(100, T5), P(100, CT), AT(1629), END},
	 0,
	 1,
	 0},
	{"/buttons/chord/exact-hold-reached",
	 {P(100, QR), P(100, T5), P(100, CT), AT(1630), END},
	 1,
	 1,
	 0},
	{"/buttons/chord/held-does-not-retrigger",
	 {P(100, QR), P(100, T5), P(100, CT), AT(3000), AT(10000), AT(60000),
	  END},
	 1,
	 1,
	 0},
	{"/buttons/chord/partial-release-does-not-rearm",
	 {P(100, QR), P(100, T5), P(100, CT), AT(3000), R(3100, CT),
	  P(3500, CT), AT(8000), END},
	 1,
	 1,
	 0},
	{"/buttons/chord/full-release-rearms",
	 {P(100, QR), P(100, T5), P(100, CT), AT(3000), R(3100, CT),
	  R(3100, QR), R(3100, T5), P(4000, QR), P(4000, T5), P(4000, CT),
	  AT(8000), END},
	 2,
	 2,
	 0},
	{"/buttons/chord/timer-reset-is-not-part",
	 {P(100, QR), P(100, TR), P(100, CT), AT(5000), END},
	 0,
	 1,
	 1},
	{"/buttons/bounce/quizzer-reset",
	 {P(100, QR), R(105, QR), P(110, QR), R(112, QR), P(118, QR), AT(1000),
	  END},
	 0,
	 1,
	 0},
	{"/buttons/bounce/timer-reset",
	 {P(100, TR), R(104, TR), P(109, TR), AT(1000), END},
	 0,
	 0,
	 1},
	{"/buttons/bounce/glitch-ignored",
	 {P(100, TR), R(110, TR), AT(1000), END},
	 0,
	 0,
	 0},
	{"/buttons/bounce/release-bounce-not-a-press",
	 {P(100, TR), AT(500), R(500, TR), P(505, TR), R(510, TR), AT(2000),
	  END},
	 0,
	 0,
	 1},
	{"/buttons/bounce/timer-530",
	 {P(100, QR), P(100, CT), P(100, T5), R(103, T5), P(106, T5),
	  R(109, T5), P(112, T5), AT(3000), END},
	 1,
	 1,
	 0},
	{"/buttons/bounce/contest",
	 {P(100, QR), P(100, T5), P(100, CT), R(101, CT), P(102, CT), AT(3000),
	  END},
	 1,
	 1,
	 0},
	{"/buttons/bounce/chord-broken-by-bounce-is-not-released",
	 /* CT glitches up for 10 ms: the chord is not broken */
	 {P(100, QR), P(100, T5), P(100, CT), R(800, CT), P(810, CT), AT(1630),
	  END},
	 1,
	 1,
	 0},
	{"/buttons/exit/quizzer-reset-presses",
	 {P(100, QR), R(300, QR), P(500, QR), R(700, QR), AT(2000), END},
	 0,
	 2,
	 0},
	{"/buttons/exit/held-is-one-press",
	 {P(100, TR), AT(10000), END},
	 0,
	 0,
	 1},
	{"/buttons/exit/repeat-edge-same-level",
	 {P(100, TR), P(200, TR), P(300, TR), AT(1000), END},
	 0,
	 0,
	 1},
};

static void run_case(const Case *c, unsigned int *chords, unsigned int *qr,
		     unsigned int *tr)
{
	RbButtons b;

	rb_buttons_init(&b);
	*chords = *qr = *tr = 0;
	for (const Step *s = c->steps; s->b != -2; s++) {
		RbGestures g = {0};

		/* Ticks the way the daemon does: at every deadline before the
		 * next step. */
		for (RbTime d = rb_buttons_next_deadline(&b); d && d <= s->t;
		     d = rb_buttons_next_deadline(&b)) {
			RbTime before = d;

			rb_buttons_advance(&b, d, &g);
			ck_assert_msg(rb_buttons_next_deadline(&b) != before,
				      "deadline did not move");
		}
		if (s->b >= 0)
			rb_buttons_edge(&b, (RbButton)s->b, s->down, s->t, &g);
		else
			rb_buttons_advance(&b, s->t, &g);
		for (unsigned int i = 0; i < g.n; i++) {
			switch (g.g[i]) {
			case RB_GESTURE_CHORD:
				(*chords)++;
				break;
			case RB_GESTURE_EXIT_QUIZZER_RESET:
				(*qr)++;
				break;
			case RB_GESTURE_EXIT_TIMER_RESET:
				(*tr)++;
				break;
			}
		}
	}
}

START_TEST(test_case)
{
	const Case *c = &cases[_i];
	unsigned int chords, qr, tr;

	run_case(c, &chords, &qr, &tr);
	ck_assert_msg(chords == c->chords, "%s: %u chords, expected %u",
		      c->name, chords, c->chords);
	ck_assert_msg(qr == c->exit_qr,
		      "%s: %u QUIZZER_RESET presses, "
		      "expected %u",
		      c->name, qr, c->exit_qr);
	ck_assert_msg(tr == c->exit_tr,
		      "%s: %u TIMER_RESET presses, "
		      "expected %u",
		      c->name, tr, c->exit_tr);
}
END_TEST

/* Without ticks, a single late advance still sees everything in order. */
START_TEST(test_no_ticks)
{
	RbButtons b;
	RbGestures g = {0};

	rb_buttons_init(&b);
	rb_buttons_edge(&b, QR, true, 100, &g);
	rb_buttons_edge(&b, T5, true, 100, &g);
	rb_buttons_edge(&b, CT, true, 100, &g);
	rb_buttons_advance(&b, 10000, &g);
	ck_assert_uint_eq(g.n, 2);
	ck_assert_int_eq(g.g[0], RB_GESTURE_EXIT_QUIZZER_RESET);
	ck_assert_int_eq(g.g[1], RB_GESTURE_CHORD);
	ck_assert(rb_buttons_down(&b, QR));
	ck_assert(!rb_buttons_down(&b, TR));
	ck_assert_uint_eq(rb_buttons_next_deadline(&b), 0);
}
END_TEST

START_TEST(test_bad_button)
{
	RbButtons b, before;
	RbGestures g = {0};

	rb_buttons_init(&b);
	before = b;
	rb_buttons_edge(&b, (RbButton)7, true, 100, &g);
	ck_assert_uint_eq(g.n, 0);
	ck_assert(memcmp(&b, &before, sizeof(b)) == 0);
}
END_TEST

START_TEST(test_names)
{
	RbButton b;

	ck_assert(rb_button_from_name("timer_530", &b));
	ck_assert_int_eq(b, T5);
	ck_assert(!rb_button_from_name("TIMER", &b));
	ck_assert(!rb_button_from_name(NULL, &b));
	ck_assert_str_eq(rb_button_name(CT), "CONTEST");
	ck_assert_str_eq(rb_button_name((RbButton)9), "UNKNOWN");
}
END_TEST

/* ---- debounced edges ---- */

/* A press that settles is one edge, stamped with the raw edge's time (the
 * kernel's), not with the time it settled. */
START_TEST(test_edge_press_settles)
{
	RbButtons b;
	RbGestures g = {0};

	rb_buttons_init(&b);
	rb_buttons_edge(&b, TR, true, 1000, &g);
	/* not settled yet: nothing */
	rb_buttons_advance(&b, 1000 + RB_DEBOUNCE_MS - 1, &g);
	ck_assert_uint_eq(g.n_edges, 0);
	ck_assert(!rb_buttons_down(&b, TR));
	/* settles: one edge, at the raw edge's time */
	rb_buttons_advance(&b, 1000 + RB_DEBOUNCE_MS, &g);
	ck_assert_uint_eq(g.n_edges, 1);
	ck_assert_int_eq(g.edges[0].button, TR);
	ck_assert(g.edges[0].pressed);
	ck_assert_uint_eq(g.edges[0].at, 1000);
	ck_assert(!g.edges[0].chord_held);
	ck_assert_uint_eq(g.edges_lost, 0);
	/* no more while it is held */
	memset(&g, 0, sizeof(g));
	rb_buttons_advance(&b, 5000, &g);
	ck_assert_uint_eq(g.n_edges, 0);
	/* the release is one edge too, with its own raw time */
	rb_buttons_edge(&b, TR, false, 6000, &g);
	ck_assert_uint_eq(g.n_edges, 0);
	rb_buttons_advance(&b, 7000, &g);
	ck_assert_uint_eq(g.n_edges, 1);
	ck_assert_int_eq(g.edges[0].button, TR);
	ck_assert(!g.edges[0].pressed);
	ck_assert_uint_eq(g.edges[0].at, 6000);
}
END_TEST

/* A bouncing press is one edge, stamped with the raw edge that settled
 * (the last bounce). */
START_TEST(test_edge_bounce_one_edge)
{
	RbButtons b;
	RbGestures g = {0};

	rb_buttons_init(&b);
	rb_buttons_edge(&b, CT, true, 100, &g);
	rb_buttons_edge(&b, CT, false, 105, &g);
	rb_buttons_edge(&b, CT, true, 110, &g);
	rb_buttons_advance(&b, 1000, &g);
	ck_assert_uint_eq(g.n_edges, 1);
	ck_assert_int_eq(g.edges[0].button, CT);
	ck_assert(g.edges[0].pressed);
	ck_assert_uint_eq(g.edges[0].at, 110);
}
END_TEST

/* A glitch shorter than RB_DEBOUNCE_MS is no edge, up or down; one of
 * exactly RB_DEBOUNCE_MS is. */
START_TEST(test_edge_glitch_none)
{
	RbButtons b;
	RbGestures g = {0};

	rb_buttons_init(&b);
	rb_buttons_edge(&b, QR, true, 100, &g);
	rb_buttons_edge(&b, QR, false, 100 + RB_DEBOUNCE_MS - 1, &g);
	rb_buttons_advance(&b, 5000, &g);
	ck_assert_uint_eq(g.n_edges, 0);
	ck_assert_uint_eq(g.n, 0);
	ck_assert(!rb_buttons_down(&b, QR));

	/* held down: a short glitch up is no release either */
	rb_buttons_edge(&b, QR, true, 6000, &g);
	rb_buttons_advance(&b, 7000, &g);
	ck_assert_uint_eq(g.n_edges, 1);
	memset(&g, 0, sizeof(g));
	rb_buttons_edge(&b, QR, false, 8000, &g);
	rb_buttons_edge(&b, QR, true, 8000 + RB_DEBOUNCE_MS - 1, &g);
	rb_buttons_advance(&b, 9000, &g);
	ck_assert_uint_eq(g.n_edges, 0);
	ck_assert(rb_buttons_down(&b, QR));

	/* exactly RB_DEBOUNCE_MS counts */
	rb_buttons_edge(&b, TR, true, 10000, &g);
	rb_buttons_edge(&b, TR, false, 10000 + RB_DEBOUNCE_MS, &g);
	ck_assert_uint_eq(g.n_edges, 1);
	ck_assert(g.edges[0].pressed);
	rb_buttons_advance(&b, 11000, &g);
	ck_assert_uint_eq(g.n_edges, 2);
	ck_assert(!g.edges[1].pressed);
	ck_assert_uint_eq(g.edges[1].at, 10000 + RB_DEBOUNCE_MS);
}
END_TEST

/* The chord's third press reports chord_held, the first two do not; a
 * release reports it gone. rb_buttons_chord_held() agrees. */
START_TEST(test_edge_chord_held)
{
	RbButtons b;
	RbGestures g = {0};

	rb_buttons_init(&b);
	ck_assert(!rb_buttons_chord_held(&b));
	rb_buttons_edge(&b, T5, true, 100, &g);
	rb_buttons_edge(&b, CT, true, 110, &g);
	rb_buttons_edge(&b, QR, true, 120, &g);
	rb_buttons_advance(&b, 200, &g);
	ck_assert_uint_eq(g.n_edges, 3);
	/* in time order */
	ck_assert_int_eq(g.edges[0].button, T5);
	ck_assert_int_eq(g.edges[1].button, CT);
	ck_assert_int_eq(g.edges[2].button, QR);
	ck_assert_uint_eq(g.edges[0].at, 100);
	ck_assert_uint_eq(g.edges[1].at, 110);
	ck_assert_uint_eq(g.edges[2].at, 120);
	ck_assert(!g.edges[0].chord_held);
	ck_assert(!g.edges[1].chord_held);
	ck_assert(g.edges[2].chord_held);
	ck_assert(rb_buttons_chord_held(&b));
	/* TIMER_RESET is not part of it: still held after its edges */
	memset(&g, 0, sizeof(g));
	rb_buttons_edge(&b, TR, true, 300, &g);
	rb_buttons_advance(&b, 400, &g);
	ck_assert_uint_eq(g.n_edges, 1);
	ck_assert(g.edges[0].chord_held);
	/* held past the hold: the chord fires, still held */
	memset(&g, 0, sizeof(g));
	rb_buttons_advance(&b, 2000, &g);
	ck_assert_uint_eq(g.n_edges, 0);
	ck_assert_uint_eq(g.n, 1);
	ck_assert_int_eq(g.g[0], RB_GESTURE_CHORD);
	ck_assert(rb_buttons_chord_held(&b));
	/* one release ends it */
	memset(&g, 0, sizeof(g));
	rb_buttons_edge(&b, CT, false, 3000, &g);
	rb_buttons_advance(&b, 3100, &g);
	ck_assert_uint_eq(g.n_edges, 1);
	ck_assert_int_eq(g.edges[0].button, CT);
	ck_assert(!g.edges[0].pressed);
	ck_assert(!g.edges[0].chord_held);
	ck_assert(!rb_buttons_chord_held(&b));
	/* pressed again: held again (it does not fire again) */
	memset(&g, 0, sizeof(g));
	rb_buttons_edge(&b, CT, true, 4000, &g);
	rb_buttons_advance(&b, 4100, &g);
	ck_assert_uint_eq(g.n_edges, 1);
	ck_assert(g.edges[0].chord_held);
	ck_assert(rb_buttons_chord_held(&b));
}
END_TEST

/* Two of the chord's buttons are not the chord. */
START_TEST(test_edge_two_not_held)
{
	RbButtons b;
	RbGestures g = {0};

	rb_buttons_init(&b);
	rb_buttons_edge(&b, QR, true, 100, &g);
	rb_buttons_edge(&b, T5, true, 100, &g);
	rb_buttons_edge(&b, TR, true, 100, &g);
	rb_buttons_advance(&b, 5000, &g);
	ck_assert_uint_eq(g.n_edges, 3);
	for (unsigned int i = 0; i < g.n_edges; i++)
		ck_assert(!g.edges[i].chord_held);
	ck_assert(!rb_buttons_chord_held(&b));
}
END_TEST

/* One call settles at most one edge per button; a caller that collects
 * several calls into one RbGestures keeps the oldest RB_EDGES_MAX edges
 * and counts the rest. */
START_TEST(test_edges_lost)
{
	RbButtons b;
	RbGestures g = {0};
	const unsigned int presses = RB_EDGES_MAX; /* 2 edges each */
	RbTime t = 100;

	rb_buttons_init(&b);
	for (unsigned int i = 0; i < presses; i++) {
		rb_buttons_edge(&b, CT, true, t, &g);
		rb_buttons_edge(&b, CT, false, t + 100, &g);
		t += 200;
	}
	rb_buttons_advance(&b, t + 1000, &g);
	ck_assert_uint_eq(g.n_edges, RB_EDGES_MAX);
	ck_assert_uint_eq(g.edges_lost, 2 * presses - RB_EDGES_MAX);
	/* the oldest are kept, in order */
	for (unsigned int i = 0; i < RB_EDGES_MAX; i++) {
		ck_assert_int_eq(g.edges[i].button, CT);
		ck_assert(g.edges[i].pressed == (i % 2 == 0));
		ck_assert_uint_eq(g.edges[i].at, 100 + 100 * i);
	}
	/* exactly RB_EDGES_MAX loses nothing */
	memset(&g, 0, sizeof(g));
	for (unsigned int i = 0; i < RB_EDGES_MAX / 2; i++) {
		rb_buttons_edge(&b, CT, true, t, &g);
		rb_buttons_edge(&b, CT, false, t + 100, &g);
		t += 200;
	}
	rb_buttons_advance(&b, t + 1000, &g);
	ck_assert_uint_eq(g.n_edges, RB_EDGES_MAX);
	ck_assert_uint_eq(g.edges_lost, 0);
}
END_TEST

/* Every button settling in one call: one edge each, in raw-time order. */
START_TEST(test_edges_one_call_in_order)
{
	static const RbButton order[] = {CT, QR, TR, T5};
	RbButtons b;
	RbGestures g = {0};

	rb_buttons_init(&b);
	for (unsigned int i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		RbGestures ignored = {0};

		rb_buttons_edge(&b, order[i], true, 100 + i, &ignored);
		ck_assert_uint_eq(ignored.n_edges, 0);
	}
	rb_buttons_advance(&b, 1000, &g);
	ck_assert_uint_eq(g.n_edges, RB_BUTTON_COUNT);
	ck_assert_uint_eq(g.edges_lost, 0);
	for (unsigned int i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		ck_assert_int_eq(g.edges[i].button, order[i]);
		ck_assert_uint_eq(g.edges[i].at, 100 + i);
		ck_assert(g.edges[i].pressed);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("buttons");
	TCase *tc = tcase_create("/buttons/table");

	tcase_add_loop_test(tc, test_case, 0,
			    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_no_ticks);
	tcase_add_test(tc, test_bad_button);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("/buttons/edges");
	tcase_add_test(tc, test_edge_press_settles);
	tcase_add_test(tc, test_edge_bounce_one_edge);
	tcase_add_test(tc, test_edge_glitch_none);
	tcase_add_test(tc, test_edge_chord_held);
	tcase_add_test(tc, test_edge_two_not_held);
	tcase_add_test(tc, test_edges_lost);
	tcase_add_test(tc, test_edges_one_call_in_order);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
