// SPDX-License-Identifier: GPL-2.0-or-later
#define G_LOG_DOMAIN "rb-bluez"

#include <string.h>

#include "bluez/bluez.h"
#include "bluez/dbus-util.h"
#include "core/error.h"
#include "gatt-uuids.h"

#define ADAPTER_IFACE "org.bluez.Adapter1"
#define DEVICE_IFACE "org.bluez.Device1"

/*
 * The cache holds Adapter1 and Device1 only, and only the properties the
 * daemon reads. It is fed by GetManagedObjects and by four signals from
 * bluetoothd's unique name: InterfacesAdded, InterfacesRemoved, and
 * PropertiesChanged matched by the bus on arg0 = Adapter1 or Device1. So
 * bluetoothd's other signals (GATT values of remote services, media,
 * battery, RSSI of other interfaces) are never delivered to the daemon:
 * no wakeup, no proxy per object, no memory per interface. (A
 * GDBusObjectManagerClient subscribes to every signal of org.bluez and
 * keeps a GDBusProxy per interface of every object.)
 */

#define OM_IFACE "org.freedesktop.DBus.ObjectManager"
#define PROPS_IFACE "org.freedesktop.DBus.Properties"

/* The entries hold the properties the daemon reads as fields, not as
 * a{sv} (a GVariant tree per device and one more built per change: about
 * 2 KiB a device, with BlueZ keeping every device it ever met). A
 * property absent, invalidated or of another type reads as "" or false. */
typedef struct {
	RbBluezAdapter pub;
	char *path;
	char *alias;
} AdapterEntry;

typedef struct {
	RbBluezDevice pub;
	char *path;
	char *adapter_path;
} DeviceEntry;

typedef struct {
	guint id;
	void (*fn)(void *data);
	void *data;
} VanishListener;

enum { SUB_ADDED, SUB_REMOVED, SUB_ADAPTER, SUB_DEVICE, N_SUBS };

struct _RbBluez {
	GDBusConnection *conn;
	RbBluezCallbacks cb;
	void *user_data;
	guint watch_id;
	char *owner;
	GCancellable *cancel; /* the pending GetManagedObjects */
	bool loaded; /* its reply came: signals apply from then on */
	guint subs[N_SUBS];
	GHashTable *adapters; /* path -> AdapterEntry */
	GHashTable *devices; /* path -> DeviceEntry */
	char *devices_of; /* only this adapter's devices; NULL: all */
	GArray *listeners; /* VanishListener */
	guint next_listener;
};

static void adapter_entry_free(gpointer p)
{
	AdapterEntry *e = p;

	g_free(e->path);
	g_free(e->alias);
	g_free(e);
}

static void device_entry_free(gpointer p)
{
	DeviceEntry *e = p;

	g_free(e->path);
	g_free(e->adapter_path);
	g_free(e);
}

static bool value_bool(GVariant *v)
{
	return v && g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN) &&
	       g_variant_get_boolean(v);
}

/* A string or object path value, "" when absent or of another type. */
static char *value_string(GVariant *v)
{
	if (v && (g_variant_is_of_type(v, G_VARIANT_TYPE_STRING) ||
		  g_variant_is_of_type(v, G_VARIANT_TYPE_OBJECT_PATH)))
		return g_variant_dup_string(v, NULL);
	return g_strdup("");
}

static bool address_valid(const char *a)
{
	if (strlen(a) != RB_ADDR_STRLEN - 1)
		return false;
	for (int i = 0; i < RB_ADDR_STRLEN - 1; i++) {
		if (i % 3 == 2 ? a[i] != ':' : !g_ascii_isxdigit(a[i]))
			return false;
	}
	return true;
}

static void value_address(GVariant *v, const char *path,
			  char out[RB_ADDR_STRLEN])
{
	g_autofree char *s = value_string(v);

	if (address_valid(s)) {
		for (int i = 0; i < RB_ADDR_STRLEN; i++)
			out[i] = g_ascii_toupper(s[i]);
	} else {
		out[0] = '\0';
		if (*s)
			g_warning("%s: invalid Address \"%s\"", path, s);
	}
}

