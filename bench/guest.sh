#!/bin/bash
# The bench inside the VM (bench/run boots it): the same phone-side driver
# (bench/rb-bench-phone) against three peripherals in turn, A B C A B C
# over $RB_BENCH_ROUNDS rounds, on one real bluetoothd, kernel and btvirt:
#   A  reaction-boxd on hci0, the phone its paired owner, bench/rb-bench-app
#      as its application (every write passes the four checks)
#   B  bench/rb-bench-floor on hci3: the same GDBus stack and UUIDs, no checks
#   C  BlueZ's example-gatt-server behind bench/example-gatt-server-c, on hci3
# Every figure is one JSON line in $RB_VM_OUT/bench/results.jsonl.
# Sizes: RB_BENCH_ROUNDS, RB_BENCH_WRITES, RB_BENCH_NOTIFY, RB_BENCH_IDLE_S,
# RB_BENCH_LONG_WRITES (memory growth), RB_BENCH_CALLGRIND_WRITES;
# RB_BENCH_PERIPHERALS (default "A B C") for a subset.
. "$(dirname "$0")/../tests/vm/lib/box.sh"

ROUNDS=${RB_BENCH_ROUNDS:-3}
WRITES=${RB_BENCH_WRITES:-2000}
NOTIFY=${RB_BENCH_NOTIFY:-200}
IDLE_S=${RB_BENCH_IDLE_S:-60}
LONG=${RB_BENCH_LONG_WRITES:-10000}
CG_WRITES=${RB_BENCH_CALLGRIND_WRITES:-1000}
PERIPHS=${RB_BENCH_PERIPHERALS:-A B C}
AB=$(echo "$PERIPHS" | tr -d C)
SRC=$(cd "$(dirname "$0")/.." && pwd)
APP=$SRC/bench/rb-bench-app
PHONE_DRV=$RB_BUILD/bench/rb-bench-phone
FLOOR=$RB_BUILD/bench/rb-bench-floor
EXAMPLE=$SRC/bench/example-gatt-server-c
OUT=$RB_VM_OUT/bench
RES=$OUT/results.jsonl
mkdir -p "$OUT"
: >"$RES"
[ -n "${RB_HCI3:-}" ] || fail "needs four controllers (run-vm --controllers 4)"
B_HCI=$RB_HCI3
B_ADDR=$RB_HCI3_ADDR
PERIPH_PID=
BENCH_APP_PID=

record() { # PERIPHERAL ROUND JSON: one line of results
	printf '{"peripheral":"%s","round":%s,%s\n' "$1" "$2" "${3#\{}" >>"$RES"
}

drv() { # ADAPTER ADDR ARGS...
	local hci=$1 addr=$2
	shift 2
	"$PHONE_DRV" --adapter "$hci" --box "$addr" "$@"
}

# ---- /proc figures of a process ----
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
private_dirty_kb() { awk '$1 == "Private_Dirty:" {print $2}' "/proc/$1/smaps_rollup"; }
ctxt() {
	echo $(($(status_kb "$1" voluntary_ctxt_switches) + $(status_kb "$1" nonvoluntary_ctxt_switches)))
}
mem_json() { # PID
	printf '{"rss_kb":%s,"private_dirty_kb":%s}' "$(status_kb "$1" VmRSS)" "$(private_dirty_kb "$1")"
}

# ---- the peripherals ----
start_periph() { # A|B|C [WRAPPER...]: start it, record start-up, set PERIPH_PID
	local p=$1 r=$2 j
	shift 2
	case $p in
	A)
		j=$("$APP" startup "registered on " "$T/boxd.log" -- "$@" "$BOXD" \
			--config "$T/box.conf" --state-dir "$T/state")
		;;
	B)
		j=$("$APP" startup "rb-bench-floor: registered" "$OUT/floor.log" -- "$@" \
			"$FLOOR" --adapter "$B_HCI" --notify-interval 20)
		;;
	C)
		j=$("$APP" startup "example-gatt-server-c: registered" "$OUT/example.log" -- \
			"$@" env PYTHONUNBUFFERED=1 "$EXAMPLE" --adapter "$B_HCI" --notify-interval 20)
		;;
	esac
	PERIPH_PID=$(echo "$j" | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
	[ -n "$PERIPH_PID" ] && ! echo "$j" | grep -q error || fail "$p did not start: $j"
	[ "$r" = - ] && r=0 || record "$p" "$r" "$j"
	record "$p" "$r" "{\"figure\":\"memory_start\",$(mem_json "$PERIPH_PID" | cut -c2-)"
	if [ "$p" = A ]; then
		BOX_PID=$PERIPH_PID
		phones_keyboard_only
		"$APP" app --interval 20 >>"$OUT/app.log" 2>&1 &
		BENCH_APP_PID=$!
		local n=300
		until grep -q "rb-bench-app: registered" "$OUT/app.log"; do
			n=$((n - 1))
			[ "$n" -gt 0 ] || fail "rb-bench-app did not register"
			sleep 0.1
		done
	fi
}

