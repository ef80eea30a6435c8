#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test of the accelerator choice of mk/vm/run.sh on the three hosts this
# machine kind comes as, whichever one it runs on: no /dev/kvm, a KVM that
# runs a boot sector but not a kernel (issue 10: the kernel either stops
# at once with "KVM internal error ... emulation failure" while qemu
# waits, paused, or prints nothing at all), and a KVM that works.  The
# host's own device is never looked at: run.sh is pointed (VM_KVM_DEV) at
# a file of the test's, or at a path that does not exist, and qemu is a
# wrapper whose "KVM" fails as asked, or, for the working one, is TCG
# under another name.  Anything but a kvm start runs the real qemu.
# Prints TAP; needs the VM kernel (make kernel).
#
#   test-accel.sh WORKDIR
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
run=$repo/mk/vm/run.sh
work=$1
real=$(command -v qemu-system-x86_64) || { echo "not ok 1 no qemu"; exit 1; }

rm -rf "$work"
mkdir -p "$work/bin"
# A device node that opens, as far as run.sh can tell.
touch "$work/kvm"
cat > "$work/bin/qemu-system-x86_64" <<EOS
#!/bin/bash
# As TCG: every "kvm" and "host" argument becomes "tcg" and "max".
as_tcg() {
	local a args=()
	for a in "\$@"; do
		case "\$a" in
		kvm) args+=(tcg) ;;
		host) args+=(max) ;;
		*) args+=("\$a") ;;
		esac
	done
	exec "$real" "\${args[@]}"
}
case " \$* " in
*" -accel kvm "*) ;;
*) exec "$real" "\$@" ;;
esac
echo kvm >> "$work/kvm-starts"
case " \$* " in
*" -kernel "*) ;;
*) as_tcg "\$@" ;;
esac
case "\${FAKE_KVM:-internal}" in
works)
	as_tcg "\$@" ;;
internal)
	echo "KVM internal error. Suberror: 1" >&2
	echo "extra data[0]: 0x0000000000000000" >&2
	echo "emulation failure" >&2
	echo "Code=00 00 00 <48> 0f ae 2f 00 00" >&2 ;;
esac
exec sleep 3600
EOS
chmod +x "$work/bin/qemu-system-x86_64"

n=0 failed=0
check() {
	local name=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n $name"
	else
		echo "not ok $n $name"
		failed=$((failed + 1))
	fi
}

# run NAME ACCEL FAKE CMD: run.sh with the fake qemu on the host $host
# (set below: a device at $work/kvm, or none); status, seconds and
# stderr in $work/NAME.{st,secs,err}, stdout in $work/NAME.out.  A fake
# KVM that works is TCG, so it gets TCG's boot time, probe included.
vm() {
	local name=$1 accel=$2 fake=$3 cmd=$4 st=0 t0 dev=$work/kvm
	local probe=20 boot=
	[ "$host" != none ] || dev=$work/no-kvm
	[ "$fake" != works ] || probe=240 boot=240
	t0=$(date +%s)
	PATH=$work/bin:$PATH FAKE_KVM=$fake VM_ACCEL=$accel \
		VM_KVM_DEV=$dev VM_KVM_PROBE_TIMEOUT=$probe \
		VM_BOOT_TIMEOUT=$boot VM_ACCEL_CACHE=$work/cache-$host \
		VM_ACCEL_USED=$work/accel-used \
		VM_RW_DIR= VM_TIMEOUT=300 \
		VM_LOG=$work/$name.log \
		"$run" "$cmd" > "$work/$name.out" 2> "$work/$name.err" || st=$?
	echo $st > "$work/$name.st"
	echo $(($(date +%s) - t0)) > "$work/$name.secs"
}
status_is() { [ "$(cat "$work/$1.st")" = "$2" ]; }
within() { [ "$(cat "$work/$1.secs")" -le "$2" ]; }
says() { grep -q -- "$2" "$work/$1.err"; }
printed() { grep -qx -- "$2" "$work/$1.out"; }
kvm_starts() { [ "$(cat "$work/kvm-starts" 2>/dev/null | wc -l)" -eq "$1" ]; }
used() { grep -q -- "$1" "$work/accel-used"; }

echo "TAP version 13"
echo "1..21"

# The host has a KVM device that opens, yet boots no kernel.
host=broken
vm forced_internal kvm internal 'echo hello'
check "kvm forced, internal error: fails" status_is forced_internal 125
check "kvm forced, internal error: ends within 30 s" within forced_internal 30
check "kvm forced, internal error: says why, naming kvm" \
	says forced_internal 'internal error under kvm.*emulation failure'

vm forced_silent kvm silent 'echo hello'
check "kvm forced, silent boot: fails" status_is forced_silent 125
check "kvm forced, silent boot: ends within 30 s" within forced_silent 30
check "kvm forced, silent boot: says why, naming kvm" \
	says forced_silent 'did not reach the command within 20s under kvm'

rm -f "$work/kvm-starts"
vm auto_first auto internal 'echo hello'
check "auto, broken kvm: the command runs under tcg" printed auto_first hello
check "auto, broken kvm: says it does not use KVM" \
	says auto_first 'not using KVM (qemu stopped the VM with an internal error under kvm'
check "auto, broken kvm: accel-used names tcg" \
	used '^tcg (auto: kvm: qemu stopped'

vm auto_again auto internal 'echo again'
check "auto again: the command runs" printed auto_again again
check "auto again: the cached answer, no second probe" kvm_starts 1

# An answer of another host boot is not taken.
sed -i '1s/.*/another-boot/' "$work/cache-$host"/*
vm auto_newboot auto silent 'echo newboot'
check "auto after a host reboot: probes again, tcg" \
	eval 'printed auto_newboot newboot && kvm_starts 2'

# The host has no KVM device at all: no probe, no kvm start.
host=none
rm -f "$work/kvm-starts"
vm auto_none auto internal 'echo none'
check "auto, no kvm device: the command runs under tcg" printed auto_none none
check "auto, no kvm device: says so" \
	says auto_none "not using KVM (no usable $work/no-kvm); using TCG"
check "auto, no kvm device: accel-used names tcg and why" \
	used "^tcg (auto: kvm: no usable $work/no-kvm)"
check "auto, no kvm device: qemu never asked for kvm" kvm_starts 0

# The host's KVM works: the probe boots the kernel, auto takes kvm.
host=works
vm auto_works auto works 'echo works'
check "auto, working kvm: the command runs" printed auto_works works
check "auto, working kvm: accel-used names kvm" \
	used '^kvm (auto: the kernel boots under kvm)'
check "auto, working kvm: the probe and the command under kvm" kvm_starts 2
vm auto_works_again auto works 'echo works again'
check "auto again, working kvm: the cached answer, kvm" \
	eval 'printed auto_works_again "works again" && kvm_starts 3'
check "auto, working kvm: no word of TCG" \
	eval '! grep -q TCG "$work/auto_works.err" "$work/auto_works_again.err"'

echo "# $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
