// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The access policy, one or more rows per rule of DESIGN.md §1-§2.
 */
#include <check.h>
#include <string.h>

#include "core/policy.h"

#define WALL0 1700000000000LL

typedef struct {
	RbPolicyConfig cfg;
	RbPolicy *p;
	RbEffects *fx;
	RbTime now;
	int64_t wall0; /* wall clock at now == 0 */
	RbState last_persisted;
	bool persisted;
	const char *boot_id;
	guint seen; /* effects already collected */
	bool store_fails; /* the next stores fail (a full disk) */
	/* > 0: the store that many PERSISTs from now fails, once (the disk
	 * fills between two stores of one batch) */
	unsigned int fail_nth_store;
} Box;

#define BOOT_A "0123abcd-0123-4567-89ab-0123456789ab"
#define BOOT_B "fedcba98-7654-3210-fedc-ba9876543210"

static RbPeer PHONE_A, PHONE_B, PHONE_C;

static void peers_init(void)
{
	ck_assert(rb_peer_set(&PHONE_A, "aa:00:00:00:00:01", RB_ADDR_PUBLIC));
	ck_assert(rb_peer_set(&PHONE_B, "C0:00:00:00:00:02", RB_ADDR_RANDOM));
	ck_assert(rb_peer_set(&PHONE_C, "C0:00:00:00:00:03", RB_ADDR_RANDOM));
}

/* Carries out the stores like the daemon: each PERSIST succeeds (or fails,
 * with store_fails) and the policy hears of it. */
static void box_collect(Box *b)
{
	for (; b->seen < b->fx->len; b->seen++) {
		RbEffect e = g_array_index(b->fx, RbEffect, b->seen);
		bool fails = b->store_fails;

		if (e.kind != RB_EFFECT_PERSIST)
			continue;
		if (b->fail_nth_store > 0 && --b->fail_nth_store == 0)
			fails = true;
		if (!fails) {
			b->last_persisted = e.state;
			b->persisted = true;
		}
		if (b->p)
			rb_policy_persist_result(b->p, &e.state, !fails, b->now,
						 b->fx);
	}
}

static void box_clear(Box *b)
{
	g_array_set_size(b->fx, 0);
	b->seen = 0;
}

static void box_start_with(Box *b, const RbState *st, RbTime now, int64_t wall)
{
	if (!b->fx)
		b->fx = rb_effects_new();
	box_clear(b);
	b->now = now;
	b->wall0 = wall - (int64_t)now;
	b->p = NULL;
	b->p = rb_policy_new(&b->cfg, st, "Reaction_DDEEFF", now, wall,
			     b->boot_id, b->fx);
	box_collect(b);
}

static void box_init(Box *b)
{
	RbState st;

	memset(b, 0, sizeof(*b));
	peers_init();
	rb_policy_config_init_defaults(&b->cfg);
	rb_state_init(&st);
	b->boot_id = BOOT_A;
	box_start_with(b, &st, 1000, WALL0);
}

static void box_free(Box *b)
{
	rb_policy_free(b->p);
	g_array_unref(b->fx);
}

/* Reboot, and start the daemon from the last persisted state @gap ms
 * later by the wall clock (a new boot id, CLOCK_BOOTTIME from 0). */
static void box_restart(Box *b, RbTime gap)
{
	RbState st = b->last_persisted;
	int64_t wall = b->wall0 + (int64_t)b->now + (int64_t)gap;

	ck_assert(b->persisted);
	rb_policy_free(b->p);
	b->boot_id = BOOT_B;
	box_start_with(b, &st, 500, wall);
}

/* Restart the daemon in the same boot, @gap ms later, with the wall clock
 * stepped by @step ms meanwhile (NTP). */
static void box_restart_same_boot(Box *b, RbTime gap, int64_t step)
{
	RbState st = b->last_persisted;
	RbTime now = b->now + gap;
	int64_t wall = b->wall0 + (int64_t)now + step;

	ck_assert(b->persisted);
	rb_policy_free(b->p);
	box_start_with(b, &st, now, wall);
}

/* Advance time to @t, ticking at every deadline like the daemon does. */
static void box_run_to(Box *b, RbTime t)
{
	for (;;) {
		RbTime d = rb_policy_next_deadline(b->p);

		if (d == 0 || d > t)
			break;
		ck_assert_uint_ge(d, b->now);
		b->now = d;
		rb_policy_tick(b->p, d, b->fx);
		box_collect(b);
	}
	b->now = t;
	rb_policy_tick(b->p, t, b->fx);
	box_collect(b);
}

static void box_button(Box *b, RbButton button, bool down)
{
	rb_policy_button(b->p, button, down, b->now, b->fx);
	box_collect(b);
}

static void box_chord(Box *b)
{
	box_button(b, RB_BUTTON_QUIZZER_RESET, true);
	box_button(b, RB_BUTTON_TIMER_530, true);
	box_button(b, RB_BUTTON_CONTEST, true);
	box_run_to(b, b->now + RB_DEBOUNCE_MS + RB_CHORD_HOLD_MS + 10);
	box_button(b, RB_BUTTON_QUIZZER_RESET, false);
	box_button(b, RB_BUTTON_TIMER_530, false);
	box_button(b, RB_BUTTON_CONTEST, false);
	box_run_to(b, b->now + 100);
}

static void box_press(Box *b, RbButton button)
{
	box_button(b, button, true);
	box_run_to(b, b->now + 100);
	box_button(b, button, false);
	box_run_to(b, b->now + 100);
}

static unsigned int count(const Box *b, RbEffectKind kind)
{
	unsigned int n = 0;

	for (guint i = 0; i < b->fx->len; i++)
		if (g_array_index(b->fx, RbEffect, i).kind == kind)
			n++;
	return n;
}

static const RbEffect *last(const Box *b, RbEffectKind kind)
{
	for (guint i = b->fx->len; i > 0; i--) {
		const RbEffect *e = &g_array_index(b->fx, RbEffect, i - 1);

		if (e->kind == kind)
			return e;
	}
	return NULL;
}

static bool has_peer_effect(const Box *b, RbEffectKind kind, const RbPeer *peer)
{
	for (guint i = 0; i < b->fx->len; i++) {
		const RbEffect *e = &g_array_index(b->fx, RbEffect, i);

		if (e->kind == kind && rb_peer_equal(&e->peer, peer))
			return true;
	}
	return false;
}

static RbAccessStatus status(const Box *b)
{
	return rb_policy_access(b->p, b->now).status;
}

static RbScreenKind screen(const Box *b)
{
	return rb_policy_screen(b->p)->kind;
}

static void connect(Box *b, const RbPeer *peer, bool bonded)
{
	rb_policy_connected(b->p, peer, bonded, b->now, b->fx);
	box_collect(b);
}

static void disconnect(Box *b, const RbPeer *peer, bool auth_failure)
{
	rb_policy_disconnected(b->p, peer, auth_failure, b->now, b->fx);
	box_collect(b);
}

static bool passkey(Box *b, const RbPeer *peer, uint32_t key)
{
	bool ok = rb_policy_passkey(b->p, peer, key, b->now, b->fx);

	box_collect(b);
	return ok;
}

/* A full successful pairing of @peer, connected, from the chord on. */
static void pair(Box *b, const RbPeer *peer)
{
	box_chord(b);
	ck_assert(rb_policy_pairing_mode(b->p));
	if (!rb_policy_is_downgraded(b->p, peer))
		connect(b, peer, false);
	ck_assert(passkey(b, peer, 123456));
	rb_policy_new_key(b->p, peer, RB_KEY_AUTH_P256, true, b->now, b->fx);
	box_collect(b);
	rb_policy_bond_added(b->p, peer, b->now, b->fx);
	box_collect(b);
	ck_assert(rb_policy_owner(b->p));
	ck_assert(rb_peer_equal(rb_policy_owner(b->p), peer));
}

static RbWriteVerdict write_as(Box *b, const RbPeer *peer, bool paired,
			       bool bonded, bool encrypted, RbKeyType key)
{
	RbLinkFacts f = {
		.peer = *peer,
		.paired = paired,
		.bonded = bonded,
		.encrypted = encrypted,
		.le = true,
		.key = key,
	};
	RbWriteVerdict v = rb_policy_write(b->p, &f, b->now, b->fx);

	box_collect(b);
	return v;
}

static RbWriteVerdict owner_write(Box *b, const RbPeer *peer)
{
	return write_as(b, peer, true, true, true, RB_KEY_AUTH_P256);
}

/* Fail a PIN attempt of @peer (connected, in pairing mode). */
static void fail_pin(Box *b, const RbPeer *peer)
{
	static uint32_t key = 1;

	/* the kernel makes a new passkey for every attempt */
	ck_assert(passkey(b, peer, key++));
	rb_policy_pairing_failed(b->p, peer, b->now, b->fx);
	box_collect(b);
}

/* ---- write decisions ---- */

typedef struct {
	const char *name;
	bool paired, bonded, encrypted;
	RbKeyType key;
	int who; /* 0 owner, 1 other bonded peer, 2 downgraded ex-owner */
	bool allow_legacy;
	RbWriteVerdict want;
} WriteCase;

static const WriteCase write_cases[] = {
	{"/policy/write/owner-ok", true, true, true, RB_KEY_AUTH_P256, 0, false,
	 RB_WRITE_OK},
	{"/policy/write/not-paired", false, false, false, RB_KEY_UNKNOWN, 1,
	 false, RB_WRITE_REJECT_NOT_PAIRED},
	{"/policy/write/paired-not-bonded", true, false, true, RB_KEY_AUTH_P256,
	 0, false, RB_WRITE_REJECT_NOT_PAIRED},
	{"/policy/write/bonded-not-paired", false, true, true, RB_KEY_AUTH_P256,
	 0, false, RB_WRITE_REJECT_NOT_PAIRED},
	{"/policy/write/not-encrypted", true, true, false, RB_KEY_AUTH_P256, 0,
	 false, RB_WRITE_REJECT_NOT_ENCRYPTED},
	{"/policy/write/unauth-p256", true, true, true, RB_KEY_UNAUTH_P256, 0,
	 false, RB_WRITE_REJECT_NOT_AUTHENTICATED},
	{"/policy/write/unauth-legacy", true, true, true, RB_KEY_UNAUTH_LEGACY,
	 0, true, RB_WRITE_REJECT_NOT_AUTHENTICATED},
	{"/policy/write/debug-key", true, true, true, RB_KEY_DEBUG_P256, 0,
	 false, RB_WRITE_REJECT_NOT_AUTHENTICATED},
	{"/policy/write/unknown-key", true, true, true, RB_KEY_UNKNOWN, 0,
	 false, RB_WRITE_REJECT_NOT_AUTHENTICATED},
	{"/policy/write/auth-legacy-refused", true, true, true,
	 RB_KEY_AUTH_LEGACY, 0, false, RB_WRITE_REJECT_NOT_AUTHENTICATED},
	{"/policy/write/auth-legacy-allowed", true, true, true,
	 RB_KEY_AUTH_LEGACY, 0, true, RB_WRITE_OK},
	{"/policy/write/not-owner", true, true, true, RB_KEY_AUTH_P256, 1,
	 false, RB_WRITE_REJECT_NOT_AUTHORIZED},
	{"/policy/write/downgraded", true, true, true, RB_KEY_AUTH_P256, 2,
	 false, RB_WRITE_REJECT_NOT_AUTHORIZED},
	/* order: the first failing check wins */
	{"/policy/write/order/paired-before-encrypted", false, true, false,
	 RB_KEY_UNKNOWN, 1, false, RB_WRITE_REJECT_NOT_PAIRED},
	{"/policy/write/order/encrypted-before-key", true, true, false,
	 RB_KEY_UNAUTH_P256, 1, false, RB_WRITE_REJECT_NOT_ENCRYPTED},
	{"/policy/write/order/key-before-owner", true, true, true,
	 RB_KEY_UNAUTH_P256, 1, false, RB_WRITE_REJECT_NOT_AUTHENTICATED},
	{"/policy/write/order/encrypted-before-owner", true, true, false,
	 RB_KEY_AUTH_P256, 2, false, RB_WRITE_REJECT_NOT_ENCRYPTED},
};

START_TEST(test_write)
{
	const WriteCase *c = &write_cases[_i];
	const RbPeer *peer;
	const RbEffect *e;
	RbWriteVerdict v;
	Box b;

	box_init(&b);
	b.cfg.allow_legacy_keys = c->allow_legacy;
	rb_policy_free(b.p);
	{
		RbState st;

		rb_state_init(&st);
		box_start_with(&b, &st, 1000, WALL0);
	}
	pair(&b, &PHONE_A);
	connect(&b, &PHONE_B, true);
	peer = &PHONE_A;
	if (c->who == 0) {
		/* The owner reconnects: its link encrypts with the stored
		 * bond, whose key type the glue reads (c->key). */
		disconnect(&b, &PHONE_A, false);
		connect(&b, &PHONE_A, true);
	}
	if (c->who == 1) {
		peer = &PHONE_B;
	} else if (c->who == 2) {
		/* A becomes a downgraded ex-owner: B pairs while A stays
		 * connected. */
		box_run_to(&b, b.now + 5000);
		disconnect(&b, &PHONE_B, false);
		pair(&b, &PHONE_B);
	}
	box_clear(&b);
	v = write_as(&b, peer, c->paired, c->bonded, c->encrypted, c->key);
	ck_assert_msg(v == c->want, "%s: got %s, want %s", c->name,
		      rb_write_verdict_name(v), rb_write_verdict_name(c->want));
	e = last(&b, RB_EFFECT_NOTIFY_ACCESS);
	if (c->want == RB_WRITE_OK) {
		ck_assert(!e || !e->access.write_rejected);
	} else {
		ck_assert_msg(e && e->access.write_rejected,
			      "%s: no rejection "
			      "notified",
			      c->name);
		ck_assert_int_eq(e->access.reason, c->want);
	}
	box_free(&b);
}
END_TEST

START_TEST(test_att_codes)
{
	ck_assert_uint_eq(rb_write_verdict_att_error(RB_WRITE_OK), 0);
	ck_assert_uint_eq(
		rb_write_verdict_att_error(RB_WRITE_REJECT_NOT_PAIRED), 0x80);
	ck_assert_uint_eq(
		rb_write_verdict_att_error(RB_WRITE_REJECT_NOT_ENCRYPTED),
		0x81);
	ck_assert_uint_eq(
		rb_write_verdict_att_error(RB_WRITE_REJECT_NOT_AUTHENTICATED),
		0x82);
	ck_assert_uint_eq(
		rb_write_verdict_att_error(RB_WRITE_REJECT_NOT_AUTHORIZED),
		0x83);
}
END_TEST

START_TEST(test_write_no_owner)
{
	Box b;

	box_init(&b);
	connect(&b, &PHONE_A, true);
	ck_assert_int_eq(owner_write(&b, &PHONE_A),
			 RB_WRITE_REJECT_NOT_AUTHORIZED);
	box_free(&b);
}
END_TEST

/* ---- pairing mode ---- */

START_TEST(test_start)
{
	Box b;
	const RbEffect *e;

	box_init(&b);
	e = last(&b, RB_EFFECT_SET_PAIRABLE);
	ck_assert(e && !e->pairable);
	ck_assert_int_eq(screen(&b), RB_SCREEN_IDLE);
	ck_assert_str_eq(rb_policy_screen(b.p)->name, "Reaction_DDEEFF");
	e = last(&b, RB_EFFECT_NOTIFY_ACCESS);
	ck_assert(e && e->access.status == RB_ACCESS_NO_CONNECTION);
	ck_assert_uint_eq(rb_policy_next_deadline(b.p), 0);
	box_free(&b);
}
END_TEST

