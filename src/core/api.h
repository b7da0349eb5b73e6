/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who may call what on the daemon's D-Bus API (org.reactionbox.Box1,
 * reaction-boxd-dbus(7)), and the limits of the application path. Pure:
 * src/api/ gathers the caller's facts (its uid and groups from the bus,
 * whether it is the registered application) and carries out the verdict.
 * The bus policy (data/org.reactionbox.conf) says the same; this is the
 * second lock, for a bus whose policy was changed or not installed.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef enum {
	RB_API_GET_PROPERTIES = 0,
	RB_API_REGISTER,
	RB_API_UNREGISTER,
	RB_API_NOTIFY,
	RB_API_SET_STATE,
	RB_API_EXIT_PAIRING,
	RB_API_ENTER_PAIRING,
	RB_API_FORGET_OWNER,
	RB_API_FACTORY_RESET,
} RbApiMethod;
#define RB_API_METHOD_COUNT 9

/* The method's D-Bus member name ("RegisterApplication", ...; "Get" for
 * the properties). */
const char *rb_api_method_name(RbApiMethod m);

typedef struct {
	uint32_t uid;
	bool in_group; /* a member of [API] Group (primary or supplementary) */
	bool is_application; /* the registered application's unique name */
	bool application_registered; /* any application is registered */
} RbApiCaller;

typedef enum {
	RB_API_ALLOW = 0,
	RB_API_DENY_ROOT_ONLY, /* admin methods: uid 0 only */
	RB_API_DENY_NOT_IN_GROUP, /* neither root nor in the group */
	RB_API_DENY_NOT_APPLICATION, /* Notify, SetState, Unregister */
	RB_API_DENY_ALREADY_REGISTERED, /* a second application */
} RbApiVerdict;

RbApiVerdict rb_api_authorize(RbApiMethod m, const RbApiCaller *caller);

/* A sentence for the caller's D-Bus error and the log. */
const char *rb_api_verdict_text(RbApiVerdict v);

/* The application path's bounds. */
#define RB_API_REPLY_TIMEOUT_MS 5000 /* HandleMessage's answer */
#define RB_API_MAX_IN_FLIGHT 4 /* HandleMessage calls awaiting answers */
