// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The daemon's wiring. Events from BlueZ (D-Bus), the kernel (mgmt,
 * HCIGETCONNINFO), the buttons and the timer become calls into the pure
 * policy (src/core/policy.h); its effects become D-Bus calls, display
 * updates, notifications and atomic writes. Nothing here decides who may
 * do what.
 */
#define G_LOG_DOMAIN "reaction-boxd"

#include "config.h"

#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "bluez/advert.h"
#include "bluez/agent-watch.h"
#include "bluez/agent.h"
#include "bluez/bluez.h"
#include "bluez/gatt.h"
#include "core/codec.h"
#include "core/error.h"
#include "core/framing.h"
#include "core/policy.h"
#include "daemon.h"
#include "hw/buttons.h"
#include "hw/display.h"
#include "kernel/bondinfo.h"
#include "kernel/conninfo.h"
#include "kernel/mgmt.h"
#include "store/store.h"

/* How long after a connection the daemon looks for encryption, and how
 * often. Encryption has no D-Bus signal in BlueZ 5.66. */
#define ENCRYPTION_WATCH_MS 10000
#define ENCRYPTION_POLL_MS 250
/* mgmt Device Disconnected reason: authentication failure. */
#define MGMT_DISCONN_AUTH_FAILURE 0x04
#define STOP_TIMEOUT_MS 3000
/* How long after BlueZ drops a bonded device the daemon decides whether
 * the bond was removed or BlueZ only unloaded it (bluetoothd stopping, the
 * adapter going away: both drop the objects first, keep the bond files). */
#define BOND_GONE_GRACE_MS 1500
/* A passkey the kernel showed that the box's agent did not get within this
 * went to another agent: the daemon takes the default again. */
#define AGENT_MISSED_MS 1500
/* Who took the default agent is named at most this often per process. */
#define TAKER_LOG_MS 60000

/* Switching BR/EDR off on a powered dual-mode controller (REG_LE_ONLY). */
typedef enum {
	BREDR_ASKED = 0, /* Set BR/EDR off sent */
	BREDR_POWERING_OFF, /* refused while powered: powering off */
	BREDR_POWERING_ON, /* off now: powering on again */
} BredrCycle;

typedef struct {
	RbPeer peer;
	RbTime connected_at;
	bool encrypted;
	bool auth_failed; /* the kernel reported a failed key */
} Link;

struct RbDaemon {
	GDBusConnection *bus;
	const RbDaemonConfig *cfg;
	char *bluez_storage;

	RbStore *store;
	RbPolicy *policy;
	RbEffects *fx;
	guint timer_id;
	RbTime timer_at;

	RbMgmt *mgmt;
	RbBluez *bluez;
	RbAgent *agent;
	RbAgentWatch *agent_watch;
	RbGatt *gatt;
	RbAdvert *advert;
	RbButtonsSource *buttons;
	RbDisplay *display;

	/* The adapter in use. */
	char *adapter_path;
	int adapter_index;
	char adapter_addr[RB_ADDR_STRLEN];
	char name[32];
	GCancellable *session; /* cancelled when org.bluez goes */
	bool registering;
	bool registered;
	int reg_step;
	guint reg_retry_id;
	guint power_wait_id;
	bool pairable_inflight;
	bool pairable_recheck;
	guint pairable_retry_id;
	bool ready_sent;

	/* Peers: LTK types by "ADDR/type", links by "ADDR/type", device paths
	 * the policy knows as bonds by path -> RbPeer. */
	GHashTable *keys;
	GHashTable *links;
	GHashTable *bonds;
	/* The kernel's connections are known (Get Connections answered):
	 * until then no bond reaches the policy, which would judge a
	 * connected peer's bond as an idle one. */
	bool conns_known;
	GHashTable *reassembly; /* device path -> RbReassembler */
	GHashTable *bonds_gone; /* device path -> RbPeer, judged later */
	guint bonds_gone_id;
	char boot_id[RB_BOOT_ID_LEN];
	/* The last passkey the kernel showed, and the last one the box's
	 * agent got (none yet: two values no passkey has, and unequal). */
	uint32_t kernel_passkey;
	uint32_t agent_passkey;
	guint agent_check_id;
	bool retaking_agent;
	char *last_taker; /* who took the default agent last, and when */
	RbTime last_taker_at;
	unsigned int taker_repeats;
	BredrCycle bredr_cycle;
	guint encryption_poll_id;
	guint watchdog_id;

	/* Stopping */
	GSourceFunc stop_done;
	void *stop_data;
	guint stop_pending;
	guint stop_timeout_id;
};

/* The policy's clock: CLOCK_BOOTTIME, which no wall-clock step moves. */
static RbTime now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (RbTime)ts.tv_sec * 1000 + (RbTime)(ts.tv_nsec / 1000000);
}

/* A CLOCK_MONOTONIC ms stamp (button edges) on the policy's clock. */
static RbTime from_monotonic_ms(uint64_t mono_ms)
{
	int64_t offset = (int64_t)now_ms() -
			 (int64_t)(g_get_monotonic_time() / 1000);

	return (RbTime)((int64_t)mono_ms + offset);
}

static int64_t wall_ms(void)
{
	return g_get_real_time() / 1000;
}

static char *peer_key(const RbPeer *p)
{
	return g_strdup_printf("%s/%d", p->addr, (int)p->type);
}

