// SPDX-License-Identifier: GPL-2.0-or-later
#define G_LOG_DOMAIN "rb-bluez"

#include <string.h>

#include "bluez/dbus-util.h"
#include "core/error.h"

static const struct {
	const char *suffix;
	RbErrorCode code;
} remote_codes[] = {
	{".DoesNotExist", RB_ERROR_NOT_FOUND},
	{".UnknownObject", RB_ERROR_NOT_FOUND},
	{".ServiceUnknown", RB_ERROR_NOT_FOUND},
	{".NameHasNoOwner", RB_ERROR_NOT_FOUND},
	{".NotReady", RB_ERROR_BUSY},
	{".InProgress", RB_ERROR_BUSY},
	{".Busy", RB_ERROR_BUSY},
	{".AlreadyExists", RB_ERROR_BUSY},
	{".NotAuthorized", RB_ERROR_PERMISSION},
	{".AccessDenied", RB_ERROR_PERMISSION},
	{".Rejected", RB_ERROR_PERMISSION},
	{".InvalidArguments", RB_ERROR_INVALID},
	{".InvalidArgs", RB_ERROR_INVALID},
};

GError *rb_dbus_error_from_remote(const GError *remote)
{
	g_autofree char *name = NULL;
	g_autoptr(GError) copy = NULL;
	RbErrorCode code = RB_ERROR_FAILED;

	if (g_error_matches(remote, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return g_error_copy(remote);
	name = g_dbus_error_get_remote_error(remote);
	copy = g_error_copy(remote);
	g_dbus_error_strip_remote_error(copy);
	if (!name)
		return g_error_new(RB_ERROR, RB_ERROR_FAILED, "%s",
				   copy->message);
	for (gsize i = 0; i < G_N_ELEMENTS(remote_codes); i++) {
		if (g_str_has_suffix(name, remote_codes[i].suffix)) {
			code = remote_codes[i].code;
			break;
		}
	}
	return g_error_new(RB_ERROR, code, "%s: %s", name, copy->message);
}

static void call_done(GObject *source, GAsyncResult *res, gpointer data)
{
	g_autoptr(GTask) task = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;

	reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res,
					      &error);
	if (!reply) {
		g_task_return_error(task, rb_dbus_error_from_remote(error));
		return;
	}
	g_task_return_boolean(task, TRUE);
}

void rb_dbus_call_bluez(GDBusConnection *conn, const char *owner,
			const char *path, const char *iface, const char *method,
			GVariant *params, GCancellable *cancellable,
			GAsyncReadyCallback callback, gpointer user_data,
			gpointer tag)
{
	g_autoptr(GTask)
		task = g_task_new(NULL, cancellable, callback, user_data);

	g_task_set_source_tag(task, tag);
	if (params)
		g_variant_ref_sink(params);
	if (!owner) {
		if (params)
			g_variant_unref(params);
		g_task_return_new_error(
			task, RB_ERROR, RB_ERROR_NOT_FOUND,
			"%s.%s on %s: org.bluez is not on the bus", iface,
			method, path);
		return;
	}
	g_dbus_connection_call(conn, owner, path, iface, method, params, NULL,
			       G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, cancellable,
			       call_done, g_steal_pointer(&task));
	if (params)
		g_variant_unref(params);
}

gboolean rb_dbus_call_bluez_finish(GAsyncResult *result, gpointer tag,
				   GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, NULL), FALSE);
	g_return_val_if_fail(g_task_get_source_tag(G_TASK(result)) == tag,
			     FALSE);
	return g_task_propagate_boolean(G_TASK(result), error);
}

void rb_dbus_refuse_sender(GDBusMethodInvocation *inv)
{
	const char *sender = g_dbus_method_invocation_get_sender(inv);

	g_message("Refused %s.%s on %s from %s: not the org.bluez owner",
		  g_dbus_method_invocation_get_interface_name(inv),
		  g_dbus_method_invocation_get_method_name(inv),
		  g_dbus_method_invocation_get_object_path(inv),
		  sender ? sender : "(no sender)");
	g_dbus_method_invocation_return_dbus_error(inv, RB_BLUEZ_ERROR_REJECTED,
						   "Not the org.bluez owner");
}

/* ---- RbDbusGuard ---- */

#define DBUS_NAME "org.freedesktop.DBus"
#define DBUS_PATH "/org/freedesktop/DBus"
#define DBUS_STANDARD_PREFIX "org.freedesktop.DBus."

