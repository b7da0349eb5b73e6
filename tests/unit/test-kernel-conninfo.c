/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HCIGETCONNINFO results through injected ops, and the real ioctl here. */
#include <check.h>
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "core/error.h"
#include "kernel/conninfo.h"

typedef struct {
	const char *name;
	int result; /* 0 or a negative errno */
	uint32_t link_mode;
	bool ok;
	int code; /* RbErrorCode when !ok */
	bool encrypted;
	bool authenticated;
} InfoCase;

static const InfoCase info_cases[] = {
	{"encrypted-authenticated", 0, 0x6, true, 0, true, true},
	{"encrypted-only", 0, 0x4, true, 0, true, false},
	{"not-encrypted", 0, 0x0, true, 0, false, false},
	{"other-bits", 0, 0x8001, true, 0, false, false},
	{"not-connected", -ENOENT, 0, false, RB_ERROR_NOT_FOUND, false, false},
	{"no-adapter", -ENODEV, 0, false, RB_ERROR_NOT_FOUND, false, false},
	{"no-bluetooth", -EAFNOSUPPORT, 0, false, RB_ERROR_NOT_FOUND, false,
	 false},
	{"eperm", -EPERM, 0, false, RB_ERROR_PERMISSION, false, false},
	{"eacces", -EACCES, 0, false, RB_ERROR_PERMISSION, false, false},
	{"ebadfd", -EBADFD, 0, false, RB_ERROR_IO, false, false},
	{"positive-nonsense", 5, 0, false, RB_ERROR_IO, false, false},
};

typedef struct {
	const InfoCase *c;
	int calls;
	int index;
	uint8_t bdaddr[6];
	uint8_t link_type;
} FakeKernel;

static int fake_get_conn_info(int hci_index, const uint8_t bdaddr[6],
			      uint8_t link_type, RbHciConnInfo *ci,
			      void *user_data)
{
	FakeKernel *k = user_data;

	k->calls++;
	k->index = hci_index;
	memcpy(k->bdaddr, bdaddr, 6);
	k->link_type = link_type;
	if (k->c->result)
		return k->c->result;
	ci->handle = 0x0040;
	memcpy(ci->bdaddr, bdaddr, 6);
	ci->type = link_type;
	ci->out = 0;
	ci->state = 1; /* BT_CONNECTED */
	ci->link_mode = k->c->link_mode;
	return 0;
}

static const RbConnInfoOps fake_ops = {.get_conn_info = fake_get_conn_info};

START_TEST(test_info)
{
	const InfoCase *c = &info_cases[_i];
	const uint8_t want_bdaddr[6] = {0x66, 0x55, 0x44, 0x33, 0x22, 0xc1};
	g_autoptr(GError) error = NULL;
	FakeKernel k = {.c = c};
	RbConnInfo out;
	bool ok;

	memset(&out, 0xa5, sizeof(out));
	ok = rb_conninfo_get_with(&fake_ops, &k, 1, "C1:22:33:44:55:66",
				  RB_CONNINFO_LE_LINK, &out, &error);
	ck_assert_msg(ok == c->ok, "%s", c->name);
	ck_assert_int_eq(k.calls, 1);
	ck_assert_int_eq(k.index, 1);
	ck_assert_mem_eq(k.bdaddr, want_bdaddr, 6);
	ck_assert_uint_eq(k.link_type, 0x80);
	if (!ok) {
		ck_assert_msg(g_error_matches(error, RB_ERROR, c->code),
			      "%s: %s", c->name, error->message);
		ck_assert(error->message[0] != '\0');
		/* untouched */
		ck_assert_uint_eq(out.handle, 0xa5a5);
		return;
	}
	ck_assert_ptr_null(error);
	ck_assert_str_eq(out.addr, "C1:22:33:44:55:66");
	ck_assert_uint_eq(out.handle, 0x0040);
	ck_assert_uint_eq(out.link_type, 0x80);
	ck_assert_uint_eq(out.link_mode, c->link_mode);
	ck_assert_msg(out.encrypted == c->encrypted, "%s", c->name);
	ck_assert_msg(out.authenticated == c->authenticated, "%s", c->name);
}
END_TEST

static const struct {
	int index;
	const char *addr;
} bad_args[] = {
	{-1, "11:22:33:44:55:66"},
	{0xffff, "11:22:33:44:55:66"},
	{0, "11:22:33:44:55"},
	{0, "not an address"},
	{0, NULL},
};

START_TEST(test_bad_arguments)
{
	static const InfoCase ok_case = {"ok", 0, 0x6, true, 0, true, true};
	g_autoptr(GError) error = NULL;
	FakeKernel k = {.c = &ok_case};
	RbConnInfo out;

	ck_assert(!rb_conninfo_get_with(&fake_ops, &k, bad_args[_i].index,
					bad_args[_i].addr, RB_CONNINFO_LE_LINK,
					&out, &error));
	ck_assert(g_error_matches(error, RB_ERROR, RB_ERROR_INVALID));
	ck_assert_int_eq(k.calls, 0);
}
END_TEST

/* The real ioctl on a kernel without Bluetooth reports it cleanly. */
START_TEST(test_real_kernel)
{
	g_autoptr(GError) error = NULL;
	RbConnInfo out;

	/* a peer no adapter is connected to: never succeeds */
	ck_assert(!rb_conninfo_get(0, "00:00:00:00:00:01", RB_CONNINFO_LE_LINK,
				   &out, &error));
	ck_assert(error != NULL && error->domain == RB_ERROR);
	ck_assert(error->message[0] != '\0');
	ck_assert_msg(error->code == RB_ERROR_NOT_FOUND ||
			      error->code == RB_ERROR_IO,
		      "%s", error->message);
}
END_TEST

static Suite *conninfo_suite(void)
{
	Suite *s = suite_create("kernel-conninfo");
	TCase *tc;

	tc = tcase_create("/conninfo/get");
	tcase_add_loop_test(tc, test_info, 0, G_N_ELEMENTS(info_cases));
	tcase_add_loop_test(tc, test_bad_arguments, 0, G_N_ELEMENTS(bad_args));
	tcase_add_test(tc, test_real_kernel);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(conninfo_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
