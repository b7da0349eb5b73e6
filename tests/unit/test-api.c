// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The D-Bus API (src/api/) on a private dbus-daemon that loads the
 * shipped bus policy (data/org.reactionbox.conf, its group renamed to one
 * this machine has), with callers run as an unprivileged uid through
 * setpriv(1) and gdbus(1). Needs root (to own the name and to drop to
 * other uids); skipped otherwise.
 *
 * Two buses: "policy" is the shipped policy, which refuses first; "open"
 * lets everyone call everything, so the daemon's own check is what
 * refuses there.
 */
#include <check.h>
#include <gio/gio.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"

#define NOBODY "65534"
#define APP_PATH "/org/reactionbox/test/app"

static const char *test_group; /* a group that exists, as [API] Group */
static gid_t test_gid;

typedef struct {
	GSubprocess *bus;
	char *address;
	char *dir;
	GDBusConnection *conn; /* the daemon's (root) */
	RbApi *api;
	unsigned int admin_calls[RB_API_METHOD_COUNT];
	RbAdminResult admin_result;
	unsigned int notifies;
	unsigned int states;
	bool state_cleared;
	RbAppMessage last;
	/* the in-process application (a second connection, root) */
	GDBusConnection *app;
	guint app_reg;
	GDBusNodeInfo *app_node;
	bool app_hangs;
	GDBusMethodInvocation *held;
	unsigned int app_calls;
	/* a delivery */
	bool replied;
	RbApiReplyKind reply_kind;
	char reply_text[256];
	RbAppMessage reply;
	unsigned int replies;
} Fx;

static Fx fx;

/* ---- the bus ---- */

static const char bus_head[] =
	"<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus "
	"Configuration 1.0//EN\" "
	"\"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
	"<busconfig><type>system</type>"
	"<listen>unix:path=%s/bus</listen><auth>EXTERNAL</auth>"
	/* What Debian's system.conf says by default. */
	"<policy context=\"default\"><allow user=\"*\"/>"
	"<deny own=\"*\"/><deny send_type=\"method_call\"/>"
	"<allow send_type=\"signal\"/>"
	"<allow send_requested_reply=\"true\" send_type=\"method_return\"/>"
	"<allow send_requested_reply=\"true\" send_type=\"error\"/>"
	"<allow receive_type=\"method_call\"/>"
	"<allow receive_type=\"method_return\"/>"
	"<allow receive_type=\"error\"/><allow receive_type=\"signal\"/>"
	"<allow send_destination=\"org.freedesktop.DBus\" "
	"send_interface=\"org.freedesktop.DBus\"/>"
	"<allow send_destination=\"org.freedesktop.DBus\" "
	"send_interface=\"org.freedesktop.DBus.Introspectable\"/>"
	"<allow send_destination=\"org.freedesktop.DBus\" "
	"send_interface=\"org.freedesktop.DBus.Properties\"/>"
	"</policy>%s</busconfig>\n";

static const char open_policy[] =
	"<policy context=\"default\"><allow own=\"*\"/>"
	"<allow send_destination=\"*\"/><allow receive_sender=\"*\"/>"
	"</policy>";

static char *shipped_policy(void)
{
	g_autofree char *path = g_build_filename(
		g_getenv("abs_top_srcdir") ? g_getenv("abs_top_srcdir")
					   : TOP_SRCDIR,
		"data", "org.reactionbox.conf", NULL);
	g_autofree char *text = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *from = g_strdup_printf("group=\"%s\"", "reaction");
	g_autofree char *to = g_strdup_printf("group=\"%s\"", test_group);
	g_auto(GStrv) parts = NULL;
	g_autofree char *inner = NULL;
	const char *start, *end;

	ck_assert_msg(g_file_get_contents(path, &text, NULL, &error), "%s",
		      error ? error->message : "");
	/* The <policy> elements, without the file's own <busconfig>. */
	start = strstr(text, "<busconfig>");
	end = strstr(text, "</busconfig>");
	ck_assert(start && end);
	start += strlen("<busconfig>");
	inner = g_strndup(start, (gsize)(end - start));
	parts = g_strsplit(inner, from, -1);
	ck_assert_uint_eq(g_strv_length(parts), 2); /* one group policy */
	return g_strjoinv(to, parts);
}

static RbAdminResult on_admin(RbApiMethod m, void *data)
{
	(void)data;
	fx.admin_calls[m]++;
	return fx.admin_result;
}

static void on_notify(const RbAppMessage *msg, void *data)
{
	(void)data;
	fx.notifies++;
	fx.last = *msg;
}

