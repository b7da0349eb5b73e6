// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Button sources: the pure translations (gpio, evdev, FIFO lines) from
 * tables, the FIFO source end to end on a real FIFO, the evdev source on a
 * pipe, and the errors of the gpiod and evdev constructors.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "hw/buttons.h"

/* ---- recording ---- */

typedef struct {
	RbButtonEdge edges[32];
	unsigned int n;
} Recorder;

static void record_cb(RbButton button, bool pressed, uint64_t ts,
		      void *user_data)
{
	Recorder *r = user_data;

	ck_assert_uint_lt(r->n, G_N_ELEMENTS(r->edges));
	r->edges[r->n].button = button;
	r->edges[r->n].pressed = pressed;
	r->edges[r->n].timestamp_ms = ts;
	r->n++;
}

static gboolean timeout_cb(gpointer data)
{
	*(bool *)data = true;
	return G_SOURCE_REMOVE;
}

/* Runs the default context until @r has @n edges (or 5 s passed). */
static void wait_edges(Recorder *r, unsigned int n)
{
	bool timed_out = false;
	guint id = g_timeout_add(5000, timeout_cb, &timed_out);

	while (r->n < n && !timed_out)
		g_main_context_iteration(NULL, TRUE);
	if (!timed_out)
		g_source_remove(id);
	/* Then whatever else is ready, to catch extra edges. */
	while (g_main_context_iteration(NULL, FALSE))
		;
}

/* ---- gpio ---- */

typedef struct {
	unsigned int offset;
	bool rising;
	uint64_t ts_ns;
	bool ok;
	RbButton button;
	bool pressed;
	uint64_t ms;
} GpioCase;

static const unsigned int gpio_offsets[RB_BUTTON_COUNT] = {17, 27, 22, 23};

static const GpioCase gpio_cases[] = {
	{17, true, 1500000000ull, true, RB_BUTTON_QUIZZER_RESET, true, 1500},
	{17, false, 1999999ull, true, RB_BUTTON_QUIZZER_RESET, false, 1},
	{27, true, 0, true, RB_BUTTON_TIMER_RESET, true, 0},
	{22, false, 123456789012ull, true, RB_BUTTON_TIMER_530, false, 123456},
	{23, true, 42000000ull, true, RB_BUTTON_CONTEST, true, 42},
	{24, true, 42000000ull, false, 0, false, 0},
	{0, false, 0, false, 0, false, 0},
};

START_TEST(test_gpio_translate)
{
	const GpioCase *c = &gpio_cases[_i];
	RbButtonEdge e = {0};
	bool ok = rb_buttons_gpio_translate(gpio_offsets, c->offset, c->rising,
					    c->ts_ns, &e);

	ck_assert_int_eq(ok, c->ok);
	if (!ok)
		return;
	ck_assert_int_eq(e.button, c->button);
	ck_assert_int_eq(e.pressed, c->pressed);
	ck_assert_uint_eq(e.timestamp_ms, c->ms);
}
END_TEST

typedef struct {
	const char *spec;
	bool ok;
	bool is_offset;
	unsigned int offset;
} LineCase;

static const LineCase line_cases[] = {
	{"17", true, true, 17},	      {"0", true, true, 0},
	{"GPIO17", true, false, 0},   {"PIN_11", true, false, 0},
	{"", false, false, 0},	      {NULL, false, false, 0},
	{"17x", false, false, 0},     {"-1", false, false, 0},
	{"GPIO 17", false, false, 0}, {"99999", false, false, 0},
};

START_TEST(test_gpio_parse_line)
{
	const LineCase *c = &line_cases[_i];
	unsigned int off = 999;
	bool is_off = false;

	ck_assert_int_eq(rb_buttons_gpio_parse_line(c->spec, &off, &is_off),
			 c->ok);
	if (!c->ok)
		return;
	ck_assert_int_eq(is_off, c->is_offset);
	if (c->is_offset)
		ck_assert_uint_eq(off, c->offset);
}
END_TEST

