/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RbAgent: the daemon's org.bluez.Agent1 at RB_AGENT_PATH, capability
 * "DisplayOnly" (LE Secure Connections Passkey Entry: the box shows, the
 * phone types).
 *
 *  - Only calls from the current org.bluez owner are served; others get
 *    org.bluez.Error.Rejected and a log line.
 *  - DisplayPasskey for a device on the box's adapter (rb_agent_set_adapter)
 *    goes to display_passkey(); a device elsewhere, or any device while no
 *    adapter is set, is refused (logged, Rejected) without a callback.
 *    BlueZ 5.66 sends DisplayPasskey without waiting for a reply
 *    (src/agent.c, agent_display_passkey: g_dbus_send_message), so the
 *    reply has no effect on the pairing: when the owner refuses, it must
 *    disconnect the peer itself (rb_bluez_disconnect_device).
 *  - RequestAuthorization (Just Works), RequestConfirmation,
 *    RequestPasskey, RequestPinCode, DisplayPinCode and AuthorizeService
 *    are always answered org.bluez.Error.Rejected and logged; refused() is
 *    told about the ones for devices on the box's adapter.
 *  - Release and Cancel reach release() / cancel().
 */
#pragma once

#include <gio/gio.h>

#include "bluez/bluez.h"

#define RB_AGENT_PATH "/org/reactionbox/agent"
#define RB_AGENT_CAPABILITY "DisplayOnly"

typedef struct _RbAgent RbAgent;

/* Every member may be NULL (display_passkey NULL refuses every passkey). */
typedef struct {
	/*
	 * Show @passkey (0..999999, print as six digits) for @device_path.
	 * @entered: keys typed so far on the phone, when it reports them.
	 * Return TRUE if shown, FALSE to refuse (the reply is then
	 * org.bluez.Error.Rejected; disconnect the peer yourself).
	 * Called again for the same pairing as @entered grows.
	 */
	gboolean (*display_passkey)(const char *device_path, guint32 passkey,
				    guint16 entered, void *user_data);
	/* BlueZ cancelled the request in progress (not sent after a wrong
	 * PIN: see the mgmt Authentication Failed event). */
	void (*cancel)(void *user_data);
	/* BlueZ unregistered the agent (it is no longer registered). */
	void (*release)(void *user_data);
	/* A request for a device on the box's adapter was refused by the
	 * agent; @method is the Agent1 method name. */
	void (*refused)(const char *method, const char *device_path,
			void *user_data);
} RbAgentCallbacks;

/*
 * Exports the agent object on @bluez's connection. @callbacks is copied;
 * @bluez is borrowed and must outlive the agent. NULL with RB_ERROR_BUSY
 * if the path is taken.
 */
RbAgent *rb_agent_new(RbBluez *bluez, const RbAgentCallbacks *callbacks,
		      void *user_data, GError **error);
/* Unexports (does not call UnregisterAgent: see rb_agent_unregister). */
void rb_agent_free(RbAgent *agent);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RbAgent, rb_agent_free)

/* The box's own adapter, e.g. "/org/bluez/hci0"; NULL refuses all. Copied. */
void rb_agent_set_adapter(RbAgent *agent, const char *adapter_path);

/*
 * AgentManager1.RegisterAgent(RB_AGENT_PATH, "DisplayOnly") and
 * AgentManager1.RequestDefaultAgent(RB_AGENT_PATH) at /org/bluez, sent
 * back to back (bluetoothd serves them in that order). Completes after
 * both replies with RegisterAgent's error if any (AlreadyExists is no
 * error: the agent is still registered), else RequestDefaultAgent's.
 */
void rb_agent_register(RbAgent *agent, GCancellable *cancellable,
		       GAsyncReadyCallback callback, gpointer user_data);
/* RequestDefaultAgent again (another agent took the default); finish
 * with rb_agent_register_finish(). */
void rb_agent_request_default(RbAgent *agent, GCancellable *cancellable,
			      GAsyncReadyCallback callback, gpointer user_data);
gboolean rb_agent_register_finish(RbAgent *agent, GAsyncResult *result,
				  GError **error);

/* AgentManager1.UnregisterAgent(RB_AGENT_PATH). */
void rb_agent_unregister(RbAgent *agent, GCancellable *cancellable,
			 GAsyncReadyCallback callback, gpointer user_data);
gboolean rb_agent_unregister_finish(RbAgent *agent, GAsyncResult *result,
				    GError **error);

/* TRUE between a successful rb_agent_register() and Release, unregister
 * or org.bluez vanishing. */
gboolean rb_agent_is_registered(RbAgent *agent);
