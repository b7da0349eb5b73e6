// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rb-bench-phone: the phone side of the performance harness
 * (docs/PERFORMANCE.md). It drives one peripheral through BlueZ as a phone
 * would, with little overhead of its own: one thread, one GLib main loop,
 * async D-Bus calls, nothing printed per write, one JSON object on stdout
 * at the end. --help for the modes; exit 0 done, 1 usage, 2 box not found
 * or connection failed, 3 timeout (or interrupted before the end).
 */
#define G_LOG_DOMAIN "rb-bench-phone"

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gio/gio.h>
#include <glib-unix.h>

#include "core/codec.h"
#include "core/framing.h"
#include "gatt-uuids.h"

#define BLUEZ "org.bluez"
#define IFACE_ADAPTER "org.bluez.Adapter1"
#define IFACE_DEVICE "org.bluez.Device1"
#define IFACE_CHAR "org.bluez.GattCharacteristic1"
#define IFACE_PROPS "org.freedesktop.DBus.Properties"
#define IFACE_OM "org.freedesktop.DBus.ObjectManager"

#define EXIT_DONE 0
#define EXIT_USAGE 1
#define EXIT_NO_BOX 2
#define EXIT_TIMEOUT 3

#define SETUP_TIMEOUT_S 30 /* discovery; services resolved */
#define DISCOVERY_ROUND_S 3 /* btvirt reports advertisers at scan start */
#define CALL_TIMEOUT_MS 30000
/* --framed writes: a message spans this many fragments of --size bytes. */
#define FRAGMENTS_PER_MESSAGE 40
/* The padding: protobuf field 99, length-delimited, unknown to the box. */
#define PAD_TAG ((99u << 3) | 2u)
#define ATT_ERROR "ATT error: "

typedef enum {
	MODE_WRITES = 0,
	MODE_NOTIFY,
	MODE_CONNECT,
} Mode;

typedef struct {
	/* options */
	char *adapter, *box, *uuid, *latency_file;
	int count, size, timeout_s;
	gboolean framed, stop_on_error, hold, disconnect;
	Mode mode;

	GDBusConnection *bus;
	GMainLoop *loop;
	char *adapter_path, *dev_path, *chr_path;
	guint16 mtu;
	bool connected, resolved, lost, interrupted, timed_out;

	/* latencies in ns, one per write or notification */
	guint64 *lat;
	unsigned int n_lat;

	/* writes */
	GVariant *write_opts; /* {"type": "request"} */
	uint8_t *raw;
	GPtrArray *frags; /* of GBytes: the current framed message */
	unsigned int next_frag;
	guint32 next_id;
	unsigned int sent, ok, errors;
	GHashTable *codes; /* error name or ATT code -> count */
	guint64 t_first, t_call, t_last;

	/* notify */
	RbReassembler reasm;
} Bench;

G_GNUC_PRINTF(2, 3)
static int fail(int code, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_printerr("rb-bench-phone: %s\n", msg);
	return code;
}

static guint64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (guint64)ts.tv_sec * G_GUINT64_CONSTANT(1000000000) +
	       (guint64)ts.tv_nsec;
}

/* ---- pure helpers ------------------------------------------------------ */

