/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Whether a connected peer's link is encrypted now, from the kernel's
 * HCIGETCONNINFO ioctl on an HCI raw socket bound to the adapter. Works
 * without privileges. Each call opens, queries and closes its own socket:
 * it is asked once per write, not per packet.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/types.h"

typedef struct {
	uint16_t handle;
	char addr[RB_ADDR_STRLEN];
	uint8_t link_type; /* 0x80 LE, 0x01 ACL */
	bool outgoing;
	uint16_t state;
	uint32_t link_mode; /* HCI_LM_* bits */
	bool encrypted; /* link_mode & HCI_LM_ENCRYPT */
	bool authenticated; /* link_mode & HCI_LM_AUTH */
} RbConnInfo;

/* Link type of an LE connection (hci.h: LE_LINK). */
#define RB_CONNINFO_LE_LINK 0x80

/* The raw answer of the ioctl, mirroring hci_sock.h struct hci_conn_info. */
typedef struct {
	uint16_t handle;
	uint8_t bdaddr[6]; /* wire order */
	uint8_t type;
	uint8_t out;
	uint16_t state;
	uint32_t link_mode;
} RbHciConnInfo;

/*
 * How the query reaches the kernel; tests inject their own.
 * get_conn_info() returns 0 and fills @ci, or a negative errno.
 */
typedef struct {
	int (*get_conn_info)(int hci_index, const uint8_t bdaddr[6],
			     uint8_t link_type, RbHciConnInfo *ci,
			     void *user_data);
} RbConnInfoOps;

/* The real ops: an HCI raw socket, bind, HCIGETCONNINFO, close. */
extern const RbConnInfoOps rb_conninfo_kernel_ops;

/*
 * Asks about the connection to @addr ("AA:BB:CC:DD:EE:FF", the identity
 * address once resolved) of @link_type on adapter hci<@hci_index>.
 * Errors: RB_ERROR_INVALID (bad address or index), RB_ERROR_NOT_FOUND (not
 * connected, no such adapter, or no Bluetooth), RB_ERROR_PERMISSION,
 * RB_ERROR_IO. @out is untouched on error.
 */
bool rb_conninfo_get(int hci_index, const char *addr, uint8_t link_type,
		     RbConnInfo *out, GError **error);

/* As rb_conninfo_get() through @ops. */
bool rb_conninfo_get_with(const RbConnInfoOps *ops, void *user_data,
			  int hci_index, const char *addr, uint8_t link_type,
			  RbConnInfo *out, GError **error);
