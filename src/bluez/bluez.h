/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RbBluez: watches the bus name org.bluez on a given connection and keeps
 * a cache of bluetoothd's adapters (org.bluez.Adapter1) and devices
 * (org.bluez.Device1) from its ObjectManager. It reports changes through
 * callbacks and carries out requests (adapter properties, RemoveDevice,
 * Disconnect). It makes no policy decision.
 *
 * Life cycle, all on the thread-default main context of rb_bluez_new():
 *  - org.bluez gets an owner: the owner's unique name is recorded at once
 *    (rb_bluez_sender_is_bluez() answers from then on), the ObjectManager
 *    is loaded, adapter_added / device_added are called for every object
 *    found, then appeared(owner).
 *  - later InterfacesAdded / PropertiesChanged / InterfacesRemoved call
 *    adapter_added, adapter_changed, adapter_removed, device_added,
 *    device_changed, device_removed.
 *  - org.bluez loses its owner: the cache is dropped WITHOUT per-object
 *    removed callbacks (bluetoothd restarting does not delete bonds), the
 *    vanish listeners run (agent, GATT and advertisement drop their
 *    registration state), then vanished().
 *
 * Snapshots handed to callbacks and returned by lookups are owned by the
 * cache: valid until control returns to the main loop. Copy what you keep.
 */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>

#include "core/types.h"

typedef struct _RbBluez RbBluez;

typedef struct {
	const char *path; /* "/org/bluez/hci0" */
	char address[RB_ADDR_STRLEN]; /* "AA:BB:CC:DD:EE:FF", "" unknown */
	const char *alias; /* never NULL, "" unknown */
	bool powered;
	bool pairable;
	bool discoverable;
} RbBluezAdapter;

typedef enum {
	RB_BLUEZ_ADAPTER_CHANGED_ADDRESS = 1 << 0,
	RB_BLUEZ_ADAPTER_CHANGED_ALIAS = 1 << 1,
	RB_BLUEZ_ADAPTER_CHANGED_POWERED = 1 << 2,
	RB_BLUEZ_ADAPTER_CHANGED_PAIRABLE = 1 << 3,
	RB_BLUEZ_ADAPTER_CHANGED_DISCOVERABLE = 1 << 4,
} RbBluezAdapterChange;

typedef struct {
	const char *path; /* "/org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF" */
	const char *adapter_path; /* Device1.Adapter, "" unknown */
	char address[RB_ADDR_STRLEN]; /* Device1.Address, "" unknown */
	RbAddrType address_type; /* Device1.AddressType */
	bool paired;
	bool bonded; /* Device1.Bonded (BlueZ 5.65+); false if absent */
	bool connected;
	bool services_resolved;
} RbBluezDevice;

typedef enum {
	RB_BLUEZ_DEVICE_CHANGED_ADDRESS = 1 << 0,
	RB_BLUEZ_DEVICE_CHANGED_ADDRESS_TYPE = 1 << 1,
	RB_BLUEZ_DEVICE_CHANGED_PAIRED = 1 << 2,
	RB_BLUEZ_DEVICE_CHANGED_BONDED = 1 << 3,
	RB_BLUEZ_DEVICE_CHANGED_CONNECTED = 1 << 4,
	RB_BLUEZ_DEVICE_CHANGED_SERVICES_RESOLVED = 1 << 5,
} RbBluezDeviceChange;

/* Every member may be NULL. */
typedef struct {
	/* org.bluez has an owner and the cache is loaded. */
	void (*appeared)(const char *owner, void *user_data);
	/* org.bluez lost its owner; the cache is empty. */
	void (*vanished)(void *user_data);
	void (*adapter_added)(const RbBluezAdapter *adapter, void *user_data);
	/* @changed: a mask of RbBluezAdapterChange, never 0. */
	void (*adapter_changed)(const RbBluezAdapter *adapter,
				unsigned int changed, void *user_data);
	void (*adapter_removed)(const char *path, void *user_data);
	void (*device_added)(const RbBluezDevice *device, void *user_data);
	/* @changed: a mask of RbBluezDeviceChange, never 0. */
	void (*device_changed)(const RbBluezDevice *device,
			       unsigned int changed, void *user_data);
	/* The last snapshot of a device BlueZ removed (bond deleted or a
	 * temporary device expired). */
	void (*device_removed)(const RbBluezDevice *device, void *user_data);
} RbBluezCallbacks;

/*
 * Starts watching org.bluez on @conn (referenced). @callbacks is copied.
 * Callbacks only ever run from the main loop, never from inside this call.
 */
RbBluez *rb_bluez_new(GDBusConnection *conn, const RbBluezCallbacks *callbacks,
		      void *user_data);