static void on_set_state(const RbAppMessage *msg, void *data)
{
	(void)data;
	if (!msg) {
		fx.state_cleared = true;
		return;
	}
	fx.states++;
	fx.last = *msg;
}

static const RbApiCallbacks callbacks = {
	.admin = on_admin,
	.notify = on_notify,
	.set_state = on_set_state,
};

static void iterate_until(bool (*cond)(void), unsigned int max_ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)max_ms * 1000;

	while (!cond() && g_get_monotonic_time() < end) {
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(1000);
	}
}

static GDBusConnection *connect_bus(void)
{
	g_autoptr(GError) error = NULL;
	GDBusConnection *c = g_dbus_connection_new_for_address_sync(
		fx.address,
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
			G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
		NULL, NULL, &error);

	ck_assert_msg(c != NULL, "%s", error ? error->message : "");
	return c;
}

static bool name_owned(void)
{
	g_autoptr(GVariant) r = g_dbus_connection_call_sync(
		fx.conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
		"org.freedesktop.DBus", "NameHasOwner",
		g_variant_new("(s)", RB_API_NAME), G_VARIANT_TYPE("(b)"),
		G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
	gboolean has = FALSE;

	if (r)
		g_variant_get(r, "(b)", &has);
	return has;
}

static void start_bus(bool open)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *policy = open ? g_strdup(open_policy)
				       : shipped_policy();
	g_autofree char *conf = NULL;
	g_autofree char *conf_path = NULL;
	g_autofree char *line = NULL;
	GInputStream *out;
	g_autoptr(GDataInputStream) data = NULL;
	RbApiSnapshot snap;

	memset(&fx, 0, sizeof(fx));
	fx.dir = g_dir_make_tmp("rb-test-api-XXXXXX", &error);
	ck_assert_ptr_nonnull(fx.dir);
	/* The callers (other uids) must reach the socket. */
	chmod(fx.dir, 0755);
	conf = g_strdup_printf(bus_head, fx.dir, policy);
	conf_path = g_build_filename(fx.dir, "bus.conf", NULL);
	ck_assert(g_file_set_contents(conf_path, conf, -1, NULL));
	fx.bus = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
				  "dbus-daemon", "--nofork", "--print-address",
				  "--config-file", conf_path, NULL);
	ck_assert_msg(fx.bus != NULL, "%s", error ? error->message : "");
	out = g_subprocess_get_stdout_pipe(fx.bus);
	data = g_data_input_stream_new(out);
	line = g_data_input_stream_read_line(data, NULL, NULL, &error);
	ck_assert_msg(line != NULL, "dbus-daemon printed no address");
	fx.address = g_strdup(g_strstrip(line));
	fx.conn = connect_bus();
	fx.admin_result = RB_ADMIN_DONE;
	fx.api = rb_api_new(fx.conn, test_group, &callbacks, NULL);
	memset(&snap, 0, sizeof(snap));
	snap.status = RB_ACCESS_NO_CONNECTION;
	rb_policy_config_init_defaults(&snap.config);
	rb_api_update(fx.api, &snap);
	iterate_until(name_owned, 10000);
	ck_assert(name_owned());
}

static void stop_bus(void)
{
	if (fx.held)
		g_object_unref(fx.held);
	if (fx.app) {
		if (fx.app_reg)
			g_dbus_connection_unregister_object(fx.app, fx.app_reg);
		g_dbus_connection_close_sync(fx.app, NULL, NULL);
		g_object_unref(fx.app);
	}
	if (fx.app_node)
		g_dbus_node_info_unref(fx.app_node);
	rb_api_free(fx.api);
	/* Let cancelled calls finish. */
	for (int i = 0; i < 100; i++)
		g_main_context_iteration(NULL, FALSE);
	g_dbus_connection_close_sync(fx.conn, NULL, NULL);
	g_object_unref(fx.conn);
	g_subprocess_force_exit(fx.bus);
	g_subprocess_wait(fx.bus, NULL, NULL);
	g_object_unref(fx.bus);
	g_autofree char *sock = g_build_filename(fx.dir, "bus", NULL);
	g_autofree char *conf = g_build_filename(fx.dir, "bus.conf", NULL);
	unlink(sock);
	unlink(conf);
	rmdir(fx.dir);
	g_free(fx.dir);
	g_free(fx.address);
}

static void setup_policy(void)
{
	start_bus(false);
}

static void setup_open(void)
{
	start_bus(true);
}

