// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Framing: split/reassemble round trips over the ATT payload sizes phones
 * use, and every fragment the reassembler must refuse, scripted byte by byte.
 */
#include <check.h>
#include <string.h>

#include "core/error.h"
#include "core/framing.h"

/* ---- round trips ---- */

/* clang-format off */
static const gsize rt_payloads[] = {
	20,		/* the minimum: MTU 23 - 3 */
	21,		/* odd, one above the minimum */
	185 - 3,	/* iOS */
	244,		/* MTU 247, common on Android */
	514,		/* the ATT maximum: MTU 517 - 3 */
};
/* clang-format on */

/* clang-format off */
static const gsize rt_sizes[] = {
	0, 1, 17, 18, 19, 20, 21, 4095, 4096,
};
/* clang-format on */

static uint8_t *pattern(gsize len)
{
	uint8_t *m = g_malloc(MAX(len, 1));

	for (gsize i = 0; i < len; i++)
		m[i] = (uint8_t)(i * 7 + 3 + i / 256);
	return m;
}

/* Independent count: first holds payload-3 bytes, the others payload-1. */
static guint expected_fragments(gsize len, gsize payload)
{
	gsize first = payload - 3, next = payload - 1;

	if (len <= first)
		return 1;
	return 1 + (guint)((len - first + next - 1) / next);
}

static void check_round_trip(gsize payload, gsize len)
{
	g_autofree uint8_t *msg = pattern(len);
	g_autoptr(GPtrArray) frags = NULL;
	g_autoptr(GError) error = NULL;
	RbReassembler r;
	gsize total = 0;

	frags = rb_frame_split(msg, len, payload, &error);
	ck_assert_msg(frags != NULL, "split %zu/%zu: %s", len, payload,
		      error ? error->message : "?");
	ck_assert_uint_eq(frags->len, expected_fragments(len, payload));

	rb_reassembler_init(&r);
	for (guint i = 0; i < frags->len; i++) {
		gsize flen;
		const uint8_t *f = g_bytes_get_data(frags->pdata[i], &flen);
		bool first = i == 0, last = i == frags->len - 1;
		g_autoptr(GBytes) out = NULL;
		RbFrameResult res;

		ck_assert_uint_le(flen, payload);
		ck_assert_uint_eq(!!(f[0] & RB_FRAME_HEADER_FIRST), first);
		ck_assert_uint_eq(!!(f[0] & RB_FRAME_HEADER_LAST), last);
		ck_assert_uint_eq(f[0] & RB_FRAME_SEQ_MASK, i % 64);
		if (first) {
			ck_assert_uint_ge(flen, 3);
			ck_assert_uint_eq(f[1] | f[2] << 8, len);
			ck_assert_uint_ge(flen, len ? 4 : 3);
			total += flen - 3;
		} else {
			ck_assert_uint_ge(flen, 2);
			total += flen - 1;
		}
		/* Every fragment but the last is full. */
		if (!last)
			ck_assert_uint_eq(flen, payload);

		res = rb_reassembler_feed(&r, f, flen, 1000 + i, &out, &error);
		ck_assert_msg(res != RB_FRAME_ERROR, "fragment %u: %s", i,
			      error ? error->message : "?");
		if (!last) {
			ck_assert_int_eq(res, RB_FRAME_MORE);
			ck_assert_ptr_null(out);
			ck_assert(r.active);
			continue;
		}
		ck_assert_int_eq(res, RB_FRAME_COMPLETE);
		ck_assert_ptr_nonnull(out);
		ck_assert_uint_eq(g_bytes_get_size(out), len);
		if (len)
			ck_assert_mem_eq(g_bytes_get_data(out, NULL), msg, len);
	}
	ck_assert_uint_eq(total, len);
	ck_assert(!r.active);
	ck_assert_ptr_null(r.buf);
	rb_reassembler_clear(&r);
}

START_TEST(test_round_trip)
{
	/* _i indexes payloads x sizes. */
	gsize payload = rt_payloads[_i / G_N_ELEMENTS(rt_sizes)];
	gsize len = rt_sizes[_i % G_N_ELEMENTS(rt_sizes)];

	check_round_trip(payload, len);
}
END_TEST

