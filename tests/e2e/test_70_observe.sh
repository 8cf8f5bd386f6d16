#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Operability (SPEC section 7): after a known workload, every tool tells the same story.
# Workload, mode policy: N curl requests allowed by policy "web" (log = yes), M TCP attempts
# refused by the deny policy "blocked" (log = yes), one UDP exchange allowed by "quiet"
# (log = no), and one slow download kept open. Then:
#   - dpdk-telemetry.py: /egw/stats, /egw/policies, /egw/pools, /egw/workers, /egw/ports carry
#     exactly these counts; /egw/flows refuses a bad filter with an error object;
#   - egwctl flows lists the live download with its translation; egwctl flows flush ends it;
#   - /metrics (libmicrohttpd) passes promtool check metrics and carries the same numbers;
#   - the flow log: every line is valid against docs/flowlog.schema.json (python3-jsonschema);
#     start/deny/end records match the workload (deny records count their repeats: one SYN
#     sent three times within a second is one record with count 3); an end carries its start's flow_id; the
#     Community IDs equal those computed here from each record's tuple; "quiet" is absent;
#     SIGUSR1 after a rename continues in a new file (log rotation) without a reload; SIGHUP
#     reloads (a new generation) and leaves the flow log alone.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
command -v promtool >/dev/null || egw_fail "promtool missing (tests/setup.sh)"
"$EGW_PY" -c 'import jsonschema' 2>/dev/null || egw_fail "python3-jsonschema missing (tests/setup.sh)"
egw_topo_up
N=5
M=3
METRICS=127.0.0.1:19610
FLOWLOG=$EGW_OUT/flows.jsonl
egw_policy_conf "$EGW_OUT/egw.ini" "dpdk.idle_sleep_us=50" "metrics.listen=$METRICS" metrics.latency=yes \
	"log.flow_log=$FLOWLOG" flows.tcp_transitory=2 flows.tcp_syn=2 flows.udp=2 flows.icmp=2 \
	flows.tcp_pickup=no flows.max=4096
egw_policy_file 10-obs.ini <<EOF
[policy web]
sources = 198.18.0.0/24
destinations = $EGW_IP_SRV
ports = $EGW_HTTP_PORT
protocol = tcp
action = allow
log = yes

[policy blocked]
sources = 198.18.0.0/24
ports = 8081
protocol = tcp
action = deny
log = yes

[policy quiet]
sources = 198.18.0.0/24
ports = 9000
protocol = udp
action = allow
log = no

[policy ping]
sources = 198.18.0.0/24
protocol = icmp
action = allow
EOF
# A flow log the daemon cannot open stops the start, naming the line that set it.
egw_conf "$EGW_OUT/bad.ini" "log.flow_log=/nonexistent-egw-dir/flows.jsonl"
rc=0
out=$(ip netns exec $EGW_NS_GW timeout 60 "$EGW_BIN" -c "$EGW_OUT/bad.ini" -- --no-pci 2>&1) || rc=$?
assert_eq "$rc" 1 "start with an unopenable flow log exits 1"
assert_match "$out" "bad\.ini:[0-9]+: \[log\] flow_log: cannot open /nonexistent-egw-dir/flows.jsonl" \
	"the error names FILE:LINE of flow_log"
egw_start "$EGW_OUT/egw.ini"
egw_http_start
egw_udp_echo_serve $EGW_NS_SRV $EGW_IP_SRV 9000 udp-echo-9000
egw_wait_path
URL=http://$EGW_IP_SRV:$EGW_HTTP_PORT
B=$EGW_OUT/base
egw_baseline "$B"
ctl() { timeout 20 "$EGW_CTL_BIN" -s "$EGW_CTL_SOCK" -p "$EGW_PREFIX" "$@"; }
metrics() { ip netns exec $EGW_NS_GW curl -sS --fail --max-time 10 "http://$METRICS/metrics"; }
# metric NAME{LABELS}: its value in a saved exposition (exact series match).
metric() { awk -v s="$1" '$1 == s { print $2; found = 1 } END { if (!found) print "missing" }' \
	"$EGW_OUT/metrics.txt"; }

# --- the workload
for ((i = 0; i < N; i++)); do
	egw_curl $EGW_NS_CLI "$URL/index.html" -o /dev/null || egw_fail "curl $i: $(cat "$EGW_OUT/curl.err")"
