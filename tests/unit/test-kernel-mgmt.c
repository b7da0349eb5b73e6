/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The mgmt event parser, driven by byte scripts, and the monitor's I/O over
 * one end of a socketpair standing in for the kernel.
 */
#include <check.h>
#include <errno.h>
#include <glib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/error.h"
#include "kernel/bt.h"
#include "kernel/mgmt.h"

#define PDU(...) ((const uint8_t[]){__VA_ARGS__})
#define PDU_LEN(...) sizeof((const uint8_t[]){__VA_ARGS__})
#define RAW(...) .pdu = PDU(__VA_ARGS__), .len = PDU_LEN(__VA_ARGS__)

/* 11:22:33:44:55:66 in wire order, then its mgmt address type. */
#define ADDR 0x66, 0x55, 0x44, 0x33, 0x22, 0x11
#define ADDR_STR "11:22:33:44:55:66"
#define RPA 0x01, 0x02, 0x03, 0x04, 0x05, 0x4a
#define RPA_STR "4A:05:04:03:02:01"
#define ZERO8 0, 0, 0, 0, 0, 0, 0, 0
#define KEY16 ZERO8, ZERO8

/* New Long Term Key: header (len 37), store hint, addr, type, key type,
 * central, enc size, ediv, rand, value. */
#define LTK(idx, store, atype, ktype, central)                                 \
	0x0a, 0x00, idx, 0x00, 37, 0x00, store, ADDR, atype, ktype, central,   \
		16, 0x00, 0x00, ZERO8, KEY16

typedef struct {
	const char *name;
	const uint8_t *pdu;
	size_t len;
	bool ok;
	RbMgmtEventType type;
	uint16_t index;
	const char *addr; /* peer or identity */
	uint8_t addr_type;
	uint32_t value; /* key type, status, reason, flags or opcode */
	bool store_hint;
	bool central;
	const char *rpa;
	size_t data_len; /* command complete data */
} ParseCase;