/* More than 64 fragments: seq wraps to 0 without FIRST. */
START_TEST(test_split_wrap)
{
	g_autofree uint8_t *msg = pattern(RB_FRAME_MAX_MESSAGE);
	g_autoptr(GPtrArray) frags = NULL;
	const uint8_t *f;

	frags = rb_frame_split(msg, RB_FRAME_MAX_MESSAGE, 20, NULL);
	ck_assert_ptr_nonnull(frags);
	ck_assert_uint_eq(frags->len, 216);
	f = g_bytes_get_data(frags->pdata[63], NULL);
	ck_assert_uint_eq(f[0], 63);
	f = g_bytes_get_data(frags->pdata[64], NULL);
	ck_assert_uint_eq(f[0], 0x00);
	f = g_bytes_get_data(frags->pdata[65], NULL);
	ck_assert_uint_eq(f[0], 0x01);
	f = g_bytes_get_data(frags->pdata[128], NULL);
	ck_assert_uint_eq(f[0], 0x00);
	f = g_bytes_get_data(frags->pdata[215], NULL);
	ck_assert_uint_eq(f[0], RB_FRAME_HEADER_LAST | (215 % 64));
	check_round_trip(20, RB_FRAME_MAX_MESSAGE);
}
END_TEST

/* ---- split: exact bytes ---- */

typedef struct {
	const uint8_t *data;
	gsize len;
} Pdu;

#define raw_pdu(args...)                                                       \
	{                                                                      \
		.data = (const uint8_t[]){args},                               \
		.len = sizeof((const uint8_t[]){args}),                        \
	}

typedef struct {
	const char *name;
	gsize payload;
	const char *msg;
	Pdu frags[4];
} SplitBytesCase;

/* clang-format off */
static const SplitBytesCase split_bytes[] = {
	{ "/framing/split/bytes/empty", 20, "", {
		raw_pdu(0xc0, 0x00, 0x00),
	} },
	{ "/framing/split/bytes/one", 20, "a", {
		raw_pdu(0xc0, 0x01, 0x00, 'a'),
	} },
	{ "/framing/split/bytes/exact-mtu", 20, "abcdefghijklmnopq", {
		raw_pdu(0xc0, 0x11, 0x00, 'a', 'b', 'c', 'd', 'e', 'f', 'g',
			'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q'),
	} },
	{ "/framing/split/bytes/one-over", 20, "abcdefghijklmnopqr", {
		raw_pdu(0x80, 0x12, 0x00, 'a', 'b', 'c', 'd', 'e', 'f', 'g',
			'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q'),
		raw_pdu(0x41, 'r'),
	} },
	{ "/framing/split/bytes/three", 20,
	  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", {
		raw_pdu(0x80, 0x34, 0x00, 'a', 'b', 'c', 'd', 'e', 'f', 'g',
			'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q'),
		raw_pdu(0x01, 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z',
			'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J'),
		raw_pdu(0x42, 'K', 'L', 'M', 'N', 'O', 'P', 'Q', 'R', 'S',
			'T', 'U', 'V', 'W', 'X', 'Y', 'Z'),
	} },
};
/* clang-format on */

START_TEST(test_split_bytes)
{
	const SplitBytesCase *c = &split_bytes[_i];
	g_autoptr(GPtrArray) frags = NULL;
	g_autoptr(GError) error = NULL;
	guint n = 0;

	while (n < G_N_ELEMENTS(c->frags) && c->frags[n].data)
		n++;
	frags = rb_frame_split((const uint8_t *)c->msg, strlen(c->msg),
			       c->payload, &error);
	ck_assert_ptr_nonnull(frags);
	ck_assert_uint_eq(frags->len, n);
	for (guint i = 0; i < n; i++) {
		gsize len;
		const uint8_t *f = g_bytes_get_data(frags->pdata[i], &len);

		ck_assert_uint_eq(len, c->frags[i].len);
		ck_assert_mem_eq(f, c->frags[i].data, len);
	}
}
END_TEST

/* ---- split: refusals ---- */

