/* SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "rb-mgmt"

#include <errno.h>
#include <glib-unix.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/error.h"
#include "kernel/bt.h"
#include "kernel/mgmt.h"

/* The largest datagram: the header plus a 16-bit payload length. */
#define MGMT_MAX_DATAGRAM (RB_MGMT_HDR_SIZE + 0xffff)
/* Datagrams handled per wake-up before yielding to the loop. */
#define MGMT_READ_BATCH 32
/* How long rb_mgmt_new() waits for the trust probe's answer. */
#define MGMT_PROBE_TIMEOUT_MS 1000

#define MGMT_NEED_CAP_MSG                                                      \
	"the mgmt control socket needs CAP_NET_ADMIN "                         \
	"(AmbientCapabilities=CAP_NET_ADMIN in the unit) to learn pairing "    \
	"outcomes and LTK types"

typedef struct {
	uint16_t opcode;
	uint16_t index;
	RbMgmtCommandFunc func;
	RbMgmtConnectionsFunc conns_func;
	RbMgmtSettingsFunc settings_func;
	void *user_data;
} MgmtPending;

struct RbMgmt {
	int fd;
	GSource *watch;
	GSource *early_idle;
	GPtrArray *early; /* GBytes: events read during the probe */
	GQueue pending; /* MgmtPending, oldest first */
	RbMgmtCallbacks cb;
	void *user_data;
	uint8_t buf[MGMT_MAX_DATAGRAM];
};

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v & 0xff);
	p[1] = (uint8_t)(v >> 8);
}

static const char *const status_names[] = {
	[0x00] = "Success",
	[0x01] = "Unknown Command",
	[0x02] = "Not Connected",
	[0x03] = "Failed",
	[0x04] = "Connect Failed",
	[0x05] = "Authentication Failed",
	[0x06] = "Not Paired",
	[0x07] = "No Resources",
	[0x08] = "Timeout",
	[0x09] = "Already Connected",
	[0x0a] = "Busy",
	[0x0b] = "Rejected",
	[0x0c] = "Not Supported",
	[0x0d] = "Invalid Parameters",
	[0x0e] = "Disconnected",
	[0x0f] = "Not Powered",
	[0x10] = "Cancelled",
	[0x11] = "Invalid Index",
	[0x12] = "RFKilled",
	[0x13] = "Already Paired",
	[0x14] = "Permission Denied",
};

const char *rb_mgmt_status_str(uint8_t status)
{
	if (status < G_N_ELEMENTS(status_names) && status_names[status])
		return status_names[status];
	return "Unknown Status";
}

bool rb_mgmt_addr_type_to_rb(uint8_t mgmt_type, RbAddrType *out)
{
	switch (mgmt_type) {
	case RB_MGMT_ADDR_LE_PUBLIC:
		*out = RB_ADDR_PUBLIC;
		return true;
	case RB_MGMT_ADDR_LE_RANDOM:
		*out = RB_ADDR_RANDOM;
		return true;
	default:
		return false;
	}
}

static bool parse_addr(const uint8_t *p, RbMgmtAddr *out, GError **error)
{
	if (p[RB_BDADDR_LEN] > RB_MGMT_ADDR_LE_RANDOM) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "address type 0x%02x is not BR/EDR, LE public or "
			    "LE random",
			    p[RB_BDADDR_LEN]);
		return false;
	}
	rb_bt_addr_format(p, out->addr);
	out->type = p[RB_BDADDR_LEN];
	return true;
}

static bool parse_le_addr(const uint8_t *p, RbMgmtAddr *out, GError **error)
{
	if (!parse_addr(p, out, error))
		return false;
	if (out->type == RB_MGMT_ADDR_BREDR) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "%s: a BR/EDR address where an LE one is due",
			    out->addr);
		return false;
	}
	return true;
}

static bool parse_bool(uint8_t v, const char *what, bool *out, GError **error)
{
	if (v > 1) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "%s is 0x%02x, not 0 or 1", what, v);
		return false;
	}
	*out = v == 1;
	return true;
}

