/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The LTK type of a stored bond, read from BlueZ's bond file
 * <root>/<adapter>/<peer>/info, for after a daemon restart when no New Long
 * Term Key event will come. Blocking file I/O: call at start-up or on
 * demand, not on a hot path.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/types.h"

/* BlueZ's storage root. */
#define RB_BONDINFO_DEFAULT_ROOT "/var/lib/bluetooth"

typedef struct {
	RbKeyType key_type; /* the group's Authenticated= value */
	uint8_t enc_size; /* EncSize=, 0 if absent */
	const char *group; /* static: the key file group it came from */
} RbBondInfo;

/*
 * Reads the LTK of the bond between adapter @adapter and peer @peer (both
 * "AA:BB:CC:DD:EE:FF", the peer's identity address) under @root. The
 * groups are tried in order PeripheralLongTermKey (BlueZ 5.62+),
 * SlaveLongTermKey (older), LongTermKey (the key used as central).
 * Errors: RB_ERROR_INVALID (bad address), RB_ERROR_NOT_FOUND (no bond file,
 * or no LTK in it), RB_ERROR_CORRUPT (file or value does not parse),
 * RB_ERROR_IO. @out is untouched on error.
 */
bool rb_bondinfo_read(const char *root, const char *adapter, const char *peer,
		      RbBondInfo *out, GError **error);
