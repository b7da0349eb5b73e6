// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * reaction-boxctl local: reaction-boxd's own D-Bus API on this machine
 * (src/api/org.reactionbox.Box1.xml, reaction-boxd-dbus(7)), on the
 * system bus. No Bluetooth: the tool runs on the box itself.
 */
#define G_LOG_DOMAIN "reaction-boxctl"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "client/ctl.h"

#define BOX_NAME "org.reactionbox"
#define BOX_PATH "/org/reactionbox"
#define IFACE_BOX "org.reactionbox.Box1"
#define DBUS_NAME "org.freedesktop.DBus"
#define DBUS_PATH "/org/freedesktop/DBus"

/* Asks the bus who owns org.reactionbox. After a signal subscription,
 * its reply also means the bus has the match rule. */
static bool find_daemon(Ctl *c)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) ret = NULL;

	ret = ctl_call_full(c, DBUS_NAME, DBUS_PATH, DBUS_NAME, "GetNameOwner",
			    g_variant_new("(s)", BOX_NAME),
			    G_VARIANT_TYPE("(s)"), c->args->timeout_s, &err);
	if (!ret)
		return ctl_fail_gerror(c, RB_CTL_OP_LOCAL,
				       "looking for reaction-boxd", err);
	g_free(c->box_owner);
	g_variant_get(ret, "(s)", &c->box_owner);
	g_debug("reaction-boxd is %s", c->box_owner);
	return true;
}

bool ctl_local_setup(Ctl *c)
{
	return ctl_bus_open(c) && find_daemon(c);
}

/* A call on reaction-boxd's object; NULL (recorded) on failure. */
static GVariant *box_call(Ctl *c, RbCtlOp op, const char *what,
			  const char *iface, const char *method,
			  GVariant *params, const GVariantType *rtype)
{
	g_autoptr(GError) err = NULL;
	GVariant *ret;

	ret = ctl_call_full(c, BOX_NAME, BOX_PATH, iface, method, params, rtype,
			    c->args->timeout_s, &err);
	if (!ret)
		ctl_fail_gerror(c, op, what, err);
	return ret;
}

bool ctl_cmd_local_status(Ctl *c)
{
	g_autoptr(GVariant) ret = NULL;
	g_autoptr(GVariant) props = NULL;
	g_autofree char *out = NULL;

	ret = box_call(c, RB_CTL_OP_LOCAL, "reading reaction-boxd's state",
		       IFACE_PROPS, "GetAll", g_variant_new("(s)", IFACE_BOX),
		       G_VARIANT_TYPE("(a{sv})"));
	if (!ret)
		return false;
	props = g_variant_get_child_value(ret, 0);
	out = c->args->json ? rb_ctl_box_status_json(props)
			    : rb_ctl_box_status_text(props);
	ctl_print_line(out);
	return true;
}

/* ---- local watch ---- */

/* Prints @line (owned) unless --count is already reached. */
static void watch_print(Ctl *c, char *line)
{
	if (!c->args->count || c->seen < c->args->count) {
		ctl_print_line(line);
		c->seen++;
	}
	g_free(line);
}

static void on_box_props(GDBusConnection *bus, const char *sender,
			 const char *path, const char *iface,
			 const char *signal, GVariant *params, gpointer data)
{
	Ctl *c = data;
	const char *changed_iface;
	g_autoptr(GVariant) changed = NULL;
	g_autofree const char **invalidated = NULL;

	if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(sa{sv}as)")))
		return;
	g_variant_get(params, "(&s@a{sv}^a&s)", &changed_iface, &changed,
		      &invalidated);
	if (strcmp(changed_iface, IFACE_BOX) != 0)
		return;
	watch_print(c, c->args->json
			       ? rb_ctl_box_changed_json(changed, invalidated)
			       : rb_ctl_box_changed_text(changed, invalidated));
}

