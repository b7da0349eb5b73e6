// SPDX-License-Identifier: GPL-2.0-or-later
#define G_LOG_DOMAIN "rb-bluez"

#include "bluez/agent-watch.h"

#define MATCH_RULE                                                             \
	"type='method_call',interface='org.bluez.AgentManager1',"              \
	"member='RequestDefaultAgent'"

/* Shared between the watch (main thread) and the filter (GDBus worker
 * thread): a report in flight outlives a freed watch. */
typedef struct {
	gint ref;
	gboolean alive; /* read and written on the main context only */
	RbAgentWatchFunc func;
	void *user_data;
	GMainContext *context;
} Shared;

struct RbAgentWatch {
	GDBusConnection *conn;
	guint filter_id;
	Shared *shared;
};

typedef struct {
	Shared *shared;
	char *sender;
	char *path;
} Report;

static Shared *shared_ref(Shared *s)
{
	g_atomic_int_inc(&s->ref);
	return s;
}

static void shared_unref(Shared *s)
{
	if (g_atomic_int_dec_and_test(&s->ref)) {
		g_main_context_unref(s->context);
		g_free(s);
	}
}

static gboolean deliver(gpointer data)
{
	Report *r = data;

	if (r->shared->alive)
		r->shared->func(r->sender, r->path, r->shared->user_data);
	return G_SOURCE_REMOVE;
}

static void report_free(gpointer data)
{
	Report *r = data;

	shared_unref(r->shared);
	g_free(r->sender);
	g_free(r->path);
	g_free(r);
}

/* GDBus worker thread. */
static GDBusMessage *filter(GDBusConnection *conn, GDBusMessage *msg,
			    gboolean incoming, gpointer data)
{
	Shared *shared = data;
	GVariant *body;
	const char *path = "";
	Report *r;

	if (!incoming)
		return msg;
	/* A monitor must never answer: GDBus would reply to a monitored call
	 * as if it were addressed to us, and the bus closes a monitor that
	 * sends anything. Only the reply to BecomeMonitor goes on. */
	switch (g_dbus_message_get_message_type(msg)) {
	case G_DBUS_MESSAGE_TYPE_METHOD_CALL:
		break;
	case G_DBUS_MESSAGE_TYPE_SIGNAL:
		g_object_unref(msg);
		return NULL;
	case G_DBUS_MESSAGE_TYPE_INVALID:
	case G_DBUS_MESSAGE_TYPE_METHOD_RETURN:
	case G_DBUS_MESSAGE_TYPE_ERROR:
	default:
		return msg;
	}
	if (g_strcmp0(g_dbus_message_get_interface(msg),
		      "org.bluez.AgentManager1") != 0 ||
	    g_strcmp0(g_dbus_message_get_member(msg), "RequestDefaultAgent") !=
		    0) {
		g_object_unref(msg);
		return NULL;
	}
	body = g_dbus_message_get_body(msg);
	if (body && g_variant_is_of_type(body, G_VARIANT_TYPE("(o)")))
		g_variant_get(body, "(&o)", &path);
	r = g_new0(Report, 1);
	r->shared = shared_ref(shared);
	r->sender = g_strdup(g_dbus_message_get_sender(msg));
	r->path = g_strdup(path);
	g_main_context_invoke_full(shared->context, G_PRIORITY_DEFAULT, deliver,
				   r, report_free);
	g_object_unref(msg);
	return NULL;
}

RbAgentWatch *rb_agent_watch_new(const char *address, RbAgentWatchFunc func,
				 void *user_data, GError **error)
{
	g_autoptr(RbAgentWatch) w = g_new0(RbAgentWatch, 1);
	g_autofree char *addr = NULL;
	g_autoptr(GVariant) reply = NULL;
	const char *rules[] = {MATCH_RULE, NULL};

	g_return_val_if_fail(func != NULL, NULL);
	if (address) {
		addr = g_strdup(address);
	} else {
		addr = g_dbus_address_get_for_bus_sync(G_BUS_TYPE_SYSTEM, NULL,
						       error);
		if (!addr)
			return NULL;
	}
	w->shared = g_new0(Shared, 1);
	w->shared->ref = 1;
	w->shared->alive = TRUE;
	w->shared->func = func;
	w->shared->user_data = user_data;
	w->shared->context = g_main_context_ref_thread_default();
	w->conn = g_dbus_connection_new_for_address_sync(
		addr,
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
			G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
		NULL, NULL, error);
	if (!w->conn)
		return NULL;
	/* A monitor must not be asked to exit on disconnect from our side:
	 * the bus closes it when the watch goes. */
	g_dbus_connection_set_exit_on_close(w->conn, FALSE);
	w->filter_id = g_dbus_connection_add_filter(
		w->conn, filter, shared_ref(w->shared),
		(GDestroyNotify)shared_unref);
	reply = g_dbus_connection_call_sync(
		w->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
		"org.freedesktop.DBus.Monitoring", "BecomeMonitor",
		g_variant_new("(^asu)", rules, 0U), NULL,
		G_DBUS_CALL_FLAGS_NONE, 5000, NULL, error);
	if (!reply)
		return NULL;
	return g_steal_pointer(&w);
}

void rb_agent_watch_free(RbAgentWatch *w)
{
	if (!w)
		return;
	if (w->shared)
		w->shared->alive = FALSE;
	if (w->conn) {
		if (w->filter_id)
			g_dbus_connection_remove_filter(w->conn, w->filter_id);
		g_dbus_connection_close_sync(w->conn, NULL, NULL);
		g_object_unref(w->conn);
	}
	if (w->shared)
		shared_unref(w->shared);
	g_free(w);
}