stop_periph() {
	[ -n "$BENCH_APP_PID" ] && kill "$BENCH_APP_PID" 2>/dev/null && wait "$BENCH_APP_PID" 2>/dev/null
	BENCH_APP_PID=
	kill -TERM "$PERIPH_PID" 2>/dev/null || true
	local n=100
	while kill -0 "$PERIPH_PID" 2>/dev/null && [ "$n" -gt 0 ]; do
		n=$((n - 1))
		sleep 0.1
	done
	kill -KILL "$PERIPH_PID" 2>/dev/null || true
	PERIPH_PID=
	BOX_PID=
}

addr_of() { [ "$1" = A ] && echo "$RB_BOX_ADDR" || echo "$B_ADDR"; }

# The phone forgets B's and C's GATT cache (same address, other layouts);
# the owner's bond with A stays.
forget_b() {
	busctl --system call org.bluez "/org/bluez/$RB_PHONE_HCI" org.bluez.Adapter1 \
		RemoveDevice o "/org/bluez/$RB_PHONE_HCI/dev_${B_ADDR//:/_}" >/dev/null 2>&1 || true
}

# B's and C's links leave temporary devices in the one bluetoothd: the
# phone's B_ADDR on the phone adapter, the phone on B's. BlueZ drops them
# (and every GATT object under them) 30 s after the link went, one
# InterfacesRemoved each, which the daemon under test receives: gone before
# the idle window, so that it counts the daemon's own wakeups.
forget_temporary() {
	forget_b
	busctl --system call org.bluez "/org/bluez/$B_HCI" org.bluez.Adapter1 \
		RemoveDevice o "/org/bluez/$B_HCI/dev_${RB_PHONE_ADDR//:/_}" >/dev/null 2>&1 || true
}

connect_phone() { # A|B|C
	if [ "$1" = A ]; then
		# Encrypted with the bond: every write passes the four checks.
		expect_rc 0 phone trigger-pairing >/dev/null
	else
		forget_b
		drv "$RB_PHONE_HCI" "$B_ADDR" connect >/dev/null || fail "phone could not connect to $1"
	fi
}

writes() { # PERIPHERAL ROUND COUNT FIGURE
	local p=$1 r=$2 n=$3 fig=$4 c0 c1 j
	c0=$(cpu_ticks "$PERIPH_PID")
	j=$(drv "$RB_PHONE_HCI" "$(addr_of "$p")" writes --count "$n" --size 100 --framed) ||
		fail "$p: writes failed: $j"
	c1=$(cpu_ticks "$PERIPH_PID")
	record "$p" "$r" "{\"figure\":\"$fig\",\"cpu_ticks\":$((c1 - c0)),\"hz\":$(getconf CLK_TCK),${j#\{}"
}

# ---- one-time setup: the phone pairs with A and keeps the bond ----
step "setup: the phone pairs with reaction-boxd"
box_start
pair_in_mode phone
expect_rc 0 phone disconnect
box_stop

for ((r = 1; r <= ROUNDS; r++)); do
	for p in $PERIPHS; do
		step "round $r: $p"
		start_periph "$p" "$r"
		connect_phone "$p"
		writes "$p" "$r" "$WRITES" writes
		record "$p" "$r" "{\"figure\":\"memory_after_writes\",$(mem_json "$PERIPH_PID" | cut -c2-)"
		if :; then
			# Notifications: A's application notifies through the
			# daemon; B and C notify by themselves, every 20 ms.
			if [ "$p" = A ]; then
				kill -USR1 "$BENCH_APP_PID"
				j=$(drv "$RB_PHONE_HCI" "$RB_BOX_ADDR" notify --count "$NOTIFY" --framed --timeout 120)
				kill -USR2 "$BENCH_APP_PID"
			else
				j=$(drv "$RB_PHONE_HCI" "$B_ADDR" notify --count "$NOTIFY" --timeout 120)
			fi
			record "$p" "$r" "$j"
		fi
		if [ "$p" = A ]; then
			# A rejected write: phone 2 has no bond (ATT 0x80).
			drv "$RB_PHONE_HCI" "$RB_BOX_ADDR" connect --disconnect >/dev/null || true
			j=$(drv "$RB_PHONE2_HCI" "$RB_BOX_ADDR" writes --count "$((WRITES / 10))" --size 100 --framed --disconnect) || true
			record A "$r" "{\"figure\":\"rejected\",${j#\{}"
		fi
		drv "$RB_PHONE_HCI" "$(addr_of "$p")" connect --disconnect >/dev/null 2>&1 || true
		stop_periph
	done
