// SPDX-License-Identifier: GPL-2.0-or-later
#define G_LOG_DOMAIN "rb-bluez"

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