typedef struct {
	const char *name;
	gsize len;
	gsize payload;
	RbErrorCode code;
	const char *message;
} SplitErrorCase;

/* clang-format off */
static const SplitErrorCase split_errors[] = {
	{ "/framing/split/error/payload-19", 10, 19, RB_ERROR_INVALID,
	  "fragment size of 19 bytes is below the minimum ATT payload of 20" },
	{ "/framing/split/error/payload-0", 0, 0, RB_ERROR_INVALID,
	  "fragment size of 0 bytes is below the minimum ATT payload of 20" },
	{ "/framing/split/error/too-large", 4097, 244, RB_ERROR_TOO_LARGE,
	  "message of 4097 bytes exceeds the maximum of 4096" },
	{ "/framing/split/error/u16-max", 65535, 514, RB_ERROR_TOO_LARGE,
	  "message of 65535 bytes exceeds the maximum of 4096" },
	{ "/framing/split/error/over-u16", 65536 + 5, 514, RB_ERROR_TOO_LARGE,
	  "message of 65541 bytes exceeds the maximum of 4096" },
};
/* clang-format on */

START_TEST(test_split_error)
{
	const SplitErrorCase *c = &split_errors[_i];
	g_autofree uint8_t *msg = pattern(c->len);
	g_autoptr(GPtrArray) frags = NULL;
	g_autoptr(GError) error = NULL;

	frags = rb_frame_split(msg, c->len, c->payload, &error);
	ck_assert_ptr_null(frags);
	ck_assert_ptr_nonnull(error);
	ck_assert(g_error_matches(error, RB_ERROR, c->code));
	ck_assert_str_eq(error->message, c->message);

	/* And without a GError. */
	frags = rb_frame_split(msg, c->len, c->payload, NULL);
	ck_assert_ptr_null(frags);
}
END_TEST

/* ---- reassembly scripts ---- */

typedef struct {
	RbTime at;
	RbFrameResult expect;
	RbErrorCode code;
	const char *error; /* exact message, for RB_FRAME_ERROR */
	const uint8_t *data;
	gsize len;
} Step;

#define frag(t, res, args...)                                                  \
	{                                                                      \
		.at = (t), .expect = (res), .data = (const uint8_t[]){args},   \
		.len = sizeof((const uint8_t[]){args}),                        \
	}
#define refused(t, c, msg, args...)                                            \
	{                                                                      \
		.at = (t), .expect = RB_FRAME_ERROR, .code = (c),              \
		.error = (msg), .data = (const uint8_t[]){args},               \
		.len = sizeof((const uint8_t[]){args}),                        \
	}
#define empty_frag(t, msg)                                                     \
	{                                                                      \
		.at = (t), .expect = RB_FRAME_ERROR, .code = RB_ERROR_INVALID, \
		.error = (msg), .data = (const uint8_t *)"", .len = 0,         \
	}

#define MORE RB_FRAME_MORE
#define DONE RB_FRAME_COMPLETE
#define INVAL RB_ERROR_INVALID

typedef struct {
	const char *name;
	Step steps[6];
	const char *result; /* the completed message, if the last
				   step completes */
} Script;

