#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Everything, from a fresh Debian 12 (as root): dependencies and build (tools/setup.sh, then
# the test-only tools: tests/setup.sh), the unit tests (meson test: the CUnit runner), then the end-to-end tests in network namespaces
# (tests/e2e/run.sh). Exit status non-zero if any step fails; every step runs regardless.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
status=0

echo "== setup and build"
if ! bash tools/setup.sh || ! bash tests/setup.sh; then
	echo "run-all: setup/build failed" >&2
	exit 1
fi

echo "== unit tests (meson test -C build)"
if ! meson test -C build --print-errorlogs; then
	echo "run-all: unit tests failed" >&2
	status=1
fi
# The CUnit runner's own summary, for the reader of this log
log=build/meson-logs/testlog.txt
if [[ -f $log ]]; then
	grep -E '^ +(suites|tests|asserts) ' "$log" | tail -n 3 || true
fi

echo "== end-to-end tests (tests/e2e/run.sh)"
if [[ $(id -u) != 0 ]]; then
	echo "run-all: end-to-end tests need root (network namespaces)" >&2
	status=1
elif ! bash tests/e2e/run.sh; then
	status=1
fi

if ((status == 0)); then echo "run-all: all passed"; else echo "run-all: FAILED"; fi
exit $status
