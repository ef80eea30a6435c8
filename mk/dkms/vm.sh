#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The VM side of make dkms-check, run by mk/vm/run.sh on Debian's own
# 6.12 kernel (booted with mk/dkms/init.c's initramfs).  Prints KTAP.
#
# The VM's root is the host's / over read-only 9p.  To install packages as
# a user would, this gives it a writable overlay: lower layers the unpacked
# linux-image (its /lib/modules/KVER and /boot) and /, upper a tmpfs, and
# runs the rest chrooted there (--inner).  Nothing reaches the host but
# the results under build/.
#
# Environment: DKMS_DIR (mk/dkms/prepare.sh's directory), DEB_DIR (make
# deb's), SELFTEST_OUT (make selftest-build's), DKMS_SELFTESTS, and for
# the e2e part DKMS_E2E_WITH / DKMS_E2E_WITHOUT (modes, may be empty),
# E2E_CMD (a command taking --vhost X --vnet-hash Y --log FILE).
set -u

kver=$(cat "$DKMS_DIR/kver")

if [ "${1:-}" != --inner ]; then
	set -e
	o=/tmp/dkms-root
	mkdir -p $o/upper $o/work $o/merged
	mount -t overlay overlay -o \
		"lowerdir=$DKMS_DIR/image:/,upperdir=$o/upper,workdir=$o/work" \
		$o/merged
	for m in /proc /sys /dev /run; do
		mount --rbind $m $o/merged$m
	done
	mount -t tmpfs -o mode=1777 tmpfs $o/merged/tmp
	# the host's build/, writable (mk/vm/init.sh mounted it)
	b=$(cd "$DKMS_DIR/.." && pwd)
	mount --bind "$b" "$o/merged$b"
	# the kernel's own module requests (request_module) run modprobe in
	# the VM's real root: send them into the overlay, where the modules are
	printf '#!/bin/sh\nexec chroot %s /sbin/modprobe "$@"\n' $o/merged \
		> $o/modprobe
	chmod +x $o/modprobe
	echo $o/modprobe > /proc/sys/kernel/modprobe
	set +e
	exec chroot $o/merged /bin/bash "$0" --inner
fi

cd /
n=0 rc=0
ok() { n=$((n + 1)); echo "ok $n $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n $*"; rc=1; }
check() { # NAME COMMAND...: ok when COMMAND succeeds; its output on failure
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$name"
	else
		not_ok "$name"
		echo "$out" | tail -n 30 | sed 's/^/# /'
	fi
}
modules=(toeplitz tun_vnet_hash tun tap macvtap ipvtap vhost_net)
replaced=(tun tap macvtap ipvtap vhost_net)
dkms_dir=/lib/modules/$kver/updates/dkms

echo "KTAP version 1"
echo "# dkms-check on $(uname -r)"
[ "$(uname -r)" = "$kver" ] || { echo "not ok 1 running $kver"; exit 1; }

# Quicker dpkg: no man-db index, no sync per file (tmpfs anyway).
rm -f /var/lib/man-db/auto-update
echo force-unsafe-io > /etc/dpkg/dpkg.cfg.d/dkms-check

# As a user would: apt install linux-headers-$(uname -r) (here unpacked
# in the lower layer, like the image: see mk/dkms/prepare.sh), then
# apt install ./tun-vnet-hash-dkms_*.deb, which pulls in dkms.
debs=$DKMS_DIR/debs
[ -d "/lib/modules/$kver/build/include" ] ||
	echo "# no linux-headers-$kver under /lib/modules/$kver/build"
t0=$(date +%s)
check "install dkms, tun-vnet-hash-dkms and tunrss (dkms build)" \
	dpkg -i "$debs"/dkms_*.deb "$DEB_DIR"/tun-vnet-hash-dkms_*_all.deb \
	"$DEB_DIR"/tunrss_*.deb
echo "# dkms build and install: $(($(date +%s) - t0)) s"
st=$(dkms status -k "$kver" 2>&1)
echo "$st" | sed 's/^/# dkms status: /'
if grep -q "^tun-vnet-hash/.*, $kver, .*: installed" <<< "$st" &&
   ! grep -q WARNING <<< "$st"; then
	ok "dkms status: installed"
