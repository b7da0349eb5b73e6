#!/bin/bash
# Scenario 12: another local process takes BlueZ's default agent, as an
# interactive bluetoothctl does, and keeps taking it. Phones pair outside
# pairing mode through that agent, with and without bonding, one of them
# with the owner's address and none of its keys. The daemon names the
# process, takes the default back, judges every pairing the kernel reports
# whichever agent handled it: no write is accepted, no bond remains, the
# owner stays.
. "$(dirname "$0")/../lib/box.sh"

box_start
box_chord
wait_screen '^PAIRING'
expect_rc 0 phone pair --pin-file "$T/screen.txt"
expect_owner "$RB_PHONE_ADDR"
expect_rc 0 phone disconnect
wait_screen '^IDLE' 10

step "a local process takes the default agent"
python3 tests/vm/rb-rogue-agent.py "$T/rogue-pin.txt" --hold >"$T/rogue.log" 2>&1 &
WATCH_PIDS+=($!)
wait_log "made its agent /rogue/agent BlueZ's default agent" 20
grep -E "made its agent /rogue/agent" "$T/boxd.log" | head -n 1
wait_log "taking it back" 10

# intrude PHONE-FN WHO: PHONE-FN pairs, typing the PIN the other agent is
# shown, then writes: the write must not be accepted.
intrude() {
	local rc=0
	rm -f "$T/rogue-pin.txt"
	"$1" pair --pin-file "$T/rogue-pin.txt" --timeout 15 || true
	"$1" config get || rc=$?
	[ "$rc" = 0 ] && fail "$2 wrote"
	echo "$2's write: exit $rc"
	"$1" disconnect || true
}

step "phone 2 pairs outside pairing mode, bonding"
intrude phone2 "phone 2 (bonding)"
wait_no_bond "$RB_PHONE2_ADDR"

step "phone 2 pairs without bonding"
phone2 remove >/dev/null 2>&1 || true
btmgmt --index "${RB_PHONE2_HCI#hci}" bondable off >/dev/null
intrude phone2 "phone 2 (no bonding)"
wait_no_bond "$RB_PHONE2_ADDR"

step "the owner's address without its keys pairs without bonding"
expect_rc 0 phone remove
btmgmt --index "${RB_PHONE_HCI#hci}" bondable off >/dev/null
n0=$(wc -l <"$T/boxd.log")
intrude phone "the impostor with the owner's address"
sleep 2
# bluetoothd turns every adapter's Bondable back on when the default agent
# changes, and the two agents keep changing it: the impostor's pairing may
# have bonded after all. Its key then replaced the owner's in the box's
# kernel: the box must drop the owner (and the bond), not keep it.
if awk -v n="$n0" -v a="$RB_PHONE_ADDR: new LTK, type [0-9]*, stored" \
	'NR > n && $0 ~ a { f = 1 } END { exit !f }' "$T/boxd.log"; then
	echo "(the impostor's pairing bonded: bluetoothd made phone 1 bondable again)"
	wait_log "the owner's key was replaced: no write owner"
	[ -z "$(state_owner)" ] ||
		fail "the owner is still '$(state_owner)' after its key was replaced"
	wait_no_bond "$RB_PHONE_ADDR"
else
	expect_owner "$RB_PHONE_ADDR"
fi
grep -E "refused: (not in pairing mode|not paired in pairing mode)|refused: .*is not Passkey Entry" \
	"$T/boxd.log" || fail "no pairing refusal logged"
grep -q "config changed over BLE" "$T/boxd.log" && fail "a config write was accepted"
grep -c "taking it back" "$T/boxd.log" | sed 's/^/default agent taken back, times: /'
pass "another default agent: pairings outside pairing mode judged and refused, owner kept"
