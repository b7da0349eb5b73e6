// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Displays through an injected i2c transport: the exact byte streams of
 * the SSD1306 and HD44780 (init, full frame, dirty updates), failure
 * handling, and the file display.
 */
#include "config.h"

#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "hw/display.h"
#include "hw/render.h"

/* ---- a recording transport ---- */

typedef struct {
	char *bus;
	unsigned int addr;
	GPtrArray *writes; /* GBytes */
	int fail_open; /* error code + 1, or 0 */
	int fail_after; /* writes before a NAK; -1: never */
	bool closed;
} FakeBus;

static void *fake_open(const char *bus, unsigned int addr, void *user_data,
		       GError **error)
{
	FakeBus *f = user_data;

	if (f->fail_open) {
		g_set_error(error, RB_ERROR, f->fail_open - 1, "cannot open %s",
			    bus);
		return NULL;
	}
	f->bus = g_strdup(bus);
	f->addr = addr;
	return f;
}

static bool fake_write(void *handle, const uint8_t *buf, size_t len,
		       GError **error)
{
	FakeBus *f = handle;

	if (f->fail_after == 0) {
		g_set_error(error, RB_ERROR, RB_ERROR_IO, "NAK");
		return false;
	}
	if (f->fail_after > 0)
		f->fail_after--;
	g_ptr_array_add(f->writes, g_bytes_new(buf, len));
	return true;
}

static void fake_close(void *handle)
{
	FakeBus *f = handle;

	f->closed = true;
}

static const RbI2cOps fake_ops = {fake_open, fake_write, fake_close};

static void fake_init(FakeBus *f)
{
	memset(f, 0, sizeof(*f));
	f->writes = g_ptr_array_new_with_free_func(
		(GDestroyNotify)g_bytes_unref);
	f->fail_after = -1;
}

static void fake_clear(FakeBus *f)
{
	g_ptr_array_unref(f->writes);
	g_free(f->bus);
}

static void run_loop(void)
{
	for (int i = 0; i < 1000 && g_main_context_iteration(NULL, FALSE); i++)
		;
}

static void assert_write(FakeBus *f, unsigned int i, const uint8_t *want,
			 size_t len)
{
	gsize got_len;
	const uint8_t *got;

	ck_assert_msg(i < f->writes->len, "write %u missing (%u writes)", i,
		      f->writes->len);
	got = g_bytes_get_data(f->writes->pdata[i], &got_len);
	ck_assert_msg(got_len == len, "write %u: %zu bytes, want %zu", i,
		      (size_t)got_len, len);
	ck_assert_msg(memcmp(got, want, len) == 0, "write %u differs", i);
}

#define ASSERT_WRITE(f, i, ...)                                                \
	do {                                                                   \
		const uint8_t w_[] = {__VA_ARGS__};                            \
		assert_write(f, i, w_, sizeof(w_));                            \
	} while (0)

static RbScreen pin_screen(uint32_t pin, uint32_t seconds)
{
	RbScreen s = {.kind = RB_SCREEN_PIN, .pin = pin};

	s.seconds_left = seconds;
	strcpy(s.name, "Reaction_A1B2C3");
	return s;
}

/* ---- SSD1306 ---- */

typedef struct {
	unsigned int height;
	uint8_t mux, compins, contrast;
} Ssd1306Case;

static const Ssd1306Case ssd1306_cases[] = {
	{64, 0x3f, 0x12, 0xcf},
	{32, 0x1f, 0x02, 0x8f},
};

