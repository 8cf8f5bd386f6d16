#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Refusals answered (issue 13 item 6): policy mode with [egress] deny_action = reject.
# - a policy with action = reject for TCP 8081: curl fails at once with "Connection refused"
#   (the appliance's RST, accepted by the client's stack), where a deny (drop) policy for 8082
#   makes curl wait for its timeout; no packet of either reaches the server;
# - TCP 8083 matches no policy: the mode's own refusal (policy_no_match) answers too;
# - UDP 9000 (reject policy; an echo server listens): dig fails at once, and scapy's probe gets
#   ICMP 3/13 from the appliance's inside address quoting the probe's IP header + 8 bytes
#   (checksums right); ping of a rejected ICMP destination: "Packet filtered";
# - "egwctl mode deny": mode_deny answered as well;
# - [egress] reject_rate: a burst of SYNs gets at most the rate's answers, the rest counted as
#   rejects_rate_limited; every refusal counts once under its decision's drop reason;
# - rejects_sent via dpdk-telemetry.py and "egwctl --json stats", and the flow log's deny
#   records say "action":"reject" (or "drop" for the deny policy).
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
egw_topo_up
RATE=10
egw_policy_conf "$EGW_OUT/egw.ini" "dpdk.idle_sleep_us=50" "egress.deny_action=reject" \
	"egress.reject_rate=$RATE" "log.flow_log=$EGW_OUT/flows.jsonl"
egw_policy_file 10-reject.ini <<EOF
[policy web]
destinations = $EGW_IP_SRV
ports = $EGW_HTTP_PORT
protocol = tcp
action = allow

[policy refuse-tcp]
destinations = $EGW_IP_SRV
ports = 8081
protocol = tcp
action = reject
log = yes

[policy drop-tcp]
destinations = $EGW_IP_SRV
ports = 8082
protocol = tcp
action = deny
log = yes

[policy refuse-udp]
destinations = $EGW_IP_SRV
ports = $EGW_UDP_PORT
protocol = udp
action = reject

[policy refuse-ping]
protocol = icmp
action = reject
EOF
egw_start "$EGW_OUT/egw.ini"
egw_http_start
egw_udp_echo_start
URL=http://$EGW_IP_SRV:$EGW_HTTP_PORT/index.html
# The allowed port first: the appliance learns the server's MAC on the way.
egw_wait_for 10 egw_curl $EGW_NS_CLI "$URL" -o /dev/null ||
	egw_fail "curl to the allowed port: $(cat "$EGW_OUT/curl.err")"
egw_ok "curl to $EGW_IP_SRV:$EGW_HTTP_PORT allowed by policy web"
cap=$EGW_OUT/srv.pcap
egw_capture_start $EGW_NS_SRV $EGW_IF_SRV "$cap" \
	"tcp dst port 8081 or tcp dst port 8082 or tcp dst port 8083 or udp or icmp"
cpid=$EGW_LAST_PID
B=$EGW_OUT/base
egw_stats_save "$B.json"

# curl ARGS...: prints "EXIT SECONDS" of a curl to the server (stderr in curl.err).
timed_curl()
{
	local t0 rc=0
	t0=$(date +%s%N)
	ip netns exec $EGW_NS_CLI curl --noproxy '*' -sS -o /dev/null --connect-timeout 2 "$@" \
		2>"$EGW_OUT/curl.err" || rc=$?
	echo "$rc $(((($(date +%s%N) - t0) / 1000000)))"
}

# --- TCP: reject answers at once, deny makes the client wait
read -r rc ms <<<"$(timed_curl "http://$EGW_IP_SRV:8081/")"
assert_eq "$rc" 7 "curl to a reject policy's port exits 7 (cannot connect)"
assert_eq "$(egw_tcp_probe $EGW_NS_CLI "" $EGW_IP_SRV 8081 2)" refused \
	"connect() to a reject policy's port: ECONNREFUSED (the RST was accepted)"
assert_le "$ms" 1500 "milliseconds until curl gave up on the rejected port"
read -r rc ms <<<"$(timed_curl "http://$EGW_IP_SRV:8082/")"
assert_eq "$rc" 28 "curl to a deny policy's port times out (exit 28)"
assert_ge "$ms" 1900 "milliseconds curl waited on the dropped port"
# no policy: the mode refuses, deny_action = reject answers
read -r rc ms <<<"$(timed_curl "http://$EGW_IP_SRV:8083/")"
assert_eq "$rc" 7 "curl to a port no policy allows exits 7"
assert_eq "$(egw_tcp_probe $EGW_NS_CLI "" $EGW_IP_SRV 8083 2)" refused \
	"connect() to a port no policy allows: ECONNREFUSED"
assert_le "$ms" 1500 "milliseconds until curl gave up (no match)"

# --- UDP and ICMP: ICMP 3/13 from the inside address
t0=$(date +%s%N)
out=$(ip netns exec $EGW_NS_CLI dig +tries=1 +timeout=3 -p $EGW_UDP_PORT @$EGW_IP_SRV \
	reject.example 2>&1) || true
