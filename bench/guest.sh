#!/bin/bash
# The bench inside the VM (bench/run boots it): the same phone-side driver
# (bench/rb-bench-phone) against three peripherals in turn, A B C A B C
# over $RB_BENCH_ROUNDS rounds, on one real bluetoothd, kernel and btvirt:
#   A  reaction-boxd on hci0, the phone its paired owner, bench/rb-bench-app
#      as its application (every write passes the four checks)
#   B  bench/rb-bench-floor on hci3: the same GDBus stack and UUIDs, no checks
#   C  BlueZ's example-gatt-server behind bench/example-gatt-server-c, on hci3
# then, once, A and B side by side with 0, 10 and 100 devices in BlueZ's
# storage, and with 1, 2 and 3 connected phones (hci1, hci2, hci4; hci5
# and hci6 are spare controllers).
# Every figure is one JSON line in $RB_VM_OUT/bench/results.jsonl.
# Sizes: RB_BENCH_ROUNDS, RB_BENCH_WRITES, RB_BENCH_NOTIFY, RB_BENCH_IDLE_S,
# RB_BENCH_LONG_WRITES (memory growth), RB_BENCH_CALLGRIND_WRITES,
# RB_BENCH_CALLGRIND_NOTIFY (0: no instruction count of notifications),
# RB_BENCH_SWEEP_WRITES (each point of the sweeps), RB_BENCH_DEVICES
# ("0 10 100") and RB_BENCH_PHONES ("1 2 3", at most 3): the sweeps' points;
# RB_BENCH_PERIPHERALS (default "A B C") for a subset.
. "$(dirname "$0")/../tests/vm/lib/box.sh"
step() { echo "--- [${SECONDS} s] $*"; }

ROUNDS=${RB_BENCH_ROUNDS:-3}
WRITES=${RB_BENCH_WRITES:-2000}
NOTIFY=${RB_BENCH_NOTIFY:-200}
IDLE_S=${RB_BENCH_IDLE_S:-60}
LONG=${RB_BENCH_LONG_WRITES:-10000}
CG_WRITES=${RB_BENCH_CALLGRIND_WRITES:-1000}
CG_NOTIFY=${RB_BENCH_CALLGRIND_NOTIFY:-200}
SWEEP=${RB_BENCH_SWEEP_WRITES:-1000}
DEVICES=${RB_BENCH_DEVICES:-0 10 100}
PHONES=${RB_BENCH_PHONES:-1 2 3}
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
[ -n "${RB_HCI6:-}" ] || fail "needs seven controllers (run-vm --controllers 7)"
B_HCI=$RB_HCI3
B_ADDR=$RB_HCI3_ADDR
PERIPH_PID=
BENCH_APP_PID=
# RB_BENCH_SKIP="growth idle chord callgrind devices phones": steps left
# out (for work on the bench itself; RB_BENCH_ROUNDS=0 skips the rounds).
want() { [[ " ${RB_BENCH_SKIP:-} " != *" $1 "* ]]; }

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
# ctxt PID: "TID SWITCHES" for every thread of PID (the GDBus worker's
# too, not only the main one's).
ctxt() {
	local t
	for t in /proc/"$1"/task/*; do
		awk -v t="${t##*/}" '$1 ~ /^(non)?voluntary_ctxt_switches:$/ {n += $2}
			END {print t, n + 0}' "$t/status" 2>/dev/null || true
	done
}
# ctxt_since BEFORE AFTER: the switches between two ctxt lists, thread by
# thread (a thread that began in between counts all of its own), and the
# threads that ended in between ("SWITCHES ENDED").
ctxt_since() {
	awk 'NR == FNR {b[$1] = $2; next}
		{n += $2 - (($1 in b) ? b[$1] : 0); seen[$1] = 1}
		END {for (t in b) if (!(t in seen)) e++; print n + 0, e + 0}' \
		<(echo "$1") <(echo "$2")
}
# wait_subscribed LOG WHO: until the driver writing LOG said "subscribed"
# (60 s of its progress at most).
wait_subscribed() {
	local n=600
	until grep -q subscribed "$1"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "$2 did not subscribe"
		sleep 0.1
	done
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
		start_app
	fi
}

# start_app [--floor]: bench/rb-bench-app next to the peripheral, once it
# said it is ready (its SIGUSR1 handler is in place then).
start_app() {
	local before n=600
	before=$(grep -c "rb-bench-app: registered" "$OUT/app.log" 2>/dev/null || true)
	"$APP" app --interval 20 "$@" >>"$OUT/app.log" 2>&1 &
	BENCH_APP_PID=$!
	until [ "$(grep -c "rb-bench-app: registered" "$OUT/app.log")" -gt "${before:-0}" ]; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "rb-bench-app did not start"
		sleep 0.1
	done
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
		# (exit 2, not found: btvirt sends advertising reports only
		# when scanning or advertising is switched on; try again)
		local n=3 rc=0
		while :; do
			forget_b
			rc=0
			drv "$RB_PHONE_HCI" "$B_ADDR" connect >/dev/null || rc=$?
			[ "$rc" = 2 ] && [ "$n" -gt 1 ] || break
			n=$((n - 1))
		done
		[ "$rc" = 0 ] || fail "phone could not connect to $1"
	fi
}