done

# ---- once: memory growth, idle wakeups, chord, instruction counts ----
step "memory growth: A and B from $((LONG / 10)) to $LONG writes"
for p in $AB; do
	start_periph "$p" -
	connect_phone "$p"
	writes "$p" 0 "$((LONG / 10))" writes_long_first
	record "$p" 0 "{\"figure\":\"memory_after_first\",$(mem_json "$PERIPH_PID" | cut -c2-)"
	writes "$p" 0 "$((LONG - LONG / 10))" writes_long_rest
	record "$p" 0 "{\"figure\":\"memory_after_long\",$(mem_json "$PERIPH_PID" | cut -c2-)"
	drv "$RB_PHONE_HCI" "$(addr_of "$p")" connect --disconnect >/dev/null 2>&1 || true
	stop_periph
done

step "idle: context switches over $IDLE_S s with one subscribed peer"
for wd in none 2000000; do
	forget_temporary
	if [ "$wd" = none ]; then
		start_periph A -
	else
		start_periph A - env WATCHDOG_USEC="$wd"
	fi
	connect_phone A
	drv "$RB_PHONE_HCI" "$RB_BOX_ADDR" notify --count 1000000 --framed \
		--timeout $((IDLE_S + 30)) >/dev/null 2>"$OUT/idle-sub.log" &
	sub=$!
	n=300
	until grep -q subscribed "$OUT/idle-sub.log"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "the idle subscriber did not subscribe"
		sleep 0.1
	done
	sleep 2
	c0=$(ctxt "$PERIPH_PID")
	sleep "$IDLE_S"
	c1=$(ctxt "$PERIPH_PID")
	kill "$sub" 2>/dev/null || true
	wait "$sub" 2>/dev/null || true
	record A 0 "{\"figure\":\"idle\",\"watchdog_usec\":\"$wd\",\"seconds\":$IDLE_S,\"context_switches\":$((c1 - c0))}"
	drv "$RB_PHONE_HCI" "$RB_BOX_ADDR" connect --disconnect >/dev/null 2>&1 || true
	stop_periph
done

step "chord to pairing mode"
start_periph A -
for i in 1 2 3; do
	j=$("$APP" chord "$T/buttons" "$RB_BOX_HCI" "$T/boxd.log")
	record A "$i" "$j"
	box_tap TIMER_RESET
	sleep 1
done
stop_periph

if command -v valgrind >/dev/null && [ "$CG_WRITES" -gt 0 ]; then
	step "instruction counts: callgrind, $CG_WRITES accepted writes"
	for p in $AB; do
		start_periph "$p" - valgrind --tool=callgrind \
			--callgrind-out-file="$OUT/callgrind.$p.%p"
		connect_phone "$p"
		callgrind_control --zero "$PERIPH_PID" >/dev/null
		drv "$RB_PHONE_HCI" "$(addr_of "$p")" writes --count "$CG_WRITES" --size 100 --framed >/dev/null ||
			fail "$p: writes under callgrind failed"
		callgrind_control --dump "$PERIPH_PID" >/dev/null
		sleep 1
		ir=$(for f in "$OUT"/callgrind."$p"."$PERIPH_PID".*; do
			awk '/^summary:/ {print $2}' "$f"
		done | tail -n 1)
		record "$p" 0 "{\"figure\":\"callgrind\",\"writes\":$CG_WRITES,\"instructions\":${ir:-0}}"
		drv "$RB_PHONE_HCI" "$(addr_of "$p")" connect --disconnect >/dev/null 2>&1 || true
		stop_periph
	done
fi
cp "$T/boxd.log" "$OUT/boxd.log" 2>/dev/null || true
step "done: $(wc -l <"$RES") figures in $RES"
pass "bench"
