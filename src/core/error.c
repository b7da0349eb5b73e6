// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/error.h"

G_DEFINE_QUARK(rb - error - quark, rb_error)
