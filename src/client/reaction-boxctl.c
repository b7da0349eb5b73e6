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

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "client/ctl.h"

/* ---- results and output ---------------------------------------------- */

G_GNUC_PRINTF(3, 4)
bool ctl_fail(Ctl *c, RbCtlExit code, const char *fmt, ...)
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
bool ctl_fail_gerror(Ctl *c, RbCtlOp op, const char *what, const GError *err)
{
	g_autofree char *name = NULL;
	g_autofree char *msg = NULL;
	const char *reason;
	RbCtlExit code;
	uint8_t att = 0;

	if (c->interrupted ||
	    g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return ctl_fail(c, RB_CTL_EXIT_INTERRUPTED, "%s: interrupted",
				what);
	if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
		return ctl_fail(c, RB_CTL_EXIT_TIMEOUT,
				"%s: timed out after %u s", what,
				c->args->timeout_s);
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
		return ctl_fail(c, code, "%s rejected: %s", what, reason);
	reason = rb_ctl_local_reason(op, code, geteuid() == 0);
	if (reason && code == RB_CTL_EXIT_NO_BOX)
		return ctl_fail(c, code, "%s", reason); /* whatever we did */
	if (reason)
		return ctl_fail(c, code, "%s: %s", what, reason);
	if (code == RB_CTL_EXIT_TIMEOUT)
		return ctl_fail(c, code, "%s: timed out (%s)", what,
				name ? name : msg);
	return ctl_fail(c, code, "%s failed: %s%s%s", what, name ? name : "",
			name ? ": " : "", msg);
}

void ctl_print_line(const char *line)
{
	fputs(line, stdout);
	fputc('\n', stdout);
	fflush(stdout);
}

/* An informational event: text for people, JSON with "type":"event". */
G_GNUC_PRINTF(3, 4)
void ctl_event(Ctl *c, const char *kind, const char *fmt, ...)
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
		ctl_print_line(j->str);
	} else {
		ctl_print_line(text);
	}
}

bool ctl_watch_cut_short(Ctl *c, unsigned int seen, const char *what)
{
	if (!c->args->count)
		return true; /* Ctrl-C or --timeout end an open watch */
	if (c->interrupted)
		return ctl_fail(c, RB_CTL_EXIT_INTERRUPTED,
				"interrupted after %u %s", seen, what);
	return ctl_fail(c, RB_CTL_EXIT_TIMEOUT, "%u of %u %s within %u s", seen,
			c->args->count, what, c->args->timeout_s);
}

