/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Plain data shared by the pure core and its callers. No I/O here.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Monotonic time in milliseconds; the caller's clock, passed in. */
typedef uint64_t RbTime;

/* The box's buttons. */
typedef enum {
	RB_BUTTON_QUIZZER_RESET = 0,
	RB_BUTTON_TIMER_RESET,
	RB_BUTTON_TIMER_530,
	RB_BUTTON_CONTEST,
} RbButton;
#define RB_BUTTON_COUNT 4

const char *rb_button_name(RbButton button);
/* Parses "QUIZZER_RESET" etc. (case-insensitive); false if unknown. */
bool rb_button_from_name(const char *name, RbButton *out);

/* LE address type as BlueZ's Device1.AddressType and the kernel name it. */
typedef enum {
	RB_ADDR_PUBLIC = 0,
	RB_ADDR_RANDOM = 1,
} RbAddrType;

/*
 * A peer's identity: its identity address (after IRK resolution) and type.
 * "AA:BB:CC:DD:EE:FF" upper case, NUL-terminated.
 */
#define RB_ADDR_STRLEN 18
typedef struct {
	char addr[RB_ADDR_STRLEN];
	RbAddrType type;
} RbPeer;

/* Fills @out; false if @addr is not a valid "XX:XX:XX:XX:XX:XX" address. */
bool rb_peer_set(RbPeer *out, const char *addr, RbAddrType type);
bool rb_peer_equal(const RbPeer *a, const RbPeer *b);

/*
 * The LTK type as the kernel's mgmt API reports it in New Long Term Key:
 * 0 unauthenticated legacy, 1 authenticated legacy, 2 unauthenticated
 * P-256, 3 authenticated P-256, 4 debug P-256. UNKNOWN when not known.
 */
typedef enum {
	RB_KEY_UNAUTH_LEGACY = 0,
	RB_KEY_AUTH_LEGACY = 1,
	RB_KEY_UNAUTH_P256 = 2,
	RB_KEY_AUTH_P256 = 3,
	RB_KEY_DEBUG_P256 = 4,
	RB_KEY_UNKNOWN = 255,
} RbKeyType;

/* Access status, the values of BleAccessMessage.Status. */
typedef enum {
	RB_ACCESS_NO_CONNECTION = 0,
	RB_ACCESS_READ_ONLY = 1,
	RB_ACCESS_WRITE_AUTHORIZED = 2,
	RB_ACCESS_PAIRING_MODE = 3,
} RbAccessStatus;

/* Write verdicts, the values of BleAccessMessage.WriteRejectReason. */
typedef enum {
	RB_WRITE_OK = 0,
	RB_WRITE_REJECT_NOT_PAIRED = 1,
	RB_WRITE_REJECT_NOT_ENCRYPTED = 2,
	RB_WRITE_REJECT_NOT_AUTHENTICATED = 3,
	RB_WRITE_REJECT_NOT_AUTHORIZED = 4,
} RbWriteVerdict;

/* The ATT application error code (0x80..0x83) that answers a rejection. */
uint8_t rb_write_verdict_att_error(RbWriteVerdict verdict);
const char *rb_write_verdict_name(RbWriteVerdict verdict);

/* The stale-bond hint, the values of BleAccessMessage.StaleBondHint. */
typedef enum {
	RB_STALE_NONE = 0,
	RB_STALE_BOX_HAS_STALE_BOND = 1,
	RB_STALE_PHONE_HAS_STALE_BOND = 2,
} RbStaleHint;
