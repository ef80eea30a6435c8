#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The steps of make dkms-check (mk/deb.mk).  Each prints KTAP results.
#
#   vm.sh build           on the host, in a mount namespace of its own
#                         (unshare -m): dkms builds the package for
#                         Debian's kernel (DKMS_BUILD=host, below)
#   vm.sh install         in the VM on Debian's 6.12 kernel: install the
#                         package as a user would, check what dkms did
#   vm.sh e2e with|without MODE...   the e2e modes on that kernel
#   vm.sh remove          remove the package, check the stock modules
#
# install, remove and build run in a root of their own, so that dpkg can
# install as a user would and nothing reaches the host: an overlay of the
# unpacked Debian packages (mk/dkms/prepare.sh; for build, only their
# headers) over the VM's read-only /, with a tmpfs on top.  The
# repository and its build/ (writable) are bound in.  The kselftests
# between install and remove run in the VM's own root (mk/selftest.mk's
# loop): they need only the loaded modules.
#
# Under TCG, dkms's build in the VM takes about 28 minutes (gcc, genksyms
# and pahole at a twentieth of native speed).  With DKMS_BUILD=host, the
# same dkms builds the same package against the same headers natively
# first (build), and `dkms mktarball` packs source and modules the way
# DKMS ships pre-built modules: placed where the package's postinst looks
# for them (/usr/share/tun-vnet-hash-dkms/tun-vnet-hash-VERSION.dkms.tar.gz,
# dh_dkms's common.postinst), `dpkg -i` loads them with `dkms ldtarball`
# and installs them instead of building.  DKMS_BUILD=vm leaves the tarball
# out: the VM builds, as on a real host.
#
# Environment: DKMS_DIR (prepare.sh's directory), DEB_DIR (make deb's),
# DKMS_BUILD (host or vm), and for e2e E2E_CMD (a command taking --vhost X
# --vnet-hash Y --log F).
set -u -o pipefail

kver=$(cat "$DKMS_DIR/kver")
root=/tmp/dkms-root
build=$(cd "$DKMS_DIR/.." && pwd)
repo=$(cd "$(dirname "$0")/../.." && pwd)
modules=(toeplitz tun_vnet_hash tun tap macvtap ipvtap vhost_net)
replaced=(tun tap macvtap ipvtap vhost_net)
dkms_dir=/lib/modules/$kver/updates/dkms
prebuilt=$DKMS_DIR/prebuilt
export DEBIAN_FRONTEND=noninteractive

# KTAP, numbered across the steps of one VM run (/dev/shm: in the VM's
# root and in the overlay alike).
nfile=/dev/shm/dkms-check.n
n=$(cat $nfile 2>/dev/null || echo 0)
rc=0
ok() { n=$((n + 1)); echo "ok $n $*"; echo $n > $nfile; }
not_ok() { n=$((n + 1)); echo "not ok $n $*"; echo $n > $nfile; rc=1; }
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

# The root install and remove run in, mounted once at $root/merged.
enter_root() { # LOWER: the layer over /
	local lower=$1
	if ! mountpoint -q $root/merged; then
		mkdir -p $root/upper $root/work $root/merged
		mount -t overlay overlay -o \
			"lowerdir=$lower:/,upperdir=$root/upper,workdir=$root/work" \
			$root/merged || return 1
		for m in /proc /sys /dev /run; do
			mount --rbind $m $root/merged$m
		done
		mount -t tmpfs -o mode=1777 tmpfs $root/merged/tmp
		# this script and the writable build/, wherever they are (a
		# clone under /tmp is under the tmpfs just mounted)
		for d in "$repo" "$build"; do
			mkdir -p "$root/merged$d"
			mount --rbind "$d" "$root/merged$d"
		done
	fi
}

# The build id of a module file, and of the loaded module.
file_build_id() {
	xz -dcf "$1" 2>/dev/null > /tmp/dkms-check.ko &&
		readelf -n /tmp/dkms-check.ko | awk '/Build ID:/ { print $3 }'
}
loaded_build_id() { # the note: namesz, descsz, type (4 bytes each), "GNU\0", id
	od -An -tx1 -v -j16 "/sys/module/$1/notes/.note.gnu.build-id" \
		2>/dev/null | tr -d ' \n'
}

inner_build() {
	local v t0
	dpkg -i --force-unsafe-io "$DKMS_DIR"/debs/dkms_*.deb >/dev/null &&
	dpkg --unpack --force-unsafe-io \
		"$DEB_DIR"/tun-vnet-hash-dkms_*_all.deb >/dev/null || return 1
	v=$(dpkg-query -W -f '${Version}' tun-vnet-hash-dkms)
	dkms add -m tun-vnet-hash -v "$v" >/dev/null || return 1
	t0=$(date +%s)
	dkms build -m tun-vnet-hash -v "$v" -k "$kver" >/dev/null || {
		tail -n 30 "/var/lib/dkms/tun-vnet-hash/$v/build/make.log"
		return 1
	}
	echo "# dkms build on the host: $(($(date +%s) - t0)) s"
	rm -rf "$prebuilt" && mkdir -p "$prebuilt"
	dkms mktarball -m tun-vnet-hash -v "$v" -k "$kver" \
		--archive "$prebuilt/tun-vnet-hash-$v.dkms.tar.gz" >/dev/null
}

