/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the BlueZ glue: calls to bluetoothd, error mapping. */
#pragma once

#include <gio/gio.h>

#define RB_BLUEZ_SERVICE "org.bluez"
/* An adapter's object path is this and its name, e.g. "hci0". */
#define RB_BLUEZ_ADAPTER_PREFIX "/org/bluez/"
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

/*
 * RbDbusGuard: refuses the calls GDBus answers by itself on the daemon's
 * objects when they do not come from the current owner of org.bluez.
 *
 * GDBus serves org.freedesktop.DBus.Introspectable, .Properties (Get,
 * GetAll, Set), .Peer and, for a GDBusObjectManagerServer,
 * .ObjectManager.GetManagedObjects without asking the object: a vtable
 * never sees Introspect, Peer or GetManagedObjects, and GetAll swallows a
 * getter's error into an empty answer. So the guard is a message filter on
 * the connection: a method call on one of @paths whose interface is NULL
 * or in the org.freedesktop.DBus namespace, from a sender that is not the
 * owner of org.bluez, is dropped before dispatch and answered, from the
 * main context, with org.freedesktop.DBus.Error.AccessDenied and a log
 * line. Calls on the objects' own interfaces (org.bluez.*) go on to their
 * method handlers, which check the sender themselves.
 *
 * The filter runs in GDBus's worker thread, so it keeps its own record of
 * the owner, taken from the message stream itself: the answer to a
 * GetNameOwner it sends when created and every NameOwnerChanged for
 * org.bluez after that. It sees the bus's view in the bus's order: a new
 * owner's first call is served, a call from a departed owner is not.
 * Create the guard before exporting the objects and free it after
 * unexporting them. @paths is copied.
 */
typedef struct _RbDbusGuard RbDbusGuard;

RbDbusGuard *rb_dbus_guard_new(GDBusConnection *conn, const char *const *paths);
void rb_dbus_guard_free(RbDbusGuard *guard);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RbDbusGuard, rb_dbus_guard_free)
