/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the BlueZ glue: calls to bluetoothd, error mapping. */
#pragma once

#include <gio/gio.h>

#define RB_BLUEZ_SERVICE "org.bluez"
#define RB_BLUEZ_ERROR_REJECTED "org.bluez.Error.Rejected"

/*
 * Turns an error from a D-Bus call into an RB_ERROR: DoesNotExist and
 * UnknownObject become RB_ERROR_NOT_FOUND, NotReady/InProgress/Busy
 * RB_ERROR_BUSY, NotAuthorized/AccessDenied/Rejected RB_ERROR_PERMISSION,
 * InvalidArguments RB_ERROR_INVALID, cancellation stays G_IO_ERROR_CANCELLED,
 * anything else RB_ERROR_FAILED. The message keeps the remote error name.
 * Returns a new error; @remote is not consumed.
 */
GError *rb_dbus_error_from_remote(const GError *remote);

/*
 * Calls @method on bluetoothd (the unique name @owner; RB_ERROR_NOT_FOUND at
 * once when @owner is NULL) and completes a GTask with no source object.
 * @params may be floating (it is sunk) or NULL. The reply body is ignored.
 * @tag identifies the public entry point for the _finish check.
 */
void rb_dbus_call_bluez(GDBusConnection *conn, const char *owner,
			const char *path, const char *iface, const char *method,
			GVariant *params, GCancellable *cancellable,
			GAsyncReadyCallback callback, gpointer user_data,
			gpointer tag);
gboolean rb_dbus_call_bluez_finish(GAsyncResult *result, gpointer tag,
				   GError **error);

/*
 * Refuses @inv with org.bluez.Error.Rejected and logs the sender, object
 * path and method (used for calls not coming from the org.bluez owner).
 */
void rb_dbus_refuse_sender(GDBusMethodInvocation *inv);
