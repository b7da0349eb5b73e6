// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The BlueZ glue against a fake bluetoothd on a private dbus-daemon.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bluez/advert.h"
#include "bluez/agent.h"
#include "bluez/bluez.h"
#include "bluez/gatt.h"
#include "test-bluez-fake.h"
#include "core/error.h"
#include "gatt-uuids.h"

/* What the glue reported to its owner. */
typedef struct {
	int appeared;
	int vanished;
	char *owner;
	int adapters_added;
	int adapter_changed;
	unsigned int adapter_mask;
	int devices_added;
	int device_changed;
	unsigned int device_mask;
	int devices_removed;
	char *removed_path;
	/* agent */
	int passkeys;
	guint32 passkey;
	guint16 entered;
	char *passkey_device;
	gboolean passkey_answer;
	int refused;
	int cancels;
	int releases;
	/* gatt */
	int reads;
	int writes;
	RbGattChar last_char;
	char *last_device;
	GBytes *last_value;
	GBytes *read_value;
	RbGattWriteResult write_result;
	int notify_changes;
	guint subscribers;
	/* advert */
	int advert_releases;
	/* async results */
	gboolean done;
	gboolean ok;
	GError *error;
	bool last_le; /* rb_gatt_write_link_is_le() during the write */
} Rec;

static Rec rec;
static GPtrArray *log_lines; /* the glue's log lines, see log_writer() */
static RbBluez *bz;
static RbAgent *agent;
static RbGatt *gatt;
static RbAdvert *advert;

static void set_str(char **dst, const char *src)
{
	g_free(*dst);
	*dst = g_strdup(src);
}

static void on_appeared(const char *owner, void *ud)
{
	rec.appeared++;
	set_str(&rec.owner, owner);
}

static void on_vanished(void *ud)
{
	rec.vanished++;
}

static void on_adapter_added(const RbBluezAdapter *a, void *ud)
{
	rec.adapters_added++;
}

static void on_adapter_changed(const RbBluezAdapter *a, unsigned int m,
			       void *ud)
{
	rec.adapter_changed++;
	rec.adapter_mask |= m;
}

static void on_device_added(const RbBluezDevice *d, void *ud)
{
	rec.devices_added++;
}

static void on_device_changed(const RbBluezDevice *d, unsigned int m, void *ud)
{
	rec.device_changed++;
	rec.device_mask |= m;
}

static void on_device_removed(const RbBluezDevice *d, void *ud)
{
	rec.devices_removed++;
	set_str(&rec.removed_path, d->path);
}

static const RbBluezCallbacks bluez_cbs = {
	.appeared = on_appeared,
	.vanished = on_vanished,
	.adapter_added = on_adapter_added,
	.adapter_changed = on_adapter_changed,
	.device_added = on_device_added,
	.device_changed = on_device_changed,
	.device_removed = on_device_removed,
};

static gboolean on_passkey(const char *dev, guint32 passkey, guint16 entered,
			   void *ud)
{
	rec.passkeys++;
	rec.passkey = passkey;
	rec.entered = entered;
	set_str(&rec.passkey_device, dev);
	return rec.passkey_answer;
}

static void on_refused(const char *method, const char *dev, void *ud)
{
	rec.refused++;
}

static void on_cancel(void *ud)
{
	rec.cancels++;
}

static void on_release(void *ud)
{
	rec.releases++;
}

static const RbAgentCallbacks agent_cbs = {
	.display_passkey = on_passkey,
	.cancel = on_cancel,
	.release = on_release,
	.refused = on_refused,
};

static GBytes *on_read(RbGattChar which, const char *dev, void *ud)
{
	rec.reads++;
	rec.last_char = which;
	set_str(&rec.last_device, dev);
	return rec.read_value ? g_bytes_ref(rec.read_value) : NULL;
}

static RbGattWriteResult on_write(RbGattChar which, const char *dev,
				  GBytes *value, void *ud)
{
	rec.writes++;
	rec.last_char = which;
	set_str(&rec.last_device, dev);
	g_clear_pointer(&rec.last_value, g_bytes_unref);
	rec.last_value = g_bytes_ref(value);
	rec.last_le = rb_gatt_write_link_is_le(gatt, dev);
	return rec.write_result;
}

static void on_notify(RbGattChar which, guint subscribers, void *ud)
{
	rec.notify_changes++;
	rec.last_char = which;
	rec.subscribers = subscribers;
}

static const RbGattCallbacks gatt_cbs = {
	.read = on_read,
	.write = on_write,
	.notify_changed = on_notify,
};

static void on_advert_release(void *ud)
{
	rec.advert_releases++;
}

static const RbAdvertCallbacks advert_cbs = {
	.release = on_advert_release,
};

static void setup(void)
{
	g_autoptr(GError) error = NULL;

	memset(&rec, 0, sizeof(rec));
	if (log_lines)
		g_ptr_array_set_size(log_lines, 0);
	fake_setup();
	bz = rb_bluez_new(fake->app, &bluez_cbs, NULL);
	agent = rb_agent_new(bz, &agent_cbs, NULL, &error);
	ck_assert_msg(agent, "agent: %s", error ? error->message : "");
	gatt = rb_gatt_new(bz, &gatt_cbs, NULL);
	advert = rb_advert_new(bz, "Reaction_DA7113", &advert_cbs, NULL,
			       &error);
	ck_assert_msg(advert, "advert: %s", error ? error->message : "");
	WAIT_UNTIL(rec.appeared == 1);
}

static void teardown(void)
{
	rb_advert_free(advert);
	rb_gatt_free(gatt);
	rb_agent_free(agent);
	rb_bluez_free(bz);
	fake_teardown();
	g_free(rec.owner);
	g_free(rec.removed_path);
	g_free(rec.passkey_device);
	g_free(rec.last_device);
	g_clear_pointer(&rec.last_value, g_bytes_unref);
	g_clear_pointer(&rec.read_value, g_bytes_unref);
	g_clear_error(&rec.error);
}

static const char *app_name(void)
{
	return g_dbus_connection_get_unique_name(fake->app);
}

/* ---- async completion helpers ---- */

typedef gboolean (*FinishFn)(void *obj, GAsyncResult *res, GError **error);

static void async_done(GObject *src, GAsyncResult *res, gpointer data)
{
	FinishFn finish = data;
	void *obj = NULL;

	if (finish == (FinishFn)rb_agent_register_finish ||
	    finish == (FinishFn)rb_agent_unregister_finish)
		obj = agent;
	else if (finish == (FinishFn)rb_gatt_register_finish ||
		 finish == (FinishFn)rb_gatt_unregister_finish)
		obj = gatt;
	else if (finish == (FinishFn)rb_advert_register_finish ||
		 finish == (FinishFn)rb_advert_unregister_finish)
		obj = advert;
	else
		obj = bz;
	g_clear_error(&rec.error);
	rec.ok = finish(obj, res, &rec.error);
	rec.done = TRUE;
}

#define RUN_ASYNC(call)                                                        \
	do {                                                                   \
		rec.done = FALSE;                                              \
		call;                                                          \
		WAIT_UNTIL(rec.done);                                          \
	} while (0)

/* ---- /bluez/name ---- */

static const struct {
	const char *addr;
	const char *name;
} box_names[] = {
	{"AA:BB:CC:DD:EE:FF", "Reaction_DDEEFF"},
	{"00:1a:7d:da:71:13", "Reaction_DA7113"},
	{"01:02:03:04:05:06", "Reaction_040506"},
	{"AA:BB:CC:DD:EE", NULL},
	{"AA:BB:CC:DD:EE:FG", NULL},
	{"AA-BB-CC-DD-EE-FF", NULL},
	{"AA:BB:CC:DD:EE:FF:", NULL},
	{"", NULL},
	{NULL, NULL},
};

START_TEST(test_box_name)
{
	g_autofree char *name = rb_bluez_box_name(box_names[_i].addr);

	ck_assert_pstr_eq(name, box_names[_i].name);
}
END_TEST

/* ---- /bluez/gatt/write-error (no bus) ---- */

static const struct {
	RbGattWriteResult result;
	const char *name;
	const char *msg;
} write_errors[] = {
	{{RB_GATT_WRITE_OK, RB_WRITE_OK}, NULL, ""},
	{{RB_GATT_WRITE_REJECTED, RB_WRITE_REJECT_NOT_PAIRED},
	 "org.bluez.Error.Failed",
	 "0x80"},
	{{RB_GATT_WRITE_REJECTED, RB_WRITE_REJECT_NOT_ENCRYPTED},
	 "org.bluez.Error.Failed",
	 "0x81"},
	{{RB_GATT_WRITE_REJECTED, RB_WRITE_REJECT_NOT_AUTHENTICATED},
	 "org.bluez.Error.Failed",
	 "0x82"},
	{{RB_GATT_WRITE_REJECTED, RB_WRITE_REJECT_NOT_AUTHORIZED},
	 "org.bluez.Error.Failed",
	 "0x83"},
	{{RB_GATT_WRITE_REJECTED, RB_WRITE_OK},
	 "org.bluez.Error.Failed",
	 "0x83"},
	{{RB_GATT_WRITE_INVALID_LENGTH, RB_WRITE_OK},
	 "org.bluez.Error.InvalidValueLength",
	 NULL},
	{{RB_GATT_WRITE_NOT_AUTHORIZED, RB_WRITE_OK},
	 "org.bluez.Error.NotAuthorized",
	 NULL},
	{{RB_GATT_WRITE_IN_PROGRESS, RB_WRITE_OK},
	 "org.bluez.Error.InProgress",
	 NULL},
	{{RB_GATT_WRITE_UNLIKELY, RB_WRITE_OK},
	 "org.reactionbox.Error.Unlikely",
	 NULL},
};