static bool peer_from_mgmt(RbPeer *out, const char *addr, uint8_t type)
{
	return rb_peer_set(out, addr,
			   type == RB_MGMT_ADDR_LE_RANDOM ? RB_ADDR_RANDOM
							  : RB_ADDR_PUBLIC);
}

static const RbBluezDevice *device_of_peer(RbDaemon *d, const RbPeer *peer)
{
	g_autoptr(GPtrArray) devs = NULL;

	if (!d->bluez || !d->adapter_path)
		return NULL;
	devs = rb_bluez_list_devices(d->bluez);
	for (guint i = 0; i < devs->len; i++) {
		const RbBluezDevice *dev = g_ptr_array_index(devs, i);

		if (g_strcmp0(dev->adapter_path, d->adapter_path) == 0 &&
		    g_ascii_strcasecmp(dev->address, peer->addr) == 0 &&
		    dev->address_type == peer->type)
			return dev;
	}
	return NULL;
}

static bool peer_of_device(const RbBluezDevice *dev, RbPeer *out)
{
	return rb_peer_set(out, dev->address, dev->address_type);
}

/* ---- effects ---- */

static bool run_effects(RbDaemon *d);
static void schedule(RbDaemon *d);

static void notify_framed(RbDaemon *d, RbGattChar which, const uint8_t *msg,
			  gsize len)
{
	g_autoptr(GPtrArray) frags = NULL;
	g_autoptr(GError) error = NULL;
	gsize payload = G_MAXSIZE;
	g_autoptr(GPtrArray) devs = NULL;

	if (!d->gatt || !d->registered)
		return;
	/* Notifications go to every subscriber: cut them for the smallest
	 * MTU known among connected peers (from their reads and writes; 23
	 * when none is known). */
	devs = rb_bluez_list_devices(d->bluez);
	for (guint i = 0; i < devs->len; i++) {
		const RbBluezDevice *dev = g_ptr_array_index(devs, i);
		guint16 mtu;

		if (!dev->connected)
			continue;
		mtu = rb_gatt_mtu_for(d->gatt, dev->path);
		if (mtu >= 23)
			payload = MIN(payload, (gsize)mtu - 3);
	}
	if (payload == G_MAXSIZE)
		payload = RB_FRAME_MIN_PAYLOAD;
	payload = MAX(payload, RB_FRAME_MIN_PAYLOAD);
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
 * through here, one at a time: bluetoothd answers a second concurrent set
 * with Busy, and turns Pairable on by itself when the default agent
 * changes, so every change of it is checked again (adapter_changed).
 */
static void enforce_pairable(RbDaemon *d);

static gboolean retry_pairable(gpointer data)
{
	RbDaemon *d = data;

	d->pairable_retry_id = 0;
	enforce_pairable(d);
	return G_SOURCE_REMOVE;
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
		d->pairable_inflight = false;
		if (!d->pairable_retry_id)
			d->pairable_retry_id = g_timeout_add(500,
							     retry_pairable, d);
		return;
	}
	d->pairable_inflight = false;
	if (d->pairable_recheck) {
		d->pairable_recheck = false;
		enforce_pairable(d);
	}
}

static void enforce_pairable(RbDaemon *d)
{
	const RbBluezAdapter *ad;
	bool want;

	if (!d->bluez || !d->adapter_path || !rb_bluez_owner(d->bluez))
		return;
	if (d->pairable_inflight) {
		d->pairable_recheck = true;
		return;
	}
	ad = rb_bluez_lookup_adapter(d->bluez, d->adapter_path);
	want = rb_policy_pairing_mode(d->policy);
	if (!ad || ad->pairable == want)
		return;
	g_message("%s: setting Pairable %s", d->adapter_path,
		  want ? "on" : "off");
	d->pairable_inflight = true;
	rb_bluez_set_adapter_property(
		d->bluez, d->adapter_path, RB_BLUEZ_ADAPTER_PROP_PAIRABLE,
		g_variant_new_boolean(want), d->session, set_pairable_done, d);
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
	}
	return true;
}

/*
 * Runs the policy's effects in order. After a PERSIST that failed, the
 * bond removals of the same batch are skipped: they relied on it (the new
 * owner is stored before the old bonds go). Returns false if any PERSIST
 * failed.
 */
static bool run_effects(RbDaemon *d)
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
	return all_stored;
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

/* ---- links and encryption ---- */

static Link *link_of(RbDaemon *d, const RbPeer *peer)
{
	g_autofree char *key = peer_key(peer);

	return g_hash_table_lookup(d->links, key);
}

static bool link_encrypted(RbDaemon *d, const RbPeer *peer)
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

static bool our_index(RbDaemon *d, uint16_t index)
{
	return d->adapter_index >= 0 && index == (uint16_t)d->adapter_index;
}

static bool holds_bond(RbDaemon *d, const RbPeer *peer)
{
	const RbBluezDevice *dev = device_of_peer(d, peer);

	return dev && dev->bonded;
}

