/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * protobuf encoding and decoding of the root ReactionMessage (see
 * proto/reaction.proto), between wire bytes and the core's plain types.
 * Pure.
 */
#pragma once

#include <glib.h>

#include "core/config.h"
#include "core/policy.h"

typedef enum {
	RB_REQUEST_CONFIG_GET = 0,
	RB_REQUEST_CONFIG_SET,
	RB_REQUEST_APPLICATION, /* an ApplicationMessage for the box's app */
} RbRequestKind;

/* ApplicationMessage limits: the type is 1..RB_APP_TYPE_MAX characters of
 * [A-Za-z0-9_.-], the body at most RB_APP_BODY_MAX bytes. */
#define RB_APP_TYPE_MAX 64
#define RB_APP_BODY_MAX 3072

/* An application message: what the owner sends, what the application
 * answers or notifies. */
typedef struct {
	char type[RB_APP_TYPE_MAX + 1];
	uint8_t body[RB_APP_BODY_MAX];
	gsize body_len;
} RbAppMessage;

/* Whether @type is a valid ApplicationMessage type (see above). */
bool rb_app_type_valid(const char *type);

/*
 * Fills @out from @type and @body (@len bytes). False, with @error set
 * (RB_ERROR_INVALID for the type, RB_ERROR_TOO_LARGE for the body), if
 * either is outside the limits; @out is then untouched.
 */
bool rb_app_message_set(RbAppMessage *out, const char *type,
			const uint8_t *body, gsize len, GError **error);

/* A request decoded from a (reassembled) protocol write. */
typedef struct {
	RbRequestKind kind;
	uint32_t request_id;
	RbConfigUpdate update; /* CONFIG_SET */
	RbAppMessage app; /* APPLICATION */
} RbRequest;

/* The error codes of ErrorMessage.Code. */
typedef enum {
	RB_PROTO_ERROR_MALFORMED = 1,
	RB_PROTO_ERROR_OUT_OF_RANGE = 2,
	RB_PROTO_ERROR_UNSUPPORTED = 3,
	RB_PROTO_ERROR_TOO_LARGE = 4,
	RB_PROTO_ERROR_INTERNAL = 5,
	RB_PROTO_ERROR_UNAVAILABLE = 6,
	RB_PROTO_ERROR_APPLICATION = 7,
} RbProtoError;

/*
 * Decodes a request. On failure returns false, sets *code and *request_id
 * (if the message parsed far enough to have one) and @error.
 */
bool rb_codec_decode_request(const uint8_t *data, gsize len, RbRequest *req,
			     RbProtoError *code, GError **error);

/* Encoders: each returns a newly allocated buffer the caller g_free()s. */
uint8_t *rb_codec_encode_access(const RbAccess *access, gsize *len);
uint8_t *rb_codec_encode_config(const RbPolicyConfig *cfg, uint32_t request_id,
				gsize *len);
uint8_t *rb_codec_encode_error(RbProtoError code, const char *message,
			       const char *field, uint32_t request_id,
			       gsize *len);
/* An ApplicationMessage in a ReactionMessage (request_id 0 when
 * unsolicited), from a valid @app. */
uint8_t *rb_codec_encode_application(const RbAppMessage *app,
				     uint32_t request_id, gsize *len);
/* Client side: a GET, SET or APPLICATION request. */
uint8_t *rb_codec_encode_request(const RbRequest *req, gsize *len);

/* Client side: a decoded message from the box, for printing. */
typedef enum {
	RB_REPLY_ACCESS = 0,
	RB_REPLY_CONFIG,
	RB_REPLY_ERROR,
	RB_REPLY_APPLICATION,
} RbReplyKind;

typedef struct {
	RbReplyKind kind;
	uint32_t request_id;
	RbAccess access;
	RbPolicyConfig config;
	RbProtoError error_code;
	char error_message[128];
	char error_field[32];
	RbAppMessage app; /* APPLICATION */
} RbReply;

bool rb_codec_decode_reply(const uint8_t *data, gsize len, RbReply *reply,
			   GError **error);
