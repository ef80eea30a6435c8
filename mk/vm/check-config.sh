#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Warn about options of a config fragment that the final .config lacks
# (usually an unmet dependency).
#
# usage: check-config.sh FRAGMENT DOTCONFIG
set -eu

frag=$1 config=$2
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		opt=${line%%=*} want=${line#*=}
		;;
	"# CONFIG_"*" is not set")
		opt=${line#\# } opt=${opt%% *} want=n
		;;
	*) continue ;;
	esac
	got=$(sed -n "s/^$opt=//p" "$config")
	[ -n "$got" ] || got=n
	if [ "$got" != "$want" ]; then
		echo "  WARNING $opt=$want requested, final .config has $got" >&2
	fi
done < "$frag"
exit 0
