// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the kernel says: links and their encryption (HCIGETCONNINFO), the
 * mgmt socket's events, and the connections it has when the daemon starts.
 */
#define G_LOG_DOMAIN "reaction-boxd"

#include "config.h"

#include "daemon/private.h"
#include "kernel/conninfo.h"

/* How long after a connection the daemon looks for encryption, and how
 * often. Encryption has no D-Bus signal in BlueZ 5.66. */
#define ENCRYPTION_WATCH_MS 10000
#define ENCRYPTION_POLL_MS 250
/* mgmt Device Disconnected reason: authentication failure. */
#define MGMT_DISCONN_AUTH_FAILURE 0x04
/* A passkey the kernel showed that the box's agent did not get within this
 * went to another agent: the daemon takes the default again. */
#define AGENT_MISSED_MS 1500

/* ---- links and encryption ---- */

Link *link_of(RbDaemon *d, const RbPeer *peer)
{
	g_autofree char *key = peer_key(peer);

	return g_hash_table_lookup(d->links, key);
}

bool link_encrypted(RbDaemon *d, const RbPeer *peer)
{
	RbConnInfo ci;
	g_autoptr(GError) error = NULL;

	if (d->adapter_index < 0)
		return false;
	if (!rb_conninfo_get(d->adapter_index, peer->addr, RB_CONNINFO_LE_LINK,
			     &ci, &error)) {
		g_debug("HCIGETCONNINFO %s: %s", peer->addr, error->message);
		return false;
	}
	return ci.encrypted;
}

