#!/bin/bash
# Scenario 18: the box's software behind the door. examples/quiz-timer runs
# next to the daemon: the buttons reach it as Button signals, the owner's
# start_timer reaches it and its ticks reach an unpaired subscribed phone;
# a phone that is not the owner is refused with the ATT error and the
# application never hears of it; a killed application gives the owner
# ERROR_CODE_UNAVAILABLE, and registering again restores the path.
. "$(dirname "$0")/../lib/box.sh"

[ -n "${RB_HCI3:-}" ] || fail "needs four controllers (run-vm --controllers 4)"
box_start
app_start
step "the buttons reach the application through the daemon"
box_tap TIMER_530
wait_app 'button TIMER_530 pressed$'
wait_app '^phase answer5'
box_tap TIMER_RESET
wait_app '^phase stopped'
step "phone B (not paired) subscribes"
watch_start "$T/watch2" phone2
step "phone A pairs at the box (the chord is not a quiz press)"
# btvirt 5.66 gives every link handle 42: phone A's controller keeps one
# on the spare controller, so its link to the box gets another.
spare_link "$RB_PHONE_HCI"
pair_in_mode phone
grep -q 'button CONTEST pressed (ignored' "$T/app.log" ||
	fail "the chord's presses were not marked"
step "the owner starts the timer from the phone"
expect_rc 0 phone --json send --text start_timer "" | tee "$T/send.json"
grep -q '"app_type": *"ok"' "$T/send.json" || fail "no ok reply to start_timer"
wait_app "message start_timer from $RB_PHONE_ADDR"
n=60
until grep -q '"app_type": *"tick"' "$T/watch2"; do
	n=$((n - 1))
	[ "$n" -gt 0 ] || { cat "$T/watch2"; fail "phone B saw no tick"; }
	sleep 0.5
done
step "phone B's reset is refused NOT_PAIRED and never reaches the application"
before=$(grep -c '^message ' "$T/app.log" || true)
expect_rc 4 phone2 send --text reset ""
sleep 1
[ "$(grep -c '^message ' "$T/app.log" || true)" = "$before" ] ||
	fail "a refused write reached the application"
step "the application is killed: the owner's message is UNAVAILABLE"
app_kill
expect_rc 9 phone --json send --text start_timer "" | tee "$T/send2.json"
grep -q 'ERROR_CODE_UNAVAILABLE' "$T/send2.json" || fail "no UNAVAILABLE error"
step "registering again restores the path"
app_start
expect_rc 0 phone --json send --text reset "" | tee "$T/send3.json"
grep -q '"app_type": *"ok"' "$T/send3.json" || fail "no ok reply after re-registering"
wait_app "message reset from $RB_PHONE_ADDR"
box_stop
pass "buttons, owner messages, ticks to an unpaired phone, refusals and an application restart"