START_TEST(test_chord_enters)
{
	Box b;
	const RbEffect *e;

	box_init(&b);
	box_clear(&b);
	box_chord(&b);
	ck_assert(rb_policy_pairing_mode(b.p));
	e = last(&b, RB_EFFECT_SET_PAIRABLE);
	ck_assert(e && e->pairable);
	ck_assert_int_eq(status(&b), RB_ACCESS_PAIRING_MODE);
	ck_assert_int_eq(screen(&b), RB_SCREEN_PAIRING);
	/* the chord's own QUIZZER_RESET press did not end it */
	ck_assert_uint_eq(rb_policy_screen(b.p)->seconds_left, 60);
	box_free(&b);
}
END_TEST

START_TEST(test_chord_held_no_retrigger)
{
	Box b;

	box_init(&b);
	box_button(&b, RB_BUTTON_QUIZZER_RESET, true);
	box_button(&b, RB_BUTTON_TIMER_530, true);
	box_button(&b, RB_BUTTON_CONTEST, true);
	box_run_to(&b, b.now + 2000);
	ck_assert(rb_policy_pairing_mode(b.p));
	/* pairing ends by timeout while the chord is still held */
	box_run_to(&b, b.now + 61000);
	ck_assert(!rb_policy_pairing_mode(b.p));
	box_run_to(&b, b.now + 10000);
	ck_assert(!rb_policy_pairing_mode(b.p));
	box_free(&b);
}
END_TEST

typedef struct {
	const char *name;
	int how; /* 0 QR, 1 TR, 2 timeout, 3 success */
} ExitCase;

static const ExitCase exit_cases[] = {
	{"/policy/pairing/exit/quizzer-reset", 0},
	{"/policy/pairing/exit/timer-reset", 1},
	{"/policy/pairing/exit/timeout", 2},
	{"/policy/pairing/exit/success", 3},
};

START_TEST(test_exit)
{
	const ExitCase *c = &exit_cases[_i];
	const RbEffect *e;
	Box b;

	box_init(&b);
	box_chord(&b);
	ck_assert(rb_policy_pairing_mode(b.p));
	box_clear(&b);
	switch (c->how) {
	case 0:
		box_press(&b, RB_BUTTON_QUIZZER_RESET);
		break;
	case 1:
		box_press(&b, RB_BUTTON_TIMER_RESET);
		break;
	case 2:
		box_run_to(&b, b.now + 59000);
		ck_assert(rb_policy_pairing_mode(b.p));
		box_run_to(&b, b.now + 1000);
		break;
	case 3:
		connect(&b, &PHONE_A, false);
		ck_assert(passkey(&b, &PHONE_A, 42));
		rb_policy_new_key(b.p, &PHONE_A, RB_KEY_AUTH_P256, true, b.now,
				  b.fx);
		box_collect(&b);
		break;
	}
	ck_assert_msg(!rb_policy_pairing_mode(b.p), "%s", c->name);
	e = last(&b, RB_EFFECT_SET_PAIRABLE);
	ck_assert_msg(e && !e->pairable, "%s: pairable not turned off",
		      c->name);
	ck_assert_int_ne(status(&b), RB_ACCESS_PAIRING_MODE);
	box_free(&b);
}
END_TEST

START_TEST(test_timeout_configured)
{
	Box b;
	RbConfigUpdate u = {0};
	RbSetting bad;

	box_init(&b);
	u.has[RB_SETTING_PAIRING_TIMEOUT_MS] = true;
	u.value[RB_SETTING_PAIRING_TIMEOUT_MS] = 5000;
	ck_assert(rb_policy_set_config(b.p, &u, &bad, b.now, b.fx));
	box_chord(&b);
	ck_assert_uint_eq(rb_policy_screen(b.p)->seconds_left, 5);
	box_run_to(&b, b.now + 4700);
	ck_assert(rb_policy_pairing_mode(b.p));
	box_run_to(&b, b.now + 300);
	ck_assert(!rb_policy_pairing_mode(b.p));
	box_free(&b);
}
END_TEST

START_TEST(test_countdown_ticks)
{
	Box b;
	unsigned int screens;

	box_init(&b);
	box_chord(&b);
	box_clear(&b);
	box_run_to(&b, b.now + 10000);
	/* one screen per second, no more */
	screens = count(&b, RB_EFFECT_SHOW_SCREEN);
	ck_assert_uint_ge(screens, 9);
	ck_assert_uint_le(screens, 11);
	ck_assert_uint_eq(rb_policy_screen(b.p)->seconds_left, 50);
	box_free(&b);
}
END_TEST

/* ---- PINs and lockout ---- */

START_TEST(test_pin_shown_only_in_pairing_mode)
{
	Box b;

	box_init(&b);
	connect(&b, &PHONE_A, false);
	box_clear(&b);
	ck_assert(!passkey(&b, &PHONE_A, 123456));
	ck_assert(has_peer_effect(&b, RB_EFFECT_DISCONNECT, &PHONE_A));
	ck_assert_int_ne(screen(&b), RB_SCREEN_PIN);
	ck_assert_uint_eq(rb_policy_state(b.p)->pin_failures, 0);
	box_chord(&b);
	ck_assert(passkey(&b, &PHONE_A, 123456));
	ck_assert_int_eq(screen(&b), RB_SCREEN_PIN);
	ck_assert_uint_eq(rb_policy_screen(b.p)->pin, 123456);
	ck_assert(last(&b, RB_EFFECT_LOG) &&
		  strstr(last(&b, RB_EFFECT_LOG)->text, "123456"));
	box_free(&b);
}
END_TEST

START_TEST(test_one_pin_at_a_time)
{
	Box b;

	box_init(&b);
	box_chord(&b);
	connect(&b, &PHONE_A, false);
	connect(&b, &PHONE_B, false);
	ck_assert(passkey(&b, &PHONE_A, 111111));
	box_clear(&b);
	ck_assert(!passkey(&b, &PHONE_B, 222222));
	ck_assert(has_peer_effect(&b, RB_EFFECT_DISCONNECT, &PHONE_B));
	ck_assert_uint_eq(rb_policy_screen(b.p)->pin, 111111);
	box_free(&b);
}
END_TEST

START_TEST(test_lockout)
{
	Box b;
	const RbEffect *e;

	box_init(&b);
	box_chord(&b);
	connect(&b, &PHONE_A, false);
	fail_pin(&b, &PHONE_A);
	ck_assert_int_eq(screen(&b), RB_SCREEN_PAIRING_FAILED);
	ck_assert_uint_eq(rb_policy_screen(b.p)->attempts_left, 2);
	ck_assert(rb_policy_pairing_mode(b.p));
	fail_pin(&b, &PHONE_A);
	ck_assert(!rb_policy_locked_out(b.p, b.now));
	box_clear(&b);
	fail_pin(&b, &PHONE_A);
	ck_assert(rb_policy_locked_out(b.p, b.now));
	ck_assert(!rb_policy_pairing_mode(b.p));
	e = last(&b, RB_EFFECT_SET_PAIRABLE);
	ck_assert(e && !e->pairable);
	ck_assert_int_eq(screen(&b), RB_SCREEN_LOCKOUT);
	ck_assert_uint_eq(rb_policy_screen(b.p)->seconds_left, 300);
	ck_assert(b.last_persisted.lockout_active);
	ck_assert_uint_eq(rb_policy_access(b.p, b.now).lockout_time_left_ms,
			  300000);

	/* the chord is refused, the display says why */
	box_clear(&b);
	box_chord(&b);
	ck_assert(!rb_policy_pairing_mode(b.p));
	ck_assert_int_eq(screen(&b), RB_SCREEN_LOCKOUT);
	ck_assert_uint_eq(count(&b, RB_EFFECT_SET_PAIRABLE), 0);
	/* a pairing request shows no PIN */
	ck_assert(!passkey(&b, &PHONE_A, 333333));
	ck_assert_int_ne(screen(&b), RB_SCREEN_PIN);

	/* it expires */
	box_run_to(&b, b.now + 300000);
	ck_assert(!rb_policy_locked_out(b.p, b.now));
	ck_assert_int_eq(screen(&b), RB_SCREEN_IDLE);
	ck_assert(!b.last_persisted.lockout_active);
	ck_assert_uint_eq(b.last_persisted.pin_failures, 0);
	box_chord(&b);
	ck_assert(rb_policy_pairing_mode(b.p));
	box_free(&b);
}
END_TEST

typedef struct {
	const char *name;
	int how; /* 0 wrong PIN, 1 disconnect, 2 timeout, 3 exit button,
			   4 unauthenticated key */
} FailCase;

static const FailCase fail_cases[] = {
	{"/policy/pin/failure/wrong-pin", 0},
	{"/policy/pin/failure/disconnect", 1},
	{"/policy/pin/failure/timeout", 2},
	{"/policy/pin/failure/exit-button", 3},
	{"/policy/pin/failure/unauthenticated-key", 4},
};

START_TEST(test_pin_failure_kinds)
{
	const FailCase *c = &fail_cases[_i];
	Box b;

	box_init(&b);
	box_chord(&b);
	connect(&b, &PHONE_A, false);
	ck_assert(passkey(&b, &PHONE_A, 7));
	box_clear(&b);
	switch (c->how) {
	case 0:
		rb_policy_pairing_failed(b.p, &PHONE_A, b.now, b.fx);
		break;
	case 1:
		rb_policy_disconnected(b.p, &PHONE_A, false, b.now, b.fx);
		break;
	case 2:
		box_run_to(&b, b.now + 60000);
		ck_assert(has_peer_effect(&b, RB_EFFECT_DISCONNECT, &PHONE_A));
		break;
	case 3:
		box_press(&b, RB_BUTTON_TIMER_RESET);
		ck_assert(has_peer_effect(&b, RB_EFFECT_DISCONNECT, &PHONE_A));
		break;
	case 4:
		rb_policy_new_key(b.p, &PHONE_A, RB_KEY_UNAUTH_P256, true,
				  b.now, b.fx);
		ck_assert(!rb_policy_owner(b.p));
		break;
	}
	box_collect(&b);
	ck_assert_msg(rb_policy_state(b.p)->pin_failures == 1,
		      "%s: %u failures", c->name,
		      rb_policy_state(b.p)->pin_failures);
	ck_assert(b.last_persisted.pin_failures == 1);
	box_free(&b);
}
END_TEST

START_TEST(test_failure_without_pin_not_counted)
{
	Box b;

	box_init(&b);
	box_chord(&b);
	connect(&b, &PHONE_A, false);
	rb_policy_pairing_failed(b.p, &PHONE_A, b.now, b.fx);
	disconnect(&b, &PHONE_A, false);
	ck_assert_uint_eq(rb_policy_state(b.p)->pin_failures, 0);
	box_free(&b);
}
END_TEST

START_TEST(test_failures_count_per_box)
{
	Box b;

	box_init(&b);
	box_chord(&b);
	connect(&b, &PHONE_A, false);
	fail_pin(&b, &PHONE_A);
	disconnect(&b, &PHONE_A, false);
	connect(&b, &PHONE_B, false);
	fail_pin(&b, &PHONE_B);
	disconnect(&b, &PHONE_B, false);
	connect(&b, &PHONE_C, false);
	fail_pin(&b, &PHONE_C);
	ck_assert(rb_policy_locked_out(b.p, b.now));
	box_free(&b);
}
END_TEST

START_TEST(test_lockout_survives_restart)
{
	Box b;

	box_init(&b);
	box_chord(&b);
	connect(&b, &PHONE_A, false);
	fail_pin(&b, &PHONE_A);
	fail_pin(&b, &PHONE_A);
	fail_pin(&b, &PHONE_A);
	ck_assert(rb_policy_locked_out(b.p, b.now));
	box_run_to(&b, b.now + 100000);
	/* the daemon restarts 50 s later (reboot: monotonic clock reset) */
	box_restart(&b, 50000);
	ck_assert(rb_policy_locked_out(b.p, b.now));
	ck_assert_int_eq(screen(&b), RB_SCREEN_LOCKOUT);
	ck_assert_uint_eq(rb_policy_screen(b.p)->seconds_left, 150);
	box_chord(&b);
	ck_assert(!rb_policy_pairing_mode(b.p));
	box_run_to(&b, b.now + 150000);
	ck_assert(!rb_policy_locked_out(b.p, b.now));
	box_free(&b);
}
END_TEST

START_TEST(test_lockout_clock_back)
{
	Box b;
	RbState st;

	box_init(&b);
	rb_policy_free(b.p);
	rb_state_init(&st);
	st.lockout_active = true;
	st.pin_failures = 3;
	st.lockout_start_wall_ms = WALL0 + 1000000; /* in the future */
	st.lockout_ms = 300000;
	box_start_with(&b, &st, 10, WALL0);
	ck_assert(rb_policy_locked_out(b.p, b.now));
	ck_assert_uint_eq(rb_policy_screen(b.p)->seconds_left, 300);
	ck_assert(b.persisted);
	ck_assert_int_eq(b.last_persisted.lockout_start_wall_ms, WALL0);
	box_free(&b);
}
END_TEST

START_TEST(test_lockout_expired_while_down)
{
	Box b;
	RbState st;

	box_init(&b);
	rb_policy_free(b.p);
	rb_state_init(&st);
	st.lockout_active = true;
	st.pin_failures = 3;
	st.lockout_start_wall_ms = WALL0 - 400000;
	st.lockout_ms = 300000;
	box_start_with(&b, &st, 10, WALL0);
	ck_assert(!rb_policy_locked_out(b.p, b.now));
	ck_assert(b.persisted && !b.last_persisted.lockout_active);
	ck_assert_uint_eq(b.last_persisted.pin_failures, 0);
	box_free(&b);
}
END_TEST

START_TEST(test_conservative_state_locks)
{
	Box b;
	RbState st;

	box_init(&b);
	rb_policy_free(b.p);
	rb_state_init_conservative(&st, WALL0, 300000);
	box_start_with(&b, &st, 10, WALL0);
	ck_assert(rb_policy_locked_out(b.p, b.now));
	ck_assert(!rb_policy_owner(b.p));
	box_free(&b);
}
END_TEST

/* ---- owner ---- */

START_TEST(test_owner_change)
{
	Box b;
	RbPeer gone;

	box_init(&b);
	ck_assert(rb_peer_set(&gone, "C0:00:00:00:00:09", RB_ADDR_RANDOM));
	/* a stale bond of someone not connected is removed at once */
	rb_policy_bond_added(b.p, &gone, b.now, b.fx);
	box_collect(&b);
	ck_assert(has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &gone));
	rb_policy_bond_removed(b.p, &gone, b.now, b.fx);

	pair(&b, &PHONE_A);
	ck_assert(b.last_persisted.has_owner);
	ck_assert(rb_peer_equal(&b.last_persisted.owner, &PHONE_A));
	ck_assert_int_eq(b.last_persisted.owner_key, RB_KEY_AUTH_P256);
	ck_assert_int_eq(owner_write(&b, &PHONE_A), RB_WRITE_OK);
	ck_assert_int_eq(status(&b), RB_ACCESS_WRITE_AUTHORIZED);
	ck_assert_int_eq(screen(&b), RB_SCREEN_PAIRED_OK);
	box_run_to(&b, b.now + 3000);
	ck_assert_int_eq(screen(&b), RB_SCREEN_IDLE);

	/* B pairs while A stays connected: A is downgraded at once, its
	 * bond is removed only when it disconnects */
	box_clear(&b);
	pair(&b, &PHONE_B);
	ck_assert(rb_policy_is_downgraded(b.p, &PHONE_A));
	ck_assert(!has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &PHONE_A));
	ck_assert(!has_peer_effect(&b, RB_EFFECT_DISCONNECT, &PHONE_A));
	ck_assert_int_eq(owner_write(&b, &PHONE_A),
			 RB_WRITE_REJECT_NOT_AUTHORIZED);
	ck_assert_int_eq(owner_write(&b, &PHONE_B), RB_WRITE_OK);
	box_clear(&b);
	disconnect(&b, &PHONE_A, false);
	ck_assert(has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &PHONE_A));
	ck_assert(!has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &PHONE_B));
	box_free(&b);
}
END_TEST