struct _RbDbusGuard {
	gatomicrefcount ref; /* the RbDbusGuard and the filter */
	GDBusConnection *conn;
	GMainContext *context; /* where refusals are answered */
	GStrv paths; /* immutable */
	guint filter_id;
	guint signal_id;
	GMutex lock; /* for what follows */
	char *owner; /* unique name owning org.bluez, or NULL */
	guint32 owner_query; /* serial of our GetNameOwner, until answered */
};

typedef struct {
	GDBusConnection *conn;
	GDBusMessage *call;
} Refusal;

static RbDbusGuard *guard_ref(RbDbusGuard *self)
{
	g_atomic_ref_count_inc(&self->ref);
	return self;
}

static void guard_unref(gpointer data)
{
	RbDbusGuard *self = data;

	if (!g_atomic_ref_count_dec(&self->ref))
		return;
	g_mutex_clear(&self->lock);
	g_free(self->owner);
	g_strfreev(self->paths);
	g_main_context_unref(self->context);
	g_object_unref(self->conn);
	g_free(self);
}

static void refusal_free(gpointer data)
{
	Refusal *r = data;

	g_object_unref(r->conn);
	g_object_unref(r->call);
	g_free(r);
}

/* In the main context: log and answer a refused call. */
static gboolean refuse_call(gpointer data)
{
	Refusal *r = data;
	GDBusMessage *call = r->call;
	const char *iface = g_dbus_message_get_interface(call);
	const char *sender = g_dbus_message_get_sender(call);
	g_autoptr(GDBusMessage) reply = NULL;
	g_autoptr(GError) error = NULL;

	g_message("Refused %s.%s on %s from %s: not the org.bluez owner",
		  iface ? iface : "(no interface)",
		  g_dbus_message_get_member(call),
		  g_dbus_message_get_path(call),
		  sender ? sender : "(no sender)");
	if (g_dbus_message_get_flags(call) &
	    G_DBUS_MESSAGE_FLAGS_NO_REPLY_EXPECTED)
		return G_SOURCE_REMOVE;
	reply = g_dbus_message_new_method_error(
		call, "org.freedesktop.DBus.Error.AccessDenied",
		"Not the org.bluez owner");
	if (!g_dbus_connection_send_message(r->conn, reply,
					    G_DBUS_SEND_MESSAGE_FLAGS_NONE,
					    NULL, &error))
		g_debug("Cannot answer a refused call: %s", error->message);
	return G_SOURCE_REMOVE;
}

static void guard_set_owner_locked(RbDbusGuard *self, const char *owner)
{
	if (owner && !*owner)
		owner = NULL;
	if (g_strcmp0(self->owner, owner) == 0)
		return;
	g_free(self->owner);
	self->owner = g_strdup(owner);
}

/* The bus's own messages that tell who owns org.bluez. */
static void guard_watch_bus(RbDbusGuard *self, GDBusMessage *msg)
{
	GDBusMessageType type = g_dbus_message_get_message_type(msg);
	GVariant *body = g_dbus_message_get_body(msg);
	const char *name, *owner;

	if (g_strcmp0(g_dbus_message_get_sender(msg), DBUS_NAME) != 0)
		return;
	if (type == G_DBUS_MESSAGE_TYPE_SIGNAL) {
		if (g_strcmp0(g_dbus_message_get_member(msg),
			      "NameOwnerChanged") != 0 ||
		    g_strcmp0(g_dbus_message_get_interface(msg), DBUS_NAME) !=
			    0 ||
		    !body ||
		    !g_variant_is_of_type(body, G_VARIANT_TYPE("(sss)")))
			return;
		g_variant_get(body, "(&s&s&s)", &name, NULL, &owner);
		if (strcmp(name, RB_BLUEZ_SERVICE) != 0)
			return;
		g_mutex_lock(&self->lock);
		guard_set_owner_locked(self, owner);
		g_mutex_unlock(&self->lock);
		return;
	}
	g_mutex_lock(&self->lock);
	if (self->owner_query &&
	    g_dbus_message_get_reply_serial(msg) == self->owner_query) {
		self->owner_query = 0;
		/* An error is NameHasNoOwner. */
		owner = NULL;
		if (type == G_DBUS_MESSAGE_TYPE_METHOD_RETURN && body &&
		    g_variant_is_of_type(body, G_VARIANT_TYPE("(s)")))
			g_variant_get(body, "(&s)", &owner);
		guard_set_owner_locked(self, owner);
	}
	g_mutex_unlock(&self->lock);
}

