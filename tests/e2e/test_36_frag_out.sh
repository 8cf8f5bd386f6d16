#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Fragmentation on the exit (RFC 4787 REQ-13): with the outside port's mtu at 1400 and the
# client's link at 1500, a 1450-byte UDP datagram sent with DF clear leaves the appliance in
# two fragments and reaches the server whole (its kernel reassembles it), with
# packets_fragmented +1 and fragments_sent +2; the same datagram with DF set is answered with
# ICMP fragmentation needed (mtu_exceeded +1) and never reaches the server. The check is one
# way: the server's own 1478-byte answers could not enter the 1400-byte outside link.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_bin
egw_topo_up
egw_conf "$EGW_OUT/egw.ini" "port outside.mtu=1400"
egw_start "$EGW_OUT/egw.ini"
egw_wait_path

SIZE=1450
recv_log=$EGW_OUT/udp-recv.log
# One datagram at a time: prints "LENGTH SHA256 SOURCE" per datagram received, for 15 s at most.
egw_bg $EGW_NS_SRV "$recv_log" timeout 15 "$EGW_PY" -u -c '
import hashlib, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
while True:
    data, peer = s.recvfrom(65535)
    print(len(data), hashlib.sha256(data).hexdigest(), peer[0], flush=True)
' $EGW_IP_SRV $EGW_UDP_PORT
egw_wait_for 10 egw_listening udp $EGW_UDP_PORT || egw_fail "UDP receiver did not start"

# send_big DF(0|1): one $SIZE-byte datagram from the client; prints its sha256.
send_big()
{
	ip netns exec $EGW_NS_CLI timeout 10 "$EGW_PY" -c '
import hashlib, os, socket, sys
IP_MTU_DISCOVER, IP_PMTUDISC_DONT, IP_PMTUDISC_PROBE = 10, 0, 3
size, df = int(sys.argv[3]), sys.argv[4] == "1"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
# PROBE: DF set, but the kernel sends it whatever it learnt about the path.
s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_PROBE if df else IP_PMTUDISC_DONT)
data = os.urandom(size)
s.sendto(data, (sys.argv[1], int(sys.argv[2])))
print(hashlib.sha256(data).hexdigest())
' $EGW_IP_SRV $EGW_UDP_PORT $SIZE "$1"
}

base=$EGW_OUT/stats.before.json
if egw_real; then egw_stats_save "$base"; fi
cap=$EGW_OUT/srv-frags.pcap
egw_capture_start $EGW_NS_SRV $EGW_IF_SRV "$cap" "udp or (ip[6:2] & 0x1fff != 0)"
cpid=$EGW_LAST_PID
sum=$(send_big 0) || egw_fail "cannot send the DF-clear datagram"
egw_wait_for 10 grep -q "$sum" "$recv_log" ||
	egw_fail "the DF-clear $SIZE-byte datagram did not arrive whole: $(cat "$recv_log")"
egw_ok "DF clear: $(grep "$sum" "$recv_log" | cut -d' ' -f1) bytes arrived whole from $(grep "$sum" "$recv_log" | cut -d' ' -f3)"
egw_capture_stop "$cpid"
frags=$(tcpdump -n -r "$cap" "ip[6:2] & 0x3fff != 0" 2>/dev/null | wc -l)
longest=$(tcpdump -n -v -r "$cap" 2>/dev/null | grep -o 'length [0-9]*)' | tr -dc '0-9\n' | sort -n | tail -1)
assert_eq "$frags" 2 "fragments on the server's link"
assert_le "$longest" 1400 "longest IP packet on the server's link"
assert_stat_delta "$base" packets_fragmented -eq 1
assert_stat_delta "$base" fragments_sent -eq 2
assert_stat_delta "$base" drops.mtu_exceeded -eq 0

if egw_real; then egw_stats_save "$base"; fi
sum=$(send_big 1) || egw_fail "cannot send the DF-set datagram"
assert_stat_delta "$base" drops.mtu_exceeded -eq 1
assert_stat_delta "$base" icmp_errors_sent -eq 1
assert_not_contains "$(cat "$recv_log")" "$sum" "the DF-set datagram does not reach the server"
egw_stop
