#!/bin/bash
# The i2c displays on the real kernel i2c path: i2c-dev over the kernel's
# i2c-stub (fake chips at 0x3c and 0x27). i2c-stub is SMBus-only (no
# I2C_FUNC_I2C), so this proves the SMBus block-write fallback of
# src/hw/i2c.c.
#  1. tests/vm/rb-display-probe drives the SSD1306 backend (0x3c, control
#     byte splitting) and the HD44780 backend (0x27, PCF8574 byte stream
#     splitting) through two screens each and reads every transfer back
#     from the chip's registers.
#  2. The real reaction-boxd with [Display] Backend=ssd1306 on that bus (the
#     chip reloaded, all registers 0) must not report a display failure and
#     must leave an SSD1306 command write in the chip's registers 0x00..
#     (the SSD1306 command control byte 0x00 is the SMBus command).
#
# Run: tests/vm/run-vm -- tests/vm/scenarios/hw-i2c.sh
# Build first (make check), so that tests/vm/rb-display-probe exists.
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
PROBE=${RB_BUILD:-.}/tests/vm/rb-display-probe
ADDR=0x3c
LCD_ADDR=0x27
[ -x "$DAEMON" ] || fail "$DAEMON missing: build first (./configure && make)"
[ -x "$PROBE" ] || fail "$PROBE missing: build it (make check TESTS=)"

work=$(mktemp -d /run/rb-hw-i2c.XXXXXX)
daemon_pid=

cleanup() {
	local rc=$? n
	if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
		kill -TERM "$daemon_pid" 2>/dev/null || true
		for ((n = 0; n < 50; n++)); do
			kill -0 "$daemon_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$daemon_pid" 2>/dev/null || true
	fi
	if [ "$rc" != 0 ] && [ -s "$work/daemon.log" ]; then
		echo "----- tail of the daemon's log -----" >&2
		tail -n 30 "$work/daemon.log" >&2
	fi
	[ -z "${RB_VM_OUT:-}" ] || cp "$work/daemon.log" "$RB_VM_OUT/hw-i2c-daemon-${work##*.}.log" 2>/dev/null || true
	rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT
# A timeout's SIGTERM still cleans up (and shows the daemon's log).
trap 'echo "FAIL: terminated" >&2; exit 143' TERM INT

# --- the kernel side: i2c-dev and i2c-stub --------------------------------
modprobe i2c-dev || fail "modprobe i2c-dev"
# Fresh chips with our addresses, even if an earlier scenario loaded it.
if [ -d /sys/module/i2c_stub ]; then
	rmmod i2c-stub || fail "rmmod i2c-stub (still in use?)"
fi
modprobe i2c-stub chip_addr=$ADDR,$LCD_ADDR ||
	fail "modprobe i2c-stub chip_addr=$ADDR,$LCD_ADDR"
# find_bus: sets bus to the /dev/i2c-N of i2c-stub, once the node exists.
bus=
find_bus() {
	local a n
	bus=
	# (not /sys/class/i2c-adapter: 6.12 has no such class)
	for a in /sys/bus/i2c/devices/i2c-*; do
		[ -e "$a/name" ] || continue
		if [ "$(cat "$a/name")" = "SMBus stub driver" ]; then
			bus=/dev/${a##*/}
			break
		fi
	done
	[ -n "$bus" ] || return 1
	for ((n = 0; n < 50; n++)); do
		[ -c "$bus" ] && return 0
		sleep 0.1
	done
	echo "$bus missing (i2c-dev loaded?)" >&2
	return 1
}
find_bus || fail "no i2c-stub adapter in /sys/bus/i2c/devices"
step "i2c-stub chip $ADDR on $bus"

# --- 1. the backend, every transfer read back ------------------------------
prc=0
"$PROBE" "$bus" "$ADDR" >"$work/probe.log" 2>&1 || prc=$?
cat "$work/probe.log"
[ "$prc" = 0 ] || fail "rb-display-probe on $bus exited with $prc"
grep -q '^PASS:' "$work/probe.log" || fail "rb-display-probe on $bus did not pass"
grep -q 'plain i2c no, SMBus i2c block write yes' "$work/probe.log" ||
	fail "$bus is not the SMBus-only adapter this test is about"

prc=0
"$PROBE" --hd44780 "$bus" "$LCD_ADDR" >"$work/probe-lcd.log" 2>&1 || prc=$?
cat "$work/probe-lcd.log"
[ "$prc" = 0 ] || fail "rb-display-probe --hd44780 on $bus exited with $prc"
grep -q '^PASS:' "$work/probe-lcd.log" || fail "rb-display-probe --hd44780 on $bus did not pass"

# --- 2. the daemon, on a fresh chip ---------------------------------------
# Reload i2c-stub: all registers 0 again, so what follows is the daemon's.
rmmod i2c-stub || fail "rmmod i2c-stub"
modprobe i2c-stub chip_addr=$ADDR,$LCD_ADDR ||
	fail "modprobe i2c-stub chip_addr=$ADDR,$LCD_ADDR"
find_bus || fail "no i2c-stub adapter after reloading it"

# The chip's first 6 registers: what the last SSD1306 command write left
# (SMBus command 0x00 = the SSD1306 command control byte).
cmd_regs() { "$PROBE" --dump "$bus" "$ADDR" 0 6; }
before=$(cmd_regs) || fail "cannot read the registers of $bus $ADDR"
[ "$before" = "0x00 0x00 0x00 0x00 0x00 0x00" ] ||
	fail "registers of the reloaded chip are '$before', want all 0"
# The daemon's last command write is "display on" (0xaf) after the first
# full frame, or the column and page window of a later partial update
# (0x21 x0 x1 0x22 p p, x0 <= x1 <= 127, p <= 7).
ssd1306_written() {
	local r
	read -r -a r <<<"$(cmd_regs)"
	[ "${#r[@]}" = 6 ] || return 1
	[ "${r[0]}" = 0xaf ] && return 0
	[ "${r[0]}" = 0x21 ] && [ "${r[3]}" = 0x22 ] && [ "${r[4]}" = "${r[5]}" ] &&
		((r[1] <= r[2] && r[2] <= 0x7f && r[4] <= 7))
}

mkdir -p "$work/state"
cat >"$work/reaction-boxd.conf" <<EOF
[Adapter]
Name=$RB_BOX_HCI

[Buttons]
Backend=none

[Display]
Backend=ssd1306
I2cBus=$bus
Address=$ADDR
Width=128
Height=64
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
wait_for 10 "the SSD1306 writes" ssd1306_written ||
	fail "registers 0x00.. are '$(cmd_regs)' 10 s after start, want an SSD1306 command write"
step "daemon: command registers went from '$before' to '$(cmd_regs)'"
if grep -E 'does not answer|display:|CRITICAL' "$work/daemon.log"; then
	fail "the daemon logged a display failure"
fi
echo "PASS: hw-i2c"
