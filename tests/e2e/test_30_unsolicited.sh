#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Unsolicited inbound traffic is dropped: connections from the server to pool addresses fail,
# a datagram to a live UDP mapping from another remote port is not let in (the mapping belongs
# to its flow only), nothing reaches the client, and unsolicited_inbound counts every packet.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_bin
egw_topo_up
egw_conf "$EGW_OUT/egw.ini"
egw_start "$EGW_OUT/egw.ini"
egw_udp_echo_start
egw_wait_path

# Anything from the server reaching the client, other than echo replies (ICMP, UDP 9000), leaked in.
ccap=$EGW_OUT/cli.pcap
egw_capture_start $EGW_NS_CLI $EGW_IF_CLI "$ccap" "ip and src host $EGW_IP_SRV and not icmp and not udp port $EGW_UDP_PORT"
ccpid=$EGW_LAST_PID
egw_bg $EGW_NS_CLI "$EGW_OUT/cli-listener.log" ncat -l -k -v $EGW_IP_CLI 4444
listener=$EGW_LAST_PID

base=$EGW_OUT/stats.before.json
if egw_real; then egw_stats_save "$base"; fi
for dst in $EGW_POOL_FIRST $EGW_POOL_LAST; do
	if ip netns exec $EGW_NS_SRV timeout 10 ncat -z -w 2 "$dst" 4444 2>/dev/null; then
		egw_fail "TCP connection from $EGW_NS_SRV to $dst:4444 succeeded"
	fi
	egw_ok "TCP connection from $EGW_NS_SRV to pool address $dst:4444 fails"
done
printf 'unsolicited\n' | ip netns exec $EGW_NS_SRV timeout 5 ncat -u --send-only $EGW_POOL_FIRST 4444 || true
# An upstream router that routes the inside network at the appliance gets nowhere either.
ip -n $EGW_NS_SRV route add 198.18.0.0/15 via $EGW_IP_GWOUT
if ip netns exec $EGW_NS_SRV timeout 10 ncat -z -w 2 $EGW_IP_CLI 4444 2>/dev/null; then
	egw_fail "TCP connection from $EGW_NS_SRV to the inside client $EGW_IP_CLI:4444 succeeded"
fi
egw_ok "TCP connection from $EGW_NS_SRV straight to the inside client fails"
ip -n $EGW_NS_SRV route del 198.18.0.0/15 via $EGW_IP_GWOUT
# 3 connection attempts (a SYN and its retransmission each, within ncat's 2 s) and a datagram
assert_stat_delta "$base" drops.unsolicited_inbound -ge 4

# A live mapping: learn its public address and port from the server side, then knock on it
# from the server's other port 9001 (endpoint-dependent: only 9000 may answer).
scap=$EGW_OUT/srv-udp.pcap
egw_capture_start $EGW_NS_SRV $EGW_IF_SRV "$scap" "udp dst port $EGW_UDP_PORT"
spid=$EGW_LAST_PID
egw_check_udp
egw_capture_stop "$spid"
read -r maddr mport < <("$EGW_PY" "$EGW_E2E_DIR/pcaptool.py" udpsrc "$scap" --dst $EGW_IP_SRV \
	--dport $EGW_UDP_PORT) || egw_fail "no UDP mapping seen at the server"
egw_log "live mapping: $maddr:$mport"
if egw_real; then egw_stats_save "$base"; fi
printf 'knock\n' | ip netns exec $EGW_NS_SRV timeout 5 ncat -u --send-only -p 9001 "$maddr" "$mport" || true
assert_stat_delta "$base" drops.unsolicited_inbound -eq 1

egw_capture_stop "$ccpid"
leaks=$("$EGW_PY" "$EGW_E2E_DIR/pcaptool.py" count "$ccap")
assert_numeq "$leaks" 0 "packets from the server reaching the client unsolicited"
egw_kill "$listener"
assert_not_contains "$(cat "$EGW_OUT/cli-listener.log")" "Connection from" "client listener got no connection"
egw_stop
