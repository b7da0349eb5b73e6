// SPDX-License-Identifier: GPL-2.0-or-later
/* Not written yet. */
#include "core/codec.h"