/* ---- callers ---- */

typedef struct {
	bool done;
	int status;
	char *out;
	char *err;
} Run;

static void run_done(GObject *src, GAsyncResult *res, gpointer data)
{
	Run *r = data;

	g_subprocess_communicate_utf8_finish(G_SUBPROCESS(src), res, &r->out,
					     &r->err, NULL);
	r->status = g_subprocess_get_exit_status(G_SUBPROCESS(src));
	r->done = true;
}

static Run *current_run;
static bool run_finished(void)
{
	return current_run->done;
}

/*
 * Runs `gdbus call` on the test bus as @who ("root", "nobody" or
 * "member": nobody with the test group) while the main loop serves the
 * API. Returns the exit status; *err gets stderr.
 */
static int gdbus_as(const char *who, char **err, const char *method,
		    const char *const *args)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GSubprocess) p = NULL;
	g_autoptr(GError) error = NULL;
	Run r = {0};

	if (strcmp(who, "root") != 0) {
		g_ptr_array_add(argv, g_strdup("setpriv"));
		g_ptr_array_add(argv, g_strdup("--reuid=" NOBODY));
		g_ptr_array_add(argv, g_strdup("--regid=" NOBODY));
		if (strcmp(who, "member") == 0)
			g_ptr_array_add(
				argv, g_strdup_printf("--groups=%u", test_gid));
		else
			g_ptr_array_add(argv, g_strdup("--clear-groups"));
		g_ptr_array_add(argv, g_strdup("--"));
	}
	g_ptr_array_add(argv, g_strdup("gdbus"));
	g_ptr_array_add(argv, g_strdup("call"));
	g_ptr_array_add(argv, g_strdup_printf("--address=%s", fx.address));
	g_ptr_array_add(argv, g_strdup("--dest=" RB_API_NAME));
	g_ptr_array_add(argv, g_strdup("--object-path=" RB_API_PATH));
	g_ptr_array_add(argv, g_strdup_printf("--method=%s", method));
	for (; args && *args; args++)
		g_ptr_array_add(argv, g_strdup(*args));
	g_ptr_array_add(argv, NULL);
	p = g_subprocess_newv((const char *const *)argv->pdata,
			      G_SUBPROCESS_FLAGS_STDOUT_PIPE |
				      G_SUBPROCESS_FLAGS_STDERR_PIPE,
			      &error);
	ck_assert_msg(p != NULL, "%s", error ? error->message : "");
	g_subprocess_communicate_utf8_async(p, NULL, NULL, run_done, &r);
	current_run = &r;
	iterate_until(run_finished, 30000);
	ck_assert_msg(r.done, "%s did not finish", method);
	if (err)
		*err = g_steal_pointer(&r.err);
	g_free(r.err);
	g_free(r.out);
	return r.status;
}

static void assert_refused(const char *who, const char *method,
			   const char *const *args, const char *expect)
{
	g_autofree char *err = NULL;
	int st = gdbus_as(who, &err, method, args);

	ck_assert_msg(st != 0, "%s as %s was not refused", method, who);
	ck_assert_msg(err && strstr(err, expect), "%s as %s: %s", method, who,
		      err ? err : "");
}

static const char *const admin_methods[] = {
	"org.reactionbox.Box1.ExitPairingMode",
	"org.reactionbox.Box1.EnterPairingMode",
	"org.reactionbox.Box1.ForgetOwner",
	"org.reactionbox.Box1.FactoryReset",
};

static unsigned int admin_total(void)
{
	unsigned int n = 0;

	for (int i = 0; i < RB_API_METHOD_COUNT; i++)
		n += fx.admin_calls[i];
	return n;
}

static const char *const reg_args[] = {APP_PATH, "{}", NULL};
static const char *const getall_args[] = {RB_API_IFACE, NULL};
static const char *const notify_args[] = {"tick", "[byte 0x35]", NULL};

/* The shipped policy: nobody is refused everything by the bus. */
START_TEST(test_policy_unprivileged)
{
	for (guint i = 0; i < G_N_ELEMENTS(admin_methods); i++)
		assert_refused("nobody", admin_methods[i], NULL,
			       "AccessDenied");
	assert_refused("nobody", "org.reactionbox.Box1.RegisterApplication",
		       reg_args, "AccessDenied");
	assert_refused("nobody", "org.freedesktop.DBus.Properties.GetAll",
		       getall_args, "AccessDenied");
	assert_refused("nobody", "org.reactionbox.Box1.Notify", notify_args,
		       "AccessDenied");
	ck_assert_uint_eq(admin_total(), 0);
	ck_assert_ptr_null(rb_api_application(fx.api));
}
END_TEST

