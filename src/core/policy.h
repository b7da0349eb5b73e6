/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The access policy state machine: pairing mode, PIN attempts and lockout,
 * the write owner, stale bonds, write decisions and the access status.
 *
 * Pure: every entry point takes the current monotonic time in ms and
 * appends the effects the caller must carry out, in order, to @fx. The
 * caller (src/daemon/) turns events from BlueZ, the kernel and the
 * buttons into calls here, and effects into I/O. It decides nothing.
 */
#pragma once

#include <glib.h>

#include "core/buttons.h"
#include "core/config.h"
#include "core/screen.h"
#include "core/state.h"
#include "core/types.h"

typedef enum {
	/* Turn the adapter's bondable flag (Adapter1.Pairable) on or off. */
	RB_EFFECT_SET_PAIRABLE = 0,
	/* Show @screen. */
	RB_EFFECT_SHOW_SCREEN,
	/* Notify subscribers of @access. */
	RB_EFFECT_NOTIFY_ACCESS,
	/* Remove the bond of @peer now (the peer is not connected). */
	RB_EFFECT_REMOVE_BOND,
	/* Disconnect @peer. */
	RB_EFFECT_DISCONNECT,
	/* Persist @state atomically. */
	RB_EFFECT_PERSIST,
	/* Log @text at notice level (e.g. the PIN, for boxes without a
	 * working display). */
	RB_EFFECT_LOG,
	/* A debounced button edge, @edge, for the box's software;
	 * @pairing: pairing mode was open when it was pressed. */
	RB_EFFECT_BUTTON,
} RbEffectKind;

typedef struct {
	RbAccessStatus status;
	bool write_rejected;
	RbWriteVerdict reason;
	uint32_t pairing_time_left_ms;
	uint32_t lockout_time_left_ms;
	RbStaleHint stale;
	bool has_owner;
} RbAccess;

typedef struct {
	RbEffectKind kind;
	bool pairable;
	RbPeer peer;
	RbScreen screen;
	RbAccess access;
	RbState state;
	char text[128];
	RbDebouncedEdge edge;
	bool pairing;
} RbEffect;

typedef GArray RbEffects; /* of RbEffect */
RbEffects *rb_effects_new(void);

/* Facts about a peer's link, gathered by the glue for a write. */
typedef struct {
	RbPeer peer; /* identity address, as BlueZ reports it */
	bool paired; /* Device1.Paired */
	bool bonded; /* Device1.Bonded */
	bool encrypted; /* HCIGETCONNINFO link_mode & HCI_LM_ENCRYPT */
	bool le; /* the ATT bearer is an LE link (not BR/EDR) */
	RbKeyType key; /* the stored bond's LTK type (BlueZ's bond file) */
} RbLinkFacts;

typedef struct RbPolicy RbPolicy;

/*
 * Creates the policy from the config and the persisted state (already
 * decoded; conservative if the file was corrupt). @now is CLOCK_BOOTTIME
 * ms, @boot_id the kernel's boot id (/proc/sys/kernel/random/boot_id),
 * @now_wall_ms is CLOCK_REALTIME ms. A lockout recorded in the same boot
 * is restored by CLOCK_BOOTTIME, which no clock step moves; one from an
 * earlier boot by the wall clock; when unsure it restarts in full.
 * @name is the advertised name. Emits the initial effects: pairable off,
 * the screen, the access status.
 */
RbPolicy *rb_policy_new(const RbPolicyConfig *cfg, const RbState *persisted,
			const char *name, RbTime now, int64_t now_wall_ms,
			const char *boot_id, RbEffects *fx);

/* The wall clock now (it may have been stepped since the start); used
 * only to stamp what is persisted. */
void rb_policy_clock(RbPolicy *p, RbTime now, int64_t now_wall_ms);

/*
 * The outcome of the PERSIST effect that carried @st. A failure (full
 * disk, I/O error, read-only file system) undoes what must not be
 * applied unless stored (a new owner, config overrides), refuses pairing
 * until a store succeeds (PIN failures must not be lost), and retries.
 * The caller skips the REMOVE_BOND effects that followed the failed
 * PERSIST in the same batch.
 */
