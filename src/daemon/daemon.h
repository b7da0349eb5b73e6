/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's wiring: BlueZ (D-Bus), the kernel (mgmt, HCIGETCONNINFO),
 * buttons and display turned into events for the pure policy, and the
 * policy's effects turned back into I/O. No policy decision is made here.
 */
#pragma once

#include <gio/gio.h>

#include "core/config.h"

typedef struct RbDaemon RbDaemon;

typedef struct {
	/* The config (borrowed; must outlive the daemon). */
	const RbDaemonConfig *config;
	/* The state directory (owner, lockout, overrides). */
	const char *state_dir;
	/* BlueZ's storage root, for bond key types after a restart. */
	const char *bluez_storage;
} RbDaemonOptions;

/*
 * Sets everything up on @bus: the state store, the policy, the mgmt
 * monitor (which needs CAP_NET_ADMIN), the buttons and the display, and
 * starts watching org.bluez. Errors stop start-up: the message says what
 * is missing and why.
 */
RbDaemon *rb_daemon_new(GDBusConnection *bus, const RbDaemonOptions *opts,
			GError **error);

/*
 * Unregisters from BlueZ, turns pairable off and calls @done from the main
 * loop when finished (or after a short timeout if BlueZ does not answer).
 */
void rb_daemon_stop(RbDaemon *d, GSourceFunc done, void *user_data);

void rb_daemon_free(RbDaemon *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RbDaemon, rb_daemon_free)
