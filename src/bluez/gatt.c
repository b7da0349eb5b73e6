// SPDX-License-Identifier: GPL-2.0-or-later
#define G_LOG_DOMAIN "rb-gatt"

#include <stdio.h>
#include <string.h>

#include "bluez/dbus-util.h"
#include "bluez/gatt.h"
#include "bluez/iface.h"
#include "core/error.h"
#include "gatt-uuids.h"

#define SERVICE_IFACE "org.bluez.GattService1"
#define CHAR_IFACE "org.bluez.GattCharacteristic1"
#define GATT_MANAGER_IFACE "org.bluez.GattManager1"
#define ERROR_UNLIKELY "org.reactionbox.Error.Unlikely"

static const char gatt_xml[] =
	"<node>"
	" <interface name='org.bluez.GattService1'>"
	"  <property name='UUID' type='s' access='read'/>"
	"  <property name='Primary' type='b' access='read'/>"
	" </interface>"
	" <interface name='org.bluez.GattCharacteristic1'>"
	"  <method name='ReadValue'>"
	"   <arg name='options' type='a{sv}' direction='in'/>"
	"   <arg name='value' type='ay' direction='out'/>"
	"  </method>"
	"  <method name='WriteValue'>"
	"   <arg name='value' type='ay' direction='in'/>"
	"   <arg name='options' type='a{sv}' direction='in'/>"
	"  </method>"
	"  <method name='StartNotify'/>"
	"  <method name='StopNotify'/>"
	"  <property name='UUID' type='s' access='read'/>"
	"  <property name='Service' type='o' access='read'/>"
	"  <property name='Flags' type='as' access='read'/>"
	" </interface>"
	"</node>";

typedef struct {
	const char *name;
	const char *path;
	const char *uuid;
	const char *const flags[4];
	gboolean readable;
	gboolean writable;
	gboolean notify;
} CharDef;

static const CharDef char_defs[RB_GATT_CHAR_COUNT] = {
	[RB_GATT_CHAR_PROTOCOL] = {"protocol",
				   RB_GATT_SERVICE_PATH "/char0",
				   RB_UUID_PROTOCOL,
				   {"read", "write", "notify", NULL},
				   TRUE,
				   TRUE,
				   TRUE},
	[RB_GATT_CHAR_OTA_DATA] = {"ota_data",
				   RB_GATT_SERVICE_PATH "/char1",
				   RB_UUID_OTA_DATA,
				   {"write", NULL},
				   FALSE,
				   TRUE,
				   FALSE},
	[RB_GATT_CHAR_ACCESS] = {"access",
				 RB_GATT_SERVICE_PATH "/char2",
				 RB_UUID_ACCESS,
				 {"read", "notify", NULL},
				 TRUE,
				 FALSE,
				 TRUE},
	[RB_GATT_CHAR_PAIR] = {"pair",
			       RB_GATT_SERVICE_PATH "/char3",
			       RB_UUID_PAIR,
			       {"secure-read", NULL},
			       TRUE,
			       FALSE,
			       FALSE},
	[RB_GATT_CHAR_APP_STATE] = {"app_state",
				    RB_GATT_SERVICE_PATH "/char4",
				    RB_UUID_APP_STATE,
				    {"read", "notify", NULL},
				    TRUE,
				    FALSE,
				    TRUE},
};

typedef struct {
	RbGatt *gatt;
	RbGattChar which;
	RbDbusIface *iface;
	guint subscribers;
} CharObj;

struct _RbGatt {
	RbBluez *bluez;
	GDBusConnection *conn;
	RbGattCallbacks cb;
	void *user_data;
	GDBusNodeInfo *node;
	GDBusObjectManagerServer *server;
	RbDbusIface *service_iface;
	CharObj chars[RB_GATT_CHAR_COUNT];
	RbDbusGuard *guard; /* Introspect, Properties, GetManagedObjects */
	GHashTable *mtus; /* device path -> GUINT_TO_POINTER(mtu) */
	bool last_link_bredr; /* the "link" option of the call being served */
	char *adapter_path; /* registered on */
	guint vanish_id;
};

const char *rb_gatt_char_name(RbGattChar which)
{
	return (unsigned)which < RB_GATT_CHAR_COUNT ? char_defs[which].name
						    : NULL;
}