/* The group reads properties; admin methods stay root's. */
START_TEST(test_policy_member)
{
	g_autofree char *err = NULL;

	ck_assert_int_eq(gdbus_as("member", &err,
				  "org.freedesktop.DBus.Properties.GetAll",
				  getall_args),
			 0);
	for (guint i = 0; i < G_N_ELEMENTS(admin_methods); i++)
		assert_refused("member", admin_methods[i], NULL,
			       "AccessDenied");
	ck_assert_uint_eq(admin_total(), 0);
	/* root may. */
	for (guint i = 0; i < G_N_ELEMENTS(admin_methods); i++)
		ck_assert_int_eq(gdbus_as("root", NULL, admin_methods[i], NULL),
				 0);
	ck_assert_uint_eq(fx.admin_calls[RB_API_FORGET_OWNER], 1);
	ck_assert_uint_eq(fx.admin_calls[RB_API_FACTORY_RESET], 1);
	ck_assert_uint_eq(admin_total(), 4);
}
END_TEST

static bool state_was_cleared(void)
{
	return fx.state_cleared;
}

/* A bus that lets everyone through: the daemon's own check refuses. */
START_TEST(test_code_check)
{
	for (guint i = 0; i < G_N_ELEMENTS(admin_methods); i++)
		assert_refused("member", admin_methods[i], NULL,
			       "only root may call this");
	assert_refused("nobody", "org.reactionbox.Box1.RegisterApplication",
		       reg_args, "only root and members");
	assert_refused("nobody", "org.freedesktop.DBus.Properties.GetAll",
		       getall_args, "only root and members");
	assert_refused("member", "org.reactionbox.Box1.Notify", notify_args,
		       "only the registered application");
	ck_assert_uint_eq(admin_total(), 0);
	/* A member registers (the path need not answer yet). */
	ck_assert_int_eq(gdbus_as("member", NULL,
				  "org.reactionbox.Box1.RegisterApplication",
				  reg_args),
			 0);
	/* Its gdbus has left the bus: it was registered, then forgotten
	 * (its state with it). */
	iterate_until(state_was_cleared, 10000);
	ck_assert(fx.state_cleared);
	ck_assert_ptr_null(rb_api_application(fx.api));
}
END_TEST

/* ---- the in-process application ---- */

static const char app_xml[] =
	"<node><interface name='org.reactionbox.Application1'>"
	"<method name='HandleMessage'><arg type='ay' direction='in'/>"
	"<arg type='s' direction='in'/><arg type='a{sv}' direction='in'/>"
	"<arg type='s' direction='out'/><arg type='ay' direction='out'/>"
	"</method></interface></node>";

static void app_call(GDBusConnection *c, const char *sender, const char *path,
		     const char *iface, const char *member, GVariant *params,
		     GDBusMethodInvocation *inv, gpointer data)
{
	const char *type = NULL;
	const char *owner = NULL;
	guint32 rid = 0;
	g_autoptr(GVariant) body = NULL;
	g_autoptr(GVariant) info = NULL;

	fx.app_calls++;
	g_variant_get(params, "(@ay&s@a{sv})", &body, &type, &info);
	ck_assert(g_variant_lookup(info, "owner", "&s", &owner));
	ck_assert_str_eq(owner, "AA:BB:CC:DD:EE:01");
	ck_assert(g_variant_lookup(info, "request_id", "u", &rid));
	if (fx.app_hangs) {
		/* Never answers (until the test ends). */
		/* The handler owns @inv: keep it unanswered. */
		if (fx.held)
			g_object_unref(fx.held);
		fx.held = inv;
		return;
	}
	if (strcmp(type, "fail") == 0) {
		g_dbus_method_invocation_return_dbus_error(
			inv, "com.example.Quiz.Error.Busy", "quiz running");
		return;
	}
	g_dbus_method_invocation_return_value(
		inv, g_variant_new("(s@ay)", "ok", body));
}

static const GDBusInterfaceVTable app_vtable = {.method_call = app_call};

static bool app_registered(void)
{
	return rb_api_application(fx.api) != NULL;
}

static bool app_gone(void)
{
	return rb_api_application(fx.api) == NULL;
}

static void reg_done(GObject *src, GAsyncResult *res, gpointer data)
{
	g_autoptr(GVariant) r = g_dbus_connection_call_finish(
		G_DBUS_CONNECTION(src), res, (GError **)data);
}