/* Sets property @key of an adapter (an AdapterEntry) to @v (NULL:
 * absent). */
static void adapter_set(gpointer p, const char *key, GVariant *v)
{
	AdapterEntry *e = p;

	if (strcmp(key, "Address") == 0) {
		value_address(v, e->path, e->pub.address);
	} else if (strcmp(key, "Alias") == 0) {
		g_free(e->alias);
		e->alias = value_string(v);
	} else if (strcmp(key, "Powered") == 0) {
		e->pub.powered = value_bool(v);
	} else if (strcmp(key, "Pairable") == 0) {
		e->pub.pairable = value_bool(v);
	} else if (strcmp(key, "Discoverable") == 0) {
		e->pub.discoverable = value_bool(v);
	}
}

/* Sets property @key of a device (a DeviceEntry) to @v (NULL: absent). */
static void device_set(gpointer p, const char *key, GVariant *v)
{
	DeviceEntry *e = p;

	if (strcmp(key, "Adapter") == 0) {
		g_free(e->adapter_path);
		e->adapter_path = value_string(v);
	} else if (strcmp(key, "Address") == 0) {
		value_address(v, e->path, e->pub.address);
	} else if (strcmp(key, "AddressType") == 0) {
		g_autofree char *type = value_string(v);

		e->pub.address_type = strcmp(type, "random") == 0
					      ? RB_ADDR_RANDOM
					      : RB_ADDR_PUBLIC;
	} else if (strcmp(key, "Paired") == 0) {
		e->pub.paired = value_bool(v);
	} else if (strcmp(key, "Bonded") == 0) {
		e->pub.bonded = value_bool(v);
	} else if (strcmp(key, "Connected") == 0) {
		e->pub.connected = value_bool(v);
	} else if (strcmp(key, "ServicesResolved") == 0) {
		e->pub.services_resolved = value_bool(v);
	}
}

/*
 * @invalidated (may be NULL) reset, then @changed (an a{sv}, may be NULL)
 * applied, through @set: a property both invalidated and changed takes
 * the changed value, and of a key given twice the first counts (as
 * g_variant_lookup_value() would find it).
 */
static void apply_props(gpointer e, GVariant *changed,
			const char *const *invalidated,
			void (*set)(gpointer e, const char *key, GVariant *v))
{
	gsize n = changed ? g_variant_n_children(changed) : 0;

	for (guint i = 0; invalidated && invalidated[i]; i++)
		set(e, invalidated[i], NULL);
	while (n-- > 0) {
		const char *key;
		g_autoptr(GVariant) v = NULL;

		g_variant_get_child(changed, n, "{&sv}", &key, &v);
		set(e, key, v);
	}
}

static unsigned int adapter_update(AdapterEntry *e, GVariant *changed_props,
				   const char *const *invalidated)
{
	RbBluezAdapter old = e->pub;
	g_autofree char *old_alias = g_strdup(e->alias);
	unsigned int changed = 0;

	apply_props(e, changed_props, invalidated, adapter_set);
	if (!e->alias)
		e->alias = g_strdup("");
	e->pub.alias = e->alias;
	e->pub.path = e->path;

	if (strcmp(old.address, e->pub.address))
		changed |= RB_BLUEZ_ADAPTER_CHANGED_ADDRESS;
	if (g_strcmp0(old_alias, e->alias))
		changed |= RB_BLUEZ_ADAPTER_CHANGED_ALIAS;
	if (old.powered != e->pub.powered)
		changed |= RB_BLUEZ_ADAPTER_CHANGED_POWERED;
	if (old.pairable != e->pub.pairable)
		changed |= RB_BLUEZ_ADAPTER_CHANGED_PAIRABLE;
	if (old.discoverable != e->pub.discoverable)
		changed |= RB_BLUEZ_ADAPTER_CHANGED_DISCOVERABLE;
	return changed;
}

