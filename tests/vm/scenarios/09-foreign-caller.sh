#!/bin/bash
# Scenario 9: method calls on the daemon's agent and characteristics from
# another process than bluetoothd are refused.
. "$(dirname "$0")/../lib/box.sh"

box_start
me=$(box_bus_name) || fail "cannot find the daemon's bus name"
echo "daemon is $me"
dev=/org/bluez/$RB_BOX_HCI/dev_$(echo "$RB_PHONE_ADDR" | tr : _)
box_chord
wait_screen '^PAIRING'
step "a stranger calls DisplayPasskey"
if busctl --system call "$me" /org/reactionbox/agent org.bluez.Agent1 \
	DisplayPasskey ouq "$dev" 123456 0 2>"$T/err"; then
	fail "DisplayPasskey from a stranger was served"
fi
cat "$T/err"
case $(box_screen) in
PIN*) fail "a stranger made the box show a PIN" ;;
esac
step "a stranger writes the protocol characteristic"
if busctl --system call "$me" /org/reactionbox/gatt/service0/char0 \
	org.bluez.GattCharacteristic1 WriteValue 'aya{sv}' 1 0 1 device o "$dev" \
	2>"$T/err"; then
	fail "WriteValue from a stranger was served"
fi
cat "$T/err"
step "a stranger reads the access characteristic"
if busctl --system call "$me" /org/reactionbox/gatt/service0/char2 \
	org.bluez.GattCharacteristic1 ReadValue 'a{sv}' 0 2>"$T/err"; then
	fail "ReadValue from a stranger was served"
fi
grep -q -i "refus\|reject" "$T/boxd.log" || fail "the refusals were not logged"
grep -i "refus\|reject" "$T/boxd.log" | tail -3
pass "calls from other processes refused and logged"