START_TEST(test_ssd1306_full_then_dirty)
{
	const Ssd1306Case *c = &ssd1306_cases[_i];
	g_autoptr(GError) error = NULL;
	RbScreen s = pin_screen(123456, 58);
	unsigned int pages = c->height / 8, w;
	RbFrame a, b;
	RbDisplay *d;
	FakeBus f;

	fake_init(&f);
	d = rb_display_ssd1306_new(&fake_ops, &f, "/dev/i2c-1", 0x3c, c->height,
				   &error);
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(f.bus, "/dev/i2c-1");
	ck_assert_uint_eq(f.addr, 0x3c);
	ck_assert_uint_eq(f.writes->len, 0);

	rb_display_show(d, &s);
	/* Nothing is sent synchronously: the main loop does it. */
	ck_assert_uint_eq(f.writes->len, 0);
	run_loop();
	ASSERT_WRITE(&f, 0, 0x00, 0xae, 0xd5, 0x80, 0xa8, c->mux, 0xd3, 0x00,
		     0x40, 0x8d, 0x14, 0x20, 0x00, 0xa1, 0xc8, 0xda, c->compins,
		     0x81, c->contrast, 0xd9, 0xf1, 0xdb, 0x40, 0xa4, 0xa6,
		     0x2e);
	rb_frame_init(&a, c->height);
	rb_render_screen(&s, &a);
	for (unsigned int p = 0; p < pages; p++) {
		uint8_t data[129] = {0x40};

		ASSERT_WRITE(&f, 1 + 2 * p, 0x00, 0x21, 0, 127, 0x22, p, p);
		memcpy(data + 1, &a.bits[p * 128], 128);
		assert_write(&f, 2 + 2 * p, data, sizeof(data));
	}
	ASSERT_WRITE(&f, 1 + 2 * pages, 0x00, 0xaf);
	ck_assert_uint_eq(f.writes->len, 2 + 2 * pages);

	/* The same screen again: nothing. */
	rb_display_show(d, &s);
	run_loop();
	ck_assert_uint_eq(f.writes->len, 2 + 2 * pages);

	/* A countdown tick: only the changed columns of changed pages. */
	s.seconds_left = 57;
	rb_frame_init(&b, c->height);
	rb_render_screen(&s, &b);
	w = f.writes->len;
	rb_display_show(d, &s);
	run_loop();
	for (unsigned int p = 0; p < pages; p++) {
		unsigned int x0 = 0, x1 = 127;
		uint8_t data[129] = {0x40};

		while (x0 < 128 && a.bits[p * 128 + x0] == b.bits[p * 128 + x0])
			x0++;
		if (x0 == 128)
			continue;
		while (a.bits[p * 128 + x1] == b.bits[p * 128 + x1])
			x1--;
		ASSERT_WRITE(&f, w, 0x00, 0x21, x0, x1, 0x22, p, p);
		memcpy(data + 1, &b.bits[p * 128 + x0], x1 - x0 + 1);
		assert_write(&f, w + 1, data, x1 - x0 + 2);
		/* "58" -> "57" touches one digit, not the whole page. */
		ck_assert_uint_lt(x1 - x0 + 1, 20);
		w += 2;
	}
	ck_assert_uint_gt(w, 2 + 2 * pages);
	ck_assert_uint_eq(f.writes->len, w);

	rb_display_free(d);
	ck_assert(f.closed);
	fake_clear(&f);
}
END_TEST

/* Screens shown while a transfer is under way coalesce: no stale pages. */
START_TEST(test_ssd1306_coalesce)
{
	RbScreen s1 = pin_screen(111111, 30), s2 = pin_screen(222222, 30);
	RbDisplay *d;
	FakeBus f;

	fake_init(&f);
	d = rb_display_ssd1306_new(&fake_ops, &f, "1", 0x3d, 64, NULL);
	ck_assert_ptr_nonnull(d);
	rb_display_show(d, &s1);
	rb_display_show(d, &s2);
	rb_display_flush(d);
	/* init + 8 pages + display on, once. */
	ck_assert_uint_eq(f.writes->len, 1 + 16 + 1);
	rb_display_free(d);
	fake_clear(&f);
}
END_TEST

START_TEST(test_ssd1306_nak_falls_back)
{
	RbScreen s = pin_screen(123456, 58);
	RbDisplay *d;
	FakeBus f;

	fake_init(&f);
	f.fail_after = 3;
	d = rb_display_ssd1306_new(&fake_ops, &f, "1", 0x3c, 64, NULL);
	ck_assert_ptr_nonnull(d);
	rb_display_show(d, &s);
	run_loop();
	ck_assert_uint_eq(f.writes->len, 3);
	/* Failed: later screens go to the log, nothing more is sent. */
	f.fail_after = -1;
	s.seconds_left = 10;
	rb_display_show(d, &s);
	run_loop();
	ck_assert_uint_eq(f.writes->len, 3);
	rb_display_free(d);
	fake_clear(&f);
}
END_TEST

