#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Turn patches/series and the repository's new files into an LKML-ready
# `git format-patch` series with a cover letter.
#
#   patches.sh REPO BASE OUT
#
# Each patches/*.patch holds the commit message (From:, Subject:, body,
# Signed-off-by:), optional "New-file: PATH" lines naming the new files the
# commit adds, then the diff of the upstream files it edits.  Every new
# file of the repository must belong to exactly one patch.  The commits are
# made in a scratch repository holding only the files the series touches;
# blob ids depend on content alone, so the series applies with `git am` on
# a full tree.
set -eu
repo=$1 base=$2 out=$3
work=$(dirname "$out")/series-git
overlay_dirs="Documentation drivers include lib tools"

series=()
while read -r p _; do
	case "$p" in ''|\#*) continue ;; esac
	series+=("$p")
done < "$repo/patches/series"

new_files() {
	sed -n 's/^New-file: *//p' "$repo/patches/$1"
}

# Every new file is claimed by one patch, and every claimed file exists.
claimed=$(for p in "${series[@]}"; do new_files "$p"; done | sort)
# patches/not-sent lists the prefixes of project tooling kept out of it.
not_sent=$(sed '/^#/d; /^$/d' "$repo/patches/not-sent" 2>/dev/null || true)
present=$(cd "$repo" && for d in $overlay_dirs; do
	[ -d "$d" ] && find "$d" -type f; done | sort |
	while read -r f; do
		for prefix in $not_sent; do
			case "$f" in "$prefix"*) continue 2 ;; esac
		done
		echo "$f"
	done)
if [ "$claimed" != "$present" ]; then
	echo "patches: new files and New-file: lines differ:" >&2
	diff <(echo "$claimed") <(echo "$present") >&2 || true
	exit 1
fi
dups=$(echo "$claimed" | uniq -d)
[ -z "$dups" ] || { echo "patches: claimed twice: $dups" >&2; exit 1; }

rm -rf "$work" "$out"
mkdir -p "$work" "$out"
git -C "$work" init -q
git -C "$work" config user.name "base"
git -C "$work" config user.email "base@localhost"
git -C "$work" config core.autocrlf false

# The base: the pristine versions of the upstream files the series edits.
for p in "${series[@]}"; do
	sed -n 's|^diff --git a/\([^ ]*\) b/.*|\1|p' "$repo/patches/$p"
done | sort -u | while read -r f; do
	mkdir -p "$work/$(dirname "$f")"
	cp "$base/$f" "$work/$f"
done
git -C "$work" add -A -f
git -C "$work" commit -q -m "base: linux-source-6.12 (files touched by the series)"

for p in "${series[@]}"; do
	file=$repo/patches/$p
	if grep -q '^diff --git ' "$file"; then
		sed -n '/^diff --git /,$p' "$file" |
			git -C "$work" apply --whitespace=nowarn - ||
			{ echo "patches: $p does not apply" >&2; exit 1; }
	fi
	for f in $(new_files "$p"); do
		mkdir -p "$work/$(dirname "$f")"
		cp "$repo/$f" "$work/$f"
	done
	author=$(sed -n 's/^From: *//p' "$file" | head -n 1)
	# Subject without "[PATCH] ", then the body up to the "---" line,
	# without the mail headers and New-file: lines.
	{
		sed -n 's/^Subject: *\(\[PATCH[^]]*\] *\)\{0,1\}//p' "$file" |
			head -n 1
		echo
		sed -n '/^Subject:/,/^---$/p' "$file" | sed '1d;$d' |
			grep -v '^New-file:' | sed '/./,$!d'
	} > "$work.msg"
	git -C "$work" add -A -f
	git -C "$work" -c user.name="${author% <*}" \
		-c user.email="$(sed 's/.*<\(.*\)>.*/\1/' <<< "$author")" \
		commit -q --author="$author" -F "$work.msg"
done
rm -f "$work.msg"

# The cover letter is from the author of the series.
author=$(sed -n 's/^From: *//p' "$repo/patches/${series[0]}" | head -n 1)
git -C "$work" config user.name "${author% <*}"
git -C "$work" config user.email "$(sed 's/.*<\(.*\)>.*/\1/' <<< "$author")"
git -C "$work" format-patch -q --cover-letter --thread=shallow \
	-o "$out" HEAD~${#series[@]}..HEAD

# The series must apply with git am on the base and give the same tree.
head=$(git -C "$work" rev-parse HEAD)
git -C "$work" checkout -q -b am-check HEAD~${#series[@]}
git -C "$work" -c user.name=am -c user.email=am@localhost am -q \
	$(ls "$out"/0*.patch | grep -v /0000-cover-letter.patch) ||
	{ echo "patches: git am of the series fails" >&2; exit 1; }
if [ "$(git -C "$work" rev-parse "am-check^{tree}")" != \
     "$(git -C "$work" rev-parse "$head^{tree}")" ]; then
	echo "patches: git am of the series gives another tree" >&2
	exit 1
fi

# The cover letter's subject and blurb come from patches/cover-letter.
cover=$(ls "$out"/0000-*.patch)
if [ -f "$repo/patches/cover-letter" ]; then
	subject=$(head -n 1 "$repo/patches/cover-letter")
	python3 - "$cover" "$repo/patches/cover-letter" "$subject" <<'PY'
import sys
cover, blurb_file, subject = sys.argv[1:4]
text = open(cover).read()
blurb = open(blurb_file).read().split('\n', 1)[1].strip('\n')
text = text.replace('*** SUBJECT HERE ***', subject)
text = text.replace('*** BLURB HERE ***', blurb)
open(cover, 'w').write(text)
PY
fi
ls "$out"
