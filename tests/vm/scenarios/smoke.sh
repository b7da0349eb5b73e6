#!/bin/bash
# Smoke test of the VM's Bluetooth stack: the box adapter advertises, each
# phone adapter scans and finds it, and an LE Secure Connections passkey
# pairing (box DisplayOnly, phone KeyboardOnly calling Device1.Pair) ends in
# an authenticated P-256 bond (Authenticated=3) stored on both sides.
#
# Run: tests/vm/run-vm -- tests/vm/scenarios/smoke.sh
#      tests/vm/run-vm --controllers 3 -- tests/vm/scenarios/smoke.sh
# Needs in the guest (from the host root): python3, python3-dbus, python3-gi.
set -euo pipefail

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

[ "${RB_VM:-}" = 1 ] || fail "run me inside the VM: tests/vm/run-vm -- $0"
PY=/usr/bin/python3
[ -x "$PY" ] || fail "$PY missing: install the Debian package 'python3'"

phones=("$RB_PHONE_HCI")
phone_addrs=("$RB_PHONE_ADDR")
if [ -n "${RB_PHONE2_HCI:-}" ]; then
	phones+=("$RB_PHONE2_HCI")
	phone_addrs+=("$RB_PHONE2_ADDR")
fi
echo "[$(cut -d' ' -f1 /proc/uptime)] box $RB_BOX_HCI $RB_BOX_ADDR; phones ${phones[*]} (${phone_addrs[*]})"

"$PY" -u "$(dirname "$0")/smoke_pair.py" "$RB_BOX_HCI" "${phones[@]}"
echo "[$(cut -d' ' -f1 /proc/uptime)] checking the bond files"

# The bonds on disk: an authenticated LE Secure Connections key (type 3).
check_bond() { # check_bond ADAPTER_ADDR PEER_ADDR
	local info=/var/lib/bluetooth/$1/$2/info n=0
	until grep -q '^Authenticated=3$' "$info" 2>/dev/null; do
		n=$((n + 1))
		[ "$n" -lt 50 ] || {
			[ -e "$info" ] && cat "$info"
			fail "$info has no Authenticated=3 key"
		}
		sleep 0.1
	done
	echo "--- $info"
	sed -n '/LongTermKey\]/,/^$/p' "$info" | grep -v '^Key='
}
for addr in "${phone_addrs[@]}"; do
	check_bond "$RB_BOX_ADDR" "$addr"
	check_bond "$addr" "$RB_BOX_ADDR"
done
echo "[$(cut -d' ' -f1 /proc/uptime)] PASS: smoke"
