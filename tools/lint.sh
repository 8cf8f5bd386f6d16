#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The checks CI runs on the sources themselves (as the committed .clang-format and .clang-tidy
# say), both with zero findings allowed:
#   1. clang-format --dry-run --Werror on every tracked C file
#   2. clang-tidy on lib/, app/ and tools/, from the compile commands of BUILD_DIR (default build)
#
#   tools/lint.sh [BUILD_DIR]
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
cd "$root" || exit 1
status=0

echo "lint: clang-format"
mapfile -t files < <(git ls-files '*.c' '*.h')
bad=()
for f in "${files[@]}"; do
	clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]})); then
	echo "lint: not formatted (clang-format -i FILE):" >&2
	printf '  %s\n' "${bad[@]}" >&2
	status=1
fi

echo "lint: clang-tidy"
if [[ ! -f $build/compile_commands.json ]]; then
	echo "lint: $build/compile_commands.json missing: build first (tools/setup.sh)" >&2
	exit 1
fi
log=$(mktemp /tmp/egw-tidy.XXXXXX)
# Anchored at the checkout: a clone under a path that itself holds "lib/" (/var/lib/...)
# must not pull tests/ and build/ into the check.
root_re=$(printf '%s' "$root" | sed 's/[]\\[^$.*+?(){}|]/\\&/g')
run-clang-tidy -quiet -p "$build" "^$root_re/(lib|app|tools)/" >"$log" 2>&1
if grep -qE '(warning|error): ' "$log"; then
	grep -E '(warning|error): ' "$log" | sed 's/\x1b\[[0-9;]*m//g' | sort -u >&2
	status=1
fi
rm -f "$log"
((status == 0)) && echo "lint: clean"
exit $status
