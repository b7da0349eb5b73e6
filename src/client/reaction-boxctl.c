// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * reaction-boxctl: a BLE central for reaction-boxd through BlueZ's D-Bus
 * API. The scripted phone of the VM tests and an integrator's tool.
 *
 * Single-threaded: every D-Bus call is asynchronous and the tool iterates
 * the default main context until the answer, a signal or a deadline, so
 * the pairing agent and notifications are served while it waits.
 */
#define G_LOG_DOMAIN "reaction-boxctl"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client/ctl-util.h"
#include "core/codec.h"
#include "core/error.h"
#include "core/framing.h"
#include "gatt-uuids.h"

#define BLUEZ "org.bluez"
#define IFACE_ADAPTER "org.bluez.Adapter1"
#define IFACE_DEVICE "org.bluez.Device1"
#define IFACE_SERVICE "org.bluez.GattService1"
#define IFACE_CHAR "org.bluez.GattCharacteristic1"
#define IFACE_AGENT_MANAGER "org.bluez.AgentManager1"
#define IFACE_PROPS "org.freedesktop.DBus.Properties"
#define IFACE_OM "org.freedesktop.DBus.ObjectManager"
#define AGENT_PATH "/org/reactionbox/boxctl/agent"
#define PIN_POLL_MS 100

/* A device under the adapter, as BlueZ describes it. */
typedef struct {
	char *path;
	char *address;
	char *address_type;
	char *name;
	char *alias;
	gint16 rssi;
	bool has_rssi;
	bool paired;
	bool connected;
	bool resolved;
	bool printed; /* scan */
} Dev;

/* A decoded (or undecodable) message from the box. */
typedef struct {
	const char *source;
	bool ok;
	RbReply reply;
	char *error;
} Msg;

typedef struct {
	RbCtlArgs *args;
	GDBusConnection *bus;
	char *bluez_owner;
	char *adapter_path;
	char *adapter_name;
	GHashTable *devs; /* path -> Dev */
	Dev *dev; /* the box, in devs */
	char *dev_path;
	char *chr_protocol;
	char *chr_access;
	char *chr_pair;
	guint16 mtu;
	guint sig_props;
	guint sig_added;
	guint sig_removed;
	bool discovering;
	bool interrupted;
	bool lost; /* the box disconnected while we needed it */
	RbReassembler reasm; /* protocol notifications */
	RbReassembler reasm_access; /* access notifications */
	GQueue msgs; /* of Msg* */
	/* agent */
	guint agent_id;
	bool agent_registered;
	GDBusMethodInvocation *passkey_inv;
	guint pin_poll;
	bool snapshot_has_pin;
	uint32_t snapshot_pin;
	int tty_fd;
	GIOChannel *tty;
	guint tty_watch;
	GString *tty_line;
	/* the result */
	RbCtlExit exit_code;
	char *message;
	uint8_t att;
	char *dbus_error;
	char *dbus_message;
} Ctl;

static void dev_free(gpointer p)
{
	Dev *d = p;

	g_free(d->path);
	g_free(d->address);
	g_free(d->address_type);
	g_free(d->name);
	g_free(d->alias);
	g_free(d);
}

static void msg_free(gpointer p)
{
	Msg *m = p;

	g_free(m->error);
	g_free(m);
}

/* ---- results and output ---------------------------------------------- */

G_GNUC_PRINTF(3, 4)
static bool fail(Ctl *c, RbCtlExit code, const char *fmt, ...)
{
	va_list ap;

	if (c->exit_code != RB_CTL_EXIT_OK)
		return false; /* keep the first failure */
	c->exit_code = code;
	va_start(ap, fmt);
	g_free(c->message);
	c->message = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	return false;
}

