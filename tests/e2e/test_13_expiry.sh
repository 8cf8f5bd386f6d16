#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Flow expiry with short timeouts (2 s for UDP, ICMP, TCP SYN and closing TCP): after UDP,
# ping and a complete HTTP exchange, every flow expires (flows_active back to 0,
# flows_expired counts them), an expired UDP mapping no longer lets its server's datagrams in
# (unsolicited_inbound), and new flows work again afterwards.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_bin
egw_topo_up
egw_conf "$EGW_OUT/egw.ini" flows.udp=2 flows.icmp=2 flows.tcp_syn=2 flows.tcp_transitory=2 \
	flows.tcp_established=60
egw_start "$EGW_OUT/egw.ini"
egw_http_start
egw_udp_echo_start
egw_wait_path

base=$EGW_OUT/stats.before.json
if egw_real; then egw_stats_save "$base"; fi
scap=$EGW_OUT/srv-udp.pcap
egw_capture_start $EGW_NS_SRV $EGW_IF_SRV "$scap" "udp dst port $EGW_UDP_PORT"
spid=$EGW_LAST_PID
egw_check_udp
egw_capture_stop "$spid"
out=$(ip netns exec $EGW_NS_CLI ping -n -c 2 -i 0.2 -W 2 $EGW_IP_SRV 2>&1) || true
assert_contains "$out" " 0% packet loss" "ping through the appliance"
ip netns exec $EGW_NS_CLI curl --noproxy '*' -sS --fail --max-time 10 -o /dev/null \
	"http://$EGW_IP_SRV:$EGW_HTTP_PORT/index.html" || egw_fail "curl of index.html"
egw_ok "HTTP exchange through the appliance"
read -r maddr mport < <("$EGW_PY" "$EGW_E2E_DIR/pcaptool.py" udpsrc "$scap" --dst $EGW_IP_SRV \
	--dport $EGW_UDP_PORT) || egw_fail "no UDP mapping seen at the server"
egw_log "UDP mapping of the first probe: $maddr:$mport"

if egw_real; then
	# 3 UDP + 1 ICMP + 1 TCP flow (plus the warm-up ping's): all gone within 2 s + expiry scan
	assert_stat_delta "$base" flows_created -ge 5
	v=$(egw_wait_stat flows_active -eq 0 20)
	assert_numeq "$v" 0 "flows_active after the timeouts"
	assert_stat_delta "$base" flows_expired -ge 5
	egw_stats_save "$base"
else
	sleep 5
fi
# The server answers the expired mapping (from its echo port): nobody may receive it.
printf 'late reply\n' | ip netns exec $EGW_NS_SRV timeout 5 ncat -u --send-only -p $EGW_UDP_PORT \
	"$maddr" "$mport" 2>/dev/null || true
assert_stat_delta "$base" drops.unsolicited_inbound -eq 1

egw_check_udp
egw_check_ping
egw_stop
