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

static RbAgentWatch *watch_alloc(RbAgentWatchFunc func, void *user_data)
{
	RbAgentWatch *w = g_new0(RbAgentWatch, 1);

	w->shared = g_new0(Shared, 1);
	w->shared->ref = 1;
	w->shared->alive = TRUE;
	w->shared->func = func;
	w->shared->user_data = user_data;
	w->shared->context = g_main_context_ref_thread_default();
	return w;
}

static char *bus_address(const char *address, GError **error)
{
	return address ? g_strdup(address)
		       : g_dbus_address_get_for_bus_sync(G_BUS_TYPE_SYSTEM,
							 NULL, error);
}

#define CONN_FLAGS                                                             \
	(G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |                       \
	 G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION)

/* The connection is up: the filter, before BecomeMonitor's answer. */
static void watch_connected(RbAgentWatch *w)
{
	/* A monitor must not be asked to exit on disconnect from our side:
	 * the bus closes it when the watch goes. */
	g_dbus_connection_set_exit_on_close(w->conn, FALSE);
	w->filter_id = g_dbus_connection_add_filter(
		w->conn, filter, shared_ref(w->shared),
		(GDestroyNotify)shared_unref);
}

static GVariant *become_monitor_args(void)
{
	const char *rules[] = {MATCH_RULE, NULL};

	return g_variant_new("(^asu)", rules, 0U);
}

RbAgentWatch *rb_agent_watch_new(const char *address, RbAgentWatchFunc func,
				 void *user_data, GError **error)
{
	g_autoptr(RbAgentWatch) w = NULL;
	g_autofree char *addr = NULL;
	g_autoptr(GVariant) reply = NULL;

	g_return_val_if_fail(func != NULL, NULL);
	addr = bus_address(address, error);
	if (!addr)
		return NULL;
	w = watch_alloc(func, user_data);
	w->conn = g_dbus_connection_new_for_address_sync(addr, CONN_FLAGS, NULL,
							 NULL, error);
	if (!w->conn)
		return NULL;
	watch_connected(w);
	reply = g_dbus_connection_call_sync(
		w->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
		"org.freedesktop.DBus.Monitoring", "BecomeMonitor",
		become_monitor_args(), NULL, G_DBUS_CALL_FLAGS_NONE, 5000, NULL,
		error);
	if (!reply)
		return NULL;
	return g_steal_pointer(&w);
}

/* The task's data is the watch, returned or freed when the task ends. */
static void became_monitor(GObject *src, GAsyncResult *res, gpointer data)
{
	GTask *task = data;
	GError *error = NULL;
	GVariant *reply;

	reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res,
					      &error);
	if (!reply) {
		rb_agent_watch_free(g_task_get_task_data(task));
		g_task_return_error(task, error);
	} else {
		g_variant_unref(reply);
		g_task_return_pointer(task, g_task_get_task_data(task),
				      (GDestroyNotify)rb_agent_watch_free);
	}
	g_object_unref(task);
}

static void connected(GObject *src, GAsyncResult *res, gpointer data)
{
	GTask *task = data;
	RbAgentWatch *w = g_task_get_task_data(task);
	GError *error = NULL;

	w->conn = g_dbus_connection_new_for_address_finish(res, &error);
	if (!w->conn) {
		rb_agent_watch_free(w);
		g_task_return_error(task, error);
		g_object_unref(task);
		return;
	}
	watch_connected(w);
	g_dbus_connection_call(
		w->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
		"org.freedesktop.DBus.Monitoring", "BecomeMonitor",
		become_monitor_args(), NULL, G_DBUS_CALL_FLAGS_NONE, 5000,
		g_task_get_cancellable(task), became_monitor, task);
}

void rb_agent_watch_new_async(const char *address, RbAgentWatchFunc func,
			      void *user_data, GCancellable *cancellable,
			      GAsyncReadyCallback callback, gpointer cb_data)
{
	GTask *task = g_task_new(NULL, cancellable, callback, cb_data);
	g_autofree char *addr = NULL;
	GError *error = NULL;

	g_task_set_source_tag(task, rb_agent_watch_new_async);
	addr = bus_address(address, &error);
	if (!addr) {
		g_task_return_error(task, error);
		g_object_unref(task);
		return;
	}
	g_task_set_task_data(task, watch_alloc(func, user_data), NULL);
	g_dbus_connection_new_for_address(addr, CONN_FLAGS, NULL, cancellable,
					  connected, task);
}

RbAgentWatch *rb_agent_watch_new_finish(GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_get_source_tag(G_TASK(result)) ==
				     rb_agent_watch_new_async,
			     NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
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