/* clang-format off */
static const Script scripts[] = {
	/* Accepted. */
	{ .name = "/framing/reassemble/empty-message", .steps = {
		frag(0, DONE, 0xc0, 0x00, 0x00),
	}, .result = "" },
	{ .name = "/framing/reassemble/single", .steps = {
		frag(0, DONE, 0xc0, 0x03, 0x00, 'a', 'b', 'c'),
	}, .result = "abc" },
	{ .name = "/framing/reassemble/two", .steps = {
		frag(0, MORE, 0x80, 0x03, 0x00, 'a'),
		frag(5, DONE, 0x41, 'b', 'c'),
	}, .result = "abc" },
	{ .name = "/framing/reassemble/four", .steps = {
		frag(0, MORE, 0x80, 0x04, 0x00, 'a'),
		frag(1, MORE, 0x01, 'b'),
		frag(2, MORE, 0x02, 'c'),
		frag(3, DONE, 0x43, 'd'),
	}, .result = "abcd" },
	{ .name = "/framing/reassemble/timeout-boundary", .steps = {
		frag(0, MORE, 0x80, 0x02, 0x00, 'a'),
		frag(RB_FRAME_REASSEMBLY_TIMEOUT_MS, DONE, 0x41, 'b'),
	}, .result = "ab" },
	{ .name = "/framing/reassemble/timeout-then-first", .steps = {
		frag(0, MORE, 0x80, 0x02, 0x00, 'a'),
		frag(RB_FRAME_REASSEMBLY_TIMEOUT_MS + 1, DONE,
		     0xc0, 0x02, 0x00, 'x', 'y'),
	}, .result = "xy" },
	{ .name = "/framing/reassemble/timeout-then-new-message", .steps = {
		frag(100, MORE, 0x80, 0x02, 0x00, 'a'),
		frag(100 + RB_FRAME_REASSEMBLY_TIMEOUT_MS + 1, MORE,
		     0x80, 0x02, 0x00, 'x'),
		frag(100 + RB_FRAME_REASSEMBLY_TIMEOUT_MS + 2, DONE,
		     0x41, 'y'),
	}, .result = "xy" },
	{ .name = "/framing/reassemble/clock-before-start", .steps = {
		frag(5000, MORE, 0x80, 0x02, 0x00, 'a'),
		frag(100, DONE, 0x41, 'b'),
	}, .result = "ab" },

	/* Refused. */
	{ .name = "/framing/reassemble/refuse/continuation-when-idle", .steps = {
		refused(0, INVAL, "continuation fragment (seq 1) without a "
		      "first fragment", 0x01, 'a'),
	} },
	{ .name = "/framing/reassemble/refuse/last-when-idle", .steps = {
		refused(0, INVAL, "continuation fragment (seq 1) without a "
		      "first fragment", 0x41, 'a'),
	} },
	{ .name = "/framing/reassemble/refuse/first-while-in-progress", .steps = {
		frag(0, MORE, 0x80, 0x04, 0x00, 'a', 'b'),
		refused(1, INVAL, "first fragment while a message is in "
		      "progress (expected seq 1, 2 of 4 bytes received); "
		      "both dropped", 0xc0, 0x01, 0x00, 'x'),
	} },
	{ .name = "/framing/reassemble/refuse/first-drops-old-partial", .steps = {
		frag(0, MORE, 0x80, 0x04, 0x00, 'a', 'b'),
		refused(1, INVAL, "first fragment while a message is in "
		      "progress (expected seq 1, 2 of 4 bytes received); "
		      "both dropped", 0x80, 0x03, 0x00, 'x'),
		refused(2, INVAL, "continuation fragment (seq 1) without a "
		      "first fragment", 0x41, 'c', 'd'),
	} },
	{ .name = "/framing/reassemble/refuse/out-of-order", .steps = {
		frag(0, MORE, 0x80, 0x06, 0x00, 'a'),
		frag(1, MORE, 0x01, 'b'),
		frag(2, MORE, 0x02, 'c'),
		refused(3, INVAL, "fragment out of order: expected seq 3, "
		      "got 5", 0x05, 'f'),
	} },
	{ .name = "/framing/reassemble/refuse/out-of-order-last", .steps = {
		frag(0, MORE, 0x80, 0x03, 0x00, 'a'),
		refused(1, INVAL, "fragment out of order: expected seq 1, "
		      "got 2", 0x42, 'b', 'c'),
	} },
	{ .name = "/framing/reassemble/refuse/duplicate", .steps = {
		frag(0, MORE, 0x80, 0x04, 0x00, 'a'),
		frag(1, MORE, 0x01, 'b'),
		refused(2, INVAL, "duplicate fragment: seq 1 already "
		      "received", 0x01, 'b'),
	} },
	{ .name = "/framing/reassemble/refuse/duplicate-first-as-continuation", .steps = {
		frag(0, MORE, 0x80, 0x04, 0x00, 'a'),
		refused(1, INVAL, "duplicate fragment: seq 0 already "
		      "received", 0x00, 'a'),
	} },
	{ .name = "/framing/reassemble/refuse/first-seq-not-zero", .steps = {
		refused(0, INVAL, "fragment out of order: expected seq 0, "
		      "got 3", 0xc3, 0x01, 0x00, 'a'),
	} },
	{ .name = "/framing/reassemble/refuse/overflow-first", .steps = {
		refused(0, INVAL, "fragment overflows the message: 1 bytes "
		      "declared, 2 received", 0xc0, 0x01, 0x00, 'a', 'b'),
	} },
	{ .name = "/framing/reassemble/refuse/overflow-empty-message", .steps = {
		refused(0, INVAL, "fragment overflows the message: 0 bytes "
		      "declared, 1 received", 0xc0, 0x00, 0x00, 'a'),
	} },
	{ .name = "/framing/reassemble/refuse/overflow-continuation", .steps = {
		frag(0, MORE, 0x80, 0x03, 0x00, 'a'),
		refused(1, INVAL, "fragment overflows the message: 3 bytes "
		      "declared, 4 received", 0x41, 'b', 'c', 'd'),
	} },
	{ .name = "/framing/reassemble/refuse/truncated-single", .steps = {
		refused(0, INVAL, "message truncated: 5 bytes declared, 1 "
		      "received", 0xc0, 0x05, 0x00, 'a'),
	} },
	{ .name = "/framing/reassemble/refuse/truncated-last", .steps = {
		frag(0, MORE, 0x80, 0x05, 0x00, 'a'),
		refused(1, INVAL, "message truncated: 5 bytes declared, 2 "
		      "received", 0x41, 'b'),
	} },
	{ .name = "/framing/reassemble/refuse/oversized", .steps = {
		refused(0, RB_ERROR_TOO_LARGE, "message of 4097 bytes "
		      "exceeds the maximum of 4096", 0x80, 0x01, 0x10, 'a'),
	} },
	{ .name = "/framing/reassemble/refuse/oversized-u16-max", .steps = {
		refused(0, RB_ERROR_TOO_LARGE, "message of 65535 bytes "
		      "exceeds the maximum of 4096", 0x80, 0xff, 0xff, 'a'),
	} },
	{ .name = "/framing/reassemble/refuse/oversized-while-in-progress", .steps = {
		frag(0, MORE, 0x80, 0x02, 0x00, 'a'),
		refused(1, INVAL, "first fragment while a message is in "
		      "progress (expected seq 1, 1 of 2 bytes received); "
		      "both dropped", 0x80, 0xff, 0xff, 'a'),
	} },
	{ .name = "/framing/reassemble/refuse/first-1-byte", .steps = {
		refused(0, INVAL, "first fragment of 1 bytes is shorter than "
		      "its 3-byte header", 0x80),
	} },
	{ .name = "/framing/reassemble/refuse/first-2-bytes", .steps = {
		refused(0, INVAL, "first fragment of 2 bytes is shorter than "
		      "its 3-byte header", 0xc0, 0x00),
	} },
	{ .name = "/framing/reassemble/refuse/empty", .steps = {
		empty_frag(0, "empty fragment"),
	} },
	{ .name = "/framing/reassemble/refuse/empty-in-progress", .steps = {
		frag(0, MORE, 0x80, 0x02, 0x00, 'a'),
		empty_frag(1, "empty fragment"),
		refused(2, INVAL, "continuation fragment (seq 1) without a "
		      "first fragment", 0x41, 'b'),
	} },
	{ .name = "/framing/reassemble/refuse/timeout", .steps = {
		frag(0, MORE, 0x80, 0x02, 0x00, 'a'),
		refused(RB_FRAME_REASSEMBLY_TIMEOUT_MS + 1, INVAL,
		      "continuation fragment (seq 1) without a first "
		      "fragment (the message in progress timed out)",
		      0x41, 'b'),
	} },
	{ .name = "/framing/reassemble/refuse/timeout-mid-message", .steps = {
		frag(0, MORE, 0x80, 0x03, 0x00, 'a'),
		frag(9000, MORE, 0x01, 'b'),
		refused(10001, INVAL, "continuation fragment (seq 2) without "
		      "a first fragment (the message in progress timed out)",
		      0x42, 'c'),
	} },
	{ .name = "/framing/reassemble/refuse/not-last-but-complete-first", .steps = {
		refused(0, INVAL, "fragment without LAST completes the "
		      "1-byte message", 0x80, 0x01, 0x00, 'a'),
	} },
	{ .name = "/framing/reassemble/refuse/not-last-but-complete", .steps = {
		frag(0, MORE, 0x80, 0x02, 0x00, 'a'),
		refused(1, INVAL, "fragment without LAST completes the "
		      "2-byte message", 0x01, 'b'),
	} },
	{ .name = "/framing/reassemble/refuse/empty-message-not-last", .steps = {
		refused(0, INVAL, "fragment without LAST completes the "
		      "0-byte message", 0x80, 0x00, 0x00),
	} },
	{ .name = "/framing/reassemble/refuse/first-without-payload", .steps = {
		refused(0, INVAL, "first fragment of a 5-byte message "
		      "carries no payload", 0x80, 0x05, 0x00),
	} },
	{ .name = "/framing/reassemble/refuse/continuation-without-payload", .steps = {
		frag(0, MORE, 0x80, 0x02, 0x00, 'a'),
		refused(1, INVAL, "continuation fragment (seq 1) carries no "
		      "payload", 0x01),
	} },
};
/* clang-format on */

