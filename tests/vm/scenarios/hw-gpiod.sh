#!/bin/bash
# Buttons on the real kernel GPIO path: a gpio-sim chip (configfs) with four
# lines named like the daemon's default lines (GPIO17 QUIZZER_RESET, GPIO27
# TIMER_RESET, GPIO22 TIMER_530, GPIO23 CONTEST), the real reaction-boxd
# with [Buttons] Backend=gpiod (defaults: active low, pull-up bias) through
# libgpiod and the GPIO character device, and the file display. A button is
# pressed by pulling its simulated line down (sysfs "pull" attribute) and
# released by pulling it up, as a button to ground with a pull-up.
# Holding QUIZZER_RESET+TIMER_530+CONTEST for 2 s must open pairing mode
# (screen "PAIRING ...", Adapter1.Pairable true); TIMER_RESET must close it.
#
# Debian's kernel has no gpio-sim: build it on the host first with
#   tests/vm/build-gpio-sim
# Run: tests/vm/run-vm -- tests/vm/scenarios/hw-gpiod.sh
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
[ -x "$DAEMON" ] || fail "$DAEMON missing: build first (./configure && make)"
KO=tests/vm/cache/gpio-sim/$(uname -r)/gpio-sim.ko
[ -s "$KO" ] || fail "$KO missing: run tests/vm/build-gpio-sim on the host before the VM starts"

work=$(mktemp -d /run/rb-hw-gpiod.XXXXXX)
sim=/sys/kernel/config/gpio-sim/rb-hw-gpiod-$$
daemon_pid=

remove_sim() {
	local d
	[ -d "$sim" ] || return 0
	echo 0 >"$sim/live" 2>/dev/null || true
	for d in "$sim"/bank0/line*; do
		[ -d "$d" ] && rmdir "$d"
	done
	[ -d "$sim/bank0" ] && rmdir "$sim/bank0"
	rmdir "$sim"
}