START_TEST(test_write_error)
{
	char msg[8];
	const char *name = rb_gatt_write_error(write_errors[_i].result, msg);

	ck_assert_pstr_eq(name, write_errors[_i].name);
	if (write_errors[_i].msg)
		ck_assert_str_eq(msg, write_errors[_i].msg);
}
END_TEST

/* ---- /bluez/watch ---- */

START_TEST(test_watch_appear)
{
	const RbBluezDevice *d;
	const RbBluezAdapter *a;
	g_autoptr(GPtrArray) adapters = rb_bluez_list_adapters(bz);

	ck_assert_str_eq(rec.owner,
			 g_dbus_connection_get_unique_name(fake->fake));
	ck_assert_int_eq(rec.adapters_added, 1);
	ck_assert_int_eq(rec.devices_added, 1);
	ck_assert_uint_eq(adapters->len, 1);
	a = rb_bluez_lookup_adapter(bz, FAKE_ADAPTER);
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->address, FAKE_ADAPTER_ADDR);
	ck_assert_str_eq(a->alias, "raspberrypi");
	ck_assert(a->powered && a->pairable && !a->discoverable);
	d = rb_bluez_lookup_device(bz, FAKE_DEVICE);
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d->address, FAKE_DEVICE_ADDR);
	ck_assert_str_eq(d->adapter_path, FAKE_ADAPTER);
	ck_assert_int_eq(d->address_type, RB_ADDR_RANDOM);
	ck_assert(!d->paired && !d->bonded && d->connected);
	ck_assert(rb_bluez_sender_is_bluez(
		bz, g_dbus_connection_get_unique_name(fake->fake)));
	ck_assert(!rb_bluez_sender_is_bluez(
		bz, g_dbus_connection_get_unique_name(fake->intruder)));
	ck_assert(!rb_bluez_sender_is_bluez(bz, NULL));
	ck_assert_ptr_null(rb_bluez_lookup_device(bz, FAKE_OTHER_DEVICE));
}
END_TEST

static const struct {
	const char *prop;
	unsigned int mask;
} device_props[] = {
	{"Paired", RB_BLUEZ_DEVICE_CHANGED_PAIRED},
	{"Bonded", RB_BLUEZ_DEVICE_CHANGED_BONDED},
	{"ServicesResolved", RB_BLUEZ_DEVICE_CHANGED_SERVICES_RESOLVED},
};

START_TEST(test_watch_device_changed)
{
	const RbBluezDevice *d;

	fake_set_prop(FAKE_DEVICE, "org.bluez.Device1", device_props[_i].prop,
		      g_variant_new_boolean(TRUE));
	WAIT_UNTIL(rec.device_changed == 1);
	ck_assert_uint_eq(rec.device_mask, device_props[_i].mask);
	d = rb_bluez_lookup_device(bz, FAKE_DEVICE);
	ck_assert(d->paired ==
		  (device_props[_i].mask == RB_BLUEZ_DEVICE_CHANGED_PAIRED));
	ck_assert(d->bonded ==
		  (device_props[_i].mask == RB_BLUEZ_DEVICE_CHANGED_BONDED));
	ck_assert(d->connected);

	/* Setting the same value again reports nothing. */
	fake_set_prop(FAKE_DEVICE, "org.bluez.Device1", device_props[_i].prop,
		      g_variant_new_boolean(TRUE));
	fake_set_prop(FAKE_DEVICE, "org.bluez.Device1", "Connected",
		      g_variant_new_boolean(FALSE));
	WAIT_UNTIL(rec.device_changed == 2);
	ck_assert_uint_eq(rec.device_mask,
			  device_props[_i].mask |
				  RB_BLUEZ_DEVICE_CHANGED_CONNECTED);
	ck_assert(!rb_bluez_lookup_device(bz, FAKE_DEVICE)->connected);
}
END_TEST

START_TEST(test_watch_device_added_removed)
{
	const char *path = FAKE_ADAPTER "/dev_00_11_22_33_44_55";

	fake_add_device(path, "00:11:22:33:44:55", "public");
	WAIT_UNTIL(rec.devices_added == 2);
	ck_assert_int_eq(rb_bluez_lookup_device(bz, path)->address_type,
			 RB_ADDR_PUBLIC);
	fake_remove_device(path);
	WAIT_UNTIL(rec.devices_removed == 1);
	ck_assert_str_eq(rec.removed_path, path);
	ck_assert_ptr_null(rb_bluez_lookup_device(bz, path));
	ck_assert_ptr_nonnull(rb_bluez_lookup_device(bz, FAKE_DEVICE));
}
END_TEST

/* With rb_bluez_keep_devices_of(), other adapters' devices are dropped
 * (no device_removed: BlueZ did not remove them) and never cached again,
 * from InterfacesAdded as from GetManagedObjects. */
START_TEST(test_watch_keep_devices_of)
{
	const char *other2 = "/org/bluez/hci1/dev_AA_BB_CC_DD_EE_00";
	const char *own = FAKE_ADAPTER "/dev_00_11_22_33_44_55";

	fake_add_device(FAKE_OTHER_DEVICE, "AA:BB:CC:DD:EE:FF", "public");
	WAIT_UNTIL(rec.devices_added == 2);
	ck_assert_ptr_nonnull(rb_bluez_lookup_device(bz, FAKE_OTHER_DEVICE));

	rb_bluez_keep_devices_of(bz, FAKE_ADAPTER);
	ck_assert_ptr_null(rb_bluez_lookup_device(bz, FAKE_OTHER_DEVICE));
	ck_assert_ptr_nonnull(rb_bluez_lookup_device(bz, FAKE_DEVICE));
	ck_assert_int_eq(rec.devices_removed, 0);

	/* (signals come in order: the own device's after the other's) */
	fake_add_device(other2, "AA:BB:CC:DD:EE:00", "public");
	fake_add_device(own, "00:11:22:33:44:55", "public");
	WAIT_UNTIL(rec.devices_added == 3);
	ck_assert_ptr_nonnull(rb_bluez_lookup_device(bz, own));
	ck_assert_ptr_null(rb_bluez_lookup_device(bz, other2));

	fake_unown();
	WAIT_UNTIL(rec.vanished == 1);
	fake_own();
	WAIT_UNTIL(rec.appeared == 2);
	ck_assert_int_eq(rec.devices_added, 5);
	ck_assert_ptr_nonnull(rb_bluez_lookup_device(bz, own));
	ck_assert_ptr_nonnull(rb_bluez_lookup_device(bz, FAKE_DEVICE));
	ck_assert_ptr_null(rb_bluez_lookup_device(bz, FAKE_OTHER_DEVICE));
	ck_assert_ptr_null(rb_bluez_lookup_device(bz, other2));
	ck_assert_int_eq(rec.devices_removed, 0);
}
END_TEST

START_TEST(test_watch_vanish_reappear)
{
	const char *owner = g_dbus_connection_get_unique_name(fake->fake);

	fake_unown();
	WAIT_UNTIL(rec.vanished == 1);
	ck_assert_ptr_null(rb_bluez_owner(bz));
	ck_assert(!rb_bluez_sender_is_bluez(bz, owner));
	ck_assert_ptr_null(rb_bluez_lookup_device(bz, FAKE_DEVICE));
	ck_assert_ptr_null(rb_bluez_lookup_adapter(bz, FAKE_ADAPTER));
	/* bluetoothd leaving is not a bond removal */
	ck_assert_int_eq(rec.devices_removed, 0);

	fake_own();
	WAIT_UNTIL(rec.appeared == 2);
	ck_assert(rb_bluez_sender_is_bluez(bz, owner));
	ck_assert_ptr_nonnull(rb_bluez_lookup_device(bz, FAKE_DEVICE));
	ck_assert_int_eq(rec.devices_added, 2);
}
END_TEST

