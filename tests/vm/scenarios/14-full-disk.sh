#!/bin/bash
# Scenario 14: the state directory's file system is full. A config change
# that cannot be stored is answered ERROR_CODE_INTERNAL and not applied; a
# PIN failure that cannot be stored closes pairing until the state can be
# stored again. Nothing is reported done that was not stored. Then a
# corrupt state file: a full lockout, and no bond deleted.
. "$(dirname "$0")/../lib/box.sh"

mount -t tmpfs -o size=64k,mode=0700 tmpfs "$T/state"
trap 'rm -f "$T/state/fill"; _box_cleanup; umount "$T/state" 2>/dev/null || true' EXIT
fill() { dd if=/dev/zero of="$T/state/fill" bs=1k 2>/dev/null || true; }

box_start
box_chord
wait_screen '^PAIRING'
expect_rc 0 phone pair --pin-file "$T/screen.txt"
expect_owner "$RB_PHONE_ADDR"

step "the disk is full: a config change is refused, not applied"
fill
rc=0
phone --json config set pin_failure_limit=5 >"$T/set.json" || rc=$?
cat "$T/set.json"
[ "$rc" = 9 ] || fail "config set exited $rc, expected 9 (the box answered an error)"
grep -q "INTERNAL" "$T/set.json" || fail "the error is not ERROR_CODE_INTERNAL"
wait_log "state not saved"
phone --json config read >"$T/read.json"
grep -q '"pin_failure_limit": *3' "$T/read.json" ||
	{ cat "$T/read.json"; fail "the unstored change was applied"; }
[ "$(state_value Overrides PinFailureLimit)" = "" ] || fail "the change reached the file"

step "while the state cannot be stored, the chord is refused"
box_chord
wait_log "chord refused: the state cannot be stored"
case $(box_screen) in PAIRING* | PIN*) fail "pairing mode opened" ;; esac

step "room again: the retry stores, pairing opens"
rm -f "$T/state/fill"
wait_log "the state is stored again" 30
box_chord
wait_screen '^PAIRING'
box_tap TIMER_RESET
wait_screen '^IDLE'

step "a PIN failure that cannot be stored ends pairing mode"
expect_rc 0 phone disconnect
box_chord
wait_screen '^PAIRING'
fill
expect_rc 8 phone2 pair 000000
wait_log "pairing mode ended: the state cannot be stored" 15
box_chord
sleep 1
case $(box_screen) in PAIRING* | PIN*) fail "pairing mode opened while the failure is not stored" ;; esac
rm -f "$T/state/fill"
_wait_count "the state is stored again" 2 30 || fail "the retry did not store the state"
[ "$(state_value Pin Failures)" = 1 ] || fail "the PIN failure was not stored once there was room"
expect_owner "$RB_PHONE_ADDR"

step "a corrupt state file: a full lockout, and every bond kept"
box_stop
printf '[State]\nVersion=2\n[Owner]\nAddress=garbage\n' >"$T/state/state"
_box_launch
wait_log "state in .* unusable"
wait_screen '^LOCKOUT'
wait_log "bond of $RB_PHONE_ADDR kept: the owner is not known"
sleep 2
box_bond_exists "$RB_PHONE_ADDR" || fail "the corrupt state file cost the owner's bond"
grep -q "removing the bond of $RB_PHONE_ADDR" "$T/boxd.log" && fail "a bond was removed"
pass "a full disk: nothing unstored was applied or reported done; pairing failed safe; a corrupt file deleted no bond"
