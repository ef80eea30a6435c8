#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Assemble the kernel tree: pristine base, then patches/series, then the
# repository's new files.  Incremental: a file is rewritten only when its
# content changes, so make rebuilds only what an edit touched.
#
# usage: assemble.sh REPO BASE TREE
#   REPO  the repository (patches/, overlay directories)
#   BASE  a pristine kernel tree, never written to
#   TREE  the assembled tree (created as a copy of BASE, so that editing
#         it never writes through to BASE)
set -eu

repo=$1 base=$2 tree=$3
overlay_dirs="Documentation drivers include lib tools"
manifest=$tree/.tunrss-manifest

[ -f "$base/Makefile" ] || { echo "assemble: no kernel tree at $base" >&2; exit 1; }

if [ ! -f "$tree/.tunrss-base" ]; then
	echo "  ASSEMBLE $tree (copied from $base)"
	rm -rf "$tree"
	cp -a "$base" "$tree"
	: > "$manifest"
	echo "$base" > "$tree/.tunrss-base"
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/tunrss-stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# Upstream files that the series touches, copied pristine into the stage.
series=$repo/patches/series
patches=()
if [ -f "$series" ]; then
	while read -r p _; do
		case "$p" in ''|\#*) continue ;; esac
		patches+=("$p")
	done < "$series"
fi
for p in "${patches[@]}"; do
	sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p; s|^--- a/\([^[:space:]]*\).*|\1|p' \
		"$repo/patches/$p"
done | sort -u | while read -r f; do
	if [ -f "$base/$f" ]; then
		mkdir -p "$stage/$(dirname "$f")"
		cp "$base/$f" "$stage/$f"
	fi
done

for p in "${patches[@]}"; do
	# A patch may only add new files (New-file: lines) and edit nothing.
	grep -q '^--- ' "$repo/patches/$p" || continue
	if ! out=$(patch -d "$stage" -p1 --fuzz=0 --no-backup-if-mismatch \
			-s -i "$repo/patches/$p" 2>&1); then
		echo "assemble: patches/$p does not apply on $base" >&2
		echo "$out" >&2
		exit 1
	fi
done

# The repository's new files, over the patched ones.
(cd "$repo" && for d in $overlay_dirs; do
	[ -d "$d" ] && find "$d" -type f
done) | while read -r f; do
	mkdir -p "$stage/$(dirname "$f")"
	cp "$repo/$f" "$stage/$f"
done

# Install what changed; restore files a previous run installed but the
# repository no longer provides.
(cd "$stage" && find . -type f | sed 's|^\./||' | sort) > "$stage.list"
comm -23 <(sort -u "$manifest") "$stage.list" | while read -r f; do
	if [ -f "$base/$f" ]; then
		rm -f "$tree/$f"
		cp "$base/$f" "$tree/$f"
	else
		rm -f "$tree/$f"
	fi
done
rsync -rc --no-times "$stage/" "$tree/"
mv "$stage.list" "$manifest"