static unsigned int device_update(DeviceEntry *e, GVariant *changed_props,
				  const char *const *invalidated)
{
	RbBluezDevice old = e->pub;
	unsigned int changed = 0;

	apply_props(e, changed_props, invalidated, device_set);
	if (!e->adapter_path)
		e->adapter_path = g_strdup("");
	e->pub.adapter_path = e->adapter_path;
	e->pub.path = e->path;

	if (strcmp(old.address, e->pub.address))
		changed |= RB_BLUEZ_DEVICE_CHANGED_ADDRESS;
	if (old.address_type != e->pub.address_type)
		changed |= RB_BLUEZ_DEVICE_CHANGED_ADDRESS_TYPE;
	if (old.paired != e->pub.paired)
		changed |= RB_BLUEZ_DEVICE_CHANGED_PAIRED;
	if (old.bonded != e->pub.bonded)
		changed |= RB_BLUEZ_DEVICE_CHANGED_BONDED;
	if (old.connected != e->pub.connected)
		changed |= RB_BLUEZ_DEVICE_CHANGED_CONNECTED;
	if (old.services_resolved != e->pub.services_resolved)
		changed |= RB_BLUEZ_DEVICE_CHANGED_SERVICES_RESOLVED;
	return changed;
}

/* Whether a device whose properties are @props is cached. */
static bool device_wanted(RbBluez *self, GVariant *props)
{
	g_autoptr(GVariant) v = NULL;

	if (!self->devices_of)
		return true;
	v = g_variant_lookup_value(props, "Adapter",
				   G_VARIANT_TYPE_OBJECT_PATH);
	return v &&
	       strcmp(g_variant_get_string(v, NULL), self->devices_of) == 0;
}

/* An interface of @path appeared, with all its properties (a{sv}). */
static void iface_added(RbBluez *self, const char *path, const char *name,
			GVariant *props)
{
	if (strcmp(name, ADAPTER_IFACE) == 0) {
		AdapterEntry *e = g_new0(AdapterEntry, 1);

		e->path = g_strdup(path);
		adapter_update(e, props, NULL);
		g_hash_table_replace(self->adapters, e->path, e);
		g_debug("Adapter %s (%s) added", path, e->pub.address);
		if (self->cb.adapter_added)
			self->cb.adapter_added(&e->pub, self->user_data);
	} else if (strcmp(name, DEVICE_IFACE) == 0 &&
		   device_wanted(self, props)) {
		DeviceEntry *e = g_new0(DeviceEntry, 1);

		e->path = g_strdup(path);
		device_update(e, props, NULL);
		g_hash_table_replace(self->devices, e->path, e);
		g_debug("Device %s (%s) added", path, e->pub.address);
		if (self->cb.device_added)
			self->cb.device_added(&e->pub, self->user_data);
	}
}

static void iface_removed(RbBluez *self, const char *path, const char *name)
{
	gpointer key, value;

	if (strcmp(name, ADAPTER_IFACE) == 0 &&
	    g_hash_table_steal_extended(self->adapters, path, &key, &value)) {
		g_debug("Adapter %s removed", path);
		if (self->cb.adapter_removed)
			self->cb.adapter_removed(path, self->user_data);
		adapter_entry_free(value);
	} else if (strcmp(name, DEVICE_IFACE) == 0 &&
		   g_hash_table_steal_extended(self->devices, path, &key,
					       &value)) {
		DeviceEntry *e = value;

		g_debug("Device %s (%s) removed", path, e->pub.address);
		if (self->cb.device_removed)
			self->cb.device_removed(&e->pub, self->user_data);
		device_entry_free(e);
	}
}

/* (o a{sa{sv}}): one object's interfaces. */
static void object_added(RbBluez *self, const char *path, GVariant *ifaces)
{
	GVariantIter it;
	const char *name;
	GVariant *props;

	g_variant_iter_init(&it, ifaces);
	while (g_variant_iter_loop(&it, "{&s@a{sv}}", &name, &props))
		iface_added(self, path, name, props);
}

static void on_ifaces_added(GDBusConnection *c, const char *sender,
			    const char *path, const char *iface,
			    const char *member, GVariant *params, gpointer data)
{
	RbBluez *self = data;
	g_autoptr(GVariant) ifaces = NULL;
	const char *obj;

	if (!self->loaded ||
	    !g_variant_is_of_type(params, G_VARIANT_TYPE("(oa{sa{sv}})")))
		return;
	g_variant_get(params, "(&o@a{sa{sv}})", &obj, &ifaces);
	object_added(self, obj, ifaces);
}