static RbKeyType key_type_from_wire(uint8_t t)
{
	switch (t) {
	case RB_KEY_UNAUTH_LEGACY:
	case RB_KEY_AUTH_LEGACY:
	case RB_KEY_UNAUTH_P256:
	case RB_KEY_AUTH_P256:
	case RB_KEY_DEBUG_P256:
		return (RbKeyType)t;
	default:
		return RB_KEY_UNKNOWN;
	}
}

/* The minimum payload of each event handled; 0 for codes not handled. */
static bool event_min_size(uint16_t code, RbMgmtEventType *type, size_t *min)
{
	static const struct {
		uint16_t code;
		RbMgmtEventType type;
		size_t min;
	} table[] = {
		{RB_MGMT_EV_CMD_COMPLETE, RB_MGMT_EVENT_CMD_COMPLETE,
		 RB_MGMT_CMD_COMPLETE_SIZE},
		{RB_MGMT_EV_CMD_STATUS, RB_MGMT_EVENT_CMD_STATUS,
		 RB_MGMT_CMD_STATUS_SIZE},
		{RB_MGMT_EV_INDEX_ADDED, RB_MGMT_EVENT_INDEX_ADDED, 0},
		{RB_MGMT_EV_INDEX_REMOVED, RB_MGMT_EVENT_INDEX_REMOVED, 0},
		{RB_MGMT_EV_NEW_SETTINGS, RB_MGMT_EVENT_NEW_SETTINGS,
		 RB_MGMT_SETTINGS_SIZE},
		{RB_MGMT_EV_NEW_LONG_TERM_KEY, RB_MGMT_EVENT_NEW_LTK,
		 RB_MGMT_NEW_LTK_SIZE},
		{RB_MGMT_EV_DEVICE_CONNECTED, RB_MGMT_EVENT_CONNECTED,
		 RB_MGMT_CONNECTED_SIZE},
		{RB_MGMT_EV_DEVICE_DISCONNECTED, RB_MGMT_EVENT_DISCONNECTED,
		 RB_MGMT_DISCONNECTED_SIZE},
		{RB_MGMT_EV_AUTH_FAILED, RB_MGMT_EVENT_AUTH_FAILED,
		 RB_MGMT_AUTH_FAILED_SIZE},
		{RB_MGMT_EV_NEW_IRK, RB_MGMT_EVENT_NEW_IRK,
		 RB_MGMT_NEW_IRK_SIZE},
		{RB_MGMT_EV_USER_CONFIRM_REQUEST, RB_MGMT_EVENT_USER_CONFIRM,
		 RB_MGMT_USER_CONFIRM_SIZE},
		{RB_MGMT_EV_USER_PASSKEY_REQUEST, RB_MGMT_EVENT_USER_PASSKEY,
		 RB_MGMT_USER_PASSKEY_SIZE},
		{RB_MGMT_EV_PASSKEY_NOTIFY, RB_MGMT_EVENT_PASSKEY_NOTIFY,
		 RB_MGMT_PASSKEY_NOTIFY_SIZE},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(table); i++) {
		if (table[i].code == code) {
			*type = table[i].type;
			*min = table[i].min;
			return true;
		}
	}
	return false;
}