static void emit_props_changed(GDBusConnection *from, const char *path,
			       const char *iface, GVariant *changed,
			       const char *const *invalidated)
{
	static const char *const none[] = {NULL};
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	if (changed) {
		GVariantIter it;
		const char *k;
		GVariant *v;

		g_variant_iter_init(&it, changed);
		while (g_variant_iter_loop(&it, "{&sv}", &k, &v))
			g_variant_builder_add(&b, "{sv}", k, v);
		g_variant_unref(g_variant_ref_sink(changed));
	}
	ck_assert(g_dbus_connection_emit_signal(
		from, NULL, path, "org.freedesktop.DBus.Properties",
		"PropertiesChanged",
		g_variant_new("(sa{sv}^as)", iface, &b,
			      invalidated ? invalidated : none),
		NULL));
	g_dbus_connection_flush_sync(from, NULL, NULL);
}

/* bluetoothd invalidating a property: it reads as absent, as a GDBusProxy's
 * cache drops it. */
START_TEST(test_watch_invalidated)
{
	static const char *const connected[] = {"Connected", NULL};

	ck_assert(rb_bluez_lookup_device(bz, FAKE_DEVICE)->connected);
	emit_props_changed(fake->fake, FAKE_DEVICE, "org.bluez.Device1", NULL,
			   connected);
	WAIT_UNTIL(rec.device_changed == 1);
	ck_assert_uint_eq(rec.device_mask, RB_BLUEZ_DEVICE_CHANGED_CONNECTED);
	ck_assert(!rb_bluez_lookup_device(bz, FAKE_DEVICE)->connected);
	ck_assert_str_eq(rb_bluez_lookup_device(bz, FAKE_DEVICE)->address,
			 FAKE_DEVICE_ADDR);
}
END_TEST

/* Only bluetoothd's unique name feeds the cache. */
START_TEST(test_watch_intruder_signals)
{
	static const char *const none[] = {NULL};
	GVariantBuilder ifaces, props;

	emit_props_changed(fake->intruder, FAKE_DEVICE, "org.bluez.Device1",
			   g_variant_new_parsed("{'Paired': <true>, "
						"'Connected': <false>}"),
			   none);
	g_variant_builder_init(&props, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&props, "{sv}", "Address",
			      g_variant_new_string("00:11:22:33:44:55"));
	g_variant_builder_init(&ifaces, G_VARIANT_TYPE("a{sa{sv}}"));
	g_variant_builder_add(&ifaces, "{sa{sv}}", "org.bluez.Device1", &props);
	ck_assert(g_dbus_connection_emit_signal(
		fake->intruder, NULL, "/", "org.freedesktop.DBus.ObjectManager",
		"InterfacesAdded",
		g_variant_new("(oa{sa{sv}})",
			      FAKE_ADAPTER "/dev_00_11_22_33_44_55", &ifaces),
		NULL));
	g_dbus_connection_flush_sync(fake->intruder, NULL, NULL);
	/* bluetoothd's own change after them: once it is seen, theirs would
	 * have been too. */
	fake_set_prop(FAKE_DEVICE, "org.bluez.Device1", "Bonded",
		      g_variant_new_boolean(TRUE));
	WAIT_UNTIL(rec.device_changed == 1);
	ck_assert_uint_eq(rec.device_mask, RB_BLUEZ_DEVICE_CHANGED_BONDED);
	ck_assert(!rb_bluez_lookup_device(bz, FAKE_DEVICE)->paired);
	ck_assert(rb_bluez_lookup_device(bz, FAKE_DEVICE)->connected);
	ck_assert_int_eq(rec.devices_added, 1);
}
END_TEST

static gint delivered_gatt;

static GDBusMessage *count_gatt_signals(GDBusConnection *c, GDBusMessage *m,
					gboolean incoming, gpointer data)
{
	GVariant *body = g_dbus_message_get_body(m);
	const char *iface = NULL;

	if (incoming &&
	    g_dbus_message_get_message_type(m) == G_DBUS_MESSAGE_TYPE_SIGNAL &&
	    g_strcmp0(g_dbus_message_get_member(m), "PropertiesChanged") == 0 &&
	    body && g_variant_is_of_type(body, G_VARIANT_TYPE("(sa{sv}as)"))) {
		g_variant_get_child(body, 0, "&s", &iface);
		if (strcmp(iface, "org.bluez.GattCharacteristic1") == 0)
			g_atomic_int_inc(&delivered_gatt);
	}
	return m;
}

/*
 * bluetoothd's signals for other interfaces (here a remote GATT value, as
 * a phone-side notification makes) are not even delivered to the daemon:
 * the bus matches on arg0, so they cost it no wakeup.
 */
START_TEST(test_watch_other_signals_not_delivered)
{
	guint filter = g_dbus_connection_add_filter(
		fake->app, count_gatt_signals, NULL, NULL);
	gint n;

	g_atomic_int_set(&delivered_gatt, 0);
	for (int i = 0; i < 5; i++)
		emit_props_changed(fake->fake,
				   FAKE_DEVICE "/service0001/char0002",
				   "org.bluez.GattCharacteristic1",
				   g_variant_new_parsed("{'Value': <@ay [%y]>}",
							(guint8)i),
				   NULL);
	fake_set_prop(FAKE_DEVICE, "org.bluez.Device1", "Paired",
		      g_variant_new_boolean(TRUE));
	WAIT_UNTIL(rec.device_changed == 1);
	g_dbus_connection_remove_filter(fake->app, filter);
	n = g_atomic_int_get(&delivered_gatt);
	ck_assert_int_eq(n, 0);
}
END_TEST

/* ---- /bluez/adapter and /bluez/device requests ---- */

START_TEST(test_adapter_set_property)
{
	RUN_ASYNC(rb_bluez_set_adapter_property(
		bz, FAKE_ADAPTER, RB_BLUEZ_ADAPTER_PROP_PAIRABLE,
		g_variant_new_boolean(FALSE), NULL, async_done,
		(gpointer)rb_bluez_set_adapter_property_finish));
	ck_assert_msg(rec.ok, "%s", rec.error ? rec.error->message : "");
	ck_assert_int_ge(fake_find_call("Set " FAKE_ADAPTER " Pairable false"),
			 0);
	WAIT_UNTIL(rec.adapter_changed == 1);
	ck_assert_uint_eq(rec.adapter_mask, RB_BLUEZ_ADAPTER_CHANGED_PAIRABLE);
	ck_assert(!rb_bluez_lookup_adapter(bz, FAKE_ADAPTER)->pairable);

	RUN_ASYNC(rb_bluez_set_adapter_property(
		bz, FAKE_ADAPTER, RB_BLUEZ_ADAPTER_PROP_ALIAS,
		g_variant_new_string("Reaction_DA7113"), NULL, async_done,
		(gpointer)rb_bluez_set_adapter_property_finish));
	ck_assert(rec.ok);
	WAIT_UNTIL(rec.adapter_changed == 2);
	ck_assert_str_eq(rb_bluez_lookup_adapter(bz, FAKE_ADAPTER)->alias,
			 "Reaction_DA7113");

	/* A value of the wrong type is refused and nothing is sent. */
	guint n = fake->calls->len;
	RUN_ASYNC(rb_bluez_set_adapter_property(
		bz, FAKE_ADAPTER, RB_BLUEZ_ADAPTER_PROP_POWERED,
		g_variant_new_string("yes"), NULL, async_done,
		(gpointer)rb_bluez_set_adapter_property_finish));
	ck_assert(!rec.ok);
	ck_assert(g_error_matches(rec.error, RB_ERROR, RB_ERROR_INVALID));
	spin(50);
	ck_assert_uint_eq(fake->calls->len, n);
}
END_TEST

START_TEST(test_device_requests)
{
	RUN_ASYNC(rb_bluez_remove_device(
		bz, FAKE_DEVICE, NULL, async_done,
		(gpointer)rb_bluez_remove_device_finish));
	ck_assert(rec.ok);
	ck_assert_int_ge(fake_find_call("RemoveDevice " FAKE_ADAPTER
					" ('" FAKE_DEVICE "',)"),
			 0);
	RUN_ASYNC(rb_bluez_disconnect_device(
		bz, FAKE_DEVICE, NULL, async_done,
		(gpointer)rb_bluez_disconnect_device_finish));
	ck_assert(rec.ok);
	ck_assert_int_ge(fake_find_call("Disconnect " FAKE_DEVICE), 0);

	RUN_ASYNC(rb_bluez_remove_device(
		bz, FAKE_OTHER_DEVICE, NULL, async_done,
		(gpointer)rb_bluez_remove_device_finish));
	ck_assert(!rec.ok);
	ck_assert(g_error_matches(rec.error, RB_ERROR, RB_ERROR_NOT_FOUND));
	ck_assert_int_lt(fake_find_call("RemoveDevice " FAKE_ADAPTER
					" ('" FAKE_OTHER_DEVICE),
			 0);
}
END_TEST

/* ---- /bluez/agent ---- */

