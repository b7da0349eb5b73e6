/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What every display implementation shares. Not for callers. */
#pragma once

#include "hw/display.h"

struct RbDisplay {
	const char *kind; /* for logs */
	void (*show)(RbDisplay *display, const RbScreen *screen);
	void (*flush)(RbDisplay *display); /* may be NULL */
	void (*destroy)(RbDisplay *display);
	bool have_last;
	RbScreen last;
};

void rb_display_init(RbDisplay *display, const char *kind,
		     void (*show)(RbDisplay *, const RbScreen *),
		     void (*flush)(RbDisplay *), void (*destroy)(RbDisplay *));

/* The "none" display's log line for @screen, prefixed with @who. */
void rb_display_log_screen(const char *who, const RbScreen *screen);

/*
 * An i2c device driven step by step from main-loop sources. @step does one
 * short transfer and returns the delay in ms before the next step, -1 when
 * there is nothing left to do, or -2 with @error set when a transfer failed.
 */
typedef int (*RbI2cStepFunc)(void *user_data, GError **error);
typedef struct RbI2cLink RbI2cLink;

RbI2cLink *rb_i2c_link_new(const RbI2cOps *ops, void *ops_data, const char *bus,
			   unsigned int addr, const char *what,
			   RbI2cStepFunc step, void *user_data, GError **error);
void rb_i2c_link_free(RbI2cLink *link);
bool rb_i2c_link_write(RbI2cLink *link, const uint8_t *buf, size_t len,
		       GError **error);
/* Schedules steps until @step says it is done. */
void rb_i2c_link_kick(RbI2cLink *link);
/* Runs all steps now, sleeping for their delays. */
void rb_i2c_link_flush(RbI2cLink *link);
/* A transfer failed (logged once); steps are not run until a retry. */
bool rb_i2c_link_failed(const RbI2cLink *link);
/*
 * If the link failed long enough ago, clears the failure and returns true:
 * the caller then starts again from its init sequence.
 */
bool rb_i2c_link_retry_due(RbI2cLink *link);
/* "SSD1306 on /dev/i2c-1 address 0x3c", for logs. */
const char *rb_i2c_link_describe(const RbI2cLink *link);