bool rb_mgmt_parse_event(const uint8_t *buf, size_t len, RbMgmtEvent *out,
			 GError **error)
{
	const uint8_t *p;
	size_t plen, min;
	uint16_t eir_len;

	g_return_val_if_fail(buf != NULL || len == 0, false);
	g_return_val_if_fail(out != NULL, false);

	memset(out, 0, sizeof(*out));
	if (len < RB_MGMT_HDR_SIZE) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "mgmt event of %zu bytes is shorter than its "
			    "%d-byte header",
			    len, RB_MGMT_HDR_SIZE);
		return false;
	}
	out->code = get_le16(buf);
	out->index = get_le16(buf + 2);
	plen = get_le16(buf + 4);
	if (plen != len - RB_MGMT_HDR_SIZE) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "mgmt event 0x%04x says %zu payload bytes but "
			    "carries %zu",
			    out->code, plen, len - RB_MGMT_HDR_SIZE);
		return false;
	}
	p = buf + RB_MGMT_HDR_SIZE;

	if (!event_min_size(out->code, &out->type, &min)) {
		out->type = RB_MGMT_EVENT_UNKNOWN;
		return true;
	}
	if (plen < min) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "mgmt event 0x%04x has %zu payload bytes, needs "
			    "%zu",
			    out->code, plen, min);
		return false;
	}

	switch (out->type) {
	case RB_MGMT_EVENT_UNKNOWN:
	case RB_MGMT_EVENT_INDEX_ADDED:
	case RB_MGMT_EVENT_INDEX_REMOVED:
		return true;
	case RB_MGMT_EVENT_NEW_SETTINGS:
		out->settings = get_le32(p);
		return true;
	case RB_MGMT_EVENT_CMD_COMPLETE:
	case RB_MGMT_EVENT_CMD_STATUS:
		out->cmd.opcode = get_le16(p);
		out->cmd.status = p[2];
		if (out->type == RB_MGMT_EVENT_CMD_COMPLETE && plen > 3) {
			out->cmd.data = p + 3;
			out->cmd.data_len = plen - 3;
		}
		return true;
	case RB_MGMT_EVENT_NEW_LTK:
		if (!parse_bool(p[0], "store hint", &out->ltk.store_hint,
				error) ||
		    !parse_le_addr(p + 1, &out->ltk.peer, error) ||
		    !parse_bool(p[9], "central", &out->ltk.central, error))
			return false;
		out->ltk.raw_type = p[8];
		out->ltk.key_type = key_type_from_wire(p[8]);
		out->ltk.enc_size = p[10];
		return true;
	case RB_MGMT_EVENT_CONNECTED:
		if (!parse_addr(p, &out->connected.peer, error))
			return false;
		out->connected.flags = get_le32(p + 7);
		eir_len = get_le16(p + 11);
		if (plen - RB_MGMT_CONNECTED_SIZE < eir_len) {
			g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
				    "Device Connected claims %u EIR bytes, "
				    "carries %zu",
				    eir_len, plen - RB_MGMT_CONNECTED_SIZE);
			return false;
		}
		return true;
	case RB_MGMT_EVENT_DISCONNECTED:
		if (!parse_addr(p, &out->disconnected.peer, error))
			return false;
		out->disconnected.reason = p[7];
		return true;
	case RB_MGMT_EVENT_AUTH_FAILED:
		if (!parse_addr(p, &out->auth_failed.peer, error))
			return false;
		out->auth_failed.status = p[7];
		return true;
	case RB_MGMT_EVENT_NEW_IRK:
		if (!parse_bool(p[0], "store hint", &out->irk.store_hint,
				error) ||
		    !parse_le_addr(p + 7, &out->irk.identity, error))
			return false;
		rb_bt_addr_format(p + 1, out->irk.rpa);
		return true;
	case RB_MGMT_EVENT_USER_CONFIRM:
		if (!parse_addr(p, &out->pairing.peer, error) ||
		    !parse_bool(p[7], "confirm hint",
				&out->pairing.confirm_hint, error))
			return false;
		out->pairing.passkey = get_le32(p + 8);
		return true;
	case RB_MGMT_EVENT_USER_PASSKEY:
		return parse_addr(p, &out->pairing.peer, error);
	case RB_MGMT_EVENT_PASSKEY_NOTIFY:
		if (!parse_addr(p, &out->pairing.peer, error))
			return false;
		out->pairing.passkey = get_le32(p + 7);
		out->pairing.entered = p[11];
		return true;
	}
	g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
		    "mgmt event type %d unhandled", (int)out->type);
	return false;
}

/* ---- I/O ---------------------------------------------------------------- */

static void answer_connections(MgmtPending *pc, const RbMgmtEvent *ev);
static void answer_settings(MgmtPending *pc, const RbMgmtEvent *ev);