START_TEST(test_owner_other_bond_not_connected_removed_now)
{
	Box b;

	box_init(&b);
	pair(&b, &PHONE_A);
	disconnect(&b, &PHONE_A, false);
	box_clear(&b);
	pair(&b, &PHONE_B);
	ck_assert(has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &PHONE_A));
	box_free(&b);
}
END_TEST

START_TEST(test_bond_outside_pairing_mode_dropped)
{
	Box b;

	box_init(&b);
	connect(&b, &PHONE_A, false);
	box_clear(&b);
	rb_policy_new_key(b.p, &PHONE_A, RB_KEY_AUTH_P256, true, b.now, b.fx);
	box_collect(&b);
	ck_assert(!rb_policy_owner(b.p));
	ck_assert(has_peer_effect(&b, RB_EFFECT_DISCONNECT, &PHONE_A));
	box_clear(&b);
	rb_policy_bond_added(b.p, &PHONE_A, b.now, b.fx);
	disconnect(&b, &PHONE_A, false);
	ck_assert(has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &PHONE_A));
	box_free(&b);
}
END_TEST

START_TEST(test_bond_of_other_peer_than_pin)
{
	Box b;

	box_init(&b);
	box_chord(&b);
	connect(&b, &PHONE_A, false);
	connect(&b, &PHONE_B, false);
	ck_assert(passkey(&b, &PHONE_A, 5));
	rb_policy_new_key(b.p, &PHONE_B, RB_KEY_AUTH_P256, true, b.now, b.fx);
	box_collect(&b);
	ck_assert(!rb_policy_owner(b.p));
	ck_assert(has_peer_effect(&b, RB_EFFECT_DISCONNECT, &PHONE_B));
	box_free(&b);
}
END_TEST

START_TEST(test_renamed_peer_pairs)
{
	Box b;
	RbPeer rpa;

	box_init(&b);
	ck_assert(rb_peer_set(&rpa, "4A:11:22:33:44:55", RB_ADDR_RANDOM));
	box_chord(&b);
	connect(&b, &rpa, false);
	ck_assert(passkey(&b, &rpa, 99));
	rb_policy_peer_renamed(b.p, &rpa, &PHONE_A);
	rb_policy_new_key(b.p, &PHONE_A, RB_KEY_AUTH_P256, true, b.now, b.fx);
	box_collect(&b);
	ck_assert(rb_policy_owner(b.p));
	ck_assert_int_eq(status(&b), RB_ACCESS_WRITE_AUTHORIZED);
	box_free(&b);
}
END_TEST

START_TEST(test_startup_reconcile)
{
	Box b;
	RbState st;

	box_init(&b);
	rb_policy_free(b.p);
	rb_state_init(&st);
	st.has_owner = true;
	st.owner = PHONE_A;
	st.owner_key = RB_KEY_AUTH_P256;
	box_start_with(&b, &st, 10, WALL0);
	connect(&b, &PHONE_C, true);
	box_clear(&b);
	rb_policy_bond_added(b.p, &PHONE_A, b.now, b.fx);
	rb_policy_bond_added(b.p, &PHONE_B, b.now, b.fx);
	rb_policy_bond_added(b.p, &PHONE_C, b.now, b.fx);
	box_collect(&b);
	ck_assert(!has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &PHONE_A));
	ck_assert(has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &PHONE_B));
	/* connected: kept until it disconnects */
	ck_assert(!has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &PHONE_C));
	disconnect(&b, &PHONE_C, false);
	ck_assert(has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &PHONE_C));
	box_free(&b);
}
END_TEST

START_TEST(test_owner_bond_removed)
{
	Box b;

	box_init(&b);
	pair(&b, &PHONE_A);
	rb_policy_bond_removed(b.p, &PHONE_A, b.now, b.fx);
	box_collect(&b);
	ck_assert(!rb_policy_owner(b.p));
	ck_assert(!b.last_persisted.has_owner);
	ck_assert_int_eq(owner_write(&b, &PHONE_A),
			 RB_WRITE_REJECT_NOT_AUTHORIZED);
	box_free(&b);
}
END_TEST

/* ---- access status ---- */

START_TEST(test_access_transitions)
{
	Box b;
	const RbEffect *e;

	box_init(&b);
	ck_assert_int_eq(status(&b), RB_ACCESS_NO_CONNECTION);
	box_clear(&b);
	connect(&b, &PHONE_A, false);
	e = last(&b, RB_EFFECT_NOTIFY_ACCESS);
	ck_assert(e && e->access.status == RB_ACCESS_READ_ONLY);
	box_clear(&b);
	box_chord(&b);
	e = last(&b, RB_EFFECT_NOTIFY_ACCESS);
	ck_assert(e && e->access.status == RB_ACCESS_PAIRING_MODE);
	ck_assert_uint_gt(e->access.pairing_time_left_ms, 58000);
	ck_assert(passkey(&b, &PHONE_A, 1));
	box_clear(&b);
	rb_policy_new_key(b.p, &PHONE_A, RB_KEY_AUTH_P256, true, b.now, b.fx);
	box_collect(&b);
	e = last(&b, RB_EFFECT_NOTIFY_ACCESS);
	ck_assert(e && e->access.status == RB_ACCESS_WRITE_AUTHORIZED);
	ck_assert(e->access.has_owner);
	box_clear(&b);
	disconnect(&b, &PHONE_A, false);
	e = last(&b, RB_EFFECT_NOTIFY_ACCESS);
	ck_assert(e && e->access.status == RB_ACCESS_NO_CONNECTION);
	/* the owner reconnects: read-only until its link is encrypted */
	connect(&b, &PHONE_A, true);
	ck_assert_int_eq(status(&b), RB_ACCESS_READ_ONLY);
	box_clear(&b);
	rb_policy_encrypted(b.p, &PHONE_A, b.now, b.fx);
	box_collect(&b);
	e = last(&b, RB_EFFECT_NOTIFY_ACCESS);
	ck_assert(e && e->access.status == RB_ACCESS_WRITE_AUTHORIZED);
	/* no update when nothing changed */
	box_clear(&b);
	rb_policy_encrypted(b.p, &PHONE_A, b.now, b.fx);
	ck_assert_uint_eq(count(&b, RB_EFFECT_NOTIFY_ACCESS), 0);
	/* a second, unpaired peer does not change the status */
	connect(&b, &PHONE_B, false);
	ck_assert_int_eq(status(&b), RB_ACCESS_WRITE_AUTHORIZED);
	/* pairing mode wins over everything */
	box_chord(&b);
	ck_assert_int_eq(status(&b), RB_ACCESS_PAIRING_MODE);
	box_press(&b, RB_BUTTON_QUIZZER_RESET);
	ck_assert_int_eq(status(&b), RB_ACCESS_WRITE_AUTHORIZED);
	disconnect(&b, &PHONE_A, false);
	ck_assert_int_eq(status(&b), RB_ACCESS_READ_ONLY);
	box_free(&b);
}
END_TEST

/* ---- stale bonds ---- */

START_TEST(test_stale_strikes)
{
	Box b;
	const RbEffect *e;

	box_init(&b);
	pair(&b, &PHONE_A);
	disconnect(&b, &PHONE_A, false);
	box_run_to(&b, b.now + 5000);
	box_clear(&b);
	/* strike 1: quick drop without encryption */
	connect(&b, &PHONE_A, true);
	box_run_to(&b, b.now + 1000);
	disconnect(&b, &PHONE_A, false);
	ck_assert_int_eq(rb_policy_state(b.p)->stale, RB_STALE_NONE);
	/* a slow drop is no strike, but it does not reset either */
	connect(&b, &PHONE_A, true);
	box_run_to(&b, b.now + 3001);
	disconnect(&b, &PHONE_A, false);
	ck_assert_int_eq(rb_policy_state(b.p)->stale, RB_STALE_NONE);
	/* strike 2: flagged */
	connect(&b, &PHONE_A, true);
	box_run_to(&b, b.now + 3000);
	disconnect(&b, &PHONE_A, false);
	ck_assert_int_eq(rb_policy_state(b.p)->stale,
			 RB_STALE_BOX_HAS_STALE_BOND);
	ck_assert_int_eq(b.last_persisted.stale, RB_STALE_BOX_HAS_STALE_BOND);
	ck_assert_int_eq(screen(&b), RB_SCREEN_STALE_BOND);
	e = last(&b, RB_EFFECT_NOTIFY_ACCESS);
	ck_assert(e && e->access.stale == RB_STALE_BOX_HAS_STALE_BOND);
	/* never deletes a bond */
	ck_assert_uint_eq(count(&b, RB_EFFECT_REMOVE_BOND), 0);
	ck_assert(rb_policy_owner(b.p));
	/* more strikes: still nothing deleted */
	for (int i = 0; i < 5; i++) {
		connect(&b, &PHONE_A, true);
		disconnect(&b, &PHONE_A, false);
	}
	ck_assert_uint_eq(count(&b, RB_EFFECT_REMOVE_BOND), 0);
	/* an encrypted connection clears the flag */
	connect(&b, &PHONE_A, true);
	rb_policy_encrypted(b.p, &PHONE_A, b.now, b.fx);
	ck_assert_int_eq(rb_policy_state(b.p)->stale, RB_STALE_NONE);
	box_free(&b);
}
END_TEST

START_TEST(test_stale_reset_by_encryption)
{
	Box b;

	box_init(&b);
	pair(&b, &PHONE_A);
	disconnect(&b, &PHONE_A, false);
	connect(&b, &PHONE_A, true);
	disconnect(&b, &PHONE_A, false); /* strike 1 */
	connect(&b, &PHONE_A, true);
	rb_policy_encrypted(b.p, &PHONE_A, b.now, b.fx);
	disconnect(&b, &PHONE_A, false); /* encrypted: reset */
	connect(&b, &PHONE_A, true);
	disconnect(&b, &PHONE_A, false); /* strike 1 again */
	ck_assert_int_eq(rb_policy_state(b.p)->stale, RB_STALE_NONE);
	connect(&b, &PHONE_A, true);
	disconnect(&b, &PHONE_A, false); /* strike 2 */
	ck_assert_int_eq(rb_policy_state(b.p)->stale,
			 RB_STALE_BOX_HAS_STALE_BOND);
	/* pairing again clears it */
	pair(&b, &PHONE_A);
	ck_assert_int_eq(rb_policy_state(b.p)->stale, RB_STALE_NONE);
	box_free(&b);
}
END_TEST

START_TEST(test_stale_phone_side)
{
	Box b;

	box_init(&b);
	/* unknown peers (rotating addresses) dropping on a missing key */
	connect(&b, &PHONE_B, false);
	disconnect(&b, &PHONE_B, true);
	ck_assert_int_eq(rb_policy_state(b.p)->stale, RB_STALE_NONE);
	/* a quick drop without a key attempt is no strike */
	connect(&b, &PHONE_C, false);
	disconnect(&b, &PHONE_C, false);
	ck_assert_int_eq(rb_policy_state(b.p)->stale, RB_STALE_NONE);
	connect(&b, &PHONE_C, false);
	disconnect(&b, &PHONE_C, true);
	ck_assert_int_eq(rb_policy_state(b.p)->stale,
			 RB_STALE_PHONE_HAS_STALE_BOND);
	ck_assert_int_eq(screen(&b), RB_SCREEN_STALE_BOND);
	ck_assert_uint_eq(rb_policy_screen(b.p)->stale,
			  RB_STALE_PHONE_HAS_STALE_BOND);
	ck_assert_uint_eq(count(&b, RB_EFFECT_REMOVE_BOND), 0);
	box_free(&b);
}
END_TEST

START_TEST(test_stale_not_from_pairing)
{
	Box b;

	box_init(&b);
	/* wrong PINs (key failures) are PIN failures, not stale bonds */
	box_chord(&b);
	connect(&b, &PHONE_B, false);
	fail_pin(&b, &PHONE_B);
	disconnect(&b, &PHONE_B, true);
	connect(&b, &PHONE_C, false);
	disconnect(&b, &PHONE_C, true);
	connect(&b, &PHONE_C, false);
	disconnect(&b, &PHONE_C, true);
	ck_assert_int_eq(rb_policy_state(b.p)->stale, RB_STALE_NONE);
	/* outside pairing mode, a PIN shown then failing is no strike */
	box_press(&b, RB_BUTTON_TIMER_RESET);
	connect(&b, &PHONE_B, false);
	ck_assert(!passkey(&b, &PHONE_B, 5));
	disconnect(&b, &PHONE_B, true);
	connect(&b, &PHONE_C, false);
	disconnect(&b, &PHONE_C, true);
	ck_assert_int_eq(rb_policy_state(b.p)->stale, RB_STALE_NONE);
	box_free(&b);
}
END_TEST

START_TEST(test_stale_unbonded_slow_no_strike)
{
	Box b;

	box_init(&b);
	for (int i = 0; i < 4; i++) {
		connect(&b, &PHONE_B, false);
		box_run_to(&b, b.now + 4000);
		disconnect(&b, &PHONE_B, true);
	}
	ck_assert_int_eq(rb_policy_state(b.p)->stale, RB_STALE_NONE);
	box_free(&b);
}
END_TEST

/* ---- config ---- */

START_TEST(test_config_set)
{
	Box b;
	RbConfigUpdate u = {0};
	RbSetting bad;
	unsigned int persists;

	box_init(&b);
	u.has[RB_SETTING_PIN_FAILURE_LIMIT] = true;
	u.value[RB_SETTING_PIN_FAILURE_LIMIT] = 5;
	u.has[RB_SETTING_PIN_LOCKOUT_MS] = true;
	u.value[RB_SETTING_PIN_LOCKOUT_MS] = 1; /* out of range */
	box_clear(&b);
	ck_assert(!rb_policy_set_config(b.p, &u, &bad, b.now, b.fx));
	ck_assert_int_eq(bad, RB_SETTING_PIN_LOCKOUT_MS);
	ck_assert_uint_eq(b.fx->len, 0);
	ck_assert_uint_eq(
		rb_policy_config(b.p)->value[RB_SETTING_PIN_FAILURE_LIMIT], 3);

	u.value[RB_SETTING_PIN_LOCKOUT_MS] = 10000;
	ck_assert(rb_policy_set_config(b.p, &u, &bad, b.now, b.fx));
	box_collect(&b);
	persists = count(&b, RB_EFFECT_PERSIST);
	ck_assert_uint_eq(persists, 1);
	ck_assert(b.last_persisted.overrides.has[RB_SETTING_PIN_FAILURE_LIMIT]);
	ck_assert(
		!b.last_persisted.overrides.has[RB_SETTING_STALE_BOND_STRIKES]);
	ck_assert_uint_eq(
		rb_policy_config(b.p)->value[RB_SETTING_PIN_FAILURE_LIMIT], 5);

	/* overrides survive a restart */
	box_restart(&b, 1000);
	ck_assert_uint_eq(
		rb_policy_config(b.p)->value[RB_SETTING_PIN_LOCKOUT_MS], 10000);
	box_free(&b);
}
END_TEST

