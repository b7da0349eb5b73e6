// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * reaction-boxctl's BLE commands but pair: scan, status, watch, config,
 * write, trigger-pairing, remove, disconnect.
 */
#define G_LOG_DOMAIN "reaction-boxctl"

#include "config.h"

#include <string.h>

#include "client/ctl.h"
#include "gatt-uuids.h"

/* ---- commands ---------------------------------------------------------- */

static void scan_print(Ctl *c, Dev *d)
{
	d->printed = true;
	if (c->args->json) {
		g_autoptr(GString) j = g_string_new("{\"type\":\"device\"");

		g_string_append(j, ",\"name\":");
		rb_ctl_json_append_string(j, ctl_dev_label(d));
		g_string_append(j, ",\"address\":");
		rb_ctl_json_append_string(j, d->address);
		g_string_append(j, ",\"address_type\":");
		rb_ctl_json_append_string(j, d->address_type);
		if (d->has_rssi)
			g_string_append_printf(j, ",\"rssi\":%d", d->rssi);
		g_string_append_printf(j, ",\"paired\":%s,\"connected\":%s}",
				       d->paired ? "true" : "false",
				       d->connected ? "true" : "false");
		ctl_print_line(j->str);
	} else {
		g_autofree char *line = NULL;
		g_autofree char *rssi = d->has_rssi
						? g_strdup_printf("  %d dBm",
								  d->rssi)
						: g_strdup("");

		line = g_strdup_printf("%-16s %s%s%s%s", ctl_dev_label(d),
				       d->address ? d->address : "?", rssi,
				       d->paired ? "  paired" : "",
				       d->connected ? "  connected" : "");
		ctl_print_line(line);
	}
}

void ctl_scan_check(Ctl *c, Dev *d)
{
	if (c->args->cmd != RB_CTL_CMD_SCAN || !c->discovering || d->printed)
		return;
	if ((d->has_rssi || d->connected) && ctl_dev_matches(c, d))
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
	g_autoptr(GVariant) objs = ctl_get_objects(c, &err);
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

		if (props && ctl_under(path, c->adapter_path))
			ctl_scan_check(c, ctl_dev_add(c, path, props));
		g_variant_unref(ifaces);
	}
}

static bool never(Ctl *c, gpointer data)
{
	return false;
}

bool ctl_cmd_scan(Ctl *c)
{
	GHashTableIter it;
	gpointer v;
	unsigned int n = 0;

	/* Only what is seen now: forget stale RSSIs of cached devices. */
	g_hash_table_iter_init(&it, c->devs);
	while (g_hash_table_iter_next(&it, NULL, &v))
		((Dev *)v)->has_rssi = false;
	if (!ctl_start_discovery(c))
		return false;
	g_hash_table_iter_init(&it, c->devs);
	while (g_hash_table_iter_next(&it, NULL, &v))
		ctl_scan_check(c, v);
	{
		gint64 end = ctl_deadline_after(c->args->duration_s);

		/* Restarted every few seconds, as in ctl_find_box(). */
		for (;;) {
			ctl_wait_until(c, never, NULL,
				       MIN(end, ctl_deadline_after(
							DISCOVERY_ROUND_S)));
			if (c->interrupted || g_get_monotonic_time() >= end)
				break;
			ctl_stop_discovery(c);
			if (!ctl_start_discovery(c))
				return false;
		}
	}
	if (!c->interrupted)
		scan_recheck(c);
	ctl_stop_discovery(c);
	if (c->interrupted)
		return ctl_fail(c, RB_CTL_EXIT_INTERRUPTED, "interrupted");
	g_hash_table_iter_init(&it, c->devs);
	while (g_hash_table_iter_next(&it, NULL, &v))
		n += ((Dev *)v)->printed;
	if (n == 0)
		return ctl_fail(
			c, RB_CTL_EXIT_NO_BOX, "no box %s found on %s in %u s",
			c->args->box ? c->args->box : RB_NAME_PREFIX "*",
			c->adapter_name, c->args->duration_s);
	return true;
}