/* Records a failed D-Bus call doing @what. */
static bool fail_gerror(Ctl *c, RbCtlOp op, const char *what, const GError *err)
{
	g_autofree char *name = NULL;
	g_autofree char *msg = NULL;
	const char *reason;
	RbCtlExit code;
	uint8_t att = 0;

	if (c->interrupted ||
	    g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return fail(c, RB_CTL_EXIT_INTERRUPTED, "%s: interrupted",
			    what);
	if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
		return fail(c, RB_CTL_EXIT_TIMEOUT, "%s: timed out after %u s",
			    what, c->args->timeout_s);
	if (g_dbus_error_is_remote_error(err)) {
		GError *copy = g_error_copy(err);

		name = g_dbus_error_get_remote_error(copy);
		g_dbus_error_strip_remote_error(copy);
		msg = g_strdup(copy->message);
		g_error_free(copy);
	} else {
		msg = g_strdup(err->message);
	}
	code = rb_ctl_exit_for_error(op, name, msg, &att);
	g_free(c->dbus_error);
	c->dbus_error = g_strdup(name);
	g_free(c->dbus_message);
	c->dbus_message = g_strdup(msg);
	c->att = att;
	reason = rb_ctl_att_reason(att);
	if (reason)
		return fail(c, code, "%s rejected: %s", what, reason);
	if (code == RB_CTL_EXIT_TIMEOUT)
		return fail(c, code, "%s: timed out (%s)", what,
			    name ? name : msg);
	return fail(c, code, "%s failed: %s%s%s", what, name ? name : "",
		    name ? ": " : "", msg);
}

static void print_line(const char *line)
{
	fputs(line, stdout);
	fputc('\n', stdout);
	fflush(stdout);
}

/* An informational event: text for people, JSON with "type":"event". */
G_GNUC_PRINTF(3, 4)
static void event(Ctl *c, const char *kind, const char *fmt, ...)
{
	g_autofree char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (c->args->json) {
		g_autoptr(GString) j = g_string_new("{\"type\":\"event\"");

		g_string_append(j, ",\"event\":");
		rb_ctl_json_append_string(j, kind);
		g_string_append(j, ",\"message\":");
		rb_ctl_json_append_string(j, text);
		g_string_append_c(j, '}');
		print_line(j->str);
	} else {
		print_line(text);
	}
}

static void emit_msg(Ctl *c, const Msg *m)
{
	g_autofree char *line = NULL;

	if (!m->ok) {
		if (c->args->json) {
			g_autoptr(GString)
				j = g_string_new("{\"type\":\"undecodable\"");

			g_string_append(j, ",\"source\":");
			rb_ctl_json_append_string(j, m->source);
			g_string_append(j, ",\"message\":");
			rb_ctl_json_append_string(j, m->error);
			g_string_append_c(j, '}');
			print_line(j->str);
		} else {
			g_autofree char *t = g_strdup_printf(
				"%s: undecodable message: %s", m->source,
				m->error);
			print_line(t);
		}
		return;
	}
	if (c->args->json)
		line = rb_ctl_reply_json(&m->reply, m->source);
	else
		line = rb_ctl_reply_text(&m->reply, m->source);
	print_line(line);
}

/* The last line: in JSON always; in text only failures, on stderr. */
static void emit_result(Ctl *c)
{
	if (c->args->json) {
		g_autoptr(GString) j = g_string_new("{\"type\":\"result\"");

		g_string_append(j, ",\"command\":");
		rb_ctl_json_append_string(j, rb_ctl_command_name(c->args->cmd));
		g_string_append_printf(j, ",\"exit\":%d", (int)c->exit_code);
		g_string_append(j, ",\"result\":");
		rb_ctl_json_append_string(j, rb_ctl_exit_name(c->exit_code));
		if (c->dev) {
			g_string_append(j, ",\"address\":");
			rb_ctl_json_append_string(j, c->dev->address);
		}
		if (c->dbus_error) {
			g_string_append(j, ",\"dbus_error\":");
			rb_ctl_json_append_string(j, c->dbus_error);
		}
		if (c->dbus_message) {
			g_string_append(j, ",\"dbus_message\":");
			rb_ctl_json_append_string(j, c->dbus_message);
		}
		if (c->att)
			g_string_append_printf(j, ",\"att_error\":\"0x%02x\"",
					       c->att);
		if (c->message) {
			g_string_append(j, ",\"message\":");
			rb_ctl_json_append_string(j, c->message);
		}
		g_string_append_c(j, '}');
		print_line(j->str);
	} else if (c->exit_code != RB_CTL_EXIT_OK) {
		fprintf(stderr, "reaction-boxctl: %s\n",
			c->message ? c->message : "failed");
	}
}

/* ---- waiting ---------------------------------------------------------- */

typedef bool (*CondFn)(Ctl *c, gpointer data);

static gboolean wake(gpointer data)
{
	return G_SOURCE_CONTINUE;
}

static gint64 deadline_after(unsigned int seconds)
{
	return g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC;
}

/* Iterates the main context until @cond holds (true), or the deadline
 * passes or a signal arrives (false). @deadline 0: no deadline. */
static bool wait_until(Ctl *c, CondFn cond, gpointer data, gint64 deadline)
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
static GVariant *call_full(Ctl *c, const char *dest, const char *path,
			   const char *iface, const char *method,
			   GVariant *params, const GVariantType *rtype,
			   unsigned int timeout_s, GError **error)
{
	g_autoptr(GCancellable) cancel = g_cancellable_new();
	CallState st = {0};

	g_dbus_connection_call(c->bus, dest, path, iface, method, params, rtype,
			       G_DBUS_CALL_FLAGS_NONE, (int)(timeout_s * 1000),
			       cancel, call_done, &st);
	while (!wait_until(c, call_is_done, &st, 0))
		g_cancellable_cancel(cancel); /* interrupted: finish up */
	if (st.error) {
		g_propagate_error(error, st.error);
		return NULL;
	}
	return st.ret;
}

static GVariant *call(Ctl *c, const char *path, const char *iface,
		      const char *method, GVariant *params,
		      const GVariantType *rtype, GError **error)
{
	return call_full(c, BLUEZ, path, iface, method, params, rtype,
			 c->args->timeout_s, error);
}

/* ---- the object cache -------------------------------------------------- */

static bool under(const char *path, const char *parent)
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

static Dev *dev_add(Ctl *c, const char *path, GVariant *props)
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

static void scan_check(Ctl *c, Dev *d);
static void on_value(Ctl *c, const char *path, GVariant *value);

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
		scan_check(c, d);
		return;
	}
	if (strcmp(changed_iface, IFACE_CHAR) == 0) {
		value = g_variant_lookup_value(changed, "Value",
					       G_VARIANT_TYPE_BYTESTRING);
		if (value)
			on_value(c, path, value);
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
	if (!c->adapter_path || !under(obj, c->adapter_path))
		return;
	props = g_variant_lookup_value(ifaces, IFACE_DEVICE,
				       G_VARIANT_TYPE_VARDICT);
	if (props)
		scan_check(c, dev_add(c, obj, props));
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

static GVariant *get_objects(Ctl *c, GError **error)
{
	return call(c, "/", IFACE_OM, "GetManagedObjects", NULL,
		    G_VARIANT_TYPE("(a{oa{sa{sv}}})"), error);
}

/* Opens the bus, subscribes to BlueZ's signals, picks the adapter and
 * loads its devices. */
static bool setup(Ctl *c)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) owner = NULL;
	g_autoptr(GVariant) objs = NULL;
	g_autoptr(GVariantIter) it = NULL;
	g_autoptr(GPtrArray) adapters = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *addr = NULL;
	const char *path;
	GVariant *ifaces;

	addr = g_dbus_address_get_for_bus_sync(G_BUS_TYPE_SYSTEM, NULL, &err);
	if (addr)
		c->bus = g_dbus_connection_new_for_address_sync(
			addr,
			G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
				G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
			NULL, NULL, &err);
	if (!c->bus)
		return fail(c, RB_CTL_EXIT_DBUS,
			    "cannot connect to the system bus: %s",
			    err->message);
	g_dbus_connection_set_exit_on_close(c->bus, FALSE);

	owner = call_full(c, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			  "org.freedesktop.DBus", "GetNameOwner",
			  g_variant_new("(s)", BLUEZ), G_VARIANT_TYPE("(s)"),
			  c->args->timeout_s, &err);
	if (!owner)
		return fail(c, RB_CTL_EXIT_DBUS,
			    "bluetoothd is not running (no owner of %s): %s",
			    BLUEZ, err->message);
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

	objs = get_objects(c, &err);
	if (!objs)
		return fail_gerror(c, RB_CTL_OP_GENERIC,
				   "listing BlueZ objects", err);
	g_variant_get(objs, "(a{oa{sa{sv}}})", &it);
	while (g_variant_iter_next(it, "{&o@a{sa{sv}}}", &path, &ifaces)) {
		if (g_variant_lookup_value(ifaces, IFACE_ADAPTER, NULL)) {
			const char *base = strrchr(path, '/') + 1;

			if (!c->args->adapter ||
			    strcmp(base, c->args->adapter) == 0)
				g_ptr_array_add(adapters, g_strdup(path));
		}
		g_variant_unref(ifaces);
	}
	if (adapters->len == 0)
		return fail(c, RB_CTL_EXIT_NO_BOX, "no Bluetooth adapter%s%s",
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

		if (props && under(path, c->adapter_path))
			dev_add(c, path, props);
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

static bool dev_matches(Ctl *c, const Dev *d)
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

		if (!dev_matches(c, d))
			continue;
		if (!best || dev_rank(d) > dev_rank(best) ||
		    (dev_rank(d) == dev_rank(best) &&
		     strcmp(d->path, best->path) < 0))
			best = d;
	}
	return best;
}

static const char *dev_label(const Dev *d)
{
	if (d->name)
		return d->name;
	if (d->alias)
		return d->alias;
	return d->address ? d->address : d->path;
}