static void on_ifaces_removed(GDBusConnection *c, const char *sender,
			      const char *path, const char *iface,
			      const char *member, GVariant *params,
			      gpointer data)
{
	RbBluez *self = data;
	g_autofree const char **names = NULL;
	const char *obj;

	if (!self->loaded ||
	    !g_variant_is_of_type(params, G_VARIANT_TYPE("(oas)")))
		return;
	g_variant_get(params, "(&o^a&s)", &obj, &names);
	for (guint i = 0; names[i]; i++)
		iface_removed(self, obj, names[i]);
}

static void on_props_changed(GDBusConnection *c, const char *sender,
			     const char *path, const char *iface,
			     const char *member, GVariant *params,
			     gpointer data)
{
	RbBluez *self = data;
	g_autoptr(GVariant) changed_props = NULL;
	g_autofree const char **invalidated = NULL;
	const char *name;
	unsigned int changed;

	if (!self->loaded ||
	    !g_variant_is_of_type(params, G_VARIANT_TYPE("(sa{sv}as)")))
		return;
	g_variant_get(params, "(&s@a{sv}^a&s)", &name, &changed_props,
		      &invalidated);
	if (strcmp(name, ADAPTER_IFACE) == 0) {
		AdapterEntry *e = g_hash_table_lookup(self->adapters, path);

		if (!e)
			return;
		changed = adapter_update(e, changed_props, invalidated);
		if (changed && self->cb.adapter_changed)
			self->cb.adapter_changed(&e->pub, changed,
						 self->user_data);
	} else if (strcmp(name, DEVICE_IFACE) == 0) {
		DeviceEntry *e = g_hash_table_lookup(self->devices, path);

		if (!e)
			return;
		changed = device_update(e, changed_props, invalidated);
		g_debug("Device %s (%s) changed 0x%x", path, e->pub.address,
			changed);
		if (changed && self->cb.device_changed)
			self->cb.device_changed(&e->pub, changed,
						self->user_data);
	}
}

/*
 * The snapshot. bluetoothd's messages reach us in the order it sent them,
 * and the signals are matched before GetManagedObjects is sent: a signal
 * delivered before the reply is already in the snapshot, so signals are
 * ignored until it arrives and applied from then on.
 */
static void objects_ready(GObject *source, GAsyncResult *res, gpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) objects = NULL;
	RbBluez *self;
	GVariantIter it;
	const char *path;
	GVariant *ifaces;

	reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res,
					      &error);
	if (!reply) {
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			g_warning("org.bluez GetManagedObjects: %s",
				  error->message);
		return;
	}
	self = data;
	g_clear_object(&self->cancel);
	self->loaded = true;
	objects = g_variant_get_child_value(reply, 0);
	g_variant_iter_init(&it, objects);
	while (g_variant_iter_loop(&it, "{&o@a{sa{sv}}}", &path, &ifaces))
		object_added(self, path, ifaces);

	g_message("org.bluez is %s: %u adapter(s), %u device(s)", self->owner,
		  g_hash_table_size(self->adapters),
		  g_hash_table_size(self->devices));
	if (self->cb.appeared)
		self->cb.appeared(self->owner, self->user_data);
}

static void drop_state(RbBluez *self)
{
	if (self->cancel) {
		g_cancellable_cancel(self->cancel);
		g_clear_object(&self->cancel);
	}
	for (int i = 0; i < N_SUBS; i++) {
		if (self->subs[i])
			g_dbus_connection_signal_unsubscribe(self->conn,
							     self->subs[i]);
		self->subs[i] = 0;
	}
	self->loaded = false;
	g_hash_table_remove_all(self->adapters);
	g_hash_table_remove_all(self->devices);
	g_clear_pointer(&self->owner, g_free);
}

