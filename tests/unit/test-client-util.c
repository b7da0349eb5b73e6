// SPDX-License-Identifier: GPL-2.0-or-later
/* reaction-boxctl's pure parts: arguments, error mapping, output. */
#include <check.h>
#include <string.h>

#include "client/ctl-util.h"
#include "core/error.h"

/* ---- error name -> exit code ---- */

static const struct {
	RbCtlOp op;
	const char *name;
	const char *message;
	RbCtlExit want;
	uint8_t att;
} error_cases[] = {
	/* BlueZ 5.66 form of an application error */
	{RB_CTL_OP_GATT, "org.bluez.Error.Failed",
	 "Operation failed with ATT error: 0x80", RB_CTL_EXIT_NOT_PAIRED, 0x80},
	{RB_CTL_OP_GATT, "org.bluez.Error.Failed",
	 "Operation failed with ATT error: 0x81", RB_CTL_EXIT_NOT_ENCRYPTED,
	 0x81},
	{RB_CTL_OP_GATT, "org.bluez.Error.Failed",
	 "Operation failed with ATT error: 0x82", RB_CTL_EXIT_NOT_AUTHENTICATED,
	 0x82},
	{RB_CTL_OP_GATT, "org.bluez.Error.Failed",
	 "Operation failed with ATT error: 0x83", RB_CTL_EXIT_NOT_AUTHORIZED,
	 0x83},
	/* the bare form */
	{RB_CTL_OP_GATT, "org.bluez.Error.Failed", "0x83",
	 RB_CTL_EXIT_NOT_AUTHORIZED, 0x83},
	{RB_CTL_OP_GATT, "org.bluez.Error.Failed", "0x80",
	 RB_CTL_EXIT_NOT_PAIRED, 0x80},
	/* other application errors are not the box's reasons */
	{RB_CTL_OP_GATT, "org.bluez.Error.Failed",
	 "Operation failed with ATT error: 0x84", RB_CTL_EXIT_DBUS, 0x84},
	{RB_CTL_OP_GATT, "org.bluez.Error.Failed", "0x8", RB_CTL_EXIT_DBUS, 0},
	{RB_CTL_OP_GATT, "org.bluez.Error.Failed", "0x830", RB_CTL_EXIT_DBUS,
	 0},
	{RB_CTL_OP_GATT, "org.bluez.Error.Failed", "junk0x83", RB_CTL_EXIT_DBUS,
	 0},
	{RB_CTL_OP_GATT, "org.bluez.Error.Failed", "Operation failed",
	 RB_CTL_EXIT_DBUS, 0},
	/* only Failed carries application errors */
	{RB_CTL_OP_GATT, "org.bluez.Error.InvalidArguments", "0x83",
	 RB_CTL_EXIT_DBUS, 0},
	{RB_CTL_OP_GATT, "org.bluez.Error.NotPermitted", "Not paired",
	 RB_CTL_EXIT_PAIRING, 0},
	{RB_CTL_OP_GATT, "org.bluez.Error.NotConnected", "Not Connected",
	 RB_CTL_EXIT_NO_BOX, 0},
	{RB_CTL_OP_PAIR, "org.bluez.Error.AuthenticationFailed",
	 "Authentication Failed", RB_CTL_EXIT_PAIRING, 0},
	{RB_CTL_OP_PAIR, "org.bluez.Error.AuthenticationRejected",
	 "Authentication Rejected", RB_CTL_EXIT_PAIRING, 0},
	{RB_CTL_OP_PAIR, "org.bluez.Error.AuthenticationCanceled",
	 "Authentication Canceled", RB_CTL_EXIT_PAIRING, 0},
	{RB_CTL_OP_PAIR, "org.bluez.Error.ConnectionAttemptFailed",
	 "Page Timeout", RB_CTL_EXIT_PAIRING, 0},
	{RB_CTL_OP_GENERIC, "org.bluez.Error.AuthenticationFailed", "x",
	 RB_CTL_EXIT_DBUS, 0},
	{RB_CTL_OP_CONNECT, "org.bluez.Error.Failed",
	 "le-connection-abort-by-local", RB_CTL_EXIT_NO_BOX, 0},
	{RB_CTL_OP_GENERIC, "org.freedesktop.DBus.Error.NoReply", "no reply",
	 RB_CTL_EXIT_TIMEOUT, 0},
	{RB_CTL_OP_GENERIC, "org.freedesktop.DBus.Error.ServiceUnknown", "x",
	 RB_CTL_EXIT_DBUS, 0},
	{RB_CTL_OP_GENERIC, NULL, "local", RB_CTL_EXIT_DBUS, 0},
	/* reaction-boxd's API: the bus policy, the daemon, the name */
	{RB_CTL_OP_LOCAL_ADMIN, "org.freedesktop.DBus.Error.AccessDenied",
	 "Rejected send message", RB_CTL_EXIT_NOT_AUTHORIZED, 0},
	{RB_CTL_OP_LOCAL, "org.freedesktop.DBus.Error.AccessDenied", "x",
	 RB_CTL_EXIT_NOT_AUTHORIZED, 0},
	{RB_CTL_OP_LOCAL_ADMIN, "org.reactionbox.Error.AccessDenied",
	 "uid 1000", RB_CTL_EXIT_NOT_AUTHORIZED, 0},
	{RB_CTL_OP_LOCAL, "org.freedesktop.DBus.Error.ServiceUnknown",
	 "The name is not activatable", RB_CTL_EXIT_NO_BOX, 0},
	{RB_CTL_OP_LOCAL, "org.freedesktop.DBus.Error.NameHasNoOwner",
	 "Could not get owner", RB_CTL_EXIT_NO_BOX, 0},
	{RB_CTL_OP_LOCAL_ADMIN, "org.freedesktop.DBus.Error.NoReply", "x",
	 RB_CTL_EXIT_TIMEOUT, 0},
	{RB_CTL_OP_LOCAL_ADMIN, "org.reactionbox.Error.Failed",
	 "cannot store the state", RB_CTL_EXIT_DBUS, 0},
	{RB_CTL_OP_LOCAL, "org.freedesktop.DBus.Error.UnknownObject", "x",
	 RB_CTL_EXIT_DBUS, 0},
	/* only the local ops know them */
	{RB_CTL_OP_GENERIC, "org.freedesktop.DBus.Error.AccessDenied", "x",
	 RB_CTL_EXIT_DBUS, 0},
	{RB_CTL_OP_GATT, "org.freedesktop.DBus.Error.NameHasNoOwner", "x",
	 RB_CTL_EXIT_DBUS, 0},
	/* a name that merely ends alike */
	{RB_CTL_OP_LOCAL, "org.example.NotAccessDenied", "x", RB_CTL_EXIT_DBUS,
	 0},
};

