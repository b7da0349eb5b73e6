#!/bin/bash
# Scenario 15: the daemon is killed with SIGKILL at a random moment during
# an owner change, a config set and a lockout, RB_SIGKILL_ROUNDS times
# (default 10; tests/run-all --long runs 100). After every restart: one
# owner or none, never an owner without its bond, the config old or new,
# a stored lockout still in force, Pairable off.
. "$(dirname "$0")/../lib/box.sh"

rounds=${RB_SIGKILL_ROUNDS:-10}
# The 6.1 guest kernel sometimes crashes when links go down (see
# run-suite), and run-suite then boots again, naming the crashed boot's out
# dir in RB_PREVIOUS_OUT: the rounds done there are not run again.
progress=$RB_VM_OUT/15-sigkill.rounds
first=1
if [ -s "${RB_PREVIOUS_OUT:-/nonexistent}/15-sigkill.rounds" ]; then
	cp "$RB_PREVIOUS_OUT/15-sigkill.rounds" "$progress"
fi
if [ -s "$progress" ]; then
	first=$(($(tail -n 1 "$progress") + 1))
	echo "rounds 1..$((first - 1)) done in an earlier boot"
fi
box_start PinFailureLimit=1 PinLockoutMs=60000

# kill_during DELAY_MS CMD...: start CMD, SIGKILL the daemon DELAY_MS later,
# let CMD end, start the daemon again.
kill_during() {
	local delay=$1 cpid
	shift
	"$@" >>"$T/cmd.log" 2>&1 &
	cpid=$!
	sleep "$(awk -v ms="$delay" 'BEGIN { printf "%.3f", ms / 1000 }')"
	kill -KILL "$BOX_PID"
	wait "$BOX_PID" 2>/dev/null || true
	BOX_PID=
	wait "$cpid" 2>/dev/null || true
	_box_launch
}

check_invariants() { # ROUND WHAT
	local owner limit
	[ -f "$T/state/state" ] || return 0
	grep -q "state in .* unusable" "$T/boxd.log" && fail "round $1: the state file was unusable"
	owner=$(state_owner)
	if [ -n "$owner" ]; then
		box_bond_exists "$owner" || fail "round $1 ($2): owner $owner has no bond"
	fi
	limit=$(state_value Overrides PinFailureLimit)
	case ${limit:-1} in 1 | 2) ;; *) fail "round $1: PinFailureLimit=$limit" ;; esac
	if [ -n "$(state_value Pin LockoutStart)" ]; then
		wait_screen '^LOCKOUT' 10
	fi
	expect_pairable false
	# the stray bonds of an interrupted owner change go at start
	local b
	sleep 1
	for b in "$RB_PHONE_ADDR" "$RB_PHONE2_ADDR"; do
		[ "$b" = "$owner" ] && continue
		if box_bond_exists "$b"; then
			wait_no_bond "$b" 10
		fi
	done
}

wait_unlocked() {
	if [ -n "$(state_value Pin LockoutStart)" ] || box_screen | grep -q '^LOCKOUT'; then
		# end a lockout quickly: forget the stored one (tested above)
		box_stop
		sed -i '/^LockoutStart=/d; /^LockoutBoot/d; s/^Failures=.*/Failures=0/; s/^LockoutMs=.*/LockoutMs=0/' "$T/state/state"
		_box_launch
	fi
}

for ((r = first; r <= rounds; r++)); do
	# over the whole operation: a pairing takes 2-5 s under emulation
	delay=$((RANDOM % 5000))
	case $((r % 3)) in
	1)
		what="owner change"
		wait_unlocked
		who=phone
		[ $((r % 2)) = 0 ] && who=phone2
		box_chord
		wait_screen '^PAIRING'
		step "round $r: $what ($who), SIGKILL after ${delay} ms"
		kill_during "$delay" "$who" pair --pin-file "$T/screen.txt" --timeout 20
		"$who" disconnect >/dev/null 2>&1 || true
		;;
	2)
		what="config set"
		step "round $r: $what, SIGKILL after $((delay / 3)) ms"
		owner=$(state_owner)
		who=phone
		[ "$owner" = "$RB_PHONE2_ADDR" ] && who=phone2
		kill_during $((delay / 3)) "$who" config set "pin_failure_limit=$((r % 2 + 1))"
		"$who" disconnect >/dev/null 2>&1 || true
		;;
	0)
		what="lockout"
		wait_unlocked
		box_chord
		wait_screen '^PAIRING'
		step "round $r: $what, SIGKILL after ${delay} ms"
		kill_during "$delay" phone2 pair 000000 --timeout 20
		phone2 disconnect >/dev/null 2>&1 || true
		;;
	esac
	check_invariants "$r" "$what"
	echo "round $r: owner=$(state_owner) limit=$(state_value Overrides PinFailureLimit) lockout=$(state_value Pin LockoutStart)"
	echo "$r" >>"$progress"
done
pass "$rounds SIGKILLs at random moments: the state always whole, the owner always bonded"