static void on_mgmt_connected(uint16_t index, const char *addr, uint8_t type,
			      void *data)
{
	RbDaemon *d = data;
	RbPeer peer;
	Link *l;

	if (!our_index(d, index) || !peer_from_mgmt(&peer, addr, type))
		return;
	l = g_new0(Link, 1);
	l->peer = peer;
	l->connected_at = now_ms();
	g_hash_table_replace(d->links, peer_key(&peer), l);
	g_message("%s connected", addr);
	rb_policy_connected(d->policy, &peer, holds_bond(d, &peer),
			    l->connected_at, d->fx);
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

static void retake_agent(RbDaemon *d, const char *why);

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

static void on_mgmt_error(const GError *error, void *data)
{
	g_critical("the mgmt socket failed: %s; pairing outcomes are no "
		   "longer seen, exiting",
		   error->message);
	exit(1);
}

static const RbMgmtCallbacks mgmt_callbacks = {
	.new_ltk = on_mgmt_new_ltk,
	.auth_failed = on_mgmt_auth_failed,
	.connected = on_mgmt_connected,
	.disconnected = on_mgmt_disconnected,
	.new_irk = on_mgmt_new_irk,
	.pairing_request = on_mgmt_pairing_request,
	.socket_error = on_mgmt_error,
};

/* ---- GATT ---- */

static RbKeyType key_of(RbDaemon *d, const RbPeer *peer)
{
	g_autofree char *k = peer_key(peer);
	gpointer v;
	RbBondInfo info;
	g_autoptr(GError) error = NULL;

	if (g_hash_table_lookup_extended(d->keys, k, NULL, &v))
		return (RbKeyType)GPOINTER_TO_INT(v);
	/* After a restart: BlueZ's bond file. */
	if (!rb_bondinfo_read(d->bluez_storage, d->adapter_addr, peer->addr,
			      &info, &error)) {
		g_debug("no key type for %s: %s", peer->addr, error->message);
		return RB_KEY_UNKNOWN;
	}
	g_hash_table_replace(d->keys, g_steal_pointer(&k),
			     GINT_TO_POINTER(info.key_type));
	return info.key_type;
}

static void reply_error(RbDaemon *d, RbProtoError code, const char *message,
			const char *field, uint32_t request_id)
{
	g_autofree uint8_t *msg = NULL;
	gsize len = 0;

	g_message("protocol error reply: %s", message);
	msg = rb_codec_encode_error(code, message, field, request_id, &len);
	notify_framed(d, RB_GATT_CHAR_PROTOCOL, msg, len);
}

static void reply_config(RbDaemon *d, uint32_t request_id)
{
	g_autofree uint8_t *msg = NULL;
	gsize len = 0;

	msg = rb_codec_encode_config(rb_policy_config(d->policy), request_id,
				     &len);
	notify_framed(d, RB_GATT_CHAR_PROTOCOL, msg, len);
}

static void handle_request(RbDaemon *d, GBytes *msg)
{
	RbRequest req;
	RbProtoError code = RB_PROTO_ERROR_MALFORMED;
	RbSetting bad;
	g_autoptr(GError) error = NULL;
	gsize len;
	const uint8_t *data = g_bytes_get_data(msg, &len);
	g_autofree char *text = NULL;

	memset(&req, 0, sizeof(req));
	if (!rb_codec_decode_request(data, len, &req, &code, &error)) {
		reply_error(d, code, error->message, "", req.request_id);
		return;
	}
	switch (req.kind) {
	case RB_REQUEST_CONFIG_GET:
		reply_config(d, req.request_id);
		break;
	case RB_REQUEST_CONFIG_SET:
		if (!rb_policy_set_config(d->policy, &req.update, &bad,
					  now_ms(), d->fx)) {
			const RbSettingInfo *info = rb_setting_info(bad);

			text = g_strdup_printf("%s=%u out of range (allowed "
					       "%u..%u); nothing changed",
					       info->field,
					       req.update.value[bad], info->min,
					       info->max);
			reply_error(d, RB_PROTO_ERROR_OUT_OF_RANGE, text,
				    info->field, req.request_id);
			break;
		}
		if (!run_effects(d)) {
			reply_error(d, RB_PROTO_ERROR_INTERNAL,
				    "the config could not be stored; nothing "
				    "changed",
				    "", req.request_id);
			break;
		}
		g_message("config changed over BLE");
		reply_config(d, req.request_id);
		break;
	}
}

static RbReassembler *reassembler_for(RbDaemon *d, const char *path)
{
	RbReassembler *r = g_hash_table_lookup(d->reassembly, path);

	if (!r) {
		r = g_new0(RbReassembler, 1);
		rb_reassembler_init(r);
		g_hash_table_insert(d->reassembly, g_strdup(path), r);
	}
	return r;
}

static void free_reassembler(gpointer p)
{
	rb_reassembler_clear(p);
	g_free(p);
}

static RbGattWriteResult on_gatt_write(RbGattChar which, const char *path,
				       GBytes *value, void *data)
{
	RbDaemon *d = data;
	RbGattWriteResult res = {RB_GATT_WRITE_OK, RB_WRITE_OK};
	const RbBluezDevice *dev = rb_bluez_lookup_device(d->bluez, path);
	RbLinkFacts f;
	RbTime now = now_ms();
	g_autoptr(GBytes) msg = NULL;
	g_autoptr(GError) error = NULL;
	gsize len;
	const uint8_t *bytes;

	memset(&f, 0, sizeof(f));
	if (!dev || !peer_of_device(dev, &f.peer)) {
		g_message("write on %s from unknown device %s refused",
			  rb_gatt_char_name(which), path);
		res.status = RB_GATT_WRITE_REJECTED;
		res.verdict = RB_WRITE_REJECT_NOT_PAIRED;
		return res;
	}
	f.paired = dev->paired;
	f.bonded = dev->bonded;
	f.le = rb_gatt_write_link_is_le(d->gatt, path);
	f.encrypted = link_encrypted(d, &f.peer);
	f.key = f.bonded ? key_of(d, &f.peer) : RB_KEY_UNKNOWN;
	res.verdict = rb_policy_write(d->policy, &f, now, d->fx);
	run_effects(d);
	if (res.verdict != RB_WRITE_OK) {
		res.status = RB_GATT_WRITE_REJECTED;
		return res;
	}

	if (which == RB_GATT_CHAR_OTA_DATA) {
		g_message("OTA data from %s: no OTA data path in this version",
			  f.peer.addr);
		res.status = RB_GATT_WRITE_UNLIKELY;
		return res;
	}
	bytes = g_bytes_get_data(value, &len);
	switch (rb_reassembler_feed(reassembler_for(d, path), bytes, len, now,
				    &msg, &error)) {
	case RB_FRAME_MORE:
		break;
	case RB_FRAME_COMPLETE:
		handle_request(d, msg);
		break;
	case RB_FRAME_ERROR:
		reply_error(d,
			    g_error_matches(error, RB_ERROR, RB_ERROR_TOO_LARGE)
				    ? RB_PROTO_ERROR_TOO_LARGE
				    : RB_PROTO_ERROR_MALFORMED,
			    error->message, "", 0);
		break;
	}
	run_effects(d);
	return res;
}

static GBytes *on_gatt_read(RbGattChar which, const char *path, void *data)
{
	RbDaemon *d = data;
	const RbBluezDevice *dev;
	RbAccess a;
	uint8_t *msg = NULL;
	gsize len = 0;
	RbPeer peer;
	static const uint8_t one = 1;

	switch (which) {
	case RB_GATT_CHAR_ACCESS:
		a = rb_policy_access(d->policy, now_ms());
		msg = rb_codec_encode_access(&a, &len);
		return g_bytes_new_take(msg, len);
	case RB_GATT_CHAR_PROTOCOL:
		msg = rb_codec_encode_config(rb_policy_config(d->policy), 0,
					     &len);
		return g_bytes_new_take(msg, len);
	case RB_GATT_CHAR_PAIR:
		/* BlueZ passes a secure-read only over an encrypted,
		 * authenticated link. */
		dev = rb_bluez_lookup_device(d->bluez, path);
		if (dev && peer_of_device(dev, &peer)) {
			Link *l = link_of(d, &peer);

			if (l)
				l->encrypted = true;
			rb_policy_encrypted(d->policy, &peer, now_ms(), d->fx);
			run_effects(d);
		}
		return g_bytes_new_static(&one, 1);
	case RB_GATT_CHAR_OTA_DATA:
		return NULL;
	}
	return NULL;
}

static const RbGattCallbacks gatt_callbacks = {
	.read = on_gatt_read,
	.write = on_gatt_write,
};

/* ---- agent ---- */

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
static void retake_agent(RbDaemon *d, const char *why)
{
	if (!d->registered || d->retaking_agent)
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
static void on_default_agent_requested(const char *sender, const char *path,
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

static const RbAgentCallbacks agent_callbacks = {
	.display_passkey = on_display_passkey,
};

/* ---- BlueZ life ---- */

/*
 * Registration with BlueZ, in order, each step started when the previous
 * one finished. A failed step is retried after a while, from that step on:
 * what was registered before stays registered.
 */
typedef enum {
	REG_POWER = 0,
	REG_LE_ONLY,
	REG_AGENT,
	REG_ALIAS,
	REG_SC_ONLY,
	REG_APP,
	REG_ADVERT,
	REG_DONE,
} RegStep;

#define REG_RETRY_MS 2000

static void reg_run(RbDaemon *d, RegStep step);

static const char *const reg_names[] = {
	[REG_POWER] = "powering on",
	[REG_LE_ONLY] = "switching BR/EDR off",
	[REG_AGENT] = "RegisterAgent",
	[REG_ALIAS] = "setting Alias",
	[REG_SC_ONLY] = "Secure Connections",
	[REG_APP] = "RegisterApplication",
	[REG_ADVERT] = "RegisterAdvertisement",
	[REG_DONE] = "done",
};

static gboolean reg_retry(gpointer data)
{
	RbDaemon *d = data;

	d->reg_retry_id = 0;
	if (d->registering)
		reg_run(d, d->reg_step);
	return G_SOURCE_REMOVE;
}

/* A step finished: go on, or retry it later. Takes @error. */
static void reg_next(RbDaemon *d, RegStep step, GError *error)
{
	g_autoptr(GError) e = error;

	if (e && g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	if (!d->registering)
		return;
	if (e) {
		g_warning("%s on %s failed: %s; retrying in %u s",
			  reg_names[step], d->adapter_path, e->message,
			  REG_RETRY_MS / 1000);
		sd_notifyf(0, "STATUS=%s failed: %s", reg_names[step],
			   e->message);
		d->reg_step = step;
		if (!d->reg_retry_id)
			d->reg_retry_id = g_timeout_add(REG_RETRY_MS, reg_retry,
							d);
		return;
	}
	reg_run(d, step + 1);
}

static void powered_on(GObject *src, GAsyncResult *res, gpointer data)
{
	RbDaemon *d = data;
	GError *error = NULL;

	rb_bluez_set_adapter_property_finish(d->bluez, res, &error);
	reg_next(d, REG_POWER, error);
}

static void agent_registered(GObject *src, GAsyncResult *res, gpointer data)
{
	RbDaemon *d = data;
	GError *error = NULL;

	rb_agent_register_finish(d->agent, res, &error);
	reg_next(d, REG_AGENT, error);
}

static void alias_set(GObject *src, GAsyncResult *res, gpointer data)
{
	RbDaemon *d = data;
	GError *error = NULL;

	rb_bluez_set_adapter_property_finish(d->bluez, res, &error);
	reg_next(d, REG_ALIAS, error);
}

static void sc_only_done(uint16_t index, uint8_t status, void *data)
{
	RbDaemon *d = data;

	/* Not fatal: the policy refuses every key that is not an
	 * authenticated P-256 key anyway. */
	if (status == RB_MGMT_STATUS_SUCCESS)
		g_message("hci%u: LE Secure Connections on", index);
	else
		g_warning("hci%u: Secure Connections refused (%s); writes "
			  "still need an authenticated P-256 key",
			  index, rb_mgmt_status_str(status));
	reg_next(d, REG_SC_ONLY, NULL);
}

/*
 * LE only: a dual-mode controller's BR/EDR is switched off, so no ATT
 * bearer and no pairing over BR/EDR can reach the box. The kernel refuses
 * that while the controller is powered: power off, switch, power on.
 */
static void bredr_done(uint16_t index, uint8_t status, void *data);

static void bredr_powered(GObject *src, GAsyncResult *res, gpointer data)
{
	RbDaemon *d = data;
	GError *error = NULL;

	if (!rb_bluez_set_adapter_property_finish(d->bluez, res, &error)) {
		reg_next(d, REG_LE_ONLY, error);
		return;
	}
	if (d->bredr_cycle == BREDR_POWERING_OFF) {
		d->bredr_cycle = BREDR_POWERING_ON;
		if (!rb_mgmt_set_bredr(d->mgmt, (uint16_t)d->adapter_index,
				       false, bredr_done, d, &error))
			reg_next(d, REG_LE_ONLY, error);
		return;
	}
	d->bredr_cycle = BREDR_ASKED;
	reg_next(d, REG_LE_ONLY, NULL);
}

static void bredr_done(uint16_t index, uint8_t status, void *data)
{
	RbDaemon *d = data;

	if (!d->registering || d->reg_step != REG_LE_ONLY)
		return;
	if (status == RB_MGMT_STATUS_NOT_SUPPORTED) {
		g_message("hci%u: an LE-only controller", index);
		reg_next(d, REG_LE_ONLY, NULL);
	} else if (status == RB_MGMT_STATUS_REJECTED &&
		   d->bredr_cycle == BREDR_ASKED) {
		g_message("hci%u: powering off to switch BR/EDR off", index);
		d->bredr_cycle = BREDR_POWERING_OFF;
		rb_bluez_set_adapter_property(d->bluez, d->adapter_path,
					      RB_BLUEZ_ADAPTER_PROP_POWERED,
					      g_variant_new_boolean(FALSE),
					      d->session, bredr_powered, d);
	} else if (status == RB_MGMT_STATUS_SUCCESS) {
		g_message("hci%u: BR/EDR off, LE only", index);
		if (d->bredr_cycle == BREDR_POWERING_ON) {
			rb_bluez_set_adapter_property(
				d->bluez, d->adapter_path,
				RB_BLUEZ_ADAPTER_PROP_POWERED,
				g_variant_new_boolean(TRUE), d->session,
				bredr_powered, d);
			return;
		}
		reg_next(d, REG_LE_ONLY, NULL);
	} else {
		d->bredr_cycle = BREDR_ASKED;
		reg_next(d, REG_LE_ONLY,
			 g_error_new(RB_ERROR, RB_ERROR_FAILED,
				     "Set BR/EDR off: %s",
				     rb_mgmt_status_str(status)));
	}
}

static void app_registered(GObject *src, GAsyncResult *res, gpointer data)
{
	RbDaemon *d = data;
	GError *error = NULL;

	rb_gatt_register_finish(d->gatt, res, &error);
	reg_next(d, REG_APP, error);
}

static void advert_registered(GObject *src, GAsyncResult *res, gpointer data)
{
	RbDaemon *d = data;
	GError *error = NULL;

	rb_advert_register_finish(d->advert, res, &error);
	reg_next(d, REG_ADVERT, error);
}

#define POWER_WAIT_MS 3000

static gboolean power_wait_over(gpointer data)
{
	RbDaemon *d = data;

	d->power_wait_id = 0;
	if (!d->registering || d->reg_step != REG_POWER)
		return G_SOURCE_REMOVE;
	g_message("powering %s on", d->adapter_path);
	rb_bluez_set_adapter_property(
		d->bluez, d->adapter_path, RB_BLUEZ_ADAPTER_PROP_POWERED,
		g_variant_new_boolean(TRUE), d->session, powered_on, d);
	return G_SOURCE_REMOVE;
}

static void reg_run(RbDaemon *d, RegStep step)
{
	const RbBluezAdapter *ad = rb_bluez_lookup_adapter(d->bluez,
							   d->adapter_path);
	g_autoptr(GError) error = NULL;

	d->reg_step = step;
	switch (step) {
	case REG_POWER:
		if (ad && ad->powered) {
			reg_run(d, REG_LE_ONLY);
			break;
		}
		/* bluetoothd powers its adapters itself (AutoEnable) right
		 * after it starts, and a second Powered set while it does
		 * may never be answered: give it a moment first. */
		if (!d->power_wait_id) {
			g_message("%s is off: waiting for it to power on",
				  d->adapter_path);
			d->power_wait_id = g_timeout_add(POWER_WAIT_MS,
							 power_wait_over, d);
		}
		break;
	case REG_LE_ONLY:
		d->bredr_cycle = BREDR_ASKED;
		if (!rb_mgmt_set_bredr(d->mgmt, (uint16_t)d->adapter_index,
				       false, bredr_done, d, &error))
			reg_next(d, REG_LE_ONLY, g_steal_pointer(&error));
		break;
	case REG_AGENT:
		rb_agent_register(d->agent, d->session, agent_registered, d);
		break;
	case REG_ALIAS:
		/* RequestDefaultAgent turned Pairable on. */
		enforce_pairable(d);
		rb_bluez_set_adapter_property(d->bluez, d->adapter_path,
					      RB_BLUEZ_ADAPTER_PROP_ALIAS,
					      g_variant_new_string(d->name),
					      d->session, alias_set, d);
		break;
	case REG_SC_ONLY:
		/*
		 * LE Secure Connections on, but not the kernel's "SC only"
		 * mode (2): on Linux 6.1 that mode also applies the BR/EDR
		 * link-key check to LE links and drops every LE link the
		 * moment it is encrypted (measured in tests/vm). The policy
		 * refuses every key but an authenticated P-256 one instead.
		 */
		if (!rb_mgmt_set_secure_conn(
			    d->mgmt, (uint16_t)d->adapter_index, RB_MGMT_SC_ON,
			    sc_only_done, d, &error)) {
			g_warning("Secure Connections not set: %s",
				  error->message);
			reg_run(d, REG_APP);
		}
		break;
	case REG_APP:
		rb_gatt_register(d->gatt, d->adapter_path, d->session,
				 app_registered, d);
		break;
	case REG_ADVERT:
		rb_advert_register(d->advert, d->adapter_path, d->session,
				   advert_registered, d);
		break;
	case REG_DONE:
		d->registering = false;
		d->registered = true;
		g_message("registered on %s as %s", d->adapter_path, d->name);
		sd_notifyf(0, "%sSTATUS=advertising as %s on %s",
			   d->ready_sent ? "" : "READY=1\n", d->name,
			   d->adapter_path);
		d->ready_sent = true;
		enforce_pairable(d);
		rb_policy_tick(d->policy, now_ms(), d->fx);
		run_effects(d);
		break;
	}
}

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

/* ---- connections the kernel has, learnt at start ---- */

static void reconcile_bonds(RbDaemon *d);

static void on_connections(uint16_t index, uint8_t status,
			   const RbMgmtAddr *peers, size_t n, void *data)
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
		l = g_new0(Link, 1);
		l->peer = peer;
		l->connected_at = now_ms();
		g_hash_table_replace(d->links, peer_key(&peer), l);
		g_message("%s is connected already", peer.addr);
		rb_policy_connected(d->policy, &peer, holds_bond(d, &peer),
				    l->connected_at, d->fx);
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

static void reconcile_bonds(RbDaemon *d)
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
	d->pairable_inflight = false;
	d->pairable_recheck = false;
	/* Its devices were dropped before it, bonds kept (judge_bonds_gone
	 * sees the adapter gone). Its links are gone. */
	g_hash_table_remove_all(d->bonds);
	drop_all_links(d);
	g_clear_pointer(&d->adapter_path, g_free);
	d->adapter_index = -1;
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

static const RbBluezCallbacks bluez_callbacks = {
	.appeared = on_bluez_appeared,
	.vanished = on_bluez_vanished,
	.adapter_added = on_adapter_added,
	.adapter_changed = on_adapter_changed,
	.adapter_removed = on_adapter_removed,
	.device_added = on_device_added,
	.device_changed = on_device_changed,
	.device_removed = on_device_removed,
};

/* ---- hardware ---- */

static void on_button(RbButton button, bool pressed, uint64_t ts, void *data)
{
	RbDaemon *d = data;

	g_debug("button %s %s", rb_button_name(button),
		pressed ? "down" : "up");
	rb_policy_button(d->policy, button, pressed, from_monotonic_ms(ts),
			 d->fx);
	run_effects(d);
}

static bool open_buttons(RbDaemon *d, GError **error)
{
	const RbDaemonConfig *c = d->cfg;
	RbButtonsGpiodOptions g;
	RbButtonsEvdevOptions e;
	RbGpioBias bias = RB_GPIO_BIAS_PULL_UP;

	switch (c->buttons_backend) {
	case RB_BUTTONS_BACKEND_GPIOD:
		memset(&g, 0, sizeof(g));
		g.chip = c->gpio_chip;
		for (unsigned int i = 0; i < RB_BUTTON_COUNT; i++)
			g.lines[i] = c->gpio_lines[i];
		g.active_low = c->gpio_active_low;
		if (c->gpio_bias)
			rb_gpio_bias_from_string(c->gpio_bias, &bias);
		g.bias = bias;
		d->buttons = rb_buttons_gpiod_new(&g, on_button, d, error);
		break;
	case RB_BUTTONS_BACKEND_EVDEV:
		memset(&e, 0, sizeof(e));
		e.device = c->evdev_device && c->evdev_device[0]
				   ? c->evdev_device
				   : NULL;
		for (unsigned int i = 0; i < RB_BUTTON_COUNT; i++)
			e.keys[i] = c->evdev_keys[i];
		e.grab = c->evdev_grab;
		d->buttons = rb_buttons_evdev_new(&e, on_button, d, error);
		break;
	case RB_BUTTONS_BACKEND_FIFO:
		d->buttons = rb_buttons_fifo_new(c->fifo_path, on_button, d,
						 error);
		break;
	case RB_BUTTONS_BACKEND_NONE:
		g_message("no buttons configured: pairing mode cannot open");
		return true;
	}
	return d->buttons != NULL;
}

static void open_display(RbDaemon *d)
{
	const RbDaemonConfig *c = d->cfg;
	g_autoptr(GError) error = NULL;

	switch (c->display_backend) {
	case RB_DISPLAY_BACKEND_SSD1306:
		d->display = rb_display_ssd1306_new(&rb_i2c_dev_ops, NULL,
						    c->i2c_bus, c->i2c_address,
						    c->display_height, &error);
		break;
	case RB_DISPLAY_BACKEND_HD44780:
		d->display = rb_display_hd44780_new(
			&rb_i2c_dev_stream_ops, NULL, c->i2c_bus,
			c->i2c_address, c->display_width, c->display_height,
			&rb_hd44780_default_pins, &error);
		break;
	case RB_DISPLAY_BACKEND_FILE:
		d->display = rb_display_file_new(c->display_file,
						 RB_DISPLAY_FILE_PBM,
						 c->display_height, &error);
		break;
	case RB_DISPLAY_BACKEND_NONE:
		break;
	}
	if (!d->display) {
		if (error)
			g_warning("display: %s; screens (and PINs) go to the "
				  "journal instead",
				  error->message);
		d->display = rb_display_none_new();
	}
}

/* ---- life ---- */

static void read_boot_id(char out[RB_BOOT_ID_LEN])
{
	g_autofree char *text = NULL;

	out[0] = '\0';
	if (!g_file_get_contents("/proc/sys/kernel/random/boot_id", &text, NULL,
				 NULL))
		return;
	g_strstrip(text);
	if (rb_state_boot_id_valid(text))
		g_strlcpy(out, text, RB_BOOT_ID_LEN);
	else
		g_warning("the kernel's boot id '%s' is not usable: a lockout "
			  "restarts in full after a restart",
			  text);
}

static gboolean watchdog_ping(gpointer data)
{
	sd_notify(0, "WATCHDOG=1");
	return G_SOURCE_CONTINUE;
}

RbDaemon *rb_daemon_new(GDBusConnection *bus, const RbDaemonOptions *opts,
			GError **error)
{
	g_autoptr(RbDaemon) d = g_new0(RbDaemon, 1);
	g_autoptr(GError) load_error = NULL;
	g_autoptr(GError) watch_error = NULL;
	RbState st;
	uint64_t wd_usec = 0;

	d->bus = g_object_ref(bus);
	d->cfg = opts->config;
	d->bluez_storage = g_strdup(opts->bluez_storage
					    ? opts->bluez_storage
					    : RB_BONDINFO_DEFAULT_ROOT);
	d->adapter_index = -1;
	d->kernel_passkey = G_MAXUINT32;
	d->agent_passkey = G_MAXUINT32 - 1;
	d->session = g_cancellable_new();
	d->fx = rb_effects_new();
	d->keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	d->links = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					 g_free);
	d->bonds = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					 g_free);
	d->reassembly = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					      free_reassembler);
	d->bonds_gone = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					      g_free);
	g_strlcpy(d->name, "Reaction", sizeof(d->name));

	d->store = rb_store_open(opts->state_dir, error);
	if (!d->store)
		return NULL;
	if (!rb_store_load(d->store, &st, wall_ms(),
			   d->cfg->policy.value[RB_SETTING_PIN_LOCKOUT_MS],
			   &load_error))
		g_warning("state in %s unusable: %s; starting with no owner "
			  "and pairing locked out",
			  opts->state_dir, load_error->message);

	/* The mgmt socket first: without it there is no policy to enforce. */
	d->mgmt = rb_mgmt_new(&mgmt_callbacks, d, error);
	if (!d->mgmt)
		return NULL;

	open_display(d);
	read_boot_id(d->boot_id);
	d->policy = rb_policy_new(&d->cfg->policy, &st, d->name, now_ms(),
				  wall_ms(), d->boot_id, d->fx);
	if (!open_buttons(d, error))
		return NULL;

	d->bluez = rb_bluez_new(bus, &bluez_callbacks, d);
	d->agent = rb_agent_new(d->bluez, &agent_callbacks, d, error);
	if (!d->agent)
		return NULL;
	d->agent_watch = rb_agent_watch_new(NULL, on_default_agent_requested, d,
					    &watch_error);
	if (!d->agent_watch)
		g_message("not watching who takes the default agent (%s): a "
			  "pairing another agent handles is still judged",
			  watch_error->message);
	d->gatt = rb_gatt_new(d->bluez, &gatt_callbacks, d);
	d->advert = rb_advert_new(d->bluez, d->name, NULL, d, error);
	if (!d->advert)
		return NULL;
	run_effects(d);

	if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec > 0)
		d->watchdog_id = g_timeout_add((guint)MAX(wd_usec / 2000, 1),
					       watchdog_ping, d);
	sd_notify(0, "STATUS=waiting for org.bluez");
	return g_steal_pointer(&d);
}