static void run_script(const Script *s, bool with_error)
{
	RbReassembler r;
	RbTime last = 0;
	guint n = 0;
	g_autofree uint8_t *msg = pattern(40);
	g_autoptr(GPtrArray) frags = NULL;

	rb_reassembler_init(&r);
	for (const Step *st = s->steps;
	     st < s->steps + G_N_ELEMENTS(s->steps) && st->data; st++, n++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) out = NULL;
		RbFrameResult res;

		res = rb_reassembler_feed(&r, st->data, st->len, st->at,
					  with_error ? &out : NULL,
					  with_error ? &error : NULL);
		ck_assert_msg(res == st->expect,
			      "%s step %u: result %d, expected %d (%s)",
			      s->name, n, res, st->expect,
			      error ? error->message : "no error");
		last = st->at;

		switch (res) {
		case RB_FRAME_MORE:
			ck_assert(r.active);
			ck_assert_ptr_null(error);
			ck_assert_ptr_null(out);
			break;
		case RB_FRAME_COMPLETE:
			ck_assert(!r.active);
			ck_assert_ptr_null(r.buf);
			ck_assert_ptr_null(error);
			if (!with_error)
				break;
			ck_assert_ptr_nonnull(s->result);
			ck_assert_ptr_nonnull(out);
			ck_assert_uint_eq(g_bytes_get_size(out),
					  strlen(s->result));
			/* An empty GBytes may have no data pointer. */
			if (s->result[0])
				ck_assert_mem_eq(g_bytes_get_data(out, NULL),
						 s->result, strlen(s->result));
			break;
		case RB_FRAME_ERROR:
			/* No state left behind. */
			ck_assert(!r.active);
			ck_assert_ptr_null(r.buf);
			ck_assert_uint_eq(r.total, 0);
			ck_assert_uint_eq(r.next_seq, 0);
			ck_assert_ptr_null(out);
			if (!with_error)
				break;
			ck_assert_ptr_nonnull(error);
			ck_assert_msg(
				g_error_matches(error, RB_ERROR, st->code),
				"%s step %u: error code %d, expected %d",
				s->name, n, error->code, st->code);
			ck_assert_str_eq(error->message, st->error);
			break;
		}
	}
	ck_assert_uint_gt(n, 0);

	/* A following valid message reassembles fine. */
	frags = rb_frame_split(msg, 40, 20, NULL);
	ck_assert_ptr_nonnull(frags);
	for (guint i = 0; i < frags->len; i++) {
		g_autoptr(GBytes) out = NULL;
		g_autoptr(GError) error = NULL;
		gsize len;
		const uint8_t *f = g_bytes_get_data(frags->pdata[i], &len);
		RbFrameResult res;

		res = rb_reassembler_feed(&r, f, len, last + 1 + i, &out,
					  &error);
		ck_assert_msg(res != RB_FRAME_ERROR, "%s: after: %s", s->name,
			      error ? error->message : "?");
		if (i + 1 < frags->len)
			continue;
		ck_assert_int_eq(res, RB_FRAME_COMPLETE);
		ck_assert_uint_eq(g_bytes_get_size(out), 40);
		ck_assert_mem_eq(g_bytes_get_data(out, NULL), msg, 40);
	}
	rb_reassembler_clear(&r);
}