const char *rb_gatt_char_path(RbGattChar which)
{
	return (unsigned)which < RB_GATT_CHAR_COUNT ? char_defs[which].path
						    : NULL;
}

const char *rb_gatt_char_uuid(RbGattChar which)
{
	return (unsigned)which < RB_GATT_CHAR_COUNT ? char_defs[which].uuid
						    : NULL;
}

const char *rb_gatt_write_error(RbGattWriteResult result, char message_buf[8])
{
	RbWriteVerdict verdict = result.verdict;

	message_buf[0] = '\0';
	switch (result.status) {
	case RB_GATT_WRITE_OK:
		return NULL;
	case RB_GATT_WRITE_REJECTED:
		if (verdict == RB_WRITE_OK)
			verdict = RB_WRITE_REJECT_NOT_AUTHORIZED;
		snprintf(message_buf, 8, "0x%02x",
			 rb_write_verdict_att_error(verdict));
		return "org.bluez.Error.Failed";
	case RB_GATT_WRITE_INVALID_LENGTH:
		g_strlcpy(message_buf, "Length", 8);
		return "org.bluez.Error.InvalidValueLength";
	case RB_GATT_WRITE_NOT_AUTHORIZED:
		g_strlcpy(message_buf, "Denied", 8);
		return "org.bluez.Error.NotAuthorized";
	case RB_GATT_WRITE_IN_PROGRESS:
		g_strlcpy(message_buf, "Busy", 8);
		return "org.bluez.Error.InProgress";
	case RB_GATT_WRITE_UNLIKELY:
		g_strlcpy(message_buf, "Failed", 8);
		return ERROR_UNLIKELY;
	}
	g_strlcpy(message_buf, "Failed", 8);
	return ERROR_UNLIKELY;
}

/* An "ay" of @len bytes; @data may be NULL when @len is 0. */
static GVariant *bytes_variant(const guint8 *data, gsize len)
{
	static const guint8 empty[1];

	return g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE,
					 data ? data : empty, len, 1);
}

/* The value of the option @entry (a "{sv}"), unboxed; @key receives its
 * name, which lives as long as the options do (as the value's strings).
 * No format strings: GLib parses one for every entry of
 * g_variant_iter_loop() (a tenth of the daemon's instructions per write). */
static GVariant *option_value(GVariant *entry, const char **key)
{
	g_autoptr(GVariant) k = g_variant_get_child_value(entry, 0);
	g_autoptr(GVariant) boxed = g_variant_get_child_value(entry, 1);

	*key = g_variant_get_string(k, NULL);
	return g_variant_get_variant(boxed);
}

/* Parses the common options; FALSE (and the call answered) on bad ones.
 * One pass over them (a g_variant_lookup() per key scanned the
 * dictionary once each); a key of another type than BlueZ's is ignored,
 * and of a key given twice the last counts. */
static gboolean parse_options(RbGatt *self, GVariant *options,
			      GDBusMethodInvocation *inv, const char **device,
			      guint16 *offset, gboolean *prep_authorize)
{
	guint16 mtu = 0;
	const char *link = NULL;
	gsize i, n = g_variant_n_children(options);

	*device = NULL;
	*offset = 0;
	*prep_authorize = FALSE;
	for (i = 0; i < n; i++) {
		g_autoptr(GVariant)
			entry = g_variant_get_child_value(options, i);
		const char *key;
		g_autoptr(GVariant) v = option_value(entry, &key);
		GVariantClass cls = g_variant_classify(v);

		if (cls == G_VARIANT_CLASS_OBJECT_PATH &&
		    strcmp(key, "device") == 0)
			*device = g_variant_get_string(v, NULL);
		else if (cls == G_VARIANT_CLASS_UINT16 &&
			 strcmp(key, "offset") == 0)
			*offset = g_variant_get_uint16(v);
		else if (cls == G_VARIANT_CLASS_BOOLEAN &&
			 strcmp(key, "prepare-authorize") == 0)
			*prep_authorize = g_variant_get_boolean(v);
		else if (cls == G_VARIANT_CLASS_UINT16 &&
			 strcmp(key, "mtu") == 0)
			mtu = g_variant_get_uint16(v);
		else if (cls == G_VARIANT_CLASS_STRING &&
			 strcmp(key, "link") == 0)
			link = g_variant_get_string(v, NULL);
	}
	if (!*device) {
		g_message("%s.%s on %s without a device: refused",
			  g_dbus_method_invocation_get_interface_name(inv),
			  g_dbus_method_invocation_get_method_name(inv),
			  g_dbus_method_invocation_get_object_path(inv));
		g_dbus_method_invocation_return_dbus_error(
			inv, "org.bluez.Error.InvalidArguments",
			"No device option");
		return FALSE;
	}
	if (mtu > 0 &&
	    GPOINTER_TO_UINT(g_hash_table_lookup(self->mtus, *device)) != mtu)
		g_hash_table_replace(self->mtus, g_strdup(*device),
				     GUINT_TO_POINTER(mtu));
	/* BlueZ names the bearer "LE" or "BR/EDR"; anything but LE is not
	 * the LE link the policy knows. */
	self->last_link_bredr = link && strcmp(link, "LE") != 0;
	return TRUE;
}

