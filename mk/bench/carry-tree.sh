#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The tree of `make bench-carry`: the assembled tree with a bench-only
# patch over it, in a directory of its own so that the assembled tree
# and its builds stay as the series makes them.  Unchanged files are hard
# links to the assembled tree's (the kernel build writes only to O=);
# a patched file is rewritten only when its content changes, so make
# rebuilds only what an edit touched.
#
# usage: carry-tree.sh TREE PATCH OUT
set -eu

tree=$(realpath "$1") patch=$(realpath "$2") out=$3

[ -f "$tree/Makefile" ] || { echo "carry-tree: no tree at $tree" >&2; exit 1; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/tunrss-carry.XXXXXX")
trap 'rm -rf "$stage"' EXIT

files=$(sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$patch")
excludes=()
for f in $files; do
	mkdir -p "$stage/$(dirname "$f")"
	cp "$tree/$f" "$stage/$f"
	excludes+=("--exclude=/$f")
done
if ! msg=$(patch -d "$stage" -p1 --fuzz=0 --no-backup-if-mismatch -s \
		-i "$patch" 2>&1); then
	echo "carry-tree: $patch does not apply on $tree" >&2
	echo "$msg" >&2
	exit 1
fi

mkdir -p "$out"
[ -f "$out/.tunrss-carry" ] || echo "  CARRY   $out ($tree + $patch)"
rsync -a --delete --link-dest="$tree" --exclude=/.tunrss-carry \
	"${excludes[@]}" "$tree/" "$out/"
for f in $files; do
	cmp -s "$stage/$f" "$out/$f" ||
		cp --remove-destination "$stage/$f" "$out/$f"
done
touch "$out/.tunrss-carry"