static const ParseCase parse_cases[] = {
	{"ltk/auth-p256", RAW(LTK(0, 1, 2, 3, 0)), true, RB_MGMT_EVENT_NEW_LTK,
	 0, ADDR_STR, RB_MGMT_ADDR_LE_RANDOM, RB_KEY_AUTH_P256, true, false},
	{"ltk/auth-legacy-central", RAW(LTK(1, 1, 1, 1, 1)), true,
	 RB_MGMT_EVENT_NEW_LTK, 1, ADDR_STR, RB_MGMT_ADDR_LE_PUBLIC,
	 RB_KEY_AUTH_LEGACY, true, true},
	{"ltk/unauth-no-store", RAW(LTK(0, 0, 2, 2, 0)), true,
	 RB_MGMT_EVENT_NEW_LTK, 0, ADDR_STR, RB_MGMT_ADDR_LE_RANDOM,
	 RB_KEY_UNAUTH_P256, false, false},
	{"ltk/unknown-key-type", RAW(LTK(0, 1, 2, 7, 0)), true,
	 RB_MGMT_EVENT_NEW_LTK, 0, ADDR_STR, RB_MGMT_ADDR_LE_RANDOM,
	 RB_KEY_UNKNOWN, true, false},
	{"ltk/bredr-address", RAW(LTK(0, 1, 0, 3, 0)), false},
	{"ltk/bad-address-type", RAW(LTK(0, 1, 3, 3, 0)), false},
	{"ltk/store-hint-2", RAW(LTK(0, 2, 2, 3, 0)), false},
	{"ltk/central-2", RAW(LTK(0, 1, 2, 3, 2)), false},
	{"ltk/truncated",
	 RAW(0x0a, 0x00, 0x00, 0x00, 36, 0x00, 1, ADDR, 2, 3, 0, 16, 0, 0,
	     ZERO8, ZERO8, 0, 0, 0, 0, 0, 0, 0),
	 false},
	{"ltk/longer-accepted",
	 RAW(0x0a, 0x00, 0x00, 0x00, 38, 0x00, 1, ADDR, 2, 3, 0, 16, 0, 0,
	     ZERO8, KEY16, 0xee),
	 true, RB_MGMT_EVENT_NEW_LTK, 0, ADDR_STR, RB_MGMT_ADDR_LE_RANDOM,
	 RB_KEY_AUTH_P256, true, false},
	{"header/empty", .pdu = PDU(0), .len = 0, false},
	{"header/short", RAW(0x0a, 0x00, 0x00, 0x00, 0x00), false},
	{"header/len-over-datagram",
	 RAW(0x11, 0x00, 0x00, 0x00, 9, 0x00, ADDR, 1, 5), false},
	{"header/datagram-over-len",
	 RAW(0x11, 0x00, 0x00, 0x00, 7, 0x00, ADDR, 1, 5), false},
	{"header/len-ffff", RAW(0x11, 0x00, 0x00, 0x00, 0xff, 0xff), false},
	{"new-settings/ok", RAW(0x06, 0x00, 0x01, 0x00, 4, 0, 0x11, 0x0a, 0, 0),
	 true, RB_MGMT_EVENT_NEW_SETTINGS, 1, .value = 0x00000a11},
	{"new-settings/longer-accepted",
	 RAW(0x06, 0x00, 0x00, 0x00, 5, 0, 1, 0, 0, 0x80, 0xee), true,
	 RB_MGMT_EVENT_NEW_SETTINGS, 0, .value = 0x80000001},
	{"new-settings/short", RAW(0x06, 0x00, 0x00, 0x00, 3, 0, 0x11, 0, 0),
	 false},
	{"unknown/local-name", RAW(0x08, 0x00, 0x00, 0x00, 1, 0, 0), true,
	 RB_MGMT_EVENT_UNKNOWN, 0},
	{"unknown/7fff", RAW(0xff, 0x7f, 0x02, 0x00, 0, 0), true,
	 RB_MGMT_EVENT_UNKNOWN, 2},
	{"auth-failed/ok", RAW(0x11, 0x00, 0x00, 0x00, 8, 0x00, ADDR, 2, 0x05),
	 true, RB_MGMT_EVENT_AUTH_FAILED, 0, ADDR_STR, RB_MGMT_ADDR_LE_RANDOM,
	 0x05},
	{"auth-failed/short", RAW(0x11, 0x00, 0x00, 0x00, 7, 0x00, ADDR, 2),
	 false},
	{"auth-failed/bad-address-type",
	 RAW(0x11, 0x00, 0x00, 0x00, 8, 0x00, ADDR, 9, 0x05), false},
	{"connected/no-eir",
	 RAW(0x0b, 0x00, 0x00, 0x00, 13, 0x00, ADDR, 1, 0x08, 0, 0, 0, 0, 0),
	 true, RB_MGMT_EVENT_CONNECTED, 0, ADDR_STR, RB_MGMT_ADDR_LE_PUBLIC,
	 0x08},
	{"connected/eir",
	 RAW(0x0b, 0x00, 0x01, 0x00, 16, 0x00, ADDR, 2, 0, 0, 0, 0, 3, 0, 2,
	     0x01, 0x06),
	 true, RB_MGMT_EVENT_CONNECTED, 1, ADDR_STR, RB_MGMT_ADDR_LE_RANDOM, 0},
	{"connected/eir-overrun",
	 RAW(0x0b, 0x00, 0x00, 0x00, 15, 0x00, ADDR, 2, 0, 0, 0, 0, 5, 0, 2,
	     0x01),
	 false},
	{"connected/short",
	 RAW(0x0b, 0x00, 0x00, 0x00, 12, 0x00, ADDR, 2, 0, 0, 0, 0, 0), false},
	{"disconnected/ok", RAW(0x0c, 0x00, 0x00, 0x00, 8, 0x00, ADDR, 2, 0x03),
	 true, RB_MGMT_EVENT_DISCONNECTED, 0, ADDR_STR, RB_MGMT_ADDR_LE_RANDOM,
	 0x03},
	{"disconnected/short", RAW(0x0c, 0x00, 0x00, 0x00, 7, 0x00, ADDR, 2),
	 false},
	{"irk/ok",
	 RAW(0x18, 0x00, 0x00, 0x00, 30, 0x00, 1, RPA, ADDR, 1, KEY16), true,
	 RB_MGMT_EVENT_NEW_IRK, 0, ADDR_STR, RB_MGMT_ADDR_LE_PUBLIC, 0, true,
	 false, RPA_STR},
	{"irk/short",
	 RAW(0x18, 0x00, 0x00, 0x00, 29, 0x00, 1, RPA, ADDR, 1, ZERO8, 0, 0, 0,
	     0, 0, 0, 0),
	 false},
	{"irk/bredr-identity",
	 RAW(0x18, 0x00, 0x00, 0x00, 30, 0x00, 1, RPA, ADDR, 0, KEY16), false},
	{"index/added", RAW(0x04, 0x00, 0x01, 0x00, 0, 0), true,
	 RB_MGMT_EVENT_INDEX_ADDED, 1},
	{"index/removed", RAW(0x05, 0x00, 0x03, 0x00, 0, 0), true,
	 RB_MGMT_EVENT_INDEX_REMOVED, 3},
	{"cmd/complete",
	 RAW(0x01, 0x00, 0x00, 0x00, 7, 0x00, 0x2d, 0x00, 0x00, 0x81, 0x0a,
	     0x00, 0x00),
	 true, RB_MGMT_EVENT_CMD_COMPLETE, 0, .value = 0x002d, .data_len = 4},
	{"cmd/complete-no-data",
	 RAW(0x01, 0x00, 0xff, 0xff, 3, 0x00, 0x02, 0x00, 0x00), true,
	 RB_MGMT_EVENT_CMD_COMPLETE, 0xffff, .value = 0x0002},
	{"cmd/status", RAW(0x02, 0x00, 0x00, 0x00, 3, 0x00, 0x2d, 0x00, 0x0c),
	 true, RB_MGMT_EVENT_CMD_STATUS, 0, .value = 0x002d},
	{"cmd/status-short", RAW(0x02, 0x00, 0x00, 0x00, 2, 0x00, 0x2d, 0x00),
	 false},
	{"passkey-notify/ok",
	 RAW(0x17, 0x00, 0x00, 0x00, 12, 0x00, ADDR, 1, 0x56, 0xd7, 0x03, 0x00,
	     2),
	 true, RB_MGMT_EVENT_PASSKEY_NOTIFY, 0, ADDR_STR,
	 RB_MGMT_ADDR_LE_PUBLIC, 251734},
	{"passkey-notify/short",
	 RAW(0x17, 0x00, 0x00, 0x00, 11, 0x00, ADDR, 1, 0x56, 0xd7, 0x03, 0x00),
	 false},
	{"passkey-notify/bad-address-type",
	 RAW(0x17, 0x00, 0x00, 0x00, 12, 0x00, ADDR, 7, 0, 0, 0, 0, 0), false},
	{"user-confirm/ok",
	 RAW(0x0f, 0x00, 0x01, 0x00, 12, 0x00, ADDR, 2, 1, 0x40, 0xe2, 0x01,
	     0x00),
	 true, RB_MGMT_EVENT_USER_CONFIRM, 1, ADDR_STR, RB_MGMT_ADDR_LE_RANDOM,
	 123456},
	{"user-confirm/hint-2",
	 RAW(0x0f, 0x00, 0x01, 0x00, 12, 0x00, ADDR, 2, 2, 0, 0, 0, 0), false},
	{"user-passkey/ok", RAW(0x10, 0x00, 0x00, 0x00, 7, 0x00, ADDR, 2), true,
	 RB_MGMT_EVENT_USER_PASSKEY, 0, ADDR_STR, RB_MGMT_ADDR_LE_RANDOM, 0},
	{"user-passkey/short",
	 RAW(0x10, 0x00, 0x00, 0x00, 6, 0x00, 1, 2, 3, 4, 5, 6), false},
};