static bool start_discovery(Ctl *c)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) ret = NULL;
	g_autoptr(GVariant) powered = NULL;
	GVariantBuilder b;

	powered = call(c, c->adapter_path, IFACE_PROPS, "Get",
		       g_variant_new("(ss)", IFACE_ADAPTER, "Powered"),
		       G_VARIANT_TYPE("(v)"), &err);
	if (powered) {
		g_autoptr(GVariant) v = NULL;

		g_variant_get(powered, "(v)", &v);
		if (g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN) &&
		    !g_variant_get_boolean(v))
			return fail(c, RB_CTL_EXIT_DBUS,
				    "adapter %s is powered off (bluetoothctl "
				    "power on)",
				    c->adapter_name);
	}
	g_clear_error(&err);

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "Transport",
			      g_variant_new_string("le"));
	ret = call(c, c->adapter_path, IFACE_ADAPTER, "SetDiscoveryFilter",
		   g_variant_new("(a{sv})", &b), NULL, &err);
	if (!ret)
		return fail_gerror(c, RB_CTL_OP_GENERIC,
				   "setting the discovery filter", err);
	g_clear_pointer(&ret, g_variant_unref);
	ret = call(c, c->adapter_path, IFACE_ADAPTER, "StartDiscovery", NULL,
		   NULL, &err);
	if (!ret && !g_dbus_error_is_remote_error(err))
		return fail_gerror(c, RB_CTL_OP_GENERIC, "starting discovery",
				   err);
	if (!ret) {
		g_autofree char *name = g_dbus_error_get_remote_error(err);

		if (g_strcmp0(name, "org.bluez.Error.InProgress") != 0)
			return fail_gerror(c, RB_CTL_OP_GENERIC,
					   "starting discovery", err);
	}
	c->discovering = true;
	return true;
}

static void stop_discovery(Ctl *c)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) ret = NULL;

	if (!c->discovering)
		return;
	c->discovering = false;
	ret = call(c, c->adapter_path, IFACE_ADAPTER, "StopDiscovery", NULL,
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
#define DISCOVERY_ROUND_S 3

static bool find_box(Ctl *c, bool discover)
{
	const char *what = c->args->box ? c->args->box : RB_NAME_PREFIX "*";

	c->dev = best_match(c);
	if (!c->dev && discover) {
		gint64 end = deadline_after(c->args->timeout_s);
		bool found = false;

		/* Discovery is restarted every few seconds: a controller
		 * reports an advertiser when scanning starts, and a report
		 * that races the start of discovery is lost. */
		while (!found && !c->interrupted &&
		       g_get_monotonic_time() < end) {
			if (!start_discovery(c))
				return false;
			found = wait_until(
				c, have_match, NULL,
				MIN(end, deadline_after(DISCOVERY_ROUND_S)));
			stop_discovery(c);
		}
		c->dev = best_match(c);
		if (!found && c->interrupted)
			return fail(c, RB_CTL_EXIT_INTERRUPTED, "interrupted");
	}
	if (!c->dev)
		return fail(c, RB_CTL_EXIT_NO_BOX, "no box %s found on %s%s",
			    what, c->adapter_name,
			    discover ? "" : " (it is not known to BlueZ)");
	c->dev_path = g_strdup(c->dev->path);
	g_debug("box %s at %s", dev_label(c->dev), c->dev->path);
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
static bool connect_box(Ctl *c, bool resolve)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) ret = NULL;
	g_autofree char *what = NULL;

	what = g_strdup_printf("connecting to %s (%s)", dev_label(c->dev),
			       c->dev->address);
	if (!c->dev->connected) {
		ret = call(c, c->dev_path, IFACE_DEVICE, "Connect", NULL, NULL,
			   &err);
		if (!ret)
			return fail_gerror(c, RB_CTL_OP_CONNECT, what, err);
		/* A successful Connect means connected; the signal may
		 * come later (or was seen during the call): wait briefly
		 * for it only so the cache agrees. */
		wait_until(c, dev_connected, NULL,
			   g_get_monotonic_time() + G_USEC_PER_SEC / 2);
		if (!c->dev)
			return fail(c, RB_CTL_EXIT_NO_BOX, "%s: it vanished",
				    what);
		c->dev->connected = true;
	}
	c->lost = false;
	if (!resolve)
		return true;
	if (!wait_until(c, dev_resolved, NULL,
			deadline_after(c->args->timeout_s))) {
		if (c->interrupted)
			return fail(c, RB_CTL_EXIT_INTERRUPTED, "interrupted");
		return fail(c, RB_CTL_EXIT_TIMEOUT,
			    "%s: services not resolved after %u s", what,
			    c->args->timeout_s);
	}
	if (c->lost || !c->dev)
		return fail(c, RB_CTL_EXIT_NO_BOX, "%s: the box disconnected",
			    what);
	return true;
}

/* Finds the box's characteristics and the protocol MTU. */
static bool resolve_chars(Ctl *c)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) objs = NULL;
	g_autoptr(GVariantIter) it = NULL;
	g_autofree char *svc = NULL;
	const char *path;
	GVariant *ifaces;

	objs = get_objects(c, &err);
	if (!objs)
		return fail_gerror(c, RB_CTL_OP_GENERIC,
				   "listing the box's services", err);
	g_variant_get(objs, "(a{oa{sa{sv}}})", &it);
	while (!svc &&
	       g_variant_iter_next(it, "{&o@a{sa{sv}}}", &path, &ifaces)) {
		g_autoptr(GVariant) p = g_variant_lookup_value(
			ifaces, IFACE_SERVICE, G_VARIANT_TYPE_VARDICT);
		const char *uuid = NULL;

		if (p && under(path, c->dev_path) &&
		    g_variant_lookup(p, "UUID", "&s", &uuid) &&
		    g_ascii_strcasecmp(uuid, RB_UUID_SERVICE) == 0)
			svc = g_strdup(path);
		g_variant_unref(ifaces);
	}
	if (!svc)
		return fail(c, RB_CTL_EXIT_NO_BOX,
			    "%s (%s) has no reaction-boxd service %s",
			    dev_label(c->dev), c->dev->address,
			    RB_UUID_SERVICE);

	g_clear_pointer(&it, g_variant_iter_free);
	g_variant_get(objs, "(a{oa{sa{sv}}})", &it);
	while (g_variant_iter_next(it, "{&o@a{sa{sv}}}", &path, &ifaces)) {
		g_autoptr(GVariant) p = g_variant_lookup_value(
			ifaces, IFACE_CHAR, G_VARIANT_TYPE_VARDICT);
		const char *uuid = NULL;
		const char *service = NULL;
		guint16 mtu = 0;

		g_variant_unref(ifaces);
		if (!p || !g_variant_lookup(p, "UUID", "&s", &uuid) ||
		    !g_variant_lookup(p, "Service", "&o", &service) ||
		    strcmp(service, svc) != 0)
			continue;
		if (g_ascii_strcasecmp(uuid, RB_UUID_PROTOCOL) == 0) {
			c->chr_protocol = g_strdup(path);
			if (g_variant_lookup(p, "MTU", "q", &mtu))
				c->mtu = mtu;
		} else if (g_ascii_strcasecmp(uuid, RB_UUID_ACCESS) == 0) {
			c->chr_access = g_strdup(path);
		} else if (g_ascii_strcasecmp(uuid, RB_UUID_PAIR) == 0) {
			c->chr_pair = g_strdup(path);
		}
	}
	if (!c->chr_protocol || !c->chr_access || !c->chr_pair)
		return fail(c, RB_CTL_EXIT_NO_BOX,
			    "the box's service %s lacks a characteristic "
			    "(protocol %s, access %s, pair %s)",
			    svc, c->chr_protocol ? "ok" : "missing",
			    c->chr_access ? "ok" : "missing",
			    c->chr_pair ? "ok" : "missing");
	if (c->mtu < RB_FRAME_MIN_PAYLOAD + 3)
		c->mtu = RB_FRAME_MIN_PAYLOAD + 3;
	g_debug("protocol %s access %s pair %s mtu %u", c->chr_protocol,
		c->chr_access, c->chr_pair, c->mtu);
	return true;
}

