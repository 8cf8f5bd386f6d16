#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# egressgw in two minutes, on one machine, without a NIC (root, Debian 12):
#   1. installs the dependencies and builds (tools/setup.sh),
#   2. builds three network namespaces: a client (egwcli), the appliance (egwgw), a server
#      (egwsrv), joined by veth pairs,
#   3. starts egressgw with conf/demo.ini in egwgw,
#   4. serves a page in egwsrv and fetches it with curl from egwcli through the appliance,
#   5. shows what the server saw (the egress pool address, never the client's) and the
#      appliance's counters (/egw/stats over the DPDK telemetry socket),
#   6. stops the appliance and removes everything (unless --keep).
#
#   tools/demo.sh            the whole demo
#   tools/demo.sh --keep     leave it running to play with; "tools/demo.sh --stop" ends it
#   tools/demo.sh --stop     stop a kept demo and remove its namespaces
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
keep=0
case ${1:-} in
--keep) keep=1 ;;
--stop) ;;
"") ;;
*)
	echo "usage: $0 [--keep | --stop]" >&2
	exit 2
	;;
esac

export EGW_TEST=demo
export EGW_E2E_OUT=/tmp/egw-demo
# shellcheck source=tests/e2e/lib.sh
source "$root/tests/e2e/lib.sh"
state=$EGW_E2E_OUT/state
pidfile=$state/egressgw.pid

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

stop_kept()
{
	local pid i
	if [[ -f $pidfile ]]; then
		pid=$(cat "$pidfile")
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid"
			for ((i = 0; i < 150; i++)); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
			kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
		fi
		rm -f "$pidfile"
		grep 'stopped:' "$state/egressgw.log" 2>/dev/null | tail -n 1 || true
	fi
	if [[ -f $state/http.pid ]]; then
		kill "$(cat "$state/http.pid")" 2>/dev/null || true
		rm -f "$state/http.pid"
	fi
	egw_topo_down
	echo "demo stopped and cleaned up"
}

if [[ ${1:-} == --stop ]]; then
	stop_kept
	exit 0
fi

[[ $(id -u) == 0 ]] || { echo "demo: run as root (it creates network namespaces)" >&2; exit 1; }

say "1/6 dependencies and build (tools/setup.sh)"
bash "$root/tools/setup.sh"

rm -rf "$EGW_OUT"
mkdir -p "$EGW_OUT" "$state"
if ((keep)); then
	# the processes outlive this script: stop them by PID with --stop
	trap 'rc=$?; ((rc == 0)) || { echo "demo failed, cleaning up"; EGW_PIDS=(); stop_kept; }' EXIT
else
	trap egw_cleanup EXIT
	trap 'exit 143' TERM
	trap 'exit 130' INT
fi

say "2/6 network namespaces"
egw_topo_up
cat <<EOF
  egwcli  egwc0 $EGW_IP_CLI/24, default via $EGW_IP_GWIN
  egwgw   egwgi (inside) / egwgo (outside): no kernel addresses, egressgw owns them
  egwsrv  egws0 $EGW_IP_SRV/24, route to the pool $EGW_POOL_NET via $EGW_IP_GWOUT
EOF

say "3/6 egressgw -c conf/demo.ini (in netns egwgw)"
egw_start "$root/conf/demo.ini"
echo "$EGW_PID" >"$pidfile"
ln -sf "$EGW_LOG" "$state/egressgw.log"
grep -E 'ready|worker|port' "$EGW_LOG" | head -n 8 | sed 's/^/  | /'

say "4/6 a web server in egwsrv, curl from egwcli through the appliance"
egw_http_start
echo "$EGW_HTTP_PID" >"$state/http.pid"
egw_wait_path >/dev/null
echo "  \$ ip netns exec egwcli curl http://$EGW_IP_SRV:$EGW_HTTP_PORT/"
ip netns exec $EGW_NS_CLI curl --noproxy '*' -sS --max-time 10 "http://$EGW_IP_SRV:$EGW_HTTP_PORT/" |
	sed 's/^/  /'
ip netns exec $EGW_NS_CLI curl --noproxy '*' -sS --max-time 60 -o "$EGW_OUT/big.bin" \
	-w "  fetched %{size_download} bytes at %{speed_download} bytes/s\n" \
	"http://$EGW_IP_SRV:$EGW_HTTP_PORT/big.bin"
if [[ $(sha256sum <"$EGW_OUT/big.bin") == "$(sha256sum <"$EGW_OUT/www/big.bin")" ]]; then
	echo "  8 MiB file arrived intact (SHA-256 matches)"
else
	echo "  8 MiB file is corrupt!" >&2
	exit 1
fi

say "5/6 what the server saw"
sleep 0.3
grep '"GET ' "$EGW_OUT/http.log" | sed 's/^/  | /'
client=$(awk '/"GET /{print $1; exit}' "$EGW_OUT/http.log")
echo "  -> the server was contacted by $client (egress pool $EGW_POOL_FIRST-$EGW_POOL_LAST),"
echo "     never by the client's own address $EGW_IP_CLI."

echo
echo "  \$ echo /egw/stats | dpdk-telemetry.py -f egwdemo"
egw_tel /egw/stats | "$EGW_PY" -c '
import json, sys
s = json.load(sys.stdin)["/egw/stats"]
drops = {k: v for k, v in s.pop("drops", {}).items() if v}
for k, v in s.items():
    print("  %-18s %s" % (k, v))
print("  %-18s %s" % ("drops (non-zero)", json.dumps(drops) if drops else "none"))
'
# The demo runs the binaries it built; the commands it shows are the ones to type once they
# are on PATH (installed, or the build directories added: see the end).
ctl=$root/build/tools/egwctl/egwctl
echo
echo "  \$ egwctl -p egwdemo flows        # each worker lists its own flows, with the translation"
"$ctl" -p egwdemo flows | sed 's/^/  /'
echo
echo "  \$ ip netns exec egwgw egwctl -p egwdemo metrics | grep forwarded_packets   # Prometheus"
ip netns exec $EGW_NS_GW "$ctl" -p egwdemo metrics | grep '^egressgw_forwarded_packets' | sed 's/^/  /'
echo
echo "  \$ tail -n 2 /tmp/egw-demo-flows.jsonl   # the flow log"
tail -n 2 /tmp/egw-demo-flows.jsonl | sed 's/^/  /'

if ((keep)); then
	say "6/6 left running (--keep)"
	if ! command -v egwctl >/dev/null; then
		cat <<EOF
  egwctl and egressgw are not installed (sudo apt install ./build-pkg/egressgw_*.deb after
  bash tools/package.sh, or sudo meson install -C build); for this shell:
         export PATH=$root/build/tools/egwctl:$root/build/app/egressgw:\$PATH
EOF
	fi
	cat <<EOF
  try:   ip netns exec egwcli curl http://$EGW_IP_SRV:$EGW_HTTP_PORT/
         ip netns exec egwcli ping $EGW_IP_SRV
         egwctl -p egwdemo status
         egwctl -p egwdemo flows
         egwctl -p egwdemo stats
         egwctl -p egwdemo ports
         egwctl -p egwdemo --raw -o policy,allowed,active policies
         ip netns exec egwgw egwctl -p egwdemo metrics
         egressgw -c conf/demo.ini --check --dump
         echo /egw/stats | dpdk-telemetry.py -f egwdemo
  log:   $EGW_LOG
  stop:  bash tools/demo.sh --stop
EOF
	exit 0
fi

say "6/6 stop (SIGTERM) and clean up"
egw_stop
rm -f "$pidfile"
