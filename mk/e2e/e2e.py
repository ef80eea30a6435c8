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
              [--vnet-hash on|off|auto] [--rss on|off] [--flows N] [--flows3 N]
              [--migrate] [--seed S] [--accel A]

--rss off: a device with rss=off,hash=on, whose guest sends HASH_CONFIG
and then VQ_PAIRS_SET: hash and type checked per frame, the queue is the
tap's automatic steering.  --flows3 N: a phase after phase 2 in which the
guest changes its queue count (`ethtool -L`, VQ_PAIRS_SET) after its own
`ethtool -X`; N flows of each kind then checked for hash and type.
--migrate: live migration inside L1 to a second QEMU behind another tap:
after phase 1 is configured, to a vhost=on destination with vnet-hash=off
(a host that cannot hash), which must refuse it with the reason while the
source keeps running (phase 1's frames then go to the source); after
phase 2 is configured, to one with vnet-hash=on, whose tap must show the
guest's table; phase 2 and the rest then run on the destination.

With vhost=on, every phase also checks that vhost-net moved the frames:
the vhost workers of the QEMU that runs the guest (its threads named
vhost-PID) were woken while the frames went through, and QEMU printed no
vhost error or fallback line.

Exit status 0 when every check passed.  Output: one "ok N - ..." or
"not ok N - ..." line per check (KTAP), then "# e2e: N passed, M failed".
Liveness markers (the guest reached a step) are "# ..." comments when
reached and count only when missed, as failures.
"""

import argparse
import fcntl
import json
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
TAP2 = "e2etap1"        # the migration destination's tap (--migrate)
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

    def reached(self, ok, what, detail=""):
        """A liveness marker: a comment when reached, a failure if not."""
        if not ok:
            return self.check(ok, what, detail)
        print("# %s%s" % (what, (": " + detail) if detail else ""),
              flush=True)
        return ok


def xorshift32(s):
    s ^= (s << 13) & 0xffffffff
    s ^= s >> 17
    s ^= (s << 5) & 0xffffffff
    return s & 0xffffffff


def guest_config(seed, queues=QUEUES):
    """The key and table l2init.c's set_rxfh() draws from seed."""
    s = seed
    key = bytearray()
    for _ in range(KEY_LEN):
        s = xorshift32(s)
        key.append(s & 0xff)
    table = []
    for _ in range(TABLE_LEN):
        s = xorshift32(s)
        table.append(s % queues)
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
    """q None: any queue (automatic steering)."""
    kind, src, dst, sport, dport = flow
    trailer = struct.pack("!IIIII", fid, MAGIC, h,
                          0 if q is None else q + 1, report)
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
        self.qemu_lines = []    # what QEMU itself printed
        self.prefix = os.path.basename(argv[0]) + ":"
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
            if line.startswith(self.prefix):
                self.qemu_lines.append(line)
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

    def vhost_wakeups(self):
        """(vhost workers of this QEMU, their context switches so far).

        Since Linux 6.4 a vhost worker is a thread of the QEMU process
        that owns the device, named vhost-PID.
        """
        pid = self.proc.pid
        workers = switches = 0
        try:
            tids = os.listdir("/proc/%d/task" % pid)
        except OSError:
            return 0, 0
        for tid in tids:
            try:
                with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                    if f.read().strip() != "vhost-%d" % pid:
                        continue
                with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                    for ln in f:
                        if "ctxt_switches:" in ln:
                            switches += int(ln.split()[1])
            except OSError:
                continue
            workers += 1
        return workers, switches

    def vhost_trouble(self):
        """QEMU's lines about vhost, e.g. its fallback to userspace."""
        return [ln for ln in self.qemu_lines
                if re.search(r"vhost|falling back", ln, re.I)]


class Qmp:
    """A QMP client on a unix socket: commands in order, events skipped."""

    def __init__(self, path, timeout=60):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        end = time.monotonic() + timeout
        while True:
            try:
                self.sock.connect(path)
                break
            except OSError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.2)
        self.f = self.sock.makefile("rw")
        self.f.readline()               # the greeting
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        self.f.write(json.dumps({"execute": name, "arguments": args}) + "\n")
        self.f.flush()
        while True:
            line = self.f.readline()
            if not line:
                return {"error": {"desc": "QMP connection closed"}}
            r = json.loads(line)
            if "return" in r or "error" in r:
                return r

    def migrate(self, uri, timeout):
        """The final query-migrate answer of a migration to uri."""
        r = self.cmd("migrate", uri=uri)
        if "error" in r:
            return {"status": "error", "error-desc": r["error"].get("desc")}
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            st = self.cmd("query-migrate").get("return", {})
            if st.get("status") in ("completed", "failed", "cancelled"):
                return st
            time.sleep(0.5)
        return {"status": "timeout"}

    def running(self):
        return self.cmd("query-status").get("return", {}).get("running")

    def close(self):
        self.sock.close()


