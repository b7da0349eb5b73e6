// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * org.reactionbox.Box1: see api.h. Every call, the properties included
 * (GDBus hands Properties calls to method_call when get_property is
 * NULL), first asks the bus who the caller is, then asks
 * rb_api_authorize() whether it may, and only then is served.
 */
#define G_LOG_DOMAIN "reaction-boxd"

#include "config.h"

#include <grp.h>
#include <string.h>

#include "api/api.h"
#include "api/box1-xml.h"

#define ERROR_PREFIX "org.reactionbox.Error."
#define DBUS_ACCESS_DENIED "org.freedesktop.DBus.Error.AccessDenied"
#define PROPS_IFACE "org.freedesktop.DBus.Properties"

struct _RbApi {
	GDBusConnection *conn;
	RbApiCallbacks cb;
	void *user_data;
	bool has_gid;
	gid_t gid;
	GThread *group_lookup; /* until joined: the [API] Group's gid */
	GDBusNodeInfo *node;
	guint reg_id;
	guint own_id;
	bool name_lost_logged;
	GHashTable *props; /* name -> GVariant, as last announced */
	bool have_last; /* @last and @last_peers: the last snapshot */
	RbApiSnapshot last;
	GArray *last_peers; /* of RbPeerInfo */
	GCancellable *cancel; /* cancelled by rb_api_free() */

	/* The application */
	char *app_name; /* unique name */
	char *app_path;
	RbApiCaller app_caller; /* its uid and groups, at registration */
	guint app_watch;
	guint in_flight;
};

/* ---- properties ---- */

static const char *status_name(RbAccessStatus s)
{
	switch (s) {
	case RB_ACCESS_NO_CONNECTION:
		return "no-connection";
	case RB_ACCESS_READ_ONLY:
		return "read-only";
	case RB_ACCESS_WRITE_AUTHORIZED:
		return "write-authorized";
	case RB_ACCESS_PAIRING_MODE:
		return "pairing-mode";
	}
	return "unknown";
}

static const char *stale_name(RbStaleHint s)
{
	switch (s) {
	case RB_STALE_NONE:
		return "none";
	case RB_STALE_BOX_HAS_STALE_BOND:
		return "box-has-stale-bond";
	case RB_STALE_PHONE_HAS_STALE_BOND:
		return "phone-has-stale-bond";
	}
	return "unknown";
}

static const char *addr_type_name(RbAddrType t)
{
	return t == RB_ADDR_RANDOM ? "random" : "public";
}

/* Records @value (floating or not) under @name; adds it to @changed if it
 * differs from what was announced. */
static void set_prop(RbApi *api, GVariantBuilder *changed, const char *name,
		     GVariant *value)
{
	GVariant *old = g_hash_table_lookup(api->props, name);

	g_variant_ref_sink(value);
	if (old && g_variant_equal(old, value)) {
		g_variant_unref(value);
		return;
	}
	if (changed)
		g_variant_builder_add(changed, "{sv}", name, value);
	g_hash_table_replace(api->props, g_strdup(name), value);
}

static void emit_changed(RbApi *api, GVariantBuilder *changed)
{
	GVariant *dict = g_variant_builder_end(changed);
	g_autoptr(GError) error = NULL;

	if (g_variant_n_children(dict) == 0) {
		g_variant_unref(g_variant_ref_sink(dict));
		return;
	}
	if (!g_dbus_connection_emit_signal(
		    api->conn, NULL, RB_API_PATH, PROPS_IFACE,
		    "PropertiesChanged",
		    g_variant_new("(s@a{sv}as)", RB_API_IFACE, dict, NULL),
		    &error))
		g_debug("PropertiesChanged not sent: %s", error->message);
}

/* Whether @s is what was announced last: the daemon asks after every
 * batch of effects (twice per write), and building the properties is
 * what costs. */
