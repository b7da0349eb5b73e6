// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rb-bench-floor: peripheral B of the bench (docs/PERFORMANCE.md), the
 * floor. A minimal GATT peripheral on the daemon's own stack (GDBus, a
 * GDBusObjectManagerServer for the application, an LEAdvertisement1) with
 * the daemon's service, UUIDs and flags (src/gatt-uuids.h,
 * src/bluez/gatt.c), and no checks at all: every WriteValue is answered at
 * once, every ReadValue with one constant byte. No agent, no pairing.
 *
 *   rb-bench-floor --adapter hciN [--notify-interval MS] [--name NAME]
 *
 * With --notify-interval, every MS ms while the protocol characteristic
 * has a subscriber, its Value changes to the ASCII decimal CLOCK_MONOTONIC
 * time in ns at emission: the phone (same clock in the VM) measures the
 * notification latency. After SIGUSR1 it stops notifying by itself and
 * notifies instead what another process sends it, the signal
 * org.reactionbox.BenchFloor1.Notify(ay) (bench/rb-bench-app app --floor):
 * the same hop, process to the peripheral over the bus, as an application's
 * Box1.Notify to reaction-boxd. After SIGUSR2 it refuses every write
 * (org.bluez.Error.Failed, ATT 0x80 on the air, as reaction-boxd refuses
 * one), still without any check. Prints "rb-bench-floor: registered on
 * /org/bluez/hciN" once the application and the advertisement are
 * registered; SIGTERM or SIGINT unregisters both and exits 0.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <gio/gio.h>
#include <glib-unix.h>

#include "gatt-uuids.h"

#define ROOT_PATH "/org/reactionbox/gatt"
#define SERVICE_PATH ROOT_PATH "/service0"
#define ADVERT_PATH "/org/reactionbox/advert"
#define CHAR_IFACE "org.bluez.GattCharacteristic1"
#define CALL_TIMEOUT_MS 25000

static const char xml[] =
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
	" <interface name='org.bluez.LEAdvertisement1'>"
	"  <method name='Release'/>"
	"  <property name='Type' type='s' access='read'/>"
	"  <property name='ServiceUUIDs' type='as' access='read'/>"
	"  <property name='LocalName' type='s' access='read'/>"
	"  <property name='Discoverable' type='b' access='read'/>"
	" </interface>"
	"</node>";

typedef struct {
	const char *path;
	const char *uuid;
	const char *const flags[4];
	guint subscribers;
} Char;

/* As in src/bluez/gatt.c: protocol, ota_data, access, pair, app_state. */
static Char chars[] = {
	{SERVICE_PATH "/char0",
	 RB_UUID_PROTOCOL,
	 {"read", "write", "notify"},
	 0},
	{SERVICE_PATH "/char1", RB_UUID_OTA_DATA, {"write"}, 0},
	{SERVICE_PATH "/char2", RB_UUID_ACCESS, {"read", "notify"}, 0},
	{SERVICE_PATH "/char3", RB_UUID_PAIR, {"secure-read"}, 0},
	{SERVICE_PATH "/char4", RB_UUID_APP_STATE, {"read", "notify"}, 0},
};
#define N_CHARS G_N_ELEMENTS(chars)

static GDBusConnection *conn;
static GMainLoop *loop;
static char *adapter_path;
static const char *local_name = RB_NAME_PREFIX "bench";
static int notify_ms;
static guint notify_id;
static gboolean notify_from_bus;
static gboolean reject_writes;
static guint64 rejected;
static guint64 writes, notifications;
static gboolean app_registered, advert_registered;
static int exit_code;

/*
 * A GDBusInterfaceSkeleton over a hand-written vtable (src/bluez/iface.c
 * for the daemon, reduced): the vtable's callbacks get the FloorIface, whose
 * data is the Char (or NULL).
 */

typedef struct {
	GDBusInterfaceSkeleton parent;
	GDBusInterfaceInfo *info;
	const GDBusInterfaceVTable *vtable;
	gpointer data;
} FloorIface;
typedef GDBusInterfaceSkeletonClass FloorIfaceClass;

static GType floor_iface_get_type(void);
G_DEFINE_TYPE(FloorIface, floor_iface, G_TYPE_DBUS_INTERFACE_SKELETON)

