// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The protobuf codec: round trips through the encoders and decoders, and
 * hand-encoded wire bytes (well formed, unknown, unsupported, malformed).
 */
#include <check.h>
#include <string.h>

#include "core/codec.h"
#include "core/error.h"
#include "core/framing.h"
#include "proto/reaction.pb-c.h"

typedef struct {
	const uint8_t *data;
	gsize len;
} Pdu;

#define raw_pdu(args...)                                                       \
	{                                                                      \
		.data = (const uint8_t[]){args},                               \
		.len = sizeof((const uint8_t[]){args}),                        \
	}

/* Names built at run time; Check keeps the pointers. */
static GPtrArray *tcase_names;

static void add_loop(Suite *s, const char *name, const TTest *fn, int start,
		     int end)
{
	TCase *tc = tcase_create(name);

	tcase_add_loop_test(tc, fn, start, end);
	suite_add_tcase(s, tc);
}

static void add_test(Suite *s, const char *name, const TTest *fn)
{
	add_loop(s, name, fn, 0, 1);
}

/* Unpacks @data with protobuf-c directly; the caller frees it. */
static Reaction__ReactionMessage *unpack(const uint8_t *data, gsize len)
{
	Reaction__ReactionMessage *m;

	m = reaction__reaction_message__unpack(NULL, len, data);
	ck_assert_ptr_nonnull(m);
	return m;
}

/* ---- requests from hand-encoded bytes ---- */

#define NO_VALUES                                                              \
	{                                                                      \
		0, 0, 0, 0, 0                                                  \
	}
#define NONE                                                                   \
	{                                                                      \
		false, false, false, false, false                              \
	}

typedef struct {
	const char *name;
	Pdu pdu;
	bool ok;
	RbProtoError code; /* if !ok */
	RbErrorCode gcode; /* if !ok */
	const char *error; /* if !ok: exact message */
	uint32_t request_id;
	RbRequestKind kind; /* if ok */
	bool has[RB_SETTING_COUNT];
	uint32_t value[RB_SETTING_COUNT];
} RequestCase;