START_TEST(test_config_bad_override_ignored)
{
	Box b;
	RbState st;

	box_init(&b);
	rb_policy_free(b.p);
	rb_state_init(&st);
	st.overrides.has[RB_SETTING_STALE_BOND_STRIKES] = true;
	st.overrides.value[RB_SETTING_STALE_BOND_STRIKES] = 99;
	box_start_with(&b, &st, 10, WALL0);
	ck_assert_uint_eq(
		rb_policy_config(b.p)->value[RB_SETTING_STALE_BOND_STRIKES], 2);
	box_free(&b);
}
END_TEST

/* ---- clocks: a lockout is never shortened by a clock step ---- */

static void lock_out(Box *b)
{
	box_chord(b);
	connect(b, &PHONE_A, false);
	fail_pin(b, &PHONE_A);
	fail_pin(b, &PHONE_A);
	fail_pin(b, &PHONE_A);
	ck_assert(rb_policy_locked_out(b->p, b->now));
}

typedef struct {
	const char *name;
	int64_t step; /* the wall clock's step between lockout and restart */
} StepCase;

static const StepCase step_cases[] = {
	{"/policy/time/step-forward-10min", 600000},
	{"/policy/time/step-back-10min", -600000},
	{"/policy/time/no-step", 0},
};

START_TEST(test_lockout_clock_step_same_boot)
{
	const StepCase *c = &step_cases[_i];
	Box b;

	box_init(&b);
	lock_out(&b);
	box_run_to(&b, b.now + 20000);
	/* NTP steps the clock, the daemon restarts 30 s later */
	box_restart_same_boot(&b, 30000, c->step);
	ck_assert_msg(rb_policy_locked_out(b.p, b.now), "%s", c->name);
	ck_assert_uint_eq(rb_policy_screen(b.p)->seconds_left, 250);
	box_chord(&b);
	ck_assert_msg(!rb_policy_pairing_mode(b.p), "%s", c->name);
	box_run_to(&b, b.now + 240000);
	ck_assert(rb_policy_locked_out(b.p, b.now));
	box_run_to(&b, b.now + 11000);
	ck_assert(!rb_policy_locked_out(b.p, b.now));
	box_free(&b);
}
END_TEST

/* A lockout carried over a reboot counts on by the new boot's clock: a
 * later clock step and restart in that boot do not shorten it. */
START_TEST(test_lockout_reboot_then_step)
{
	Box b;

	box_init(&b);
	lock_out(&b);
	box_restart(&b, 100000); /* 200 s left */
	ck_assert_uint_eq(rb_policy_screen(b.p)->seconds_left, 200);
	ck_assert_str_eq(b.last_persisted.lockout_boot_id, BOOT_B);
	box_restart_same_boot(&b, 1000, 3600000);
	ck_assert(rb_policy_locked_out(b.p, b.now));
	ck_assert_uint_eq(rb_policy_screen(b.p)->seconds_left, 199);
	box_free(&b);
}
END_TEST

/* ---- the key of the current connection ---- */

/* A central with the owner's address and none of its keys pairs without
 * bonding outside pairing mode: not the owner, disconnected, and the
 * owner's bond stays. */
START_TEST(test_key_spoofed_owner_unbonded)
{
	Box b;

	box_init(&b);
	pair(&b, &PHONE_A);
	disconnect(&b, &PHONE_A, false);
	box_run_to(&b, b.now + 5000);
	connect(&b, &PHONE_A, true);
	box_clear(&b);
	rb_policy_new_key(b.p, &PHONE_A, RB_KEY_AUTH_P256, false, b.now, b.fx);
	box_collect(&b);
	ck_assert(has_peer_effect(&b, RB_EFFECT_DISCONNECT, &PHONE_A));
	ck_assert(!has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &PHONE_A));
	ck_assert(rb_peer_equal(rb_policy_owner(b.p), &PHONE_A));
	ck_assert_int_eq(owner_write(&b, &PHONE_A),
			 RB_WRITE_REJECT_NOT_AUTHORIZED);
	ck_assert_int_ne(status(&b), RB_ACCESS_WRITE_AUTHORIZED);
	disconnect(&b, &PHONE_A, false);
	ck_assert(!has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &PHONE_A));
	/* the real owner reconnects with its bond and writes */
	connect(&b, &PHONE_A, true);
	ck_assert_int_eq(owner_write(&b, &PHONE_A), RB_WRITE_OK);
	box_free(&b);
}
END_TEST

/* A key stored over the owner's outside pairing mode (another agent made
 * the box bondable) replaces the owner's key: no owner, the bond goes. */
START_TEST(test_key_stored_over_owner)
{
	Box b;

	box_init(&b);
	pair(&b, &PHONE_A);
	disconnect(&b, &PHONE_A, false);
	connect(&b, &PHONE_A, true);
	box_clear(&b);
	rb_policy_new_key(b.p, &PHONE_A, RB_KEY_AUTH_P256, true, b.now, b.fx);
	box_collect(&b);
	ck_assert(has_peer_effect(&b, RB_EFFECT_DISCONNECT, &PHONE_A));
	ck_assert(!rb_policy_owner(b.p));
	ck_assert(!b.last_persisted.has_owner);
	disconnect(&b, &PHONE_A, false);
	ck_assert(has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &PHONE_A));
	box_free(&b);
}
END_TEST

/* Pairing without bonding in pairing mode, with the PIN: a PIN failure,
 * no owner. */
START_TEST(test_key_unbonded_in_pairing_mode)
{
	Box b;

	box_init(&b);
	box_chord(&b);
	connect(&b, &PHONE_A, false);
	ck_assert(passkey(&b, &PHONE_A, 424242));
	rb_policy_new_key(b.p, &PHONE_A, RB_KEY_AUTH_P256, false, b.now, b.fx);
	box_collect(&b);
	ck_assert(!rb_policy_owner(b.p));
	ck_assert_uint_eq(rb_policy_state(b.p)->pin_failures, 1);
	ck_assert(has_peer_effect(&b, RB_EFFECT_DISCONNECT, &PHONE_A));
	box_free(&b);
}
END_TEST

/* The same passkey again (keypresses, or the kernel's report as well as
 * the agent's) is the same answer; the PIN is logged once. */
START_TEST(test_passkey_repeat)
{
	Box b;
	unsigned int logs;

	box_init(&b);
	box_chord(&b);
	connect(&b, &PHONE_A, false);
	connect(&b, &PHONE_B, false);
	box_clear(&b);
	ck_assert(passkey(&b, &PHONE_A, 654321));
	logs = count(&b, RB_EFFECT_LOG);
	ck_assert(passkey(&b, &PHONE_A, 654321));
	ck_assert(passkey(&b, &PHONE_A, 654321));
	ck_assert_uint_eq(count(&b, RB_EFFECT_LOG), logs);
	ck_assert_uint_eq(count(&b, RB_EFFECT_DISCONNECT), 0);
	/* another peer, or another passkey, is another pairing */
	ck_assert(!passkey(&b, &PHONE_B, 654321));
	ck_assert(has_peer_effect(&b, RB_EFFECT_DISCONNECT, &PHONE_B));
	/* outside pairing mode a repeat is refused too */
	box_press(&b, RB_BUTTON_TIMER_RESET);
	ck_assert(!passkey(&b, &PHONE_A, 654321));
	box_free(&b);
}
END_TEST

/* The agent's report of a PIN can reach a busy daemon after the pairing
 * ended (seen under valgrind on the real stack): the new owner is not
 * disconnected for it. A new passkey afterwards is a new pairing. */
START_TEST(test_passkey_late_report)
{
	Box b;

	box_init(&b);
	box_chord(&b);
	connect(&b, &PHONE_A, false);
	ck_assert(passkey(&b, &PHONE_A, 455261));
	rb_policy_new_key(b.p, &PHONE_A, RB_KEY_AUTH_P256, true, b.now, b.fx);
	box_collect(&b);
	ck_assert(rb_peer_equal(rb_policy_owner(b.p), &PHONE_A));
	box_clear(&b);
	ck_assert(!passkey(&b, &PHONE_A, 455261));
	ck_assert(!has_peer_effect(&b, RB_EFFECT_DISCONNECT, &PHONE_A));
	ck_assert_int_eq(owner_write(&b, &PHONE_A), RB_WRITE_OK);
	/* another passkey is another pairing, refused outside pairing mode */
	ck_assert(!passkey(&b, &PHONE_A, 111111));
	ck_assert(has_peer_effect(&b, RB_EFFECT_DISCONNECT, &PHONE_A));
	/* after a disconnect the old PIN is nothing special */
	disconnect(&b, &PHONE_A, false);
	connect(&b, &PHONE_A, true);
	box_clear(&b);
	ck_assert(!passkey(&b, &PHONE_A, 455261));
	ck_assert(has_peer_effect(&b, RB_EFFECT_DISCONNECT, &PHONE_A));
	box_free(&b);
}
END_TEST

START_TEST(test_pairing_method_refused)
{
	Box b;

	box_init(&b);
	box_chord(&b);
	connect(&b, &PHONE_A, false);
	box_clear(&b);
	rb_policy_pairing_method_refused(b.p, &PHONE_A, "a confirmation", b.now,
					 b.fx);
	box_collect(&b);
	ck_assert(has_peer_effect(&b, RB_EFFECT_DISCONNECT, &PHONE_A));
	/* then a key arrives anyway: refused, not the owner */
	rb_policy_new_key(b.p, &PHONE_A, RB_KEY_AUTH_P256, true, b.now, b.fx);
	box_collect(&b);
	ck_assert(!rb_policy_owner(b.p));
	box_free(&b);
}
END_TEST

START_TEST(test_write_over_bredr)
{
	Box b;
	RbLinkFacts f;

	box_init(&b);
	pair(&b, &PHONE_A);
	memset(&f, 0, sizeof(f));
	f.peer = PHONE_A;
	f.paired = f.bonded = f.encrypted = true;
	f.key = RB_KEY_AUTH_P256;
	f.le = false;
	ck_assert_int_eq(rb_policy_write(b.p, &f, b.now, b.fx),
			 RB_WRITE_REJECT_NOT_AUTHORIZED);
	f.le = true;
	ck_assert_int_eq(rb_policy_write(b.p, &f, b.now, b.fx), RB_WRITE_OK);
	box_free(&b);
}
END_TEST

/* ---- what is stored, and when ---- */

static int index_of(const Box *b, RbEffectKind kind, const RbPeer *peer)
{
	for (guint i = 0; i < b->fx->len; i++) {
		const RbEffect *e = &g_array_index(b->fx, RbEffect, i);

		if (e->kind == kind && (!peer || rb_peer_equal(&e->peer, peer)))
			return (int)i;
	}
	return -1;
}

/* The new owner is stored before any other bond is removed. */
START_TEST(test_owner_persisted_before_removal)
{
	Box b;
	int persist_at, remove_at;

	box_init(&b);
	pair(&b, &PHONE_A);
	disconnect(&b, &PHONE_A, false);
	box_chord(&b);
	connect(&b, &PHONE_B, false);
	ck_assert(passkey(&b, &PHONE_B, 111111));
	box_clear(&b);
	rb_policy_new_key(b.p, &PHONE_B, RB_KEY_AUTH_P256, true, b.now, b.fx);
	box_collect(&b);
	persist_at = index_of(&b, RB_EFFECT_PERSIST, NULL);
	remove_at = index_of(&b, RB_EFFECT_REMOVE_BOND, &PHONE_A);
	ck_assert_int_ge(persist_at, 0);
	ck_assert_int_ge(remove_at, 0);
	ck_assert_int_lt(persist_at, remove_at);
	box_free(&b);
}
END_TEST

/* A new owner that cannot be stored is not the owner: the old owner keeps
 * its bond and its write access, the new peer is disconnected. */
START_TEST(test_owner_not_stored)
{
	Box b;

	box_init(&b);
	pair(&b, &PHONE_A);
	box_chord(&b);
	connect(&b, &PHONE_B, false);
	ck_assert(passkey(&b, &PHONE_B, 111111));
	box_clear(&b);
	b.store_fails = true;
	rb_policy_new_key(b.p, &PHONE_B, RB_KEY_AUTH_P256, true, b.now, b.fx);
	box_collect(&b);
	ck_assert(rb_peer_equal(rb_policy_owner(b.p), &PHONE_A));
	ck_assert(rb_peer_equal(&b.last_persisted.owner, &PHONE_A));
	ck_assert(has_peer_effect(&b, RB_EFFECT_DISCONNECT, &PHONE_B));
	ck_assert(rb_policy_storage_failed(b.p));
	ck_assert(!rb_policy_is_downgraded(b.p, &PHONE_A));
	ck_assert_int_eq(owner_write(&b, &PHONE_A), RB_WRITE_OK);
	/* A's bond is not removed when it disconnects; B's is */
	box_clear(&b);
	disconnect(&b, &PHONE_A, false);
	ck_assert(!has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &PHONE_A));
	rb_policy_bond_added(b.p, &PHONE_B, b.now, b.fx);
	disconnect(&b, &PHONE_B, false);
	ck_assert(has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &PHONE_B));
	box_free(&b);
}
END_TEST

/* A config change that cannot be stored is not applied. */
START_TEST(test_config_not_stored)
{
	Box b;
	RbConfigUpdate u = {0};
	RbSetting bad;

	box_init(&b);
	u.has[RB_SETTING_PIN_FAILURE_LIMIT] = true;
	u.value[RB_SETTING_PIN_FAILURE_LIMIT] = 5;
	b.store_fails = true;
	ck_assert(rb_policy_set_config(b.p, &u, &bad, b.now, b.fx));
	box_collect(&b);
	ck_assert(rb_policy_storage_failed(b.p));
	ck_assert_uint_eq(
		rb_policy_config(b.p)->value[RB_SETTING_PIN_FAILURE_LIMIT], 3);
	ck_assert(!rb_policy_state(b.p)
			   ->overrides.has[RB_SETTING_PIN_FAILURE_LIMIT]);
	box_free(&b);
}
END_TEST

/* PIN failures fail safe: while the state cannot be stored, pairing is
 * refused; it opens again once a retried store succeeds. */
START_TEST(test_pin_failure_not_stored)
{
	Box b;

	box_init(&b);
	box_chord(&b);
	connect(&b, &PHONE_A, false);
	b.store_fails = true;
	fail_pin(&b, &PHONE_A);
	ck_assert(rb_policy_storage_failed(b.p));
	ck_assert(!rb_policy_pairing_mode(b.p));
	box_chord(&b);
	ck_assert(!rb_policy_pairing_mode(b.p));
	ck_assert(!passkey(&b, &PHONE_A, 2));
	/* the disk has room again: the retry stores, pairing opens */
	b.store_fails = false;
	box_run_to(&b, b.now + 6000);
	ck_assert(!rb_policy_storage_failed(b.p));
	ck_assert_uint_eq(b.last_persisted.pin_failures, 1);
	box_chord(&b);
	ck_assert(rb_policy_pairing_mode(b.p));
	box_free(&b);
}
END_TEST

/* After a corrupt state file: a full lockout, and no bond is deleted
 * until a pairing in pairing mode makes a new owner. */