static int cmp_u64(const void *a, const void *b)
{
	guint64 x = *(const guint64 *)a, y = *(const guint64 *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile @p (1..100) of @sorted (@n > 0, ascending). */
static guint64 percentile(const guint64 *sorted, unsigned int n, unsigned int p)
{
	guint64 rank = ((guint64)n * p + 99) / 100;

	return sorted[rank ? rank - 1 : 0];
}

/* "lat_us":{min,p50,p99,max} of @lat (sorted in place); null if empty. */
static void json_latencies(GString *out, guint64 *lat, unsigned int n)
{
	if (n == 0) {
		g_string_append(out, "\"lat_us\":{\"min\":null,\"p50\":null,"
				     "\"p99\":null,\"max\":null}");
		return;
	}
	qsort(lat, n, sizeof(*lat), cmp_u64);
	g_string_append_printf(
		out,
		"\"lat_us\":{\"min\":%.3f,\"p50\":%.3f,\"p99\":%.3f,"
		"\"max\":%.3f}",
		lat[0] / 1e3, percentile(lat, n, 50) / 1e3,
		percentile(lat, n, 99) / 1e3, lat[n - 1] / 1e3);
}

/* {"key":count,...} in key order. The keys need no escaping: D-Bus error
 * names, ATT codes, GQuark names. */
static void json_counts(GString *out, GHashTable *counts)
{
	g_autoptr(GList) keys = g_hash_table_get_keys(counts);
	const char *sep = "";

	keys = g_list_sort(keys, (GCompareFunc)strcmp);
	g_string_append_c(out, '{');
	for (GList *k = keys; k; k = k->next) {
		g_string_append_printf(
			out, "%s\"%s\":%u", sep, (const char *)k->data,
			GPOINTER_TO_UINT(g_hash_table_lookup(counts, k->data)));
		sep = ",";
	}
	g_string_append_c(out, '}');
}

/* What a failed call is counted as: the ATT code BlueZ reports
 * ("Operation failed with ATT error: 0x80" -> "0x80"), else the D-Bus
 * error name, else the GError's domain and code. */
static char *error_key(const GError *err)
{
	const char *att = strstr(err->message, ATT_ERROR "0x");
	char *name;

	if (att)
		return g_strdup_printf(
			"0x%02lx", strtoul(att + strlen(ATT_ERROR), NULL, 16));
	name = g_dbus_error_get_remote_error(err);
	if (name)
		return name;
	return g_strdup_printf("%s:%d", g_quark_to_string(err->domain),
			       err->code);
}

/* The --framed message length: FRAGMENTS_PER_MESSAGE fragments of exactly
 * @size bytes (the first carries 3 header bytes, the others 1), at most
 * RB_FRAME_MAX_MESSAGE. */
static gsize framed_message_len(gsize size)
{
	return MIN((size - 3) + (FRAGMENTS_PER_MESSAGE - 1) * (size - 1),
		   (gsize)RB_FRAME_MAX_MESSAGE);
}

/* A ConfigMessage OP_GET request of exactly @total bytes: the encoded
 * request, then field 99 (a two-byte tag, a two-byte length, zeros), which
 * the box skips as unknown. NULL if @total does not allow a two-byte
 * length (128..16383). The caller frees it. */
static uint8_t *padded_get(guint32 request_id, gsize total)
{
	RbRequest req = {.kind = RB_REQUEST_CONFIG_GET,
			 .request_id = request_id};
	g_autofree uint8_t *head = NULL;
	uint8_t *msg, *p;
	gsize n = 0, pad;

	head = rb_codec_encode_request(&req, &n);
	if (!head || total < n + 4 + 128 || total - n - 4 >= 16384)
		return NULL;
	pad = total - n - 4;
	msg = g_malloc0(total);
	memcpy(msg, head, n);
	p = msg + n;
	*p++ = (PAD_TAG & 0x7f) | 0x80;
	*p++ = PAD_TAG >> 7;
	*p++ = (pad & 0x7f) | 0x80;
	*p++ = pad >> 7;
	return msg;
}

/* A timestamp in ASCII decimal (an optional trailing NUL or newline). */
static bool parse_stamp(const uint8_t *p, gsize n, guint64 *out)
{
	guint64 v = 0;
	gsize i;

	while (n > 0 && (p[n - 1] == '\0' || p[n - 1] == '\n'))
		n--;
	if (n == 0 || n > 20)
		return false;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9' ||
		    v > (G_MAXUINT64 - (p[i] - '0')) / 10)
			return false;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return true;
}

/* ---- waiting and calling ----------------------------------------------- */

typedef bool (*CondFn)(Bench *b);

static gboolean wake(gpointer data)
{
	return G_SOURCE_CONTINUE;
}

/* Iterates the main context until @cond holds (true), or until @deadline
 * (monotonic us) or a signal (false). */
static bool wait_until(Bench *b, CondFn cond, gint64 deadline)
{
	while (!cond(b)) {
		gint64 now = g_get_monotonic_time();
		guint id;

		if (b->interrupted || now >= deadline)
			return false;
		id = g_timeout_add((guint)((deadline - now) / 1000 + 1), wake,
				   NULL);
		g_main_context_iteration(NULL, TRUE);
		g_source_remove(id);
	}
	return true;
}

typedef struct {
	bool done;
	GVariant *ret;
	GError *error;
} Call;

static void call_done(GObject *src, GAsyncResult *res, gpointer data)
{
	Call *c = data;

	c->ret = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res,
					       &c->error);
	c->done = true;
}