static void on_button(GDBusConnection *bus, const char *sender,
		      const char *path, const char *iface, const char *signal,
		      GVariant *params, gpointer data)
{
	Ctl *c = data;
	const char *name;
	gboolean pressed;
	guint64 us;

	if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(sbt)")))
		return;
	g_variant_get(params, "(&sbt)", &name, &pressed, &us);
	watch_print(c, c->args->json ? rb_ctl_button_json(name, pressed, us)
				     : rb_ctl_button_text(name, pressed, us));
}

static void on_box_owner(GDBusConnection *bus, const char *sender,
			 const char *path, const char *iface,
			 const char *signal, GVariant *params, gpointer data)
{
	Ctl *c = data;
	const char *new_owner;

	if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(sss)")))
		return;
	g_variant_get(params, "(&s&s&s)", NULL, NULL, &new_owner);
	if (!*new_owner)
		c->lost = true;
}

static bool watch_over(Ctl *c, gpointer data)
{
	return c->lost || (c->args->count && c->seen >= c->args->count);
}

bool ctl_cmd_local_watch(Ctl *c)
{
	gint64 deadline = 0;
	bool done;

	/* By the well-known name: the bus delivers only its owner's. */
	c->sig_box_props = g_dbus_connection_signal_subscribe(
		c->bus, BOX_NAME, IFACE_PROPS, "PropertiesChanged", BOX_PATH,
		IFACE_BOX, G_DBUS_SIGNAL_FLAGS_NONE, on_box_props, c, NULL);
	c->sig_button = g_dbus_connection_signal_subscribe(
		c->bus, BOX_NAME, IFACE_BOX, "Button", BOX_PATH, NULL,
		G_DBUS_SIGNAL_FLAGS_NONE, on_button, c, NULL);
	c->sig_box_owner = g_dbus_connection_signal_subscribe(
		c->bus, DBUS_NAME, DBUS_NAME, "NameOwnerChanged", DBUS_PATH,
		BOX_NAME, G_DBUS_SIGNAL_FLAGS_NONE, on_box_owner, c, NULL);
	/* Once this is answered, no signal is missed. */
	if (!find_daemon(c))
		return false;
	ctl_event(c, "subscribed", "watching reaction-boxd (%s)", c->box_owner);
	/* With --count, or an explicit --timeout, a script never hangs. */
	if (c->args->count || c->args->timeout_given)
		deadline = ctl_deadline_after(c->args->timeout_s);
	done = ctl_wait_until(c, watch_over, NULL, deadline);
	if (c->lost)
		return ctl_fail(c, RB_CTL_EXIT_NO_BOX,
				"reaction-boxd left the bus after %u signals",
				c->seen);
	return done || ctl_watch_cut_short(c, c->seen, "signals");
}

/* ---- the admin methods ---- */

/* A typed answer on the terminal, read from the main loop so that a
 * signal still ends the wait. */
typedef struct {
	int fd;
	GString *line;
	bool done;
} Answer;

