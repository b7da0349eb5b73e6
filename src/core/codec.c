// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * protobuf encoding and decoding of ReactionMessage.
 *
 * The codec checks the shape of a message, not its values: ranges are the
 * policy's business (rb_policy_config_apply()). Unknown fields are ignored
 * (proto3); a payload the box does not know, or one it never receives, is
 * UNSUPPORTED.
 */
#define G_LOG_DOMAIN "rb-codec"

#include <string.h>

#include "core/codec.h"
#include "core/error.h"
#include "core/framing.h"
#include "proto/reaction.pb-c.h"

#define PROTOCOL_VERSION REACTION__PROTOCOL_VERSION__PROTOCOL_VERSION_CURRENT

/* Field numbers reserved in ReactionMessage's payload oneof for OTA. */
#define PAYLOAD_RESERVED_FIRST 13
#define PAYLOAD_RESERVED_LAST 19

/* The core's enums carry the wire values. */
#define SAME_VALUE(a, b) G_STATIC_ASSERT((int)(a) == (int)(b))
SAME_VALUE(RB_ACCESS_NO_CONNECTION,
	   REACTION__BLE_ACCESS_MESSAGE__STATUS__NO_CONNECTION);
SAME_VALUE(RB_ACCESS_READ_ONLY,
	   REACTION__BLE_ACCESS_MESSAGE__STATUS__READ_ONLY);
SAME_VALUE(RB_ACCESS_WRITE_AUTHORIZED,
	   REACTION__BLE_ACCESS_MESSAGE__STATUS__WRITE_AUTHORIZED);
SAME_VALUE(RB_ACCESS_PAIRING_MODE,
	   REACTION__BLE_ACCESS_MESSAGE__STATUS__PAIRING_MODE);
SAME_VALUE(
	RB_WRITE_OK,
	REACTION__BLE_ACCESS_MESSAGE__WRITE_REJECT_REASON__WRITE_REJECT_NONE);
SAME_VALUE(
	RB_WRITE_REJECT_NOT_PAIRED,
	REACTION__BLE_ACCESS_MESSAGE__WRITE_REJECT_REASON__WRITE_REJECT_NOT_PAIRED);
SAME_VALUE(
	RB_WRITE_REJECT_NOT_ENCRYPTED,
	REACTION__BLE_ACCESS_MESSAGE__WRITE_REJECT_REASON__WRITE_REJECT_NOT_ENCRYPTED);
SAME_VALUE(
	RB_WRITE_REJECT_NOT_AUTHENTICATED,
	REACTION__BLE_ACCESS_MESSAGE__WRITE_REJECT_REASON__WRITE_REJECT_NOT_AUTHENTICATED);
SAME_VALUE(
	RB_WRITE_REJECT_NOT_AUTHORIZED,
	REACTION__BLE_ACCESS_MESSAGE__WRITE_REJECT_REASON__WRITE_REJECT_NOT_AUTHORIZED);
SAME_VALUE(RB_STALE_NONE,
	   REACTION__BLE_ACCESS_MESSAGE__STALE_BOND_HINT__STALE_BOND_NONE);
SAME_VALUE(
	RB_STALE_BOX_HAS_STALE_BOND,
	REACTION__BLE_ACCESS_MESSAGE__STALE_BOND_HINT__STALE_BOND_BOX_HAS_STALE_BOND);
SAME_VALUE(
	RB_STALE_PHONE_HAS_STALE_BOND,
	REACTION__BLE_ACCESS_MESSAGE__STALE_BOND_HINT__STALE_BOND_PHONE_HAS_STALE_BOND);
SAME_VALUE(RB_PROTO_ERROR_MALFORMED,
	   REACTION__ERROR_MESSAGE__CODE__ERROR_CODE_MALFORMED);
SAME_VALUE(RB_PROTO_ERROR_OUT_OF_RANGE,
	   REACTION__ERROR_MESSAGE__CODE__ERROR_CODE_OUT_OF_RANGE);
