// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * reaction-boxctl pair: the KeyboardOnly pairing agent and its PIN sources
 * (the argument, a file the box's screen is written to, the terminal).
 */
#define G_LOG_DOMAIN "reaction-boxctl"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "client/ctl.h"

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
	ctl_event(c, "pin", "PIN read from %s", c->args->pin_file);
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
		ctl_event(c, "agent-cancel",
			  "bluetoothd canceled the PIN request");
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
	ctl_event(c, "passkey-requested", "the box asks for its PIN");
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
		return ctl_fail(c, RB_CTL_EXIT_DBUS,
				"cannot export the agent: %s", err->message);
	ret = ctl_call(c, "/org/bluez", IFACE_AGENT_MANAGER, "RegisterAgent",
		       g_variant_new("(os)", AGENT_PATH, "KeyboardOnly"), NULL,
		       &err);
	if (!ret)
		return ctl_fail_gerror(c, RB_CTL_OP_GENERIC,
				       "registering the agent", err);
	c->agent_registered = true;
	return true;
}

void ctl_agent_unregister(Ctl *c)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) ret = NULL;

	stop_pin_sources(c);
	if (c->passkey_inv)
		g_dbus_method_invocation_return_dbus_error(
			g_steal_pointer(&c->passkey_inv),
			"org.bluez.Error.Canceled", "exiting");
	if (c->agent_registered) {
		ret = ctl_call(c, "/org/bluez", IFACE_AGENT_MANAGER,
			       "UnregisterAgent",
			       g_variant_new("(o)", AGENT_PATH), NULL, &err);
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
		return ctl_fail(
			c, RB_CTL_EXIT_USAGE,
			"no PIN: give it as an argument, with --pin-file, "
			"or run on a terminal (/dev/tty: %s)",
			g_strerror(errno));
	c->tty = g_io_channel_unix_new(c->tty_fd);
	c->tty_line = g_string_new(NULL);
	return true;
}

bool ctl_cmd_pair(Ctl *c)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) ret = NULL;
	g_autofree char *label = NULL;
	g_autofree char *name = NULL;

	if (!pin_source_ready(c) || !ctl_find_box(c, true))
		return false;
	label = g_strdup_printf("%s (%s)", ctl_dev_label(c->dev),
				c->dev->address);
	if (c->dev->paired) {
		ctl_event(c, "paired",
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
	if (!agent_register(c) ||
	    (c->dev->connected && !ctl_connect_box(c, true)))
		return false;
	ctl_event(c, "pairing", "pairing with %s", label);
	ret = ctl_call(c, c->dev_path, IFACE_DEVICE, "Pair", NULL, NULL, &err);
	if (!ret && g_dbus_error_is_remote_error(err)) {
		name = g_dbus_error_get_remote_error(err);
		if (g_strcmp0(name, "org.bluez.Error.AlreadyExists") == 0) {
			ctl_event(c, "paired", "already paired with %s", label);
			return true;
		}
	}
	if (!ret) {
		if (c->interrupted ||
		    g_error_matches(err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
			g_autoptr(GVariant) r2 = NULL;

			r2 = ctl_call_full(c, BLUEZ, c->dev_path, IFACE_DEVICE,
					   "CancelPairing", NULL, NULL, 2,
					   NULL);
		}
		return ctl_fail_gerror(c, RB_CTL_OP_PAIR, "pairing", err);
	}
	ctl_event(c, "paired", "paired with %s", label);
	return true;
}
