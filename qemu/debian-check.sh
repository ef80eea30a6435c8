#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The QEMU series as Debian's own build meets it: unpack the source
# package make qemu fetched without its patches, add the series to
# debian/patches (files and series lines), and let dpkg-source apply the
# whole quilt series the way dpkg-buildpackage does (--before-build, no
# fuzz).  Then each patch must carry its DEP-3 fields and pass QEMU's
# checkpatch.pl.  Output: KTAP lines and "# qemu-debian: N passed, M failed".
#
#   qemu/debian-check.sh REPO BUILD

set -u -o pipefail

REPO=$1
BUILD=$2
SERIES=$REPO/qemu/patches
WORK=$BUILD/qemu-debian
n=0 failed=0

check() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		failed=$((failed + 1))
		echo "not ok $n - $2"
	fi
}

patches=$(sed -e 's/#.*//' -e '/^$/d' "$SERIES/series")

rm -rf "$WORK"
mkdir -p "$WORK"
dsc=$(ls "$BUILD"/qemu-dl/qemu_*.dsc 2>/dev/null | head -n 1)
rc=1
if [ -n "$dsc" ] && dpkg-source --no-copy --skip-patches -x "$dsc" \
		"$WORK/src" > "$WORK/unpack.log" 2>&1; then
	mkdir -p "$WORK/src/debian/patches/tun-vnet-hash"
	for p in $patches; do
		cp "$SERIES/$p" "$WORK/src/debian/patches/tun-vnet-hash/"
		echo "tun-vnet-hash/$p" >> "$WORK/src/debian/patches/series"
	done
	(cd "$WORK/src" && dpkg-source --before-build .) \
		> "$WORK/apply.log" 2>&1 && rc=0
	[ $rc = 0 ] || tail -n 20 "$WORK/apply.log" | sed 's/^/# /'
	# dpkg-source applies with fuzz 0 already; an offset is fine
	grep -i "fuzz" "$WORK/apply.log" | sed 's/^/# /'
else
	echo "# no source package under $BUILD/qemu-dl (make qemu-source)"
fi
check $rc "qemu-debian: debian/patches/series plus the $(echo $patches | wc -w) patches apply with dpkg-source --before-build"

for p in $patches; do
	f=$SERIES/$p
	miss=
	grep -q '^From: ' "$f" || miss="$miss From(Author)"
	grep -q '^Subject: ' "$f" || miss="$miss Subject(Description)"
	grep -q '^Forwarded: ' "$f" || miss="$miss Forwarded"
	grep -q '^Last-Update: [0-9-]*$' "$f" || miss="$miss Last-Update"
	[ -z "$miss" ] || echo "# $p lacks:$miss"
	check "$([ -z "$miss" ]; echo $?)" "qemu-debian: $p has its DEP-3 fields"
done

if [ -x "$BUILD/qemu-src/scripts/checkpatch.pl" ]; then
	out=$("$BUILD/qemu-src/scripts/checkpatch.pl" $(for p in $patches; do
		echo "$SERIES/$p"; done) 2>&1)
	bad=$(echo "$out" | grep '^total:' | grep -vc '^total: 0 errors, 0 warnings')
	[ "$bad" = 0 ] || echo "$out" | grep -E '^(ERROR|WARNING)' | sed 's/^/# /'
	check "$([ "$bad" = 0 ]; echo $?)" "qemu-debian: QEMU's checkpatch.pl is clean on every patch"
fi

rm -rf "$WORK"
echo "# qemu-debian: $((n - failed)) passed, $failed failed"
[ $failed = 0 ]