SAME_VALUE(RB_PROTO_ERROR_UNSUPPORTED,
	   REACTION__ERROR_MESSAGE__CODE__ERROR_CODE_UNSUPPORTED);
SAME_VALUE(RB_PROTO_ERROR_TOO_LARGE,
	   REACTION__ERROR_MESSAGE__CODE__ERROR_CODE_TOO_LARGE);
SAME_VALUE(RB_PROTO_ERROR_INTERNAL,
	   REACTION__ERROR_MESSAGE__CODE__ERROR_CODE_INTERNAL);
SAME_VALUE(RB_PROTO_ERROR_UNAVAILABLE,
	   REACTION__ERROR_MESSAGE__CODE__ERROR_CODE_UNAVAILABLE);
SAME_VALUE(RB_PROTO_ERROR_APPLICATION,
	   REACTION__ERROR_MESSAGE__CODE__ERROR_CODE_APPLICATION);

bool rb_app_type_valid(const char *type)
{
	gsize n;

	if (!type)
		return false;
	n = strlen(type);
	if (n == 0 || n > RB_APP_TYPE_MAX)
		return false;
	for (gsize i = 0; i < n; i++) {
		char ch = type[i];

		if (!g_ascii_isalnum(ch) && ch != '_' && ch != '.' && ch != '-')
			return false;
	}
	return true;
}

bool rb_app_message_set(RbAppMessage *out, const char *type,
			const uint8_t *body, gsize len, GError **error)
{
	if (!rb_app_type_valid(type)) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "application message type must be 1..%d "
			    "characters of A-Z a-z 0-9 _ . -",
			    RB_APP_TYPE_MAX);
		return false;
	}
	if (len > RB_APP_BODY_MAX) {
		g_set_error(error, RB_ERROR, RB_ERROR_TOO_LARGE,
			    "application message body of %" G_GSIZE_FORMAT
			    " bytes exceeds the maximum of %d",
			    len, RB_APP_BODY_MAX);
		return false;
	}
	g_strlcpy(out->type, type, sizeof(out->type));
	if (len)
		memcpy(out->body, body, len);
	out->body_len = len;
	return true;
}

/* The settings in RbSetting order, as DeviceConfig fields. */
G_STATIC_ASSERT(RB_SETTING_COUNT == 5);

static void device_config_get(const Reaction__DeviceConfig *dc,
			      bool has[RB_SETTING_COUNT],
			      uint32_t value[RB_SETTING_COUNT])
{
	has[RB_SETTING_PAIRING_TIMEOUT_MS] =
		dc->has_pairing_timeout_ms_case ==
		REACTION__DEVICE_CONFIG__HAS_PAIRING_TIMEOUT_MS_PAIRING_TIMEOUT_MS;
	value[RB_SETTING_PAIRING_TIMEOUT_MS] = dc->pairing_timeout_ms;
	has[RB_SETTING_PIN_FAILURE_LIMIT] =
		dc->has_pin_failure_limit_case ==
		REACTION__DEVICE_CONFIG__HAS_PIN_FAILURE_LIMIT_PIN_FAILURE_LIMIT;
	value[RB_SETTING_PIN_FAILURE_LIMIT] = dc->pin_failure_limit;
	has[RB_SETTING_PIN_LOCKOUT_MS] =
		dc->has_pin_lockout_ms_case ==
		REACTION__DEVICE_CONFIG__HAS_PIN_LOCKOUT_MS_PIN_LOCKOUT_MS;
	value[RB_SETTING_PIN_LOCKOUT_MS] = dc->pin_lockout_ms;
	has[RB_SETTING_STALE_BOND_WINDOW_MS] =
		dc->has_stale_bond_window_ms_case ==
		REACTION__DEVICE_CONFIG__HAS_STALE_BOND_WINDOW_MS_STALE_BOND_WINDOW_MS;
	value[RB_SETTING_STALE_BOND_WINDOW_MS] = dc->stale_bond_window_ms;
	has[RB_SETTING_STALE_BOND_STRIKES] =
		dc->has_stale_bond_strikes_case ==
		REACTION__DEVICE_CONFIG__HAS_STALE_BOND_STRIKES_STALE_BOND_STRIKES;
	value[RB_SETTING_STALE_BOND_STRIKES] = dc->stale_bond_strikes;

	/* An absent setting reads as 0, not as a stale union member. */
	for (unsigned int i = 0; i < RB_SETTING_COUNT; i++) {
		if (!has[i])
			value[i] = 0;
	}
}