/* An async call on BlueZ, waited for in the main context (which keeps
 * dispatching signals). The reply goes to @reply if not NULL. */
static bool call(Bench *b, const char *path, const char *iface,
		 const char *method, GVariant *params, GVariant **reply,
		 GError **error)
{
	Call c = {0};

	g_dbus_connection_call(b->bus, BLUEZ, path, iface, method, params, NULL,
			       G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL,
			       call_done, &c);
	while (!c.done)
		g_main_context_iteration(NULL, TRUE);
	if (c.error)
		g_propagate_error(error, c.error);
	if (reply)
		*reply = c.ret;
	else if (c.ret)
		g_variant_unref(c.ret);
	return c.ret != NULL;
}

static bool under(const char *path, const char *parent)
{
	size_t n = strlen(parent);

	return strncmp(path, parent, n) == 0 && path[n] == '/';
}

/* ---- finding and connecting ---------------------------------------------- */

static void dev_props(Bench *b, GVariant *props)
{
	gboolean v;

	if (g_variant_lookup(props, "Connected", "b", &v)) {
		b->connected = v;
		if (!v)
			b->lost = true;
	}
	if (g_variant_lookup(props, "ServicesResolved", "b", &v))
		b->resolved = v;
}

/* A device object of @ifaces (a{sa{sv}}) at @path: the box? */
static void consider(Bench *b, const char *path, GVariant *ifaces)
{
	g_autoptr(GVariant) props = NULL;
	const char *addr = NULL;

	if (b->dev_path || !under(path, b->adapter_path))
		return;
	props = g_variant_lookup_value(ifaces, IFACE_DEVICE,
				       G_VARIANT_TYPE_VARDICT);
	if (!props || !g_variant_lookup(props, "Address", "&s", &addr) ||
	    g_ascii_strcasecmp(addr, b->box) != 0)
		return;
	b->dev_path = g_strdup(path);
	dev_props(b, props);
	b->lost = false;
}

static void on_added(GDBusConnection *bus, const char *sender, const char *path,
		     const char *iface, const char *signal, GVariant *params,
		     gpointer data)
{
	const char *obj;
	g_autoptr(GVariant) ifaces = NULL;

	if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(oa{sa{sv}})")))
		return;
	g_variant_get(params, "(&o@a{sa{sv}})", &obj, &ifaces);
	consider(data, obj, ifaces);
}

static void on_dev_changed(GDBusConnection *bus, const char *sender,
			   const char *path, const char *iface,
			   const char *signal, GVariant *params, gpointer data)
{
	Bench *b = data;
	g_autoptr(GVariant) changed = NULL;

	if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(sa{sv}as)")))
		return;
	g_variant_get_child(params, 1, "@a{sv}", &changed);
	dev_props(b, changed);
	/* writes go on and count the errors; the others stop */
	if (b->lost && b->mode != MODE_WRITES)
		g_main_loop_quit(b->loop);
}

static bool have_dev(Bench *b)
{
	return b->dev_path != NULL;
}

static bool resolved_or_lost(Bench *b)
{
	return b->lost || (b->connected && b->resolved);
}

/* Looks for the adapter and the box among BlueZ's objects; with @chr,
 * for the characteristic of the box too. */
