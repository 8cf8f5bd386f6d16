#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# TCP window tracking under reordering and loss (issue 13; this kernel has no tc netem): a
# user-space relay between the appliance's outside veth and the server reorders one frame in
# 20 each way (it arrives after the next two), and nftables drops 1% of the HTTP segments at
# the server. An 8 MiB curl through the appliance arrives intact (SHA-256), frames were
# reordered, and not one segment was refused: tcp_out_of_window stays 0.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
egw_topo_up

# The server's veth end moves into a relay namespace; a new veth takes the server's address.
relay=${EGW_N}chk
srvnew=${EGW_N}s1
ip netns add $relay
egw_ns_sysctl $relay
ip -n $EGW_NS_SRV link set $EGW_IF_SRV netns $relay
ip link add ${EGW_N}rs netns $relay type veth peer name $srvnew netns $EGW_NS_SRV \
	address $EGW_MAC_SRV
for i in $EGW_IF_SRV ${EGW_N}rs; do
	egw_if_quiet $relay $i
	ip -n $relay link set $i up
done
egw_if_quiet $EGW_NS_SRV $srvnew
ip -n $EGW_NS_SRV addr add $EGW_IP_SRV/24 dev $srvnew
ip -n $EGW_NS_SRV link set $srvnew up
ip -n $EGW_NS_SRV route add $EGW_POOL_NET via $EGW_IP_GWOUT dev $srvnew
count=$EGW_OUT/reordered
egw_bg $relay "$EGW_OUT/relay.log" timeout 120 "$EGW_PY" "$EGW_E2E_DIR/reorder_relay.py" 110 \
	$EGW_IF_SRV ${EGW_N}rs 20 "$count"
egw_wait_for 10 grep -q relaying "$EGW_OUT/relay.log" || egw_fail "reorder_relay.py did not start"

egw_conf "$EGW_OUT/egw.ini"
egw_start "$EGW_OUT/egw.ini"
egw_http_start
egw_wait_path
egw_loss_start 1
base=$EGW_OUT/stats.before.json
egw_stats_save "$base"
before=$(cat "$count" 2>/dev/null || echo 0)
egw_check_curl
sleep 0.6
after=$(cat "$count")
lost=$(egw_loss_stop)
assert_ge "$lost" 5 "packets the loss rules dropped during the transfer"
egw_log "frames reordered during the transfer: $((after - before))"
assert_ge "$((after - before))" 50 "frames the relay reordered during the 8 MiB transfer"
assert_stat_delta "$base" drops.tcp_out_of_window -eq 0
egw_stop
egw_ok "test_37_tcp_reorder"
