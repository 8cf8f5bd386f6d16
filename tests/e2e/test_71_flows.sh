#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Flows at scale and flush (issue 14, item 6):
# 1. 200 UDP flows: "egwctl flows proto=udp" lists all 200 (in pages over telemetry, not the
#    40 one reply holds), each source port once; --limit 50 lists 50 and says so; --json
#    carries the same 200.
# 2. "egwctl flows flush proto=tcp" during a rate-limited download: the TCP flow is reset in
#    both directions as a policy revocation does, so the running curl fails at once (exit 56,
#    connection reset) instead of hanging; the flushed tuple is not adopted again by
#    tcp_pickup within the transitory timeout: a late ACK of the old tuple (scapy) is answered
#    with an RST and creates no flow.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
egw_topo_up
N=200
egw_policy_conf "$EGW_OUT/egw.ini" "dpdk.idle_sleep_us=50" flows.udp=120 flows.tcp_transitory=10 \
	flows.tcp_pickup=yes
egw_policy_file 10-all.ini <<EOF
[policy out]
sources = 198.18.0.0/24
action = allow
EOF
egw_start "$EGW_OUT/egw.ini"
egw_http_start
egw_wait_path
ctl() { timeout 30 "$EGW_CTL_BIN" -s "$EGW_CTL_SOCK" -p "$EGW_PREFIX" "$@"; }

# --- 1. 200 flows, each from its own source port
ip netns exec $EGW_NS_CLI timeout 30 "$EGW_PY" -c '
import socket, sys
socks = []
for i in range(int(sys.argv[3])):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", 0))
    s.sendto(b"egw-flow-%d" % i, (sys.argv[1], int(sys.argv[2])))
    socks.append(s)
' $EGW_IP_SRV 9000 $N
assert_ge "$(egw_wait_stat flows_active -ge $N 15)" $N "flows_active after $N UDP sources"
t0=$(date +%s%N)
out=$(ctl flows proto=udp) || egw_fail "egwctl flows proto=udp: $out"
ms=$((($(date +%s%N) - t0) / 1000000))
rows=$(printf '%s\n' "$out" | grep -c "^udp " || true)
assert_eq "$rows" $N "egwctl flows proto=udp lists every flow (${ms} ms)"
assert_eq "$(printf '%s\n' "$out" | tail -n 1)" "$N flows listed" "egwctl flows: the count line"
ports=$(printf '%s\n' "$out" | awk '$1 == "udp" { print $2 }' | sort -u | wc -l)
assert_eq "$ports" $N "each source port listed once"
out=$(ctl --limit 50 flows proto=udp) || egw_fail "egwctl --limit 50 flows: $out"
assert_eq "$(printf '%s\n' "$out" | grep -c "^udp " || true)" 50 "--limit 50 lists 50"
assert_contains "$out" "50 flows listed (--limit reached" "--limit says more may match"
n=$(ctl --json flows proto=udp | "$EGW_PY" -c '
import json, sys
print(len(json.load(sys.stdin)["/egw/flows"]["flows"]))') || egw_fail "egwctl --json flows"
assert_eq "$n" $N "egwctl --json flows carries every flow"

# --- 2. flush resets a running download both ways
B=$EGW_OUT/base
egw_bg $EGW_NS_CLI "$EGW_OUT/slow.log" curl --noproxy '*' -sS --limit-rate 50k --max-time 60 \
	-o /dev/null "http://$EGW_IP_SRV:$EGW_HTTP_PORT/big.bin"
SLOW_PID=$EGW_LAST_PID
fl=
for ((i = 0; i < 50; i++)); do
	fl=$(egw_tel "/egw/flows,proto=tcp") || egw_fail "no /egw/flows"
	[[ $(printf '%s' "$fl" | egw_json_get /egw/flows.matched) == 1 ]] && break
	sleep 0.2
done
sport=$(printf '%s' "$fl" | egw_json_get /egw/flows.flows.f0.sport)
nport=$(printf '%s' "$fl" | egw_json_get /egw/flows.flows.f0.nat_sport)
egw_is_int "$sport" || egw_fail "no live download to flush: $fl"
sleep 1
kill -0 "$SLOW_PID" 2>/dev/null || egw_fail "the download ended early: $(cat "$EGW_OUT/slow.log")"
egw_baseline "$B"
t0=$(date +%s%N)
out=$(ctl flows flush proto=tcp) || egw_fail "egwctl flows flush: $out"
assert_contains "$out" "OK flushed 1 flows" "egwctl flows flush proto=tcp"
rc=0
for ((i = 0; i < 50; i++)); do
	kill -0 "$SLOW_PID" 2>/dev/null || break
	sleep 0.1
done
ms=$((($(date +%s%N) - t0) / 1000000))
kill -0 "$SLOW_PID" 2>/dev/null && egw_fail "curl still running 5 s after the flush"
wait "$SLOW_PID" || rc=$?
assert_eq "$rc" 56 "curl fails with a reset (exit 56) ${ms} ms after the flush"
egw_log "curl: $(cat "$EGW_OUT/slow.log")"
assert_stat_delta "$B.stats.json" tcp_resets_sent -ge 1

# A late segment of the flushed tuple: answered with an RST, not adopted by tcp_pickup.
ip netns exec $EGW_NS_CLI timeout 20 "$EGW_PY" -c '
import logging, sys
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import IP, TCP, send
send(IP(src=sys.argv[1], dst=sys.argv[2]) / TCP(sport=int(sys.argv[3]), dport=int(sys.argv[4]),
     flags="A", seq=1000, ack=1000), verbose=False)
' $EGW_IP_CLI $EGW_IP_SRV "$sport" $EGW_HTTP_PORT
assert_stat_delta "$B.stats.json" drops.policy_revoked -ge 1
assert_stat_delta "$B.stats.json" flows_created -eq 0
fl=$(egw_tel "/egw/flows,proto=tcp") || egw_fail "no /egw/flows"
assert_eq "$(printf '%s' "$fl" | egw_json_get /egw/flows.flows.f0.nat_sport)" "$nport" \
	"the flushed flow keeps its NAT port until the transitory timeout"
assert_eq "$(printf '%s' "$fl" | egw_json_get /egw/flows.flows.f0.flags)" revoked \
	"the flushed flow answers with RSTs"

egw_stop
egw_finish
