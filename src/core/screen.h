/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the box's display shows. The core decides *what*; display backends
 * (src/hw/) decide *how*. Pure data.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef enum {
	/* Name only: "Reaction_XXXXXX". */
	RB_SCREEN_IDLE = 0,
	/* Pairing mode open, waiting for a phone: name + seconds left. */
	RB_SCREEN_PAIRING,
	/* A phone is pairing: the large six-digit PIN + seconds left. */
	RB_SCREEN_PIN,
	/* Pairing refused for a while: seconds left. */
	RB_SCREEN_LOCKOUT,
	/* A bond looks stale: what to do (see stale). */
	RB_SCREEN_STALE_BOND,
	/* A phone paired and is now the write owner. */
	RB_SCREEN_PAIRED_OK,
	/* Pairing failed (wrong PIN etc.): attempts left before lockout. */
	RB_SCREEN_PAIRING_FAILED,
} RbScreenKind;

typedef struct {
	RbScreenKind kind;
	char name[32]; /* advertised name, always set */
	uint32_t seconds_left; /* PAIRING, PIN, LOCKOUT */
	uint32_t pin; /* PIN: 0..999999, shown with leading zeros */
	uint32_t attempts_left; /* PAIRING_FAILED */
	uint8_t stale; /* STALE_BOND: an RbStaleHint */
} RbScreen;

bool rb_screen_equal(const RbScreen *a, const RbScreen *b);

/*
 * The screen as text lines, for the text file backend, character LCDs and
 * the journal: at most @rows lines of at most @cols characters each,
 * written into @lines (each @cols + 1 bytes). Returns the number of lines.
 * Pure and deterministic.
 */
unsigned int rb_screen_render_text(const RbScreen *screen, unsigned int cols,
				   unsigned int rows, char lines[][41]);
#define RB_SCREEN_TEXT_MAX_COLS 40