static bool ready(Ctl *c)
{
	return find_box(c, true) && connect_box(c, true) && resolve_chars(c);
}

/* ---- GATT -------------------------------------------------------------- */

static const char *char_name(Ctl *c, const char *path)
{
	if (g_strcmp0(path, c->chr_protocol) == 0)
		return "protocol";
	if (g_strcmp0(path, c->chr_access) == 0)
		return "access";
	if (g_strcmp0(path, c->chr_pair) == 0)
		return "pair";
	return path;
}

static GBytes *read_char(Ctl *c, const char *chr)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) ret = NULL;
	g_autoptr(GVariant) bytes = NULL;
	g_autofree char *what = NULL;
	GVariantBuilder b;
	gsize n = 0;
	const void *p;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	ret = call(c, chr, IFACE_CHAR, "ReadValue",
		   g_variant_new("(a{sv})", &b), G_VARIANT_TYPE("(ay)"), &err);
	if (!ret) {
		what = g_strdup_printf("read of %s", char_name(c, chr));
		fail_gerror(c, RB_CTL_OP_GATT, what, err);
		return NULL;
	}
	bytes = g_variant_get_child_value(ret, 0);
	p = g_variant_get_fixed_array(bytes, &n, 1);
	return g_bytes_new(p, n);
}

static bool write_char(Ctl *c, const char *chr, const uint8_t *data, gsize len)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) ret = NULL;
	g_autofree char *what = NULL;
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "type",
			      g_variant_new_string("request"));
	ret = call(c, chr, IFACE_CHAR, "WriteValue",
		   g_variant_new("(@aya{sv})",
				 g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE,
							   data, len, 1),
				 &b),
		   NULL, &err);
	if (!ret) {
		what = g_strdup_printf("write of %s", char_name(c, chr));
		return fail_gerror(c, RB_CTL_OP_GATT, what, err);
	}
	return true;
}

static bool start_notify(Ctl *c, const char *chr)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) ret = NULL;
	g_autofree char *what = NULL;

	ret = call(c, chr, IFACE_CHAR, "StartNotify", NULL, NULL, &err);
	if (!ret) {
		what = g_strdup_printf("subscribing to %s", char_name(c, chr));
		return fail_gerror(c, RB_CTL_OP_GATT, what, err);
	}
	return true;
}

static void push_msg(Ctl *c, const char *source, const uint8_t *data, gsize len)
{
	g_autoptr(GError) err = NULL;
	Msg *m = g_new0(Msg, 1);

	m->source = source;
	m->ok = rb_codec_decode_reply(data, len, &m->reply, &err);
	if (!m->ok)
		m->error = g_strdup_printf("%" G_GSIZE_FORMAT " bytes: %s", len,
					   err->message);
	g_queue_push_tail(&c->msgs, m);
}

/* Notifications on both characteristics are framed (reaction-boxd-gatt(7)). */
static void feed(Ctl *c, RbReassembler *r, const char *source, const uint8_t *p,
		 gsize n)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GBytes) msg = NULL;
	Msg *m;
	RbFrameResult res;

	res = rb_reassembler_feed(
		r, p, n, (RbTime)(g_get_monotonic_time() / 1000), &msg, &err);
	/* A first fragment while a message is incomplete: the rest of the
	 * old one was lost. The reassembler dropped both; start over with
	 * the new one. */
	if (res == RB_FRAME_ERROR && n > 0 && (p[0] & RB_FRAME_HEADER_FIRST)) {
		g_debug("%s: %s; starting over", source, err->message);
		g_clear_error(&err);
		res = rb_reassembler_feed(
			r, p, n, (RbTime)(g_get_monotonic_time() / 1000), &msg,
			&err);
	}
	switch (res) {
	case RB_FRAME_MORE:
		break;
	case RB_FRAME_COMPLETE:
		push_msg(c, source, g_bytes_get_data(msg, NULL),
			 g_bytes_get_size(msg));
		break;
	case RB_FRAME_ERROR:
		m = g_new0(Msg, 1);
		m->source = source;
		m->error = g_strdup_printf("bad frame: %s", err->message);
		g_queue_push_tail(&c->msgs, m);
		break;
	}
}

static void on_value(Ctl *c, const char *path, GVariant *value)
{
	gsize n = 0;
	const uint8_t *p = g_variant_get_fixed_array(value, &n, 1);

	if (g_strcmp0(path, c->chr_access) == 0)
		feed(c, &c->reasm_access, "access", p, n);
	else if (g_strcmp0(path, c->chr_protocol) == 0)
		feed(c, &c->reasm, "protocol", p, n);
}

static bool have_msg(Ctl *c, gpointer data)
{
	return c->lost || !g_queue_is_empty(&c->msgs);
}

/* Waits for the next message; NULL on timeout (recorded), interruption
 * or disconnection. The caller frees the Msg. */
static Msg *next_msg(Ctl *c, gint64 deadline, const char *what)
{
	if (!wait_until(c, have_msg, NULL, deadline)) {
		if (c->interrupted)
			fail(c, RB_CTL_EXIT_INTERRUPTED, "interrupted");
		else
			fail(c, RB_CTL_EXIT_TIMEOUT,
			     "no %s from the box within %u s", what,
			     c->args->timeout_s);
		return NULL;
	}
	if (g_queue_is_empty(&c->msgs)) {
		fail(c, RB_CTL_EXIT_NO_BOX, "the box disconnected");
		return NULL;
	}
	return g_queue_pop_head(&c->msgs);
}

/* Frames (unless @raw) and writes @msg to protocol. */
static bool send_protocol(Ctl *c, const uint8_t *msg, gsize len, bool raw)
{
	g_autoptr(GPtrArray) frags = NULL;
	g_autoptr(GError) err = NULL;

	if (raw)
		return write_char(c, c->chr_protocol, msg, len);
	frags = rb_frame_split(msg, len, (gsize)c->mtu - 3, &err);
	if (!frags)
		return fail(c, RB_CTL_EXIT_USAGE,
			    "cannot frame the message: %s", err->message);
	for (unsigned int i = 0; i < frags->len; i++) {
		GBytes *f = frags->pdata[i];

		if (!write_char(c, c->chr_protocol, g_bytes_get_data(f, NULL),
				g_bytes_get_size(f)))
			return false;
	}
	g_debug("sent %" G_GSIZE_FORMAT " bytes in %u fragments (mtu %u)", len,
		frags->len, c->mtu);
	return true;
}

/* ---- commands ---------------------------------------------------------- */

static void scan_print(Ctl *c, Dev *d)
{
	d->printed = true;
	if (c->args->json) {
		g_autoptr(GString) j = g_string_new("{\"type\":\"device\"");

		g_string_append(j, ",\"name\":");
		rb_ctl_json_append_string(j, dev_label(d));
		g_string_append(j, ",\"address\":");
		rb_ctl_json_append_string(j, d->address);
		g_string_append(j, ",\"address_type\":");
		rb_ctl_json_append_string(j, d->address_type);
		if (d->has_rssi)
			g_string_append_printf(j, ",\"rssi\":%d", d->rssi);
		g_string_append_printf(j, ",\"paired\":%s,\"connected\":%s}",
				       d->paired ? "true" : "false",
				       d->connected ? "true" : "false");
		print_line(j->str);
	} else {
		g_autofree char *line = NULL;
		g_autofree char *rssi = d->has_rssi
						? g_strdup_printf("  %d dBm",
								  d->rssi)
						: g_strdup("");

		line = g_strdup_printf("%-16s %s%s%s%s", dev_label(d),
				       d->address ? d->address : "?", rssi,
				       d->paired ? "  paired" : "",
				       d->connected ? "  connected" : "");
		print_line(line);
	}
}