/* clang-format off */
static const RequestCase requests[] = {
	{ .name = "/codec/request/get",
	  .pdu = raw_pdu(0x08, 0x01, 0x10, 0x2a, 0x52, 0x02, 0x08, 0x00),
	  .ok = true, .request_id = 42, .kind = RB_REQUEST_CONFIG_GET },
	{ .name = "/codec/request/get-op-default",
	  .pdu = raw_pdu(0x08, 0x01, 0x10, 0x2a, 0x52, 0x00),
	  .ok = true, .request_id = 42, .kind = RB_REQUEST_CONFIG_GET },
	{ .name = "/codec/request/get-config-ignored",
	  .pdu = raw_pdu(0x10, 0x01, 0x52, 0x06, 0x08, 0x00, 0x12, 0x02,
			 0x08, 0x05),
	  .ok = true, .request_id = 1, .kind = RB_REQUEST_CONFIG_GET },
	{ .name = "/codec/request/get-request-id-max",
	  .pdu = raw_pdu(0x10, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x52, 0x00),
	  .ok = true, .request_id = UINT32_MAX,
	  .kind = RB_REQUEST_CONFIG_GET },
	{ .name = "/codec/request/set-partial",
	  .pdu = raw_pdu(0x08, 0x01, 0x10, 0x07, 0x52, 0x08, 0x08, 0x01,
			 0x12, 0x04, 0x10, 0x05, 0x28, 0x01),
	  .ok = true, .request_id = 7, .kind = RB_REQUEST_CONFIG_SET,
	  .has = { false, true, false, false, true },
	  .value = { 0, 5, 0, 0, 1 } },
	{ .name = "/codec/request/set-all",
	  .pdu = raw_pdu(0x08, 0x01, 0x10, 0x03, 0x52, 0x13, 0x08, 0x01,
			 0x12, 0x0f, 0x08, 0xe0, 0xd4, 0x03, 0x10, 0x03,
			 0x18, 0xe0, 0xa7, 0x12, 0x20, 0xb8, 0x17, 0x28,
			 0x02),
	  .ok = true, .request_id = 3, .kind = RB_REQUEST_CONFIG_SET,
	  .has = { true, true, true, true, true },
	  .value = { 60000, 3, 300000, 3000, 2 } },
	{ .name = "/codec/request/set-none-no-config",
	  .pdu = raw_pdu(0x08, 0x01, 0x10, 0x04, 0x52, 0x02, 0x08, 0x01),
	  .ok = true, .request_id = 4, .kind = RB_REQUEST_CONFIG_SET,
	  .has = NONE, .value = NO_VALUES },
	{ .name = "/codec/request/set-none-empty-config",
	  .pdu = raw_pdu(0x10, 0x04, 0x52, 0x04, 0x08, 0x01, 0x12, 0x00),
	  .ok = true, .request_id = 4, .kind = RB_REQUEST_CONFIG_SET,
	  .has = NONE, .value = NO_VALUES },
	/* Presence, not value: a zero that is present is an update. */
	{ .name = "/codec/request/set-zero-present",
	  .pdu = raw_pdu(0x52, 0x08, 0x08, 0x01, 0x12, 0x04, 0x08, 0x00,
			 0x18, 0x00),
	  .ok = true, .kind = RB_REQUEST_CONFIG_SET,
	  .has = { true, false, true, false, false },
	  .value = NO_VALUES },
	/* Ranges are the policy's business. */
	{ .name = "/codec/request/set-out-of-range-passes",
	  .pdu = raw_pdu(0x52, 0x0a, 0x08, 0x01, 0x12, 0x06, 0x10, 0xff,
			 0xff, 0xff, 0xff, 0x0f),
	  .ok = true, .kind = RB_REQUEST_CONFIG_SET,
	  .has = { false, true, false, false, false },
	  .value = { 0, UINT32_MAX, 0, 0, 0 } },
	/* The last value of a repeated field wins (protobuf semantics). */
	{ .name = "/codec/request/set-repeated-field",
	  .pdu = raw_pdu(0x52, 0x08, 0x08, 0x01, 0x12, 0x04, 0x28, 0x01,
			 0x28, 0x04),
	  .ok = true, .kind = RB_REQUEST_CONFIG_SET,
	  .has = { false, false, false, false, true },
	  .value = { 0, 0, 0, 0, 4 } },
	{ .name = "/codec/request/version-7",
	  .pdu = raw_pdu(0x08, 0x07, 0x10, 0x01, 0x52, 0x00),
	  .ok = true, .request_id = 1, .kind = RB_REQUEST_CONFIG_GET },
	{ .name = "/codec/request/version-missing",
	  .pdu = raw_pdu(0x52, 0x00),
	  .ok = true, .kind = RB_REQUEST_CONFIG_GET },
	{ .name = "/codec/request/unknown-field-99",
	  .pdu = raw_pdu(0x08, 0x01, 0x10, 0x02, 0x52, 0x00, 0x98, 0x06,
			 0x01),
	  .ok = true, .request_id = 2, .kind = RB_REQUEST_CONFIG_GET },
	{ .name = "/codec/request/unknown-field-99-first",
	  .pdu = raw_pdu(0x9a, 0x06, 0x02, 'h', 'i', 0x10, 0x02, 0x52,
			 0x00),
	  .ok = true, .request_id = 2, .kind = RB_REQUEST_CONFIG_GET },
	{ .name = "/codec/request/unknown-field-21",
	  .pdu = raw_pdu(0x10, 0x02, 0x52, 0x00, 0xaa, 0x01, 0x00),
	  .ok = true, .request_id = 2, .kind = RB_REQUEST_CONFIG_GET },
	{ .name = "/codec/request/unknown-field-in-config",
	  .pdu = raw_pdu(0x52, 0x09, 0x08, 0x01, 0x9a, 0x06, 0x02, 'h',
			 'i', 0x12, 0x00),
	  .ok = true, .kind = RB_REQUEST_CONFIG_SET, .has = NONE,
	  .value = NO_VALUES },
	{ .name = "/codec/request/unknown-field-in-device-config",
	  .pdu = raw_pdu(0x52, 0x09, 0x08, 0x01, 0x12, 0x05, 0x98, 0x06,
			 0x01, 0x10, 0x02),
	  .ok = true, .kind = RB_REQUEST_CONFIG_SET,
	  .has = { false, true, false, false, false },
	  .value = { 0, 2, 0, 0, 0 } },

	/* Unsupported: well formed, not for the box. */
	{ .name = "/codec/request/unsupported/oneof-case-15",
	  .pdu = raw_pdu(0x08, 0x01, 0x10, 0x05, 0x7a, 0x00),
	  .code = RB_PROTO_ERROR_UNSUPPORTED, .gcode = RB_ERROR_INVALID,
	  .error = "unsupported request: payload field 15",
	  .request_id = 5 },
	{ .name = "/codec/request/unsupported/only-unknown-field-99",
	  .pdu = raw_pdu(0x08, 0x01, 0x10, 0x05, 0x98, 0x06, 0x01),
	  .code = RB_PROTO_ERROR_UNSUPPORTED, .gcode = RB_ERROR_INVALID,
	  .error = "unsupported request: no known payload (unknown field "
		   "99)",
	  .request_id = 5 },
	{ .name = "/codec/request/unsupported/oneof-case-15-after-config",
	  .pdu = raw_pdu(0x10, 0x05, 0x52, 0x00, 0x7a, 0x00),
	  .code = RB_PROTO_ERROR_UNSUPPORTED, .gcode = RB_ERROR_INVALID,
	  .error = "unsupported request: payload field 15",
	  .request_id = 5 },
	{ .name = "/codec/request/unsupported/oneof-case-13",
	  .pdu = raw_pdu(0x10, 0x06, 0x6a, 0x02, 0x08, 0x01),
	  .code = RB_PROTO_ERROR_UNSUPPORTED, .gcode = RB_ERROR_INVALID,
	  .error = "unsupported request: payload field 13",
	  .request_id = 6 },
	{ .name = "/codec/request/unsupported/no-payload",
	  .pdu = raw_pdu(0x08, 0x01, 0x10, 0x08),
	  .code = RB_PROTO_ERROR_UNSUPPORTED, .gcode = RB_ERROR_INVALID,
	  .error = "unsupported request: no payload", .request_id = 8 },
	{ .name = "/codec/request/unsupported/empty-message",
	  .pdu = { .data = (const uint8_t *)"", .len = 0 },
	  .code = RB_PROTO_ERROR_UNSUPPORTED, .gcode = RB_ERROR_INVALID,
	  .error = "unsupported request: no payload" },
	{ .name = "/codec/request/unsupported/ble-access",
	  .pdu = raw_pdu(0x10, 0x09, 0x5a, 0x02, 0x08, 0x01),
	  .code = RB_PROTO_ERROR_UNSUPPORTED, .gcode = RB_ERROR_INVALID,
	  .error = "unsupported request: ble_access is sent by the box "
		   "only",
	  .request_id = 9 },
	{ .name = "/codec/request/unsupported/error",
	  .pdu = raw_pdu(0x10, 0x0a, 0x62, 0x02, 0x08, 0x01),
	  .code = RB_PROTO_ERROR_UNSUPPORTED, .gcode = RB_ERROR_INVALID,
	  .error = "unsupported request: error is sent by the box only",
	  .request_id = 10 },
	{ .name = "/codec/request/unsupported/op-current",
	  .pdu = raw_pdu(0x10, 0x0b, 0x52, 0x02, 0x08, 0x02),
	  .code = RB_PROTO_ERROR_UNSUPPORTED, .gcode = RB_ERROR_INVALID,
	  .error = "unsupported request: config op CURRENT is sent by the "
		   "box only",
	  .request_id = 11 },
	{ .name = "/codec/request/unsupported/op-unknown",
	  .pdu = raw_pdu(0x10, 0x0c, 0x52, 0x02, 0x08, 0x07),
	  .code = RB_PROTO_ERROR_UNSUPPORTED, .gcode = RB_ERROR_INVALID,
	  .error = "unsupported request: config op 7", .request_id = 12 },

	/* Malformed: protobuf-c refuses them. */
	{ .name = "/codec/request/malformed/truncated-varint",
	  .pdu = raw_pdu(0x08, 0x80),
	  .code = RB_PROTO_ERROR_MALFORMED, .gcode = RB_ERROR_INVALID,
	  .error = "malformed message: 2 bytes do not parse as a "
		   "ReactionMessage" },
	{ .name = "/codec/request/malformed/truncated-varint-late",
	  .pdu = raw_pdu(0x08, 0x01, 0x52, 0x00, 0x10, 0xff),
	  .code = RB_PROTO_ERROR_MALFORMED, .gcode = RB_ERROR_INVALID,
	  .error = "malformed message: 6 bytes do not parse as a "
		   "ReactionMessage" },
	{ .name = "/codec/request/malformed/tag-only",
	  .pdu = raw_pdu(0x10),
	  .code = RB_PROTO_ERROR_MALFORMED, .gcode = RB_ERROR_INVALID,
	  .error = "malformed message: 1 bytes do not parse as a "
		   "ReactionMessage" },
	{ .name = "/codec/request/malformed/varint-too-long",
	  .pdu = raw_pdu(0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			 0xff, 0xff, 0xff, 0x01),
	  .code = RB_PROTO_ERROR_MALFORMED, .gcode = RB_ERROR_INVALID,
	  .error = "malformed message: 12 bytes do not parse as a "
		   "ReactionMessage" },
	{ .name = "/codec/request/malformed/wrong-wire-type-message",
	  .pdu = raw_pdu(0x50, 0x01),
	  .code = RB_PROTO_ERROR_MALFORMED, .gcode = RB_ERROR_INVALID,
	  .error = "malformed message: 2 bytes do not parse as a "
		   "ReactionMessage" },
	{ .name = "/codec/request/malformed/wrong-wire-type-varint",
	  .pdu = raw_pdu(0x0a, 0x01, 0x00, 0x52, 0x00),
	  .code = RB_PROTO_ERROR_MALFORMED, .gcode = RB_ERROR_INVALID,
	  .error = "malformed message: 5 bytes do not parse as a "
		   "ReactionMessage" },
	{ .name = "/codec/request/malformed/wrong-wire-type-setting",
	  .pdu = raw_pdu(0x52, 0x07, 0x08, 0x01, 0x12, 0x03, 0x0a, 0x01,
			 0x00),
	  .code = RB_PROTO_ERROR_MALFORMED, .gcode = RB_ERROR_INVALID,
	  .error = "malformed message: 9 bytes do not parse as a "
		   "ReactionMessage" },
	{ .name = "/codec/request/malformed/garbage",
	  .pdu = raw_pdu(0xff, 0xff, 0xff, 0xff, 0xff),
	  .code = RB_PROTO_ERROR_MALFORMED, .gcode = RB_ERROR_INVALID,
	  .error = "malformed message: 5 bytes do not parse as a "
		   "ReactionMessage" },
	{ .name = "/codec/request/malformed/truncated-length",
	  .pdu = raw_pdu(0x52, 0x05, 0x08, 0x01),
	  .code = RB_PROTO_ERROR_MALFORMED, .gcode = RB_ERROR_INVALID,
	  .error = "malformed message: 4 bytes do not parse as a "
		   "ReactionMessage" },
	{ .name = "/codec/request/malformed/huge-length",
	  .pdu = raw_pdu(0x52, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x08, 0x01),
	  .code = RB_PROTO_ERROR_MALFORMED, .gcode = RB_ERROR_INVALID,
	  .error = "malformed message: 8 bytes do not parse as a "
		   "ReactionMessage" },
	{ .name = "/codec/request/malformed/bad-submessage",
	  .pdu = raw_pdu(0x10, 0x01, 0x52, 0x02, 0xff, 0xff),
	  .code = RB_PROTO_ERROR_MALFORMED, .gcode = RB_ERROR_INVALID,
	  .error = "malformed message: 6 bytes do not parse as a "
		   "ReactionMessage" },
	{ .name = "/codec/request/malformed/field-zero",
	  .pdu = raw_pdu(0x00, 0x00),
	  .code = RB_PROTO_ERROR_MALFORMED, .gcode = RB_ERROR_INVALID,
	  .error = "malformed message: 2 bytes do not parse as a "
		   "ReactionMessage" },
	{ .name = "/codec/request/malformed/wire-type-7",
	  .pdu = raw_pdu(0x0f, 0x00),
	  .code = RB_PROTO_ERROR_MALFORMED, .gcode = RB_ERROR_INVALID,
	  .error = "malformed message: 2 bytes do not parse as a "
		   "ReactionMessage" },
	{ .name = "/codec/request/malformed/start-group",
	  .pdu = raw_pdu(0x1b, 0x1c),
	  .code = RB_PROTO_ERROR_MALFORMED, .gcode = RB_ERROR_INVALID,
	  .error = "malformed message: 2 bytes do not parse as a "
		   "ReactionMessage" },
};
/* clang-format on */

