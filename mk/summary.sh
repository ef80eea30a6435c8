#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Add up RESULTS/NAME.counts for each NAME and print the summary: a line
# per check with its counts and, when RESULTS/NAME.secs exists (make check
# writes it), its wall time; then the total time and the closing line.
# A check that left no counts file (it could not even run) is a failure.
set -u
results=$1
shift

# mm:ss of a number of seconds
mmss() { printf '%d:%02d' $(($1 / 60)) $(($1 % 60)); }

passed=0 failed=0 secs=0 timed=
for name in "$@"; do
	if [ -r "$results/$name.counts" ]; then
		read -r p f < "$results/$name.counts"
	else
		p=0 f=1
	fi
	t=-
	if [ -r "$results/$name.secs" ]; then
		read -r s < "$results/$name.secs"
		secs=$((secs + s)) timed=1 t=$(mmss "$s")
	fi
	printf '  %-12s %6s  %4d passed, %d failed\n' "$name" "$t" "$p" "$f"
	passed=$((passed + p)) failed=$((failed + f))
done
[ -z "$timed" ] || printf '  %-12s %6s\n' "total" "$(mmss "$secs")"
# ACCEL_USED: the file in which mk/vm/run.sh names the VM's accelerator.
if [ -n "${ACCEL_USED:-}" ] && [ -r "$ACCEL_USED" ]; then
	echo "  VM accelerator: $(cat "$ACCEL_USED")"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
