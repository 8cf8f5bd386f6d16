#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Runs every libFuzzer target for SECONDS each, starting from its committed seed corpus
# (tests/fuzz/corpus/<target>/), and prints one line per target: executions, executions per
# second, coverage, corpus size, and whether it found anything.
#
#   tools/fuzz.sh [--build-dir DIR] SECONDS [TARGET...]     e.g. tools/fuzz.sh 600 pkt pipeline
#
# Builds DIR (default build-clang) with clang and -Dfuzz=true first if it is not configured.
# New inputs go to $EGW_FUZZ_OUT/<target>/corpus (default /tmp/egw-fuzz), crashes, leaks and
# timeouts to $EGW_FUZZ_OUT/<target>/ (the file name says which), the log to
# $EGW_FUZZ_OUT/<target>.log. A target without seeds is an error. Exit status 1 when a
# target failed (its log's last lines are printed). Each run is bounded by SECONDS (and a
# hard timeout a minute later); nothing is left running.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-clang
if [[ ${1:-} == --build-dir ]]; then
	build=$(cd "$root" && realpath -m "$2")
	shift 2
fi
secs=${1:-}
[[ $secs =~ ^[0-9]+$ ]] && ((secs >= 1 && secs <= 86400)) ||
	{ echo "usage: tools/fuzz.sh [--build-dir DIR] SECONDS(1-86400) [TARGET...]" >&2; exit 2; }
shift
out=${EGW_FUZZ_OUT:-/tmp/egw-fuzz}

if [[ ! -f $build/build.ninja ]]; then
	CC=clang meson setup "$build" -Dfuzz=true </dev/null >/dev/null
fi
ninja -C "$build" </dev/null >/dev/null

targets=("$@")
if ((${#targets[@]} == 0)); then
	for f in "$build"/tests/fuzz/fuzz_*; do
		[[ -x $f && -f $f ]] && targets+=("$(basename "$f" | sed 's/^fuzz_//')")
	done
fi
((${#targets[@]} > 0)) || { echo "no fuzz targets in $build (configured with -Dfuzz=true?)" >&2; exit 1; }

failed=()
printf '%-12s %12s %8s %8s %8s  %s\n' target execs exec/s cov corpus result
for t in "${targets[@]}"; do
	bin=$build/tests/fuzz/fuzz_$t
	seeds=$root/tests/fuzz/corpus/$t
	[[ -x $bin ]] || { echo "$t: no such target ($bin)" >&2; failed+=("$t"); continue; }
	if [[ ! -d $seeds ]] || [[ -z $(ls -A "$seeds") ]]; then
		echo "$t: no seed corpus in tests/fuzz/corpus/$t (tests/fuzz/make_seeds.py)" >&2
		failed+=("$t")
		continue
	fi
	mkdir -p "$out/$t/corpus"
	log=$out/$t.log
	rc=0
	# The first directory takes new inputs; the seeds are only read.
	timeout -k 10 $((secs + 60)) "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$out/$t/" "$out/$t/corpus" "$seeds" \
		</dev/null >"$log" 2>&1 || rc=$?
	final_stat() { awk -v k="$1" '$1 == k":" { v = $2 } END { print v + 0 }' "$log"; }
	execs=$(final_stat stat::number_of_executed_units)
	rate=$(final_stat stat::average_exec_per_sec)
	cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2 || true)
	corp=$(ls "$out/$t/corpus" | wc -l)
	if ((rc == 0)); then
		result=ok
	else
		found=$(ls "$out/$t/" | grep -E '^(crash|leak|timeout|oom|slow-unit)-' || true)
		result="FAILED (exit $rc): $(echo $found)"
		failed+=("$t")
	fi
	printf '%-12s %12s %8s %8s %8s  %s\n' "$t" "$execs" "$rate" "${cov:-?}" "$corp" "$result"
	((rc == 0)) || tail -n 40 "$log" >&2
done
if ((${#failed[@]})); then
	echo "fuzz: failed: ${failed[*]} (logs and inputs in $out)" >&2
	exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${secs} s each, nothing found"
