// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The renderer against the expected images in tests/data/screens/, and the
 * text layout against tables. RB_UPDATE_SCREENS=1 rewrites the images
 * (then look at them before committing).
 */
#include "config.h"

#include <check.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "core/types.h"
#include "hw/render.h"

typedef struct {
	const char *file;
	RbScreen screen;
	unsigned int height;
} ImageCase;

#define NAME "Reaction_A1B2C3"

static const ImageCase image_cases[] = {
	{"idle-64", {.kind = RB_SCREEN_IDLE, .name = NAME}, 64},
	{"pairing-64",
	 {.kind = RB_SCREEN_PAIRING, .name = NAME, .seconds_left = 58},
	 64},
	{"pin-64",
	 {.kind = RB_SCREEN_PIN,
	  .name = NAME,
	  .seconds_left = 58,
	  .pin = 123456},
	 64},
	{"pin-leading-zeros-64",
	 {.kind = RB_SCREEN_PIN, .name = NAME, .seconds_left = 7, .pin = 42},
	 64},
	{"lockout-64",
	 {.kind = RB_SCREEN_LOCKOUT, .name = NAME, .seconds_left = 299},
	 64},
	{"stale-bond-64",
	 {.kind = RB_SCREEN_STALE_BOND,
	  .name = NAME,
	  .stale = RB_STALE_PHONE_HAS_STALE_BOND},
	 64},
	{"paired-ok-64", {.kind = RB_SCREEN_PAIRED_OK, .name = NAME}, 64},
	{"pairing-failed-64",
	 {.kind = RB_SCREEN_PAIRING_FAILED, .name = NAME, .attempts_left = 2},
	 64},
	{"idle-32", {.kind = RB_SCREEN_IDLE, .name = NAME}, 32},
	{"pairing-32",
	 {.kind = RB_SCREEN_PAIRING, .name = NAME, .seconds_left = 58},
	 32},
	{"pin-32",
	 {.kind = RB_SCREEN_PIN,
	  .name = NAME,
	  .seconds_left = 58,
	  .pin = 987654},
	 32},
	{"lockout-32",
	 {.kind = RB_SCREEN_LOCKOUT, .name = NAME, .seconds_left = 299},
	 32},
	{"stale-bond-32",
	 {.kind = RB_SCREEN_STALE_BOND,
	  .name = NAME,
	  .stale = RB_STALE_BOX_HAS_STALE_BOND},
	 32},
	{"paired-ok-32", {.kind = RB_SCREEN_PAIRED_OK, .name = NAME}, 32},
	{"pairing-failed-32",
	 {.kind = RB_SCREEN_PAIRING_FAILED, .name = NAME, .attempts_left = 1},
	 32},
};

START_TEST(test_image)
{
	const ImageCase *c = &image_cases[_i];
	g_autofree char *path = NULL;
	g_autofree char *expected = NULL;
	g_autoptr(GBytes) got = NULL;
	g_autoptr(GError) error = NULL;
	RbFrame frame;
	gsize len;

	path = g_strdup_printf("%s/screens/%s.pbm", TEST_DATA_DIR, c->file);
	rb_frame_init(&frame, c->height);
	rb_render_screen(&c->screen, &frame);
	got = rb_frame_to_pbm(&frame, false);
	if (g_getenv("RB_UPDATE_SCREENS"))
		ck_assert(g_file_set_contents(path, g_bytes_get_data(got, NULL),
					      (gssize)g_bytes_get_size(got),
					      NULL));
	ck_assert_msg(g_file_get_contents(path, &expected, &len, &error), "%s",
		      error ? error->message : "");
	ck_assert_uint_eq(len, g_bytes_get_size(got));
	ck_assert_msg(memcmp(expected, g_bytes_get_data(got, NULL), len) == 0,
		      "%s differs from the rendering", path);
}
END_TEST