static void check_peer(const ParseCase *c, const RbMgmtAddr *peer)
{
	ck_assert_msg(strcmp(peer->addr, c->addr) == 0, "%s: addr %s", c->name,
		      peer->addr);
	ck_assert_msg(peer->type == c->addr_type, "%s: addr type %u", c->name,
		      peer->type);
}

START_TEST(test_parse)
{
	const ParseCase *c = &parse_cases[_i];
	g_autoptr(GError) error = NULL;
	RbMgmtEvent ev;
	bool ok;

	ok = rb_mgmt_parse_event(c->pdu, c->len, &ev, &error);
	ck_assert_msg(ok == c->ok, "%s: parse gave %d (%s)", c->name, ok,
		      error ? error->message : "no error");
	if (!ok) {
		ck_assert_msg(
			g_error_matches(error, RB_ERROR, RB_ERROR_INVALID),
			"%s: wrong error", c->name);
		ck_assert_msg(error->message[0] != '\0', "%s", c->name);
		return;
	}
	ck_assert_ptr_null(error);
	ck_assert_msg(ev.type == c->type, "%s: type %d", c->name, ev.type);
	ck_assert_msg(ev.index == c->index, "%s: index %u", c->name, ev.index);
	switch (ev.type) {
	case RB_MGMT_EVENT_UNKNOWN:
	case RB_MGMT_EVENT_INDEX_ADDED:
	case RB_MGMT_EVENT_INDEX_REMOVED:
		break;
	case RB_MGMT_EVENT_NEW_SETTINGS:
		ck_assert_uint_eq(ev.settings, c->value);
		break;
	case RB_MGMT_EVENT_CMD_COMPLETE:
	case RB_MGMT_EVENT_CMD_STATUS:
		ck_assert_uint_eq(ev.cmd.opcode, c->value);
		ck_assert_uint_eq(ev.cmd.data_len, c->data_len);
		ck_assert(c->data_len == 0 ? ev.cmd.data == NULL
					   : ev.cmd.data == c->pdu + 9);
		break;
	case RB_MGMT_EVENT_NEW_LTK:
		check_peer(c, &ev.ltk.peer);
		ck_assert_msg(ev.ltk.key_type == (RbKeyType)c->value,
			      "%s: key type %d", c->name, ev.ltk.key_type);
		ck_assert(ev.ltk.store_hint == c->store_hint);
		ck_assert(ev.ltk.central == c->central);
		ck_assert_uint_eq(ev.ltk.enc_size, 16);
		break;
	case RB_MGMT_EVENT_CONNECTED:
		check_peer(c, &ev.connected.peer);
		ck_assert_uint_eq(ev.connected.flags, c->value);
		break;
	case RB_MGMT_EVENT_DISCONNECTED:
		check_peer(c, &ev.disconnected.peer);
		ck_assert_uint_eq(ev.disconnected.reason, c->value);
		break;
	case RB_MGMT_EVENT_AUTH_FAILED:
		check_peer(c, &ev.auth_failed.peer);
		ck_assert_uint_eq(ev.auth_failed.status, c->value);
		break;
	case RB_MGMT_EVENT_USER_CONFIRM:
	case RB_MGMT_EVENT_USER_PASSKEY:
	case RB_MGMT_EVENT_PASSKEY_NOTIFY:
		check_peer(c, &ev.pairing.peer);
		ck_assert_uint_eq(ev.pairing.passkey, c->value);
		if (ev.type == RB_MGMT_EVENT_PASSKEY_NOTIFY)
			ck_assert_uint_eq(ev.pairing.entered, 2);
		if (ev.type == RB_MGMT_EVENT_USER_CONFIRM)
			ck_assert(ev.pairing.confirm_hint);
		break;
	case RB_MGMT_EVENT_NEW_IRK:
		check_peer(c, &ev.irk.identity);
		ck_assert_str_eq(ev.irk.rpa, c->rpa);
		ck_assert(ev.irk.store_hint == c->store_hint);
		break;
	}
}
END_TEST

