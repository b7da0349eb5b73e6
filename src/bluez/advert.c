// SPDX-License-Identifier: GPL-2.0-or-later
#define G_LOG_DOMAIN "rb-advert"

#include <string.h>

#include "bluez/advert.h"
#include "bluez/dbus-util.h"
#include "core/error.h"
#include "gatt-uuids.h"

#define ADV_MANAGER_IFACE "org.bluez.LEAdvertisingManager1"

static const char advert_xml[] =
	"<node>"
	" <interface name='org.bluez.LEAdvertisement1'>"
	"  <method name='Release'/>"
	"  <property name='Type' type='s' access='read'/>"
	"  <property name='ServiceUUIDs' type='as' access='read'/>"
	"  <property name='LocalName' type='s' access='read'/>"
	"  <property name='Discoverable' type='b' access='read'/>"
	"  <property name='Includes' type='as' access='read'/>"
	" </interface>"
	"</node>";

struct _RbAdvert {
	RbBluez *bluez;
	GDBusConnection *conn;
	RbAdvertCallbacks cb;
	void *user_data;
	GDBusNodeInfo *node;
	RbDbusGuard *guard; /* Introspect, Properties */
	guint reg_id;
	guint vanish_id;
	char *local_name;
	gboolean tx_power;
	char *adapter_path;
};

static gboolean name_valid(const char *name, GError **error)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > RB_ADVERT_NAME_MAX ||
	    !g_utf8_validate(name, -1, NULL)) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "Advertised name must be 1..%d bytes of UTF-8",
			    RB_ADVERT_NAME_MAX);
		return FALSE;
	}
	return TRUE;
}

static void advert_method_call(GDBusConnection *conn, const char *sender,
			       const char *path, const char *iface,
			       const char *method, GVariant *params,
			       GDBusMethodInvocation *inv, gpointer data)
{
	RbAdvert *self = data;

	if (!rb_bluez_sender_is_bluez(self->bluez, sender)) {
		rb_dbus_refuse_sender(inv);
		return;
	}
	/* Release is the only method. */
	g_message("Advertisement released by BlueZ");
	g_clear_pointer(&self->adapter_path, g_free);
	g_dbus_method_invocation_return_value(inv, NULL);
	if (self->cb.release)
		self->cb.release(self->user_data);
}

static GVariant *advert_get_property(GDBusConnection *conn, const char *sender,
				     const char *path, const char *iface,
				     const char *prop, GError **error,
				     gpointer data)
{
	RbAdvert *self = data;
	static const char *const uuids[] = {RB_UUID_SERVICE, NULL};
	const char *includes[] = {"tx-power", NULL};

	if (!rb_bluez_sender_is_bluez(self->bluez, sender)) {
		g_message("Refused property read on %s from %s: not the "
			  "org.bluez owner",
			  path, sender ? sender : "(no sender)");
		g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED,
			    "Not the org.bluez owner");
		return NULL;
	}
	if (strcmp(prop, "Type") == 0)
		return g_variant_new_string("peripheral");
	if (strcmp(prop, "ServiceUUIDs") == 0)
		return g_variant_new_strv(uuids, -1);
	if (strcmp(prop, "LocalName") == 0)
		return g_variant_new_string(self->local_name);
	if (strcmp(prop, "Discoverable") == 0)
		return g_variant_new_boolean(TRUE);
	if (strcmp(prop, "Includes") == 0)
		return g_variant_new_strv(includes, self->tx_power ? 1 : 0);
	g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY,
		    "No property %s", prop);
	return NULL;
}

static const GDBusInterfaceVTable advert_vtable = {
	.method_call = advert_method_call,
	.get_property = advert_get_property,
};

static void advert_vanished(void *data)
{
	RbAdvert *self = data;

	g_clear_pointer(&self->adapter_path, g_free);
}

RbAdvert *rb_advert_new(RbBluez *bluez, const char *local_name,
			const RbAdvertCallbacks *callbacks, void *user_data,
			GError **error)
{
	static const char *const paths[] = {RB_ADVERT_PATH, NULL};
	RbAdvert *self;
	g_autoptr(GError) local = NULL;

	if (!name_valid(local_name, error))
		return NULL;
	self = g_new0(RbAdvert, 1);
	self->bluez = bluez;
	self->conn = g_object_ref(rb_bluez_get_connection(bluez));
	if (callbacks)
		self->cb = *callbacks;
	self->user_data = user_data;
	self->local_name = g_strdup(local_name);
	self->node = g_dbus_node_info_new_for_xml(advert_xml, NULL);
	g_assert(self->node);
	self->guard = rb_dbus_guard_new(self->conn, paths);
	self->reg_id = g_dbus_connection_register_object(
		self->conn, RB_ADVERT_PATH, self->node->interfaces[0],
		&advert_vtable, self, NULL, &local);
	if (!self->reg_id) {
		g_set_error(error, RB_ERROR, RB_ERROR_BUSY,
			    "Cannot export the advertisement at %s: %s",
			    RB_ADVERT_PATH, local->message);
		rb_advert_free(self);
		return NULL;
	}
	self->vanish_id = rb_bluez_add_vanish_listener(bluez, advert_vanished,
						       self);
	return self;
}