static void read_value(CharObj *c, GVariant *params, GDBusMethodInvocation *inv)
{
	RbGatt *self = c->gatt;
	/* (GDBus checked the arguments against the introspection data) */
	g_autoptr(GVariant) options = g_variant_get_child_value(params, 0);
	g_autoptr(GBytes) value = NULL;
	const char *device;
	const guint8 *data;
	gboolean prep;
	guint16 offset;
	gsize len;

	if (!parse_options(self, options, inv, &device, &offset, &prep))
		return;
	if (!char_defs[c->which].readable) {
		g_dbus_method_invocation_return_dbus_error(
			inv, "org.bluez.Error.NotPermitted", "Not readable");
		return;
	}
	if (self->cb.read)
		value = self->cb.read(c->which, device, self->user_data);
	if (!value) {
		g_message("Read of %s by %s refused", char_defs[c->which].name,
			  device);
		g_dbus_method_invocation_return_dbus_error(
			inv, "org.bluez.Error.NotPermitted", "Read refused");
		return;
	}
	data = g_bytes_get_data(value, &len);
	if (offset > len) {
		g_dbus_method_invocation_return_dbus_error(
			inv, "org.bluez.Error.InvalidOffset", "Offset");
		return;
	}
	g_debug("Read of %s by %s: %zu bytes from %u", char_defs[c->which].name,
		device, len, offset);
	g_dbus_method_invocation_return_value(
		inv, g_variant_new("(@ay)",
				   bytes_variant(data ? data + offset : NULL,
						 len - offset)));
}

static void write_value(CharObj *c, GVariant *params,
			GDBusMethodInvocation *inv)
{
	RbGatt *self = c->gatt;
	g_autoptr(GVariant) array = g_variant_get_child_value(params, 0);
	g_autoptr(GVariant) options = g_variant_get_child_value(params, 1);
	g_autoptr(GBytes) value = NULL;
	RbGattWriteResult result = {RB_GATT_WRITE_UNLIKELY, RB_WRITE_OK};
	char msg[8];
	const char *err;
	const char *device;
	gboolean prep;
	guint16 offset;

	if (!parse_options(self, options, inv, &device, &offset, &prep))
		return;
	if (!char_defs[c->which].writable) {
		g_message("Write to %s by %s: not writable",
			  char_defs[c->which].name, device);
		g_dbus_method_invocation_return_dbus_error(
			inv, "org.bluez.Error.NotPermitted", "Not writable");
		return;
	}
	if (prep) {
		g_message("Prepared write to %s by %s: not supported",
			  char_defs[c->which].name, device);
		g_dbus_method_invocation_return_dbus_error(
			inv, "org.bluez.Error.NotSupported",
			"Prepared writes not supported");
		return;
	}
	if (offset != 0) {
		g_message("Write to %s by %s at offset %u: refused",
			  char_defs[c->which].name, device, offset);
		g_dbus_method_invocation_return_dbus_error(
			inv, "org.bluez.Error.InvalidOffset",
			"Writes at an offset are not supported");
		return;
	}
	value = g_variant_get_data_as_bytes(array);
	if (self->cb.write)
		result = self->cb.write(c->which, device, value,
					self->user_data);
	err = rb_gatt_write_error(result, msg);
	if (!err) {
		/* (GLib formats a message before it drops it: not for every
		 * write) */
		if (!g_log_writer_default_would_drop(G_LOG_LEVEL_DEBUG,
						     G_LOG_DOMAIN))
			g_debug("Write to %s by %s: %zu bytes accepted",
				char_defs[c->which].name, device,
				g_bytes_get_size(value));
		g_dbus_method_invocation_return_value(inv, NULL);
		return;
	}
	g_message("Write to %s by %s refused: %s %s", char_defs[c->which].name,
		  device, err, msg);
	g_dbus_method_invocation_return_dbus_error(inv, err, msg);
}

