// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Framing: splitting a protocol message into fragments and putting it back
 * together. See framing.h for the format.
 *
 * The reassembler is strict: any fragment it cannot place refuses the whole
 * message in progress and leaves it empty, so a client that lost a fragment
 * starts over with a new FIRST fragment. In particular a FIRST fragment that
 * arrives while a message is in progress is refused too (and the old partial
 * dropped): a client that restarts must wait for the error reply, so two
 * messages never interleave silently.
 */
#define G_LOG_DOMAIN "rb-framing"

#include <string.h>

#include "core/error.h"
#include "core/framing.h"

/* Header byte plus the 16-bit total length. */
#define FIRST_HEADER_LEN 3
#define NEXT_HEADER_LEN 1

GPtrArray *rb_frame_split(const uint8_t *msg, gsize len, gsize payload,
			  GError **error)
{
	g_autoptr(GPtrArray) frags = NULL;
	gsize off, chunk;
	uint8_t seq = 0;

	g_return_val_if_fail(msg != NULL || len == 0, NULL);

	if (payload < RB_FRAME_MIN_PAYLOAD) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "fragment size of %" G_GSIZE_FORMAT
			    " bytes is below the minimum ATT payload of %d",
			    payload, RB_FRAME_MIN_PAYLOAD);
		return NULL;
	}
	if (len > RB_FRAME_MAX_MESSAGE) {
		g_set_error(error, RB_ERROR, RB_ERROR_TOO_LARGE,
			    "message of %" G_GSIZE_FORMAT
			    " bytes exceeds the maximum of %d",
			    len, RB_FRAME_MAX_MESSAGE);
		return NULL;
	}

	frags = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);

	/* The first fragment: header, total length, payload. */
	chunk = MIN(len, payload - FIRST_HEADER_LEN);
	{
		uint8_t *f = g_malloc(FIRST_HEADER_LEN + chunk);

		f[0] = RB_FRAME_HEADER_FIRST;
		if (chunk == len)
			f[0] |= RB_FRAME_HEADER_LAST;
		f[1] = len & 0xff;
		f[2] = (len >> 8) & 0xff;
		if (chunk > 0)
			memcpy(f + FIRST_HEADER_LEN, msg, chunk);
		g_ptr_array_add(frags,
				g_bytes_new_take(f, FIRST_HEADER_LEN + chunk));
	}

	/* Continuations: header, payload; seq wraps mod 64. */
	for (off = chunk; off < len; off += chunk) {
		uint8_t *f;

		seq = (seq + 1) & RB_FRAME_SEQ_MASK;
		chunk = MIN(len - off, payload - NEXT_HEADER_LEN);
		f = g_malloc(NEXT_HEADER_LEN + chunk);
		f[0] = seq;
		if (off + chunk == len)
			f[0] |= RB_FRAME_HEADER_LAST;
		memcpy(f + NEXT_HEADER_LEN, msg + off, chunk);
		g_ptr_array_add(frags,
				g_bytes_new_take(f, NEXT_HEADER_LEN + chunk));
	}

	return g_steal_pointer(&frags);
}

void rb_reassembler_init(RbReassembler *r)
{
	memset(r, 0, sizeof(*r));
}

static void reassembler_reset(RbReassembler *r)
{
	if (r->buf)
		g_byte_array_unref(r->buf);
	rb_reassembler_init(r);
}

void rb_reassembler_clear(RbReassembler *r)
{
	reassembler_reset(r);
}

/* Refuses the fragment: drops any partial message and sets @error. */
G_GNUC_PRINTF(3, 4)
static RbFrameResult refuse(RbReassembler *r, GError **error, const char *fmt,
			    ...)
{
	va_list ap;

	reassembler_reset(r);
	if (error) {
		va_start(ap, fmt);
		g_propagate_error(error,
				  g_error_new_valist(RB_ERROR, RB_ERROR_INVALID,
						     fmt, ap));
		va_end(ap);
	}
	return RB_FRAME_ERROR;
}

static RbFrameResult complete(RbReassembler *r, GBytes **msg)
{
	if (msg)
		*msg = g_byte_array_free_to_bytes(g_steal_pointer(&r->buf));
	reassembler_reset(r);
	return RB_FRAME_COMPLETE;
}

