/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The state the box persists, and its versioned text encoding (GKeyFile
 * syntax). Pure: src/store/ writes and reads the bytes atomically.
 */
#pragma once

#include <glib.h>

#include "core/config.h"
#include "core/types.h"

#define RB_STATE_FORMAT_VERSION 2
/* The boot id as /proc/sys/kernel/random/boot_id has it, plus NUL. */
#define RB_BOOT_ID_LEN 37

typedef struct {
	/* The write owner. */
	bool has_owner;
	/* The state file was corrupt: whose bonds are legitimate is not
	 * known, so none is deleted until a pairing makes a new owner. */
	bool owner_unknown;
	RbPeer owner;
	RbKeyType owner_key;
	int64_t owner_paired_wall_ms; /* CLOCK_REALTIME, informational */

	/* PIN failures since the last success or lockout end. */
	uint32_t pin_failures;
	/* Lockout: when it began (CLOCK_REALTIME ms, and CLOCK_BOOTTIME ms in
	 * the boot @lockout_boot_id) and how long it lasts. */
	bool lockout_active;
	int64_t lockout_start_wall_ms;
	char lockout_boot_id[RB_BOOT_ID_LEN]; /* "" if not known */
	uint64_t lockout_start_boot_ms;
	uint32_t lockout_ms;

	/* Config overrides set over BLE (on top of the config file). */
	RbConfigUpdate overrides;

	/* Stale-bond flag. */
	RbStaleHint stale;
} RbState;

void rb_state_init(RbState *st);

/* Whether @id looks like a kernel boot id (36 characters, 8-4-4-4-12 hex
 * digits). */
bool rb_state_boot_id_valid(const char *id);

/* Encodes @st; the caller g_free()s the result. */
char *rb_state_encode(const RbState *st, gsize *len);

/*
 * Decodes @data. On any error (syntax, unknown version, bad address, value
 * out of range) returns false with @error set, and fills @st with the
 * conservative state: no owner (and owner_unknown, so no bond is
 * deleted), no overrides, and a full lockout of @lockout_ms starting at
 * @now_wall_ms. Version 1 files (no boot id) are read too.
 */
bool rb_state_decode(RbState *st, const char *data, gsize len,
		     int64_t now_wall_ms, uint32_t lockout_ms, GError **error);

/*
 * The conservative state used when the state file is corrupt or unreadable.
 */
void rb_state_init_conservative(RbState *st, int64_t now_wall_ms,
				uint32_t lockout_ms);