static void name_vanished(GDBusConnection *conn, const char *name,
			  gpointer data)
{
	RbBluez *self = data;

	if (!self->owner)
		return;
	g_message("org.bluez (%s) left the bus", self->owner);
	drop_state(self);
	for (guint i = 0; i < self->listeners->len; i++) {
		VanishListener *l = &g_array_index(self->listeners,
						   VanishListener, i);

		l->fn(l->data);
	}
	if (self->cb.vanished)
		self->cb.vanished(self->user_data);
}

static void name_appeared(GDBusConnection *conn, const char *name,
			  const char *owner, gpointer data)
{
	RbBluez *self = data;

	if (self->owner)
		name_vanished(conn, name, data);
	self->owner = g_strdup(owner);
	self->cancel = g_cancellable_new();
	g_debug("org.bluez appeared as %s", owner);
	/* Only from bluetoothd's unique name: nobody else can feed the
	 * cache. */
	self->subs[SUB_ADDED] = g_dbus_connection_signal_subscribe(
		conn, owner, OM_IFACE, "InterfacesAdded", "/", NULL,
		G_DBUS_SIGNAL_FLAGS_NONE, on_ifaces_added, self, NULL);
	self->subs[SUB_REMOVED] = g_dbus_connection_signal_subscribe(
		conn, owner, OM_IFACE, "InterfacesRemoved", "/", NULL,
		G_DBUS_SIGNAL_FLAGS_NONE, on_ifaces_removed, self, NULL);
	self->subs[SUB_ADAPTER] = g_dbus_connection_signal_subscribe(
		conn, owner, PROPS_IFACE, "PropertiesChanged", NULL,
		ADAPTER_IFACE, G_DBUS_SIGNAL_FLAGS_NONE, on_props_changed, self,
		NULL);
	self->subs[SUB_DEVICE] = g_dbus_connection_signal_subscribe(
		conn, owner, PROPS_IFACE, "PropertiesChanged", NULL,
		DEVICE_IFACE, G_DBUS_SIGNAL_FLAGS_NONE, on_props_changed, self,
		NULL);
	g_dbus_connection_call(conn, owner, "/", OM_IFACE, "GetManagedObjects",
			       NULL, G_VARIANT_TYPE("(a{oa{sa{sv}}})"),
			       G_DBUS_CALL_FLAGS_NO_AUTO_START, -1,
			       self->cancel, objects_ready, self);
}

RbBluez *rb_bluez_new(GDBusConnection *conn, const RbBluezCallbacks *callbacks,
		      void *user_data)
{
	RbBluez *self = g_new0(RbBluez, 1);

	g_return_val_if_fail(G_IS_DBUS_CONNECTION(conn), NULL);
	self->conn = g_object_ref(conn);
	if (callbacks)
		self->cb = *callbacks;
	self->user_data = user_data;
	self->adapters = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					       adapter_entry_free);
	self->devices = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					      device_entry_free);
	self->listeners = g_array_new(FALSE, FALSE, sizeof(VanishListener));
	self->watch_id = g_bus_watch_name_on_connection(
		conn, RB_BLUEZ_SERVICE, G_BUS_NAME_WATCHER_FLAGS_NONE,
		name_appeared, name_vanished, self, NULL);
	return self;
}

void rb_bluez_free(RbBluez *self)
{
	if (!self)
		return;
	g_bus_unwatch_name(self->watch_id);
	drop_state(self);
	g_hash_table_unref(self->adapters);
	g_hash_table_unref(self->devices);
	g_free(self->devices_of);
	g_array_unref(self->listeners);
	g_object_unref(self->conn);
	g_free(self);
}

static gboolean device_of_other_adapter(gpointer key, gpointer value,
					gpointer data)
{
	const DeviceEntry *e = value;

	return strcmp(e->adapter_path, data) != 0;
}

void rb_bluez_keep_devices_of(RbBluez *self, const char *adapter_path)
{
	g_free(self->devices_of);
	self->devices_of = g_strdup(adapter_path);
	if (adapter_path)
		g_hash_table_foreach_remove(self->devices,
					    device_of_other_adapter,
					    self->devices_of);
}

GDBusConnection *rb_bluez_get_connection(RbBluez *self)
{
	return self->conn;
}