START_TEST(test_corrupt_state_keeps_bonds)
{
	Box b;
	RbState st;

	box_init(&b);
	rb_policy_free(b.p);
	b.p = NULL;
	rb_state_init_conservative(&st, WALL0, 300000);
	box_start_with(&b, &st, 10, WALL0);
	rb_policy_bond_added(b.p, &PHONE_A, b.now, b.fx);
	rb_policy_bond_added(b.p, &PHONE_B, b.now, b.fx);
	box_collect(&b);
	ck_assert_uint_eq(count(&b, RB_EFFECT_REMOVE_BOND), 0);
	ck_assert(rb_policy_locked_out(b.p, b.now));
	/* the flag survives a restart */
	box_run_to(&b, b.now + 301000);
	ck_assert(b.last_persisted.owner_unknown);
	box_restart_same_boot(&b, 1000, 0);
	box_clear(&b);
	rb_policy_bond_added(b.p, &PHONE_A, b.now, b.fx);
	rb_policy_bond_added(b.p, &PHONE_B, b.now, b.fx);
	box_collect(&b);
	ck_assert_uint_eq(count(&b, RB_EFFECT_REMOVE_BOND), 0);
	/* the physical gesture and a pairing: A is the owner, B goes */
	box_clear(&b);
	pair(&b, &PHONE_A);
	ck_assert(has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &PHONE_B));
	ck_assert(!b.last_persisted.owner_unknown);
	box_free(&b);
}
END_TEST

/* ---- stale hints ---- */

/* Pairings the kernel refuses outside pairing mode (Authentication
 * Failed, then a drop) put no stale hint on the box. */
START_TEST(test_stale_not_from_refused_pairing)
{
	Box b;

	box_init(&b);
	for (int i = 0; i < 4; i++) {
		const RbPeer *peer = i % 2 ? &PHONE_B : &PHONE_C;

		connect(&b, peer, false);
		rb_policy_pairing_failed(b.p, peer, b.now, b.fx);
		box_collect(&b);
		disconnect(&b, peer, true);
	}
	ck_assert_int_eq(rb_policy_state(b.p)->stale, RB_STALE_NONE);
	ck_assert_int_eq(screen(&b), RB_SCREEN_IDLE);
	box_free(&b);
}
END_TEST

/* A bonded peer that tries to pair again (the kernel refuses it) instead
 * of encrypting has lost its key: a strike, as scenario 10 shows on the
 * real stack. */
START_TEST(test_stale_bonded_refused_pairing_strikes)
{
	Box b;

	box_init(&b);
	pair(&b, &PHONE_A);
	disconnect(&b, &PHONE_A, false);
	for (int i = 0; i < 2; i++) {
		connect(&b, &PHONE_A, true);
		rb_policy_pairing_failed(b.p, &PHONE_A, b.now, b.fx);
		box_collect(&b);
		disconnect(&b, &PHONE_A, false);
	}
	ck_assert_int_eq(rb_policy_state(b.p)->stale,
			 RB_STALE_BOX_HAS_STALE_BOND);
	ck_assert(rb_peer_equal(rb_policy_owner(b.p), &PHONE_A));
	box_free(&b);
}
END_TEST

/* Either hint clears when the owner reconnects and encrypts with its
 * bond. */
START_TEST(test_stale_cleared_by_owner)
{
	Box b;

	box_init(&b);
	pair(&b, &PHONE_A);
	disconnect(&b, &PHONE_A, false);
	connect(&b, &PHONE_B, false);
	disconnect(&b, &PHONE_B, true);
	connect(&b, &PHONE_C, false);
	disconnect(&b, &PHONE_C, true);
	ck_assert_int_eq(rb_policy_state(b.p)->stale,
			 RB_STALE_PHONE_HAS_STALE_BOND);
	connect(&b, &PHONE_A, true);
	rb_policy_encrypted(b.p, &PHONE_A, b.now, b.fx);
	box_collect(&b);
	ck_assert_int_eq(rb_policy_state(b.p)->stale, RB_STALE_NONE);
	ck_assert_int_eq(b.last_persisted.stale, RB_STALE_NONE);
	box_run_to(&b, b.now + 4000);
	ck_assert_int_eq(screen(&b), RB_SCREEN_IDLE);
	box_free(&b);
}
END_TEST

/* ---- button edges for the box's software ---- */

/* The RB_EFFECT_BUTTON effects collected so far, in order. */
static unsigned int button_effects(const Box *b, const RbEffect **out,
				   unsigned int max)
{
	unsigned int n = 0;

	for (guint i = 0; i < b->fx->len; i++) {
		const RbEffect *e = &g_array_index(b->fx, RbEffect, i);

		if (e->kind != RB_EFFECT_BUTTON)
			continue;
		if (n < max)
			out[n] = e;
		n++;
	}
	return n;
}

/* Every debounced edge is one effect: the button, its level, the raw
 * edge's time; a glitch is none. */
START_TEST(test_button_effect_edges)
{
	const RbEffect *e[8];
	RbTime pressed_at, released_at;
	Box b;

	box_init(&b);
	box_run_to(&b, 5000);
	box_clear(&b);
	pressed_at = b.now;
	box_button(&b, RB_BUTTON_TIMER_530, true);
	/* nothing until it settles */
	ck_assert_uint_eq(button_effects(&b, e, 8), 0);
	box_run_to(&b, b.now + 200);
	ck_assert_uint_eq(button_effects(&b, e, 8), 1);
	ck_assert_int_eq(e[0]->edge.button, RB_BUTTON_TIMER_530);
	ck_assert(e[0]->edge.pressed);
	ck_assert_uint_eq(e[0]->edge.at, pressed_at);
	ck_assert(!e[0]->edge.chord_held);
	ck_assert(!e[0]->pairing);
	released_at = b.now;
	box_button(&b, RB_BUTTON_TIMER_530, false);
	box_run_to(&b, b.now + 200);
	ck_assert_uint_eq(button_effects(&b, e, 8), 2);
	ck_assert_int_eq(e[1]->edge.button, RB_BUTTON_TIMER_530);
	ck_assert(!e[1]->edge.pressed);
	ck_assert_uint_eq(e[1]->edge.at, released_at);
	ck_assert(!e[1]->pairing);

	/* a glitch shorter than the debounce is no edge */
	box_clear(&b);
	box_button(&b, RB_BUTTON_CONTEST, true);
	b.now += RB_DEBOUNCE_MS - 1;
	box_button(&b, RB_BUTTON_CONTEST, false);
	box_run_to(&b, b.now + 1000);
	ck_assert_uint_eq(button_effects(&b, e, 8), 0);
	box_free(&b);
}
END_TEST

/* The press that ends pairing mode was pressed in it; the chord's own
 * presses and any press outside pairing mode were not. */
START_TEST(test_button_effect_pairing)
{
	const RbEffect *e[16];
	unsigned int n;
	Box b;

	box_init(&b);
	box_clear(&b);
	box_press(&b, RB_BUTTON_QUIZZER_RESET);
	n = button_effects(&b, e, 16);
	ck_assert_uint_eq(n, 2);
	ck_assert(e[0]->edge.pressed && !e[0]->pairing);

	/* the chord: three presses, before pairing mode opened; the third
	 * holds the chord */
	box_clear(&b);
	box_chord(&b);
	ck_assert(rb_policy_pairing_mode(b.p));
	n = button_effects(&b, e, 16);
	ck_assert_uint_eq(n, 6);
	for (unsigned int i = 0; i < 3; i++) {
		ck_assert(e[i]->edge.pressed);
		ck_assert(!e[i]->pairing);
		ck_assert(e[i]->edge.chord_held == (i == 2));
	}
	ck_assert_int_eq(e[0]->edge.button, RB_BUTTON_QUIZZER_RESET);
	ck_assert_int_eq(e[1]->edge.button, RB_BUTTON_TIMER_530);
	ck_assert_int_eq(e[2]->edge.button, RB_BUTTON_CONTEST);
	for (unsigned int i = 3; i < 6; i++) {
		ck_assert(!e[i]->edge.pressed);
		ck_assert(!e[i]->edge.chord_held);
	}

	/* a press that does not end it (TIMER_530) is a pairing-mode press */
	box_clear(&b);
	box_button(&b, RB_BUTTON_TIMER_530, true);
	box_run_to(&b, b.now + 100);
	ck_assert(rb_policy_pairing_mode(b.p));
	ck_assert_uint_eq(button_effects(&b, e, 16), 1);
	ck_assert(e[0]->edge.pressed && e[0]->pairing);
	box_button(&b, RB_BUTTON_TIMER_530, false);
	box_run_to(&b, b.now + 100);

	/* the QUIZZER_RESET press that ends pairing mode was pressed in it */
	box_clear(&b);
	box_button(&b, RB_BUTTON_QUIZZER_RESET, true);
	box_run_to(&b, b.now + 100);
	ck_assert(!rb_policy_pairing_mode(b.p));
	ck_assert_uint_eq(button_effects(&b, e, 16), 1);
	ck_assert_int_eq(e[0]->edge.button, RB_BUTTON_QUIZZER_RESET);
	ck_assert(e[0]->edge.pressed);
	ck_assert(e[0]->pairing);
	box_button(&b, RB_BUTTON_QUIZZER_RESET, false);
	box_run_to(&b, b.now + 100);

	/* the next one is not */
	box_clear(&b);
	box_press(&b, RB_BUTTON_QUIZZER_RESET);
	ck_assert_uint_eq(button_effects(&b, e, 16), 2);
	ck_assert(e[0]->edge.pressed && !e[0]->pairing);

	/* nor is a TIMER_RESET press after one that ended pairing mode */
	box_chord(&b);
	box_clear(&b);
	box_press(&b, RB_BUTTON_TIMER_RESET);
	ck_assert(!rb_policy_pairing_mode(b.p));
	ck_assert_uint_eq(button_effects(&b, e, 16), 2);
	ck_assert(e[0]->edge.pressed && e[0]->pairing);
	box_clear(&b);
	box_press(&b, RB_BUTTON_TIMER_RESET);
	ck_assert_uint_eq(button_effects(&b, e, 16), 2);
	ck_assert(e[0]->edge.pressed && !e[0]->pairing);
	box_free(&b);
}
END_TEST

START_TEST(test_chord_held_accessor)
{
	Box b;

	box_init(&b);
	ck_assert(!rb_policy_chord_held(b.p));
	box_button(&b, RB_BUTTON_QUIZZER_RESET, true);
	box_button(&b, RB_BUTTON_TIMER_530, true);
	box_button(&b, RB_BUTTON_CONTEST, true);
	/* raw, not yet debounced */
	ck_assert(!rb_policy_chord_held(b.p));
	box_run_to(&b, b.now + RB_DEBOUNCE_MS);
	ck_assert(rb_policy_chord_held(b.p));
	ck_assert(!rb_policy_pairing_mode(b.p));
	box_run_to(&b, b.now + RB_CHORD_HOLD_MS);
	ck_assert(rb_policy_pairing_mode(b.p));
	ck_assert(rb_policy_chord_held(b.p));
	box_button(&b, RB_BUTTON_TIMER_530, false);
	ck_assert(rb_policy_chord_held(b.p));
	box_run_to(&b, b.now + RB_DEBOUNCE_MS);
	ck_assert(!rb_policy_chord_held(b.p));
	box_free(&b);
}
END_TEST

/* ---- admin requests ---- */

/* Starts @b again, with no state, from b->cfg (changed by the test). */
static void box_reconfigure(Box *b)
{
	RbState st;

	rb_policy_free(b->p);
	rb_state_init(&st);
	box_start_with(b, &st, 1000, WALL0);
}

static RbAdminResult admin(Box *b,
			   RbAdminResult (*fn)(RbPolicy *, RbTime, RbEffects *))
{
	RbAdminResult r = fn(b->p, b->now, b->fx);

	box_collect(b);
	return r;
}

/* A store that fails: a config change whose PERSIST fails. */
static void break_storage(Box *b)
{
	RbConfigUpdate u = {0};
	RbSetting bad;

	u.has[RB_SETTING_STALE_BOND_STRIKES] = true;
	u.value[RB_SETTING_STALE_BOND_STRIKES] = 3;
	b->store_fails = true;
	ck_assert(rb_policy_set_config(b->p, &u, &bad, b->now, b->fx));
	box_collect(b);
	ck_assert(rb_policy_storage_failed(b->p));
}

/* Removes every bond the box asked to remove, as BlueZ would. */
static void carry_out_removals(Box *b)
{
	for (guint i = 0; i < b->fx->len; i++) {
		RbEffect e = g_array_index(b->fx, RbEffect, i);

		if (e.kind == RB_EFFECT_REMOVE_BOND)
			rb_policy_bond_removed(b->p, &e.peer, b->now, b->fx);
	}
	box_collect(b);
}

static RbPeerAccess peer_access(const Box *b, const RbPeer *peer)
{
	g_autoptr(GArray) peers = rb_policy_peers(b->p);

	for (guint i = 0; i < peers->len; i++) {
		const RbPeerInfo *info = &g_array_index(peers, RbPeerInfo, i);

		if (rb_peer_equal(&info->peer, peer))
			return info->access;
	}
	ck_abort_msg("%s is not among the peers", peer->addr);
	return RB_PEER_READ_ONLY;
}

/* The batch has a PERSIST, and no REMOVE_BOND comes before the first. */
static void removals_after_persist(const Box *b)
{
	int persist_at = index_of(b, RB_EFFECT_PERSIST, NULL);

	ck_assert_int_ge(persist_at, 0);
	for (guint i = 0; i < b->fx->len; i++)
		if (g_array_index(b->fx, RbEffect, i).kind ==
		    RB_EFFECT_REMOVE_BOND)
			ck_assert_int_gt((int)i, persist_at);
}

START_TEST(test_admin_exit_pairing)
{
	const RbEffect *e;
	Box b;

	box_init(&b);
	box_clear(&b);
	ck_assert_int_eq(admin(&b, rb_policy_exit_pairing),
			 RB_ADMIN_NOTHING_TO_DO);
	ck_assert_uint_eq(count(&b, RB_EFFECT_SET_PAIRABLE), 0);
	ck_assert_uint_eq(count(&b, RB_EFFECT_PERSIST), 0);

	box_chord(&b);
	ck_assert(rb_policy_pairing_mode(b.p));
	box_clear(&b);
	ck_assert_int_eq(admin(&b, rb_policy_exit_pairing), RB_ADMIN_DONE);
	ck_assert(!rb_policy_pairing_mode(b.p));
	e = last(&b, RB_EFFECT_SET_PAIRABLE);
	ck_assert(e && !e->pairable);
	ck_assert_int_eq(status(&b), RB_ACCESS_NO_CONNECTION);
	ck_assert_int_eq(screen(&b), RB_SCREEN_IDLE);
	e = last(&b, RB_EFFECT_NOTIFY_ACCESS);
	ck_assert(e && e->access.status == RB_ACCESS_NO_CONNECTION);
	ck_assert_int_eq(admin(&b, rb_policy_exit_pairing),
			 RB_ADMIN_NOTHING_TO_DO);

	/* with a PIN shown: the attempt is aborted, and it counts */
	box_chord(&b);
	connect(&b, &PHONE_A, false);
	ck_assert(passkey(&b, &PHONE_A, 246810));
	box_clear(&b);
	ck_assert_int_eq(admin(&b, rb_policy_exit_pairing), RB_ADMIN_DONE);
	ck_assert(has_peer_effect(&b, RB_EFFECT_DISCONNECT, &PHONE_A));
	ck_assert_uint_eq(b.last_persisted.pin_failures, 1);
	ck_assert_int_ne(screen(&b), RB_SCREEN_PIN);
	box_free(&b);
}
END_TEST

START_TEST(test_admin_enter_pairing_not_allowed)
{
	Box b;

	box_init(&b);
	ck_assert(!rb_policy_config(b.p)->allow_remote_pairing_mode);
	box_clear(&b);
	ck_assert_int_eq(admin(&b, rb_policy_enter_pairing),
			 RB_ADMIN_NOT_ALLOWED);
	ck_assert(!rb_policy_pairing_mode(b.p));
	ck_assert_uint_eq(count(&b, RB_EFFECT_SET_PAIRABLE), 0);
	/* the chord still works */
	box_chord(&b);
	ck_assert(rb_policy_pairing_mode(b.p));
	/* and the refusal does not depend on the state */
	ck_assert_int_eq(admin(&b, rb_policy_enter_pairing),
			 RB_ADMIN_NOT_ALLOWED);
	connect(&b, &PHONE_A, false);
	fail_pin(&b, &PHONE_A);
	fail_pin(&b, &PHONE_A);
	fail_pin(&b, &PHONE_A);
	ck_assert(rb_policy_locked_out(b.p, b.now));
	ck_assert_int_eq(admin(&b, rb_policy_enter_pairing),
			 RB_ADMIN_NOT_ALLOWED);
	box_free(&b);
}
END_TEST

