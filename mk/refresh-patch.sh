#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Regenerate patches/NAME from the assembled tree: the diff of FILEs
# between the pristine base and build/linux, under the patch's existing
# description (everything before its first "diff --git" line).
#
#   mk/refresh-patch.sh NAME FILE...
#
# Workflow: edit build/linux/FILE, run this, commit patches/NAME.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
base=${BASE:-$repo/build/linux-source-6.12}
tree=${TREE:-$repo/build/linux}
name=$1
shift
out=$repo/patches/$name
header=$(mktemp)
trap 'rm -f "$header"' EXIT
if [ -f "$out" ]; then
	sed '/^diff --git /,$d' "$out" > "$header"
else
	printf 'Subject: [PATCH] %s\n\n---\n' "$name" > "$header"
fi
{
	cat "$header"
	for f in "$@"; do
		if [ -f "$base/$f" ]; then
			diff -u --label "a/$f" --label "b/$f" "$base/$f" "$tree/$f" |
				sed "1i diff --git a/$f b/$f" || true
		else
			echo "refresh-patch: $f is not an upstream file" >&2
			exit 1
		fi
	done
} > "$out.new"
mv "$out.new" "$out"
grep -qx "$name" "$repo/patches/series" 2>/dev/null ||
	echo "$name" >> "$repo/patches/series"