static int scan_objects(Bench *b, bool chr)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) objs = NULL;
	g_autoptr(GVariantIter) it = NULL;
	bool adapter = false;
	const char *path;
	GVariant *ifaces;

	if (!call(b, "/", IFACE_OM, "GetManagedObjects", NULL, &objs, &err))
		return fail(EXIT_NO_BOX, "listing BlueZ's objects: %s",
			    err->message);
	if (!g_variant_is_of_type(objs, G_VARIANT_TYPE("(a{oa{sa{sv}}})")))
		return fail(EXIT_NO_BOX, "GetManagedObjects: a bad reply");
	g_variant_get(objs, "(a{oa{sa{sv}}})", &it);
	while (g_variant_iter_next(it, "{&o@a{sa{sv}}}", &path, &ifaces)) {
		g_autoptr(GVariant) p = g_variant_lookup_value(
			ifaces, IFACE_CHAR, G_VARIANT_TYPE_VARDICT);
		const char *uuid = NULL;

		if (strcmp(path, b->adapter_path) == 0)
			adapter = true;
		consider(b, path, ifaces);
		if (chr && p && !b->chr_path && under(path, b->dev_path) &&
		    g_variant_lookup(p, "UUID", "&s", &uuid) &&
		    g_ascii_strcasecmp(uuid, b->uuid) == 0) {
			b->chr_path = g_strdup(path);
			g_variant_lookup(p, "MTU", "q", &b->mtu);
		}
		g_variant_unref(ifaces);
	}
	if (!adapter)
		return fail(EXIT_NO_BOX, "no adapter %s", b->adapter);
	if (chr && !b->chr_path)
		return fail(EXIT_NO_BOX, "%s has no characteristic %s", b->box,
			    b->uuid);
	return EXIT_DONE;
}

static int discover(Bench *b)
{
	g_autoptr(GError) err = NULL;
	gint64 end = g_get_monotonic_time() + SETUP_TIMEOUT_S * G_USEC_PER_SEC;
	GVariantBuilder f;

	g_variant_builder_init(&f, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&f, "{sv}", "Transport",
			      g_variant_new_string("le"));
	if (!call(b, b->adapter_path, IFACE_ADAPTER, "SetDiscoveryFilter",
		  g_variant_new("(a{sv})", &f), NULL, &err))
		return fail(EXIT_NO_BOX, "SetDiscoveryFilter on %s: %s",
			    b->adapter, err->message);
	/* Restarted every few seconds: a report that races the start of
	 * discovery is lost, and btvirt reports only when scanning starts. */
	while (!b->dev_path && !b->interrupted &&
	       g_get_monotonic_time() < end) {
		g_clear_error(&err);
		if (!call(b, b->adapter_path, IFACE_ADAPTER, "StartDiscovery",
			  NULL, NULL, &err)) {
			g_autofree char *name = g_dbus_error_get_remote_error(
				err);

			if (g_strcmp0(name, "org.bluez.Error.InProgress") != 0)
				return fail(EXIT_NO_BOX,
					    "StartDiscovery on %s: %s",
					    b->adapter, err->message);
		}
		wait_until(
			b, have_dev,
			MIN(end, g_get_monotonic_time() +
					 DISCOVERY_ROUND_S * G_USEC_PER_SEC));
		call(b, b->adapter_path, IFACE_ADAPTER, "StopDiscovery", NULL,
		     NULL, NULL);
	}
	if (!b->dev_path)
		return fail(EXIT_NO_BOX, "no device %s found on %s in %d s",
			    b->box, b->adapter, SETUP_TIMEOUT_S);
	return EXIT_DONE;
}

/* Finds the box, connects, waits for its services and finds the
 * characteristic. */
