#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# The table of `make bench-carry`: instructions and ns per packet with RSS
# and report, the hash computed again in ndo_start_xmit (rehash, the
# series) against the hash carried from ndo_select_queue in an skb
# extension (carry, mk/bench/carry.patch), side by side, with the
# difference.
#
#   carry-table.py CARRY_DIR COMMIT
#
# CARRY_DIR holds carry0/ and carry1/ (bench-insn on the variant kernel
# booted with tun.vnet_hash_carry=0 and =1), normal/ when bench-insn ran on
# the normal kernel too (insn1.json and insn2.json: two boots each), and
# kunit/classify.txt (bench-kunit on the variant tree: rss+report and
# rss+carry of the same run).

import datetime
import json
import os
import re
import sys

# bench-insn's shapes, and the KUnit shape of each
SHAPES = [("tcp4", "ipv4_tcp"), ("tcp6", "ipv6_tcp"),
          ("tcp6-hao-rh2", "ipv6_rh2_hao_tcp"),
          ("vxlan-tcp4", "vxlan_ipv4_tcp")]


def insn(d, kernel):
    runs = []
    for run in (1, 2):
        path = os.path.join(d, kernel, "insn%d.json" % run)
        if not os.path.exists(path):
            return None
        runs.append(json.load(open(path))["per_packet"])
    return runs


def kunit(d):
    ns = {}
    path = os.path.join(d, "kunit", "classify.txt")
    if not os.path.exists(path):
        return ns
    for line in open(path):
        m = re.match(r"\s*(\S+)\s+(\S+)\s+([0-9.]+) ns/pkt", line)
        if m:
            ns[(m.group(1), m.group(2))] = float(m.group(3))
    return ns


def diff(a, b, prec):
    return "%+9.*f %+6.1f%%" % (prec, b - a, 100.0 * (b - a) / a)


def spread(runs):
    """Largest difference between the two boots, every mode and shape."""
    worst = 0.0
    for shape in runs[0]:
        for mode, x in runs[0][shape].items():
            worst = max(worst, abs(runs[1][shape][mode] - x) / x)
    return 100 * worst


def print_insn(d):
    rehash, carry, normal = (insn(d, k) for k in ("carry0", "carry1",
                                                   "normal"))
    if not rehash or not carry:
        print("1. (no instruction counts: make bench-carry-insn)")
        return
    print("1. Kernel instructions per packet into an 8-queue tap, mode "
          "rss_report (bench-insn: exact,")
    print("   qemu TCG plugin, -icount, 1 vCPU; least of 10 rounds); one "
          "variant kernel booted with")
    print("   tun.vnet_hash_carry=0 (rehash) and =1 (carry)")
    print("   %-14s %9s %9s %16s %9s   %s" %
          ("shape", "rehash", "carry", "carry - rehash", "normal",
           "rss alone (rehash / carry boot)"))
    for shape, _ in SHAPES:
        a = rehash[0][shape]["rss_report"]
        b = carry[0][shape]["rss_report"]
        n = "%9.1f" % normal[0][shape]["rss_report"] if normal else \
            "%9s" % "-"
        print("   %-14s %9.1f %9.1f %16s %s   %.1f / %.1f" %
              (shape, a, b, diff(a, b, 1), n, rehash[0][shape]["rss"],
               carry[0][shape]["rss"]))
    print("   normal: rss_report on the kernel of the series (no skb "
          "extensions), '-' when not run")
    print("   second boot, largest difference (every mode and shape): "
          "rehash %.2f%%, carry %.2f%%%s" %
          (spread(rehash), spread(carry),
           ", normal %.2f%%" % spread(normal) if normal else ""))


def print_kunit(d):
    ns = kunit(d)
    if not ns:
        print("2. (no KUnit figures: make bench-carry-kunit)")
        return
    print("2. ns per packet, queue choice plus report (KUnit on UML, "
          "native; best of 5 passes over")
    print("   256 flows; rss+report (rehash) and rss+carry of the same run)")
    print("   %-14s %9s %9s %16s   %s" %
          ("shape", "rehash", "carry", "carry - rehash", "rss alone"))
    for shape, name in SHAPES:
        a = ns.get((name, "rss+report"))
        b = ns.get((name, "rss+carry"))
        if a is None or b is None:
            print("   %-14s (no figure)" % shape)
            continue
        print("   %-14s %9.2f %9.2f %16s   %.2f" %
              (shape, a, b, diff(a, b, 2), ns.get((name, "rss"), 0.0)))


def main():
    d, commit = sys.argv[1], sys.argv[2]
    now = datetime.datetime.now(datetime.timezone.utc)
    print("make bench-carry, %s, commit %s" %
          (now.strftime("%Y-%m-%d %H:%M UTC"), commit))
    print("RSS + report: the hash computed again in ndo_start_xmit (rehash, "
          "the series) against")
    print("the hash carried from ndo_select_queue in an skb extension "
          "(carry, mk/bench/carry.patch)")
    print()
    print_insn(d)
    print()
    print_kunit(d)


if __name__ == "__main__":
    main()
