// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The access policy state machine. See policy.h and DESIGN.md §1-§2.
 *
 * Rules decided here (documented in reaction-boxd(8)):
 * - Pairing mode opens on the chord (buttons.h), unless locked out; it ends
 *   on QUIZZER_RESET, TIMER_RESET, timeout, lockout or a successful pairing.
 * - One PIN at a time: while a PIN is shown for one peer, another peer's
 *   pairing is refused (disconnected, no PIN shown).
 * - A pairing attempt that showed a PIN and did not end in a bond is a
 *   failure, whatever ended it: wrong PIN, cancel, disconnect, the end of
 *   pairing mode. Failures count per box.
 * - A pairing that succeeds outside pairing mode, for another peer than the
 *   one shown the PIN, without bonding, or with a key that is not
 *   authenticated (P-256, or legacy when allowed) gives no ownership: the
 *   peer is disconnected and what it stored is removed. Every pairing the
 *   kernel reports is judged, whichever BlueZ agent handled it.
 * - The key of the current connection decides: a connection that got a
 *   new key (a pairing on it) is the owner's only if that pairing made it
 *   the owner; one that encrypted without a new key used the stored bond.
 * - The new owner is persisted before any other bond is removed; a state
 *   that could not be stored is not applied (a new owner, config) or fails
 *   safe (PIN failures: pairing is refused until the state is stored).
 * - After a corrupt state file the owner is unknown: no bond is deleted
 *   until a pairing in pairing mode makes a new owner.
 * - Bonds that are not the owner's are removed; a connected peer's bond is
 *   removed when it disconnects, so it keeps its notifications meanwhile.
 * - Stale bonds are flagged, never deleted.
 */
#include <string.h>

#include "core/policy.h"

#define RB_TRANSIENT_SCREEN_MS 3000
/* How often a failed store is tried again. */
#define RB_STORAGE_RETRY_MS 5000

typedef struct {
	RbPeer peer;
	bool bonded; /* the box held a bond when it connected */
	bool encrypted;
	bool downgraded; /* lost write access to a new owner */
	bool remove_bond; /* remove its bond when it disconnects */
	bool pairing_seen; /* a pairing was attempted: a PIN shown or
			    * refused, or a kernel report of one */
	bool fresh_key; /* it paired on this connection: @key is that key */
	RbKeyType key;
	bool owner_key; /* that pairing made it the owner */
	RbTime connected_at;
	/* Its marks before a ForgetOwner or FactoryReset whose PERSIST has
	 * not succeeded yet, put back if it fails. */
	bool undo_valid;
	bool undo_downgraded;
	bool undo_remove_bond;
} Conn;

typedef struct {
	RbPeer peer;
	uint32_t strikes;
} Strikes;

struct RbPolicy {
	RbPolicyConfig file_cfg; /* from the config file */
	RbPolicyConfig cfg; /* effective: file + overrides */
	RbState st; /* what is persisted */
	RbState st_disk; /* what was last stored successfully */
	bool storage_failed;
	RbTime storage_retry_at;
	char name[32];
	char boot_id[RB_BOOT_ID_LEN];
	int64_t wall_offset; /* CLOCK_REALTIME - CLOCK_BOOTTIME, ms */

	RbButtons buttons;

	bool pairing;
	RbTime pairing_deadline;
	bool pin_shown;
	RbPeer pin_peer;
	uint32_t pin;
	/* The last PIN shown, until its peer disconnects: a late report of
	 * it (the agent's and the kernel's reports race) is not a pairing. */
	bool last_pin_valid;
	RbPeer last_pin_peer;
	uint32_t last_pin;

	bool locked;
	RbTime lockout_end;

	RbScreenKind transient; /* PAIRED_OK or PAIRING_FAILED */
	RbTime transient_until; /* 0: none */

	GArray *conns; /* of Conn */
	GArray *bonds; /* of RbPeer */
	GArray *strikes; /* of Strikes, bonded peers */
	uint32_t unknown_strikes;

	/* An admin request whose PERSIST has not succeeded yet: undone if it
	 * fails. */
	bool forget_pending;
	bool reset_pending;

	bool shown_valid;
	RbScreen shown;
	bool access_valid;
	RbAccess access_sent;
};

RbEffects *rb_effects_new(void)
{
	return g_array_new(FALSE, TRUE, sizeof(RbEffect));
}

static RbEffect *emit(RbEffects *fx, RbEffectKind kind)
{
	RbEffect e;

	memset(&e, 0, sizeof(e));
	e.kind = kind;
	g_array_append_val(fx, e);
	return &g_array_index(fx, RbEffect, fx->len - 1);
}

static void emit_peer(RbEffects *fx, RbEffectKind kind, const RbPeer *peer)
{
	emit(fx, kind)->peer = *peer;
}

static void emit_pairable(RbEffects *fx, bool on)
{
	emit(fx, RB_EFFECT_SET_PAIRABLE)->pairable = on;
}

G_GNUC_PRINTF(2, 3)
static void emit_log(RbEffects *fx, const char *fmt, ...)
{
	RbEffect *e = emit(fx, RB_EFFECT_LOG);
	va_list ap;

	va_start(ap, fmt);
	g_vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
}

static void persist(RbPolicy *p, RbEffects *fx)
{
	emit(fx, RB_EFFECT_PERSIST)->state = p->st;
}

static uint32_t secs_left(RbTime deadline, RbTime now)
{
	if (deadline <= now)
		return 0;
	return (uint32_t)((deadline - now + 999) / 1000);
}

static uint32_t ms_left(RbTime deadline, RbTime now)
{
	if (deadline <= now)
		return 0;
	return (uint32_t)MIN(deadline - now, G_MAXUINT32);
}

/* Peers */

static Conn *find_conn(RbPolicy *p, const RbPeer *peer)
{
	for (guint i = 0; i < p->conns->len; i++) {
		Conn *c = &g_array_index(p->conns, Conn, i);

		if (rb_peer_equal(&c->peer, peer))
			return c;
	}
	return NULL;
}

static int find_bond(const RbPolicy *p, const RbPeer *peer)
{
	for (guint i = 0; i < p->bonds->len; i++)
		if (rb_peer_equal(&g_array_index(p->bonds, RbPeer, i), peer))
			return (int)i;
	return -1;
}

