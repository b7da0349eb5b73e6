// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The policy's effects turned into I/O: D-Bus calls, the display,
 * notifications, atomic writes; the policy's timer; Pairable kept as the
 * policy says.
 */
#define G_LOG_DOMAIN "reaction-boxd"

#include "config.h"

#include <systemd/sd-daemon.h>

#include "core/codec.h"
#include "core/framing.h"
#include "daemon/private.h"

static void schedule(RbDaemon *d);

static bool device_connected(const char *path, void *data)
{
	RbDaemon *d = data;
	const RbBluezDevice *dev = rb_bluez_lookup_device(d->bluez, path);

	return dev && dev->connected;
}

void notify_framed(RbDaemon *d, RbGattChar which, const uint8_t *msg, gsize len)
{
	g_autoptr(GPtrArray) frags = NULL;
	g_autoptr(GError) error = NULL;
	gsize payload = RB_FRAME_MIN_PAYLOAD;
	guint16 mtu;

	if (!d->gatt || !d->registered)
		return;
	/* Notifications go to every subscriber: cut them for the smallest
	 * MTU known among connected peers (from their reads and writes; 23
	 * when none is known). */
	mtu = rb_gatt_smallest_mtu(d->gatt, device_connected, d);
	if (mtu)
		payload = MAX((gsize)mtu - 3, RB_FRAME_MIN_PAYLOAD);
	frags = rb_frame_split(msg, len, payload, &error);
	if (!frags) {
		g_warning("notification on %s not sent: %s",
			  rb_gatt_char_name(which), error->message);
		return;
	}
	for (guint i = 0; i < frags->len; i++)
		rb_gatt_notify(d->gatt, which, g_ptr_array_index(frags, i));
}

static void notify_access(RbDaemon *d, const RbAccess *a)
{
	g_autofree uint8_t *msg = NULL;
	gsize len = 0;

	msg = rb_codec_encode_access(a, &len);
	notify_framed(d, RB_GATT_CHAR_ACCESS, msg, len);
}

/*
 * Pairable (the kernel's bondable flag) follows the policy. All sets go
 * through here, one at a time. The daemon sets the flag itself with mgmt
 * Set Bondable, which the kernel does at once; bluetoothd learns it from
 * the kernel's New Settings event and shows it as Adapter1.Pairable, as
 * it does for a change of its own (it does not set it back). If the
 * command cannot be sent or the kernel refuses it, the daemon asks
 * bluetoothd (Set(Adapter1.Pairable)), which answers a second concurrent
 * set with Busy; a failure of both is retried. bluetoothd turns the flag
 * on by itself when the default agent changes, so every change of it,
 * seen by the kernel (New Settings) or by bluetoothd (adapter_changed),
 * is checked again.
 */

static gboolean retry_pairable(gpointer data)
{
	RbDaemon *d = data;

	d->pairable_retry_id = 0;
	enforce_pairable(d);
	return G_SOURCE_REMOVE;
}

static void pairable_set(RbDaemon *d)
{
	d->pairable_inflight = false;
	if (d->pairable_recheck) {
		d->pairable_recheck = false;
		enforce_pairable(d);
	}
	reg_check(d);
}

static void pairable_failed(RbDaemon *d)
{
	d->pairable_inflight = false;
	if (!d->pairable_retry_id)
		d->pairable_retry_id = g_timeout_add(500, retry_pairable, d);
}

static void set_pairable_done(GObject *src, GAsyncResult *res, gpointer data)
{
	RbDaemon *d = data;
	g_autoptr(GError) error = NULL;

	if (!rb_bluez_set_adapter_property_finish(d->bluez, res, &error)) {
		if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			return;
		g_warning("setting Pairable on %s failed: %s; retrying",
			  d->adapter_path, error->message);
		pairable_failed(d);
		return;
	}
	pairable_set(d);
}

static void set_pairable_dbus(RbDaemon *d, bool want)
{
	d->pairable_via_mgmt = false;
	rb_bluez_set_adapter_property(
		d->bluez, d->adapter_path, RB_BLUEZ_ADAPTER_PROP_PAIRABLE,
		g_variant_new_boolean(want), d->session, set_pairable_done, d);
}

