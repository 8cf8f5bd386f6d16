#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# UDP request/response at scale (issue 18): a resolver-like client sends QUERIES (default
# 12000) queries at up to 2000/s from one inside address, each from a fresh source port, to
# an echo "DNS server" on port 53 outside. The default configuration, except a short udp_reply,
# udp_port_timeouts = 53:2 (so that the test need not wait 30 s) and max_per_source = 1000:
# far below the ~4000 answered flows the 2 s timer holds at 2000 queries/s, so that the test
# shows answered flows holding no share (only the unanswered ones, < 256 in flight, count):
#   - every query is answered, nat_source_limit stays 0;
#   - the answered flows are finished (flows_time_wait) and gone a few seconds later;
#   - /egw/info shows udp_reply and udp_port_timeouts; egwctl sources lists the client;
#   - a long-lived UDP stream on one socket (port 9000: one datagram out, two back per round)
#     keeps its mapping across gaps longer than udp_reply (udp timer): the server sees one
#     source. The churn's resent queries, answered twice, stay request/response.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
egw_topo_up
QUERIES=${EGW_CHURN_QUERIES:-12000}
egw_conf "$EGW_OUT/egw.ini" "pool public.max_per_source=1000" flows.udp_reply=2 \
	flows.udp_port_timeouts=53:2 -flows.tcp_syn -flows.tcp_established \
	-flows.tcp_transitory -flows.udp -flows.icmp
egw_start "$EGW_OUT/egw.ini"
egw_bg $EGW_NS_SRV "$EGW_OUT/udp-serve.log" "$EGW_PY" -u "$EGW_E2E_DIR/churn.py" udp-serve \
	$EGW_IP_SRV 53 +$EGW_UDP_PORT
SERVE_PID=$EGW_LAST_PID
egw_wait_for 10 egw_listening udp 53 || egw_fail "churn udp-serve did not start"
egw_wait_path

assert_numeq "$(egw_info flow_timeouts.udp_reply)" 2 "/egw/info udp_reply"
assert_numeq "$(egw_info flow_timeouts.udp)" 300 "/egw/info udp (default)"
assert_eq "$(egw_info flow_timeouts.udp_port_timeouts)" "53:2" "/egw/info udp_port_timeouts"

# The stream starts first and lives through the churn: 3 rounds 5 s apart (> udp_reply + a
# sweep).
egw_bg $EGW_NS_CLI "$EGW_OUT/stream.log" "$EGW_PY" "$EGW_E2E_DIR/churn.py" udp-stream \
	$EGW_IP_SRV $EGW_UDP_PORT 3 5
STREAM_PID=$EGW_LAST_PID

base=$EGW_OUT/stats.before.json
egw_stats_save "$base"
out=$(egw_in $EGW_NS_CLI timeout 60 "$EGW_PY" "$EGW_E2E_DIR/churn.py" udp-churn $EGW_IP_SRV 53 \
	"$QUERIES" 2000 40) || egw_fail "churn client failed: $out"
egw_log "client: $out"
assert_numeq "$(printf '%s' "$out" | egw_json_get sent)" "$QUERIES" "queries sent"
assert_numeq "$(printf '%s' "$out" | egw_json_get answered)" "$QUERIES" "queries answered"
assert_stat_delta "$base" drops.nat_source_limit -eq 0
# A fresh socket may get a source port a query used a moment ago: that query then meets the
# earlier, answered flow of the same 5-tuple (UDP has no connection boundary). So fewer flows
# than queries, but most queries make their own.
assert_stat_delta "$base" flows_created -ge $((QUERIES / 2))

# The live stream is the one mapping the client holds now (answered queries do not count).
out=$(timeout 20 "$EGW_CTL_BIN" -p "$EGW_PREFIX" sources) || egw_fail "egwctl sources: $out"
egw_log "egwctl sources:"$'\n'"$out"
assert_match "$out" "$EGW_IP_CLI +[1-9]" "egwctl sources lists the client with its live mappings"
# Answered flows to port 53 go after 2 s (plus one expiry sweep): none of them is left.
v=$(egw_wait_stat flows_time_wait -eq 0 20)
assert_numeq "$v" 0 "finished (answered) flows after udp_port_timeouts 53:2"
# No query left a live flow behind (a resent query answered twice is no stream): the stream
# and the warm-up ping at most.
assert_le "$(egw_stat flows_active)" 2 "live flows after the churn"
created=$(egw_stat_delta "$base" flows_created)
assert_stat_delta "$base" flows_expired -ge $((created - 1)) # all but the stream

for ((i = 0; i < 150; i++)); do kill -0 "$STREAM_PID" 2>/dev/null || break; sleep 0.2; done
wait "$STREAM_PID" 2>/dev/null || true
out=$(cat "$EGW_OUT/stream.log")
egw_log "stream: $out"
assert_numeq "$(printf '%s' "$out" | egw_json_get answered)" 3 "stream rounds answered"
peers=$(grep -c '^peer ' "$EGW_OUT/udp-serve.log" || true)
assert_ge "$peers" 3 "stream datagrams seen by the server"
distinct=$(grep '^peer ' "$EGW_OUT/udp-serve.log" | sort -u | wc -l)
assert_numeq "$distinct" 1 "source tuples the server saw for the stream (mapping kept)"
egw_kill "$SERVE_PID"
egw_stop
