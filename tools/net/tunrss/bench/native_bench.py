#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Native ns per packet of three RSS implementations on the same frames,
on one CPU, for make bench-native.

  ours   the kernel's queue choice + hash report (tun_vnet_hash), the
         KUnit benchmark on UML (native code), rss+report
  ebpf   QEMU's eBPF RSS program (rss.bpf.c), BPF_PROG_TEST_RUN on the
         host's kernel (bpf_native)
  qemu   QEMU 7.2's userspace RSS with hash report, net_rx_pkt.c as
         compiled for qemu-system-x86_64 (qemu_native)

A first UML boot prints the frames the KUnit benchmark times
(tun_vnet_hash_kunit.bench_frames=1) with the queue, hash and type the
kernel gives each; both userspace contenders time themselves on those
frames and check their choices against the kernel's.  Then RUNS runs, each
running the three in turn (ours, ebpf, qemu, ours, ...), all pinned to
CPU with taskset, so that load drift falls on all three alike.
"""

import argparse
import json
import os
import re
import subprocess
import tempfile

SHAPES = {"ipv4_tcp": "tcp4", "ipv6_tcp": "tcp6",
          "ipv6_rh2_hao_tcp": "tcp6-hao-rh2", "vxlan_ipv4_tcp": "vxlan-tcp4"}
# Rounds over the frames per pass, and passes, of each contender: the
# KUnit benchmark's (VH_BENCH_ROUNDS, _PASSES) for ours.  The QEMU ones
# are slower, so a pass of theirs is more often interrupted on a loaded
# machine: they get more and shorter passes (for eBPF, each frame's least
# test run of as many), which can only lower their figures.
TIMING = {"ours": (200, 5), "ebpf": (200, 25), "qemu": (40, 25)}


def run(args, cmd):
    # To a file: UML's console drops what a full pipe does not take.
    with tempfile.TemporaryFile("w+", errors="replace") as f:
        subprocess.run(["taskset", "-c", str(args.cpu)] + cmd, check=True,
                       stdout=f)
        f.seek(0)
        return f.read()


def uml(args, extra=()):
    return run(args, [args.uml, "mem=1G", "console=tty", "kunit_shutdown=halt",
                      "kunit.enable=1",
                      "kunit.filter_glob=tun_vnet_hash.vh_benchmark_test"]
               + list(extra))


def ours(args):
    ns = {}
    for m in re.finditer(r"# vh_benchmark_test: (\S+)\s+rss\+report\s+"
                         r"([\d.]+) ns/pkt", uml(args)):
        if m.group(1) in SHAPES:
            ns[SHAPES[m.group(1)]] = float(m.group(2))
    return ns


def table(out, fields):
    """Lines of SHAPE followed by FIELDS (names) of a helper's output."""
    rows = {}
    for line in out.splitlines():
        w = line.split()
        if len(w) == len(fields) + 1 and w[0] in SHAPES:
            rows[SHAPES[w[0]]] = dict(zip(fields, map(float, w[1:])))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--uml", required=True)
    ap.add_argument("--bpf-helper", required=True)
    ap.add_argument("--bpf", required=True)
    ap.add_argument("--qemu-helper", required=True)
    ap.add_argument("--frames", required=True)
    ap.add_argument("--cpu", type=int, default=1)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    lines = [m.group(1) for m in re.finditer(
        r"# vh_benchmark_test: frame ((\S+) .*)",
        uml(args, ["tun_vnet_hash_kunit.bench_frames=1", "log_buf_len=4M"]))
        if m.group(2) in SHAPES]
    if len(lines) != 256 * len(SHAPES):
        raise SystemExit("native_bench: %d frames printed, not %d" %
                         (len(lines), 256 * len(SHAPES)))
    with open(args.frames, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("%d frames of %d shapes (%s)" %
          (len(lines), len(SHAPES), args.frames))

    load = [os.getloadavg()[0]]
    res = {"ours": [], "ebpf": [], "qemu": []}
    ebpf_note = qemu_check = ebpf_check = None
    for r in range(args.runs):
        this = {"ours": ours(args)}
        out = run(args, [args.bpf_helper, args.bpf, args.frames] +
                  [str(x) for x in TIMING["ebpf"]])
        rows = table(out, ["ns", "empty", "agree", "total"])
        if "refused" in out or not rows:
            # The host may refuse bpf(): say so, and go on without it.
            ebpf_note = out.strip().splitlines()[-1] if out else "no output"
        else:
            this["ebpf"] = {k: v["ns"] for k, v in rows.items()}
            ebpf_check = {k: [int(v["agree"]), int(v["total"]),
                              v["empty"]] for k, v in rows.items()}
        rows = table(run(args, [args.qemu_helper, args.frames] +
                         [str(x) for x in TIMING["qemu"]]),
                     ["ns", "queue", "hash", "type", "total"])
        this["qemu"] = {k: v["ns"] for k, v in rows.items()}
        qemu_check = {k: [int(v["queue"]), int(v["hash"]), int(v["type"]),
                          int(v["total"])] for k, v in rows.items()}
        for c, v in this.items():
            res[c].append(v)
        print("run %d: %s" % (r + 1, "; ".join(
            "%s %s" % (c, " ".join("%.2f" % v[k] for k in v))
            for c, v in this.items())))
        if ebpf_note:
            print("ebpf: " + ebpf_note)
    with open(args.out, "w") as f:
        json.dump({"shapes": list(SHAPES.values()), "cpu": args.cpu,
                   "runs": args.runs, "timing": TIMING,
                   "load": load + [os.getloadavg()[0]],
                   "ns": res, "ebpf_check": ebpf_check,
                   "ebpf_note": ebpf_note, "qemu_check": qemu_check},
                  f, indent=1)


if __name__ == "__main__":
    main()