typedef struct {
	const char *name;
	int fail_open;
	unsigned int height;
	RbErrorCode code;
} BadNewCase;

static const BadNewCase bad_new_cases[] = {
	{"missing bus", RB_ERROR_NOT_FOUND + 1, 64, RB_ERROR_NOT_FOUND},
	{"busy address", RB_ERROR_BUSY + 1, 64, RB_ERROR_BUSY},
	{"bad height", 0, 48, RB_ERROR_RANGE},
};

START_TEST(test_ssd1306_bad_new)
{
	const BadNewCase *c = &bad_new_cases[_i];
	g_autoptr(GError) error = NULL;
	RbDisplay *d;
	FakeBus f;

	fake_init(&f);
	f.fail_open = c->fail_open;
	d = rb_display_ssd1306_new(&fake_ops, &f, "/dev/i2c-7", 0x3c, c->height,
				   &error);
	ck_assert_msg(d == NULL, "%s", c->name);
	ck_assert(g_error_matches(error, RB_ERROR, (gint)c->code));
	if (c->fail_open)
		ck_assert_msg(strstr(error->message, "/dev/i2c-7") != NULL,
			      "%s", error->message);
	fake_clear(&f);
}
END_TEST

/* The real transport names the bus when it is missing. */
START_TEST(test_i2c_dev_missing)
{
	g_autoptr(GError) error = NULL;
	RbDisplay *d = rb_display_ssd1306_new(NULL, NULL, "/nonexistent/i2c",
					      0x3c, 64, &error);

	ck_assert_ptr_null(d);
	ck_assert(g_error_matches(error, RB_ERROR, RB_ERROR_NOT_FOUND));
	ck_assert(strstr(error->message, "/nonexistent/i2c") != NULL);
}
END_TEST

/* ---- HD44780 ---- */

/* Default pins: P0=RS P2=E P3=backlight P4..P7=D4..D7. */
#define BL 0x08
#define E 0x04
#define RS 0x01
#define NIB(n, rs)                                                             \
	(uint8_t)(((n) << 4) | BL | (rs) | E), (uint8_t)(((n) << 4) | BL | (rs))
#define CMD(b) NIB((b) >> 4, 0), NIB((b)&0xf, 0)
#define CHR(b) NIB((b) >> 4, RS), NIB((b)&0xf, RS)

static void assert_hd44780_init(FakeBus *f)
{
	ASSERT_WRITE(f, 0, BL);
	ASSERT_WRITE(f, 1, NIB(3, 0));
	ASSERT_WRITE(f, 2, NIB(3, 0));
	ASSERT_WRITE(f, 3, NIB(3, 0));
	ASSERT_WRITE(f, 4, NIB(2, 0));
	ASSERT_WRITE(f, 5, CMD(0x28));
	ASSERT_WRITE(f, 6, CMD(0x08));
	ASSERT_WRITE(f, 7, CMD(0x01));
	ASSERT_WRITE(f, 8, CMD(0x06));
	ASSERT_WRITE(f, 9, CMD(0x0c));
}