static void complete_command(RbMgmt *mgmt, const RbMgmtEvent *ev)
{
	for (GList *l = mgmt->pending.head; l; l = l->next) {
		MgmtPending *pc = l->data;

		if (pc->opcode != ev->cmd.opcode || pc->index != ev->index)
			continue;
		/* Command Status "Success" means accepted: wait for the
		 * Command Complete. */
		if (ev->type == RB_MGMT_EVENT_CMD_STATUS &&
		    ev->cmd.status == RB_MGMT_STATUS_SUCCESS)
			return;
		g_queue_delete_link(&mgmt->pending, l);
		g_debug("mgmt: command 0x%04x on hci%u: %s", pc->opcode,
			pc->index, rb_mgmt_status_str(ev->cmd.status));
		if (pc->conns_func)
			answer_connections(pc, ev);
		else if (pc->settings_func)
			answer_settings(pc, ev);
		else if (pc->func)
			pc->func(pc->index, ev->cmd.status, pc->user_data);
		g_free(pc);
		return;
	}
	g_debug("mgmt: answer to command 0x%04x on index %u that is not ours",
		ev->cmd.opcode, ev->index);
}

bool rb_mgmt_parse_connections(const uint8_t *data, size_t len, RbMgmtAddr *out,
			       size_t max, size_t *n, GError **error)
{
	uint16_t count;

	*n = 0;
	if (len < 2) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "Get Connections answer of %zu bytes has no count",
			    len);
		return false;
	}
	count = get_le16(data);
	if (len - 2 != (size_t)count * RB_MGMT_ADDR_INFO_SIZE) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "Get Connections says %u peers but carries %zu "
			    "bytes",
			    count, len - 2);
		return false;
	}
	for (uint16_t i = 0; i < count; i++) {
		RbMgmtAddr a;

		if (!parse_addr(data + 2 + (size_t)i * RB_MGMT_ADDR_INFO_SIZE,
				&a, error))
			return false;
		if (*n < max)
			out[(*n)++] = a;
	}
	return true;
}

#define MGMT_MAX_CONNECTIONS 64

static void answer_connections(MgmtPending *pc, const RbMgmtEvent *ev)
{
	RbMgmtAddr peers[MGMT_MAX_CONNECTIONS];
	g_autoptr(GError) error = NULL;
	size_t n = 0;

	if (ev->cmd.status != RB_MGMT_STATUS_SUCCESS) {
		pc->conns_func(pc->index, ev->cmd.status, NULL, 0,
			       pc->user_data);
		return;
	}
	if (!rb_mgmt_parse_connections(ev->cmd.data, ev->cmd.data_len, peers,
				       G_N_ELEMENTS(peers), &n, &error)) {
		g_warning("mgmt: %s", error->message);
		pc->conns_func(pc->index, RB_MGMT_STATUS_INVALID_PARAMS, NULL,
			       0, pc->user_data);
		return;
	}
	pc->conns_func(pc->index, RB_MGMT_STATUS_SUCCESS, peers, n,
		       pc->user_data);
}

static void answer_settings(MgmtPending *pc, const RbMgmtEvent *ev)
{
	uint8_t status = ev->cmd.status;
	uint32_t settings = 0;

	if (status == RB_MGMT_STATUS_SUCCESS) {
		if (ev->type == RB_MGMT_EVENT_CMD_COMPLETE &&
		    ev->cmd.data_len >= RB_MGMT_SETTINGS_SIZE) {
			settings = get_le32(ev->cmd.data);
		} else {
			g_warning("mgmt: command 0x%04x on hci%u succeeded "
				  "without the settings",
				  pc->opcode, pc->index);
			status = RB_MGMT_STATUS_INVALID_PARAMS;
		}
	}
	pc->settings_func(pc->index, status, settings, pc->user_data);
}

