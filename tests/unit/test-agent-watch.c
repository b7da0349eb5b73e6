// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The default-agent watch on a private dbus-daemon (GTestDBus): a client
 * that calls AgentManager1.RequestDefaultAgent is reported with its unique
 * name and agent path; other calls are not. A fake "org.bluez" answers.
 */
#include <check.h>
#include <gio/gio.h>

#include "bluez/agent-watch.h"

typedef struct {
	int reports;
	char *sender;
	char *path;
} Seen;

static void on_report(const char *sender, const char *path, void *data)
{
	Seen *s = data;

	s->reports++;
	g_free(s->sender);
	g_free(s->path);
	s->sender = g_strdup(sender);
	s->path = g_strdup(path);
}

static const char agent_mgr_xml[] =
	"<node><interface name='org.bluez.AgentManager1'>"
	"<method name='RequestDefaultAgent'><arg type='o' direction='in'/>"
	"</method>"
	"<method name='RegisterAgent'><arg type='o' direction='in'/>"
	"<arg type='s' direction='in'/></method>"
	"</interface></node>";

static void fake_call(GDBusConnection *c, const char *sender, const char *path,
		      const char *iface, const char *method, GVariant *params,
		      GDBusMethodInvocation *inv, gpointer d)
{
	g_dbus_method_invocation_return_value(inv, NULL);
}

static const GDBusInterfaceVTable fake_vtable = {fake_call, NULL, NULL, {0}};

static GDBusConnection *connect_to(GTestDBus *bus)
{
	GError *error = NULL;
	GDBusConnection *c = g_dbus_connection_new_for_address_sync(
		g_test_dbus_get_bus_address(bus),
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
			G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
		NULL, NULL, &error);

	ck_assert_msg(c, "%s", error ? error->message : "");
	return c;
}

static void call_done(GObject *src, GAsyncResult *res, gpointer data)
{
	GError *error = NULL;
	GVariant *r = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res,
						    &error);

	ck_assert_msg(r, "%s", error ? error->message : "");
	g_variant_unref(r);
	(*(int *)data)++;
}

/* Calls org.bluez (served by this thread's main context) and waits. */
static void call(GDBusConnection *c, const char *method, GVariant *params)
{
	int done = 0;
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

	g_dbus_connection_call(c, "org.bluez", "/org/bluez",
			       "org.bluez.AgentManager1", method, params, NULL,
			       G_DBUS_CALL_FLAGS_NONE, 5000, NULL, call_done,
			       &done);
	while (!done && g_get_monotonic_time() < end)
		g_main_context_iteration(NULL, TRUE);
	ck_assert_int_eq(done, 1);
}

static void spin_until(int *counter, int want)
{
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

	while (*counter < want && g_get_monotonic_time() < end)
		g_main_context_iteration(NULL, FALSE);
	/* let anything unexpected arrive too */
	end = g_get_monotonic_time() + 200 * 1000;
	while (g_get_monotonic_time() < end)
		g_main_context_iteration(NULL, FALSE);
}

static void watch_made(GObject *src, GAsyncResult *res, gpointer data)
{
	RbAgentWatch **out = data;
	GError *error = NULL;

	*out = rb_agent_watch_new_finish(res, &error);
	ck_assert_msg(*out, "%s", error ? error->message : "");
}

/* The watch, made blocking (@async 0) or not (1). */
static RbAgentWatch *make_watch(const char *addr, Seen *seen, int async)
{
	RbAgentWatch *w = NULL;
	GError *error = NULL;
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

	if (!async) {
		w = rb_agent_watch_new(addr, on_report, seen, &error);
		ck_assert_msg(w, "%s", error ? error->message : "");
		return w;
	}
	rb_agent_watch_new_async(addr, on_report, seen, NULL, watch_made, &w);
	while (!w && g_get_monotonic_time() < end)
		g_main_context_iteration(NULL, FALSE);
	ck_assert_ptr_nonnull(w);
	return w;
}