START_TEST(test_error_map)
{
	uint8_t att = 0xff;
	RbCtlExit got = rb_ctl_exit_for_error(error_cases[_i].op,
					      error_cases[_i].name,
					      error_cases[_i].message, &att);

	ck_assert_int_eq(got, error_cases[_i].want);
	ck_assert_uint_eq(att, error_cases[_i].att);
}
END_TEST

START_TEST(test_att_reason)
{
	ck_assert_str_eq(rb_ctl_att_reason_name(0x83), "NOT_AUTHORIZED");
	ck_assert_ptr_nonnull(
		strstr(rb_ctl_att_reason(0x83), "not the box's write owner"));
	ck_assert_ptr_nonnull(strstr(rb_ctl_att_reason(0x80), "ATT 0x80"));
	ck_assert_ptr_null(rb_ctl_att_reason(0x84));
	ck_assert_ptr_null(rb_ctl_att_reason_name(0x7f));
}
END_TEST

START_TEST(test_local_reason)
{
	const char *r;

	r = rb_ctl_local_reason(RB_CTL_OP_LOCAL_ADMIN,
				RB_CTL_EXIT_NOT_AUTHORIZED, false);
	ck_assert_str_eq(r, "permission denied: needs root");
	r = rb_ctl_local_reason(RB_CTL_OP_LOCAL, RB_CTL_EXIT_NOT_AUTHORIZED,
				false);
	ck_assert_ptr_nonnull(strstr(r, "needs root or membership"));
	/* root was refused: the daemon's own message says why */
	ck_assert_ptr_null(rb_ctl_local_reason(
		RB_CTL_OP_LOCAL_ADMIN, RB_CTL_EXIT_NOT_AUTHORIZED, true));
	r = rb_ctl_local_reason(RB_CTL_OP_LOCAL, RB_CTL_EXIT_NO_BOX, true);
	ck_assert_ptr_nonnull(strstr(r, "reaction-boxd is not running"));
	ck_assert_ptr_null(rb_ctl_local_reason(RB_CTL_OP_LOCAL_ADMIN,
					       RB_CTL_EXIT_DBUS, false));
	ck_assert_ptr_null(rb_ctl_local_reason(
		RB_CTL_OP_GATT, RB_CTL_EXIT_NOT_AUTHORIZED, false));
}
END_TEST

static const struct {
	const char *answer;
	bool yes;
} answers[] = {
	{"y", true},	 {"yes", true},	  {" YES ", true},
	{"Yes\r", true}, {"", false},	  {"n", false},
	{"no", false},	 {"yess", false}, {NULL, false},
};

START_TEST(test_confirmed)
{
	ck_assert_int_eq(rb_ctl_confirmed(answers[_i].answer), answers[_i].yes);
}
END_TEST

/* ---- arguments ---- */

static bool parse(RbCtlArgs *a, const char *line, GError **error)
{
	g_auto(GStrv) words = NULL;
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	bool ok;

	g_ptr_array_add(argv, (gpointer) "reaction-boxctl");
	words = g_strsplit(line, " ", -1);
	for (unsigned int i = 0; words[i]; i++) {
		if (*words[i])
			g_ptr_array_add(argv, words[i]);
	}
	g_ptr_array_add(argv, NULL);
	/* parse() keeps pointers into argv: copy what the test reads. */
	ok = rb_ctl_args_parse(a, (int)argv->len - 1, (char **)argv->pdata,
			       error);
	if (ok) {
		a->adapter = a->adapter ? g_intern_string(a->adapter) : NULL;
		a->box = a->box ? g_intern_string(a->box) : NULL;
		a->pin_file = a->pin_file ? g_intern_string(a->pin_file) : NULL;
		a->file = a->file ? g_intern_string(a->file) : NULL;
	}
	return ok;
}