START_TEST(test_agent_register)
{
	int reg, def;

	RUN_ASYNC(rb_agent_register(agent, NULL, async_done,
				    (gpointer)rb_agent_register_finish));
	ck_assert_msg(rec.ok, "%s", rec.error ? rec.error->message : "");
	reg = fake_find_call("RegisterAgent /org/bluez "
			     "('/org/reactionbox/agent', 'DisplayOnly')");
	def = fake_find_call("RequestDefaultAgent /org/bluez "
			     "('/org/reactionbox/agent',)");
	ck_assert_int_ge(reg, 0);
	ck_assert_int_gt(def, reg);
	ck_assert(rb_agent_is_registered(agent));

	RUN_ASYNC(rb_agent_unregister(agent, NULL, async_done,
				      (gpointer)rb_agent_unregister_finish));
	ck_assert(rec.ok);
	ck_assert_int_gt(fake_find_call("UnregisterAgent /org/bluez "
					"('/org/reactionbox/agent',)"),
			 def);
	ck_assert(!rb_agent_is_registered(agent));
}
END_TEST

static void agent_call(GDBusConnection *from, const char *method,
		       GVariant *params, CallResult *r)
{
	call_wait(from, app_name(), RB_AGENT_PATH, "org.bluez.Agent1", method,
		  params, r);
}

START_TEST(test_agent_display_passkey)
{
	CallResult r;

	rb_agent_set_adapter(agent, FAKE_ADAPTER);
	rec.passkey_answer = TRUE;
	agent_call(fake->fake, "DisplayPasskey",
		   g_variant_new("(ouq)", FAKE_DEVICE, 123456, 2), &r);
	ck_assert_ptr_null(r.error);
	ck_assert_int_eq(rec.passkeys, 1);
	ck_assert_uint_eq(rec.passkey, 123456);
	ck_assert_uint_eq(rec.entered, 2);
	ck_assert_str_eq(rec.passkey_device, FAKE_DEVICE);
	call_result_clear(&r);

	/* The daemon refuses: Rejected. */
	rec.passkey_answer = FALSE;
	agent_call(fake->fake, "DisplayPasskey",
		   g_variant_new("(ouq)", FAKE_DEVICE, 5, 0), &r);
	ck_assert_str_eq(r.error_name, "org.bluez.Error.Rejected");
	ck_assert_int_eq(rec.passkeys, 2);
	call_result_clear(&r);

	/* A device on another adapter never reaches the callback. */
	rec.passkey_answer = TRUE;
	agent_call(fake->fake, "DisplayPasskey",
		   g_variant_new("(ouq)", FAKE_OTHER_DEVICE, 5, 0), &r);
	ck_assert_str_eq(r.error_name, "org.bluez.Error.Rejected");
	ck_assert_int_eq(rec.passkeys, 2);
	call_result_clear(&r);

	/* A prefix of the adapter path is not the adapter. */
	agent_call(fake->fake, "DisplayPasskey",
		   g_variant_new("(ouq)", "/org/bluez/hci01/dev_1", 5, 0), &r);
	ck_assert_str_eq(r.error_name, "org.bluez.Error.Rejected");
	ck_assert_int_eq(rec.passkeys, 2);
	call_result_clear(&r);

	/* Nor while no adapter is set. */
	rb_agent_set_adapter(agent, NULL);
	agent_call(fake->fake, "DisplayPasskey",
		   g_variant_new("(ouq)", FAKE_DEVICE, 5, 0), &r);
	ck_assert_str_eq(r.error_name, "org.bluez.Error.Rejected");
	ck_assert_int_eq(rec.passkeys, 2);
	call_result_clear(&r);
}
END_TEST

static const struct {
	const char *method;
	const char *sig;
} agent_refusals[] = {
	{"RequestAuthorization", "(o)"}, {"RequestConfirmation", "(ou)"},
	{"RequestPasskey", "(o)"},	 {"RequestPinCode", "(o)"},
	{"DisplayPinCode", "(os)"},	 {"AuthorizeService", "(os)"},
};

START_TEST(test_agent_refusals)
{
	CallResult r;
	GVariant *params;
	const char *sig = agent_refusals[_i].sig;

	rb_agent_set_adapter(agent, FAKE_ADAPTER);
	if (strcmp(sig, "(o)") == 0)
		params = g_variant_new("(o)", FAKE_DEVICE);
	else if (strcmp(sig, "(ou)") == 0)
		params = g_variant_new("(ou)", FAKE_DEVICE, 123456);
	else
		params = g_variant_new("(os)", FAKE_DEVICE, "0000");
	agent_call(fake->fake, agent_refusals[_i].method, params, &r);
	ck_assert_pstr_eq(r.error_name, "org.bluez.Error.Rejected");
	ck_assert_int_eq(rec.refused, 1);
	ck_assert_int_eq(rec.passkeys, 0);
	call_result_clear(&r);
}
END_TEST

START_TEST(test_agent_release_cancel)
{
	CallResult r;

	agent_call(fake->fake, "Cancel", NULL, &r);
	ck_assert_ptr_null(r.error);
	ck_assert_int_eq(rec.cancels, 1);
	call_result_clear(&r);
	agent_call(fake->fake, "Release", NULL, &r);
	ck_assert_ptr_null(r.error);
	ck_assert_int_eq(rec.releases, 1);
	call_result_clear(&r);
}
END_TEST

static const struct {
	const char *method;
	const char *sig;
} agent_intrusions[] = {
	{"DisplayPasskey", "(ouq)"},
	{"Cancel", "()"},
	{"Release", "()"},
};

START_TEST(test_agent_intruder)
{
	CallResult r;
	GVariant *params = NULL;

	rb_agent_set_adapter(agent, FAKE_ADAPTER);
	rec.passkey_answer = TRUE;
	if (strcmp(agent_intrusions[_i].sig, "(ouq)") == 0)
		params = g_variant_new("(ouq)", FAKE_DEVICE, 1, 0);
	agent_call(fake->intruder, agent_intrusions[_i].method, params, &r);
	ck_assert_pstr_eq(r.error_name, "org.bluez.Error.Rejected");
	ck_assert_int_eq(rec.passkeys + rec.cancels + rec.releases, 0);
	call_result_clear(&r);
}
END_TEST

/* ---- /bluez/gatt ---- */

static GVariant *options(const char *device, guint16 offset, guint16 mtu)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	if (device)
		g_variant_builder_add(&b, "{sv}", "device",
				      g_variant_new_object_path(device));
	if (offset)
		g_variant_builder_add(&b, "{sv}", "offset",
				      g_variant_new_uint16(offset));
	g_variant_builder_add(&b, "{sv}", "link", g_variant_new_string("LE"));
	if (mtu)
		g_variant_builder_add(&b, "{sv}", "mtu",
				      g_variant_new_uint16(mtu));
	return g_variant_builder_end(&b);
}

static GVariant *bytes(const char *s)
{
	return g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, s, strlen(s), 1);
}

static void gatt_call(GDBusConnection *from, RbGattChar which,
		      const char *method, GVariant *params, CallResult *r)
{
	call_wait(from, app_name(), rb_gatt_char_path(which),
		  "org.bluez.GattCharacteristic1", method, params, r);
}

static const struct {
	const char *uuid;
	const char *flags;
} expected_chars[] = {
	{RB_UUID_PROTOCOL, "read,write,notify"}, {RB_UUID_OTA_DATA, "write"},
	{RB_UUID_ACCESS, "read,notify"},	 {RB_UUID_PAIR, "secure-read"},
	{RB_UUID_APP_STATE, "read,notify"},
};
G_STATIC_ASSERT(G_N_ELEMENTS(expected_chars) == RB_GATT_CHAR_COUNT);

