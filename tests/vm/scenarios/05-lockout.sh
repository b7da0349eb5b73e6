#!/bin/bash
# Scenario 5: three wrong PINs lock pairing out; the chord is refused and
# the display says why; the lockout survives a daemon restart; after it,
# pairing works again.
. "$(dirname "$0")/../lib/box.sh"

box_start PinLockoutMs=25000
box_chord
wait_screen '^PAIRING'
for i in 1 2 3; do
	step "wrong PIN $i"
	expect_rc 8 phone pair 000000
	sleep 0.5
done
wait_screen '^LOCKOUT'
expect_pairable false
step "the chord during the lockout is refused"
box_chord
wait_screen '^LOCKOUT'
wait_log "chord refused: pairing locked out"
step "a pairing request during the lockout shows no PIN"
expect_rc 8 phone pair 000000
case $(box_screen) in
LOCKOUT*) ;;
*) fail "screen left LOCKOUT: $(box_screen)" ;;
esac
step "restart the daemon: still locked out"
box_restart
wait_screen '^LOCKOUT'
box_chord
wait_screen '^LOCKOUT'
step "wait for the lockout to end"
wait_screen '^IDLE' 35
box_chord
wait_screen '^PAIRING'
expect_rc 0 phone pair --pin-file "$T/screen.txt"
pass "lockout after 3 wrong PINs, refused chord, survived a restart, then paired"