START_TEST(test_hd44780_16x2)
{
	g_autoptr(GError) error = NULL;
	RbScreen s = pin_screen(123456, 58);
	RbDisplay *d;
	FakeBus f;

	fake_init(&f);
	d = rb_display_hd44780_new(&fake_ops, &f, "/dev/i2c-1", 0x27, 16, 2,
				   NULL, &error);
	ck_assert_ptr_nonnull(d);
	rb_display_show(d, &s);
	rb_display_flush(d);
	assert_hd44780_init(&f);
	/* "PIN 123456" centred in 16: column 3 of row 0. */
	ASSERT_WRITE(&f, 10, CMD(0x80 | 0x03), CHR('P'), CHR('I'), CHR('N'),
		     CHR(' '), CHR('1'), CHR('2'), CHR('3'), CHR('4'), CHR('5'),
		     CHR('6'));
	/* "58 s left" centred: column 3 of row 1 (0x40). */
	ASSERT_WRITE(&f, 11, CMD(0x80 | 0x43), CHR('5'), CHR('8'), CHR(' '),
		     CHR('s'), CHR(' '), CHR('l'), CHR('e'), CHR('f'),
		     CHR('t'));
	ck_assert_uint_eq(f.writes->len, 12);

	/* A tick rewrites one character. */
	s.seconds_left = 57;
	rb_display_show(d, &s);
	run_loop();
	ASSERT_WRITE(&f, 12, CMD(0x80 | 0x44), CHR('7'));
	ck_assert_uint_eq(f.writes->len, 13);
	rb_display_free(d);
	fake_clear(&f);
}
END_TEST

START_TEST(test_hd44780_20x4_custom_pins)
{
	/* A backpack wired D4..D7 = P0..P3, RS=P4 RW=P5 E=P6 BL=P7. */
	const RbHd44780Pins pins = {
		.rs = 4,
		.rw = 5,
		.e = 6,
		.backlight = 7,
		.d = {0, 1, 2, 3},
	};
	RbScreen s = {.kind = RB_SCREEN_PAIRED_OK, .name = "AB"};
	RbDisplay *d;
	FakeBus f;

	fake_init(&f);
	d = rb_display_hd44780_new(&fake_ops, &f, "1", 0x3f, 20, 4, &pins,
				   NULL);
	ck_assert_ptr_nonnull(d);
	rb_display_show(d, &s);
	rb_display_flush(d);
	ASSERT_WRITE(&f, 0, 0x80);
	ASSERT_WRITE(&f, 1, 0xc3, 0x83); /* nibble 3: BL|E|3, BL|3 */
	/* "AB" centred in 20 on row 0: column 9. 'A' = 0x41. */
	ASSERT_WRITE(&f, 10, 0xc8, 0x88, 0xc9, 0x89, /* cmd 0x89 */
		     0xd4, 0x94, 0xd1, 0x91, /* 'A' with RS */
		     0xd4, 0x94, 0xd2, 0x92); /* 'B' */
	/* "Paired OK" centred on row 1 (0x40): column 5 -> 0xc5. */
	{
		gsize len;
		const uint8_t *b = g_bytes_get_data(f.writes->pdata[11], &len);

		ck_assert_uint_eq(len, 4 * 10);
		ck_assert_uint_eq(b[0], 0xcc);
		ck_assert_uint_eq(b[2], 0xc5);
	}
	ck_assert_uint_eq(f.writes->len, 12);
	rb_display_free(d);
	fake_clear(&f);
}
END_TEST

typedef struct {
	unsigned int cols, rows;
	RbHd44780Pins pins;
	RbErrorCode code;
} Hd44780BadCase;

static const Hd44780BadCase hd44780_bad_cases[] = {
	{16, 4, {0, 1, 2, 3, {4, 5, 6, 7}}, RB_ERROR_RANGE},
	{40, 2, {0, 1, 2, 3, {4, 5, 6, 7}}, RB_ERROR_RANGE},
	{16, 2, {0, 0, 2, 3, {4, 5, 6, 7}}, RB_ERROR_INVALID},
	{16, 2, {0, 1, 2, 3, {4, 5, 6, 8}}, RB_ERROR_INVALID},
};

START_TEST(test_hd44780_bad)
{
	const Hd44780BadCase *c = &hd44780_bad_cases[_i];
	g_autoptr(GError) error = NULL;
	FakeBus f;

	fake_init(&f);
	ck_assert_ptr_null(rb_display_hd44780_new(
		&fake_ops, &f, "1", 0x27, c->cols, c->rows, &c->pins, &error));
	ck_assert(g_error_matches(error, RB_ERROR, (gint)c->code));
	ck_assert_uint_eq(f.writes->len, 0);
	fake_clear(&f);
}
END_TEST

/* ---- file ---- */