START_TEST(test_gpio_bias)
{
	static const struct {
		const char *s;
		bool ok;
		RbGpioBias bias;
	} cases[] = {
		{"pull-up", true, RB_GPIO_BIAS_PULL_UP},
		{"Pull-Down", true, RB_GPIO_BIAS_PULL_DOWN},
		{"disable", true, RB_GPIO_BIAS_DISABLE},
		{"as-is", true, RB_GPIO_BIAS_AS_IS},
		{"pullup", false, 0},
		{NULL, false, 0},
	};

	for (unsigned int i = 0; i < G_N_ELEMENTS(cases); i++) {
		RbGpioBias b = RB_GPIO_BIAS_AS_IS;

		ck_assert_int_eq(rb_gpio_bias_from_string(cases[i].s, &b),
				 cases[i].ok);
		if (cases[i].ok)
			ck_assert_int_eq(b, cases[i].bias);
	}
}
END_TEST

typedef struct {
	const char *chip;
	const char *lines[RB_BUTTON_COUNT];
	RbErrorCode code;
	const char *in_message;
} GpiodBadCase;

static const GpiodBadCase gpiod_bad_cases[] = {
	{"/dev/rb-test-no-such-gpiochip",
	 {"17", "27", "22", "23"},
	 RB_ERROR_NOT_FOUND,
	 "/dev/rb-test-no-such-gpiochip"},
	{"gpiochip0", {"17", "", "22", "23"}, RB_ERROR_INVALID, "TIMER_RESET"},
	{"gpiochip0",
	 {"17", "27", "22", "GPIO 23"},
	 RB_ERROR_INVALID,
	 "CONTEST"},
};

START_TEST(test_gpiod_bad)
{
	const GpiodBadCase *c = &gpiod_bad_cases[_i];
	RbButtonsGpiodOptions opts = {.chip = c->chip, .active_low = true};
	g_autoptr(GError) error = NULL;
	Recorder r = {0};

	memcpy(opts.lines, c->lines, sizeof(opts.lines));
	ck_assert_ptr_null(rb_buttons_gpiod_new(&opts, record_cb, &r, &error));
	ck_assert_msg(g_error_matches(error, RB_ERROR, (gint)c->code), "%s",
		      error ? error->message : "no error");
	ck_assert_msg(strstr(error->message, c->in_message) != NULL, "%s",
		      error->message);
	ck_assert_uint_eq(r.n, 0);
}
END_TEST

/* ---- evdev ---- */

static const unsigned int evdev_keys[RB_BUTTON_COUNT] = {KEY_1, KEY_2, KEY_3,
							 KEY_4};

static struct input_event ev(unsigned short type, unsigned short code,
			     int value, long sec, long usec)
{
	struct input_event e;

	memset(&e, 0, sizeof(e));
	e.input_event_sec = sec;
	e.input_event_usec = usec;
	e.type = type;
	e.code = code;
	e.value = value;
	return e;
}

typedef struct {
	unsigned short type, code;
	int value;
	bool ok;
	RbButton button;
	bool pressed;
} EvdevCase;

static const EvdevCase evdev_cases[] = {
	{EV_KEY, KEY_1, 1, true, RB_BUTTON_QUIZZER_RESET, true},
	{EV_KEY, KEY_1, 0, true, RB_BUTTON_QUIZZER_RESET, false},
	{EV_KEY, KEY_4, 1, true, RB_BUTTON_CONTEST, true},
	{EV_KEY, KEY_3, 0, true, RB_BUTTON_TIMER_530, false},
	{EV_KEY, KEY_1, 2, false, 0, false}, /* autorepeat */
	{EV_KEY, KEY_5, 1, false, 0, false}, /* unmapped */
	{EV_SYN, SYN_REPORT, 0, false, 0, false},
	{EV_MSC, MSC_SCAN, 1, false, 0, false},
	{EV_KEY, KEY_2, 7, false, 0, false},
};