START_TEST(test_request)
{
	const RequestCase *c = &requests[_i];
	g_autoptr(GError) error = NULL;
	RbProtoError code = 0;
	RbRequest req;
	bool ok;

	/* Poison: the decoder must fill or zero every field. */
	memset(&req, 0xa5, sizeof(req));
	ok = rb_codec_decode_request(c->pdu.data, c->pdu.len, &req, &code,
				     &error);
	ck_assert_msg(ok == c->ok, "%s: %s", c->name,
		      error ? error->message : "accepted");
	ck_assert_uint_eq(req.request_id, c->request_id);
	if (ok) {
		ck_assert_ptr_null(error);
		ck_assert_int_eq(code, 0);
		ck_assert_int_eq(req.kind, c->kind);
		for (int i = 0; i < RB_SETTING_COUNT; i++) {
			ck_assert_int_eq(req.update.has[i], c->has[i]);
			ck_assert_uint_eq(req.update.value[i], c->value[i]);
		}
	} else {
		ck_assert_ptr_nonnull(error);
		ck_assert_int_eq(code, c->code);
		ck_assert(g_error_matches(error, RB_ERROR, c->gcode));
		ck_assert_str_eq(error->message, c->error);
		/* Nothing half-decoded is left in the update. */
		for (int i = 0; i < RB_SETTING_COUNT; i++) {
			ck_assert(!req.update.has[i]);
			ck_assert_uint_eq(req.update.value[i], 0);
		}
	}

	/* The same verdict without the optional outputs. */
	ck_assert_int_eq(rb_codec_decode_request(c->pdu.data, c->pdu.len, &req,
						 NULL, NULL),
			 c->ok);
}
END_TEST

