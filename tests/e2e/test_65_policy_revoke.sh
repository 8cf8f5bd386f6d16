#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Revalidation with revalidate = reset (SPEC section 2): a flow that a reload no longer allows
# ends at its next packet, exactly once, whatever that packet is.
# 1. TCP, a client that has stopped reading (zero window): the server only sends window
#    probes, one byte below what the client expects next, so an RST made from the probe is
#    stale. The revocation must end the connection at both ends (the client reads an RST, not
#    a hang: the ACK probe makes it tell its sequence number), flows_revoked +1.
# 2. UDP: the next datagram of the revoked flow is a policy_revoked drop, the flow is revoked
#    once (flows_revoked +1), every datagram is dropped once (as policy_revoked, or as a new
#    flow that no policy allows: policy_no_match).
# 3. UDP, 64 datagrams back to back: the worker sleeps 100 ms when idle (idle_sleep_us), so
#    they arrive in full receive bursts; still one flow revoked once, every datagram dropped
#    once (policy_revoked + policy_no_match = 64), flows_active sane, a clean stop.
# 4. ICMP: a ping running across the reload: its flow is revoked once, every unanswered echo
#    request (or dropped reply) counted once.
# The checks are deferred: each run reports all of them before the verdict.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
egw_topo_up
egw_policy_conf "$EGW_OUT/egw.ini" "dpdk.idle_sleep_us=100000" "egress.revalidate=reset"

# write_policies NAME...: the policies given (web, udp, ping) for group clients
write_policies()
{
	local p
	{
		printf '[group clients]\nsources = 198.18.0.0/24\n'
		for p in "$@"; do
			case $p in
			web) printf '\n[policy web]\nsources = clients\ndestinations = %s\nports = %s\nprotocol = tcp\naction = allow\n' $EGW_IP_SRV $EGW_HTTP_PORT ;;
			udp) printf '\n[policy udp]\nsources = clients\ndestinations = %s\nports = %s\nprotocol = udp\naction = allow\n' $EGW_IP_SRV $EGW_UDP_PORT ;;
			ping) printf '\n[policy ping]\nsources = clients\nprotocol = icmp\naction = allow\n' ;;
			esac
		done
	} | egw_policy_file 10-policies.ini
}

write_policies web udp ping
egw_start "$EGW_OUT/egw.ini"
egw_http_start
egw_udp_echo_start
egw_wait_path
B=$EGW_OUT/base

# --- 1. TCP: a stalled reader (zero window, window probes only)
cap=$EGW_OUT/srv-rst.pcap
egw_capture_start $EGW_NS_SRV $EGW_IF_SRV "$cap" "tcp port $EGW_HTTP_PORT and tcp[tcpflags] & tcp-rst != 0"
cpid=$EGW_LAST_PID
ccap=$EGW_OUT/cli.pcap
egw_capture_start $EGW_NS_CLI $EGW_IF_CLI "$ccap" "tcp port $EGW_HTTP_PORT"
ccpid=$EGW_LAST_PID
egw_baseline "$B"
rm -f "$EGW_OUT/stall.go"
egw_bg $EGW_NS_CLI "$EGW_OUT/stall.log" "$EGW_PY" -u -c '
import os, socket, struct, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
s.settimeout(5)
s.connect((sys.argv[1], int(sys.argv[2])))
s.sendall(b"GET /big.bin HTTP/1.0\r\n\r\n")
print("requested", flush=True)
while not os.path.exists(sys.argv[3]):
    time.sleep(0.05)
s.settimeout(2)
n = 0
try:
    while True:
        d = s.recv(65536)
        if not d:
            print("eof after %d bytes" % n, flush=True)
            break
        n += len(d)
except ConnectionResetError:
    print("reset after %d bytes" % n, flush=True)
except socket.timeout:
    print("hanging after %d bytes" % n, flush=True)
# a connection still open ends with a single RST (no FIN retransmissions to count later)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
' $EGW_IP_SRV $EGW_HTTP_PORT "$EGW_OUT/stall.go"
stall_pid=$EGW_LAST_PID
egw_wait_for 5 grep -q requested "$EGW_OUT/stall.log" || egw_fail "stalled reader: $(cat "$EGW_OUT/stall.log")"
sleep 2 # the client's receive buffer is full: zero window, the server probes
write_policies udp ping
egw_reload_ok
# the server's next window probe (it backs off: within a few seconds) meets the new policy
egw_wait_stat flows_revoked -ge $(($(egw_json_get /egw/stats.flows_revoked <"$B.stats.json") + 1)) 10 >/dev/null
egw_soft assert_stat_delta "$B.stats.json" flows_revoked -eq 1
# One RST to the server (exact: its ack), one ACK probe to the client (the probe's seq made
# the in-place RST stale), then an RST to the client built from its answer to the probe.
egw_soft assert_stat_delta "$B.stats.json" tcp_ack_probes_sent -eq 1
egw_soft assert_stat_delta "$B.stats.json" tcp_resets_sent -ge 1
touch "$EGW_OUT/stall.go"
egw_wait_for 10 grep -Eq "eof|reset|hanging" "$EGW_OUT/stall.log" || egw_fail "stalled reader did not finish"
stalled_gone() { ! kill -0 "$stall_pid" 2>/dev/null; }
egw_wait_for 5 stalled_gone || egw_fail "stalled reader did not exit"
res=$(tail -n 1 "$EGW_OUT/stall.log")
egw_capture_stop "$cpid"
egw_capture_stop "$ccpid"
egw_log "client side, last packets: $(tcpdump -n -r "$ccap" 2>/dev/null | grep -v 'length [1-9][0-9][0-9]' | tail -n 6 | cut -d' ' -f2- | tr '\n' ';')"
egw_soft assert_match "$res" "^(reset|eof) " "the client that had stopped reading sees its connection end, not hang (it says: $res)"
egw_soft assert_ge "$(egw_pcap_count "$cap" "src net $EGW_POOL_NET and dst host $EGW_IP_SRV")" 1 \
	"RSTs from the pool address that reached the server"

