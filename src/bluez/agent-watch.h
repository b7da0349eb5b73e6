/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who takes BlueZ's default agent. Any local process may register an agent
 * and call AgentManager1.RequestDefaultAgent (an interactive bluetoothctl
 * does so when it starts), and BlueZ tells no one. This watch is a D-Bus
 * monitor connection (org.freedesktop.DBus.Monitoring.BecomeMonitor, which
 * the bus grants to root) that sees those calls, whoever makes them.
 *
 * It only reports: what to do about it is the caller's business.
 */
#pragma once

#include <gio/gio.h>

typedef struct RbAgentWatch RbAgentWatch;

/*
 * Called on the main context of rb_agent_watch_new() for every
 * RequestDefaultAgent call on the bus: @sender is the caller's unique
 * name, @agent_path the agent it asked for.
 */
typedef void (*RbAgentWatchFunc)(const char *sender, const char *agent_path,
				 void *user_data);

/*
 * Opens a monitor connection to the bus at @address (NULL: the system
 * bus, honouring DBUS_SYSTEM_BUS_ADDRESS). Fails if the bus refuses to
 * make it a monitor (not root) or cannot be reached.
 */
RbAgentWatch *rb_agent_watch_new(const char *address, RbAgentWatchFunc func,
				 void *user_data, GError **error);
/* The same without blocking: @callback gets the watch from
 * rb_agent_watch_new_finish() once the bus made it a monitor. */
void rb_agent_watch_new_async(const char *address, RbAgentWatchFunc func,
			      void *user_data, GCancellable *cancellable,
			      GAsyncReadyCallback callback, gpointer cb_data);
RbAgentWatch *rb_agent_watch_new_finish(GAsyncResult *result, GError **error);
void rb_agent_watch_free(RbAgentWatch *watch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RbAgentWatch, rb_agent_watch_free)