static const struct {
	const char *line;
	RbCtlCommand cmd;
} good_args[] = {
	{"scan", RB_CTL_CMD_SCAN},
	{"scan --duration 3", RB_CTL_CMD_SCAN},
	{"--json --adapter hci1 status", RB_CTL_CMD_STATUS},
	{"status --adapter=hci1 --json", RB_CTL_CMD_STATUS},
	{"pair 123456", RB_CTL_CMD_PAIR},
	{"pair --pin-file /run/screen.txt", RB_CTL_CMD_PAIR},
	{"watch --count 2", RB_CTL_CMD_WATCH},
	{"config get", RB_CTL_CMD_CONFIG_GET},
	{"config read", RB_CTL_CMD_CONFIG_READ},
	{"config set pin_failure_limit=5 pin_lockout_ms=60000",
	 RB_CTL_CMD_CONFIG_SET},
	{"config set --force pin_failure_limit=0", RB_CTL_CMD_CONFIG_SET},
	{"write --hex 0a:0b", RB_CTL_CMD_WRITE},
	{"write --file /tmp/x --raw --no-wait", RB_CTL_CMD_WRITE},
	{"trigger-pairing --box Reaction_ABCDEF", RB_CTL_CMD_TRIGGER_PAIRING},
	{"remove --box aa:bb:cc:dd:ee:ff", RB_CTL_CMD_REMOVE},
	{"disconnect --timeout 5", RB_CTL_CMD_DISCONNECT},
	{"send score 0102", RB_CTL_CMD_SEND},
	{"send start_timer", RB_CTL_CMD_SEND},
	{"send --text chat hello", RB_CTL_CMD_SEND},
	{"send a.b-C_9 0x01:ff --no-wait --json", RB_CTL_CMD_SEND},
	{"local status", RB_CTL_CMD_LOCAL_STATUS},
	{"--json local status --timeout 3", RB_CTL_CMD_LOCAL_STATUS},
	{"local watch", RB_CTL_CMD_LOCAL_WATCH},
	{"local watch --count 2 --timeout 9", RB_CTL_CMD_LOCAL_WATCH},
	{"local forget-owner", RB_CTL_CMD_LOCAL_FORGET_OWNER},
	{"local factory-reset", RB_CTL_CMD_LOCAL_FACTORY_RESET},
	{"local factory-reset --yes", RB_CTL_CMD_LOCAL_FACTORY_RESET},
	{"--yes local factory-reset", RB_CTL_CMD_LOCAL_FACTORY_RESET},
	{"local exit-pairing", RB_CTL_CMD_LOCAL_EXIT_PAIRING},
	{"local enter-pairing --json", RB_CTL_CMD_LOCAL_ENTER_PAIRING},
};

START_TEST(test_args_good)
{
	g_autoptr(GError) err = NULL;
	RbCtlArgs a = {0};

	ck_assert_msg(parse(&a, good_args[_i].line, &err), "%s: %s",
		      good_args[_i].line, err ? err->message : "");
	ck_assert_int_eq(a.cmd, good_args[_i].cmd);
	rb_ctl_args_clear(&a);
}
END_TEST

static const struct {
	const char *line;
	const char *want; /* substring of the message */
} bad_args[] = {
	{"", "no command"},
	{"fly", "unknown command"},
	{"status --bogus", "unknown option"},
	{"status --timeout", "needs a value"},
	{"status --timeout 0", "--timeout"},
	{"status --timeout x", "--timeout"},
	{"status --json=1", "takes no value"},
	{"status extra", "unexpected argument"},
	{"scan --count 3", "does not take --count"},
	{"status --duration 3", "does not take --duration"},
	{"pair 1234567", "not a PIN"},
	{"pair 12a", "not a PIN"},
	{"pair 123456 --pin-file f", "not both"},
	{"watch --count 0", "--count"},
	{"config", "get, set or read"},
	{"config drop", "get, set or read"},
	{"config set", "KEY=VALUE"},
	{"config set pin_failure_limit", "not KEY=VALUE"},
	{"config set =3", "not KEY=VALUE"},
	{"config set colour=3", "unknown setting 'colour'"},
	{"config set pin_failure_limit=", "not a number"},
	{"config set pin_failure_limit=-1", "not a number"},
	{"config set pin_failure_limit=3x", "not a number"},
	{"config set pin_failure_limit=4294967296", "not a number"},
	{"config set pin_failure_limit=11", "out of range 1..10"},
	{"config set pairing_timeout_ms=4999", "out of range"},
	{"config get --force", "does not take --force"},
	{"write", "--hex HEX or --file"},
	{"write --hex 0g", "unexpected 'g'"},
	{"write --hex abc", "odd number"},
	{"write --hex 0x", "no bytes"},
	{"write --hex 00 --file f", "one of --hex and --file"},
	{"status --adapter /org/bluez/hci0", "not an adapter name"},
	{"send", "send needs TYPE [BODY]"},
	{"send bad/type 00", "'bad/type' is not an application message type"},
	{"send t 0g", "BODY (hex, or text with --text): bad hex"},
	{"send t hello", "unexpected 'h'"},
	{"send t 00 extra", "unexpected argument 'extra'"},
	{"send t --text a b", "unexpected argument 'b'"},
	{"send t --hex 00", "send does not take --hex"},
	{"send t 00 --force", "send does not take --force"},
	{"send t --text \xff", "--text: BODY is not UTF-8"},
	{"write --text --hex 00", "write does not take --text"},
	{"status --text", "status does not take --text"},
	{"local", "local needs status, watch"},
	{"local pair", "local needs status, watch"},
	{"local status extra", "unexpected argument 'extra'"},
	{"local status --box Reaction_01", "local status does not take --box"},
	{"local watch --adapter hci0", "local watch does not take --adapter"},
	{"local status --count 2", "does not take --count"},
	{"local forget-owner --yes", "local forget-owner does not take --yes"},
	{"local factory-reset --yes=1", "takes no value"},
	{"status --yes", "status does not take --yes"},
	{"local watch --count 0", "--count"},
};