cleanup() {
	local rc=$? n
	[ -n "${app_pid:-}" ] && kill "$app_pid" 2>/dev/null || true
	if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
		kill -TERM "$daemon_pid" 2>/dev/null || true
		for ((n = 0; n < 50; n++)); do
			kill -0 "$daemon_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$daemon_pid" 2>/dev/null || true
	fi
	remove_sim || echo "warning: cannot remove $sim" >&2
	if [ "$rc" != 0 ] && [ -s "$work/daemon.log" ]; then
		echo "----- tail of the daemon's log -----" >&2
		tail -n 30 "$work/daemon.log" >&2
	fi
	[ -z "${RB_VM_OUT:-}" ] || cp "$work/daemon.log" "$RB_VM_OUT/hw-gpiod-daemon-${work##*.}.log" 2>/dev/null || true
	rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT
# A timeout's SIGTERM still cleans up (and shows the daemon's log).
trap 'echo "FAIL: terminated" >&2; exit 143' TERM INT

# --- the kernel side: configfs, gpio-sim, one chip with four lines --------
modprobe configfs || fail "modprobe configfs"
if ! grep -q ' /sys/kernel/config configfs ' /proc/mounts; then
	mount -t configfs configfs /sys/kernel/config || fail "mount configfs"
fi
if [ ! -d /sys/module/gpio_sim ]; then
	insmod "$KO" || fail "insmod $KO (see dmesg.log)"
fi
[ -d /sys/kernel/config/gpio-sim ] || fail "gpio-sim registered no configfs subsystem"

names=(GPIO17 GPIO27 GPIO22 GPIO23) # QUIZZER_RESET TIMER_RESET TIMER_530 CONTEST
mkdir "$sim" "$sim/bank0"
echo 4 >"$sim/bank0/num_lines"
for i in 0 1 2 3; do
	mkdir "$sim/bank0/line$i"
	echo "${names[$i]}" >"$sim/bank0/line$i/name"
done
echo 1 >"$sim/live" || fail "gpio-sim: cannot bring the chip live"
chip=$(cat "$sim/bank0/chip_name")
dev=$(cat "$sim/dev_name")
lines=/sys/devices/platform/$dev/$chip
[ -c "/dev/$chip" ] || fail "/dev/$chip missing"
[ -e "$lines/sim_gpio0/pull" ] || fail "$lines/sim_gpio0/pull missing"
step "gpio-sim chip $chip ($dev), lines ${names[*]}"

# set_line NAME pull-up|pull-down
set_line() {
	local i
	for i in 0 1 2 3; do
		if [ "${names[$i]}" = "$1" ]; then
			echo "$2" >"$lines/sim_gpio$i/pull" || fail "cannot set ${names[$i]} to $2"
			return 0
		fi
	done
	fail "no line $1"
}
press() { set_line "$1" pull-down; }
release() { set_line "$1" pull-up; }
# All released before the daemon starts (it reports held buttons at once).
for n in "${names[@]}"; do
	release "$n"
done

# --- the daemon ------------------------------------------------------------
mkdir -p "$work/state"
cat >"$work/reaction-boxd.conf" <<EOF
[Adapter]
Name=$RB_BOX_HCI

[Buttons]
Backend=gpiod
Chip=$chip
QuizzerReset=GPIO17
TimerReset=GPIO27
Timer530=GPIO22
Contest=GPIO23
ActiveLow=true
Bias=pull-up

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
# gpioinfo of libgpiod v1 takes the chip as an argument and prints
#   line 0: "GPIO17" "reaction-boxd" input active-low [used]
# v2 takes it with -c and prints
#   line 0: "GPIO17" input active-low consumer="reaction-boxd"
gpio_info() {
	if gpioinfo --version 2>/dev/null | grep -q ' v1\.'; then
		timeout 5 gpioinfo "$chip"
	else
		timeout 5 gpioinfo -c "$chip"
	fi
}
consumer_is() { gpio_info 2>/dev/null | grep -Eq '"GPIO17".*(consumer=)?"reaction-boxd"'; }

wait_for 30 "registration" registered ||
	fail "the daemon did not register with BlueZ within 30 s"
step "the daemon registered with BlueZ"
if command -v gpioinfo >/dev/null; then
	wait_for 10 "the line request" consumer_is ||
		fail "gpioinfo does not show GPIO17 held by reaction-boxd: $(gpio_info 2>&1)"
fi
wait_for 10 "the IDLE screen" screen_is IDLE ||
	fail "screen is '$(screen_line)', want IDLE"
wait_for 10 "Pairable false" pairable_is false ||
	fail "Pairable is '$(pairable)' before the chord, want 'b false'"
step "daemon up: screen IDLE, Pairable false"

# --- the box's application reads the buttons through the daemon ------------
app_pid=
python3 -u examples/quiz-timer >"$work/app.log" 2>&1 &
app_pid=$!
app_has() { grep -q -E "$1" "$work/app.log"; }
wait_for 60 "quiz-timer's registration" app_has "registered as the box's application" ||
	fail "quiz-timer did not register: $(cat "$work/app.log")"
step "quiz-timer registered"

# --- the chord: QUIZZER_RESET + TIMER_530 + CONTEST held 2 s --------------
step "holding the chord"
press GPIO17
press GPIO22
press GPIO23
sleep 2
release GPIO23
release GPIO22
release GPIO17

wait_for 10 "the PAIRING screen" screen_is PAIRING ||
	fail "after the chord the screen is '$(screen_line)', want PAIRING..."
wait_for 10 "Pairable true" pairable_is true ||
	fail "after the chord Pairable is '$(pairable)', want 'b true'"
step "chord: screen '$(screen_line)', Pairable true"

# --- TIMER_RESET ends pairing mode -----------------------------------------
press GPIO27
sleep 0.2
release GPIO27

wait_for 10 "the IDLE screen" screen_is IDLE ||
	fail "after TIMER_RESET the screen is '$(screen_line)', want IDLE"
wait_for 10 "Pairable false" pairable_is false ||
	fail "after TIMER_RESET Pairable is '$(pairable)', want 'b false'"
step "TIMER_RESET: screen IDLE, Pairable false"

# --- the application saw those edges, and a quiz press -----------------------
press GPIO22
sleep 0.2
release GPIO22
wait_for 10 "the application's TIMER_530" app_has '^button TIMER_530 pressed$' ||
	fail "quiz-timer did not see TIMER_530: $(cat "$work/app.log")"
wait_for 10 "the answer timer" app_has '^phase answer5' ||
	fail "quiz-timer did not start its timer: $(cat "$work/app.log")"
app_has '^button CONTEST pressed \(ignored' ||
	fail "the chord's CONTEST press was not marked: $(cat "$work/app.log")"
app_has '^button TIMER_RESET pressed \(ignored' ||
	fail "the press that closed pairing mode was not marked: $(cat "$work/app.log")"
if command -v gpioinfo >/dev/null; then
	consumer_is || fail "the daemon no longer holds the lines"
fi
step "quiz-timer saw every edge while the daemon held the lines"
kill "$app_pid" 2>/dev/null || true

grep -E 'display:|CRITICAL' "$work/daemon.log" &&
	fail "the daemon logged a display or critical failure"
echo "PASS: hw-gpiod"