done
egw_ok "$N curl requests allowed by policy web"
for ((i = 0; i < M; i++)); do
	assert_eq "$(egw_tcp_probe $EGW_NS_CLI "" $EGW_IP_SRV 8081)" timeout "TCP 8081 refused (policy blocked)"
done
assert_eq "$(egw_udp_send $EGW_NS_CLI "" $EGW_IP_SRV 9000 2)" 2 "UDP echo allowed by policy quiet"
# The live flow: a download slowed down to last well beyond the checks below.
egw_bg $EGW_NS_CLI "$EGW_OUT/slow.log" curl --noproxy '*' -sS --limit-rate 20k -o /dev/null \
	"$URL/big.bin"
SLOW_PID=$EGW_LAST_PID
assert_stat_delta "$B.stats.json" flows_created -eq $((N + 2))

# --- telemetry (dpdk-telemetry.py)
assert_stat_delta "$B.stats.json" drops.policy_deny -eq $M
assert_stat_delta "$B.stats.json" drops.policy_no_match -eq 0
assert_policy_deltas "$B.pol.json" "web flows_allowed -eq $((N + 1))" "web flows_denied -eq 0" \
	"blocked flows_denied -eq $M" "blocked flows_allowed -eq 0" "quiet flows_allowed -eq 1" \
	"quiet packets -eq 4"
# Once the $N finished connections expired (time-wait: transitory 2 s), the live download and
# nothing else holds a port: pools, flows_active and the flow list agree on one.
assert_eq "$(egw_wait_stat flows_time_wait -eq 0 15)" 0 "/egw/stats flows_time_wait after expiry"
assert_eq "$(egw_wait_stat flows_active -eq 1 15)" 1 "/egw/stats flows_active after expiry"
pools=$(egw_tel /egw/pools) || egw_fail "no /egw/pools"
egw_log "/egw/pools: $pools"
assert_eq "$(printf '%s' "$pools" | egw_json_get /egw/pools.pools.p0.name)" public "pool name"
assert_eq "$(printf '%s' "$pools" | egw_json_get /egw/pools.pools.p0.ports_in_use)" 1 \
	"/egw/pools public ports_in_use"
assert_eq "$(printf '%s' "$pools" | egw_json_get /egw/pools.pools.p0.addresses_total)" 4 \
	"/egw/pools public addresses_total"
assert_eq "$(printf '%s' "$pools" | egw_json_get /egw/pools.pools.p0.ports_free)" \
	$((4 * 64512 - 1)) "/egw/pools public ports_free"
assert_eq "$(printf '%s' "$pools" | egw_json_get /egw/pools.pools.p0.exhausted)" 0 \
	"/egw/pools public exhausted"
workers=$(egw_tel /egw/workers) || egw_fail "no /egw/workers"
assert_eq "$(printf '%s' "$workers" | egw_json_get /egw/workers.workers.w0.flows_active)" 1 \
	"/egw/workers w0 flows_active"
# Latency ([metrics] latency = yes): every forwarded packet of the workload has its time
# inside; quantiles ordered, and within a second (a loaded machine, an idle poll of 50 us).
lat=$(egw_tel /egw/latency) || egw_fail "no /egw/latency"
assert_eq "$(printf '%s' "$lat" | egw_json_get /egw/latency.enabled)" 1 "/egw/latency enabled"
assert_ge "$(printf '%s' "$lat" | egw_json_get /egw/latency.packets)" $((N * 5)) "/egw/latency packets"
p50=$(printf '%s' "$lat" | egw_json_get /egw/latency.p50_ns)
p99=$(printf '%s' "$lat" | egw_json_get /egw/latency.p99_ns)
p999=$(printf '%s' "$lat" | egw_json_get /egw/latency.p999_ns)
egw_log "latency: p50 $p50 ns, p99 $p99 ns, p99.9 $p999 ns"
assert_ge "$p50" 1 "/egw/latency p50_ns"
assert_ge "$p99" "$p50" "/egw/latency p99 >= p50"
assert_ge "$p999" "$p99" "/egw/latency p99.9 >= p99"
assert_le "$p50" 1000000000 "/egw/latency p50 under a second"
# The worker's own cost counter: cycles of the loops that carried the traffic above.
assert_ge "$(printf '%s' "$workers" | egw_json_get /egw/workers.workers.w0.busy_cycles)" 1 \
	"/egw/workers w0 busy_cycles"