static void stop_step_done(RbDaemon *d)
{
	if (d->stop_pending > 0)
		d->stop_pending--;
	if (d->stop_pending == 0 && d->stop_done) {
		GSourceFunc done = d->stop_done;

		d->stop_done = NULL;
		if (d->stop_timeout_id)
			g_source_remove(d->stop_timeout_id);
		d->stop_timeout_id = 0;
		done(d->stop_data);
	}
}

static void advert_unregistered(GObject *src, GAsyncResult *res, gpointer data)
{
	rb_advert_unregister_finish(((RbDaemon *)data)->advert, res, NULL);
	stop_step_done(data);
}

static void app_unregistered(GObject *src, GAsyncResult *res, gpointer data)
{
	rb_gatt_unregister_finish(((RbDaemon *)data)->gatt, res, NULL);
	stop_step_done(data);
}

static void agent_unregistered(GObject *src, GAsyncResult *res, gpointer data)
{
	rb_agent_unregister_finish(((RbDaemon *)data)->agent, res, NULL);
	stop_step_done(data);
}

static void pairable_off(GObject *src, GAsyncResult *res, gpointer data)
{
	rb_bluez_set_adapter_property_finish(((RbDaemon *)data)->bluez, res,
					     NULL);
	stop_step_done(data);
}