static RbFrameResult feed_first(RbReassembler *r, const uint8_t *frag,
				gsize len, RbTime now, GBytes **msg,
				GError **error)
{
	uint8_t seq = frag[0] & RB_FRAME_SEQ_MASK;
	bool last = frag[0] & RB_FRAME_HEADER_LAST;
	gsize data_len;
	unsigned int total;

	if (r->active)
		return refuse(r, error,
			      "first fragment while a message is in progress "
			      "(expected seq %u, %u of %u bytes received); "
			      "both dropped",
			      r->next_seq, r->buf ? r->buf->len : 0, r->total);
	if (len < FIRST_HEADER_LEN)
		return refuse(r, error,
			      "first fragment of %" G_GSIZE_FORMAT
			      " bytes is shorter than its %d-byte header",
			      len, FIRST_HEADER_LEN);
	if (seq != 0)
		return refuse(r, error,
			      "fragment out of order: expected seq 0, got %u",
			      seq);

	total = frag[1] | (unsigned int)frag[2] << 8;
	data_len = len - FIRST_HEADER_LEN;
	if (total > RB_FRAME_MAX_MESSAGE) {
		reassembler_reset(r);
		g_set_error(error, RB_ERROR, RB_ERROR_TOO_LARGE,
			    "message of %u bytes exceeds the maximum of %d",
			    total, RB_FRAME_MAX_MESSAGE);
		return RB_FRAME_ERROR;
	}
	if (data_len > total)
		return refuse(r, error,
			      "fragment overflows the message: %u bytes "
			      "declared, %" G_GSIZE_FORMAT " received",
			      total, data_len);
	if (data_len == 0 && total > 0)
		return refuse(r, error,
			      "first fragment of a %u-byte message carries "
			      "no payload",
			      total);
	if (last && data_len != total)
		return refuse(r, error,
			      "message truncated: %u bytes declared, "
			      "%" G_GSIZE_FORMAT " received",
			      total, data_len);
	if (!last && data_len == total)
		return refuse(r, error,
			      "fragment without LAST completes the %u-byte "
			      "message",
			      total);

	r->buf = g_byte_array_sized_new(total);
	g_byte_array_append(r->buf, frag + FIRST_HEADER_LEN, data_len);
	if (last)
		return complete(r, msg);

	r->active = true;
	r->next_seq = 1;
	r->total = total;
	r->started = now;
	return RB_FRAME_MORE;
}

static RbFrameResult feed_next(RbReassembler *r, const uint8_t *frag, gsize len,
			       GBytes **msg, GError **error, bool timed_out)
{
	uint8_t seq = frag[0] & RB_FRAME_SEQ_MASK;
	bool last = frag[0] & RB_FRAME_HEADER_LAST;
	gsize data_len = len - NEXT_HEADER_LEN;

	if (!r->active)
		return refuse(r, error,
			      "continuation fragment (seq %u) without a first "
			      "fragment%s",
			      seq,
			      timed_out ? " (the message in progress timed "
					  "out)"
					: "");
	if (seq != r->next_seq) {
		if (seq == ((r->next_seq - 1) & RB_FRAME_SEQ_MASK))
			return refuse(r, error,
				      "duplicate fragment: seq %u already "
				      "received",
				      seq);
		return refuse(r, error,
			      "fragment out of order: expected seq %u, got %u",
			      r->next_seq, seq);
	}
	if (data_len == 0)
		return refuse(r, error,
			      "continuation fragment (seq %u) carries no "
			      "payload",
			      seq);
	if (r->buf->len + data_len > r->total)
		return refuse(r, error,
			      "fragment overflows the message: %u bytes "
			      "declared, %" G_GSIZE_FORMAT " received",
			      r->total, r->buf->len + data_len);

	g_byte_array_append(r->buf, frag + NEXT_HEADER_LEN, data_len);
	if (last) {
		if (r->buf->len != r->total)
			return refuse(r, error,
				      "message truncated: %u bytes declared, "
				      "%u received",
				      r->total, r->buf->len);
		return complete(r, msg);
	}
	if (r->buf->len == r->total)
		return refuse(r, error,
			      "fragment without LAST completes the %u-byte "
			      "message",
			      r->total);

	r->next_seq = (seq + 1) & RB_FRAME_SEQ_MASK;
	return RB_FRAME_MORE;
}

RbFrameResult rb_reassembler_feed(RbReassembler *r, const uint8_t *frag,
				  gsize len, RbTime now, GBytes **msg,
				  GError **error)
{
	bool timed_out = false;

	g_return_val_if_fail(r != NULL, RB_FRAME_ERROR);
	g_return_val_if_fail(frag != NULL || len == 0, RB_FRAME_ERROR);

	if (msg)
		*msg = NULL;

	/* A stale partial is dropped; the fragment is judged alone. */
	if (r->active && now > r->started &&
	    now - r->started > RB_FRAME_REASSEMBLY_TIMEOUT_MS) {
		g_debug("dropping a partial message of %u/%u bytes, started "
			"%" G_GUINT64_FORMAT " ms ago",
			r->buf->len, r->total, now - r->started);
		reassembler_reset(r);
		timed_out = true;
	}

	if (len == 0)
		return refuse(r, error, "empty fragment");
	if (frag[0] & RB_FRAME_HEADER_FIRST)
		return feed_first(r, frag, len, now, msg, error);
	return feed_next(r, frag, len, msg, error, timed_out);
}