START_TEST(test_request_too_large)
{
	g_autofree uint8_t *big = g_malloc0(RB_FRAME_MAX_MESSAGE + 1);
	g_autoptr(GError) error = NULL;
	RbProtoError code = 0;
	RbRequest req;

	memset(&req, 0xa5, sizeof(req));
	ck_assert(!rb_codec_decode_request(big, RB_FRAME_MAX_MESSAGE + 1, &req,
					   &code, &error));
	ck_assert_int_eq(code, RB_PROTO_ERROR_TOO_LARGE);
	ck_assert(g_error_matches(error, RB_ERROR, RB_ERROR_TOO_LARGE));
	ck_assert_str_eq(error->message,
			 "message of 4097 bytes exceeds the maximum of 4096");
	ck_assert_uint_eq(req.request_id, 0);
	ck_assert(!rb_codec_decode_request(big, RB_FRAME_MAX_MESSAGE + 1, &req,
					   NULL, NULL));
}
END_TEST

/* ---- requests: encode, then decode ---- */

typedef struct {
	const char *name;
	RbRequest req;
} RequestRoundTrip;

/* clang-format off */
static const RequestRoundTrip request_trips[] = {
	{ "/codec/round-trip/request/get",
	  { .kind = RB_REQUEST_CONFIG_GET, .request_id = 1 } },
	{ "/codec/round-trip/request/get-id-max",
	  { .kind = RB_REQUEST_CONFIG_GET, .request_id = UINT32_MAX } },
	{ "/codec/round-trip/request/set-none",
	  { .kind = RB_REQUEST_CONFIG_SET, .request_id = 2 } },
	{ "/codec/round-trip/request/set-partial",
	  { .kind = RB_REQUEST_CONFIG_SET, .request_id = 3,
	    .update = { .has = { true, false, false, true, false },
			.value = { 120000, 0, 0, 500, 0 } } } },
	{ "/codec/round-trip/request/set-all",
	  { .kind = RB_REQUEST_CONFIG_SET, .request_id = 4,
	    .update = { .has = { true, true, true, true, true },
			.value = { 5000, 10, 86400000, 30000, 10 } } } },
	{ "/codec/round-trip/request/set-zeros",
	  { .kind = RB_REQUEST_CONFIG_SET, .request_id = 0,
	    .update = { .has = { true, true, true, true, true } } } },
	{ "/codec/round-trip/request/set-max",
	  { .kind = RB_REQUEST_CONFIG_SET, .request_id = 5,
	    .update = { .has = { false, false, false, false, true },
			.value = { 0, 0, 0, 0, UINT32_MAX } } } },
};
/* clang-format on */

START_TEST(test_request_round_trip)
{
	const RbRequest *in = &request_trips[_i].req;
	g_autoptr(GError) error = NULL;
	g_autofree uint8_t *buf = NULL;
	Reaction__ReactionMessage *m;
	RbProtoError code = 0;
	RbRequest out;
	gsize len = 0;

	buf = rb_codec_encode_request(in, &len);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_gt(len, 0);

	m = unpack(buf, len);
	ck_assert_uint_eq(m->version, 1);
	ck_assert_int_eq(m->payload_case,
			 REACTION__REACTION_MESSAGE__PAYLOAD_CONFIG);
	reaction__reaction_message__free_unpacked(m, NULL);

	ck_assert_msg(rb_codec_decode_request(buf, len, &out, &code, &error),
		      "%s", error ? error->message : "?");
	ck_assert_int_eq(out.kind, in->kind);
	ck_assert_uint_eq(out.request_id, in->request_id);
	for (int i = 0; i < RB_SETTING_COUNT; i++) {
		bool has = in->kind == RB_REQUEST_CONFIG_SET &&
			   in->update.has[i];

		ck_assert_int_eq(out.update.has[i], has);
		ck_assert_uint_eq(out.update.value[i],
				  has ? in->update.value[i] : 0);
	}
}
END_TEST

