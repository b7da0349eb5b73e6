// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * reaction-boxctl's BlueZ side: the main-loop waits and D-Bus calls, the
 * cache of BlueZ's objects and its signals, finding the box (discovery)
 * and connecting to it.
 */
#define G_LOG_DOMAIN "reaction-boxctl"

#include "config.h"

#include <string.h>

#include "client/ctl.h"
#include "gatt-uuids.h"

void ctl_dev_free(gpointer p)
{
	Dev *d = p;

	g_free(d->path);
	g_free(d->address);
	g_free(d->address_type);
	g_free(d->name);
	g_free(d->alias);
	g_free(d);
}

/* ---- waiting ---------------------------------------------------------- */

static gboolean wake(gpointer data)
{
	return G_SOURCE_CONTINUE;
}

gint64 ctl_deadline_after(unsigned int seconds)
{
	return g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC;
}

/* Iterates the main context until @cond holds (true), or the deadline
 * passes or a signal arrives (false). @deadline 0: no deadline. */
bool ctl_wait_until(Ctl *c, CondFn cond, gpointer data, gint64 deadline)
{
	while (!cond(c, data)) {
		gint64 now = g_get_monotonic_time();
		guint id = 0;

		if (c->interrupted)
			return false;
		if (deadline && now >= deadline)
			return false;
		if (deadline)
			id = g_timeout_add((guint)((deadline - now) / 1000 + 1),
					   wake, NULL);
		g_main_context_iteration(NULL, TRUE);
		if (id)
			g_source_remove(id);
	}
	return true;
}

typedef struct {
	bool done;
	GVariant *ret;
	GError *error;
} CallState;

static void call_done(GObject *src, GAsyncResult *res, gpointer data)
{
	CallState *st = data;

	st->ret = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res,
						&st->error);
	st->done = true;
}

static bool call_is_done(Ctl *c, gpointer data)
{
	return ((CallState *)data)->done;
}

/*
 * Calls @method on BlueZ and waits for the answer (at most the step
 * timeout). Returns the reply (the caller unrefs it) or NULL with @error.
 */
GVariant *ctl_call_full(Ctl *c, const char *dest, const char *path,
			const char *iface, const char *method, GVariant *params,
			const GVariantType *rtype, unsigned int timeout_s,
			GError **error)
{
	g_autoptr(GCancellable) cancel = g_cancellable_new();
	CallState st = {0};

	g_dbus_connection_call(c->bus, dest, path, iface, method, params, rtype,
			       G_DBUS_CALL_FLAGS_NONE, (int)(timeout_s * 1000),
			       cancel, call_done, &st);
	while (!ctl_wait_until(c, call_is_done, &st, 0))
		g_cancellable_cancel(cancel); /* interrupted: finish up */
	if (st.error) {
		g_propagate_error(error, st.error);
		return NULL;
	}
	return st.ret;
}

GVariant *ctl_call(Ctl *c, const char *path, const char *iface,
		   const char *method, GVariant *params,
		   const GVariantType *rtype, GError **error)
{
	return ctl_call_full(c, BLUEZ, path, iface, method, params, rtype,
			     c->args->timeout_s, error);
}

/* ---- the object cache -------------------------------------------------- */

bool ctl_under(const char *path, const char *parent)
{
	size_t n = strlen(parent);

	return strncmp(path, parent, n) == 0 && path[n] == '/';
}