static Strikes *find_strikes(RbPolicy *p, const RbPeer *peer, bool create)
{
	Strikes s;

	for (guint i = 0; i < p->strikes->len; i++) {
		Strikes *x = &g_array_index(p->strikes, Strikes, i);

		if (rb_peer_equal(&x->peer, peer))
			return x;
	}
	if (!create)
		return NULL;
	memset(&s, 0, sizeof(s));
	s.peer = *peer;
	g_array_append_val(p->strikes, s);
	return &g_array_index(p->strikes, Strikes, p->strikes->len - 1);
}

static bool is_owner(const RbPolicy *p, const RbPeer *peer)
{
	return p->st.has_owner && rb_peer_equal(&p->st.owner, peer);
}

static bool key_acceptable(const RbPolicy *p, RbKeyType key)
{
	switch (key) {
	case RB_KEY_AUTH_P256:
		return true;
	case RB_KEY_AUTH_LEGACY:
		return p->cfg.allow_legacy_keys;
	case RB_KEY_UNAUTH_LEGACY:
	case RB_KEY_UNAUTH_P256:
	case RB_KEY_DEBUG_P256:
	case RB_KEY_UNKNOWN:
		return false;
	}
	return false;
}

/*
 * Removes a bond the box must not keep: now if the peer is not connected,
 * else when it disconnects (it keeps its read-only link meanwhile).
 */
static void drop_bond(RbPolicy *p, const RbPeer *peer, RbEffects *fx)
{
	Conn *c = find_conn(p, peer);

	if (c) {
		c->downgraded = true;
		c->remove_bond = true;
		emit_log(fx,
			 "%s downgraded to read-only; its bond goes when it "
			 "disconnects",
			 peer->addr);
	} else {
		emit_peer(fx, RB_EFFECT_REMOVE_BOND, peer);
	}
}

/* Screen and access */

static void compute_screen(const RbPolicy *p, RbTime now, RbScreen *s)
{
	bool transient = p->transient_until > now;

	memset(s, 0, sizeof(*s));
	g_strlcpy(s->name, p->name, sizeof(s->name));
	if (p->pairing) {
		if (transient && p->transient == RB_SCREEN_PAIRING_FAILED) {
			s->kind = RB_SCREEN_PAIRING_FAILED;
			s->attempts_left =
				p->cfg.value[RB_SETTING_PIN_FAILURE_LIMIT] -
				MIN(p->st.pin_failures,
				    p->cfg.value[RB_SETTING_PIN_FAILURE_LIMIT]);
		} else if (p->pin_shown) {
			s->kind = RB_SCREEN_PIN;
			s->pin = p->pin;
			s->seconds_left = secs_left(p->pairing_deadline, now);
		} else {
			s->kind = RB_SCREEN_PAIRING;
			s->seconds_left = secs_left(p->pairing_deadline, now);
		}
	} else if (transient && p->transient == RB_SCREEN_PAIRED_OK) {
		s->kind = RB_SCREEN_PAIRED_OK;
	} else if (p->locked) {
		s->kind = RB_SCREEN_LOCKOUT;
		s->seconds_left = secs_left(p->lockout_end, now);
	} else if (p->st.stale != RB_STALE_NONE) {
		s->kind = RB_SCREEN_STALE_BOND;
		s->stale = (uint8_t)p->st.stale;
	} else {
		s->kind = RB_SCREEN_IDLE;
	}
}

static bool owner_can_write(const RbPolicy *p)
{
	for (guint i = 0; i < p->conns->len; i++) {
		const Conn *c = &g_array_index(p->conns, Conn, i);

		if (is_owner(p, &c->peer) && c->encrypted && !c->downgraded &&
		    (c->fresh_key ? c->owner_key
				  : key_acceptable(p, p->st.owner_key)))
			return true;
	}
	return false;
}

RbAccess rb_policy_access(const RbPolicy *p, RbTime now)
{
	RbAccess a;

	memset(&a, 0, sizeof(a));
	if (p->pairing)
		a.status = RB_ACCESS_PAIRING_MODE;
	else if (p->conns->len == 0)
		a.status = RB_ACCESS_NO_CONNECTION;
	else if (owner_can_write(p))
		a.status = RB_ACCESS_WRITE_AUTHORIZED;
	else
		a.status = RB_ACCESS_READ_ONLY;
	if (p->pairing)
		a.pairing_time_left_ms = ms_left(p->pairing_deadline, now);
	if (p->locked)
		a.lockout_time_left_ms = ms_left(p->lockout_end, now);
	a.stale = p->st.stale;
	a.has_owner = p->st.has_owner;
	return a;
}

/* Whether two access snapshots differ in anything but the running time. */
static bool access_changed(const RbAccess *a, const RbAccess *b)
{
	return a->status != b->status || a->stale != b->stale ||
	       a->has_owner != b->has_owner ||
	       (a->lockout_time_left_ms > 0) != (b->lockout_time_left_ms > 0);
}

/* Emits the screen and access status if they changed. Every entry point
 * ends here. */
static void commit(RbPolicy *p, RbTime now, RbEffects *fx)
{
	RbScreen s;
	RbAccess a;

	compute_screen(p, now, &s);
	if (!p->shown_valid || !rb_screen_equal(&s, &p->shown)) {
		p->shown = s;
		p->shown_valid = true;
		emit(fx, RB_EFFECT_SHOW_SCREEN)->screen = s;
	}
	a = rb_policy_access(p, now);
	if (!p->access_valid || access_changed(&a, &p->access_sent)) {
		p->access_sent = a;
		p->access_valid = true;
		emit(fx, RB_EFFECT_NOTIFY_ACCESS)->access = a;
	}
}

/* Pairing mode, PIN failures and lockout */

static void end_pairing(RbPolicy *p, const char *why, RbTime now,
			RbEffects *fx);

/* Records a lockout of @ms from @now, by both clocks. */
static void stamp_lockout(RbPolicy *p, RbTime now, uint32_t ms)
{
	p->st.lockout_active = true;
	p->st.lockout_start_wall_ms = (int64_t)now + p->wall_offset;
	g_strlcpy(p->st.lockout_boot_id, p->boot_id,
		  sizeof(p->st.lockout_boot_id));
	p->st.lockout_start_boot_ms = now;
	p->st.lockout_ms = ms;
}

static void start_lockout(RbPolicy *p, RbTime now, RbEffects *fx)
{
	uint32_t ms = p->cfg.value[RB_SETTING_PIN_LOCKOUT_MS];

	p->locked = true;
	p->lockout_end = now + ms;
	stamp_lockout(p, now, ms);
	emit_log(fx, "%u wrong PINs: pairing locked out for %u s",
		 p->st.pin_failures, ms / 1000);
}