writes() { # PERIPHERAL ROUND COUNT FIGURE [JSON_FIELDS]
	local p=$1 r=$2 n=$3 fig=$4 more=${5:+$5,} c0 c1 j
	c0=$(cpu_ticks "$PERIPH_PID")
	j=$(drv "$RB_PHONE_HCI" "$(addr_of "$p")" writes --count "$n" --size 100 --framed) ||
		fail "$p: $fig writes failed: $j"
	c1=$(cpu_ticks "$PERIPH_PID")
	record "$p" "$r" "{\"figure\":\"$fig\",$more\"cpu_ticks\":$((c1 - c0)),\"hz\":$(getconf CLK_TCK),${j#\{}"
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
				record "$p" "$r" "$j"
			else
				j=$(drv "$RB_PHONE_HCI" "$B_ADDR" notify --count "$NOTIFY" --timeout 120)
				record "$p" "$r" "{\"figure\":\"notify_self\",${j#\{}"
			fi
			if [ "$p" = B ]; then
				# The floor of A's path: a process notifies through
				# the peripheral, one hop over the bus as Box1.Notify.
				kill -USR1 "$PERIPH_PID"
				start_app --floor
				kill -USR1 "$BENCH_APP_PID"
				j=$(drv "$RB_PHONE_HCI" "$B_ADDR" notify --count "$NOTIFY" --timeout 120)
				record "$p" "$r" "$j"
			fi
		fi
		if [ "$p" != C ]; then
			# A rejected write: phone 2 has no bond (ATT 0x80); B,
			# after SIGUSR2, refuses every write the same way: the
			# stack's own error path.
			drv "$RB_PHONE_HCI" "$(addr_of "$p")" connect --disconnect >/dev/null || true
			if [ "$p" = B ]; then
				kill -USR2 "$PERIPH_PID"
				busctl --system call org.bluez "/org/bluez/$RB_PHONE2_HCI" org.bluez.Adapter1 \
					RemoveDevice o "/org/bluez/$RB_PHONE2_HCI/dev_${B_ADDR//:/_}" >/dev/null 2>&1 || true
			fi
			j=$(drv "$RB_PHONE2_HCI" "$(addr_of "$p")" writes --count "$((WRITES / 10))" --size 100 --framed --disconnect) || true
			record "$p" "$r" "{\"figure\":\"rejected\",${j#\{}"
		fi
		drv "$RB_PHONE_HCI" "$(addr_of "$p")" connect --disconnect >/dev/null 2>&1 || true
		stop_periph
	done
done

# ---- once: memory growth, idle wakeups, chord, instruction counts ----
if want growth; then
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
fi

if want idle; then
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
		wait_subscribed "$OUT/idle-sub.log" "the idle subscriber"
		sleep 2
		c0=$(ctxt "$PERIPH_PID")
		sleep "$IDLE_S"
		c1=$(ctxt "$PERIPH_PID")
		kill "$sub" 2>/dev/null || true
		wait "$sub" 2>/dev/null || true
		read -r n ended < <(ctxt_since "$c0" "$c1")
		record A 0 "{\"figure\":\"idle\",\"watchdog_usec\":\"$wd\",\"seconds\":$IDLE_S,\"context_switches\":$n,\"threads_ended\":$ended}"
		drv "$RB_PHONE_HCI" "$RB_BOX_ADDR" connect --disconnect >/dev/null 2>&1 || true
		stop_periph
	done
fi

if want chord; then
	step "chord to pairing mode"
	start_periph A -
	for i in 1 2 3; do
		j=$("$APP" chord "$T/buttons" "$RB_BOX_HCI" "$T/boxd.log")
		record A "$i" "$j"
		box_tap TIMER_RESET
		sleep 1
	done
	stop_periph
fi

# proto_errors PERIPHERAL: A's protocol error replies so far. Under
# callgrind on a loaded machine 40 fragments can take longer than the
# reassembly timeout (10 s): each late fragment is then answered with an
# error notification, which the count would include (see the figure's
# "protocol_errors").
proto_errors() {
	if [ "$1" = A ]; then
		grep -c "protocol error reply" "$T/boxd.log" 2>/dev/null || true
	else
		echo 0
	fi
}

# cg_dump PID PERIPHERAL: dumps callgrind's counts, prints the total of
# that dump (the newest file).
cg_dump() {
	local f
	callgrind_control --dump "$1" >/dev/null
	sleep 1
	f=$(ls -t "$OUT"/callgrind."$2"."$1".* 2>/dev/null | head -n 1)
	[ -n "$f" ] && awk '/^summary:/ {print $2}' "$f"
}

if want callgrind && command -v valgrind >/dev/null && [ "$CG_WRITES" -gt 0 ]; then
	step "instruction counts: callgrind, $CG_WRITES accepted writes, $CG_NOTIFY notifications"
	for p in $AB; do
		# Instrumented only from the connection on: start-up under
		# valgrind's JIT alone is several times faster.
		start_periph "$p" - valgrind --tool=callgrind --instr-atstart=no \
			--callgrind-out-file="$OUT/callgrind.$p.%p"
		connect_phone "$p"
		callgrind_control --instr=on "$PERIPH_PID" >/dev/null
		callgrind_control --zero "$PERIPH_PID" >/dev/null
		e0=$(proto_errors "$p")
		drv "$RB_PHONE_HCI" "$(addr_of "$p")" writes --count "$CG_WRITES" --size 100 --framed >/dev/null ||
			fail "$p: writes under callgrind failed"
		ir=$(cg_dump "$PERIPH_PID" "$p")
		e1=$(proto_errors "$p")
		record "$p" 0 "{\"figure\":\"callgrind\",\"writes\":$CG_WRITES,\"instructions\":${ir:-0},\"protocol_errors\":$((e1 - e0))}"
		# The notification path alone: A's application notifies through
		# the daemon (Box1.Notify), the floor's one forwards its signal.
		if [ "$CG_NOTIFY" -gt 0 ]; then
			callgrind_control --zero "$PERIPH_PID" >/dev/null
			if [ "$p" = A ]; then
				kill -USR1 "$BENCH_APP_PID"
				drv "$RB_PHONE_HCI" "$RB_BOX_ADDR" notify --count "$CG_NOTIFY" --framed --timeout 300 >/dev/null ||
					fail "A: notifications under callgrind failed"
				kill -USR2 "$BENCH_APP_PID"
			else
				kill -USR1 "$PERIPH_PID"
				start_app --floor
				kill -USR1 "$BENCH_APP_PID"
				drv "$RB_PHONE_HCI" "$B_ADDR" notify --count "$CG_NOTIFY" --timeout 300 >/dev/null ||
					fail "B: notifications under callgrind failed"
				kill -USR2 "$BENCH_APP_PID" 2>/dev/null || true
			fi
			ir=$(cg_dump "$PERIPH_PID" "$p")
			record "$p" 0 "{\"figure\":\"callgrind_notify\",\"notifications\":$CG_NOTIFY,\"instructions\":${ir:-0}}"
		fi
		drv "$RB_PHONE_HCI" "$(addr_of "$p")" connect --disconnect >/dev/null 2>&1 || true
		stop_periph
	done
fi
# ---- how the cost grows: devices in BlueZ's storage, then phones ----
powered() { # HCI: Adapter1.Powered
	busctl --system get-property org.bluez "/org/bluez/$1" org.bluez.Adapter1 \
		Powered 2>/dev/null | grep -q true
}

# store_devices N: bluetoothd restarted with N devices in the storage of
# A's and B's adapters (an info file, LE, static random addresses), as
# bluetoothd keeps every device it once met. They are devices, not bonds:
# the daemon removes every bond that is not the owner's (reaction-boxd(8)),
# so on A stored bonds become devices gone; the write path looks up the
# same BlueZ device table and the daemon's own device hash either way.
store_devices() {
	local n=$1 pid a i d
	pid=$(cat /run/rbvm/bluetoothd.pid)
	kill -TERM "$pid"
	while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
	for a in "$RB_BOX_ADDR" "$B_ADDR"; do
		rm -rf /var/lib/bluetooth/"$a"/C1:00:00:*
		for ((i = 0; i < n; i++)); do
			d=/var/lib/bluetooth/$a/$(printf 'C1:00:00:00:%02X:%02X' $((i / 256)) $((i % 256)))
			mkdir -p "$d"
			printf '[General]\nName=bench-%d\nAddressType=static\nSupportedTechnologies=LE;\nTrusted=false\nBlocked=false\n' \
				"$i" >"$d/info"
		done
	done
	/usr/libexec/bluetooth/bluetoothd -n -d -f tests/vm/bluetoothd.conf \
		>>"$RB_VM_OUT/bluetoothd.log" 2>&1 &
	echo $! >/run/rbvm/bluetoothd.pid
	i=600
	until powered "$RB_BOX_HCI" && powered "$B_HCI" && powered "$RB_PHONE_HCI"; do
		i=$((i - 1))
		[ "$i" -gt 0 ] || fail "bluetoothd did not power the adapters again"
		sleep 0.1
	done
	d=$(busctl --system call org.bluez / org.freedesktop.DBus.ObjectManager \
		GetManagedObjects | { grep -o "/org/bluez/$RB_BOX_HCI/dev_C1_00_00" || true; } | wc -l)
	[ "$d" -ge "$n" ] || fail "bluetoothd loaded $d of $n stored devices"
}

if want devices; then
	step "devices: A and B with $DEVICES devices in BlueZ's storage"
	for n in $DEVICES; do
		store_devices "$n"
		for p in $AB; do
			start_periph "$p" -
			connect_phone "$p"
			writes "$p" 0 "$SWEEP" writes_devices "\"devices\":$n"
			record "$p" 0 "{\"figure\":\"memory_devices\",\"devices\":$n,$(mem_json "$PERIPH_PID" | cut -c2-)"
			drv "$RB_PHONE_HCI" "$(addr_of "$p")" connect --disconnect >/dev/null 2>&1 || true
			stop_periph
		done
	done
	store_devices 0
fi

# btvirt gives a link the handle 42 + the links its controller already
# has; 5.66 shows the peripheral the central's handle, 5.82 its own, and
# ACL data goes with the central's (tests/vm/README). So every link must
# get the same handle on both sides: phone 2 keeps a link to hci5 (42 on
# both), phone 3 one to hci6 (42) and then one to hci5 (43 on both); their
# links to the box then get 43 and 44, as the box counts them too, next to
# phone 1's 42. These links stay up until the VM ends (a link teardown
# can crash the 6.1 guest kernel in hci_chan_del: the sweep runs last).
spare() { # HCI SPARE_INDEX...
	local hci=$1 i addr
	shift
	for i in "$@"; do
		addr=RB_HCI${i}_ADDR
		btmgmt --index "$i" connectable on >/dev/null
		btmgmt --index "$i" advertising on >/dev/null
		timeout 15 hcitool -i "$hci" lecc "${!addr}" >/dev/null ||
			fail "$hci could not connect to the spare controller hci$i"
	done
}

# Debian 12's 6.1 guest kernel crashes in hci_chan_del when such links go
# down (tests/vm/README); 6.12 has not: the sweep needs Debian 13's guest
# (bench/run --release trixie).
kver=$(uname -r)
kver=${kver%%-*}
if [ "$(printf '%s\n6.12\n' "${kver%.*}" | sort -V | head -n 1)" != 6.12 ]; then
	echo "phones: skipped on kernel $(uname -r) (needs 6.12: bench/run --release trixie)"
	record A 0 "{\"figure\":\"skipped\",\"step\":\"phones\",\"kernel\":\"$(uname -r)\"}"
	RB_BENCH_SKIP="${RB_BENCH_SKIP:-} phones"
fi
if want phones; then
	step "phones: A and B with $PHONES connected phones, one writing"
	PHONE3_HCI=$RB_HCI4
	spare "$RB_PHONE2_HCI" 5
	spare "$PHONE3_HCI" 6 5
	for k in $PHONES; do
		for p in $AB; do
			start_periph "$p" -
			# (B notifies only what it is sent: no ticks to the others)
			[ "$p" = A ] || kill -USR1 "$PERIPH_PID"
			connect_phone "$p"
			subs=()
			extra=("$RB_PHONE2_HCI" "$PHONE3_HCI")
			for ((i = 0; i < k - 1; i++)); do
				h=${extra[$i]}
				[ "$p" = A ] || busctl --system call org.bluez "/org/bluez/$h" org.bluez.Adapter1 \
					RemoveDevice o "/org/bluez/$h/dev_${B_ADDR//:/_}" >/dev/null 2>&1 || true
				fr=()
				[ "$p" = A ] && fr=(--framed)
				drv "$h" "$(addr_of "$p")" notify --count 1000000 --timeout 600 \
					"${fr[@]}" >/dev/null 2>"$OUT/sub-$h.log" &
				subs+=($!)
				wait_subscribed "$OUT/sub-$h.log" "phone $h on $p"
			done
			writes "$p" 0 "$SWEEP" writes_phones "\"phones\":$k"
			for s_ in "${subs[@]}"; do kill "$s_" 2>/dev/null || true; done
			for s_ in "${subs[@]}"; do wait "$s_" 2>/dev/null || true; done
			for h in "$RB_PHONE_HCI" "${extra[@]:0:k-1}"; do
				drv "$h" "$(addr_of "$p")" connect --disconnect >/dev/null 2>&1 || true
			done
			stop_periph
		done
	done
fi
cp "$T/boxd.log" "$OUT/boxd.log" 2>/dev/null || true
step "done: $(wc -l <"$RES") figures in $RES"
pass "bench"
