#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test of the accelerator choice of mk/vm/run.sh, with a qemu whose KVM
# behaves like the one of issue 10: it runs a boot sector, but a kernel
# either stops at once with "KVM internal error ... emulation failure"
# while qemu waits, paused, or prints nothing at all.  Under TCG the
# wrapper runs the real qemu.
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
# The fake KVM runs anything but a kernel (a boot sector, say) as TCG
# does: only the kernel's boot fails, as on the machines of issue 10.
cat > "$work/bin/qemu-system-x86_64" <<EOS
#!/bin/bash
case " \$* " in
*" -kernel "*) ;;
*) exec "$real" \$(echo " \$* " | sed 's/ kvm / tcg /; s/ host / max /') ;;
esac
for a in "\$@"; do
	[ "\$a" = kvm ] || continue
	echo kvm >> "$work/kvm-starts"
	case "\${FAKE_KVM:-internal}" in
	internal)
		echo "KVM internal error. Suberror: 1" >&2
		echo "extra data[0]: 0x0000000000000000" >&2
		echo "emulation failure" >&2
		echo "Code=00 00 00 <48> 0f ae 2f 00 00" >&2 ;;
	esac
	exec sleep 3600
done
exec "$real" "\$@"
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

# run NAME ACCEL FAKE CMD: run.sh with the fake qemu; status, seconds and
# stderr in $work/NAME.{st,secs,err}, stdout in $work/NAME.out.
vm() {
	local name=$1 accel=$2 fake=$3 cmd=$4 st=0 t0
	t0=$(date +%s)
	PATH=$work/bin:$PATH FAKE_KVM=$fake VM_ACCEL=$accel \
		VM_ACCEL_CACHE=$work/cache VM_ACCEL_USED=$work/accel-used \
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
kvm_starts() { [ "$(wc -l < "$work/kvm-starts" 2>/dev/null || echo 0)" -eq "$1" ]; }

echo "TAP version 13"
echo "1..12"

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
	grep -q '^tcg (auto: kvm: qemu stopped' "$work/accel-used"

vm auto_again auto internal 'echo again'
check "auto again: the command runs" printed auto_again again
check "auto again: the cached answer, no second probe" kvm_starts 1

# An answer of another host boot is not taken.
sed -i '1s/.*/another-boot/' "$work/cache"/*
vm auto_newboot auto silent 'echo newboot'
check "auto after a host reboot: probes again, tcg" \
	eval 'printed auto_newboot newboot && kvm_starts 2'

echo "# $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
