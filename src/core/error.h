/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The project's one GError domain. */
#pragma once

#include <glib.h>

#define RB_ERROR (rb_error_quark())
GQuark rb_error_quark(void);

typedef enum {
	RB_ERROR_FAILED = 0, /* generic */
	RB_ERROR_INVALID, /* malformed input */
	RB_ERROR_RANGE, /* value out of range */
	RB_ERROR_TOO_LARGE, /* over a size limit */
	RB_ERROR_CORRUPT, /* stored data does not parse */
	RB_ERROR_IO, /* a system call failed */
	RB_ERROR_NOT_FOUND, /* a device, adapter or file is missing */
	RB_ERROR_PERMISSION, /* a capability or permission is missing */
	RB_ERROR_BUSY, /* a resource is held by someone else */
} RbErrorCode;
