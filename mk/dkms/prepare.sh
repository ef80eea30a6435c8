#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch and unpack Debian's newest 6.12 amd64 kernel image and what its
# headers need, and build the initramfs that boots it in the test VM.
# Everything stays under DIR; the system's packages are not changed.
#
# usage: prepare.sh DIR INIT_C
#   DIR/debs/     the .debs, kept between runs (apt-get download)
#   DIR/image/    the unpacked linux-image (its modules but for those of
#                 no use in the VM), linux-headers (and -common) and
#                 linux-kbuild, with modules.dep (depmod -b): the VM's
#                 top read-only layer, as if they were installed
#   DIR/initrd    a cpio of INIT_C (static) and the modules to mount the
#                 9p root and overlay
#   DIR/kver      the kernel release, e.g. 6.12.118+deb12-amd64
# Prints the kernel release.
set -eu -o pipefail

dir=$1 init_c=$2
mkdir -p "$dir/debs"

# The newest 6.12 build the archive has.
img=$(apt-cache pkgnames linux-image-6.12. |
	grep -E '^linux-image-6\.12\.[0-9]+\+deb[0-9]+-amd64-unsigned$' |
	sort -V | tail -n 1)
[ -n "$img" ] || { echo "dkms-check: no linux-image-6.12.*-amd64-unsigned in the archive (apt-get update?)" >&2; exit 1; }
kver=${img#linux-image-}
kver=${kver%-unsigned}
abi=${kver%-amd64}

# The image, its headers (unpacked, not installed: dpkg -i of the image
# would build an initramfs, and of the headers' 30000 files takes many
# minutes under TCG), and dkms, which the VM installs as a user would.
want="$img linux-headers-$kver linux-headers-$abi-common linux-kbuild-$abi dkms"
(
	cd "$dir/debs"
	for p in $want; do
		ls "${p}"_*.deb >/dev/null 2>&1 && continue
		echo "  APTGET  $p" >&2
		apt-get download -q "$p" >/dev/null 2>&1 ||
			{ apt-get update -q >/dev/null && apt-get download -q "$p" >/dev/null; }
	done
)

if [ ! -f "$dir/image/.done-$kver-pruned" ]; then
	echo "  UNPACK  $img, linux-headers-$kver" >&2
	rm -rf "$dir/image"
	for p in "$img" "linux-headers-$kver" "linux-headers-$abi-common" \
		 "linux-kbuild-$abi"; do
		dpkg-deb -x "$dir/debs/${p}"_*.deb "$dir/image"
	done
	# On a merged-/usr host /lib is a symlink; the image's lib/ must be the
	# same symlink, or as the VM's top overlay layer it would hide the
	# host's /lib.
	if [ -L /lib ] && [ -d "$dir/image/lib" ] && [ ! -L "$dir/image/lib" ]; then
		mkdir -p "$dir/image/usr/lib"
		mv "$dir/image/lib/"* "$dir/image/usr/lib/"
		rmdir "$dir/image/lib"
		ln -s "$(readlink /lib)" "$dir/image/lib"
	fi
	# The VM needs the kernel's networking, filesystems and virtio, not
	# its 4000 modules: they would make every depmod (dkms install and
	# remove run it) take minutes under TCG.  The rest is left out.
	mods=$dir/image/usr/lib/modules/$kver/kernel
	find "$mods" -mindepth 1 -maxdepth 1 -type d \
		-not -name arch -not -name crypto -not -name fs \
		-not -name lib -not -name net -not -name drivers \
		-not -name virt -exec rm -rf {} +
	find "$mods/drivers" -mindepth 1 -maxdepth 1 -type d \
		-not -name block -not -name char -not -name net \
		-not -name vhost -not -name virtio -exec rm -rf {} +
	for d in drivers/net/wireless drivers/net/ethernet drivers/net/usb \
		 drivers/net/can drivers/net/ieee802154 drivers/net/wwan \
		 drivers/net/hamradio drivers/net/arcnet drivers/net/fddi \
		 net/netfilter net/ipv4/netfilter net/ipv6/netfilter \
		 net/bridge/netfilter net/bluetooth net/mac80211 net/wireless \
		 net/nfc net/can net/ieee802154; do
		rm -rf "${mods:?}/$d"
	done
	depmod -b "$dir/image" "$kver"
	touch "$dir/image/.done-$kver-pruned"
fi

if [ ! -f "$dir/initrd" ] || [ "$init_c" -nt "$dir/initrd" ] ||
   [ "$dir/image/.done-$kver-pruned" -nt "$dir/initrd" ]; then
	echo "  INITRD  $dir/initrd" >&2
	root=$dir/initrd.d
	rm -rf "$root" && mkdir -p "$root/m"
	gcc -static -O2 -Wall -Wextra -Werror -o "$root/init" "$init_c"
	modprobe -a -d "$dir/image" -S "$kver" --show-depends \
		netfs 9pnet 9pnet_virtio 9p overlay |
		awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++' |
		while read -r m; do
			cp "$m" "$root/m/"
			echo "/m/$(basename "$m")" >> "$root/modules"
		done
	(cd "$root" && find . | cpio -o -H newc --quiet) > "$dir/initrd.tmp"
	mv "$dir/initrd.tmp" "$dir/initrd"
fi
echo "$kver" > "$dir/kver"
echo "$kver"