START_TEST(test_file_display)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("rb-display-XXXXXX", &error);
	g_autofree char *prefix = NULL, *txt = NULL, *pbm = NULL;
	g_autofree char *text = NULL, *image = NULL, *expected = NULL;
	g_autoptr(GBytes) want = NULL;
	RbScreen s = pin_screen(42, 58);
	RbFrame frame;
	gsize len;
	RbDisplay *d;

	ck_assert_ptr_nonnull(dir);
	prefix = g_build_filename(dir, "screen", NULL);
	txt = g_strconcat(prefix, ".txt", NULL);
	pbm = g_strconcat(prefix, ".pbm", NULL);
	d = rb_display_file_new(prefix, RB_DISPLAY_FILE_PBM, 64, &error);
	ck_assert_ptr_nonnull(d);
	rb_display_show(d, &s);
	ck_assert(g_file_get_contents(txt, &text, NULL, NULL));
	ck_assert_str_eq(text, "PIN 000042 58\nReaction_A1B2C3\n"
			       "Reaction_A1B2C3\nPIN 000042\n"
			       "Type it on phone\n58 s left\n");
	ck_assert(g_file_get_contents(pbm, &image, &len, NULL));
	rb_frame_init(&frame, 64);
	rb_render_screen(&s, &frame);
	want = rb_frame_to_pbm(&frame, false);
	ck_assert_uint_eq(len, g_bytes_get_size(want));
	ck_assert(memcmp(image, g_bytes_get_data(want, NULL), len) == 0);
	rb_display_free(d);

	/* The expected image of the tests is what the file display writes. */
	expected = g_build_filename(TEST_DATA_DIR, "screens",
				    "pin-leading-zeros-64.pbm", NULL);
	g_free(image);
	image = NULL;
	s.seconds_left = 7;
	d = rb_display_file_new(prefix, RB_DISPLAY_FILE_PBM, 64, &error);
	rb_display_show(d, &s);
	rb_display_free(d);
	{
		g_autofree char *a = NULL, *b = NULL;
		gsize la, lb;

		ck_assert(g_file_get_contents(pbm, &a, &la, NULL));
		ck_assert(g_file_get_contents(expected, &b, &lb, NULL));
		ck_assert_uint_eq(la, lb);
		ck_assert(memcmp(a, b, la) == 0);
	}

	/* PGM: .pgm */
	d = rb_display_file_new(prefix, RB_DISPLAY_FILE_PGM, 32, &error);
	ck_assert_ptr_nonnull(d);
	rb_display_show(d, &s);
	rb_display_free(d);
	{
		g_autofree char *pgm = g_strconcat(prefix, ".pgm", NULL);
		g_autofree char *data = NULL;

		ck_assert(g_file_get_contents(pgm, &data, &len, NULL));
		ck_assert(g_str_has_prefix(data, "P5\n128 32\n255\n"));
		ck_assert_uint_eq(len, strlen("P5\n128 32\n255\n") + 128 * 32);
		g_unlink(pgm);
	}
	/* No temp files left behind. */
	{
		g_autoptr(GDir) gd = g_dir_open(dir, 0, NULL);
		unsigned int n = 0;

		while (g_dir_read_name(gd))
			n++;
		ck_assert_uint_eq(n, 2);
	}
	g_unlink(txt);
	g_unlink(pbm);
	g_rmdir(dir);
}
END_TEST

/*
 * The .txt holds the PIN: both files are 0600 whatever the umask, also when
 * they replace looser files, and a symlink in their place is replaced, not
 * followed.
 */
static const mode_t file_umasks[] = {0, 022, 077, 0277};