static void dispatch(RbMgmt *mgmt, const uint8_t *buf, size_t len)
{
	g_autoptr(GError) error = NULL;
	const RbMgmtCallbacks *cb = &mgmt->cb;
	RbMgmtEvent ev;

	if (!rb_mgmt_parse_event(buf, len, &ev, &error)) {
		g_debug("mgmt: dropped an event: %s", error->message);
		return;
	}

	switch (ev.type) {
	case RB_MGMT_EVENT_UNKNOWN:
		break;
	case RB_MGMT_EVENT_CMD_COMPLETE:
	case RB_MGMT_EVENT_CMD_STATUS:
		complete_command(mgmt, &ev);
		break;
	case RB_MGMT_EVENT_INDEX_ADDED:
		if (cb->index_added)
			cb->index_added(ev.index, mgmt->user_data);
		break;
	case RB_MGMT_EVENT_INDEX_REMOVED:
		if (cb->index_removed)
			cb->index_removed(ev.index, mgmt->user_data);
		break;
	case RB_MGMT_EVENT_NEW_SETTINGS:
		g_debug("mgmt: hci%u settings 0x%08x", ev.index, ev.settings);
		if (cb->new_settings)
			cb->new_settings(ev.index, ev.settings,
					 mgmt->user_data);
		break;
	case RB_MGMT_EVENT_NEW_LTK:
		g_debug("mgmt: hci%u %s type %u: new LTK type %u store %d "
			"central %d",
			ev.index, ev.ltk.peer.addr, ev.ltk.peer.type,
			ev.ltk.raw_type, ev.ltk.store_hint, ev.ltk.central);
		if (cb->new_ltk)
			cb->new_ltk(ev.index, ev.ltk.peer.addr,
				    ev.ltk.peer.type, ev.ltk.key_type,
				    ev.ltk.store_hint, ev.ltk.central,
				    mgmt->user_data);
		break;
	case RB_MGMT_EVENT_CONNECTED:
		if (cb->connected)
			cb->connected(ev.index, ev.connected.peer.addr,
				      ev.connected.peer.type, mgmt->user_data);
		break;
	case RB_MGMT_EVENT_DISCONNECTED:
		if (cb->disconnected)
			cb->disconnected(ev.index, ev.disconnected.peer.addr,
					 ev.disconnected.peer.type,
					 ev.disconnected.reason,
					 mgmt->user_data);
		break;
	case RB_MGMT_EVENT_AUTH_FAILED:
		g_debug("mgmt: hci%u %s: authentication failed: %s", ev.index,
			ev.auth_failed.peer.addr,
			rb_mgmt_status_str(ev.auth_failed.status));
		if (cb->auth_failed)
			cb->auth_failed(ev.index, ev.auth_failed.peer.addr,
					ev.auth_failed.peer.type,
					ev.auth_failed.status, mgmt->user_data);
		break;
	case RB_MGMT_EVENT_USER_CONFIRM:
	case RB_MGMT_EVENT_USER_PASSKEY:
	case RB_MGMT_EVENT_PASSKEY_NOTIFY:
		if (cb->pairing_request)
			cb->pairing_request(
				ev.index, ev.type, ev.pairing.peer.addr,
				ev.pairing.peer.type, ev.pairing.passkey,
				ev.pairing.entered, mgmt->user_data);
		break;
	case RB_MGMT_EVENT_NEW_IRK:
		if (cb->new_irk)
			cb->new_irk(ev.index, ev.irk.rpa, ev.irk.identity.addr,
				    ev.irk.identity.type, ev.irk.store_hint,
				    mgmt->user_data);
		break;
	}
}

static void socket_failed(RbMgmt *mgmt, const char *what, int err)
{
	g_autoptr(GError) error = NULL;

	if (err)
		error = g_error_new(RB_ERROR, RB_ERROR_IO, "mgmt socket %s: %s",
				    what, g_strerror(err));
	else
		error = g_error_new(RB_ERROR, RB_ERROR_IO, "mgmt socket %s",
				    what);
	g_warning("%s", error->message);
	if (mgmt->cb.socket_error)
		mgmt->cb.socket_error(error, mgmt->user_data);
}