static bool print_read(Ctl *c, const char *chr)
{
	g_autoptr(GBytes) val = ctl_read_char(c, chr);
	Msg m = {0};
	g_autoptr(GError) err = NULL;

	if (!val)
		return false;
	m.source = ctl_char_name(c, chr);
	m.ok = rb_codec_decode_reply(g_bytes_get_data(val, NULL),
				     g_bytes_get_size(val), &m.reply, &err);
	if (!m.ok) {
		m.error = g_strdup_printf("%" G_GSIZE_FORMAT " bytes: %s",
					  g_bytes_get_size(val), err->message);
		ctl_emit_msg(c, &m);
		g_free(m.error);
		return ctl_fail(c, RB_CTL_EXIT_BOX_ERROR,
				"the box's %s value does not decode", m.source);
	}
	ctl_emit_msg(c, &m);
	if (m.reply.kind == RB_REPLY_ERROR)
		return ctl_fail(c, RB_CTL_EXIT_BOX_ERROR, "the box answered %s",
				rb_ctl_proto_error_name(m.reply.error_code));
	return true;
}

bool ctl_cmd_status(Ctl *c)
{
	if (!ctl_ready(c) || !print_read(c, c->chr_access))
		return false;
	return !c->chr_app_state || print_read(c, c->chr_app_state);
}

bool ctl_cmd_config_read(Ctl *c)
{
	return ctl_ready(c) && print_read(c, c->chr_protocol);
}

bool ctl_cmd_watch(Ctl *c)
{
	unsigned int seen = 0;
	gint64 deadline = 0;

	if (!ctl_ready(c) || !ctl_start_notify(c, c->chr_access) ||
	    !ctl_start_notify(c, c->chr_protocol) ||
	    (c->chr_app_state && !ctl_start_notify(c, c->chr_app_state)))
		return false;
	ctl_event(c, "subscribed", "watching %s (%s)%s", ctl_dev_label(c->dev),
		  c->dev->address,
		  c->chr_app_state ? ""
				   : "; it has no app_state characteristic");
	/* With --count, or an explicit --timeout, a script never hangs. */
	if (c->args->count || c->args->timeout_given)
		deadline = ctl_deadline_after(c->args->timeout_s);
	while (!c->args->count || seen < c->args->count) {
		Msg *m;

		if (!ctl_wait_until(c, ctl_have_msg, NULL, deadline))
			return ctl_watch_cut_short(c, seen, "messages");
		if (g_queue_is_empty(&c->msgs))
			return ctl_fail(
				c, RB_CTL_EXIT_NO_BOX,
				"the box disconnected after %u messages", seen);
		m = g_queue_pop_head(&c->msgs);
		ctl_emit_msg(c, m);
		ctl_msg_free(m);
		seen++;
	}
	return true;
}

/* Waits for the reply to @request_id on protocol and prints it. */
static bool await_reply(Ctl *c, uint32_t request_id)
{
	gint64 deadline = ctl_deadline_after(c->args->timeout_s);

	for (;;) {
		Msg *m = ctl_next_msg(c, deadline, "reply");
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
			ctl_msg_free(m);
			continue;
		}
		ctl_emit_msg(c, m);
		if (!m->ok) {
			ctl_fail(c, RB_CTL_EXIT_BOX_ERROR,
				 "undecodable reply: %s", m->error);
			ctl_msg_free(m);
			return false;
		}
		if (m->reply.kind == RB_REPLY_ERROR) {
			g_autofree char *field =
				m->reply.error_field[0]
					? g_strdup_printf(" (field %s)",
							  m->reply.error_field)
					: g_strdup("");

			ctl_fail(c, RB_CTL_EXIT_BOX_ERROR,
				 "the box refused the request: %s%s%s%s",
				 rb_ctl_proto_error_name(m->reply.error_code),
				 field, m->reply.error_message[0] ? ": " : "",
				 m->reply.error_message);
			ctl_msg_free(m);
			return false;
		}
		ctl_msg_free(m);
		return true;
	}
}

/* Sends @req (its request_id set here) on protocol, framed, and waits
 * for its reply unless --no-wait. */
static bool request(Ctl *c, RbRequest *req)
{
	g_autofree uint8_t *buf = NULL;
	gsize len = 0;

	req->request_id = (uint32_t)g_random_int_range(1, G_MAXINT32);
	buf = rb_codec_encode_request(req, &len);
	if (!buf)
		return ctl_fail(c, RB_CTL_EXIT_USAGE,
				"cannot encode the request");
	if (!ctl_ready(c))
		return false;
	if (!c->args->no_wait && !ctl_start_notify(c, c->chr_protocol))
		return false;
	if (!ctl_send_protocol(c, buf, len, false))
		return false;
	if (c->args->no_wait) {
		ctl_event(c, "sent",
			  "request %u sent (%" G_GSIZE_FORMAT " bytes)",
			  req->request_id, len);
		return true;
	}
	return await_reply(c, req->request_id);
}