/* ---- access: every status, reason and hint ---- */

#define N_STATUS 4
#define N_REASON 5
#define N_STALE 3

static const uint32_t access_times[] = {0, 1, 59999, UINT32_MAX};

static RbAccess access_for(int i)
{
	RbAccess a = {
		.status = (RbAccessStatus)(i % N_STATUS),
		.reason = (RbWriteVerdict)(i / N_STATUS % N_REASON),
		.stale = (RbStaleHint)(i / (N_STATUS * N_REASON) % N_STALE),
	};

	a.write_rejected = a.reason != RB_WRITE_OK;
	a.has_owner = i % 2;
	a.pairing_time_left_ms = access_times[i % 4];
	a.lockout_time_left_ms = access_times[(i / 3) % 4];
	return a;
}

START_TEST(test_access_round_trip)
{
	RbAccess in = access_for(_i);
	g_autoptr(GError) error = NULL;
	g_autofree uint8_t *buf = NULL;
	Reaction__ReactionMessage *m;
	RbReply reply;
	gsize len = 0;

	buf = rb_codec_encode_access(&in, &len);
	ck_assert_ptr_nonnull(buf);

	m = unpack(buf, len);
	ck_assert_uint_eq(m->version, 1);
	ck_assert_uint_eq(m->request_id, 0);
	ck_assert_int_eq(m->payload_case,
			 REACTION__REACTION_MESSAGE__PAYLOAD_BLE_ACCESS);
	ck_assert_int_eq(m->ble_access->status, in.status);
	ck_assert_int_eq(m->ble_access->reject_reason, in.reason);
	ck_assert_int_eq(m->ble_access->stale_bond, in.stale);
	reaction__reaction_message__free_unpacked(m, NULL);

	memset(&reply, 0xa5, sizeof(reply));
	ck_assert_msg(rb_codec_decode_reply(buf, len, &reply, &error), "%s",
		      error ? error->message : "?");
	ck_assert_int_eq(reply.kind, RB_REPLY_ACCESS);
	ck_assert_uint_eq(reply.request_id, 0);
	ck_assert_int_eq(reply.access.status, in.status);
	ck_assert_int_eq(reply.access.write_rejected, in.write_rejected);
	ck_assert_int_eq(reply.access.reason, in.reason);
	ck_assert_uint_eq(reply.access.pairing_time_left_ms,
			  in.pairing_time_left_ms);
	ck_assert_uint_eq(reply.access.lockout_time_left_ms,
			  in.lockout_time_left_ms);
	ck_assert_int_eq(reply.access.stale, in.stale);
	ck_assert_int_eq(reply.access.has_owner, in.has_owner);
}
END_TEST

/* The exact bytes of one notification: defaults are omitted (proto3). */
START_TEST(test_access_bytes)
{
	static const uint8_t expect[] = {
		0x08, 0x01, /* version 1 */
		0x5a, 0x08, /* ble_access, 8 bytes */
		0x08, 0x03, /* PAIRING_MODE */
		0x20, 0x90, 0xc8, 0x02, /* 42000 ms left */
		0x38, 0x01, /* has_owner */
	};
	RbAccess a = {
		.status = RB_ACCESS_PAIRING_MODE,
		.pairing_time_left_ms = 42000,
		.has_owner = true,
	};
	g_autofree uint8_t *buf = NULL;
	gsize len = 0;

	buf = rb_codec_encode_access(&a, &len);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(len, sizeof(expect));
	ck_assert_mem_eq(buf, expect, len);
}
END_TEST

/* ---- config ---- */

typedef struct {
	const char *name;
	uint32_t request_id;
	uint32_t value[RB_SETTING_COUNT];
} ConfigCase;

/* clang-format off */
static const ConfigCase configs[] = {
	{ "/codec/round-trip/config/defaults", 0,
	  { 60000, 3, 300000, 3000, 2 } },
	{ "/codec/round-trip/config/minimum", 17,
	  { 5000, 1, 5000, 500, 1 } },
	{ "/codec/round-trip/config/maximum", UINT32_MAX,
	  { 600000, 10, 86400000, 30000, 10 } },
	/* Zeros are still present: CURRENT has every field. */
	{ "/codec/round-trip/config/zeros", 1, { 0, 0, 0, 0, 0 } },
	{ "/codec/round-trip/config/u32-max", 2,
	  { UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX } },
};
/* clang-format on */

START_TEST(test_config_round_trip)
{
	const ConfigCase *c = &configs[_i];
	RbPolicyConfig cfg = {.allow_legacy_keys = true};
	g_autoptr(GError) error = NULL;
	g_autofree uint8_t *buf = NULL;
	Reaction__ReactionMessage *m;
	RbReply reply;
	gsize len = 0;

	memcpy(cfg.value, c->value, sizeof(cfg.value));
	buf = rb_codec_encode_config(&cfg, c->request_id, &len);
	ck_assert_ptr_nonnull(buf);

	m = unpack(buf, len);
	ck_assert_uint_eq(m->version, 1);
	ck_assert_int_eq(m->payload_case,
			 REACTION__REACTION_MESSAGE__PAYLOAD_CONFIG);
	ck_assert_int_eq(m->config->op,
			 REACTION__CONFIG_MESSAGE__OP__OP_CURRENT);
	ck_assert_ptr_nonnull(m->config->config);
	reaction__reaction_message__free_unpacked(m, NULL);

	memset(&reply, 0xa5, sizeof(reply));
	ck_assert_msg(rb_codec_decode_reply(buf, len, &reply, &error), "%s",
		      error ? error->message : "?");
	ck_assert_int_eq(reply.kind, RB_REPLY_CONFIG);
	ck_assert_uint_eq(reply.request_id, c->request_id);
	for (int i = 0; i < RB_SETTING_COUNT; i++)
		ck_assert_uint_eq(reply.config.value[i], c->value[i]);
	/* Config file only: never on the wire. */
	ck_assert(!reply.config.allow_legacy_keys);
}
END_TEST

