/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RbAdvert: the daemon's org.bluez.LEAdvertisement1 at RB_ADVERT_PATH:
 * Type "peripheral", ServiceUUIDs [RB_UUID_SERVICE], LocalName (set by the
 * owner, "Reaction_XXXXXX" from rb_bluez_box_name()), Discoverable true,
 * Includes ["tx-power"] when enabled. Only the org.bluez owner may call its
 * methods or read its properties.
 */
#pragma once

#include <gio/gio.h>

#include "bluez/bluez.h"

#define RB_ADVERT_PATH "/org/reactionbox/advert"
/* LocalName goes into the 31-byte scan response: 29 bytes of name. */
#define RB_ADVERT_NAME_MAX 29

typedef struct _RbAdvert RbAdvert;

typedef struct {
	/* BlueZ released the advertisement (it is no longer registered). */
	void (*release)(void *user_data);
} RbAdvertCallbacks;

/*
 * Exports the advertisement on @bluez's connection (@bluez borrowed, must
 * outlive it). @local_name: 1..RB_ADVERT_NAME_MAX bytes of UTF-8, copied.
 * NULL with RB_ERROR_INVALID for a bad name, RB_ERROR_BUSY if the path is
 * taken.
 */
RbAdvert *rb_advert_new(RbBluez *bluez, const char *local_name,
			const RbAdvertCallbacks *callbacks, void *user_data,
			GError **error);
/* Unexports (does not call UnregisterAdvertisement). */
void rb_advert_free(RbAdvert *advert);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RbAdvert, rb_advert_free)

/* Changes LocalName for the next registration; FALSE with RB_ERROR_INVALID
 * (nothing changed) for a bad name. */
gboolean rb_advert_set_local_name(RbAdvert *advert, const char *local_name,
				  GError **error);
const char *rb_advert_get_local_name(RbAdvert *advert);
/* Adds "tx-power" to Includes for the next registration (default off). */
void rb_advert_set_include_tx_power(RbAdvert *advert, gboolean include);

/* LEAdvertisingManager1.RegisterAdvertisement(RB_ADVERT_PATH, {}) on
 * @adapter_path. */
void rb_advert_register(RbAdvert *advert, const char *adapter_path,
			GCancellable *cancellable, GAsyncReadyCallback callback,
			gpointer user_data);
gboolean rb_advert_register_finish(RbAdvert *advert, GAsyncResult *result,
				   GError **error);

/* LEAdvertisingManager1.UnregisterAdvertisement on the registered adapter;
 * RB_ERROR_NOT_FOUND at once if not registered. */
void rb_advert_unregister(RbAdvert *advert, GCancellable *cancellable,
			  GAsyncReadyCallback callback, gpointer user_data);
gboolean rb_advert_unregister_finish(RbAdvert *advert, GAsyncResult *result,
				     GError **error);

/* The adapter the advertisement is registered on, or NULL (also after
 * Release and after org.bluez vanished). */
const char *rb_advert_registered_adapter(RbAdvert *advert);