START_TEST(test_script)
{
	run_script(&scripts[_i], true);
	/* The same verdicts when the caller passes no GError and no msg. */
	run_script(&scripts[_i], false);
}
END_TEST

/* Clearing mid-message frees the partial (valgrind) and empties it. */
START_TEST(test_clear_mid_message)
{
	static const uint8_t first[] = {0x80, 0x03, 0x00, 'a'};
	static const uint8_t next[] = {0x41, 'b', 'c'};
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) out = NULL;
	RbReassembler r;

	rb_reassembler_init(&r);
	ck_assert_int_eq(
		rb_reassembler_feed(&r, first, sizeof(first), 0, &out, &error),
		RB_FRAME_MORE);
	rb_reassembler_clear(&r);
	ck_assert(!r.active);
	ck_assert_ptr_null(r.buf);
	ck_assert_int_eq(
		rb_reassembler_feed(&r, next, sizeof(next), 1, &out, &error),
		RB_FRAME_ERROR);
	ck_assert_ptr_nonnull(error);
	g_clear_error(&error);
	ck_assert_int_eq(
		rb_reassembler_feed(&r, first, sizeof(first), 2, &out, &error),
		RB_FRAME_MORE);
	ck_assert_int_eq(
		rb_reassembler_feed(&r, next, sizeof(next), 3, &out, &error),
		RB_FRAME_COMPLETE);
	ck_assert_mem_eq(g_bytes_get_data(out, NULL), "abc", 3);
	/* Clearing an empty reassembler twice is harmless. */
	rb_reassembler_clear(&r);
	rb_reassembler_clear(&r);
	ck_assert(!r.active);
}
END_TEST

