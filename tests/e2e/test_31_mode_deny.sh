#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# [egress] mode = deny: nothing leaves. curl, UDP and ping through the appliance fail, the
# server receives no IPv4 packet at all, mode_deny counts the attempts, and the appliance's
# own address still answers ping.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_bin
egw_topo_up
egw_conf "$EGW_OUT/egw.ini" "egress.mode=deny"
egw_start "$EGW_OUT/egw.ini"
egw_http_start
egw_udp_echo_start
cap=$EGW_OUT/srv.pcap
egw_capture_start $EGW_NS_SRV $EGW_IF_SRV "$cap" ip
cpid=$EGW_LAST_PID
base=$EGW_OUT/stats.before.json
if egw_real; then egw_stats_save "$base"; fi

if ip netns exec $EGW_NS_CLI curl --noproxy '*' -sS --max-time 5 -o /dev/null \
	"http://$EGW_IP_SRV:$EGW_HTTP_PORT/index.html" 2>"$EGW_OUT/curl.err"; then
	egw_fail "curl through the appliance succeeded in mode deny"
fi
egw_ok "curl fails in mode deny ($(cat "$EGW_OUT/curl.err"))"
reply=$({ printf 'deny-probe\n'; sleep 2; } | ip netns exec $EGW_NS_CLI timeout 10 \
	ncat -u --idle-timeout 1 $EGW_IP_SRV $EGW_UDP_PORT 2>/dev/null) || true
assert_eq "$reply" "" "no UDP echo in mode deny"
out=$(ip netns exec $EGW_NS_CLI ping -n -c 3 -i 0.2 -W 1 $EGW_IP_SRV 2>&1) || true
assert_contains "$out" "100% packet loss" "ping through the appliance fails in mode deny"
out=$(ip netns exec $EGW_NS_CLI ping -n -c 2 -i 0.2 -W 2 $EGW_IP_GWIN 2>&1) || true
assert_contains "$out" " 0% packet loss" "the appliance's own address still answers"

egw_capture_stop "$cpid"
n=$("$EGW_PY" "$EGW_E2E_DIR/pcaptool.py" count "$cap")
assert_numeq "$n" 0 "IPv4 packets that reached the server"
assert_not_contains "$(cat "$EGW_OUT/http.log")" '"GET ' "http.server got no request"
if egw_real; then
	# curl's SYN (+ retransmits), the datagram, 3 echo requests
	assert_stat_delta "$base" drops.mode_deny -ge 5
	assert_stat_delta "$base" flows_created -eq 0
	assert_eq "$(egw_info mode)" deny "/egw/info mode"
fi
egw_stop