void rb_policy_persist_result(RbPolicy *p, const RbState *st, bool ok,
			      RbTime now, RbEffects *fx);

/* Whether the last PERSIST failed and has not succeeded since. */
bool rb_policy_storage_failed(const RbPolicy *p);
void rb_policy_free(RbPolicy *p);

/* A raw button edge (debounced here). */
void rb_policy_button(RbPolicy *p, RbButton button, bool pressed, RbTime now,
		      RbEffects *fx);

/* Time passed: timeouts, countdowns, debounce. Call at
 * rb_policy_next_deadline(). */
void rb_policy_tick(RbPolicy *p, RbTime now, RbEffects *fx);

/* The next monotonic time rb_policy_tick() must be called, or 0. */
RbTime rb_policy_next_deadline(const RbPolicy *p);

/*
 * The kernel generated @passkey for a pairing with @peer (agent
 * DisplayPasskey, or the kernel's mgmt Passkey Notify, whichever agent
 * handles it). Returns true if the PIN is shown; false if pairing is
 * refused (not in pairing mode, or locked out): the effects then
 * disconnect the peer and show nothing. The same passkey for the same
 * peer again (keypress notifications) is the same answer, shown once.
 */
bool rb_policy_passkey(RbPolicy *p, const RbPeer *peer, uint32_t passkey,
		       RbTime now, RbEffects *fx);

/*
 * The kernel asked a BlueZ agent to confirm a value or to type a passkey
 * for a pairing with @peer (mgmt User Confirm / User Passkey Request):
 * another pairing method than Passkey Entry with the box's PIN, so
 * another agent is BlueZ's default. Always refused: the peer is
 * disconnected.
 */
void rb_policy_pairing_method_refused(RbPolicy *p, const RbPeer *peer,
				      const char *method, RbTime now,
				      RbEffects *fx);

/*
 * The link with @peer got a new LTK of type @key (mgmt New Long Term
 * Key): a pairing on this connection ended. @stored: BlueZ stores it
 * (a bond); else it was a pairing without bonding. Only a stored,
 * acceptable key of the peer shown the PIN in pairing mode makes an
 * owner; any other is refused, the peer disconnected and what it stored
 * removed. The key decides for the rest of this connection.
 */
void rb_policy_new_key(RbPolicy *p, const RbPeer *peer, RbKeyType key,
		       bool stored, RbTime now, RbEffects *fx);

/* Pairing with @peer failed or was refused by the kernel (mgmt
 * Authentication Failed: wrong PIN, cancelled, bondable off). */
void rb_policy_pairing_failed(RbPolicy *p, const RbPeer *peer, RbTime now,
			      RbEffects *fx);

/* A peer connected; @bonded: the box holds a bond for it. */
void rb_policy_connected(RbPolicy *p, const RbPeer *peer, bool bonded,
			 RbTime now, RbEffects *fx);

/* A peer disconnected. @auth_failure: the link dropped for a missing or
 * failed key (the peer tried to encrypt with a key the box lacks). */
void rb_policy_disconnected(RbPolicy *p, const RbPeer *peer, bool auth_failure,
			    RbTime now, RbEffects *fx);

/* The link of a connected peer is now encrypted. */
void rb_policy_encrypted(RbPolicy *p, const RbPeer *peer, RbTime now,
			 RbEffects *fx);

/* A peer's address changed (BlueZ resolved an RPA to its identity). */
void rb_policy_peer_renamed(RbPolicy *p, const RbPeer *from, const RbPeer *to);

/* The set of bonds the box holds: one appeared or disappeared. A removal
 * is BlueZ deleting the bond (an operator's remove, Bonded false), never
 * BlueZ unloading its objects (bluetoothd stopping, an adapter reset). */
void rb_policy_bond_added(RbPolicy *p, const RbPeer *peer, RbTime now,
			  RbEffects *fx);
