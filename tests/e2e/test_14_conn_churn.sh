#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Many short TCP connections from one inside address (issue 17). The default configuration,
# except max_per_source = 8192 (the default the issue was filed against), so that the count
# of connections far exceeds what closed flows used to hold: CONNS (default 30000, the issue's
# 30,000, bounded to 45 s) connect, read a byte and close.
#   - every connection succeeds, nat_source_limit stays 0 (before: dropped after 8192);
#   - the closed flows are time-wait: flows_time_wait ~ CONNS, flows_active ~ 0, and egwctl
#     flows lists them as time_wait; /egw/info shows tcp_time_wait = 240.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
egw_topo_up
CONNS=${EGW_CHURN_CONNS:-30000}
PORT=8090
CTL_SOCK=$EGW_OUT/ctl.sock
egw_conf "$EGW_OUT/egw.ini" "pool public.max_per_source=8192" "control.socket=$CTL_SOCK" \
	-flows.tcp_syn -flows.tcp_established -flows.tcp_transitory -flows.udp -flows.icmp
egw_start "$EGW_OUT/egw.ini"
egw_bg $EGW_NS_SRV "$EGW_OUT/tcp-serve.log" "$EGW_PY" "$EGW_E2E_DIR/churn.py" tcp-serve \
	$EGW_IP_SRV $PORT
egw_wait_for 10 egw_listening tcp $PORT || egw_fail "churn tcp-serve did not start"
egw_wait_path

assert_numeq "$(egw_info flow_timeouts.tcp_time_wait)" 240 "/egw/info tcp_time_wait (default)"
assert_numeq "$(egw_info flow_timeouts.tcp_close)" 240 "/egw/info tcp_close (default)"
base=$EGW_OUT/stats.before.json
egw_stats_save "$base"
out=$(egw_in $EGW_NS_CLI timeout 60 "$EGW_PY" "$EGW_E2E_DIR/churn.py" tcp-conns $EGW_IP_SRV \
	$PORT "$CONNS" 4 45) || egw_fail "churn client failed: $out"
egw_log "client: $out"
ok=$(printf '%s' "$out" | egw_json_get ok)
assert_numeq "$ok" "$CONNS" "short connections that succeeded"
assert_stat_delta "$base" drops.nat_source_limit -eq 0
assert_stat_delta "$base" flows_created -ge "$CONNS"
# Closed cleanly (FIN, FIN, last ACK): time-wait, not live. The client reuses its ephemeral
# ports (the server closes first, so the client keeps no TIME_WAIT of its own): a connection on
# a time-wait tuple ends that flow as reused (issue 20). So time-wait flows + reused ones =
# connections; a few may still be closing.
reused=$(egw_stat_delta "$base" flows_reused)
egw_log "flows_reused: $reused"
tw=$(egw_wait_stat flows_time_wait -ge $((CONNS * 95 / 100 - reused)) 10)
assert_ge $((tw + reused)) $((CONNS * 95 / 100)) "flows_time_wait + flows_reused after $CONNS closed connections"
assert_le "$(egw_stat flows_active)" $((CONNS / 20)) "flows_active (live flows) after the churn"
out=$(timeout 20 "$EGW_CTL_BIN" -s "$CTL_SOCK" -p "$EGW_PREFIX" flows port=$PORT limit=5) ||
	egw_fail "egwctl flows failed: $out"
egw_log "egwctl flows:"$'\n'"$out"
assert_contains "$out" "time_wait" "egwctl flows shows closed connections as time_wait"
egw_stop