static void device_config_set(Reaction__DeviceConfig *dc,
			      const bool has[RB_SETTING_COUNT],
			      const uint32_t value[RB_SETTING_COUNT])
{
	if (has[RB_SETTING_PAIRING_TIMEOUT_MS]) {
		dc->has_pairing_timeout_ms_case =
			REACTION__DEVICE_CONFIG__HAS_PAIRING_TIMEOUT_MS_PAIRING_TIMEOUT_MS;
		dc->pairing_timeout_ms = value[RB_SETTING_PAIRING_TIMEOUT_MS];
	}
	if (has[RB_SETTING_PIN_FAILURE_LIMIT]) {
		dc->has_pin_failure_limit_case =
			REACTION__DEVICE_CONFIG__HAS_PIN_FAILURE_LIMIT_PIN_FAILURE_LIMIT;
		dc->pin_failure_limit = value[RB_SETTING_PIN_FAILURE_LIMIT];
	}
	if (has[RB_SETTING_PIN_LOCKOUT_MS]) {
		dc->has_pin_lockout_ms_case =
			REACTION__DEVICE_CONFIG__HAS_PIN_LOCKOUT_MS_PIN_LOCKOUT_MS;
		dc->pin_lockout_ms = value[RB_SETTING_PIN_LOCKOUT_MS];
	}
	if (has[RB_SETTING_STALE_BOND_WINDOW_MS]) {
		dc->has_stale_bond_window_ms_case =
			REACTION__DEVICE_CONFIG__HAS_STALE_BOND_WINDOW_MS_STALE_BOND_WINDOW_MS;
		dc->stale_bond_window_ms =
			value[RB_SETTING_STALE_BOND_WINDOW_MS];
	}
	if (has[RB_SETTING_STALE_BOND_STRIKES]) {
		dc->has_stale_bond_strikes_case =
			REACTION__DEVICE_CONFIG__HAS_STALE_BOND_STRIKES_STALE_BOND_STRIKES;
		dc->stale_bond_strikes = value[RB_SETTING_STALE_BOND_STRIKES];
	}
}

/* Packs @msg into a new buffer; NULL only on a protobuf-c failure. */
static uint8_t *pack_root(const Reaction__ReactionMessage *msg, gsize *len)
{
	size_t size = reaction__reaction_message__get_packed_size(msg);
	/* g_malloc(0) returns NULL: keep a byte for the empty message. */
	uint8_t *buf = g_malloc(MAX(size, 1));
	size_t packed = reaction__reaction_message__pack(msg, buf);

	if (packed != size) {
		g_critical("protobuf-c packed %zu bytes of a %zu-byte "
			   "ReactionMessage",
			   packed, size);
		g_free(buf);
		*len = 0;
		return NULL;
	}
	*len = size;
	return buf;
}

