// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The box's agent: the passkeys it shows, and the default agent taken back
 * from whoever takes it.
 */
#define G_LOG_DOMAIN "reaction-boxd"

#include "config.h"

#include "daemon/private.h"

/* Who took the default agent is named at most this often per process. */
#define TAKER_LOG_MS 60000

static gboolean on_display_passkey(const char *path, guint32 passkey,
				   guint16 entered, void *data)
{
	RbDaemon *d = data;
	const RbBluezDevice *dev = rb_bluez_lookup_device(d->bluez, path);
	RbPeer peer;
	bool shown;

	if (!dev || !peer_of_device(dev, &peer)) {
		g_message("passkey for unknown device %s refused", path);
		return FALSE;
	}
	d->agent_passkey = passkey;
	shown = rb_policy_passkey(d->policy, &peer, passkey, now_ms(), d->fx);
	run_effects(d);
	return shown;
}

static void agent_retaken(GObject *src, GAsyncResult *res, gpointer data)
{
	RbDaemon *d = data;
	g_autoptr(GError) error = NULL;

	d->retaking_agent = false;
	if (!rb_agent_register_finish(d->agent, res, &error)) {
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			g_warning("taking the default agent again failed: %s",
				  error->message);
		return;
	}
	/* RequestDefaultAgent turned Pairable on. */
	enforce_pairable(d);
}

/* Another agent is BlueZ's default: take it back, saying @why (NULL:
 * quietly, it was said already). */
void retake_agent(RbDaemon *d, const char *why)
{
	if (!d->registered) {
		/* Our own RequestDefaultAgent may have come before it:
		 * taken back once registered (reg_run). */
		if (d->registering)
			d->agent_taken_early = true;
		return;
	}
	if (d->retaking_agent)
		return;
	if (why)
		g_warning("the box's agent is not BlueZ's default agent (%s): "
			  "taking it back",
			  why);
	d->retaking_agent = true;
	rb_agent_request_default(d->agent, d->session, agent_retaken, d);
}

typedef struct {
	char *sender;
	char *path;
} Taker;

static void taker_pid(GObject *src, GAsyncResult *res, gpointer data)
{
	Taker *t = data;
	g_autoptr(GVariant) reply = NULL;
	g_autofree char *comm = NULL;
	g_autofree char *comm_path = NULL;
	guint32 pid = 0;

	reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res,
					      NULL);
	if (reply) {
		g_variant_get(reply, "(u)", &pid);
		comm_path = g_strdup_printf("/proc/%u/comm", pid);
		if (g_file_get_contents(comm_path, &comm, NULL, NULL))
			g_strstrip(comm);
	}
	g_warning("%s (pid %u, %s) made its agent %s BlueZ's default agent",
		  t->sender, pid, comm ? comm : "?", t->path);
	g_free(t->sender);
	g_free(t->path);
	g_free(t);
}

/* Someone asked for the default agent (org.bluez sees it next). */
void on_default_agent_requested(const char *sender, const char *path,
				void *data)
{
	RbDaemon *d = data;
	Taker *t;

	if (g_strcmp0(sender, g_dbus_connection_get_unique_name(d->bus)) == 0)
		return;
	/* Taken back every time, but named once a minute: a process that
	 * keeps taking it must not flood the journal. */
	if (g_strcmp0(sender, d->last_taker) == 0 &&
	    now_ms() - d->last_taker_at < TAKER_LOG_MS) {
		d->taker_repeats++;
		retake_agent(d, NULL);
		return;
	}
	if (d->taker_repeats)
		g_warning("%s took the default agent %u more times", sender,
			  d->taker_repeats);
	g_free(d->last_taker);
	d->last_taker = g_strdup(sender);
	d->last_taker_at = now_ms();
	d->taker_repeats = 0;
	t = g_new0(Taker, 1);
	t->sender = g_strdup(sender);
	t->path = g_strdup(path);
	g_dbus_connection_call(
		d->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
		"org.freedesktop.DBus", "GetConnectionUnixProcessID",
		g_variant_new("(s)", sender), G_VARIANT_TYPE("(u)"),
		G_DBUS_CALL_FLAGS_NONE, 2000, NULL, taker_pid, t);
	/* Queued behind the other call at bluetoothd: ours wins. */
	retake_agent(d, "another process requested the default agent");
}

const RbAgentCallbacks agent_callbacks = {
	.display_passkey = on_display_passkey,
};
