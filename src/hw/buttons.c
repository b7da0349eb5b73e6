// SPDX-License-Identifier: GPL-2.0-or-later
/* The parts every button source shares. */
#define G_LOG_DOMAIN "rb-buttons"

#include "config.h"

#include <string.h>

#include "hw/buttons-private.h"

void rb_buttons_source_init(RbButtonsSource *source, const char *kind,
			    void (*destroy)(RbButtonsSource *source),
			    RbButtonsEdgeFunc cb, void *user_data)
{
	source->kind = kind;
	source->destroy = destroy;
	source->cb = cb;
	source->user_data = user_data;
}

void rb_buttons_source_emit(RbButtonsSource *source, const RbButtonEdge *edge)
{
	g_debug("%s: %s %s at %" G_GUINT64_FORMAT " ms", source->kind,
		rb_button_name(edge->button),
		edge->pressed ? "pressed" : "released", edge->timestamp_ms);
	if (source->cb)
		source->cb(edge->button, edge->pressed, edge->timestamp_ms,
			   source->user_data);
}

static gboolean report_initial_cb(gpointer data)
{
	RbButtonsSource *source = data;

	source->initial_id = 0;
	for (unsigned int i = 0; i < RB_BUTTON_COUNT; i++) {
		RbButtonEdge edge = {
			.button = (RbButton)i,
			.pressed = true,
			.timestamp_ms = source->initial_ms,
		};

		if (!source->initial[i])
			continue;
		source->initial[i] = false;
		rb_buttons_source_emit(source, &edge);
	}
	return G_SOURCE_REMOVE;
}

void rb_buttons_source_report_initial(RbButtonsSource *source,
				      const bool held[RB_BUTTON_COUNT],
				      uint64_t now_ms)
{
	bool any = false;

	for (unsigned int i = 0; i < RB_BUTTON_COUNT; i++) {
		source->initial[i] = held[i];
		any = any || held[i];
	}
	source->initial_ms = now_ms;
	if (any && !source->initial_id)
		source->initial_id = g_idle_add(report_initial_cb, source);
}

uint64_t rb_buttons_now_ms(void)
{
	return (uint64_t)g_get_monotonic_time() / 1000;
}

void rb_buttons_source_free(RbButtonsSource *source)
{
	if (!source)
		return;
	if (source->initial_id)
		g_source_remove(source->initial_id);
	source->destroy(source);
}
