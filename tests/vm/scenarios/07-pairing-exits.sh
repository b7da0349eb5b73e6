#!/bin/bash
# Scenario 7: pairing mode ends on QUIZZER_RESET, on TIMER_RESET and on
# timeout (a short configured timeout).
. "$(dirname "$0")/../lib/box.sh"

box_start PairingTimeoutMs=5000
step "QUIZZER_RESET ends it (a new press, after the chord's)"
box_chord
wait_screen '^PAIRING'
expect_pairable true
box_tap QUIZZER_RESET
wait_screen '^IDLE'
expect_pairable false
step "TIMER_RESET ends it"
box_chord
wait_screen '^PAIRING'
box_tap TIMER_RESET
wait_screen '^IDLE'
expect_pairable false
step "the timeout ends it"
box_chord
wait_screen '^PAIRING'
expect_pairable true
wait_screen '^IDLE' 8
expect_pairable false
pass "pairing mode ended by QUIZZER_RESET, TIMER_RESET and timeout"
