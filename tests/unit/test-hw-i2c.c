// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The i2c-dev transport's SMBus fallback: how one i2c write is split into
 * SMBus block writes (control-byte and stream modes), and the open path on
 * something that is not an i2c-dev device.
 */
#include "config.h"

#include <check.h>
#include <glib.h>
#include <string.h>

#include "core/error.h"
#include "hw/display.h"
#include "hw/i2c-smbus.h"

#define MAX_CHUNKS 8

/* Expected chunk: command = buf[cmd_at], data = buf[data_at..+len). */
typedef struct {
	size_t cmd_at;
	size_t data_at;
	size_t len;
} WantChunk;

typedef struct {
	const char *name;
	RbI2cSplitMode mode;
	size_t len;
	size_t n;
	WantChunk want[MAX_CHUNKS];
} SplitCase;

static const SplitCase split_cases[] = {
	{"/i2c/split/control/empty", RB_I2C_SPLIT_CONTROL_BYTE, 0, 0, {{0}}},
	{"/i2c/split/control/lone-byte",
	 RB_I2C_SPLIT_CONTROL_BYTE,
	 1,
	 1,
	 {{0, 0, 0}}},
	{"/i2c/split/control/one-data-byte",
	 RB_I2C_SPLIT_CONTROL_BYTE,
	 2,
	 1,
	 {{0, 1, 1}}},
	{"/i2c/split/control/column-page-command",
	 RB_I2C_SPLIT_CONTROL_BYTE,
	 7,
	 1,
	 {{0, 1, 6}}},
	{"/i2c/split/control/exact-block",
	 RB_I2C_SPLIT_CONTROL_BYTE,
	 33,
	 1,
	 {{0, 1, 32}}},
	{"/i2c/split/control/block-plus-one",
	 RB_I2C_SPLIT_CONTROL_BYTE,
	 34,
	 2,
	 {{0, 1, 32}, {0, 33, 1}}},
	{"/i2c/split/control/ssd1306-page",
	 RB_I2C_SPLIT_CONTROL_BYTE,
	 129,
	 4,
	 {{0, 1, 32}, {0, 33, 32}, {0, 65, 32}, {0, 97, 32}}},
	{"/i2c/split/control/page-plus-one",
	 RB_I2C_SPLIT_CONTROL_BYTE,
	 130,
	 5,
	 {{0, 1, 32}, {0, 33, 32}, {0, 65, 32}, {0, 97, 32}, {0, 129, 1}}},
	{"/i2c/split/stream/empty", RB_I2C_SPLIT_STREAM, 0, 0, {{0}}},
	{"/i2c/split/stream/lone-byte", RB_I2C_SPLIT_STREAM, 1, 1, {{0, 0, 0}}},
	{"/i2c/split/stream/two-bytes", RB_I2C_SPLIT_STREAM, 2, 1, {{0, 1, 1}}},
	{"/i2c/split/stream/exact-block",
	 RB_I2C_SPLIT_STREAM,
	 33,
	 1,
	 {{0, 1, 32}}},
	{"/i2c/split/stream/block-plus-one",
	 RB_I2C_SPLIT_STREAM,
	 34,
	 2,
	 {{0, 1, 32}, {33, 0, 0}}},
	{"/i2c/split/stream/block-plus-two",
	 RB_I2C_SPLIT_STREAM,
	 35,
	 2,
	 {{0, 1, 32}, {33, 34, 1}}},
	{"/i2c/split/stream/hd44780-row",
	 RB_I2C_SPLIT_STREAM,
	 84,
	 3,
	 {{0, 1, 32}, {33, 34, 32}, {66, 67, 17}}},
};

static void fill(uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(0x10 + 7 * i);
}

START_TEST(test_split_table)
{
	const SplitCase *c = &split_cases[_i];
	uint8_t buf[256];
	RbI2cSmbusChunk chunk;
	size_t pos = 0, n = 0;

	fill(buf, sizeof(buf));
	while (rb_i2c_smbus_next(c->mode, buf, c->len, &pos, &chunk)) {
		const WantChunk *w = &c->want[n];

		ck_assert_msg(n < c->n, "%s: more than %zu chunks", c->name,
			      c->n);
		ck_assert_msg(chunk.command == buf[w->cmd_at],
			      "%s: chunk %zu command 0x%02x, want buf[%zu]",
			      c->name, n, chunk.command, w->cmd_at);
		ck_assert_msg(chunk.len == w->len,
			      "%s: chunk %zu has %zu bytes, want %zu", c->name,
			      n, chunk.len, w->len);
		if (w->len)
			ck_assert_msg(chunk.data == buf + w->data_at,
				      "%s: chunk %zu data at %td, want %zu",
				      c->name, n, chunk.data - buf, w->data_at);
		else
			ck_assert_ptr_null(chunk.data);
		n++;
		ck_assert_msg(n <= MAX_CHUNKS, "%s: runaway", c->name);
	}
	ck_assert_msg(n == c->n, "%s: %zu chunks, want %zu", c->name, n, c->n);
	/* Done stays done. */
	ck_assert(!rb_i2c_smbus_next(c->mode, buf, c->len, &pos, &chunk));
}
END_TEST

/*
 * Every length 0..300, both modes: the transfers put on the wire exactly
 * the bytes of the original write (stream), or the control byte before each
 * piece of the payload, in order (control byte); no transfer over 32 data
 * bytes, no empty block transfer.
 */
