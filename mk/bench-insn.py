#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Pair the marks of the insn_count plugin with the windows insn_bench.py
# asked for, and turn them into kernel instructions per packet:
#
#   bench-insn.py MARKS WINDOWS.json OUT.json
#
# A window is the kernel work between two marks: one sendmmsg() of the
# window's frames and the two marking system calls, plus whatever
# interrupts it now and then (a timer, an RCU callback, a work item).
# Interrupting work only ever adds instructions, and with -icount on one
# vCPU it tends to fall on the same window round after round, where a
# median would keep it.  The first round warms up (flow tables, slab
# caches) and is left out; each window size counts with its least count
# over the other rounds, the round nothing interrupted; the long window
# less the short one leaves the cost of their difference in frames, net
# of the system calls, the marks and everything else that does not grow
# with the packets.

import json
import sys

marks = [int(x) for x in open(sys.argv[1]).read().split()]
run = json.load(open(sys.argv[2]))
windows = run["windows"]
if len(marks) != 2 * len(windows):
    sys.exit("bench-insn: %d marks for %d windows: another process called "
             "getitimer() during the run" % (len(marks), len(windows)))

counts = {}
for i, (kind, mode, n) in enumerate(windows):
    counts.setdefault((kind, mode), {}).setdefault(n, []).append(
        marks[2 * i + 1] - marks[2 * i])

out = {"flows": run["flows"], "rounds": run["rounds"] - 1,
       "short": run["short"], "long": run["long"],
       "queues": run["queues"], "ebpf_agrees": run.get("ebpf_agrees", {}),
       "per_packet": {}}
for (kind, mode), w in counts.items():
    (n1, c1), (n2, c2) = sorted((n, min(c[1:]))
                                for n, c in w.items())
    out["per_packet"].setdefault(kind, {})[mode] = (c2 - c1) / (n2 - n1)
json.dump(out, open(sys.argv[3], "w"), indent=1)
