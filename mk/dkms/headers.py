#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The series changes no structure or function that a module outside the
DKMS package uses.  Prints KTAP.

usage: headers.py REPO BASE TREE MODULE...
  REPO    the repository (patches/series)
  BASE    the pristine tree
  TREE    the assembled tree
  MODULE  the package's modules as dir/name (mk/deb.mk DKMS_MODULES)

Every header the series changes or adds is classified against BASE:
 - additions only, each at file scope (new #defines, new structures, new
   declarations): nothing that is already compiled into the kernel or
   its other modules changes, so its users need not be rebuilt;
 - anything else (a line removed or changed, a member added to an
   existing structure, a new header): every in-tree file that includes it,
   directly or through another header, must belong to a module of the
   package.  One result per such file.
"""
import os
import re
import subprocess
import sys

repo, base, tree = sys.argv[1:4]
modules = {m.rsplit('/', 1)[1]: m for m in sys.argv[4:]}
SKIP = ('tools/', 'Documentation/', 'scripts/', 'usr/')

results = []


def result(ok, text):
    results.append(('ok' if ok else 'not ok', text))


def series_files():
    files = set()
    with open(os.path.join(repo, 'patches/series')) as s:
        for line in s:
            p = line.split('#', 1)[0].split()
            if not p:
                continue
            with open(os.path.join(repo, 'patches', p[0])) as f:
                for ln in f:
                    m = re.match(r'^(?:\+\+\+ b/|New-file: *)(\S+)', ln)
                    if m:
                        files.add(m.group(1))
    for d in ('include', 'drivers', 'lib'):
        for root, _, names in os.walk(os.path.join(repo, d)):
            for n in names:
                files.add(os.path.relpath(os.path.join(root, n), repo))
    return sorted(f for f in files
                  if f.endswith('.h') and not f.startswith(SKIP))


def strip_comments(text):
    return re.sub(r'/\*.*?\*/', lambda m: '\n' * m.group(0).count('\n'),
                  text, flags=re.S)


def additions_only(h):
    """None when the change only adds file-scope definitions, else why."""
    old = os.path.join(base, h)
    if not os.path.exists(old):
        return 'a new header'
    diff = subprocess.run(['diff', '--unchanged-line-format=U',
                           '--old-line-format=-', '--new-line-format=+',
                           old, os.path.join(tree, h)],
                          capture_output=True, text=True).stdout
    if '-' in diff:
        return 'lines removed or changed'
    marks = diff.replace('\n', '')
    new = strip_comments(open(os.path.join(tree, h)).read()).split('\n')
    # brace depth before each line, and whether each open block began
    # on an added line
    stack = []
    for i, line in enumerate(new):
        added = i < len(marks) and marks[i] == '+'
        code = re.sub(r'//.*', '', line)
        if added and line.strip() and stack and not stack[-1]:
            return 'line %d adds to an existing block: %s' % (
                i + 1, line.strip())
        for c in code:
            if c == '{':
                stack.append(added)
            elif c == '}' and stack:
                stack.pop()
    return None


def include_names(h):
    """The #include spellings that reach header h."""
    if h.startswith('include/uapi/'):
        rel = h[len('include/'):]
        names = ['<%s>' % rel]
        plain = h[len('include/uapi/'):]
        if not os.path.exists(os.path.join(tree, 'include', plain)):
            names.append('<%s>' % plain)
        return names
    if h.startswith('include/'):
        return ['<%s>' % h[len('include/'):]]
    return ['"%s"' % os.path.basename(h)]


_index = None


def include_index():
    """{spelling: set(files)} of every #include in the tree, one grep."""
    global _index
    if _index is None:
        _index = {}
        p = subprocess.run(['grep', '-rHoE', '--include=*.c', '--include=*.h',
                            r'^\s*#\s*include\s*[<"][^>"]+[>"]', '.'],
                           cwd=tree, capture_output=True, text=True)
        for line in p.stdout.split('\n'):
            f, _, inc = line.partition(':')
            f = os.path.normpath(f)
            if not inc or f.startswith(SKIP):
                continue
            name = re.sub(r'^\s*#\s*include\s*', '', inc)
            _index.setdefault(name, set()).add(f)
    return _index


def includers(h):
    out = set()
    for name in include_names(h):
        for f in include_index().get(name, ()):
            if name.startswith('"') and \
                    os.path.dirname(f) != os.path.dirname(h):
                continue
            out.add(f)
    return out


def module_of(c):
    """(module, CONFIG symbol) that c belongs to, from its Makefile."""
    d, obj = os.path.dirname(c), os.path.basename(c)[:-2] + '.o'
    try:
        mk = open(os.path.join(tree, d, 'Makefile')).read()
    except OSError:
        return None, None
    mk = mk.replace('\\\n', ' ')
    lines = mk.split('\n')

    def find(o):
        for line in lines:
            m = re.match(r'^\s*([\w$()-]+)\s*[:+]?=\s*(.*)$', line)
            if m and o in m.group(2).split():
                return m.group(1)
        return None
    var = find(obj)
    if var is None:
        return None, None
    cm = re.match(r'^obj-\$\(CONFIG_(\w+)\)$', var)
    if cm:
        return obj[:-2], cm.group(1)
    if var.startswith('obj-'):
        return obj[:-2], None
    cm = re.match(r'^([\w-]+?)-(y|objs|\$\(CONFIG_\w+\))$', var)
    if cm:
        mod = cm.group(1)
        top = find(mod + '.o') or ''
        sm = re.match(r'^obj-\$\(CONFIG_(\w+)\)$', top)
        return mod, sm.group(1) if sm else None
    return None, None


def series_symbols():
    syms = set()
    with open(os.path.join(repo, 'patches/series')) as s:
        for line in s:
            p = line.split('#', 1)[0].split()
            if p:
                syms.update(re.findall(r'^\+config (\w+)$',
                    open(os.path.join(repo, 'patches', p[0])).read(),
                    flags=re.M))
    return syms


changed = series_files()
queue = []
for h in changed:
    if not os.path.exists(os.path.join(tree, h)):
        continue
    why = additions_only(h)
    if why is None:
        result(True, '%s: additions at file scope only, users unchanged' % h)
    else:
        print('# %s: %s' % (h, why))
        queue.append(h)

seen = set(queue)
users = {}
while queue:
    h = queue.pop(0)
    for f in sorted(includers(h)):
        users.setdefault(f, h)
        if f.endswith('.h') and f not in seen:
            seen.add(f)
            queue.append(f)

new_syms = series_symbols()
for f in sorted(users):
    if not f.endswith('.c'):
        continue
    mod, sym = module_of(f)
    if mod in modules:
        result(True, '%s (%s) includes %s: in the package' %
               (f, mod, users[f]))
    elif sym in new_syms:
        result(True, '%s (%s) includes %s: CONFIG_%s is the series\' own, '
               'in no stock kernel' % (f, mod, users[f], sym))
    else:
        result(False, '%s (%s) includes %s: not in the package' %
               (f, mod or 'no module found', users[f]))

print('KTAP version 1')
print('1..%d' % len(results))
for i, (st, text) in enumerate(results, 1):
    print('%s %d %s' % (st, i, text))
sys.exit(0 if all(st == 'ok' for st, _ in results) else 1)
