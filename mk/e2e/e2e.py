#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The L1 half of `make e2e`: run the patched QEMU with a nested Linux guest
(L2, mk/e2e/l2init.c as PID 1) behind a 4-queue tap, check with `ethtool -x`
that the tap holds the guest's RSS table and key, send flows of every kind
into the tap and let the guest check the hash and the queue of every frame
against the expectation this script computes (its own bit-serial Toeplitz,
from the seed the guest derives its key and table from).  The guest reads
what its device reported for every frame with XDP (hash, hash type, queue;
mk/e2e/l2init.c).  After the guest's driver is unbound, this script joins
the tap as one more queue and checks that its reads report no hash.

usage: e2e.py --qemu BIN --kernel BZIMAGE --initrd CPIO [--vhost on|off]
              [--vnet-hash on|off|auto] [--flows N] [--seed S] [--accel A]

Exit status 0 when every check passed.  Output: one "ok N - ..." or
"not ok N - ..." line per check (KTAP), then "# e2e: N passed, M failed".
"""

import argparse
import fcntl
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

# VIRTIO_NET_HASH_REPORT_*
REPORT = {"ip4": 1, "tcp4": 2, "udp4": 3, "ip6": 4, "tcp6": 5, "udp6": 6}
EX_REPORT = {"ip6": (IP_EX, 7), "tcp6": (TCP_EX, 8), "udp6": (UDP_EX, 9)}

# linux/if_tun.h
TUNSETIFF = 0x400454ca
TUNSETVNETHDRSZ = 0x400454d8
TUNGETVNETHASHCAP_VER0 = 0x800854e4  # _IOR('T', 228, 8 bytes)
IFF_TAP, IFF_NO_PI = 0x0002, 0x1000
IFF_MULTI_QUEUE, IFF_VNET_HDR = 0x0100, 0x4000
VNET_HASH_HDR_LEN = 20  # struct virtio_net_hdr_v1_hash

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


def hash_kind(kind, types, qemu):
    """The kind of flow whose hash applies to a flow of kind, or None.

    The spec's order; the _EX types never apply to a packet without
    extension headers (none of ours has one).  qemu: what QEMU 7.2's
    userspace RSS does instead (virtio_net_get_hash_type()): an enabled
    _EX type takes an IPv6 packet of its protocol, with or without
    extension headers.
    """
    bit = {"tcp4": TCPv4, "udp4": UDPv4, "tcp6": TCPv6, "udp6": UDPv6}
    ip, ip_bit = ("ip4", IPv4) if kind.endswith("4") else ("ip6", IPv6)
    ex = {"tcp6": TCP_EX, "udp6": UDP_EX} if qemu else {}
    if kind in bit and types & (bit[kind] | ex.get(kind, 0)):
        return kind
    if kind != "nonip" and types & (ip_bit | (IP_EX if qemu else 0)):
        return ip
    return None


def expect(flow, key, table, types, qemu=False):
    """(hash, queue, report) the device gives the flow; 0, 0, 0 for none."""
    kind, src, dst, sport, dport = flow
    hk = hash_kind(kind, types, qemu and kind.endswith("6"))
    if hk is None:
        return 0, 0, 0          # unclassified_queue is 0 (virtio_net)
    data = src + dst
    if hk != "ip4" and hk != "ip6":
        data += struct.pack("!HH", sport, dport)
    h = toeplitz(key, data)
    report = REPORT[hk]
    if qemu and hk in EX_REPORT and types & EX_REPORT[hk][0]:
        report = EX_REPORT[hk][1]
    return h, table[h & (TABLE_LEN - 1)], report


def frame(flow, fid, h, q, report):
    kind, src, dst, sport, dport = flow
    trailer = struct.pack("!IIIII", fid, MAGIC, h, q + 1, report)
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


def kernel_hashes():
    """Whether this kernel's tun answers TUNGETVNETHASHCAP (VER0 size)."""
    try:
        with open("/dev/net/tun", "rb", buffering=0) as f:
            fcntl.ioctl(f, TUNGETVNETHASHCAP_VER0, bytes(8))
        return True
    except OSError:
        return False


def tap_exists(want, seconds=10):
    """Wait until the tap exists (want True) or is gone; True if so."""
    for _ in range(int(seconds * 10)):
        if os.path.exists("/sys/class/net/%s" % TAP) == want:
            return True
        time.sleep(0.1)
    return False


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