/* The render only draws inside the frame and clears what was there. */
START_TEST(test_render_clears)
{
	RbScreen s = {.kind = RB_SCREEN_IDLE, .name = "X"};
	RbFrame frame;
	unsigned int lit = 0;

	rb_frame_init(&frame, 64);
	memset(frame.bits, 0xff, sizeof(frame.bits));
	rb_render_screen(&s, &frame);
	for (unsigned int y = 0; y < 64; y++)
		for (unsigned int x = 0; x < RB_FRAME_WIDTH; x++)
			lit += rb_frame_get(&frame, x, y);
	/* 'X' in the 5x7 font has 13 lit pixels. */
	ck_assert_uint_eq(lit, 13);
}
END_TEST

/* A name of 32 characters without a NUL is cut, not overrun. */
START_TEST(test_render_unterminated_name)
{
	RbScreen s = {.kind = RB_SCREEN_PAIRED_OK};
	char lines[4][RB_TEXT_MAX_COLS + 1];
	RbFrame frame;

	memset(s.name, 'W', sizeof(s.name));
	rb_frame_init(&frame, 64);
	rb_render_screen(&s, &frame);
	ck_assert_uint_eq(rb_render_lines(&s, 40, 4, lines), 2);
	ck_assert_uint_eq(strlen(lines[0]), 32);
	ck_assert_uint_eq(rb_render_lines(&s, 16, 2, lines), 2);
	ck_assert_str_eq(lines[0], "WWWWWWWWWWWWWWWW");
}
END_TEST

typedef struct {
	const char *name;
	RbScreen screen;
	unsigned int cols, rows;
	const char *expected[4];
} LinesCase;

static const LinesCase lines_cases[] = {
	{"idle 16x2", {.kind = RB_SCREEN_IDLE, .name = NAME}, 16, 2, {NAME}},
	{"pin 16x2",
	 {.kind = RB_SCREEN_PIN, .name = NAME, .pin = 7, .seconds_left = 9},
	 16,
	 2,
	 {"PIN 000007", "9 s left"}},
	{"pin 20x4",
	 {.kind = RB_SCREEN_PIN,
	  .name = NAME,
	  .pin = 123456,
	  .seconds_left = 58},
	 20,
	 4,
	 {NAME, "PIN 123456", "Type it on phone", "58 s left"}},
	{"pairing 16x2",
	 {.kind = RB_SCREEN_PAIRING, .name = NAME, .seconds_left = 60},
	 16,
	 2,
	 {"Pairing mode", "60 s left"}},
	{"lockout 16x2",
	 {.kind = RB_SCREEN_LOCKOUT, .name = NAME, .seconds_left = 299},
	 16,
	 2,
	 {"Pairing locked", "Locked 4:59"}},
	{"lockout long 20x4",
	 {.kind = RB_SCREEN_LOCKOUT, .name = NAME, .seconds_left = 3725},
	 20,
	 4,
	 {NAME, "Pairing locked", "Locked 62:05"}},
	{"stale 20x4",
	 {.kind = RB_SCREEN_STALE_BOND, .name = NAME, .stale = 1},
	 20,
	 4,
	 {"Pairing out of date", "Forget box on phone,", "hold chord, pair",
	  "again"}},
	{"stale 16x2",
	 {.kind = RB_SCREEN_STALE_BOND, .name = NAME, .stale = 2},
	 16,
	 2,
	 {"Forget on phone,", "hold chord+pair"}},
	{"paired 16x2",
	 {.kind = RB_SCREEN_PAIRED_OK, .name = NAME},
	 16,
	 2,
	 {NAME, "Paired OK"}},
	{"failed 2 16x2",
	 {.kind = RB_SCREEN_PAIRING_FAILED, .name = NAME, .attempts_left = 2},
	 16,
	 2,
	 {"Wrong PIN", "2 tries left"}},
	{"failed 1 20x4",
	 {.kind = RB_SCREEN_PAIRING_FAILED, .name = NAME, .attempts_left = 1},
	 20,
	 4,
	 {NAME, "Wrong PIN", "1 try left"}},
	{"failed 0 16x2",
	 {.kind = RB_SCREEN_PAIRING_FAILED, .name = NAME, .attempts_left = 0},
	 16,
	 2,
	 {"Wrong PIN", "No tries left"}},
	{"pin 8x1 cut",
	 {.kind = RB_SCREEN_PIN, .name = NAME, .pin = 123456},
	 8,
	 1,
	 {"PIN 1234"}},
};

