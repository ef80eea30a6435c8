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
#   VM_TIMEOUT     seconds before the VM is killed (default 600)
#   VM_MEM         guest memory (default 1G)
#   VM_SMP         guest CPUs (default 2)
#   VM_ACCEL       tcg, kvm or auto (default auto: kvm only when a quick
#                  probe boots a guest with it, else tcg)
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
# without reporting one (kernel panic, boot failure); 1 when the command
# succeeded but the kernel logged a BUG, Oops or WARNING.
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
trap 'rm -rf "$rundir"' EXIT

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

# KVM only if it really runs a guest: a boot sector that writes 0 to
# isa-debug-exit makes qemu exit with status 1 at once.  Cached per boot.
probe_kvm() {
	local cache=$vmdir/accel boot_id
	boot_id=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo none)
	if [ -f "$cache" ] && [ "$(sed -n 1p "$cache")" = "$boot_id" ]; then
		sed -n 2p "$cache"
		return
	fi
	local r=tcg
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		python3 -c 'import sys; b = bytes([0xb0, 0, 0xe6, 0xf4, 0xf4, 0xeb, 0xfd]); sys.stdout.buffer.write(b + bytes(510 - len(b)) + b"\x55\xaa")' \
			> "$rundir/probe.bin"
		local st=0
		timeout -k 1 3 qemu-system-x86_64 -accel kvm -display none \
			-no-user-config -nodefaults \
			-device isa-debug-exit,iobase=0xf4,iosize=1 \
			-drive file="$rundir/probe.bin",format=raw,if=floppy \
			-boot a </dev/null >/dev/null 2>&1 || st=$?
		[ $st -eq 1 ] && r=kvm
	fi
	printf '%s\n%s\n' "$boot_id" "$r" > "$cache"
	echo $r
}
[ "$accel" = auto ] && accel=$(probe_kvm)
case "$accel" in
kvm) cpu=host ;;
tcg) cpu=max ;;
*) die "VM_ACCEL must be tcg, kvm or auto" ;;
esac

append="console=ttyS0 panic=-1 quiet loglevel=4"
append+=" root=/dev/root rootfstype=9p ro"
append+=" rootflags=trans=virtio,version=9p2000.L,msize=$msize${p9cache:+,cache=$p9cache}"
append+=" init=$repo/mk/vm/init.sh vm_rundir=$rundir ${VM_APPEND:-}"

qemu=(qemu-system-x86_64 -accel "$accel" -cpu "$cpu" -m "$mem" -smp "$smp"
	-no-user-config -nodefaults -display none -no-reboot
	-monitor none -serial stdio
	-kernel "$kernel" -append "$append"
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

start=$(date +%s)
st=0
timeout --foreground -k 10 "$timeout" "${qemu[@]}" </dev/null |
	tee "$rundir/serial.log" |
	awk -v verbose="${VM_VERBOSE:-0}" "$filter" || st=$?
end=$(date +%s)
mkdir -p "$(dirname "$log")"
tr -d '\r' < "$rundir/serial.log" > "$log"

if [ $st -eq 124 ] || [ $st -eq 137 ]; then
	echo "vm-run: TIMEOUT after ${timeout}s (VM_TIMEOUT); serial log: $log" >&2
	exit 124
fi

status=$(grep -ao 'VM-EXIT-STATUS=[0-9]*$' "$log" | tail -n 1 | cut -d= -f2 || true)
bad=$(grep -aE '^(BUG: |Oops: |WARNING: CPU: |kernel BUG at |Kernel panic - not syncing|general protection fault|UBSAN: |KASAN: |INFO: task .* blocked)' "$log" || true)

if [ -z "$status" ]; then
	if [ "${VM_VERBOSE:-0}" = 0 ]; then
		echo "--- last lines of $log:" >&2
		tail -n 40 "$log" >&2
		echo "---" >&2
	fi
	if grep -aq 'Kernel panic' "$log"; then
		echo "vm-run: KERNEL PANIC; serial log: $log" >&2
	else
		echo "vm-run: the VM ended without an exit status (qemu status $st); serial log: $log" >&2
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
