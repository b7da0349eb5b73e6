// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The box's software behind the door: the D-Bus API (src/api/) fed with
 * the policy's state, its admin requests handed to the policy, the
 * owner's application messages handed to the registered application and
 * its answers, notifications and state sent to the phones.
 */
#define G_LOG_DOMAIN "reaction-boxd"

#include "config.h"

#include <string.h>

#include "core/codec.h"
#include "daemon/private.h"

/* The policy's time of a button edge as CLOCK_MONOTONIC microseconds. */
static uint64_t to_monotonic_us(RbTime t)
{
	int64_t mono_ms = (int64_t)t - boottime_offset_ms();

	return mono_ms > 0 ? (uint64_t)mono_ms * 1000 : 0;
}

void app_button(RbDaemon *d, const RbEffect *e)
{
	if (!d->api)
		return;
	rb_api_button(d->api, e->edge.button, e->edge.pressed,
		      to_monotonic_us(e->edge.at), e->edge.chord_held,
		      e->pairing);
}

void app_refresh(RbDaemon *d)
{
	RbApiSnapshot s;
	RbTime now = now_ms();
	RbAccess a;
	const RbPeer *owner;
	g_autoptr(GArray) peers = NULL;

	if (!d->api || !d->policy)
		return;
	memset(&s, 0, sizeof(s));
	a = rb_policy_access(d->policy, now);
	owner = rb_policy_owner(d->policy);
	s.status = a.status;
	if (owner) {
		s.has_owner = true;
		s.owner = *owner;
		s.owner_since_wall_ms =
			rb_policy_state(d->policy)->owner_paired_wall_ms;
	}
	s.pairing = rb_policy_pairing_mode(d->policy);
	s.pairing_seconds_left = rb_policy_pairing_seconds_left(d->policy, now);
	s.locked_out = rb_policy_locked_out(d->policy, now);
	s.lockout_seconds_left = rb_policy_lockout_seconds_left(d->policy, now);
	s.stale = a.stale;
	s.config = *rb_policy_config(d->policy);
	peers = rb_policy_peers(d->policy);
	s.peers = peers;
	s.chord_held = rb_policy_chord_held(d->policy);
	rb_api_update(d->api, &s);
}

static void notify_app_message(RbDaemon *d, RbGattChar which,
			       const RbAppMessage *msg, uint32_t request_id)
{
	g_autofree uint8_t *bytes = NULL;
	gsize len = 0;

	bytes = rb_codec_encode_application(msg, request_id, &len);
	if (bytes)
		notify_framed(d, which, bytes, len);
}

static void on_reply(RbApiReplyKind kind, const RbAppMessage *reply,
		     const char *text, uint32_t request_id, void *data)
{
	RbDaemon *d = data;
	g_autofree uint8_t *msg = NULL;
	gsize len = 0;

	switch (kind) {
	case RB_API_REPLY_OK:
		notify_app_message(d, RB_GATT_CHAR_PROTOCOL, reply, request_id);
		return;
	case RB_API_REPLY_ERROR:
		msg = rb_codec_encode_error(RB_PROTO_ERROR_APPLICATION, text,
					    "", request_id, &len);
		break;
	case RB_API_REPLY_UNAVAILABLE:
		msg = rb_codec_encode_error(RB_PROTO_ERROR_UNAVAILABLE, text,
					    "", request_id, &len);
		break;
	}
	g_message("application message %u answered with an error: %s",
		  request_id, text);
	if (msg)
		notify_framed(d, RB_GATT_CHAR_PROTOCOL, msg, len);
}

void app_deliver(RbDaemon *d, const RbAppMessage *msg, const RbPeer *owner,
		 uint32_t request_id)
{
	g_message("application message %s (%" G_GSIZE_FORMAT
		  " bytes) from %s, request %u",
		  msg->type, msg->body_len, owner->addr, request_id);
	if (!d->api) {
		on_reply(RB_API_REPLY_UNAVAILABLE, NULL,
			 "the box has no D-Bus API", request_id, d);
		return;
	}
	rb_api_deliver(d->api, msg, owner, request_id, on_reply, d);
}

/* What app_state holds: SetState's, or an empty message before any. */
static const RbAppMessage *app_state_or_empty(RbDaemon *d)
{
	static const RbAppMessage empty;

	return d->app_state ? d->app_state : &empty;
}

GBytes *app_state_value(RbDaemon *d)
{
	uint8_t *bytes;
	gsize len = 0;

	bytes = rb_codec_encode_application(app_state_or_empty(d), 0, &len);
	return g_bytes_new_take(bytes, len);
}

/* ---- the API's callbacks ---- */

static RbAdminResult on_admin(RbApiMethod m, void *data)
{
	RbDaemon *d = data;
	RbTime now = now_ms();
	RbAdminResult r = RB_ADMIN_NOTHING_TO_DO;

	switch (m) {
	case RB_API_EXIT_PAIRING:
		r = rb_policy_exit_pairing(d->policy, now, d->fx);
		break;
	case RB_API_ENTER_PAIRING:
		r = rb_policy_enter_pairing(d->policy, now, d->fx);
		break;
	case RB_API_FORGET_OWNER:
		r = rb_policy_forget_owner(d->policy, now, d->fx);
		break;
	case RB_API_FACTORY_RESET:
		r = rb_policy_factory_reset(d->policy, now, d->fx);
		break;
	case RB_API_GET_PROPERTIES:
	case RB_API_REGISTER:
	case RB_API_UNREGISTER:
	case RB_API_NOTIFY:
	case RB_API_SET_STATE:
		return RB_ADMIN_NOTHING_TO_DO;
	}
	/* The answer waits for the store: a change that could not be
	 * stored was undone and is not reported as done. */
	if (!run_effects(d) && r == RB_ADMIN_DONE)
		r = RB_ADMIN_STORAGE_FAILED;
	return r;
}

static void on_notify(const RbAppMessage *msg, void *data)
{
	notify_app_message(data, RB_GATT_CHAR_PROTOCOL, msg, 0);
}

static void on_set_state(const RbAppMessage *state, void *data)
{
	RbDaemon *d = data;

	if (!state && !d->app_state)
		return;
	g_clear_pointer(&d->app_state, g_free);
	if (state)
		d->app_state = g_memdup2(state, sizeof(*state));
	notify_app_message(d, RB_GATT_CHAR_APP_STATE, app_state_or_empty(d), 0);
}

const RbApiCallbacks api_callbacks = {
	.admin = on_admin,
	.notify = on_notify,
	.set_state = on_set_state,
};
