#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""One table for `make bench`: the KUnit figures of bench-kunit (UML) and
the pktgen figures of bench-vm, with their ratios and the targets of the
benchmark issue.

usage: bench-report.py BENCH_DIR      (prints the table)
"""

import json
import os
import platform
import re
import sys
import time

d = sys.argv[1]
out = []
p = out.append


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def read(name):
    with open(os.path.join(d, name)) as f:
        return f.read()


targets = []


def target(ok, text):
    targets.append(("met   " if ok else "MISSED") + "  " + text)


p("make bench, %s" % time.strftime("%Y-%m-%d %H:%M %Z"))
p("machine: %d CPUs, %s; host kernel %s" %
  (os.cpu_count(), cpu_model(), platform.release()))
p("")

# 1. Toeplitz, KUnit on UML.
algos = {}
for line in read("toeplitz.txt").splitlines():
    m = re.match(r"\s*(\d+)-byte input: (.*?)\s+([\d.]+) ns/hash", line)
    if m:
        algos.setdefault(m.group(2), {})[int(m.group(1))] = float(m.group(3))
ref = "bit-serial reference"
fast = "nibble tables (toeplitz_hash)"
setbit = "set-bit loop (rte_softrss_be)"
p("1. Toeplitz hash, ns per hash (KUnit on UML, native speed, best of 5)")
p("   %-32s %9s %9s %11s %11s" %
  ("algorithm", "12 B", "36 B", "ref/this 12", "ref/this 36"))
for name, v in algos.items():
    p("   %-32s %9.2f %9.2f %10.1fx %10.1fx" %
      (name, v[12], v[36], algos[ref][12] / v[12], algos[ref][36] / v[36]))
p("")
for n, want in ((12, 20), (36, 15)):
    r = algos[ref][n] / algos[fast][n]
    target(r >= want, "fast Toeplitz %.1fx bit-serial on %d bytes (target %dx)"
           % (r, n, want))
for n in (12, 36):
    r = algos[setbit][n] / algos[fast][n]
    target(r > 1, "fast Toeplitz %.2fx the set-bit loop on %d bytes (target > 1x)"
           % (r, n))

# 2. Classification plus queue choice, KUnit on UML.
cls = {}
header = ""
for line in read("classify.txt").splitlines():
    m = re.match(r"\s*(\S+)\s+(\S+)\s+([\d.]+) ns/pkt", line)
    if m:
        cls.setdefault(m.group(1), {})[m.group(2)] = float(m.group(3))
    elif "flows per shape" in line:
        header = line.strip()
p("2. Classification + queue choice, ns per packet (KUnit on UML, best of 5)")
p("   " + header)
p("   %-16s %8s %11s %11s %8s %13s %19s" %
  ("packet", "rss", "rss+report", "rss+tunnel", "automq", "automq/rss",
   "automq/rss+report"))
for shape, v in cls.items():
    p("   %-16s %8.2f %11.2f %11.2f %8.2f %12.2fx %18.2fx" %
      (shape, v["rss"], v["rss+report"], v["rss+tunnel"], v["automq"],
       v["automq"] / v["rss"], v["automq"] / v["rss+report"]))
    if shape != "vxlan_ipv4_tcp":
        target(v["rss"] <= v["automq"],
               "RSS queue choice %.2fx automq speed on %s (target >= 1x)"
               % (v["automq"] / v["rss"], shape))
p("   rss+report: the queue choice plus the hash computed again for the "
  "report, as tun.c does")
p("   rss+tunnel: the queue choice with all nine tunnel types enabled; "
  "rss has none,")
p("   so vxlan_ipv4_tcp is hashed on its outer header under rss and on its "
  "inner one")
p("   under rss+tunnel, and the other rows show what enabling tunnel types "
  "costs a")
p("   packet that is not encapsulated")
p("")

# 3. pktgen in the VM.
try:
    vm = json.loads(read("vm.json"))
except (OSError, ValueError):
    vm = None
if vm:
    med, lo, hi = vm["median"], vm["min"], vm["max"]
    try:
        accel = read("vm-accel").strip().upper() or "TCG"
    except OSError:
        accel = "TCG"
    p("3. pktgen queue_xmit into an %d-queue tap, packets per second "
      "(VM: qemu %s, %d CPU(s) online, kernel %s)" %
      (vm["queues"], accel, vm["nproc"], vm["kernel"]))
    p("   %d rounds x %d modes interleaved (order rotated each round), "
      "%d packets per measure," % (vm["rounds"], len(med), vm["count"]))
    p("   in pktgen runs of 30000; 1024 source addresses x 8 source ports, "
      "no qdisc, rings emptied between runs; median and min-max")
    p("   %-12s %10s %21s %10s %8s" %
      ("mode", "median", "min-max", "/automq", "spread"))
    for m in med:
        p("   %-12s %10d %10d-%-10d %9.3fx %7.1f%%" %
          (m, med[m], lo[m], hi[m], med[m] / med["automq"],
           100.0 * (hi[m] - lo[m]) / med[m]))
    p("")
    r = med["rss_report"] / med["automq"]
    target(r >= 0.95, "RSS + report %.3fx automq packets per second "
           "(target >= 0.95x)" % r)
    r = med["rss_report"] / med["ebpf"]
    target(r > 1, "RSS + report %.3fx the eBPF RSS program "
           "(target > 1x)" % r)
else:
    p("3. pktgen: no figures (%s/vm.json missing)" % d)
    p("")

# 4. Kernel instructions per packet, counted by a TCG plugin.
runs = []
for name in ("insn1.json", "insn2.json"):
    try:
        runs.append(json.loads(read(name)))
    except (OSError, ValueError):
        pass
if runs:
    pp = runs[0]["per_packet"]
    modes = [m for m in ("single", "automq", "rss", "rss_report", "report",
                         "ebpf", "rss_tunnel") if m in pp["tcp4"]]
    p("4. Kernel instructions per packet into an %d-queue tap (exact: "
      "qemu TCG plugin, -icount, 1 vCPU)" % runs[0]["queues"])
    p("   AF_PACKET -> dev_queue_xmit (no qdisc) -> tun, %d flows per "
      "shape, all nine hash types;" % runs[0]["flows"])
    r0 = runs[0]
    p("   per mode and shape: (window of %d frames - window of %d frames) "
      "/ %d, least of %d rounds" %
      (r0["long"], r0["short"], r0["long"] - r0["short"], r0["rounds"]))
    p("   %-14s" % "shape" + "".join("%11s" % m for m in modes))
    for kind, v in pp.items():
        p("   %-14s" % kind + "".join("%11.1f" % v[m] for m in modes))
    p("   over single (what the queue choice and the report add):")
    for kind, v in pp.items():
        p("   %-14s" % kind +
          "".join("%+11.1f" % (v[m] - v["single"]) for m in modes))
    p("   ebpf is QEMU's own RSS program (tools/ebpf/rss.bpf.c of QEMU "
      "7.2, bit-serial Toeplitz),")
    p("   given the key, table and hash types of rss; both hash vxlan-tcp4 "
      "on its outer header")
    agrees = runs[0].get("ebpf_agrees", {})
    if agrees:
        p("   flows ebpf steers to the queue rss chooses: " +
          ", ".join("%s %d/%d" % (k, a[0], a[1]) for k, a in agrees.items()))
    if "rss_tunnel" in modes:
        p("   rss_tunnel: rss with all nine tunnel types; vxlan-tcp4 (tcp4 "
          "flows in VXLAN) is hashed")
        p("   on its outer header by rss, on its inner flow by rss_tunnel")
    if len(runs) == 2:
        dev = max(abs(runs[1]["per_packet"][k][m] - pp[k][m]) / pp[k][m]
                  for k in pp for m in modes)
        p("   second run (another boot): largest difference %.2f%%" %
          (100 * dev))
        for kind, v in runs[1]["per_packet"].items():
            p("   %-14s" % kind + "".join("%11.1f" % v[m] for m in modes))
    p("")
    for kind, v in pp.items():
        if kind.startswith("vxlan"):
            continue	# an outer hash under rss: not the same work
        r = v["rss_report"] / v["rss"]
        target(r <= 1.05, "RSS + report %.3fx the instructions of RSS on "
               "%s (target <= 1.05x)" % (r, kind))
        target(v["rss"] < v["automq"] and v["rss_report"] < v["automq"],
               "RSS %.3fx and RSS + report %.3fx automq's instructions on "
               "%s (target < 1x)" % (v["rss"] / v["automq"],
                                     v["rss_report"] / v["automq"], kind))
    for kind, v in pp.items():
        if kind.startswith("vxlan"):
            continue
        r = (v["ebpf"] - v["single"]) / (v["rss_report"] - v["single"])
        target(r >= 2, "QEMU's eBPF RSS program adds %.2fx what RSS + "
               "report adds over single on %s (target >= 2x)" % (r, kind))
    for kind, a in agrees.items():
        target(a[0] == a[1], "QEMU's eBPF RSS program steers %d of %d %s "
               "flows to the queue of rss (target all)" % (a[0], a[1], kind))
    if len(runs) == 2:
        target(dev <= 0.01, "two runs (two boots) agree within %.2f%% "
               "(target 1%%)" % (100 * dev))
else:
    p("4. instructions per packet: no figures (%s/insn1.json missing)" % d)
    p("")

p("Targets (ratios from this run):")
for t in targets:
    p("   " + t)
print("\n".join(out))
