#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# TTL handling: a forwarded packet loses exactly one TTL (server sees 4 for ping -t 5, TTL 2
# still passes), and "ping -t 1" through the appliance is answered by "Time to live exceeded"
# from 198.18.0.1 while ttl_exceeded rises by exactly the number of such pings.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_bin
egw_topo_up
egw_conf "$EGW_OUT/egw.ini"
egw_start "$EGW_OUT/egw.ini"
egw_wait_path

cap=$EGW_OUT/srv-icmp.pcap
egw_capture_start $EGW_NS_SRV $EGW_IF_SRV "$cap" "icmp[icmptype] == icmp-echo"
cpid=$EGW_LAST_PID
out=$(ip netns exec $EGW_NS_CLI ping -n -c 3 -i 0.2 -W 2 -t 5 $EGW_IP_SRV 2>&1) || true
assert_contains "$out" " 0% packet loss" "ping -t 5 through the appliance"
assert_contains "$out" "ttl=63" "replies lose one TTL on the way back (64 -> 63)"
egw_capture_stop "$cpid"
out=$("$EGW_PY" "$EGW_E2E_DIR/pcaptool.py" ttl "$cap" --dst $EGW_IP_SRV --ttl 4 2>&1) ||
	egw_fail "TTL at the server: $out"
egw_ok "$out"

out=$(ip netns exec $EGW_NS_CLI ping -n -c 2 -i 0.2 -W 2 -t 2 $EGW_IP_SRV 2>&1) || true
assert_contains "$out" " 0% packet loss" "ping -t 2 (TTL 1 after the appliance) still passes"

base=$EGW_OUT/stats.before.json
if egw_real; then egw_stats_save "$base"; fi
ccap=$EGW_OUT/cli-timxceed.pcap
egw_capture_start $EGW_NS_CLI $EGW_IF_CLI "$ccap" "icmp[icmptype] == icmp-timxceed"
ccpid=$EGW_LAST_PID
out=$(ip netns exec $EGW_NS_CLI ping -n -c 3 -i 0.3 -W 2 -t 1 $EGW_IP_SRV 2>&1) || true
egw_log "ping -t 1: $out"
egw_capture_stop "$ccpid"
assert_not_contains "$out" "bytes from $EGW_IP_SRV" "no echo reply for TTL 1"
assert_stat_delta "$base" drops.ttl_exceeded -eq 3
if ! printf '%s\n' "$out" | grep -Eq "[Ff]rom $EGW_IP_GWIN.*[Tt]ime to live exceeded"; then
	wire=$(tcpdump -n -vv -r "$ccap" 2>/dev/null)
	[[ -n $wire ]] || egw_fail "no ICMP time exceeded reached the client (none on the wire)"
	egw_fail "ICMP time exceeded on the wire, but ping did not accept it (checksum? quote?):"$'\n'"$wire"
fi
egw_ok "ping -t 1 answered with Time to live exceeded from $EGW_IP_GWIN"
egw_stop