START_TEST(test_admin_enter_pairing)
{
	const RbEffect *e;
	Box b;

	box_init(&b);
	b.cfg.allow_remote_pairing_mode = true;
	box_reconfigure(&b);
	box_clear(&b);
	ck_assert_int_eq(admin(&b, rb_policy_enter_pairing), RB_ADMIN_DONE);
	ck_assert(rb_policy_pairing_mode(b.p));
	e = last(&b, RB_EFFECT_SET_PAIRABLE);
	ck_assert(e && e->pairable);
	ck_assert_int_eq(status(&b), RB_ACCESS_PAIRING_MODE);
	ck_assert_int_eq(screen(&b), RB_SCREEN_PAIRING);
	ck_assert_uint_eq(rb_policy_pairing_seconds_left(b.p, b.now), 60);
	/* already open */
	box_clear(&b);
	ck_assert_int_eq(admin(&b, rb_policy_enter_pairing),
			 RB_ADMIN_NOTHING_TO_DO);
	ck_assert_uint_eq(count(&b, RB_EFFECT_SET_PAIRABLE), 0);
	/* it is real pairing mode: a PIN is shown, a pairing makes the
	 * owner, and it times out like the chord's */
	connect(&b, &PHONE_A, false);
	ck_assert(passkey(&b, &PHONE_A, 135790));
	ck_assert_int_eq(screen(&b), RB_SCREEN_PIN);
	rb_policy_new_key(b.p, &PHONE_A, RB_KEY_AUTH_P256, true, b.now, b.fx);
	box_collect(&b);
	ck_assert(rb_peer_equal(rb_policy_owner(b.p), &PHONE_A));
	ck_assert(!rb_policy_pairing_mode(b.p));
	ck_assert_int_eq(admin(&b, rb_policy_enter_pairing), RB_ADMIN_DONE);
	box_run_to(&b, b.now + 60000);
	ck_assert(!rb_policy_pairing_mode(b.p));
	e = last(&b, RB_EFFECT_SET_PAIRABLE);
	ck_assert(e && !e->pairable);
	box_free(&b);
}
END_TEST

START_TEST(test_admin_enter_pairing_locked_out)
{
	Box b;

	box_init(&b);
	b.cfg.allow_remote_pairing_mode = true;
	box_reconfigure(&b);
	ck_assert_int_eq(admin(&b, rb_policy_enter_pairing), RB_ADMIN_DONE);
	connect(&b, &PHONE_A, false);
	fail_pin(&b, &PHONE_A);
	fail_pin(&b, &PHONE_A);
	fail_pin(&b, &PHONE_A);
	ck_assert(rb_policy_locked_out(b.p, b.now));
	box_clear(&b);
	ck_assert_int_eq(admin(&b, rb_policy_enter_pairing),
			 RB_ADMIN_LOCKED_OUT);
	ck_assert(!rb_policy_pairing_mode(b.p));
	ck_assert_uint_eq(count(&b, RB_EFFECT_SET_PAIRABLE), 0);
	ck_assert_int_eq(screen(&b), RB_SCREEN_LOCKOUT);
	/* one ms before the end, still; at the end, open */
	box_run_to(&b, b.now + 299999);
	ck_assert_int_eq(admin(&b, rb_policy_enter_pairing),
			 RB_ADMIN_LOCKED_OUT);
	b.now += 1;
	ck_assert_int_eq(admin(&b, rb_policy_enter_pairing), RB_ADMIN_DONE);
	ck_assert(rb_policy_pairing_mode(b.p));
	box_free(&b);
}
END_TEST

START_TEST(test_admin_enter_pairing_storage_failed)
{
	Box b;

	box_init(&b);
	b.cfg.allow_remote_pairing_mode = true;
	box_reconfigure(&b);
	break_storage(&b);
	box_clear(&b);
	ck_assert_int_eq(admin(&b, rb_policy_enter_pairing),
			 RB_ADMIN_STORAGE_FAILED);
	ck_assert(!rb_policy_pairing_mode(b.p));
	ck_assert_uint_eq(count(&b, RB_EFFECT_SET_PAIRABLE), 0);
	/* the retried store succeeds: pairing mode opens again */
	b.store_fails = false;
	box_run_to(&b, b.now + 6000);
	ck_assert(!rb_policy_storage_failed(b.p));
	ck_assert_int_eq(admin(&b, rb_policy_enter_pairing), RB_ADMIN_DONE);
	box_free(&b);
}
END_TEST

/* A connected owner: forgotten and downgraded at once, its bond goes when
 * it disconnects; the owner is stored as gone before any bond goes. */
START_TEST(test_admin_forget_connected_owner)
{
	const RbEffect *e;
	Box b;

	box_init(&b);
	pair(&b, &PHONE_A);
	ck_assert_int_eq(peer_access(&b, &PHONE_A), RB_PEER_OWNER);
	box_clear(&b);
	ck_assert_int_eq(admin(&b, rb_policy_forget_owner), RB_ADMIN_DONE);
	removals_after_persist(&b);
	ck_assert(!rb_policy_owner(b.p));
	ck_assert(b.persisted && !b.last_persisted.has_owner);
	ck_assert_int_eq(b.last_persisted.owner_paired_wall_ms, 0);
	ck_assert_uint_eq(count(&b, RB_EFFECT_PERSIST), 1);
	ck_assert(rb_policy_is_downgraded(b.p, &PHONE_A));
	ck_assert_int_eq(peer_access(&b, &PHONE_A), RB_PEER_DOWNGRADED);
	ck_assert(!has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &PHONE_A));
	ck_assert(!has_peer_effect(&b, RB_EFFECT_DISCONNECT, &PHONE_A));
	ck_assert_int_eq(status(&b), RB_ACCESS_READ_ONLY);
	e = last(&b, RB_EFFECT_NOTIFY_ACCESS);
	ck_assert(e && !e->access.has_owner &&
		  e->access.status == RB_ACCESS_READ_ONLY);
	ck_assert_int_eq(owner_write(&b, &PHONE_A),
			 RB_WRITE_REJECT_NOT_AUTHORIZED);
	/* it disconnects: now its bond goes */
	box_clear(&b);
	disconnect(&b, &PHONE_A, false);
	ck_assert(has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &PHONE_A));
	carry_out_removals(&b);
	/* nothing left to forget */
	box_clear(&b);
	ck_assert_int_eq(admin(&b, rb_policy_forget_owner),
			 RB_ADMIN_NOTHING_TO_DO);
	ck_assert_uint_eq(count(&b, RB_EFFECT_PERSIST), 0);
	/* the box can be paired again */
	pair(&b, &PHONE_B);
	ck_assert_int_eq(owner_write(&b, &PHONE_B), RB_WRITE_OK);
	box_free(&b);
}
END_TEST

/* An owner that is not connected: its bond is removed now, after the
 * PERSIST that forgets it. */
START_TEST(test_admin_forget_owner_not_connected)
{
	int persist_at, remove_at;
	Box b;

	box_init(&b);
	pair(&b, &PHONE_A);
	disconnect(&b, &PHONE_A, false);
	box_clear(&b);
	ck_assert_int_eq(admin(&b, rb_policy_forget_owner), RB_ADMIN_DONE);
	persist_at = index_of(&b, RB_EFFECT_PERSIST, NULL);
	remove_at = index_of(&b, RB_EFFECT_REMOVE_BOND, NULL);
	ck_assert_int_ge(persist_at, 0);
	ck_assert_int_ge(remove_at, 0);
	ck_assert_int_lt(persist_at, remove_at);
	removals_after_persist(&b);
	ck_assert(has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &PHONE_A));
	ck_assert(!b.last_persisted.has_owner);
	ck_assert(!rb_policy_owner(b.p));
	/* the old owner comes back: read-only */
	carry_out_removals(&b);
	connect(&b, &PHONE_A, true);
	ck_assert_int_eq(owner_write(&b, &PHONE_A),
			 RB_WRITE_REJECT_NOT_AUTHORIZED);
	ck_assert_int_eq(peer_access(&b, &PHONE_A), RB_PEER_READ_ONLY);
	box_free(&b);
}
END_TEST

/* After a corrupt state file (owner unknown, bonds kept): ForgetOwner is
 * the admin's way out; every bond goes, after the PERSIST. */
START_TEST(test_admin_forget_owner_unknown)
{
	RbState st;
	Box b;

	box_init(&b);
	rb_policy_free(b.p);
	b.p = NULL;
	rb_state_init_conservative(&st, WALL0, 300000);
	box_start_with(&b, &st, 10, WALL0);
	rb_policy_bond_added(b.p, &PHONE_A, b.now, b.fx);
	rb_policy_bond_added(b.p, &PHONE_B, b.now, b.fx);
	box_collect(&b);
	ck_assert_uint_eq(count(&b, RB_EFFECT_REMOVE_BOND), 0);
	box_clear(&b);
	ck_assert_int_eq(admin(&b, rb_policy_forget_owner), RB_ADMIN_DONE);
	removals_after_persist(&b);
	ck_assert(has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &PHONE_A));
	ck_assert(has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &PHONE_B));
	ck_assert(!b.last_persisted.owner_unknown);
	ck_assert(!rb_policy_state(b.p)->owner_unknown);
	/* it is no factory reset: the lockout stays */
	ck_assert(rb_policy_locked_out(b.p, b.now));
	box_free(&b);
}
END_TEST

/* The owner unknown and no bond: forgetting is storing that the owner
 * is known to be none. */
START_TEST(test_admin_forget_owner_unknown_no_bonds)
{
	RbState st;
	Box b;

	box_init(&b);
	rb_policy_free(b.p);
	b.p = NULL;
	rb_state_init_conservative(&st, WALL0, 300000);
	box_start_with(&b, &st, 10, WALL0);
	ck_assert(rb_policy_state(b.p)->owner_unknown);
	box_clear(&b);
	ck_assert_int_eq(admin(&b, rb_policy_forget_owner), RB_ADMIN_DONE);
	ck_assert_uint_eq(count(&b, RB_EFFECT_PERSIST), 1);
	ck_assert(!b.last_persisted.owner_unknown);
	ck_assert(!rb_policy_state(b.p)->owner_unknown);
	/* now a stray bond goes */
	box_clear(&b);
	rb_policy_bond_added(b.p, &PHONE_A, b.now, b.fx);
	box_collect(&b);
	ck_assert(has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &PHONE_A));
	box_free(&b);
}
END_TEST

START_TEST(test_admin_forget_nothing)
{
	Box b;

	box_init(&b);
	box_clear(&b);
	ck_assert_int_eq(admin(&b, rb_policy_forget_owner),
			 RB_ADMIN_NOTHING_TO_DO);
	ck_assert_uint_eq(count(&b, RB_EFFECT_PERSIST), 0);
	ck_assert_uint_eq(count(&b, RB_EFFECT_REMOVE_BOND), 0);
	/* connected peers without bonds are not bonds */
	connect(&b, &PHONE_A, false);
	box_clear(&b);
	ck_assert_int_eq(admin(&b, rb_policy_forget_owner),
			 RB_ADMIN_NOTHING_TO_DO);
	ck_assert(!rb_policy_is_downgraded(b.p, &PHONE_A));
	/* a stray bond is something to do */
	rb_policy_bond_added(b.p, &PHONE_B, b.now, b.fx);
	box_collect(&b);
	box_clear(&b);
	ck_assert_int_eq(admin(&b, rb_policy_forget_owner), RB_ADMIN_DONE);
	ck_assert(has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &PHONE_B));
	box_free(&b);
}
END_TEST

/* ForgetOwner whose PERSIST fails changed nothing: the owner stays the
 * owner, keeps its write access and its bond. */
START_TEST(test_admin_forget_not_stored)
{
	int64_t since;
	Box b;

	box_init(&b);
	pair(&b, &PHONE_A);
	ck_assert_int_eq(owner_write(&b, &PHONE_A), RB_WRITE_OK);
	since = rb_policy_state(b.p)->owner_paired_wall_ms;
	ck_assert_int_ne(since, 0);
	box_clear(&b);
	b.store_fails = true;
	admin(&b, rb_policy_forget_owner);
	ck_assert(rb_policy_storage_failed(b.p));
	ck_assert_int_eq(rb_policy_state(b.p)->owner_paired_wall_ms, since);
	ck_assert_int_eq(rb_policy_state(b.p)->owner_key, RB_KEY_AUTH_P256);
	ck_assert(rb_policy_owner(b.p));
	ck_assert(rb_peer_equal(rb_policy_owner(b.p), &PHONE_A));
	ck_assert(rb_peer_equal(&b.last_persisted.owner, &PHONE_A));
	ck_assert(!rb_policy_is_downgraded(b.p, &PHONE_A));
	ck_assert_int_eq(peer_access(&b, &PHONE_A), RB_PEER_OWNER);
	ck_assert_int_eq(owner_write(&b, &PHONE_A), RB_WRITE_OK);
	ck_assert_int_eq(status(&b), RB_ACCESS_WRITE_AUTHORIZED);
	ck_assert(rb_policy_access(b.p, b.now).has_owner);
	/* while the store fails, it is refused */
	box_clear(&b);
	ck_assert_int_eq(admin(&b, rb_policy_forget_owner),
			 RB_ADMIN_STORAGE_FAILED);
	ck_assert_uint_eq(count(&b, RB_EFFECT_REMOVE_BOND), 0);
	ck_assert(rb_policy_owner(b.p));
	/* the retried store keeps the owner */
	b.store_fails = false;
	box_run_to(&b, b.now + 6000);
	ck_assert(!rb_policy_storage_failed(b.p));
	ck_assert(b.last_persisted.has_owner);
	ck_assert(rb_peer_equal(&b.last_persisted.owner, &PHONE_A));
	/* its bond stays when it disconnects */
	box_clear(&b);
	disconnect(&b, &PHONE_A, false);
	ck_assert(!has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &PHONE_A));
	connect(&b, &PHONE_A, true);
	ck_assert_int_eq(owner_write(&b, &PHONE_A), RB_WRITE_OK);
	box_free(&b);
}
END_TEST

/* The same for an owner that is not connected: the glue skips the
 * REMOVE_BOND after the failed PERSIST, and the owner's bond is still the
 * owner's when BlueZ lists it again. */
START_TEST(test_admin_forget_not_stored_not_connected)
{
	Box b;

	box_init(&b);
	pair(&b, &PHONE_A);
	disconnect(&b, &PHONE_A, false);
	b.store_fails = true;
	box_clear(&b);
	admin(&b, rb_policy_forget_owner);
	ck_assert(rb_peer_equal(rb_policy_owner(b.p), &PHONE_A));
	box_clear(&b);
	rb_policy_bond_added(b.p, &PHONE_A, b.now, b.fx);
	box_collect(&b);
	ck_assert(!has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &PHONE_A));
	connect(&b, &PHONE_A, true);
	ck_assert_int_eq(owner_write(&b, &PHONE_A), RB_WRITE_OK);
	box_free(&b);
}
END_TEST

/* A box with everything to reset: an owner, config overrides on top of a
 * config file, a lockout after PIN failures, a stale flag, peers. */
