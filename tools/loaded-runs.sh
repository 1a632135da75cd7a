#!/usr/bin/env bash
# loaded-runs.sh: the whole test suite, again and again, on a loaded machine.
#
# Runs `go test -count=1 ./...` N times, then `go test -race -count=1 ./...`
# N times, while busy loops (one per core, two by default) keep the cores
# loaded, as issue 15 asks ("pass 5 times in a row with both cores busy").
# It stops at the first failing run, says which one and shows its failures;
# each run gets a summary line with its duration. The busy loops are bounded
# (timeout) and always killed when the script ends, however it ends.
#
# usage: tools/loaded-runs.sh [N]        (N defaults to 5)
# environment:
#   LOAD=2          busy loops to run beside the tests
#   PKGS=./...      packages to test
#   RUN_TIMEOUT=1800  seconds a run (and its busy loops) may take
#   LOGDIR=...      where each run's full output goes (default: a temp dir)
# exit status: 0 when every run passed, 1 at the first failing run, 2 on
# bad usage.
set -u

n=${1:-5}
case $n in
'' | *[!0-9]* | 0)
	echo "usage: $0 [N]  (N: runs of each kind, a positive number)" >&2
	exit 2
	;;
esac
load=${LOAD:-2}
pkgs=${PKGS:-./...}
run_timeout=${RUN_TIMEOUT:-1800}
cd "$(dirname "$0")/.." || exit 2
logdir=${LOGDIR:-$(mktemp -d "${TMPDIR:-/tmp}/loaded-runs.XXXXXX")}
mkdir -p "$logdir" || exit 2

load_pids=()
test_pid=
stop_load() {
	local p
	for p in "${load_pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${load_pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	load_pids=()
}
start_load() {
	local i
	for ((i = 0; i < load; i++)); do
		timeout "$run_timeout" sh -c 'while :; do :; done' &
		load_pids+=("$!")
	done
}
# timeout (without --foreground) leads its own process group and passes
# a TERM it gets on to the whole group: go test and its test binaries.
stop_test() {
	if [ -n "$test_pid" ]; then
		kill "$test_pid" 2>/dev/null
		wait "$test_pid" 2>/dev/null
		test_pid=
	fi
}
trap 'stop_test; stop_load' EXIT
trap 'echo "interrupted"; exit 130' INT TERM

echo "loaded runs: $n × go test, $n × go test -race, over $pkgs, with $load busy loops; logs in $logdir"
total=$((2 * n))
k=0
for race in "" "-race"; do
	for ((i = 1; i <= n; i++)); do
		k=$((k + 1))
		what="go test $race${race:+ }-count=1 $pkgs"
		log="$logdir/run$k${race:+-race}.log"
		start_load
		t0=$(date +%s)
		# In the background, so that a signal to this script is handled at
		# once (the EXIT trap stops the run and the load).
		# shellcheck disable=SC2086 # $race and $pkgs are word lists on purpose
		timeout "$run_timeout" go test $race -count=1 $pkgs >"$log" 2>&1 &
		test_pid=$!
		wait "$test_pid"
		rc=$?
		test_pid=
		t1=$(date +%s)
		stop_load
		if [ "$rc" -eq 0 ]; then
			printf 'run %d/%d  ok    %4ds  %s\n' "$k" "$total" $((t1 - t0)) "$what"
			continue
		fi
		why="exit $rc"
		[ "$rc" -eq 124 ] && why="killed after RUN_TIMEOUT=${run_timeout}s"
		printf 'run %d/%d  FAIL  %4ds  %s  (%s)\n' "$k" "$total" $((t1 - t0)) "$what" "$why"
		echo "first failing run: $k of $total ($what); full output: $log"
		grep -E -e '--- FAIL|^FAIL|panic:|_test\.go:[0-9]+:|\.star:[0-9]+:|DATA RACE' "$log" | head -60
		exit 1
	done
done
echo "all $total runs passed"
