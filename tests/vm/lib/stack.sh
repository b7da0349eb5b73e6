# shellcheck shell=bash
# shellcheck disable=SC2034 # STACK_ERROR is read by the callers
# Bluetooth stack control inside the test VM (sourced by guest-run.sh and by
# scenario runners). Guest only: needs the tmpfs /run and /var/lib/bluetooth
# that guest-init.sh mounts.
#
#   stack_start_bus      start the system dbus-daemon (once per boot)
#   stack_start N        btvirt -L -lN + bluetoothd; wait until N adapters are
#                        powered; export RB_* names and addresses
#   stack_stop           stop bluetoothd and btvirt (controllers disappear)
#                        and btmon (if RBVM_BTMON=1 started it)
#   stack_reset [N]      stop, wipe /var/lib/bluetooth, start again
#
# On failure the functions return 1 with a message in STACK_ERROR.
# Logs are appended to $RB_VM_OUT (or $OUT) /{dbus,btvirt,bluetoothd}.log.

STACK_RUN=/run/rbvm
STACK_ERROR=
STACK_CONF=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/bluetoothd.conf

_stack_out() { echo "${RB_VM_OUT:-${OUT:?}}"; }
_stack_log() { echo "stack: [$(cut -d' ' -f1 /proc/uptime)s] $*" >>"$(_stack_out)/vm.log"; }

# _stack_wait TENTHS CMD...: poll CMD every 0.1 s until it succeeds.
_stack_wait() {
	local n=$1
	shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

_stack_alive() { [ -f "$STACK_RUN/$1.pid" ] && kill -0 "$(cat "$STACK_RUN/$1.pid")" 2>/dev/null; }

_stack_kill() {
	local name=$1 pid
	[ -f "$STACK_RUN/$name.pid" ] || return 0
	pid=$(cat "$STACK_RUN/$name.pid")
	kill -TERM "$pid" 2>/dev/null
	_stack_wait 50 eval "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null
	rm -f "$STACK_RUN/$name.pid"
}

stack_start_bus() {
	local out
	out=$(_stack_out)
	mkdir -p "$STACK_RUN" /run/dbus
	if _stack_alive dbus; then
		return 0
	fi
	dbus-daemon --system --nofork --nopidfile >>"$out/dbus.log" 2>&1 &
	echo $! >"$STACK_RUN/dbus.pid"
	if ! _stack_wait 100 test -S /run/dbus/system_bus_socket; then
		STACK_ERROR="dbus-daemon --system did not start (see dbus.log)"
		return 1
	fi
	_stack_log "dbus-daemon up"
}

# _stack_adapters: one line "hciN ADDRESS POWERED" per adapter, from a single
# GetManagedObjects call (each D-Bus client start costs ~0.2 s under TCG).
_stack_adapters() {
	dbus-send --system --print-reply --dest=org.bluez / \
		org.freedesktop.DBus.ObjectManager.GetManagedObjects 2>/dev/null |
		awk '
		/^ *object path "/ {
			p = $3; gsub(/"/, "", p)
			hci = (p ~ /^\/org\/bluez\/hci[0-9]+$/) ? substr(p, 12) : ""
			key = ""; next
		}
		hci != "" && /^ *string "(Address|Powered)"$/ { key = $2; gsub(/"/, "", key); next }
		hci != "" && key != "" && /^ *variant / {
			v = $NF; gsub(/"/, "", v); val[hci, key] = v; seen[hci] = 1; key = ""
		}
		END { for (h in seen) print h, val[h, "Address"], val[h, "Powered"] }' |
		sort -V
}

_stack_adapters_powered() { # N
	local n
	n=$(_stack_adapters | awk '$3 == "true"' | wc -l)
	[ "$n" -ge "$1" ]
}

_stack_export() {
	local i=0 hci addr powered role
	local -a roles=(BOX PHONE PHONE2 PHONE3 PHONE4)
	export RB_VM_CONTROLLERS=$1
	while read -r hci addr powered; do
		[ "$hci" = "hci$i" ] || return 1
		export "RB_HCI${i}=$hci" "RB_HCI${i}_ADDR=$addr"
		role=${roles[$i]:-}
		if [ -n "$role" ]; then
			export "RB_${role}_HCI=$hci" "RB_${role}_ADDR=$addr"
		fi
		i=$((i + 1))
	done < <(_stack_adapters)
	[ "$i" -eq "$1" ] || return 1
	# Also for processes that do not inherit this environment.
	env | grep -E '^RB_(VM_CONTROLLERS|HCI[0-9]|BOX_|PHONE[0-9]*_)' |
		sed 's/^/export /' >"$STACK_RUN/env"
}

stack_start() {
	local n=${1:-2} out i
	out=$(_stack_out)
	mkdir -p "$STACK_RUN"
	if [ "${RBVM_BTMON:-0}" = 1 ] && ! _stack_alive btmon; then
		btmon -T -w "$out/btmon.snoop" >/dev/null 2>&1 &
		echo $! >"$STACK_RUN/btmon.pid"
		sleep 0.3
	fi
	btvirt -L "-l$n" >>"$out/btvirt.log" 2>&1 &
	echo $! >"$STACK_RUN/btvirt.pid"
	for ((i = 0; i < n; i++)); do
		if ! _stack_wait 100 test -e "/sys/class/bluetooth/hci$i"; then
			STACK_ERROR="btvirt did not create hci$i (see btvirt.log, dmesg.log)"
			return 1
		fi
	done
	_stack_log "btvirt: $n controllers up"
	/usr/libexec/bluetooth/bluetoothd -n -d -f "$STACK_CONF" >>"$out/bluetoothd.log" 2>&1 &
	echo $! >"$STACK_RUN/bluetoothd.pid"
	if ! _stack_wait 100 _stack_adapters_powered "$n"; then
		STACK_ERROR="bluetoothd did not power $n adapters within 20 s (see bluetoothd.log)"
		return 1
	fi
	_stack_log "bluetoothd: $n adapters powered"
	if ! _stack_export "$n"; then
		STACK_ERROR="cannot read the adapter addresses from bluetoothd"
		return 1
	fi
}

stack_stop() {
	_stack_kill bluetoothd
	_stack_log "bluetoothd stopped"
	_stack_kill btvirt
	[ "${1:-}" = --keep-btmon ] || _stack_kill btmon
	_stack_wait 50 eval '! test -e /sys/class/bluetooth/hci0' || true
	_stack_log "stopped"
}

stack_reset() {
	local n=${1:-${RB_VM_CONTROLLERS:-2}}
	stack_stop --keep-btmon
	rm -rf /var/lib/bluetooth/*
	stack_start "$n"
}
