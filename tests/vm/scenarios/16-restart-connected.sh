#!/bin/bash
# Scenario 16: the daemon restarts while the owner is connected. It learns
# the kernel's connections at start (mgmt Get Connections): the access
# status says the owner is there, and the owner writes at once without
# reconnecting.
. "$(dirname "$0")/../lib/box.sh"

box_start
box_chord
wait_screen '^PAIRING'
expect_rc 0 phone pair --pin-file "$T/screen.txt"
watch_start "$T/watch.json"
expect_rc 0 phone config get
step "restart the daemon with the owner connected"
box_restart
wait_log "$RB_PHONE_ADDR is connected already"
rc=0
phone --json status >"$T/status.json" || rc=$?
cat "$T/status.json"
grep -q '"status":"WRITE_AUTHORIZED"' "$T/status.json" ||
	fail "the restarted daemon does not see the connected owner"
expect_rc 0 phone config get
grep -q "disconnecting $RB_PHONE_ADDR" "$T/boxd.log" && fail "the owner was disconnected"
pass "after a restart the daemon knew the owner's connection"