ports=$(egw_tel /egw/ports) || egw_fail "no /egw/ports"
assert_eq "$(printf '%s' "$ports" | egw_json_get /egw/ports.ports.p0.role)" inside "/egw/ports p0 role"
assert_eq "$(printf '%s' "$ports" | egw_json_get /egw/ports.ports.p1.address)" "$EGW_IP_GWOUT/24" \
	"/egw/ports p1 address"
assert_ge "$(printf '%s' "$ports" | egw_json_get /egw/ports.ports.p1.tx_packets)" $((N * 5)) \
	"/egw/ports p1 tx_packets"
bad=$(egw_tel "/egw/flows,port=99999") || egw_fail "no reply to a bad /egw/flows filter"
assert_contains "$bad" '"error"' "/egw/flows with port=99999 answers an error object"
bad=$(egw_tel "/egw/flows,policy=nosuch") || egw_fail "no reply to /egw/flows,policy=nosuch"
assert_contains "$bad" "no policy named" "/egw/flows with an unknown policy"
for c in /egw/info,x /egw/stats,x /egw/ports,x /egw/workers,x /egw/policies,abc /egw/pools,nosuch; do
	bad=$(egw_tel "$c") || egw_fail "no reply to $c"
	assert_contains "$bad" '"error"' "$c answers an error object"
done

# --- egwctl flows: the live download with its translation
fl=$(egw_tel "/egw/flows,policy=web proto=tcp") || egw_fail "no /egw/flows"
egw_log "/egw/flows: $fl"
assert_eq "$(printf '%s' "$fl" | egw_json_get /egw/flows.matched)" 1 "/egw/flows matched"
nat=$(printf '%s' "$fl" | egw_json_get /egw/flows.flows.f0.nat_src)
nport=$(printf '%s' "$fl" | egw_json_get /egw/flows.flows.f0.nat_sport)
sport=$(printf '%s' "$fl" | egw_json_get /egw/flows.flows.f0.sport)
assert_match "$nat" '^198\.51\.100\.1[0-3]$' "live flow translated to a pool address"
out=$(ctl flows policy=web) || egw_fail "egwctl flows failed: $out"
egw_log "egwctl flows:"$'\n'"$out"
assert_contains "$out" "$EGW_IP_CLI:$sport" "egwctl flows shows the inside endpoint"
assert_contains "$out" "$nat:$nport" "egwctl flows shows the translation"
assert_contains "$out" "$EGW_IP_SRV:$EGW_HTTP_PORT" "egwctl flows shows the destination"
out=$(ctl flows addr=203.0.113.0/24 port=9) || egw_fail "egwctl flows with a filter: $out"
assert_not_contains "$out" "$EGW_IP_CLI:$sport" "egwctl flows port=9 leaves the download out"

# --- egwctl tables: the same numbers, readable
out=$(ctl policies) || egw_fail "egwctl policies: $out"
egw_log "egwctl policies:"$'\n'"$out"
assert_match "$out" "web +$((N + 1)) +0 +1 " "egwctl policies: web allowed $((N + 1)), denied 0, active 1"
assert_match "$out" "blocked +0 +$M " "egwctl policies: blocked denied $M"
out=$(ctl --raw -n -o policy,Denied policies) || egw_fail "egwctl --raw -n -o policy,denied: $out"
assert_match "$out" "^blocked $M\$" "egwctl --raw -o policy,denied: the line 'blocked $M'"
assert_not_contains "$out" "POLICY" "egwctl --noheadings prints no header"
out=$(ctl pools) || egw_fail "egwctl pools: $out"
egw_log "egwctl pools:"$'\n'"$out"
assert_match "$out" "public +$nat +1 +64511 +0" "egwctl pools: $nat holds one port"
out=$(ctl stats) || egw_fail "egwctl stats: $out"
assert_match "$out" "policy_deny +$M" "egwctl stats lists the policy_deny drops"
out=$(ctl ports) || egw_fail "egwctl ports: $out"
assert_match "$out" "outside +1 +0 +outside +$EGW_IP_GWOUT/24 .* up " "egwctl ports: the outside port, link up"
out=$(ctl workers) || egw_fail "egwctl workers: $out"
assert_contains "$out" "BUSY" "egwctl workers prints its table"
out=$(ctl flows port=99999 2>&1) && egw_fail "egwctl flows port=99999 should fail: $out"
assert_contains "$out" "port must be 0-65535" "egwctl flows: a bad filter is explained"