bool ctl_cmd_config(Ctl *c, bool set)
{
	RbRequest req = {0};

	req.kind = set ? RB_REQUEST_CONFIG_SET : RB_REQUEST_CONFIG_GET;
	if (set)
		req.update = c->args->update;
	return request(c, &req);
}

bool ctl_cmd_send(Ctl *c)
{
	RbRequest req = {0};

	req.kind = RB_REQUEST_APPLICATION;
	req.app = c->args->app;
	return request(c, &req);
}

bool ctl_cmd_write(Ctl *c)
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
			return ctl_fail(c, RB_CTL_EXIT_USAGE, "%s",
					err->message);
		data = g_bytes_new_take(contents, n);
	}
	if (g_bytes_get_size(data) == 0 || g_bytes_get_size(data) > max)
		return ctl_fail(c, RB_CTL_EXIT_USAGE,
				"%" G_GSIZE_FORMAT
				" bytes to write: want 1..%" G_GSIZE_FORMAT,
				g_bytes_get_size(data), max);
	if (!ctl_ready(c))
		return false;
	if (!c->args->no_wait && !ctl_start_notify(c, c->chr_protocol))
		return false;
	if (!ctl_send_protocol(c, g_bytes_get_data(data, NULL),
			       g_bytes_get_size(data), c->args->raw))
		return false;
	ctl_event(c, "written", "wrote %" G_GSIZE_FORMAT " bytes%s",
		  g_bytes_get_size(data), c->args->raw ? " (raw)" : "");
	if (c->args->no_wait)
		return true;
	return await_reply(c, 0);
}

bool ctl_cmd_trigger_pairing(Ctl *c)
{
	g_autoptr(GBytes) val = NULL;
	g_autofree char *hex = NULL;

	if (!ctl_ready(c))
		return false;
	val = ctl_read_char(c, c->chr_pair);
	if (!val)
		return false;
	hex = rb_ctl_hex_string(g_bytes_get_data(val, NULL),
				g_bytes_get_size(val));
	ctl_event(c, "pair-read", "pair characteristic read: %s; %s is %s", hex,
		  ctl_dev_label(c->dev),
		  c->dev->paired ? "paired" : "not paired");
	return true;
}

bool ctl_cmd_remove(Ctl *c)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) ret = NULL;
	g_autofree char *label = NULL;

	if (!ctl_find_box(c, false))
		return false;
	label = g_strdup_printf("%s (%s)", ctl_dev_label(c->dev),
				c->dev->address);
	ret = ctl_call(c, c->adapter_path, IFACE_ADAPTER, "RemoveDevice",
		       g_variant_new("(o)", c->dev_path), NULL, &err);
	if (!ret)
		return ctl_fail_gerror(c, RB_CTL_OP_GENERIC, "removing the box",
				       err);
	ctl_event(c, "removed", "removed %s and its bond from %s", label,
		  c->adapter_name);
	return true;
}

static bool dev_disconnected(Ctl *c, gpointer data)
{
	return !c->dev || !c->dev->connected;
}

bool ctl_cmd_disconnect(Ctl *c)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) ret = NULL;

	if (!ctl_find_box(c, false))
		return false;
	if (!c->dev->connected) {
		ctl_event(c, "disconnected", "%s (%s) was not connected",
			  ctl_dev_label(c->dev), c->dev->address);
		return true;
	}
	ret = ctl_call(c, c->dev_path, IFACE_DEVICE, "Disconnect", NULL, NULL,
		       &err);
	if (!ret)
		return ctl_fail_gerror(c, RB_CTL_OP_GENERIC, "disconnecting",
				       err);
	ctl_wait_until(c, dev_disconnected, NULL,
		       ctl_deadline_after(c->args->timeout_s));
	ctl_event(c, "disconnected", "disconnected from %s (%s)",
		  c->dev ? ctl_dev_label(c->dev) : "the box",
		  c->dev ? c->dev->address : "");
	return true;
}
