// SPDX-License-Identifier: GPL-2.0-or-later
#define G_LOG_DOMAIN "fake-bluez"

#include <string.h>

#include "bluez/iface.h"
#include "test-bluez-fake.h"

Fake *fake;

static const char fake_xml[] =
	"<node>"
	" <interface name='org.bluez.AgentManager1'>"
	"  <method name='RegisterAgent'>"
	"   <arg type='o' direction='in'/><arg type='s' direction='in'/>"
	"  </method>"
	"  <method name='UnregisterAgent'><arg type='o' direction='in'/>"
	"  </method>"
	"  <method name='RequestDefaultAgent'><arg type='o' direction='in'/>"
	"  </method>"
	" </interface>"
	" <interface name='org.bluez.Adapter1'>"
	"  <method name='RemoveDevice'><arg type='o' direction='in'/></method>"
	"  <property name='Address' type='s' access='read'/>"
	"  <property name='Alias' type='s' access='readwrite'/>"
	"  <property name='Powered' type='b' access='readwrite'/>"
	"  <property name='Pairable' type='b' access='readwrite'/>"
	"  <property name='Discoverable' type='b' access='readwrite'/>"
	" </interface>"
	" <interface name='org.bluez.GattManager1'>"
	"  <method name='RegisterApplication'>"
	"   <arg type='o' direction='in'/><arg type='a{sv}' direction='in'/>"
	"  </method>"
	"  <method name='UnregisterApplication'>"
	"   <arg type='o' direction='in'/>"
	"  </method>"
	" </interface>"
	" <interface name='org.bluez.LEAdvertisingManager1'>"
	"  <method name='RegisterAdvertisement'>"
	"   <arg type='o' direction='in'/><arg type='a{sv}' direction='in'/>"
	"  </method>"
	"  <method name='UnregisterAdvertisement'>"
	"   <arg type='o' direction='in'/>"
	"  </method>"
	" </interface>"
	" <interface name='org.bluez.Device1'>"
	"  <method name='Disconnect'/>"
	"  <property name='Address' type='s' access='read'/>"
	"  <property name='AddressType' type='s' access='read'/>"
	"  <property name='Adapter' type='o' access='read'/>"
	"  <property name='Paired' type='b' access='read'/>"
	"  <property name='Bonded' type='b' access='read'/>"
	"  <property name='Connected' type='b' access='read'/>"
	"  <property name='ServicesResolved' type='b' access='read'/>"
	" </interface>"
	"</node>";

static GDBusNodeInfo *fake_node;

gboolean wait_timeout_cb(gpointer data)
{
	*(gboolean *)data = TRUE;
	return G_SOURCE_REMOVE;
}

void spin(guint ms)
{
	gboolean to = FALSE;

	g_timeout_add(ms, wait_timeout_cb, &to);
	while (!to)
		g_main_context_iteration(NULL, TRUE);
}

static void record(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void record(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_ptr_array_add(fake->calls, g_strdup_vprintf(fmt, ap));
	va_end(ap);
}

int fake_find_call(const char *prefix)
{
	for (guint i = 0; i < fake->calls->len; i++) {
		if (g_str_has_prefix(fake->calls->pdata[i], prefix))
			return (int)i;
	}
	return -1;
}

static void app_objects_done(GObject *src, GAsyncResult *res, gpointer data)
{
	GDBusMethodInvocation *inv = data;
	g_autoptr(GVariant) reply = NULL;

	reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res,
					      &fake->app_error);
	if (reply)
		fake->app_objects = g_variant_get_child_value(reply, 0);
	g_dbus_method_invocation_return_value(inv, NULL);
}

static void advert_props_done(GObject *src, GAsyncResult *res, gpointer data)
{
	GDBusMethodInvocation *inv = data;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GError) error = NULL;

	reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res,
					      &error);
	if (!reply) {
		g_dbus_method_invocation_return_dbus_error(
			inv, "org.bluez.Error.Failed", error->message);
		return;
	}
	fake->advert_props = g_variant_get_child_value(reply, 0);
	g_dbus_method_invocation_return_value(inv, NULL);
}

static void fake_method_call(GDBusConnection *conn, const char *sender,
			     const char *path, const char *iface,
			     const char *method, GVariant *params,
			     GDBusMethodInvocation *inv, gpointer data)
{
	g_autofree char *args = g_variant_print(params, FALSE);
	const char *obj = NULL;

	record("%s %s %s", method, path, args);
	g_debug("call: %s %s %s", method, path, args);
	if (strcmp(method, "RegisterApplication") == 0) {
		g_variant_get_child(params, 0, "&o", &obj);
		g_dbus_connection_call(conn, sender, obj,
				       "org.freedesktop.DBus.ObjectManager",
				       "GetManagedObjects", NULL,
				       G_VARIANT_TYPE("(a{oa{sa{sv}}})"),
				       G_DBUS_CALL_FLAGS_NONE, 5000, NULL,
				       app_objects_done, inv);
		return;
	}
	if (strcmp(method, "RegisterAdvertisement") == 0) {
		g_variant_get_child(params, 0, "&o", &obj);
		g_dbus_connection_call(
			conn, sender, obj, "org.freedesktop.DBus.Properties",
			"GetAll",
			g_variant_new("(s)", "org.bluez.LEAdvertisement1"),
			G_VARIANT_TYPE("(a{sv})"), G_DBUS_CALL_FLAGS_NONE, 5000,
			NULL, advert_props_done, inv);
		return;
	}
	g_dbus_method_invocation_return_value(inv, NULL);
}