static int setup(Bench *b)
{
	g_autoptr(GError) err = NULL;
	int rc;

	b->adapter_path = g_strconcat("/org/bluez/", b->adapter, NULL);
	g_dbus_connection_signal_subscribe(
		b->bus, BLUEZ, IFACE_OM, "InterfacesAdded", "/", NULL,
		G_DBUS_SIGNAL_FLAGS_NONE, on_added, b, NULL);
	rc = scan_objects(b, false);
	if (rc == EXIT_DONE && !b->dev_path)
		rc = discover(b);
	if (rc != EXIT_DONE)
		return rc;
	g_dbus_connection_signal_subscribe(
		b->bus, BLUEZ, IFACE_PROPS, "PropertiesChanged", b->dev_path,
		IFACE_DEVICE, G_DBUS_SIGNAL_FLAGS_NONE, on_dev_changed, b,
		NULL);
	if (!b->connected &&
	    !call(b, b->dev_path, IFACE_DEVICE, "Connect", NULL, NULL, &err))
		return fail(EXIT_NO_BOX, "connecting to %s: %s", b->box,
			    err->message);
	b->connected = true;
	b->lost = false;
	if (!wait_until(b, resolved_or_lost,
			g_get_monotonic_time() +
				SETUP_TIMEOUT_S * G_USEC_PER_SEC))
		return fail(EXIT_TIMEOUT, "%s: services not resolved in %d s",
			    b->box, SETUP_TIMEOUT_S);
	if (b->lost)
		return fail(EXIT_NO_BOX, "%s disconnected", b->box);
	return scan_objects(b, true);
}

/* ---- writes ------------------------------------------------------------ */

static void write_next(Bench *b);

/* The next write's bytes: the same arbitrary ones, or the next fragment
 * of a stream of padded GET requests. */
static GVariant *next_value(Bench *b)
{
	g_autoptr(GError) err = NULL;
	g_autofree uint8_t *msg = NULL;
	gsize len = framed_message_len((gsize)b->size);

	if (!b->framed)
		return g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, b->raw,
						 (gsize)b->size, 1);
	if (!b->frags || b->next_frag == b->frags->len) {
		g_clear_pointer(&b->frags, g_ptr_array_unref);
		msg = padded_get(++b->next_id, len);
		if (msg)
			b->frags = rb_frame_split(msg, len, (gsize)b->size,
						  &err);
		if (!b->frags)
			g_error("cannot build a %" G_GSIZE_FORMAT
				"-byte message: %s",
				len, err ? err->message : "no room to pad");
		b->next_frag = 0;
	}
	return g_variant_new_from_bytes(G_VARIANT_TYPE_BYTESTRING,
					b->frags->pdata[b->next_frag++], TRUE);
}

static void write_done(GObject *src, GAsyncResult *res, gpointer data)
{
	guint64 t = now_ns();
	Bench *b = data;
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) ret = NULL;
	char *key;

	ret = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, &err);
	b->lat[b->n_lat++] = t - b->t_call;
	b->t_last = t;
	if (ret) {
		b->ok++;
	} else {
		b->errors++;
		key = error_key(err);
		g_hash_table_replace(
			b->codes, key,
			GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(
						 b->codes, key)) +
					 1));
		/* The box dropped the message in progress: start anew. */
		if (b->frags)
			b->next_frag = b->frags->len;
	}
	write_next(b);
}

static void write_next(Bench *b)
{
	GVariant *args[2];

	if (b->sent == (unsigned int)b->count || b->interrupted ||
	    (b->stop_on_error && b->errors)) {
		g_main_loop_quit(b->loop);
		return;
	}
	args[0] = next_value(b);
	args[1] = b->write_opts;
	b->sent++;
	b->t_call = now_ns();
	if (!b->t_first)
		b->t_first = b->t_call;
	g_dbus_connection_call(b->bus, BLUEZ, b->chr_path, IFACE_CHAR,
			       "WriteValue", g_variant_new_tuple(args, 2), NULL,
			       G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL,
			       write_done, b);
}

static int save_latencies(Bench *b, FILE *f)
{
	for (unsigned int i = 0; i < b->n_lat; i++)
		fprintf(f, "%" G_GUINT64_FORMAT "\n", b->lat[i]);
	if (ferror(f) | fclose(f))
		return fail(EXIT_USAGE, "writing %s failed", b->latency_file);
	return EXIT_DONE;
}

