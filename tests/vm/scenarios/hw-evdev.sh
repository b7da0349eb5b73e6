#!/bin/bash
# Buttons on the real kernel input path: a uinput keyboard
# (tests/vm/rb-uinput) with the daemon's default keys F1..F4, the real
# reaction-boxd with [Buttons] Backend=evdev on that device and the file
# display.
# Holding QUIZZER_RESET+TIMER_530+CONTEST (F1+F3+F4) for 2 s must open
# pairing mode (screen "PAIRING ...", Adapter1.Pairable true); TIMER_RESET
# (F2) must close it (screen "IDLE", Pairable false).
#
# Run: tests/vm/run-vm -- tests/vm/scenarios/hw-evdev.sh
# Build first (make check), so that tests/vm/rb-uinput exists.
set -euo pipefail

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
# Progress, with the guest's uptime: the log then shows where time went.
step() { echo "[$(cut -d' ' -f1 /proc/uptime)] $*"; }

[ "${RB_VM:-}" = 1 ] || fail "run me inside the VM: tests/vm/run-vm -- $0"
[ -n "${RB_BOX_HCI:-}" ] || fail "RB_BOX_HCI not set (the harness exports it)"
DAEMON=${RB_BUILD:-.}/reaction-boxd
UINPUT=${RB_BUILD:-.}/tests/vm/rb-uinput
[ -x "$DAEMON" ] || fail "$DAEMON missing: build first (./configure && make)"
[ -x "$UINPUT" ] || fail "$UINPUT missing: build it (make check TESTS=)"

work=$(mktemp -d /run/rb-hw-evdev.XXXXXX)
daemon_pid=
uinput_pid=
uin_w=
uin_r=

cleanup() {
	local rc=$? n
	# Closing the command pipe ends rb-uinput (keys released, device gone).
	[ -z "$uin_w" ] || exec {uin_w}>&-
	if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
		kill -TERM "$daemon_pid" 2>/dev/null || true
		for ((n = 0; n < 50; n++)); do
			kill -0 "$daemon_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$daemon_pid" 2>/dev/null || true
	fi
	if [ -n "$uinput_pid" ]; then
		for ((n = 0; n < 20; n++)); do
			kill -0 "$uinput_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$uinput_pid" 2>/dev/null || true
	fi
	if [ "$rc" != 0 ] && [ -s "$work/daemon.log" ]; then
		echo "----- tail of the daemon's log -----" >&2
		tail -n 30 "$work/daemon.log" >&2
	fi
	[ -z "${RB_VM_OUT:-}" ] || cp "$work/daemon.log" "$RB_VM_OUT/hw-evdev-daemon-${work##*.}.log" 2>/dev/null || true
	rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT
# A timeout's SIGTERM still cleans up (and shows the daemon's log).
trap 'echo "FAIL: terminated" >&2; exit 143' TERM INT

# --- the kernel side: uinput and evdev ------------------------------------
modprobe uinput || fail "modprobe uinput"
modprobe evdev || fail "modprobe evdev"
[ -c /dev/uinput ] || fail "/dev/uinput missing after modprobe uinput"

mkfifo "$work/uin.in" "$work/uin.out"
"$UINPUT" KEY_F1 KEY_F2 KEY_F3 KEY_F4 <"$work/uin.in" >"$work/uin.out" &
uinput_pid=$!
exec {uin_w}>"$work/uin.in"
exec {uin_r}<"$work/uin.out"

line=
read -r -t 10 -u "$uin_r" line || fail "rb-uinput did not report its device within 10 s"
[[ $line == "ready /dev/input/event"* ]] || fail "rb-uinput: unexpected '$line'"
event_dev=${line#ready }
step "uinput keyboard at $event_dev"

# uin CMD...: one rb-uinput command, answered by "ok".
uin() {
	local reply=
	echo "$*" >&"$uin_w"
	read -r -t 70 -u "$uin_r" reply || fail "rb-uinput: no answer to '$*'"
	[ "$reply" = ok ] || fail "rb-uinput: '$*' -> '$reply'"
}

# --- the daemon ------------------------------------------------------------
mkdir -p "$work/state"
cat >"$work/reaction-boxd.conf" <<EOF
[Adapter]
Name=$RB_BOX_HCI

[Buttons]
Backend=evdev
# Not auto-found: the VM's own PS/2 keyboard (event0) has F1..F4 too, and
# auto-find takes the first device that has the keys.
EvdevDevice=$event_dev

[Display]
Backend=file
File=$work/screen
EOF
"$DAEMON" --check-config --config "$work/reaction-boxd.conf" >/dev/null ||
	fail "the generated config is refused"
step "starting the daemon"
G_MESSAGES_DEBUG=all "$DAEMON" --config "$work/reaction-boxd.conf" \
	--state-dir "$work/state" >"$work/daemon.log" 2>&1 &
daemon_pid=$!

# shellcheck source=tests/vm/lib/hw.sh
. "$(dirname "$0")/../lib/hw.sh"

wait_for 30 "registration" registered ||
	fail "the daemon did not register with BlueZ within 30 s"
step "the daemon registered with BlueZ"
wait_for 10 "the IDLE screen" screen_is IDLE ||
	fail "screen is '$(screen_line)', want IDLE"
wait_for 10 "Pairable false" pairable_is false ||
	fail "Pairable is '$(pairable)' before the chord, want 'b false'"
grep -q "buttons from input device $event_dev" "$work/daemon.log" ||
	fail "the daemon does not say it reads buttons from $event_dev"
step "daemon up: screen IDLE, Pairable false"

# --- the chord: QUIZZER_RESET + TIMER_530 + CONTEST held 2 s --------------
step "holding the chord"
uin press KEY_F1
uin press KEY_F3
uin press KEY_F4
uin sleep 2000
uin release KEY_F4
uin release KEY_F3
uin release KEY_F1

wait_for 10 "the PAIRING screen" screen_is PAIRING ||
	fail "after the chord the screen is '$(screen_line)', want PAIRING..."
wait_for 10 "Pairable true" pairable_is true ||
	fail "after the chord Pairable is '$(pairable)', want 'b true'"
step "chord: screen '$(screen_line)', Pairable true"

# --- TIMER_RESET ends pairing mode -----------------------------------------
uin press KEY_F2
uin sleep 200
uin release KEY_F2

wait_for 10 "the IDLE screen" screen_is IDLE ||
	fail "after TIMER_RESET the screen is '$(screen_line)', want IDLE"
wait_for 10 "Pairable false" pairable_is false ||
	fail "after TIMER_RESET Pairable is '$(pairable)', want 'b false'"
step "TIMER_RESET: screen IDLE, Pairable false"

grep -E 'display:|does not answer|CRITICAL' "$work/daemon.log" &&
	fail "the daemon logged a display or critical failure"
echo "PASS: hw-evdev"