static bool same_snapshot(RbApi *api, const RbApiSnapshot *s)
{
	const RbApiSnapshot *l = &api->last;
	guint n = s->peers ? s->peers->len : 0;

	if (!api->have_last || s->status != l->status ||
	    s->has_owner != l->has_owner ||
	    (s->has_owner && !rb_peer_equal(&s->owner, &l->owner)) ||
	    s->owner_since_wall_ms != l->owner_since_wall_ms ||
	    s->pairing != l->pairing ||
	    s->pairing_seconds_left != l->pairing_seconds_left ||
	    s->locked_out != l->locked_out ||
	    s->lockout_seconds_left != l->lockout_seconds_left ||
	    s->stale != l->stale || s->chord_held != l->chord_held ||
	    memcmp(s->config.value, l->config.value, sizeof(s->config.value)) !=
		    0 ||
	    n != api->last_peers->len)
		return false;
	for (guint i = 0; i < n; i++) {
		const RbPeerInfo *a = &g_array_index(s->peers, RbPeerInfo, i);
		const RbPeerInfo *b = &g_array_index(api->last_peers,
						     RbPeerInfo, i);

		if (!rb_peer_equal(&a->peer, &b->peer) ||
		    a->access != b->access)
			return false;
	}
	return true;
}

static void keep_snapshot(RbApi *api, const RbApiSnapshot *s)
{
	api->last = *s;
	api->last.peers = NULL;
	g_array_set_size(api->last_peers, 0);
	if (s->peers && s->peers->len)
		g_array_append_vals(api->last_peers, s->peers->data,
				    s->peers->len);
	api->have_last = true;
}

void rb_api_update(RbApi *api, const RbApiSnapshot *s)
{
	GVariantBuilder changed, cfg, peers;

	if (same_snapshot(api, s))
		return;
	keep_snapshot(api, s);

	g_variant_builder_init(&changed, G_VARIANT_TYPE("a{sv}"));
	set_prop(api, &changed, "AccessStatus",
		 g_variant_new_string(status_name(s->status)));
	set_prop(api, &changed, "Owner",
		 g_variant_new_string(s->has_owner ? s->owner.addr : ""));
	set_prop(api, &changed, "OwnerAddressType",
		 g_variant_new_string(
			 s->has_owner ? addr_type_name(s->owner.type) : ""));
	set_prop(api, &changed, "OwnerSince",
		 g_variant_new_uint64(
			 s->has_owner && s->owner_since_wall_ms > 0
				 ? (guint64)s->owner_since_wall_ms * 1000
				 : 0));
	set_prop(api, &changed, "PairingMode",
		 g_variant_new_boolean(s->pairing));
	set_prop(api, &changed, "PairingSecondsLeft",
		 g_variant_new_uint32(s->pairing_seconds_left));
	set_prop(api, &changed, "LockedOut",
		 g_variant_new_boolean(s->locked_out));
	set_prop(api, &changed, "LockoutSecondsLeft",
		 g_variant_new_uint32(s->lockout_seconds_left));
	set_prop(api, &changed, "StaleBond",
		 g_variant_new_string(stale_name(s->stale)));
	g_variant_builder_init(&cfg, G_VARIANT_TYPE("a{su}"));
	for (unsigned int i = 0; i < RB_SETTING_COUNT; i++)
		g_variant_builder_add(&cfg, "{su}",
				      rb_setting_info((RbSetting)i)->field,
				      s->config.value[i]);
	set_prop(api, &changed, "Config", g_variant_builder_end(&cfg));
	g_variant_builder_init(&peers, G_VARIANT_TYPE("a(sss)"));
	for (guint i = 0; s->peers && i < s->peers->len; i++) {
		const RbPeerInfo *p = &g_array_index(s->peers, RbPeerInfo, i);

		g_variant_builder_add(&peers, "(sss)", p->peer.addr,
				      addr_type_name(p->peer.type),
				      rb_peer_access_name(p->access));
	}
	set_prop(api, &changed, "Peers", g_variant_builder_end(&peers));
	set_prop(api, &changed, "ChordHeld",
		 g_variant_new_boolean(s->chord_held));
	emit_changed(api, &changed);
}

static void set_application_prop(RbApi *api)
{
	GVariantBuilder changed;

	g_variant_builder_init(&changed, G_VARIANT_TYPE("a{sv}"));
	set_prop(api, &changed, "Application",
		 g_variant_new_string(api->app_name ? api->app_name : ""));
	emit_changed(api, &changed);
}

