/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the daemon (src/daemon/): its state, and what its files share.
 * One concern a file:
 *   daemon.c        life (new, stop, free, the watchdog), the buttons and
 *                   the display, small helpers
 *   effects.c       the policy's effects run, its timer, notifications,
 *                   Pairable
 *   kernel.c        links and encryption, mgmt events, the kernel's
 *                   connections at start
 *   writes.c        GATT reads and writes: how a write is judged
 *   pairing.c       the agent's passkeys, the default agent taken back
 *   registration.c  registration with BlueZ, step by step
 *   devices.c       org.bluez coming and going, adapters, devices, bonds
 *   app.c           the box's software: the D-Bus API (src/api/), the
 *                   owner's application messages and their answers
 * What one file uses only is static there.
 */
#pragma once

#include "api/api.h"
#include "bluez/advert.h"
#include "bluez/agent-watch.h"
#include "bluez/agent.h"
#include "bluez/bluez.h"
#include "bluez/gatt.h"
#include "core/policy.h"
#include "daemon/daemon.h"
#include "hw/buttons.h"
#include "hw/display.h"
#include "kernel/mgmt.h"
#include "store/store.h"

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
	RbApi *api; /* NULL without a D-Bus API (tests) */
	RbAppMessage *app_state; /* Box1.SetState's, or NULL */

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
	/* Pairable (effects.c): one set at a time, through the mgmt socket
	 * (pairable_via_mgmt) or, if that failed, bluetoothd's Adapter1. */
	bool pairable_inflight;
	bool pairable_via_mgmt;
	bool pairable_recheck;
	guint pairable_retry_id;
	/* The kernel's bondable flag of the adapter as mgmt last said (Set
	 * Bondable's answer, New Settings): -1 not known, 0 off, 1 on. */
	int kernel_bondable;
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
	guint effects_idle_id; /* run_effects_soon() */
	guint watchdog_id;

	/* Stopping */
	GSourceFunc stop_done;
	void *stop_data;
	guint stop_pending;
	guint stop_timeout_id;
};

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

/* daemon.c */
RbTime now_ms(void);
int64_t boottime_offset_ms(void);
int64_t wall_ms(void);
char *peer_key(const RbPeer *p);
const RbBluezDevice *device_of_peer(RbDaemon *d, const RbPeer *peer);
bool peer_of_device(const RbBluezDevice *dev, RbPeer *out);

/* effects.c */
void notify_framed(RbDaemon *d, RbGattChar which, const uint8_t *msg,
		   gsize len);
void enforce_pairable(RbDaemon *d);
void kernel_settings_changed(RbDaemon *d, uint32_t settings);
bool run_effects(RbDaemon *d);
/* Runs the effects from the main loop, after the current D-Bus reply. */
void run_effects_soon(RbDaemon *d);

/* kernel.c */
Link *link_of(RbDaemon *d, const RbPeer *peer);
bool link_encrypted(RbDaemon *d, const RbPeer *peer);
void on_connections(uint16_t index, uint8_t status, const RbMgmtAddr *peers,
		    size_t n, void *data);
extern const RbMgmtCallbacks mgmt_callbacks;

/* writes.c */
void free_reassembler(gpointer p);
extern const RbGattCallbacks gatt_callbacks;

/* pairing.c */
void retake_agent(RbDaemon *d, const char *why);
void on_default_agent_requested(const char *sender, const char *path,
				void *data);
extern const RbAgentCallbacks agent_callbacks;

/* registration.c */
void reg_run(RbDaemon *d, RegStep step);

/* app.c */
void app_button(RbDaemon *d, const RbEffect *e);
void app_refresh(RbDaemon *d);
void app_deliver(RbDaemon *d, const RbAppMessage *msg, const RbPeer *owner,
		 uint32_t request_id);
GBytes *app_state_value(RbDaemon *d);
extern const RbApiCallbacks api_callbacks;

/* devices.c */
void reconcile_bonds(RbDaemon *d);
extern const RbBluezCallbacks bluez_callbacks;
