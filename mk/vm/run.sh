#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run one command as root in the test VM and exit with its status.
#
# usage: run.sh 'command'
#
# The VM boots $VM_KERNEL under qemu with the host's / as a read-only
# virtio-9p root (mk/vm/init.sh is PID 1), /tmp, /run, /dev/shm on tmpfs,
# and $VM_RW_DIR shared writable at the same path.  The command runs with
# bash in $VM_CWD, with the caller's PATH; its output (the VM's serial
# console) is shown here, and the whole serial log is kept in $VM_LOG.
#
# Environment (all optional):
#   VM_KERNEL      bzImage (default build/x86/arch/x86/boot/bzImage)
#   VM_INITRD      initramfs to boot it with (default: none)
#   VM_TIMEOUT     seconds before the VM is killed (default 600)
#   VM_MEM         guest memory (default 1G)
#   VM_SMP         guest CPUs (default 2)
#   VM_ACCEL       tcg, kvm or auto (default auto: kvm only when this
#                  kernel, booted once under kvm, runs a command within
#                  20 s; else tcg.  The answer is cached per host boot and
#                  kernel image in $VM_ACCEL_CACHE)
#   VM_BOOT_TIMEOUT  seconds for the kernel to reach the command (default
#                  20 under kvm, 240 under tcg); past them the VM is ended
#   VM_ACCEL_CACHE directory of the probe's answers (default build/vm/accel.d)
#   VM_KVM_DEV     the KVM device auto looks at (default /dev/kvm; the
#                  accelerator test points it at files of its own, so
#                  that its result does not depend on the host's device)
#   VM_KVM_PROBE_TIMEOUT  seconds the probe gives the kernel to reach its
#                  command under kvm (default 20)
#   VM_ACCEL_USED  file that gets the accelerator used and why (default
#                  build/vm/accel-used; make check prints it)
#   VM_CWD         directory the command runs in (default: the repository)
#   VM_RW_DIR      host directory writable in the VM (default build/;
#                  empty: none)
#   VM_LOG         serial log (default build/vm/last-serial.log)
#   VM_9P_CACHE    cache mode of the 9p root (default loose: the host's
#                  files are taken not to change during a run; empty: none)
#   VM_VERBOSE=1   show the whole console, boot messages included
#   VM_ALLOW_WARN=1  do not fail when the kernel logs BUG/Oops/WARNING
#   VM_APPEND      extra kernel command line
#   VM_QEMU_ARGS   extra qemu arguments
#
# Exit status: the command's; 124 on timeout; 125 when the VM ended
# without reporting one (kernel panic, boot failure, a qemu internal error
# such as KVM's "emulation failure", no command within VM_BOOT_TIMEOUT);
# 1 when the command succeeded but the kernel logged a BUG, Oops or
# WARNING.
set -eu -o pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
vmdir=$repo/build/vm

kernel=${VM_KERNEL:-$repo/build/x86/arch/x86/boot/bzImage}
timeout=${VM_TIMEOUT:-600}
mem=${VM_MEM:-1G}
smp=${VM_SMP:-2}
accel=${VM_ACCEL:-auto}
cwd=${VM_CWD:-$repo}
rwdir=${VM_RW_DIR-$repo/build}
log=${VM_LOG:-$vmdir/last-serial.log}
accel_cache=${VM_ACCEL_CACHE:-$vmdir/accel.d}
accel_used=${VM_ACCEL_USED:-$vmdir/accel-used}
kvm_dev=${VM_KVM_DEV:-/dev/kvm}
kvm_probe_timeout=${VM_KVM_PROBE_TIMEOUT:-20}
msize=512000
p9cache=${VM_9P_CACHE-loose}

die() { echo "vm-run: $*" >&2; exit 125; }

[ $# -eq 1 ] || { echo "usage: $0 'command'" >&2; exit 2; }
[ -f "$kernel" ] || die "no kernel at $kernel (run 'make kernel')"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (make deps)"
for p in "$repo" "$cwd" "$rwdir"; do
	case "$p" in *[[:space:]]*) die "path with spaces not supported: '$p'" ;; esac
done