/* Stops watching; no callback runs afterwards. NULL is a no-op. */
void rb_bluez_free(RbBluez *bluez);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RbBluez, rb_bluez_free)

/*
 * Caches only the devices whose Device1.Adapter is @adapter_path (NULL:
 * every adapter's, the default): the others are never reported, and those
 * already cached are dropped without device_removed. Call it before the
 * main loop runs to keep them out from the first GetManagedObjects on.
 */
void rb_bluez_keep_devices_of(RbBluez *bluez, const char *adapter_path);

GDBusConnection *rb_bluez_get_connection(RbBluez *bluez);
/* The unique name owning org.bluez now, or NULL. Owned by @bluez. */
const char *rb_bluez_owner(RbBluez *bluez);
/*
 * True when @sender is the current unique-name owner of org.bluez.
 * Every method call on the daemon's objects is checked with this.
 */
bool rb_bluez_sender_is_bluez(RbBluez *bluez, const char *sender);

/* Cached adapters sorted by path; a new array of borrowed pointers. */
GPtrArray *rb_bluez_list_adapters(RbBluez *bluez);
/* The adapter at @path, or NULL. Borrowed. */
const RbBluezAdapter *rb_bluez_lookup_adapter(RbBluez *bluez, const char *path);
/* Cached devices sorted by path; a new array of borrowed pointers. */
GPtrArray *rb_bluez_list_devices(RbBluez *bluez);
/* The device at @path, or NULL. Borrowed. */
const RbBluezDevice *rb_bluez_lookup_device(RbBluez *bluez, const char *path);

/*
 * Adapter1 properties that can be set. Value types: PAIRABLE, POWERED,
 * DISCOVERABLE "b"; ALIAS "s".
 */
typedef enum {
	RB_BLUEZ_ADAPTER_PROP_PAIRABLE = 0,
	RB_BLUEZ_ADAPTER_PROP_ALIAS,
	RB_BLUEZ_ADAPTER_PROP_POWERED,
	RB_BLUEZ_ADAPTER_PROP_DISCOVERABLE,
} RbBluezAdapterProp;

const char *rb_bluez_adapter_prop_name(RbBluezAdapterProp prop);

/*
 * Sets an Adapter1 property with org.freedesktop.DBus.Properties.Set.
 * @value may be floating (it is sunk). A value of the wrong type fails with
 * RB_ERROR_INVALID and sends nothing; no owner fails with
 * RB_ERROR_NOT_FOUND. Errors from BlueZ are mapped as by
 * rb_dbus_error_from_remote().
 */
void rb_bluez_set_adapter_property(RbBluez *bluez, const char *adapter_path,
				   RbBluezAdapterProp prop, GVariant *value,
				   GCancellable *cancellable,
				   GAsyncReadyCallback callback,
				   gpointer user_data);
gboolean rb_bluez_set_adapter_property_finish(RbBluez *bluez,
					      GAsyncResult *result,
					      GError **error);

/*
 * Adapter1.RemoveDevice(@device_path) on the device's adapter (from the
 * cache). An unknown device fails with RB_ERROR_NOT_FOUND and sends
 * nothing. BlueZ disconnects a connected device ~2 s later.
 */
void rb_bluez_remove_device(RbBluez *bluez, const char *device_path,
			    GCancellable *cancellable,
			    GAsyncReadyCallback callback, gpointer user_data);
gboolean rb_bluez_remove_device_finish(RbBluez *bluez, GAsyncResult *result,
				       GError **error);

/* Device1.Disconnect() on @device_path (it needs not be cached). */
void rb_bluez_disconnect_device(RbBluez *bluez, const char *device_path,
				GCancellable *cancellable,
				GAsyncReadyCallback callback,
				gpointer user_data);
gboolean rb_bluez_disconnect_device_finish(RbBluez *bluez, GAsyncResult *result,
					   GError **error);

/*
 * Runs @fn when org.bluez vanishes, before the vanished() callback. For the
 * agent, GATT and advertisement glue. Returns an id > 0 for
 * rb_bluez_remove_vanish_listener().
 */
guint rb_bluez_add_vanish_listener(RbBluez *bluez, void (*fn)(void *data),
				   void *data);
void rb_bluez_remove_vanish_listener(RbBluez *bluez, guint id);

/*
 * The advertised box name: "Reaction_" and the low three bytes of
 * @adapter_address in upper-case hex ("AA:BB:CC:DD:EE:FF" ->
 * "Reaction_DDEEFF"). NULL if @adapter_address is not
 * "XX:XX:XX:XX:XX:XX". Free with g_free().
 */
char *rb_bluez_box_name(const char *adapter_address);