static void dev_update(Dev *d, GVariant *props)
{
	GVariantIter it;
	const char *key;
	GVariant *v;

	g_variant_iter_init(&it, props);
	while (g_variant_iter_next(&it, "{&sv}", &key, &v)) {
		if (strcmp(key, "Address") == 0 &&
		    g_variant_is_of_type(v, G_VARIANT_TYPE_STRING)) {
			g_free(d->address);
			d->address = g_variant_dup_string(v, NULL);
		} else if (strcmp(key, "AddressType") == 0 &&
			   g_variant_is_of_type(v, G_VARIANT_TYPE_STRING)) {
			g_free(d->address_type);
			d->address_type = g_variant_dup_string(v, NULL);
		} else if (strcmp(key, "Name") == 0 &&
			   g_variant_is_of_type(v, G_VARIANT_TYPE_STRING)) {
			g_free(d->name);
			d->name = g_variant_dup_string(v, NULL);
		} else if (strcmp(key, "Alias") == 0 &&
			   g_variant_is_of_type(v, G_VARIANT_TYPE_STRING)) {
			g_free(d->alias);
			d->alias = g_variant_dup_string(v, NULL);
		} else if (strcmp(key, "RSSI") == 0 &&
			   g_variant_is_of_type(v, G_VARIANT_TYPE_INT16)) {
			d->rssi = g_variant_get_int16(v);
			d->has_rssi = true;
		} else if (strcmp(key, "Paired") == 0 &&
			   g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN)) {
			d->paired = g_variant_get_boolean(v);
		} else if (strcmp(key, "Connected") == 0 &&
			   g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN)) {
			d->connected = g_variant_get_boolean(v);
		} else if (strcmp(key, "ServicesResolved") == 0 &&
			   g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN)) {
			d->resolved = g_variant_get_boolean(v);
		}
		g_variant_unref(v);
	}
}

Dev *ctl_dev_add(Ctl *c, const char *path, GVariant *props)
{
	Dev *d = g_hash_table_lookup(c->devs, path);

	if (!d) {
		d = g_new0(Dev, 1);
		d->path = g_strdup(path);
		g_hash_table_insert(c->devs, d->path, d);
	}
	dev_update(d, props);
	return d;
}

static void on_props_changed(GDBusConnection *bus, const char *sender,
			     const char *path, const char *iface,
			     const char *signal, GVariant *params,
			     gpointer data)
{
	Ctl *c = data;
	const char *changed_iface;
	g_autoptr(GVariant) changed = NULL;
	g_autoptr(GVariant) value = NULL;
	Dev *d;

	if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(sa{sv}as)")))
		return;
	g_variant_get(params, "(&s@a{sv}as)", &changed_iface, &changed, NULL);
	if (strcmp(changed_iface, IFACE_DEVICE) == 0) {
		d = g_hash_table_lookup(c->devs, path);
		if (!d)
			return;
		dev_update(d, changed);
		if (d == c->dev && !d->connected)
			c->lost = true;
		ctl_scan_check(c, d);
		return;
	}
	if (strcmp(changed_iface, IFACE_CHAR) == 0) {
		value = g_variant_lookup_value(changed, "Value",
					       G_VARIANT_TYPE_BYTESTRING);
		if (value)
			ctl_on_value(c, path, value);
	}
}

static void on_ifaces_added(GDBusConnection *bus, const char *sender,
			    const char *path, const char *iface,
			    const char *signal, GVariant *params, gpointer data)
{
	Ctl *c = data;
	const char *obj;
	g_autoptr(GVariant) ifaces = NULL;
	g_autoptr(GVariant) props = NULL;

	if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(oa{sa{sv}})")))
		return;
	g_variant_get(params, "(&o@a{sa{sv}})", &obj, &ifaces);
	if (!c->adapter_path || !ctl_under(obj, c->adapter_path))
		return;
	props = g_variant_lookup_value(ifaces, IFACE_DEVICE,
				       G_VARIANT_TYPE_VARDICT);
	if (props)
		ctl_scan_check(c, ctl_dev_add(c, obj, props));
}

static void on_ifaces_removed(GDBusConnection *bus, const char *sender,
			      const char *path, const char *iface,
			      const char *signal, GVariant *params,
			      gpointer data)
{
	Ctl *c = data;
	const char *obj;
	g_autofree const char **ifaces = NULL;

	if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(oas)")))
		return;
	g_variant_get(params, "(&o^a&s)", &obj, &ifaces);
	for (unsigned int i = 0; ifaces[i]; i++) {
		if (strcmp(ifaces[i], IFACE_DEVICE) != 0)
			continue;
		if (c->dev && strcmp(c->dev->path, obj) == 0) {
			c->dev = NULL;
			c->lost = true;
		}
		g_hash_table_remove(c->devs, obj);
	}
}