# --- /metrics: valid exposition, same numbers
egw_tel /egw/stats >"$EGW_OUT/stats-at-metrics.json" || egw_fail "no /egw/stats"
metrics >"$EGW_OUT/metrics.txt" || egw_fail "GET /metrics failed"
promtool check metrics <"$EGW_OUT/metrics.txt" >"$EGW_OUT/promtool.out" 2>&1 ||
	egw_fail "promtool check metrics: $(cat "$EGW_OUT/promtool.out")"
egw_ok "promtool check metrics passes ($(wc -l <"$EGW_OUT/metrics.txt") lines)"
assert_eq "$(metric 'egressgw_drops_total{reason="policy_deny"}')" "$(egw_drop policy_deny)" \
	"metric drops policy_deny equals /egw/stats"
assert_eq "$(metric 'egressgw_policy_flows_allowed_total{policy="web"}')" \
	"$(egw_policy web flows_allowed)" "metric web flows_allowed equals /egw/policies"
assert_eq "$(metric 'egressgw_policy_flows_denied_total{policy="blocked"}')" $M \
	"metric blocked flows_denied"
assert_eq "$(metric "egressgw_pool_ports_in_use{pool=\"public\",address=\"$nat\"}")" 1 \
	"metric pool ports_in_use of $nat"
assert_eq "$(metric egressgw_flows_active)" 1 "metric flows_active"
assert_ge "$(metric egressgw_latency_seconds_count)" $((N * 5)) "metric latency_seconds_count"
assert_match "$(metric 'egressgw_latency_seconds{quantile="0.5"}')" '^[0-9]+\.[0-9]{9}$' \
	"metric latency_seconds p50"
# Alerts need no hard-coded sizes or start times; what telemetry has, metrics have.
assert_eq "$(metric egressgw_flows_max)" 4096 "metric flows_max ([flows] max)"
start=$(metric egressgw_start_time_seconds)
up=$(metric egressgw_uptime_seconds)
egw_is_int "$start" || egw_fail "metric start_time_seconds: $start"
assert_le $((start + up)) $(($(date +%s) + 2)) "start_time_seconds + uptime is not in the future"
assert_ge $((start + up)) $(($(date +%s) - 30)) "start_time_seconds + uptime is about now"
for m in handoffs held_for_arp punted; do
	assert_eq "$(metric egressgw_${m}_total)" "$(egw_json_get "/egw/stats.$m" <"$EGW_OUT/stats-at-metrics.json")" \
		"metric ${m}_total equals /egw/stats $m"
done
assert_eq "$(metric egressgw_rx_nombuf_total)" 0 "metric rx_nombuf_total"
# af_packet ports hold no mbufs while idle: in use may be 0, the pool is not.
assert_ge "$(metric egressgw_mbufs)" 1024 "metric mbufs (the pool)"
assert_le "$(metric egressgw_mbufs_in_use)" "$(metric egressgw_mbufs)" "mbufs_in_use <= mbufs"
# Active: the flows a policy admitted that are in the tables (the download), quota or not.
assert_eq "$(metric 'egressgw_policy_flows_active{policy="web"}')" 1 "metric web flows_active"
assert_eq "$(metric 'egressgw_policy_quota_in_use{policy="web"}')" 0 "metric web quota_in_use (no max_flows)"
assert_eq "$(egw_policy web flows_active)" 1 "/egw/policies web flows_active"
assert_eq "$(metric 'egressgw_port_link_up{port="outside"}')" 1 "metric outside link up"
code=$(ip netns exec $EGW_NS_GW curl -s -o /dev/null -w '%{http_code}' "http://$METRICS/nothing")
assert_eq "$code" 404 "/nothing is 404"
# egwctl metrics finds the address in /egw/info (it runs where the listener is).
ip netns exec $EGW_NS_GW timeout 20 "$EGW_CTL_BIN" -p "$EGW_PREFIX" metrics >"$EGW_OUT/metrics2.txt" ||
	egw_fail "egwctl metrics failed"
