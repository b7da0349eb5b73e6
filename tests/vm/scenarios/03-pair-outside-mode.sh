#!/bin/bash
# Scenario 3: a phone pairs outside pairing mode and is refused: no PIN is
# shown and no bond is made.
. "$(dirname "$0")/../lib/box.sh"

box_start
expect_pairable false
step "phone tries to pair without the chord"
expect_rc 8 phone pair 123456
case $(box_screen) in
PIN*) fail "a PIN was shown outside pairing mode" ;;
esac
grep -q "PIN for" "$T/boxd.log" && fail "a PIN was logged outside pairing mode"
sleep 1
box_bond_exists "$RB_PHONE_ADDR" && fail "the box stored a bond"
wait_log "pairing from $RB_PHONE_ADDR refused: not in pairing mode"
step "refused pairings are no stale bond: anyone may start one"
for i in 1 2 3; do
	expect_rc 8 phone pair 123456
	sleep 0.5
done
sleep 1
case $(box_screen) in
STALE*) fail "refused pairings put a stale-bond hint on the box" ;;
esac
grep -q "strike" "$T/boxd.log" && fail "a refused pairing counted as a stale-bond strike"
pass "pairing refused outside pairing mode: no PIN, no bond, no stale hint"