GVariant *ctl_get_objects(Ctl *c, GError **error)
{
	return ctl_call(c, "/", IFACE_OM, "GetManagedObjects", NULL,
			G_VARIANT_TYPE("(a{oa{sa{sv}}})"), error);
}

/* Opens the bus, subscribes to BlueZ's signals, picks the adapter and
 * loads its devices. */
bool ctl_bus_open(Ctl *c)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *addr = NULL;

	/* $DBUS_SYSTEM_BUS_ADDRESS, or the default system bus socket. */
	addr = g_dbus_address_get_for_bus_sync(G_BUS_TYPE_SYSTEM, NULL, &err);
	if (addr)
		c->bus = g_dbus_connection_new_for_address_sync(
			addr,
			G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
				G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
			NULL, NULL, &err);
	if (!c->bus)
		return ctl_fail(c, RB_CTL_EXIT_DBUS,
				"cannot connect to the system bus: %s",
				err->message);
	g_dbus_connection_set_exit_on_close(c->bus, FALSE);
	return true;
}

bool ctl_setup(Ctl *c)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) owner = NULL;
	g_autoptr(GVariant) objs = NULL;
	g_autoptr(GVariantIter) it = NULL;
	g_autoptr(GPtrArray) adapters = g_ptr_array_new_with_free_func(g_free);
	const char *path;
	GVariant *ifaces;

	if (!ctl_bus_open(c))
		return false;
	owner = ctl_call_full(c, "org.freedesktop.DBus",
			      "/org/freedesktop/DBus", "org.freedesktop.DBus",
			      "GetNameOwner", g_variant_new("(s)", BLUEZ),
			      G_VARIANT_TYPE("(s)"), c->args->timeout_s, &err);
	if (!owner)
		return ctl_fail(
			c, RB_CTL_EXIT_DBUS,
			"bluetoothd is not running (no owner of %s): %s", BLUEZ,
			err->message);
	g_variant_get(owner, "(s)", &c->bluez_owner);

	c->sig_props = g_dbus_connection_signal_subscribe(
		c->bus, c->bluez_owner, IFACE_PROPS, "PropertiesChanged", NULL,
		NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_props_changed, c, NULL);
	c->sig_added = g_dbus_connection_signal_subscribe(
		c->bus, c->bluez_owner, IFACE_OM, "InterfacesAdded", "/", NULL,
		G_DBUS_SIGNAL_FLAGS_NONE, on_ifaces_added, c, NULL);
	c->sig_removed = g_dbus_connection_signal_subscribe(
		c->bus, c->bluez_owner, IFACE_OM, "InterfacesRemoved", "/",
		NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_ifaces_removed, c, NULL);

	objs = ctl_get_objects(c, &err);
	if (!objs)
		return ctl_fail_gerror(c, RB_CTL_OP_GENERIC,
				       "listing BlueZ objects", err);
	g_variant_get(objs, "(a{oa{sa{sv}}})", &it);
	while (g_variant_iter_next(it, "{&o@a{sa{sv}}}", &path, &ifaces)) {
		g_autoptr(GVariant) adapter = g_variant_lookup_value(
			ifaces, IFACE_ADAPTER, NULL);

		if (adapter) {
			const char *base = strrchr(path, '/') + 1;

			if (!c->args->adapter ||
			    strcmp(base, c->args->adapter) == 0)
				g_ptr_array_add(adapters, g_strdup(path));
		}
		g_variant_unref(ifaces);
	}
	if (adapters->len == 0)
		return ctl_fail(c, RB_CTL_EXIT_NO_BOX,
				"no Bluetooth adapter%s%s",
				c->args->adapter ? " named " : "",
				c->args->adapter ? c->args->adapter : "");
	g_ptr_array_sort(adapters, (GCompareFunc)g_strcmp0);
	c->adapter_path = g_strdup(adapters->pdata[0]);
	c->adapter_name = g_strdup(strrchr(c->adapter_path, '/') + 1);

	g_clear_pointer(&it, g_variant_iter_free);
	g_variant_get(objs, "(a{oa{sa{sv}}})", &it);
	while (g_variant_iter_next(it, "{&o@a{sa{sv}}}", &path, &ifaces)) {
		g_autoptr(GVariant) props = g_variant_lookup_value(
			ifaces, IFACE_DEVICE, G_VARIANT_TYPE_VARDICT);

		if (props && ctl_under(path, c->adapter_path))
			ctl_dev_add(c, path, props);
		g_variant_unref(ifaces);
	}
	return true;
}