START_TEST(test_args_bad)
{
	g_autoptr(GError) err = NULL;
	RbCtlArgs a = {0};

	ck_assert_msg(!parse(&a, bad_args[_i].line, &err), "%s parsed",
		      bad_args[_i].line);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err->message, bad_args[_i].want), "%s: '%s'",
		      bad_args[_i].line, err->message);
	ck_assert_ptr_null(a.data);
}
END_TEST

START_TEST(test_args_values)
{
	g_autoptr(GError) err = NULL;
	RbCtlArgs a = {0};

	ck_assert(parse(&a,
			"--timeout 7 --box Reaction_01 config set "
			"pin_failure_limit=5 stale_bond_strikes=2",
			&err));
	ck_assert_uint_eq(a.timeout_s, 7);
	ck_assert(a.timeout_given);
	ck_assert_str_eq(a.box, "Reaction_01");
	ck_assert(a.update.has[RB_SETTING_PIN_FAILURE_LIMIT]);
	ck_assert_uint_eq(a.update.value[RB_SETTING_PIN_FAILURE_LIMIT], 5);
	ck_assert(a.update.has[RB_SETTING_STALE_BOND_STRIKES]);
	ck_assert_uint_eq(a.update.value[RB_SETTING_STALE_BOND_STRIKES], 2);
	ck_assert(!a.update.has[RB_SETTING_PAIRING_TIMEOUT_MS]);
	ck_assert(!a.update.has[RB_SETTING_PIN_LOCKOUT_MS]);
	rb_ctl_args_clear(&a);

	memset(&a, 0, sizeof(a));
	ck_assert(parse(&a, "pair 042", &err));
	ck_assert(a.have_pin);
	ck_assert_uint_eq(a.pin, 42);
	ck_assert_uint_eq(a.timeout_s, RB_CTL_DEFAULT_TIMEOUT_S);
	ck_assert(!a.timeout_given);

	memset(&a, 0, sizeof(a));
	ck_assert(parse(&a, "write --hex 0x01:FF-a0 --raw", &err));
	ck_assert(a.raw);
	ck_assert_uint_eq(g_bytes_get_size(a.data), 3);
	ck_assert_mem_eq(g_bytes_get_data(a.data, NULL), "\x01\xff\xa0", 3);
	rb_ctl_args_clear(&a);
	ck_assert_ptr_null(a.data);

	memset(&a, 0, sizeof(a));
	ck_assert(parse(&a, "send score 01:ff", &err));
	ck_assert_str_eq(a.app.type, "score");
	ck_assert_uint_eq(a.app.body_len, 2);
	ck_assert_mem_eq(a.app.body, "\x01\xff", 2);
	ck_assert(!a.text);
	memset(&a, 0, sizeof(a));
	ck_assert(parse(&a, "send --text chat h\xc3\xa9", &err));
	ck_assert_str_eq(a.app.type, "chat");
	ck_assert_uint_eq(a.app.body_len, 3);
	ck_assert_mem_eq(a.app.body, "h\xc3\xa9", 3);
	memset(&a, 0, sizeof(a));
	ck_assert(parse(&a, "send start_timer --no-wait", &err));
	ck_assert_str_eq(a.app.type, "start_timer");
	ck_assert_uint_eq(a.app.body_len, 0);
	ck_assert(a.no_wait);

	memset(&a, 0, sizeof(a));
	ck_assert(parse(&a, "local factory-reset --yes", &err));
	ck_assert(a.yes);
	ck_assert(rb_ctl_command_is_local(a.cmd));
	ck_assert_str_eq(rb_ctl_command_name(a.cmd), "local factory-reset");
	memset(&a, 0, sizeof(a));
	ck_assert(parse(&a, "local factory-reset", &err));
	ck_assert(!a.yes);
	memset(&a, 0, sizeof(a));
	ck_assert(parse(&a, "local watch --count 3", &err));
	ck_assert_uint_eq(a.count, 3);
	ck_assert(!rb_ctl_command_is_local(RB_CTL_CMD_STATUS));
	ck_assert(!rb_ctl_command_is_local(RB_CTL_CMD_NONE));

	memset(&a, 0, sizeof(a));
	ck_assert(parse(&a, "--help", &err));
	ck_assert(a.help);
	memset(&a, 0, sizeof(a));
	ck_assert(parse(&a, "config set --force pin_failure_limit=0", &err));
	ck_assert(a.update.has[RB_SETTING_PIN_FAILURE_LIMIT]);
	ck_assert_uint_eq(a.update.value[RB_SETTING_PIN_FAILURE_LIMIT], 0);
}
END_TEST