void rb_api_button(RbApi *api, RbButton button, bool pressed,
		   uint64_t monotonic_us, bool chord_held, bool pairing)
{
	GVariantBuilder changed;
	g_autoptr(GError) error = NULL;

	g_variant_builder_init(&changed, G_VARIANT_TYPE("a{sv}"));
	set_prop(api, &changed, "ChordHeld", g_variant_new_boolean(chord_held));
	set_prop(api, &changed, "PairingMode", g_variant_new_boolean(pairing));
	emit_changed(api, &changed);
	if (!g_dbus_connection_emit_signal(
		    api->conn, NULL, RB_API_PATH, RB_API_IFACE, "Button",
		    g_variant_new("(sbt)", rb_button_name(button), pressed,
				  (guint64)monotonic_us),
		    &error))
		g_debug("Button not sent: %s", error->message);
}

/* ---- the application ---- */

const char *rb_api_application(RbApi *api)
{
	return api->app_name;
}

static void forget_app(RbApi *api, const char *why)
{
	if (!api->app_name)
		return;
	g_message("application %s at %s %s", api->app_name, api->app_path, why);
	if (api->app_watch)
		g_bus_unwatch_name(api->app_watch);
	api->app_watch = 0;
	g_clear_pointer(&api->app_name, g_free);
	g_clear_pointer(&api->app_path, g_free);
	if (api->cb.set_state)
		api->cb.set_state(NULL, api->user_data);
	set_application_prop(api);
}

static void on_app_vanished(GDBusConnection *conn, const char *name,
			    gpointer data)
{
	RbApi *api = data;

	(void)conn;
	if (g_strcmp0(name, api->app_name) == 0)
		forget_app(api, "left the bus: forgotten");
}

typedef struct {
	RbApi *api;
	RbApiReplyFn done;
	void *user_data;
	uint32_t request_id;
	GCancellable *cancel; /* the api's, kept alive */
} Delivery;

static void delivery_done(GObject *src, GAsyncResult *res, gpointer data)
{
	Delivery *dl = data;
	g_autoptr(GVariant) ret = NULL;
	g_autoptr(GError) error = NULL;
	RbAppMessage reply;
	const char *type = NULL;
	g_autoptr(GVariant) body = NULL;
	const uint8_t *bytes;
	gsize len = 0;

	ret = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res,
					    &error);
	if (g_cancellable_is_cancelled(dl->cancel)) {
		/* rb_api_free(): nobody to answer. */
		g_object_unref(dl->cancel);
		g_free(dl);
		return;
	}
	dl->api->in_flight--;
	memset(&reply, 0, sizeof(reply));
	if (!ret) {
		g_autofree char *remote = g_dbus_error_get_remote_error(error);

		g_dbus_error_strip_remote_error(error);
		if (remote && !g_str_has_prefix(remote, "org.freedesktop.")) {
			g_autofree char *text = g_strdup_printf(
				"%s: %s", remote, error->message);

			dl->done(RB_API_REPLY_ERROR, NULL, text, dl->request_id,
				 dl->user_data);
		} else {
			g_autofree char *text = g_strdup_printf(
				"the application did not answer: %s",
				error->message);

			g_message("HandleMessage: %s", text);
			dl->done(RB_API_REPLY_UNAVAILABLE, NULL, text,
				 dl->request_id, dl->user_data);
		}
	} else {
		g_variant_get(ret, "(&s@ay)", &type, &body);
		bytes = g_variant_get_fixed_array(body, &len, 1);
		if (!rb_app_message_set(&reply, type, bytes, len, &error)) {
			g_autofree char *text = g_strdup_printf(
				"invalid reply from the application: %s",
				error->message);

			g_message("HandleMessage: %s", text);
			dl->done(RB_API_REPLY_ERROR, NULL, text, dl->request_id,
				 dl->user_data);
		} else {
			dl->done(RB_API_REPLY_OK, &reply, NULL, dl->request_id,
				 dl->user_data);
		}
	}
	g_object_unref(dl->cancel);
	g_free(dl);
}