const char *rb_bluez_owner(RbBluez *self)
{
	return self->owner;
}

bool rb_bluez_sender_is_bluez(RbBluez *self, const char *sender)
{
	return self && self->owner && sender &&
	       strcmp(self->owner, sender) == 0;
}

static gint cmp_adapter(gconstpointer a, gconstpointer b)
{
	const RbBluezAdapter *x = *(RbBluezAdapter *const *)a;
	const RbBluezAdapter *y = *(RbBluezAdapter *const *)b;

	return strcmp(x->path, y->path);
}

static gint cmp_device(gconstpointer a, gconstpointer b)
{
	const RbBluezDevice *x = *(RbBluezDevice *const *)a;
	const RbBluezDevice *y = *(RbBluezDevice *const *)b;

	return strcmp(x->path, y->path);
}

GPtrArray *rb_bluez_list_adapters(RbBluez *self)
{
	GPtrArray *out = g_ptr_array_new();
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, self->adapters);
	while (g_hash_table_iter_next(&it, NULL, &v))
		g_ptr_array_add(out, &((AdapterEntry *)v)->pub);
	g_ptr_array_sort(out, cmp_adapter);
	return out;
}

const RbBluezAdapter *rb_bluez_lookup_adapter(RbBluez *self, const char *path)
{
	AdapterEntry *e = path ? g_hash_table_lookup(self->adapters, path)
			       : NULL;

	return e ? &e->pub : NULL;
}

GPtrArray *rb_bluez_list_devices(RbBluez *self)
{
	GPtrArray *out = g_ptr_array_new();
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, self->devices);
	while (g_hash_table_iter_next(&it, NULL, &v))
		g_ptr_array_add(out, &((DeviceEntry *)v)->pub);
	g_ptr_array_sort(out, cmp_device);
	return out;
}

const RbBluezDevice *rb_bluez_lookup_device(RbBluez *self, const char *path)
{
	DeviceEntry *e = path ? g_hash_table_lookup(self->devices, path) : NULL;

	return e ? &e->pub : NULL;
}

const char *rb_bluez_adapter_prop_name(RbBluezAdapterProp prop)
{
	switch (prop) {
	case RB_BLUEZ_ADAPTER_PROP_PAIRABLE:
		return "Pairable";
	case RB_BLUEZ_ADAPTER_PROP_ALIAS:
		return "Alias";
	case RB_BLUEZ_ADAPTER_PROP_POWERED:
		return "Powered";
	case RB_BLUEZ_ADAPTER_PROP_DISCOVERABLE:
		return "Discoverable";
	}
	return NULL;
}

static const GVariantType *adapter_prop_type(RbBluezAdapterProp prop)
{
	switch (prop) {
	case RB_BLUEZ_ADAPTER_PROP_ALIAS:
		return G_VARIANT_TYPE_STRING;
	case RB_BLUEZ_ADAPTER_PROP_PAIRABLE:
	case RB_BLUEZ_ADAPTER_PROP_POWERED:
	case RB_BLUEZ_ADAPTER_PROP_DISCOVERABLE:
		return G_VARIANT_TYPE_BOOLEAN;
	}
	return NULL;
}

static void fail_early(gpointer tag, GCancellable *cancellable,
		       GAsyncReadyCallback callback, gpointer user_data,
		       GError *error)
{
	g_autoptr(GTask)
		task = g_task_new(NULL, cancellable, callback, user_data);

	g_task_set_source_tag(task, tag);
	g_task_return_error(task, error);
}

