#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Per-policy NAT and quotas (SPEC sections 4 and 6), mode policy:
# - nat = none: the flow is routed untranslated (the server, given a route back to
#   198.18.0.0/24, sees 198.18.0.2 in its capture and access log);
# - nat = special ([pool special] addresses = 198.51.100.20): the server sees 198.51.100.20;
#   a policy without nat uses the default pool (198.51.100.10-13);
# - max_flows = 2: with two TCP connections held open a third one gets nowhere: every SYN it
#   sends (counted in a client-side capture) is a policy_max_flows drop and a flows_denied of
#   the policy, flows_active of the policy is 2; once the connections are closed and their
#   flows expired, the quota is free again.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
egw_topo_up
SPECIAL=198.51.100.20
QPORT=7000
egw_policy_conf "$EGW_OUT/egw.ini" "dpdk.idle_sleep_us=50" \
	"pool special.addresses=$SPECIAL" "pool special.ports=1024-65535" \
	flows.tcp_transitory=2 flows.tcp_syn=2 flows.udp=2 flows.icmp=2
egw_policy_file 10-nat.ini <<EOF
[group clients]
sources = 198.18.0.0/24

[policy direct]
sources = clients
destinations = $EGW_IP_SRV
ports = $EGW_HTTP_PORT
protocol = tcp
action = allow
nat = none

[policy special-udp]
sources = clients
destinations = $EGW_IP_SRV
ports = $EGW_UDP_PORT
protocol = udp
action = allow
nat = special

[policy quota]
sources = clients
destinations = $EGW_IP_SRV
ports = $QPORT
protocol = tcp
action = allow
max_flows = 2

[policy ping]
sources = clients
protocol = icmp
action = allow
EOF
egw_start "$EGW_OUT/egw.ini"
egw_http_start
egw_udp_echo_start
# A TCP server that holds every connection until its peer closes it.
egw_bg $EGW_NS_SRV "$EGW_OUT/hold-server.log" "$EGW_PY" -u -c '
import socket, sys, threading
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], int(sys.argv[2])))
l.listen(16)
def serve(c):
    while c.recv(4096):
        pass
    c.close()
while True:
    c, peer = l.accept()
    print("accepted", peer, flush=True)
    threading.Thread(target=serve, args=(c,), daemon=True).start()
' $EGW_IP_SRV $QPORT
egw_wait_for 10 egw_listening tcp $QPORT || egw_fail "TCP hold server did not start"
# nat = none: the server needs a route back to the inside network through the appliance.
ip -n $EGW_NS_SRV route add 198.18.0.0/24 via $EGW_IP_GWOUT
egw_wait_path

cap=$EGW_OUT/srv.pcap
egw_capture_start $EGW_NS_SRV $EGW_IF_SRV "$cap" ip
cpid=$EGW_LAST_PID
B=$EGW_OUT/base
egw_baseline "$B"

# --- nat = none
egw_curl $EGW_NS_CLI "http://$EGW_IP_SRV:$EGW_HTTP_PORT/index.html" -o "$EGW_OUT/index.out" ||
	egw_fail "curl through policy direct (nat = none): $(cat "$EGW_OUT/curl.err")"
assert_contains "$(cat "$EGW_OUT/index.out")" "hello from egwsrv" "curl through policy direct (nat = none)"
srcs=$(awk '/"GET /{print $1}' "$EGW_OUT/http.log" | sort -u | tr '\n' ' ')
assert_eq "$srcs" "$EGW_IP_CLI " "http.server saw the untranslated client address"