inner_install() {
	local t0 st m f

	# Quicker dpkg: no man-db index, no sync per file (tmpfs anyway).
	rm -f /var/lib/man-db/auto-update
	echo force-unsafe-io > /etc/dpkg/dpkg.cfg.d/dkms-check

	# As a user would: apt install linux-headers-$(uname -r) (here
	# unpacked in the lower layer, like the image: see prepare.sh), then
	# apt install ./tun-vnet-hash-dkms_*.deb, which pulls in dkms.
	[ -d "/lib/modules/$kver/build/include" ] ||
		echo "# no linux-headers-$kver under /lib/modules/$kver/build"
	if [ "$DKMS_BUILD" = host ]; then
		echo "# modules built on the host by dkms (DKMS_BUILD=host)"
		mkdir -p /usr/share/tun-vnet-hash-dkms
		cp "$prebuilt"/*.dkms.tar.gz /usr/share/tun-vnet-hash-dkms/
	fi
	t0=$(date +%s)
	check "install dkms, tun-vnet-hash-dkms and tunrss" \
		dpkg -i "$DKMS_DIR"/debs/dkms_*.deb \
		"$DEB_DIR"/tun-vnet-hash-dkms_*_all.deb "$DEB_DIR"/tunrss_*.deb
	echo "# dpkg -i (dkms $([ "$DKMS_BUILD" = host ] && echo "ldtarball" ||
		echo build) and install): $(($(date +%s) - t0)) s"
	st=$(dkms status -k "$kver" 2>/dev/null)
	echo "$st" | sed 's/^/# dkms status: /'
	if grep -q "^tun-vnet-hash/.*, $kver, .*: installed$" <<< "$st"; then
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
		local want got
		want=$(file_build_id "$(ls "$dkms_dir/$m".ko* 2>/dev/null)")
		got=$(loaded_build_id "$m")
		if [ -n "$got" ] && [ "$got" = "$want" ]; then
			ok "loaded $m is the DKMS file (build id $got)"
		else
			not_ok "loaded $m is the DKMS file (build id '$got', file '$want')"
		fi
	done
	check "tunrss caps" tunrss caps
}

inner_remove() {
	local st m f out

	check "unload the DKMS modules" modprobe -r -a vhost_net ipvtap \
		macvtap tap tun tun_vnet_hash toeplitz
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
	if [ $st -ne 0 ] &&
	   grep -q 'kernel without virtio_net hashing' <<< "$out"; then
		ok "TUNGETVNETHASHCAP fails on the stock tun"
	else
		not_ok "TUNGETVNETHASHCAP fails on the stock tun"
	fi
}

e2e() { # with|without MODE...
	local what=$1 m vhost vh log
	shift
	for m in "$@"; do
		vhost=${m#vhost=}; vhost=${vhost%%,*}
		vh=${m#*vnet-hash=}
		log=$DKMS_DIR/e2e-$what-$vhost-$vh.log
		echo "# e2e $what the package: $m"
		# shellcheck disable=SC2086
		if $E2E_CMD --vhost "$vhost" --vnet-hash "$vh" --log "$log" \
			2>&1 | sed 's/^/    /'; then
			ok "e2e $m on $kver $what the package"
		else
			not_ok "e2e $m on $kver $what the package"
		fi
	done
}

case "${1:-}" in
--inner)
	cd /
	"inner_$2"
	exit $rc
	;;
build)
	set -e
	# A tmpfs under the overlay: its layers may not overlap the host's /.
	mkdir -p $root
	mount -t tmpfs tmpfs $root
	mkdir -p "$root/hdr/usr/lib/modules/$kver"
	cp -a "$DKMS_DIR/image/usr/src" "$root/hdr/usr/"
	cp -a "$DKMS_DIR/image/usr/lib/linux-kbuild-"* "$root/hdr/usr/lib/"
	ln -s "/usr/src/linux-headers-$kver" \
		"$root/hdr/usr/lib/modules/$kver/build"
	enter_root "$root/hdr"
	set +e
	chroot $root/merged /bin/bash "$0" --inner build
	;;
install)
	echo "KTAP version 1"
	echo "# dkms-check on $(uname -r)"
	if [ "$(uname -r)" != "$kver" ]; then
		not_ok "running $kver"
		exit 1
	fi
	enter_root "$DKMS_DIR/image" || exit 1
	# The kernel's own module requests (request_module) run modprobe in
	# the VM's root: send them into this one, where the modules are.
	printf '#!/bin/sh\nexec chroot %s /sbin/modprobe "$@"\n' \
		$root/merged > /tmp/dkms-modprobe
	chmod +x /tmp/dkms-modprobe
	echo /tmp/dkms-modprobe > /proc/sys/kernel/modprobe
	chroot $root/merged /bin/bash "$0" --inner install
	;;
remove)
	chroot $root/merged /bin/bash "$0" --inner remove
	;;
e2e)
	shift
	e2e "$@"
	exit $rc
	;;
*)
	echo "usage: $0 build|install|remove|e2e with|without MODE..." >&2
	exit 2
	;;
esac
