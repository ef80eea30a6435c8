#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""pktgen into a multi-queue tap, one queue selection mode at a time.

Runs in the test VM (make bench-vm).  tun_bench holds the tap open and
switches the mode; pktgen (xmit_mode queue_xmit, so that ndo_select_queue
runs) sends UDP over many flows into it.  The modes are interleaved over
several rounds, in a rotated order each round, so that a slow patch of the
emulator hits every mode alike; the result is the median packets per
second of each mode with its min-max spread.
"""

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

import tun_bench_ctl

PGDIR = "/proc/net/pktgen"
CHUNK = 30000
MODES = ["single", "automq", "rss", "rss_report", "ebpf"]


def pg_write(path, cmd):
    with open(path, "w") as f:
        f.write(cmd + "\n")


def pg_dev(dev, cmd):
    pg_write(os.path.join(PGDIR, dev), cmd)


def run(args):
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode:
        sys.exit("%s: %s" % (" ".join(args), p.stderr.strip()))


def setup_pktgen(dev, count):
    pg_write(os.path.join(PGDIR, "kpktgend_0"), "rem_device_all")
    pg_write(os.path.join(PGDIR, "kpktgend_0"), "add_device " + dev)
    # !SHARED: pktgen keeps no reference on the last skb, which stays in
    # a ring that nobody reads, so it does not wait for it at the end.
    for cmd in ("xmit_mode queue_xmit", "flag !SHARED",
                "count %d" % count, "clone_skb 0",
                "burst 1", "delay 0", "pkt_size 60",
                "dst_mac 02:00:00:00:00:01", "dst 10.2.0.1",
                "src_min 10.1.0.0", "src_max 10.1.3.255", "flag IPSRC_RND",
                "udp_src_min 1024", "udp_src_max 1031", "flag UDPSRC_RND",
                "udp_dst_min 4791", "udp_dst_max 4791",
                "flows 1024", "flowlen 8"):
        pg_dev(dev, cmd)


def pg_run(dev):
    pg_write(os.path.join(PGDIR, "pgctrl"), "start")
    with open(os.path.join(PGDIR, dev)) as f:
        text = f.read()
    m = re.search(r"Result: OK: (\d+)\(c\d+\+d\d+\) usec, (\d+) .*?\n\s*(\d+)pps",
                  text)
    if not m:
        sys.exit("pktgen: no result in\n" + text)
    return int(m.group(2)), int(m.group(1)), int(m.group(3))


def tx_stats(dev):
    base = "/sys/class/net/%s/statistics/" % dev
    out = {}
    for k in ("tx_packets", "tx_dropped"):
        with open(base + k) as f:
            out[k] = int(f.read())
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    tun_bench_ctl.add_args(ap)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=1.5,
                    help="target length of one measure")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    helper = tun_bench_ctl.TunBench(args)

    def mode(m):
        return [int(n) for n in helper.ask(m)]

    # tun drops when a ring is full (pktgen then counts an error and
    # sends a new packet), and tun rings are at most 32767 long: one run
    # of pktgen is at most CHUNK packets, into rings that hold them all
    # even when they go to a single queue, emptied after each run.  A
    # measure adds up as many runs as make --seconds.  No qdisc: pktgen's
    # dev_queue_xmit() goes straight to tun.
    run(["tc", "qdisc", "replace", "dev", args.dev, "root", "noqueue"])
    with open("/sys/class/net/%s/tx_queue_len" % args.dev, "w") as f:
        f.write("%d\n" % (CHUNK + 1024))
    setup_pktgen(args.dev, CHUNK)

    def measure():
        sent = usec = 0
        per_queue = [0] * args.queues
        for _ in range(chunks):
            s, u, _ = pg_run(args.dev)
            sent += s
            usec += u
            per_queue = [a + b for a, b in zip(per_queue, mode("drain"))]
        if sum(per_queue) != sent:
            sys.exit("read %d packets of %d sent" % (sum(per_queue), sent))
        return sent, usec, int(sent * 1e6 / usec), per_queue

    # Calibrate the number of runs to about --seconds per measure.
    chunks = 1
    mode("automq")
    measure()
    sent, usec, pps, _ = measure()
    chunks = max(1, round(pps * args.seconds / CHUNK))
    count = chunks * CHUNK

    samples = {m: [] for m in MODES}
    spread = {}
    order_log = []
    t0 = time.time()
    for r in range(args.rounds):
        order = MODES[r % len(MODES):] + MODES[:r % len(MODES)]
        order_log.append(order)
        for m in order:
            mode(m)
            before = tx_stats(args.dev)
            sent, usec, pps, per_queue = measure()
            spread[m] = per_queue
            after = tx_stats(args.dev)
            samples[m].append(pps)
            dropped = after["tx_dropped"] - before["tx_dropped"]
            print("round %d %-10s %8d pps (%d packets, %d us, %d dropped)"
                  % (r + 1, m, pps, sent, usec, dropped), flush=True)
            if dropped:
                sys.exit("tun dropped packets: the rings are too small")
    elapsed = time.time() - t0
    helper.close()

    result = {
        "queues": args.queues, "rounds": args.rounds, "count": count,
        "elapsed_s": round(elapsed, 1),
        "kernel": platform.release(), "nproc": os.cpu_count(),
        "order": order_log, "samples": samples, "per_queue": spread,
        "median": {m: statistics.median(v) for m, v in samples.items()},
        "min": {m: min(v) for m, v in samples.items()},
        "max": {m: max(v) for m, v in samples.items()},
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    for m in MODES:
        print("%-10s median %8d pps  min %8d  max %8d  per queue %s"
              % (m, result["median"][m], result["min"][m], result["max"][m],
                 spread[m]))


if __name__ == "__main__":
    main()
