# shellcheck shell=bash
# Helpers shared by the hardware scenarios (scenarios/hw-*.sh), sourced
# after they started the daemon. They use the scenario's $work (daemon.log,
# screen.txt), $daemon_pid and fail().

# The screen's first line ("PAIRING 58", "IDLE"), or nothing.
screen_line() { head -n1 "$work/screen.txt" 2>/dev/null || true; }
pairable() {
	timeout 5 busctl get-property org.bluez "/org/bluez/$RB_BOX_HCI" \
		org.bluez.Adapter1 Pairable 2>/dev/null || true
}

# uptime_cs: the guest's uptime in centiseconds, in UPTIME_CS (no fork).
uptime_cs() {
	local up rest
	read -r up rest </proc/uptime
	UPTIME_CS=$((10#${up%.*} * 100 + 10#${up#*.}))
}
# wait_for SECS WHAT CMD...: poll CMD every 0.1 s until it succeeds; false
# after SECS of wall time (process starts are slow under TCG: no counting).
wait_for() {
	local secs=$1 what=$2 deadline
	shift 2
	uptime_cs
	deadline=$((UPTIME_CS + secs * 100))
	until "$@"; do
		kill -0 "$daemon_pid" 2>/dev/null || fail "the daemon died while waiting for $what"
		uptime_cs
		[ "$UPTIME_CS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}
screen_is() { [[ $(screen_line) == "$1"* ]]; }
pairable_is() { [ "$(pairable)" = "b $1" ]; }
# Registered with BlueZ (a failed step is retried by the daemon itself).
registered() { grep -q 'registered on .* as Reaction' "$work/daemon.log"; }