START_TEST(test_lines)
{
	const LinesCase *c = &lines_cases[_i];
	char lines[4][RB_TEXT_MAX_COLS + 1];
	unsigned int n, want = 0;

	while (want < 4 && c->expected[want])
		want++;
	n = rb_render_lines(&c->screen, c->cols, c->rows, lines);
	ck_assert_msg(n == want, "%s: %u lines, want %u", c->name, n, want);
	for (unsigned int i = 0; i < n; i++) {
		ck_assert_msg(strcmp(lines[i], c->expected[i]) == 0,
			      "%s: line %u \"%s\", want \"%s\"", c->name, i,
			      lines[i], c->expected[i]);
		ck_assert_uint_le(strlen(lines[i]), c->cols);
	}
}
END_TEST

typedef struct {
	RbScreen screen;
	const char *summary;
} SummaryCase;

static const SummaryCase summary_cases[] = {
	{{.kind = RB_SCREEN_IDLE}, "IDLE"},
	{{.kind = RB_SCREEN_PAIRING, .seconds_left = 58}, "PAIRING 58"},
	{{.kind = RB_SCREEN_PIN, .pin = 4321, .seconds_left = 3},
	 "PIN 004321 3"},
	{{.kind = RB_SCREEN_LOCKOUT, .seconds_left = 299}, "LOCKOUT 299"},
	{{.kind = RB_SCREEN_STALE_BOND, .stale = 1}, "STALE_BOND BOX"},
	{{.kind = RB_SCREEN_STALE_BOND, .stale = 2}, "STALE_BOND PHONE"},
	{{.kind = RB_SCREEN_PAIRED_OK}, "PAIRED_OK"},
	{{.kind = RB_SCREEN_PAIRING_FAILED, .attempts_left = 2},
	 "PAIRING_FAILED 2"},
};

START_TEST(test_summary)
{
	g_autofree char *s = rb_render_summary(&summary_cases[_i].screen);

	ck_assert_str_eq(s, summary_cases[_i].summary);
}
END_TEST

START_TEST(test_pbm_ascii_and_pgm)
{
	g_autoptr(GBytes) p1 = NULL;
	g_autoptr(GBytes) p5 = NULL;
	const char *s;
	const uint8_t *g;
	RbFrame frame;

	rb_frame_init(&frame, 32);
	rb_frame_set(&frame, 0, 0, true);
	rb_frame_set(&frame, 127, 31, true);
	p1 = rb_frame_to_pbm(&frame, true);
	s = g_bytes_get_data(p1, NULL);
	ck_assert(g_str_has_prefix(s, "P1\n128 32\n10000000"));
	ck_assert_uint_eq(g_bytes_get_size(p1),
			  strlen("P1\n128 32\n") + 32 * (128 + 2));
	p5 = rb_frame_to_pgm(&frame);
	g = g_bytes_get_data(p5, NULL);
	ck_assert_uint_eq(g_bytes_get_size(p5),
			  strlen("P5\n128 32\n255\n") + 128 * 32);
	ck_assert_uint_eq(g[strlen("P5\n128 32\n255\n")], 255);
	ck_assert_uint_eq(g[strlen("P5\n128 32\n255\n") + 1], 0);
	ck_assert_uint_eq(g[g_bytes_get_size(p5) - 1], 255);
}
END_TEST

static Suite *render_suite(void)
{
	Suite *s = suite_create("render");
	TCase *tc;

	tc = tcase_create("/render/image");
	tcase_add_loop_test(tc, test_image, 0, G_N_ELEMENTS(image_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("/render/frame");
	tcase_add_test(tc, test_render_clears);
	tcase_add_test(tc, test_render_unterminated_name);
	tcase_add_test(tc, test_pbm_ascii_and_pgm);
	suite_add_tcase(s, tc);
	tc = tcase_create("/render/lines");
	tcase_add_loop_test(tc, test_lines, 0, G_N_ELEMENTS(lines_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("/render/summary");
	tcase_add_loop_test(tc, test_summary, 0, G_N_ELEMENTS(summary_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(render_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
