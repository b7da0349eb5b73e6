#!/bin/bash
# Scenario 11: what a real box lives through keeps the owner and its bond:
# bluetoothd stopped gracefully (systemctl restart bluetooth, a package
# upgrade) and the controllers going away and coming back while bluetoothd
# runs (a USB replug, a UART reset: here btvirt restarted). The daemon
# registers again by itself, switches BR/EDR off on a dual-mode controller,
# and the owner writes again.
. "$(dirname "$0")/../lib/box.sh"

box_start
box_chord
wait_screen '^PAIRING'
expect_rc 0 phone pair --pin-file "$T/screen.txt"
expect_rc 0 phone config get
expect_owner "$RB_PHONE_ADDR"
expect_rc 0 phone disconnect
sleep 1

step "SIGTERM bluetoothd (a graceful stop), start it again"
n=$(registrations)
bluetoothd_restart TERM
wait_log "org.bluez vanished"
wait_registered $((n + 1))
expect_no_bond_loss
expect_owner "$RB_PHONE_ADDR"
expect_pairable false
phone scan --duration 4 >/dev/null || true
expect_rc 0 phone config get

step "the controllers go away and come back (dual-mode), bluetoothd stays"
expect_rc 0 phone disconnect
n=$(registrations)
pid=$(cat /run/rbvm/btvirt.pid)
kill -TERM "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
wait_log "adapter /org/bluez/$RB_BOX_HCI removed" 30
btvirt "-l$RB_VM_CONTROLLERS" >>"$RB_VM_OUT/btvirt.log" 2>&1 &
echo $! >/run/rbvm/btvirt.pid
t0=$(cut -d' ' -f1 /proc/uptime)
wait_registered $((n + 1)) 120
t1=$(cut -d' ' -f1 /proc/uptime)
echo "re-registered $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s after btvirt came back"
grep -q "AlreadyExists.*retrying" "$T/boxd.log" && fail "registration retried on AlreadyExists"
expect_no_bond_loss
expect_owner "$RB_PHONE_ADDR"
step "BR/EDR is off on the box's controller"
btmgmt --index "${RB_BOX_HCI#hci}" info | tee "$T/info.txt"
grep -E "current settings:" "$T/info.txt" | grep -qw "br/edr" &&
	fail "BR/EDR is still on"
grep -q "BR/EDR off" "$T/boxd.log" || fail "the daemon did not switch BR/EDR off"
phone scan --duration 4 >/dev/null || true
expect_rc 0 phone config get
pass "the owner and its bond survived SIGTERM of bluetoothd and a controller reset"
