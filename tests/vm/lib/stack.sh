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
#
# The waits for the stack are bounded by progress, not by a fixed time: on a
# loaded host under TCG, bluetoothd may need well over 20 s to power four
# adapters. A wait fails at once when the process it waits for died, after
# STACK_STALL_S seconds without progress (no new controller or powered
# adapter, bluetoothd.log not growing), and after STACK_CAP_S in all.

STACK_RUN=/run/rbvm
STACK_ERROR=
STACK_CONF=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/bluetoothd.conf
STACK_STALL_S=${STACK_STALL_S:-60}
STACK_CAP_S=${STACK_CAP_S:-300}

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

# _stack_wait_progress "NAME..." STATUS_CMD...: poll STATUS_CMD until it
# succeeds. STATUS_CMD prints a line that changes whenever the wait makes
# progress; the last one is left in STACK_WAIT_STATUS. Returns 1 with the
# reason in STACK_WAIT_WHY as soon as one of the processes NAME... (pid files
# in $STACK_RUN; none if "") is gone, after STACK_STALL_S seconds without a
# new line, or after STACK_CAP_S seconds. STATUS_CMD exiting 2 means that
# waiting is useless: returns 2, with STATUS_CMD's line as the reason.
_stack_wait_progress() {
	local names=$1 start=$SECONDS last=$SECONDS prev='' rc name
	shift
	STACK_WAIT_STATUS='' STACK_WAIT_WHY=''
	while :; do
		rc=0
		STACK_WAIT_STATUS=$("$@" 2>/dev/null) || rc=$?
		[ "$rc" -ne 0 ] || return 0
		if [ "$rc" = 2 ]; then
			STACK_WAIT_WHY=$STACK_WAIT_STATUS
			return 2
		fi
		for name in $names; do
			if ! _stack_alive "$name"; then
				STACK_WAIT_WHY="$name died"
				return 1
			fi
		done
		if [ "$STACK_WAIT_STATUS" != "$prev" ]; then
			prev=$STACK_WAIT_STATUS
			last=$SECONDS
		elif [ $((SECONDS - last)) -ge "$STACK_STALL_S" ]; then
			STACK_WAIT_WHY="no progress for ${STACK_STALL_S} s"
			return 1
		fi
		if [ $((SECONDS - start)) -ge "$STACK_CAP_S" ]; then
			STACK_WAIT_WHY="still not done after ${STACK_CAP_S} s"
			return 1
		fi
		sleep 0.2
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

_STACK_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)