static void set_bondable_done(uint16_t index, uint8_t status, uint32_t settings,
			      void *data)
{
	RbDaemon *d = data;
	bool want = rb_policy_pairing_mode(d->policy);

	if (status != RB_MGMT_STATUS_SUCCESS) {
		if (index != (uint16_t)d->adapter_index || !d->adapter_path ||
		    !d->bluez || !rb_bluez_owner(d->bluez)) {
			pairable_failed(d);
			return;
		}
		g_warning("hci%u: Set Bondable refused (%s); asking bluetoothd",
			  index, rb_mgmt_status_str(status));
		set_pairable_dbus(d, want);
		return;
	}
	if (index == (uint16_t)d->adapter_index)
		d->kernel_bondable = (settings & RB_MGMT_SETTING_BONDABLE) ? 1
									   : 0;
	pairable_set(d);
}

void enforce_pairable(RbDaemon *d)
{
	const RbBluezAdapter *ad;
	g_autoptr(GError) error = NULL;
	bool want;

	if (!d->bluez || !d->adapter_path || !rb_bluez_owner(d->bluez))
		return;
	if (d->pairable_inflight) {
		d->pairable_recheck = true;
		return;
	}
	ad = rb_bluez_lookup_adapter(d->bluez, d->adapter_path);
	if (!ad)
		return;
	want = rb_policy_pairing_mode(d->policy);
	/* The kernel's flag, as mgmt said, is the fact; bluetoothd's view
	 * follows it a moment later. Either one unlike the policy sets it
	 * again (setting it to what it is changes nothing). */
	if (ad->pairable == want &&
	    (d->kernel_bondable < 0 || d->kernel_bondable == (int)want))
		return;
	g_message("%s: setting Pairable %s", d->adapter_path,
		  want ? "on" : "off");
	d->pairable_inflight = true;
	d->pairable_via_mgmt = true;
	if (d->adapter_index >= 0 &&
	    rb_mgmt_set_bondable(d->mgmt, (uint16_t)d->adapter_index, want,
				 set_bondable_done, d, &error))
		return;
	g_warning("Set Bondable not sent: %s; asking bluetoothd",
		  error ? error->message : "no controller index");
	set_pairable_dbus(d, want);
}

/* The kernel's settings changed, by bluetoothd or anyone else. */
void kernel_settings_changed(RbDaemon *d, uint32_t settings)
{
	int bondable = (settings & RB_MGMT_SETTING_BONDABLE) ? 1 : 0;

	if (bondable == d->kernel_bondable)
		return;
	d->kernel_bondable = bondable;
	g_debug("hci%d: the kernel's bondable flag is %s", d->adapter_index,
		bondable ? "on" : "off");
	enforce_pairable(d);
	reg_check(d);
}