static void scan_check(Ctl *c, Dev *d)
{
	if (c->args->cmd != RB_CTL_CMD_SCAN || !c->discovering || d->printed)
		return;
	if ((d->has_rssi || d->connected) && dev_matches(c, d))
		scan_print(c, d);
}

/*
 * BlueZ signals an RSSI only when it changed noticeably, so a box seen in
 * an earlier scan may send no signal: before discovery stops, print the
 * matching devices that have an RSSI now.
 */
static void scan_recheck(Ctl *c)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) objs = get_objects(c, &err);
	g_autoptr(GVariantIter) it = NULL;
	const char *path;
	GVariant *ifaces;

	if (!objs) {
		g_debug("GetManagedObjects: %s", err->message);
		return;
	}
	g_variant_get(objs, "(a{oa{sa{sv}}})", &it);
	while (g_variant_iter_next(it, "{&o@a{sa{sv}}}", &path, &ifaces)) {
		g_autoptr(GVariant) props = g_variant_lookup_value(
			ifaces, IFACE_DEVICE, G_VARIANT_TYPE_VARDICT);

		if (props && under(path, c->adapter_path))
			scan_check(c, dev_add(c, path, props));
		g_variant_unref(ifaces);
	}
}

static bool never(Ctl *c, gpointer data)
{
	return false;
}

static bool cmd_scan(Ctl *c)
{
	GHashTableIter it;
	gpointer v;
	unsigned int n = 0;

	/* Only what is seen now: forget stale RSSIs of cached devices. */
	g_hash_table_iter_init(&it, c->devs);
	while (g_hash_table_iter_next(&it, NULL, &v))
		((Dev *)v)->has_rssi = false;
	if (!start_discovery(c))
		return false;
	g_hash_table_iter_init(&it, c->devs);
	while (g_hash_table_iter_next(&it, NULL, &v))
		scan_check(c, v);
	{
		gint64 end = deadline_after(c->args->duration_s);

		/* Restarted every few seconds, as in find_box(). */
		for (;;) {
			wait_until(c, never, NULL,
				   MIN(end, deadline_after(DISCOVERY_ROUND_S)));
			if (c->interrupted || g_get_monotonic_time() >= end)
				break;
			stop_discovery(c);
			if (!start_discovery(c))
				return false;
		}
	}
	if (!c->interrupted)
		scan_recheck(c);
	stop_discovery(c);
	if (c->interrupted)
		return fail(c, RB_CTL_EXIT_INTERRUPTED, "interrupted");
	g_hash_table_iter_init(&it, c->devs);
	while (g_hash_table_iter_next(&it, NULL, &v))
		n += ((Dev *)v)->printed;
	if (n == 0)
		return fail(c, RB_CTL_EXIT_NO_BOX,
			    "no box %s found on %s in %u s",
			    c->args->box ? c->args->box : RB_NAME_PREFIX "*",
			    c->adapter_name, c->args->duration_s);
	return true;
}

static bool print_read(Ctl *c, const char *chr)
{
	g_autoptr(GBytes) val = read_char(c, chr);
	Msg m = {0};
	g_autoptr(GError) err = NULL;

	if (!val)
		return false;
	m.source = char_name(c, chr);
	m.ok = rb_codec_decode_reply(g_bytes_get_data(val, NULL),
				     g_bytes_get_size(val), &m.reply, &err);
	if (!m.ok) {
		m.error = g_strdup_printf("%" G_GSIZE_FORMAT " bytes: %s",
					  g_bytes_get_size(val), err->message);
		emit_msg(c, &m);
		g_free(m.error);
		return fail(c, RB_CTL_EXIT_BOX_ERROR,
			    "the box's %s value does not decode", m.source);
	}
	emit_msg(c, &m);
	if (m.reply.kind == RB_REPLY_ERROR)
		return fail(c, RB_CTL_EXIT_BOX_ERROR, "the box answered %s",
			    rb_ctl_proto_error_name(m.reply.error_code));
	return true;
}

static bool cmd_status(Ctl *c)
{
	return ready(c) && print_read(c, c->chr_access);
}

static bool cmd_config_read(Ctl *c)
{
	return ready(c) && print_read(c, c->chr_protocol);
}

static bool cmd_watch(Ctl *c)
{
	unsigned int seen = 0;
	gint64 deadline = 0;

	if (!ready(c) || !start_notify(c, c->chr_access) ||
	    !start_notify(c, c->chr_protocol))
		return false;
	event(c, "subscribed", "watching %s (%s)", dev_label(c->dev),
	      c->dev->address);
	/* With --count, or an explicit --timeout, a script never hangs. */
	if (c->args->count || c->args->timeout_given)
		deadline = deadline_after(c->args->timeout_s);
	while (!c->args->count || seen < c->args->count) {
		Msg *m;

		if (!wait_until(c, have_msg, NULL, deadline)) {
			if (c->interrupted && !c->args->count)
				return true; /* Ctrl-C ends an open watch */
			if (c->interrupted)
				return fail(c, RB_CTL_EXIT_INTERRUPTED,
					    "interrupted after %u messages",
					    seen);
			if (!c->args->count)
				return true;
			return fail(c, RB_CTL_EXIT_TIMEOUT,
				    "%u of %u messages within %u s", seen,
				    c->args->count, c->args->timeout_s);
		}
		if (g_queue_is_empty(&c->msgs))
			return fail(c, RB_CTL_EXIT_NO_BOX,
				    "the box disconnected after %u messages",
				    seen);
		m = g_queue_pop_head(&c->msgs);
		emit_msg(c, m);
		msg_free(m);
		seen++;
	}
	return true;
}

/* Waits for the reply to @request_id on protocol and prints it. */
static bool await_reply(Ctl *c, uint32_t request_id)
{
	gint64 deadline = deadline_after(c->args->timeout_s);

	for (;;) {
		Msg *m = next_msg(c, deadline, "reply");
		bool mine;

		if (!m)
			return false;
		mine = !m->ok || request_id == 0 ||
		       m->reply.request_id == request_id ||
		       (m->reply.kind == RB_REPLY_ERROR &&
			m->reply.request_id == 0);
		if (!mine || strcmp(m->source, "protocol") != 0) {
			g_debug("skipping a %s message for request %u",
				m->source, m->reply.request_id);
			msg_free(m);
			continue;
		}
		emit_msg(c, m);
		if (!m->ok) {
			fail(c, RB_CTL_EXIT_BOX_ERROR, "undecodable reply: %s",
			     m->error);
			msg_free(m);
			return false;
		}
		if (m->reply.kind == RB_REPLY_ERROR) {
			g_autofree char *field =
				m->reply.error_field[0]
					? g_strdup_printf(" (field %s)",
							  m->reply.error_field)
					: g_strdup("");

			fail(c, RB_CTL_EXIT_BOX_ERROR,
			     "the box refused the request: %s%s%s%s",
			     rb_ctl_proto_error_name(m->reply.error_code),
			     field, m->reply.error_message[0] ? ": " : "",
			     m->reply.error_message);
			msg_free(m);
			return false;
		}
		msg_free(m);
		return true;
	}
}

