# SPDX-License-Identifier: GPL-2.0
"""Drive tun_bench (tun_bench.c) from the benchmark scripts of the VM."""

import subprocess
import sys


def add_args(ap):
    """The arguments every script passes on to tun_bench."""
    ap.add_argument("--helper", required=True)
    ap.add_argument("--bpf", required=True)
    ap.add_argument("--dev", default="bench0")
    ap.add_argument("--queues", type=int, default=8)


class TunBench:
    """tun_bench holding the tap open, answering one command a line."""

    def __init__(self, args):
        self.proc = subprocess.Popen([args.helper, args.dev,
                                      str(args.queues), args.bpf],
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("ready"):
            sys.exit("tun_bench did not start: " + line)

    def ask(self, cmd):
        """Send a command; return the words after "ok CMD", or exit."""
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline().split()
        words = cmd.split()
        if reply[:1 + len(words)] != ["ok"] + words:
            sys.exit("tun_bench %s: %s" % (cmd, " ".join(reply)))
        return reply[1 + len(words):]

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()