static void end_lockout(RbPolicy *p, RbEffects *fx)
{
	p->locked = false;
	p->st.lockout_active = false;
	p->st.lockout_start_wall_ms = 0;
	p->st.lockout_boot_id[0] = '\0';
	p->st.lockout_start_boot_ms = 0;
	p->st.lockout_ms = 0;
	p->st.pin_failures = 0;
	emit_log(fx, "pairing lockout over");
	persist(p, fx);
}

/* The attempt that showed a PIN failed. */
static void pin_failed(RbPolicy *p, const char *why, RbTime now, RbEffects *fx)
{
	p->pin_shown = false;
	p->st.pin_failures++;
	emit_log(fx, "pairing with %s failed (%s): %u of %u failures",
		 p->pin_peer.addr, why, p->st.pin_failures,
		 p->cfg.value[RB_SETTING_PIN_FAILURE_LIMIT]);
	if (p->st.pin_failures >= p->cfg.value[RB_SETTING_PIN_FAILURE_LIMIT]) {
		start_lockout(p, now, fx);
		if (p->pairing)
			end_pairing(p, "locked out", now, fx);
	} else if (p->pairing) {
		p->transient = RB_SCREEN_PAIRING_FAILED;
		p->transient_until = now + RB_TRANSIENT_SCREEN_MS;
	}
	persist(p, fx);
}

static void end_pairing(RbPolicy *p, const char *why, RbTime now, RbEffects *fx)
{
	if (!p->pairing)
		return;
	p->pairing = false;
	emit_pairable(fx, false);
	emit_log(fx, "pairing mode ended: %s", why);
	if (p->pin_shown) {
		/* Abort the attempt in progress: with bondable off it could
		 * otherwise still complete. */
		emit_peer(fx, RB_EFFECT_DISCONNECT, &p->pin_peer);
		pin_failed(p, why, now, fx);
	}
	if (p->transient == RB_SCREEN_PAIRING_FAILED)
		p->transient_until = 0;
}

static void start_pairing(RbPolicy *p, RbTime now, RbEffects *fx)
{
	if (p->locked) {
		emit_log(fx, "chord refused: pairing locked out for %u s",
			 secs_left(p->lockout_end, now));
		return;
	}
	if (p->storage_failed) {
		emit_log(fx, "chord refused: the state cannot be stored, so "
			     "PIN failures could not be counted");
		return;
	}
	if (p->pairing)
		return;
	p->pairing = true;
	p->pin_shown = false;
	p->pairing_deadline = now + p->cfg.value[RB_SETTING_PAIRING_TIMEOUT_MS];
	p->transient_until = 0;
	emit_pairable(fx, true);
	emit_log(fx, "pairing mode for %u s",
		 p->cfg.value[RB_SETTING_PAIRING_TIMEOUT_MS] / 1000);
}

static void handle_gestures(RbPolicy *p, const RbGestures *g, RbTime now,
			    RbEffects *fx)
{
	/* The edges first, with the state they were pressed in: the press
	 * that ends pairing mode was a pairing-mode press. */
	for (unsigned int i = 0; i < g->n_edges; i++) {
		RbEffect *e = emit(fx, RB_EFFECT_BUTTON);

		e->edge = g->edges[i];
		e->pairing = p->pairing;
	}
	if (g->edges_lost)
		emit_log(fx, "%u button edges in one instant not reported",
			 g->edges_lost);
	for (unsigned int i = 0; i < g->n; i++) {
		switch (g->g[i]) {
		case RB_GESTURE_CHORD:
			start_pairing(p, now, fx);
			break;
		case RB_GESTURE_EXIT_QUIZZER_RESET:
			end_pairing(p, "QUIZZER_RESET pressed", now, fx);
			break;
		case RB_GESTURE_EXIT_TIMER_RESET:
			end_pairing(p, "TIMER_RESET pressed", now, fx);
			break;
		}
	}
}

/* Life */

static void apply_overrides(RbPolicy *p)
{
	p->cfg = p->file_cfg;
	for (unsigned int i = 0; i < RB_SETTING_COUNT; i++) {
		const RbSettingInfo *info = rb_setting_info((RbSetting)i);
		uint32_t v = p->st.overrides.value[i];

		if (!p->st.overrides.has[i])
			continue;
		if (v < info->min || v > info->max) {
			p->st.overrides.has[i] = false;
			continue;
		}
		p->cfg.value[i] = v;
	}
}

/*
 * How much of the persisted lockout has passed: by CLOCK_BOOTTIME in the
 * boot that recorded it (no clock step moves it), else by the wall clock.
 * False when that cannot be known (the clock is behind the start).
 */
static bool lockout_elapsed(const RbPolicy *p, RbTime now, int64_t now_wall_ms,
			    int64_t *elapsed)
{
	const RbState *st = &p->st;

	if (st->lockout_boot_id[0] && p->boot_id[0] &&
	    strcmp(st->lockout_boot_id, p->boot_id) == 0) {
		if (now < st->lockout_start_boot_ms)
			return false;
		*elapsed = (int64_t)(now - st->lockout_start_boot_ms);
		return true;
	}
	*elapsed = now_wall_ms - st->lockout_start_wall_ms;
	return *elapsed >= 0;
}

RbPolicy *rb_policy_new(const RbPolicyConfig *cfg, const RbState *persisted,
			const char *name, RbTime now, int64_t now_wall_ms,
			const char *boot_id, RbEffects *fx)
{
	RbPolicy *p = g_new0(RbPolicy, 1);

	p->file_cfg = *cfg;
	p->st = *persisted;
	p->st_disk = *persisted;
	g_strlcpy(p->name, name, sizeof(p->name));
	if (boot_id && rb_state_boot_id_valid(boot_id))
		g_strlcpy(p->boot_id, boot_id, sizeof(p->boot_id));
	p->wall_offset = now_wall_ms - (int64_t)now;
	p->conns = g_array_new(FALSE, TRUE, sizeof(Conn));
	p->bonds = g_array_new(FALSE, TRUE, sizeof(RbPeer));
	p->strikes = g_array_new(FALSE, TRUE, sizeof(Strikes));
	rb_buttons_init(&p->buttons);
	apply_overrides(p);

	if (p->st.lockout_active) {
		bool same_boot = p->boot_id[0] &&
				 strcmp(p->st.lockout_boot_id, p->boot_id) == 0;
		uint32_t ms = p->st.lockout_ms;
		int64_t elapsed = 0;

		if (ms == 0)
			ms = p->cfg.value[RB_SETTING_PIN_LOCKOUT_MS];
		if (!lockout_elapsed(p, now, now_wall_ms, &elapsed)) {
			/* The clock is behind the lockout's start (a Pi
			 * without RTC): restart it in full rather than
			 * guess. */
			p->locked = true;
			p->lockout_end = now + ms;
			stamp_lockout(p, now, ms);
			persist(p, fx);
		} else if (elapsed < (int64_t)ms) {
			p->locked = true;
			p->lockout_end = now + (RbTime)(ms - elapsed);
			if (!same_boot) {
				/* From here on, this boot's clock counts
				 * what is left. */
				stamp_lockout(p, now, (uint32_t)(ms - elapsed));
				persist(p, fx);
			}
		}
		if (p->locked) {
			emit_log(fx, "pairing locked out for %u more s",
				 secs_left(p->lockout_end, now));
		} else {
			end_lockout(p, fx);
		}
	}
	emit_pairable(fx, false);
	commit(p, now, fx);
	return p;
}