/* Every valid script cut short at every length is refused, not misread. */
START_TEST(test_parse_every_truncation)
{
	const ParseCase *c = &parse_cases[_i];
	uint8_t *copy;

	if (!c->ok || c->type == RB_MGMT_EVENT_UNKNOWN)
		return;
	for (size_t cut = 0; cut < c->len; cut++) {
		RbMgmtEvent ev;

		/* an exact-size heap copy, so ASan sees any over-read */
		copy = g_memdup2(c->pdu, cut ? cut : 1);
		ck_assert_msg(!rb_mgmt_parse_event(copy, cut, &ev, NULL),
			      "%s cut at %zu parsed", c->name, cut);
		g_free(copy);
	}
}
END_TEST

/* ---- addresses and names ---------------------------------------------- */

static const struct {
	const char *str;
	bool ok;
	uint8_t wire[6];
} addr_cases[] = {
	{"11:22:33:44:55:66", true, {0x66, 0x55, 0x44, 0x33, 0x22, 0x11}},
	{"aa:BB:cc:DD:ee:FF", true, {0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa}},
	{"00:00:00:00:00:00", true, {0}},
	{"11:22:33:44:55", false, {0}},
	{"11:22:33:44:55:666", false, {0}},
	{"11-22-33-44-55-66", false, {0}},
	{"1G:22:33:44:55:66", false, {0}},
	{"", false, {0}},
};

START_TEST(test_addr)
{
	uint8_t wire[6] = {9, 9, 9, 9, 9, 9};
	char str[RB_ADDR_STRLEN];
	bool ok = rb_bt_addr_parse(addr_cases[_i].str, wire);

	ck_assert_msg(ok == addr_cases[_i].ok, "%s", addr_cases[_i].str);
	if (!ok) {
		for (int i = 0; i < 6; i++)
			ck_assert_uint_eq(wire[i], 9);
		return;
	}
	ck_assert_mem_eq(wire, addr_cases[_i].wire, 6);
	rb_bt_addr_format(wire, str);
	ck_assert(g_ascii_strcasecmp(str, addr_cases[_i].str) == 0);
	for (const char *p = str; *p; p++)
		ck_assert(!g_ascii_islower(*p));
}
END_TEST

START_TEST(test_addr_null)
{
	uint8_t wire[6];

	ck_assert(!rb_bt_addr_parse(NULL, wire));
}
END_TEST

START_TEST(test_status_str)
{
	ck_assert_str_eq(rb_mgmt_status_str(0x00), "Success");
	ck_assert_str_eq(rb_mgmt_status_str(0x05), "Authentication Failed");
	ck_assert_str_eq(rb_mgmt_status_str(0x0c), "Not Supported");
	ck_assert_str_eq(rb_mgmt_status_str(0x14), "Permission Denied");
	ck_assert_str_eq(rb_mgmt_status_str(0x15), "Unknown Status");
	ck_assert_str_eq(rb_mgmt_status_str(0xff), "Unknown Status");
}
END_TEST

START_TEST(test_addr_type)
{
	RbAddrType t = RB_ADDR_RANDOM;

	ck_assert(rb_mgmt_addr_type_to_rb(RB_MGMT_ADDR_LE_PUBLIC, &t));
	ck_assert_int_eq(t, RB_ADDR_PUBLIC);
	ck_assert(rb_mgmt_addr_type_to_rb(RB_MGMT_ADDR_LE_RANDOM, &t));
	ck_assert_int_eq(t, RB_ADDR_RANDOM);
	ck_assert(!rb_mgmt_addr_type_to_rb(RB_MGMT_ADDR_BREDR, &t));
	ck_assert(!rb_mgmt_addr_type_to_rb(3, &t));
}
END_TEST

/* ---- the monitor over a socketpair ------------------------------------ */

typedef struct {
	GString *log; /* one line per callback */
	int calls;
	int socket_errors;
	int cmd_calls;
	uint8_t cmd_status;
	uint16_t cmd_index;
} Recorder;

static void on_new_ltk(uint16_t index, const char *addr, uint8_t addr_type,
		       RbKeyType key_type, bool store_hint, bool central,
		       void *user_data)
{
	Recorder *r = user_data;

	g_string_append_printf(r->log, "ltk %u %s %u %d %d %d\n", index, addr,
			       addr_type, key_type, store_hint, central);
	r->calls++;
}