assert_contains "$(cat "$EGW_OUT/metrics2.txt")" 'egressgw_drops_total{reason="policy_deny"} '"$M" \
	"egwctl metrics prints the exposition"

# --- flush the download through the control socket
out=$(ctl flows flush policy=web) || egw_fail "egwctl flows flush: $out"
assert_contains "$out" "OK flushed 1 flows" "egwctl flows flush policy=web"
assert_eq "$(egw_wait_stat flows_active -eq 0 5)" 0 "no flow left after the flush"
kill "$SLOW_PID" 2>/dev/null || true

# --- the flow log
# check_log FILE: "start deny end flushed quiet" counts for policy web/blocked/quiet, and the
# records that break a rule: not JSON or not valid against docs/flowlog.schema.json (bad),
# an end without the start of the same flow_id and tuple or a flow_id used twice (unpaired),
# a Community ID that differs from the one computed here from the record's tuple (cid), a
# host that is not this machine's name (host).
check_log()
{
	"$EGW_PY" - "$1" "$EGW_ROOT/docs/flowlog.schema.json" <<'PYEOF'
import base64, hashlib, json, socket, struct, sys
import jsonschema
validator = jsonschema.Draft202012Validator(json.load(open(sys.argv[2])))
def community_id(proto, src, sport, dst, dport):
    a, b = socket.inet_aton(src), socket.inet_aton(dst)
    if (a, sport) > (b, dport):
        a, b, sport, dport = b, a, dport, sport
    data = struct.pack("!H4s4sBBHH", 0, a, b, proto, 0, sport, dport)
    return "1:" + base64.b64encode(hashlib.sha1(data).digest()).decode()
protos = {"tcp": 6, "udp": 17}
c = {"start": 0, "deny": 0, "end": 0, "flushed": 0, "quiet": 0, "bad": 0, "unpaired": 0,
     "cid": 0, "host": 0}
starts = {}
for n, line in enumerate(open(sys.argv[1]), 1):
    try:
        r = json.loads(line)
        validator.validate(r)
    except (ValueError, jsonschema.ValidationError) as e:
        c["bad"] += 1
        sys.stderr.write("line %d: %s: %r\n" % (n, str(e).splitlines()[0], line))
        continue
    if r["host"] != socket.gethostname():
        c["host"] += 1
    if r["proto"] in protos:
        want = community_id(protos[r["proto"]], r["src"], r["sport"], r["dst"], r["dport"])
        if r["community_id"] != want or ("nat_src" in r and r["nat_community_id"] !=
                community_id(protos[r["proto"]], r["nat_src"], r["nat_sport"], r["dst"], r["dport"])):
            c["cid"] += 1
    tup = (r["proto"], r["src"], r.get("sport"), r["dst"], r.get("dport"), r.get("nat_src"),
           r.get("nat_sport"))
    if r["event"] == "start":
        if r["flow_id"] in starts:
            c["unpaired"] += 1
        starts[r["flow_id"]] = tup
    elif r["event"] == "end" and starts.pop(r["flow_id"], None) != tup:
        c["unpaired"] += 1
    if r["policy"] == "quiet":
        c["quiet"] += 1
    elif r["event"] == "start" and r["policy"] == "web" and r["nat_src"].startswith("198.51.100."):
        c["start"] += 1
    elif r["event"] == "deny" and r["policy"] == "blocked" and r["reason"] == "policy_deny" \
            and r["dport"] == 8081:
        c["deny"] += r["count"]
    elif r["event"] == "end" and r["policy"] == "web" and r["packets_in"] > 0 and \
            r["bytes_out"] > 0 and r["duration_ms"] // 1000 == r["duration_s"]:
        c["flushed" if r["reason"] == "flushed" else "end"] += 1
print(" ".join("%s=%d" % kv for kv in c.items()))
PYEOF
}
# The schema is not a check that cannot fail: a start record without its flow_id is refused.
"$EGW_PY" - "$EGW_ROOT/docs/flowlog.schema.json" <<'PYEOF' || egw_fail "the flow log schema accepts a start record without flow_id"
import json, sys, jsonschema
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
r = {"time": "2026-11-29T10:20:30.123Z", "host": "gw", "event": "start",
     "community_id": "1:S7i17Ca9tnkxxy4E3akYYd03wdg=", "proto": "tcp", "src": "198.18.0.2",
     "sport": 1, "dst": "203.0.113.1", "dport": 2, "nat_src": "198.51.100.10", "nat_sport": 3,
     "nat_community_id": "1:cPR0360X3JV4djb5sIiVSip4M9M=", "policy": "web", "worker": 0}
