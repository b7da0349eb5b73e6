/* SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "rb-kernel"

#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "kernel/bt.h"

void rb_bt_addr_format(const uint8_t bdaddr[RB_BDADDR_LEN],
		       char out[RB_ADDR_STRLEN])
{
	snprintf(out, RB_ADDR_STRLEN, "%02X:%02X:%02X:%02X:%02X:%02X",
		 bdaddr[5], bdaddr[4], bdaddr[3], bdaddr[2], bdaddr[1],
		 bdaddr[0]);
}

bool rb_bt_addr_parse(const char *str, uint8_t bdaddr[RB_BDADDR_LEN])
{
	uint8_t tmp[RB_BDADDR_LEN];

	if (!str || strlen(str) != RB_ADDR_STRLEN - 1)
		return false;

	for (int i = 0; i < RB_BDADDR_LEN; i++) {
		const char *p = str + i * 3;
		int hi = g_ascii_xdigit_value(p[0]);
		int lo = g_ascii_xdigit_value(p[1]);

		if (hi < 0 || lo < 0)
			return false;
		if (i < RB_BDADDR_LEN - 1 && p[2] != ':')
			return false;
		tmp[RB_BDADDR_LEN - 1 - i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(bdaddr, tmp, sizeof(tmp));
	return true;
}

int rb_bt_bind_hci(int fd, unsigned short dev, unsigned short channel)
{
	union {
		struct rb_sockaddr_hci hci;
		uint8_t pad[16];
	} addr;

	memset(&addr, 0, sizeof(addr));
	addr.hci.hci_family = RB_PF_BLUETOOTH;
	addr.hci.hci_dev = dev;
	addr.hci.hci_channel = channel;
	return bind(fd, (struct sockaddr *)&addr, sizeof(addr.hci));
}
