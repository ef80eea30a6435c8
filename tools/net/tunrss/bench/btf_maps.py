#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Rewrite the legacy map definitions of a BPF C source into BTF maps.

usage: btf_maps.py IN.c OUT.c

QEMU 7.2's tools/ebpf/rss.bpf.c declares its maps the legacy way,

    struct bpf_map_def SEC("maps")
    NAME = {
            .type        = TYPE,
            .key_size    = sizeof(KEY),
            .value_size  = sizeof(VALUE),
            .max_entries = N,
    };

which libbpf 1.0 and later refuse.  Each such definition becomes

    struct {
        __uint(type, TYPE);
        __type(key, KEY);
        __type(value, VALUE);
        __uint(max_entries, N);
    } NAME SEC(".maps");

and nothing else in the file changes.  The script fails if the file has
a legacy map it cannot rewrite, or none at all.
"""

import re
import sys

LEGACY = re.compile(
    r'struct bpf_map_def SEC\("maps"\)\s*(\w+)\s*=\s*\{(.*?)\};', re.S)
FIELD = re.compile(r'\.(\w+)\s*=\s*([^,]+?)\s*,?\s*$')
SIZEOF = re.compile(r'sizeof\((.*)\)$')


def btf_map(m):
    name, body = m.group(1), m.group(2)
    fields = {}
    for line in body.splitlines():
        line = line.strip()
        if not line:
            continue
        f = FIELD.match(line)
        if not f:
            sys.exit("btf_maps.py: %s: cannot parse %r" % (name, line))
        fields[f.group(1)] = f.group(2)
    if sorted(fields) != ["key_size", "max_entries", "type", "value_size"]:
        sys.exit("btf_maps.py: %s: fields %s" % (name, sorted(fields)))
    types = {}
    for f in ("key_size", "value_size"):
        s = SIZEOF.match(fields[f])
        if not s:
            sys.exit("btf_maps.py: %s: %s is not a sizeof" % (name, f))
        types[f] = s.group(1)
    return ("struct {\n"
            "    __uint(type, %s);\n"
            "    __type(key, %s);\n"
            "    __type(value, %s);\n"
            "    __uint(max_entries, %s);\n"
            "} %s SEC(\".maps\");" %
            (fields["type"], types["key_size"], types["value_size"],
             fields["max_entries"], name))


def main():
    with open(sys.argv[1]) as f:
        src = f.read()
    out, n = LEGACY.subn(btf_map, src)
    if not n:
        sys.exit("btf_maps.py: %s: no legacy map" % sys.argv[1])
    if "bpf_map_def" in out:
        sys.exit("btf_maps.py: %s: a legacy map is left" % sys.argv[1])
    with open(sys.argv[2], "w") as f:
        f.write(out)


main()