static gboolean stop_timeout(gpointer data)
{
	RbDaemon *d = data;

	d->stop_timeout_id = 0;
	g_message("BlueZ did not answer: stopping anyway");
	d->stop_pending = 1;
	stop_step_done(d);
	return G_SOURCE_REMOVE;
}

void rb_daemon_stop(RbDaemon *d, GSourceFunc done, void *user_data)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
	d->stop_done = done;
	d->stop_data = user_data;
	d->stop_pending = 1;
	if (d->bluez && rb_bluez_owner(d->bluez) && d->adapter_path) {
		d->stop_pending += 4;
		rb_advert_unregister(d->advert, NULL, advert_unregistered, d);
		rb_gatt_unregister(d->gatt, NULL, app_unregistered, d);
		rb_agent_unregister(d->agent, NULL, agent_unregistered, d);
		rb_bluez_set_adapter_property(d->bluez, d->adapter_path,
					      RB_BLUEZ_ADAPTER_PROP_PAIRABLE,
					      g_variant_new_boolean(FALSE),
					      NULL, pairable_off, d);
	}
	d->stop_timeout_id = g_timeout_add(STOP_TIMEOUT_MS, stop_timeout, d);
	stop_step_done(d);
}

void rb_daemon_free(RbDaemon *d)
{
	if (!d)
		return;
	if (d->session)
		g_cancellable_cancel(d->session);
	if (d->timer_id)
		g_source_remove(d->timer_id);
	if (d->encryption_poll_id)
		g_source_remove(d->encryption_poll_id);
	if (d->watchdog_id)
		g_source_remove(d->watchdog_id);
	if (d->stop_timeout_id)
		g_source_remove(d->stop_timeout_id);
	g_clear_handle_id(&d->reg_retry_id, g_source_remove);
	g_clear_handle_id(&d->pairable_retry_id, g_source_remove);
	g_clear_handle_id(&d->power_wait_id, g_source_remove);
	g_clear_handle_id(&d->bonds_gone_id, g_source_remove);
	g_clear_handle_id(&d->agent_check_id, g_source_remove);
	if (d->display)
		rb_display_flush(d->display);
	g_clear_pointer(&d->advert, rb_advert_free);
	g_clear_pointer(&d->gatt, rb_gatt_free);
	g_clear_pointer(&d->agent_watch, rb_agent_watch_free);
	g_clear_pointer(&d->agent, rb_agent_free);
	g_clear_pointer(&d->bluez, rb_bluez_free);
	g_clear_pointer(&d->buttons, rb_buttons_source_free);
	g_clear_pointer(&d->display, rb_display_free);
	g_clear_pointer(&d->mgmt, rb_mgmt_free);
	g_clear_pointer(&d->policy, rb_policy_free);
	g_clear_pointer(&d->store, rb_store_free);
	g_clear_pointer(&d->fx, g_array_unref);
	g_clear_pointer(&d->keys, g_hash_table_unref);
	g_clear_pointer(&d->links, g_hash_table_unref);
	g_clear_pointer(&d->bonds, g_hash_table_unref);
	g_clear_pointer(&d->reassembly, g_hash_table_unref);
	g_clear_pointer(&d->bonds_gone, g_hash_table_unref);
	g_clear_object(&d->session);
	g_clear_object(&d->bus);
	g_free(d->adapter_path);
	g_free(d->bluez_storage);
	g_free(d->last_taker);
	g_free(d);
}
