#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Frames into a multi-queue tap, one queue selection mode at a time, for
the instruction counts of make bench-insn.

Runs in the test VM, booted with one vCPU, -icount and the insn_count
QEMU plugin.  tun_bench holds the tap open, switches the mode and sends
the frames of each kind in windows marked for the plugin ("insn"
command); this script only says what to send and records, in order, the
windows it asked for, so that the host can pair them with the plugin's
marks.

First, outside the marked windows, it checks that the ebpf mode (QEMU's
RSS program) steers the frames of each kind to the queues the kernel's
rss mode chooses with the same key, table and hash types, and records
how many agree.
"""

import argparse
import json
import subprocess
import sys

import tun_bench_ctl

MODES = ["single", "automq", "rss", "rss_report", "report", "ebpf",
         "rss_tunnel"]
KINDS = ["tcp4", "tcp6", "tcp6-hao-rh2", "vxlan-tcp4"]
STEER_FLOWS = 64
# Each window sends every flow SHORT or LONG times.  Work that comes once
# in a while (a slab refilled, a page allocated) falls on one window or
# the other depending on the state of the boot: LONG - SHORT windows of
# frames apart, it weighs less than 1% of a packet's count.
SHORT = 4
LONG = 8


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    tun_bench_ctl.add_args(ap)
    ap.add_argument("--flows", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    helper = tun_bench_ctl.TunBench(args)
    # Rings that hold the largest window on one queue, twice over since a
    # ring frees the slots the reader emptied in batches: no drops; and
    # no qdisc, so that dev_queue_xmit() goes straight to the queue
    # choice (skipped with one queue, as for any single-queue device).
    subprocess.run(["ip", "link", "set", args.dev, "txqueuelen",
                    str(2 * LONG * args.flows)], check=True)
    subprocess.run(["tc", "qdisc", "replace", "dev", args.dev, "root",
                    "noqueue"], check=True)

    agree = {}
    for kind in KINDS:
        queues = {}
        for mode in ("rss", "ebpf"):
            helper.ask(mode)
            queues[mode] = helper.ask("steer %s %d" % (kind, STEER_FLOWS))
        same = sum(a == b for a, b in zip(queues["rss"], queues["ebpf"]))
        agree[kind] = [same, STEER_FLOWS]
        print("ebpf steers %d of %d %s flows as rss does" %
              (same, STEER_FLOWS, kind))
        for mode, q in queues.items():
            print("  %-5s %s" % (mode, " ".join(q)))

    windows = []
    for kind in KINDS:
        for mode in MODES:
            helper.ask(mode)
            n = int(helper.ask("insn %s %d %d %d %d" %
                               (kind, args.flows, args.rounds, SHORT,
                                LONG))[0])
            if n != 2 * args.rounds:
                sys.exit("tun_bench: %d windows, not %d" %
                         (n, 2 * args.rounds))
            for r in range(args.rounds):
                windows.append([kind, mode, SHORT * args.flows])
                windows.append([kind, mode, LONG * args.flows])
    helper.close()
    with open(args.out, "w") as f:
        json.dump({"flows": args.flows, "rounds": args.rounds,
                   "short": SHORT * args.flows, "long": LONG * args.flows,
                   "queues": args.queues, "ebpf_agrees": agree,
                   "windows": windows}, f)


if __name__ == "__main__":
    main()