START_TEST(test_gatt_register_tree)
{
	GVariantIter it;
	const char *path;
	GVariant *ifaces;
	int services = 0, chars = 0;
	gboolean seen[RB_GATT_CHAR_COUNT] = {FALSE};

	RUN_ASYNC(rb_gatt_register(gatt, FAKE_ADAPTER, NULL, async_done,
				   (gpointer)rb_gatt_register_finish));
	ck_assert_msg(rec.ok, "%s", rec.error ? rec.error->message : "");
	ck_assert_int_ge(fake_find_call("RegisterApplication " FAKE_ADAPTER
					" ('/org/reactionbox/gatt', {})"),
			 0);
	ck_assert_str_eq(rb_gatt_registered_adapter(gatt), FAKE_ADAPTER);
	ck_assert_msg(fake->app_objects, "GetManagedObjects failed: %s",
		      fake->app_error ? fake->app_error->message : "");

	g_variant_iter_init(&it, fake->app_objects);
	while (g_variant_iter_next(&it, "{&o@a{sa{sv}}}", &path, &ifaces)) {
		g_autoptr(GVariant) svc = g_variant_lookup_value(
			ifaces, "org.bluez.GattService1", NULL);
		g_autoptr(GVariant) chr = g_variant_lookup_value(
			ifaces, "org.bluez.GattCharacteristic1", NULL);

		if (svc) {
			const char *uuid;
			gboolean primary = FALSE;

			services++;
			ck_assert_str_eq(path, RB_GATT_SERVICE_PATH);
			ck_assert(g_variant_lookup(svc, "UUID", "&s", &uuid));
			ck_assert_str_eq(uuid, RB_UUID_SERVICE);
			ck_assert(g_variant_lookup(svc, "Primary", "b",
						   &primary));
			ck_assert(primary);
		}
		if (chr) {
			const char *uuid, *service;
			g_autofree const char **flags = NULL;
			g_autofree char *joined = NULL;
			int idx = -1;

			chars++;
			ck_assert(g_variant_lookup(chr, "UUID", "&s", &uuid));
			ck_assert(g_variant_lookup(chr, "Service", "&o",
						   &service));
			ck_assert_str_eq(service, RB_GATT_SERVICE_PATH);
			ck_assert(
				g_variant_lookup(chr, "Flags", "^a&s", &flags));
			joined = g_strjoinv(",", (char **)flags);
			ck_assert_ptr_null(
				strstr(joined, "write-without-response"));
			for (int i = 0; i < RB_GATT_CHAR_COUNT; i++) {
				if (strcmp(uuid, expected_chars[i].uuid) == 0)
					idx = i;
			}
			ck_assert_int_ge(idx, 0);
			ck_assert(!seen[idx]);
			seen[idx] = TRUE;
			ck_assert_str_eq(joined, expected_chars[idx].flags);
			ck_assert_str_eq(path, rb_gatt_char_path(idx));
		}
		g_variant_unref(ifaces);
	}
	ck_assert_int_eq(services, 1);
	ck_assert_int_eq(chars, RB_GATT_CHAR_COUNT);

	RUN_ASYNC(rb_gatt_unregister(gatt, NULL, async_done,
				     (gpointer)rb_gatt_unregister_finish));
	ck_assert(rec.ok);
	ck_assert_int_ge(fake_find_call("UnregisterApplication " FAKE_ADAPTER
					" ('/org/reactionbox/gatt',)"),
			 0);
	ck_assert_ptr_null(rb_gatt_registered_adapter(gatt));
}
END_TEST

static const struct {
	RbGattChar which;
	guint16 offset;
	const char *expect; /* NULL: error */
	const char *error;
} reads[] = {
	{RB_GATT_CHAR_PROTOCOL, 0, "hello", NULL},
	{RB_GATT_CHAR_ACCESS, 2, "llo", NULL},
	{RB_GATT_CHAR_PAIR, 5, "", NULL},
	{RB_GATT_CHAR_PROTOCOL, 6, NULL, "org.bluez.Error.InvalidOffset"},
	{RB_GATT_CHAR_OTA_DATA, 0, NULL, "org.bluez.Error.NotPermitted"},
};

START_TEST(test_gatt_read)
{
	CallResult r;
	g_autoptr(GVariant) value = NULL;

	rec.read_value = g_bytes_new("hello", 5);
	gatt_call(fake->fake, reads[_i].which, "ReadValue",
		  g_variant_new("(@a{sv})",
				options(FAKE_DEVICE, reads[_i].offset, 185)),
		  &r);
	if (reads[_i].expect) {
		gsize n;
		const char *data;

		ck_assert_msg(!r.error, "%s", r.error_message);
		value = g_variant_get_child_value(r.reply, 0);
		data = g_variant_get_fixed_array(value, &n, 1);
		ck_assert_uint_eq(n, strlen(reads[_i].expect));
		ck_assert(n == 0 || memcmp(data, reads[_i].expect, n) == 0);
		ck_assert_int_eq(rec.reads, 1);
		ck_assert_int_eq(rec.last_char, reads[_i].which);
		ck_assert_str_eq(rec.last_device, FAKE_DEVICE);
	} else {
		ck_assert_pstr_eq(r.error_name, reads[_i].error);
	}
	ck_assert_uint_eq(rb_gatt_mtu_for(gatt, FAKE_DEVICE), 185);
	call_result_clear(&r);
}
END_TEST

START_TEST(test_gatt_read_refused)
{
	CallResult r;

	gatt_call(fake->fake, RB_GATT_CHAR_PROTOCOL, "ReadValue",
		  g_variant_new("(@a{sv})", options(FAKE_DEVICE, 0, 0)), &r);
	ck_assert_pstr_eq(r.error_name, "org.bluez.Error.NotPermitted");
	ck_assert_int_eq(rec.reads, 1);
	call_result_clear(&r);
	/* no device option */
	gatt_call(fake->fake, RB_GATT_CHAR_PROTOCOL, "ReadValue",
		  g_variant_new("(@a{sv})", options(NULL, 0, 0)), &r);
	ck_assert_pstr_eq(r.error_name, "org.bluez.Error.InvalidArguments");
	ck_assert_int_eq(rec.reads, 1);
	call_result_clear(&r);
}
END_TEST

static const struct {
	RbGattChar which;
	guint16 offset;
	RbGattWriteResult result;
	const char *error;
	const char *message;
	int reaches;
} writes[] = {
	{RB_GATT_CHAR_PROTOCOL,
	 0,
	 {RB_GATT_WRITE_OK, RB_WRITE_OK},
	 NULL,
	 NULL,
	 1},
	{RB_GATT_CHAR_OTA_DATA,
	 0,
	 {RB_GATT_WRITE_OK, RB_WRITE_OK},
	 NULL,
	 NULL,
	 1},
	{RB_GATT_CHAR_PROTOCOL,
	 0,
	 {RB_GATT_WRITE_REJECTED, RB_WRITE_REJECT_NOT_PAIRED},
	 "org.bluez.Error.Failed",
	 "0x80",
	 1},
	{RB_GATT_CHAR_PROTOCOL,
	 0,
	 {RB_GATT_WRITE_REJECTED, RB_WRITE_REJECT_NOT_ENCRYPTED},
	 "org.bluez.Error.Failed",
	 "0x81",
	 1},
	{RB_GATT_CHAR_OTA_DATA,
	 0,
	 {RB_GATT_WRITE_REJECTED, RB_WRITE_REJECT_NOT_AUTHENTICATED},
	 "org.bluez.Error.Failed",
	 "0x82",
	 1},
	{RB_GATT_CHAR_PROTOCOL,
	 0,
	 {RB_GATT_WRITE_REJECTED, RB_WRITE_REJECT_NOT_AUTHORIZED},
	 "org.bluez.Error.Failed",
	 "0x83",
	 1},
	{RB_GATT_CHAR_PROTOCOL,
	 0,
	 {RB_GATT_WRITE_INVALID_LENGTH, RB_WRITE_OK},
	 "org.bluez.Error.InvalidValueLength",
	 NULL,
	 1},
	{RB_GATT_CHAR_PROTOCOL,
	 3,
	 {RB_GATT_WRITE_OK, RB_WRITE_OK},
	 "org.bluez.Error.InvalidOffset",
	 NULL,
	 0},
	{RB_GATT_CHAR_ACCESS,
	 0,
	 {RB_GATT_WRITE_OK, RB_WRITE_OK},
	 "org.bluez.Error.NotPermitted",
	 NULL,
	 0},
	{RB_GATT_CHAR_PAIR,
	 0,
	 {RB_GATT_WRITE_OK, RB_WRITE_OK},
	 "org.bluez.Error.NotPermitted",
	 NULL,
	 0},
};

START_TEST(test_gatt_write)
{
	CallResult r;

	rec.write_result = writes[_i].result;
	gatt_call(fake->fake, writes[_i].which, "WriteValue",
		  g_variant_new("(@ay@a{sv})", bytes("\x0a\x02hi"),
				options(FAKE_DEVICE, writes[_i].offset, 247)),
		  &r);
	ck_assert_pstr_eq(r.error_name, writes[_i].error);
	if (writes[_i].message)
		ck_assert_str_eq(r.error_message, writes[_i].message);
	ck_assert_int_eq(rec.writes, writes[_i].reaches);
	if (writes[_i].reaches) {
		ck_assert_int_eq(rec.last_char, writes[_i].which);
		ck_assert_str_eq(rec.last_device, FAKE_DEVICE);
		ck_assert_uint_eq(g_bytes_get_size(rec.last_value), 4);
		ck_assert(memcmp(g_bytes_get_data(rec.last_value, NULL),
				 "\x0a\x02hi", 4) == 0);
	}
	ck_assert_uint_eq(rb_gatt_mtu_for(gatt, FAKE_DEVICE), 247);
	call_result_clear(&r);
}
END_TEST

/* The bearer of a write, as BlueZ names it: only "LE" is LE. */
static const char *const bearers[] = {"LE", "BR/EDR", NULL};

