#!/bin/bash
# Scenario 8: bluetoothd is killed and restarted; the daemon re-registers
# everything by itself and the owner can still write.
. "$(dirname "$0")/../lib/box.sh"

box_start
box_chord
wait_screen '^PAIRING'
expect_rc 0 phone pair --pin-file "$T/screen.txt"
expect_rc 0 phone trigger-pairing
expect_rc 0 phone config get
expect_rc 0 phone disconnect
sleep 1
step "kill bluetoothd and start it again"
pid=$(cat /run/rbvm/bluetoothd.pid)
kill -KILL "$pid"
wait_log "org.bluez vanished"
/usr/libexec/bluetooth/bluetoothd -n -d -f tests/vm/bluetoothd.conf >>"$RB_VM_OUT/bluetoothd.log" 2>&1 &
echo $! >/run/rbvm/bluetoothd.pid
_wait_count "registered on .* as Reaction" 2 30 || fail "the daemon did not re-register"
expect_pairable false
step "the owner writes again"
# (the phone's bluetoothd restarted too: let it see the box advertise)
phone scan --duration 4 || true
expect_rc 0 phone trigger-pairing
expect_rc 0 phone config get
pass "re-registered after a bluetoothd restart; the owner still writes"
