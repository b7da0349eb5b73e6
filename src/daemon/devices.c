// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * BlueZ's life as the daemon sees it: org.bluez coming and going, the
 * adapter, the devices and the bonds they hold.
 */
#define G_LOG_DOMAIN "reaction-boxd"

#include "config.h"

#include <string.h>
#include <systemd/sd-daemon.h>

#include "core/error.h"
#include "daemon/private.h"
#include "kernel/bondinfo.h"

/* How long after BlueZ drops a bonded device the daemon decides whether
 * the bond was removed or BlueZ only unloaded it (bluetoothd stopping, the
 * adapter going away: both drop the objects first, keep the bond files). */
#define BOND_GONE_GRACE_MS 1500

/* Whether BlueZ's bond file for @peer still holds a key. Unknown (no
 * access) counts as held: a bond is never judged removed on a guess. */
static bool bond_file_holds_key(RbDaemon *d, const RbPeer *peer)
{
	RbBondInfo info;
	g_autoptr(GError) error = NULL;

	if (!d->adapter_addr[0])
		return true;
	if (rb_bondinfo_read(d->bluez_storage, d->adapter_addr, peer->addr,
			     &info, &error))
		return true;
	return !g_error_matches(error, RB_ERROR, RB_ERROR_NOT_FOUND);
}

static void bond_removed(RbDaemon *d, const RbPeer *peer)
{
	g_autofree char *k = peer_key(peer);

	g_hash_table_remove(d->keys, k);
	rb_policy_bond_removed(d->policy, peer, now_ms(), d->fx);
}

/*
 * Devices BlueZ dropped a while ago: a bond was removed only if BlueZ and
 * the adapter are still there and the bond file is gone. bluetoothd
 * stopping and an adapter going away drop every device first and keep
 * the files.
 */
static gboolean judge_bonds_gone(gpointer data)
{
	RbDaemon *d = data;
	GHashTableIter it;
	gpointer key, value;
	bool stays = rb_bluez_owner(d->bluez) && d->adapter_path &&
		     rb_bluez_lookup_adapter(d->bluez, d->adapter_path);

	d->bonds_gone_id = 0;
	g_hash_table_iter_init(&it, d->bonds_gone);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		const RbPeer *peer = value;

		if (!stays)
			g_message("%s: BlueZ unloaded the device, the bond "
				  "stays",
				  peer->addr);
		else if (device_of_peer(d, peer))
			g_debug("%s is back", peer->addr);
		else if (bond_file_holds_key(d, peer))
			g_message("%s: BlueZ dropped the device but keeps the "
				  "bond",
				  peer->addr);
		else
			bond_removed(d, peer);
		g_hash_table_iter_remove(&it);
	}
	run_effects(d);
	return G_SOURCE_REMOVE;
}

/* Reports the bonds BlueZ holds on our adapter to the policy. @gone: BlueZ
 * dropped the device object (judged later: see judge_bonds_gone). */
static void sync_device(RbDaemon *d, const RbBluezDevice *dev, bool gone)
{
	RbPeer peer, *known;
	bool bonded = !gone && dev->bonded &&
		      g_strcmp0(dev->adapter_path, d->adapter_path) == 0;

	if (!d->conns_known || !peer_of_device(dev, &peer))
		return;
	known = g_hash_table_lookup(d->bonds, dev->path);
	if (known && gone) {
		g_hash_table_replace(d->bonds_gone, g_strdup(dev->path),
				     g_memdup2(known, sizeof(*known)));
		g_hash_table_remove(d->bonds, dev->path);
		if (!d->bonds_gone_id)
			d->bonds_gone_id = g_timeout_add(BOND_GONE_GRACE_MS,
							 judge_bonds_gone, d);
		return;
	}
	if (known && (!bonded || !rb_peer_equal(known, &peer))) {
		/* Bonded turned false (or the address changed): BlueZ
		 * removed the bond. */
		RbPeer was = *known;

		g_hash_table_remove(d->bonds, dev->path);
		bond_removed(d, &was);
		known = NULL;
	}
	if (bonded && !known) {
		g_hash_table_remove(d->bonds_gone, dev->path);
		g_hash_table_insert(d->bonds, g_strdup(dev->path),
				    g_memdup2(&peer, sizeof(peer)));
		rb_policy_bond_added(d->policy, &peer, now_ms(), d->fx);
	}
}

