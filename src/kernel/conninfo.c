/* SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "rb-conninfo"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/error.h"
#include "kernel/bt.h"
#include "kernel/conninfo.h"

G_STATIC_ASSERT(sizeof(struct rb_hci_conn_info) == 16);
G_STATIC_ASSERT(sizeof(struct rb_hci_conn_info_req) == 8);

static int kernel_get_conn_info(int hci_index, const uint8_t bdaddr[6],
				uint8_t link_type, RbHciConnInfo *ci,
				void *user_data)
{
	union {
		struct rb_hci_conn_info_req req;
		uint8_t raw[sizeof(struct rb_hci_conn_info_req) +
			    sizeof(struct rb_hci_conn_info)];
	} u;
	const struct rb_hci_conn_info *info;
	int fd, err = 0;

	fd = socket(RB_PF_BLUETOOTH, SOCK_RAW | SOCK_CLOEXEC, RB_BTPROTO_HCI);
	if (fd < 0)
		return -errno;
	/* HCIGETCONNINFO is a "bound" ioctl: it needs the adapter. */
	if (rb_bt_bind_hci(fd, (unsigned short)hci_index, RB_HCI_CHANNEL_RAW) <
	    0) {
		err = -errno;
		close(fd);
		return err;
	}
	memset(&u, 0, sizeof(u));
	memcpy(u.req.bdaddr, bdaddr, RB_BDADDR_LEN);
	u.req.type = link_type;
	if (ioctl(fd, RB_HCIGETCONNINFO, &u) < 0)
		err = -errno;
	close(fd);
	if (err)
		return err;

	info = &u.req.conn_info[0];
	ci->handle = info->handle;
	memcpy(ci->bdaddr, info->bdaddr, RB_BDADDR_LEN);
	ci->type = info->type;
	ci->out = info->out;
	ci->state = info->state;
	ci->link_mode = info->link_mode;
	return 0;
}

const RbConnInfoOps rb_conninfo_kernel_ops = {
	.get_conn_info = kernel_get_conn_info,
};

bool rb_conninfo_get_with(const RbConnInfoOps *ops, void *user_data,
			  int hci_index, const char *addr, uint8_t link_type,
			  RbConnInfo *out, GError **error)
{
	uint8_t bdaddr[RB_BDADDR_LEN];
	RbHciConnInfo ci;
	int r;

	g_return_val_if_fail(ops && ops->get_conn_info, false);
	g_return_val_if_fail(out != NULL, false);

	if (hci_index < 0 || hci_index >= RB_HCI_DEV_NONE) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "adapter index %d is out of range", hci_index);
		return false;
	}
	if (!rb_bt_addr_parse(addr, bdaddr)) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "\"%s\" is not a Bluetooth address",
			    addr ? addr : "(null)");
		return false;
	}

	memset(&ci, 0, sizeof(ci));
	r = ops->get_conn_info(hci_index, bdaddr, link_type, &ci, user_data);
	switch (-r) {
	case 0:
		break;
	case ENOENT:
		g_set_error(error, RB_ERROR, RB_ERROR_NOT_FOUND,
			    "hci%d %s: not connected", hci_index, addr);
		return false;
	case ENODEV:
		g_set_error(error, RB_ERROR, RB_ERROR_NOT_FOUND,
			    "hci%d: no such adapter", hci_index);
		return false;
	case EAFNOSUPPORT:
	case EPROTONOSUPPORT:
		g_set_error(error, RB_ERROR, RB_ERROR_NOT_FOUND,
			    "no Bluetooth in this kernel: %s", g_strerror(-r));
		return false;
	case EPERM:
	case EACCES:
		g_set_error(error, RB_ERROR, RB_ERROR_PERMISSION,
			    "hci%d %s: connection info refused: %s", hci_index,
			    addr, g_strerror(-r));
		return false;
	default:
		g_set_error(error, RB_ERROR, RB_ERROR_IO,
			    "hci%d %s: HCIGETCONNINFO failed: %s", hci_index,
			    addr, g_strerror(r < 0 ? -r : EIO));
		return false;
	}

	memset(out, 0, sizeof(*out));
	out->handle = ci.handle;
	rb_bt_addr_format(ci.bdaddr, out->addr);
	out->link_type = ci.type;
	out->outgoing = ci.out != 0;
	out->state = ci.state;
	out->link_mode = ci.link_mode;
	out->encrypted = (ci.link_mode & RB_HCI_LM_ENCRYPT) != 0;
	out->authenticated = (ci.link_mode & RB_HCI_LM_AUTH) != 0;
	return true;
}

bool rb_conninfo_get(int hci_index, const char *addr, uint8_t link_type,
		     RbConnInfo *out, GError **error)
{
	return rb_conninfo_get_with(&rb_conninfo_kernel_ops, NULL, hci_index,
				    addr, link_type, out, error);
}