/* The limits of send: a 64-character type, a 3072-byte body. */
START_TEST(test_args_send_limits)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *type64 = g_strnfill(RB_APP_TYPE_MAX, 't');
	g_autofree char *type65 = g_strnfill(RB_APP_TYPE_MAX + 1, 't');
	g_autofree char *body = g_strnfill(RB_APP_BODY_MAX, 'b');
	g_autofree char *big = g_strnfill(RB_APP_BODY_MAX + 1, 'b');
	g_autofree char *hex = g_strnfill(2 * RB_APP_BODY_MAX, 'a');
	g_autofree char *bighex = g_strnfill(2 * RB_APP_BODY_MAX + 2, 'a');
	g_autofree char *l1 = g_strdup_printf("send --text %s %s", type64,
					      body);
	g_autofree char *l2 = g_strdup_printf("send %s", type65);
	g_autofree char *l3 = g_strdup_printf("send --text t %s", big);
	g_autofree char *l4 = g_strdup_printf("send t %s", hex);
	g_autofree char *l5 = g_strdup_printf("send t %s", bighex);
	RbCtlArgs a = {0};

	ck_assert(parse(&a, l1, &err));
	ck_assert_uint_eq(strlen(a.app.type), RB_APP_TYPE_MAX);
	ck_assert_uint_eq(a.app.body_len, RB_APP_BODY_MAX);
	memset(&a, 0, sizeof(a));
	ck_assert(!parse(&a, l2, &err));
	ck_assert_ptr_nonnull(strstr(err->message, "not an application"));
	g_clear_error(&err);
	ck_assert(!parse(&a, l3, &err));
	ck_assert(g_error_matches(err, RB_ERROR, RB_ERROR_TOO_LARGE));
	g_clear_error(&err);
	memset(&a, 0, sizeof(a));
	ck_assert(parse(&a, l4, &err));
	ck_assert_uint_eq(a.app.body_len, RB_APP_BODY_MAX);
	ck_assert_uint_eq(a.app.body[RB_APP_BODY_MAX - 1], 0xaa);
	memset(&a, 0, sizeof(a));
	ck_assert(!parse(&a, l5, &err));
	ck_assert(g_error_matches(err, RB_ERROR, RB_ERROR_TOO_LARGE));
}
END_TEST

/* ---- PINs ---- */

static const struct {
	const char *text;
	bool found;
	uint32_t pin;
} pin_texts[] = {
	{"Reaction_ABCDEF\nPIN 123456\n59 s\n", true, 123456},
	{"  PIN  004321  \n", true, 4321},
	{"PIN 12345\n", false, 0},
	{"PIN 1234567\n", false, 0},
	{"PIN12345\n", false, 0},
	{"Wrong PIN\n2 attempts left\n", false, 0},
	{"Pairing mode\n60 s\n", false, 0},
	{"", false, 0},
};

START_TEST(test_pin_text)
{
	uint32_t pin = 999;

	ck_assert_int_eq(rb_ctl_find_pin_in_text(pin_texts[_i].text, &pin),
			 pin_texts[_i].found);
	if (pin_texts[_i].found)
		ck_assert_uint_eq(pin, pin_texts[_i].pin);
	else
		ck_assert_uint_eq(pin, 999);
}
END_TEST

/* ---- output ---- */

START_TEST(test_json_access)
{
	RbReply r = {0};
	g_autofree char *j = NULL;
	g_autofree char *t = NULL;

	r.kind = RB_REPLY_ACCESS;
	r.access.status = RB_ACCESS_READ_ONLY;
	r.access.write_rejected = true;
	r.access.reason = RB_WRITE_REJECT_NOT_AUTHORIZED;
	r.access.has_owner = true;
	j = rb_ctl_reply_json(&r, "access");
	ck_assert_str_eq(
		j, "{\"type\":\"ble_access\",\"source\":\"access\","
		   "\"request_id\":0,\"status\":\"READ_ONLY\","
		   "\"write_rejected\":true,"
		   "\"reject_reason\":\"WRITE_REJECT_NOT_AUTHORIZED\","
		   "\"pairing_time_left_ms\":0,\"lockout_time_left_ms\":0,"
		   "\"stale_bond\":\"STALE_BOND_NONE\",\"has_owner\":true}");
	t = rb_ctl_reply_text(&r, "access");
	ck_assert_ptr_nonnull(strstr(t, "READ_ONLY"));
	ck_assert_ptr_nonnull(strstr(t, "WRITE_REJECT_NOT_AUTHORIZED"));
}
END_TEST

START_TEST(test_json_config_error)
{
	RbReply r = {0};
	g_autofree char *j = NULL;
	g_autofree char *e = NULL;

	r.kind = RB_REPLY_CONFIG;
	r.request_id = 77;
	for (unsigned int i = 0; i < RB_SETTING_COUNT; i++)
		r.config.value[i] = 10 + i;
	j = rb_ctl_reply_json(&r, "protocol");
	ck_assert_str_eq(j, "{\"type\":\"config\",\"source\":\"protocol\","
			    "\"request_id\":77,\"pairing_timeout_ms\":10,"
			    "\"pin_failure_limit\":11,\"pin_lockout_ms\":12,"
			    "\"stale_bond_window_ms\":13,"
			    "\"stale_bond_strikes\":14}");

	memset(&r, 0, sizeof(r));
	r.kind = RB_REPLY_ERROR;
	r.request_id = 5;
	r.error_code = RB_PROTO_ERROR_OUT_OF_RANGE;
	strcpy(r.error_message, "say \"no\"\n\\");
	strcpy(r.error_field, "pin_failure_limit");
	e = rb_ctl_reply_json(&r, "protocol");
	ck_assert_str_eq(e, "{\"type\":\"error\",\"source\":\"protocol\","
			    "\"request_id\":5,"
			    "\"code\":\"ERROR_CODE_OUT_OF_RANGE\","
			    "\"message\":\"say \\\"no\\\"\\n\\\\\","
			    "\"field\":\"pin_failure_limit\"}");
}
END_TEST

START_TEST(test_json_escape)
{
	g_autoptr(GString) s = g_string_new(NULL);

	rb_ctl_json_append_string(s, "a\x01\tb\x7f");
	ck_assert_str_eq(s->str, "\"a\\u0001\\tb\\u007f\"");
	g_string_truncate(s, 0);
	rb_ctl_json_append_string(s, NULL);
	ck_assert_str_eq(s->str, "\"\"");
}
END_TEST