mkdir -p "$vmdir"
rundir=$(mktemp -d "$vmdir/run.XXXXXX")
qpid= tailpid=
cleanup() {
	[ -z "$qpid" ] || kill -KILL "$qpid" 2>/dev/null || true
	[ -z "$tailpid" ] || kill "$tailpid" 2>/dev/null || true
	rm -rf "$rundir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# Single-quote a string for sh.
q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# pyenv's shims are bash scripts that cost seconds per call under TCG: put
# the directory of the python3 they select ahead of them.
vmpath=$PATH
if command -v pyenv >/dev/null 2>&1 &&
   py=$(pyenv which python3 2>/dev/null) && [ -n "$py" ]; then
	shims=$(pyenv root)/shims
	vmpath=$(echo ":$PATH:" |
		sed "s|:$shims:|:${py%/*}:$shims:|; s/^://; s/:\$//")
fi

{
	echo "VM_CWD=$(q "$cwd")"
	echo "VM_RW_DIR=$(q "$rwdir")"
	echo "VM_RW_TAG=rwshare"
	echo "VM_MSIZE=$msize"
	echo "PATH=$(q "$vmpath")"
	echo "HOME=/tmp"
	echo "TERM=dumb"
	echo "LANG=C.UTF-8"
	echo "PYTHONDONTWRITEBYTECODE=1"
	echo "export VM_CWD VM_RW_DIR PATH HOME TERM LANG PYTHONDONTWRITEBYTECODE"
} > "$rundir/env"
printf '%s\n' "$1" > "$rundir/cmd"

# KVM only if it really boots this kernel: on some hosts /dev/kvm opens
# and runs a boot sector, yet the kernel stops at once with "KVM internal
# error ... emulation failure" (an XRSTOR in early boot) and qemu waits,
# paused.  So boot the kernel itself under kvm with a trivial command,
# bounded by $kvm_probe_timeout; anything but the command's marker and
# status 0 means tcg.  The answer is kept per host boot and kernel image.
probe_kvm() {
	local cache=$1 boot_id out st=0 why
	boot_id=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo none)
	if [ -f "$cache" ] && [ "$(sed -n 1p "$cache")" = "$boot_id" ]; then
		sed -n 2p "$cache"
		return
	fi
	if [ ! -r "$kvm_dev" ] || [ ! -w "$kvm_dev" ]; then
		why="no usable $kvm_dev"
	else
		out=$(VM_ACCEL=kvm VM_BOOT_TIMEOUT=$kvm_probe_timeout \
			VM_TIMEOUT=$((kvm_probe_timeout + 10)) VM_RW_DIR= \
			VM_LOG="$rundir/probe.log" VM_VERBOSE=0 VM_PROBING=1 \
			"$0" 'echo VM-KVM-PROBE-OK' 2>"$rundir/probe.err") || st=$?
		if [ $st -eq 0 ] && [ "$out" = VM-KVM-PROBE-OK ]; then
			why=
		else
			why=$(grep -a '^vm-run: ' "$rundir/probe.err" | tail -n 1 |
				sed 's/^vm-run: //; s/; serial log:.*//')
			why=${why:-exit status $st}
		fi
	fi
	mkdir -p "$accel_cache"
	if [ -z "$why" ]; then
		printf '%s\nkvm\nthe kernel boots under kvm\n' "$boot_id" > "$cache"
	else
		printf '%s\ntcg\nkvm: %s\n' "$boot_id" "$why" > "$cache"
		echo "vm-run: not using KVM ($why); using TCG" >&2
	fi
	sed -n 2p "$cache"
}
accel_why=
if [ "$accel" = auto ]; then
	accel_entry=$accel_cache/$(sha1sum < "$kernel" | cut -d' ' -f1)
	accel=$(probe_kvm "$accel_entry")
	accel_why=" (auto: $(sed -n 3p "$accel_entry"))"
fi
case "$accel" in
kvm) cpu=host ;;
tcg) cpu=max ;;
*) die "VM_ACCEL must be tcg, kvm or auto" ;;
esac
if [ "$accel" = kvm ]; then
	boot_timeout=${VM_BOOT_TIMEOUT:-20}
else
	boot_timeout=${VM_BOOT_TIMEOUT:-240}
fi
[ -n "${VM_PROBING:-}" ] || echo "$accel$accel_why" > "$accel_used"

# no_timer_check: under TCG on a loaded host the IO-APIC timer check can
# miss its ticks and panic the boot ("IO-APIC + timer doesn't work").
append="console=ttyS0 panic=-1 quiet loglevel=4 no_timer_check"
append+=" root=/dev/root rootfstype=9p ro"
append+=" rootflags=trans=virtio,version=9p2000.L,msize=$msize${p9cache:+,cache=$p9cache}"
append+=" init=$repo/mk/vm/init.sh vm_rundir=$rundir ${VM_APPEND:-}"

qemu=(qemu-system-x86_64 -accel "$accel" -cpu "$cpu" -m "$mem" -smp "$smp"
	-no-user-config -nodefaults -display none -no-reboot
	-monitor none -serial stdio
	-kernel "$kernel" -append "$append" ${VM_INITRD:+-initrd "$VM_INITRD"}
	-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap
	-device virtio-9p-pci,fsdev=root,mount_tag=/dev/root
	-device virtio-rng-pci)
if [ -n "$rwdir" ]; then
	mkdir -p "$rwdir"
	qemu+=(-fsdev local,id=rw,path="$rwdir",security_model=none,multidevs=remap
		-device virtio-9p-pci,fsdev=rw,mount_tag=rwshare)
fi
# shellcheck disable=SC2206
qemu+=(${VM_QEMU_ARGS:-})