START_TEST(test_evdev_translate)
{
	const EvdevCase *c = &evdev_cases[_i];
	struct input_event e = ev(c->type, c->code, c->value, 12, 345678);
	RbButtonEdge out = {0};

	ck_assert_int_eq(rb_buttons_evdev_translate(evdev_keys, &e, &out),
			 c->ok);
	if (!c->ok)
		return;
	ck_assert_int_eq(out.button, c->button);
	ck_assert_int_eq(out.pressed, c->pressed);
	ck_assert_uint_eq(out.timestamp_ms, 12345);
}
END_TEST

static void write_all(int fd, const void *buf, size_t len)
{
	ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
}

START_TEST(test_evdev_pipe)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(RbButtonsSource) src = NULL;
	struct input_event evs[] = {
		ev(EV_MSC, MSC_SCAN, 4, 1, 0),
		ev(EV_KEY, KEY_2, 1, 1, 500000), /* TIMER_RESET down */
		ev(EV_SYN, SYN_REPORT, 0, 1, 500000),
		ev(EV_KEY, KEY_2, 2, 1, 900000), /* autorepeat */
		ev(EV_KEY, KEY_9, 1, 2, 0), /* not ours */
		ev(EV_KEY, KEY_2, 0, 2, 250000), /* up */
		ev(EV_KEY, KEY_4, 1, 3, 1000), /* CONTEST down */
	};
	Recorder r = {0};
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	src = rb_buttons_evdev_new_from_fd(fds[0], evdev_keys, record_cb, &r,
					   &error);
	ck_assert_ptr_nonnull(src);
	/* The last event split across two writes. */
	write_all(fds[1], evs, sizeof(evs) - 5);
	wait_edges(&r, 2);
	ck_assert_uint_eq(r.n, 2);
	write_all(fds[1], (const uint8_t *)evs + sizeof(evs) - 5, 5);
	wait_edges(&r, 3);
	ck_assert_uint_eq(r.n, 3);
	ck_assert_int_eq(r.edges[0].button, RB_BUTTON_TIMER_RESET);
	ck_assert(r.edges[0].pressed);
	ck_assert_uint_eq(r.edges[0].timestamp_ms, 1500);
	ck_assert_int_eq(r.edges[1].button, RB_BUTTON_TIMER_RESET);
	ck_assert(!r.edges[1].pressed);
	ck_assert_uint_eq(r.edges[1].timestamp_ms, 2250);
	ck_assert_int_eq(r.edges[2].button, RB_BUTTON_CONTEST);
	ck_assert(r.edges[2].pressed);
	ck_assert_uint_eq(r.edges[2].timestamp_ms, 3001);
	close(fds[1]);
}
END_TEST

START_TEST(test_evdev_bad)
{
	static const unsigned int dup_keys[RB_BUTTON_COUNT] = {KEY_1, KEY_2,
							       KEY_1, KEY_4};
	static const unsigned int zero_keys[RB_BUTTON_COUNT] = {KEY_1, 0, KEY_3,
								KEY_4};
	g_autoptr(GError) e1 = NULL;
	g_autoptr(GError) e2 = NULL;
	g_autoptr(GError) e3 = NULL;
	g_autoptr(GError) e4 = NULL;
	g_autofree char *dir = g_dir_make_tmp("rb-evdev-XXXXXX", NULL);
	RbButtonsEvdevOptions opts = {.device = "/dev/rb-test-no-such-input"};
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_ptr_null(rb_buttons_evdev_new_from_fd(fds[0], dup_keys,
							record_cb, NULL, &e1));
	ck_assert(g_error_matches(e1, RB_ERROR, RB_ERROR_INVALID));
	ck_assert_ptr_null(rb_buttons_evdev_new_from_fd(fds[1], zero_keys,
							record_cb, NULL, &e2));
	ck_assert(g_error_matches(e2, RB_ERROR, RB_ERROR_INVALID));
	/* Both fds were taken (and closed). */
	ck_assert_int_eq(fcntl(fds[0], F_GETFD), -1);
	ck_assert_int_eq(fcntl(fds[1], F_GETFD), -1);

	memcpy(opts.keys, evdev_keys, sizeof(opts.keys));
	ck_assert_ptr_null(rb_buttons_evdev_new(&opts, record_cb, NULL, &e3));
	ck_assert(g_error_matches(e3, RB_ERROR, RB_ERROR_NOT_FOUND));
	ck_assert(strstr(e3->message, "/dev/rb-test-no-such-input") != NULL);

	ck_assert_ptr_nonnull(dir);
	ck_assert_ptr_null(rb_buttons_evdev_find_device(dir, evdev_keys, &e4));
	ck_assert(g_error_matches(e4, RB_ERROR, RB_ERROR_NOT_FOUND));
	g_rmdir(dir);
}
END_TEST