static void set_notify(CharObj *c, gboolean start, GDBusMethodInvocation *inv)
{
	RbGatt *self = c->gatt;

	if (!char_defs[c->which].notify) {
		g_dbus_method_invocation_return_dbus_error(
			inv, "org.bluez.Error.NotSupported", "No notify");
		return;
	}
	if (start)
		c->subscribers++;
	else
		c->subscribers = 0;
	g_message("Notifications on %s %s (%u subscriber(s))",
		  char_defs[c->which].name, start ? "started" : "stopped",
		  c->subscribers);
	g_dbus_method_invocation_return_value(inv, NULL);
	if (self->cb.notify_changed)
		self->cb.notify_changed(c->which, c->subscribers,
					self->user_data);
}

static void char_method_call(GDBusConnection *conn, const char *sender,
			     const char *path, const char *iface,
			     const char *method, GVariant *params,
			     GDBusMethodInvocation *inv, gpointer data)
{
	CharObj *c = data;

	if (!rb_bluez_sender_is_bluez(c->gatt->bluez, sender)) {
		rb_dbus_refuse_sender(inv);
		return;
	}
	if (strcmp(method, "ReadValue") == 0)
		read_value(c, params, inv);
	else if (strcmp(method, "WriteValue") == 0)
		write_value(c, params, inv);
	else if (strcmp(method, "StartNotify") == 0)
		set_notify(c, TRUE, inv);
	else if (strcmp(method, "StopNotify") == 0)
		set_notify(c, FALSE, inv);
	else
		g_dbus_method_invocation_return_dbus_error(
			inv, "org.freedesktop.DBus.Error.UnknownMethod",
			method);
}

/* @sender is NULL for the object manager's own reads (GetManagedObjects). */
static gboolean property_allowed(RbGatt *self, const char *sender,
				 const char *path, GError **error)
{
	if (!sender || rb_bluez_sender_is_bluez(self->bluez, sender))
		return TRUE;
	g_message("Refused property read on %s from %s: not the org.bluez "
		  "owner",
		  path, sender);
	g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED,
		    "Not the org.bluez owner");
	return FALSE;
}

static GVariant *char_get_property(GDBusConnection *conn, const char *sender,
				   const char *path, const char *iface,
				   const char *prop, GError **error,
				   gpointer data)
{
	CharObj *c = data;
	const CharDef *def = &char_defs[c->which];

	if (!property_allowed(c->gatt, sender, path, error))
		return NULL;
	if (strcmp(prop, "UUID") == 0)
		return g_variant_new_string(def->uuid);
	if (strcmp(prop, "Service") == 0)
		return g_variant_new_object_path(RB_GATT_SERVICE_PATH);
	if (strcmp(prop, "Flags") == 0)
		return g_variant_new_strv(def->flags, -1);
	g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY,
		    "No property %s", prop);
	return NULL;
}

static GVariant *service_get_property(GDBusConnection *conn, const char *sender,
				      const char *path, const char *iface,
				      const char *prop, GError **error,
				      gpointer data)
{
	RbGatt *self = data;

	if (!property_allowed(self, sender, path, error))
		return NULL;
	if (strcmp(prop, "UUID") == 0)
		return g_variant_new_string(RB_UUID_SERVICE);
	if (strcmp(prop, "Primary") == 0)
		return g_variant_new_boolean(TRUE);
	g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY,
		    "No property %s", prop);
	return NULL;
}

static const GDBusInterfaceVTable char_vtable = {
	.method_call = char_method_call,
	.get_property = char_get_property,
};