def check_reads_none(res, mode, sock, frames):
    """Join the tap as one more queue; its reads must report no hash."""
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    try:
        ifr = struct.pack("16sH", TAP.encode(), IFF_TAP | IFF_NO_PI |
                          IFF_MULTI_QUEUE | IFF_VNET_HDR)
        fcntl.ioctl(fd, TUNSETIFF, ifr)
        # device wide; the guest's driver is gone, QEMU reads no more
        fcntl.ioctl(fd, TUNSETVNETHDRSZ, struct.pack("i", VNET_HASH_HDR_LEN))
        send_flows(sock, frames, 0.01)
        time.sleep(1)
        reads = hashed = 0
        while True:
            try:
                buf = os.read(fd, 2048)
            except BlockingIOError:
                break
            reads += 1
            value, report = struct.unpack_from("<IH", buf, 12)
            if value or report:
                hashed += 1
    finally:
        os.close(fd)
    res.check(reads > 0 and not hashed, "%s: after the reset the tap's "
              "reads report NONE" % mode, "%d of %d frames read on a 5th "
              "queue, %d with a hash" % (reads, len(frames), hashed))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--vhost", default="off", choices=("on", "off"))
    ap.add_argument("--vnet-hash", default="on",
                    choices=("on", "off", "auto"))
    ap.add_argument("--flows", type=int, default=256)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--accel", default="auto")
    ap.add_argument("--boot-timeout", type=int, default=600)
    ap.add_argument("--kvm-boot-timeout", type=int, default=180)
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--pace", type=float, default=0.05)
    ap.add_argument("--log", default="/tmp/e2e-l2.log")
    args = ap.parse_args()

    res = Results()
    mode = "vhost=%s vnet-hash=%s" % (args.vhost, args.vnet_hash)
    seed = args.seed or random.SystemRandom().randrange(1, 1 << 31)
    print("# e2e %s seed %d flows %d per kind" % (mode, seed, args.flows),
          flush=True)
    # Who hashes: the kernel (vnet-hash=on, or auto on a kernel with the
    # ioctls), or QEMU's own userspace RSS, as 7.2 does.
    hashing = args.vnet_hash == "on" or \
        (args.vnet_hash == "auto" and kernel_hashes())
    if args.vnet_hash == "auto":
        print("# vnet-hash=auto: %s" % ("the kernel has TUNGETVNETHASHCAP"
              if hashing else "no TUNGETVNETHASHCAP: QEMU hashes"),
              flush=True)

    # L1 runs this project's kernel, which has vhost-net built in: a
    # missing device is a broken L1, never a reason to pass the mode.
    if args.vhost == "on" and not os.path.exists("/dev/vhost-net"):
        print("not ok 1 - e2e %s: no /dev/vhost-net in L1" % mode)
        print("# e2e: 0 passed, 1 failed")
        return 1

    # auto: KVM when L1 has it (under TCG, L1's CPU offers SVM and its
    # kernel has kvm_amd; under KVM, only with nested virtualization).
    # L2 under nested KVM has been seen to print nothing at all, so a
    # guest that has not configured RSS within --kvm-boot-timeout is
    # started again under TCG: which host L1 runs on decides how fast
    # the mode runs, never whether it passes.
    accel = args.accel
    if accel == "auto":
        accel = "kvm" if os.path.exists("/dev/kvm") else "tcg"
    fallback = args.accel == "auto" and accel == "kvm"

    flows_per_phase = args.flows * len(KINDS)
    # not quiet: with it L2 under nested KVM hung before init, twice
    append = ("console=ttyS0 rdinit=/init panic=-1 e2e.seed=%d "
              "e2e.flows=%d e2e.timeout=%d" %
              (seed, flows_per_phase, max(30, args.timeout // 4)))

    def start_guest(accel):
        cpu = "host" if accel == "kvm" else "max"
        print("# L2 under %s" % accel, flush=True)
        argv = [args.qemu, "-M", "pc", "-accel", accel, "-cpu", cpu,
                "-m", "256M", "-smp", "1", "-nodefaults", "-no-user-config",
                "-display", "none", "-serial", "stdio", "-no-reboot",
                "-L", "/usr/share/qemu", "-L", "/usr/share/seabios",
                "-kernel", args.kernel, "-initrd", args.initrd,
                "-append", append,
                "-netdev", "tap,id=n0,ifname=%s,script=no,downscript=no,"
                "queues=%d,vhost=%s" % (TAP, QUEUES, args.vhost),
                "-device", "virtio-net-pci,netdev=n0,mq=on,vectors=%d,"
                "rss=on,hash=on,vnet-hash=%s,mac=%s,romfile=" %
                (2 * QUEUES + 2, args.vnet_hash,
                 ":".join("%02x" % b for b in GUEST_MAC))]
        print("# " + " ".join(argv), flush=True)
        guest = Guest(argv, args.log)
        # The tap exists once QEMU runs; it is brought up to send into it.
        if tap_exists(True):
            return guest
        res.check(False, "%s: QEMU created %s" % (mode, TAP))
        guest.stop(5)
        return None

    t0 = time.monotonic()
    guest = start_guest(accel)
    ready = None
    if guest and fallback:
        ready = guest.wait("E2E READY 1", args.kvm_boot_timeout)
        if ready is None:
            print("# L2 did not configure RSS within %ds under kvm: "
                  "again under tcg" % args.kvm_boot_timeout, flush=True)
            guest.proc.kill()
            guest.stop(5)
            tap_exists(False)
            t0 = time.monotonic()
            guest = start_guest("tcg")
    if guest is None:
        print("# e2e: %d passed, %d failed" % (res.n - res.failed,
                                               res.failed))
        return 1
    subprocess.run(["ip", "link", "set", TAP, "up"], check=False)
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((TAP, 0))

    rng = random.Random(seed)
    flows = [make_flow(rng, k) for k in KINDS for _ in range(args.flows)]
    # virtio_net (6.12) never enables the _EX types: probe masks them out
    types = ALL_TYPES & ~(IP_EX | TCP_EX | UDP_EX)
    phases = [(1, seed, types), (2, seed + 1, types & ~UDPv4)]
    first = 0
    for phase, pseed, types in phases:
        line = ready if phase == 1 and ready else \
            guest.wait("E2E READY %d" % phase,
                       args.boot_timeout if phase == 1 else args.timeout)
        if not res.check(line is not None,
                         "%s phase %d: the guest configured RSS" %
                         (mode, phase),
                         "%.0fs" % (time.monotonic() - t0)):
            break
        key, table = guest_config(pseed)
        time.sleep(1)
        tkey, ttable, out = ethtool_x(TAP)
        if hashing:
            ok = tkey == key and ttable == table
            res.check(ok, "%s phase %d: ethtool -x %s shows the guest's "
                      "key and table" % (mode, phase, TAP))
            if not ok:
                print("# want key %s table %s" % (key.hex(), table))
                print("# " + out.replace("\n", "\n# "))
        else:
            res.check(not ttable, "%s phase %d: ethtool -x %s shows no "
                      "table (QEMU hashes)" % (mode, phase, TAP))
        qemu = not hashing
        frames = []
        departures = 0
        for i, flow in enumerate(flows):
            h, q, report = expect(flow, key, table, types, qemu)
            frames.append(frame(flow, first + i, h, q, report))
            spec = expect(flow, key, table, types)[2]
            if report != spec and not departures:
                print("# phase %d: e.g. %s %s -> %s ports %d -> %d: hash "
                      "%08x, QEMU reports type %d, the spec %d" %
                      (phase, flow[0], socket.inet_ntop(socket.AF_INET6,
                                                        flow[1]),
                       socket.inet_ntop(socket.AF_INET6, flow[2]),
                       flow[3], flow[4], h, report, spec), flush=True)
            departures += report != spec
        t1 = time.monotonic()
        drops = tap_drops()
        send_flows(sock, frames, args.pace)
        line = guest.wait("E2E RESULT %d" % phase, args.timeout)
        print("# phase %d: %d frames sent in %.1fs, %d dropped by the tap "
              "(queue full)" % (phase, len(frames), time.monotonic() - t1,
                                tap_drops() - drops), flush=True)
        m = line and re.search(r"ok (\d+) bad_hash (\d+) bad_type (\d+) "
                               r"bad_queue (\d+) missing (\d+) dup (\d+)",
                               line)
        ok = bool(m) and int(m.group(1)) == len(frames) and \
            all(int(m.group(i)) == 0 for i in range(2, 7))
        res.check(ok, "%s phase %d: %d flows, every frame with the "
                  "expected hash, hash type and queue" %
                  (mode, phase, len(frames)), line or "no result")
        if departures:
            # The run passes only if QEMU departs exactly there.
            print("# phase %d: %d IPv6 flows without extension headers "
                  "expected with QEMU 7.2's _EX report type (the spec, "
                  "and the kernel: the plain type)" % (phase, departures),
                  flush=True)
        first += len(frames)
    else:
        line = guest.wait("E2E DOWN", args.timeout)
        if res.check(line is not None, "%s: the guest set its interface "
                     "down" % mode) and hashing:
            time.sleep(1)
            tkey, ttable, out = ethtool_x(TAP)
            # virtio has no "interface down" event: no reset, no change
            if not res.check(tkey == key and ttable == table, "%s: "
                             "interface down: ethtool -x %s still shows "
                             "the guest's key and table" % (mode, TAP)):
                print("# " + out.replace("\n", "\n# "))
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
            extra = [frame(f, first + i, 0, 0, 0)
                     for i, f in enumerate(flows) if f[0] != "nonip"]
            if kernel_hashes():
                check_reads_none(res, mode, sock, extra)
            else:
                # a stock tun writes 12 bytes of a 20-byte header and
                # leaves the rest as the reader's buffer had it
                print("# %s: a tun without the series: the reads' hash "
                      "fields are not written, not checked" % mode)

    line = guest.wait("E2E EXIT", args.timeout)
    rc = guest.stop(60)
    res.check(line == "E2E EXIT 0" and rc == 0,
              "%s: the guest exited cleanly" % mode,
              "%s, qemu %d, %.0fs" % (line, rc, time.monotonic() - t0))
    print("# e2e: %d passed, %d failed" % (res.n - res.failed, res.failed))
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main())
