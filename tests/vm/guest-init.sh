#!/bin/sh
# Stage 1 of the VM test harness: /init of the initramfs built by run-vm.
# Runs under busybox sh as PID 1. Loads the kernel modules, mounts the host
# root and the repo (read-only 9p) and the writable out dir (9p), puts tmpfs
# where the Bluetooth stack writes, then chroots into the host root and runs
# stage 2 (tests/vm/guest-run.sh, from the repo mount).
#
# Parameters come from the kernel command line, which the kernel hands to
# init as environment variables:
#   rbvm_out=DIR      host path of the out dir (mounted at the same path)
#   rbvm_repo=DIR     host path of the repo (mounted at the same path)
#   rbvm_stage2=FILE  host path of guest-run.sh
# shellcheck shell=sh

/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin /proc /sys /dev /host /repo /out
/bin/busybox --install -s
export PATH=/sbin:/bin:/usr/sbin:/usr/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

OUT_MOUNTED=
say() { echo "rbvm-init: $*" >/dev/console; }
halt_vm() {
	sync
	if [ -n "$OUT_MOUNTED" ]; then
		umount "$OUT_MOUNTED" 2>/dev/null
	fi
	poweroff -f
	echo o >/proc/sysrq-trigger
	sleep 10
}
die() {
	say "FATAL: $*"
	if [ -n "$OUT_MOUNTED" ]; then
		echo "$*" >>"$OUT_MOUNTED/setup-failed"
		dmesg >"$OUT_MOUNTED/dmesg.log" 2>&1
	fi
	halt_vm
}

say "stage 1 at $(cut -d' ' -f1 /proc/uptime)s"

# Modules, in dependency order (written by run-vm).
while read -r mod; do
	[ -n "$mod" ] || continue
	insmod "/lib/modules/$mod.ko" || die "insmod $mod failed"
done </modules.order

P9OPTS=trans=virtio,version=9p2000.L,msize=262144
mount -t 9p -o "$P9OPTS,ro,cache=loose" hostroot /host ||
	die "cannot mount the host root over 9p"
mount -t 9p -o "$P9OPTS,ro,cache=loose" rbrepo /repo ||
	die "cannot mount the repo over 9p"
mount -t 9p -o "$P9OPTS" rbout /out ||
	die "cannot mount the out dir over 9p"
OUT_MOUNTED=/out

[ -n "${rbvm_out:-}" ] || die "rbvm_out missing from the kernel command line"
[ -n "${rbvm_repo:-}" ] || die "rbvm_repo missing from the kernel command line"
[ -n "${rbvm_stage2:-}" ] || die "rbvm_stage2 missing from the kernel command line"

# The kernel's module autoloader runs /sbin/modprobe (busybox) in this
# initramfs: let it find every module of the host.
mount --bind /host/lib/modules /lib/modules

# Writable places for the stack, over the read-only host root.
for d in run tmp var/tmp var/log var/lib/bluetooth var/cache root; do
	[ -d "/host/$d" ] || continue
	mount -t tmpfs -o mode=0755 tmpfs "/host/$d" || die "tmpfs on /$d failed"
done
chmod 1777 /host/tmp /host/var/tmp 2>/dev/null
mount -t proc proc /host/proc || die "proc in the chroot"
mount -t sysfs sysfs /host/sys || die "sysfs in the chroot"
mount -t devtmpfs devtmpfs /host/dev || die "devtmpfs in the chroot"
ln -s /proc/self/fd /host/dev/fd
ln -s /proc/self/fd/0 /host/dev/stdin
ln -s /proc/self/fd/1 /host/dev/stdout
ln -s /proc/self/fd/2 /host/dev/stderr
mkdir -p /host/dev/shm
mount -t tmpfs -o mode=1777 tmpfs /host/dev/shm
mkdir -p /host/dev/pts
mount -t devpts devpts /host/dev/pts
mount -t debugfs debugfs /host/sys/kernel/debug 2>/dev/null

# The repo and the out dir appear in the guest at the same paths as on the
# host, even under a tmpfs we just mounted (a clone in /tmp): create the
# mount point there if needed. The repo first: the out dir may be inside it
# (tests/vm/out), never the other way round (run-vm refuses that).
mkdir -p "/host$rbvm_repo" 2>/dev/null
mount --move /repo "/host$rbvm_repo" || die "cannot move the repo to $rbvm_repo"
mkdir -p "/host$rbvm_out" 2>/dev/null
mount --move /out "/host$rbvm_out" || die "cannot move the out dir to $rbvm_out"
OUT_MOUNTED="/host$rbvm_out"

say "stage 2 at $(cut -d' ' -f1 /proc/uptime)s"
chroot /host /bin/bash "$rbvm_stage2" "$rbvm_out"
rc=$?
[ "$rc" -eq 0 ] || say "stage 2 exited with $rc"
halt_vm
