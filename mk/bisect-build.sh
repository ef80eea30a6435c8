#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Check that each patch of the generated series builds on its own: apply
# the patches one at a time to a copy of the base and, after each, build
# the kernel directories the series touches (lib/, drivers/net/,
# drivers/vhost/) with W=1 on UML, with every symbol of the series enabled
# once it exists, and the userspace programs a patch adds.  Prints one TAP
# line per patch.
#
# The config (make bisect-build writes it) turns on tun, tap (through
# macvtap and ipvtap) and vhost-net, the modules the series changes.
# drivers/vhost/ is built after every patch, not only after the vhost-net
# one: vhost/net.c includes the tun UAPI the series changes.  UML builds
# it (VHOST_NET only needs NET and EVENTFD), W=1 clean in the base.
#
#   bisect-build.sh BASE PATCHDIR WORKDIR CONFIG
#     CONFIG: a config fragment enabling the series' symbols
set -u
base=$(realpath "$1") patchdir=$(realpath "$2") work=$(realpath -m "$3")
config=$(realpath "$4")
tree=$work/tree out=$work/out
jobs=$(nproc)
n=0 bad=0

rm -rf "$tree"
mkdir -p "$work" "$out"
cp -a "$base" "$tree"

# The modules the series changes must survive olddefconfig: a missing
# dependency would drop one silently, and its patch would build nothing.
modules_on() {
	local m
	for m in TUN TAP MACVTAP IPVTAP VHOST_NET; do
		grep -qx "CONFIG_$m=y" "$out/.config" && continue
		echo "bisect-build: CONFIG_$m is not on in the UML build"
		return 1
	done
}

build() {
	local log=$1
	cp "$config" "$out/.config"
	{
		make -C "$tree" ARCH=um O="$out" olddefconfig &&
		modules_on &&
		make -C "$tree" ARCH=um O="$out" W=1 -j"$jobs" \
			lib/ drivers/net/ drivers/vhost/ &&
		if [ -f "$tree/tools/net/tunrss/Makefile" ]; then
			make -C "$tree" O="$work/hdr" \
				INSTALL_HDR_PATH="$out/usr" headers_install &&
			make -C "$tree/tools/net/tunrss" OUTPUT="$out/" \
				KHDR_INCLUDES="-isystem $out/usr/include"
		fi
	} > "$log" 2>&1 || return 1
	# W=1 warnings in what we wrote fail the patch.
	! grep -E 'warning:' "$log" |
		grep -qE 'toeplitz|tun|tap|tools/net|drivers/vhost'
}

for p in "$patchdir"/0*.patch; do
	case "$p" in */0000-cover-letter.patch) continue ;; esac
	n=$((n + 1))
	name=$(basename "$p")
	log=$work/$name.log
	if ! patch -d "$tree" -p1 -s --fuzz=0 < "$p" > "$log" 2>&1; then
		echo "not ok $n bisect $name: does not apply"
		bad=$((bad + 1))
		continue
	fi
	if build "$log"; then
		echo "ok $n bisect $name"
	else
		echo "not ok $n bisect $name"
		grep -E 'error|warning:' "$log" | head -n 20 | sed 's/^/# /'
		bad=$((bad + 1))
	fi
done
[ "$bad" -eq 0 ]