static char *prop_key(const char *path, const char *prop)
{
	return g_strconcat(path, "|", prop, NULL);
}

static GVariant *fake_get_property(GDBusConnection *conn, const char *sender,
				   const char *path, const char *iface,
				   const char *prop, GError **error,
				   gpointer data)
{
	g_autofree char *key = prop_key(path, prop);
	GVariant *v = g_hash_table_lookup(fake->props, key);

	if (!v) {
		g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY,
			    "%s", prop);
		return NULL;
	}
	return g_variant_ref(v);
}

static gboolean fake_set_property(GDBusConnection *conn, const char *sender,
				  const char *path, const char *iface,
				  const char *prop, GVariant *value,
				  GError **error, gpointer data)
{
	g_autofree char *v = g_variant_print(value, FALSE);

	record("Set %s %s %s", path, prop, v);
	fake_set_prop(path, iface, prop, value);
	return TRUE;
}

static const GDBusInterfaceVTable fake_vtable = {
	.method_call = fake_method_call,
	.get_property = fake_get_property,
	.set_property = fake_set_property,
};

static void add_iface(GDBusObjectSkeleton *obj, const char *iface)
{
	const char *path = g_dbus_object_get_object_path(G_DBUS_OBJECT(obj));
	RbDbusIface *i = rb_dbus_iface_new(
		g_dbus_node_info_lookup_interface(fake_node, iface),
		&fake_vtable, NULL);

	g_dbus_object_skeleton_add_interface(obj, G_DBUS_INTERFACE_SKELETON(i));
	g_hash_table_replace(fake->ifaces, g_strconcat(path, "|", iface, NULL),
			     i);
}

static void put_prop(const char *path, const char *prop, GVariant *v)
{
	g_hash_table_replace(fake->props, prop_key(path, prop),
			     g_variant_ref_sink(v));
}

void fake_set_prop(const char *path, const char *iface, const char *prop,
		   GVariant *value)
{
	g_autofree char *key = g_strconcat(path, "|", iface, NULL);
	RbDbusIface *i = g_hash_table_lookup(fake->ifaces, key);

	ck_assert_ptr_nonnull(i);
	g_variant_ref_sink(value);
	put_prop(path, prop, value);
	rb_dbus_iface_emit_changed(i, prop, value);
	g_variant_unref(value);
}

void fake_add_device(const char *path, const char *addr, const char *type)
{
	g_autoptr(GDBusObjectSkeleton) obj = g_dbus_object_skeleton_new(path);
	g_autofree char *adapter = g_path_get_dirname(path);

	put_prop(path, "Address", g_variant_new_string(addr));
	put_prop(path, "AddressType", g_variant_new_string(type));
	put_prop(path, "Adapter", g_variant_new_object_path(adapter));
	put_prop(path, "Paired", g_variant_new_boolean(FALSE));
	put_prop(path, "Bonded", g_variant_new_boolean(FALSE));
	put_prop(path, "Connected", g_variant_new_boolean(TRUE));
	put_prop(path, "ServicesResolved", g_variant_new_boolean(FALSE));
	add_iface(obj, "org.bluez.Device1");
	g_dbus_object_manager_server_export(fake->om, obj);
}

void fake_remove_device(const char *path)
{
	g_autofree char *key = g_strconcat(path, "|org.bluez.Device1", NULL);

	ck_assert(g_dbus_object_manager_server_unexport(fake->om, path));
	g_hash_table_remove(fake->ifaces, key);
}

static void name_acquired(GDBusConnection *c, const char *name, gpointer d)
{
	fake->owned = TRUE;
}

static void name_lost(GDBusConnection *c, const char *name, gpointer d)
{
	fake->owned = FALSE;
}

void fake_own(void)
{
	fake->own_id = g_bus_own_name_on_connection(
		fake->fake, "org.bluez", G_BUS_NAME_OWNER_FLAGS_NONE,
		name_acquired, name_lost, NULL, NULL);
	WAIT_UNTIL(fake->owned);
}

void fake_unown(void)
{
	g_bus_unown_name(fake->own_id);
	fake->own_id = 0;
	fake->owned = FALSE;
}

static void on_signal(GDBusConnection *c, const char *sender, const char *path,
		      const char *iface, const char *member, GVariant *params,
		      gpointer data)
{
	g_ptr_array_add(fake->signals,
			g_strconcat(path, "|", iface, "|", member, NULL));
	g_ptr_array_add(fake->signal_args, g_variant_ref(params));
}

static GDBusConnection *connect_bus(void)
{
	g_autoptr(GError) error = NULL;
	GDBusConnection *c = g_dbus_connection_new_for_address_sync(
		g_test_dbus_get_bus_address(fake->bus),
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
			G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
		NULL, NULL, &error);

	ck_assert_msg(c, "connect: %s", error ? error->message : "");
	return c;
}