START_TEST(test_split_reassembles)
{
	const RbI2cSplitMode mode = _i == 0 ? RB_I2C_SPLIT_CONTROL_BYTE
					    : RB_I2C_SPLIT_STREAM;
	uint8_t buf[300];

	fill(buf, sizeof(buf));
	for (size_t len = 0; len <= sizeof(buf); len++) {
		g_autoptr(GByteArray) got = g_byte_array_new();
		RbI2cSmbusChunk chunk;
		size_t pos = 0, transfers = 0;

		while (rb_i2c_smbus_next(mode, buf, len, &pos, &chunk)) {
			ck_assert_uint_le(chunk.len, RB_I2C_SMBUS_BLOCK_MAX);
			ck_assert_uint_le(++transfers, sizeof(buf) + 1);
			if (mode == RB_I2C_SPLIT_CONTROL_BYTE) {
				ck_assert_uint_eq(chunk.command, buf[0]);
				ck_assert(chunk.len > 0 || len == 1);
			} else {
				g_byte_array_append(got, &chunk.command, 1);
				/* Only the last piece may be short. */
				ck_assert(chunk.len == RB_I2C_SMBUS_BLOCK_MAX ||
					  pos == len);
			}
			if (chunk.len)
				g_byte_array_append(got, chunk.data,
						    (guint)chunk.len);
		}
		if (mode == RB_I2C_SPLIT_CONTROL_BYTE) {
			size_t want = len > 1 ? len - 1 : 0;

			ck_assert_uint_eq(transfers,
					  len <= 1 ? len : (want + 31) / 32);
			ck_assert_uint_eq(got->len, want);
			if (want)
				ck_assert_mem_eq(got->data, buf + 1, want);
		} else {
			ck_assert_uint_eq(transfers, (len + 32) / 33);
			ck_assert_uint_eq(got->len, len);
			if (len)
				ck_assert_mem_eq(got->data, buf, len);
		}
	}
}
END_TEST

START_TEST(test_split_null_buffer)
{
	RbI2cSmbusChunk chunk = {0x5a, NULL, 3};
	size_t pos = 0;

	ck_assert(!rb_i2c_smbus_next(RB_I2C_SPLIT_CONTROL_BYTE, NULL, 4, &pos,
				     &chunk));
	ck_assert(
		!rb_i2c_smbus_next(RB_I2C_SPLIT_STREAM, NULL, 4, &pos, &chunk));
	/* Untouched. */
	ck_assert_uint_eq(chunk.command, 0x5a);
	ck_assert_uint_eq(chunk.len, 3);
	ck_assert_uint_eq(pos, 0);
}
END_TEST

/* The real transport refuses what is not an i2c-dev device, by name. */
typedef struct {
	const char *name;
	const RbI2cOps *ops;
	const char *bus;
	unsigned int addr;
	int code;
	const char *needle;
} OpenCase;

static const OpenCase open_cases[] = {
	{"/i2c/open/not-i2c-dev", &rb_i2c_dev_ops, "/dev/null", 0x3c,
	 RB_ERROR_IO, "I2C_FUNCS"},
	{"/i2c/open/stream/not-i2c-dev", &rb_i2c_dev_stream_ops, "/dev/null",
	 0x27, RB_ERROR_IO, "I2C_FUNCS"},
	{"/i2c/open/missing", &rb_i2c_dev_ops, "/nonexistent/i2c-9", 0x3c,
	 RB_ERROR_NOT_FOUND, "/nonexistent/i2c-9"},
	{"/i2c/open/bad-address", &rb_i2c_dev_ops, "/dev/null", 0x78,
	 RB_ERROR_RANGE, "0x78"},
};

START_TEST(test_open_errors)
{
	const OpenCase *c = &open_cases[_i];
	g_autoptr(GError) error = NULL;
	void *h = c->ops->open(c->bus, c->addr, NULL, &error);

	ck_assert_msg(h == NULL, "%s: opened", c->name);
	ck_assert_msg(g_error_matches(error, RB_ERROR, c->code), "%s: error %s",
		      c->name, error ? error->message : "(none)");
	ck_assert_msg(strstr(error->message, c->needle) != NULL,
		      "%s: '%s' lacks '%s'", c->name, error->message,
		      c->needle);
}
END_TEST

static Suite *i2c_suite(void)
{
	Suite *s = suite_create("hw-i2c");
	TCase *tc;

	for (unsigned int i = 0; i < G_N_ELEMENTS(split_cases); i++) {
		tc = tcase_create(split_cases[i].name);
		tcase_add_loop_test(tc, test_split_table, (int)i, (int)i + 1);
		suite_add_tcase(s, tc);
	}
	tc = tcase_create("/i2c/split/reassembles");
	tcase_add_loop_test(tc, test_split_reassembles, 0, 2);
	suite_add_tcase(s, tc);
	tc = tcase_create("/i2c/split/null-buffer");
	tcase_add_test(tc, test_split_null_buffer);
	suite_add_tcase(s, tc);
	for (unsigned int i = 0; i < G_N_ELEMENTS(open_cases); i++) {
		tc = tcase_create(open_cases[i].name);
		tcase_add_loop_test(tc, test_open_errors, (int)i, (int)i + 1);
		suite_add_tcase(s, tc);
	}
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(i2c_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