static void remove_done(GObject *src, GAsyncResult *res, gpointer data)
{
	g_autoptr(GError) error = NULL;

	if (!rb_bluez_remove_device_finish(((RbDaemon *)data)->bluez, res,
					   &error) &&
	    !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		g_warning("removing a bond failed: %s", error->message);
}

static void disconnect_done(GObject *src, GAsyncResult *res, gpointer data)
{
	g_autoptr(GError) error = NULL;

	if (!rb_bluez_disconnect_device_finish(((RbDaemon *)data)->bluez, res,
					       &error) &&
	    !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		g_message("disconnect failed: %s", error->message);
}

/* Runs one effect; false if it was a PERSIST that failed. */
static bool run_effect(RbDaemon *d, const RbEffect *e)
{
	const RbBluezDevice *dev;
	g_autoptr(GError) error = NULL;

	switch (e->kind) {
	case RB_EFFECT_SET_PAIRABLE:
		enforce_pairable(d);
		break;
	case RB_EFFECT_SHOW_SCREEN:
		if (d->display)
			rb_display_show(d->display, &e->screen);
		sd_notifyf(0, "STATUS=%s%s",
			   e->screen.kind == RB_SCREEN_PAIRING ||
					   e->screen.kind == RB_SCREEN_PIN
				   ? "pairing mode"
			   : e->screen.kind == RB_SCREEN_LOCKOUT
				   ? "pairing locked out"
			   : e->screen.kind == RB_SCREEN_STALE_BOND
				   ? "stale bond flagged"
				   : "running",
			   d->registered ? "" : " (waiting for BlueZ)");
		break;
	case RB_EFFECT_NOTIFY_ACCESS:
		notify_access(d, &e->access);
		break;
	case RB_EFFECT_REMOVE_BOND:
		dev = device_of_peer(d, &e->peer);
		if (!dev) {
			g_message("bond of %s to remove is not known to BlueZ "
				  "now",
				  e->peer.addr);
			break;
		}
		g_message("removing the bond of %s (%s)", e->peer.addr,
			  dev->path);
		rb_bluez_remove_device(d->bluez, dev->path, d->session,
				       remove_done, d);
		break;
	case RB_EFFECT_DISCONNECT:
		dev = device_of_peer(d, &e->peer);
		if (!dev)
			break;
		g_message("disconnecting %s", e->peer.addr);
		rb_bluez_disconnect_device(d->bluez, dev->path, d->session,
					   disconnect_done, d);
		break;
	case RB_EFFECT_PERSIST:
		if (!rb_store_save(d->store, &e->state, &error)) {
			g_warning("state not saved in %s: %s",
				  rb_store_get_dir(d->store), error->message);
			rb_policy_persist_result(d->policy, &e->state, false,
						 now_ms(), d->fx);
			return false;
		}
		rb_policy_persist_result(d->policy, &e->state, true, now_ms(),
					 d->fx);
		break;
	case RB_EFFECT_LOG:
		g_message("%s", e->text);
		break;
	case RB_EFFECT_BUTTON:
		app_button(d, e);
		break;
	}
	return true;
}

/*
 * Runs the policy's effects in order. After a PERSIST that failed, the
 * bond removals of the same batch are skipped: they relied on it (the new
 * owner is stored before the old bonds go). Returns false if any PERSIST
 * failed.
 */
bool run_effects(RbDaemon *d)
{
	bool all_stored = true;

	while (d->fx->len > 0) {
		g_autoptr(GArray) batch = d->fx;
		bool failed = false;

		d->fx = rb_effects_new();
		for (guint i = 0; i < batch->len; i++) {
			const RbEffect *e = &g_array_index(batch, RbEffect, i);

			if (failed && e->kind == RB_EFFECT_REMOVE_BOND) {
				g_message("not removing the bond of %s: the "
					  "state it depends on is not stored",
					  e->peer.addr);
				continue;
			}
			if (!run_effect(d, e))
				failed = true;
		}
		if (failed)
			all_stored = false;
	}
	rb_policy_clock(d->policy, now_ms(), wall_ms());
	schedule(d);
	app_refresh(d);
	return all_stored;
}

static gboolean effects_idle(gpointer data)
{
	RbDaemon *d = data;

	d->effects_idle_id = 0;
	run_effects(d);
	return G_SOURCE_REMOVE;
}

void run_effects_soon(RbDaemon *d)
{
	if (!d->effects_idle_id)
		d->effects_idle_id = g_idle_add(effects_idle, d);
}

static gboolean on_timer(gpointer data)
{
	RbDaemon *d = data;

	d->timer_id = 0;
	d->timer_at = 0;
	rb_policy_tick(d->policy, now_ms(), d->fx);
	run_effects(d);
	return G_SOURCE_REMOVE;
}

static void schedule(RbDaemon *d)
{
	RbTime next = rb_policy_next_deadline(d->policy);
	RbTime now = now_ms();

	if (next == d->timer_at && d->timer_id)
		return;
	if (d->timer_id)
		g_source_remove(d->timer_id);
	d->timer_id = 0;
	d->timer_at = next;
	if (next == 0)
		return;
	d->timer_id = g_timeout_add(next > now ? (guint)(next - now) : 0,
				    on_timer, d);
}
