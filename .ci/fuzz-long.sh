#!/usr/bin/env bash
# Runs every fuzz target for FUZZLONG (default 10m), JOBS at a time with one
# fuzzing worker each (a 2-core machine runs two targets side by side, so 20
# targets take 10 rounds, about 100 minutes, not 200). Each target's full log is
# kept in LOGDIR; the summary gives its executions and result. Any crasher is
# written by go test to the package's testdata/fuzz, as with `make fuzz`.
# Usage: bash .ci/fuzz-long.sh PKG:Target...
set -euo pipefail
FUZZLONG=${FUZZLONG:-10m}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 1)}
LOGDIR=${LOGDIR:-${TMPDIR:-/tmp}/ork-fuzz-long}
GO=${GO:-go}
mkdir -p "$LOGDIR"
[ $# -gt 0 ] || { echo "usage: $0 PKG:Target..." >&2; exit 2; }

run_one() {
	local pkg=${1%%:*} fn=${1##*:}
	local log="$LOGDIR/$fn-${pkg//\//_}.log"
	if "$GO" test -run '^$' -fuzz "^$fn\$" -fuzztime "$FUZZLONG" -parallel 1 "$pkg" >"$log" 2>&1; then
		echo "ok   $fn ($pkg)" >"$log.result"
	else
		echo "FAIL $fn ($pkg): see $log" >"$log.result"
	fi
}
export -f run_one
export GO FUZZLONG LOGDIR

echo "fuzz-long: $# targets, $FUZZLONG each, $JOBS at a time; logs in $LOGDIR"
rm -f "$LOGDIR"/*.result
printf '%s\n' "$@" | xargs -P "$JOBS" -I{} bash -c 'run_one "$1"' _ {}

status=0
for t in "$@"; do
	pkg=${t%%:*} fn=${t##*:}
	log="$LOGDIR/$fn-${pkg//\//_}.log"
	result=$(cat "$log.result" 2>/dev/null || echo "FAIL $fn ($pkg): no result")
	# go test's last progress line: "fuzz: elapsed: 10m0s, execs: N (R/sec), new interesting: K (total: T)"
	last=$(grep -o 'elapsed: .*' "$log" | tail -n 1 || true)
	echo "$result  ${last:-no progress line}"
	case $result in ok*) ;; *) status=1 ;; esac
done
exit $status