# --- 2. UDP: one datagram at a time (0.3 s apart: one per receive burst)
write_policies udp ping
egw_reload_ok
assert_eq "$(egw_udp_send $EGW_NS_CLI $EGW_IP_CLI:40500 $EGW_IP_SRV $EGW_UDP_PORT 1)" 1 \
	"UDP echo from port 40500 under policy udp"
write_policies ping
egw_reload_ok
egw_baseline "$B"
egw_soft assert_eq "$(egw_udp_send $EGW_NS_CLI $EGW_IP_CLI:40500 $EGW_IP_SRV $EGW_UDP_PORT 3 0.5 0.3)" 0 \
	"UDP echo from port 40500 after policy udp was removed"
egw_soft assert_stat_delta "$B.stats.json" flows_revoked -eq 1
egw_soft assert_stat_delta "$B.stats.json" drops.policy_revoked -ge 1
sleep 0.5
n=$(($(egw_stat_delta "$B.stats.json" drops.policy_revoked) + $(egw_stat_delta "$B.stats.json" drops.policy_no_match)))
egw_soft assert_numeq "$n" 3 "policy_revoked + policy_no_match drops for the 3 datagrams"

# --- 3. UDP: 64 datagrams back to back, in full receive bursts
write_policies udp ping
egw_reload_ok
assert_eq "$(egw_udp_send $EGW_NS_CLI $EGW_IP_CLI:40501 $EGW_IP_SRV $EGW_UDP_PORT 1)" 1 \
	"UDP echo from port 40501 under policy udp"
write_policies ping
egw_reload_ok
egw_baseline "$B"
sleep 0.3 # the worker is asleep (idle) when the datagrams come
egw_soft assert_eq "$(egw_udp_send $EGW_NS_CLI $EGW_IP_CLI:40501 $EGW_IP_SRV $EGW_UDP_PORT 64 0.5 0)" 0 \
	"UDP echo from port 40501 (64 back to back) after policy udp was removed"
egw_soft assert_stat_delta "$B.stats.json" flows_revoked -eq 1
egw_soft assert_stat_delta "$B.stats.json" drops.policy_revoked -ge 1
n=$(($(egw_stat_delta "$B.stats.json" drops.policy_revoked) + $(egw_stat_delta "$B.stats.json" drops.policy_no_match)))
egw_soft assert_numeq "$n" 64 "policy_revoked + policy_no_match drops for the 64 datagrams"
egw_soft assert_le "$(egw_stat flows_active)" 10 "flows_active after the burst (a few flows, no underflow)"

# --- 4. ICMP: a ping across the reload
write_policies ping
egw_reload_ok
egw_baseline "$B"
egw_bg $EGW_NS_CLI "$EGW_OUT/ping.log" ping -n -c 12 -i 0.25 -W 1 $EGW_IP_SRV
ping_pid=$EGW_LAST_PID
sleep 1.2
write_policies
egw_reload_ok
ping_gone() { ! kill -0 "$ping_pid" 2>/dev/null; }
egw_wait_for 10 ping_gone || egw_fail "ping did not end"
wait "$ping_pid" || true
out=$(cat "$EGW_OUT/ping.log")
[[ $out =~ ([0-9]+)\ packets\ transmitted,\ ([0-9]+)\ received ]] || egw_fail "ping output: $out"
sent=${BASH_REMATCH[1]} got=${BASH_REMATCH[2]}
egw_log "ping across the reload: $sent sent, $got answered"
assert_ge "$got" 1 "echo replies before the reload"
assert_ge $((sent - got)) 2 "echo requests unanswered after the reload"
egw_soft assert_stat_delta "$B.stats.json" flows_revoked -eq 1
egw_soft assert_stat_delta "$B.stats.json" drops.policy_revoked -ge 1
sleep 0.5
n=$(($(egw_stat_delta "$B.stats.json" drops.policy_revoked) + $(egw_stat_delta "$B.stats.json" drops.policy_no_match)))
egw_soft assert_numeq "$n" $((sent - got)) "policy_revoked + policy_no_match drops for the unanswered echoes"
egw_stop
egw_finish