START_TEST(test_hex_string)
{
	static const uint8_t b[] = {0x01, 0xab, 0x00};
	g_autofree char *h = rb_ctl_hex_string(b, sizeof(b));
	g_autofree char *e = rb_ctl_hex_string(b, 0);

	ck_assert_str_eq(h, "01 ab 00");
	ck_assert_str_eq(e, "");
}
END_TEST

START_TEST(test_proto_error_names)
{
	ck_assert_str_eq(rb_ctl_proto_error_name(RB_PROTO_ERROR_UNAVAILABLE),
			 "ERROR_CODE_UNAVAILABLE");
	ck_assert_str_eq(rb_ctl_proto_error_name(RB_PROTO_ERROR_APPLICATION),
			 "ERROR_CODE_APPLICATION");
	ck_assert_str_eq(rb_ctl_proto_error_name((RbProtoError)0),
			 "ERROR_CODE_UNSPECIFIED");
}
END_TEST

/* An ApplicationMessage reply, as rb_codec_decode_reply() leaves it. */
static void app_reply(RbReply *r, uint32_t request_id, const char *type,
		      const char *body, gsize len)
{
	memset(r, 0, sizeof(*r));
	r->kind = RB_REPLY_APPLICATION;
	r->request_id = request_id;
	if (type)
		ck_assert(rb_app_message_set(&r->app, type,
					     (const uint8_t *)body, len, NULL));
}

static const struct {
	const char *name;
	uint32_t request_id;
	const char *type; /* NULL: app_state before any state */
	const char *body;
	gsize len;
	const char *json;
	const char *text;
} app_cases[] = {
	{"text body", 5, "score", "hi", 2,
	 "{\"type\":\"application\",\"source\":\"protocol\",\"request_id\":5,"
	 "\"app_type\":\"score\",\"body_hex\":\"6869\",\"body_len\":2,"
	 "\"body_text\":\"hi\"}",
	 "protocol: application score, 2 bytes: 68 69 = \"hi\" [request 5]"},
	{"binary body", 0, "tick", "\x00\xff", 2,
	 "{\"type\":\"application\",\"source\":\"protocol\",\"request_id\":0,"
	 "\"app_type\":\"tick\",\"body_hex\":\"00ff\",\"body_len\":2}",
	 "protocol: application tick, 2 bytes: 00 ff"},
	{"empty body", 9, "start_timer", "", 0,
	 "{\"type\":\"application\",\"source\":\"protocol\",\"request_id\":9,"
	 "\"app_type\":\"start_timer\",\"body_hex\":\"\",\"body_len\":0}",
	 "protocol: application start_timer, empty body [request 9]"},
	{"text with a newline", 0, "a.b-c", "x\n\"y\"", 5,
	 "{\"type\":\"application\",\"source\":\"protocol\",\"request_id\":0,"
	 "\"app_type\":\"a.b-c\",\"body_hex\":\"780a227922\","
	 "\"body_len\":5,\"body_text\":\"x\\n\\\"y\\\"\"}",
	 "protocol: application a.b-c, 5 bytes: 78 0a 22 79 22 = "
	 "\"x\\n\\\"y\\\"\""},
	{"no state yet", 0, NULL, NULL, 0,
	 "{\"type\":\"application\",\"source\":\"protocol\",\"request_id\":0,"
	 "\"app_type\":\"\",\"body_hex\":\"\",\"body_len\":0}",
	 "protocol: no application state"},
};

START_TEST(test_app_output)
{
	RbReply r;
	g_autofree char *j = NULL;
	g_autofree char *t = NULL;

	app_reply(&r, app_cases[_i].request_id, app_cases[_i].type,
		  app_cases[_i].body, app_cases[_i].len);
	j = rb_ctl_reply_json(&r, "protocol");
	t = rb_ctl_reply_text(&r, "protocol");
	ck_assert_msg(strcmp(j, app_cases[_i].json) == 0, "%s: %s",
		      app_cases[_i].name, j);
	ck_assert_msg(strcmp(t, app_cases[_i].text) == 0, "%s: %s",
		      app_cases[_i].name, t);
}
END_TEST

/* What send prints for a reply as it comes from the box's codec. */
START_TEST(test_app_wire)
{
	RbAppMessage app = {0};
	RbReply r = {0};
	g_autoptr(GError) err = NULL;
	g_autofree uint8_t *wire = NULL;
	g_autofree char *t = NULL;
	gsize len = 0;

	ck_assert(rb_app_message_set(&app, "score", (const uint8_t *)"42", 2,
				     NULL));
	wire = rb_codec_encode_application(&app, 77, &len);
	ck_assert_ptr_nonnull(wire);
	ck_assert(rb_codec_decode_reply(wire, len, &r, &err));
	ck_assert_int_eq(r.kind, RB_REPLY_APPLICATION);
	t = rb_ctl_reply_text(&r, "protocol");
	ck_assert_str_eq(t, "protocol: application score, 2 bytes: 34 32 = "
			    "\"42\" [request 77]");
}
END_TEST

static const struct {
	const char *body;
	gsize len;
	bool text;
} body_texts[] = {
	{"hello", 5, true},
	{"caf\xc3\xa9 \xe2\x9c\x93", 9, true},
	{"a\tb\r\n", 5, true},
	{"", 0, false},
	{"a\0b", 3, false},
	{"\x01", 1, false},
	{"\x7f", 1, false},
	{"\xc3", 1, false},
	{"\xff\xfe", 2, false},
	{"\xc2\x85", 2, false}, /* U+0085, a C1 control */
};

