// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the codec: arbitrary bytes through both decoders.
 * A request that decodes must encode and decode back to itself; a failure
 * must say why and leave no half-decoded update.
 */
#include <stdlib.h>
#include <string.h>

#include "core/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	RbProtoError code = 0;
	GError *error = NULL;
	RbRequest req, again;
	RbReply reply;

	if (rb_codec_decode_request(data, size, &req, &code, &error)) {
		gsize len = 0;
		uint8_t *buf = rb_codec_encode_request(&req, &len);

		if (!buf || error)
			abort();
		if (!rb_codec_decode_request(buf, len, &again, NULL, NULL))
			abort();
		if (again.kind != req.kind ||
		    again.request_id != req.request_id ||
		    (req.kind == RB_REQUEST_CONFIG_SET &&
		     memcmp(&again.update, &req.update, sizeof(req.update))))
			abort();
		g_free(buf);
	} else {
		if (!error || code < RB_PROTO_ERROR_MALFORMED ||
		    code > RB_PROTO_ERROR_INTERNAL)
			abort();
		for (int i = 0; i < RB_SETTING_COUNT; i++) {
			if (req.update.has[i] || req.update.value[i])
				abort();
		}
		g_clear_error(&error);
	}

	if (rb_codec_decode_reply(data, size, &reply, &error)) {
		if (error || memchr(reply.error_message, '\0',
				    sizeof(reply.error_message)) == NULL)
			abort();
	} else {
		if (!error)
			abort();
		g_clear_error(&error);
	}
	return 0;
}
