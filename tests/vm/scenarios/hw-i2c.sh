#!/bin/bash
# The SSD1306 display on the real kernel i2c path: i2c-dev over the kernel's
# i2c-stub (a fake chip at 0x3c). i2c-stub is SMBus-only (no I2C_FUNC_I2C),
# so this proves the SMBus block-write fallback of src/hw/i2c.c.
#  1. tests/vm/rb-display-probe drives the SSD1306 backend through two
#     screens and reads every transfer back from the chip's registers.
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

[ "${RB_VM:-}" = 1 ] || fail "run me inside the VM: tests/vm/run-vm -- $0"
[ -n "${RB_BOX_HCI:-}" ] || fail "RB_BOX_HCI not set (the harness exports it)"
DAEMON=./reaction-boxd
PROBE=tests/vm/rb-display-probe
ADDR=0x3c
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
	[ -z "${RB_VM_OUT:-}" ] || cp "$work/daemon.log" "$RB_VM_OUT/hw-i2c-daemon.log" 2>/dev/null || true
	rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT

# --- the kernel side: i2c-dev and i2c-stub --------------------------------
modprobe i2c-dev || fail "modprobe i2c-dev"
modprobe i2c-stub chip_addr=$ADDR || fail "modprobe i2c-stub chip_addr=$ADDR"
# find_bus: sets bus to the /dev/i2c-N of i2c-stub, once the node exists.
bus=
find_bus() {
	local a n
	bus=
	for a in /sys/class/i2c-adapter/i2c-*; do
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
find_bus || fail "no i2c-stub adapter in /sys/class/i2c-adapter"
echo "i2c-stub chip $ADDR on $bus"

# --- 1. the backend, every transfer read back ------------------------------
prc=0
"$PROBE" "$bus" "$ADDR" >"$work/probe.log" 2>&1 || prc=$?
cat "$work/probe.log"
[ "$prc" = 0 ] || fail "rb-display-probe on $bus exited with $prc"
grep -q '^PASS:' "$work/probe.log" || fail "rb-display-probe on $bus did not pass"
grep -q 'plain i2c no, SMBus i2c block write yes' "$work/probe.log" ||
	fail "$bus is not the SMBus-only adapter this test is about"

# --- 2. the daemon, on a fresh chip ---------------------------------------
# Reload i2c-stub: all registers 0 again, so what follows is the daemon's.
rmmod i2c-stub || fail "rmmod i2c-stub"
modprobe i2c-stub chip_addr=$ADDR || fail "modprobe i2c-stub chip_addr=$ADDR"
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
G_MESSAGES_DEBUG=all "$DAEMON" --config "$work/reaction-boxd.conf" \
	--state-dir "$work/state" >"$work/daemon.log" 2>&1 &
daemon_pid=$!

# wait_for TENTHS CMD...: poll CMD every 0.1 s until it succeeds.
wait_for() {
	local n=$1
	shift
	until "$@"; do
		kill -0 "$daemon_pid" 2>/dev/null || fail "the daemon died (see its log)"
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}
registered() { grep -q 'registered on' "$work/daemon.log"; }

wait_for 300 registered || fail "the daemon did not register with BlueZ within 30 s"
wait_for 50 ssd1306_written ||
	fail "registers 0x00.. are '$(cmd_regs)' 5 s after start, want an SSD1306 command write"
echo "daemon: command registers went from '$before' to '$(cmd_regs)'"
if grep -E 'does not answer|display:|CRITICAL' "$work/daemon.log"; then
	fail "the daemon logged a display failure"
fi
echo "PASS: hw-i2c"