START_TEST(test_gatt_write_bearer)
{
	static const bool want[] = {true, false, true};
	GVariantBuilder b;
	CallResult r;

	rec.write_result = (RbGattWriteResult){RB_GATT_WRITE_OK, RB_WRITE_OK};
	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&b, "{sv}", "device",
			      g_variant_new_object_path(FAKE_DEVICE));
	if (bearers[_i])
		g_variant_builder_add(&b, "{sv}", "link",
				      g_variant_new_string(bearers[_i]));
	gatt_call(fake->fake, RB_GATT_CHAR_PROTOCOL, "WriteValue",
		  g_variant_new("(@ay@a{sv})", bytes("\x0a\x02hi"),
				g_variant_builder_end(&b)),
		  &r);
	ck_assert_int_eq(rec.writes, 1);
	ck_assert_int_eq(rec.last_le, want[_i]);
	call_result_clear(&r);
}
END_TEST

static bool only_fake_device(const char *path, void *data)
{
	(*(int *)data)++;
	return strcmp(path, FAKE_DEVICE) == 0;
}

static bool every_device(const char *path, void *data)
{
	(*(int *)data)++;
	return true;
}

/* The smallest mtu among the devices that count; under 23 never counts. */
START_TEST(test_gatt_smallest_mtu)
{
	static const struct {
		const char *dev;
		guint16 mtu;
	} seen[] = {{FAKE_DEVICE, 247},
		    {FAKE_OTHER_DEVICE, 100},
		    {FAKE_ADAPTER "/dev_00_11_22_33_44_55", 20}};
	CallResult r;
	int asked = 0;

	rec.write_result = (RbGattWriteResult){RB_GATT_WRITE_OK, RB_WRITE_OK};
	ck_assert_uint_eq(rb_gatt_smallest_mtu(gatt, every_device, &asked), 0);
	for (guint i = 0; i < G_N_ELEMENTS(seen); i++) {
		gatt_call(fake->fake, RB_GATT_CHAR_PROTOCOL, "WriteValue",
			  g_variant_new("(@ay@a{sv})", bytes("\x0a\x02hi"),
					options(seen[i].dev, 0, seen[i].mtu)),
			  &r);
		call_result_clear(&r);
	}
	ck_assert_uint_eq(rb_gatt_smallest_mtu(gatt, every_device, &asked),
			  100);
	ck_assert_uint_eq(rb_gatt_smallest_mtu(gatt, only_fake_device, &asked),
			  247);
	rb_gatt_forget_device(gatt, FAKE_DEVICE);
	ck_assert_uint_eq(rb_gatt_smallest_mtu(gatt, only_fake_device, &asked),
			  0);
	/* asked only about devices with an mtu */
	ck_assert_int_le(asked, 2 + 2 + 1);
}
END_TEST

/* Options of another type than BlueZ's are ignored; of a key given twice
 * the last counts. */
START_TEST(test_gatt_write_option_types)
{
	GVariantBuilder b;
	CallResult r;

	rec.write_result = (RbGattWriteResult){RB_GATT_WRITE_OK, RB_WRITE_OK};
	/* "device" as a string is no device */
	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&b, "{sv}", "device",
			      g_variant_new_string(FAKE_DEVICE));
	gatt_call(fake->fake, RB_GATT_CHAR_PROTOCOL, "WriteValue",
		  g_variant_new("(@ay@a{sv})", bytes("\x0a\x02hi"),
				g_variant_builder_end(&b)),
		  &r);
	ck_assert_pstr_eq(r.error_name, "org.bluez.Error.InvalidArguments");
	ck_assert_int_eq(rec.writes, 0);
	call_result_clear(&r);
	/* an offset, mtu and prepare-authorize of other types: ignored; the
	 * last device and mtu count */
	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&b, "{sv}", "device",
			      g_variant_new_object_path(FAKE_OTHER_DEVICE));
	g_variant_builder_add(&b, "{sv}", "offset", g_variant_new_uint32(5));
	g_variant_builder_add(&b, "{sv}", "prepare-authorize",
			      g_variant_new_string("true"));
	g_variant_builder_add(&b, "{sv}", "mtu", g_variant_new_uint16(100));
	g_variant_builder_add(&b, "{sv}", "mtu", g_variant_new_int32(50));
	g_variant_builder_add(&b, "{sv}", "mtu", g_variant_new_uint16(185));
	g_variant_builder_add(&b, "{sv}", "link", g_variant_new_uint16(1));
	g_variant_builder_add(&b, "{sv}", "device",
			      g_variant_new_object_path(FAKE_DEVICE));
	gatt_call(fake->fake, RB_GATT_CHAR_PROTOCOL, "WriteValue",
		  g_variant_new("(@ay@a{sv})", bytes("\x0a\x02hi"),
				g_variant_builder_end(&b)),
		  &r);
	ck_assert_pstr_eq(r.error_name, NULL);
	ck_assert_int_eq(rec.writes, 1);
	ck_assert_str_eq(rec.last_device, FAKE_DEVICE);
	ck_assert(rec.last_le);
	ck_assert_uint_eq(rb_gatt_mtu_for(gatt, FAKE_DEVICE), 185);
	ck_assert_uint_eq(rb_gatt_mtu_for(gatt, FAKE_OTHER_DEVICE), 0);
	call_result_clear(&r);
}
END_TEST

static const struct {
	RbGattChar which;
	const char *method;
} gatt_intrusions[] = {
	{RB_GATT_CHAR_PROTOCOL, "ReadValue"},
	{RB_GATT_CHAR_PROTOCOL, "WriteValue"},
	{RB_GATT_CHAR_OTA_DATA, "WriteValue"},
	{RB_GATT_CHAR_ACCESS, "StartNotify"},
	{RB_GATT_CHAR_PROTOCOL, "StopNotify"},
};

START_TEST(test_gatt_intruder)
{
	CallResult r;
	GVariant *params = NULL;
	const char *m = gatt_intrusions[_i].method;

	rec.read_value = g_bytes_new("secret", 6);
	if (strcmp(m, "ReadValue") == 0)
		params = g_variant_new("(@a{sv})", options(FAKE_DEVICE, 0, 0));
	else if (strcmp(m, "WriteValue") == 0)
		params = g_variant_new("(@ay@a{sv})", bytes("x"),
				       options(FAKE_DEVICE, 0, 0));
	gatt_call(fake->intruder, gatt_intrusions[_i].which, m, params, &r);
	ck_assert_pstr_eq(r.error_name, "org.bluez.Error.Rejected");
	ck_assert_int_eq(rec.reads + rec.writes + rec.notify_changes, 0);
	call_result_clear(&r);

	/* The same call from the org.bluez owner goes through. */
	if (strcmp(m, "ReadValue") == 0)
		params = g_variant_new("(@a{sv})", options(FAKE_DEVICE, 0, 0));
	else if (strcmp(m, "WriteValue") == 0)
		params = g_variant_new("(@ay@a{sv})", bytes("x"),
				       options(FAKE_DEVICE, 0, 0));
	gatt_call(fake->fake, gatt_intrusions[_i].which, m, params, &r);
	ck_assert_ptr_null(r.error_name);
	ck_assert_int_eq(rec.reads + rec.writes + rec.notify_changes, 1);
	call_result_clear(&r);
}
END_TEST

START_TEST(test_gatt_intruder_properties)
{
	CallResult r;

	call_wait(
		fake->intruder, app_name(),
		rb_gatt_char_path(RB_GATT_CHAR_PROTOCOL),
		"org.freedesktop.DBus.Properties", "Get",
		g_variant_new("(ss)", "org.bluez.GattCharacteristic1", "UUID"),
		&r);
	ck_assert_ptr_nonnull(r.error);
	call_result_clear(&r);
	call_wait(
		fake->fake, app_name(),
		rb_gatt_char_path(RB_GATT_CHAR_PROTOCOL),
		"org.freedesktop.DBus.Properties", "Get",
		g_variant_new("(ss)", "org.bluez.GattCharacteristic1", "UUID"),
		&r);
	ck_assert_ptr_null(r.error);
	call_result_clear(&r);
}
END_TEST