void rb_api_deliver(RbApi *api, const RbAppMessage *msg, const RbPeer *owner,
		    uint32_t request_id, RbApiReplyFn done, void *user_data)
{
	GVariantBuilder info;
	Delivery *dl;

	if (!api->app_name) {
		done(RB_API_REPLY_UNAVAILABLE, NULL,
		     "no application is registered on the box", request_id,
		     user_data);
		return;
	}
	if (api->in_flight >= RB_API_MAX_IN_FLIGHT) {
		g_message("HandleMessage: %u calls unanswered, message %s "
			  "refused",
			  api->in_flight, msg->type);
		done(RB_API_REPLY_UNAVAILABLE, NULL, "the application is busy",
		     request_id, user_data);
		return;
	}
	g_variant_builder_init(&info, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&info, "{sv}", "owner",
			      g_variant_new_string(owner->addr));
	g_variant_builder_add(
		&info, "{sv}", "address_type",
		g_variant_new_string(addr_type_name(owner->type)));
	g_variant_builder_add(&info, "{sv}", "request_id",
			      g_variant_new_uint32(request_id));
	dl = g_new0(Delivery, 1);
	dl->api = api;
	dl->done = done;
	dl->user_data = user_data;
	dl->request_id = request_id;
	dl->cancel = g_object_ref(api->cancel);
	api->in_flight++;
	g_dbus_connection_call(
		api->conn, api->app_name, api->app_path, RB_API_APP_IFACE,
		"HandleMessage",
		g_variant_new("(@ays@a{sv})",
			      g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE,
							msg->body,
							msg->body_len, 1),
			      msg->type, g_variant_builder_end(&info)),
		G_VARIANT_TYPE("(say)"), G_DBUS_CALL_FLAGS_NO_AUTO_START,
		RB_API_REPLY_TIMEOUT_MS, api->cancel, delivery_done, dl);
}

/* ---- calls ---- */

typedef struct {
	RbApi *api;
	GDBusMethodInvocation *inv;
	RbApiMethod method;
	GCancellable *cancel;
} Call;

