#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Installs the Debian packages given that are missing (as root), quietly; apt is skipped when
# every one is present. Shared by tools/setup.sh (build, demo) and tests/setup.sh (tests).
#
#   tools/apt-install.sh PACKAGE...
set -euo pipefail

missing=()
for p in "$@"; do
	if [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) != "install ok installed" ]]; then
		missing+=("$p")
	fi
done
((${#missing[@]} > 0)) || exit 0
if [[ $(id -u) != 0 ]]; then
	echo "setup: missing packages (run as root to install): ${missing[*]}" >&2
	exit 1
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp /tmp/egw-setup-apt.XXXXXX)
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
	>"$log" 2>&1 </dev/null; then
	tail -n 30 "$log" >&2
	echo "setup: apt-get failed (full log: $log)" >&2
	exit 1
fi
rm -f "$log"
