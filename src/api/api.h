/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RbApi: the daemon's own D-Bus service for the box's software,
 * org.reactionbox.Box1 at RB_API_PATH under the bus name RB_API_NAME
 * (interface: src/api/org.reactionbox.Box1.xml; reaction-boxd-dbus(7)).
 *
 * It carries, it does not decide. Who may call what is
 * rb_api_authorize() (src/core/api.h), fed with the caller's uid and
 * groups from the bus (GetConnectionCredentials, asked anew for every
 * call); what an admin request does is the policy's, through the
 * callbacks. The properties are the snapshot the daemon hands to
 * rb_api_update(); a change of any of them is one PropertiesChanged.
 *
 * The application: one at a time, registered by RegisterApplication and
 * forgotten when its unique name leaves the bus. rb_api_deliver() calls
 * its Application1.HandleMessage asynchronously, at most
 * RB_API_MAX_IN_FLIGHT at once, each bounded by RB_API_REPLY_TIMEOUT_MS:
 * a hanging or crashing application never blocks the main loop.
 */
#pragma once

#include <gio/gio.h>

#include "core/api.h"
#include "core/codec.h"
#include "core/policy.h"

#define RB_API_NAME "org.reactionbox"
#define RB_API_PATH "/org/reactionbox"
#define RB_API_IFACE "org.reactionbox.Box1"
#define RB_API_APP_IFACE "org.reactionbox.Application1"

/* What the properties show; the daemon builds it from the policy. */
typedef struct {
	RbAccessStatus status;
	bool has_owner;
	RbPeer owner;
	int64_t owner_since_wall_ms; /* 0: unknown */
	bool pairing;
	uint32_t pairing_seconds_left;
	bool locked_out;
	uint32_t lockout_seconds_left;
	RbStaleHint stale;
	RbPolicyConfig config;
	const GArray *peers; /* of RbPeerInfo, borrowed */
	bool chord_held;
} RbApiSnapshot;

typedef enum {
	RB_API_REPLY_OK = 0, /* @reply is the application's answer */
	RB_API_REPLY_ERROR, /* the application answered a D-Bus error */
	RB_API_REPLY_UNAVAILABLE, /* none registered, busy, gone, timeout */
} RbApiReplyKind;

/* The end of one rb_api_deliver(): called exactly once, maybe before
 * rb_api_deliver() returns; never after rb_api_free(). @text explains an
 * ERROR or UNAVAILABLE. */
typedef void (*RbApiReplyFn)(RbApiReplyKind kind, const RbAppMessage *reply,
			     const char *text, uint32_t request_id,
			     void *user_data);

typedef struct {
	/* An admin request the caller may make (root): the policy's
	 * answer, once what it changed is stored (or failed to be). */
	RbAdminResult (*admin)(RbApiMethod method, void *user_data);
	/* Box1.Notify from the application. */
	void (*notify)(const RbAppMessage *msg, void *user_data);
	/* Box1.SetState, or NULL: the application left (the state is
	 * forgotten). */
	void (*set_state)(const RbAppMessage *state, void *user_data);
} RbApiCallbacks;

typedef struct _RbApi RbApi;

/*
 * Exports Box1 on @conn and asks for RB_API_NAME (a refusal is logged:
 * BLE goes on without the API). @group names [API] Group; a group that
 * does not exist leaves the API to root. @callbacks is copied.
 */
RbApi *rb_api_new(GDBusConnection *conn, const char *group,
		  const RbApiCallbacks *callbacks, void *user_data);
void rb_api_free(RbApi *api);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RbApi, rb_api_free)

/* The properties now; emits PropertiesChanged for what differs. */
void rb_api_update(RbApi *api, const RbApiSnapshot *snap);

/* A debounced button edge; @chord_held and @pairing are the state it was
 * pressed in, sent as PropertiesChanged first if they differ. */
void rb_api_button(RbApi *api, RbButton button, bool pressed,
		   uint64_t monotonic_us, bool chord_held, bool pairing);

/* Hands the owner's @msg to the application (see RbApiReplyFn). */
void rb_api_deliver(RbApi *api, const RbAppMessage *msg, const RbPeer *owner,
		    uint32_t request_id, RbApiReplyFn done, void *user_data);

/* The registered application's unique name, or NULL. */
const char *rb_api_application(RbApi *api);