sys.exit(0 if list(v.iter_errors(r)) else 1)
PYEOF
summary=
for ((i = 0; i < 50; i++)); do
	summary=$(check_log "$FLOWLOG")
	[[ $summary == *"end=$N "* && $summary == *"flushed=1 "* ]] && break
	sleep 0.2
done
egw_log "flow log: $summary"
assert_eq "$summary" "start=$((N + 1)) deny=$M end=$N flushed=1 quiet=0 bad=0 unpaired=0 cid=0 host=0" \
	"flow log records (each valid against docs/flowlog.schema.json)"
ends=$(grep -c '"reason":"tcp_closed"' "$FLOWLOG" || true)
assert_numeq "$ends" $N "finished downloads end as tcp_closed"

# --- deny noise: one SYN sent three times (scapy, 0.2 s apart) is one deny record, count 3
SYN_SPORT=40999
ip netns exec $EGW_NS_CLI timeout 20 "$EGW_PY" -c '
import logging, sys, time
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import IP, TCP, send
syn = IP(src=sys.argv[1], dst=sys.argv[2]) / TCP(sport=int(sys.argv[3]), dport=8081, flags="S",
                                                 seq=12345)
for i in range(3):
    send(syn, verbose=False)
    time.sleep(0.2)
' $EGW_IP_CLI $EGW_IP_SRV $SYN_SPORT
egw_wait_for 10 grep -q "\"sport\":$SYN_SPORT," "$FLOWLOG" || egw_fail "no deny record for the SYN"
denies=$(grep "\"event\":\"deny\"" "$FLOWLOG" | grep -c "\"sport\":$SYN_SPORT," || true)
assert_eq "$denies" 1 "a SYN sent three times: one deny record"
assert_contains "$(grep "\"sport\":$SYN_SPORT," "$FLOWLOG")" '"count":3' "the deny record counts 3"
assert_eq "$(egw_stat flow_log_deny_dropped)" 0 "/egw/stats flow_log_deny_dropped"

# --- log rotation (nginx's convention): rename, SIGUSR1, the next records go to a new file at
# the same path and the policy is NOT reloaded; SIGHUP reloads (a new generation)
g0=$(egw_info policy_generation) || egw_fail "no /egw/info policy_generation"
mv "$FLOWLOG" "$FLOWLOG.1"
kill -USR1 "$EGW_PID"
egw_wait_for 5 test -f "$FLOWLOG" || egw_fail "no new flow log after SIGUSR1"
egw_curl $EGW_NS_CLI "$URL/index.html" -o /dev/null || egw_fail "curl after rotation"
egw_wait_for 5 grep -q '"event":"start"' "$FLOWLOG" || egw_fail "no start record in the new file"
egw_ok "after SIGUSR1 the flow log continues in a new $FLOWLOG"
assert_eq "$(egw_info policy_generation)" "$g0" "SIGUSR1 leaves the policy generation alone"
summary=$(check_log "$FLOWLOG")
assert_match "$summary" "bad=0 .*cid=0 host=0" "the new file's records are valid too"
mv "$FLOWLOG" "$FLOWLOG.2"
kill -HUP "$EGW_PID"
for ((i = 0; i < 50; i++)); do
	[[ $(egw_info policy_generation) != "$g0" ]] && break
	sleep 0.2
done
assert_eq "$(egw_info policy_generation)" $((g0 + 1)) "SIGHUP reloads: a new generation"
egw_curl $EGW_NS_CLI "$URL/index.html" -o /dev/null || egw_fail "curl after the reload"
sleep 1
[[ -e $FLOWLOG ]] && egw_fail "SIGHUP reopened the flow log (that is SIGUSR1's job)"
egw_ok "SIGHUP does not reopen the flow log"
assert_eq "$(egw_stat flow_log_dropped)" 0 "/egw/stats flow_log_dropped"

egw_stop
egw_finish