static int run_writes(Bench *b)
{
	g_autoptr(GString) out = g_string_new(NULL);
	FILE *f = NULL;
	double secs;
	int rc = EXIT_DONE;

	if (b->latency_file && !(f = fopen(b->latency_file, "w")))
		return fail(EXIT_USAGE, "cannot open %s: %s", b->latency_file,
			    g_strerror(errno));
	if (b->mtu && b->size > b->mtu - 3)
		g_printerr("rb-bench-phone: warning: %d-byte writes exceed "
			   "the ATT payload of %u (MTU %u)\n",
			   b->size, b->mtu - 3, b->mtu);
	b->codes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	b->write_opts = g_variant_ref_sink(
		g_variant_new_parsed("@a{sv} {'type': <'request'>}"));
	b->raw = g_malloc((gsize)b->size);
	for (int i = 0; i < b->size; i++)
		b->raw[i] = (uint8_t)i;

	write_next(b);
	g_main_loop_run(b->loop);

	secs = (b->t_last - b->t_first) / 1e9;
	g_string_append_printf(out,
			       "{\"mode\":\"writes\",\"count\":%d,\"ok\":%u,"
			       "\"errors\":%u,\"error_codes\":",
			       b->count, b->ok, b->errors);
	json_counts(out, b->codes);
	g_string_append_printf(out, ",\"seconds\":%.6f,\"writes_per_s\":%.1f,",
			       secs, secs > 0 ? b->n_lat / secs : 0.0);
	if (f) /* in the order written, before the sort */
		rc = save_latencies(b, f);
	json_latencies(out, b->lat, b->n_lat);
	printf("%s}\n", out->str);
	if (rc == EXIT_DONE && b->interrupted)
		rc = EXIT_TIMEOUT;
	return rc;
}

/* ---- notify ------------------------------------------------------------ */

/* The embedded stamp of a notification, raw or framed. */
static bool notified_stamp(Bench *b, const uint8_t *p, gsize n, guint64 *stamp)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GBytes) msg = NULL;
	RbTime ms = (RbTime)(g_get_monotonic_time() / 1000);
	RbFrameResult res;
	RbReply reply;

	if (!b->framed)
		return parse_stamp(p, n, stamp);
	res = rb_reassembler_feed(&b->reasm, p, n, ms, &msg, &err);
	if (res == RB_FRAME_ERROR && n > 0 && (p[0] & RB_FRAME_HEADER_FIRST)) {
		/* the rest of the previous message was lost: start over */
		g_clear_error(&err);
		res = rb_reassembler_feed(&b->reasm, p, n, ms, &msg, &err);
	}
	if (res != RB_FRAME_COMPLETE)
		return false;
	if (!rb_codec_decode_reply(g_bytes_get_data(msg, NULL),
				   g_bytes_get_size(msg), &reply, &err) ||
	    reply.kind != RB_REPLY_APPLICATION)
		return false;
	return parse_stamp(reply.app.body, reply.app.body_len, stamp);
}

static void on_value(GDBusConnection *bus, const char *sender, const char *path,
		     const char *iface, const char *signal, GVariant *params,
		     gpointer data)
{
	guint64 t = now_ns(), stamp = 0;
	Bench *b = data;
	g_autoptr(GVariant) changed = NULL;
	g_autoptr(GVariant) value = NULL;
	const uint8_t *p;
	gsize n = 0;

	if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(sa{sv}as)")))
		return;
	g_variant_get_child(params, 1, "@a{sv}", &changed);
	value = g_variant_lookup_value(changed, "Value",
				       G_VARIANT_TYPE_BYTESTRING);
	if (!value || b->n_lat == (unsigned int)b->count)
		return;
	p = g_variant_get_fixed_array(value, &n, 1);
	if (!notified_stamp(b, p, n, &stamp))
		return; /* a fragment, or another message */
	if (stamp > t)
		return; /* not stamped on this clock */
	b->lat[b->n_lat++] = t - stamp;
	if (b->n_lat == (unsigned int)b->count)
		g_main_loop_quit(b->loop);
}

static gboolean on_timeout(gpointer data)
{
	Bench *b = data;

	b->timed_out = true;
	g_main_loop_quit(b->loop);
	return G_SOURCE_REMOVE;
}