static void refuse(GDBusMethodInvocation *inv, const char *name,
		   const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void refuse(GDBusMethodInvocation *inv, const char *name,
		   const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_dbus_method_invocation_return_dbus_error(inv, name, msg);
}

static bool body_of(GVariant *params, RbAppMessage *out, GError **error)
{
	/* (GDBus checked the arguments: "(say)"; no format string parsed
	 * on a Notify's path) */
	g_autoptr(GVariant) t = g_variant_get_child_value(params, 0);
	g_autoptr(GVariant) body = g_variant_get_child_value(params, 1);
	const char *type = g_variant_get_string(t, NULL);
	const uint8_t *bytes;
	gsize len = 0;

	bytes = g_variant_get_fixed_array(body, &len, 1);
	return rb_app_message_set(out, type, bytes, len, error);
}

static void get_property(RbApi *api, GDBusMethodInvocation *inv,
			 GVariant *params)
{
	const char *iface = NULL, *name = NULL;
	GVariant *v;

	g_variant_get(params, "(&s&s)", &iface, &name);
	if (g_strcmp0(iface, RB_API_IFACE) != 0) {
		refuse(inv, "org.freedesktop.DBus.Error.UnknownInterface",
		       "no interface %s here", iface);
		return;
	}
	v = g_hash_table_lookup(api->props, name);
	if (!v) {
		refuse(inv, "org.freedesktop.DBus.Error.UnknownProperty",
		       "no property %s", name);
		return;
	}
	g_dbus_method_invocation_return_value(inv, g_variant_new("(v)", v));
}

static void get_all(RbApi *api, GDBusMethodInvocation *inv, GVariant *params)
{
	const char *iface = NULL;
	GVariantBuilder b;
	GHashTableIter it;
	gpointer k, v;

	g_variant_get(params, "(&s)", &iface);
	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	if (g_strcmp0(iface, RB_API_IFACE) == 0) {
		g_hash_table_iter_init(&it, api->props);
		while (g_hash_table_iter_next(&it, &k, &v))
			g_variant_builder_add(&b, "{sv}", (const char *)k,
					      (GVariant *)v);
	}
	g_dbus_method_invocation_return_value(inv,
					      g_variant_new("(a{sv})", &b));
}

static void do_register(RbApi *api, GDBusMethodInvocation *inv,
			GVariant *params, const RbApiCaller *caller)
{
	const char *sender = g_dbus_method_invocation_get_sender(inv);
	const char *path = NULL;

	g_variant_get(params, "(&o@a{sv})", &path, NULL);
	api->app_name = g_strdup(sender);
	api->app_path = g_strdup(path);
	api->app_caller = *caller;
	g_message("application %s registered at %s", sender, path);
	api->app_watch = g_bus_watch_name_on_connection(
		api->conn, sender, G_BUS_NAME_WATCHER_FLAGS_NONE, NULL,
		on_app_vanished, api, NULL);
	set_application_prop(api);
	g_dbus_method_invocation_return_value(inv, NULL);
}

static void do_admin(RbApi *api, GDBusMethodInvocation *inv, RbApiMethod m)
{
	RbAdminResult r = api->cb.admin(m, api->user_data);

	g_message("%s over D-Bus from %s: %s", rb_api_method_name(m),
		  g_dbus_method_invocation_get_sender(inv),
		  rb_admin_result_text(r));
	switch (r) {
	case RB_ADMIN_DONE:
	case RB_ADMIN_NOTHING_TO_DO:
		g_dbus_method_invocation_return_value(inv, NULL);
		break;
	case RB_ADMIN_NOT_ALLOWED:
	case RB_ADMIN_LOCKED_OUT:
		refuse(inv, ERROR_PREFIX "NotPermitted", "%s",
		       rb_admin_result_text(r));
		break;
	case RB_ADMIN_STORAGE_FAILED:
		refuse(inv, ERROR_PREFIX "Failed", "%s",
		       rb_admin_result_text(r));
		break;
	}
}

static void serve(RbApi *api, GDBusMethodInvocation *inv, RbApiMethod m,
		  const RbApiCaller *caller)
{
	GVariant *params = g_dbus_method_invocation_get_parameters(inv);
	const char *member = g_dbus_method_invocation_get_method_name(inv);
	const char *path = NULL;
	RbAppMessage msg;
	g_autoptr(GError) error = NULL;

	switch (m) {
	case RB_API_GET_PROPERTIES:
		if (strcmp(member, "Get") == 0)
			get_property(api, inv, params);
		else
			get_all(api, inv, params);
		return;
	case RB_API_REGISTER:
		do_register(api, inv, params, caller);
		return;
	case RB_API_UNREGISTER:
		g_variant_get(params, "(&o)", &path);
		if (g_strcmp0(path, api->app_path) != 0) {
			refuse(inv, ERROR_PREFIX "DoesNotExist",
			       "no application registered at %s", path);
			return;
		}
		forget_app(api, "unregistered");
		g_dbus_method_invocation_return_value(inv, NULL);
		return;
	case RB_API_NOTIFY:
	case RB_API_SET_STATE:
		memset(&msg, 0, sizeof(msg));
		if (!body_of(params, &msg, &error)) {
			refuse(inv, ERROR_PREFIX "InvalidArguments", "%s",
			       error->message);
			return;
		}
		if (m == RB_API_NOTIFY && api->cb.notify)
			api->cb.notify(&msg, api->user_data);
		else if (m == RB_API_SET_STATE && api->cb.set_state)
			api->cb.set_state(&msg, api->user_data);
		g_dbus_method_invocation_return_value(inv, NULL);
		return;
	case RB_API_EXIT_PAIRING:
	case RB_API_ENTER_PAIRING:
	case RB_API_FORGET_OWNER:
	case RB_API_FACTORY_RESET:
		do_admin(api, inv, m);
		return;
	}
}

static bool gid_in(GVariant *gids, gid_t gid)
{
	GVariantIter it;
	guint32 g;

	if (!gids)
		return false;
	g_variant_iter_init(&it, gids);
	while (g_variant_iter_next(&it, "u", &g))
		if (g == gid)
			return true;
	return false;
}

/*
 * The group is looked up beside the main loop: NSS may take long (in the
 * VM, without the group, libnss_systemd searches every userdb directory),
 * and nobody needs it before the first call. The thread's answer: a gid
 * + 1, or 0 for none.
 */
static gpointer lookup_group(gpointer data)
{
	g_autofree char *name = data;
	struct group gr, *found = NULL;
	char buf[4096];

	if (getgrnam_r(name, &gr, buf, sizeof(buf), &found) != 0 || !found) {
		g_message("D-Bus API: no group %s on this system: only root "
			  "may use the API",
			  name);
		return GSIZE_TO_POINTER(0);
	}
	return GSIZE_TO_POINTER((gsize)found->gr_gid + 1);
}

static void group_known(RbApi *api)
{
	gsize v;

	if (!api->group_lookup)
		return;
	v = GPOINTER_TO_SIZE(g_thread_join(api->group_lookup));
	api->group_lookup = NULL;
	api->has_gid = v != 0;
	api->gid = (gid_t)(v - 1);
}

/* @caller's uid and groups are known: the rules of src/core/api.c decide. */
static void decide(RbApi *api, GDBusMethodInvocation *inv, RbApiMethod m,
		   RbApiCaller *caller)
{
	const char *sender = g_dbus_method_invocation_get_sender(inv);
	RbApiVerdict v;

	caller->application_registered = api->app_name != NULL;
	caller->is_application = g_strcmp0(api->app_name, sender) == 0;
	v = rb_api_authorize(m, caller);
	if (v != RB_API_ALLOW) {
		g_message("D-Bus %s from %s (uid %u) refused: %s",
			  rb_api_method_name(m), sender, caller->uid,
			  rb_api_verdict_text(v));
		refuse(inv,
		       v == RB_API_DENY_ALREADY_REGISTERED ? ERROR_PREFIX
			       "AlreadyExists"
							   : DBUS_ACCESS_DENIED,
		       "%s", rb_api_verdict_text(v));
		return;
	}
	serve(api, inv, m, caller);
}

static void on_credentials(GObject *src, GAsyncResult *res, gpointer data)
{
	Call *call = data;
	RbApi *api = call->api;
	g_autoptr(GVariant) ret = NULL;
	g_autoptr(GVariant) creds = NULL;
	g_autoptr(GVariant) gids = NULL;
	g_autoptr(GError) error = NULL;
	const char *sender = g_dbus_method_invocation_get_sender(call->inv);
	RbApiCaller caller;
	guint32 uid;

	ret = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res,
					    &error);
	if (g_cancellable_is_cancelled(call->cancel)) {
		refuse(call->inv, ERROR_PREFIX "Failed",
		       "reaction-boxd is stopping");
		goto out;
	}
	memset(&caller, 0, sizeof(caller));
	if (!ret) {
		g_message("D-Bus %s from %s refused: who it is is not known: "
			  "%s",
			  rb_api_method_name(call->method), sender,
			  error->message);
		refuse(call->inv, DBUS_ACCESS_DENIED,
		       "the caller's credentials are not known");
		goto out;
	}
	g_variant_get(ret, "(@a{sv})", &creds);
	if (!g_variant_lookup(creds, "UnixUserID", "u", &uid)) {
		refuse(call->inv, DBUS_ACCESS_DENIED,
		       "the caller's uid is not known");
		goto out;
	}
	gids = g_variant_lookup_value(creds, "UnixGroupIDs",
				      G_VARIANT_TYPE("au"));
	caller.uid = uid;
	group_known(api);
	caller.in_group = api->has_gid && gid_in(gids, api->gid);
	decide(api, call->inv, call->method, &caller);
out:
	g_object_unref(call->inv);
	g_object_unref(call->cancel);
	g_free(call);
}