static void start_app(void)
{
	g_autoptr(GError) error = NULL;

	fx.app = connect_bus();
	fx.app_node = g_dbus_node_info_new_for_xml(app_xml, &error);
	fx.app_reg = g_dbus_connection_register_object(
		fx.app, APP_PATH, fx.app_node->interfaces[0], &app_vtable, NULL,
		NULL, &error);
	ck_assert_uint_ne(fx.app_reg, 0);
	g_dbus_connection_call(fx.app, RB_API_NAME, RB_API_PATH, RB_API_IFACE,
			       "RegisterApplication",
			       g_variant_new("(oa{sv})", APP_PATH, NULL), NULL,
			       G_DBUS_CALL_FLAGS_NONE, -1, NULL, reg_done,
			       NULL);
	iterate_until(app_registered, 10000);
	ck_assert(app_registered());
	ck_assert_str_eq(rb_api_application(fx.api),
			 g_dbus_connection_get_unique_name(fx.app));
}

static void on_reply(RbApiReplyKind kind, const RbAppMessage *reply,
		     const char *text, uint32_t request_id, void *data)
{
	(void)data;
	(void)request_id;
	fx.replied = true;
	fx.replies++;
	fx.reply_kind = kind;
	g_strlcpy(fx.reply_text, text ? text : "", sizeof(fx.reply_text));
	if (reply)
		fx.reply = *reply;
}

static bool have_reply(void)
{
	return fx.replied;
}

static void deliver(const char *type)
{
	RbAppMessage m;
	RbPeer owner;
	static const uint8_t body[] = {1, 2, 3};

	ck_assert(rb_app_message_set(&m, type, body, sizeof(body), NULL));
	rb_peer_set(&owner, "AA:BB:CC:DD:EE:01", RB_ADDR_PUBLIC);
	fx.replied = false;
	rb_api_deliver(fx.api, &m, &owner, 7, on_reply, NULL);
}

START_TEST(test_application_path)
{
	/* None registered: unavailable at once. */
	deliver("start_timer");
	ck_assert(fx.replied);
	ck_assert_int_eq(fx.reply_kind, RB_API_REPLY_UNAVAILABLE);

	start_app();
	deliver("start_timer");
	iterate_until(have_reply, 10000);
	ck_assert_int_eq(fx.reply_kind, RB_API_REPLY_OK);
	ck_assert_str_eq(fx.reply.type, "ok");
	ck_assert_uint_eq(fx.reply.body_len, 3);

	/* Its D-Bus error goes back as such. */
	deliver("fail");
	iterate_until(have_reply, 10000);
	ck_assert_int_eq(fx.reply_kind, RB_API_REPLY_ERROR);
	ck_assert_str_eq(fx.reply_text,
			 "com.example.Quiz.Error.Busy: quiz running");
}
END_TEST

/* A second application is refused while the first lives; root that is
 * not the application may not Notify. */
START_TEST(test_second_application)
{
	start_app();
	assert_refused("member", "org.reactionbox.Box1.RegisterApplication",
		       reg_args, "AlreadyExists");
	assert_refused("root", "org.reactionbox.Box1.RegisterApplication",
		       reg_args, "AlreadyExists");
	assert_refused("root", "org.reactionbox.Box1.Notify", notify_args,
		       "only the registered application");
	assert_refused("member", "org.reactionbox.Box1.SetState", notify_args,
		       "AccessDenied");
	ck_assert_uint_eq(fx.notifies, 0);
	ck_assert_uint_eq(fx.states, 0);
}
END_TEST

static GError *bad_error;
static bool bad_answered(void)
{
	return bad_error != NULL;
}

static bool notified(void)
{
	return fx.notifies > 0 && fx.states > 0;
}

/* The application's Notify and SetState reach the daemon; bad ones are
 * refused and change nothing. */