void reconcile_bonds(RbDaemon *d)
{
	g_autoptr(GPtrArray) devs = rb_bluez_list_devices(d->bluez);

	for (guint i = 0; i < devs->len; i++)
		sync_device(d, g_ptr_array_index(devs, i), false);
}

static void start_registration(RbDaemon *d)
{
	g_autoptr(GPtrArray) adapters = NULL;
	g_autoptr(GError) error = NULL;
	const RbBluezAdapter *ad = NULL;
	g_autofree char *name = NULL;

	if (d->registering || d->registered || !rb_bluez_owner(d->bluez))
		return;
	adapters = rb_bluez_list_adapters(d->bluez);
	for (guint i = 0; i < adapters->len; i++) {
		const RbBluezAdapter *a = g_ptr_array_index(adapters, i);
		const char *base = strrchr(a->path, '/');

		if (!d->cfg->adapter || g_strcmp0(base ? base + 1 : a->path,
						  d->cfg->adapter) == 0) {
			ad = a;
			break;
		}
	}
	if (!ad || !ad->address[0]) {
		g_message("waiting for adapter %s",
			  d->cfg->adapter ? d->cfg->adapter : "(any)");
		sd_notifyf(0, "STATUS=waiting for adapter %s",
			   d->cfg->adapter ? d->cfg->adapter : "(any)");
		return;
	}
	g_free(d->adapter_path);
	d->adapter_path = g_strdup(ad->path);
	d->adapter_index = (int)g_ascii_strtoll(strrchr(ad->path, 'i') + 1,
						NULL, 10);
	d->kernel_bondable = -1;
	g_strlcpy(d->adapter_addr, ad->address, sizeof(d->adapter_addr));
	name = rb_bluez_box_name(ad->address);
	g_strlcpy(d->name, name, sizeof(d->name));
	rb_policy_set_name(d->policy, d->name, now_ms(), d->fx);
	rb_agent_set_adapter(d->agent, d->adapter_path);
	rb_advert_set_local_name(d->advert, d->name, NULL);
	g_message("using adapter %s (%s), hci%d", d->adapter_path,
		  d->adapter_addr, d->adapter_index);

	/* Start-up reconciliation: the kernel's connections first, then
	 * BlueZ's bonds against the owner (on_connections). BlueZ's devices
	 * may be announced before the answer: they wait for it. */
	d->conns_known = false;
	if (!rb_mgmt_get_connections(d->mgmt, (uint16_t)d->adapter_index,
				     on_connections, d, &error)) {
		g_warning("Get Connections not sent: %s", error->message);
		d->conns_known = true;
		reconcile_bonds(d);
	}
	run_effects(d);

	d->registering = true;
	sd_notify(0, "STATUS=registering with BlueZ");
	reg_run(d, REG_POWER);
}

static void on_bluez_appeared(const char *owner, void *data)
{
	RbDaemon *d = data;

	g_message("org.bluez appeared (%s)", owner);
	start_registration(d);
}

static void on_bluez_vanished(void *data)
{
	RbDaemon *d = data;

	g_message("org.bluez vanished: waiting for it to come back");
	sd_notify(0, "STATUS=waiting for org.bluez");
	/* Whatever was under way is dropped; the next session starts with a
	 * fresh cancellable (adapters come back before "appeared"). */
	g_cancellable_cancel(d->session);
	g_object_unref(d->session);
	d->session = g_cancellable_new();
	d->registering = false;
	d->registered = false;
	/* The kernel answers a mgmt Set Bondable whatever bluetoothd does. */
	if (!d->pairable_via_mgmt)
		d->pairable_inflight = false;
	d->pairable_recheck = false;
	g_clear_handle_id(&d->reg_retry_id, g_source_remove);
	g_clear_handle_id(&d->pairable_retry_id, g_source_remove);
	g_clear_handle_id(&d->power_wait_id, g_source_remove);
	g_hash_table_remove_all(d->bonds);
	g_hash_table_remove_all(d->reassembly);
}