static bool method_of(const char *iface, const char *member, RbApiMethod *m)
{
	static const struct {
		const char *member;
		RbApiMethod m;
	} box1[] = {
		{"RegisterApplication", RB_API_REGISTER},
		{"UnregisterApplication", RB_API_UNREGISTER},
		{"Notify", RB_API_NOTIFY},
		{"SetState", RB_API_SET_STATE},
		{"ExitPairingMode", RB_API_EXIT_PAIRING},
		{"EnterPairingMode", RB_API_ENTER_PAIRING},
		{"ForgetOwner", RB_API_FORGET_OWNER},
		{"FactoryReset", RB_API_FACTORY_RESET},
	};

	if (g_strcmp0(iface, PROPS_IFACE) == 0) {
		*m = RB_API_GET_PROPERTIES;
		return strcmp(member, "Get") == 0 ||
		       strcmp(member, "GetAll") == 0;
	}
	for (guint i = 0; i < G_N_ELEMENTS(box1); i++) {
		if (strcmp(member, box1[i].member) == 0) {
			*m = box1[i].m;
			return true;
		}
	}
	return false;
}

static void method_call(GDBusConnection *conn, const char *sender,
			const char *path, const char *iface, const char *member,
			GVariant *params, GDBusMethodInvocation *inv,
			gpointer data)
{
	RbApi *api = data;
	RbApiMethod m;
	Call *call;

	(void)path;
	(void)params;
	if (!method_of(iface, member, &m)) {
		/* Properties.Set: every property is read-only. */
		refuse(inv, "org.freedesktop.DBus.Error.PropertyReadOnly",
		       "%s.%s: not supported", iface, member);
		return;
	}
	if (g_strcmp0(sender, api->app_name) == 0) {
		/* The registered application: the bus fixed its connection's
		 * uid and groups when it connected, and they were looked up
		 * when it registered (unique names are never reused), so its
		 * Notify and SetState wait for no second lookup. */
		RbApiCaller caller = api->app_caller;

		decide(api, inv, m, &caller);
		return;
	}
	call = g_new0(Call, 1);
	call->api = api;
	call->inv = g_object_ref(inv);
	call->method = m;
	call->cancel = g_object_ref(api->cancel);
	g_dbus_connection_call(
		conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
		"org.freedesktop.DBus", "GetConnectionCredentials",
		g_variant_new("(s)", sender), G_VARIANT_TYPE("(a{sv})"),
		G_DBUS_CALL_FLAGS_NONE, -1, call->cancel, on_credentials, call);
}