stack_start_bus() {
	local out
	out=$(_stack_out)
	mkdir -p "$STACK_RUN" /run/dbus
	if _stack_alive dbus; then
		return 0
	fi
	# The system bus as Debian configures it, plus reaction-boxd's bus
	# policy from the tree (the root is read-only: nothing is installed).
	local conf=$STACK_RUN/system-bus.conf
	cat >"$conf" <<-EOF
		<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
		 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
		<busconfig>
		  <include>/usr/share/dbus-1/system.conf</include>
		  <include>$_STACK_SRC/data/org.reactionbox.conf</include>
		</busconfig>
	EOF
	dbus-daemon --config-file="$conf" --nofork --nopidfile >>"$out/dbus.log" 2>&1 &
	echo $! >"$STACK_RUN/dbus.pid"
	if ! _stack_wait_progress dbus test -S /run/dbus/system_bus_socket; then
		STACK_ERROR="dbus-daemon --system did not start: $STACK_WAIT_WHY (see dbus.log)"
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

# _stack_hci_lost: the controllers for which an HCI command timed out in
# the kernel since the stack was started. btvirt, slow to answer on a
# loaded host, made the kernel give up setting up hci0 ("hci0: Opcode
# 0x0c03 failed: -110", HCI Reset has 2 s): bluetoothd never sees such a
# controller, however long one waits.
STACK_DMESG_BASE=0
_stack_hci_lost() {
	dmesg 2>/dev/null | tail -n +$((STACK_DMESG_BASE + 1)) |
		sed -n -E 's/.*Bluetooth: (hci[0-9]+): Opcode (0x[0-9a-f]+) failed: -110$/\1 (opcode \2)/p' |
		sort -u | paste -s -d, - | sed "s/,/, /g"
}

# Status lines for _stack_wait_progress: "COUNT ..." (the count first), or
# why waiting is useless (exit 2).
_stack_hci_count() {
	local d n=0
	for d in /sys/class/bluetooth/hci*; do
		[ -e "$d" ] && n=$((n + 1))
	done
	echo "$n"
}
_stack_hci_status() { # N: controllers created
	local n lost
	lost=$(_stack_hci_lost)
	if [ -n "$lost" ]; then
		echo "the kernel timed out setting up $lost"
		return 2
	fi
	n=$(_stack_hci_count)
	echo "$n"
	[ "$n" -ge "$1" ]
}
_stack_powered_status() { # N: adapters powered, and the log's size
	local n size lost
	lost=$(_stack_hci_lost)
	if [ -n "$lost" ]; then
		echo "the kernel timed out setting up $lost"
		return 2
	fi
	n=$(_stack_adapters | awk '$3 == "true"' | wc -l)
	size=$(stat -c %s "$(_stack_out)/bluetoothd.log" 2>/dev/null || echo 0)
	echo "$n $size"
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

# stack_start N: a controller the kernel could not set up (see
# _stack_hci_lost) makes it start btvirt and bluetoothd again, twice at most.
stack_start() {
	local n=${1:-2} try rc
	for try in 1 2 3; do
		rc=0
		STACK_ERROR=''
		_stack_start_once "$n" || rc=$?
		[ "$rc" = 2 ] || return "$rc"
		if [ "$try" = 3 ]; then
			STACK_ERROR="three starts failed, the last: $STACK_ERROR"
			return 1
		fi
		_stack_log "$STACK_ERROR: starting btvirt and bluetoothd again"
		stack_stop --keep-btmon || return 1
		rm -rf /var/lib/bluetooth/*
	done
}

# _stack_start_once N: returns 2 if starting again may help.
_stack_start_once() {
	local n=$1 out i t0 rc
	out=$(_stack_out)
	mkdir -p "$STACK_RUN"
	if [ "${RBVM_BTMON:-0}" = 1 ] && ! _stack_alive btmon; then
		btmon -T -w "$out/btmon.snoop" >/dev/null 2>&1 &
		echo $! >"$STACK_RUN/btmon.pid"
		sleep 0.3
	fi
	t0=$SECONDS
	STACK_DMESG_BASE=$(dmesg 2>/dev/null | wc -l)
	btvirt -L "-l$n" >>"$out/btvirt.log" 2>&1 &
	echo $! >"$STACK_RUN/btvirt.pid"
	rc=0
	_stack_wait_progress btvirt _stack_hci_status "$n" || rc=$?
	if [ "$rc" = 2 ]; then
		STACK_ERROR="btvirt: $STACK_WAIT_WHY (see dmesg.log)"
		return 2
	elif [ "$rc" != 0 ]; then
		STACK_ERROR="btvirt created ${STACK_WAIT_STATUS:-0} of $n controllers: $STACK_WAIT_WHY (see btvirt.log, dmesg.log)"
		return 1
	fi
	for ((i = 0; i < n; i++)); do
		if ! test -e "/sys/class/bluetooth/hci$i"; then
			STACK_ERROR="btvirt created $n controllers but no hci$i: was a controller of the previous stack left? (see dmesg.log)"
			return 1
		fi
	done
	_stack_log "btvirt: $n controllers up ($((SECONDS - t0)) s)"
	t0=$SECONDS
	/usr/libexec/bluetooth/bluetoothd -n -d -f "$STACK_CONF" >>"$out/bluetoothd.log" 2>&1 &
	echo $! >"$STACK_RUN/bluetoothd.pid"
	rc=0
	_stack_wait_progress "bluetoothd btvirt" _stack_powered_status "$n" || rc=$?
	if [ "$rc" = 2 ]; then
		STACK_ERROR="bluetoothd: $STACK_WAIT_WHY (see dmesg.log)"
		return 2
	elif [ "$rc" != 0 ]; then
		STACK_ERROR="bluetoothd powered ${STACK_WAIT_STATUS%% *} of $n adapters: $STACK_WAIT_WHY (see bluetoothd.log)"
		return 1
	fi
	_stack_log "bluetoothd: $n adapters powered ($((SECONDS - t0)) s)"
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
	# The kernel removes the controllers once btvirt has exited; a new
	# btvirt must not find old ones (it would get other indexes).
	if ! _stack_wait_progress "" _stack_gone_status; then
		STACK_ERROR="$STACK_WAIT_STATUS controllers of the stopped btvirt left: $STACK_WAIT_WHY (see dmesg.log)"
		_stack_log "$STACK_ERROR"
		return 1
	fi
	_stack_log "stopped"
}
_stack_gone_status() {
	local n
	n=$(_stack_hci_count)
	echo "$n"
	[ "$n" -eq 0 ]
}

stack_reset() {
	local n=${1:-${RB_VM_CONTROLLERS:-2}}
	stack_stop --keep-btmon || return 1
	rm -rf /var/lib/bluetooth/*
	stack_start "$n"
}
