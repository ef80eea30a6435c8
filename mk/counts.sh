#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Print "PASSED FAILED" for a test log.
#   counts.sh kunit LOG     kunit.py's "Testing complete. Ran N tests: ..."
#   counts.sh ktap LOG      KTAP/TAP "ok"/"not ok" lines of kselftest_harness
# A log with no result counts as one failure, so a broken build never
# passes silently.
set -u
kind=$1 log=$2
passed=0 failed=0
case "$kind" in
kunit)
	line=$(grep -a 'Testing complete\. Ran' "$log" 2>/dev/null | tail -n 1)
	if [ -n "$line" ]; then
		p=$(sed -n 's/.*passed: \([0-9]*\).*/\1/p' <<< "$line")
		f=$(sed -n 's/.*failed: \([0-9]*\).*/\1/p' <<< "$line")
		c=$(sed -n 's/.*crashed: \([0-9]*\).*/\1/p' <<< "$line")
		passed=${p:-0}
		failed=$(( ${f:-0} + ${c:-0} ))
	fi
	;;
ktap)
	# Leaf results of the harness: "ok N name" / "not ok N name" at
	# any indentation, "# SKIP" counted as neither.
	passed=$(grep -aE '^\s*ok [0-9]+ ' "$log" 2>/dev/null |
		grep -vc '# SKIP')
	failed=$(grep -acE '^\s*not ok [0-9]+ ' "$log" 2>/dev/null)
	;;
esac
[ "$passed" -eq 0 ] && [ "$failed" -eq 0 ] && failed=1
echo "$passed $failed"