static void box_with_everything(Box *b)
{
	RbConfigUpdate u = {0};
	RbSetting bad;

	box_init(b);
	/* the config file's values */
	b->cfg.value[RB_SETTING_PAIRING_TIMEOUT_MS] = 30000;
	b->cfg.value[RB_SETTING_PIN_FAILURE_LIMIT] = 4;
	box_reconfigure(b);
	u.has[RB_SETTING_PAIRING_TIMEOUT_MS] = true;
	u.value[RB_SETTING_PAIRING_TIMEOUT_MS] = 5000;
	u.has[RB_SETTING_PIN_LOCKOUT_MS] = true;
	u.value[RB_SETTING_PIN_LOCKOUT_MS] = 20000;
	ck_assert(rb_policy_set_config(b->p, &u, &bad, b->now, b->fx));
	box_collect(b);
	pair(b, &PHONE_A);
	/* a phone with a stale bond */
	connect(b, &PHONE_B, false);
	disconnect(b, &PHONE_B, true);
	connect(b, &PHONE_C, false);
	disconnect(b, &PHONE_C, true);
	ck_assert_int_eq(rb_policy_state(b->p)->stale,
			 RB_STALE_PHONE_HAS_STALE_BOND);
	/* wrong PINs */
	box_chord(b);
	connect(b, &PHONE_B, false);
	for (int i = 0; i < 4; i++)
		fail_pin(b, &PHONE_B);
	ck_assert(rb_policy_locked_out(b->p, b->now));
	/* a second bond, of a connected peer: it goes when it disconnects */
	rb_policy_bond_added(b->p, &PHONE_B, b->now, b->fx);
	box_collect(b);
	connect(b, &PHONE_C, false);
	ck_assert(b->last_persisted.lockout_active);
	ck_assert_uint_eq(b->last_persisted.pin_failures, 4);
	ck_assert_uint_eq(b->last_persisted.stale,
			  RB_STALE_PHONE_HAS_STALE_BOND);
	ck_assert(b->last_persisted.has_owner);
	ck_assert(b->last_persisted.overrides.has[RB_SETTING_PIN_LOCKOUT_MS]);
}

/* With the owner unknown (a corrupt state file), a ForgetOwner that is
 * not stored deletes no bond either: the connected peers it marked keep
 * their bonds when they disconnect. */
START_TEST(test_admin_forget_not_stored_owner_unknown)
{
	RbState st;
	Box b;

	box_init(&b);
	rb_policy_free(b.p);
	b.p = NULL;
	rb_state_init_conservative(&st, WALL0, 300000);
	box_start_with(&b, &st, 10, WALL0);
	connect(&b, &PHONE_A, true);
	rb_policy_bond_added(b.p, &PHONE_A, b.now, b.fx);
	box_collect(&b);
	b.store_fails = true;
	admin(&b, rb_policy_forget_owner);
	ck_assert(rb_policy_storage_failed(b.p));
	ck_assert(rb_policy_state(b.p)->owner_unknown);
	ck_assert(!rb_policy_is_downgraded(b.p, &PHONE_A));
	ck_assert_int_eq(peer_access(&b, &PHONE_A), RB_PEER_READ_ONLY);
	box_clear(&b);
	disconnect(&b, &PHONE_A, false);
	ck_assert(!has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &PHONE_A));
	box_free(&b);
}
END_TEST

/* ForgetOwner at the instant the lockout ends: the tick that starts it
 * stores the lockout's end, then ForgetOwner stores the forgetting. If
 * only the second store fails, the owner is still the owner. */
START_TEST(test_admin_forget_second_store_fails)
{
	Box b;

	box_init(&b);
	pair(&b, &PHONE_A);
	box_chord(&b);
	connect(&b, &PHONE_B, false);
	fail_pin(&b, &PHONE_B);
	fail_pin(&b, &PHONE_B);
	fail_pin(&b, &PHONE_B);
	ck_assert(rb_policy_locked_out(b.p, b.now));
	/* no tick in between: the request comes first */
	b.now += 300000;
	box_clear(&b);
	b.fail_nth_store = 2;
	admin(&b, rb_policy_forget_owner);
	ck_assert_uint_eq(count(&b, RB_EFFECT_PERSIST), 2);
	ck_assert(rb_policy_storage_failed(b.p));
	ck_assert(!b.last_persisted.lockout_active);
	ck_assert(b.last_persisted.has_owner);
	ck_assert_msg(rb_policy_owner(b.p) &&
			      rb_peer_equal(rb_policy_owner(b.p), &PHONE_A),
		      "forgetting the owner was not stored, yet it is "
		      "forgotten");
	ck_assert(!rb_policy_is_downgraded(b.p, &PHONE_A));
	ck_assert_int_eq(owner_write(&b, &PHONE_A), RB_WRITE_OK);
	/* the retried store keeps it */
	box_run_to(&b, b.now + 6000);
	ck_assert(!rb_policy_storage_failed(b.p));
	ck_assert(b.last_persisted.has_owner);
	box_free(&b);
}
END_TEST

START_TEST(test_admin_factory_reset)
{
	const RbPolicyConfig *cfg;
	const RbState *st;
	Box b;

	box_with_everything(&b);
	box_clear(&b);
	ck_assert_int_eq(admin(&b, rb_policy_factory_reset), RB_ADMIN_DONE);
	ck_assert(!rb_policy_storage_failed(b.p));
	/* what is stored */
	st = &b.last_persisted;
	ck_assert(!st->has_owner);
	ck_assert(!st->owner_unknown);
	ck_assert(!st->lockout_active);
	ck_assert_uint_eq(st->pin_failures, 0);
	ck_assert_int_eq(st->stale, RB_STALE_NONE);
	for (unsigned int i = 0; i < RB_SETTING_COUNT; i++)
		ck_assert(!st->overrides.has[i]);
	/* what is in effect: the config file's values */
	cfg = rb_policy_config(b.p);
	ck_assert_uint_eq(cfg->value[RB_SETTING_PAIRING_TIMEOUT_MS], 30000);
	ck_assert_uint_eq(cfg->value[RB_SETTING_PIN_FAILURE_LIMIT], 4);
	ck_assert_uint_eq(cfg->value[RB_SETTING_PIN_LOCKOUT_MS], 300000);
	ck_assert(!rb_policy_owner(b.p));
	ck_assert(!rb_policy_locked_out(b.p, b.now));
	ck_assert_uint_eq(rb_policy_lockout_seconds_left(b.p, b.now), 0);
	ck_assert_int_eq(rb_policy_access(b.p, b.now).stale, RB_STALE_NONE);
	ck_assert_int_eq(screen(&b), RB_SCREEN_IDLE);
	/* every connected peer is disconnected */
	ck_assert(has_peer_effect(&b, RB_EFFECT_DISCONNECT, &PHONE_A));
	ck_assert(has_peer_effect(&b, RB_EFFECT_DISCONNECT, &PHONE_B));
	ck_assert(has_peer_effect(&b, RB_EFFECT_DISCONNECT, &PHONE_C));
	/* and every bond goes (when its peer disconnects) */
	removals_after_persist(&b);
	ck_assert(rb_policy_is_downgraded(b.p, &PHONE_A));
	ck_assert(rb_policy_is_downgraded(b.p, &PHONE_B));
	ck_assert_int_eq(owner_write(&b, &PHONE_A),
			 RB_WRITE_REJECT_NOT_AUTHORIZED);
	box_clear(&b);
	disconnect(&b, &PHONE_A, false);
	disconnect(&b, &PHONE_B, false);
	disconnect(&b, &PHONE_C, false);
	ck_assert(has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &PHONE_A));
	ck_assert(has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &PHONE_B));
	ck_assert(!has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &PHONE_C));
	/* the chord opens pairing mode again, for the file's 30 s */
	box_chord(&b);
	ck_assert(rb_policy_pairing_mode(b.p));
	ck_assert_uint_eq(rb_policy_pairing_seconds_left(b.p, b.now), 30);
	/* and a restart finds the reset state */
	box_restart(&b, 1000);
	ck_assert(!rb_policy_locked_out(b.p, b.now));
	ck_assert(!rb_policy_owner(b.p));
	ck_assert_uint_eq(
		rb_policy_config(b.p)->value[RB_SETTING_PIN_LOCKOUT_MS],
		300000);
	box_free(&b);
}
END_TEST

/* A bond of a peer that is not connected is removed now, after the
 * PERSIST. */
START_TEST(test_admin_factory_reset_bond_not_connected)
{
	int persist_at, remove_at;
	Box b;

	box_init(&b);
	pair(&b, &PHONE_A);
	disconnect(&b, &PHONE_A, false);
	box_clear(&b);
	ck_assert_int_eq(admin(&b, rb_policy_factory_reset), RB_ADMIN_DONE);
	persist_at = index_of(&b, RB_EFFECT_PERSIST, NULL);
	remove_at = index_of(&b, RB_EFFECT_REMOVE_BOND, &PHONE_A);
	ck_assert_int_ge(persist_at, 0);
	ck_assert_int_gt(remove_at, persist_at);
	ck_assert_uint_eq(count(&b, RB_EFFECT_DISCONNECT), 0);
	box_free(&b);
}
END_TEST

/* In pairing mode with a PIN shown: pairing mode ends (pairable off, the
 * peer disconnected) and that failure is reset too. */
START_TEST(test_admin_factory_reset_in_pairing_mode)
{
	const RbEffect *e;
	Box b;

	box_init(&b);
	box_chord(&b);
	connect(&b, &PHONE_A, false);
	fail_pin(&b, &PHONE_A);
	ck_assert(passkey(&b, &PHONE_A, 97531));
	box_clear(&b);
	ck_assert_int_eq(admin(&b, rb_policy_factory_reset), RB_ADMIN_DONE);
	ck_assert(!rb_policy_pairing_mode(b.p));
	e = last(&b, RB_EFFECT_SET_PAIRABLE);
	ck_assert(e && !e->pairable);
	ck_assert(has_peer_effect(&b, RB_EFFECT_DISCONNECT, &PHONE_A));
	ck_assert_uint_eq(rb_policy_state(b.p)->pin_failures, 0);
	ck_assert_uint_eq(b.last_persisted.pin_failures, 0);
	ck_assert(!b.last_persisted.lockout_active);
	ck_assert_int_eq(screen(&b), RB_SCREEN_IDLE);
	box_free(&b);
}
END_TEST

START_TEST(test_admin_factory_reset_storage_failed)
{
	Box b;

	box_init(&b);
	pair(&b, &PHONE_A);
	break_storage(&b);
	box_clear(&b);
	ck_assert_int_eq(admin(&b, rb_policy_factory_reset),
			 RB_ADMIN_STORAGE_FAILED);
	ck_assert(rb_policy_owner(b.p));
	ck_assert_uint_eq(count(&b, RB_EFFECT_DISCONNECT), 0);
	ck_assert_uint_eq(count(&b, RB_EFFECT_REMOVE_BOND), 0);
	ck_assert_int_eq(owner_write(&b, &PHONE_A), RB_WRITE_OK);
	box_free(&b);
}
END_TEST

/* A factory reset whose PERSIST fails is undone: the owner, the lockout
 * and PIN failures as last stored, the stale flag, the overrides. */
START_TEST(test_admin_factory_reset_not_stored)
{
	const RbPolicyConfig *cfg;
	uint32_t lockout_left;
	Box b;

	box_with_everything(&b);
	box_run_to(&b, b.now + 5000);
	lockout_left = rb_policy_lockout_seconds_left(b.p, b.now);
	ck_assert_uint_eq(lockout_left, 15);
	box_clear(&b);
	b.store_fails = true;
	admin(&b, rb_policy_factory_reset);
	ck_assert(rb_policy_storage_failed(b.p));
	ck_assert(rb_peer_equal(rb_policy_owner(b.p), &PHONE_A));
	ck_assert(rb_policy_locked_out(b.p, b.now));
	ck_assert_uint_eq(rb_policy_lockout_seconds_left(b.p, b.now),
			  lockout_left);
	ck_assert_uint_eq(rb_policy_state(b.p)->pin_failures, 4);
	ck_assert(rb_policy_state(b.p)->lockout_active);
	ck_assert_int_eq(rb_policy_state(b.p)->stale,
			 RB_STALE_PHONE_HAS_STALE_BOND);
	cfg = rb_policy_config(b.p);
	ck_assert_uint_eq(cfg->value[RB_SETTING_PAIRING_TIMEOUT_MS], 5000);
	ck_assert_uint_eq(cfg->value[RB_SETTING_PIN_LOCKOUT_MS], 20000);
	ck_assert(rb_policy_state(b.p)
			  ->overrides.has[RB_SETTING_PAIRING_TIMEOUT_MS]);
	ck_assert_int_eq(screen(&b), RB_SCREEN_LOCKOUT);
	/* the owner keeps its write access (its link may be gone by now:
	 * the disconnects went out), and its bond */
	ck_assert(!rb_policy_is_downgraded(b.p, &PHONE_A));
	ck_assert_int_eq(owner_write(&b, &PHONE_A), RB_WRITE_OK);
	box_clear(&b);
	disconnect(&b, &PHONE_A, false);
	ck_assert(!has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &PHONE_A));
	/* B's bond was not the owner's before either: it still goes */
	disconnect(&b, &PHONE_B, false);
	ck_assert(has_peer_effect(&b, RB_EFFECT_REMOVE_BOND, &PHONE_B));
	/* the retried store writes the state as it was */
	b.store_fails = false;
	box_run_to(&b, b.now + 6000);
	ck_assert(!rb_policy_storage_failed(b.p));
	ck_assert(b.last_persisted.has_owner);
	ck_assert(b.last_persisted.lockout_active);
	ck_assert_uint_eq(b.last_persisted.pin_failures, 4);
	ck_assert(rb_policy_locked_out(b.p, b.now));
	/* the lockout ends when it would have */
	box_run_to(&b, b.now + 8999);
	ck_assert(rb_policy_locked_out(b.p, b.now));
	box_run_to(&b, b.now + 1);
	ck_assert(!rb_policy_locked_out(b.p, b.now));
	box_free(&b);
}
END_TEST

/* ---- peers, countdowns, names ---- */

/* A factory reset that ends pairing mode with a PIN shown stores that
 * PIN failure (the limit: a lockout), then the reset. If only the reset's
 * store fails, the lockout and PIN failures are those last stored. */
START_TEST(test_admin_factory_reset_second_store_fails)
{
	Box b;

	box_init(&b);
	pair(&b, &PHONE_A);
	box_chord(&b);
	connect(&b, &PHONE_B, false);
	fail_pin(&b, &PHONE_B);
	fail_pin(&b, &PHONE_B);
	ck_assert(passkey(&b, &PHONE_B, 112233));
	box_clear(&b);
	b.fail_nth_store = 2;
	admin(&b, rb_policy_factory_reset);
	ck_assert_uint_eq(count(&b, RB_EFFECT_PERSIST), 2);
	ck_assert(rb_policy_storage_failed(b.p));
	/* the first store: the third failure, a lockout */
	ck_assert(b.last_persisted.lockout_active);
	ck_assert_uint_eq(b.last_persisted.pin_failures, 3);
	ck_assert_msg(rb_policy_locked_out(b.p, b.now),
		      "a factory reset that was not stored ended the "
		      "lockout");
	ck_assert_uint_eq(rb_policy_state(b.p)->pin_failures, 3);
	ck_assert(rb_peer_equal(rb_policy_owner(b.p), &PHONE_A));
	ck_assert_int_eq(owner_write(&b, &PHONE_A), RB_WRITE_OK);
	/* the retried store keeps all that */
	box_run_to(&b, b.now + 6000);
	ck_assert(!rb_policy_storage_failed(b.p));
	ck_assert(b.last_persisted.lockout_active);
	ck_assert(b.last_persisted.has_owner);
	box_free(&b);
}
END_TEST

