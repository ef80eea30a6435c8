#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""One table for `make bench`: the KUnit figures of bench-kunit (UML),
the pktgen figures of bench-vm, the instruction counts of bench-insn and
the native comparison of bench-native, with their ratios and the targets
of the benchmark issue.

usage: bench-report.py BENCH_DIR [DOC]

Prints the table and writes it, with the date and commit of the run, to
BENCH_DIR/figures.md; with DOC (docs/performance.md), replaces the
generated section of DOC with figures.md.
"""

import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

d = sys.argv[1]
doc = sys.argv[2] if len(sys.argv) > 2 else None
repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
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


def commit():
    git = ["git", "-C", repo]
    try:
        c = subprocess.run(git + ["rev-parse", "--short", "HEAD"],
                           capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(git + ["status", "--porcelain",
                                      "--untracked-files=no"],
                               capture_output=True, text=True).stdout
    except OSError:
        return "unknown"
    return (c or "unknown") + ("-dirty" if dirty.strip() else "")


date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
rev = commit()
p("make bench, %s, commit %s" % (date, rev))
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
# Per call and per byte, from the two lengths: which one keeps the fast
# path from the 20x target on 12 bytes.
per_byte = {a: (v[36] - v[12]) / 24 for a, v in algos.items()}
per_call = {a: v[12] - 12 * per_byte[a] for a, v in algos.items()}
p("   from the two lengths (ns per call + ns per byte):")
for name in (fast, ref):
    p("   %-32s %6.2f + %.3f/B" % (name, per_call[name], per_byte[name]))
nocall = algos[ref][12] / (12 * per_byte[fast])
if algos[ref][12] / algos[fast][12] >= 20:
    p("   on 12 bytes the fast path is 20x the reference or more")
elif per_call[fast] <= 0:
    p("   the two lengths give the fast path no positive per-call cost (a "
      "36-byte hash costs more")
    p("   than 3x a 12-byte one): here the call is not what keeps it below "
      "20x on 12 bytes")
elif nocall >= 20:
    p("   on 12 bytes the per-call cost keeps the fast path below 20x: "
      "without it, %.1fx" % nocall)
else:
    p("   on 12 bytes the per-byte cost keeps the fast path below 20x: even "
      "without its per-call")
    p("   cost it would be %.1fx the reference" % nocall)
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

# 5. Native: the kernel's RSS + report, QEMU's eBPF program and QEMU's
# userspace RSS on the same frames, on one CPU.
try:
    nat = json.loads(read("native.json"))
except (OSError, ValueError):
    nat = None
CONTENDERS = (("ours", "ours: kernel"), ("ebpf", "QEMU eBPF"),
              ("qemu", "QEMU 7.2 user"))
if nat:
    ns = nat["ns"]
    p("5. RSS queue choice (+ hash report), native ns per packet, one CPU "
      "(taskset -c %d), the same frames" % nat["cpu"])
    if "load" in nat:
        p("   load average (1 min) of the machine: %.1f before, %.1f after"
          % tuple(nat["load"]))
    p("   the KUnit benchmark's 256 frames per shape, 8 queues, "
      "128-entry table, Microsoft's key, all nine")
    t = nat["timing"]
    p("   hash types; %d runs, each running ours, eBPF, QEMU in turn; min / "
      "median / max of the runs," % nat["runs"])
    p("   ratios of medians; a run's figure is the best of %d passes of %d "
      "rounds over the frames for" % tuple(reversed(t["ours"])))
    p("   ours, of %d of %d for QEMU 7.2 user, and for eBPF each frame's "
      "least of %d test runs: more," % (t["qemu"][1], t["qemu"][0],
                                         t["ebpf"][1]))
    p("   shorter passes for the slower two, which can only lower their "
      "figures")
    p("   %-13s" % "shape" + "".join("%24s" % c[1] for c in CONTENDERS) +
      "%11s%11s" % ("eBPF/ours", "QEMU/ours"))
    med = {}
    for shape in nat["shapes"]:
        row = "   %-13s" % shape
        for c, _ in CONTENDERS:
            v = sorted(r[shape] for r in ns[c] if shape in r)
            if v:
                med[c, shape] = statistics.median(v)
                row += "%24s" % ("%.1f / %.1f / %.1f" %
                                 (v[0], med[c, shape], v[-1]))
            else:
                row += "%24s" % "-"
        for c in ("ebpf", "qemu"):
            row += ("%10.2fx" % (med[c, shape] / med["ours", shape])
                    if (c, shape) in med else "%11s" % "-")
        p(row.rstrip())
    p("   ours: tun_vnet_hash_select_queue() + tun_vnet_hash_compute(), what "
      "tun does per packet")
    p("   with RSS and report (KUnit on UML, native code; rss+report of "
      "section 2); hashes vxlan-tcp4")
    p("   on its outer header, as both QEMU contenders do (no tunnel type "
      "enabled)")
    p("   QEMU eBPF: tools/ebpf/rss.bpf.c of the fetched QEMU source, JIT on "
      "the host's kernel (%s)," % platform.release())
    p("   BPF_PROG_TEST_RUN: per frame the least wall time of the long less "
      "that of the short test")
    p("   runs, less the same for an empty program (the test-run loop); it "
      "steers only, it cannot")
    p("   report the hash")
    p("   QEMU 7.2 user: net_rx_pkt_set_protocols() + "
      "net_rx_pkt_calc_rss_hash() as compiled in build/qemu,")
    p("   linked with our equivalent of virtio_net_process_rss() (static "
      "there): queue and report")
    if nat.get("ebpf_note"):
        p("   QEMU eBPF: no figures, the host said: %s" % nat["ebpf_note"])
    if nat.get("ebpf_check"):
        p("   QEMU eBPF picks the kernel's queue: " + ", ".join(
            "%s %d/%d" % (k, a[0], a[1])
            for k, a in nat["ebpf_check"].items()))
        p("   (the empty program's loop, subtracted: " + ", ".join(
            "%s %.1f" % (k, a[2]) for k, a in nat["ebpf_check"].items()) +
          " ns)")
    if nat.get("qemu_check"):
        p("   QEMU 7.2 user gives the kernel's queue / hash / type: " +
          ", ".join("%s %d/%d/%d of %d" % (k, *a)
                    for k, a in nat["qemu_check"].items()))
        p("   (QEMU reports TCPv6_EX for every IPv6 TCP packet once TCP_EX "
          "is enabled, the kernel")
        p("   TCPv6 without extension headers, as the specification asks: "
          "docs/qemu.md)")
    p("")
else:
    p("5. native: no figures (%s/native.json missing)" % d)
    p("")

p("Targets (ratios from this run):")
for t in targets:
    p("   " + t)
text = "\n".join(out)
print(text)

# figures.md: each section a block of its own, under the date and commit.
md = ["<!-- make bench, %s, commit %s: generated by mk/bench-report.py "
      "from the figures in %s -->" % (date, rev, os.path.relpath(d, repo)),
      "",
      "Report of %s at commit %s, over what the parts of `make bench` "
      "that ran left in build/bench (a part that did not run says \"no "
      "figures\"); %s." % (date, rev, out[1])]
for block in re.split(r"\n(?=\d\. |Targets)", text.split("\n\n", 1)[1]):
    title, _, body = block.strip("\n").partition("\n")
    md += ["", "#### " + title.rstrip(":")]
    if body:
        md += ["", "```", body, "```"]
md = "\n".join(md) + "\n"
with open(os.path.join(d, "figures.md"), "w") as f:
    f.write(md)

BEGIN = "<!-- BEGIN figures: make bench-report writes this section -->"
END = "<!-- END figures -->"
if doc:
    with open(doc) as f:
        old = f.read()
    a, b = old.find(BEGIN), old.find(END)
    if a < 0 or b < a:
        sys.exit("%s: no generated section (%s ... %s)" % (doc, BEGIN, END))
    new = old[:a + len(BEGIN)] + "\n" + md + old[b:]
    if new != old:
        with open(doc + ".new", "w") as f:
            f.write(new)
        os.rename(doc + ".new", doc)