/* ---- finding the box --------------------------------------------------- */

static bool looks_like_address(const char *s)
{
	RbPeer p;

	return rb_peer_set(&p, s, RB_ADDR_PUBLIC);
}

bool ctl_dev_matches(Ctl *c, const Dev *d)
{
	const char *want = c->args->box;

	if (want && looks_like_address(want))
		return d->address && g_ascii_strcasecmp(d->address, want) == 0;
	if (want)
		return g_strcmp0(d->name, want) == 0 ||
		       g_strcmp0(d->alias, want) == 0;
	return (d->name && g_str_has_prefix(d->name, RB_NAME_PREFIX)) ||
	       (d->alias && g_str_has_prefix(d->alias, RB_NAME_PREFIX));
}

static int dev_rank(const Dev *d)
{
	return (d->connected ? 8 : 0) + (d->paired ? 4 : 0) +
	       (d->has_rssi ? 2 : 0);
}

static Dev *best_match(Ctl *c)
{
	GHashTableIter it;
	gpointer v;
	Dev *best = NULL;

	g_hash_table_iter_init(&it, c->devs);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		Dev *d = v;

		if (!ctl_dev_matches(c, d))
			continue;
		if (!best || dev_rank(d) > dev_rank(best) ||
		    (dev_rank(d) == dev_rank(best) &&
		     strcmp(d->path, best->path) < 0))
			best = d;
	}
	return best;
}

const char *ctl_dev_label(const Dev *d)
{
	if (d->name)
		return d->name;
	if (d->alias)
		return d->alias;
	return d->address ? d->address : d->path;
}

bool ctl_start_discovery(Ctl *c)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) ret = NULL;
	g_autoptr(GVariant) powered = NULL;
	GVariantBuilder b;

	powered = ctl_call(c, c->adapter_path, IFACE_PROPS, "Get",
			   g_variant_new("(ss)", IFACE_ADAPTER, "Powered"),
			   G_VARIANT_TYPE("(v)"), &err);
	if (powered) {
		g_autoptr(GVariant) v = NULL;

		g_variant_get(powered, "(v)", &v);
		if (g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN) &&
		    !g_variant_get_boolean(v))
			return ctl_fail(
				c, RB_CTL_EXIT_DBUS,
				"adapter %s is powered off (bluetoothctl "
				"power on)",
				c->adapter_name);
	}
	g_clear_error(&err);

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "Transport",
			      g_variant_new_string("le"));
	ret = ctl_call(c, c->adapter_path, IFACE_ADAPTER, "SetDiscoveryFilter",
		       g_variant_new("(a{sv})", &b), NULL, &err);
	if (!ret)
		return ctl_fail_gerror(c, RB_CTL_OP_GENERIC,
				       "setting the discovery filter", err);
	g_clear_pointer(&ret, g_variant_unref);
	ret = ctl_call(c, c->adapter_path, IFACE_ADAPTER, "StartDiscovery",
		       NULL, NULL, &err);
	if (!ret && !g_dbus_error_is_remote_error(err))
		return ctl_fail_gerror(c, RB_CTL_OP_GENERIC,
				       "starting discovery", err);
	if (!ret) {
		g_autofree char *name = g_dbus_error_get_remote_error(err);

		if (g_strcmp0(name, "org.bluez.Error.InProgress") != 0)
			return ctl_fail_gerror(c, RB_CTL_OP_GENERIC,
					       "starting discovery", err);
	}
	c->discovering = true;
	return true;
}