/* ---- FIFO ---- */

typedef struct {
	const char *line;
	bool ok;
	RbButton button;
	bool pressed;
} FifoCase;

static const FifoCase fifo_cases[] = {
	{"press QUIZZER_RESET", true, RB_BUTTON_QUIZZER_RESET, true},
	{"release CONTEST", true, RB_BUTTON_CONTEST, false},
	{"  press\ttimer_530  ", true, RB_BUTTON_TIMER_530, true},
	{"RELEASE TIMER_RESET", true, RB_BUTTON_TIMER_RESET, false},
	{"press", false, 0, false},
	{"press NOPE", false, 0, false},
	{"push CONTEST", false, 0, false},
	{"press CONTEST now", false, 0, false},
	{"chord", false, 0, false},
	{"", false, 0, false},
};

START_TEST(test_fifo_parse)
{
	const FifoCase *c = &fifo_cases[_i];
	g_autoptr(GError) error = NULL;
	RbButton b = RB_BUTTON_COUNT;
	bool pressed = !c->pressed;
	bool ok = rb_buttons_fifo_parse_line(c->line, &b, &pressed, &error);

	ck_assert_int_eq(ok, c->ok);
	if (!ok) {
		ck_assert(g_error_matches(error, RB_ERROR, RB_ERROR_INVALID));
		return;
	}
	ck_assert_int_eq(b, c->button);
	ck_assert_int_eq(pressed, c->pressed);
}
END_TEST

static void fifo_write(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	write_all(fd, text, strlen(text));
	close(fd);
}

START_TEST(test_fifo_end_to_end)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("rb-fifo-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "buttons", NULL);
	RbButtonsSource *src;
	Recorder r = {0};
	uint64_t before = (uint64_t)g_get_monotonic_time() / 1000, after;

	src = rb_buttons_fifo_new(path, record_cb, &r, &error);
	ck_assert_msg(src != NULL, "%s", error ? error->message : "");
	ck_assert(g_file_test(path, G_FILE_TEST_EXISTS));

	fifo_write(path, "press QUIZZER_RESET\n# a comment\n\nbogus line\n"
			 "press TIMER_530\nrelease QUIZZER_RESET\n");
	wait_edges(&r, 3);
	ck_assert_uint_eq(r.n, 3);
	/* The writer closed; a second writer works, and a line is taken
	 * only once its newline arrives, even from another writer. */
	fifo_write(path, "press CONT");
	fifo_write(path, "EST\n");
	wait_edges(&r, 4);
	ck_assert_uint_eq(r.n, 4);
	fifo_write(path, "release CONTEST\r\n");
	wait_edges(&r, 5);
	ck_assert_uint_eq(r.n, 5);
	after = (uint64_t)g_get_monotonic_time() / 1000;

	ck_assert_int_eq(r.edges[0].button, RB_BUTTON_QUIZZER_RESET);
	ck_assert(r.edges[0].pressed);
	ck_assert_int_eq(r.edges[1].button, RB_BUTTON_TIMER_530);
	ck_assert(r.edges[1].pressed);
	ck_assert_int_eq(r.edges[2].button, RB_BUTTON_QUIZZER_RESET);
	ck_assert(!r.edges[2].pressed);
	ck_assert_int_eq(r.edges[3].button, RB_BUTTON_CONTEST);
	ck_assert(r.edges[3].pressed);
	ck_assert_int_eq(r.edges[4].button, RB_BUTTON_CONTEST);
	ck_assert(!r.edges[4].pressed);
	for (unsigned int i = 0; i < r.n; i++) {
		ck_assert_uint_ge(r.edges[i].timestamp_ms, before);
		ck_assert_uint_le(r.edges[i].timestamp_ms, after);
		if (i)
			ck_assert_uint_ge(r.edges[i].timestamp_ms,
					  r.edges[i - 1].timestamp_ms);
	}
	rb_buttons_source_free(src);
	g_unlink(path);
	g_rmdir(dir);
}
END_TEST

