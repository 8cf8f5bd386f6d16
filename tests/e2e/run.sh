#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Runs every tests/e2e/test_*.sh (in name order), each in its own bash with a time limit, and
# prints one PASS/FAIL/SKIP line per test and finally exactly one line
#   e2e: N passed, M failed
# Exit status 1 if any test failed (or timed out). Needs root.
#
#   tests/e2e/run.sh [PATTERN...]     only the tests whose name contains one of the patterns
#
# Environment: EGW_E2E_TIMEOUT (seconds per test, default 240), EGW_E2E_OUT (logs, default
# /tmp/egw-e2e), EGW_BIN (daemon binary), EGW_E2E_KERNEL_STANDIN=1 (see lib.sh).
set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
export EGW_E2E_OUT=${EGW_E2E_OUT:-/tmp/egw-e2e}
limit=${EGW_E2E_TIMEOUT:-240}
mkdir -p "$EGW_E2E_OUT"

tests=()
for t in "$here"/test_*.sh; do
	name=$(basename "$t" .sh)
	if (($# > 0)); then
		keep=0
		for p in "$@"; do [[ $name == *"$p"* ]] && keep=1; done
		((keep)) || continue
	fi
	tests+=("$t")
done

# Leftovers of an earlier, interrupted run would break the first test.
(
	# shellcheck source=tests/e2e/lib.sh
	source "$here/lib.sh"
	egw_topo_down
)

passed=0 failed=0 skipped=0
failed_names=()
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	log=$EGW_E2E_OUT/$name.log
	start=$(date +%s)
	# timeout signals the whole process group: the test's trap then cleans up; -k: the hard stop
	timeout -k 20 "$limit" bash "$t" >"$log" 2>&1 </dev/null
	rc=$?
	secs=$(($(date +%s) - start))
	# whatever a killed test could not remove (namespaces, links, processes in them)
	(
		source "$here/lib.sh"
		egw_topo_down
	)
	case $rc in
	0)
		passed=$((passed + 1))
		printf 'PASS  %-24s %4ss\n' "$name" "$secs"
		;;
	77)
		skipped=$((skipped + 1))
		printf 'SKIP  %-24s %4ss  %s\n' "$name" "$secs" "$(grep -m1 '^SKIP:' "$log" | cut -c7-)"
		;;
	*)
		failed=$((failed + 1))
		failed_names+=("$name")
		why="exit $rc"
		((rc == 124 || rc == 137)) && why="timed out after ${limit}s"
		printf 'FAIL  %-24s %4ss  (%s; log: %s)\n' "$name" "$secs" "$why" "$log"
		tail -n 15 "$log" | sed 's/^/      | /'
		;;
	esac
done

if ((skipped > 0)); then
	echo "e2e: $skipped skipped (kernel stand-in or missing prerequisites)"
fi
if ((failed > 0)); then
	echo "e2e: failed: ${failed_names[*]}"
fi
echo "e2e: $passed passed, $failed failed"
((failed == 0))