static gboolean on_readable(int fd, GIOCondition cond, gpointer user_data)
{
	RbMgmt *mgmt = user_data;
	bool drained = false;

	for (int i = 0; i < MGMT_READ_BATCH && !drained; i++) {
		ssize_t n = recv(fd, mgmt->buf, sizeof(mgmt->buf),
				 MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				drained = true;
				break;
			}
			g_clear_pointer(&mgmt->watch, g_source_unref);
			socket_failed(mgmt, "read failed", errno);
			return G_SOURCE_REMOVE;
		}
		if (n == 0 && (cond & (G_IO_HUP | G_IO_ERR))) {
			drained = true;
			break;
		}
		if ((size_t)n > sizeof(mgmt->buf)) {
			g_debug("mgmt: dropped an oversized datagram of %zd "
				"bytes",
				n);
			continue;
		}
		dispatch(mgmt, mgmt->buf, (size_t)n);
	}

	/* a hang-up counts once every datagram before it was read */
	if (drained && (cond & (G_IO_HUP | G_IO_ERR))) {
		g_clear_pointer(&mgmt->watch, g_source_unref);
		socket_failed(mgmt, "hung up", 0);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_early_idle(gpointer user_data)
{
	RbMgmt *mgmt = user_data;
	g_autoptr(GPtrArray) early = g_steal_pointer(&mgmt->early);

	g_clear_pointer(&mgmt->early_idle, g_source_unref);
	for (guint i = 0; early && i < early->len; i++) {
		gsize size = 0;
		const uint8_t *data = g_bytes_get_data(early->pdata[i], &size);

		dispatch(mgmt, data, size);
	}
	return G_SOURCE_REMOVE;
}

static GSource *attach(GSource *source, GSourceFunc func, RbMgmt *mgmt)
{
	g_source_set_callback(source, func, mgmt, NULL);
	g_source_attach(source, g_main_context_get_thread_default());
	return source;
}

RbMgmt *rb_mgmt_new_for_fd(int fd, const RbMgmtCallbacks *cb, void *user_data)
{
	RbMgmt *mgmt = g_new0(RbMgmt, 1);

	mgmt->fd = fd;
	if (cb)
		mgmt->cb = *cb;
	mgmt->user_data = user_data;
	g_queue_init(&mgmt->pending);
	mgmt->watch = attach(
		g_unix_fd_source_new(fd, G_IO_IN | G_IO_HUP | G_IO_ERR),
		G_SOURCE_FUNC(on_readable), mgmt);
	return mgmt;
}

void rb_mgmt_free(RbMgmt *mgmt)
{
	if (!mgmt)
		return;
	if (mgmt->watch) {
		g_source_destroy(mgmt->watch);
		g_source_unref(mgmt->watch);
	}
	if (mgmt->early_idle) {
		g_source_destroy(mgmt->early_idle);
		g_source_unref(mgmt->early_idle);
	}
	g_clear_pointer(&mgmt->early, g_ptr_array_unref);
	g_queue_clear_full(&mgmt->pending, g_free);
	if (mgmt->fd >= 0)
		close(mgmt->fd);
	g_free(mgmt);
}

static bool send_command(int fd, uint16_t opcode, uint16_t index,
			 const uint8_t *param, uint16_t plen, GError **error)
{
	uint8_t buf[RB_MGMT_HDR_SIZE + 16];
	size_t len = RB_MGMT_HDR_SIZE + plen;
	ssize_t n;

	g_return_val_if_fail(plen <= sizeof(buf) - RB_MGMT_HDR_SIZE, false);
	put_le16(buf, opcode);
	put_le16(buf + 2, index);
	put_le16(buf + 4, plen);
	if (plen)
		memcpy(buf + RB_MGMT_HDR_SIZE, param, plen);

	do
		n = send(fd, buf, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0 || (size_t)n != len) {
		int err = n < 0 ? errno : EIO;

		g_set_error(error, RB_ERROR, RB_ERROR_IO,
			    "sending mgmt command 0x%04x to index %u failed: "
			    "%s",
			    opcode, index, g_strerror(err));
		return false;
	}
	return true;
}

static MgmtPending *queue_command_raw(RbMgmt *mgmt, uint16_t opcode,
				      uint16_t index, const uint8_t *param,
				      uint16_t plen, GError **error)
{
	MgmtPending *pc;

	g_return_val_if_fail(mgmt != NULL, NULL);
	if (index == RB_MGMT_INDEX_NONE) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "mgmt command 0x%04x needs a controller index",
			    opcode);
		return NULL;
	}
	if (!send_command(mgmt->fd, opcode, index, param, plen, error))
		return NULL;
	pc = g_new0(MgmtPending, 1);
	pc->opcode = opcode;
	pc->index = index;
	g_queue_push_tail(&mgmt->pending, pc);
	return pc;
}

