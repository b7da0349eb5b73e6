#!/bin/bash
# Scenario 4: the chord opens pairing mode, the phone pairs with the PIN read
# off the screen, the status goes PAIRING_MODE then WRITE_AUTHORIZED, and a
# config set is applied and persisted.
. "$(dirname "$0")/../lib/box.sh"

box_start
watch_start "$T/watch" phone
step "chord at the box"
box_chord
wait_screen '^PAIRING'
expect_pairable true
step "phone pairs, typing the PIN off the screen"
expect_rc 0 phone pair --pin-file "$T/screen.txt"
wait_screen '^(PAIRED_OK|IDLE)'
expect_pairable false
box_bond_exists "$RB_PHONE_ADDR" || fail "no bond stored"
grep -q '^Authenticated=3' "/var/lib/bluetooth/$RB_BOX_ADDR/$RB_PHONE_ADDR/info" ||
	fail "the bond is not an authenticated P-256 key"
step "owner reads its status over an encrypted link"
expect_rc 0 phone trigger-pairing
phone --json status | tee "$T/status"
grep -q '"WRITE_AUTHORIZED"' "$T/status" || fail "status is not WRITE_AUTHORIZED"
step "owner sets the config"
expect_rc 0 phone --json config set pin_failure_limit=5 stale_bond_strikes=4 |
	tee "$T/config"
grep -q '"pin_failure_limit": *5' "$T/config" || fail "config reply lacks the new value"
grep -q '^PinFailureLimit=5' "$T/state/state" || fail "override not persisted"
step "out of range: refused whole, nothing changes"
expect_rc 9 phone config set --force pin_failure_limit=6 pin_lockout_ms=1
grep -q '^PinFailureLimit=5' "$T/state/state" || fail "a refused set changed the state"
grep -q '"PAIRING_MODE"' "$T/watch" || fail "the subscriber saw no PAIRING_MODE"
grep -q '"WRITE_AUTHORIZED"' "$T/watch" || fail "the subscriber saw no WRITE_AUTHORIZED"
box_stop
pass "paired with the shown PIN, WRITE_AUTHORIZED, config set and persisted"
