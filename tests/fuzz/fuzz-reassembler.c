// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the reassembler. The input is a sequence of
 * fragments, each prefixed by one length byte and one time-step byte; every
 * completed message must be at most RB_FRAME_MAX_MESSAGE bytes, and a
 * refused fragment must leave the reassembler empty. Each message is also
 * split again and reassembled, which must give it back.
 */
#include <stdlib.h>
#include <string.h>

#include "core/framing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(GBytes *msg)
{
	gsize len;
	const uint8_t *m = g_bytes_get_data(msg, &len);
	g_autoptr(GPtrArray) frags = rb_frame_split(m, len, 20, NULL);
	RbReassembler r;
	GBytes *out = NULL;

	if (!frags)
		abort();
	rb_reassembler_init(&r);
	for (guint i = 0; i < frags->len; i++) {
		gsize flen;
		const uint8_t *f = g_bytes_get_data(frags->pdata[i], &flen);
		RbFrameResult res = rb_reassembler_feed(&r, f, flen, 0, &out,
							NULL);

		if (res == RB_FRAME_ERROR)
			abort();
	}
	if (!out || !g_bytes_equal(out, msg))
		abort();
	g_bytes_unref(out);
	rb_reassembler_clear(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	RbReassembler r;
	RbTime now = 0;
	size_t off = 0;

	rb_reassembler_init(&r);
	while (off + 2 <= size) {
		size_t len = data[off];
		GBytes *msg = NULL;
		GError *error = NULL;
		RbFrameResult res;

		now += (RbTime)data[off + 1] * 100;
		off += 2;
		if (len > size - off)
			len = size - off;
		res = rb_reassembler_feed(&r, data + off, len, now, &msg,
					  &error);
		off += len;
		switch (res) {
		case RB_FRAME_MORE:
			if (!r.active || msg || error)
				abort();
			break;
		case RB_FRAME_COMPLETE:
			if (r.active || r.buf || !msg || error ||
			    g_bytes_get_size(msg) > RB_FRAME_MAX_MESSAGE)
				abort();
			check_round_trip(msg);
			g_bytes_unref(msg);
			break;
		case RB_FRAME_ERROR:
			if (r.active || r.buf || msg || !error)
				abort();
			g_error_free(error);
			break;
		}
	}
	rb_reassembler_clear(&r);
	return 0;
}
