#!/bin/bash
# Scenario 17: an old owner comes back through BlueZ with a bond the box
# deleted. Phone 1 pairs and is the owner; phone 2 takes over and the box
# removes phone 1's bond, while phone 1 keeps its own key. Phone 1 then
# connects the way a phone does (BlueZ Connect; its bluetoothd asks for
# encryption with the stale key at once): the box has no key for it, so
# the link never gets the owner's rights, no bond is made for it, and the
# owner stays phone 2, who still writes.
#
# Only the suite on Debian 13 runs it (run-suite --release trixie): tearing
# down such a link has crashed Debian 12's 6.1 guest kernel (hci_chan_del),
# which is why scenario 10 drops its links at the HCI level instead.
. "$(dirname "$0")/../lib/box.sh"

[ -n "${RB_HCI3:-}" ] || fail "needs four controllers (run-vm --controllers 4)"
box_start
step "phone 1 pairs and is the owner"
pair_in_mode phone
expect_rc 0 phone config get
expect_owner "$RB_PHONE_ADDR"
expect_rc 0 phone disconnect

step "phone 2 pairs and takes over; phone 1's bond goes at the box"
# (phone 1 is gone: one link at a time, btvirt's handles agree without
# spare_link)
pair_in_mode phone2
expect_owner "$RB_PHONE2_ADDR"
wait_no_bond "$RB_PHONE_ADDR"
expect_rc 0 phone2 disconnect
wait_screen '^IDLE' 8

step "phone 1 still holds its key"
grep -q 'LongTermKey\]' "/var/lib/bluetooth/$RB_PHONE_ADDR/$RB_BOX_ADDR/info" ||
	fail "phone 1's BlueZ forgot its bond: nothing stale to come back with"

step "phone 1 comes back with it, twice"
for i in 1 2; do
	rc=0
	phone config get || rc=$?
	echo "(phone 1, try $i: exit $rc)"
	[ "$rc" != 0 ] || fail "phone 1 wrote with a bond the box deleted"
	kill -0 "$BOX_PID" || fail "reaction-boxd died"
	box_bond_exists "$RB_PHONE_ADDR" &&
		fail "the box holds a bond for phone 1 again (no pairing mode)"
	[ "$(state_owner)" = "$RB_PHONE2_ADDR" ] ||
		fail "the owner is '$(state_owner)', expected phone 2"
	phone disconnect >/dev/null 2>&1 || true
	sleep 2
done
grep -E "$RB_PHONE_ADDR" "$T/boxd.log" | tail -n 8

step "phone 2, the owner, still writes"
expect_rc 0 phone2 config get
expect_owner "$RB_PHONE2_ADDR"
box_stop
pass "a deleted bond coming back through BlueZ gets no rights and no new bond"
