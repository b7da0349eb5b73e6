#!/bin/bash
# Scenario 1: the box advertises Reaction_XXXXXX; an unpaired phone can
# connect, read the access characteristic (READ_ONLY) and subscribe.
. "$(dirname "$0")/../lib/box.sh"

box_start
name=Reaction_$(echo "$RB_BOX_ADDR" | cut -d: -f4-6 | tr -d :)
step "phone scans for boxes"
# A scan lasts its whole --duration; a loaded host may start discovery
# late: up to five scans.
for try in 1 2 3 4 5; do
	phone scan --duration 6 | tee "$T/scan" || true
	grep -q "$name" "$T/scan" && break
	echo "(scan $try did not see $name)"
done
grep -q "$name" "$T/scan" || fail "five scans did not find $name"

step "phone reads the access status"
phone --json status | tee "$T/status"
grep -q '"READ_ONLY"' "$T/status" || fail "status is not READ_ONLY"

step "phone subscribes; the chord changes the status"
watch_start "$T/watch"
box_chord
wait_screen '^PAIRING'
n=50
until grep -q '"PAIRING_MODE"' "$T/watch"; do
	n=$((n - 1))
	[ "$n" -gt 0 ] || { cat "$T/watch"; fail "no PAIRING_MODE notification"; }
	sleep 0.1
done
cat "$T/watch"
pass "advertised as $name, READ_ONLY read, notifications received"
