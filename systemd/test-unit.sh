#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Checks the generated unit against the daemon's compiled-in defaults:
# under ProtectSystem=strict only the directories the unit names are
# writable, so every /run/NAME/... default in src/ (the button FIFO, the
# file display) needs RuntimeDirectory=NAME. (The state directory comes
# from $STATE_DIRECTORY, i.e. StateDirectory=.) Then, where systemd-analyze
# exists, "systemd-analyze verify" on a copy of the unit that starts the
# binary just built.
#
# Run from the build directory (make check does); $srcdir is the source.
set -eu

srcdir=${srcdir:-.}
unit=systemd/reaction-boxd.service
src=$srcdir/src
fail=0

[ -f "$unit" ] || { echo "$unit: missing (run make first)"; exit 99; }
[ -d "$src" ] || { echo "$src: missing"; exit 99; }

# The values of a directive, one word a line.
values() {
	sed -n "s/^$1=//p" "$unit" | tr ' ' '\n' | sed '/^$/d'
}

has_value() { # DIRECTIVE VALUE
	values "$1" | grep -qxF "$2"
}

check_dirs() { # PREFIX DIRECTIVE
	for d in $(grep -rhoE "\"$1/[^/\"]+/" "$src" --include='*.[ch]' |
		sed "s|^\"$1/||; s|/\$||" | sort -u); do
		if has_value "$2" "$d"; then
			echo "ok: $1/$d is $2=$d"
		else
			echo "FAIL: defaults in $src use $1/$d/ but $unit" \
				"has no $2=$d: the daemon cannot write there"
			fail=1
		fi
	done
}

check_dirs /run RuntimeDirectory

# The runtime directory holds the button FIFO and the screen (PIN) files:
# never writable by group or others.
if values RuntimeDirectory | grep -q .; then
	mode=$(values RuntimeDirectoryMode)
	case $mode in
	0[0-7][0145][0145] | [0-7][0145][0145])
		echo "ok: RuntimeDirectoryMode=$mode" ;;
	*)
		echo "FAIL: RuntimeDirectoryMode='$mode': set it, with no" \
			"write bit for group or others"
		fail=1 ;;
	esac
fi

if command -v systemd-analyze >/dev/null 2>&1 && [ -x reaction-boxd ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	sed "s|^ExecStart=[^ ]*/reaction-boxd|ExecStart=$PWD/reaction-boxd|" \
		"$unit" >"$tmp/reaction-boxd.service"
	if systemd-analyze verify --man=no "$tmp/reaction-boxd.service" \
		>"$tmp/out" 2>&1 && ! grep -q . "$tmp/out"; then
		echo "ok: systemd-analyze verify"
	else
		echo "FAIL: systemd-analyze verify:"
		cat "$tmp/out"
		fail=1
	fi
else
	echo "skipped: systemd-analyze verify (no systemd-analyze)"
fi
exit $fail
