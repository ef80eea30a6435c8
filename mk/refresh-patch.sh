#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Regenerate the diff of FILEs in patches/NAME from the assembled tree:
# the diff of each FILE between the pristine base and build/linux, under
# the patch's existing description (everything before its first
# "diff --git" line).  The diffs of files not named are kept as they are,
# so a file that several patches edit (MAINTAINERS) keeps hand-made hunks.
#
#   mk/refresh-patch.sh NAME FILE...
#
# Workflow: edit build/linux/FILE (write a new file and rename it over the
# old one), run this, commit patches/NAME.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
base=${BASE:-$repo/build/linux-source-6.12}
tree=${TREE:-$repo/build/linux}
name=$1
shift
out=$repo/patches/$name

for f in "$@"; do
	[ -f "$base/$f" ] || {
		echo "refresh-patch: $f is not an upstream file" >&2
		exit 1
	}
done

python3 - "$out" "$name" "$base" "$tree" "$@" <<'PY'
import os, re, subprocess, sys
out, name, base, tree, files = sys.argv[1], sys.argv[2], sys.argv[3], \
	sys.argv[4], sys.argv[5:]
text = open(out).read() if os.path.exists(out) else \
	'Subject: [PATCH] %s\n\n---\n' % name
head, sep, diffs = text.partition('\ndiff --git ')
head += '\n' if sep else ''
blocks = {}
order = []
if sep:
	for block in re.split(r'(?m)^(?=diff --git )', 'diff --git ' + diffs):
		if not block:
			continue
		path = block.split()[2][2:]
		blocks[path] = block
		order.append(path)
for f in files:
	d = subprocess.run(['diff', '-u', '--label', 'a/' + f, '--label',
			    'b/' + f, os.path.join(base, f),
			    os.path.join(tree, f)],
			   capture_output=True, text=True).stdout
	if f not in order:
		order.append(f)
	blocks[f] = 'diff --git a/%s b/%s\n%s' % (f, f, d) if d else ''
with open(out + '.new', 'w') as o:
	o.write(head + ''.join(blocks[p] for p in order))
os.rename(out + '.new', out)
PY
grep -qx "$name" "$repo/patches/series" 2>/dev/null ||
	echo "$name" >> "$repo/patches/series"