static int run_notify(Bench *b)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GString) out = g_string_new(NULL);
	guint timer;

	rb_reassembler_init(&b->reasm);
	g_dbus_connection_signal_subscribe(
		b->bus, BLUEZ, IFACE_PROPS, "PropertiesChanged", b->chr_path,
		IFACE_CHAR, G_DBUS_SIGNAL_FLAGS_NONE, on_value, b, NULL);
	if (!call(b, b->chr_path, IFACE_CHAR, "StartNotify", NULL, NULL, &err))
		return fail(EXIT_NO_BOX, "StartNotify on %s: %s", b->chr_path,
			    err->message);
	g_printerr("subscribed\n");
	timer = g_timeout_add_seconds((guint)b->timeout_s, on_timeout, b);
	if (b->n_lat < (unsigned int)b->count && !b->interrupted)
		g_main_loop_run(b->loop);
	if (!b->timed_out)
		g_source_remove(timer);
	call(b, b->chr_path, IFACE_CHAR, "StopNotify", NULL, NULL, NULL);
	rb_reassembler_clear(&b->reasm);

	g_string_append_printf(out, "{\"mode\":\"notify\",\"count\":%u,",
			       b->n_lat);
	json_latencies(out, b->lat, b->n_lat);
	printf("%s}\n", out->str);
	if (b->lost)
		return fail(EXIT_NO_BOX,
			    "%s disconnected after %u of %d "
			    "notifications",
			    b->box, b->n_lat, b->count);
	if (b->timed_out || b->interrupted)
		return fail(EXIT_TIMEOUT, "%u of %d notifications in %d s",
			    b->n_lat, b->count, b->timeout_s);
	return EXIT_DONE;
}

/* ---- main -------------------------------------------------------------- */

static gboolean on_signal(gpointer data)
{
	Bench *b = data;

	b->interrupted = true;
	/* writes: the write in flight ends the loop */
	if (b->mode != MODE_WRITES)
		g_main_loop_quit(b->loop);
	return G_SOURCE_CONTINUE;
}

static int parse_args(Bench *b, int argc, char **argv)
{
	GOptionEntry entries[] = {
		{"adapter", 0, 0, G_OPTION_ARG_STRING, &b->adapter,
		 "The phone's adapter", "hciN"},
		{"box", 0, 0, G_OPTION_ARG_STRING, &b->box,
		 "The peripheral's address", "ADDR"},
		{"uuid", 0, 0, G_OPTION_ARG_STRING, &b->uuid,
		 "The characteristic (default: protocol)", "UUID"},
		{"count", 0, 0, G_OPTION_ARG_INT, &b->count,
		 "Writes (default 2000) or notifications (100)", "N"},
		{"size", 0, 0, G_OPTION_ARG_INT, &b->size,
		 "Bytes per write (default 100)", "S"},
		{"framed", 0, 0, G_OPTION_ARG_NONE, &b->framed,
		 "Framed ReactionMessages (see below)", NULL},
		{"latency-file", 0, 0, G_OPTION_ARG_FILENAME, &b->latency_file,
		 "writes: each latency in ns, one a line", "FILE"},
		{"timeout", 0, 0, G_OPTION_ARG_INT, &b->timeout_s,
		 "notify: give up after S seconds (default 30)", "S"},
		{"stop-on-error", 0, 0, G_OPTION_ARG_NONE, &b->stop_on_error,
		 "writes: stop at the first error", NULL},
		{"hold", 0, 0, G_OPTION_ARG_NONE, &b->hold,
		 "connect: stay connected until SIGTERM", NULL},
		{"disconnect", 0, 0, G_OPTION_ARG_NONE, &b->disconnect,
		 "Device1.Disconnect at the end", NULL},
		G_OPTION_ENTRY_NULL,
	};
	g_autoptr(GOptionContext) ctx = NULL;
	g_autoptr(GError) err = NULL;

	ctx = g_option_context_new("writes|notify|connect");
	g_option_context_set_summary(ctx, "The phone side of the reaction-boxd "
					  "performance harness.");
	g_option_context_set_description(
		ctx,
		"writes: --count sequential writes with response of --size "
		"bytes; with\n  --framed, fragments of padded ConfigMessage "
		"GET "
		"requests, one message in\n  40 writes.\n"
		"notify: latency of notifications carrying the emitter's "
		"CLOCK_MONOTONIC ns\n  in ASCII, raw or (--framed) as an "
		"ApplicationMessage body.\n"
		"connect: connect, resolve the services; --hold until "
		"SIGTERM.\n"
		"Exit: 0 done, 1 usage, 2 box not found or connection failed, "
		"3 timeout.\n");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err))
		return fail(EXIT_USAGE, "%s", err->message);
	if (argc != 2)
		return fail(EXIT_USAGE, "one MODE expected (--help)");
	if (strcmp(argv[1], "writes") == 0)
		b->mode = MODE_WRITES;
	else if (strcmp(argv[1], "notify") == 0)
		b->mode = MODE_NOTIFY;
	else if (strcmp(argv[1], "connect") == 0)
		b->mode = MODE_CONNECT;
	else
		return fail(EXIT_USAGE, "unknown mode %s", argv[1]);
	if (!b->adapter || !b->box)
		return fail(EXIT_USAGE, "--adapter and --box are required");
	if (!b->uuid)
		b->uuid = g_strdup(RB_UUID_PROTOCOL);
	if (!b->count)
		b->count = b->mode == MODE_WRITES ? 2000 : 100;
	if (b->count < 0 || b->size < 1 || b->size > 512 || b->timeout_s < 1)
		return fail(EXIT_USAGE,
			    "--count, --timeout > 0; --size 1..512");
	if (b->framed && b->mode == MODE_WRITES &&
	    b->size < RB_FRAME_MIN_PAYLOAD)
		return fail(EXIT_USAGE, "--framed needs --size >= %d",
			    RB_FRAME_MIN_PAYLOAD);
	return EXIT_DONE;
}