/* Names built at run time; Check keeps the pointers. */
static GPtrArray *tcase_names;

/* Each table entry gets its own path-named tcase. */
static void add_loop(Suite *s, const char *name, const TTest *fn, int i)
{
	TCase *tc = tcase_create(name);

	tcase_add_loop_test(tc, fn, i, i + 1);
	suite_add_tcase(s, tc);
}

static Suite *framing_suite(void)
{
	Suite *s = suite_create("framing");
	TCase *tc;

	for (guint p = 0; p < G_N_ELEMENTS(rt_payloads); p++) {
		for (guint z = 0; z < G_N_ELEMENTS(rt_sizes); z++) {
			char *name = g_strdup_printf(
				"/framing/round-trip/payload-%zu/size-%zu",
				rt_payloads[p], rt_sizes[z]);

			add_loop(s, name, test_round_trip,
				 p * G_N_ELEMENTS(rt_sizes) + z);
			g_ptr_array_add(tcase_names, name);
		}
	}

	tc = tcase_create("/framing/split/wrap");
	tcase_add_test(tc, test_split_wrap);
	suite_add_tcase(s, tc);

	for (guint i = 0; i < G_N_ELEMENTS(split_bytes); i++)
		add_loop(s, split_bytes[i].name, test_split_bytes, i);
	for (guint i = 0; i < G_N_ELEMENTS(split_errors); i++)
		add_loop(s, split_errors[i].name, test_split_error, i);
	for (guint i = 0; i < G_N_ELEMENTS(scripts); i++)
		add_loop(s, scripts[i].name, test_script, i);

	tc = tcase_create("/framing/reassemble/clear");
	tcase_add_test(tc, test_clear_mid_message);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	tcase_names = g_ptr_array_new_with_free_func(g_free);
	sr = srunner_create(framing_suite());

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	g_ptr_array_unref(tcase_names);
	return failed ? 1 : 0;
}
