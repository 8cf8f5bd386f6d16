#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Churn soak (issue 17): for MINUTES, rounds of short TCP connections from one inside address
# and resolver-like UDP queries from fresh ports through egressgw (tests/e2e/churn.py, the
# e2e namespaces), then idle until the finished flows expired. Every 10 s it samples flows
# (live and finished) and the daemon's resident memory. At the end: no flow left, resident
# memory within 2% of what it was after the first round (the first round touches pages of
# the heap DPDK reserved at start; after that the RSS must not grow), no nat_source_limit
# drop, and at stop every mbuf back in its pool (egw_stop checks mbufs_in_use=0).
#
# usage: tools/bench/churn_soak.sh [--minutes M] [--conns N] [--queries Q]
# Defaults: --minutes 10 --conns 20000 --queries 12000 (per round). Timers shortened to
# tcp_time_wait = udp_reply = 10 s so that the end state comes within a minute. As root;
# bounded: the churn stops at the deadline, the wait for expiry after 120 s at most.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export EGW_NAMES=${EGW_NAMES:-egwk}
export EGW_E2E_OUT=${EGW_E2E_OUT:-/tmp/egw-churn-soak}
export EGW_TEST=churn_soak
minutes=10 conns=20000 queries=12000
while (($#)); do
	case $1 in
	--minutes) minutes=$2; shift 2 ;;
	--conns) conns=$2; shift 2 ;;
	--queries) queries=$2; shift 2 ;;
	-h | --help) sed -n '3,17p' "$0"; exit 0 ;;
	*) echo "unknown argument $1" >&2; exit 2 ;;
	esac
done

# shellcheck source=tests/e2e/lib.sh
source "$root/tests/e2e/lib.sh"
egw_init
egw_need_real
CHURN=$root/tests/e2e/churn.py
TCP_PORT=8090

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$EGW_PID/status"; }

sample() # LABEL
{
	local line
	line=$(printf '%-8s %6ss %9s %9s %9s' "$1" $(($(date +%s) - t0)) \
		"$(egw_stat flows_active)" "$(egw_stat flows_time_wait)" "$(rss_kb)")
	echo "$line" | tee -a "$EGW_OUT/samples.txt"
}

egw_topo_up
egw_conf "$EGW_OUT/egw.ini" -flows.tcp_syn -flows.tcp_established -flows.tcp_transitory \
	-flows.udp -flows.icmp flows.max=1000000 dpdk.memory_mb=1024 flows.tcp_time_wait=10 \
	flows.udp_reply=10 flows.icmp=2
egw_start "$EGW_OUT/egw.ini"
egw_bg $EGW_NS_SRV "$EGW_OUT/tcp-serve.log" "$EGW_PY" "$CHURN" tcp-serve $EGW_IP_SRV $TCP_PORT
egw_bg $EGW_NS_SRV "$EGW_OUT/udp-serve.log" "$EGW_PY" "$CHURN" udp-serve $EGW_IP_SRV 53
egw_wait_for 10 egw_listening tcp $TCP_PORT || egw_fail "tcp-serve did not start"
egw_wait_for 10 egw_listening udp 53 || egw_fail "udp-serve did not start"
egw_wait_path
# The ping's flow expires after [flows] icmp (2 s here): the baseline holds no flow.
egw_wait_stat flows_active -eq 0 20 >/dev/null
t0=$(date +%s)
printf '%-8s %7s %9s %9s %9s\n' what t flows_act time_wait rss_kb |
	tee "$EGW_OUT/samples.txt"
sample base
deadline=$((t0 + minutes * 60))
rounds=0 conns_ok=0 conns_failed=0 conns_skipped=0 answered=0 lost=0 last=0 base_rss=
while (($(date +%s) < deadline)); do
	left=$((deadline - $(date +%s)))
	out=$(egw_in $EGW_NS_CLI timeout $((left + 30)) "$EGW_PY" "$CHURN" tcp-conns $EGW_IP_SRV \
		$TCP_PORT "$conns" 4 "$left") || true
	conns_ok=$((conns_ok + $(printf '%s' "$out" | egw_json_get ok)))
	conns_failed=$((conns_failed + $(printf '%s' "$out" | egw_json_get failed)))
	conns_skipped=$((conns_skipped + $(printf '%s' "$out" | egw_json_get skipped)))
	left=$((deadline - $(date +%s)))
	((left > 0)) || break
	out=$(egw_in $EGW_NS_CLI timeout $((left + 30)) "$EGW_PY" "$CHURN" udp-churn $EGW_IP_SRV 53 \
		"$queries" 2000 "$left") || true
	answered=$((answered + $(printf '%s' "$out" | egw_json_get answered)))
	lost=$((lost + $(printf '%s' "$out" | egw_json_get lost)))
	rounds=$((rounds + 1))
	[[ -n $base_rss ]] || base_rss=$(rss_kb)
	if (($(date +%s) - last >= 10)); then
		sample churn
		last=$(date +%s)
	fi
done
sample stop
egw_log "rounds $rounds: connections $conns_ok ok, $conns_failed failed ($conns_skipped not made: deadline); queries $answered answered, $lost lost"
assert_numeq "$conns_failed" 0 "connections that failed"
assert_numeq "$lost" 0 "queries lost"
v=$(egw_wait_stat flows_time_wait -eq 0 120)
sample idle
assert_numeq "$v" 0 "finished flows after the timers"
assert_numeq "$(egw_stat flows_active)" 0 "live flows after the churn"
assert_le "$(rss_kb)" $((base_rss * 102 / 100)) "resident memory (kB), $base_rss after round 1"
assert_numeq "$(egw_stat drops.nat_source_limit)" 0 "nat_source_limit drops"
egw_stop