static const GDBusInterfaceVTable service_vtable = {
	.get_property = service_get_property,
};

static void gatt_vanished(void *data)
{
	rb_gatt_reset(data);
}

static void export_object(RbGatt *self, const char *path, RbDbusIface *iface)
{
	g_autoptr(GDBusObjectSkeleton) obj = g_dbus_object_skeleton_new(path);

	g_dbus_object_skeleton_add_interface(obj,
					     G_DBUS_INTERFACE_SKELETON(iface));
	g_dbus_object_manager_server_export(self->server, obj);
}

RbGatt *rb_gatt_new(RbBluez *bluez, const RbGattCallbacks *callbacks,
		    void *user_data)
{
	RbGatt *self = g_new0(RbGatt, 1);

	self->bluez = bluez;
	self->conn = g_object_ref(rb_bluez_get_connection(bluez));
	if (callbacks)
		self->cb = *callbacks;
	self->user_data = user_data;
	self->mtus = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					   NULL);
	self->node = g_dbus_node_info_new_for_xml(gatt_xml, NULL);
	g_assert(self->node);

	/* Guarded from before the tree goes on the bus. */
	{
		const char *paths[RB_GATT_CHAR_COUNT + 3] = {
			RB_GATT_ROOT_PATH, RB_GATT_SERVICE_PATH};

		for (int i = 0; i < RB_GATT_CHAR_COUNT; i++)
			paths[2 + i] = char_defs[i].path;
		self->guard = rb_dbus_guard_new(self->conn, paths);
	}
	self->server = g_dbus_object_manager_server_new(RB_GATT_ROOT_PATH);
	self->service_iface = rb_dbus_iface_new(
		g_dbus_node_info_lookup_interface(self->node, SERVICE_IFACE),
		&service_vtable, self);
	export_object(self, RB_GATT_SERVICE_PATH, self->service_iface);
	for (int i = 0; i < RB_GATT_CHAR_COUNT; i++) {
		CharObj *c = &self->chars[i];

		c->gatt = self;
		c->which = (RbGattChar)i;
		c->iface = rb_dbus_iface_new(g_dbus_node_info_lookup_interface(
						     self->node, CHAR_IFACE),
					     &char_vtable, c);
		export_object(self, char_defs[i].path, c->iface);
	}
	/* The whole tree exists before it goes on the bus. */
	g_dbus_object_manager_server_set_connection(self->server, self->conn);
	self->vanish_id = rb_bluez_add_vanish_listener(bluez, gatt_vanished,
						       self);
	return self;
}

void rb_gatt_free(RbGatt *self)
{
	if (!self)
		return;
	rb_bluez_remove_vanish_listener(self->bluez, self->vanish_id);
	g_dbus_object_manager_server_set_connection(self->server, NULL);
	g_object_unref(self->server);
	rb_dbus_guard_free(self->guard);
	g_object_unref(self->service_iface);
	for (int i = 0; i < RB_GATT_CHAR_COUNT; i++)
		g_object_unref(self->chars[i].iface);
	g_dbus_node_info_unref(self->node);
	g_hash_table_unref(self->mtus);
	g_object_unref(self->conn);
	g_free(self->adapter_path);
	g_free(self);
}

static void register_done(GObject *src, GAsyncResult *res, gpointer data)
{
	g_autoptr(GTask) task = data;
	RbGatt *self = g_task_get_task_data(task);
	GError *error = NULL;

	if (!rb_dbus_call_bluez_finish(res, rb_gatt_register, &error)) {
		g_task_return_error(task, error);
		return;
	}
	g_free(self->adapter_path);
	self->adapter_path = g_strdup(
		g_object_get_data(G_OBJECT(task), "adapter"));
	g_message("GATT application %s registered on %s", RB_GATT_ROOT_PATH,
		  self->adapter_path);
	g_task_return_boolean(task, TRUE);
}

