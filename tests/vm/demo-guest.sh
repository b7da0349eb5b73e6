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
show() { # the screen as a 20x4 LCD would show it (lines 3..)
	say "[box display]"
	sed -n '3,$p' "${1:-$T/screen.txt}" | sed 's/^/    | /'
}

say "== reaction-boxd demo: a Reaction box and two phones over real BlueZ =="
box_start
wait_screen '^IDLE'
show
shot idle
say "[box] the quiz software (examples/quiz-timer) registers with reaction-boxd over D-Bus:"
app_start
sed 's/^/    quiz-timer: /' "$T/app.log"

say "[phone A] scanning for Reaction boxes..."
phone scan --duration 5
say "[phone A] reading the access status (no pairing needed):"
phone status

say "[box] someone at the box holds QUIZZER_RESET + TIMER_530 + CONTEST..."
box_chord
wait_screen '^PAIRING' >/dev/null
show
shot pairing

say "[phone A] pairs:"
# The person at the box reads the PIN off the display and types it on the
# phone: the phone waits for what is typed (typed.txt).
rm -f "$T/typed.txt"
phone pair --pin-file "$T/typed.txt" &
pair_pid=$!
wait_screen '^PIN' 30 >/dev/null
show
shot pin
pin=$(awk 'NR == 1 { print $2 }' "$T/screen.txt")
say "[person at the box] reads $pin off the display and types it on phone A"
echo "PIN $pin" >"$T/typed.txt"
wait "$pair_pid" || fail "phone A could not pair"
wait_screen '^(PAIRED_OK|IDLE)' >/dev/null
show
shot paired

say "[phone A] is now the write owner; it changes the pairing timeout:"
phone trigger-pairing >/dev/null
phone config set pairing_timeout_ms=30000
say "[phone A] status:"
phone status

say "[phone B] has not paired; it subscribes to the box's notifications."
# btvirt gives every link handle 42: phone B keeps a link to the spare
# controller so that its link to the box, beside phone A's, gets another.
spare_link "$RB_PHONE2_HCI"
phone2 watch --timeout 60 >"$T/watch-b.txt" 2>&1 &
WATCH_PIDS+=($!)
n=300
until grep -q '^watching' "$T/watch-b.txt"; do
	n=$((n - 1))
	[ "$n" -gt 0 ] || fail "phone B did not subscribe"
	sleep 0.1
done
say "[phone A] starts the answer timer on the box's quiz software:"
phone send --text start_timer
n=60
until [ "$(grep -c 'tick' "$T/watch-b.txt")" -ge 3 ]; do
	n=$((n - 1))
	[ "$n" -gt 0 ] || fail "phone B saw no ticks"
	sleep 0.5
done
say "[phone B] sees the quiz software's phases and ticks, without pairing:"
grep -E 'phase|tick' "$T/watch-b.txt" | head -n 6 | sed 's/^/    /'
before=$(grep -c '^message ' "$T/app.log" || true)
say "[phone B] tries to reset the timer itself:"
rc=0
phone2 send --text reset || rc=$?
[ "$rc" = 4 ] || fail "phone B's message was not rejected NOT_PAIRED (exit $rc)"
sleep 1
[ "$(grep -c '^message ' "$T/app.log" || true)" = "$before" ] ||
	fail "phone B's refused message reached the quiz software"
say "[phone B] was refused (exit $rc, NOT_PAIRED): only the box's owner may write,
          and the quiz software never heard of it. What it did hear:"
grep -E '^(message|button|phase answer5)' "$T/app.log" | sed 's/^/    quiz-timer: /'
phone disconnect >/dev/null
wait_screen '^(IDLE|PAIRED_OK)' >/dev/null
show
shot idle-after
box_stop
say "== demo done: the screens are in demo-out/ =="
