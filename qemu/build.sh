#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch Debian's qemu source package with an apt state private to build/,
# apply the project's QEMU series and build a small qemu-system-x86_64.
#
#   qemu/build.sh REPO BUILD JOBS [source]
#
# "source" only fetches and unpacks the pristine source into BUILD/qemu-src
# (make bench builds its TCG plugin against its header).
#
# Nothing in the system's apt configuration is changed: the sources list,
# the package lists and the archive cache all live under BUILD/qemu-apt.

set -eu -o pipefail

REPO=$1
BUILD=$2
JOBS=${3:-2}

QEMU_SRC_PKG=qemu
# The source version of the qemu-system-x86 Debian 12 ships (without a
# binNMU suffix such as +b3); QEMU_VERSION overrides it.
QEMU_VERSION=${QEMU_VERSION:-$(dpkg-query -W -f='${source:Version}' \
	qemu-system-x86 2>/dev/null || true)}
APT=$BUILD/qemu-apt
SRC=$BUILD/qemu-src
OBJ=$BUILD/qemu
SERIES=$REPO/qemu/patches

# The archive the system installs Debian packages from.
archive_uri() {
	local f uri

	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		uri=$(awk '/^URIs:/ { print $2; exit }' "$f")
		case "$uri" in */debian) echo "$uri"; return;; esac
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		uri=$(awk '$1 == "deb" && $0 !~ /security/ {
			for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {
				print $i; exit } }' "$f")
		[ -n "$uri" ] && { echo "$uri"; return; }
	done
	echo http://deb.debian.org/debian
}

apt_private() {
	apt-get -q \
		-o Dir::Etc::SourceList="$APT/sources.list" \
		-o Dir::Etc::SourceParts="$APT/sources.list.d" \
		-o Dir::State::Lists="$APT/lists" \
		-o Dir::Cache="$APT/cache" \
		-o Dir::Cache::archives="$APT/cache/archives" \
		-o APT::Get::List-Cleanup=0 \
		"$@"
}

fetch() {
	local suite

	[ -f "$SRC/.unpacked" ] && return 0
	[ -n "$QEMU_VERSION" ] || {
		echo "qemu: no qemu-system-x86 installed, set QEMU_VERSION" >&2
		exit 1
	}
	suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
	mkdir -p "$APT/sources.list.d" "$APT/lists/partial" \
		"$APT/cache/archives/partial" "$BUILD/qemu-dl"
	cat > "$APT/sources.list" <<-EOT
	deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(archive_uri) $suite main
	deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(archive_uri | sed 's,/debian$,/debian-security,') $suite-security main
	EOT
	echo "  APT     update (private state in $APT)"
	apt_private update > "$APT/update.log" 2>&1 ||
		{ cat "$APT/update.log"; exit 1; }
	echo "  SOURCE  $QEMU_SRC_PKG=$QEMU_VERSION"
	(cd "$BUILD/qemu-dl" && apt_private source --download-only \
		"$QEMU_SRC_PKG=$QEMU_VERSION") > "$APT/source.log" 2>&1 ||
		{ cat "$APT/source.log"; exit 1; }
	rm -rf "$SRC"
	dpkg-source --no-copy -x "$BUILD"/qemu-dl/${QEMU_SRC_PKG}_*.dsc "$SRC" \
		> "$APT/unpack.log" 2>&1 || { cat "$APT/unpack.log"; exit 1; }
	touch "$SRC/.unpacked"
}

# Apply the series once, on a pristine copy of the Debian tree; the
# series file's checksum tells when to start again from the pristine one.
apply_series() {
	local sum p

	sum=$(cat "$SERIES/series" $(sed -e 's/#.*//' -e '/^$/d' \
		-e "s,^,$SERIES/," "$SERIES/series") | sha256sum | cut -c1-16)
	[ -f "$BUILD/qemu-tree/.series-$sum" ] && return 0
	echo "  SERIES  $SERIES"
	# rsync -c keeps the mtime of unchanged files: builds stay incremental.
	mkdir -p "$BUILD/qemu-tree"
	rsync -a -c --delete --exclude=/.series-\* "$SRC/" \
		"$BUILD/qemu-tree.new/" 2>/dev/null || {
		rm -rf "$BUILD/qemu-tree.new"
		cp -a "$SRC" "$BUILD/qemu-tree.new"
	}
	rm -f "$BUILD/qemu-tree.new"/.series-*
	for p in $(sed -e 's/#.*//' -e '/^$/d' "$SERIES/series"); do
		if ! patch -d "$BUILD/qemu-tree.new" -p1 -s -N --no-backup-if-mismatch \
			-i "$SERIES/$p" > "$APT/patch.log" 2>&1; then
			cat "$APT/patch.log" >&2
			echo "qemu: patch $p does not apply" >&2
			exit 1
		fi
	done
	# configure's device list lives in the tree: keep it across series
	cp "$REPO/qemu/x86_64-e2e.mak" \
		"$BUILD/qemu-tree.new/configs/devices/x86_64-softmmu/e2e.mak"
	rsync -a -c --delete --exclude=/.series-\* "$BUILD/qemu-tree.new/" \
		"$BUILD/qemu-tree/"
	rm -rf "$BUILD/qemu-tree.new"
	rm -f "$BUILD/qemu-tree"/.series-*
	touch "$BUILD/qemu-tree/.series-$sum"
}

configure() {
	local stamp=$OBJ/.configured want

	want=$(cat "$0" "$REPO/qemu/x86_64-e2e.mak" | sha256sum | cut -c1-16)
	[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
	mkdir -p "$OBJ"
	echo "  CONFIG  $OBJ"
	cp "$REPO/qemu/x86_64-e2e.mak" \
		"$BUILD/qemu-tree/configs/devices/x86_64-softmmu/e2e.mak"
	(cd "$OBJ" && "$BUILD/qemu-tree/configure" \
		--target-list=x86_64-softmmu \
		--without-default-features \
		--without-default-devices --with-devices-x86_64=e2e \
		--enable-kvm --enable-tcg --enable-vhost-net \
		--enable-vhost-kernel \
		--disable-werror --disable-docs --disable-debug-info \
		--disable-slirp --enable-bpf \
		--disable-install-blobs) > "$OBJ/configure.log" 2>&1 ||
		{ tail -n 40 "$OBJ/configure.log"; exit 1; }
	echo "$want" > "$stamp"
}

fetch
[ "${4:-}" != source ] || exit 0
apply_series
configure
echo "  NINJA   $OBJ"
ninja -C "$OBJ" -j "$JOBS" qemu-system-x86_64 > "$OBJ/ninja.log" 2>&1 ||
	{ tail -n 40 "$OBJ/ninja.log"; exit 1; }
echo "  QEMU    $OBJ/qemu-system-x86_64"
