/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RbDbusIface: a GDBusInterfaceSkeleton driven by a hand-written
 * GDBusInterfaceVTable, so that objects can live in a
 * GDBusObjectManagerServer without generated code.
 *
 * The vtable's method_call, get_property and set_property receive the @user_data given
 * to rb_dbus_iface_new(). get_property is also called with @sender NULL
 * when the object manager collects properties for GetManagedObjects or
 * InterfacesAdded (an internal read, not a remote call).
 */
#pragma once

#include <gio/gio.h>

#define RB_TYPE_DBUS_IFACE (rb_dbus_iface_get_type())
G_DECLARE_FINAL_TYPE(RbDbusIface, rb_dbus_iface, RB, DBUS_IFACE,
		     GDBusInterfaceSkeleton)

/*
 * @info is referenced; @vtable must outlive the object (static storage).
 * Returns a new reference.
 */
RbDbusIface *rb_dbus_iface_new(GDBusInterfaceInfo *info,
			       const GDBusInterfaceVTable *vtable,
			       gpointer user_data);

/*
 * Emits org.freedesktop.DBus.Properties.PropertiesChanged for @property on
 * every connection the interface is exported on. @value may be floating
 * (it is sunk).
 */
void rb_dbus_iface_emit_changed(RbDbusIface *self, const char *property,
				GVariant *value);
