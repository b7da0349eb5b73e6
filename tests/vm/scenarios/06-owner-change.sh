#!/bin/bash
# Scenario 6: a second phone pairs in pairing mode and becomes the owner.
# The first phone, still connected, is downgraded to read-only: its write is
# rejected NOT_AUTHORIZED, it keeps receiving notifications, and its bond is
# gone after it disconnects. A daemon restart meanwhile keeps it so: the
# daemon learns the connections before it reconciles the bonds.
. "$(dirname "$0")/../lib/box.sh"

[ -n "${RB_HCI3:-}" ] || fail "needs four controllers (run-vm --controllers 4)"
box_start
step "phone 1 pairs and is the owner"
pair_in_mode phone
expect_rc 0 phone config get
step "phone 1 stays connected and subscribed"
watch_start "$T/watch1" phone
spare_link "$RB_PHONE2_HCI"
step "phone 2 pairs"
pair_in_mode phone2
expect_rc 0 phone2 config get
step "phone 1 is downgraded"
expect_rc 7 phone config get
box_bond_exists "$RB_PHONE_ADDR" ||
	fail "phone 1's bond was removed while it is still connected"
grep -q '"WRITE_AUTHORIZED"' "$T/watch1" || fail "phone 1 got no notifications"
grep -q 'NOT_AUTHORIZED' "$T/watch1" || fail "phone 1 did not see its rejection"
step "the daemon restarts: phone 1 stays connected, still read-only"
box_restart
wait_log "$RB_PHONE_ADDR is connected already"
sleep 3
grep -q "disconnecting $RB_PHONE_ADDR" "$T/boxd.log" &&
	fail "the restarted daemon disconnected the downgraded phone 1"
box_bond_exists "$RB_PHONE_ADDR" ||
	fail "the restarted daemon removed the bond of the connected phone 1"
expect_rc 7 phone config get
expect_rc 0 phone2 config get
step "phone 1 disconnects: its bond goes"
kill "${WATCH_PIDS[@]}" 2>/dev/null || true
expect_rc 0 phone disconnect
n=100
while box_bond_exists "$RB_PHONE_ADDR"; do
	n=$((n - 1))
	[ "$n" -gt 0 ] || fail "phone 1's bond still there after it disconnected"
	sleep 0.1
done
box_bond_exists "$RB_PHONE2_ADDR" || fail "phone 2's bond is gone"
pass "owner changed; old owner read-only while connected, bond removed on disconnect"