void rb_gatt_register(RbGatt *self, const char *adapter_path,
		      GCancellable *cancellable, GAsyncReadyCallback callback,
		      gpointer user_data)
{
	GTask *task = g_task_new(NULL, cancellable, callback, user_data);
	GVariantBuilder opts;

	g_task_set_source_tag(task, rb_gatt_register);
	g_task_set_task_data(task, self, NULL);
	if (!adapter_path || !g_variant_is_object_path(adapter_path)) {
		g_task_return_new_error(task, RB_ERROR, RB_ERROR_INVALID,
					"RegisterApplication: bad adapter");
		g_object_unref(task);
		return;
	}
	g_object_set_data_full(G_OBJECT(task), "adapter",
			       g_strdup(adapter_path), g_free);
	g_variant_builder_init(&opts, G_VARIANT_TYPE("a{sv}"));
	rb_dbus_call_bluez(self->conn, rb_bluez_owner(self->bluez),
			   adapter_path, GATT_MANAGER_IFACE,
			   "RegisterApplication",
			   g_variant_new("(oa{sv})", RB_GATT_ROOT_PATH, &opts),
			   cancellable, register_done, task, rb_gatt_register);
}

gboolean rb_gatt_register_finish(RbGatt *self, GAsyncResult *result,
				 GError **error)
{
	g_return_val_if_fail(g_task_get_source_tag(G_TASK(result)) ==
				     rb_gatt_register,
			     FALSE);
	return g_task_propagate_boolean(G_TASK(result), error);
}

void rb_gatt_unregister(RbGatt *self, GCancellable *cancellable,
			GAsyncReadyCallback callback, gpointer user_data)
{
	g_autofree char *adapter = g_steal_pointer(&self->adapter_path);

	if (!adapter) {
		g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback,
						   user_data);

		g_task_set_source_tag(task, rb_gatt_unregister);
		g_task_return_new_error(task, RB_ERROR, RB_ERROR_NOT_FOUND,
					"GATT application not registered");
		return;
	}
	rb_dbus_call_bluez(self->conn, rb_bluez_owner(self->bluez), adapter,
			   GATT_MANAGER_IFACE, "UnregisterApplication",
			   g_variant_new("(o)", RB_GATT_ROOT_PATH), cancellable,
			   callback, user_data, rb_gatt_unregister);
}

gboolean rb_gatt_unregister_finish(RbGatt *self, GAsyncResult *result,
				   GError **error)
{
	return rb_dbus_call_bluez_finish(result, rb_gatt_unregister, error);
}

const char *rb_gatt_registered_adapter(RbGatt *self)
{
	return self->adapter_path;
}

gboolean rb_gatt_notify(RbGatt *self, RbGattChar which, GBytes *value)
{
	const guint8 *data;
	gsize len;

	if ((unsigned)which >= RB_GATT_CHAR_COUNT || !char_defs[which].notify ||
	    !value)
		return FALSE;
	data = g_bytes_get_data(value, &len);
	rb_dbus_iface_emit_changed(self->chars[which].iface, "Value",
				   bytes_variant(data, len));
	return TRUE;
}

guint rb_gatt_subscribers(RbGatt *self, RbGattChar which)
{
	return (unsigned)which < RB_GATT_CHAR_COUNT
		       ? self->chars[which].subscribers
		       : 0;
}

guint16 rb_gatt_mtu_for(RbGatt *self, const char *device_path)
{
	return device_path ? GPOINTER_TO_UINT(g_hash_table_lookup(self->mtus,
								  device_path))
			   : 0;
}

guint16 rb_gatt_smallest_mtu(RbGatt *self,
			     bool (*counts)(const char *device_path,
					    void *data),
			     void *data)
{
	GHashTableIter it;
	gpointer key, value;
	guint16 min = 0;

	g_hash_table_iter_init(&it, self->mtus);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		guint16 mtu = (guint16)GPOINTER_TO_UINT(value);

		if (mtu >= 23 && (!min || mtu < min) && counts(key, data))
			min = mtu;
	}
	return min;
}

bool rb_gatt_write_link_is_le(RbGatt *self, const char *device_path)
{
	return device_path && !self->last_link_bredr;
}

void rb_gatt_forget_device(RbGatt *self, const char *device_path)
{
	if (device_path)
		g_hash_table_remove(self->mtus, device_path);
}

void rb_gatt_reset(RbGatt *self)
{
	g_clear_pointer(&self->adapter_path, g_free);
	for (int i = 0; i < RB_GATT_CHAR_COUNT; i++)
		self->chars[i].subscribers = 0;
	g_hash_table_remove_all(self->mtus);
}
