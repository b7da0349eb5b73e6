/* SPDX-License-Identifier: GPL-2.0-or-later */
/* LTK types from BlueZ bond files written into a temporary storage root. */
#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "core/error.h"
#include "kernel/bondinfo.h"

#define ADAPTER "00:AA:01:00:00:23"
#define PEER "C1:22:33:44:55:66"

#define LTK_BODY "Key=0123456789ABCDEF0123456789ABCDEF\nEDiv=0\nRand=0\n"

typedef struct {
	const char *name;
	const char *contents; /* NULL: no file */
	bool ok;
	int code; /* RbErrorCode when !ok */
	RbKeyType key_type;
	uint8_t enc_size;
	const char *group;
} BondCase;

static const BondCase bond_cases[] = {
	{"auth-p256",
	 "[General]\nName=Phone\nAddressType=static\n\n"
	 "[PeripheralLongTermKey]\n" LTK_BODY "Authenticated=3\nEncSize=16\n"
	 "\n[SlaveLongTermKey]\n" LTK_BODY "Authenticated=3\nEncSize=16\n",
	 true, 0, RB_KEY_AUTH_P256, 16, "PeripheralLongTermKey"},
	{"older-slave-legacy",
	 "[SlaveLongTermKey]\n" LTK_BODY "Authenticated=1\nEncSize=16\n", true,
	 0, RB_KEY_AUTH_LEGACY, 16, "SlaveLongTermKey"},
	{"central-unauth",
	 "[LongTermKey]\n" LTK_BODY "Authenticated=0\nEncSize=7\n", true, 0,
	 RB_KEY_UNAUTH_LEGACY, 7, "LongTermKey"},
	{"peripheral-wins",
	 "[LongTermKey]\n" LTK_BODY "Authenticated=3\nEncSize=16\n"
	 "[PeripheralLongTermKey]\n" LTK_BODY "Authenticated=2\nEncSize=16\n",
	 true, 0, RB_KEY_UNAUTH_P256, 16, "PeripheralLongTermKey"},
	{"no-encsize", "[PeripheralLongTermKey]\n" LTK_BODY "Authenticated=4\n",
	 true, 0, RB_KEY_DEBUG_P256, 0, "PeripheralLongTermKey"},
	{"no-authenticated",
	 "[PeripheralLongTermKey]\n" LTK_BODY "EncSize=16\n", false,
	 .code = RB_ERROR_CORRUPT},
	{"authenticated-5",
	 "[PeripheralLongTermKey]\n" LTK_BODY "Authenticated=5\n", false,
	 .code = RB_ERROR_CORRUPT},
	{"authenticated-negative",
	 "[PeripheralLongTermKey]\n" LTK_BODY "Authenticated=-1\n", false,
	 .code = RB_ERROR_CORRUPT},
	{"authenticated-text",
	 "[PeripheralLongTermKey]\n" LTK_BODY "Authenticated=yes\n", false,
	 .code = RB_ERROR_CORRUPT},
	{"encsize-99",
	 "[PeripheralLongTermKey]\n" LTK_BODY "Authenticated=3\nEncSize=99\n",
	 false, .code = RB_ERROR_CORRUPT},
	{"no-ltk", "[General]\nName=Phone\n\n[IdentityResolvingKey]\nKey=00\n",
	 false, .code = RB_ERROR_NOT_FOUND},
	{"empty", "", false, .code = RB_ERROR_NOT_FOUND},
	{"garbage",
	 "\x7f"
	 "ELF\x01\x01 this is no key file\n",
	 false, .code = RB_ERROR_CORRUPT},
	{"missing-file", NULL, false, .code = RB_ERROR_NOT_FOUND},
};

static char *make_root(const BondCase *c)
{
	g_autoptr(GError) error = NULL;
	char *root = g_dir_make_tmp("rb-bondinfo-XXXXXX", &error);
	g_autofree char *dir = NULL;
	g_autofree char *file = NULL;

	ck_assert_msg(root != NULL, "%s", error ? error->message : "");
	if (!c->contents)
		return root;
	dir = g_build_filename(root, ADAPTER, PEER, NULL);
	ck_assert_int_eq(g_mkdir_with_parents(dir, 0700), 0);
	file = g_build_filename(dir, "info", NULL);
	ck_assert(g_file_set_contents(file, c->contents, -1, &error));
	return root;
}

static void remove_root(const char *root)
{
	g_autofree char *file = g_build_filename(root, ADAPTER, PEER, "info",
						 NULL);
	g_autofree char *peer = g_build_filename(root, ADAPTER, PEER, NULL);
	g_autofree char *adapter = g_build_filename(root, ADAPTER, NULL);

	g_unlink(file);
	g_rmdir(peer);
	g_rmdir(adapter);
	ck_assert_int_eq(g_rmdir(root), 0);
}

START_TEST(test_bond)
{
	const BondCase *c = &bond_cases[_i];
	g_autofree char *root = make_root(c);
	g_autoptr(GError) error = NULL;
	RbBondInfo out = {RB_KEY_UNKNOWN, 0xee, "untouched"};
	bool ok;

	/* lower case in, BlueZ's upper-case directory names found */
	ok = rb_bondinfo_read(root, "00:aa:01:00:00:23", "c1:22:33:44:55:66",
			      &out, &error);
	ck_assert_msg(ok == c->ok, "%s: %s", c->name,
		      error ? error->message : "no error");
	if (!ok) {
		ck_assert_msg(g_error_matches(error, RB_ERROR, c->code),
			      "%s: %s", c->name, error->message);
		ck_assert(strstr(error->message, "info") != NULL);
		ck_assert_str_eq(out.group, "untouched");
		ck_assert_uint_eq(out.enc_size, 0xee);
	} else {
		ck_assert_msg(out.key_type == c->key_type, "%s: %d", c->name,
			      out.key_type);
		ck_assert_uint_eq(out.enc_size, c->enc_size);
		ck_assert_str_eq(out.group, c->group);
	}
	remove_root(root);
}
END_TEST

static const struct {
	const char *adapter;
	const char *peer;
} bad_addrs[] = {
	{"..", PEER},
	{ADAPTER, "../../etc/passwd"},
	{ADAPTER, "C1:22:33:44:55:6"},
	{NULL, PEER},
	{ADAPTER, NULL},
};

START_TEST(test_bad_address)
{
	g_autoptr(GError) error = NULL;
	RbBondInfo out;

	ck_assert(!rb_bondinfo_read("/nonexistent", bad_addrs[_i].adapter,
				    bad_addrs[_i].peer, &out, &error));
	ck_assert(g_error_matches(error, RB_ERROR, RB_ERROR_INVALID));
}
END_TEST

static Suite *bondinfo_suite(void)
{
	Suite *s = suite_create("kernel-bondinfo");
	TCase *tc = tcase_create("/bondinfo/read");

	tcase_add_loop_test(tc, test_bond, 0, G_N_ELEMENTS(bond_cases));
	tcase_add_loop_test(tc, test_bad_address, 0, G_N_ELEMENTS(bad_addrs));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(bondinfo_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