void rb_policy_clock(RbPolicy *p, RbTime now, int64_t now_wall_ms)
{
	p->wall_offset = now_wall_ms - (int64_t)now;
}

void rb_policy_free(RbPolicy *p)
{
	if (!p)
		return;
	g_array_unref(p->conns);
	g_array_unref(p->bonds);
	g_array_unref(p->strikes);
	g_free(p);
}

void rb_policy_button(RbPolicy *p, RbButton button, bool pressed, RbTime now,
		      RbEffects *fx)
{
	RbGestures g = {0};

	rb_buttons_edge(&p->buttons, button, pressed, now, &g);
	handle_gestures(p, &g, now, fx);
	commit(p, now, fx);
}

void rb_policy_tick(RbPolicy *p, RbTime now, RbEffects *fx)
{
	RbGestures g = {0};

	rb_buttons_advance(&p->buttons, now, &g);
	handle_gestures(p, &g, now, fx);
	if (p->pairing && now >= p->pairing_deadline)
		end_pairing(p, "timeout", now, fx);
	if (p->locked && now >= p->lockout_end)
		end_lockout(p, fx);
	if (p->transient_until && now >= p->transient_until)
		p->transient_until = 0;
	if (p->storage_failed && now >= p->storage_retry_at) {
		p->storage_retry_at = now + RB_STORAGE_RETRY_MS;
		persist(p, fx);
	}
	commit(p, now, fx);
}

static void take_min(RbTime *next, RbTime t)
{
	if (t && (*next == 0 || t < *next))
		*next = t;
}

/* When the countdown to @deadline, showing @secs now, shows one less. */
static RbTime next_second(RbTime deadline, uint32_t secs)
{
	if (secs <= 1)
		return 0;
	return deadline - (RbTime)(secs - 1) * 1000;
}

RbTime rb_policy_next_deadline(const RbPolicy *p)
{
	RbTime next = rb_buttons_next_deadline(&p->buttons);
	const RbScreen *s = &p->shown;

	if (p->pairing) {
		take_min(&next, p->pairing_deadline);
		if (s->kind == RB_SCREEN_PAIRING || s->kind == RB_SCREEN_PIN)
			take_min(&next, next_second(p->pairing_deadline,
						    s->seconds_left));
	}
	if (p->locked) {
		take_min(&next, p->lockout_end);
		if (s->kind == RB_SCREEN_LOCKOUT)
			take_min(&next,
				 next_second(p->lockout_end, s->seconds_left));
	}
	take_min(&next, p->transient_until);
	if (p->storage_failed)
		take_min(&next, p->storage_retry_at);
	return next;
}

/* Pairing outcomes */

bool rb_policy_passkey(RbPolicy *p, const RbPeer *peer, uint32_t passkey,
		       RbTime now, RbEffects *fx)
{
	bool ok = false;
	Conn *c;

	rb_policy_tick(p, now, fx);
	c = find_conn(p, peer);
	if (c)
		c->pairing_seen = true;
	if (p->pairing && p->pin_shown && rb_peer_equal(&p->pin_peer, peer) &&
	    p->pin == passkey % 1000000) {
		/* The same PIN again: a keypress notification, or the
		 * kernel's and the agent's report of one pairing. */
		commit(p, now, fx);
		return true;
	}
	if (!p->pin_shown && p->last_pin_valid &&
	    rb_peer_equal(&p->last_pin_peer, peer) &&
	    p->last_pin == passkey % 1000000) {
		/* A late report of the pairing that just ended (a busy
		 * daemon can get the agent's after the key): nothing new. */
		commit(p, now, fx);
		return false;
	}
	if (p->locked) {
		emit_log(fx, "pairing from %s refused: locked out", peer->addr);
	} else if (!p->pairing) {
		emit_log(fx, "pairing from %s refused: not in pairing mode",
			 peer->addr);
	} else if (p->storage_failed) {
		emit_log(fx,
			 "pairing from %s refused: the state cannot be stored",
			 peer->addr);
	} else if (p->pin_shown && !rb_peer_equal(&p->pin_peer, peer)) {
		emit_log(fx, "pairing from %s refused: %s is pairing",
			 peer->addr, p->pin_peer.addr);
	} else {
		ok = true;
	}
	if (!ok) {
		emit_peer(fx, RB_EFFECT_DISCONNECT, peer);
		commit(p, now, fx);
		return false;
	}
	p->pin_shown = true;
	p->pin_peer = *peer;
	p->pin = passkey % 1000000;
	p->last_pin_valid = true;
	p->last_pin_peer = *peer;
	p->last_pin = p->pin;
	p->transient_until = 0;
	emit_log(fx, "PIN for %s: %06u", peer->addr, p->pin);
	commit(p, now, fx);
	return true;
}

void rb_policy_pairing_method_refused(RbPolicy *p, const RbPeer *peer,
				      const char *method, RbTime now,
				      RbEffects *fx)
{
	Conn *c;

	rb_policy_tick(p, now, fx);
	c = find_conn(p, peer);
	if (c)
		c->pairing_seen = true;
	emit_log(fx,
		 "pairing from %s refused: %s is not Passkey Entry with the "
		 "box's PIN (another agent is BlueZ's default)",
		 peer->addr, method);
	emit_peer(fx, RB_EFFECT_DISCONNECT, peer);
	commit(p, now, fx);
}

/* Why a new key of @peer does not make it the owner, or NULL if it does. */
static const char *key_refusal(const RbPolicy *p, const RbPeer *peer,
			       RbKeyType key, bool stored)
{
	if (!p->pairing || !p->pin_shown)
		return "not paired in pairing mode with the PIN shown";
	if (!rb_peer_equal(&p->pin_peer, peer))
		return "another peer was shown the PIN";
	if (!stored)
		return "paired without bonding";
	if (!key_acceptable(p, key))
		return key == RB_KEY_AUTH_LEGACY
			       ? "key not LE Secure Connections"
			       : "key not authenticated";
	return NULL;
}

