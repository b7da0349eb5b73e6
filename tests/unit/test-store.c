// SPDX-License-Identifier: GPL-2.0-or-later
#include <check.h>
#include <glib/gstdio.h>

#include "core/error.h"
#include "store/store.h"

START_TEST(test_save_load)
{
	g_autofree char *dir = g_dir_make_tmp("rb-store-XXXXXX", NULL);
	g_autoptr(RbStore) store = rb_store_open(dir, NULL);
	g_autoptr(GError) error = NULL;
	RbState st, back;

	ck_assert_ptr_nonnull(store);
	rb_state_init(&st);
	st.pin_failures = 2;
	ck_assert(rb_store_save(store, &st, &error));
	ck_assert(rb_store_load(store, &back, 1, 5000, &error));
	ck_assert_uint_eq(back.pin_failures, 2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("/store/save-load");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_save_load);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