START_TEST(test_notify_and_state)
{
	start_app();
	/* Asynchronous calls: the API is served by this thread's loop. */
	g_dbus_connection_call(
		fx.app, RB_API_NAME, RB_API_PATH, RB_API_IFACE, "Notify",
		g_variant_new("(s@ay)", "tick",
			      g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE,
							"5", 1, 1)),
		NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL, NULL);
	g_dbus_connection_call(
		fx.app, RB_API_NAME, RB_API_PATH, RB_API_IFACE, "SetState",
		g_variant_new("(s@ay)", "phase",
			      g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE,
							"armed", 5, 1)),
		NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL, NULL);
	iterate_until(notified, 10000);
	ck_assert_uint_eq(fx.notifies, 1);
	ck_assert_uint_eq(fx.states, 1);
	ck_assert_str_eq(fx.last.type, "phase");
	/* A bad type is refused and reaches nothing. */
	g_dbus_connection_call(
		fx.app, RB_API_NAME, RB_API_PATH, RB_API_IFACE, "Notify",
		g_variant_new("(s@ay)", "bad type",
			      g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE,
							"5", 1, 1)),
		NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, reg_done, &bad_error);
	iterate_until(bad_answered, 10000);
	ck_assert_ptr_nonnull(bad_error);
	ck_assert_msg(strstr(bad_error->message, "InvalidArguments"), "%s",
		      bad_error->message);
	g_clear_error(&bad_error);
	ck_assert_uint_eq(fx.notifies, 1);
}
END_TEST

static gint credential_lookups;

static GDBusMessage *count_lookups(GDBusConnection *c, GDBusMessage *m,
				   gboolean incoming, gpointer data)
{
	(void)c;
	(void)data;
	if (!incoming &&
	    g_dbus_message_get_message_type(m) ==
		    G_DBUS_MESSAGE_TYPE_METHOD_CALL &&
	    g_strcmp0(g_dbus_message_get_member(m),
		      "GetConnectionCredentials") == 0)
		g_atomic_int_inc(&credential_lookups);
	return m;
}

static bool three_notified(void)
{
	return fx.notifies == 3;
}

/* The registered application's Notify is served without asking the bus
 * who it is again (its credentials were looked up at registration and a
 * connection's never change): one round trip less on every notification.
 * Others' calls are still looked up. */
START_TEST(test_application_not_looked_up_again)
{
	guint filter;
	gint n;

	start_app();
	filter = g_dbus_connection_add_filter(fx.conn, count_lookups, NULL,
					      NULL);
	g_atomic_int_set(&credential_lookups, 0);
	for (int i = 0; i < 3; i++)
		g_dbus_connection_call(
			fx.app, RB_API_NAME, RB_API_PATH, RB_API_IFACE,
			"Notify",
			g_variant_new("(s@ay)", "tick",
				      g_variant_new_fixed_array(
					      G_VARIANT_TYPE_BYTE, "5", 1, 1)),
			NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL, NULL);
	iterate_until(three_notified, 10000);
	ck_assert_uint_eq(fx.notifies, 3);
	n = g_atomic_int_get(&credential_lookups);
	ck_assert_int_eq(n, 0);
	/* Someone else (root, not the application) is looked up, and
	 * refused. */
	assert_refused("root", "org.reactionbox.Box1.Notify", notify_args,
		       "only the registered application");
	n = g_atomic_int_get(&credential_lookups);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_eq(fx.notifies, 3);
	g_dbus_connection_remove_filter(fx.conn, filter);
}
END_TEST

static bool loop_ticked;
static unsigned int ticks;
static gboolean tick(gpointer data)
{
	(void)data;
	ticks++;
	loop_ticked = true;
	return G_SOURCE_CONTINUE;
}

/* A hanging application: the main loop goes on, the phone gets
 * UNAVAILABLE after the bound, and no more than RB_API_MAX_IN_FLIGHT
 * calls wait. */
START_TEST(test_hanging_application)
{
	guint t;
	gint64 start;

	start_app();
	fx.app_hangs = true;
	t = g_timeout_add(100, tick, NULL);
	fx.replies = 0;
	for (int i = 0; i < RB_API_MAX_IN_FLIGHT; i++)
		deliver("start_timer");
	ck_assert_uint_eq(fx.replies, 0);
	/* One more: busy, at once. */
	deliver("start_timer");
	ck_assert_uint_eq(fx.replies, 1);
	ck_assert_int_eq(fx.reply_kind, RB_API_REPLY_UNAVAILABLE);
	ck_assert_str_eq(fx.reply_text, "the application is busy");
	start = g_get_monotonic_time();
	fx.replied = false;
	iterate_until(have_reply, RB_API_REPLY_TIMEOUT_MS * 4);
	ck_assert(fx.replied);
	ck_assert_int_eq(fx.reply_kind, RB_API_REPLY_UNAVAILABLE);
	ck_assert_int_ge(g_get_monotonic_time() - start,
			 (RB_API_REPLY_TIMEOUT_MS - 500) * 1000);
	/* The loop served other sources meanwhile. */
	ck_assert_uint_ge(ticks, 10);
	g_source_remove(t);
}
END_TEST

