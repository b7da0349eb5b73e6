#!/bin/bash
# The demo, inside the VM: the box (reaction-boxd on hci0, FIFO buttons, the
# file display) and two scripted phones (reaction-boxctl on hci1 and hci2).
# Prints a transcript; the screens are copied to $RB_VM_OUT/screens.
. "$(dirname "$0")/lib/box.sh"

shots=$RB_VM_OUT/screens
mkdir -p "$shots"
n=0
shot() { # NAME: keep the current screen
	n=$((n + 1))
	cp "$T/screen.pbm" "$shots/$(printf %02d "$n")-$1.pbm" 2>/dev/null || true
	cp "$T/screen.txt" "$shots/$(printf %02d "$n")-$1.txt" 2>/dev/null || true
}
say() { printf '\n%s\n' "$*"; }
show() { say "[box display]"; sed -n '2,$p' "$T/screen.txt" | sed 's/^/    | /'; }

say "== reaction-boxd demo: a Reaction box and two phones over real BlueZ =="
box_start
wait_screen '^IDLE'
show
shot idle

say "[phone A] scanning for Reaction boxes..."
phone scan --duration 5
say "[phone A] reading the access status (no pairing needed):"
phone status

say "[box] someone at the box holds QUIZZER_RESET + TIMER_530 + CONTEST..."
box_chord
wait_screen '^PAIRING' >/dev/null
show
shot pairing

say "[phone A] pairs; the person types the PIN shown on the box:"
phone pair --pin-file "$T/screen.txt" &
pair_pid=$!
wait_screen '^PIN' 20 >/dev/null
show
shot pin
wait "$pair_pid" || fail "phone A could not pair"
wait_screen '^(PAIRED_OK|IDLE)' >/dev/null
show
shot paired

say "[phone A] is now the write owner; it changes the pairing timeout:"
phone trigger-pairing >/dev/null
phone config set pairing_timeout_ms=30000
say "[phone A] status:"
phone status

say "[phone B] has not paired; it tries to read the config with a write:"
rc=0
phone2 config get || rc=$?
[ "$rc" = 4 ] || fail "phone B's write was not rejected NOT_PAIRED (exit $rc)"
say "[phone B] was refused (exit $rc): only the box's owner may write."
wait_screen '^(IDLE|PAIRED_OK)' >/dev/null
show
shot idle-after
box_stop
say "== demo done: the screens are in demo-out/ =="