void rb_policy_new_key(RbPolicy *p, const RbPeer *peer, RbKeyType key,
		       bool stored, RbTime now, RbEffects *fx)
{
	const char *why;
	Conn *c;

	rb_policy_tick(p, now, fx);
	c = find_conn(p, peer);
	if (c) {
		c->fresh_key = true;
		c->key = key;
		c->owner_key = false;
		c->encrypted = true;
		c->pairing_seen = true;
	}
	why = key_refusal(p, peer, key, stored);
	if (why) {
		emit_log(fx, "pairing of %s (key type %d, %s) refused: %s",
			 peer->addr, key, stored ? "bonded" : "not bonded",
			 why);
		emit_peer(fx, RB_EFFECT_DISCONNECT, peer);
		if (stored) {
			/* BlueZ stored it, over any older key of that
			 * address: it goes, and an owner whose key was
			 * replaced is no longer the owner. */
			if (is_owner(p, peer)) {
				p->st.has_owner = false;
				memset(&p->st.owner, 0, sizeof(p->st.owner));
				p->st.owner_key = RB_KEY_UNKNOWN;
				emit_log(fx, "the owner's key was replaced: no "
					     "write owner");
				persist(p, fx);
			}
			if (find_bond(p, peer) < 0)
				g_array_append_val(p->bonds, *peer);
			drop_bond(p, peer, fx);
		}
		if (p->pin_shown && rb_peer_equal(&p->pin_peer, peer))
			pin_failed(p, why, now, fx);
		commit(p, now, fx);
		return;
	}

	p->pin_shown = false;
	p->st.has_owner = true;
	p->st.owner_unknown = false;
	p->st.owner = *peer;
	p->st.owner_key = key;
	p->st.owner_paired_wall_ms = (int64_t)now + p->wall_offset;
	p->st.pin_failures = 0;
	p->st.stale = RB_STALE_NONE;
	p->unknown_strikes = 0;
	g_array_set_size(p->strikes, 0);
	emit_log(fx, "%s paired and is the write owner", peer->addr);

	/* Connected others are downgraded now. */
	for (guint i = 0; i < p->conns->len; i++) {
		Conn *o = &g_array_index(p->conns, Conn, i);

		if (rb_peer_equal(&o->peer, peer)) {
			o->downgraded = false;
			o->remove_bond = false;
			o->encrypted = true;
			o->bonded = true;
			o->owner_key = true;
		} else if (!o->downgraded) {
			o->downgraded = true;
			emit_log(fx, "%s downgraded to read-only",
				 o->peer.addr);
		}
	}
	p->pairing = false;
	emit_pairable(fx, false);
	p->transient = RB_SCREEN_PAIRED_OK;
	p->transient_until = now + RB_TRANSIENT_SCREEN_MS;
	/* The new owner is stored first: a crash before the other bonds
	 * are gone leaves the new owner and stray bonds, which the next
	 * start removes; never the old owner without its bond. */
	persist(p, fx);
	for (guint i = 0; i < p->bonds->len; i++) {
		RbPeer b = g_array_index(p->bonds, RbPeer, i);

		if (!rb_peer_equal(&b, peer))
			drop_bond(p, &b, fx);
	}
	commit(p, now, fx);
}

void rb_policy_pairing_failed(RbPolicy *p, const RbPeer *peer, RbTime now,
			      RbEffects *fx)
{
	Conn *c;

	rb_policy_tick(p, now, fx);
	c = find_conn(p, peer);
	if (c)
		c->pairing_seen = true;
	if (p->pin_shown && rb_peer_equal(&p->pin_peer, peer))
		pin_failed(p, "authentication failed", now, fx);
	else if (p->locked)
		emit_log(fx, "pairing from %s refused: locked out", peer->addr);
	else if (!p->pairing)
		emit_log(fx, "pairing from %s refused: not in pairing mode",
			 peer->addr);
	commit(p, now, fx);
}

/* Links */

void rb_policy_connected(RbPolicy *p, const RbPeer *peer, bool bonded,
			 RbTime now, RbEffects *fx)
{
	Conn c;

	rb_policy_tick(p, now, fx);
	if (!find_conn(p, peer)) {
		memset(&c, 0, sizeof(c));
		c.peer = *peer;
		c.bonded = bonded;
		c.connected_at = now;
		g_array_append_val(p->conns, c);
	}
	commit(p, now, fx);
}

static void strike(RbPolicy *p, const Conn *c, bool auth_failure, RbTime now,
		   RbEffects *fx)
{
	uint32_t limit = p->cfg.value[RB_SETTING_STALE_BOND_STRIKES];
	bool quick = now - c->connected_at <=
		     p->cfg.value[RB_SETTING_STALE_BOND_WINDOW_MS];

	if (c->encrypted || !quick)
		return;
	/* For a peer the box holds no bond for, a failed or refused pairing
	 * is not a stale bond: wrong PINs and pairing attempts while pairing
	 * mode is open count as PIN failures, and anyone may start a pairing
	 * the kernel refuses. A bonded peer that pairs again instead of
	 * encrypting has lost its key: that is the stale bond. */
	if (!c->bonded && (c->pairing_seen || p->pairing))
		return;
	if (c->bonded) {
		Strikes *s = find_strikes(p, &c->peer, true);

		s->strikes++;
		emit_log(fx,
			 "%s (bonded) dropped before encrypting: strike "
			 "%u of %u",
			 c->peer.addr, s->strikes, limit);
		if (s->strikes >= limit &&
		    p->st.stale != RB_STALE_BOX_HAS_STALE_BOND) {
			p->st.stale = RB_STALE_BOX_HAS_STALE_BOND;
			emit_log(fx,
				 "bond of %s flagged stale: forget the box "
				 "on the phone, hold the chord, pair again",
				 c->peer.addr);
			persist(p, fx);
		}
	} else if (auth_failure) {
		p->unknown_strikes++;
		emit_log(fx,
			 "%s tried a key the box does not hold: strike %u "
			 "of %u",
			 c->peer.addr, p->unknown_strikes, limit);
		if (p->unknown_strikes >= limit &&
		    p->st.stale == RB_STALE_NONE) {
			p->st.stale = RB_STALE_PHONE_HAS_STALE_BOND;
			emit_log(fx, "a phone holds a stale bond: forget the "
				     "box on the phone, hold the chord, pair "
				     "again");
			persist(p, fx);
		}
	}
}