static gboolean poll_encryption(gpointer data)
{
	RbDaemon *d = data;
	GHashTableIter it;
	gpointer value;
	RbTime now = now_ms();
	bool more = false;

	g_hash_table_iter_init(&it, d->links);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		Link *l = value;

		if (l->encrypted || now - l->connected_at > ENCRYPTION_WATCH_MS)
			continue;
		if (link_encrypted(d, &l->peer)) {
			l->encrypted = true;
			g_debug("%s: link encrypted", l->peer.addr);
			rb_policy_encrypted(d->policy, &l->peer, now, d->fx);
		} else {
			more = true;
		}
	}
	run_effects(d);
	if (!more) {
		d->encryption_poll_id = 0;
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static void watch_encryption(RbDaemon *d)
{
	if (!d->encryption_poll_id)
		d->encryption_poll_id = g_timeout_add(ENCRYPTION_POLL_MS,
						      poll_encryption, d);
}

/* ---- kernel events (mgmt) ---- */

static bool peer_from_mgmt(RbPeer *out, const char *addr, uint8_t type)
{
	return rb_peer_set(out, addr,
			   type == RB_MGMT_ADDR_LE_RANDOM ? RB_ADDR_RANDOM
							  : RB_ADDR_PUBLIC);
}

static bool our_index(RbDaemon *d, uint16_t index)
{
	return d->adapter_index >= 0 && index == (uint16_t)d->adapter_index;
}

static bool holds_bond(RbDaemon *d, const RbPeer *peer)
{
	const RbBluezDevice *dev = device_of_peer(d, peer);

	return dev && dev->bonded;
}

/* A new link, told to the policy. */
static Link *link_add(RbDaemon *d, const RbPeer *peer)
{
	Link *l = g_new0(Link, 1);

	l->peer = *peer;
	l->connected_at = now_ms();
	g_hash_table_replace(d->links, peer_key(peer), l);
	rb_policy_connected(d->policy, peer, holds_bond(d, peer),
			    l->connected_at, d->fx);
	return l;
}

static void on_mgmt_connected(uint16_t index, const char *addr, uint8_t type,
			      void *data)
{
	RbDaemon *d = data;
	RbPeer peer;

	if (!our_index(d, index) || !peer_from_mgmt(&peer, addr, type))
		return;
	g_message("%s connected", addr);
	link_add(d, &peer);
	watch_encryption(d);
	run_effects(d);
}

static void on_mgmt_disconnected(uint16_t index, const char *addr, uint8_t type,
				 uint8_t reason, void *data)
{
	RbDaemon *d = data;
	RbPeer peer;
	Link *l;
	bool auth_failure;

	if (!our_index(d, index) || !peer_from_mgmt(&peer, addr, type))
		return;
	l = link_of(d, &peer);
	auth_failure = reason == MGMT_DISCONN_AUTH_FAILURE ||
		       (l && l->auth_failed);
	g_message("%s disconnected (reason %u)", addr, reason);
	rb_policy_disconnected(d->policy, &peer, auth_failure, now_ms(), d->fx);
	if (l) {
		g_autofree char *key = peer_key(&peer);

		g_hash_table_remove(d->links, key);
	}
	run_effects(d);
}

static void on_mgmt_new_ltk(uint16_t index, const char *addr, uint8_t type,
			    RbKeyType key, bool store_hint, bool central,
			    void *data)
{
	RbDaemon *d = data;
	RbPeer peer;
	Link *l;

	if (!our_index(d, index) || !peer_from_mgmt(&peer, addr, type))
		return;
	g_message("%s: new LTK, type %d, %s", addr, key,
		  store_hint ? "stored" : "not stored");
	/* The stored bond's key type; a key that is not stored leaves the
	 * bond as it was. */
	if (store_hint)
		g_hash_table_replace(d->keys, peer_key(&peer),
				     GINT_TO_POINTER(key));
	l = link_of(d, &peer);
	if (l)
		l->encrypted = true;
	rb_policy_new_key(d->policy, &peer, key, store_hint, now_ms(), d->fx);
	run_effects(d);
}

static void on_mgmt_auth_failed(uint16_t index, const char *addr, uint8_t type,
				uint8_t status, void *data)
{
	RbDaemon *d = data;
	RbPeer peer;
	Link *l;

	if (!our_index(d, index) || !peer_from_mgmt(&peer, addr, type))
		return;
	g_message("%s: authentication failed (%s)", addr,
		  rb_mgmt_status_str(status));
	l = link_of(d, &peer);
	if (l)
		l->auth_failed = true;
	rb_policy_pairing_failed(d->policy, &peer, now_ms(), d->fx);
	run_effects(d);
}

static gboolean agent_check(gpointer data)
{
	RbDaemon *d = data;

	d->agent_check_id = 0;
	if (d->agent_passkey != d->kernel_passkey)
		retake_agent(d, "the kernel showed a passkey the box's agent "
				"never got");
	return G_SOURCE_REMOVE;
}

static void on_mgmt_pairing_request(uint16_t index, RbMgmtEventType kind,
				    const char *addr, uint8_t type,
				    uint32_t passkey, uint8_t entered,
				    void *data)
{
	RbDaemon *d = data;
	RbPeer peer;

	if (!our_index(d, index) || !peer_from_mgmt(&peer, addr, type))
		return;
	if (kind == RB_MGMT_EVENT_PASSKEY_NOTIFY) {
		g_debug("%s: the kernel shows a passkey (%u typed)", addr,
			entered);
		rb_policy_passkey(d->policy, &peer, passkey, now_ms(), d->fx);
		d->kernel_passkey = passkey;
		if (!d->agent_check_id) {
			d->agent_check_id = g_timeout_add(AGENT_MISSED_MS,
							  agent_check, d);
		}
	} else if (kind == RB_MGMT_EVENT_USER_CONFIRM) {
		rb_policy_pairing_method_refused(d->policy, &peer,
						 "a confirmation request",
						 now_ms(), d->fx);
	} else if (kind == RB_MGMT_EVENT_USER_PASSKEY) {
		rb_policy_pairing_method_refused(d->policy, &peer,
						 "a request to type a passkey",
						 now_ms(), d->fx);
		retake_agent(d, "the kernel asked an agent to type a passkey");
	}
	run_effects(d);
}

static void on_mgmt_new_irk(uint16_t index, const char *rpa,
			    const char *identity, uint8_t type, bool store_hint,
			    void *data)
{
	RbDaemon *d = data;
	RbPeer from, to;
	Link *l;

	if (!our_index(d, index) || !rb_peer_set(&from, rpa, RB_ADDR_RANDOM) ||
	    !peer_from_mgmt(&to, identity, type))
		return;
	g_message("%s resolves to the identity %s", rpa, identity);
	rb_policy_peer_renamed(d->policy, &from, &to);
	l = link_of(d, &from);
	if (l) {
		g_autofree char *key = peer_key(&from);
		Link *moved = g_memdup2(l, sizeof(*l));

		moved->peer = to;
		g_hash_table_remove(d->links, key);
		g_hash_table_replace(d->links, peer_key(&to), moved);
	}
}

static void on_mgmt_new_settings(uint16_t index, uint32_t settings, void *data)
{
	RbDaemon *d = data;

	if (!our_index(d, index))
		return;
	kernel_settings_changed(d, settings);
}

static void on_mgmt_error(const GError *error, void *data)
{
	g_critical("the mgmt socket failed: %s; pairing outcomes are no "
		   "longer seen, exiting",
		   error->message);
	exit(1);
}

const RbMgmtCallbacks mgmt_callbacks = {
	.new_ltk = on_mgmt_new_ltk,
	.auth_failed = on_mgmt_auth_failed,
	.connected = on_mgmt_connected,
	.disconnected = on_mgmt_disconnected,
	.new_irk = on_mgmt_new_irk,
	.pairing_request = on_mgmt_pairing_request,
	.new_settings = on_mgmt_new_settings,
	.socket_error = on_mgmt_error,
};

/* ---- connections the kernel has, learnt at start ---- */

void on_connections(uint16_t index, uint8_t status, const RbMgmtAddr *peers,
		    size_t n, void *data)
{
	RbDaemon *d = data;

	if (!our_index(d, index))
		return;
	d->conns_known = true;
	if (status != RB_MGMT_STATUS_SUCCESS) {
		g_warning("hci%u: Get Connections failed (%s): connected peers "
			  "are not known until they reconnect",
			  index, rb_mgmt_status_str(status));
		n = 0;
	}
	for (size_t i = 0; i < n; i++) {
		RbPeer peer;
		Link *l;

		if (!peer_from_mgmt(&peer, peers[i].addr, peers[i].type) ||
		    peers[i].type == RB_MGMT_ADDR_BREDR || link_of(d, &peer))
			continue;
		g_message("%s is connected already", peer.addr);
		l = link_add(d, &peer);
		if (link_encrypted(d, &peer)) {
			l->encrypted = true;
			rb_policy_encrypted(d->policy, &peer, now_ms(), d->fx);
		}
	}
	/* Only now the bonds: a connected peer's bond that is not the
	 * owner's goes when it disconnects, not at once. */
	reconcile_bonds(d);
	run_effects(d);
}
