#!/bin/bash
# Scenario 13: NTP steps the clock (a Pi without RTC) between a lockout and
# a daemon restart, forward and back by 10 minutes: the lockout is never
# shortened.
. "$(dirname "$0")/../lib/box.sh"

restore_clock() { date -s "@$(($(date +%s) - ${STEPPED:-0}))" >/dev/null; }
STEPPED=0
trap 'restore_clock; _box_cleanup' EXIT

box_start PinLockoutMs=120000
for step_s in 600 -600; do
	step "three wrong PINs"
	box_chord
	wait_screen '^PAIRING'
	for i in 1 2 3; do
		expect_rc 8 phone pair 000000
		sleep 0.5
	done
	wait_screen '^LOCKOUT'
	locked_at=$(cut -d' ' -f1 /proc/uptime)
	step "the clock steps by $step_s s, the daemon restarts"
	box_stop
	date -s "@$(($(date +%s) + step_s))" >/dev/null
	STEPPED=$((STEPPED + step_s))
	_box_launch
	wait_screen '^LOCKOUT'
	left=$(box_screen | awk '{print $2}')
	# what really passed since the lockout began, by the boot's clock
	passed=$(awk -v a="$locked_at" -v b="$(cut -d' ' -f1 /proc/uptime)" \
		'BEGIN { printf "%d", b - a }')
	echo "lockout left after the restart: $left s, $passed s after it began"
	[ $((left + passed)) -ge 115 ] ||
		fail "the lockout was shortened: $left s left $passed s after a 120 s lockout began"
	[ "$left" -le 120 ] || fail "the lockout grew to $left s"
	box_chord
	wait_screen '^LOCKOUT'
	grep -q "pairing lockout over" "$T/boxd.log" && fail "the lockout ended"
	# end it for the next round: a restart in a new "boot" is not
	# possible here, so wait it out with a short limit next time
	box_stop
	restore_clock
	STEPPED=0
	rm -f "$T/state/state"
	_box_launch
done
pass "a clock step of +-10 min and a restart never shortened the lockout"