static GDBusInterfaceInfo *iface_info(GDBusInterfaceSkeleton *skel)
{
	return ((FloorIface *)skel)->info;
}

static GDBusInterfaceVTable *iface_vtable(GDBusInterfaceSkeleton *skel)
{
	return (GDBusInterfaceVTable *)((FloorIface *)skel)->vtable;
}

static GVariant *iface_properties(GDBusInterfaceSkeleton *skel)
{
	FloorIface *self = (FloorIface *)skel;
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	for (guint i = 0; self->info->properties[i]; i++) {
		const char *name = self->info->properties[i]->name;

		g_variant_builder_add(
			&b, "{sv}", name,
			self->vtable->get_property(NULL, NULL, NULL,
						   self->info->name, name, NULL,
						   self));
	}
	return g_variant_builder_end(&b);
}

static void iface_flush(GDBusInterfaceSkeleton *skel)
{
}

static void floor_iface_class_init(FloorIfaceClass *klass)
{
	klass->get_info = iface_info;
	klass->get_vtable = iface_vtable;
	klass->get_properties = iface_properties;
	klass->flush = iface_flush;
}

static void floor_iface_init(FloorIface *self)
{
}

static void export_object(GDBusObjectManagerServer *server, const char *path,
			  GDBusInterfaceInfo *info,
			  const GDBusInterfaceVTable *vtable, gpointer data)
{
	g_autoptr(GDBusObjectSkeleton) obj = g_dbus_object_skeleton_new(path);
	FloorIface *iface = g_object_new(floor_iface_get_type(), NULL);

	iface->info = info;
	iface->vtable = vtable;
	iface->data = data;
	g_dbus_object_skeleton_add_interface(obj,
					     G_DBUS_INTERFACE_SKELETON(iface));
	g_object_unref(iface);
	g_dbus_object_manager_server_export(server, obj);
}

/* ---- the service -------------------------------------------------------- */

static GVariant *service_get(GDBusConnection *c, const char *sender,
			     const char *path, const char *iface,
			     const char *prop, GError **error, gpointer data)
{
	if (strcmp(prop, "UUID") == 0)
		return g_variant_new_string(RB_UUID_SERVICE);
	return g_variant_new_boolean(TRUE); /* Primary */
}

static GVariant *char_get(GDBusConnection *c, const char *sender,
			  const char *path, const char *iface, const char *prop,
			  GError **error, gpointer data)
{
	Char *ch = ((FloorIface *)data)->data;

	if (strcmp(prop, "UUID") == 0)
		return g_variant_new_string(ch->uuid);
	if (strcmp(prop, "Service") == 0)
		return g_variant_new_object_path(SERVICE_PATH);
	return g_variant_new_strv(ch->flags, -1); /* Flags */
}

static void notify_value(GVariant *value)
{
	GVariantBuilder changed;

	g_variant_builder_init(&changed, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&changed, "{sv}", "Value", value);
	g_dbus_connection_emit_signal(
		conn, NULL, chars[0].path, "org.freedesktop.DBus.Properties",
		"PropertiesChanged",
		g_variant_new("(sa{sv}as)", CHAR_IFACE, &changed, NULL), NULL);
	notifications++;
}