START_TEST(test_body_is_text)
{
	ck_assert_int_eq(
		rb_ctl_body_is_text((const uint8_t *)body_texts[_i].body,
				    body_texts[_i].len),
		body_texts[_i].text);
}
END_TEST

/* ---- reaction-boxd's properties and signals ---- */

/* Box1's properties as reaction-boxd's GetAll returns them. */
static GVariant *box_props(bool with_unknown)
{
	GVariantBuilder b, cfg, peers;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "AccessStatus",
			      g_variant_new_string("write-authorized"));
	g_variant_builder_add(&b, "{sv}", "Owner",
			      g_variant_new_string("00:AA:01:1A:2B:3C"));
	g_variant_builder_add(&b, "{sv}", "OwnerAddressType",
			      g_variant_new_string("public"));
	/* 2025-06-01 12:00:00 UTC */
	g_variant_builder_add(&b, "{sv}", "OwnerSince",
			      g_variant_new_uint64(1748779200123456ULL));
	g_variant_builder_add(&b, "{sv}", "PairingMode",
			      g_variant_new_boolean(TRUE));
	g_variant_builder_add(&b, "{sv}", "PairingSecondsLeft",
			      g_variant_new_uint32(42));
	g_variant_builder_add(&b, "{sv}", "LockedOut",
			      g_variant_new_boolean(FALSE));
	g_variant_builder_add(&b, "{sv}", "LockoutSecondsLeft",
			      g_variant_new_uint32(0));
	g_variant_builder_add(&b, "{sv}", "StaleBond",
			      g_variant_new_string("none"));
	g_variant_builder_init(&cfg, G_VARIANT_TYPE("a{su}"));
	g_variant_builder_add(&cfg, "{su}", "pairing_timeout_ms", 60000);
	g_variant_builder_add(&cfg, "{su}", "pin_failure_limit", 3);
	g_variant_builder_add(&b, "{sv}", "Config",
			      g_variant_builder_end(&cfg));
	g_variant_builder_init(&peers, G_VARIANT_TYPE("a(sss)"));
	g_variant_builder_add(&peers, "(sss)", "00:AA:01:1A:2B:3C", "public",
			      "owner");
	g_variant_builder_add(&peers, "(sss)", "4C:11:22:33:44:55", "random",
			      "read-only");
	g_variant_builder_add(&b, "{sv}", "Peers",
			      g_variant_builder_end(&peers));
	g_variant_builder_add(&b, "{sv}", "ChordHeld",
			      g_variant_new_boolean(FALSE));
	g_variant_builder_add(&b, "{sv}", "Application",
			      g_variant_new_string(":1.42"));
	if (with_unknown) {
		g_variant_builder_add(&b, "{sv}", "BatteryLevelPct",
				      g_variant_new_int32(-1));
		/* a known name of an unexpected type */
		g_variant_builder_add(&b, "{sv}", "StaleBond",
				      g_variant_new_uint32(2));
	}
	return g_variant_ref_sink(g_variant_builder_end(&b));
}

START_TEST(test_box_status_text)
{
	g_autoptr(GVariant) props = box_props(false);
	g_autofree char *t = rb_ctl_box_status_text(props);

	ck_assert_str_eq(t,
			 "access:       write-authorized\n"
			 "owner:        00:AA:01:1A:2B:3C (public), paired "
			 "2025-06-01 12:00:00 UTC\n"
			 "pairing mode: open, 42 s left\n"
			 "pin lockout:  none\n"
			 "stale bond:   none\n"
			 "chord held:   no\n"
			 "application:  :1.42\n"
			 "peers:        00:AA:01:1A:2B:3C (public) owner\n"
			 "              4C:11:22:33:44:55 (random) read-only\n"
			 "config:       pairing_timeout_ms=60000\n"
			 "              pin_failure_limit=3");
}
END_TEST

START_TEST(test_box_status_json)
{
	g_autoptr(GVariant) props = box_props(false);
	g_autofree char *j = rb_ctl_box_status_json(props);

	ck_assert_str_eq(
		j, "{\"type\":\"local_status\","
		   "\"access_status\":\"write-authorized\","
		   "\"owner\":\"00:AA:01:1A:2B:3C\","
		   "\"owner_address_type\":\"public\","
		   "\"owner_since\":1748779200123456,"
		   "\"pairing_mode\":true,\"pairing_seconds_left\":42,"
		   "\"locked_out\":false,\"lockout_seconds_left\":0,"
		   "\"stale_bond\":\"none\","
		   "\"config\":{\"pairing_timeout_ms\":60000,"
		   "\"pin_failure_limit\":3},"
		   "\"peers\":[{\"address\":\"00:AA:01:1A:2B:3C\","
		   "\"address_type\":\"public\",\"access\":\"owner\"},"
		   "{\"address\":\"4C:11:22:33:44:55\","
		   "\"address_type\":\"random\",\"access\":\"read-only\"}],"
		   "\"chord_held\":false,\"application\":\":1.42\"}");
}
END_TEST

