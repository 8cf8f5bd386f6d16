#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Builds the Debian package of egressgw with dpkg-deb: a release build installed under /usr
# (meson install into a staging tree), the runtime libraries it links found by
# dpkg-shlibdeps, the configuration under /etc as conffiles. Prints the path of the .deb.
#
#   tools/package.sh [OUTDIR]       default OUTDIR: build-pkg/
#
# Install it with "apt install ./egressgw_VERSION_ARCH.deb" (apt fetches the dependencies).
# The service is installed, not started: edit /etc/egressgw/egressgw.ini (devices, addresses,
# lcores), "egressgw --check", then "systemctl enable --now egressgw".
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$root/build-pkg}" && cd "${1:-$root/build-pkg}" && pwd)
build=$out/build
stage=$out/stage

cd "$root"
if [[ ! -f $build/build.ninja ]]; then
	# Generic x86-64 (no -march=native): the package runs on other machines than this one.
	meson setup "$build" --prefix=/usr --buildtype=release -Dtests=false -Dnative=false \
		-Dman=enabled >"$out/meson-setup.log" 2>&1 || { tail -n 30 "$out/meson-setup.log" >&2; exit 1; }
fi
ninja -C "$build" >"$out/ninja.log" 2>&1 || { grep -E 'FAILED|error' "$out/ninja.log" | head -n 20 >&2; exit 1; }
rm -rf "$stage"
DESTDIR=$stage meson install -C "$build" --no-rebuild >"$out/install.log" 2>&1 ||
	{ tail -n 20 "$out/install.log" >&2; exit 1; }

# Debian's layout: man pages compressed, a copyright file with the documents.
gzip -9n "$stage"/usr/share/man/man*/*
printf '%s\n' "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/" \
	"Upstream-Name: egressgw" "License: BSD-3-Clause" >"$stage/usr/share/doc/egressgw/copyright"

version=$(meson introspect --projectinfo "$build" | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
arch=$(dpkg --print-architecture)

# Runtime dependencies: the packages of the shared libraries the binaries link
# (dpkg-shlibdeps wants a debian/control to exist, even an empty one), plus the DPDK
# drivers EAL loads as plugins: the ring mempool every packet buffer pool uses.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/debian"
: >"$tmp/debian/control"
shlibs=$(cd "$tmp" && dpkg-shlibdeps -O --ignore-missing-info \
	-e "$stage/usr/bin/egressgw" -e "$stage/usr/bin/egwctl" 2>/dev/null |
	sed -n 's/^shlibs:Depends=//p')
[[ -n $shlibs ]] || { echo "package: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
mempool=$(dpkg -S "$(find /usr/lib/*/dpdk -name 'librte_mempool_ring.so.*' | head -n 1)" | cut -d: -f1)

mkdir -p "$stage/DEBIAN"
cat >"$stage/DEBIAN/control" <<EOF
Package: egressgw
Version: $version
Architecture: $arch
Maintainer: egressgw developers <egressgw@localhost>
Section: net
Priority: optional
Depends: $shlibs, $mempool
Recommends: dpdk, logrotate
Suggests: prometheus
Installed-Size: $(du -sk "$stage" | cut -f1)
Description: DPDK egress gateway: source NAT and egress policy
 egressgw forwards the outbound traffic of a network through a small set of
 egress addresses: it tracks every flow, decides once per new flow whether
 policy lets it leave, translates it to a pool address and counts every drop
 under a named reason. Configured with INI files (egressgw.ini(5)), controlled
 with egwctl(8), monitored through DPDK telemetry, Prometheus and a JSON flow
 log. The "dpdk" package brings the NIC drivers and dpdk-devbind.py.
EOF
# dpkg keeps an operator's edits of these on upgrade (and asks before replacing them).
(cd "$stage" && find etc -type f | sed 's|^|/|' | sort) >"$stage/DEBIAN/conffiles"

# Installed, not started: the template's devices must be edited first. daemon-reload makes
# systemd see the unit; a removal stops the service.
cat >"$stage/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = configure ] && [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null || true
fi
EOF
cat >"$stage/DEBIAN/prerm" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
	systemctl stop egressgw.service >/dev/null 2>&1 || true
fi
EOF
cat >"$stage/DEBIAN/postrm" <<'EOF'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null || true
fi
EOF
chmod 0755 "$stage/DEBIAN/postinst" "$stage/DEBIAN/prerm" "$stage/DEBIAN/postrm"

deb=$out/egressgw_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