/* ---- error ---- */

typedef struct {
	const char *name;
	RbProtoError code;
	const char *message;
	const char *field;
	uint32_t request_id;
	const char *expect_message;
	const char *expect_field;
} ErrorCase;

#define E_ACUTE "\xc3\xa9"
#define E4 E_ACUTE E_ACUTE E_ACUTE E_ACUTE
#define LONG_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* clang-format off */
static const ErrorCase errors[] = {
	{ "/codec/round-trip/error/malformed", RB_PROTO_ERROR_MALFORMED,
	  "fragment out of order: expected seq 3, got 5", NULL, 0,
	  "fragment out of order: expected seq 3, got 5", "" },
	{ "/codec/round-trip/error/out-of-range", RB_PROTO_ERROR_OUT_OF_RANGE,
	  "pin_failure_limit 11 is outside 1..10", "pin_failure_limit", 9,
	  "pin_failure_limit 11 is outside 1..10", "pin_failure_limit" },
	{ "/codec/round-trip/error/unsupported", RB_PROTO_ERROR_UNSUPPORTED,
	  "unsupported request: no payload", "", UINT32_MAX,
	  "unsupported request: no payload", "" },
	{ "/codec/round-trip/error/too-large", RB_PROTO_ERROR_TOO_LARGE,
	  "message of 4097 bytes exceeds the maximum of 4096", NULL, 1,
	  "message of 4097 bytes exceeds the maximum of 4096", "" },
	{ "/codec/round-trip/error/internal", RB_PROTO_ERROR_INTERNAL, NULL,
	  NULL, 2, "", "" },
	/* Long texts are cut to what RbReply holds. */
	{ "/codec/round-trip/error/long", RB_PROTO_ERROR_INTERNAL,
	  LONG_A LONG_A "bbbbbbbbbb",
	  "ffffffffffffffffffffffffffffffffffffffff", 3,
	  LONG_A LONG_A "bbb", "fffffffffffffffffffffffffffffff" },
	/* ... at a character boundary: 126 a's, then a 2-byte e-acute. */
	{ "/codec/round-trip/error/long-utf8", RB_PROTO_ERROR_INTERNAL,
	  LONG_A LONG_A "aa" E_ACUTE, E4 E4 E4 E4, 4,
	  LONG_A LONG_A "aa", E4 E4 E4 E_ACUTE E_ACUTE E_ACUTE },
};
/* clang-format on */

START_TEST(test_error_round_trip)
{
	const ErrorCase *c = &errors[_i];
	g_autoptr(GError) error = NULL;
	g_autofree uint8_t *buf = NULL;
	Reaction__ReactionMessage *m;
	RbReply reply;
	gsize len = 0;

	buf = rb_codec_encode_error(c->code, c->message, c->field,
				    c->request_id, &len);
	ck_assert_ptr_nonnull(buf);

	m = unpack(buf, len);
	ck_assert_uint_eq(m->version, 1);
	ck_assert_int_eq(m->payload_case,
			 REACTION__REACTION_MESSAGE__PAYLOAD_ERROR);
	ck_assert_int_eq(m->error->code, c->code);
	ck_assert_str_eq(m->error->message, c->expect_message);
	reaction__reaction_message__free_unpacked(m, NULL);

	memset(&reply, 0xa5, sizeof(reply));
	ck_assert_msg(rb_codec_decode_reply(buf, len, &reply, &error), "%s",
		      error ? error->message : "?");
	ck_assert_int_eq(reply.kind, RB_REPLY_ERROR);
	ck_assert_uint_eq(reply.request_id, c->request_id);
	ck_assert_int_eq(reply.error_code, c->code);
	ck_assert_str_eq(reply.error_message, c->expect_message);
	ck_assert_str_eq(reply.error_field, c->expect_field);
	ck_assert(g_utf8_validate(reply.error_message, -1, NULL));
	ck_assert(g_utf8_validate(reply.error_field, -1, NULL));
}
END_TEST

/* ---- replies the client must refuse ---- */

typedef struct {
	const char *name;
	Pdu pdu;
	const char *error;
} BadReplyCase;

/* clang-format off */
static const BadReplyCase bad_replies[] = {
	{ "/codec/reply/refuse/malformed", raw_pdu(0x08, 0x80),
	  "malformed reply: 2 bytes do not parse as a ReactionMessage" },
	{ "/codec/reply/refuse/no-payload", raw_pdu(0x08, 0x01),
	  "reply without a payload" },
	{ "/codec/reply/refuse/oneof-case-15", raw_pdu(0x08, 0x01, 0x7a, 0x00),
	  "reply without a known payload (unknown field 15)" },
	{ "/codec/reply/refuse/config-op-get", raw_pdu(0x52, 0x02, 0x08, 0x00),
	  "config reply with op 0, not CURRENT" },
	{ "/codec/reply/refuse/config-op-set", raw_pdu(0x52, 0x02, 0x08, 0x01),
	  "config reply with op 1, not CURRENT" },
	{ "/codec/reply/refuse/config-without-settings",
	  raw_pdu(0x52, 0x02, 0x08, 0x02),
	  "config reply without settings" },
	{ "/codec/reply/refuse/config-partial",
	  raw_pdu(0x52, 0x0c, 0x08, 0x02, 0x12, 0x08, 0x08, 0x01, 0x10, 0x01,
		  0x18, 0x01, 0x28, 0x01),
	  "config reply lacks stale_bond_window_ms" },
	{ "/codec/reply/refuse/access-status",
	  raw_pdu(0x5a, 0x02, 0x08, 0x04),
	  "unknown access status 4" },
	{ "/codec/reply/refuse/access-reason",
	  raw_pdu(0x5a, 0x02, 0x18, 0x05),
	  "unknown write reject reason 5" },
	{ "/codec/reply/refuse/access-stale",
	  raw_pdu(0x5a, 0x02, 0x30, 0x03),
	  "unknown stale bond hint 3" },
	{ "/codec/reply/refuse/access-status-negative",
	  raw_pdu(0x5a, 0x0b, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0xff, 0x01),
	  "unknown access status -1" },
	{ "/codec/reply/refuse/error-code-unspecified",
	  raw_pdu(0x62, 0x00),
	  "unknown error code 0" },
	{ "/codec/reply/refuse/error-code-8",
	  raw_pdu(0x62, 0x02, 0x08, 0x08),
	  "unknown error code 8" },
	{ "/codec/reply/refuse/application-bad-type",
	  raw_pdu(0xa2, 0x01, 0x04, 0x0a, 0x02, 'a', ' '),
	  "application message type must be 1..64 characters of A-Z a-z 0-9 _ . -" },
};
/* clang-format on */

