#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# 802.1Q: one device, two ports. The inside veth becomes a trunk: the client sits on VLAN 10
# of it, the server on VLAN 20 of the same wire, and egressgw runs [port inside] vlan = 10 and
# [port outside] vlan = 20 on that one device. curl, ping and UDP go through (translated to the
# pool), each side pings its own port address; frames of VLAN 30, untagged ones and QinQ are
# dropped and counted.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
egw_need_bin
egw_topo_up

# The kernel here has neither VLAN devices nor bridges: a user-space 802.1Q switch in its own
# namespace takes the gateway's two veth ends as access ports (client: VLAN 10, server: VLAN
# 20), and one new veth is the trunk to the appliance.
relay=${EGW_N}chk
trunk=${EGW_N}tr
gwdev=${EGW_N}tk
ip netns add $relay
egw_ns_sysctl $relay
ip -n $EGW_NS_GW link set $EGW_IF_GWIN netns $relay
ip -n $EGW_NS_GW link set $EGW_IF_GWOUT netns $relay
ip link add $trunk netns $relay type veth peer name $gwdev netns $EGW_NS_GW address $EGW_MAC_GWIN
for i in $EGW_IF_GWIN $EGW_IF_GWOUT $trunk; do
	egw_if_quiet $relay $i
	ip -n $relay link set $i up
done
egw_if_quiet $EGW_NS_GW $gwdev
ip -n $EGW_NS_GW link set $gwdev up
egw_bg $relay "$EGW_OUT/relay.log" timeout 120 "$EGW_PY" "$EGW_E2E_DIR/vlan_relay.py" 110 \
	$trunk 10=$EGW_IF_GWIN 20=$EGW_IF_GWOUT
egw_wait_for 10 grep -q relaying "$EGW_OUT/relay.log" || egw_fail "vlan_relay.py did not start"

egw_conf "$EGW_OUT/egw.ini" "port inside.vlan=10" "port outside.vlan=20" \
	"port inside.device=net_af_packet0,iface=$gwdev" \
	"port outside.device=net_af_packet0,iface=$gwdev"
egw_start "$EGW_OUT/egw.ini"
egw_http_start
egw_udp_echo_start

ports=$(egw_tel /egw/ports)
assert_contains "$ports" '"vlan": 10' "/egw/ports shows the inside port's VLAN"
assert_contains "$ports" '"vlan": 20' "/egw/ports shows the outside port's VLAN"

egw_check_curl
assert_match "$(cat "$EGW_OUT/http.log")" '198\.51\.100\.1[0-3] - - .*"GET /big.bin' \
	"the server on VLAN 20 saw the request from a pool address"
reply=$({ printf 'vlan-probe\n'; sleep 1; } | ip netns exec $EGW_NS_CLI timeout 10 \
	ncat -u --idle-timeout 2 $EGW_IP_SRV $EGW_UDP_PORT 2>/dev/null) || true
assert_eq "$reply" "vlan-probe" "UDP echo across the two VLANs"
out=$(ip netns exec $EGW_NS_CLI ping -n -c 3 -i 0.2 -W 2 $EGW_IP_SRV 2>&1) || true
assert_contains "$out" " 0% packet loss" "ping from VLAN 10 to the server on VLAN 20"
out=$(ip netns exec $EGW_NS_CLI ping -n -c 2 -i 0.2 -W 2 $EGW_IP_GWIN 2>&1) || true
assert_contains "$out" " 0% packet loss" "the inside port answers on VLAN 10"
out=$(ip netns exec $EGW_NS_SRV ping -n -c 2 -i 0.2 -W 2 $EGW_IP_GWOUT 2>&1) || true
assert_contains "$out" " 0% packet loss" "the outside port answers on VLAN 20"

# Straight onto the trunk: VLAN 30 (no port has it), an untagged frame (no untagged port on
# this device), QinQ (802.1ad outer tag): dropped, each counted once for its reason.
base=$EGW_OUT/stats.before.json
egw_stats_save "$base"
ip netns exec $relay "$EGW_PY" - $trunk $EGW_MAC_GWIN <<'PYEOF'
import sys
from scapy.all import IP, UDP, Dot1AD, Dot1Q, Ether, sendp
ifc, gw = sys.argv[1], sys.argv[2]
l3 = IP(src="198.18.0.2", dst="203.0.113.1") / UDP(sport=40999, dport=9000) / b"x"
e = Ether(src="02:65:67:00:00:02", dst=gw)
sendp([e / Dot1Q(vlan=30) / l3, e / l3, e / Dot1AD(vlan=100) / Dot1Q(vlan=10) / l3],
      iface=ifc, verbose=False)
PYEOF
assert_stat_delta "$base" drops.vlan_unknown -eq 2
assert_stat_delta "$base" drops.vlan_qinq -eq 1
egw_stop
egw_ok "test_35_vlan"