ms=$((($(date +%s%N) - t0) / 1000000))
assert_contains "$out" "unreachable" "dig to a reject policy's UDP port: unreachable"
assert_le "$ms" 1500 "milliseconds until dig gave up"
out=$(ip netns exec $EGW_NS_CLI timeout 10 "$EGW_PY" - "$EGW_IF_CLI" "$EGW_IP_SRV" \
	"$EGW_UDP_PORT" <<'PYEOF'
import logging, sys
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import ICMP, IP, IPerror, UDP, UDPerror, conf, raw, sr1
conf.verb = 0
ifc, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
probe = IP(dst=dst, id=4242) / UDP(sport=40123, dport=port) / (b"reject-probe" * 4)
r = sr1(probe, iface=ifc, timeout=3)
if r is None or ICMP not in r:
    sys.exit("no ICMP answer: %r" % r)
icmp = r[ICMP]
quote = bytes(icmp.payload)
fresh = ICMP(bytes(icmp))
fresh.chksum = None
print("type=%d code=%d src=%s quote=%d icmp_csum=%s inner=%s:%d id=%d" % (
    icmp.type, icmp.code, r[IP].src, len(quote),
    "ok" if ICMP(raw(fresh)).chksum == icmp.chksum else "bad",
    r[IPerror].dst, r[UDPerror].dport, r[IPerror].id))
PYEOF
) || egw_fail "scapy UDP probe: $out"
assert_contains "$out" "type=3 code=13 src=$EGW_IP_GWIN quote=28 icmp_csum=ok" \
	"the answer to a rejected UDP probe ($out)"
assert_contains "$out" "inner=$EGW_IP_SRV:$EGW_UDP_PORT id=4242" "the quoted probe"
out=$(ip netns exec $EGW_NS_CLI ping -n -c 1 -W 2 $EGW_IP_SRV 2>&1) || true
assert_contains "$out" "From $EGW_IP_GWIN icmp_seq=1 Packet filtered" "ping of a rejected destination"

# --- the mode deny at run time
egw_ctl_ok mode deny
read -r rc ms <<<"$(timed_curl "$URL")"
assert_eq "$rc" 7 "curl in mode deny exits 7 (cannot connect)"
assert_le "$ms" 1500 "milliseconds until curl gave up (mode deny)"
egw_ctl_ok mode policy

# --- the rate limit: a burst of SYNs, at most RATE answers a second
sleep 1 # a fresh second: the steps above used some of this one's answers
out=$(ip netns exec $EGW_NS_CLI timeout 20 "$EGW_PY" - "$EGW_IF_CLI" "$EGW_IP_SRV" <<'PYEOF'
import logging, sys, time
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import IP, TCP, conf, send
conf.verb = 0
ifc, dst = sys.argv[1], sys.argv[2]
burst = [IP(dst=dst) / TCP(sport=20000 + i, dport=8081, flags="S", seq=1000 + i) for i in range(100)]
t0 = time.monotonic()
send(burst, iface=ifc)
print("%.2f" % (time.monotonic() - t0))
PYEOF
) || egw_fail "scapy SYN burst: $out"
egw_log "100 SYNs sent in $out s"
egw_wait_stat rejects_rate_limited -ge 1 >/dev/null # counters are read a moment later
egw_capture_stop "$cpid"

# --- counters: one drop reason per refusal; answers and suppressed answers add up
assert_stat_delta "$B.json" drops.policy_deny -ge 106 # 8081 x2, 8082 (+SYN retries), UDP x2, ping, burst
assert_stat_delta "$B.json" drops.policy_no_match -eq 2
assert_stat_delta "$B.json" drops.mode_deny -eq 1
limited=$(egw_stat_delta "$B.json" rejects_rate_limited)
sent=$(egw_stat_delta "$B.json" rejects_sent)
assert_numeq $((sent + limited)) 108 "rejects sent + rate-limited (8 single refusals + 100 SYNs)"
assert_ge "$limited" 50 "answers the rate limit held back (at most $RATE a second)"
n=$("$EGW_PY" "$EGW_E2E_DIR/pcaptool.py" count "$cap" --dst $EGW_IP_SRV)
assert_numeq "$n" 0 "refused packets that reached the server"
out=$("$EGW_CTL_BIN" -p "$EGW_PREFIX" --json stats 2>&1) || egw_fail "egwctl --json stats: $out"
assert_numeq "$(printf '%s' "$out" | egw_json_get /egw/stats.rejects_sent)" \
	"$(egw_stat rejects_sent)" "egwctl --json stats: rejects_sent"
egw_stop
# --- the flow log: deny records name the action
assert_match "$(grep '"dport":8081' "$EGW_OUT/flows.jsonl" | head -n 1)" \
	'"event":"deny".*"reason":"policy_deny","count":[0-9]+,"action":"reject"' "flow log: reject policy"
assert_match "$(grep '"dport":8082' "$EGW_OUT/flows.jsonl" | head -n 1)" \
	'"reason":"policy_deny","count":[0-9]+,"action":"drop"' "flow log: deny policy"
assert_match "$(grep '"dport":8083' "$EGW_OUT/flows.jsonl" | head -n 1)" \
	'"reason":"policy_no_match","count":[0-9]+,"action":"reject"' "flow log: the mode's refusal"