static void on_auth_failed(uint16_t index, const char *addr, uint8_t addr_type,
			   uint8_t status, void *user_data)
{
	Recorder *r = user_data;

	g_string_append_printf(r->log, "auth-failed %u %s %u 0x%02x\n", index,
			       addr, addr_type, status);
	r->calls++;
}

static void on_connected(uint16_t index, const char *addr, uint8_t addr_type,
			 void *user_data)
{
	Recorder *r = user_data;

	g_string_append_printf(r->log, "connected %u %s %u\n", index, addr,
			       addr_type);
	r->calls++;
}

static void on_disconnected(uint16_t index, const char *addr, uint8_t addr_type,
			    uint8_t reason, void *user_data)
{
	Recorder *r = user_data;

	g_string_append_printf(r->log, "disconnected %u %s %u %u\n", index,
			       addr, addr_type, reason);
	r->calls++;
}

static void on_new_irk(uint16_t index, const char *rpa, const char *identity,
		       uint8_t identity_type, bool store_hint, void *user_data)
{
	Recorder *r = user_data;

	g_string_append_printf(r->log, "irk %u %s %s %u %d\n", index, rpa,
			       identity, identity_type, store_hint);
	r->calls++;
}

static void on_new_settings(uint16_t index, uint32_t settings, void *user_data)
{
	Recorder *r = user_data;

	g_string_append_printf(r->log, "settings %u 0x%08x\n", index, settings);
	r->calls++;
}

static void on_index_added(uint16_t index, void *user_data)
{
	Recorder *r = user_data;

	g_string_append_printf(r->log, "index-added %u\n", index);
	r->calls++;
}

static void on_index_removed(uint16_t index, void *user_data)
{
	Recorder *r = user_data;

	g_string_append_printf(r->log, "index-removed %u\n", index);
	r->calls++;
}

static void on_socket_error(const GError *error, void *user_data)
{
	Recorder *r = user_data;

	ck_assert(error != NULL && error->message[0] != '\0');
	r->socket_errors++;
}

static const RbMgmtCallbacks recorder_cb = {
	.new_ltk = on_new_ltk,
	.auth_failed = on_auth_failed,
	.connected = on_connected,
	.disconnected = on_disconnected,
	.new_irk = on_new_irk,
	.new_settings = on_new_settings,
	.index_added = on_index_added,
	.index_removed = on_index_removed,
	.socket_error = on_socket_error,
};

static void on_command(uint16_t index, uint8_t status, void *user_data)
{
	Recorder *r = user_data;

	r->cmd_calls++;
	r->cmd_status = status;
	r->cmd_index = index;
}

static gboolean on_timeout(gpointer user_data)
{
	bool *expired = user_data;

	*expired = true;
	return G_SOURCE_REMOVE;
}

/* Iterates the loop until *@counter reaches @want or two seconds pass. */
static void run_until(const int *counter, int want)
{
	bool expired = false;
	guint id = g_timeout_add(2000, on_timeout, &expired);

	while (*counter < want && !expired)
		g_main_context_iteration(NULL, TRUE);
	if (!expired)
		g_source_remove(id);
	/* let anything else queued run, to catch extra callbacks */
	while (g_main_context_iteration(NULL, FALSE))
		;
}

static void kernel_send(int fd, const uint8_t *pdu, size_t len)
{
	ck_assert_int_eq(send(fd, pdu, len, 0), (ssize_t)len);
}

#define KSEND(fd, ...) kernel_send(fd, PDU(__VA_ARGS__), PDU_LEN(__VA_ARGS__))

typedef struct {
	RbMgmt *mgmt;
	int kernel; /* the kernel's end */
	Recorder rec;
} Fixture;

