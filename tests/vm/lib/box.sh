# shellcheck shell=bash
# Helpers for the reaction-boxd scenarios (guest only, sourced). The box is
# the real reaction-boxd on $RB_BOX_HCI with FIFO buttons and the file
# display; phones are reaction-boxctl on $RB_PHONE_HCI and $RB_PHONE2_HCI.
#
#   box_start [KEY=VALUE...]  write a config ([Policy] keys) and start the daemon
#   box_stop / box_restart    SIGTERM (checks exit 0) / stop and start again
#   box_press/box_release B   a button edge on the FIFO
#   box_tap B                 press, 100 ms, release
#   box_chord                 hold QUIZZER_RESET + TIMER_530 + CONTEST for 2 s
#   box_screen                the screen's first line ("PIN 123456 58", "IDLE")
#   wait_screen REGEX [SECS]  wait until the screen's first line matches
#   wait_log REGEX [SECS]     wait until the daemon's log matches
#   pairable                  Adapter1.Pairable of the box ("true"/"false")
#   bondable                  the box's bondable flag in the kernel (mgmt)
#   bluetoothd_pause/_resume  SIGSTOP / SIGCONT bluetoothd (resumed on exit)
#   phone / phone2 ARGS...    reaction-boxctl on the phone adapters
#   expect_rc N CMD...        run CMD, fail unless it exits N
#   box_bond_exists ADDR      the box's BlueZ holds a bond for ADDR
#   app_start / app_kill      examples/quiz-timer next to the daemon (log:
#                             $T/app.log) / SIGKILL it, waiting until the
#                             daemon forgot it
#   wait_app REGEX [SECS]     wait until the application's log matches
#   step / pass / fail        transcript lines
set -euo pipefail
# shellcheck disable=SC2119,SC2120 # box_start takes optional [Policy] lines

RB_BUILD=${RB_BUILD:-.}
BOXD=$RB_BUILD/reaction-boxd
BOXCTL=$RB_BUILD/reaction-boxctl
T=${RB_T:-/run/rbtest}
BOX_PID=
WATCH_PIDS=()

step() { echo "--- $*"; }
pass() { echo "PASS: $*"; }
fail() {
	echo "FAIL: $*" >&2
	if [ -f "$T/boxd.log" ]; then
		echo "--- tail of the daemon's log:" >&2
		tail -n 40 "$T/boxd.log" >&2
	fi
	exit 1
}

[ "${RB_VM:-}" = 1 ] || fail "run inside the VM: tests/vm/run-vm -- $0"
[ -x "$BOXD" ] || fail "$BOXD not built (set RB_BUILD to the build directory)"
[ -x "$BOXCTL" ] || fail "$BOXCTL not built"

APP_PID=
QUIZ_TIMER=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/examples/quiz-timer

app_start() {
	local before=0
	[ -f "$T/app.log" ] && before=$(grep -c "registered as the box's application" "$T/app.log" || true)
	python3 -u "$QUIZ_TIMER" >>"$T/app.log" 2>&1 &
	APP_PID=$!
	local end=$((SECONDS + 60)) c
	while :; do
		c=$(grep -c "registered as the box's application" "$T/app.log" || true)
		[ "${c:-0}" -gt "$before" ] && break
		kill -0 "$APP_PID" 2>/dev/null || { cat "$T/app.log"; fail "quiz-timer died"; }
		[ "$SECONDS" -lt "$end" ] || { cat "$T/app.log"; fail "quiz-timer did not register within 60 s"; }
		sleep 0.2
	done
	wait_log "application .* registered at /org/reactionbox/app/quiztimer"
}

app_kill() {
	local before
	before=$(grep -c "left the bus: forgotten" "$T/boxd.log" || true)
	kill -KILL "$APP_PID"
	wait "$APP_PID" 2>/dev/null || true
	APP_PID=
	_wait_count "left the bus: forgotten" $((before + 1)) 60 ||
		fail "the daemon did not forget the killed application"
}

wait_app() { # REGEX [SECS]
	local end=$((SECONDS + ${2:-30}))
	until grep -q -E "$1" "$T/app.log" 2>/dev/null; do
		[ "$SECONDS" -lt "$end" ] || { cat "$T/app.log"; fail "the application never logged /$1/"; }
		sleep 0.2
	done
}