/* @src copied into @dst[@size], cut at a UTF-8 character boundary. */
static void copy_utf8(char *dst, gsize size, const char *src)
{
	gsize n;

	if (!src) {
		dst[0] = '\0';
		return;
	}
	n = strlen(src);
	if (n >= size) {
		n = size - 1;
		/* Back up over continuation bytes (10xxxxxx). */
		while (n > 0 && ((uint8_t)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static bool unsupported(RbProtoError *code, GError **error, const char *what)
{
	if (code)
		*code = RB_PROTO_ERROR_UNSUPPORTED;
	g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
		    "unsupported request: %s", what);
	return false;
}

/* The first unknown field of the root in the payload's reserved range. */
static uint32_t reserved_payload_field(const Reaction__ReactionMessage *m)
{
	for (size_t i = 0; i < m->base.n_unknown_fields; i++) {
		uint32_t tag = m->base.unknown_fields[i].tag;

		if (tag >= PAYLOAD_RESERVED_FIRST &&
		    tag <= PAYLOAD_RESERVED_LAST)
			return tag;
	}
	return 0;
}

/* The first unknown field of the root, or 0. */
static uint32_t unknown_field(const Reaction__ReactionMessage *m)
{
	return m->base.n_unknown_fields ? m->base.unknown_fields[0].tag : 0;
}

static bool decode_app_request(const Reaction__ApplicationMessage *am,
			       RbRequest *req, RbProtoError *code,
			       GError **error)
{
	GError *e = NULL;

	req->kind = RB_REQUEST_APPLICATION;
	if (rb_app_message_set(&req->app, am->type, am->body.data, am->body.len,
			       &e))
		return true;
	if (code)
		*code = g_error_matches(e, RB_ERROR, RB_ERROR_TOO_LARGE)
				? RB_PROTO_ERROR_TOO_LARGE
				: RB_PROTO_ERROR_OUT_OF_RANGE;
	g_propagate_error(error, e);
	return false;
}

static bool decode_request(const Reaction__ReactionMessage *m, RbRequest *req,
			   RbProtoError *code, GError **error)
{
	const Reaction__ConfigMessage *cm;
	g_autofree char *what = NULL;
	uint32_t reserved = reserved_payload_field(m);

	if (reserved) {
		what = g_strdup_printf("payload field %u", reserved);
		return unsupported(code, error, what);
	}
	if (m->payload_case == REACTION__REACTION_MESSAGE__PAYLOAD__NOT_SET) {
		uint32_t tag = unknown_field(m);

		if (tag)
			what = g_strdup_printf("no known payload (unknown "
					       "field %u)",
					       tag);
		return unsupported(code, error, what ? what : "no payload");
	}
	if (m->payload_case == REACTION__REACTION_MESSAGE__PAYLOAD_BLE_ACCESS)
		return unsupported(code, error,
				   "ble_access is sent by the box only");
	if (m->payload_case == REACTION__REACTION_MESSAGE__PAYLOAD_ERROR)
		return unsupported(code, error,
				   "error is sent by the box only");
	if (m->payload_case == REACTION__REACTION_MESSAGE__PAYLOAD_APPLICATION)
		return decode_app_request(m->application, req, code, error);
	if (m->payload_case != REACTION__REACTION_MESSAGE__PAYLOAD_CONFIG) {
		what = g_strdup_printf("payload case %d", (int)m->payload_case);
		return unsupported(code, error, what);
	}

	cm = m->config;
	if (cm->op == REACTION__CONFIG_MESSAGE__OP__OP_GET) {
		req->kind = RB_REQUEST_CONFIG_GET;
		return true;
	}
	if (cm->op == REACTION__CONFIG_MESSAGE__OP__OP_SET) {
		req->kind = RB_REQUEST_CONFIG_SET;
		/* No DeviceConfig at all: a SET that changes nothing. */
		if (cm->config)
			device_config_get(cm->config, req->update.has,
					  req->update.value);
		return true;
	}
	if (cm->op == REACTION__CONFIG_MESSAGE__OP__OP_CURRENT)
		return unsupported(code, error,
				   "config op CURRENT is sent by the box only");
	what = g_strdup_printf("config op %d", (int)cm->op);
	return unsupported(code, error, what);
}

bool rb_codec_decode_request(const uint8_t *data, gsize len, RbRequest *req,
			     RbProtoError *code, GError **error)
{
	Reaction__ReactionMessage *m;
	bool ok;

	g_return_val_if_fail(data != NULL || len == 0, false);
	g_return_val_if_fail(req != NULL, false);

	memset(req, 0, sizeof(*req));
	if (len > RB_FRAME_MAX_MESSAGE) {
		if (code)
			*code = RB_PROTO_ERROR_TOO_LARGE;
		g_set_error(error, RB_ERROR, RB_ERROR_TOO_LARGE,
			    "message of %" G_GSIZE_FORMAT
			    " bytes exceeds the maximum of %d",
			    len, RB_FRAME_MAX_MESSAGE);
		return false;
	}

	m = reaction__reaction_message__unpack(NULL, len, data);
	if (!m) {
		if (code)
			*code = RB_PROTO_ERROR_MALFORMED;
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "malformed message: %" G_GSIZE_FORMAT
			    " bytes do not parse as a ReactionMessage",
			    len);
		return false;
	}

	/* Any version parses: unknown fields are ignored, 0 means 1. */
	req->request_id = m->request_id;
	ok = decode_request(m, req, code, error);
	if (!ok) {
		memset(&req->update, 0, sizeof(req->update));
		memset(&req->app, 0, sizeof(req->app));
		req->kind = RB_REQUEST_CONFIG_GET;
	}
	reaction__reaction_message__free_unpacked(m, NULL);
	return ok;
}

uint8_t *rb_codec_encode_access(const RbAccess *access, gsize *len)
{
	Reaction__ReactionMessage m = REACTION__REACTION_MESSAGE__INIT;
	Reaction__BleAccessMessage a = REACTION__BLE_ACCESS_MESSAGE__INIT;

	g_return_val_if_fail(access != NULL && len != NULL, NULL);

	a.status = (Reaction__BleAccessMessage__Status)access->status;
	a.write_rejected = access->write_rejected;
	a.reject_reason = (Reaction__BleAccessMessage__WriteRejectReason)
				  access->reason;
	a.pairing_time_left_ms = access->pairing_time_left_ms;
	a.lockout_time_left_ms = access->lockout_time_left_ms;
	a.stale_bond = (Reaction__BleAccessMessage__StaleBondHint)access->stale;
	a.has_owner = access->has_owner;

	m.version = PROTOCOL_VERSION;
	m.payload_case = REACTION__REACTION_MESSAGE__PAYLOAD_BLE_ACCESS;
	m.ble_access = &a;
	return pack_root(&m, len);
}

uint8_t *rb_codec_encode_config(const RbPolicyConfig *cfg, uint32_t request_id,
				gsize *len)
{
	Reaction__ReactionMessage m = REACTION__REACTION_MESSAGE__INIT;
	Reaction__ConfigMessage cm = REACTION__CONFIG_MESSAGE__INIT;
	Reaction__DeviceConfig dc = REACTION__DEVICE_CONFIG__INIT;
	static const bool all[RB_SETTING_COUNT] = {true, true, true, true,
						   true};

	g_return_val_if_fail(cfg != NULL && len != NULL, NULL);

	device_config_set(&dc, all, cfg->value);
	cm.op = REACTION__CONFIG_MESSAGE__OP__OP_CURRENT;
	cm.config = &dc;

	m.version = PROTOCOL_VERSION;
	m.request_id = request_id;
	m.payload_case = REACTION__REACTION_MESSAGE__PAYLOAD_CONFIG;
	m.config = &cm;
	return pack_root(&m, len);
}

/* Limits that keep an error reply small and fit RbReply's buffers. */
#define ERROR_MESSAGE_MAX (sizeof(((RbReply *)NULL)->error_message))
#define ERROR_FIELD_MAX (sizeof(((RbReply *)NULL)->error_field))

uint8_t *rb_codec_encode_error(RbProtoError code, const char *message,
			       const char *field, uint32_t request_id,
			       gsize *len)
{
	Reaction__ReactionMessage m = REACTION__REACTION_MESSAGE__INIT;
	Reaction__ErrorMessage e = REACTION__ERROR_MESSAGE__INIT;
	char msg_buf[ERROR_MESSAGE_MAX];
	char field_buf[ERROR_FIELD_MAX];

	g_return_val_if_fail(len != NULL, NULL);

	copy_utf8(msg_buf, sizeof(msg_buf), message);
	copy_utf8(field_buf, sizeof(field_buf), field);
	e.code = (Reaction__ErrorMessage__Code)code;
	e.message = msg_buf;
	e.field = field_buf;

	m.version = PROTOCOL_VERSION;
	m.request_id = request_id;
	m.payload_case = REACTION__REACTION_MESSAGE__PAYLOAD_ERROR;
	m.error = &e;
	return pack_root(&m, len);
}

static uint8_t *encode_app(const RbAppMessage *app, uint32_t request_id,
			   gsize *len)
{
	Reaction__ReactionMessage m = REACTION__REACTION_MESSAGE__INIT;
	Reaction__ApplicationMessage am = REACTION__APPLICATION_MESSAGE__INIT;

	am.type = (char *)app->type;
	am.body.data = (uint8_t *)app->body;
	am.body.len = MIN(app->body_len, RB_APP_BODY_MAX);
	m.version = PROTOCOL_VERSION;
	m.request_id = request_id;
	m.payload_case = REACTION__REACTION_MESSAGE__PAYLOAD_APPLICATION;
	m.application = &am;
	return pack_root(&m, len);
}

uint8_t *rb_codec_encode_application(const RbAppMessage *app,
				     uint32_t request_id, gsize *len)
{
	g_return_val_if_fail(app != NULL && len != NULL, NULL);
	return encode_app(app, request_id, len);
}

uint8_t *rb_codec_encode_request(const RbRequest *req, gsize *len)
{
	Reaction__ReactionMessage m = REACTION__REACTION_MESSAGE__INIT;
	Reaction__ConfigMessage cm = REACTION__CONFIG_MESSAGE__INIT;
	Reaction__DeviceConfig dc = REACTION__DEVICE_CONFIG__INIT;

	g_return_val_if_fail(req != NULL && len != NULL, NULL);

	switch (req->kind) {
	case RB_REQUEST_APPLICATION:
		return encode_app(&req->app, req->request_id, len);
	case RB_REQUEST_CONFIG_GET:
		cm.op = REACTION__CONFIG_MESSAGE__OP__OP_GET;
		break;
	case RB_REQUEST_CONFIG_SET:
		cm.op = REACTION__CONFIG_MESSAGE__OP__OP_SET;
		device_config_set(&dc, req->update.has, req->update.value);
		cm.config = &dc;
		break;
	}

	m.version = PROTOCOL_VERSION;
	m.request_id = req->request_id;
	m.payload_case = REACTION__REACTION_MESSAGE__PAYLOAD_CONFIG;
	m.config = &cm;
	return pack_root(&m, len);
}

G_GNUC_PRINTF(2, 3)
static bool reply_invalid(GError **error, const char *fmt, ...)
{
	va_list ap;

	if (error) {
		va_start(ap, fmt);
		g_propagate_error(error,
				  g_error_new_valist(RB_ERROR, RB_ERROR_INVALID,
						     fmt, ap));
		va_end(ap);
	}
	return false;
}

static bool decode_access(const Reaction__BleAccessMessage *a, RbAccess *out,
			  GError **error)
{
	if ((int)a->status < RB_ACCESS_NO_CONNECTION ||
	    (int)a->status > RB_ACCESS_PAIRING_MODE)
		return reply_invalid(error, "unknown access status %d",
				     (int)a->status);
	if ((int)a->reject_reason < RB_WRITE_OK ||
	    (int)a->reject_reason > RB_WRITE_REJECT_NOT_AUTHORIZED)
		return reply_invalid(error, "unknown write reject reason %d",
				     (int)a->reject_reason);
	if ((int)a->stale_bond < RB_STALE_NONE ||
	    (int)a->stale_bond > RB_STALE_PHONE_HAS_STALE_BOND)
		return reply_invalid(error, "unknown stale bond hint %d",
				     (int)a->stale_bond);

	out->status = (RbAccessStatus)a->status;
	out->write_rejected = a->write_rejected;
	out->reason = (RbWriteVerdict)a->reject_reason;
	out->pairing_time_left_ms = a->pairing_time_left_ms;
	out->lockout_time_left_ms = a->lockout_time_left_ms;
	out->stale = (RbStaleHint)a->stale_bond;
	out->has_owner = a->has_owner;
	return true;
}

static const char *const setting_fields[RB_SETTING_COUNT] = {
	[RB_SETTING_PAIRING_TIMEOUT_MS] = "pairing_timeout_ms",
	[RB_SETTING_PIN_FAILURE_LIMIT] = "pin_failure_limit",
	[RB_SETTING_PIN_LOCKOUT_MS] = "pin_lockout_ms",
	[RB_SETTING_STALE_BOND_WINDOW_MS] = "stale_bond_window_ms",
	[RB_SETTING_STALE_BOND_STRIKES] = "stale_bond_strikes",
};

static bool decode_config(const Reaction__ConfigMessage *cm,
			  RbPolicyConfig *out, GError **error)
{
	bool has[RB_SETTING_COUNT];

	if (cm->op != REACTION__CONFIG_MESSAGE__OP__OP_CURRENT)
		return reply_invalid(error,
				     "config reply with op %d, not CURRENT",
				     (int)cm->op);
	if (!cm->config) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "config reply without settings");
		return false;
	}
	device_config_get(cm->config, has, out->value);
	for (unsigned int i = 0; i < RB_SETTING_COUNT; i++) {
		if (!has[i]) {
			g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
				    "config reply lacks %s", setting_fields[i]);
			return false;
		}
	}
	return true;
}