void ctl_emit_msg(Ctl *c, const Msg *m)
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
			ctl_print_line(j->str);
		} else {
			g_autofree char *t = g_strdup_printf(
				"%s: undecodable message: %s", m->source,
				m->error);
			ctl_print_line(t);
		}
		return;
	}
	if (c->args->json)
		line = rb_ctl_reply_json(&m->reply, m->source);
	else
		line = rb_ctl_reply_text(&m->reply, m->source);
	ctl_print_line(line);
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
		ctl_print_line(j->str);
	} else if (c->exit_code != RB_CTL_EXIT_OK) {
		fprintf(stderr, "reaction-boxctl: %s\n",
			c->message ? c->message : "failed");
	}
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
	"  status                     print the access status and app state\n"
	"  watch [--count N]          print the box's notifications\n"
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
	"  send TYPE [BODY] [--text] [--no-wait]\n"
	"                             send an application message (owner "
	"only),\n"
	"                             BODY in hex or as text; print the "
	"reply\n"
	"\n"
	"Local commands (on the box: reaction-boxd's D-Bus API):\n"
	"  local status               print reaction-boxd's state\n"
	"  local watch [--count N]    print its changes and button edges\n"
	"  local forget-owner         forget the write owner (root)\n"
	"  local factory-reset [--yes]  reset to the factory state (root)\n"
	"  local exit-pairing         close pairing mode (root)\n"
	"  local enter-pairing        open pairing mode (root, if allowed)\n"
	"\n"
	"Options:\n"
	"  --adapter hciN   the adapter to use (default: the first)\n"
	"  --box ADDR|NAME  the box (default: the first Reaction_* found)\n"
	"  --json           machine output: one JSON object per line\n"
	"  --timeout SEC    limit of each step (default 20)\n"
	"  --force          config set: send out-of-range values anyway\n"
	"  --yes            local factory-reset: do not ask\n"
	"  -h, --help       this help;  --version  the version\n"
	"\n"
	"Settings: pairing_timeout_ms, pin_failure_limit, pin_lockout_ms,\n"
	"          stale_bond_window_ms, stale_bond_strikes\n"
	"\n"
	"Exit status:\n"
	"  0   OK\n"
	"  1   usage error\n"
	"  2   no box, not connected (local: reaction-boxd is not running)\n"
	"  3   timeout\n"
	"  4   write rejected: NOT_PAIRED (ATT 0x80)\n"
	"  5   write rejected: NOT_ENCRYPTED (ATT 0x81)\n"
	"  6   write rejected: NOT_AUTHENTICATED (ATT 0x82)\n"
	"  7   write rejected: NOT_AUTHORIZED (ATT 0x83);\n"
	"      local: permission denied\n"
	"  8   pairing failed or refused\n"
	"  9   the box answered an error\n"
	"  10  other D-Bus or BlueZ error\n"
	"  130 interrupted\n"
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
	if (rb_ctl_command_is_local(c->args->cmd) ? !ctl_local_setup(c)
						  : !ctl_setup(c))
		return false;
	switch (c->args->cmd) {
	case RB_CTL_CMD_NONE:
		return ctl_fail(c, RB_CTL_EXIT_USAGE, "no command");
	case RB_CTL_CMD_SCAN:
		return ctl_cmd_scan(c);
	case RB_CTL_CMD_PAIR:
		return ctl_cmd_pair(c);
	case RB_CTL_CMD_STATUS:
		return ctl_cmd_status(c);
	case RB_CTL_CMD_WATCH:
		return ctl_cmd_watch(c);
	case RB_CTL_CMD_CONFIG_GET:
		return ctl_cmd_config(c, false);
	case RB_CTL_CMD_CONFIG_SET:
		return ctl_cmd_config(c, true);
	case RB_CTL_CMD_CONFIG_READ:
		return ctl_cmd_config_read(c);
	case RB_CTL_CMD_WRITE:
		return ctl_cmd_write(c);
	case RB_CTL_CMD_TRIGGER_PAIRING:
		return ctl_cmd_trigger_pairing(c);
	case RB_CTL_CMD_REMOVE:
		return ctl_cmd_remove(c);
	case RB_CTL_CMD_DISCONNECT:
		return ctl_cmd_disconnect(c);
	case RB_CTL_CMD_SEND:
		return ctl_cmd_send(c);
	case RB_CTL_CMD_LOCAL_STATUS:
		return ctl_cmd_local_status(c);
	case RB_CTL_CMD_LOCAL_WATCH:
		return ctl_cmd_local_watch(c);
	case RB_CTL_CMD_LOCAL_FORGET_OWNER:
	case RB_CTL_CMD_LOCAL_FACTORY_RESET:
	case RB_CTL_CMD_LOCAL_EXIT_PAIRING:
	case RB_CTL_CMD_LOCAL_ENTER_PAIRING:
		return ctl_cmd_local_admin(c);
	}
	return false;
}

static void teardown(Ctl *c)
{
	if (c->bus) {
		ctl_agent_unregister(c);
		if (c->discovering)
			ctl_stop_discovery(c);
		if (c->sig_props)
			g_dbus_connection_signal_unsubscribe(c->bus,
							     c->sig_props);
		if (c->sig_added)
			g_dbus_connection_signal_unsubscribe(c->bus,
							     c->sig_added);
		if (c->sig_removed)
			g_dbus_connection_signal_unsubscribe(c->bus,
							     c->sig_removed);
		ctl_local_teardown(c);
		g_dbus_connection_flush_sync(c->bus, NULL, NULL);
		g_object_unref(c->bus);
	}
	if (c->tty)
		g_io_channel_unref(c->tty);
	if (c->tty_fd >= 0)
		close(c->tty_fd);
	if (c->tty_line)
		g_string_free(c->tty_line, TRUE);
	g_queue_clear_full(&c->msgs, ctl_msg_free);
	rb_reassembler_clear(&c->reasm);
	rb_reassembler_clear(&c->reasm_access);
	rb_reassembler_clear(&c->reasm_app_state);
	g_hash_table_unref(c->devs);
	g_free(c->bluez_owner);
	g_free(c->adapter_path);
	g_free(c->adapter_name);
	g_free(c->dev_path);
	g_free(c->chr_protocol);
	g_free(c->chr_access);
	g_free(c->chr_pair);
	g_free(c->chr_app_state);
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
	c.devs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
				       ctl_dev_free);
	g_queue_init(&c.msgs);
	rb_reassembler_init(&c.reasm);
	rb_reassembler_init(&c.reasm_access);
	rb_reassembler_init(&c.reasm_app_state);
	sigint = g_unix_signal_add(SIGINT, on_signal, &c);
	sigterm = g_unix_signal_add(SIGTERM, on_signal, &c);

	if (!run(&c) && c.exit_code == RB_CTL_EXIT_OK)
		ctl_fail(&c, RB_CTL_EXIT_DBUS, "failed");
	emit_result(&c);
	rc = (int)c.exit_code;

	teardown(&c);
	g_source_remove(sigint);
	g_source_remove(sigterm);
	rb_ctl_args_clear(&args);
	return rc;
}