void rb_advert_free(RbAdvert *self)
{
	if (!self)
		return;
	if (self->vanish_id)
		rb_bluez_remove_vanish_listener(self->bluez, self->vanish_id);
	if (self->reg_id)
		g_dbus_connection_unregister_object(self->conn, self->reg_id);
	rb_dbus_guard_free(self->guard);
	g_dbus_node_info_unref(self->node);
	g_object_unref(self->conn);
	g_free(self->local_name);
	g_free(self->adapter_path);
	g_free(self);
}

gboolean rb_advert_set_local_name(RbAdvert *self, const char *local_name,
				  GError **error)
{
	if (!name_valid(local_name, error))
		return FALSE;
	g_free(self->local_name);
	self->local_name = g_strdup(local_name);
	return TRUE;
}

const char *rb_advert_get_local_name(RbAdvert *self)
{
	return self->local_name;
}

void rb_advert_set_include_tx_power(RbAdvert *self, gboolean include)
{
	self->tx_power = include;
}

static void register_done(GObject *src, GAsyncResult *res, gpointer data)
{
	g_autoptr(GTask) task = data;
	RbAdvert *self = g_task_get_task_data(task);
	GError *error = NULL;

	if (!rb_dbus_call_bluez_finish(res, rb_advert_register, &error)) {
		g_task_return_error(task, error);
		return;
	}
	g_free(self->adapter_path);
	self->adapter_path = g_strdup(
		g_object_get_data(G_OBJECT(task), "adapter"));
	g_message("Advertising \"%s\" on %s", self->local_name,
		  self->adapter_path);
	g_task_return_boolean(task, TRUE);
}

void rb_advert_register(RbAdvert *self, const char *adapter_path,
			GCancellable *cancellable, GAsyncReadyCallback callback,
			gpointer user_data)
{
	GTask *task = g_task_new(NULL, cancellable, callback, user_data);
	GVariantBuilder opts;

	g_task_set_source_tag(task, rb_advert_register);
	g_task_set_task_data(task, self, NULL);
	if (!adapter_path || !g_variant_is_object_path(adapter_path)) {
		g_task_return_new_error(task, RB_ERROR, RB_ERROR_INVALID,
					"RegisterAdvertisement: bad adapter");
		g_object_unref(task);
		return;
	}
	g_object_set_data_full(G_OBJECT(task), "adapter",
			       g_strdup(adapter_path), g_free);
	g_variant_builder_init(&opts, G_VARIANT_TYPE("a{sv}"));
	rb_dbus_call_bluez(
		self->conn, rb_bluez_owner(self->bluez), adapter_path,
		ADV_MANAGER_IFACE, "RegisterAdvertisement",
		g_variant_new("(oa{sv})", RB_ADVERT_PATH, &opts), cancellable,
		register_done, task, rb_advert_register);
}

gboolean rb_advert_register_finish(RbAdvert *self, GAsyncResult *result,
				   GError **error)
{
	g_return_val_if_fail(g_task_get_source_tag(G_TASK(result)) ==
				     rb_advert_register,
			     FALSE);
	return g_task_propagate_boolean(G_TASK(result), error);
}

void rb_advert_unregister(RbAdvert *self, GCancellable *cancellable,
			  GAsyncReadyCallback callback, gpointer user_data)
{
	g_autofree char *adapter = g_steal_pointer(&self->adapter_path);

	if (!adapter) {
		g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback,
						   user_data);

		g_task_set_source_tag(task, rb_advert_unregister);
		g_task_return_new_error(task, RB_ERROR, RB_ERROR_NOT_FOUND,
					"Advertisement not registered");
		return;
	}
	rb_dbus_call_bluez(self->conn, rb_bluez_owner(self->bluez), adapter,
			   ADV_MANAGER_IFACE, "UnregisterAdvertisement",
			   g_variant_new("(o)", RB_ADVERT_PATH), cancellable,
			   callback, user_data, rb_advert_unregister);
}

gboolean rb_advert_unregister_finish(RbAdvert *self, GAsyncResult *result,
				     GError **error)
{
	return rb_dbus_call_bluez_finish(result, rb_advert_unregister, error);
}

const char *rb_advert_registered_adapter(RbAdvert *self)
{
	return self->adapter_path;
}
