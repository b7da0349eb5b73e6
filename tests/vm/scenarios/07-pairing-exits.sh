#!/bin/bash
# Scenario 7: pairing mode ends on QUIZZER_RESET, on TIMER_RESET and on
# timeout (a short configured timeout). The daemon sets the kernel's
# bondable flag itself: with bluetoothd stopped, pairing mode still opens
# and closes it, and bluetoothd's Pairable follows once it runs again.
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
expect_bondable false
step "with bluetoothd stopped, the chord and TIMER_RESET set the kernel's flag"
# (the default timeout: a loaded machine is slow with bluetoothd stopped)
box_stop
box_start
expect_bondable false
bluetoothd_pause
box_chord
wait_screen '^PAIRING'
expect_bondable true
box_tap TIMER_RESET
wait_screen '^IDLE'
expect_bondable false
box_chord
wait_screen '^PAIRING'
expect_bondable true
step "bluetoothd runs again: its Pairable is the kernel's"
bluetoothd_resume
expect_pairable true
box_tap TIMER_RESET
wait_screen '^IDLE'
expect_bondable false
expect_pairable false
pass "pairing mode ended by QUIZZER_RESET, TIMER_RESET and timeout; the kernel's flag set without bluetoothd"
