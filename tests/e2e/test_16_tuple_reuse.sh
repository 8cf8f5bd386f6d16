#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# One flow per connection when the client reuses its ports (issue 20). The client's ephemeral
# range is narrowed to 200 ports (connect() takes every other one), and CONNS (default 5000)
# sequential HTTP/1.0 requests each open a new connection, so every port carries about fifty
# connections, each on the time-wait flow of the one before:
#   - start records == end records == connections == flows_created == the server's access
#     log lines; the earlier connection on a tuple ends "reused", with its own counters;
#   - a policy change between two connections on one tuple applies to the second: allowed,
#     then (policy now deny) refused with a deny record, the old flow ended "reused".
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
egw_topo_up
CONNS=${EGW_REUSE_CONNS:-5000}
FLOWLOG=$EGW_OUT/flows.jsonl
egw_policy_conf "$EGW_OUT/egw.ini" "log.flow_log=$FLOWLOG"
web_policy() # ACTION
{
	egw_policy_file 10-web.ini <<EOF2
[policy web]
sources = 198.18.0.0/24
destinations = $EGW_IP_SRV
ports = $EGW_HTTP_PORT
protocol = tcp
action = $1
log = yes

[policy ping]
sources = 198.18.0.0/24
protocol = icmp
action = allow
EOF2
}
web_policy allow
egw_in $EGW_NS_CLI sysctl -qw net.ipv4.ip_local_port_range="40000 40199"
egw_start "$EGW_OUT/egw.ini"
egw_http_start
egw_wait_path

base=$EGW_OUT/stats.before.json
egw_stats_save "$base"
out=$(egw_in $EGW_NS_CLI timeout 60 "$EGW_PY" "$EGW_E2E_DIR/churn.py" http-seq $EGW_IP_SRV \
	$EGW_HTTP_PORT "$CONNS") || egw_fail "churn client failed: $out"
egw_log "client: $out"
assert_numeq "$(printf '%s' "$out" | egw_json_get ok)" "$CONNS" "connections the client made"
assert_stat_delta "$base" flows_created -eq "$CONNS"
reused=$(egw_stat_delta "$base" flows_reused)
assert_ge "$reused" $((CONNS - 200)) "flows ended by a new connection on their tuple"

# The second connection on one tuple meets the policy in force when it opens.
out=$(egw_in $EGW_NS_CLI timeout 20 "$EGW_PY" "$EGW_E2E_DIR/churn.py" http-seq $EGW_IP_SRV \
	$EGW_HTTP_PORT 1 45000) || egw_fail "churn client failed: $out"
assert_numeq "$(printf '%s' "$out" | egw_json_get ok)" 1 "a connection from port 45000 (allowed)"
web_policy deny
egw_reload_ok
out=$(egw_in $EGW_NS_CLI timeout 20 "$EGW_PY" "$EGW_E2E_DIR/churn.py" http-seq $EGW_IP_SRV \
	$EGW_HTTP_PORT 1 45000) || egw_fail "churn client failed: $out"
assert_numeq "$(printf '%s' "$out" | egw_json_get failed)" 1 \
	"the next connection from port 45000 (policy now deny)"
egw_stop # the flows still in time-wait end as "shutdown": every start has its end

served=$(grep -c '"GET /index.html HTTP/1.0" 200' "$EGW_OUT/http.log" || true)
assert_numeq "$served" $((CONNS + 1)) "requests in the server's access log"
"$EGW_PY" - "$FLOWLOG" "$CONNS" "$EGW_HTTP_PORT" <<'PYEOF' || egw_fail "flow log check failed"
import collections, json, sys
path, conns, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ev = collections.Counter()
starts, ends = {}, {}
tail = []
for line in open(path):
    r = json.loads(line)
    if r.get("dport") != port:
        continue
    if r["sport"] == 45000:
        tail.append((r["event"], r.get("reason")))
        continue
    if not 40000 <= r["sport"] <= 40199:
        sys.exit("a connection from outside the narrowed range: %r" % r)
    ev[r["event"]] += 1
    if r["event"] == "start":
        starts[r["flow_id"]] = r
    elif r["event"] == "end":
        ends[r["flow_id"]] = r
        ev["end:" + r["reason"]] += 1
print(dict(ev), tail)
assert ev["start"] == conns and ev["end"] == conns, "start/end records != connections"
assert set(starts) == set(ends), "every start has its end (same flow_id) and no other"
assert ev["end:reused"] + ev["end:shutdown"] == conns, "ended as reused or at shutdown only"
# One connection per record: each ended flow carried one request and its response.
for r in ends.values():
    assert r["packets_out"] >= 4 and r["packets_in"] >= 3, r
    assert r["packets_out"] <= 12 and r["packets_in"] <= 12, r
# Allowed, then its flow ended by the next SYN, which (and each retransmission) is denied.
assert tail[:3] == [("start", None), ("end", "reused"), ("deny", "policy_deny")], tail
assert set(tail[3:]) <= {("deny", "policy_deny")}, tail
PYEOF
egw_ok "flow log: $CONNS starts, $CONNS ends, one per connection; the policy change applied"