static void on_adapter_added(const RbBluezAdapter *a, void *data)
{
	start_registration(data);
}

static void on_adapter_changed(const RbBluezAdapter *a, unsigned int changed,
			       void *data)
{
	RbDaemon *d = data;

	if (g_strcmp0(a->path, d->adapter_path) != 0) {
		start_registration(d);
		return;
	}
	/* bluetoothd turns Pairable on when the default agent changes:
	 * re-assert what the policy says. */
	if (changed & RB_BLUEZ_ADAPTER_CHANGED_PAIRABLE)
		enforce_pairable(d);
	if ((changed & RB_BLUEZ_ADAPTER_CHANGED_POWERED) && a->powered) {
		if (d->registering && d->reg_step == REG_POWER &&
		    d->power_wait_id) {
			g_clear_handle_id(&d->power_wait_id, g_source_remove);
			reg_run(d, REG_LE_ONLY);
		} else if (!d->registered && !d->registering) {
			start_registration(d);
		}
	}
}

/* Every link of the adapter went down with it (no Disconnected event
 * comes for them). */
static void drop_all_links(RbDaemon *d)
{
	g_autoptr(GList) links = g_hash_table_get_values(d->links);

	for (GList *l = links; l; l = l->next) {
		Link *link = l->data;

		rb_policy_disconnected(d->policy, &link->peer, false, now_ms(),
				       d->fx);
	}
	g_hash_table_remove_all(d->links);
	g_hash_table_remove_all(d->reassembly);
}

static void on_adapter_removed(const char *path, void *data)
{
	RbDaemon *d = data;

	if (g_strcmp0(path, d->adapter_path) != 0)
		return;
	g_message("adapter %s removed", path);
	d->registered = false;
	d->registering = false;
	g_clear_handle_id(&d->reg_retry_id, g_source_remove);
	g_clear_handle_id(&d->power_wait_id, g_source_remove);
	if (!d->pairable_via_mgmt)
		d->pairable_inflight = false;
	d->pairable_recheck = false;
	/* Its devices were dropped before it, bonds kept (judge_bonds_gone
	 * sees the adapter gone). Its links are gone. */
	g_hash_table_remove_all(d->bonds);
	drop_all_links(d);
	g_clear_pointer(&d->adapter_path, g_free);
	d->adapter_index = -1;
	d->kernel_bondable = -1;
	run_effects(d);
}

static void on_device_added(const RbBluezDevice *dev, void *data)
{
	RbDaemon *d = data;

	sync_device(d, dev, false);
	run_effects(d);
}

static void on_device_changed(const RbBluezDevice *dev, unsigned int changed,
			      void *data)
{
	RbDaemon *d = data;

	if (changed &
	    (RB_BLUEZ_DEVICE_CHANGED_BONDED | RB_BLUEZ_DEVICE_CHANGED_PAIRED |
	     RB_BLUEZ_DEVICE_CHANGED_ADDRESS |
	     RB_BLUEZ_DEVICE_CHANGED_ADDRESS_TYPE))
		sync_device(d, dev, false);
	if ((changed & RB_BLUEZ_DEVICE_CHANGED_CONNECTED) && !dev->connected) {
		g_hash_table_remove(d->reassembly, dev->path);
		if (d->gatt)
			rb_gatt_forget_device(d->gatt, dev->path);
	}
	run_effects(d);
}

static void on_device_removed(const RbBluezDevice *dev, void *data)
{
	RbDaemon *d = data;

	sync_device(d, dev, true);
	g_hash_table_remove(d->reassembly, dev->path);
	run_effects(d);
}

const RbBluezCallbacks bluez_callbacks = {
	.appeared = on_bluez_appeared,
	.vanished = on_bluez_vanished,
	.adapter_added = on_adapter_added,
	.adapter_changed = on_adapter_changed,
	.adapter_removed = on_adapter_removed,
	.device_added = on_device_added,
	.device_changed = on_device_changed,
	.device_removed = on_device_removed,
};
