/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The reaction-boxd GATT service, shared by the daemon and reaction-boxctl.
 * Documented in reaction-boxd-gatt(7).
 */
#pragma once

/* Primary service. */
#define RB_UUID_SERVICE "7f3a0001-9c1e-4b5a-8d2f-52ea0c0b0a01"
/* Framed ReactionMessage requests (write) and replies (notify); a read
 * returns the current config (ConfigMessage OP_CURRENT), unframed. */
#define RB_UUID_PROTOCOL "7f3a0002-9c1e-4b5a-8d2f-52ea0c0b0a01"
/* OTA data (write). Guarded like protocol writes. */
#define RB_UUID_OTA_DATA "7f3a0003-9c1e-4b5a-8d2f-52ea0c0b0a01"
/* The current BleAccessMessage in a ReactionMessage (read, notify). */
#define RB_UUID_ACCESS "7f3a0004-9c1e-4b5a-8d2f-52ea0c0b0a01"
/* secure-read: reading it makes a phone pair or encrypt. Returns one byte,
 * 0x01. */
#define RB_UUID_PAIR "7f3a0005-9c1e-4b5a-8d2f-52ea0c0b0a01"
/* The box application's state: a ReactionMessage with an
 * ApplicationMessage (read, unframed; notify, framed), set over D-Bus by
 * Box1.SetState. Readable and subscribable without pairing. */
#define RB_UUID_APP_STATE "7f3a0006-9c1e-4b5a-8d2f-52ea0c0b0a01"

#define RB_NAME_PREFIX "Reaction_"