def kernel_hashes():
    """Whether this kernel's tun answers TUNGETVNETHASHCAP (VER0 size)."""
    try:
        with open("/dev/net/tun", "rb", buffering=0) as f:
            fcntl.ioctl(f, TUNGETVNETHASHCAP_VER0, bytes(8))
        return True
    except OSError:
        return False


def tap_exists(want, seconds=10, tap=TAP):
    """Wait until the tap exists (want True) or is gone; True if so."""
    for _ in range(int(seconds * 10)):
        if os.path.exists("/sys/class/net/%s" % tap) == want:
            return True
        time.sleep(0.1)
    return False


def tap_drops(tap):
    try:
        with open("/sys/class/net/%s/statistics/tx_dropped" % tap) as f:
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


def check_reads_none(res, mode, tap, sock, frames):
    """Join the tap as one more queue; its reads must report no hash."""
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    try:
        ifr = struct.pack("16sH", tap.encode(), IFF_TAP | IFF_NO_PI |
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


def check_tap(res, what, tap, key, table):
    """ethtool -x on the tap shows key and table ([]: no table)."""
    tkey, ttable, out = ethtool_x(tap)
    ok = tkey == key and ttable == table
    res.check(ok, what)
    if not ok:
        print("# want key %s table %s" % (key.hex(), table))
        print("# " + out.replace("\n", "\n# "))
    return ok


def open_sock(tap):
    """The tap up and a packet socket that sends into it."""
    subprocess.run(["ip", "link", "set", tap, "up"], check=False)
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((tap, 0))
    return sock


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--vhost", default="off", choices=("on", "off"))
    ap.add_argument("--vnet-hash", default="on",
                    choices=("on", "off", "auto"))
    ap.add_argument("--rss", default="on", choices=("on", "off"))
    ap.add_argument("--flows", type=int, default=256)
    ap.add_argument("--flows3", type=int, default=0)
    ap.add_argument("--migrate", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--accel", default="auto")
    ap.add_argument("--boot-timeout", type=int, default=600)
    ap.add_argument("--kvm-boot-timeout", type=int, default=180)
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--pace", type=float, default=0.05)
    ap.add_argument("--log", default="/tmp/e2e-l2.log")
    args = ap.parse_args()

    res = Results()
    rss = args.rss == "on"
    mode = "vhost=%s vnet-hash=%s" % (args.vhost, args.vnet_hash)
    if not rss:
        mode += " rss=off"
    if args.migrate:
        mode += " migrate"
    flows3 = args.flows3 if rss else 0
    seed = args.seed or random.SystemRandom().randrange(1, 1 << 31)
    # Who hashes: the kernel (vnet-hash=on, or auto on a kernel with the
    # ioctls), or QEMU's own userspace RSS, as 7.2 does.
    has_ioctls = kernel_hashes()
    hashing = args.vnet_hash == "on" or \
        (args.vnet_hash == "auto" and has_ioctls)
    if args.vnet_hash == "auto":
        print("# vnet-hash=auto: %s" % ("the kernel has TUNGETVNETHASHCAP"
              if has_ioctls else "no TUNGETVNETHASHCAP: QEMU hashes"),
              flush=True)
    print("# e2e %s seed %d flows %d per kind" % (mode, seed, args.flows),
          flush=True)

    # A file the mode needs and make did not build is the build's fault:
    # name it rather than let L2 fail to start.
    missing = [f for f in (args.qemu, args.kernel, args.initrd)
               if not os.path.exists(f)]
    if missing:
        print("not ok 1 - e2e %s: missing %s" % (mode, " ".join(missing)))
        print("# e2e: 0 passed, 1 failed")
        return 1

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
    # not quiet: with it L2 under nested KVM hung before init, twice.
    # A migration holds back phase 2's frames for a while.
    append = ("console=ttyS0 rdinit=/init panic=-1 e2e.seed=%d "
              "e2e.flows=%d e2e.timeout=%d e2e.rss=%d e2e.flows3=%d" %
              (seed, flows_per_phase,
               args.timeout if args.migrate else max(30, args.timeout // 4),
               rss, flows3 * len(KINDS)))
    qmp_path = "/tmp/e2e-qmp.sock"
    mig_path = "/tmp/e2e-migrate.sock"

    def qemu_argv(accel, tap, vnet_hash):
        cpu = "host" if accel == "kvm" else "max"
        return [args.qemu, "-M", "pc", "-accel", accel, "-cpu", cpu,
                # less RAM to copy when migrating
                "-m", "128M" if args.migrate else "256M", "-smp", "1",
                "-nodefaults", "-no-user-config",
                "-display", "none", "-serial", "stdio", "-no-reboot",
                "-L", "/usr/share/qemu", "-L", "/usr/share/seabios",
                "-kernel", args.kernel, "-initrd", args.initrd,
                "-append", append,
                "-netdev", "tap,id=n0,ifname=%s,script=no,downscript=no,"
                "queues=%d,vhost=%s" % (tap, QUEUES, args.vhost),
                "-device", "virtio-net-pci,netdev=n0,mq=on,vectors=%d,"
                "rss=%s,hash=on,vnet-hash=%s,mac=%s,romfile=" %
                (2 * QUEUES + 2, args.rss, vnet_hash,
                 ":".join("%02x" % b for b in GUEST_MAC))]

    def start_guest(accel):
        print("# L2 under %s" % accel, flush=True)
        argv = qemu_argv(accel, TAP, args.vnet_hash)
        if args.migrate:
            if os.path.exists(qmp_path):
                os.unlink(qmp_path)
            argv += ["-qmp", "unix:%s,server=on,wait=off" % qmp_path]
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
            accel = "tcg"
            guest = start_guest(accel)
    if guest is None:
        print("# e2e: %d passed, %d failed" % (res.n - res.failed,
                                               res.failed))
        return 1
    tap = TAP
    sock = open_sock(tap)

    def migrate(vnet_hash, want_ok):
        """Migrate to a QEMU with vnet_hash behind TAP2; True if done.

        A destination with vnet-hash=off and vhost=on cannot hash: the
        series offers no other way to make a host of this kernel unable
        to honour what the guest was offered (docs/qemu.md).
        """
        nonlocal guest, tap, sock
        if os.path.exists(mig_path):
            os.unlink(mig_path)
        dargv = qemu_argv(accel, TAP2, vnet_hash) + \
            ["-incoming", "unix:" + mig_path]
        print("# destination: %s" % " ".join(dargv[-5:]), flush=True)
        dest = Guest(dargv, "%s.dest-%s" % (args.log, vnet_hash))
        for _ in range(300):
            if os.path.exists(mig_path):
                break
            time.sleep(0.1)
        qmp = Qmp(qmp_path)
        t = time.monotonic()
        st = qmp.migrate("unix:" + mig_path, args.timeout)
        took = time.monotonic() - t
        ram = st.get("ram", {}).get("transferred", 0)
        if not want_ok:
            rc = dest.stop(60)
            running = qmp.running()
            qmp.close()
            why = dest.qemu_lines
            named = [w for w in why if "hash types" in w and
                     "vnet-hash is off" in w]
            ok = st.get("status") == "failed" and rc != 0 and \
                running is True and bool(named)
            res.check(ok, "%s: migration to a vhost=on destination with "
                      "vnet-hash=off refused with the reason, the source "
                      "keeps running" % mode,
                      "%s in %.1fs after %d bytes of RAM, destination "
                      "exit %s, source running %s" %
                      (st.get("status"), took, ram, rc, running))
            for w in why:
                print("# destination: " + w, flush=True)
            if st.get("error-desc"):
                print("# source: " + st["error-desc"], flush=True)
            tap_exists(False, tap=TAP2)
            return False
        ok = res.check(st.get("status") == "completed", "%s: live "
                       "migration to a vnet-hash=on destination" % mode,
                       "%s in %.1fs, %d bytes of RAM" %
                       (st.get("status"), took, ram))
        if not ok:
            qmp.close()
            dest.proc.kill()
            dest.stop(5)
            return False
        qmp.cmd("quit")
        qmp.close()
        guest.stop(60)
        guest = dest
        tap = TAP2
        sock.close()
        sock = open_sock(tap)
        return True

    rng = random.Random(seed)
    flows = [make_flow(rng, k) for k in KINDS for _ in range(args.flows)]
    # virtio_net (6.12) never enables the _EX types: probe masks them out
    types = ALL_TYPES & ~(IP_EX | TCP_EX | UDP_EX)
    # (phase, seed of key and table, queues of the table, hash types,
    # flows of each kind, whether the table steers)
    phases = [(1, seed, QUEUES, types, args.flows, rss)]
    if rss:
        phases.append((2, seed + 1, QUEUES, types & ~UDPv4, args.flows,
                       True))
    if flows3:
        phases.append((3, seed + 2, 2, types & ~UDPv4, flows3, False))
    first = 0
    for phase, pseed, pqueues, types, nflows, steer in phases:
        line = ready if phase == 1 and ready else \
            guest.wait("E2E READY %d" % phase,
                       args.boot_timeout if phase == 1 else args.timeout)
        if not res.reached(line is not None,
                           "%s phase %d: the guest configured %s" %
                           (mode, phase, "RSS" if steer else "hash report"),
                           "%.0fs" % (time.monotonic() - t0)):
            break
        key, table = guest_config(pseed, pqueues)
        time.sleep(1)
        if args.migrate and phase == 1:
            migrate("off", False)
        if args.migrate and phase == 2 and migrate("on", True):
            time.sleep(1)
        if hashing and steer:
            check_tap(res, "%s phase %d: ethtool -x %s shows the guest's "
                      "key and table" % (mode, phase, tap), tap, key, table)
        elif hashing:
            # VQ_PAIRS_SET: RSS gone, hash report kept
            check_tap(res, "%s phase %d: ethtool -x %s shows the guest's "
                      "key and no table (hash report only)" %
                      (mode, phase, tap), tap, key, [])
        else:
            res.check(not ethtool_x(tap)[1], "%s phase %d: ethtool -x %s "
                      "shows no table (QEMU hashes)" % (mode, phase, tap))
        qemu = not hashing
        frames = []
        departures = 0
        pflows = [f for i, f in enumerate(flows) if i % args.flows < nflows]
        for i, flow in enumerate(pflows):
            h, q, report = expect(flow, key, table, types, qemu)
            frames.append(frame(flow, first + i, h, q if steer else None,
                                report))
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
        drops = tap_drops(tap)
        woken = guest.vhost_wakeups()[1]
        send_flows(sock, frames, args.pace)
        line = guest.wait("E2E RESULT %d" % phase, args.timeout)
        workers, woken_after = guest.vhost_wakeups()
        print("# phase %d: %d frames sent in %.1fs, %d dropped by the tap "
              "(queue full)" % (phase, len(frames), time.monotonic() - t1,
                                tap_drops(tap) - drops), flush=True)
        m = line and re.search(r"ok (\d+) bad_hash (\d+) bad_type (\d+) "
                               r"bad_queue (\d+) missing (\d+) dup (\d+)",
                               line)
        ok = bool(m) and int(m.group(1)) == len(frames) and \
            all(int(m.group(i)) == 0 for i in range(2, 7))
        res.check(ok, "%s phase %d: %d flows, every frame with the "
                  "expected hash, hash type and %s" %
                  (mode, phase, len(frames), "queue" if steer else
                   "any queue (automatic steering)"), line or "no result")
        if args.vhost == "on":
            # A QEMU whose vhost_net_start() failed falls back to its own
            # virtio and passes the checks above like a vhost=off run.
            trouble = guest.vhost_trouble()
            res.check(workers > 0 and woken_after - woken >= 10 and
                      not trouble, "%s phase %d: vhost-net moved the "
                      "frames" % (mode, phase),
                      "%d vhost-%d threads woken %d times%s" %
                      (workers, guest.proc.pid, woken_after - woken,
                       "; QEMU: " + trouble[0] if trouble else ""))
        if departures:
            # The run passes only if QEMU departs exactly there.
            print("# phase %d: %d IPv6 flows without extension headers "
                  "expected with QEMU 7.2's _EX report type (the spec, "
                  "and the kernel: the plain type)" % (phase, departures),
                  flush=True)
        first += len(frames)
    else:
        line = guest.wait("E2E DOWN", args.timeout)
        if res.reached(line is not None, "%s: the guest detached XDP, "
                       "issued ethtool -X again and set its interface "
                       "down" % mode) and hashing:
            time.sleep(1)
            # virtio has no "interface down" event: no reset, no change
            key, table = guest_config(seed + 1 if rss else seed)
            check_tap(res, "%s: ethtool -X without XDP, interface down: "
                      "ethtool -x %s shows the guest's key and %s" %
                      (mode, tap, "table" if rss else "no table"),
                      tap, key, table if rss else [])
        line = guest.wait("E2E UNBOUND", args.timeout)
        if res.reached(line is not None, "%s: the guest unbound its driver" %
                       mode):
            time.sleep(2)
            tkey, ttable, out = ethtool_x(tap)
            # tun shows a zero key when it has no configuration
            ok = not ttable and (tkey is None or not any(tkey))
            res.check(ok, "%s: after the reset ethtool -x %s shows no "
                      "table and no key" % (mode, tap))
            if not ok:
                print("# " + out.replace("\n", "\n# "))
            extra = [frame(f, first + i, 0, 0, 0)
                     for i, f in enumerate(flows) if f[0] != "nonip"]
            if has_ioctls:
                check_reads_none(res, mode, tap, sock, extra)
            else:
                # a stock tun writes 12 bytes of a 20-byte header and
                # leaves the rest as the reader's buffer had it
                print("# %s: a tun without the series: the reads' hash "
                      "fields are not written, not checked" % mode)

    line = guest.wait("E2E EXIT", args.timeout)
    rc = guest.stop(60)
    res.reached(line == "E2E EXIT 0" and rc == 0,
                "%s: the guest exited cleanly" % mode,
                "%s, qemu %d, %.0fs" % (line, rc, time.monotonic() - t0))
    print("# e2e: %d passed, %d failed" % (res.n - res.failed, res.failed))
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main())