static gboolean on_answer(GIOChannel *ch, GIOCondition cond, gpointer data)
{
	Answer *a = data;
	char buf[64];
	ssize_t n = read(a->fd, buf, sizeof(buf));

	if (n < 0 && errno == EINTR)
		return G_SOURCE_CONTINUE;
	for (ssize_t i = 0; i < n && !a->done; i++) {
		if (buf[i] == '\n')
			a->done = true;
		else
			g_string_append_c(a->line, buf[i]);
	}
	if (n <= 0)
		a->done = true; /* end of input: no */
	return a->done ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static bool answered(Ctl *c, gpointer data)
{
	return ((Answer *)data)->done;
}

/* Asks @question on the terminal unless --yes; false (recorded) unless
 * the answer is yes. Without a terminal, --yes is required. */
static bool confirm(Ctl *c, const char *question)
{
	g_autoptr(GString) line = g_string_new(NULL);
	g_autoptr(GIOChannel) ch = NULL;
	g_autofree char *prompt = NULL;
	Answer a = {.line = line};
	guint watch;
	bool ok;

	if (c->args->yes)
		return true;
	a.fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (a.fd < 0)
		return ctl_fail(c, RB_CTL_EXIT_USAGE,
				"%s: no terminal to confirm on (/dev/tty: %s); "
				"give --yes",
				rb_ctl_command_name(c->args->cmd),
				g_strerror(errno));
	prompt = g_strdup_printf("%s [y/N] ", question);
	if (write(a.fd, prompt, strlen(prompt)) < 0)
		g_debug("cannot write the prompt: %s", g_strerror(errno));
	ch = g_io_channel_unix_new(a.fd);
	watch = g_io_add_watch(ch, G_IO_IN | G_IO_HUP | G_IO_ERR, on_answer,
			       &a);
	ok = ctl_wait_until(c, answered, &a,
			    ctl_deadline_after(c->args->timeout_s));
	if (!a.done)
		g_source_remove(watch);
	close(a.fd);
	if (!ok && c->interrupted)
		return ctl_fail(c, RB_CTL_EXIT_INTERRUPTED, "interrupted");
	if (!ok)
		return ctl_fail(c, RB_CTL_EXIT_TIMEOUT,
				"no answer within %u s; nothing changed",
				c->args->timeout_s);
	if (!rb_ctl_confirmed(line->str))
		return ctl_fail(c, RB_CTL_EXIT_USAGE,
				"not confirmed; nothing changed");
	return true;
}

static const struct {
	RbCtlCommand cmd;
	const char *method;
	const char *what; /* for errors */
	const char *kind; /* the event */
	const char *done;
	const char *question; /* asked first, unless --yes; or NULL */
} admin_methods[] = {
	{RB_CTL_CMD_LOCAL_FORGET_OWNER, "ForgetOwner", "forgetting the owner",
	 "owner-forgotten", "the box forgot its owner", NULL},
	{RB_CTL_CMD_LOCAL_FACTORY_RESET, "FactoryReset", "factory reset",
	 "factory-reset", "the box is reset to its factory state",
	 "Reset reaction-boxd to its factory state? Its owner and stored "
	 "state are erased."},
	{RB_CTL_CMD_LOCAL_EXIT_PAIRING, "ExitPairingMode",
	 "closing pairing mode", "pairing-closed", "pairing mode is closed",
	 NULL},
	{RB_CTL_CMD_LOCAL_ENTER_PAIRING, "EnterPairingMode",
	 "opening pairing mode", "pairing-open", "pairing mode is open", NULL},
};

bool ctl_cmd_local_admin(Ctl *c)
{
	for (unsigned int i = 0; i < G_N_ELEMENTS(admin_methods); i++) {
		g_autoptr(GVariant) ret = NULL;

		if (admin_methods[i].cmd != c->args->cmd)
			continue;
		if (admin_methods[i].question &&
		    !confirm(c, admin_methods[i].question))
			return false;
		ret = box_call(c, RB_CTL_OP_LOCAL_ADMIN, admin_methods[i].what,
			       IFACE_BOX, admin_methods[i].method, NULL, NULL);
		if (!ret)
			return false;
		ctl_event(c, admin_methods[i].kind, "%s",
			  admin_methods[i].done);
		return true;
	}
	return ctl_fail(c, RB_CTL_EXIT_USAGE, "%s is not an admin command",
			rb_ctl_command_name(c->args->cmd));
}

void ctl_local_teardown(Ctl *c)
{
	if (c->sig_box_props)
		g_dbus_connection_signal_unsubscribe(c->bus, c->sig_box_props);
	if (c->sig_button)
		g_dbus_connection_signal_unsubscribe(c->bus, c->sig_button);
	if (c->sig_box_owner)
		g_dbus_connection_signal_unsubscribe(c->bus, c->sig_box_owner);
	c->sig_box_props = c->sig_button = c->sig_box_owner = 0;
	g_clear_pointer(&c->box_owner, g_free);
}
