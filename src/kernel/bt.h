/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The few Linux Bluetooth socket constants the kernel/ area needs, defined
 * here so the daemon does not depend on BlueZ's private headers.
 *
 * Values mirror the kernel's include/net/bluetooth/bluetooth.h (PF_BLUETOOTH,
 * BTPROTO_HCI, bdaddr_t), include/net/bluetooth/hci_sock.h (sockaddr_hci,
 * channels, HCIGETCONNINFO, hci_conn_info) and include/net/bluetooth/hci.h
 * (link types, link modes).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "core/types.h"

#define RB_PF_BLUETOOTH 31 /* bluetooth.h: AF_BLUETOOTH */
#define RB_BTPROTO_HCI 1 /* bluetooth.h: BTPROTO_HCI */

#define RB_HCI_DEV_NONE 0xffff /* hci_sock.h: HCI_DEV_NONE */
#define RB_HCI_CHANNEL_RAW 0 /* hci_sock.h: HCI_CHANNEL_RAW */
#define RB_HCI_CHANNEL_CONTROL 3 /* hci_sock.h: HCI_CHANNEL_CONTROL */

/* hci_sock.h: struct sockaddr_hci */
struct rb_sockaddr_hci {
	sa_family_t hci_family;
	unsigned short hci_dev;
	unsigned short hci_channel;
};

/* hci.h: link types */
#define RB_HCI_ACL_LINK 0x01
#define RB_HCI_LE_LINK 0x80

/* hci.h: link modes as HCIGETCONNINFO reports them */
#define RB_HCI_LM_AUTH 0x0002
#define RB_HCI_LM_ENCRYPT 0x0004

/* bluetooth.h: bdaddr_t, six bytes, least significant byte first. */
#define RB_BDADDR_LEN 6

/*
 * hci_sock.h: struct hci_conn_info and struct hci_conn_info_req, which the
 * kernel lays out with natural alignment (the request's flexible array makes
 * the reply start at offset 8, as in the kernel's hci_get_conn_info()).
 */
struct rb_hci_conn_info {
	uint16_t handle;
	uint8_t bdaddr[RB_BDADDR_LEN];
	uint8_t type;
	uint8_t out;
	uint16_t state;
	uint32_t link_mode;
};

struct rb_hci_conn_info_req {
	uint8_t bdaddr[RB_BDADDR_LEN];
	uint8_t type;
	struct rb_hci_conn_info conn_info[];
};

/* hci_sock.h: HCIGETCONNINFO _IOR('H', 213, int) */
#define RB_HCIGETCONNINFO _IOR('H', 213, int)

/*
 * Formats a wire (little-endian) bdaddr as "AA:BB:CC:DD:EE:FF" into @out,
 * which has room for RB_ADDR_STRLEN bytes.
 */
void rb_bt_addr_format(const uint8_t bdaddr[RB_BDADDR_LEN],
		       char out[RB_ADDR_STRLEN]);

/*
 * Parses "AA:BB:CC:DD:EE:FF" (either case) into wire order. False, with
 * @bdaddr untouched, if @str is not exactly such an address.
 */
bool rb_bt_addr_parse(const char *str, uint8_t bdaddr[RB_BDADDR_LEN]);

/*
 * bind() an HCI socket to controller @dev (or RB_HCI_DEV_NONE) on
 * @channel. The address is passed from a zeroed buffer larger than
 * sockaddr_hci, because tools that decode AF_BLUETOOTH addresses by the
 * largest family member (valgrind reads sockaddr_rc) would otherwise see
 * uninitialised bytes. Returns bind()'s result; errno is kept.
 */
int rb_bt_bind_hci(int fd, unsigned short dev, unsigned short channel);