void fake_setup(void)
{
	g_autoptr(GDBusObjectSkeleton) bluez = NULL;
	g_autoptr(GDBusObjectSkeleton) hci0 = NULL;

	fake = g_new0(Fake, 1);
	fake_node = g_dbus_node_info_new_for_xml(fake_xml, NULL);
	ck_assert_ptr_nonnull(fake_node);
	fake->bus = g_test_dbus_new(G_TEST_DBUS_NONE);
	g_test_dbus_up(fake->bus);
	fake->app = connect_bus();
	fake->fake = connect_bus();
	fake->intruder = connect_bus();
	fake->props = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					    (GDestroyNotify)g_variant_unref);
	fake->ifaces = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					     g_object_unref);
	fake->calls = g_ptr_array_new_with_free_func(g_free);
	fake->signals = g_ptr_array_new_with_free_func(g_free);
	fake->signal_args = g_ptr_array_new_with_free_func(
		(GDestroyNotify)g_variant_unref);
	fake->signal_sub = g_dbus_connection_signal_subscribe(
		fake->fake, NULL, "org.freedesktop.DBus.Properties",
		"PropertiesChanged", NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
		on_signal, NULL, NULL);

	fake->om = g_dbus_object_manager_server_new("/");
	bluez = g_dbus_object_skeleton_new("/org/bluez");
	add_iface(bluez, "org.bluez.AgentManager1");
	g_dbus_object_manager_server_export(fake->om, bluez);

	put_prop(FAKE_ADAPTER, "Address",
		 g_variant_new_string(FAKE_ADAPTER_ADDR));
	put_prop(FAKE_ADAPTER, "Alias", g_variant_new_string("raspberrypi"));
	put_prop(FAKE_ADAPTER, "Powered", g_variant_new_boolean(TRUE));
	put_prop(FAKE_ADAPTER, "Pairable", g_variant_new_boolean(TRUE));
	put_prop(FAKE_ADAPTER, "Discoverable", g_variant_new_boolean(FALSE));
	hci0 = g_dbus_object_skeleton_new(FAKE_ADAPTER);
	add_iface(hci0, "org.bluez.Adapter1");
	add_iface(hci0, "org.bluez.GattManager1");
	add_iface(hci0, "org.bluez.LEAdvertisingManager1");
	g_dbus_object_manager_server_export(fake->om, hci0);
	fake_add_device(FAKE_DEVICE, FAKE_DEVICE_ADDR, "random");
	g_dbus_object_manager_server_set_connection(fake->om, fake->fake);
	fake_own();
}

void fake_teardown(void)
{
	if (fake->own_id)
		g_bus_unown_name(fake->own_id);
	g_dbus_connection_signal_unsubscribe(fake->fake, fake->signal_sub);
	g_dbus_object_manager_server_set_connection(fake->om, NULL);
	g_object_unref(fake->om);
	g_hash_table_unref(fake->props);
	g_hash_table_unref(fake->ifaces);
	g_ptr_array_unref(fake->calls);
	g_ptr_array_unref(fake->signals);
	g_ptr_array_unref(fake->signal_args);
	g_clear_pointer(&fake->app_objects, g_variant_unref);
	g_clear_pointer(&fake->advert_props, g_variant_unref);
	g_clear_error(&fake->app_error);
	spin(10);
	g_dbus_connection_close_sync(fake->app, NULL, NULL);
	g_dbus_connection_close_sync(fake->fake, NULL, NULL);
	g_dbus_connection_close_sync(fake->intruder, NULL, NULL);
	g_object_unref(fake->app);
	g_object_unref(fake->fake);
	g_object_unref(fake->intruder);
	g_test_dbus_down(fake->bus);
	g_object_unref(fake->bus);
	g_dbus_node_info_unref(fake_node);
	g_free(fake);
	fake = NULL;
}

static void call_done(GObject *src, GAsyncResult *res, gpointer data)
{
	CallResult *r = data;

	r->reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res,
						 &r->error);
	if (r->error) {
		g_autoptr(GError) copy = g_error_copy(r->error);

		r->error_name = g_dbus_error_get_remote_error(r->error);
		g_dbus_error_strip_remote_error(copy);
		r->error_message = g_strdup(copy->message);
	}
	r->done = TRUE;
}

void call_wait(GDBusConnection *conn, const char *dest, const char *path,
	       const char *iface, const char *method, GVariant *params,
	       CallResult *r)
{
	memset(r, 0, sizeof(*r));
	g_dbus_connection_call(conn, dest, path, iface, method, params, NULL,
			       G_DBUS_CALL_FLAGS_NONE, 5000, NULL, call_done,
			       r);
	WAIT_UNTIL(r->done);
}

void call_result_clear(CallResult *r)
{
	g_clear_pointer(&r->reply, g_variant_unref);
	g_clear_error(&r->error);
	g_clear_pointer(&r->error_name, g_free);
	g_clear_pointer(&r->error_message, g_free);
}
