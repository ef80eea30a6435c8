#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The L1 half of `make e2e`: run the patched QEMU with a nested Linux guest
(L2, mk/e2e/l2init.c as PID 1) behind a 4-queue tap, check with `ethtool -x`
that the tap holds the guest's RSS table and key, send flows of every kind
into the tap and let the guest check the hash and the queue of every frame
against the expectation this script computes (its own bit-serial Toeplitz,
from the seed the guest derives its key and table from).

usage: e2e.py --qemu BIN --kernel BZIMAGE --initrd CPIO [--vhost on|off]
              [--vnet-hash on|off] [--flows N] [--seed S] [--accel A]

Exit status 0 when every check passed.  Output: one "ok N - ..." or
"not ok N - ..." line per check (KTAP), then "# e2e: N passed, M failed".
"""

import argparse
import os
import queue
import random
import re
import socket
import struct
import subprocess
import sys
import threading
import time

MAGIC = 0x45324531
TAP = "e2etap0"
GUEST_MAC = bytes.fromhex("525400e2e201")
HOST_MAC = bytes.fromhex("020000e2e202")
QUEUES = 4
TABLE_LEN = 128         # QEMU's VIRTIO_NET_RSS_MAX_TABLE_LEN
KEY_LEN = 40

# VIRTIO_NET_RSS_HASH_TYPE_*
IPv4, TCPv4, UDPv4 = 1 << 0, 1 << 1, 1 << 2
IPv6, TCPv6, UDPv6 = 1 << 3, 1 << 4, 1 << 5
IP_EX, TCP_EX, UDP_EX = 1 << 6, 1 << 7, 1 << 8
ALL_TYPES = (1 << 9) - 1

KINDS = ("tcp4", "udp4", "tcp6", "udp6", "ip4", "ip6", "nonip")


class Results:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def check(self, ok, what, detail=""):
        self.n += 1
        if not ok:
            self.failed += 1
        print("%sok %d - %s%s" % ("" if ok else "not ", self.n, what,
                                  (" # " + detail) if detail else ""),
              flush=True)
        return ok


def xorshift32(s):
    s ^= (s << 13) & 0xffffffff
    s ^= s >> 17
    s ^= (s << 5) & 0xffffffff
    return s & 0xffffffff


def guest_config(seed):
    """The key and table l2init.c's set_rxfh() draws from seed."""
    s = seed
    key = bytearray()
    for _ in range(KEY_LEN):
        s = xorshift32(s)
        key.append(s & 0xff)
    table = []
    for _ in range(TABLE_LEN):
        s = xorshift32(s)
        table.append(s % QUEUES)
    return bytes(key), table


def toeplitz(key, data):
    """Bit-serial Toeplitz of the virtio spec (and Microsoft's RSS)."""
    k = int.from_bytes(key, "big")
    klen = len(key) * 8
    h = 0
    for i in range(len(data) * 8):
        if data[i // 8] & (0x80 >> (i % 8)):
            h ^= (k >> (klen - 32 - i)) & 0xffffffff
    return h


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def make_flow(rng, kind):
    """A flow: (kind, src, dst, sport, dport) with random fields."""
    if kind.endswith("4"):
        src, dst = rng.randbytes(4), rng.randbytes(4)
    else:
        src, dst = b"\xfd" + rng.randbytes(15), b"\xfd" + rng.randbytes(15)
    return (kind, src, dst, rng.randrange(1, 65536), rng.randrange(1, 65536))


def expect(flow, key, table, types):
    """(hash, queue) the virtio spec gives the flow; hash 0 for none."""
    kind, src, dst, sport, dport = flow
    ports = struct.pack("!HH", sport, dport)
    if kind == "tcp4" and types & TCPv4:
        data = src + dst + ports
    elif kind == "udp4" and types & UDPv4:
        data = src + dst + ports
    elif kind in ("tcp4", "udp4", "ip4") and types & IPv4:
        data = src + dst
    elif kind == "tcp6" and types & (TCPv6 | TCP_EX):
        data = src + dst + ports
    elif kind == "udp6" and types & (UDPv6 | UDP_EX):
        data = src + dst + ports
    elif kind in ("tcp6", "udp6", "ip6") and types & (IPv6 | IP_EX):
        data = src + dst
    else:
        return 0, 0             # unclassified_queue is 0 (virtio_net)
    h = toeplitz(key, data)
    return h, table[h & (TABLE_LEN - 1)]


def frame(flow, fid, h, q):
    kind, src, dst, sport, dport = flow
    trailer = struct.pack("!IIII", fid, MAGIC, h, q + 1)
    pad = b"\xa5" * 32        # every frame >= 60 bytes, trailer last
    if kind == "nonip":
        return GUEST_MAC + HOST_MAC + b"\x88\xb5" + pad + trailer
    # other IP: protocol 253, reserved for experiments (RFC 3692)
    proto = {"tcp": 6, "udp": 17}.get(kind[:3], 253)
    body = pad + trailer
    if proto == 6:
        l4 = struct.pack("!HHIIBBHHH", sport, dport, fid, 0, 5 << 4, 0x18,
                         65535, 0, 0) + body
    elif proto == 17:
        l4 = struct.pack("!HHHH", sport, dport, 8 + len(body), 0) + body
    else:
        l4 = body
    if kind.endswith("4"):
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), fid & 0xffff,
                         0x4000, 64, proto, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        return GUEST_MAC + HOST_MAC + b"\x08\x00" + ip + l4
    ip = struct.pack("!IHBB16s16s", 6 << 28, len(l4), proto, 64, src, dst)
    return GUEST_MAC + HOST_MAC + b"\x86\xdd" + ip + l4


