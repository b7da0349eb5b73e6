/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What every button source implementation shares. Not for callers. */
#pragma once

#include "hw/buttons.h"

struct RbButtonsSource {
	const char *kind; /* "gpiod", "evdev", "fifo": for logs */
	void (*destroy)(RbButtonsSource *source); /* frees the backend part */
	RbButtonsEdgeFunc cb;
	void *user_data;
	/* Buttons already held at start, reported from an idle. */
	bool initial[RB_BUTTON_COUNT];
	uint64_t initial_ms;
	guint initial_id;
};

void rb_buttons_source_init(RbButtonsSource *source, const char *kind,
			    void (*destroy)(RbButtonsSource *source),
			    RbButtonsEdgeFunc cb, void *user_data);

/* Schedules press edges for the buttons in @held (at @now_ms). */
void rb_buttons_source_report_initial(RbButtonsSource *source,
				      const bool held[RB_BUTTON_COUNT],
				      uint64_t now_ms);

void rb_buttons_source_emit(RbButtonsSource *source, const RbButtonEdge *edge);

/* CLOCK_MONOTONIC now in ms. */
uint64_t rb_buttons_now_ms(void);
