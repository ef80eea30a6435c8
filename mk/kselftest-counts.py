#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Count the kselftests of one run, strictly, and print "PASSED FAILED".
#
#   kselftest-counts.py SKIPS LOG
#
# LOG is what mk/selftest.mk's loop wrote: for each binary a line
# "# selftests: net: NAME", the binary's TAP output, then
# "# selftests: net: NAME exit=STATUS".  SKIPS is the checked-in list of
# by-design skips, one a line: the binary, a shell pattern of the test's
# name and the reason exactly as the test gives it.
#
# Beyond its "not ok" results, each of these is one failure:
# - a skip that the list does not name (with that reason);
# - a binary that reports fewer results than its plan ("1..N");
# - a binary that exits non-zero although none of its results failed, or
#   that has no exit line (the VM or the binary died).
# A listed skip counts as neither.  What failed is said on stderr.

import fnmatch
import re
import sys

START = re.compile(r"^# selftests: net: (\S+)$")
EXIT = re.compile(r"^# selftests: net: (\S+) exit=(\d+)$")
PLAN = re.compile(r"^1\.\.(\d+)")
RESULT = re.compile(r"^\s*(not )?ok \d+ (.*?)(?: # (SKIP|skip)\s*(.*))?$")


def load_skips(path):
    skips = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            binary, pattern, reason = line.split(None, 2)
            skips.append((binary, pattern, reason))
    return skips


def listed(skips, binary, test, reason):
    # FOO_32 is FOO built -m32 (mk/selftest.mk): the same tests and skips
    source = binary[:-len("_32")] if binary.endswith("_32") else binary
    return any(b == source and fnmatch.fnmatchcase(test, p) and r == reason
               for b, p, r in skips)


class Binary:
    def __init__(self, name):
        self.name = name
        self.plan = None
        self.results = 0
        self.failed = 0
        self.exit = None


def main():
    skips_path, log = sys.argv[1:3]
    skips = load_skips(skips_path)
    passed = failed = by_design = 0
    binaries = []
    cur = None

    def fail(msg):
        nonlocal failed
        failed += 1
        print("selftest: %s" % msg, file=sys.stderr)

    try:
        lines = open(log, errors="replace").read().splitlines()
    except OSError:
        lines = []
    for line in lines:
        m = EXIT.match(line)
        if m and cur and m.group(1) == cur.name:
            cur.exit = int(m.group(2))
            continue
        m = START.match(line)
        if m:
            cur = Binary(m.group(1))
            binaries.append(cur)
            continue
        if cur is None:
            continue
        m = PLAN.match(line)
        if m and cur.plan is None:
            cur.plan = int(m.group(1))
            continue
        m = RESULT.match(line)
        if not m:
            continue
        cur.results += 1
        if m.group(1):
            cur.failed += 1
            failed += 1
        elif m.group(3):
            if listed(skips, cur.name, m.group(2), m.group(4).strip()):
                by_design += 1
            else:
                cur.failed += 1
                fail("%s: %s: a skip not listed as by design: %s"
                     % (cur.name, m.group(2), m.group(4).strip()))
        else:
            passed += 1

    for b in binaries:
        if b.plan is not None and b.results < b.plan:
            fail("%s: %d results of a plan of %d"
                 % (b.name, b.results, b.plan))
        if b.exit is None:
            fail("%s: no exit status (the binary or the VM died)" % b.name)
        elif b.exit != 0 and b.failed == 0:
            fail("%s: exit status %d, no failed result"
                 % (b.name, b.exit))
    if not binaries:
        fail("no binary ran")
    if by_design:
        print("selftest: %d skips listed as by design" % by_design,
              file=sys.stderr)
    print(passed, failed)


if __name__ == "__main__":
    main()