/* get_property NULL: Properties calls come to method_call. */
static const GDBusInterfaceVTable vtable = {.method_call = method_call};

static void on_name_acquired(GDBusConnection *conn, const char *name,
			     gpointer data)
{
	RbApi *api = data;

	(void)conn;
	api->name_lost_logged = false;
	g_message("D-Bus API %s on %s", name, RB_API_PATH);
}

static void on_name_lost(GDBusConnection *conn, const char *name, gpointer data)
{
	RbApi *api = data;

	(void)conn;
	if (api->name_lost_logged)
		return;
	api->name_lost_logged = true;
	g_warning("the D-Bus API is not available: the bus refused %s to "
		  "this process (is %s/dbus-1/system.d/org.reactionbox.conf "
		  "installed, and is reaction-boxd root?); BLE goes on",
		  name, "/usr/share");
}

RbApi *rb_api_new(GDBusConnection *conn, const char *group,
		  const RbApiCallbacks *callbacks, void *user_data)
{
	RbApi *api = g_new0(RbApi, 1);
	g_autoptr(GError) error = NULL;

	api->conn = g_object_ref(conn);
	api->cb = *callbacks;
	api->user_data = user_data;
	api->cancel = g_cancellable_new();
	api->props = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					   (GDestroyNotify)g_variant_unref);
	api->last_peers = g_array_new(FALSE, TRUE, sizeof(RbPeerInfo));
	if (group && group[0])
		api->group_lookup = g_thread_new("rb-api-group", lookup_group,
						 g_strdup(group));
	set_prop(api, NULL, "Application", g_variant_new_string(""));
	api->node = g_dbus_node_info_new_for_xml(rb_api_box1_xml, &error);
	g_assert_no_error(error);
	api->reg_id = g_dbus_connection_register_object(
		conn, RB_API_PATH,
		g_dbus_node_info_lookup_interface(api->node, RB_API_IFACE),
		&vtable, api, NULL, &error);
	if (!api->reg_id)
		g_warning("D-Bus API not exported at %s: %s", RB_API_PATH,
			  error->message);
	api->own_id = g_bus_own_name_on_connection(
		conn, RB_API_NAME, G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
		on_name_acquired, on_name_lost, api, NULL);
	return api;
}

void rb_api_free(RbApi *api)
{
	if (!api)
		return;
	group_known(api);
	g_cancellable_cancel(api->cancel);
	if (api->app_watch)
		g_bus_unwatch_name(api->app_watch);
	if (api->own_id)
		g_bus_unown_name(api->own_id);
	if (api->reg_id)
		g_dbus_connection_unregister_object(api->conn, api->reg_id);
	g_free(api->app_name);
	g_free(api->app_path);
	g_hash_table_unref(api->props);
	g_array_unref(api->last_peers);
	g_dbus_node_info_unref(api->node);
	g_object_unref(api->cancel);
	g_object_unref(api->conn);
	g_free(api);
}