# --- nat = special (UDP) and the default pool (ICMP, policy without nat)
assert_eq "$(egw_udp_send $EGW_NS_CLI "" $EGW_IP_SRV $EGW_UDP_PORT 3)" 3 "UDP echo through policy special-udp"
out=$(ip netns exec $EGW_NS_CLI ping -n -c 3 -i 0.2 -W 2 $EGW_IP_SRV 2>&1) || true
assert_contains "$out" " 0% packet loss" "ping through policy ping"
egw_capture_stop "$cpid"
for f in "tcp port $EGW_HTTP_PORT" "udp dst port $EGW_UDP_PORT" "icmp[icmptype] == icmp-echo"; do
	tcpdump -n -r "$cap" -w "$EGW_OUT/sub.pcap" "dst host $EGW_IP_SRV and $f" 2>/dev/null
	case $f in
	tcp*) pool=$EGW_IP_CLI-$EGW_IP_CLI what="nat = none: TCP 8080 at the server from $EGW_IP_CLI only" ;;
	udp*) pool=$SPECIAL-$SPECIAL what="nat = special: UDP 9000 at the server from $SPECIAL only" ;;
	*) pool=$EGW_POOL_FIRST-$EGW_POOL_LAST what="no nat key: echo requests from the default pool" ;;
	esac
	if [[ $pool == "$EGW_IP_CLI-"* ]]; then
		# pcaptool's "sources" refuses inside addresses by design: count them instead
		n_all=$(egw_pcap_count "$EGW_OUT/sub.pcap" ip)
		n_cli=$(egw_pcap_count "$EGW_OUT/sub.pcap" "src host $EGW_IP_CLI")
		assert_ge "$n_all" 3 "TCP 8080 packets at the server"
		assert_numeq "$n_cli" "$n_all" "$what"
	else
		out=$("$EGW_PY" "$EGW_E2E_DIR/pcaptool.py" sources "$EGW_OUT/sub.pcap" --dst $EGW_IP_SRV \
			--pool "$pool" --paired 2>&1) || egw_fail "$what: $out"
		egw_ok "$what: $out"
	fi
done
assert_policy_deltas "$B.pol.json" "direct flows_allowed -eq 1" "special-udp flows_allowed -eq 1" \
	"special-udp packets -eq 6" "ping flows_allowed -eq 1"
assert_stat_delta "$B.stats.json" drops.policy_no_match -eq 0

# --- max_flows = 2
ccap=$EGW_OUT/cli-syn.pcap
egw_capture_start $EGW_NS_CLI $EGW_IF_CLI "$ccap" "tcp dst port $QPORT and tcp[tcpflags] & tcp-syn != 0"
ccpid=$EGW_LAST_PID
egw_baseline "$B"
# three connections from source ports 41001-41003; the third gives up after 3.5 s (its SYN and
# the kernel's retransmissions until then)
egw_bg $EGW_NS_CLI "$EGW_OUT/hold-client.log" "$EGW_PY" -u -c '
import socket, sys, time
dst, port = sys.argv[1], int(sys.argv[2])
held = []
for i in range(1, 4):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", 41000 + i))
    s.settimeout(3.5)
    try:
        s.connect((dst, port))
        held.append(s)
        print("open %d" % i, flush=True)
    except Exception as e:
        s.close()  # or the kernel goes on retransmitting the SYN
        print("fail %d %s" % (i, type(e).__name__), flush=True)
print("done", flush=True)
time.sleep(60)
' $EGW_IP_SRV $QPORT
holder=$EGW_LAST_PID
egw_wait_for 10 grep -q "done" "$EGW_OUT/hold-client.log" || egw_fail "hold client: $(cat "$EGW_OUT/hold-client.log")"
egw_capture_stop "$ccpid"
hold=$(cat "$EGW_OUT/hold-client.log")
assert_contains "$hold" "open 1" "first connection under max_flows = 2"
assert_contains "$hold" "open 2" "second connection under max_flows = 2"
assert_contains "$hold" "fail 3" "third connection under max_flows = 2 gets nowhere"
syn3=$(egw_pcap_count "$ccap" "src port 41003")
assert_ge "$syn3" 1 "SYNs of the third connection (client side)"
assert_numeq "$(egw_pcap_count "$ccap" "src port 41001 or src port 41002")" 2 "SYNs of the first two"
assert_stat_delta "$B.stats.json" drops.policy_max_flows -eq "$syn3"
assert_policy_deltas "$B.pol.json" "quota flows_allowed -eq 2" "quota flows_denied -eq $syn3"
assert_policy_value quota flows_active -eq 2
assert_policy_value quota quota_in_use -eq 2
assert_numeq "$(grep -c accepted "$EGW_OUT/hold-server.log")" 2 "connections the server accepted"

# closed, expired (tcp_transitory = 2): the quota is free again
egw_kill "$holder"
v=$(egw_wait_stat flows_active -eq 0 20)
assert_numeq "$v" 0 "flows_active once the connections are closed and expired"
assert_policy_value quota flows_active -eq 0
assert_policy_value quota quota_in_use -eq 0
assert_eq "$(egw_tcp_probe $EGW_NS_CLI "" $EGW_IP_SRV $QPORT 3)" connected \
	"a new connection under the freed quota"
egw_stop
egw_finish
