// SPDX-License-Identifier: GPL-2.0-or-later
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "store/store.h"

#define NOW 1700000000000LL
#define LOCK 300000u

/* ---- A scratch directory, removed after each test ---- */

static char *scratch;

static void rm_rf(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *name;

	if (d) {
		while ((name = g_dir_read_name(d))) {
			g_autofree char *p = g_build_filename(path, name, NULL);

			rm_rf(p);
		}
		g_dir_close(d);
		ck_assert_int_eq(g_rmdir(path), 0);
	} else {
		ck_assert_int_eq(g_unlink(path), 0);
	}
}

static void setup(void)
{
	scratch = g_dir_make_tmp("rb-store-XXXXXX", NULL);
	ck_assert_ptr_nonnull(scratch);
}

static void teardown(void)
{
	rb_store_set_ops(NULL);
	rm_rf(scratch);
	g_clear_pointer(&scratch, g_free);
}

static char *in_scratch(const char *name)
{
	return g_build_filename(scratch, name, NULL);
}

static bool exists(const char *name)
{
	g_autofree char *p = in_scratch(name);

	return g_file_test(p, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK);
}

static void put_file(const char *name, const char *text, gssize len)
{
	g_autofree char *p = in_scratch(name);

	ck_assert(g_file_set_contents(p, text, len, NULL));
}

static char *get_file(const char *name)
{
	g_autofree char *p = in_scratch(name);
	char *text = NULL;

	ck_assert_msg(g_file_get_contents(p, &text, NULL, NULL), "%s", p);
	return text;
}