static void fixture_init(Fixture *f)
{
	int sv[2];

	ck_assert_int_eq(
		socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	memset(&f->rec, 0, sizeof(f->rec));
	f->rec.log = g_string_new(NULL);
	f->mgmt = rb_mgmt_new_for_fd(sv[0], &recorder_cb, &f->rec);
	f->kernel = sv[1];
}

static void fixture_clear(Fixture *f)
{
	rb_mgmt_free(f->mgmt);
	if (f->kernel >= 0)
		close(f->kernel);
	g_string_free(f->rec.log, TRUE);
}

START_TEST(test_monitor_events)
{
	Fixture f;

	fixture_init(&f);
	KSEND(f.kernel, 0x04, 0x00, 0x00, 0x00, 0, 0);
	KSEND(f.kernel, 0x0b, 0x00, 0x00, 0x00, 13, 0x00, RPA, 2, 0, 0, 0, 0, 0,
	      0);
	/* malformed and unknown events in between are dropped */
	KSEND(f.kernel, 0x0a, 0x00, 0x00, 0x00, 37, 0x00, 1);
	KSEND(f.kernel, 0x08, 0x00, 0x00, 0x00, 1, 0, 0);
	KSEND(f.kernel, 0x06, 0x00, 0x00, 0x00, 3, 0, 0x11, 0, 0);
	KSEND(f.kernel, 0x06, 0x00, 0x00, 0x00, 4, 0, 0x11, 0, 0, 0);
	KSEND(f.kernel, 0x18, 0x00, 0x00, 0x00, 30, 0x00, 1, RPA, ADDR, 1,
	      KEY16);
	KSEND(f.kernel, LTK(0, 1, 1, 3, 0));
	KSEND(f.kernel, 0x11, 0x00, 0x01, 0x00, 8, 0x00, ADDR, 2, 0x05);
	KSEND(f.kernel, 0x0c, 0x00, 0x00, 0x00, 8, 0x00, ADDR, 1, 0x03);
	KSEND(f.kernel, 0x05, 0x00, 0x00, 0x00, 0, 0);
	run_until(&f.rec.calls, 8);
	ck_assert_str_eq(f.rec.log->str, "index-added 0\n"
					 "connected 0 " RPA_STR " 2\n"
					 "settings 0 0x00000011\n"
					 "irk 0 " RPA_STR " " ADDR_STR " 1 1\n"
					 "ltk 0 " ADDR_STR " 1 3 1 0\n"
					 "auth-failed 1 " ADDR_STR " 2 0x05\n"
					 "disconnected 0 " ADDR_STR " 1 3\n"
					 "index-removed 0\n");
	ck_assert_int_eq(f.rec.socket_errors, 0);
	fixture_clear(&f);
}
END_TEST

START_TEST(test_monitor_null_callbacks)
{
	int sv[2];
	RbMgmt *mgmt;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	mgmt = rb_mgmt_new_for_fd(sv[0], NULL, NULL);
	KSEND(sv[1], LTK(0, 1, 1, 3, 0));
	KSEND(sv[1], 0x11, 0x00, 0x01, 0x00, 8, 0x00, ADDR, 2, 0x05);
	close(sv[1]);
	for (int i = 0; i < 10; i++)
		g_main_context_iteration(NULL, FALSE);
	rb_mgmt_free(mgmt);
}
END_TEST

static void read_command(int fd, const uint8_t *want, size_t len)
{
	uint8_t buf[64];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);

	ck_assert_int_eq(n, (ssize_t)len);
	ck_assert_mem_eq(buf, want, len);
}

START_TEST(test_command_secure_conn)
{
	g_autoptr(GError) error = NULL;
	Fixture f;

	fixture_init(&f);
	ck_assert(rb_mgmt_set_secure_conn(f.mgmt, 0, RB_MGMT_SC_ONLY,
					  on_command, &f.rec, &error));
	ck_assert_ptr_null(error);
	read_command(f.kernel, PDU(0x2d, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02),
		     7);
	/* accepted, an answer for another index, then the completion */
	KSEND(f.kernel, 0x02, 0x00, 0x00, 0x00, 3, 0x00, 0x2d, 0x00, 0x00);
	KSEND(f.kernel, 0x01, 0x00, 0x01, 0x00, 7, 0x00, 0x2d, 0x00, 0x00, 0, 0,
	      0, 0);
	run_until(&f.rec.cmd_calls, 1);
	ck_assert_int_eq(f.rec.cmd_calls, 0);
	KSEND(f.kernel, 0x01, 0x00, 0x00, 0x00, 7, 0x00, 0x2d, 0x00, 0x00, 0x81,
	      0x0a, 0x00, 0x00);
	run_until(&f.rec.cmd_calls, 1);
	ck_assert_int_eq(f.rec.cmd_calls, 1);
	ck_assert_uint_eq(f.rec.cmd_status, RB_MGMT_STATUS_SUCCESS);
	ck_assert_uint_eq(f.rec.cmd_index, 0);
	/* the answer was consumed: a repeat is not ours */
	KSEND(f.kernel, 0x01, 0x00, 0x00, 0x00, 3, 0x00, 0x2d, 0x00, 0x00);
	run_until(&f.rec.cmd_calls, 2);
	ck_assert_int_eq(f.rec.cmd_calls, 1);
	fixture_clear(&f);
}
END_TEST

typedef struct {
	int calls;
	uint8_t status;
	uint16_t index;
	uint32_t settings;
} SettingsRec;

static void on_settings(uint16_t index, uint8_t status, uint32_t settings,
			void *data)
{
	SettingsRec *r = data;

	r->calls++;
	r->status = status;
	r->index = index;
	r->settings = settings;
}

START_TEST(test_command_bondable_rejected)
{
	g_autoptr(GError) error = NULL;
	SettingsRec r = {0};
	Fixture f;

	fixture_init(&f);
	ck_assert(rb_mgmt_set_bondable(f.mgmt, 2, false, on_settings, &r,
				       &error));
	read_command(f.kernel, PDU(0x09, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00),
		     7);
	ck_assert(rb_mgmt_set_bondable(f.mgmt, 2, true, NULL, NULL, &error));
	read_command(f.kernel, PDU(0x09, 0x00, 0x02, 0x00, 0x01, 0x00, 0x01),
		     7);
	KSEND(f.kernel, 0x02, 0x00, 0x02, 0x00, 3, 0x00, 0x09, 0x00, 0x0c);
	run_until(&r.calls, 1);
	ck_assert_int_eq(r.calls, 1);
	ck_assert_uint_eq(r.status, RB_MGMT_STATUS_NOT_SUPPORTED);
	ck_assert_uint_eq(r.index, 2);
	ck_assert_uint_eq(r.settings, 0);
	/* the second, callback-less command completes quietly */
	KSEND(f.kernel, 0x01, 0x00, 0x02, 0x00, 7, 0x00, 0x09, 0x00, 0x00, 0x11,
	      0, 0, 0);
	run_until(&r.calls, 2);
	ck_assert_int_eq(r.calls, 1);
	fixture_clear(&f);
}
END_TEST