static bool cmd_config(Ctl *c, bool set)
{
	RbRequest req = {0};
	g_autofree uint8_t *buf = NULL;
	gsize len = 0;

	req.kind = set ? RB_REQUEST_CONFIG_SET : RB_REQUEST_CONFIG_GET;
	req.request_id = (uint32_t)g_random_int_range(1, G_MAXINT32);
	if (set)
		req.update = c->args->update;
	buf = rb_codec_encode_request(&req, &len);
	if (!buf)
		return fail(c, RB_CTL_EXIT_USAGE, "cannot encode the request");
	if (!ready(c))
		return false;
	if (!c->args->no_wait && !start_notify(c, c->chr_protocol))
		return false;
	if (!send_protocol(c, buf, len, false))
		return false;
	if (c->args->no_wait) {
		event(c, "sent", "request %u sent (%" G_GSIZE_FORMAT " bytes)",
		      req.request_id, len);
		return true;
	}
	return await_reply(c, req.request_id);
}

static bool cmd_write(Ctl *c)
{
	g_autoptr(GBytes) data = NULL;
	gsize max = c->args->raw ? 512 : RB_FRAME_MAX_MESSAGE;

	if (c->args->data) {
		data = g_bytes_ref(c->args->data);
	} else {
		g_autoptr(GError) err = NULL;
		char *contents = NULL;
		gsize n = 0;

		if (!g_file_get_contents(c->args->file, &contents, &n, &err))
			return fail(c, RB_CTL_EXIT_USAGE, "%s", err->message);
		data = g_bytes_new_take(contents, n);
	}
	if (g_bytes_get_size(data) == 0 || g_bytes_get_size(data) > max)
		return fail(c, RB_CTL_EXIT_USAGE,
			    "%" G_GSIZE_FORMAT
			    " bytes to write: want 1..%" G_GSIZE_FORMAT,
			    g_bytes_get_size(data), max);
	if (!ready(c))
		return false;
	if (!c->args->no_wait && !start_notify(c, c->chr_protocol))
		return false;
	if (!send_protocol(c, g_bytes_get_data(data, NULL),
			   g_bytes_get_size(data), c->args->raw))
		return false;
	event(c, "written", "wrote %" G_GSIZE_FORMAT " bytes%s",
	      g_bytes_get_size(data), c->args->raw ? " (raw)" : "");
	if (c->args->no_wait)
		return true;
	return await_reply(c, 0);
}

static bool cmd_trigger_pairing(Ctl *c)
{
	g_autoptr(GBytes) val = NULL;
	g_autofree char *hex = NULL;

	if (!ready(c))
		return false;
	val = read_char(c, c->chr_pair);
	if (!val)
		return false;
	hex = rb_ctl_hex_string(g_bytes_get_data(val, NULL),
				g_bytes_get_size(val));
	event(c, "pair-read", "pair characteristic read: %s; %s is %s", hex,
	      dev_label(c->dev), c->dev->paired ? "paired" : "not paired");
	return true;
}

static bool cmd_remove(Ctl *c)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) ret = NULL;
	g_autofree char *label = NULL;

	if (!find_box(c, false))
		return false;
	label = g_strdup_printf("%s (%s)", dev_label(c->dev), c->dev->address);
	ret = call(c, c->adapter_path, IFACE_ADAPTER, "RemoveDevice",
		   g_variant_new("(o)", c->dev_path), NULL, &err);
	if (!ret)
		return fail_gerror(c, RB_CTL_OP_GENERIC, "removing the box",
				   err);
	event(c, "removed", "removed %s and its bond from %s", label,
	      c->adapter_name);
	return true;
}

static bool dev_disconnected(Ctl *c, gpointer data)
{
	return !c->dev || !c->dev->connected;
}

static bool cmd_disconnect(Ctl *c)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) ret = NULL;

	if (!find_box(c, false))
		return false;
	if (!c->dev->connected) {
		event(c, "disconnected", "%s (%s) was not connected",
		      dev_label(c->dev), c->dev->address);
		return true;
	}
	ret = call(c, c->dev_path, IFACE_DEVICE, "Disconnect", NULL, NULL,
		   &err);
	if (!ret)
		return fail_gerror(c, RB_CTL_OP_GENERIC, "disconnecting", err);
	wait_until(c, dev_disconnected, NULL,
		   deadline_after(c->args->timeout_s));
	event(c, "disconnected", "disconnected from %s (%s)",
	      c->dev ? dev_label(c->dev) : "the box",
	      c->dev ? c->dev->address : "");
	return true;
}

/* ---- pairing: the KeyboardOnly agent ----------------------------------- */

static const char agent_xml[] =
	"<node><interface name='org.bluez.Agent1'>"
	"<method name='Release'/>"
	"<method name='RequestPinCode'><arg type='o' direction='in'/>"
	"<arg type='s' direction='out'/></method>"
	"<method name='DisplayPinCode'><arg type='o' direction='in'/>"
	"<arg type='s' direction='in'/></method>"
	"<method name='RequestPasskey'><arg type='o' direction='in'/>"
	"<arg type='u' direction='out'/></method>"
	"<method name='DisplayPasskey'><arg type='o' direction='in'/>"
	"<arg type='u' direction='in'/><arg type='q' direction='in'/>"
	"</method>"
	"<method name='RequestConfirmation'><arg type='o' direction='in'/>"
	"<arg type='u' direction='in'/></method>"
	"<method name='RequestAuthorization'><arg type='o' direction='in'/>"
	"</method>"
	"<method name='AuthorizeService'><arg type='o' direction='in'/>"
	"<arg type='s' direction='in'/></method>"
	"<method name='Cancel'/>"
	"</interface></node>";

static void stop_pin_sources(Ctl *c)
{
	if (c->pin_poll)
		g_source_remove(c->pin_poll);
	c->pin_poll = 0;
	if (c->tty_watch)
		g_source_remove(c->tty_watch);
	c->tty_watch = 0;
}

static void answer_passkey(Ctl *c, uint32_t pin)
{
	stop_pin_sources(c);
	if (!c->passkey_inv)
		return;
	g_debug("answering RequestPasskey with the PIN");
	g_dbus_method_invocation_return_value(g_steal_pointer(&c->passkey_inv),
					      g_variant_new("(u)", pin));
}

static bool read_pin_file(Ctl *c, uint32_t *pin)
{
	g_autofree char *text = NULL;

	if (!g_file_get_contents(c->args->pin_file, &text, NULL, NULL))
		return false;
	return rb_ctl_find_pin_in_text(text, pin);
}

static gboolean poll_pin_file(gpointer data)
{
	Ctl *c = data;
	uint32_t pin;

	if (!read_pin_file(c, &pin))
		return G_SOURCE_CONTINUE;
	/* A PIN already on the screen before this attempt is stale. */
	if (c->snapshot_has_pin && pin == c->snapshot_pin)
		return G_SOURCE_CONTINUE;
	c->pin_poll = 0;
	event(c, "pin", "PIN read from %s", c->args->pin_file);
	answer_passkey(c, pin);
	return G_SOURCE_REMOVE;
}

