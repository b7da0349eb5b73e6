// SPDX-License-Identifier: GPL-2.0-or-later
/* The screen model's text form. */
#include <check.h>
#include <string.h>

#include "core/screen.h"
#include "core/types.h"

typedef struct {
	const char *name;
	RbScreen screen;
	unsigned int cols, rows;
	const char *want[4];
} Case;

#define NAME "Reaction_DDEEFF"

static const Case cases[] = {
	{"/screen/text/idle",
	 {RB_SCREEN_IDLE, NAME, 0, 0, 0, 0},
	 20,
	 4,
	 {NAME}},
	{"/screen/text/pairing",
	 {RB_SCREEN_PAIRING, NAME, 58, 0, 0, 0},
	 20,
	 4,
	 {NAME, "Pairing 58 s", "Pair from your phone"}},
	{"/screen/text/pin-leading-zeros",
	 {RB_SCREEN_PIN, NAME, 9, 4321, 0, 0},
	 20,
	 4,
	 {NAME, "PIN 004321", "9 s left"}},
	{"/screen/text/lockout",
	 {RB_SCREEN_LOCKOUT, NAME, 299, 0, 0, 0},
	 20,
	 4,
	 {NAME, "Locked 4:59", "Too many wrong PINs"}},
	{"/screen/text/stale",
	 {RB_SCREEN_STALE_BOND, NAME, 0, 0, 0, 1},
	 22,
	 4,
	 {NAME, "Forget box on phone", "Hold chord, pair again"}},
	{"/screen/text/paired",
	 {RB_SCREEN_PAIRED_OK, NAME, 0, 0, 0, 0},
	 16,
	 2,
	 {NAME, "Paired OK"}},
	{"/screen/text/failed",
	 {RB_SCREEN_PAIRING_FAILED, NAME, 0, 0, 2, 0},
	 16,
	 4,
	 {NAME, "Wrong PIN", "2 tries left"}},
	{"/screen/text/clipped-rows",
	 {RB_SCREEN_PIN, NAME, 9, 123456, 0, 0},
	 16,
	 2,
	 {NAME, "PIN 123456"}},
	{"/screen/text/clipped-cols",
	 {RB_SCREEN_LOCKOUT, NAME, 60, 0, 0, 0},
	 8,
	 3,
	 {"Reaction", "Locked 1", "Too many"}},
};

START_TEST(test_text)
{
	const Case *c = &cases[_i];
	char lines[4][41];
	unsigned int n, want = 0;

	memset(lines, 'x', sizeof(lines));
	while (want < 4 && c->want[want])
		want++;
	n = rb_screen_render_text(&c->screen, c->cols, c->rows, lines);
	ck_assert_msg(n == want, "%s: %u lines, want %u", c->name, n, want);
	for (unsigned int i = 0; i < n; i++)
		ck_assert_msg(strcmp(lines[i], c->want[i]) == 0,
			      "%s: line %u is '%s', want '%s'", c->name, i,
			      lines[i], c->want[i]);
}
END_TEST

START_TEST(test_equal)
{
	RbScreen a = {RB_SCREEN_PIN, NAME, 9, 1, 0, 0};
	RbScreen b = a;

	ck_assert(rb_screen_equal(&a, &b));
	b.seconds_left = 8;
	ck_assert(!rb_screen_equal(&a, &b));
	b = a;
	b.pin = 2;
	ck_assert(!rb_screen_equal(&a, &b));
	b = a;
	b.name[0] = 'X';
	ck_assert(!rb_screen_equal(&a, &b));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("screen");
	TCase *tc = tcase_create("/screen");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_text, 0,
			    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_equal);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