/* _i: 0 made blocking, 1 made without blocking. */
START_TEST(test_reports_request_default)
{
	GTestDBus *bus = g_test_dbus_new(G_TEST_DBUS_NONE);
	GDBusConnection *bluez, *rogue;
	GDBusNodeInfo *node;
	RbAgentWatch *w;
	GError *error = NULL;
	Seen seen = {0};
	guint reg;

	g_test_dbus_up(bus);
	bluez = connect_to(bus);
	node = g_dbus_node_info_new_for_xml(agent_mgr_xml, &error);
	ck_assert_ptr_nonnull(node);
	reg = g_dbus_connection_register_object(
		bluez, "/org/bluez", node->interfaces[0], &fake_vtable, NULL,
		NULL, &error);
	ck_assert_uint_ne(reg, 0);
	g_bus_own_name_on_connection(bluez, "org.bluez",
				     G_BUS_NAME_OWNER_FLAGS_NONE, NULL, NULL,
				     NULL, NULL);
	spin_until(&seen.reports, 0);

	w = make_watch(g_test_dbus_get_bus_address(bus), &seen, _i);
	rogue = connect_to(bus);
	call(rogue, "RegisterAgent",
	     g_variant_new("(os)", "/rogue/agent", "KeyboardDisplay"));
	call(rogue, "RequestDefaultAgent",
	     g_variant_new("(o)", "/rogue/agent"));
	spin_until(&seen.reports, 1);
	ck_assert_int_eq(seen.reports, 1);
	ck_assert_str_eq(seen.sender, g_dbus_connection_get_unique_name(rogue));
	ck_assert_str_eq(seen.path, "/rogue/agent");
	/* it keeps watching: a second request is reported too */
	call(rogue, "RequestDefaultAgent", g_variant_new("(o)", "/rogue/two"));
	spin_until(&seen.reports, 2);
	ck_assert_int_eq(seen.reports, 2);
	ck_assert_str_eq(seen.path, "/rogue/two");

	/* nothing is reported after the watch is freed */
	rb_agent_watch_free(w);
	call(rogue, "RequestDefaultAgent",
	     g_variant_new("(o)", "/rogue/agent"));
	spin_until(&seen.reports, 3);
	ck_assert_int_eq(seen.reports, 2);

	g_object_unref(rogue);
	g_dbus_connection_unregister_object(bluez, reg);
	g_dbus_node_info_unref(node);
	g_object_unref(bluez);
	g_test_dbus_down(bus);
	g_object_unref(bus);
	g_free(seen.sender);
	g_free(seen.path);
}
END_TEST

START_TEST(test_no_bus)
{
	GError *error = NULL;
	Seen seen = {0};
	RbAgentWatch *w = rb_agent_watch_new("unix:path=/nonexistent/bus",
					     on_report, &seen, &error);

	ck_assert_ptr_null(w);
	ck_assert_ptr_nonnull(error);
	g_error_free(error);
}
END_TEST

static void no_watch(GObject *src, GAsyncResult *res, gpointer data)
{
	int *done = data;
	GError *error = NULL;

	ck_assert_ptr_null(rb_agent_watch_new_finish(res, &error));
	ck_assert_ptr_nonnull(error);
	g_error_free(error);
	*done = 1;
}

START_TEST(test_no_bus_async)
{
	Seen seen = {0};
	int done = 0;
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

	rb_agent_watch_new_async("unix:path=/nonexistent/bus", on_report, &seen,
				 NULL, no_watch, &done);
	while (!done && g_get_monotonic_time() < end)
		g_main_context_iteration(NULL, FALSE);
	ck_assert_int_eq(done, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("agent-watch");
	TCase *tc = tcase_create("/bluez/agent-watch");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_reports_request_default, 0, 2);
	tcase_add_test(tc, test_no_bus);
	tcase_add_test(tc, test_no_bus_async);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
