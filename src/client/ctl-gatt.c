// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * reaction-boxctl's GATT side: the box's characteristics, reads, writes,
 * notifications and their reassembly into messages.
 */
#define G_LOG_DOMAIN "reaction-boxctl"

#include "config.h"

#include <string.h>

#include "client/ctl.h"
#include "gatt-uuids.h"

void ctl_msg_free(gpointer p)
{
	Msg *m = p;

	g_free(m->error);
	g_free(m);
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

	objs = ctl_get_objects(c, &err);
	if (!objs)
		return ctl_fail_gerror(c, RB_CTL_OP_GENERIC,
				       "listing the box's services", err);
	g_variant_get(objs, "(a{oa{sa{sv}}})", &it);
	while (!svc &&
	       g_variant_iter_next(it, "{&o@a{sa{sv}}}", &path, &ifaces)) {
		g_autoptr(GVariant) p = g_variant_lookup_value(
			ifaces, IFACE_SERVICE, G_VARIANT_TYPE_VARDICT);
		const char *uuid = NULL;

		if (p && ctl_under(path, c->dev_path) &&
		    g_variant_lookup(p, "UUID", "&s", &uuid) &&
		    g_ascii_strcasecmp(uuid, RB_UUID_SERVICE) == 0)
			svc = g_strdup(path);
		g_variant_unref(ifaces);
	}
	if (!svc)
		return ctl_fail(c, RB_CTL_EXIT_NO_BOX,
				"%s (%s) has no reaction-boxd service %s",
				ctl_dev_label(c->dev), c->dev->address,
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
		} else if (g_ascii_strcasecmp(uuid, RB_UUID_APP_STATE) == 0) {
			c->chr_app_state = g_strdup(path); /* optional */
		}
	}
	if (!c->chr_protocol || !c->chr_access || !c->chr_pair)
		return ctl_fail(c, RB_CTL_EXIT_NO_BOX,
				"the box's service %s lacks a characteristic "
				"(protocol %s, access %s, pair %s)",
				svc, c->chr_protocol ? "ok" : "missing",
				c->chr_access ? "ok" : "missing",
				c->chr_pair ? "ok" : "missing");
	if (c->mtu < RB_FRAME_MIN_PAYLOAD + 3)
		c->mtu = RB_FRAME_MIN_PAYLOAD + 3;
	g_debug("protocol %s access %s pair %s app_state %s mtu %u",
		c->chr_protocol, c->chr_access, c->chr_pair,
		c->chr_app_state ? c->chr_app_state : "(none)", c->mtu);
	return true;
}

bool ctl_ready(Ctl *c)
{
	return ctl_find_box(c, true) && ctl_connect_box(c, true) &&
	       resolve_chars(c);
}

/* ---- GATT -------------------------------------------------------------- */

const char *ctl_char_name(Ctl *c, const char *path)
{
	if (g_strcmp0(path, c->chr_protocol) == 0)
		return "protocol";
	if (g_strcmp0(path, c->chr_access) == 0)
		return "access";
	if (g_strcmp0(path, c->chr_pair) == 0)
		return "pair";
	if (g_strcmp0(path, c->chr_app_state) == 0)
		return "app_state";
	return path;
}

GBytes *ctl_read_char(Ctl *c, const char *chr)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) ret = NULL;
	g_autoptr(GVariant) bytes = NULL;
	g_autofree char *what = NULL;
	GVariantBuilder b;
	gsize n = 0;
	const void *p;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	ret = ctl_call(c, chr, IFACE_CHAR, "ReadValue",
		       g_variant_new("(a{sv})", &b), G_VARIANT_TYPE("(ay)"),
		       &err);
	if (!ret) {
		what = g_strdup_printf("read of %s", ctl_char_name(c, chr));
		ctl_fail_gerror(c, RB_CTL_OP_GATT, what, err);
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
	ret = ctl_call(c, chr, IFACE_CHAR, "WriteValue",
		       g_variant_new("(@aya{sv})",
				     g_variant_new_fixed_array(
					     G_VARIANT_TYPE_BYTE, data, len, 1),
				     &b),
		       NULL, &err);
	if (!ret) {
		what = g_strdup_printf("write of %s", ctl_char_name(c, chr));
		return ctl_fail_gerror(c, RB_CTL_OP_GATT, what, err);
	}
	return true;
}

bool ctl_start_notify(Ctl *c, const char *chr)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) ret = NULL;
	g_autofree char *what = NULL;

	ret = ctl_call(c, chr, IFACE_CHAR, "StartNotify", NULL, NULL, &err);
	if (!ret) {
		what = g_strdup_printf("subscribing to %s",
				       ctl_char_name(c, chr));
		return ctl_fail_gerror(c, RB_CTL_OP_GATT, what, err);
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

void ctl_on_value(Ctl *c, const char *path, GVariant *value)
{
	gsize n = 0;
	const uint8_t *p = g_variant_get_fixed_array(value, &n, 1);

	if (g_strcmp0(path, c->chr_access) == 0)
		feed(c, &c->reasm_access, "access", p, n);
	else if (g_strcmp0(path, c->chr_protocol) == 0)
		feed(c, &c->reasm, "protocol", p, n);
	else if (g_strcmp0(path, c->chr_app_state) == 0)
		feed(c, &c->reasm_app_state, "app_state", p, n);
}

bool ctl_have_msg(Ctl *c, gpointer data)
{
	return c->lost || !g_queue_is_empty(&c->msgs);
}

/* Waits for the next message; NULL on timeout (recorded), interruption
 * or disconnection. The caller frees the Msg. */
Msg *ctl_next_msg(Ctl *c, gint64 deadline, const char *what)
{
	if (!ctl_wait_until(c, ctl_have_msg, NULL, deadline)) {
		if (c->interrupted)
			ctl_fail(c, RB_CTL_EXIT_INTERRUPTED, "interrupted");
		else
			ctl_fail(c, RB_CTL_EXIT_TIMEOUT,
				 "no %s from the box within %u s", what,
				 c->args->timeout_s);
		return NULL;
	}
	if (g_queue_is_empty(&c->msgs)) {
		ctl_fail(c, RB_CTL_EXIT_NO_BOX, "the box disconnected");
		return NULL;
	}
	return g_queue_pop_head(&c->msgs);
}

/* Frames (unless @raw) and writes @msg to protocol. */
bool ctl_send_protocol(Ctl *c, const uint8_t *msg, gsize len, bool raw)
{
	g_autoptr(GPtrArray) frags = NULL;
	g_autoptr(GError) err = NULL;

	if (raw)
		return write_char(c, c->chr_protocol, msg, len);
	frags = rb_frame_split(msg, len, (gsize)c->mtu - 3, &err);
	if (!frags)
		return ctl_fail(c, RB_CTL_EXIT_USAGE,
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