/* The lockout ran out at the instant of a factory reset whose stores
 * fail: restored as stored, it still ends, and its end is stored. */
START_TEST(test_admin_factory_reset_lockout_ran_out)
{
	Box b;

	box_init(&b);
	box_chord(&b);
	connect(&b, &PHONE_B, false);
	fail_pin(&b, &PHONE_B);
	fail_pin(&b, &PHONE_B);
	fail_pin(&b, &PHONE_B);
	ck_assert(rb_policy_locked_out(b.p, b.now));
	ck_assert(b.last_persisted.lockout_active);
	b.store_fails = true;
	b.now += 300000 + 1;
	admin(&b, rb_policy_factory_reset);
	b.store_fails = false;
	box_run_to(&b, b.now + 6000);
	ck_assert(!rb_policy_storage_failed(b.p));
	ck_assert(!rb_policy_locked_out(b.p, b.now));
	ck_assert_msg(!b.last_persisted.lockout_active,
		      "a lockout that ran out stays recorded");
	box_free(&b);
}
END_TEST

START_TEST(test_peers)
{
	g_autoptr(GArray) none = NULL;
	g_autoptr(GArray) peers = NULL;
	g_autoptr(GArray) after = NULL;
	const RbPeerInfo *info;
	Box b;

	box_init(&b);
	none = rb_policy_peers(b.p);
	ck_assert_uint_eq(none->len, 0);
	pair(&b, &PHONE_A);
	connect(&b, &PHONE_B, false);
	box_run_to(&b, b.now + 5000);
	/* B pairs while A stays connected: A is downgraded */
	pair(&b, &PHONE_B);
	connect(&b, &PHONE_C, true);
	peers = rb_policy_peers(b.p);
	ck_assert_uint_eq(peers->len, 3);
	/* in connection order */
	info = &g_array_index(peers, RbPeerInfo, 0);
	ck_assert(rb_peer_equal(&info->peer, &PHONE_A));
	ck_assert_int_eq(info->access, RB_PEER_DOWNGRADED);
	info = &g_array_index(peers, RbPeerInfo, 1);
	ck_assert(rb_peer_equal(&info->peer, &PHONE_B));
	ck_assert_int_eq(info->access, RB_PEER_OWNER);
	info = &g_array_index(peers, RbPeerInfo, 2);
	ck_assert(rb_peer_equal(&info->peer, &PHONE_C));
	ck_assert_int_eq(info->access, RB_PEER_READ_ONLY);
	ck_assert_int_eq(info->peer.type, RB_ADDR_RANDOM);
	/* a snapshot: later changes do not touch it */
	disconnect(&b, &PHONE_A, false);
	ck_assert_uint_eq(peers->len, 3);
	after = rb_policy_peers(b.p);
	ck_assert_uint_eq(after->len, 2);
	ck_assert(rb_peer_equal(&g_array_index(after, RbPeerInfo, 0).peer,
				&PHONE_B));
	box_free(&b);
}
END_TEST

/* A central with the owner's address that paired anew on this link (no
 * bonding, outside pairing mode) has not the owner's key: its writes are
 * refused, and it is not shown as the owner. */
START_TEST(test_peers_spoofed_owner)
{
	Box b;

	box_init(&b);
	pair(&b, &PHONE_A);
	disconnect(&b, &PHONE_A, false);
	box_run_to(&b, b.now + 5000);
	connect(&b, &PHONE_A, true);
	ck_assert_int_eq(peer_access(&b, &PHONE_A), RB_PEER_OWNER);
	rb_policy_new_key(b.p, &PHONE_A, RB_KEY_AUTH_P256, false, b.now, b.fx);
	box_collect(&b);
	ck_assert_int_eq(owner_write(&b, &PHONE_A),
			 RB_WRITE_REJECT_NOT_AUTHORIZED);
	ck_assert_int_eq(peer_access(&b, &PHONE_A), RB_PEER_READ_ONLY);
	/* the owner itself, reconnected with its bond, is the owner */
	disconnect(&b, &PHONE_A, false);
	connect(&b, &PHONE_A, true);
	ck_assert_int_eq(peer_access(&b, &PHONE_A), RB_PEER_OWNER);
	box_free(&b);
}
END_TEST

START_TEST(test_pairing_seconds_left)
{
	RbTime t0;
	Box b;

	box_init(&b);
	b.cfg.allow_remote_pairing_mode = true;
	box_reconfigure(&b);
	ck_assert_uint_eq(rb_policy_pairing_seconds_left(b.p, b.now), 0);
	t0 = b.now;
	ck_assert_int_eq(admin(&b, rb_policy_enter_pairing), RB_ADMIN_DONE);
	/* whole seconds, rounded up, as the display shows them */
	ck_assert_uint_eq(rb_policy_pairing_seconds_left(b.p, t0), 60);
	ck_assert_uint_eq(rb_policy_pairing_seconds_left(b.p, t0 + 999), 60);
	ck_assert_uint_eq(rb_policy_pairing_seconds_left(b.p, t0 + 1000), 59);
	ck_assert_uint_eq(rb_policy_pairing_seconds_left(b.p, t0 + 59999), 1);
	ck_assert_uint_eq(rb_policy_pairing_seconds_left(b.p, t0 + 60000), 0);
	box_run_to(&b, t0 + 30500);
	ck_assert_uint_eq(rb_policy_pairing_seconds_left(b.p, b.now),
			  rb_policy_screen(b.p)->seconds_left);
	ck_assert_uint_eq(rb_policy_pairing_seconds_left(b.p, b.now), 30);
	/* closed: 0, whatever the time */
	box_run_to(&b, t0 + 60000);
	ck_assert(!rb_policy_pairing_mode(b.p));
	ck_assert_uint_eq(rb_policy_pairing_seconds_left(b.p, t0), 0);
	ck_assert_uint_eq(rb_policy_lockout_seconds_left(b.p, b.now), 0);
	box_free(&b);
}
END_TEST

START_TEST(test_lockout_seconds_left)
{
	RbTime t0;
	Box b;

	box_init(&b);
	ck_assert_uint_eq(rb_policy_lockout_seconds_left(b.p, b.now), 0);
	box_chord(&b);
	connect(&b, &PHONE_A, false);
	fail_pin(&b, &PHONE_A);
	fail_pin(&b, &PHONE_A);
	ck_assert_uint_eq(rb_policy_lockout_seconds_left(b.p, b.now), 0);
	fail_pin(&b, &PHONE_A);
	t0 = b.now;
	ck_assert_uint_eq(rb_policy_lockout_seconds_left(b.p, t0), 300);
	ck_assert_uint_eq(rb_policy_pairing_seconds_left(b.p, t0), 0);
	ck_assert_uint_eq(rb_policy_lockout_seconds_left(b.p, t0 + 1), 300);
	ck_assert_uint_eq(rb_policy_lockout_seconds_left(b.p, t0 + 1000), 299);
	ck_assert_uint_eq(rb_policy_lockout_seconds_left(b.p, t0 + 299001), 1);
	box_run_to(&b, t0 + 100000);
	ck_assert_uint_eq(rb_policy_lockout_seconds_left(b.p, b.now), 200);
	ck_assert_uint_eq(rb_policy_lockout_seconds_left(b.p, b.now),
			  rb_policy_screen(b.p)->seconds_left);
	box_run_to(&b, t0 + 300000);
	ck_assert_uint_eq(rb_policy_lockout_seconds_left(b.p, b.now), 0);
	ck_assert_uint_eq(rb_policy_lockout_seconds_left(b.p, t0), 0);
	box_free(&b);
}
END_TEST

START_TEST(test_admin_result_texts)
{
	static const RbAdminResult all[] = {
		RB_ADMIN_DONE,		 RB_ADMIN_NOTHING_TO_DO,
		RB_ADMIN_NOT_ALLOWED,	 RB_ADMIN_LOCKED_OUT,
		RB_ADMIN_STORAGE_FAILED,
	};

	for (unsigned int i = 0; i < G_N_ELEMENTS(all); i++) {
		const char *t = rb_admin_result_text(all[i]);

		ck_assert_int_eq(all[i], (RbAdminResult)i);
		ck_assert_ptr_nonnull(t);
		ck_assert_str_ne(t, "unknown");
		ck_assert_uint_gt(strlen(t), 0);
		for (unsigned int j = 0; j < i; j++)
			ck_assert_str_ne(t, rb_admin_result_text(all[j]));
	}
	ck_assert_str_eq(rb_admin_result_text(RB_ADMIN_DONE), "done");
	/* the operator learns which key to change */
	ck_assert_ptr_nonnull(strstr(rb_admin_result_text(RB_ADMIN_NOT_ALLOWED),
				     "AllowRemotePairingMode"));
	ck_assert_str_eq(rb_admin_result_text((RbAdminResult)G_N_ELEMENTS(all)),
			 "unknown");
}
END_TEST

START_TEST(test_peer_access_names)
{
	/* as the D-Bus API's Peers property spells them */
	ck_assert_str_eq(rb_peer_access_name(RB_PEER_READ_ONLY), "read-only");
	ck_assert_str_eq(rb_peer_access_name(RB_PEER_OWNER), "owner");
	ck_assert_str_eq(rb_peer_access_name(RB_PEER_DOWNGRADED), "downgraded");
	ck_assert_str_eq(rb_peer_access_name((RbPeerAccess)3), "unknown");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc;

	tc = tcase_create("/policy/write");
	tcase_add_loop_test(tc, test_write, 0, (int)G_N_ELEMENTS(write_cases));
	tcase_add_test(tc, test_att_codes);
	tcase_add_test(tc, test_write_no_owner);
	tcase_add_test(tc, test_write_over_bredr);
	suite_add_tcase(s, tc);

	tc = tcase_create("/policy/pairing");
	tcase_add_test(tc, test_start);
	tcase_add_test(tc, test_chord_enters);
	tcase_add_test(tc, test_chord_held_no_retrigger);
	tcase_add_loop_test(tc, test_exit, 0, (int)G_N_ELEMENTS(exit_cases));
	tcase_add_test(tc, test_timeout_configured);
	tcase_add_test(tc, test_countdown_ticks);
	suite_add_tcase(s, tc);

	tc = tcase_create("/policy/pin");
	tcase_add_test(tc, test_pin_shown_only_in_pairing_mode);
	tcase_add_test(tc, test_one_pin_at_a_time);
	tcase_add_test(tc, test_lockout);
	tcase_add_loop_test(tc, test_pin_failure_kinds, 0,
			    (int)G_N_ELEMENTS(fail_cases));
	tcase_add_test(tc, test_failure_without_pin_not_counted);
	tcase_add_test(tc, test_failures_count_per_box);
	tcase_add_test(tc, test_lockout_survives_restart);
	tcase_add_test(tc, test_lockout_clock_back);
	tcase_add_test(tc, test_lockout_expired_while_down);
	tcase_add_test(tc, test_conservative_state_locks);
	tcase_add_test(tc, test_pin_failure_not_stored);
	tcase_add_loop_test(tc, test_lockout_clock_step_same_boot, 0,
			    (int)G_N_ELEMENTS(step_cases));
	tcase_add_test(tc, test_lockout_reboot_then_step);
	tcase_add_test(tc, test_passkey_repeat);
	tcase_add_test(tc, test_pairing_method_refused);
	tcase_add_test(tc, test_passkey_late_report);
	suite_add_tcase(s, tc);

	tc = tcase_create("/policy/owner");
	tcase_add_test(tc, test_owner_change);
	tcase_add_test(tc, test_owner_other_bond_not_connected_removed_now);
	tcase_add_test(tc, test_bond_outside_pairing_mode_dropped);
	tcase_add_test(tc, test_bond_of_other_peer_than_pin);
	tcase_add_test(tc, test_renamed_peer_pairs);
	tcase_add_test(tc, test_startup_reconcile);
	tcase_add_test(tc, test_owner_bond_removed);
	tcase_add_test(tc, test_key_spoofed_owner_unbonded);
	tcase_add_test(tc, test_key_stored_over_owner);
	tcase_add_test(tc, test_key_unbonded_in_pairing_mode);
	tcase_add_test(tc, test_owner_persisted_before_removal);
	tcase_add_test(tc, test_owner_not_stored);
	tcase_add_test(tc, test_corrupt_state_keeps_bonds);
	suite_add_tcase(s, tc);

	tc = tcase_create("/policy/access");
	tcase_add_test(tc, test_access_transitions);
	suite_add_tcase(s, tc);

	tc = tcase_create("/policy/stale");
	tcase_add_test(tc, test_stale_strikes);
	tcase_add_test(tc, test_stale_reset_by_encryption);
	tcase_add_test(tc, test_stale_phone_side);
	tcase_add_test(tc, test_stale_unbonded_slow_no_strike);
	tcase_add_test(tc, test_stale_not_from_pairing);
	tcase_add_test(tc, test_stale_not_from_refused_pairing);
	tcase_add_test(tc, test_stale_cleared_by_owner);
	tcase_add_test(tc, test_stale_bonded_refused_pairing_strikes);
	suite_add_tcase(s, tc);

	tc = tcase_create("/policy/buttons");
	tcase_add_test(tc, test_button_effect_edges);
	tcase_add_test(tc, test_button_effect_pairing);
	tcase_add_test(tc, test_chord_held_accessor);
	suite_add_tcase(s, tc);

	tc = tcase_create("/policy/admin");
	tcase_add_test(tc, test_admin_exit_pairing);
	tcase_add_test(tc, test_admin_enter_pairing_not_allowed);
	tcase_add_test(tc, test_admin_enter_pairing);
	tcase_add_test(tc, test_admin_enter_pairing_locked_out);
	tcase_add_test(tc, test_admin_enter_pairing_storage_failed);
	tcase_add_test(tc, test_admin_forget_connected_owner);
	tcase_add_test(tc, test_admin_forget_owner_not_connected);
	tcase_add_test(tc, test_admin_forget_owner_unknown);
	tcase_add_test(tc, test_admin_forget_owner_unknown_no_bonds);
	tcase_add_test(tc, test_admin_forget_nothing);
	tcase_add_test(tc, test_admin_forget_not_stored);
	tcase_add_test(tc, test_admin_forget_not_stored_not_connected);
	tcase_add_test(tc, test_admin_forget_not_stored_owner_unknown);
	tcase_add_test(tc, test_admin_forget_second_store_fails);
	tcase_add_test(tc, test_admin_factory_reset);
	tcase_add_test(tc, test_admin_factory_reset_bond_not_connected);
	tcase_add_test(tc, test_admin_factory_reset_in_pairing_mode);
	tcase_add_test(tc, test_admin_factory_reset_storage_failed);
	tcase_add_test(tc, test_admin_factory_reset_not_stored);
	tcase_add_test(tc, test_admin_factory_reset_second_store_fails);
	tcase_add_test(tc, test_admin_factory_reset_lockout_ran_out);
	tcase_add_test(tc, test_admin_result_texts);
	suite_add_tcase(s, tc);

	tc = tcase_create("/policy/peers");
	tcase_add_test(tc, test_peers);
	tcase_add_test(tc, test_peers_spoofed_owner);
	tcase_add_test(tc, test_peer_access_names);
	tcase_add_test(tc, test_pairing_seconds_left);
	tcase_add_test(tc, test_lockout_seconds_left);
	suite_add_tcase(s, tc);

	tc = tcase_create("/policy/config");
	tcase_add_test(tc, test_config_set);
	tcase_add_test(tc, test_config_bad_override_ignored);
	tcase_add_test(tc, test_config_not_stored);
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