static bool decode_error(const Reaction__ErrorMessage *e, RbReply *reply,
			 GError **error)
{
	if ((int)e->code < RB_PROTO_ERROR_MALFORMED ||
	    (int)e->code > RB_PROTO_ERROR_APPLICATION)
		return reply_invalid(error, "unknown error code %d",
				     (int)e->code);
	reply->error_code = (RbProtoError)e->code;
	copy_utf8(reply->error_message, sizeof(reply->error_message),
		  e->message);
	copy_utf8(reply->error_field, sizeof(reply->error_field), e->field);
	return true;
}

static bool decode_reply(const Reaction__ReactionMessage *m, RbReply *reply,
			 GError **error)
{
	if (m->payload_case == REACTION__REACTION_MESSAGE__PAYLOAD_BLE_ACCESS) {
		reply->kind = RB_REPLY_ACCESS;
		return decode_access(m->ble_access, &reply->access, error);
	}
	if (m->payload_case == REACTION__REACTION_MESSAGE__PAYLOAD_CONFIG) {
		reply->kind = RB_REPLY_CONFIG;
		return decode_config(m->config, &reply->config, error);
	}
	if (m->payload_case == REACTION__REACTION_MESSAGE__PAYLOAD_ERROR) {
		reply->kind = RB_REPLY_ERROR;
		return decode_error(m->error, reply, error);
	}
	if (m->payload_case ==
	    REACTION__REACTION_MESSAGE__PAYLOAD_APPLICATION) {
		const Reaction__ApplicationMessage *am = m->application;

		reply->kind = RB_REPLY_APPLICATION;
		/* An empty type: app_state before any state was set. */
		if (am->type && !am->type[0] && am->body.len == 0)
			return true;
		return rb_app_message_set(&reply->app, am->type, am->body.data,
					  am->body.len, error);
	}
	if (m->base.n_unknown_fields)
		return reply_invalid(error,
				     "reply without a known payload (unknown "
				     "field %d)",
				     (int)unknown_field(m));
	g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
		    "reply without a payload");
	return false;
}

bool rb_codec_decode_reply(const uint8_t *data, gsize len, RbReply *reply,
			   GError **error)
{
	Reaction__ReactionMessage *m;
	RbReply tmp = {0};
	bool ok;

	g_return_val_if_fail(data != NULL || len == 0, false);
	g_return_val_if_fail(reply != NULL, false);

	m = reaction__reaction_message__unpack(NULL, len, data);
	if (!m) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "malformed reply: %" G_GSIZE_FORMAT
			    " bytes do not parse as a ReactionMessage",
			    len);
		return false;
	}
	tmp.request_id = m->request_id;
	ok = decode_reply(m, &tmp, error);
	reaction__reaction_message__free_unpacked(m, NULL);
	if (ok)
		*reply = tmp;
	return ok;
}