else
	not_ok "dkms status: installed"
fi
for m in "${modules[@]}"; do
	f=$(modinfo -n "$m" 2>&1)
	case "$f" in
	"$dkms_dir"/*) ok "modinfo $m: $f" ;;
	*) not_ok "modinfo $m: $f (not under $dkms_dir)" ;;
	esac
done
check "modprobe ${replaced[*]}" modprobe -a "${replaced[@]}"
for m in "${modules[@]}"; do
	src=$(cat /sys/module/$m/srcversion 2>/dev/null)
	want=$(modinfo -F srcversion "$m" 2>/dev/null)
	if [ -d /sys/module/$m ] && [ "$src" = "$want" ]; then
		ok "loaded $m is the DKMS one (srcversion '$src')"
	else
		not_ok "loaded $m is the DKMS one (srcversion '$src', DKMS '$want')"
	fi
done
check "tunrss caps" tunrss caps

# The kselftests, on the DKMS modules.
echo "# selftests: ${DKMS_SELFTESTS}"
(
	cd "$SELFTEST_OUT" || exit 1
	unset TUN_VNET_HASH_FUZZ_LONG
	for t in $DKMS_SELFTESTS; do
		echo "# selftests: net: $t"
		if [ ! -x "./$t" ]; then
			echo "not ok 1 selftests: net: $t # not built"
			continue
		fi
		out=$("./$t" 2>&1)
		st=$?
		echo "$out" | sed 's/^/    /'
		# a failure that left no "not ok" (a crash) still counts
		if [ $st -ne 0 ] && ! grep -qE '^\s*not ok ' <<< "$out"; then
			echo "not ok 1 selftests: net: $t # exit status $st"
		fi
	done
)

e2e() { # WHAT MODE
	local what=$1 m=$2 vhost vh log
	vhost=${m#vhost=}; vhost=${vhost%%,*}
	vh=${m#*vnet-hash=}
	log=$DKMS_DIR/e2e-$what-$vhost-$vh.log
	echo "# e2e $what the package: $m"
	# shellcheck disable=SC2086
	if $E2E_CMD --vhost "$vhost" --vnet-hash "$vh" --log "$log" 2>&1 |
		sed 's/^/    /'; then
		ok "e2e $m on $kver $what the package"
	else
		not_ok "e2e $m on $kver $what the package"
	fi
}
for m in ${DKMS_E2E_WITH:-}; do
	e2e with "$m"
done

# Remove the package: the stock modules come back.
check "unload the DKMS modules" \
	modprobe -r -a vhost_net ipvtap macvtap tap tun tun_vnet_hash toeplitz
check "remove tun-vnet-hash-dkms" dpkg -r tun-vnet-hash-dkms
st=$(dkms status 2>&1)
if grep -q tun-vnet-hash <<< "$st"; then
	not_ok "dkms status: tun-vnet-hash gone ($st)"
else
	ok "dkms status: tun-vnet-hash gone"
fi
for m in "${replaced[@]}"; do
	f=$(modinfo -n "$m" 2>&1)
	case "$f" in
	/lib/modules/$kver/kernel/*) ok "modinfo $m: stock $f" ;;
	*) not_ok "modinfo $m: $f (not the stock module)" ;;
	esac
done
for m in toeplitz tun_vnet_hash; do
	if f=$(modinfo -n "$m" 2>/dev/null); then
		not_ok "$m gone (still $f)"
	else
		ok "$m gone"
	fi
done
check "modprobe stock ${replaced[*]}" modprobe -a "${replaced[@]}"
out=$(tunrss caps 2>&1)
st=$?
echo "$out" | sed 's/^/# tunrss caps: /'
if [ $st -ne 0 ] && grep -q 'kernel without virtio_net hashing' <<< "$out"; then
	ok "TUNGETVNETHASHCAP fails on the stock tun (ENOTTY/EINVAL)"
else
	not_ok "TUNGETVNETHASHCAP fails on the stock tun (ENOTTY/EINVAL)"
fi

for m in ${DKMS_E2E_WITHOUT:-}; do
	e2e without "$m"
done

echo "# dkms-check: $n checks"
exit $rc