void rb_policy_disconnected(RbPolicy *p, const RbPeer *peer, bool auth_failure,
			    RbTime now, RbEffects *fx)
{
	Conn *c;
	Conn copy;

	rb_policy_tick(p, now, fx);
	c = find_conn(p, peer);
	if (!c) {
		commit(p, now, fx);
		return;
	}
	copy = *c;
	g_array_remove_index(p->conns, (guint)(c - (Conn *)p->conns->data));
	if (p->last_pin_valid && rb_peer_equal(&p->last_pin_peer, peer))
		p->last_pin_valid = false;

	if (p->pin_shown && rb_peer_equal(&p->pin_peer, peer))
		pin_failed(p, "disconnected", now, fx);
	strike(p, &copy, auth_failure, now, fx);
	if (copy.remove_bond && find_bond(p, peer) >= 0)
		emit_peer(fx, RB_EFFECT_REMOVE_BOND, peer);
	commit(p, now, fx);
}

void rb_policy_encrypted(RbPolicy *p, const RbPeer *peer, RbTime now,
			 RbEffects *fx)
{
	Conn *c;

	rb_policy_tick(p, now, fx);
	c = find_conn(p, peer);
	if (c && !c->encrypted) {
		Strikes *s = find_strikes(p, peer, false);

		c->encrypted = true;
		if (s)
			s->strikes = 0;
		if (is_owner(p, peer) && !c->fresh_key &&
		    p->st.stale != RB_STALE_NONE) {
			p->st.stale = RB_STALE_NONE;
			p->unknown_strikes = 0;
			emit_log(fx,
				 "%s encrypted with its bond: stale flag "
				 "cleared",
				 peer->addr);
			persist(p, fx);
		}
	}
	commit(p, now, fx);
}

void rb_policy_peer_renamed(RbPolicy *p, const RbPeer *from, const RbPeer *to)
{
	Conn *c = find_conn(p, from);

	if (c && !find_conn(p, to))
		c->peer = *to;
	if (p->pin_shown && rb_peer_equal(&p->pin_peer, from))
		p->pin_peer = *to;
}

void rb_policy_bond_added(RbPolicy *p, const RbPeer *peer, RbTime now,
			  RbEffects *fx)
{
	rb_policy_tick(p, now, fx);
	if (find_bond(p, peer) < 0)
		g_array_append_val(p->bonds, *peer);
	if (p->st.owner_unknown && !p->st.has_owner) {
		emit_log(fx,
			 "bond of %s kept: the owner is not known (the state "
			 "was corrupt) until a pairing in pairing mode",
			 peer->addr);
	} else if (!is_owner(p, peer) &&
		   !(p->pin_shown && rb_peer_equal(&p->pin_peer, peer))) {
		emit_log(fx, "bond of %s is not the owner's: removing it",
			 peer->addr);
		drop_bond(p, peer, fx);
	}
	commit(p, now, fx);
}

void rb_policy_bond_removed(RbPolicy *p, const RbPeer *peer, RbTime now,
			    RbEffects *fx)
{
	int i;

	rb_policy_tick(p, now, fx);
	i = find_bond(p, peer);
	if (i >= 0)
		g_array_remove_index(p->bonds, (guint)i);
	if (is_owner(p, peer)) {
		p->st.has_owner = false;
		memset(&p->st.owner, 0, sizeof(p->st.owner));
		p->st.owner_key = RB_KEY_UNKNOWN;
		emit_log(fx, "bond of the owner %s removed: no write owner",
			 peer->addr);
		persist(p, fx);
	}
	commit(p, now, fx);
}

/* Writes and config */

RbWriteVerdict rb_policy_write(RbPolicy *p, const RbLinkFacts *f, RbTime now,
			       RbEffects *fx)
{
	RbWriteVerdict v = RB_WRITE_OK;
	RbKeyType key;
	Conn *c;

	rb_policy_tick(p, now, fx);
	c = find_conn(p, &f->peer);
	/* The key of this connection: a pairing on it, or the stored bond. */
	key = c && c->fresh_key ? c->key : f->key;
	if (!f->paired || !f->bonded)
		v = RB_WRITE_REJECT_NOT_PAIRED;
	else if (!f->encrypted)
		v = RB_WRITE_REJECT_NOT_ENCRYPTED;
	else if (!key_acceptable(p, key))
		v = RB_WRITE_REJECT_NOT_AUTHENTICATED;
	else if (!f->le || !c || !is_owner(p, &f->peer) || c->downgraded ||
		 (c->fresh_key && !c->owner_key))
		v = RB_WRITE_REJECT_NOT_AUTHORIZED;

	if (f->encrypted && c && !c->encrypted)
		rb_policy_encrypted(p, &f->peer, now, fx);
	if (v != RB_WRITE_OK) {
		RbEffect *e;

		e = emit(fx, RB_EFFECT_NOTIFY_ACCESS);
		e->access = rb_policy_access(p, now);
		e->access.write_rejected = true;
		e->access.reason = v;
		emit_log(fx, "write from %s rejected: %s", f->peer.addr,
			 rb_write_verdict_name(v));
	}
	commit(p, now, fx);
	return v;
}

bool rb_policy_set_config(RbPolicy *p, const RbConfigUpdate *update,
			  RbSetting *bad, RbTime now, RbEffects *fx)
{
	RbPolicyConfig next = p->cfg;

	if (!rb_policy_config_apply(&next, update, bad))
		return false;
	for (unsigned int i = 0; i < RB_SETTING_COUNT; i++) {
		if (!update->has[i])
			continue;
		p->st.overrides.has[i] = true;
		p->st.overrides.value[i] = update->value[i];
	}
	p->cfg = next;
	persist(p, fx);
	commit(p, now, fx);
	return true;
}

void rb_policy_set_name(RbPolicy *p, const char *name, RbTime now,
			RbEffects *fx)
{
	g_strlcpy(p->name, name, sizeof(p->name));
	commit(p, now, fx);
}

/* The PIN failures and lockout as last stored, by CLOCK_BOOTTIME when
 * stored in this boot (else a full lockout from now: fail safe). */
