#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The appliance's own addresses: ARP for 198.18.0.1 / 203.0.113.2 is answered with the port's
# MAC, and ping to each address is answered (5 of 5) from the client and from the server.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_bin
egw_topo_up
egw_conf "$EGW_OUT/egw.ini"
egw_start "$EGW_OUT/egw.ini"
base=$EGW_OUT/stats.before.json
if egw_real; then egw_stats_save "$base"; fi

out=$(ip netns exec $EGW_NS_CLI ping -n -c 5 -i 0.2 -W 2 $EGW_IP_GWIN 2>&1) || true
assert_contains "$out" " 0% packet loss" "ping to the appliance's inside address $EGW_IP_GWIN"
assert_contains "$out" "from $EGW_IP_GWIN" "echo replies come from $EGW_IP_GWIN"
neigh=$(ip -n $EGW_NS_CLI neigh show $EGW_IP_GWIN dev $EGW_IF_CLI)
assert_contains "$neigh" "lladdr $EGW_MAC_GWIN" "client resolved $EGW_IP_GWIN to the inside port's MAC"

out=$(ip netns exec $EGW_NS_SRV ping -n -c 5 -i 0.2 -W 2 $EGW_IP_GWOUT 2>&1) || true
assert_contains "$out" " 0% packet loss" "ping to the appliance's outside address $EGW_IP_GWOUT"
neigh=$(ip -n $EGW_NS_SRV neigh show $EGW_IP_GWOUT dev $EGW_IF_SRV)
assert_contains "$neigh" "lladdr $EGW_MAC_GWOUT" "server resolved $EGW_IP_GWOUT to the outside port's MAC"

# A large echo (1400 bytes, still within the MTU) comes back intact.
out=$(ip netns exec $EGW_NS_CLI ping -n -c 2 -i 0.2 -W 2 -s 1400 $EGW_IP_GWIN 2>&1) || true
assert_contains "$out" " 0% packet loss" "1400-byte ping to $EGW_IP_GWIN"

if egw_real; then
	# 12 echo requests in, 12 replies out; no flow for traffic to the appliance itself
	assert_stat_delta "$base" packets_in -ge 12
	assert_stat_delta "$base" packets_out -ge 12
	assert_stat_delta "$base" flows_created -eq 0
fi
egw_stop