/* Set Bondable's answer carries the settings after it. */
START_TEST(test_command_bondable_settings)
{
	g_autoptr(GError) error = NULL;
	SettingsRec r = {0};
	Fixture f;

	fixture_init(&f);
	ck_assert(
		rb_mgmt_set_bondable(f.mgmt, 0, true, on_settings, &r, &error));
	read_command(f.kernel, PDU(0x09, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01),
		     7);
	/* accepted first, then the completion with the settings */
	KSEND(f.kernel, 0x02, 0x00, 0x00, 0x00, 3, 0x00, 0x09, 0x00, 0x00);
	KSEND(f.kernel, 0x01, 0x00, 0x00, 0x00, 7, 0x00, 0x09, 0x00, 0x00, 0x11,
	      0x02, 0x00, 0x00);
	run_until(&r.calls, 1);
	ck_assert_int_eq(r.calls, 1);
	ck_assert_uint_eq(r.status, RB_MGMT_STATUS_SUCCESS);
	ck_assert_uint_eq(r.settings, 0x00000211);
	ck_assert(r.settings & RB_MGMT_SETTING_BONDABLE);
	/* success without the settings is not taken as success */
	ck_assert(rb_mgmt_set_bondable(f.mgmt, 0, false, on_settings, &r,
				       &error));
	read_command(f.kernel, PDU(0x09, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00),
		     7);
	KSEND(f.kernel, 0x01, 0x00, 0x00, 0x00, 5, 0x00, 0x09, 0x00, 0x00, 0x01,
	      0x00);
	run_until(&r.calls, 2);
	ck_assert_int_eq(r.calls, 2);
	ck_assert_uint_eq(r.status, RB_MGMT_STATUS_INVALID_PARAMS);
	ck_assert_uint_eq(r.settings, 0);
	fixture_clear(&f);
}
END_TEST

typedef struct {
	int calls;
	uint8_t status;
	size_t n;
	RbMgmtAddr peers[4];
} ConnsRec;

static void on_conns(uint16_t index, uint8_t status, const RbMgmtAddr *peers,
		     size_t n, void *data)
{
	ConnsRec *r = data;

	r->calls++;
	r->status = status;
	r->n = n;
	for (size_t i = 0; i < n && i < G_N_ELEMENTS(r->peers); i++)
		r->peers[i] = peers[i];
}

START_TEST(test_command_get_connections)
{
	g_autoptr(GError) error = NULL;
	ConnsRec r = {0};
	Fixture f;

	fixture_init(&f);
	ck_assert(rb_mgmt_get_connections(f.mgmt, 0, on_conns, &r, &error));
	read_command(f.kernel, PDU(0x15, 0x00, 0x00, 0x00, 0x00, 0x00), 6);
	/* two peers: an LE public one and an LE random one */
	KSEND(f.kernel, 0x01, 0x00, 0x00, 0x00, 19, 0x00, 0x15, 0x00, 0x00, 2,
	      0, ADDR, 1, RPA, 2);
	run_until(&r.calls, 1);
	ck_assert_int_eq(r.calls, 1);
	ck_assert_uint_eq(r.status, RB_MGMT_STATUS_SUCCESS);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_str_eq(r.peers[0].addr, ADDR_STR);
	ck_assert_uint_eq(r.peers[0].type, RB_MGMT_ADDR_LE_PUBLIC);
	ck_assert_str_eq(r.peers[1].addr, RPA_STR);
	ck_assert_uint_eq(r.peers[1].type, RB_MGMT_ADDR_LE_RANDOM);
	/* a count that does not match the data is refused, not misread */
	ck_assert(rb_mgmt_get_connections(f.mgmt, 0, on_conns, &r, &error));
	read_command(f.kernel, PDU(0x15, 0x00, 0x00, 0x00, 0x00, 0x00), 6);
	KSEND(f.kernel, 0x01, 0x00, 0x00, 0x00, 12, 0x00, 0x15, 0x00, 0x00, 2,
	      0, ADDR, 1);
	run_until(&r.calls, 2);
	ck_assert_int_eq(r.calls, 2);
	ck_assert_uint_ne(r.status, RB_MGMT_STATUS_SUCCESS);
	ck_assert_uint_eq(r.n, 0);
	fixture_clear(&f);
}
END_TEST