static void restore_lockout(RbPolicy *p, RbTime now)
{
	const RbState *d = &p->st_disk;

	p->st.pin_failures = d->pin_failures;
	p->st.lockout_active = d->lockout_active;
	p->st.lockout_start_wall_ms = d->lockout_start_wall_ms;
	g_strlcpy(p->st.lockout_boot_id, d->lockout_boot_id,
		  sizeof(p->st.lockout_boot_id));
	p->st.lockout_start_boot_ms = d->lockout_start_boot_ms;
	p->st.lockout_ms = d->lockout_ms;
	if (!d->lockout_active)
		return;
	if (p->boot_id[0] && strcmp(d->lockout_boot_id, p->boot_id) == 0)
		p->lockout_end = d->lockout_start_boot_ms + d->lockout_ms;
	else
		p->lockout_end = now + d->lockout_ms;
	/* One that ran out meanwhile ends at the next tick, stored. */
	p->locked = true;
	if (p->lockout_end < now)
		p->lockout_end = now;
}

/*
 * Whether the stored @st carries the ForgetOwner or FactoryReset in
 * progress. A PERSIST of the same batch can come before the request's
 * (the tick that starts it ends a lockout; a factory reset that ends
 * pairing mode stores the PIN failure first): its success must not
 * settle the request, whose own PERSIST may still fail. An earlier state
 * that already has the request's values settles it harmlessly: undoing
 * to it would change nothing.
 */
static bool stores_forget(const RbState *st)
{
	return !st->has_owner && !st->owner_unknown;
}

static bool stores_reset(const RbState *st)
{
	if (!stores_forget(st) || st->lockout_active || st->pin_failures ||
	    st->stale != RB_STALE_NONE)
		return false;
	for (unsigned int i = 0; i < RB_SETTING_COUNT; i++)
		if (st->overrides.has[i])
			return false;
	return true;
}

void rb_policy_persist_result(RbPolicy *p, const RbState *st, bool ok,
			      RbTime now, RbEffects *fx)
{
	if (ok) {
		p->st_disk = *st;
		if (p->forget_pending && stores_forget(st)) {
			p->forget_pending = false;
			for (guint i = 0; i < p->conns->len; i++)
				g_array_index(p->conns, Conn, i).undo_valid =
					false;
		}
		if (p->reset_pending && stores_reset(st))
			p->reset_pending = false;
		if (p->storage_failed) {
			p->storage_failed = false;
			emit_log(fx, "the state is stored again");
		}
		commit(p, now, fx);
		return;
	}
	if (!p->storage_failed)
		emit_log(fx, "the state cannot be stored: pairing refused and "
			     "changes not applied until it can");
	p->storage_failed = true;
	p->storage_retry_at = now + RB_STORAGE_RETRY_MS;

	/* A new owner that is not stored is not the owner. */
	if (p->st.has_owner &&
	    !(p->st_disk.has_owner &&
	      rb_peer_equal(&p->st_disk.owner, &p->st.owner))) {
		RbPeer lost = p->st.owner;
		Conn *c = find_conn(p, &lost);

		emit_log(fx, "%s is not the owner: that could not be stored",
			 lost.addr);
		p->st.has_owner = p->st_disk.has_owner;
		p->st.owner = p->st_disk.owner;
		p->st.owner_key = p->st_disk.owner_key;
		p->st.owner_paired_wall_ms = p->st_disk.owner_paired_wall_ms;
		p->st.owner_unknown = p->st_disk.owner_unknown;
		if (c) {
			c->owner_key = false;
			emit_peer(fx, RB_EFFECT_DISCONNECT, &lost);
		}
		drop_bond(p, &lost, fx);
		/* The stored owner keeps its bond and its write access. */
		for (guint i = 0; i < p->conns->len; i++) {
			Conn *o = &g_array_index(p->conns, Conn, i);

			if (is_owner(p, &o->peer)) {
				o->remove_bond = false;
				o->downgraded = false;
			}
		}
	}
	/* An owner forgotten (ForgetOwner, FactoryReset) but not stored is
	 * still the owner: it keeps its bond and its write access. */
	if (p->forget_pending && p->st_disk.has_owner && !p->st.has_owner) {
		p->st.has_owner = true;
		p->st.owner = p->st_disk.owner;
		p->st.owner_key = p->st_disk.owner_key;
		p->st.owner_paired_wall_ms = p->st_disk.owner_paired_wall_ms;
		for (guint i = 0; i < p->conns->len; i++) {
			Conn *o = &g_array_index(p->conns, Conn, i);

			if (is_owner(p, &o->peer)) {
				o->remove_bond = false;
				o->downgraded = false;
			}
		}
		emit_log(fx,
			 "%s is still the owner: forgetting it could not "
			 "be stored",
			 p->st.owner.addr);
	}
	if (p->forget_pending) {
		p->st.owner_unknown = p->st_disk.owner_unknown;
		/* The connected peers it downgraded get their marks back:
		 * a bond it would have removed at disconnect stays (the
		 * owner's, or any while the owner is unknown). */
		for (guint i = 0; i < p->conns->len; i++) {
			Conn *o = &g_array_index(p->conns, Conn, i);

			if (!o->undo_valid)
				continue;
			o->downgraded = o->undo_downgraded;
			o->remove_bond = o->undo_remove_bond;
			o->undo_valid = false;
		}
	}
	/* A factory reset that is not stored did not reset the PIN
	 * failures, the lockout or the stale flag. */
	if (p->reset_pending) {
		restore_lockout(p, now);
		p->st.stale = p->st_disk.stale;
	}
	p->forget_pending = false;
	p->reset_pending = false;
	/* Config overrides that are not stored are not applied. */
	p->st.overrides = p->st_disk.overrides;
	apply_overrides(p);
	emit_pairable(fx, p->pairing);
	if (p->pairing)
		end_pairing(p, "the state cannot be stored", now, fx);
	/* The screen and the access status go out again: effects of the
	 * failed batch may have been dropped. */
	p->shown_valid = false;
	p->access_valid = false;
	commit(p, now, fx);
}

bool rb_policy_storage_failed(const RbPolicy *p)
{
	return p->storage_failed;
}

/* Accessors */

const RbPolicyConfig *rb_policy_config(const RbPolicy *p)
{
	return &p->cfg;
}

const RbScreen *rb_policy_screen(const RbPolicy *p)
{
	return &p->shown;
}

bool rb_policy_pairing_mode(const RbPolicy *p)
{
	return p->pairing;
}

bool rb_policy_locked_out(const RbPolicy *p, RbTime now)
{
	return p->locked && now < p->lockout_end;
}

const RbPeer *rb_policy_owner(const RbPolicy *p)
{
	return p->st.has_owner ? &p->st.owner : NULL;
}

bool rb_policy_is_downgraded(const RbPolicy *p, const RbPeer *peer)
{
	Conn *c = find_conn((RbPolicy *)p, peer);

	return c && c->downgraded;
}

