// SPDX-License-Identifier: GPL-2.0-or-later
#define G_LOG_DOMAIN "rb-dbus"

#include "bluez/iface.h"

struct _RbDbusIface {
	GDBusInterfaceSkeleton parent;
	GDBusInterfaceInfo *info;
	const GDBusInterfaceVTable *vtable;
	gpointer user_data;
};

G_DEFINE_TYPE(RbDbusIface, rb_dbus_iface, G_TYPE_DBUS_INTERFACE_SKELETON)

/*
 * The skeleton registers its objects with itself as user_data; these
 * forwarders swap in the caller's user_data.
 */
static void forward_method_call(GDBusConnection *conn, const char *sender,
				const char *path, const char *iface,
				const char *method, GVariant *params,
				GDBusMethodInvocation *inv, gpointer user_data)
{
	RbDbusIface *self = RB_DBUS_IFACE(user_data);

	if (!self->vtable->method_call) {
		g_dbus_method_invocation_return_dbus_error(
			inv, "org.freedesktop.DBus.Error.UnknownMethod",
			"No methods");
		return;
	}
	self->vtable->method_call(conn, sender, path, iface, method, params,
				  inv, self->user_data);
}

static GVariant *forward_get_property(GDBusConnection *conn, const char *sender,
				      const char *path, const char *iface,
				      const char *property, GError **error,
				      gpointer user_data)
{
	RbDbusIface *self = RB_DBUS_IFACE(user_data);

	if (!self->vtable->get_property) {
		g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY,
			    "No property %s", property);
		return NULL;
	}
	return self->vtable->get_property(conn, sender, path, iface, property,
					  error, self->user_data);
}

static gboolean forward_set_property(GDBusConnection *conn, const char *sender,
				     const char *path, const char *iface,
				     const char *property, GVariant *value,
				     GError **error, gpointer user_data)
{
	RbDbusIface *self = RB_DBUS_IFACE(user_data);

	if (!self->vtable->set_property) {
		g_set_error(error, G_DBUS_ERROR,
			    G_DBUS_ERROR_PROPERTY_READ_ONLY,
			    "Property %s is read-only", property);
		return FALSE;
	}
	return self->vtable->set_property(conn, sender, path, iface, property,
					  value, error, self->user_data);
}

static const GDBusInterfaceVTable forward_vtable = {
	.method_call = forward_method_call,
	.get_property = forward_get_property,
	.set_property = forward_set_property,
};

static GDBusInterfaceInfo *iface_get_info(GDBusInterfaceSkeleton *skel)
{
	return RB_DBUS_IFACE(skel)->info;
}

static GDBusInterfaceVTable *iface_get_vtable(GDBusInterfaceSkeleton *skel)
{
	/* GIO's prototype is not const; the table is never written. */
	return (GDBusInterfaceVTable *)&forward_vtable;
}

static GVariant *iface_get_properties(GDBusInterfaceSkeleton *skel)
{
	RbDbusIface *self = RB_DBUS_IFACE(skel);
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	for (guint i = 0; self->info->properties && self->info->properties[i];
	     i++) {
		GDBusPropertyInfo *p = self->info->properties[i];
		GVariant *v;

		if (!(p->flags & G_DBUS_PROPERTY_INFO_FLAGS_READABLE) ||
		    !self->vtable->get_property)
			continue;
		v = self->vtable->get_property(
			g_dbus_interface_skeleton_get_connection(skel), NULL,
			g_dbus_interface_skeleton_get_object_path(skel),
			self->info->name, p->name, NULL, self->user_data);
		if (!v)
			continue;
		/* Getters may return floating or owned values. */
		g_variant_take_ref(v);
		g_variant_builder_add(&b, "{sv}", p->name, v);
		g_variant_unref(v);
	}
	return g_variant_builder_end(&b);
}

static void iface_flush(GDBusInterfaceSkeleton *skel)
{
}

static void rb_dbus_iface_finalize(GObject *obj)
{
	RbDbusIface *self = RB_DBUS_IFACE(obj);

	g_dbus_interface_info_unref(self->info);
	G_OBJECT_CLASS(rb_dbus_iface_parent_class)->finalize(obj);
}

static void rb_dbus_iface_class_init(RbDbusIfaceClass *klass)
{
	GDBusInterfaceSkeletonClass *skel = G_DBUS_INTERFACE_SKELETON_CLASS(
		klass);

	G_OBJECT_CLASS(klass)->finalize = rb_dbus_iface_finalize;
	skel->get_info = iface_get_info;
	skel->get_vtable = iface_get_vtable;
	skel->get_properties = iface_get_properties;
	skel->flush = iface_flush;
}

static void rb_dbus_iface_init(RbDbusIface *self)
{
}

RbDbusIface *rb_dbus_iface_new(GDBusInterfaceInfo *info,
			       const GDBusInterfaceVTable *vtable,
			       gpointer user_data)
{
	RbDbusIface *self = g_object_new(RB_TYPE_DBUS_IFACE, NULL);

	self->info = g_dbus_interface_info_ref(info);
	self->vtable = vtable;
	self->user_data = user_data;
	return self;
}

void rb_dbus_iface_emit_changed(RbDbusIface *self, const char *property,
				GVariant *value)
{
	GDBusInterfaceSkeleton *skel = G_DBUS_INTERFACE_SKELETON(self);
	const char *path = g_dbus_interface_skeleton_get_object_path(skel);
	GList *conns = g_dbus_interface_skeleton_get_connections(skel);
	g_autoptr(GVariant) params = NULL;
	GVariant *entry, *args[3];

	/* (sa{sv}as) built from its parts: no format string parsed for every
	 * notification */
	entry = g_variant_new_dict_entry(g_variant_new_string(property),
					 g_variant_new_variant(value));
	args[0] = g_variant_new_string(self->info->name);
	args[1] = g_variant_new_array(G_VARIANT_TYPE("{sv}"), &entry, 1);
	args[2] = g_variant_new_array(G_VARIANT_TYPE_STRING, NULL, 0);
	params = g_variant_ref_sink(g_variant_new_tuple(args, 3));
	for (GList *l = conns; l && path; l = l->next) {
		g_autoptr(GError) error = NULL;

		if (!g_dbus_connection_emit_signal(
			    l->data, NULL, path,
			    "org.freedesktop.DBus.Properties",
			    "PropertiesChanged", params, &error))
			g_warning("%s: PropertiesChanged %s failed: %s", path,
				  property, error->message);
	}
	g_list_free_full(conns, g_object_unref);
}