/* A crashing application: its pending call ends UNAVAILABLE at once,
 * it is forgotten (its state too), and a new one can register. */
START_TEST(test_crashing_application)
{
	start_app();
	fx.app_hangs = true;
	deliver("start_timer");
	iterate_until(have_reply, 200);
	ck_assert(!fx.replied);
	/* The application's connection goes, as a crash closes it. */
	g_dbus_connection_unregister_object(fx.app, fx.app_reg);
	fx.app_reg = 0;
	g_dbus_connection_close_sync(fx.app, NULL, NULL);
	g_clear_object(&fx.app);
	g_clear_object(&fx.held);
	iterate_until(have_reply, RB_API_REPLY_TIMEOUT_MS / 2);
	ck_assert(fx.replied);
	ck_assert_int_eq(fx.reply_kind, RB_API_REPLY_UNAVAILABLE);
	iterate_until(app_gone, 10000);
	ck_assert(app_gone());
	ck_assert(fx.state_cleared);
	/* Registering again restores the path. */
	g_dbus_node_info_unref(fx.app_node);
	fx.app_node = NULL;
	fx.app_hangs = false;
	start_app();
	deliver("start_timer");
	iterate_until(have_reply, 10000);
	ck_assert_int_eq(fx.reply_kind, RB_API_REPLY_OK);
}
END_TEST

/* gdbus monitor as @who, until the daemon's Button signal went out. */
static GSubprocess *monitor_as(const char *who, GInputStream **out)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *addr = g_strdup_printf("--address=%s", fx.address);
	g_autofree char *groups = g_strdup_printf("--groups=%u", test_gid);
	GSubprocess *p = g_subprocess_new(
		G_SUBPROCESS_FLAGS_STDOUT_PIPE |
			G_SUBPROCESS_FLAGS_STDERR_MERGE,
		&error, "setpriv", "--reuid=" NOBODY, "--regid=" NOBODY,
		strcmp(who, "member") == 0 ? groups : "--clear-groups", "--",
		"gdbus", "monitor", addr, "--dest=" RB_API_NAME, NULL);

	ck_assert_msg(p != NULL, "%s", error ? error->message : "");
	*out = g_subprocess_get_stdout_pipe(p);
	return p;
}

typedef struct {
	GString *text;
} Reader;

static void collect(GInputStream *in, Reader *r, unsigned int ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;
	char buf[4096];

	/* Non-blocking reads from the pipe while the loop serves the bus. */
	while (g_get_monotonic_time() < end) {
		gssize n = g_pollable_input_stream_read_nonblocking(
			G_POLLABLE_INPUT_STREAM(in), buf, sizeof(buf), NULL,
			NULL);

		if (n > 0)
			g_string_append_len(r->text, buf, n);
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(2000);
	}
}

/* The daemon's signals reach the group and not anyone else. */
START_TEST(test_signals_confined)
{
	GInputStream *in_member, *in_nobody;
	g_autoptr(GSubprocess) member = monitor_as("member", &in_member);
	g_autoptr(GSubprocess) nobody = monitor_as("nobody", &in_nobody);
	Reader rm = {g_string_new(NULL)};
	Reader rn = {g_string_new(NULL)};

	/* Both are listening once they have looked the name up. */
	for (int i = 0; i < 300 && (!strstr(rm.text->str, "is owned by") ||
				    !strstr(rn.text->str, "is owned by"));
	     i++) {
		collect(in_member, &rm, 50);
		collect(in_nobody, &rn, 50);
	}
	ck_assert_msg(strstr(rm.text->str, "is owned by"), "%s", rm.text->str);
	rb_api_button(fx.api, RB_BUTTON_TIMER_530, true, 1234, false, false);
	for (int i = 0; i < 300 && !strstr(rm.text->str, "Button"); i++) {
		collect(in_member, &rm, 50);
		collect(in_nobody, &rn, 20);
	}
	collect(in_nobody, &rn, 500);
	ck_assert_msg(strstr(rm.text->str, "Button ('TIMER_530', true"), "%s",
		      rm.text->str);
	ck_assert_msg(!strstr(rn.text->str, "Button"), "nobody got: %s",
		      rn.text->str);
	g_subprocess_force_exit(member);
	g_subprocess_force_exit(nobody);
	g_subprocess_wait(member, NULL, NULL);
	g_subprocess_wait(nobody, NULL, NULL);
	g_string_free(rm.text, TRUE);
	g_string_free(rn.text, TRUE);
}
END_TEST