void ctl_stop_discovery(Ctl *c)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) ret = NULL;

	if (!c->discovering)
		return;
	c->discovering = false;
	ret = ctl_call(c, c->adapter_path, IFACE_ADAPTER, "StopDiscovery", NULL,
		       NULL, &err);
	if (!ret)
		g_debug("StopDiscovery on %s: %s", c->adapter_path,
			err->message);
}

static bool have_match(Ctl *c, gpointer data)
{
	return best_match(c) != NULL;
}

/* Finds the box; with @discover, scans for it until the timeout. */
bool ctl_find_box(Ctl *c, bool discover)
{
	const char *what = c->args->box ? c->args->box : RB_NAME_PREFIX "*";

	c->dev = best_match(c);
	if (!c->dev && discover) {
		gint64 end = ctl_deadline_after(c->args->timeout_s);
		bool found = false;

		/* Discovery is restarted every few seconds: a controller
		 * reports an advertiser when scanning starts, and a report
		 * that races the start of discovery is lost. */
		while (!found && !c->interrupted &&
		       g_get_monotonic_time() < end) {
			if (!ctl_start_discovery(c))
				return false;
			found = ctl_wait_until(
				c, have_match, NULL,
				MIN(end,
				    ctl_deadline_after(DISCOVERY_ROUND_S)));
			ctl_stop_discovery(c);
		}
		c->dev = best_match(c);
		if (!found && c->interrupted)
			return ctl_fail(c, RB_CTL_EXIT_INTERRUPTED,
					"interrupted");
	}
	if (!c->dev)
		return ctl_fail(c, RB_CTL_EXIT_NO_BOX,
				"no box %s found on %s%s", what,
				c->adapter_name,
				discover ? "" : " (it is not known to BlueZ)");
	c->dev_path = g_strdup(c->dev->path);
	g_debug("box %s at %s", ctl_dev_label(c->dev), c->dev->path);
	return true;
}

static bool dev_resolved(Ctl *c, gpointer data)
{
	return c->lost || !c->dev || (c->dev->connected && c->dev->resolved);
}

static bool dev_connected(Ctl *c, gpointer data)
{
	return !c->dev || c->dev->connected;
}

/* Connects (if needed) and waits for ServicesResolved if @resolve. */
bool ctl_connect_box(Ctl *c, bool resolve)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) ret = NULL;
	g_autofree char *what = NULL;

	what = g_strdup_printf("connecting to %s (%s)", ctl_dev_label(c->dev),
			       c->dev->address);
	if (!c->dev->connected) {
		ret = ctl_call(c, c->dev_path, IFACE_DEVICE, "Connect", NULL,
			       NULL, &err);
		if (!ret)
			return ctl_fail_gerror(c, RB_CTL_OP_CONNECT, what, err);
		/* A successful Connect means connected; the signal may
		 * come later (or was seen during the call): wait briefly
		 * for it only so the cache agrees. */
		ctl_wait_until(c, dev_connected, NULL,
			       g_get_monotonic_time() + G_USEC_PER_SEC / 2);
		if (!c->dev)
			return ctl_fail(c, RB_CTL_EXIT_NO_BOX,
					"%s: it vanished", what);
		c->dev->connected = true;
	}
	c->lost = false;
	if (!resolve)
		return true;
	if (!ctl_wait_until(c, dev_resolved, NULL,
			    ctl_deadline_after(c->args->timeout_s))) {
		if (c->interrupted)
			return ctl_fail(c, RB_CTL_EXIT_INTERRUPTED,
					"interrupted");
		return ctl_fail(c, RB_CTL_EXIT_TIMEOUT,
				"%s: services not resolved after %u s", what,
				c->args->timeout_s);
	}
	if (c->lost || !c->dev)
		return ctl_fail(c, RB_CTL_EXIT_NO_BOX,
				"%s: the box disconnected", what);
	return true;
}
