/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's wiring: BlueZ, kernel, buttons and display to the core. */
#pragma once
