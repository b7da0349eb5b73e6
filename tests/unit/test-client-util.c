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
	ck_assert(parse(&a, "--help", &err));
	ck_assert(a.help);
	memset(&a, 0, sizeof(a));
	ck_assert(parse(&a, "config set --force pin_failure_limit=0", &err));
	ck_assert(a.update.has[RB_SETTING_PIN_FAILURE_LIMIT]);
	ck_assert_uint_eq(a.update.value[RB_SETTING_PIN_FAILURE_LIMIT], 0);
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

static Suite *suite(void)
{
	Suite *s = suite_create("client");
	TCase *tc;

	tc = tcase_create("/client/error-map");
	tcase_add_loop_test(tc, test_error_map, 0, G_N_ELEMENTS(error_cases));
	tcase_add_test(tc, test_att_reason);
	suite_add_tcase(s, tc);

	tc = tcase_create("/client/args");
	tcase_add_loop_test(tc, test_args_good, 0, G_N_ELEMENTS(good_args));
	tcase_add_loop_test(tc, test_args_bad, 0, G_N_ELEMENTS(bad_args));
	tcase_add_test(tc, test_args_values);
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