static void tty_prompt(Ctl *c)
{
	static const char prompt[] = "Enter the PIN shown on the box: ";

	if (write(c->tty_fd, prompt, sizeof(prompt) - 1) < 0)
		g_debug("cannot write the prompt: %s", g_strerror(errno));
}

static gboolean on_tty(GIOChannel *ch, GIOCondition cond, gpointer data)
{
	Ctl *c = data;
	char buf[64];
	ssize_t n = read(c->tty_fd, buf, sizeof(buf));

	if (n <= 0) {
		c->tty_watch = 0;
		if (c->passkey_inv)
			g_dbus_method_invocation_return_dbus_error(
				g_steal_pointer(&c->passkey_inv),
				"org.bluez.Error.Canceled", "no PIN entered");
		return G_SOURCE_REMOVE;
	}
	for (ssize_t i = 0; i < n; i++) {
		uint32_t pin;

		if (buf[i] != '\n') {
			g_string_append_c(c->tty_line, buf[i]);
			continue;
		}
		g_strstrip(c->tty_line->str);
		if (rb_ctl_parse_pin(c->tty_line->str, &pin)) {
			g_string_truncate(c->tty_line, 0);
			c->tty_watch = 0;
			answer_passkey(c, pin);
			return G_SOURCE_REMOVE;
		}
		g_string_truncate(c->tty_line, 0);
		tty_prompt(c);
	}
	return G_SOURCE_CONTINUE;
}

static void agent_call(GDBusConnection *bus, const char *sender,
		       const char *path, const char *iface, const char *method,
		       GVariant *params, GDBusMethodInvocation *inv,
		       gpointer data)
{
	Ctl *c = data;
	const char *dev = NULL;

	if (g_strcmp0(sender, c->bluez_owner) != 0) {
		g_message("agent: refusing %s from %s (not bluetoothd)", method,
			  sender);
		g_dbus_method_invocation_return_dbus_error(
			inv, "org.bluez.Error.Rejected", "not bluetoothd");
		return;
	}
	if (strcmp(method, "Release") == 0) {
		c->agent_registered = false;
		g_dbus_method_invocation_return_value(inv, NULL);
		return;
	}
	if (strcmp(method, "Cancel") == 0) {
		stop_pin_sources(c);
		if (c->passkey_inv)
			g_dbus_method_invocation_return_dbus_error(
				g_steal_pointer(&c->passkey_inv),
				"org.bluez.Error.Canceled", "canceled");
		event(c, "agent-cancel", "bluetoothd canceled the PIN request");
		g_dbus_method_invocation_return_value(inv, NULL);
		return;
	}
	if (g_variant_n_children(params) > 0)
		g_variant_get_child(params, 0, "&o", &dev);
	if (strcmp(method, "RequestPasskey") != 0 ||
	    g_strcmp0(dev, c->dev_path) != 0 || c->passkey_inv) {
		g_debug("agent: rejecting %s for %s", method, dev);
		g_dbus_method_invocation_return_dbus_error(
			inv, "org.bluez.Error.Rejected",
			"reaction-boxctl only enters a passkey for the box");
		return;
	}
	c->passkey_inv = inv;
	event(c, "passkey-requested", "the box asks for its PIN");
	if (c->args->have_pin) {
		answer_passkey(c, c->args->pin);
	} else if (c->args->pin_file) {
		if (poll_pin_file(c) == G_SOURCE_CONTINUE)
			c->pin_poll = g_timeout_add(PIN_POLL_MS, poll_pin_file,
						    c);
	} else {
		tty_prompt(c);
		c->tty_watch = g_io_add_watch(c->tty, G_IO_IN | G_IO_HUP,
					      on_tty, c);
	}
}

static const GDBusInterfaceVTable agent_vtable = {.method_call = agent_call};

static bool agent_register(Ctl *c)
{
	g_autoptr(GDBusNodeInfo) info = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) ret = NULL;

	info = g_dbus_node_info_new_for_xml(agent_xml, &err);
	g_assert_no_error(err);
	c->agent_id = g_dbus_connection_register_object(
		c->bus, AGENT_PATH, info->interfaces[0], &agent_vtable, c, NULL,
		&err);
	if (!c->agent_id)
		return fail(c, RB_CTL_EXIT_DBUS, "cannot export the agent: %s",
			    err->message);
	ret = call(c, "/org/bluez", IFACE_AGENT_MANAGER, "RegisterAgent",
		   g_variant_new("(os)", AGENT_PATH, "KeyboardOnly"), NULL,
		   &err);
	if (!ret)
		return fail_gerror(c, RB_CTL_OP_GENERIC,
				   "registering the agent", err);
	c->agent_registered = true;
	return true;
}

static void agent_unregister(Ctl *c)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) ret = NULL;

	stop_pin_sources(c);
	if (c->passkey_inv)
		g_dbus_method_invocation_return_dbus_error(
			g_steal_pointer(&c->passkey_inv),
			"org.bluez.Error.Canceled", "exiting");
	if (c->agent_registered) {
		ret = call(c, "/org/bluez", IFACE_AGENT_MANAGER,
			   "UnregisterAgent", g_variant_new("(o)", AGENT_PATH),
			   NULL, &err);
		if (!ret)
			g_debug("UnregisterAgent: %s", err->message);
		c->agent_registered = false;
	}
	if (c->agent_id)
		g_dbus_connection_unregister_object(c->bus, c->agent_id);
	c->agent_id = 0;
}

static bool pin_source_ready(Ctl *c)
{
	if (c->args->have_pin)
		return true;
	if (c->args->pin_file) {
		c->snapshot_has_pin = read_pin_file(c, &c->snapshot_pin);
		return true;
	}
	c->tty_fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (c->tty_fd < 0)
		return fail(c, RB_CTL_EXIT_USAGE,
			    "no PIN: give it as an argument, with --pin-file, "
			    "or run on a terminal (/dev/tty: %s)",
			    g_strerror(errno));
	c->tty = g_io_channel_unix_new(c->tty_fd);
	c->tty_line = g_string_new(NULL);
	return true;
}

static bool cmd_pair(Ctl *c)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) ret = NULL;
	g_autofree char *label = NULL;
	g_autofree char *name = NULL;

	if (!pin_source_ready(c) || !find_box(c, true))
		return false;
	label = g_strdup_printf("%s (%s)", dev_label(c->dev), c->dev->address);
	if (c->dev->paired) {
		event(c, "paired",
		      "already paired with %s (run remove first to pair "
		      "again)",
		      label);
		return true;
	}
	/*
	 * Not connected: Pair() connects by itself, so that a Security
	 * Request the box sends at once (it still holds a stale bond) is
	 * answered by this pairing and its agent. Connected: wait until
	 * the services are resolved, or bluetoothd holds the Pair() reply
	 * for a service discovery that may never come.
	 */
	if (!agent_register(c) || (c->dev->connected && !connect_box(c, true)))
		return false;
	event(c, "pairing", "pairing with %s", label);
	ret = call(c, c->dev_path, IFACE_DEVICE, "Pair", NULL, NULL, &err);
	if (!ret && g_dbus_error_is_remote_error(err)) {
		name = g_dbus_error_get_remote_error(err);
		if (g_strcmp0(name, "org.bluez.Error.AlreadyExists") == 0) {
			event(c, "paired", "already paired with %s", label);
			return true;
		}
	}
	if (!ret) {
		if (c->interrupted ||
		    g_error_matches(err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
			g_autoptr(GVariant) r2 = NULL;

			r2 = call_full(c, BLUEZ, c->dev_path, IFACE_DEVICE,
				       "CancelPairing", NULL, NULL, 2, NULL);
		}
		return fail_gerror(c, RB_CTL_OP_PAIR, "pairing", err);
	}
	event(c, "paired", "paired with %s", label);
	return true;
}

