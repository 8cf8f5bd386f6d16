#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# What only the tests need, on top of tools/setup.sh (as root, Debian 12): the fuzzing
# toolchain, the clients and servers of the end-to-end tests, python3-jsonschema (flow log
# schema) and promtool (metrics format). Idempotent and quiet.
#
# promtool comes from Debian's prometheus package, which also installs, enables and starts a
# Prometheus server (port 9090, a TSDB under /var/lib/prometheus). So the package is not
# installed: it is downloaded and only promtool is unpacked, to build-tools/bin/, which
# tests/e2e/lib.sh puts on PATH. Nothing installed here runs or is enabled.
#
#   tests/setup.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)

packages=(
	# fuzzing and sanitizer builds (-Dfuzz=true with clang)
	clang libclang-rt-14-dev
	# tools/lint.sh: the committed .clang-format and .clang-tidy, zero findings
	clang-format clang-tidy
	# end-to-end tests: clients, servers and captures in network namespaces
	python3-scapy python3-jsonschema iperf3 ncat tcpdump
	# NAT behaviour seen by a third-party STUN client (test_18_eim): stund runs only inside
	# the test's namespace; the package's init script starts nothing (START_DAEMON unset)
	stun-client stun-server
	# the tunnel test: names for the engine (dnsmasq-base: the binary, no service), an HTTP/2
	# client, certificates
	dnsmasq-base python3-h2 openssl
)
bash "$root/tools/apt-install.sh" "${packages[@]}"

bin=$root/build-tools/bin
if ! command -v promtool >/dev/null && [[ ! -x $bin/promtool ]]; then
	tmp=$(mktemp -d /tmp/egw-promtool.XXXXXX)
	trap 'rm -rf "$tmp"' EXIT
	echo "setup: promtool from Debian's prometheus package (not installed: its server would run)"
	if ! (cd "$tmp" && apt-get download -qq prometheus >download.log 2>&1); then
		apt-get update -qq >/dev/null 2>&1 || true
		(cd "$tmp" && apt-get download -qq prometheus >download.log 2>&1) ||
			{ tail -n 5 "$tmp/download.log" >&2; exit 1; }
	fi
	dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/x"
	mkdir -p "$bin"
	install -m 0755 "$tmp/x/usr/bin/promtool" "$bin/promtool"
fi