static bool queue_command(RbMgmt *mgmt, uint16_t opcode, uint16_t index,
			  uint8_t param, RbMgmtCommandFunc func,
			  void *user_data, GError **error)
{
	MgmtPending *pc = queue_command_raw(mgmt, opcode, index, &param, 1,
					    error);

	if (!pc)
		return false;
	pc->func = func;
	pc->user_data = user_data;
	return true;
}

bool rb_mgmt_get_connections(RbMgmt *mgmt, uint16_t index,
			     RbMgmtConnectionsFunc func, void *user_data,
			     GError **error)
{
	MgmtPending *pc = queue_command_raw(mgmt, RB_MGMT_OP_GET_CONNECTIONS,
					    index, NULL, 0, error);

	g_return_val_if_fail(func != NULL, false);
	if (!pc)
		return false;
	pc->conns_func = func;
	pc->user_data = user_data;
	return true;
}

bool rb_mgmt_set_bredr(RbMgmt *mgmt, uint16_t index, bool on,
		       RbMgmtCommandFunc func, void *user_data, GError **error)
{
	return queue_command(mgmt, RB_MGMT_OP_SET_BREDR, index, on ? 1 : 0,
			     func, user_data, error);
}

bool rb_mgmt_set_secure_conn(RbMgmt *mgmt, uint16_t index, RbMgmtScMode mode,
			     RbMgmtCommandFunc func, void *user_data,
			     GError **error)
{
	if ((unsigned int)mode > RB_MGMT_SC_ONLY) {
		g_set_error(error, RB_ERROR, RB_ERROR_RANGE,
			    "Secure Connections mode %d is not 0, 1 or 2",
			    (int)mode);
		return false;
	}
	return queue_command(mgmt, RB_MGMT_OP_SET_SECURE_CONN, index,
			     (uint8_t)mode, func, user_data, error);
}

bool rb_mgmt_set_bondable(RbMgmt *mgmt, uint16_t index, bool bondable,
			  RbMgmtSettingsFunc func, void *user_data,
			  GError **error)
{
	uint8_t param = bondable ? 1 : 0;
	MgmtPending *pc = queue_command_raw(mgmt, RB_MGMT_OP_SET_BONDABLE,
					    index, &param, 1, error);

	if (!pc)
		return false;
	pc->settings_func = func;
	pc->user_data = user_data;
	return true;
}

/*
 * An untrusted control socket (no CAP_NET_ADMIN) binds, but the kernel
 * sends it neither the key events nor answers to most commands. Its Read
 * Commands answer lists only the untrusted commands, so the presence of
 * Set Secure Connections tells a trusted socket apart.
 */
static bool commands_include(const RbMgmtEvent *ev, uint16_t opcode)
{
	uint16_t num;

	if (ev->cmd.data_len < 4)
		return false;
	num = get_le16(ev->cmd.data);
	if (ev->cmd.data_len - 4 < (size_t)num * 2)
		return false;
	for (uint16_t i = 0; i < num; i++)
		if (get_le16(ev->cmd.data + 4 + 2 * i) == opcode)
			return true;
	return false;
}

