#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lint the generated series and the new files, one TAP line per check:
# checkpatch --strict on every patch, kernel-doc -none on every new C file
# and on the UAPI header.
#
#   lint.sh REPO TREE PATCHDIR
set -u
repo=$1 tree=$2 patchdir=$3
n=0 bad=0

check() {
	local name=$1 out
	shift
	n=$((n + 1))
	if out=$("$@" 2>&1) && ! grep -qE 'WARNING|ERROR|CHECK|warning|error' <<< "$out"; then
		echo "ok $n $name"
	else
		echo "not ok $n $name"
		sed 's/^/# /' <<< "$out"
		bad=$((bad + 1))
	fi
}

# The assembled tree has no git history, so checkpatch can verify no
# commit id ("commit <sha> (...)", Fixes:) and would warn about every one
# (UNKNOWN_COMMIT_ID); their format is still checked (GIT_COMMIT_ID).
cd "$tree" || exit 1
for p in "$patchdir"/0*.patch; do
	case "$p" in */0000-cover-letter.patch) continue ;; esac
	check "checkpatch $(basename "$p")" \
		scripts/checkpatch.pl --strict --quiet --no-summary \
		--ignore UNKNOWN_COMMIT_ID "$p"
done

docs=$(cd "$repo" && find drivers include lib tools -type f \
	\( -name '*.c' -o -name '*.h' \) 2>/dev/null | sort)
for f in $docs include/uapi/linux/if_tun.h; do
	check "kernel-doc $f" scripts/kernel-doc -none -Wall "$f"
done

[ "$bad" -eq 0 ]
