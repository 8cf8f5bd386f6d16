#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# IPv4 fragments (RFC 4787 REQ-13 and REQ-14; fragmented ICMP echo, RFC 5508).
#
# Part 1, ports on net_pcap (fragments reach the appliance as fragments): a 4000-byte UDP
# datagram the client's kernel fragments crosses the appliance and arrives whole at the server,
# from a pool address; its echo (fragmented by the server) arrives whole at the client; ping -s
# 3000 works; scapy fragments sent first-fragment-last wait for their first and arrive
# reassemblable. The counters show fragments forwarded and held, none timed out.
#
# Part 2, ports on net_af_packet (the PMD's fanout defragments, and its 2048-byte ring frames
# cut the datagram): the same datagram counts as mtu_exceeded, never as ip_bad_length.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_bin
egw_need_real
egw_topo_up

port=9034
frag_py=$EGW_E2E_DIR/frag_udp.py
srvlog=$EGW_OUT/frag-echo.log
: >"$srvlog"
egw_bg $EGW_NS_SRV "$EGW_OUT/frag-echo.out" "$EGW_PY" "$frag_py" echo $EGW_IP_SRV $port "$srvlog"
egw_wait_for 10 sh -c "ip netns exec $EGW_NS_SRV ss -lunH 'sport = :$port' | grep -q ." ||
	egw_fail "UDP echo did not start: $(cat "$EGW_OUT/frag-echo.out")"

# ---- part 1: fragments as fragments ----
egw_conf "$EGW_OUT/pcap.ini" \
	"port inside.device=net_pcap0,rx_iface_in=$EGW_IF_GWIN,tx_iface=$EGW_IF_GWIN,phy_mac=1" \
	"port outside.device=net_pcap1,rx_iface_in=$EGW_IF_GWOUT,tx_iface=$EGW_IF_GWOUT,phy_mac=1"
egw_start "$EGW_OUT/pcap.ini"
egw_wait_path
base=$EGW_OUT/stats.pcap.json
egw_stats_save "$base"

out=$(ip netns exec $EGW_NS_CLI timeout 20 "$EGW_PY" "$frag_py" send $EGW_IP_SRV $port 4000 2>&1) ||
	egw_fail "4000-byte UDP datagram through the appliance: $out"
assert_eq "$out" "ok 4000" "a 4000-byte UDP datagram (3 fragments each way) came back whole"
read -r from len _ < <(tail -n 1 "$srvlog")
assert_eq "$len" 4000 "the server got the datagram whole"
[[ $from == 198.51.100.1[0-3] ]] || egw_fail "the server saw source $from, not a pool address"
egw_ok "from pool address $from"

out=$(ip netns exec $EGW_NS_CLI ping -n -c 3 -i 0.3 -W 2 -s 3000 $EGW_IP_SRV 2>&1) || true
assert_contains "$out" " 0% packet loss" "ping -s 3000 through the appliance"
assert_contains "$out" "3008 bytes from $EGW_IP_SRV" "echo replies of 3008 bytes"

out=$(ip netns exec $EGW_NS_CLI timeout 20 "$EGW_PY" "$frag_py" ooo $EGW_IP_CLI $EGW_IP_SRV $port 3000 2>&1) ||
	egw_fail "out-of-order fragments: $out"
assert_eq "$out" "ok 3000" "fragments sent first-fragment-last arrived reassemblable, echo back"

# the datagram 3+3, the pings 3x(3+3), out of order 4 (scapy's 1000-byte pieces) + 3: 31
assert_stat_delta "$base" fragments_forwarded -ge 31
assert_stat_delta "$base" fragments_held -ge 3
assert_stat_delta "$base" fragments_timed_out -eq 0
assert_stat_delta "$base" drops.ip_fragment -eq 0
egw_stop

# ---- part 2: reassembled by af_packet's fanout, cut by its ring ----
egw_conf "$EGW_OUT/afp.ini"
egw_start "$EGW_OUT/afp.ini"
egw_wait_path
base=$EGW_OUT/stats.afp.json
egw_stats_save "$base"
out=$(ip netns exec $EGW_NS_CLI timeout 20 "$EGW_PY" "$frag_py" send $EGW_IP_SRV $port 4000 2>&1) || true
egw_log "4000-byte datagram over af_packet: $out"
assert_stat_delta "$base" drops.mtu_exceeded -ge 1
assert_stat_delta "$base" drops.ip_bad_length -eq 0
egw_stop
