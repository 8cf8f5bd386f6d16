#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Installs what egressgw needs to build, package and run its demo on Debian 12 (as root), then
# builds it in build/. What only the tests need (fuzzing, packet tools, promtool, jsonschema)
# is tests/setup.sh's. Idempotent: apt is skipped when every package is present, meson setup
# when build/ is configured already. Quiet unless something fails. Nothing installed here is
# a service.
#
#   tools/setup.sh            packages + build
#   tools/setup.sh --deps     packages only
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)

packages=(
	# build: the libraries egressgw and egwctl link, the build tools, the man pages (scdoc)
	dpdk-dev libdpdk-dev libinih-dev libcunit1-dev libnuma-dev libssl-dev libmicrohttpd-dev
	libjansson-dev libsmartcols-dev libsystemd-dev meson ninja-build pkg-config gcc scdoc
	# the tunnel service (lib/tunnel): names, HTTP/2 framing, users file hashes
	libc-ares-dev libnghttp2-dev libcrypt-dev
	# tools/package.sh: dpkg-shlibdeps finds the package's runtime dependencies
	dpkg-dev
	# the demo: network namespaces, a web server and a client, dpdk-telemetry.py (dpdk-dev)
	python3 curl ethtool iproute2 iputils-ping procps
)
bash "$root/tools/apt-install.sh" "${packages[@]}"

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
