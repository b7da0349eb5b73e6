#!/bin/sh
# Builds the libFuzzer harnesses with clang and runs each for $1 seconds
# (default 60). Not part of `make check`. Needs protoc-c, glib-2.0 and
# libprotobuf-c. Run from anywhere: ./tests/fuzz/run.sh [seconds]
set -eu
secs=${1:-60}
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${FUZZ_OUT:-${TMPDIR:-/tmp}/reaction-boxd-fuzz}
mkdir -p "$out/proto" "$out/corpus-reassembler" "$out/corpus-codec"

protoc-c --proto_path="$top/proto" --c_out="$out/proto" \
	"$top/proto/reaction.proto"

flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
	-I$top/src -I$out $(pkg-config --cflags glib-2.0 libprotobuf-c)"
libs="$(pkg-config --libs glib-2.0 libprotobuf-c)"
core="$top/src/core/framing.c $top/src/core/codec.c $top/src/core/error.c
	$out/proto/reaction.pb-c.c"

for h in reassembler codec; do
	# shellcheck disable=SC2086
	clang $flags -o "$out/fuzz-$h" "$top/tests/fuzz/fuzz-$h.c" $core $libs
done

# Seeds: a few valid messages.
printf '\004\000\300\001\000a\003\001\300\000\000' \
	>"$out/corpus-reassembler/seed-small"
printf '\010\001\020\052\122\002\010\000' >"$out/corpus-codec/seed-get"
printf '\010\001\020\007\122\010\010\001\022\004\020\005\050\001' \
	>"$out/corpus-codec/seed-set"
printf '\010\001\132\010\010\003\040\220\310\002\070\001' \
	>"$out/corpus-codec/seed-access"

status=0
for h in reassembler codec; do
	echo "== fuzz-$h, $secs s"
	"$out/fuzz-$h" -max_total_time="$secs" -max_len=4200 \
		-print_final_stats=1 "$out/corpus-$h" || status=$?
done
exit $status