START_TEST(test_fifo_not_a_fifo)
{
	g_autoptr(GError) e1 = NULL;
	g_autoptr(GError) e2 = NULL;
	g_autofree char *dir = g_dir_make_tmp("rb-fifo-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "plain", NULL);
	g_autofree char *missing = g_build_filename(dir, "no", "such", "dir",
						    NULL);

	ck_assert(g_file_set_contents(path, "press CONTEST\n", -1, NULL));
	ck_assert_ptr_null(rb_buttons_fifo_new(path, record_cb, NULL, &e1));
	ck_assert(g_error_matches(e1, RB_ERROR, RB_ERROR_INVALID));
	ck_assert(strstr(e1->message, path) != NULL);
	ck_assert_ptr_null(rb_buttons_fifo_new(missing, record_cb, NULL, &e2));
	ck_assert(g_error_matches(e2, RB_ERROR, RB_ERROR_IO));
	g_unlink(path);
	g_rmdir(dir);
}
END_TEST

/*
 * An existing FIFO is taken only if it is the daemon's and nobody else can
 * write it: anyone who can write the FIFO can press the buttons, pairing
 * chord included.
 */
typedef enum {
	BAD_FIFO_OTHER_OWNER, /* chowned to nobody (needs root) */
	BAD_FIFO_MODE_666,
	BAD_FIFO_MODE_620, /* a group of writers */
	BAD_FIFO_MODE_602,
	BAD_FIFO_SYMLINK, /* a symlink to a good FIFO */
	BAD_FIFO_DANGLING, /* a symlink to where a FIFO would be made */
} BadFifoKind;

static const struct {
	BadFifoKind kind;
	RbErrorCode code;
} bad_fifos[] = {
	{BAD_FIFO_OTHER_OWNER, RB_ERROR_PERMISSION},
	{BAD_FIFO_MODE_666, RB_ERROR_PERMISSION},
	{BAD_FIFO_MODE_620, RB_ERROR_PERMISSION},
	{BAD_FIFO_MODE_602, RB_ERROR_PERMISSION},
	{BAD_FIFO_SYMLINK, RB_ERROR_INVALID},
	{BAD_FIFO_DANGLING, RB_ERROR_INVALID},
};

START_TEST(test_fifo_refused)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("rb-fifo-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "buttons", NULL);
	g_autofree char *target = g_build_filename(dir, "real", NULL);
	RbButtonsSource *src;
	struct stat st;

	ck_assert_ptr_nonnull(dir);
	switch (bad_fifos[_i].kind) {
	case BAD_FIFO_OTHER_OWNER:
		if (geteuid() != 0) {
			/* Only root can give a FIFO away. */
			g_rmdir(dir);
			return;
		}
		ck_assert_int_eq(mkfifo(path, 0600), 0);
		ck_assert_int_eq(chown(path, 65534, 65534), 0);
		break;
	case BAD_FIFO_MODE_666:
		ck_assert_int_eq(mkfifo(path, 0600), 0);
		ck_assert_int_eq(chmod(path, 0666), 0);
		break;
	case BAD_FIFO_MODE_620:
		ck_assert_int_eq(mkfifo(path, 0600), 0);
		ck_assert_int_eq(chmod(path, 0620), 0);
		break;
	case BAD_FIFO_MODE_602:
		ck_assert_int_eq(mkfifo(path, 0600), 0);
		ck_assert_int_eq(chmod(path, 0602), 0);
		break;
	case BAD_FIFO_SYMLINK:
		ck_assert_int_eq(mkfifo(target, 0600), 0);
		ck_assert_int_eq(symlink(target, path), 0);
		break;
	case BAD_FIFO_DANGLING:
		ck_assert_int_eq(symlink(target, path), 0);
		break;
	}
	src = rb_buttons_fifo_new(path, record_cb, NULL, &error);
	ck_assert_msg(src == NULL, "bad FIFO %d accepted", bad_fifos[_i].kind);
	ck_assert_ptr_nonnull(error);
	ck_assert_msg(g_error_matches(error, RB_ERROR, bad_fifos[_i].code),
		      "code %d: %s", error->code, error->message);
	ck_assert_msg(strstr(error->message, path) != NULL, "%s",
		      error->message);
	/* Nothing was made through the symlink. */
	if (bad_fifos[_i].kind == BAD_FIFO_DANGLING)
		ck_assert_int_ne(lstat(target, &st), 0);
	g_unlink(path);
	g_unlink(target);
	g_rmdir(dir);
}
END_TEST

/* A FIFO the source makes is 0600 whatever the umask, and is reused. */
START_TEST(test_fifo_created_mode)
{
	static const mode_t umasks[] = {0, 022, 077, 0277};
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("rb-fifo-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "buttons", NULL);
	RbButtonsSource *src;
	struct stat st;
	mode_t old = umask(umasks[_i]);

	src = rb_buttons_fifo_new(path, record_cb, NULL, &error);
	umask(old);
	ck_assert_msg(src != NULL, "%s", error ? error->message : "");
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISFIFO(st.st_mode));
	ck_assert_uint_eq(st.st_uid, geteuid());
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	rb_buttons_source_free(src);
	/* The daemon's own FIFO is taken again after a restart. */
	src = rb_buttons_fifo_new(path, record_cb, NULL, &error);
	ck_assert_msg(src != NULL, "%s", error ? error->message : "");
	rb_buttons_source_free(src);
	g_unlink(path);
	g_rmdir(dir);
}
END_TEST

static Suite *buttons_suite(void)
{
	Suite *s = suite_create("buttons");
	TCase *tc;

	tc = tcase_create("/buttons/gpio");
	tcase_add_loop_test(tc, test_gpio_translate, 0,
			    G_N_ELEMENTS(gpio_cases));
	tcase_add_loop_test(tc, test_gpio_parse_line, 0,
			    G_N_ELEMENTS(line_cases));
	tcase_add_test(tc, test_gpio_bias);
	tcase_add_loop_test(tc, test_gpiod_bad, 0,
			    G_N_ELEMENTS(gpiod_bad_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("/buttons/evdev");
	tcase_add_loop_test(tc, test_evdev_translate, 0,
			    G_N_ELEMENTS(evdev_cases));
	tcase_add_test(tc, test_evdev_pipe);
	tcase_add_test(tc, test_evdev_bad);
	suite_add_tcase(s, tc);
	tc = tcase_create("/buttons/fifo");
	tcase_add_loop_test(tc, test_fifo_parse, 0, G_N_ELEMENTS(fifo_cases));
	tcase_add_test(tc, test_fifo_end_to_end);
	tcase_add_test(tc, test_fifo_not_a_fifo);
	tcase_add_loop_test(tc, test_fifo_refused, 0, G_N_ELEMENTS(bad_fifos));
	tcase_add_loop_test(tc, test_fifo_created_mode, 0, 4);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(buttons_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