void rb_bluez_set_adapter_property(RbBluez *self, const char *adapter_path,
				   RbBluezAdapterProp prop, GVariant *value,
				   GCancellable *cancellable,
				   GAsyncReadyCallback callback,
				   gpointer user_data)
{
	const char *name = rb_bluez_adapter_prop_name(prop);
	const GVariantType *type = adapter_prop_type(prop);
	g_autoptr(GVariant) v = value ? g_variant_ref_sink(value) : NULL;

	if (!name || !v || !g_variant_is_of_type(v, type) || !adapter_path ||
	    !g_variant_is_object_path(adapter_path)) {
		fail_early(rb_bluez_set_adapter_property, cancellable, callback,
			   user_data,
			   g_error_new(RB_ERROR, RB_ERROR_INVALID,
				       "Adapter property %s on %s: bad value",
				       name ? name : "(unknown)",
				       adapter_path ? adapter_path : "(null)"));
		return;
	}
	g_debug("%s: set %s", adapter_path, name);
	rb_dbus_call_bluez(self->conn, self->owner, adapter_path,
			   "org.freedesktop.DBus.Properties", "Set",
			   g_variant_new("(ssv)", ADAPTER_IFACE, name, v),
			   cancellable, callback, user_data,
			   rb_bluez_set_adapter_property);
}

gboolean rb_bluez_set_adapter_property_finish(RbBluez *self,
					      GAsyncResult *result,
					      GError **error)
{
	return rb_dbus_call_bluez_finish(result, rb_bluez_set_adapter_property,
					 error);
}

void rb_bluez_remove_device(RbBluez *self, const char *device_path,
			    GCancellable *cancellable,
			    GAsyncReadyCallback callback, gpointer user_data)
{
	const RbBluezDevice *dev = rb_bluez_lookup_device(self, device_path);

	if (!dev || !*dev->adapter_path) {
		fail_early(rb_bluez_remove_device, cancellable, callback,
			   user_data,
			   g_error_new(RB_ERROR, RB_ERROR_NOT_FOUND,
				       "RemoveDevice %s: unknown device",
				       device_path ? device_path : "(null)"));
		return;
	}
	g_message("Removing device %s (%s)", dev->path, dev->address);
	rb_dbus_call_bluez(self->conn, self->owner, dev->adapter_path,
			   ADAPTER_IFACE, "RemoveDevice",
			   g_variant_new("(o)", dev->path), cancellable,
			   callback, user_data, rb_bluez_remove_device);
}

gboolean rb_bluez_remove_device_finish(RbBluez *self, GAsyncResult *result,
				       GError **error)
{
	return rb_dbus_call_bluez_finish(result, rb_bluez_remove_device, error);
}

void rb_bluez_disconnect_device(RbBluez *self, const char *device_path,
				GCancellable *cancellable,
				GAsyncReadyCallback callback,
				gpointer user_data)
{
	if (!device_path || !g_variant_is_object_path(device_path)) {
		fail_early(rb_bluez_disconnect_device, cancellable, callback,
			   user_data,
			   g_error_new(RB_ERROR, RB_ERROR_INVALID,
				       "Disconnect: bad device path"));
		return;
	}
	g_message("Disconnecting device %s", device_path);
	rb_dbus_call_bluez(self->conn, self->owner, device_path, DEVICE_IFACE,
			   "Disconnect", NULL, cancellable, callback, user_data,
			   rb_bluez_disconnect_device);
}

gboolean rb_bluez_disconnect_device_finish(RbBluez *self, GAsyncResult *result,
					   GError **error)
{
	return rb_dbus_call_bluez_finish(result, rb_bluez_disconnect_device,
					 error);
}

guint rb_bluez_add_vanish_listener(RbBluez *self, void (*fn)(void *data),
				   void *data)
{
	VanishListener l = {++self->next_listener, fn, data};

	g_array_append_val(self->listeners, l);
	return l.id;
}

void rb_bluez_remove_vanish_listener(RbBluez *self, guint id)
{
	for (guint i = 0; i < self->listeners->len; i++) {
		if (g_array_index(self->listeners, VanishListener, i).id ==
		    id) {
			g_array_remove_index(self->listeners, i);
			return;
		}
	}
}

char *rb_bluez_box_name(const char *adapter_address)
{
	char hex[7];

	if (!adapter_address || !address_valid(adapter_address))
		return NULL;
	for (int i = 0; i < 3; i++) {
		hex[2 * i] = g_ascii_toupper(adapter_address[9 + 3 * i]);
		hex[2 * i + 1] = g_ascii_toupper(adapter_address[10 + 3 * i]);
	}
	hex[6] = '\0';
	return g_strconcat(RB_NAME_PREFIX, hex, NULL);
}
