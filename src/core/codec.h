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
} RbRequestKind;

/* A request decoded from a (reassembled) protocol write. */
typedef struct {
	RbRequestKind kind;
	uint32_t request_id;
	RbConfigUpdate update; /* CONFIG_SET */
} RbRequest;

/* The error codes of ErrorMessage.Code. */
typedef enum {
	RB_PROTO_ERROR_MALFORMED = 1,
	RB_PROTO_ERROR_OUT_OF_RANGE = 2,
	RB_PROTO_ERROR_UNSUPPORTED = 3,
	RB_PROTO_ERROR_TOO_LARGE = 4,
	RB_PROTO_ERROR_INTERNAL = 5,
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
/* Client side: a GET or SET request. */
uint8_t *rb_codec_encode_request(const RbRequest *req, gsize *len);

/* Client side: a decoded message from the box, for printing. */
typedef enum {
	RB_REPLY_ACCESS = 0,
	RB_REPLY_CONFIG,
	RB_REPLY_ERROR,
} RbReplyKind;

typedef struct {
	RbReplyKind kind;
	uint32_t request_id;
	RbAccess access;
	RbPolicyConfig config;
	RbProtoError error_code;
	char error_message[128];
	char error_field[32];
} RbReply;

bool rb_codec_decode_reply(const uint8_t *data, gsize len, RbReply *reply,
			   GError **error);