# Show the command's output only (everything with VM_VERBOSE=1); the
# status marker ends it, possibly after a last unterminated line.
filter='
	{ sub(/\r$/, "") }
	!show && $0 == "VM-CMD-START" { show = 1; if (!verbose) next }
	show == 1 && /VM-EXIT-STATUS=[0-9]+$/ {
		show = verbose ? 2 : 0
		if (!verbose) {
			sub(/VM-EXIT-STATUS=[0-9]+$/, "")
			if ($0 != "") { print; fflush() }
			next
		}
	}
	show || verbose { print; fflush() }'

# qemu runs in the background, its console and its own messages in one
# log that is shown as it grows; the loop below ends it as soon as it
# reports an internal error (KVM's "emulation failure" leaves the VM
# paused, not ended), when the kernel has not reached the command within
# $boot_timeout seconds, or after $timeout seconds in all.
serial=$rundir/serial.log
: > "$serial"
qemu_fatal='KVM internal error|emulation failure|kvm run failed'
start=$(date +%s)
"${qemu[@]}" </dev/null >"$serial" 2>&1 &
qpid=$!
tail -s 0.2 -n +1 -f --pid=$qpid "$serial" |
	awk -v verbose="${VM_VERBOSE:-0}" "$filter" &
tailpid=$!

ended=
booted=
while kill -0 "$qpid" 2>/dev/null; do
	elapsed=$(($(date +%s) - start))
	if grep -aqE "$qemu_fatal" "$serial"; then
		ended=internal
	elif [ -z "$booted" ]; then
		if grep -aq 'VM-CMD-START' "$serial"; then
			booted=1
		elif [ "$elapsed" -ge "$boot_timeout" ]; then
			ended=boot
		fi
	fi
	[ "$elapsed" -lt "$timeout" ] || ended=${ended:-timeout}
	[ -z "$ended" ] || break
	sleep 0.2
done
st=0
if [ -n "$ended" ]; then
	# the rest of qemu's report, which comes in several writes
	[ "$ended" != internal ] || sleep 0.5
	kill -TERM "$qpid" 2>/dev/null || true
	sleep 1
	kill -KILL "$qpid" 2>/dev/null || true
fi
wait "$qpid" 2>/dev/null || st=$?
qpid=
wait "$tailpid" 2>/dev/null || true
tailpid=
end=$(date +%s)
mkdir -p "$(dirname "$log")"
tr -d '\r' < "$serial" > "$log"

case "$ended" in
timeout)
	echo "vm-run: TIMEOUT after ${timeout}s (VM_TIMEOUT, $accel); serial log: $log" >&2
	exit 124 ;;
internal)
	[ "${VM_VERBOSE:-0}" != 0 ] || grep -aE "$qemu_fatal" "$log" | head -n 5 >&2
	echo "vm-run: qemu stopped the VM with an internal error under $accel after $((end - start))s ($(grep -aoE "($qemu_fatal).*" "$log" | head -n 3 | paste -sd';' | sed 's/;/; /g')); serial log: $log" >&2
	exit 125 ;;
boot)
	[ "${VM_VERBOSE:-0}" != 0 ] || tail -n 20 "$log" >&2
	echo "vm-run: the kernel did not reach the command within ${boot_timeout}s under $accel (VM_BOOT_TIMEOUT); serial log: $log" >&2
	exit 125 ;;
esac

status=$(grep -ao 'VM-EXIT-STATUS=[0-9]*$' "$log" | tail -n 1 | cut -d= -f2 || true)
bad=$(grep -aE '^(BUG: |Oops: |WARNING: CPU: |kernel BUG at |Kernel panic - not syncing|general protection fault|UBSAN: |KASAN: |INFO: task .* blocked)' "$log" || true)

if [ -z "$status" ]; then
	if [ "${VM_VERBOSE:-0}" = 0 ]; then
		echo "--- last lines of $log:" >&2
		tail -n 40 "$log" >&2
		echo "---" >&2
	fi
	if grep -aq 'Kernel panic' "$log"; then
		echo "vm-run: KERNEL PANIC ($accel); serial log: $log" >&2
	else
		qerr=$(grep -a -m1 '^qemu-system-[a-z0-9_]*: ' "$log" | cut -c1-160 || true)
		echo "vm-run: the VM ended without an exit status (qemu status $st, $accel${qerr:+; $qerr}); serial log: $log" >&2
	fi
	exit 125
fi

if [ -n "$bad" ]; then
	echo "vm-run: the kernel reported problems (serial log: $log):" >&2
	echo "$bad" | sed 's/^/  /' >&2
	if [ "$status" = 0 ] && [ "${VM_ALLOW_WARN:-0}" = 0 ]; then
		echo "vm-run: failing (VM_ALLOW_WARN=1 to ignore)" >&2
		status=1
	fi
fi
if [ "$status" != 0 ] || [ "${VM_VERBOSE:-0}" != 0 ]; then
	echo "vm-run: exit status $status ($((end - start))s, $accel)" >&2
fi
exit "$status"