def ethtool_x(dev):
    """(key bytes or None, table list) from `ethtool -x dev`."""
    out = subprocess.run(["ethtool", "-x", dev], capture_output=True,
                         text=True).stdout
    table = []
    key = None
    lines = out.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"\s*\d+:\s+((?:\d+\s*)+)$", line)
        if m:
            table += [int(x) for x in m.group(1).split()]
        if line.startswith("RSS hash key:") and i + 1 < len(lines):
            val = lines[i + 1].strip()
            if re.fullmatch(r"[0-9a-f]{2}(:[0-9a-f]{2})*", val):
                key = bytes.fromhex(val.replace(":", ""))
    return key, table, out


class Guest:
    def __init__(self, argv, log):
        self.lines = queue.Queue()
        self.log = open(log, "w")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            self.log.write(line + "\n")
            self.log.flush()
            if "E2E" in line or "qemu" in line.lower() or \
                    "Kernel panic" in line or "BUG" in line:
                print("# L2: " + line, flush=True)
            self.lines.put(line)
        self.lines.put(None)

    def wait(self, prefix, timeout):
        """The first console line starting with prefix, or None."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                return None
            if line is None:
                self.lines.put(None)    # QEMU is gone: for every waiter
                return None
            i = line.find("E2E ")
            if i >= 0 and line[i:].startswith(prefix):
                return line[i:]

    def stop(self, timeout):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


def tap_drops():
    try:
        with open("/sys/class/net/%s/statistics/tx_dropped" % TAP) as f:
            return int(f.read())
    except OSError:
        return 0


def send_flows(sock, frames, pace):
    for i, f in enumerate(frames):
        while True:
            try:
                sock.send(f)
                break
            except OSError:
                time.sleep(0.01)
        if pace and i % 16 == 15:
            time.sleep(pace)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--vhost", default="off", choices=("on", "off"))
    ap.add_argument("--vnet-hash", default="on", choices=("on", "off"))
    ap.add_argument("--flows", type=int, default=256)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--accel", default="auto")
    ap.add_argument("--boot-timeout", type=int, default=600)
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--pace", type=float, default=0.05)
    ap.add_argument("--log", default="/tmp/e2e-l2.log")
    args = ap.parse_args()

    res = Results()
    mode = "vhost=%s vnet-hash=%s" % (args.vhost, args.vnet_hash)
    seed = args.seed or random.SystemRandom().randrange(1, 1 << 31)
    print("# e2e %s seed %d flows %d per kind" % (mode, seed, args.flows),
          flush=True)

    if args.vhost == "on" and not os.path.exists("/dev/vhost-net"):
        print("ok 1 - e2e %s # SKIP no /dev/vhost-net in L1" % mode)
        print("# e2e: 0 passed, 0 failed")
        return 0

    accel = args.accel
    if accel == "auto":
        accel = "kvm" if os.path.exists("/dev/kvm") else "tcg"
    cpu = "host" if accel == "kvm" else "max"
    print("# L2 under %s" % accel, flush=True)

    flows_per_phase = args.flows * len(KINDS)
    append = ("console=ttyS0 rdinit=/init quiet panic=-1 e2e.seed=%d "
              "e2e.flows=%d e2e.timeout=%d" %
              (seed, flows_per_phase, max(30, args.timeout // 4)))
    argv = [args.qemu, "-M", "pc", "-accel", accel, "-cpu", cpu,
            "-m", "256M", "-smp", "1", "-nodefaults", "-no-user-config",
            "-display", "none", "-serial", "stdio", "-no-reboot",
            "-L", "/usr/share/qemu", "-L", "/usr/share/seabios",
            "-kernel", args.kernel, "-initrd", args.initrd,
            "-append", append,
            "-netdev", "tap,id=n0,ifname=%s,script=no,downscript=no,"
            "queues=%d,vhost=%s" % (TAP, QUEUES, args.vhost),
            "-device", "virtio-net-pci,netdev=n0,mq=on,vectors=%d,rss=on,"
            "hash=on,vnet-hash=%s,mac=%s,romfile=" %
            (2 * QUEUES + 2, args.vnet_hash,
             ":".join("%02x" % b for b in GUEST_MAC))]
    print("# " + " ".join(argv), flush=True)
    t0 = time.monotonic()
    guest = Guest(argv, args.log)

    # The tap exists once QEMU runs; bring it up to send into it.
    for _ in range(100):
        if os.path.exists("/sys/class/net/%s" % TAP):
            break
        time.sleep(0.1)
    else:
        res.check(False, "%s: QEMU created %s" % (mode, TAP))
        guest.stop(5)
        print("# e2e: %d passed, %d failed" % (res.n - res.failed,
                                               res.failed))
        return 1
    subprocess.run(["ip", "link", "set", TAP, "up"], check=False)
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((TAP, 0))

    rng = random.Random(seed)
    flows = [make_flow(rng, k) for k in KINDS for _ in range(args.flows)]
    phases = [(1, seed, ALL_TYPES), (2, seed + 1, ALL_TYPES & ~UDPv4)]
    first = 0
    for phase, pseed, types in phases:
        line = guest.wait("E2E READY %d" % phase,
                          args.boot_timeout if phase == 1 else args.timeout)
        if not res.check(line is not None,
                         "%s phase %d: the guest configured RSS" %
                         (mode, phase),
                         "%.0fs" % (time.monotonic() - t0)):
            break
        key, table = guest_config(pseed)
        time.sleep(1)
        tkey, ttable, out = ethtool_x(TAP)
        if args.vnet_hash == "on":
            ok = tkey == key and ttable == table
            res.check(ok, "%s phase %d: ethtool -x %s shows the guest's "
                      "key and table" % (mode, phase, TAP))
            if not ok:
                print("# want key %s table %s" % (key.hex(), table))
                print("# " + out.replace("\n", "\n# "))
        else:
            res.check(not ttable, "%s phase %d: ethtool -x %s shows no "
                      "table (QEMU hashes)" % (mode, phase, TAP))
        frames = []
        for i, flow in enumerate(flows):
            h, q = expect(flow, key, table, types)
            frames.append(frame(flow, first + i, h, q))
        t1 = time.monotonic()
        drops = tap_drops()
        send_flows(sock, frames, args.pace)
        line = guest.wait("E2E RESULT %d" % phase, args.timeout)
        print("# phase %d: %d frames sent in %.1fs, %d dropped by the tap "
              "(queue full)" % (phase, len(frames), time.monotonic() - t1,
                                tap_drops() - drops), flush=True)
        m = line and re.search(r"ok (\d+) bad_hash (\d+) bad_queue (\d+) "
                               r"missing (\d+) dup (\d+)", line)
        ok = bool(m) and int(m.group(1)) == len(frames) and \
            all(int(m.group(i)) == 0 for i in range(2, 6))
        res.check(ok, "%s phase %d: %d flows, every frame with the "
                  "expected hash and queue" % (mode, phase, len(frames)),
                  line or "no result")
        first += len(frames)
    else:
        line = guest.wait("E2E UNBOUND", args.timeout)
        if res.check(line is not None, "%s: the guest unbound its driver" %
                     mode):
            time.sleep(2)
            tkey, ttable, out = ethtool_x(TAP)
            # tun shows a zero key when it has no configuration
            ok = not ttable and (tkey is None or not any(tkey))
            res.check(ok, "%s: after the reset ethtool -x %s shows no "
                      "table and no key" % (mode, TAP))
            if not ok:
                print("# " + out.replace("\n", "\n# "))

    line = guest.wait("E2E EXIT", args.timeout)
    rc = guest.stop(60)
    res.check(line == "E2E EXIT 0" and rc == 0,
              "%s: the guest exited cleanly" % mode,
              "%s, qemu %d, %.0fs" % (line, rc, time.monotonic() - t0))
    print("# e2e: %d passed, %d failed" % (res.n - res.failed, res.failed))
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main())