int main(int argc, char **argv)
{
	g_autoptr(GError) err = NULL;
	Bench b = {.size = 100, .timeout_s = 30};
	int rc;

	rc = parse_args(&b, argc, argv);
	if (rc != EXIT_DONE)
		return rc;
	b.bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &err);
	if (!b.bus)
		return fail(EXIT_NO_BOX, "system bus: %s", err->message);
	g_dbus_connection_set_exit_on_close(b.bus, FALSE);
	b.loop = g_main_loop_new(NULL, FALSE);
	b.lat = g_new0(guint64, (gsize)b.count);
	g_unix_signal_add(SIGINT, on_signal, &b);
	g_unix_signal_add(SIGTERM, on_signal, &b);

	rc = setup(&b);
	if (rc == EXIT_DONE) {
		switch (b.mode) {
		case MODE_WRITES:
			rc = run_writes(&b);
			break;
		case MODE_NOTIFY:
			rc = run_notify(&b);
			break;
		case MODE_CONNECT:
			printf("{\"mode\":\"connect\",\"ok\":true}\n");
			fflush(stdout);
			if (b.hold && !b.interrupted && !b.lost)
				g_main_loop_run(b.loop);
			if (b.lost)
				rc = fail(EXIT_NO_BOX, "%s disconnected",
					  b.box);
			break;
		}
	}
	fflush(stdout);
	if (b.disconnect && b.dev_path &&
	    !call(&b, b.dev_path, IFACE_DEVICE, "Disconnect", NULL, NULL, &err))
		fail(rc, "Disconnect: %s", err->message);
	g_clear_pointer(&b.frags, g_ptr_array_unref);
	g_clear_pointer(&b.codes, g_hash_table_unref);
	g_clear_pointer(&b.write_opts, g_variant_unref);
	g_free(b.raw);
	g_free(b.lat);
	g_free(b.adapter_path);
	g_free(b.dev_path);
	g_free(b.chr_path);
	g_free(b.adapter);
	g_free(b.box);
	g_free(b.uuid);
	g_free(b.latency_file);
	g_main_loop_unref(b.loop);
	g_object_unref(b.bus);
	return rc;
}
