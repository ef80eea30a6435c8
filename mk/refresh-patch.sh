#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Regenerate the diff of FILEs in patches/NAME from the assembled tree:
# the diff of each FILE between the pristine base, with the patches of the
# series before NAME applied, and build/linux, under the patch's existing
# description (everything before its first "diff --git" line).  The diffs
# of files not named are kept as they are.  So of the patches that edit
# one file (tun.c: 0003, then 0006), the last one is refreshed from
# build/linux; an earlier one is edited by hand, then the later ones
# refreshed.
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

python3 - "$out" "$name" "$base" "$tree" "$repo/patches" "$@" <<'PY'
import os, re, shutil, subprocess, sys, tempfile
out, name, base, tree, pdir, files = sys.argv[1], sys.argv[2], \
	sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6:]

def split(text):
	"""The description, then the diff of each file, by path."""
	head, sep, diffs = text.partition('\ndiff --git ')
	head += '\n' if sep else ''
	blocks = {}
	if sep:
		for block in re.split(r'(?m)^(?=diff --git )',
				      'diff --git ' + diffs):
			if block:
				blocks[block.split()[2][2:]] = block
	return head, blocks

# A file that earlier patches of the series edit too is diffed against
# the base with those patches applied, not against the pristine base.
series = [l.strip() for l in open(os.path.join(pdir, 'series'))
	  if l.strip() and not l.startswith('#')]
earlier = series[:series.index(name)] if name in series else series
scratch = tempfile.mkdtemp()

def base_of(f):
	dst = os.path.join(scratch, f)
	os.makedirs(os.path.dirname(dst), exist_ok=True)
	shutil.copy(os.path.join(base, f), dst)
	for p in earlier:
		block = split(open(os.path.join(pdir, p)).read())[1].get(f)
		if block:
			subprocess.run(['patch', '-d', scratch, '-p1', '-s',
					'--fuzz=0', '--no-backup-if-mismatch'],
				       input=block, text=True, check=True)
	return dst

text = open(out).read() if os.path.exists(out) else \
	'Subject: [PATCH] %s\n\n---\n' % name
head, blocks = split(text)
order = list(blocks)
for f in files:
	d = subprocess.run(['diff', '-u', '--label', 'a/' + f, '--label',
			    'b/' + f, base_of(f),
			    os.path.join(tree, f)],
			   capture_output=True, text=True).stdout
	if f not in order:
		order.append(f)
	blocks[f] = 'diff --git a/%s b/%s\n%s' % (f, f, d) if d else ''
with open(out + '.new', 'w') as o:
	o.write(head + ''.join(blocks[p] for p in order))
os.rename(out + '.new', out)
shutil.rmtree(scratch)
PY
grep -qx "$name" "$repo/patches/series" 2>/dev/null ||
	echo "$name" >> "$repo/patches/series"
