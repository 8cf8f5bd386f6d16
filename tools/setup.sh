#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Installs what egressgw needs to build and test on Debian 12 (as root), then builds it in
# build/. Idempotent: apt is skipped when every package is present, meson setup when build/
# is configured already. Quiet unless something fails.
#
#   tools/setup.sh            packages + build
#   tools/setup.sh --deps     packages only
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)

packages=(
	# build
	dpdk-dev libdpdk-dev libinih-dev libcunit1-dev libnuma-dev libssl-dev libmicrohttpd-dev
	meson ninja-build pkg-config gcc
	# fuzzing and sanitizer builds
	clang libclang-rt-14-dev
	# end-to-end tests and demo: real clients and servers in network namespaces
	python3 python3-scapy iperf3 ncat tcpdump curl ethtool iproute2 iputils-ping procps
	# metrics: promtool checks the /metrics exposition format
	prometheus
)

missing=()
for p in "${packages[@]}"; do
	if [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) != "install ok installed" ]]; then
		missing+=("$p")
	fi
done
if ((${#missing[@]} > 0)); then
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
fi

[[ ${1:-} == --deps ]] && exit 0

cd "$root"
if [[ ! -f build/build.ninja ]]; then
	echo "setup: meson setup build"
	log=$(mktemp /tmp/egw-setup-meson.XXXXXX)
	if ! meson setup build >"$log" 2>&1 </dev/null; then
		tail -n 30 "$log" >&2
		echo "setup: meson setup failed (full log: $log)" >&2
		exit 1
	fi
	rm -f "$log"
fi
echo "setup: ninja -C build"
log=$(mktemp /tmp/egw-setup-ninja.XXXXXX)
if ! ninja -C build >"$log" 2>&1 </dev/null; then
	grep -E '^FAILED:|error:' "$log" | head -n 40 >&2 || true
	echo "setup: build failed (full log: $log)" >&2
	exit 1
fi
rm -f "$log"
echo "setup: built $root/build/app/egressgw/egressgw"
