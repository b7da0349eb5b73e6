#!/bin/bash
# Scenario 19: what the daemon registers at once at start-up never puts
# the box on the air early. A bus monitor records every start: the
# daemon's RegisterAdvertisement must come after BlueZ answered its
# RequestDefaultAgent and while the box adapter's Pairable is false (the
# last value BlueZ announced), and after Secure Connections was set. Both
# a first start and a restart (agent, application and advertisement
# registered again on a running bluetoothd).
. "$(dirname "$0")/../lib/box.sh"

MON_PID=
start_monitor() { # LOG
	dbus-monitor --system >"$1" 2>&1 &
	MON_PID=$!
	WATCH_PIDS+=("$MON_PID")
	local n=50
	until grep -q 'member=NameAcquired' "$1" 2>/dev/null; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "dbus-monitor did not start"
		sleep 0.1
	done
}
stop_monitor() {
	kill "$MON_PID" 2>/dev/null || true
	wait "$MON_PID" 2>/dev/null || true
}

# check_order MONITOR-LOG INITIAL-PAIRABLE: the order on the bus.
check_order() {
	python3 - "$1" "$2" "/org/bluez/$RB_BOX_HCI" <<'PY' || fail "the advertisement came too early (see above)"
import re, sys

log, pairable, adapter = sys.argv[1], sys.argv[2] == "true", sys.argv[3]
head = re.compile(r"^(method call|method return|signal|error) .*?"
                  r"sender=(\S+) -> destination=(\S+) serial=(\d+)"
                  r"(?: reply_serial=(\d+))?(?: path=([^;]*); "
                  r"interface=([^;]*); member=(\S+))?")
msgs = []
for line in open(log, errors="replace"):
    m = head.match(line)
    if m:
        msgs.append([m.groups(), []])
    elif msgs:
        msgs[-1][1].append(line.strip())

daemon = rda_serial = None
default_agent = False
for (kind, sender, dest, serial, reply, path, iface, member), body in msgs:
    if kind == "method call" and member == "RegisterAgent" and daemon is None:
        daemon = sender
    if sender != daemon and dest != daemon:
        continue
    if kind == "method call" and member == "RequestDefaultAgent" and sender == daemon:
        rda_serial = serial
    elif kind == "method return" and dest == daemon and reply == rda_serial:
        default_agent = True
    elif kind == "signal" and member == "PropertiesChanged" and path == adapter:
        text = " ".join(body)
        m = re.search(r'string "Pairable"\s+variant\s+boolean (true|false)', text)
        if m:
            pairable = m.group(1) == "true"
    elif kind == "method call" and member == "RegisterAdvertisement" and sender == daemon:
        print("RegisterAdvertisement: default agent %s, Pairable %s"
              % ("answered" if default_agent else "NOT answered",
                 "true" if pairable else "false"))
        sys.exit(0 if default_agent and not pairable else 1)
print("no RegisterAdvertisement from the daemon (%s) in %s" % (daemon, log))
sys.exit(1)
PY
}

# check_sc_first FROM: in the daemon's log from line FROM on, "LE Secure
# Connections on" before "Advertising".
check_sc_first() {
	tail -n +"$1" "$T/boxd.log" | awk '/LE Secure Connections on/ { if (!sc) sc = NR }
		/Advertising "/ { if (!ad) ad = NR } END { exit !(sc && ad && sc < ad) }' ||
		fail "the advertisement was registered before Secure Connections was set"
}

step "first start, Pairable $(pairable) before it"
before=$(pairable)
from=1
[ -f "$T/boxd.log" ] && from=$(($(wc -l <"$T/boxd.log") + 1))
start_monitor "$T/monitor1.log"
box_start
stop_monitor
check_order "$T/monitor1.log" "$before"
check_sc_first "$from"
expect_pairable false

step "a restart on the running bluetoothd"
box_stop
before=$(pairable)
from=$(($(wc -l <"$T/boxd.log") + 1))
start_monitor "$T/monitor2.log"
_box_launch
stop_monitor
check_order "$T/monitor2.log" "$before"
check_sc_first "$from"
expect_pairable false
box_stop
pass "nothing advertised before the default agent, Pairable off and Secure Connections"