static unsigned int changes;
static char last_changed[256];

static void on_changed(GDBusConnection *c, const char *sender, const char *path,
		       const char *iface, const char *member, GVariant *params,
		       gpointer data)
{
	g_autoptr(GVariant) dict = NULL;
	GVariantIter it;
	const char *key;
	GString *keys = g_string_new(NULL);

	g_variant_get(params, "(&s@a{sv}@as)", NULL, &dict, NULL);
	g_variant_iter_init(&it, dict);
	while (g_variant_iter_next(&it, "{&sv}", &key, NULL))
		g_string_append_printf(keys, "%s%s", keys->len ? "," : "", key);
	g_strlcpy(last_changed, keys->str, sizeof(last_changed));
	g_string_free(keys, TRUE);
	changes++;
}

static unsigned int changes_wanted;
static bool have_changes(void)
{
	return changes >= changes_wanted;
}

/* A snapshot like the last one announces nothing; a change announces
 * only what changed, once. */
START_TEST(test_properties_changed)
{
	g_autoptr(GDBusConnection) watcher = connect_bus();
	RbApiSnapshot snap;
	guint sub;

	sub = g_dbus_connection_signal_subscribe(
		watcher, NULL, "org.freedesktop.DBus.Properties",
		"PropertiesChanged", RB_API_PATH, RB_API_IFACE,
		G_DBUS_SIGNAL_FLAGS_NONE, on_changed, NULL, NULL);
	/* The subscription reaches the bus before the signals do. */
	g_autoptr(GVariant) r = g_dbus_connection_call_sync(
		watcher, "org.freedesktop.DBus", "/org/freedesktop/DBus",
		"org.freedesktop.DBus", "GetId", NULL, NULL,
		G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
	changes = 0;
	memset(&snap, 0, sizeof(snap));
	snap.status = RB_ACCESS_NO_CONNECTION;
	rb_policy_config_init_defaults(&snap.config);
	for (int i = 0; i < 3; i++)
		rb_api_update(fx.api, &snap);
	snap.pairing = true;
	snap.pairing_seconds_left = 60;
	rb_api_update(fx.api, &snap);
	rb_api_update(fx.api, &snap);
	changes_wanted = 1;
	iterate_until(have_changes, 10000);
	/* Let any further signal arrive. */
	for (int i = 0; i < 50; i++)
		g_main_context_iteration(NULL, FALSE);
	g_usleep(200000);
	for (int i = 0; i < 50; i++)
		g_main_context_iteration(NULL, FALSE);
	ck_assert_uint_eq(changes, 1);
	ck_assert_str_eq(last_changed, "PairingMode,PairingSecondsLeft");
	g_dbus_connection_signal_unsubscribe(watcher, sub);
}
END_TEST

static Suite *api_suite(void)
{
	Suite *s = suite_create("api");
	TCase *tc = tcase_create("policy");

	tcase_add_checked_fixture(tc, setup_policy, stop_bus);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_policy_unprivileged);
	tcase_add_test(tc, test_policy_member);
	tcase_add_test(tc, test_second_application);
	tcase_add_test(tc, test_application_path);
	tcase_add_test(tc, test_notify_and_state);
	tcase_add_test(tc, test_application_not_looked_up_again);
	tcase_add_test(tc, test_hanging_application);
	tcase_add_test(tc, test_crashing_application);
	tcase_add_test(tc, test_signals_confined);
	tcase_add_test(tc, test_properties_changed);
	suite_add_tcase(s, tc);
	tc = tcase_create("open-bus");
	tcase_add_checked_fixture(tc, setup_open, stop_bus);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_code_check);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	static const char *const tools[] = {"dbus-daemon", "setpriv", "gdbus",
					    NULL};
	SRunner *sr;
	int failed;
	struct group *gr;

	if (geteuid() != 0) {
		g_print("SKIP: the API tests need root (uids and the bus "
			"name)\n");
		return 77;
	}
	for (const char *const *t = tools; *t; t++) {
		g_autofree char *path = g_find_program_in_path(*t);

		if (!path) {
			g_print("SKIP: %s missing\n", *t);
			return 77;
		}
	}
	/* A group that exists and is not nobody's own. */
	gr = getgrnam("users");
	if (!gr) {
		g_print("SKIP: no group 'users' to stand for [API] Group\n");
		return 77;
	}
	test_group = g_strdup(gr->gr_name);
	test_gid = gr->gr_gid;
	sr = srunner_create(api_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