static bool probe_trust(RbMgmt *mgmt, GError **error)
{
	gint64 deadline = g_get_monotonic_time() + MGMT_PROBE_TIMEOUT_MS * 1000;

	if (!send_command(mgmt->fd, RB_MGMT_OP_READ_COMMANDS,
			  RB_MGMT_INDEX_NONE, NULL, 0, error))
		return false;

	for (;;) {
		struct pollfd pfd = {.fd = mgmt->fd, .events = POLLIN};
		gint64 left = deadline - g_get_monotonic_time();
		RbMgmtEvent ev;
		ssize_t n;
		int r;

		if (left <= 0)
			break;
		r = poll(&pfd, 1, (int)((left + 999) / 1000));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			g_set_error(error, RB_ERROR, RB_ERROR_IO,
				    "waiting on the mgmt socket: %s",
				    g_strerror(errno));
			return false;
		}
		if (r == 0)
			break;
		n = recv(mgmt->fd, mgmt->buf, sizeof(mgmt->buf),
			 MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			g_set_error(error, RB_ERROR, RB_ERROR_IO,
				    "reading the mgmt socket: %s",
				    g_strerror(errno));
			return false;
		}
		if ((size_t)n > sizeof(mgmt->buf))
			continue;
		if (!rb_mgmt_parse_event(mgmt->buf, (size_t)n, &ev, NULL) ||
		    (ev.type != RB_MGMT_EVENT_CMD_COMPLETE &&
		     ev.type != RB_MGMT_EVENT_CMD_STATUS) ||
		    ev.cmd.opcode != RB_MGMT_OP_READ_COMMANDS) {
			if (!mgmt->early)
				mgmt->early = g_ptr_array_new_with_free_func(
					(GDestroyNotify)g_bytes_unref);
			g_ptr_array_add(mgmt->early,
					g_bytes_new(mgmt->buf, (gsize)n));
			continue;
		}
		if (ev.cmd.status == RB_MGMT_STATUS_PERMISSION_DENIED ||
		    (ev.cmd.status == RB_MGMT_STATUS_SUCCESS &&
		     !commands_include(&ev, RB_MGMT_OP_SET_SECURE_CONN))) {
			g_set_error_literal(error, RB_ERROR,
					    RB_ERROR_PERMISSION,
					    MGMT_NEED_CAP_MSG);
			return false;
		}
		if (ev.cmd.status != RB_MGMT_STATUS_SUCCESS) {
			g_set_error(error, RB_ERROR, RB_ERROR_IO,
				    "mgmt Read Commands failed: %s",
				    rb_mgmt_status_str(ev.cmd.status));
			return false;
		}
		return true;
	}
	g_set_error(error, RB_ERROR, RB_ERROR_IO,
		    "the kernel did not answer mgmt Read Commands within %d ms",
		    MGMT_PROBE_TIMEOUT_MS);
	return false;
}

RbMgmt *rb_mgmt_new(const RbMgmtCallbacks *cb, void *user_data, GError **error)
{
	g_autoptr(RbMgmt) mgmt = NULL;
	int fd;

	fd = socket(RB_PF_BLUETOOTH, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    RB_BTPROTO_HCI);
	if (fd < 0) {
		int err = errno;

		if (err == EAFNOSUPPORT || err == EPROTONOSUPPORT)
			g_set_error(error, RB_ERROR, RB_ERROR_NOT_FOUND,
				    "no Bluetooth in this kernel (the mgmt "
				    "socket cannot be opened: %s)",
				    g_strerror(err));
		else if (err == EPERM || err == EACCES)
			g_set_error_literal(error, RB_ERROR,
					    RB_ERROR_PERMISSION,
					    MGMT_NEED_CAP_MSG);
		else
			g_set_error(error, RB_ERROR, RB_ERROR_IO,
				    "opening the mgmt socket failed: %s",
				    g_strerror(err));
		return NULL;
	}
	if (rb_bt_bind_hci(fd, RB_HCI_DEV_NONE, RB_HCI_CHANNEL_CONTROL) < 0) {
		int err = errno;

		close(fd);
		if (err == EPERM || err == EACCES)
			g_set_error_literal(error, RB_ERROR,
					    RB_ERROR_PERMISSION,
					    MGMT_NEED_CAP_MSG);
		else
			g_set_error(error, RB_ERROR, RB_ERROR_IO,
				    "binding the mgmt control channel failed: "
				    "%s",
				    g_strerror(err));
		return NULL;
	}

	mgmt = rb_mgmt_new_for_fd(fd, cb, user_data);
	if (!probe_trust(mgmt, error))
		return NULL;
	if (mgmt->early)
		mgmt->early_idle = attach(g_idle_source_new(), on_early_idle,
					  mgmt);
	return g_steal_pointer(&mgmt);
}
