#!/bin/bash
# Scenario 2: an unpaired phone's protocol write is rejected NOT_PAIRED with
# ATT error 0x80, and subscribers get ble_access with write_rejected.
. "$(dirname "$0")/../lib/box.sh"

box_start
step "a subscriber watches"
watch_start "$T/watch"
step "unpaired phone asks for the config (a write)"
expect_rc 4 phone config get
n=50
until grep -q '"write_rejected": *true' "$T/watch" &&
	grep -q 'NOT_PAIRED' "$T/watch"; do
	n=$((n - 1))
	[ "$n" -gt 0 ] || { cat "$T/watch"; fail "no write_rejected notification"; }
	sleep 0.1
done
grep -E 'write_rejected' "$T/watch"
wait_log "rejected: NOT_PAIRED"
pass "write rejected NOT_PAIRED (0x80), subscribers told"