START_TEST(test_box_status_sparse)
{
	g_autoptr(GVariant) props = box_props(true);
	g_autoptr(GVariant) empty = g_variant_ref_sink(
		g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0));
	g_autofree char *t = rb_ctl_box_status_text(props);
	g_autofree char *j = rb_ctl_box_status_json(props);
	g_autofree char *e = rb_ctl_box_status_text(empty);
	g_autofree char *ej = rb_ctl_box_status_json(empty);
	GVariantBuilder b;
	g_autoptr(GVariant) none = NULL;
	g_autofree char *n = NULL;

	/* Unknown properties, and known ones of another type, still show. */
	ck_assert_ptr_nonnull(strstr(t, "\nBatteryLevelPct: -1"));
	ck_assert_ptr_nonnull(strstr(t, "\nStaleBond:    2"));
	ck_assert_ptr_nonnull(strstr(j, ",\"battery_level_pct\":-1"));
	ck_assert_str_eq(e, "");
	ck_assert_str_eq(ej, "{\"type\":\"local_status\"}");

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "Owner", g_variant_new_string(""));
	g_variant_builder_add(&b, "{sv}", "OwnerSince",
			      g_variant_new_uint64(0));
	g_variant_builder_add(&b, "{sv}", "PairingMode",
			      g_variant_new_boolean(FALSE));
	g_variant_builder_add(&b, "{sv}", "PairingSecondsLeft",
			      g_variant_new_uint32(0));
	g_variant_builder_add(&b, "{sv}", "Application",
			      g_variant_new_string(""));
	g_variant_builder_add(
		&b, "{sv}", "Peers",
		g_variant_new_array(G_VARIANT_TYPE("(sss)"), NULL, 0));
	none = g_variant_ref_sink(g_variant_builder_end(&b));
	n = rb_ctl_box_status_text(none);
	ck_assert_str_eq(n, "owner:        none\n"
			    "pairing mode: closed\n"
			    "application:  none registered\n"
			    "peers:        none");
}
END_TEST

START_TEST(test_box_changed)
{
	GVariantBuilder b;
	g_autoptr(GVariant) changed = NULL;
	static const char *const inval[] = {"Peers", "OwnerAddressType", NULL};
	g_autofree char *j = NULL;
	g_autofree char *t = NULL;
	g_autofree char *j0 = NULL;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "PairingMode",
			      g_variant_new_boolean(TRUE));
	g_variant_builder_add(&b, "{sv}", "Owner", g_variant_new_string(""));
	g_variant_builder_add(&b, "{sv}", "AccessStatus",
			      g_variant_new_string("pairing-mode"));
	g_variant_builder_add(&b, "{sv}", "Note",
			      g_variant_new_string("a \"b\""));
	changed = g_variant_ref_sink(g_variant_builder_end(&b));
	j = rb_ctl_box_changed_json(changed, inval);
	ck_assert_str_eq(j,
			 "{\"type\":\"local_changed\",\"pairing_mode\":true,"
			 "\"owner\":\"\",\"access_status\":\"pairing-mode\","
			 "\"note\":\"a \\\"b\\\"\","
			 "\"invalidated\":[\"peers\",\"owner_address_type\"]}");
	t = rb_ctl_box_changed_text(changed, inval);
	ck_assert_str_eq(t, "changed: PairingMode=true Owner=\"\" "
			    "AccessStatus=pairing-mode Note=\"a \\\"b\\\"\" "
			    "Peers=? OwnerAddressType=?");
	j0 = rb_ctl_box_changed_json(changed, NULL);
	ck_assert_ptr_null(strstr(j0, "invalidated"));
}
END_TEST

START_TEST(test_button)
{
	g_autofree char *j = rb_ctl_button_json("CONTEST", true, 12345678901);
	g_autofree char *t = rb_ctl_button_text("TIMER_530", false, 5000042);

	ck_assert_str_eq(j, "{\"type\":\"button\",\"name\":\"CONTEST\","
			    "\"pressed\":true,\"monotonic_us\":12345678901}");
	ck_assert_str_eq(t, "button TIMER_530 released at 5.000042 s");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("client");
	TCase *tc;

	tc = tcase_create("/client/error-map");
	tcase_add_loop_test(tc, test_error_map, 0, G_N_ELEMENTS(error_cases));
	tcase_add_test(tc, test_att_reason);
	tcase_add_test(tc, test_local_reason);
	suite_add_tcase(s, tc);

	tc = tcase_create("/client/args");
	tcase_add_loop_test(tc, test_args_good, 0, G_N_ELEMENTS(good_args));
	tcase_add_loop_test(tc, test_args_bad, 0, G_N_ELEMENTS(bad_args));
	tcase_add_test(tc, test_args_values);
	tcase_add_test(tc, test_args_send_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("/client/confirm");
	tcase_add_loop_test(tc, test_confirmed, 0, G_N_ELEMENTS(answers));
	suite_add_tcase(s, tc);

	tc = tcase_create("/client/local-output");
	tcase_add_test(tc, test_box_status_text);
	tcase_add_test(tc, test_box_status_json);
	tcase_add_test(tc, test_box_status_sparse);
	tcase_add_test(tc, test_box_changed);
	tcase_add_test(tc, test_button);
	suite_add_tcase(s, tc);

	tc = tcase_create("/client/pin");
	tcase_add_loop_test(tc, test_pin_text, 0, G_N_ELEMENTS(pin_texts));
	suite_add_tcase(s, tc);

	tc = tcase_create("/client/output");
	tcase_add_test(tc, test_json_access);
	tcase_add_test(tc, test_json_config_error);
	tcase_add_test(tc, test_json_escape);
	tcase_add_test(tc, test_hex_string);
	tcase_add_test(tc, test_proto_error_names);
	tcase_add_loop_test(tc, test_app_output, 0, G_N_ELEMENTS(app_cases));
	tcase_add_test(tc, test_app_wire);
	tcase_add_loop_test(tc, test_body_is_text, 0, G_N_ELEMENTS(body_texts));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