/* Every NOTIFY_MS while subscribed: the protocol Value is the time in ns. */
static gboolean notify_tick(gpointer data)
{
	struct timespec ts;
	char buf[24];
	int n;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = snprintf(buf, sizeof(buf), "%lld",
		     (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	notify_value(g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, buf, n, 1));
	return G_SOURCE_CONTINUE;
}

/* After SIGUSR1: what rb-bench-app sends is notified as it comes. */
static void on_bus_notify(GDBusConnection *c, const char *sender,
			  const char *path, const char *iface,
			  const char *member, GVariant *params, gpointer data)
{
	g_autoptr(GVariant) value = NULL;

	if (!notify_from_bus || !chars[0].subscribers ||
	    !g_variant_is_of_type(params, G_VARIANT_TYPE("(ay)")))
		return;
	value = g_variant_get_child_value(params, 0);
	notify_value(value);
}

/* SIGUSR2: every write from then on is refused, with no check either. */
static gboolean on_usr2(gpointer data)
{
	reject_writes = TRUE;
	return G_SOURCE_CONTINUE;
}

static gboolean on_usr1(gpointer data)
{
	notify_from_bus = TRUE;
	if (notify_id) {
		g_source_remove(notify_id);
		notify_id = 0;
	}
	return G_SOURCE_CONTINUE;
}

static void char_call(GDBusConnection *c, const char *sender, const char *path,
		      const char *iface, const char *method, GVariant *params,
		      GDBusMethodInvocation *inv, gpointer data)
{
	static const guint8 value[] = {0x01};
	Char *ch = ((FloorIface *)data)->data;

	if (strcmp(method, "WriteValue") == 0 && reject_writes) {
		/* As reaction-boxd refuses a write: BlueZ sends ATT 0x80. */
		rejected++;
		g_dbus_method_invocation_return_dbus_error(
			inv, "org.bluez.Error.Failed", "rejected");
	} else if (strcmp(method, "WriteValue") == 0) {
		writes++;
		g_dbus_method_invocation_return_value(inv, NULL);
	} else if (strcmp(method, "ReadValue") == 0) {
		g_dbus_method_invocation_return_value(
			inv, g_variant_new("(@ay)",
					   g_variant_new_fixed_array(
						   G_VARIANT_TYPE_BYTE, value,
						   sizeof(value), 1)));
	} else {
		/* BlueZ calls StartNotify for the first subscriber and
		 * StopNotify after the last one, as the daemon counts. */
		if (strcmp(method, "StartNotify") == 0)
			ch->subscribers++;
		else
			ch->subscribers = 0;
		g_dbus_method_invocation_return_value(inv, NULL);
		if (ch == &chars[0] && notify_ms > 0 && ch->subscribers &&
		    !notify_id && !notify_from_bus)
			notify_id = g_timeout_add(notify_ms, notify_tick, NULL);
		if (ch == &chars[0] && !ch->subscribers && notify_id) {
			g_source_remove(notify_id);
			notify_id = 0;
		}
	}
}

static const GDBusInterfaceVTable service_vtable = {
	.get_property = service_get,
};
static const GDBusInterfaceVTable char_vtable = {
	.method_call = char_call,
	.get_property = char_get,
};

/* ---- the advertisement -------------------------------------------------- */

static void advert_call(GDBusConnection *c, const char *sender,
			const char *path, const char *iface, const char *method,
			GVariant *params, GDBusMethodInvocation *inv,
			gpointer data)
{
	advert_registered = FALSE; /* Release */
	g_dbus_method_invocation_return_value(inv, NULL);
}

static GVariant *advert_get(GDBusConnection *c, const char *sender,
			    const char *path, const char *iface,
			    const char *prop, GError **error, gpointer data)
{
	static const char *const uuids[] = {RB_UUID_SERVICE, NULL};

	if (strcmp(prop, "Type") == 0)
		return g_variant_new_string("peripheral");
	if (strcmp(prop, "ServiceUUIDs") == 0)
		return g_variant_new_strv(uuids, -1);
	if (strcmp(prop, "LocalName") == 0)
		return g_variant_new_string(local_name);
	if (strcmp(prop, "Discoverable") == 0)
		return g_variant_new_boolean(TRUE);
	g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY,
		    "No property %s", prop);
	return NULL;
}

static const GDBusInterfaceVTable advert_vtable = {
	.method_call = advert_call,
	.get_property = advert_get,
};

/* ---- registration ------------------------------------------------------- */

static void fail(const char *what, GError *error)
{
	fprintf(stderr, "rb-bench-floor: %s: %s\n", what, error->message);
	exit_code = 1;
	g_main_loop_quit(loop);
}

static void advert_done(GObject *src, GAsyncResult *res, gpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant)
		ret = g_dbus_connection_call_finish(conn, res, &error);

	if (!ret) {
		fail("RegisterAdvertisement", error);
		return;
	}
	advert_registered = TRUE;
	printf("rb-bench-floor: registered on %s\n", adapter_path);
	fflush(stdout);
}

static void app_done(GObject *src, GAsyncResult *res, gpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant)
		ret = g_dbus_connection_call_finish(conn, res, &error);

	if (!ret) {
		fail("RegisterApplication", error);
		return;
	}
	app_registered = TRUE;
	g_dbus_connection_call(conn, "org.bluez", adapter_path,
			       "org.bluez.LEAdvertisingManager1",
			       "RegisterAdvertisement",
			       g_variant_new("(oa{sv})", ADVERT_PATH, NULL),
			       NULL, G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS,
			       NULL, advert_done, NULL);
}