void rb_policy_bond_removed(RbPolicy *p, const RbPeer *peer, RbTime now,
			    RbEffects *fx);

/*
 * A protocol or OTA write. Returns the verdict; a rejection also notifies
 * subscribers (write_rejected with the reason).
 */
RbWriteVerdict rb_policy_write(RbPolicy *p, const RbLinkFacts *facts,
			       RbTime now, RbEffects *fx);

/*
 * The owner changes settings. Out of range: false, *bad names the
 * setting, nothing changes. Success persists the overrides.
 */
bool rb_policy_set_config(RbPolicy *p, const RbConfigUpdate *update,
			  RbSetting *bad, RbTime now, RbEffects *fx);

/* The advertised name changed (the adapter became known). */
void rb_policy_set_name(RbPolicy *p, const char *name, RbTime now,
			RbEffects *fx);

/*
 * Admin requests (the D-Bus API; who may ask is rb_api_authorize()'s
 * business). Each returns whether it was carried out; one that changes
 * what is persisted emits the PERSIST first, and is undone if that fails
 * (rb_policy_persist_result()), so the caller answers only after the
 * store's result.
 */
typedef enum {
	RB_ADMIN_DONE = 0,
	RB_ADMIN_NOTHING_TO_DO, /* e.g. pairing mode was not open */
	RB_ADMIN_NOT_ALLOWED, /* [Policy] AllowRemotePairingMode is off */
	RB_ADMIN_LOCKED_OUT,
	RB_ADMIN_STORAGE_FAILED, /* the state cannot be stored now */
} RbAdminResult;

/* A short English explanation of @r. */
const char *rb_admin_result_text(RbAdminResult r);

RbAdminResult rb_policy_exit_pairing(RbPolicy *p, RbTime now, RbEffects *fx);
RbAdminResult rb_policy_enter_pairing(RbPolicy *p, RbTime now, RbEffects *fx);
/* The owner loses ownership and its bond (at once, or when it
 * disconnects); so does any bond the box holds. */
RbAdminResult rb_policy_forget_owner(RbPolicy *p, RbTime now, RbEffects *fx);
/* Every bond, the owner, the config overrides, the PIN failures and
 * lockout, the stale-bond flag; every peer is disconnected and pairing
 * mode ends. The config file's settings stay. */
RbAdminResult rb_policy_factory_reset(RbPolicy *p, RbTime now, RbEffects *fx);

/* A connected peer's access, as the D-Bus API shows it. */
typedef enum {
	RB_PEER_READ_ONLY = 0,
	RB_PEER_OWNER,
	RB_PEER_DOWNGRADED,
} RbPeerAccess;

typedef struct {
	RbPeer peer;
	RbPeerAccess access;
} RbPeerInfo;

/* The connected peers, in connection order (a new GArray of RbPeerInfo). */
GArray *rb_policy_peers(const RbPolicy *p);
const char *rb_peer_access_name(RbPeerAccess a);

/* The chord's three buttons are all held (debounced). */
bool rb_policy_chord_held(const RbPolicy *p);
/* Seconds left in pairing mode and lockout, as the display shows them. */
uint32_t rb_policy_pairing_seconds_left(const RbPolicy *p, RbTime now);
uint32_t rb_policy_lockout_seconds_left(const RbPolicy *p, RbTime now);

/* Accessors for the glue and the tests. */
const RbPolicyConfig *rb_policy_config(const RbPolicy *p);
RbAccess rb_policy_access(const RbPolicy *p, RbTime now);
const RbScreen *rb_policy_screen(const RbPolicy *p);
bool rb_policy_pairing_mode(const RbPolicy *p);
bool rb_policy_locked_out(const RbPolicy *p, RbTime now);
const RbPeer *rb_policy_owner(const RbPolicy *p);
bool rb_policy_is_downgraded(const RbPolicy *p, const RbPeer *peer);
const RbState *rb_policy_state(const RbPolicy *p);
