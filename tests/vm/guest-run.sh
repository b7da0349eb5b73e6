#!/bin/bash
# Stage 2 of the VM test harness, run by guest-init.sh inside the chroot of
# the (read-only) host root. Starts the system bus, btvirt and bluetoothd,
# runs the requested command and records its exit status in the out dir.
#
# Usage (guest only): guest-run.sh OUTDIR
# OUTDIR/request.sh (written by run-vm) sets RBVM_CONTROLLERS, RBVM_TIMEOUT,
# RBVM_CWD, RBVM_BTMON, the RBVM_ENV array (K=V) and the RBVM_CMD array.
set -uo pipefail

OUT=${1:?out dir}
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8
umask 022

uptime_s() { cut -d' ' -f1 /proc/uptime; }
log() { echo "rbvm: [$(uptime_s)s] $*" | tee -a "$OUT/vm.log" >/dev/console; }
setup_fail() {
	log "SETUP FAILED: $*"
	echo "$*" >>"$OUT/setup-failed"
	collect
	exit 1
}
collect() {
	dmesg >"$OUT/dmesg.log" 2>&1 || true
	sync
}

RBVM_CONTROLLERS=2 RBVM_TIMEOUT=300 RBVM_CWD=/ RBVM_ENV=() RBVM_CMD=()
export RBVM_BTMON=0
# shellcheck source=/dev/null
. "$OUT/request.sh" || setup_fail "cannot read $OUT/request.sh"

# shellcheck source=tests/vm/lib/stack.sh
. "$(dirname "$0")/lib/stack.sh" || setup_fail "cannot read lib/stack.sh"

log "stage 2 started, $RBVM_CONTROLLERS controllers"
stack_start_bus || setup_fail "$STACK_ERROR"
stack_start "$RBVM_CONTROLLERS" || setup_fail "$STACK_ERROR"
log "bluetoothd ready with $RBVM_CONTROLLERS adapters"
echo "ready_s=$(uptime_s)" >>"$OUT/timing"

for kv in "${RBVM_ENV[@]}"; do
	export "${kv?}"
done
export RB_VM=1 RB_VM_OUT="$OUT"

cd "$RBVM_CWD" || setup_fail "cannot cd to $RBVM_CWD"
log "running: ${RBVM_CMD[*]} (timeout ${RBVM_TIMEOUT}s)"
timeout -k 5 "$RBVM_TIMEOUT" "${RBVM_CMD[@]}" </dev/null >"$OUT/command.log" 2>&1
rc=$?
log "command exited with $rc"
echo "command_end_s=$(uptime_s)" >>"$OUT/timing"

# No stack_stop: the VM is thrown away, and stopping bluetoothd costs seconds.
# Only btmon must exit cleanly to flush its capture.
_stack_kill btmon
collect
echo "$rc" >"$OUT/status"
sync
exit 0
