#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Connection and request churn through kernel nftables SNAT and through egressgw, on the same
# namespaces and veths as the end-to-end tests (tests/e2e/lib.sh; the kernel engine is its
# stand-in: ip_forward + an nftables snat rule over the same pool), one engine at a time
# (issues 17, 18). Per engine, with the default [flows] and pool settings:
#   1. wrk -t2 -c16 -H 'Connection: close' against nginx in the server namespace, one inside
#      source address: new connections (= requests) per second;
#   2. 64 inside source addresses: short TCP connections (connect, one byte, close) from 4
#      processes of tests/e2e/churn.py, connections per second;
#   3. UDP churn: QUERIES queries at up to RATE/s, each from a fresh source port, to a UDP echo
#      on port 53: answered, lost, and the flows (or conntrack entries) held just after.
#
# usage: tools/bench/conn_rate.sh [--seconds S] [--conns N] [--queries Q] [--rate R]
#            [--engines kernel,egressgw] [--repeat N]
# Defaults: --seconds 5 --conns 20000 --queries 12000 --rate 2000 --repeat 1. As root; needs
# wrk and nginx (apt-get install wrk nginx-light: nginx runs only inside the server
# namespace, started and stopped here by PID, never enabled). Namespaces and links are named
# EGW_NAMES (default egwb) and removed on exit; every run is bounded in time and count.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export EGW_NAMES=${EGW_NAMES:-egwb}
export EGW_E2E_OUT=${EGW_E2E_OUT:-/tmp/egw-conn-rate}
export EGW_TEST=conn_rate
seconds=5 conns=20000 queries=12000 rate=2000 engines=kernel,egressgw repeat=1
while (($#)); do
	case $1 in
	--seconds) seconds=$2; shift 2 ;;
	--conns) conns=$2; shift 2 ;;
	--queries) queries=$2; shift 2 ;;
	--rate) rate=$2; shift 2 ;;
	--engines) engines=$2; shift 2 ;;
	--repeat) repeat=$2; shift 2 ;;
	-h | --help) sed -n '3,21p' "$0"; exit 0 ;;
	*) echo "unknown argument $1" >&2; exit 2 ;;
	esac
done
command -v wrk >/dev/null && command -v nginx >/dev/null ||
	{ echo "needs wrk and nginx: apt-get install wrk nginx-light" >&2; exit 1; }

# shellcheck source=tests/e2e/lib.sh
source "$root/tests/e2e/lib.sh"
egw_init
CHURN=$root/tests/e2e/churn.py
WEB_PORT=8080
TCP_PORT=8090
SRC_FIRST=198.18.0.10

nginx_conf()
{
	cat >"$EGW_OUT/nginx.conf" <<EOF
worker_processes 1;
pid $EGW_OUT/nginx.pid;
error_log $EGW_OUT/nginx.err warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $EGW_OUT/nginx-tmp;
	proxy_temp_path $EGW_OUT/nginx-tmp;
	fastcgi_temp_path $EGW_OUT/nginx-tmp;
	uwsgi_temp_path $EGW_OUT/nginx-tmp;
	scgi_temp_path $EGW_OUT/nginx-tmp;
	server {
		listen $EGW_IP_SRV:$WEB_PORT reuseport backlog=4096;
		location / { return 200 "ok\n"; }
	}
}
EOF
	mkdir -p "$EGW_OUT/nginx-tmp"
}

# Flows the engine holds now: egressgw's table (live + finished), the kernel's conntrack.
held()
{
	if egw_real; then
		echo $(($(egw_stat flows_active) + $(egw_stat flows_time_wait)))
	else
		ip netns exec $EGW_NS_GW cat /proc/sys/net/netfilter/nf_conntrack_count
	fi
}

# run_engine NAME ROUND: one engine on fresh namespaces; prints one result line.
run_engine()
{
	local name=$1 round=$2 out rps tcp64 udp held_now
	if [[ $name == kernel ]]; then EGW_STANDIN=1; else EGW_STANDIN=0; fi
	egw_topo_up
	for ((i = 0; i < 64; i++)); do
		ip -n $EGW_NS_CLI addr add "198.18.0.$((10 + i))/24" dev $EGW_IF_CLI
	done
	egw_conf "$EGW_OUT/egw.ini" -flows.tcp_syn -flows.tcp_established -flows.tcp_transitory \
		-flows.udp -flows.icmp "flows.max=1000000" "dpdk.memory_mb=1024"
	egw_start "$EGW_OUT/egw.ini"
	egw_bg $EGW_NS_SRV "$EGW_OUT/nginx.log" nginx -c "$EGW_OUT/nginx.conf" -g 'daemon off;'
	local nginx_pid=$EGW_LAST_PID
	egw_bg $EGW_NS_SRV "$EGW_OUT/tcp-serve.log" "$EGW_PY" "$CHURN" tcp-serve $EGW_IP_SRV $TCP_PORT
	local tcp_pid=$EGW_LAST_PID
	egw_bg $EGW_NS_SRV "$EGW_OUT/udp-serve.log" "$EGW_PY" "$CHURN" udp-serve $EGW_IP_SRV 53
	local udp_pid=$EGW_LAST_PID
	egw_wait_for 10 egw_listening tcp $WEB_PORT || egw_fail "nginx did not start"
	egw_wait_for 10 egw_listening tcp $TCP_PORT || egw_fail "tcp-serve did not start"
	egw_wait_for 10 egw_listening udp 53 || egw_fail "udp-serve did not start"
	egw_wait_path

	out=$(ip netns exec $EGW_NS_CLI timeout $((seconds + 30)) wrk -t2 -c16 -d"${seconds}s" \
		-H 'Connection: close' "http://$EGW_IP_SRV:$WEB_PORT/" 2>&1) || true
	rps=$(awk '/^Requests\/sec:/ { printf "%d", $2 }' <<<"$out")
	grep -E 'Socket errors|Non-2xx' <<<"$out" >&2 || true
	out=$(ip netns exec $EGW_NS_CLI timeout 120 "$EGW_PY" "$CHURN" tcp-conns $EGW_IP_SRV $TCP_PORT \
		"$conns" 4 90 "$SRC_FIRST/64")
	tcp64=$("$EGW_PY" -c 'import json,sys; d=json.loads(sys.argv[1]); print("%d %d %.0f" % (d["ok"], d["failed"], d["ok"] / d["secs"]))' "$out")
	out=$(ip netns exec $EGW_NS_CLI timeout 120 "$EGW_PY" "$CHURN" udp-churn $EGW_IP_SRV 53 \
		"$queries" "$rate" 90)
	udp=$("$EGW_PY" -c 'import json,sys; d=json.loads(sys.argv[1]); print("%d %d %.1f" % (d["answered"], d["lost"], d["secs"]))' "$out")
	held_now=$(held)
	printf '%-9s %5s %10s %22s %30s %8s\n' "$name" "$round" "${rps:-?}" \
		"$tcp64" "$udp" "$held_now" | tee -a "$EGW_OUT/results.txt"
	egw_kill "$udp_pid"
	egw_kill "$tcp_pid"
	egw_kill "$nginx_pid"
	egw_stop
	egw_topo_down
}

nginx_conf
printf '%-9s %5s %10s %22s %30s %8s\n' engine round "wrk_1src/s" "64src:ok,failed,conn/s" \
	"udp:answered,lost,secs" held | tee "$EGW_OUT/results.txt"
for ((r = 1; r <= repeat; r++)); do
	for e in ${engines//,/ }; do
		run_engine "$e" "$r"
	done
done
