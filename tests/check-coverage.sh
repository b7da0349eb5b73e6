#!/bin/sh
# Fails unless the line coverage in lcov file $1 is at least $2 percent.
set -eu
pct=$(lcov --summary "$1" 2>&1 | sed -n 's/.*lines\.*: *\([0-9.]*\)%.*/\1/p')
[ -n "$pct" ] || { echo "check-coverage: no line coverage in $1" >&2; exit 1; }
echo "src/core line coverage: $pct% (required: $2%)"
awk -v p="$pct" -v r="$2" 'BEGIN { exit (p + 0 >= r + 0) ? 0 : 1 }' || {
	echo "check-coverage: $pct% is below $2%" >&2
	exit 1
}