START_TEST(test_bad_reply)
{
	const BadReplyCase *c = &bad_replies[_i];
	g_autoptr(GError) error = NULL;
	RbReply reply, before;

	memset(&reply, 0x5a, sizeof(reply));
	before = reply;
	ck_assert(!rb_codec_decode_reply(c->pdu.data, c->pdu.len, &reply,
					 &error));
	ck_assert(g_error_matches(error, RB_ERROR, RB_ERROR_INVALID));
	ck_assert_str_eq(error->message, c->error);
	/* Bad input changes nothing. */
	ck_assert_mem_eq(&reply, &before, sizeof(reply));
	ck_assert(
		!rb_codec_decode_reply(c->pdu.data, c->pdu.len, &reply, NULL));
}
END_TEST

/* Replies with unknown fields and a newer version still decode. */
START_TEST(test_reply_unknown_fields)
{
	static const uint8_t pdu[] = {
		0x08, 0x07, 0x10, 0x03, /* version 7, id 3 */
		0x62, 0x07, /* error */
		0x08, 0x02, /* OUT_OF_RANGE */
		0x98, 0x06, 0x01, /* field 99 */
		0x1a, 0x00, /* field "" */
		0x98, 0x06, 0x02, /* field 99 */
	};
	g_autoptr(GError) error = NULL;
	RbReply reply;

	ck_assert_msg(rb_codec_decode_reply(pdu, sizeof(pdu), &reply, &error),
		      "%s", error ? error->message : "?");
	ck_assert_int_eq(reply.kind, RB_REPLY_ERROR);
	ck_assert_uint_eq(reply.request_id, 3);
	ck_assert_int_eq(reply.error_code, RB_PROTO_ERROR_OUT_OF_RANGE);
	ck_assert_str_eq(reply.error_message, "");
	ck_assert_str_eq(reply.error_field, "");
}
END_TEST

/* ---- application messages ---- */

/* Hand-encoded: version 1, request_id 7, application {type "reset",
 * body 01 02}: the worked example of reaction-boxd-gatt(7). */
static const uint8_t app_request_bytes[] = {
	0x08, 0x01, 0x10, 0x07, 0xa2, 0x01, 0x0b, 0x0a, 0x05,
	'r',  'e',  's',  'e',	't',  0x12, 0x02, 0x01, 0x02,
};

START_TEST(test_app_request)
{
	RbRequest req;
	RbProtoError code = 0;
	g_autoptr(GError) error = NULL;
	g_autofree uint8_t *enc = NULL;
	gsize len = 0;

	ck_assert(rb_codec_decode_request(app_request_bytes,
					  sizeof(app_request_bytes), &req,
					  &code, &error));
	ck_assert_int_eq(req.kind, RB_REQUEST_APPLICATION);
	ck_assert_uint_eq(req.request_id, 7);
	ck_assert_str_eq(req.app.type, "reset");
	ck_assert_uint_eq(req.app.body_len, 2);
	ck_assert_uint_eq(req.app.body[1], 0x02);
	/* The client's encoder gives the same bytes. */
	enc = rb_codec_encode_request(&req, &len);
	ck_assert_uint_eq(len, sizeof(app_request_bytes));
	ck_assert_mem_eq(enc, app_request_bytes, len);
}
END_TEST

/* Type and body limits on a request from the air. */
static const struct {
	const char *type;
	gsize body_len;
	bool ok;
	RbProtoError code;
} app_limits[] = {
	{"", 0, false, RB_PROTO_ERROR_OUT_OF_RANGE},
	{"a b", 0, false, RB_PROTO_ERROR_OUT_OF_RANGE},
	{"t\xc3\xa9", 0, false, RB_PROTO_ERROR_OUT_OF_RANGE},
	{"x", RB_APP_BODY_MAX + 1, false, RB_PROTO_ERROR_TOO_LARGE},
	{"x", RB_APP_BODY_MAX, true, 0},
	{"start_timer.v2-A", 0, true, 0},
	{"0123456789012345678901234567890123456789012345678901234567890123", 1,
	 true, 0},
	{"01234567890123456789012345678901234567890123456789012345678901234", 1,
	 false, RB_PROTO_ERROR_OUT_OF_RANGE},
};