START_TEST(test_file_display_mode)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("rb-display-XXXXXX", &error);
	g_autofree char *prefix = NULL, *txt = NULL, *pbm = NULL;
	g_autofree char *victim = NULL, *content = NULL;
	const char *const paths[2] = {NULL, NULL};
	const char **p = (const char **)paths;
	RbScreen s = pin_screen(251798, 58);
	struct stat st;
	mode_t old;
	RbDisplay *d;

	ck_assert_ptr_nonnull(dir);
	prefix = g_build_filename(dir, "screen", NULL);
	txt = g_strconcat(prefix, ".txt", NULL);
	pbm = g_strconcat(prefix, ".pbm", NULL);
	victim = g_build_filename(dir, "victim", NULL);
	p[0] = txt;
	p[1] = pbm;
	/* A loose old image, and the text a symlink to another file. */
	ck_assert(g_file_set_contents(pbm, "old", -1, NULL));
	ck_assert_int_eq(chmod(pbm, 0666), 0);
	ck_assert(g_file_set_contents(victim, "keep", -1, NULL));
	ck_assert_int_eq(symlink(victim, txt), 0);

	old = umask(file_umasks[_i]);
	d = rb_display_file_new(prefix, RB_DISPLAY_FILE_PBM, 64, &error);
	ck_assert_ptr_nonnull(d);
	rb_display_show(d, &s);
	s.seconds_left = 57;
	rb_display_show(d, &s);
	rb_display_free(d);
	umask(old);

	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(lstat(paths[i], &st), 0);
		ck_assert_msg(S_ISREG(st.st_mode), "%s not a file", paths[i]);
		ck_assert_msg((st.st_mode & 07777) == 0600,
			      "%s has mode %04o under umask %04o", paths[i],
			      (unsigned int)(st.st_mode & 07777),
			      (unsigned int)file_umasks[_i]);
		ck_assert_uint_eq(st.st_uid, geteuid());
	}
	ck_assert(g_file_get_contents(txt, &content, NULL, NULL));
	ck_assert(g_str_has_prefix(content, "PIN 251798 57\n"));
	g_free(content);
	ck_assert(g_file_get_contents(victim, &content, NULL, NULL));
	ck_assert_str_eq(content, "keep");
	g_unlink(txt);
	g_unlink(pbm);
	g_unlink(victim);
	g_rmdir(dir);
}
END_TEST

START_TEST(test_file_display_bad)
{
	g_autoptr(GError) e1 = NULL;
	g_autoptr(GError) e2 = NULL;

	ck_assert_ptr_null(rb_display_file_new("/nonexistent/dir/screen",
					       RB_DISPLAY_FILE_PBM, 64, &e1));
	ck_assert(g_error_matches(e1, RB_ERROR, RB_ERROR_NOT_FOUND));
	ck_assert_ptr_null(
		rb_display_file_new("/tmp/x", RB_DISPLAY_FILE_PBM, 16, &e2));
	ck_assert(g_error_matches(e2, RB_ERROR, RB_ERROR_RANGE));
}
END_TEST

START_TEST(test_none_display)
{
	RbScreen s = pin_screen(1, 2);
	RbDisplay *d = rb_display_none_new();

	ck_assert_ptr_nonnull(d);
	rb_display_show(d, &s);
	rb_display_flush(d);
	rb_display_free(d);
	rb_display_free(NULL);
}
END_TEST

static Suite *display_suite(void)
{
	Suite *s = suite_create("display");
	TCase *tc;

	tc = tcase_create("/display/ssd1306");
	tcase_add_loop_test(tc, test_ssd1306_full_then_dirty, 0,
			    G_N_ELEMENTS(ssd1306_cases));
	tcase_add_test(tc, test_ssd1306_coalesce);
	tcase_add_test(tc, test_ssd1306_nak_falls_back);
	tcase_add_loop_test(tc, test_ssd1306_bad_new, 0,
			    G_N_ELEMENTS(bad_new_cases));
	tcase_add_test(tc, test_i2c_dev_missing);
	suite_add_tcase(s, tc);
	tc = tcase_create("/display/hd44780");
	tcase_add_test(tc, test_hd44780_16x2);
	tcase_add_test(tc, test_hd44780_20x4_custom_pins);
	tcase_add_loop_test(tc, test_hd44780_bad, 0,
			    G_N_ELEMENTS(hd44780_bad_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("/display/file");
	tcase_add_test(tc, test_file_display);
	tcase_add_loop_test(tc, test_file_display_mode, 0,
			    G_N_ELEMENTS(file_umasks));
	tcase_add_test(tc, test_file_display_bad);
	tcase_add_test(tc, test_none_display);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(display_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