static mode_t file_mode(const char *path)
{
	struct stat st;

	ck_assert_int_eq(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

/* Two distinct states: "old" on disk before a save of "new". */
static void old_state(RbState *st)
{
	rb_state_init(st);
	ck_assert(rb_peer_set(&st->owner, "AA:BB:CC:DD:EE:01", RB_ADDR_PUBLIC));
	st->has_owner = true;
	st->owner_key = RB_KEY_AUTH_P256;
	st->owner_paired_wall_ms = 1000;
	st->pin_failures = 1;
	st->lockout_ms = LOCK;
}

static void new_state(RbState *st)
{
	rb_state_init(st);
	ck_assert(rb_peer_set(&st->owner, "C0:11:22:33:44:02", RB_ADDR_RANDOM));
	st->has_owner = true;
	st->owner_key = RB_KEY_AUTH_P256;
	st->owner_paired_wall_ms = 2000;
	st->pin_failures = 0;
	st->overrides.has[RB_SETTING_PIN_FAILURE_LIMIT] = true;
	st->overrides.value[RB_SETTING_PIN_FAILURE_LIMIT] = 5;
	st->stale = RB_STALE_BOX_HAS_STALE_BOND;
}

static bool same_state(const RbState *a, const RbState *b)
{
	g_autofree char *ta = rb_state_encode(a, NULL);
	g_autofree char *tb = rb_state_encode(b, NULL);

	return strcmp(ta, tb) == 0;
}

/* ---- Fault injection ---- */

typedef enum {
	OP_NONE = 0,
	OP_OPEN,
	OP_WRITE,
	OP_FSYNC,
	OP_CLOSE,
	OP_RENAME,
} Op;

static struct {
	Op fail_op;
	unsigned int fail_nth; /* 1-based call of fail_op that fails */
	int fail_errno;
	bool crash; /* from the failure on, nothing reaches disk */
	bool crashed;
	size_t chunk; /* largest write per call, 0 for any */
	unsigned int calls[OP_RENAME + 1];
	unsigned int eintr; /* writes to answer with EINTR first */
	bool write_zero; /* write returns 0 */
} fi;

static bool should_fail(Op op)
{
	if (fi.crashed)
		return true;
	fi.calls[op]++;
	if (op == fi.fail_op && fi.calls[op] == fi.fail_nth) {
		if (fi.crash)
			fi.crashed = true;
		return true;
	}
	return false;
}

static int fi_openat(int dir_fd, const char *name, int flags, mode_t mode)
{
	if (should_fail(OP_OPEN)) {
		errno = fi.fail_errno;
		return -1;
	}
	return rb_store_default_ops()->openat(dir_fd, name, flags, mode);
}

static ssize_t fi_write(int fd, const void *buf, size_t len)
{
	if (fi.eintr) {
		fi.eintr--;
		errno = EINTR;
		return -1;
	}
	if (fi.write_zero)
		return 0;
	if (should_fail(OP_WRITE)) {
		errno = fi.fail_errno;
		return -1;
	}
	if (fi.chunk && len > fi.chunk)
		len = fi.chunk;
	return rb_store_default_ops()->write(fd, buf, len);
}

static int fi_fsync(int fd)
{
	if (should_fail(OP_FSYNC)) {
		errno = fi.fail_errno;
		return -1;
	}
	return rb_store_default_ops()->fsync(fd);
}

static int fi_close(int fd)
{
	int ret;

	/* The descriptor is released even when close reports an error. */
	ret = rb_store_default_ops()->close(fd);
	if (should_fail(OP_CLOSE)) {
		errno = fi.fail_errno;
		return -1;
	}
	return ret;
}

static int fi_renameat(int dir_fd, const char *from, const char *to)
{
	if (should_fail(OP_RENAME)) {
		errno = fi.fail_errno;
		return -1;
	}
	return rb_store_default_ops()->renameat(dir_fd, from, to);
}

static int fi_unlinkat(int dir_fd, const char *name)
{
	if (fi.crashed) {
		errno = EIO;
		return -1;
	}
	return rb_store_default_ops()->unlinkat(dir_fd, name);
}

static const RbStoreOps fi_ops = {
	.openat = fi_openat,
	.write = fi_write,
	.fsync = fi_fsync,
	.close = fi_close,
	.renameat = fi_renameat,
	.unlinkat = fi_unlinkat,
};

static void fi_reset(void)
{
	memset(&fi, 0, sizeof(fi));
	fi.fail_errno = EIO;
	fi.chunk = 16;
}

typedef struct {
	const char *name;
	Op op;
	unsigned int nth; /* 0: the last write */
	bool crash;
	bool new_visible; /* the failure comes after the rename */
	const char *message;
} FaultCase;

static const FaultCase fault_cases[] = {
	{"open", OP_OPEN, 1, false, false, "cannot create"},
	{"first-write", OP_WRITE, 1, false, false, "cannot write"},
	{"second-write", OP_WRITE, 2, false, false, "cannot write"},
	{"last-write", OP_WRITE, 0, false, false, "cannot write"},
	{"fsync", OP_FSYNC, 1, false, false, "cannot fsync"},
	{"close", OP_CLOSE, 1, false, false, "cannot close"},
	{"rename", OP_RENAME, 1, false, false, "cannot rename"},
	{"dir-fsync", OP_FSYNC, 2, false, true, "power cut"},
	{"crash-open", OP_OPEN, 1, true, false, "cannot create"},
	{"crash-first-write", OP_WRITE, 1, true, false, "cannot write"},
	{"crash-mid-write", OP_WRITE, 3, true, false, "cannot write"},
	{"crash-last-write", OP_WRITE, 0, true, false, "cannot write"},
	{"crash-fsync", OP_FSYNC, 1, true, false, "cannot fsync"},
	{"crash-close", OP_CLOSE, 1, true, false, "cannot close"},
	{"crash-rename", OP_RENAME, 1, true, false, "cannot rename"},
	{"crash-after-rename", OP_FSYNC, 2, true, true, "power cut"},
};

START_TEST(test_fault)
{
	const FaultCase *tc = &fault_cases[_i];
	g_autoptr(RbStore) store = rb_store_open(scratch, NULL);
	g_autoptr(RbStore) again = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *new_text = NULL;
	RbState old_st, new_st, loaded;
	gsize new_len = 0;

	ck_assert_ptr_nonnull(store);
	old_state(&old_st);
	new_state(&new_st);
	ck_assert(rb_store_save(store, &old_st, &error));

	fi_reset();
	fi.fail_op = tc->op;
	fi.fail_nth = tc->nth;
	if (tc->nth == 0) {
		/* The last of the chunked writes. */
		new_text = rb_state_encode(&new_st, &new_len);
		fi.fail_nth = (unsigned int)((new_len + fi.chunk - 1) /
					     fi.chunk);
		ck_assert_uint_gt(fi.fail_nth, 3);
	}
	fi.crash = tc->crash;
	rb_store_set_ops(&fi_ops);
	ck_assert_msg(!rb_store_save(store, &new_st, &error), "%s saved",
		      tc->name);
	rb_store_set_ops(NULL);
	ck_assert_ptr_nonnull(error);
	ck_assert_msg(strstr(error->message, tc->message) &&
			      strstr(error->message, g_strerror(EIO)),
		      "%s: %s", tc->name, error->message);
	ck_assert_msg(fi.calls[tc->op] == fi.fail_nth, "%s: not reached",
		      tc->name);
	g_clear_error(&error);

	/* A failure cleans up; a crash may leave the temporary file. */
	if (!tc->crash)
		ck_assert_msg(!exists("state.tmp"), "%s: temp left", tc->name);

	/* The next start finds the old or the new state, whole. */
	again = rb_store_open(scratch, &error);
	ck_assert_ptr_nonnull(again);
	ck_assert_msg(rb_store_load(again, &loaded, NOW, LOCK, &error),
		      "%s: %s", tc->name, error ? error->message : "");
	ck_assert_msg(same_state(&loaded, tc->new_visible ? &new_st : &old_st),
		      "%s: wrong state", tc->name);
	ck_assert(!exists("state.tmp"));
	{
		g_autofree char *p = in_scratch("state");

		ck_assert_uint_eq(file_mode(p), 0600);
	}

	/* And the store works again. */
	ck_assert(rb_store_save(again, &new_st, &error));
	ck_assert(rb_store_load(again, &loaded, NOW, LOCK, &error));
	ck_assert(same_state(&loaded, &new_st));
}
END_TEST

/* Retries on EINTR and on short writes. */
START_TEST(test_eintr_short)
{
	g_autoptr(RbStore) store = rb_store_open(scratch, NULL);
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;
	static const char data[] = "0123456789abcdefghijklmnopqrstuvwxyz";

	fi_reset();
	fi.chunk = 5;
	fi.eintr = 3;
	rb_store_set_ops(&fi_ops);
	ck_assert_msg(rb_store_write_atomic(store, "blob", data,
					    sizeof(data) - 1, &error),
		      "%s", error ? error->message : "");
	rb_store_set_ops(NULL);
	ck_assert_uint_eq(fi.calls[OP_WRITE], (sizeof(data) - 1 + 4) / 5);
	text = get_file("blob");
	ck_assert_str_eq(text, data);
}
END_TEST

/* A write that makes no progress is an error, not a loop. */
START_TEST(test_write_zero)
{
	g_autoptr(RbStore) store = rb_store_open(scratch, NULL);
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;

	put_file("blob", "old", -1);
	fi_reset();
	fi.write_zero = true;
	rb_store_set_ops(&fi_ops);
	ck_assert(!rb_store_write_atomic(store, "blob", "new", 3, &error));
	rb_store_set_ops(NULL);
	ck_assert_int_eq(error->code, RB_ERROR_IO);
	text = get_file("blob");
	ck_assert_str_eq(text, "old");
	ck_assert(!exists("blob.tmp"));
}
END_TEST

/* A torn temporary file left by a crash is never loaded, and is removed. */
typedef struct {
	const char *name;
	bool has_state;
	gssize tmp_len; /* bytes of the new state's text in state.tmp */
} TornCase;

static const TornCase torn_cases[] = {
	{"torn-over-old", true, 20},  {"empty-over-old", true, 0},
	{"whole-over-old", true, -1}, {"torn-alone", false, 20},
	{"whole-alone", false, -1},
};

START_TEST(test_torn_temp)
{
	const TornCase *tc = &torn_cases[_i];
	g_autoptr(RbStore) store = rb_store_open(scratch, NULL);
	g_autoptr(GError) error = NULL;
	g_autofree char *new_text = NULL;
	RbState old_st, new_st, loaded, empty;
	gsize len = 0;

	old_state(&old_st);
	new_state(&new_st);
	rb_state_init(&empty);
	if (tc->has_state)
		ck_assert(rb_store_save(store, &old_st, &error));
	new_text = rb_state_encode(&new_st, &len);
	put_file("state.tmp", new_text,
		 tc->tmp_len < 0 ? (gssize)len : tc->tmp_len);
	ck_assert(rb_store_load(store, &loaded, NOW, LOCK, &error));
	ck_assert(same_state(&loaded, tc->has_state ? &old_st : &empty));
	ck_assert(!exists("state.tmp"));
}
END_TEST

START_TEST(test_open_creates)
{
	g_autofree char *dir = g_build_filename(scratch, "a", "b", NULL);
	g_autofree char *parent = g_build_filename(scratch, "a", NULL);
	g_autoptr(RbStore) store = NULL;
	g_autoptr(GError) error = NULL;
	mode_t old_mask = umask(0);

	store = rb_store_open(dir, &error);
	umask(old_mask);
	ck_assert_msg(store != NULL, "%s", error ? error->message : "");
	ck_assert_str_eq(rb_store_get_dir(store), dir);
	ck_assert_uint_eq(file_mode(dir), 0700);
	ck_assert_uint_eq(file_mode(parent), 0700);
}
END_TEST

START_TEST(test_open_keeps_mode)
{
	g_autofree char *dir = in_scratch("existing");
	g_autoptr(RbStore) store = NULL;

	ck_assert_int_eq(mkdir(dir, 0750), 0);
	ck_assert_int_eq(chmod(dir, 0750), 0);
	store = rb_store_open(dir, NULL);
	ck_assert_ptr_nonnull(store);
	ck_assert_uint_eq(file_mode(dir), 0750);
}
END_TEST

START_TEST(test_open_not_dir)
{
	g_autofree char *path = in_scratch("file");
	g_autofree char *below = g_build_filename(path, "sub", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) error2 = NULL;
	RbStore *store;

	put_file("file", "x", -1);
	store = rb_store_open(path, &error);
	ck_assert_ptr_null(store);
	ck_assert_ptr_nonnull(error);
	ck_assert_ptr_nonnull(strstr(error->message, path));
	store = rb_store_open(below, &error2);
	ck_assert_ptr_null(store);
	ck_assert_ptr_nonnull(error2);
}
END_TEST

START_TEST(test_load_missing)
{
	g_autoptr(RbStore) store = rb_store_open(scratch, NULL);
	g_autoptr(GError) error = NULL;
	RbState st;

	memset(&st, 0x5a, sizeof(st));
	ck_assert(rb_store_load(store, &st, NOW, LOCK, &error));
	ck_assert_ptr_null(error);
	ck_assert(!st.has_owner);
	ck_assert(!st.lockout_active);
	ck_assert_uint_eq(st.pin_failures, 0);
}
END_TEST

/* An unusable file gives the conservative state and a clear error. */
typedef struct {
	const char *name;
	int code;
	const char *message;
} BadLoadCase;

static const BadLoadCase bad_load_cases[] = {
	{"corrupt", RB_ERROR_CORRUPT, "is corrupt: unknown format version 7"},
	{"empty", RB_ERROR_CORRUPT, "is corrupt: it is empty"},
	{"too-large", RB_ERROR_TOO_LARGE, "is larger than 65536 bytes"},
	{"directory", RB_ERROR_INVALID, "state is not a regular file"},
	{"symlink", RB_ERROR_IO, "cannot open"},
};

START_TEST(test_load_bad)
{
	const BadLoadCase *tc = &bad_load_cases[_i];
	g_autoptr(RbStore) store = rb_store_open(scratch, NULL);
	g_autoptr(GError) error = NULL;
	g_autofree char *path = in_scratch("state");
	RbState st;

	switch (_i) {
	case 0:
		put_file("state", "[State]\nVersion=7\n", -1);
		break;
	case 1:
		put_file("state", "", 0);
		break;
	case 2: {
		g_autofree char *big = g_malloc(RB_STORE_MAX_FILE_SIZE + 1);

		memset(big, '#', RB_STORE_MAX_FILE_SIZE + 1);
		put_file("state", big, RB_STORE_MAX_FILE_SIZE + 1);
		break;
	}
	case 3:
		ck_assert_int_eq(mkdir(path, 0700), 0);
		break;
	default: {
		g_autofree char *target = in_scratch("elsewhere");

		put_file("elsewhere",
			 "[State]\nVersion=1\n[Pin]\nFailures=0\n"
			 "[Stale]\nHint=none\n",
			 -1);
		ck_assert_int_eq(symlink(target, path), 0);
		break;
	}
	}
	ck_assert_msg(!rb_store_load(store, &st, NOW, LOCK, &error), "%s",
		      tc->name);
	ck_assert_msg(error->domain == RB_ERROR && error->code == tc->code,
		      "%s: %d %s", tc->name, error->code, error->message);
	ck_assert_msg(strstr(error->message, tc->message) != NULL &&
			      strstr(error->message, scratch) != NULL &&
			      strstr(error->message, "pairing locked") != NULL,
		      "%s: %s", tc->name, error->message);
	ck_assert(!st.has_owner);
	ck_assert(st.lockout_active);
	ck_assert_int_eq(st.lockout_start_wall_ms, NOW);
	ck_assert_uint_eq(st.lockout_ms, LOCK);
}
END_TEST

/* The saved file is 0600 whatever the umask and the old file's mode. */
START_TEST(test_save_mode)
{
	g_autoptr(RbStore) store = rb_store_open(scratch, NULL);
	g_autoptr(GError) error = NULL;
	g_autofree char *path = in_scratch("state");
	mode_t old_mask;
	RbState st, back;
	bool ok;

	put_file("state", "old", -1);
	ck_assert_int_eq(chmod(path, 0644), 0);
	old_state(&st);
	old_mask = umask(0);
	ok = rb_store_save(store, &st, &error);
	umask(old_mask);
	ck_assert_msg(ok, "%s", error ? error->message : "");
	ck_assert_uint_eq(file_mode(path), 0600);
	ck_assert(rb_store_load(store, &back, NOW, LOCK, &error));
	ck_assert(same_state(&st, &back));
}
END_TEST

/* A symlink planted at the temporary name is not followed. */
START_TEST(test_tmp_symlink)
{
	g_autoptr(RbStore) store = rb_store_open(scratch, NULL);
	g_autoptr(GError) error = NULL;
	g_autofree char *victim = in_scratch("victim");
	g_autofree char *tmp = in_scratch("blob.tmp");
	g_autofree char *text = NULL;
	g_autofree char *blob = NULL;

	put_file("victim", "precious", -1);
	ck_assert_int_eq(symlink(victim, tmp), 0);
	ck_assert(rb_store_write_atomic(store, "blob", "data", 4, &error));
	text = get_file("victim");
	ck_assert_str_eq(text, "precious");
	blob = get_file("blob");
	ck_assert_str_eq(blob, "data");
	ck_assert(!exists("blob.tmp"));
}
END_TEST

static const char *const bad_names[] = {
	"", "a/b", "/state", ".", "..", "state.tmp", ".tmp",
};

START_TEST(test_bad_names)
{
	g_autoptr(RbStore) store = rb_store_open(scratch, NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) error2 = NULL;
	char *data = NULL;

	ck_assert(!rb_store_write_atomic(store, bad_names[_i], "x", 1, &error));
	ck_assert_int_eq(error->code, RB_ERROR_INVALID);
	ck_assert(
		!rb_store_read(store, bad_names[_i], 10, &data, NULL, &error2));
	ck_assert_int_eq(error2->code, RB_ERROR_INVALID);
	ck_assert_ptr_null(data);
}
END_TEST

START_TEST(test_read)
{
	g_autoptr(RbStore) store = rb_store_open(scratch, NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) missing = NULL;
	g_autoptr(GError) large = NULL;
	g_autofree char *data = NULL;
	char *none = NULL;
	gsize len = 0;

	ck_assert(rb_store_write_atomic(store, "blob", "a\0b", 3, &error));
	ck_assert(rb_store_read(store, "blob", 3, &data, &len, &error));
	ck_assert_uint_eq(len, 3);
	ck_assert_mem_eq(data, "a\0b", 4); /* and NUL-terminated */
	ck_assert(!rb_store_read(store, "blob", 2, &none, &len, &large));
	ck_assert_int_eq(large->code, RB_ERROR_TOO_LARGE);
	ck_assert(!rb_store_read(store, "nope", 2, &none, &len, &missing));
	ck_assert_int_eq(missing->code, RB_ERROR_NOT_FOUND);
	ck_assert_ptr_null(none);
}
END_TEST

START_TEST(test_write_empty)
{
	g_autoptr(RbStore) store = rb_store_open(scratch, NULL);
	g_autoptr(GError) error = NULL;
	g_autofree char *data = NULL;
	gsize len = 1;

	ck_assert(rb_store_write_atomic(store, "blob", NULL, 0, &error));
	ck_assert(rb_store_read(store, "blob", 10, &data, &len, &error));
	ck_assert_uint_eq(len, 0);
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc;

#define ADD(name, fn)                                                          \
	tc = tcase_create(name);                                               \
	tcase_add_checked_fixture(tc, setup, teardown);                        \
	tcase_add_test(tc, fn);                                                \
	suite_add_tcase(s, tc)
#define ADD_LOOP(name, fn, n)                                                  \
	tc = tcase_create(name);                                               \
	tcase_add_checked_fixture(tc, setup, teardown);                        \
	tcase_add_loop_test(tc, fn, 0, (int)(n));                              \
	suite_add_tcase(s, tc)

	ADD("/store/open/creates-0700", test_open_creates);
	ADD("/store/open/keeps-mode", test_open_keeps_mode);
	ADD("/store/open/not-a-directory", test_open_not_dir);
	ADD("/store/load/missing", test_load_missing);
	ADD_LOOP("/store/load/bad", test_load_bad,
		 G_N_ELEMENTS(bad_load_cases));
	ADD_LOOP("/store/load/torn-temp", test_torn_temp,
		 G_N_ELEMENTS(torn_cases));
	ADD("/store/save/mode-0600", test_save_mode);
	ADD_LOOP("/store/save/fault", test_fault, G_N_ELEMENTS(fault_cases));
	ADD("/store/write/eintr-short", test_eintr_short);
	ADD("/store/write/zero", test_write_zero);
	ADD("/store/write/tmp-symlink", test_tmp_symlink);
	ADD("/store/write/empty", test_write_empty);
	ADD_LOOP("/store/names/invalid", test_bad_names,
		 G_N_ELEMENTS(bad_names));
	ADD("/store/read", test_read);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(store_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