START_TEST(test_gatt_notify)
{
	CallResult r;
	g_autoptr(GBytes) v = g_bytes_new("\x01\x02", 2);
	g_autoptr(GVariant) changed = NULL;
	g_autoptr(GVariant) value = NULL;
	const char *iface;
	gsize n;

	gatt_call(fake->fake, RB_GATT_CHAR_ACCESS, "StartNotify", NULL, &r);
	call_result_clear(&r);
	gatt_call(fake->fake, RB_GATT_CHAR_ACCESS, "StartNotify", NULL, &r);
	call_result_clear(&r);
	ck_assert_uint_eq(rec.subscribers, 2);
	ck_assert_uint_eq(rb_gatt_subscribers(gatt, RB_GATT_CHAR_ACCESS), 2);
	ck_assert_uint_eq(rb_gatt_subscribers(gatt, RB_GATT_CHAR_PROTOCOL), 0);
	gatt_call(fake->fake, RB_GATT_CHAR_OTA_DATA, "StartNotify", NULL, &r);
	ck_assert_pstr_eq(r.error_name, "org.bluez.Error.NotSupported");
	call_result_clear(&r);

	ck_assert(rb_gatt_notify(gatt, RB_GATT_CHAR_ACCESS, v));
	ck_assert(!rb_gatt_notify(gatt, RB_GATT_CHAR_PAIR, v));
	ck_assert(!rb_gatt_notify(gatt, RB_GATT_CHAR_OTA_DATA, v));
	WAIT_UNTIL(fake->signals->len >= 1);
	spin(50);
	ck_assert_uint_eq(fake->signals->len, 1);
	ck_assert_str_eq(fake->signals->pdata[0], RB_GATT_SERVICE_PATH
			 "/char2|"
			 "org.freedesktop.DBus.Properties|PropertiesChanged");
	g_variant_get(fake->signal_args->pdata[0], "(&s@a{sv}@as)", &iface,
		      &changed, NULL);
	ck_assert_str_eq(iface, "org.bluez.GattCharacteristic1");
	value = g_variant_lookup_value(changed, "Value", G_VARIANT_TYPE("ay"));
	ck_assert_ptr_nonnull(value);
	ck_assert(memcmp(g_variant_get_fixed_array(value, &n, 1), "\x01\x02",
			 2) == 0);
	ck_assert_uint_eq(n, 2);

	gatt_call(fake->fake, RB_GATT_CHAR_ACCESS, "StopNotify", NULL, &r);
	call_result_clear(&r);
	ck_assert_uint_eq(rec.subscribers, 0);
	ck_assert_int_eq(rec.notify_changes, 3);
}
END_TEST

/* ---- /bluez/advert ---- */

START_TEST(test_advert_register)
{
	const char *s;
	gboolean disc = FALSE;
	g_autofree const char **uuids = NULL;
	g_autofree const char **includes = NULL;
	CallResult r;

	RUN_ASYNC(rb_advert_register(advert, FAKE_ADAPTER, NULL, async_done,
				     (gpointer)rb_advert_register_finish));
	ck_assert_msg(rec.ok, "%s", rec.error ? rec.error->message : "");
	ck_assert_int_ge(fake_find_call("RegisterAdvertisement " FAKE_ADAPTER
					" ('/org/reactionbox/advert', {})"),
			 0);
	ck_assert_ptr_nonnull(fake->advert_props);
	ck_assert(g_variant_lookup(fake->advert_props, "Type", "&s", &s));
	ck_assert_str_eq(s, "peripheral");
	ck_assert(g_variant_lookup(fake->advert_props, "LocalName", "&s", &s));
	ck_assert_str_eq(s, "Reaction_DA7113");
	ck_assert(g_variant_lookup(fake->advert_props, "Discoverable", "b",
				   &disc));
	ck_assert(disc);
	ck_assert(g_variant_lookup(fake->advert_props, "ServiceUUIDs", "^a&s",
				   &uuids));
	ck_assert_uint_eq(g_strv_length((char **)uuids), 1);
	ck_assert_str_eq(uuids[0], RB_UUID_SERVICE);
	ck_assert(g_variant_lookup(fake->advert_props, "Includes", "^a&s",
				   &includes));
	ck_assert_uint_eq(g_strv_length((char **)includes), 0);
	ck_assert_str_eq(rb_advert_registered_adapter(advert), FAKE_ADAPTER);

	/* Release from BlueZ */
	call_wait(fake->fake, app_name(), RB_ADVERT_PATH,
		  "org.bluez.LEAdvertisement1", "Release", NULL, &r);
	ck_assert_ptr_null(r.error);
	call_result_clear(&r);
	ck_assert_int_eq(rec.advert_releases, 1);
	ck_assert_ptr_null(rb_advert_registered_adapter(advert));
	/* and not from anyone else */
	call_wait(fake->intruder, app_name(), RB_ADVERT_PATH,
		  "org.bluez.LEAdvertisement1", "Release", NULL, &r);
	ck_assert_pstr_eq(r.error_name, "org.bluez.Error.Rejected");
	call_result_clear(&r);
	ck_assert_int_eq(rec.advert_releases, 1);
}
END_TEST

START_TEST(test_advert_name)
{
	g_autoptr(GError) error = NULL;

	ck_assert(!rb_advert_set_local_name(advert, "", &error));
	ck_assert(g_error_matches(error, RB_ERROR, RB_ERROR_INVALID));
	g_clear_error(&error);
	ck_assert(!rb_advert_set_local_name(
		advert, "Reaction_0123456789012345678901", &error));
	ck_assert_str_eq(rb_advert_get_local_name(advert), "Reaction_DA7113");
	ck_assert(rb_advert_set_local_name(advert, "Reaction_ABCDEF", NULL));
	ck_assert_str_eq(rb_advert_get_local_name(advert), "Reaction_ABCDEF");
}
END_TEST

/* ---- /bluez/guard: what GDBus itself serves on the daemon's objects ---- */

/* Records the log lines of the glue ("rb-*" domains), for the refusals. */
static GLogWriterOutput log_writer(GLogLevelFlags level,
				   const GLogField *fields, gsize n_fields,
				   gpointer data)
{
	const char *domain = NULL, *message = NULL;

	for (gsize i = 0; i < n_fields; i++) {
		if (strcmp(fields[i].key, "GLIB_DOMAIN") == 0)
			domain = fields[i].value;
		else if (strcmp(fields[i].key, "MESSAGE") == 0)
			message = fields[i].value;
	}
	if (log_lines && domain && message && g_str_has_prefix(domain, "rb-"))
		g_ptr_array_add(log_lines, g_strdup(message));
	return g_log_writer_default(level, fields, n_fields, data);
}

static int count_log_lines(const char *a, const char *b)
{
	int n = 0;

	for (guint i = 0; log_lines && i < log_lines->len; i++) {
		if (strstr(log_lines->pdata[i], a) &&
		    strstr(log_lines->pdata[i], b))
			n++;
	}
	return n;
}

#define PROPS "org.freedesktop.DBus.Properties"
#define INTROSPECTABLE "org.freedesktop.DBus.Introspectable"
#define CHAR0 RB_GATT_SERVICE_PATH "/char0"
#define CHAR1 RB_GATT_SERVICE_PATH "/char1"
#define CHAR2 RB_GATT_SERVICE_PATH "/char2"
#define CHAR3 RB_GATT_SERVICE_PATH "/char3"
#define GATT_CHAR "org.bluez.GattCharacteristic1"

static const struct {
	const char *path;
	const char *iface;
	const char *method;
	const char *args; /* GVariant text; NULL: no arguments */
	const char *owner_gets; /* in the owner's reply; NULL: any reply */
	const char *owner_error; /* the owner's error; NULL: served */
} std_calls[] = {
	{RB_GATT_ROOT_PATH, "org.freedesktop.DBus.ObjectManager",
	 "GetManagedObjects", NULL, RB_UUID_PROTOCOL, NULL},
	{RB_GATT_ROOT_PATH, INTROSPECTABLE, "Introspect", NULL,
	 "org.freedesktop.DBus.ObjectManager", NULL},
	{RB_GATT_ROOT_PATH, PROPS, "GetAll",
	 "('org.freedesktop.DBus.ObjectManager',)", NULL, NULL},
	{RB_GATT_SERVICE_PATH, PROPS, "GetAll", "('org.bluez.GattService1',)",
	 RB_UUID_SERVICE, NULL},
	{RB_GATT_SERVICE_PATH, PROPS, "Get",
	 "('org.bluez.GattService1', 'UUID')", RB_UUID_SERVICE, NULL},
	{RB_GATT_SERVICE_PATH, INTROSPECTABLE, "Introspect", NULL,
	 "org.bluez.GattService1", NULL},
	{CHAR0, PROPS, "GetAll", "('" GATT_CHAR "',)", RB_UUID_PROTOCOL, NULL},
	{CHAR0, PROPS, "Get", "('" GATT_CHAR "', 'Flags')", "notify", NULL},
	{CHAR0, PROPS, "Set", "('" GATT_CHAR "', 'UUID', <'x'>)", NULL,
	 "org.freedesktop.DBus.Error.InvalidArgs"},
	{CHAR0, INTROSPECTABLE, "Introspect", NULL, "WriteValue", NULL},
	{CHAR1, PROPS, "GetAll", "('" GATT_CHAR "',)", RB_UUID_OTA_DATA, NULL},
	{CHAR1, INTROSPECTABLE, "Introspect", NULL, GATT_CHAR, NULL},
	{CHAR2, PROPS, "Get", "('" GATT_CHAR "', 'UUID')", RB_UUID_ACCESS,
	 NULL},
	{CHAR2, INTROSPECTABLE, "Introspect", NULL, GATT_CHAR, NULL},
	{CHAR3, PROPS, "GetAll", "('" GATT_CHAR "',)", RB_UUID_PAIR, NULL},
	{CHAR3, INTROSPECTABLE, "Introspect", NULL, GATT_CHAR, NULL},
	{CHAR3, "org.freedesktop.DBus.Peer", "Ping", NULL, NULL, NULL},
	{RB_ADVERT_PATH, PROPS, "GetAll", "('org.bluez.LEAdvertisement1',)",
	 "Reaction_DA7113", NULL},
	{RB_ADVERT_PATH, PROPS, "Get",
	 "('org.bluez.LEAdvertisement1', 'LocalName')", "Reaction_DA7113",
	 NULL},
	{RB_ADVERT_PATH, INTROSPECTABLE, "Introspect", NULL,
	 "org.bluez.LEAdvertisement1", NULL},
	{RB_AGENT_PATH, INTROSPECTABLE, "Introspect", NULL, "DisplayPasskey",
	 NULL},
	{RB_AGENT_PATH, PROPS, "GetAll", "('org.bluez.Agent1',)", NULL, NULL},
};