static gboolean guard_covers(RbDbusGuard *self, GDBusMessage *msg)
{
	/* The interface first: a call on another one (every GATT write) is
	 * answered without looking at the path. */
	const char *iface = g_dbus_message_get_interface(msg);
	const char *path;

	if (iface && !g_str_has_prefix(iface, DBUS_STANDARD_PREFIX))
		return FALSE;
	path = g_dbus_message_get_path(msg);
	if (!path)
		return FALSE;
	return g_strv_contains((const char *const *)self->paths, path);
}

/* In GDBus's worker thread, for every message in and out. */
static GDBusMessage *guard_filter(GDBusConnection *conn, GDBusMessage *msg,
				  gboolean incoming, gpointer data)
{
	RbDbusGuard *self = data;
	Refusal *r;
	gboolean allowed;

	if (!incoming)
		return msg;
	switch (g_dbus_message_get_message_type(msg)) {
	case G_DBUS_MESSAGE_TYPE_SIGNAL:
	case G_DBUS_MESSAGE_TYPE_METHOD_RETURN:
	case G_DBUS_MESSAGE_TYPE_ERROR:
		guard_watch_bus(self, msg);
		return msg;
	case G_DBUS_MESSAGE_TYPE_METHOD_CALL:
		break;
	case G_DBUS_MESSAGE_TYPE_INVALID:
		return msg;
	}
	if (!guard_covers(self, msg))
		return msg;
	g_mutex_lock(&self->lock);
	allowed = self->owner &&
		  g_strcmp0(g_dbus_message_get_sender(msg), self->owner) == 0;
	g_mutex_unlock(&self->lock);
	if (allowed)
		return msg;
	r = g_new0(Refusal, 1);
	r->conn = g_object_ref(conn);
	r->call = msg; /* the filter's reference */
	g_main_context_invoke_full(self->context, G_PRIORITY_DEFAULT,
				   refuse_call, r, refusal_free);
	return NULL;
}

/* Only there for its match rule: the filter reads the signal. */
static void guard_noop_signal(GDBusConnection *conn, const char *sender,
			      const char *path, const char *iface,
			      const char *member, GVariant *params,
			      gpointer data)
{
}

static void guard_query_done(GObject *src, GAsyncResult *res, gpointer data)
{
	g_autoptr(GDBusMessage) reply = NULL;
	g_autoptr(GError) error = NULL;

	/* The filter has read the answer already. */
	reply = g_dbus_connection_send_message_with_reply_finish(
		G_DBUS_CONNECTION(src), res, &error);
	if (!reply)
		g_debug("GetNameOwner(org.bluez): %s", error->message);
}

RbDbusGuard *rb_dbus_guard_new(GDBusConnection *conn, const char *const *paths)
{
	RbDbusGuard *self = g_new0(RbDbusGuard, 1);
	g_autoptr(GDBusMessage) query = NULL;

	g_atomic_ref_count_init(&self->ref);
	g_mutex_init(&self->lock);
	self->conn = g_object_ref(conn);
	self->context = g_main_context_ref_thread_default();
	self->paths = g_strdupv((char **)paths);
	self->filter_id = g_dbus_connection_add_filter(
		conn, guard_filter, guard_ref(self), guard_unref);
	/*
	 * The match rule first, then the question: the bus handles them in
	 * this order, so every change after its answer reaches the filter.
	 */
	self->signal_id = g_dbus_connection_signal_subscribe(
		conn, DBUS_NAME, DBUS_NAME, "NameOwnerChanged", DBUS_PATH,
		RB_BLUEZ_SERVICE, G_DBUS_SIGNAL_FLAGS_NONE, guard_noop_signal,
		NULL, NULL);
	query = g_dbus_message_new_method_call(DBUS_NAME, DBUS_PATH, DBUS_NAME,
					       "GetNameOwner");
	g_dbus_message_set_body(query, g_variant_new("(s)", RB_BLUEZ_SERVICE));
	/* Locked: the filter must know the serial before the answer. */
	g_mutex_lock(&self->lock);
	g_dbus_connection_send_message_with_reply(
		conn, query, G_DBUS_SEND_MESSAGE_FLAGS_NONE, -1,
		&self->owner_query, NULL, guard_query_done, NULL);
	g_mutex_unlock(&self->lock);
	return self;
}

void rb_dbus_guard_free(RbDbusGuard *self)
{
	if (!self)
		return;
	g_dbus_connection_signal_unsubscribe(self->conn, self->signal_id);
	/* The filter's reference goes when GDBus is done with it. */
	g_dbus_connection_remove_filter(self->conn, self->filter_id);
	guard_unref(self);
}
