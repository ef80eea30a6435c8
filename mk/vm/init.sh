#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the test VM (mk/vm/run.sh).  The root is the host's / over
# read-only virtio-9p.  Make the usual writable places tmpfs, mount the
# writable share, run the command of the run directory given on the kernel
# command line (vm_rundir=DIR), print its exit status as a marker line for
# the host, then reboot: qemu runs with -no-reboot, so it exits.

PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

mount -t proc proc /proc
mount -t sysfs sysfs /sys
[ -e /dev/null ] || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm

rundir=
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	vm_rundir=*) rundir=${arg#vm_rundir=} ;;
	esac
done

# /tmp and /var/tmp become tmpfs; when the run directory (the repository,
# say a CI clone made with mktemp -d) lies below one of them, its top
# directory stays the host's, bound back over the tmpfs.
for d in /tmp /var/tmp; do
	top=
	case "$rundir" in
	$d/*/*)
		top=${rundir#$d/}
		top=${top%%/*}
		mkdir -p /dev/.host$d
		mount --bind $d /dev/.host$d
		;;
	esac
	mount -t tmpfs -o mode=1777 tmpfs $d
	if [ -n "$top" ]; then
		mkdir -p $d/$top
		mount --bind /dev/.host$d/$top $d/$top
	fi
done
mount -t tmpfs -o mode=755 tmpfs /run
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
hostname tunrss-vm 2>/dev/null
ip link set lo up 2>/dev/null

rc=125
if [ -n "$rundir" ] && [ -f "$rundir/env" ] && [ -f "$rundir/cmd" ]; then
	# VM_CWD, VM_RW_DIR, VM_RW_TAG, VM_MSIZE, PATH, HOME, ...
	. "$rundir/env"
	if [ -n "${VM_RW_DIR:-}" ]; then
		mount -t 9p -o trans=virtio,version=9p2000.L,msize=$VM_MSIZE \
			"$VM_RW_TAG" "$VM_RW_DIR" ||
			echo "vm-init: cannot mount $VM_RW_DIR writable"
	fi
	cd "$VM_CWD" || cd /
	echo "VM-CMD-START"
	/bin/bash "$rundir/cmd" </dev/null
	rc=$?
else
	echo "vm-init: no command (vm_rundir='$rundir')"
fi

# Wait until the console has sent everything: stty sets the (unchanged)
# attributes with TCSADRAIN.
stty -F /dev/console "$(stty -F /dev/console -g)" 2>/dev/null
echo "VM-EXIT-STATUS=$rc"
stty -F /dev/console "$(stty -F /dev/console -g)" 2>/dev/null
sync
echo b > /proc/sysrq-trigger
sleep 10