static void std_call(int i, GDBusConnection *from, CallResult *r)
{
	GVariant *params = NULL;

	if (std_calls[i].args) {
		g_autoptr(GError) error = NULL;

		params = g_variant_parse(NULL, std_calls[i].args, NULL, NULL,
					 &error);
		ck_assert_msg(params, "%s", error ? error->message : "");
	}
	call_wait(from, app_name(), std_calls[i].path, std_calls[i].iface,
		  std_calls[i].method, params, r);
	if (params)
		g_variant_unref(params); /* g_variant_parse: not floating */
}

/* A connection that is not the org.bluez owner is refused, and logged. */
START_TEST(test_guard_intruder)
{
	CallResult r;

	std_call(_i, fake->intruder, &r);
	ck_assert_msg(r.error, "%s.%s on %s served to an intruder: %s",
		      std_calls[_i].iface, std_calls[_i].method,
		      std_calls[_i].path,
		      r.reply ? g_variant_print(r.reply, FALSE) : "");
	ck_assert_pstr_eq(r.error_name,
			  "org.freedesktop.DBus.Error.AccessDenied");
	call_result_clear(&r);
	WAIT_UNTIL(count_log_lines("Refused", std_calls[_i].path) >= 1);
	ck_assert_int_eq(count_log_lines(std_calls[_i].method,
					 g_dbus_connection_get_unique_name(
						 fake->intruder)),
			 1);

	/* The same call from the org.bluez owner is served. */
	std_call(_i, fake->fake, &r);
	ck_assert_pstr_eq(r.error_name, std_calls[_i].owner_error);
	if (!std_calls[_i].owner_error && std_calls[_i].owner_gets) {
		g_autofree char *text = g_variant_print(r.reply, FALSE);

		ck_assert_msg(strstr(text, std_calls[_i].owner_gets), "%s",
			      text);
	}
	call_result_clear(&r);
}
END_TEST

/*
 * The guard follows org.bluez: when it changes hands the new owner is
 * served and the old one refused; with no owner everybody is refused.
 */
static void set_true(GDBusConnection *c, const char *name, gpointer data)
{
	*(gboolean *)data = TRUE;
}

START_TEST(test_guard_follows_owner)
{
	CallResult r;
	gboolean owned = FALSE;
	guint id;

	fake_unown();
	WAIT_UNTIL(rec.vanished == 1);
	std_call(0, fake->fake, &r);
	ck_assert_pstr_eq(r.error_name,
			  "org.freedesktop.DBus.Error.AccessDenied");
	call_result_clear(&r);

	id = g_bus_own_name_on_connection(fake->intruder, "org.bluez",
					  G_BUS_NAME_OWNER_FLAGS_NONE, set_true,
					  NULL, &owned, NULL);
	WAIT_UNTIL(owned);
	/* Served from the first call on, without waiting for the daemon. */
	std_call(3, fake->intruder, &r);
	ck_assert_msg(!r.error, "%s", r.error_message);
	call_result_clear(&r);
	std_call(3, fake->fake, &r);
	ck_assert_pstr_eq(r.error_name,
			  "org.freedesktop.DBus.Error.AccessDenied");
	call_result_clear(&r);
	g_bus_unown_name(id);
}
END_TEST

/* ---- /bluez/vanish ---- */

START_TEST(test_vanish_resets)
{
	RUN_ASYNC(rb_agent_register(agent, NULL, async_done,
				    (gpointer)rb_agent_register_finish));
	RUN_ASYNC(rb_gatt_register(gatt, FAKE_ADAPTER, NULL, async_done,
				   (gpointer)rb_gatt_register_finish));
	RUN_ASYNC(rb_advert_register(advert, FAKE_ADAPTER, NULL, async_done,
				     (gpointer)rb_advert_register_finish));
	ck_assert(rb_agent_is_registered(agent));
	ck_assert_ptr_nonnull(rb_gatt_registered_adapter(gatt));
	ck_assert_ptr_nonnull(rb_advert_registered_adapter(advert));
	fake_unown();
	WAIT_UNTIL(rec.vanished == 1);
	ck_assert(!rb_agent_is_registered(agent));
	ck_assert_ptr_null(rb_gatt_registered_adapter(gatt));
	ck_assert_ptr_null(rb_advert_registered_adapter(advert));
	ck_assert_uint_eq(rb_gatt_mtu_for(gatt, FAKE_DEVICE), 0);

	/* Without bluetoothd requests fail at once. */
	RUN_ASYNC(rb_agent_register(agent, NULL, async_done,
				    (gpointer)rb_agent_register_finish));
	ck_assert(g_error_matches(rec.error, RB_ERROR, RB_ERROR_NOT_FOUND));
}
END_TEST

static Suite *bluez_suite(void)
{
	Suite *s = suite_create("bluez");
	TCase *tc;

#define ADD(name, fn, table)                                                   \
	do {                                                                   \
		tc = tcase_create(name);                                       \
		tcase_add_checked_fixture(tc, setup, teardown);                \
		if (table)                                                     \
			tcase_add_loop_test(tc, fn, 0, (table));               \
		else                                                           \
			tcase_add_test(tc, fn);                                \
		suite_add_tcase(s, tc);                                        \
	} while (0)
#define N(t) ((int)G_N_ELEMENTS(t))

	tc = tcase_create("/bluez/name/box-name");
	tcase_add_loop_test(tc, test_box_name, 0, N(box_names));
	suite_add_tcase(s, tc);
	tc = tcase_create("/bluez/gatt/write-error");
	tcase_add_loop_test(tc, test_write_error, 0, N(write_errors));
	suite_add_tcase(s, tc);

	ADD("/bluez/watch/appear", test_watch_appear, 0);
	ADD("/bluez/watch/device-changed", test_watch_device_changed,
	    N(device_props));
	ADD("/bluez/watch/device-added-removed",
	    test_watch_device_added_removed, 0);
	ADD("/bluez/watch/vanish-reappear", test_watch_vanish_reappear, 0);
	ADD("/bluez/watch/invalidated", test_watch_invalidated, 0);
	ADD("/bluez/watch/keep-devices-of", test_watch_keep_devices_of, 0);
	ADD("/bluez/watch/intruder-signals", test_watch_intruder_signals, 0);
	ADD("/bluez/watch/other-signals-not-delivered",
	    test_watch_other_signals_not_delivered, 0);
	ADD("/bluez/adapter/set-property", test_adapter_set_property, 0);
	ADD("/bluez/device/requests", test_device_requests, 0);
	ADD("/bluez/agent/register", test_agent_register, 0);
	ADD("/bluez/agent/display-passkey", test_agent_display_passkey, 0);
	ADD("/bluez/agent/refusals", test_agent_refusals, N(agent_refusals));
	ADD("/bluez/agent/release-cancel", test_agent_release_cancel, 0);
	ADD("/bluez/agent/intruder", test_agent_intruder, N(agent_intrusions));
	ADD("/bluez/gatt/register-tree", test_gatt_register_tree, 0);
	ADD("/bluez/gatt/read", test_gatt_read, N(reads));
	ADD("/bluez/gatt/read-refused", test_gatt_read_refused, 0);
	ADD("/bluez/gatt/write", test_gatt_write, N(writes));
	ADD("/bluez/gatt/write-bearer", test_gatt_write_bearer, N(bearers));
	ADD("/bluez/gatt/write-option-types", test_gatt_write_option_types, 0);
	ADD("/bluez/gatt/smallest-mtu", test_gatt_smallest_mtu, 0);
	ADD("/bluez/gatt/intruder", test_gatt_intruder, N(gatt_intrusions));
	ADD("/bluez/gatt/intruder-properties", test_gatt_intruder_properties,
	    0);
	ADD("/bluez/gatt/notify", test_gatt_notify, 0);
	ADD("/bluez/advert/register", test_advert_register, 0);
	ADD("/bluez/advert/name", test_advert_name, 0);
	ADD("/bluez/guard/intruder", test_guard_intruder, N(std_calls));
	ADD("/bluez/guard/follows-owner", test_guard_follows_owner, 0);
	ADD("/bluez/vanish/resets", test_vanish_resets, 0);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(bluez_suite());
	int failed;

	log_lines = g_ptr_array_new_with_free_func(g_free);
	g_log_set_writer_func(log_writer, NULL, NULL);

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