static void unregister(const char *iface, const char *method, const char *path)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) ret = g_dbus_connection_call_sync(
		conn, "org.bluez", adapter_path, iface, method,
		g_variant_new("(o)", path), NULL, G_DBUS_CALL_FLAGS_NONE, 5000,
		NULL, &error);

	if (!ret)
		fprintf(stderr, "rb-bench-floor: %s: %s\n", method,
			error->message);
}

static gboolean on_signal(gpointer data)
{
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

int main(int argc, char **argv)
{
	g_autofree char *adapter = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) ctx = NULL;
	g_autoptr(GDBusNodeInfo) node = NULL;
	g_autoptr(GDBusObjectManagerServer) server = NULL;
	const GOptionEntry entries[] = {
		{"adapter", 0, 0, G_OPTION_ARG_STRING, &adapter,
		 "the adapter (default hci0)", "hciN"},
		{"notify-interval", 0, 0, G_OPTION_ARG_INT, &notify_ms,
		 "notify the time on protocol every MS ms (0: off)", "MS"},
		{"name", 0, 0, G_OPTION_ARG_STRING, &local_name,
		 "the advertised name (default Reaction_bench)", "NAME"},
		{NULL, 0, 0, 0, NULL, NULL, NULL}};
	guint advert_id;

	ctx = g_option_context_new("- the bench's floor GATT peripheral");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error) ||
	    notify_ms < 0 || argc > 1) {
		fprintf(stderr, "rb-bench-floor: %s\n",
			error ? error->message : "bad arguments");
		return 2;
	}
	adapter_path = g_strconcat("/org/bluez/", adapter ? adapter : "hci0",
				   NULL);
	conn = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &error);
	if (!conn) {
		fprintf(stderr, "rb-bench-floor: system bus: %s\n",
			error->message);
		return 1;
	}
	node = g_dbus_node_info_new_for_xml(xml, NULL);
	loop = g_main_loop_new(NULL, FALSE);

	server = g_dbus_object_manager_server_new(ROOT_PATH);
	export_object(server, SERVICE_PATH, node->interfaces[0],
		      &service_vtable, NULL);
	for (guint i = 0; i < N_CHARS; i++)
		export_object(server, chars[i].path, node->interfaces[1],
			      &char_vtable, &chars[i]);
	g_dbus_object_manager_server_set_connection(server, conn);
	advert_id = g_dbus_connection_register_object(
		conn, ADVERT_PATH, node->interfaces[2], &advert_vtable, NULL,
		NULL, &error);
	g_assert(advert_id);

	g_unix_signal_add(SIGTERM, on_signal, NULL);
	g_unix_signal_add(SIGINT, on_signal, NULL);
	g_unix_signal_add(SIGUSR1, on_usr1, NULL);
	g_unix_signal_add(SIGUSR2, on_usr2, NULL);
	g_dbus_connection_signal_subscribe(
		conn, NULL, "org.reactionbox.BenchFloor1", "Notify",
		"/org/reactionbox/bench/app", NULL, G_DBUS_SIGNAL_FLAGS_NONE,
		on_bus_notify, NULL, NULL);
	g_dbus_connection_call(conn, "org.bluez", adapter_path,
			       "org.bluez.GattManager1", "RegisterApplication",
			       g_variant_new("(oa{sv})", ROOT_PATH, NULL), NULL,
			       G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL,
			       app_done, NULL);
	g_main_loop_run(loop);

	if (advert_registered)
		unregister("org.bluez.LEAdvertisingManager1",
			   "UnregisterAdvertisement", ADVERT_PATH);
	if (app_registered)
		unregister("org.bluez.GattManager1", "UnregisterApplication",
			   ROOT_PATH);
	fprintf(stderr,
		"rb-bench-floor: %" G_GUINT64_FORMAT
		" writes, %" G_GUINT64_FORMAT " rejected, %" G_GUINT64_FORMAT
		" notifications\n",
		writes, rejected, notifications);
	if (notify_id)
		g_source_remove(notify_id);
	g_dbus_connection_unregister_object(conn, advert_id);
	g_dbus_object_manager_server_set_connection(server, NULL);
	g_main_loop_unref(loop);
	g_object_unref(conn);
	g_free(adapter_path);
	return exit_code;
}