BLUETOOTHD_PAUSED=
_box_cleanup() {
	local p
	[ -n "$BLUETOOTHD_PAUSED" ] && kill -CONT "$BLUETOOTHD_PAUSED" 2>/dev/null || true
	[ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null || true
	for p in "${WATCH_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	if [ -n "$BOX_PID" ]; then
		kill -TERM "$BOX_PID" 2>/dev/null || true
		wait "$BOX_PID" 2>/dev/null || true
	fi
}

# The unique bus name of the daemon (for the foreign-caller scenario).
box_bus_name() {
	local name pid
	for name in $(busctl --system list --unique --no-legend --no-pager |
		awk '{print $1}'); do
		pid=$(busctl --system call org.freedesktop.DBus \
			/org/freedesktop/DBus org.freedesktop.DBus \
			GetConnectionUnixProcessID s "$name" 2>/dev/null |
			awk '{print $2}')
		if [ "$pid" = "$BOX_PID" ]; then
			echo "$name"
			return 0
		fi
	done
	return 1
}
trap _box_cleanup EXIT

rm -rf "$T"
mkdir -p "$T/state"

# btvirt (BlueZ 5.66) reports the central's connection handle to the
# peripheral, and the first connection of every controller gets handle 42:
# with two phones connected to the box at once, the box's kernel sees
# handle 42 twice and drops the second link. So the phone that connects
# second first connects to the spare controller (the fourth): its link to
# the box then gets 43, on both sides. spare_link HCI, once per scenario.
# Tearing such links down has crashed the guest kernel (hci_chan_del in
# l2cap_sock_release), so scenarios that need it run in a VM of their own.
spare_link() {
	[ -n "${RB_HCI3_ADDR:-}" ] || fail "needs four controllers (run-vm --controllers 4)"
	btmgmt --index 3 connectable on >/dev/null
	btmgmt --index 3 advertising on >/dev/null
	timeout 15 hcitool -i "$1" lecc "$RB_HCI3_ADDR" >/dev/null ||
		fail "$1 could not connect to the spare controller"
}

box_start() {
	local kv
	{
		echo "[Policy]"
		for kv in "$@"; do
			echo "$kv"
		done
		echo "[Adapter]"
		echo "Name=$RB_BOX_HCI"
		echo "[Buttons]"
		echo "Backend=fifo"
		echo "FifoPath=$T/buttons"
		echo "[Display]"
		echo "Backend=file"
		echo "File=$T/screen"
	} >"$T/box.conf"
	_box_launch
}

_box_launch() {
	local before=0
	[ -f "$T/boxd.log" ] && before=$(grep -c "registered on .* as Reaction" "$T/boxd.log" || true)
	local vg=()
	# RB_VALGRIND=1: the daemon runs under valgrind; a definite leak or a
	# memory error makes it exit 33, which box_stop reports.
	if [ "${RB_VALGRIND:-0}" = 1 ]; then
		vg=(valgrind --leak-check=full --show-leak-kinds=definite
			--errors-for-leak-kinds=definite --error-exitcode=33
			--suppressions=/usr/share/glib-2.0/valgrind/glib.supp
			--log-file="$T/valgrind.log")
	fi
	G_MESSAGES_DEBUG=${RB_DEBUG:-} "${vg[@]}" "$BOXD" --config "$T/box.conf" \
		--state-dir "$T/state" >>"$T/boxd.log" 2>&1 &
	BOX_PID=$!
	_wait_count "registered on .* as Reaction" $((before + 1)) 120 ||
		fail "reaction-boxd did not register with BlueZ within 120 s"
	phones_keyboard_only
	[ -p "$T/buttons" ] || fail "no button FIFO at $T/buttons"
}

_wait_count() { # REGEX N SECS
	local end=$((SECONDS + $3)) c
	while :; do
		c=$(grep -c -E "$1" "$T/boxd.log" 2>/dev/null || true)
		[ "${c:-0}" -ge "$2" ] && return 0
		kill -0 "$BOX_PID" 2>/dev/null || fail "reaction-boxd died"
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}

box_stop() {
	local rc=0
	kill -TERM "$BOX_PID"
	wait "$BOX_PID" || rc=$?
	BOX_PID=
	if [ -f "$T/valgrind.log" ]; then
		echo "--- valgrind:"
		grep -E "ERROR SUMMARY|definitely lost|indirectly lost" "$T/valgrind.log" || true
	fi
	[ "$rc" = 0 ] || {
		[ -f "$T/valgrind.log" ] && tail -n 60 "$T/valgrind.log"
		fail "reaction-boxd exited $rc on SIGTERM"
	}
}

box_restart() {
	box_stop
	_box_launch
}

box_press() { echo "press $1" >"$T/buttons"; }
box_release() { echo "release $1" >"$T/buttons"; }
box_tap() {
	box_press "$1"
	sleep 0.1
	box_release "$1"
}
# The chord is held until the daemon has acted on it (it opened pairing
# mode or said why not), at least 2 s: the daemon stamps an edge when it
# reads it, and a busy daemon (valgrind) reads the presses late.
box_chord() {
	local before
	before=$(grep -c -E "pairing mode for|chord refused" "$T/boxd.log" || true)
	box_press QUIZZER_RESET
	box_press TIMER_530
	box_press CONTEST
	sleep 2
	_wait_count "pairing mode for|chord refused" $((before + 1)) 60 ||
		echo "(the daemon did not act on the chord: pairing mode already open?)"
	box_release QUIZZER_RESET
	box_release TIMER_530
	box_release CONTEST
	sleep 0.1
}

box_screen() { head -n 1 "$T/screen.txt" 2>/dev/null || true; }

# Waits count seconds of the clock, not polls (a poll can take long on a
# loaded machine).
wait_screen() { # REGEX [SECS]
	local end=$((SECONDS + ${2:-10}))
	until box_screen | grep -q -E "$1"; do
		[ "$SECONDS" -lt "$end" ] || fail "screen is '$(box_screen)', expected /$1/"
		sleep 0.1
	done
	echo "box shows: $(box_screen)"
}

wait_log() { # REGEX [SECS]
	local end=$((SECONDS + ${2:-10}))
	until grep -q -E "$1" "$T/boxd.log"; do
		[ "$SECONDS" -lt "$end" ] || fail "no /$1/ in the daemon's log"
		sleep 0.1
	done
}

# btmgmt 5.82 (trixie) never exits when its stdin is /dev/null, as it is
# for scenarios: give it an empty pipe.
btmgmt() { true | command btmgmt "$@"; }

pairable() {
	busctl get-property org.bluez "/org/bluez/$RB_BOX_HCI" \
		org.bluez.Adapter1 Pairable | awk '{print $2}'
}

expect_pairable() {
	local want=$1 n=50
	until [ "$(pairable)" = "$want" ]; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "Pairable is $(pairable), expected $want"
		sleep 0.1
	done
}

# The kernel's own bondable flag of the box's controller, asked over mgmt:
# no bluetoothd in the way.
bondable() {
	if btmgmt --index "${RB_BOX_HCI#hci}" info |
		grep "current settings:" | grep -qw bondable; then
		echo true
	else
		echo false
	fi
}

expect_bondable() {
	local want=$1 n=50
	until [ "$(bondable)" = "$want" ]; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "the kernel's bondable flag is $(bondable), expected $want"
		sleep 0.1
	done
}

bluetoothd_pause() {
	BLUETOOTHD_PAUSED=$(cat /run/rbvm/bluetoothd.pid)
	kill -STOP "$BLUETOOTHD_PAUSED"
}

bluetoothd_resume() {
	kill -CONT "$BLUETOOTHD_PAUSED"
	BLUETOOTHD_PAUSED=
}

# BlueZ 5.8x pairs an LE device that is already connected by raising the
# link's security (on its ATT socket), not with mgmt Pair Device: the
# Pairing Request then carries the IO capability the kernel gave the link
# when it was made, the adapter's, which bluetoothd sets from the default
# agent. Here that is the box's (DisplayOnly): box and phones share one
# bluetoothd, and DisplayOnly on both sides is Just Works, which the box
# refuses. A phone has a stack of its own: each time the box's agent
# becomes the default, the phone adapters get back the KeyboardOnly (0x02)
# of reaction-boxctl's agent. (BlueZ 5.66 passed the agent's capability
# with Pair Device; this changes nothing there.)
phones_keyboard_only() {
	local hci
	for hci in "$RB_PHONE_HCI" ${RB_PHONE2_HCI:+"$RB_PHONE2_HCI"}; do
		btmgmt --index "${hci#hci}" io-cap 2 >/dev/null ||
			fail "btmgmt --index ${hci#hci} io-cap 2 failed"
	done
}
# pair_in_mode PHONE-FN: the chord at the box, then PHONE-FN pairs typing
# the PIN off the screen and reads the pair characteristic.
pair_in_mode() {
	box_chord
	wait_screen '^PAIRING'
	expect_rc 0 "$1" pair --pin-file "$T/screen.txt"
	expect_rc 0 "$1" trigger-pairing
}
phone() { "$BOXCTL" --adapter "$RB_PHONE_HCI" --box "$RB_BOX_ADDR" "$@"; }
phone2() { "$BOXCTL" --adapter "$RB_PHONE2_HCI" --box "$RB_BOX_ADDR" "$@"; }

expect_rc() { # N CMD...
	local want=$1 rc try
	shift
	echo "\$ $*"
	# Exit 2 (no box found, connection failed) is retried: btvirt's
	# advertising and connection setup are not what is under test.
	for try in 1 2 3; do
		rc=0
		"$@" || rc=$?
		[ "$rc" = 2 ] && [ "$want" != 2 ] && [ "$try" -lt 3 ] || break
		echo "(connection failed; again)"
		sleep 2
	done
	[ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want"
}

# BlueZ writes an info file for every device it saw; a bond has a key.
box_bond_exists() {
	grep -q 'LongTermKey\]' "/var/lib/bluetooth/$RB_BOX_ADDR/$1/info" 2>/dev/null
}

# watch_start FILE [ADAPTER-FN]: subscribe in the background, output to FILE.
watch_start() {
	local out=$1 fn=${2:-phone}
	local n=300
	"$fn" --json watch --timeout 120 >"$out" 2>&1 &
	WATCH_PIDS+=($!)
	until grep -q '"subscribed"' "$out"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || { cat "$out"; fail "the watcher did not subscribe"; }
		sleep 0.1
	done
}

# The owner's address in the daemon's state file ("" if none).
state_owner() {
	awk -F= '/^\[/ { g = $0 } g == "[Owner]" && $1 == "Address" { print $2 }' \
		"$T/state/state" 2>/dev/null || true
}

# expect_owner ADDR: the state file names ADDR as the owner, and the box's
# BlueZ holds its bond.
# (the phone can be done pairing before a busy daemon has stored it)
expect_owner() {
	local end=$((SECONDS + 20))
	until [ "$(state_owner)" = "$1" ]; do
		[ "$SECONDS" -lt "$end" ] ||
			fail "the state's owner is '$(state_owner)', expected $1"
		sleep 0.1
	done
	box_bond_exists "$1" || fail "the owner $1 has no bond in BlueZ"
}

# No log line claims a bond of the owner went, or deletes one.
expect_no_bond_loss() {
	! grep -E "bond of the owner .* removed|bond of .* is not the owner's: removing|removing the bond of" \
		"$T/boxd.log" || fail "the daemon dropped a bond"
}

# bluetoothd_restart SIGNAL: stop bluetoothd with SIGNAL, start it again.
bluetoothd_restart() {
	local pid
	pid=$(cat /run/rbvm/bluetoothd.pid)
	kill "-$1" "$pid"
	while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
	/usr/libexec/bluetooth/bluetoothd -n -d -f tests/vm/bluetoothd.conf \
		>>"$RB_VM_OUT/bluetoothd.log" 2>&1 &
	echo $! >/run/rbvm/bluetoothd.pid
}

# registrations: how often the daemon registered so far.
registrations() { grep -c "registered on .* as Reaction" "$T/boxd.log" || true; }

# wait_registered N [SECS]: until the daemon has registered N times.
wait_registered() {
	_wait_count "registered on .* as Reaction" "$1" "${2:-60}" ||
		fail "the daemon did not register again ($(registrations) of $1)"
	phones_keyboard_only
}

# wait_no_bond ADDR [SECS]: until the box's BlueZ holds no bond for ADDR
# (a refused bond goes when its peer disconnects).
wait_no_bond() {
	local end=$((SECONDS + ${2:-15}))
	while box_bond_exists "$1"; do
		[ "$SECONDS" -lt "$end" ] || fail "the box still holds a bond for $1"
		sleep 0.1
	done
}

# state_value GROUP KEY: a value of the daemon's state file.
state_value() {
	awk -F= -v g="[$1]" -v k="$2" '/^\[/ { cur = $0 } cur == g && $1 == k { print $2 }' \
		"$T/state/state" 2>/dev/null || true
}
