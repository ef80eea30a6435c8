#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Add up RESULTS/NAME.counts for each NAME and print the summary line.
# A check that left no counts file (it could not even run) is a failure.
set -u
results=$1
shift
passed=0 failed=0
for name in "$@"; do
	if [ -r "$results/$name.counts" ]; then
		read -r p f < "$results/$name.counts"
	else
		p=0 f=1
	fi
	printf '  %-12s %4d passed, %d failed\n' "$name" "$p" "$f"
	passed=$((passed + p)) failed=$((failed + f))
done
# ACCEL_USED: the file in which mk/vm/run.sh names the VM's accelerator.
if [ -n "${ACCEL_USED:-}" ] && [ -r "$ACCEL_USED" ]; then
	echo "  VM accelerator: $(cat "$ACCEL_USED")"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