START_TEST(test_command_set_bredr)
{
	g_autoptr(GError) error = NULL;
	Fixture f;

	fixture_init(&f);
	ck_assert(rb_mgmt_set_bredr(f.mgmt, 1, false, on_command, &f.rec,
				    &error));
	read_command(f.kernel, PDU(0x2a, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00),
		     7);
	KSEND(f.kernel, 0x01, 0x00, 0x01, 0x00, 7, 0x00, 0x2a, 0x00, 0x0b, 0, 0,
	      0, 0);
	run_until(&f.rec.cmd_calls, 1);
	ck_assert_int_eq(f.rec.cmd_calls, 1);
	ck_assert_uint_eq(f.rec.cmd_status, 0x0b);
	fixture_clear(&f);
}
END_TEST

START_TEST(test_command_bad_arguments)
{
	g_autoptr(GError) e1 = NULL;
	g_autoptr(GError) e2 = NULL;
	g_autoptr(GError) e3 = NULL;
	Fixture f;
	uint8_t buf[16];

	fixture_init(&f);
	ck_assert(!rb_mgmt_set_secure_conn(f.mgmt, 0, (RbMgmtScMode)3,
					   on_command, &f.rec, &e1));
	ck_assert(g_error_matches(e1, RB_ERROR, RB_ERROR_RANGE));
	ck_assert(!rb_mgmt_set_secure_conn(f.mgmt, RB_MGMT_INDEX_NONE,
					   RB_MGMT_SC_ON, on_command, &f.rec,
					   &e2));
	ck_assert(g_error_matches(e2, RB_ERROR, RB_ERROR_INVALID));
	/* nothing was sent */
	ck_assert_int_eq(recv(f.kernel, buf, sizeof(buf), MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);
	/* a dead socket: sending fails at once, no callback later */
	close(f.kernel);
	f.kernel = -1;
	ck_assert(!rb_mgmt_set_bondable(f.mgmt, 0, true, NULL, NULL, &e3));
	ck_assert(g_error_matches(e3, RB_ERROR, RB_ERROR_IO));
	ck_assert_int_eq(f.rec.cmd_calls, 0);
	fixture_clear(&f);
}
END_TEST

START_TEST(test_monitor_hangup)
{
	Fixture f;

	fixture_init(&f);
	KSEND(f.kernel, 0x04, 0x00, 0x00, 0x00, 0, 0);
	close(f.kernel);
	f.kernel = -1;
	run_until(&f.rec.socket_errors, 1);
	ck_assert_int_eq(f.rec.socket_errors, 1);
	/* the event before the hang-up was still delivered */
	ck_assert_str_eq(f.rec.log->str, "index-added 0\n");
	fixture_clear(&f);
}
END_TEST

/* On a kernel without Bluetooth (the build hosts) this must fail cleanly. */
START_TEST(test_new_on_this_host)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(RbMgmt) mgmt = NULL;
	int fd = socket(RB_PF_BLUETOOTH, SOCK_RAW, RB_BTPROTO_HCI);
	int err = errno;

	if (fd >= 0)
		close(fd);
	mgmt = rb_mgmt_new(&recorder_cb, NULL, &error);
	if (fd < 0 && err == EAFNOSUPPORT) {
		ck_assert_ptr_null(mgmt);
		ck_assert(g_error_matches(error, RB_ERROR, RB_ERROR_NOT_FOUND));
		ck_assert(strstr(error->message, "no Bluetooth") != NULL);
		return;
	}
	/* a Bluetooth kernel: either it works or says what is missing */
	if (!mgmt) {
		ck_assert(error != NULL && error->domain == RB_ERROR);
		ck_assert(error->message[0] != '\0');
		if (error->code == RB_ERROR_PERMISSION)
			ck_assert(strstr(error->message, "CAP_NET_ADMIN"));
	}
}
END_TEST

static Suite *mgmt_suite(void)
{
	Suite *s = suite_create("kernel-mgmt");
	TCase *tc;

	tc = tcase_create("/mgmt/parse");
	tcase_add_loop_test(tc, test_parse, 0, G_N_ELEMENTS(parse_cases));
	tcase_add_loop_test(tc, test_parse_every_truncation, 0,
			    G_N_ELEMENTS(parse_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("/mgmt/names");
	tcase_add_loop_test(tc, test_addr, 0, G_N_ELEMENTS(addr_cases));
	tcase_add_test(tc, test_addr_null);
	tcase_add_test(tc, test_status_str);
	tcase_add_test(tc, test_addr_type);
	suite_add_tcase(s, tc);

	tc = tcase_create("/mgmt/monitor");
	tcase_add_test(tc, test_monitor_events);
	tcase_add_test(tc, test_monitor_null_callbacks);
	tcase_add_test(tc, test_monitor_hangup);
	tcase_add_test(tc, test_command_secure_conn);
	tcase_add_test(tc, test_command_bondable_rejected);
	tcase_add_test(tc, test_command_bondable_settings);
	tcase_add_test(tc, test_command_bad_arguments);
	tcase_add_test(tc, test_command_get_connections);
	tcase_add_test(tc, test_command_set_bredr);
	tcase_add_test(tc, test_new_on_this_host);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(mgmt_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