START_TEST(test_app_limits)
{
	Reaction__ReactionMessage m = REACTION__REACTION_MESSAGE__INIT;
	Reaction__ApplicationMessage am = REACTION__APPLICATION_MESSAGE__INIT;
	g_autofree uint8_t *body = g_malloc0(RB_APP_BODY_MAX + 1);
	g_autofree uint8_t *buf = NULL;
	g_autoptr(GError) error = NULL;
	RbRequest req;
	RbProtoError code = 0;
	gsize len;
	bool ok;

	am.type = (char *)app_limits[_i].type;
	am.body.data = body;
	am.body.len = app_limits[_i].body_len;
	m.request_id = 3;
	m.payload_case = REACTION__REACTION_MESSAGE__PAYLOAD_APPLICATION;
	m.application = &am;
	len = reaction__reaction_message__get_packed_size(&m);
	buf = g_malloc(len);
	reaction__reaction_message__pack(&m, buf);
	ok = rb_codec_decode_request(buf, len, &req, &code, &error);
	ck_assert_int_eq(ok, app_limits[_i].ok);
	if (!ok) {
		ck_assert_int_eq(code, app_limits[_i].code);
		ck_assert_uint_eq(req.request_id, 3);
		ck_assert_ptr_nonnull(error);
	} else {
		ck_assert_str_eq(req.app.type, app_limits[_i].type);
		ck_assert_uint_eq(req.app.body_len, app_limits[_i].body_len);
	}
}
END_TEST

START_TEST(test_app_reply_round_trip)
{
	RbAppMessage app;
	RbReply reply;
	g_autofree uint8_t *enc = NULL;
	g_autoptr(GError) error = NULL;
	gsize len = 0;
	static const uint8_t body[] = {0x00, 0xff, 0x10};

	ck_assert(rb_app_message_set(&app, "tick", body, sizeof(body), NULL));
	enc = rb_codec_encode_application(&app, 9, &len);
	ck_assert(rb_codec_decode_reply(enc, len, &reply, &error));
	ck_assert_int_eq(reply.kind, RB_REPLY_APPLICATION);
	ck_assert_uint_eq(reply.request_id, 9);
	ck_assert_str_eq(reply.app.type, "tick");
	ck_assert_uint_eq(reply.app.body_len, sizeof(body));
	ck_assert_mem_eq(reply.app.body, body, sizeof(body));
	g_clear_pointer(&enc, g_free);
	/* The empty state (app_state before SetState) decodes too. */
	memset(&app, 0, sizeof(app));
	enc = rb_codec_encode_application(&app, 0, &len);
	ck_assert(rb_codec_decode_reply(enc, len, &reply, &error));
	ck_assert_int_eq(reply.kind, RB_REPLY_APPLICATION);
	ck_assert_str_eq(reply.app.type, "");
	/* rb_app_message_set() leaves @out alone on bad input. */
	ck_assert(!rb_app_message_set(&app, "bad type", body, 1, &error));
	ck_assert_str_eq(app.type, "");
}
END_TEST

START_TEST(test_error_codes_new)
{
	RbReply reply;
	g_autofree uint8_t *enc = NULL;
	gsize len = 0;

	enc = rb_codec_encode_error(RB_PROTO_ERROR_UNAVAILABLE,
				    "no application", "", 4, &len);
	ck_assert(rb_codec_decode_reply(enc, len, &reply, NULL));
	ck_assert_int_eq(reply.error_code, RB_PROTO_ERROR_UNAVAILABLE);
	g_clear_pointer(&enc, g_free);
	enc = rb_codec_encode_error(RB_PROTO_ERROR_APPLICATION, "x", "", 4,
				    &len);
	ck_assert(rb_codec_decode_reply(enc, len, &reply, NULL));
	ck_assert_int_eq(reply.error_code, RB_PROTO_ERROR_APPLICATION);
}
END_TEST

static Suite *codec_suite(void)
{
	Suite *s = suite_create("codec");

	for (guint i = 0; i < G_N_ELEMENTS(requests); i++)
		add_loop(s, requests[i].name, test_request, i, i + 1);
	add_test(s, "/codec/request/too-large", test_request_too_large);
	for (guint i = 0; i < G_N_ELEMENTS(request_trips); i++)
		add_loop(s, request_trips[i].name, test_request_round_trip, i,
			 i + 1);

	for (int i = 0; i < N_STATUS * N_REASON * N_STALE; i++) {
		RbAccess a = access_for(i);
		char *name = g_strdup_printf(
			"/codec/round-trip/access/status-%d/reason-%d/stale-%d",
			a.status, a.reason, a.stale);

		g_ptr_array_add(tcase_names, name);
		add_loop(s, name, test_access_round_trip, i, i + 1);
	}
	add_test(s, "/codec/encode/access/bytes", test_access_bytes);

	for (guint i = 0; i < G_N_ELEMENTS(configs); i++)
		add_loop(s, configs[i].name, test_config_round_trip, i, i + 1);
	for (guint i = 0; i < G_N_ELEMENTS(errors); i++)
		add_loop(s, errors[i].name, test_error_round_trip, i, i + 1);
	for (guint i = 0; i < G_N_ELEMENTS(bad_replies); i++)
		add_loop(s, bad_replies[i].name, test_bad_reply, i, i + 1);
	add_test(s, "/codec/reply/unknown-fields", test_reply_unknown_fields);
	add_test(s, "/codec/application/request-bytes", test_app_request);
	add_loop(s, "/codec/application/limits", test_app_limits, 0,
		 G_N_ELEMENTS(app_limits));
	add_test(s, "/codec/application/reply-round-trip",
		 test_app_reply_round_trip);
	add_test(s, "/codec/application/error-codes", test_error_codes_new);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	tcase_names = g_ptr_array_new_with_free_func(g_free);
	sr = srunner_create(codec_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	g_ptr_array_unref(tcase_names);
	return failed ? 1 : 0;
}