const RbState *rb_policy_state(const RbPolicy *p)
{
	return &p->st;
}

/* Admin requests */

const char *rb_admin_result_text(RbAdminResult r)
{
	switch (r) {
	case RB_ADMIN_DONE:
		return "done";
	case RB_ADMIN_NOTHING_TO_DO:
		return "nothing to do";
	case RB_ADMIN_NOT_ALLOWED:
		return "pairing mode opens only at the box "
		       "([Policy] AllowRemotePairingMode is false)";
	case RB_ADMIN_LOCKED_OUT:
		return "pairing is locked out after wrong PINs";
	case RB_ADMIN_STORAGE_FAILED:
		return "the state cannot be stored now; nothing changed";
	}
	return "unknown";
}

RbAdminResult rb_policy_exit_pairing(RbPolicy *p, RbTime now, RbEffects *fx)
{
	rb_policy_tick(p, now, fx);
	if (!p->pairing) {
		commit(p, now, fx);
		return RB_ADMIN_NOTHING_TO_DO;
	}
	end_pairing(p, "ExitPairingMode over D-Bus", now, fx);
	commit(p, now, fx);
	return RB_ADMIN_DONE;
}

RbAdminResult rb_policy_enter_pairing(RbPolicy *p, RbTime now, RbEffects *fx)
{
	RbAdminResult r = RB_ADMIN_DONE;

	rb_policy_tick(p, now, fx);
	if (!p->cfg.allow_remote_pairing_mode)
		r = RB_ADMIN_NOT_ALLOWED;
	else if (p->locked)
		r = RB_ADMIN_LOCKED_OUT;
	else if (p->storage_failed)
		r = RB_ADMIN_STORAGE_FAILED;
	else if (p->pairing)
		r = RB_ADMIN_NOTHING_TO_DO;
	else
		start_pairing(p, now, fx);
	commit(p, now, fx);
	return r;
}

/* Clears the owner and removes every bond (a connected peer's when it
 * disconnects). The PERSIST comes first: the glue skips the removals if
 * it fails. */
static void forget_all(RbPolicy *p, const char *why, RbEffects *fx)
{
	if (p->st.has_owner)
		emit_log(fx, "%s: %s is no longer the owner", why,
			 p->st.owner.addr);
	p->st.has_owner = false;
	p->st.owner_unknown = false;
	memset(&p->st.owner, 0, sizeof(p->st.owner));
	p->st.owner_key = RB_KEY_UNKNOWN;
	p->st.owner_paired_wall_ms = 0;
	p->forget_pending = true;
	persist(p, fx);
	for (guint i = 0; i < p->conns->len; i++) {
		Conn *c = &g_array_index(p->conns, Conn, i);

		c->undo_valid = true;
		c->undo_downgraded = c->downgraded;
		c->undo_remove_bond = c->remove_bond;
	}
	for (guint i = 0; i < p->bonds->len; i++)
		drop_bond(p, &g_array_index(p->bonds, RbPeer, i), fx);
}

RbAdminResult rb_policy_forget_owner(RbPolicy *p, RbTime now, RbEffects *fx)
{
	rb_policy_tick(p, now, fx);
	if (p->storage_failed) {
		commit(p, now, fx);
		return RB_ADMIN_STORAGE_FAILED;
	}
	if (!p->st.has_owner && !p->st.owner_unknown && p->bonds->len == 0) {
		commit(p, now, fx);
		return RB_ADMIN_NOTHING_TO_DO;
	}
	forget_all(p, "ForgetOwner over D-Bus", fx);
	commit(p, now, fx);
	return RB_ADMIN_DONE;
}

RbAdminResult rb_policy_factory_reset(RbPolicy *p, RbTime now, RbEffects *fx)
{
	rb_policy_tick(p, now, fx);
	if (p->storage_failed) {
		commit(p, now, fx);
		return RB_ADMIN_STORAGE_FAILED;
	}
	end_pairing(p, "factory reset", now, fx);
	p->locked = false;
	p->st.lockout_active = false;
	p->st.lockout_start_wall_ms = 0;
	p->st.lockout_boot_id[0] = '\0';
	p->st.lockout_start_boot_ms = 0;
	p->st.lockout_ms = 0;
	p->st.pin_failures = 0;
	p->st.stale = RB_STALE_NONE;
	g_array_set_size(p->strikes, 0);
	p->unknown_strikes = 0;
	memset(&p->st.overrides, 0, sizeof(p->st.overrides));
	apply_overrides(p);
	p->reset_pending = true;
	emit_log(fx, "factory reset over D-Bus");
	forget_all(p, "factory reset", fx);
	for (guint i = 0; i < p->conns->len; i++)
		emit_peer(fx, RB_EFFECT_DISCONNECT,
			  &g_array_index(p->conns, Conn, i).peer);
	commit(p, now, fx);
	return RB_ADMIN_DONE;
}

GArray *rb_policy_peers(const RbPolicy *p)
{
	GArray *out = g_array_new(FALSE, TRUE, sizeof(RbPeerInfo));

	for (guint i = 0; i < p->conns->len; i++) {
		const Conn *c = &g_array_index(p->conns, Conn, i);
		RbPeerInfo info;

		info.peer = c->peer;
		/* A link that paired anew is the owner's only if that
		 * pairing made it the owner (the owner's address is no
		 * proof), as for writes. */
		if (c->downgraded)
			info.access = RB_PEER_DOWNGRADED;
		else if (is_owner(p, &c->peer) &&
			 (!c->fresh_key || c->owner_key))
			info.access = RB_PEER_OWNER;
		else
			info.access = RB_PEER_READ_ONLY;
		g_array_append_val(out, info);
	}
	return out;
}

const char *rb_peer_access_name(RbPeerAccess a)
{
	switch (a) {
	case RB_PEER_READ_ONLY:
		return "read-only";
	case RB_PEER_OWNER:
		return "owner";
	case RB_PEER_DOWNGRADED:
		return "downgraded";
	}
	return "unknown";
}

bool rb_policy_chord_held(const RbPolicy *p)
{
	return rb_buttons_chord_held(&p->buttons);
}

uint32_t rb_policy_pairing_seconds_left(const RbPolicy *p, RbTime now)
{
	return p->pairing ? secs_left(p->pairing_deadline, now) : 0;
}

uint32_t rb_policy_lockout_seconds_left(const RbPolicy *p, RbTime now)
{
	return p->locked ? secs_left(p->lockout_end, now) : 0;
}