/* ---- main --------------------------------------------------------------- */

static const char usage_text[] =
	"Usage: reaction-boxctl [OPTIONS] COMMAND [ARGS]\n"
	"\n"
	"A BLE central for reaction-boxd quiz boxes, through BlueZ.\n"
	"\n"
	"Commands:\n"
	"  scan [--duration SEC]      list Reaction_* boxes in range\n"
	"  pair [PIN] [--pin-file F]  pair with the PIN the box shows\n"
	"  status                     read and print the access status\n"
	"  watch [--count N]          print access and protocol "
	"notifications\n"
	"  config get                 ask the box for its settings "
	"(a write)\n"
	"  config set KEY=VALUE...    change settings (owner only)\n"
	"  config read                read the settings (no write needed)\n"
	"  write (--hex HEX|--file F) [--raw] [--no-wait]\n"
	"                             write bytes to protocol, print the "
	"reply\n"
	"  trigger-pairing            read the secure-read characteristic\n"
	"  remove                     forget the box (remove its bond)\n"
	"  disconnect                 disconnect from the box\n"
	"\n"
	"Options:\n"
	"  --adapter hciN   the adapter to use (default: the first)\n"
	"  --box ADDR|NAME  the box (default: the first Reaction_* found)\n"
	"  --json           machine output: one JSON object per line\n"
	"  --timeout SEC    limit of each step (default 20)\n"
	"  --force          config set: send out-of-range values anyway\n"
	"  -h, --help       this help;  --version  the version\n"
	"\n"
	"Settings: pairing_timeout_ms, pin_failure_limit, pin_lockout_ms,\n"
	"          stale_bond_window_ms, stale_bond_strikes\n"
	"\n"
	"Exit status:\n"
	"  0 OK                     6 write rejected: NOT_AUTHENTICATED "
	"(0x82)\n"
	"  1 usage error            7 write rejected: NOT_AUTHORIZED "
	"(0x83)\n"
	"  2 no box / not connected 8 pairing failed or refused\n"
	"  3 timeout                9 the box answered an error\n"
	"  4 write rejected: NOT_PAIRED (0x80)\n"
	"  5 write rejected: NOT_ENCRYPTED (0x81)\n"
	"  10 other D-Bus or BlueZ error, 130 interrupted\n"
	"\n"
	"See reaction-boxctl(1).\n";

static gboolean on_signal(gpointer data)
{
	Ctl *c = data;

	c->interrupted = true;
	return G_SOURCE_CONTINUE;
}

static bool run(Ctl *c)
{
	if (!setup(c))
		return false;
	switch (c->args->cmd) {
	case RB_CTL_CMD_NONE:
		return fail(c, RB_CTL_EXIT_USAGE, "no command");
	case RB_CTL_CMD_SCAN:
		return cmd_scan(c);
	case RB_CTL_CMD_PAIR:
		return cmd_pair(c);
	case RB_CTL_CMD_STATUS:
		return cmd_status(c);
	case RB_CTL_CMD_WATCH:
		return cmd_watch(c);
	case RB_CTL_CMD_CONFIG_GET:
		return cmd_config(c, false);
	case RB_CTL_CMD_CONFIG_SET:
		return cmd_config(c, true);
	case RB_CTL_CMD_CONFIG_READ:
		return cmd_config_read(c);
	case RB_CTL_CMD_WRITE:
		return cmd_write(c);
	case RB_CTL_CMD_TRIGGER_PAIRING:
		return cmd_trigger_pairing(c);
	case RB_CTL_CMD_REMOVE:
		return cmd_remove(c);
	case RB_CTL_CMD_DISCONNECT:
		return cmd_disconnect(c);
	}
	return false;
}

static void teardown(Ctl *c)
{
	if (c->bus) {
		agent_unregister(c);
		if (c->discovering)
			stop_discovery(c);
		if (c->sig_props)
			g_dbus_connection_signal_unsubscribe(c->bus,
							     c->sig_props);
		if (c->sig_added)
			g_dbus_connection_signal_unsubscribe(c->bus,
							     c->sig_added);
		if (c->sig_removed)
			g_dbus_connection_signal_unsubscribe(c->bus,
							     c->sig_removed);
		g_dbus_connection_flush_sync(c->bus, NULL, NULL);
		g_object_unref(c->bus);
	}
	if (c->tty)
		g_io_channel_unref(c->tty);
	if (c->tty_fd >= 0)
		close(c->tty_fd);
	if (c->tty_line)
		g_string_free(c->tty_line, TRUE);
	g_queue_clear_full(&c->msgs, msg_free);
	rb_reassembler_clear(&c->reasm);
	rb_reassembler_clear(&c->reasm_access);
	g_hash_table_unref(c->devs);
	g_free(c->bluez_owner);
	g_free(c->adapter_path);
	g_free(c->adapter_name);
	g_free(c->dev_path);
	g_free(c->chr_protocol);
	g_free(c->chr_access);
	g_free(c->chr_pair);
	g_free(c->message);
	g_free(c->dbus_error);
	g_free(c->dbus_message);
}

int main(int argc, char **argv)
{
	g_autoptr(GError) err = NULL;
	RbCtlArgs args = {0};
	Ctl c = {0};
	guint sigint, sigterm;
	int rc;

	if (!rb_ctl_args_parse(&args, argc, argv, &err)) {
		fprintf(stderr,
			"reaction-boxctl: %s\n"
			"Try 'reaction-boxctl --help'.\n",
			err->message);
		return RB_CTL_EXIT_USAGE;
	}
	if (args.help) {
		fputs(usage_text, stdout);
		rb_ctl_args_clear(&args);
		return RB_CTL_EXIT_OK;
	}
	if (args.version) {
		puts("reaction-boxctl " PACKAGE_VERSION);
		rb_ctl_args_clear(&args);
		return RB_CTL_EXIT_OK;
	}

	c.args = &args;
	c.tty_fd = -1;
	c.devs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, dev_free);
	g_queue_init(&c.msgs);
	rb_reassembler_init(&c.reasm);
	rb_reassembler_init(&c.reasm_access);
	sigint = g_unix_signal_add(SIGINT, on_signal, &c);
	sigterm = g_unix_signal_add(SIGTERM, on_signal, &c);

	if (!run(&c) && c.exit_code == RB_CTL_EXIT_OK)
		fail(&c, RB_CTL_EXIT_DBUS, "failed");
	emit_result(&c);
	rc = (int)c.exit_code;

	teardown(&c);
	g_source_remove(sigint);
	g_source_remove(sigterm);
	rb_ctl_args_clear(&args);
	return rc;
}
