/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test support for the BlueZ glue: a private bus (GTestDBus, a real
 * dbus-daemon), the daemon's connection, a fake bluetoothd on a second
 * connection owning org.bluez, and a third "intruder" connection.
 *
 * The fake exports, under an ObjectManager at "/":
 *   /org/bluez                        AgentManager1
 *   /org/bluez/hci0                   Adapter1, GattManager1,
 *                                     LEAdvertisingManager1
 *   /org/bluez/hci0/dev_11_22_33_44_55_66  Device1 (random, not paired)
 * and records every call it gets as a line in fake->calls.
 * RegisterApplication calls GetManagedObjects on the application before it
 * answers (as bluetoothd does); RegisterAdvertisement calls GetAll on the
 * advertisement. Their results land in app_objects / advert_props.
 */
#pragma once

#include <check.h>
#include <gio/gio.h>

#define FAKE_ADAPTER "/org/bluez/hci0"
#define FAKE_ADAPTER_ADDR "00:1A:7D:DA:71:13"
#define FAKE_DEVICE FAKE_ADAPTER "/dev_11_22_33_44_55_66"
#define FAKE_DEVICE_ADDR "11:22:33:44:55:66"
#define FAKE_OTHER_DEVICE "/org/bluez/hci1/dev_AA_BB_CC_DD_EE_FF"

typedef struct {
	GTestDBus *bus;
	GDBusConnection *app;
	GDBusConnection *fake;
	GDBusConnection *intruder;
	guint own_id;
	gboolean owned;
	GDBusObjectManagerServer *om;
	GHashTable *props; /* "path|prop" -> GVariant */
	GHashTable *ifaces; /* "path|iface" -> RbDbusIface */
	GPtrArray *calls; /* recorded calls, "Method args" */
	GVariant *app_objects; /* GetManagedObjects of the app */
	GError *app_error;
	GVariant *advert_props; /* GetAll of the advertisement */
	GPtrArray *signals; /* "path|iface|member" of PropertiesChanged */
	GPtrArray *signal_args;
	guint signal_sub;
} Fake;

/* The fixture's fake, set up by fake_setup() and torn down by
 * fake_teardown(). */
extern Fake *fake;

void fake_setup(void);
void fake_teardown(void);

/* Take and give back org.bluez. */
void fake_own(void);
void fake_unown(void);

/* Change a property on a fake object and emit PropertiesChanged. */
void fake_set_prop(const char *path, const char *iface, const char *prop,
		   GVariant *value);
/* Export / unexport a Device1 object. */
void fake_add_device(const char *path, const char *addr, const char *type);
void fake_remove_device(const char *path);

/* Index of the first recorded call starting with @prefix, or -1. */
int fake_find_call(const char *prefix);

/* Iterate the default main context until @expr holds (5 s at most). */
#define WAIT_UNTIL(expr)                                                       \
	do {                                                                   \
		gboolean to_ = FALSE;                                          \
		guint id_ = g_timeout_add(5000, wait_timeout_cb, &to_);        \
		while (!(expr) && !to_)                                        \
			g_main_context_iteration(NULL, TRUE);                  \
		if (!to_)                                                      \
			g_source_remove(id_);                                  \
		ck_assert_msg((expr), "timed out waiting for %s", #expr);      \
	} while (0)
gboolean wait_timeout_cb(gpointer data);

/* A method call run to completion on the main loop. */
typedef struct {
	gboolean done;
	GVariant *reply;
	GError *error;
	char *error_name; /* remote D-Bus error name */
	char *error_message; /* remote message, stripped */
} CallResult;

void call_wait(GDBusConnection *conn, const char *dest, const char *path,
	       const char *iface, const char *method, GVariant *params,
	       CallResult *r);
void call_result_clear(CallResult *r);

/* Let pending main-loop work run for @ms milliseconds. */
void spin(guint ms);
