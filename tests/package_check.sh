#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The Debian package, as a fresh machine would get it (a CI step; root; under a minute with the
# build): tools/package.sh builds it and it is unpacked into a scratch root (nothing is
# installed on this machine). There, the binaries find their libraries, the installed example
# config passes "egressgw --check", the man pages render, and the packaged daemon starts,
# answers egwctl and stops cleanly on two null ports (--no-pci). apt resolves every dependency
# from the archive as for a machine with nothing installed (apt-get -s on an empty dpkg status).
#
#   tests/package_check.sh          EGW_PKG_OUT: where the package is built (build-pkg/)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${EGW_PKG_OUT:-$root/build-pkg}
scratch=$(mktemp -d /tmp/egw-pkg-root.XXXXXX)
pid=
cleanup()
{
	if [[ -n $pid ]]; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$scratch"
}
trap cleanup EXIT
fail()
{
	echo "package_check: FAIL: $*" >&2
	exit 1
}
ok() { echo "package_check: ok: $*"; }

deb=$(bash "$root/tools/package.sh" "$out")
ok "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"
R=$scratch/root
dpkg-deb -x "$deb" "$R"
for f in usr/bin/egressgw usr/bin/egwctl lib/systemd/system/egressgw.service \
	etc/egressgw/egressgw.ini etc/egressgw/policies.d/10-base.ini etc/logrotate.d/egressgw \
	usr/share/man/man8/egressgw.8.gz usr/share/man/man8/egwctl.8.gz \
	usr/share/man/man5/egressgw.ini.5.gz usr/share/doc/egressgw/flowlog.schema.json; do
	[[ -e $R/$f ]] || fail "the package has no /$f"
done
ok "binaries, unit, /etc/egressgw with policies.d, logrotate, man pages, schema"
if ldd "$R/usr/bin/egressgw" "$R/usr/bin/egwctl" | grep -q 'not found'; then
	fail "unresolved libraries: $(ldd "$R/usr/bin/egressgw" "$R/usr/bin/egwctl" | grep 'not found')"
fi
checked=$("$R/usr/bin/egressgw" -c "$R/etc/egressgw/egressgw.ini" --check 2>&1) ||
	fail "egressgw --check of the installed example config: $checked"
[[ $checked == *"8 policies"* ]] || fail "the installed config does not load policies.d: $checked"
ok "egressgw --check /etc/egressgw/egressgw.ini: $(printf '%s\n' "$checked" | grep 'config OK')"
for m in "$R"/usr/share/man/man*/*.gz; do
	man -l "$m" >/dev/null 2>&1 || fail "man page $(basename "$m") does not render"
done
ok "man pages render"

# The packaged daemon starts (its DPDK plugins found) and stops with every buffer back.
printf '%s\n' "[dpdk]" "lcores = 0-1" "memory_mb = 256" "hugepages = no" \
	"file_prefix = egwpkgcheck" "idle_sleep_us = 1000" \
	"[port inside]" "device = net_null0" "role = inside" "address = 198.18.0.1/24" \
	"[port outside]" "device = net_null1" "role = outside" "address = 203.0.113.2/24" \
	"gateway = 203.0.113.1" "[egress]" "mode = passthrough" "default_pool = public" \
	"[pool public]" "addresses = 198.51.100.10" "[flows]" "max = 1000" \
	"[control]" "socket = $scratch/ctl.sock" "[metrics]" "listen =" >"$scratch/null.ini"
"$R/usr/bin/egressgw" -c "$scratch/null.ini" -- --no-pci >"$scratch/daemon.log" 2>&1 &
pid=$!
for ((i = 0; i < 300; i++)); do
	grep -q ready "$scratch/daemon.log" && break
	kill -0 "$pid" 2>/dev/null || fail "the packaged daemon exited: $(tail -n 5 "$scratch/daemon.log")"
	sleep 0.1
done
grep -q ready "$scratch/daemon.log" || fail "the packaged daemon is not ready after 30 s"
"$R/usr/bin/egwctl" -p egwpkgcheck status >/dev/null || fail "the packaged egwctl cannot ask it"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
if ((rc != 0)) || ! grep -q 'mbufs_in_use=0' "$scratch/daemon.log"; then
	fail "the packaged daemon did not stop cleanly (status $rc): $(tail -n 3 "$scratch/daemon.log")"
fi
ok "the packaged daemon starts, answers egwctl status, stops cleanly"

# As on a machine with nothing installed: every dependency resolves from the archive.
: >"$scratch/status"
sim=$(apt-get install -s -o Dir::State::Status="$scratch/status" "$deb" 2>&1) ||
	fail "apt cannot resolve the dependencies: $(printf '%s\n' "$sim" | tail -n 5)"
printf '%s\n' "$sim" | grep -q '^Inst egressgw ' ||
	fail "apt would not install it: $(printf '%s\n' "$sim" | tail -n 5)"
ok "apt resolves its dependencies on an empty system ($(printf '%s\n' "$sim" | grep -c '^Inst ') packages)"
