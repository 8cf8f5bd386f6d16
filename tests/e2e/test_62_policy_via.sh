#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# "via = PORT" (SPEC section 4): a policy picks the outside port its flows leave through. A
# second exit (netns srv2, 203.0.113.129/25 behind port outside2 = 203.0.113.130/25, gateway
# 203.0.113.129; the first outside port becomes 203.0.113.2/25, gateway 203.0.113.1):
# - TCP and UDP to 203.0.113.129 with via = outside2 leave through port 2 (seen on srv2's link,
#   never on srv1's), NATed to the pool, and their replies come back;
# - UDP to 203.0.113.129 with via = outside leaves through port 1 towards its gateway even
#   though 203.0.113.129 is on port 2's subnet (srv1 sees it; nothing answers);
# - 198.19.255.1, an address both servers own: via = outside2 reaches srv2, the same address
#   without via follows the default route (port 1's gateway) to srv1.
# The checks after the first exchange report every failure (deferred) before the verdict, so
# that one run shows which exits misbehave.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
egw_topo_up
egw_topo_second_exit
ANY=198.19.255.1 # owned by both servers
ip -n $EGW_NS_SRV addr add $ANY/32 dev lo
ip -n $EGW_NS_SRV2 addr add $ANY/32 dev lo
mapfile -t second < <(egw_second_exit_overrides)
egw_policy_conf "$EGW_OUT/egw.ini" "dpdk.idle_sleep_us=50" "${second[@]}" \
	"port outside2.gateway=$EGW_IP_SRV2"
egw_policy_file 10-via.ini <<EOF
[group clients]
sources = 198.18.0.0/24

[policy ping]
sources = clients
protocol = icmp
action = allow

[policy web2]
sources = clients
destinations = $EGW_IP_SRV2
ports = 8081
protocol = tcp
action = allow
via = outside2

[policy udp2]
sources = clients
destinations = $EGW_IP_SRV2
ports = 9000
protocol = udp
action = allow
via = outside2

[policy udp-wrong-exit]
sources = clients
destinations = $EGW_IP_SRV2
ports = 9002
protocol = udp
action = allow
via = outside

[policy far-via2]
sources = clients
destinations = $ANY
ports = 8081
protocol = tcp
action = allow
via = outside2

[policy far-default]
sources = clients
destinations = $ANY
ports = 8082
protocol = tcp
action = allow
EOF
egw_start "$EGW_OUT/egw.ini"
mkdir -p "$EGW_OUT/www1" "$EGW_OUT/www2"
echo "served by srv1" >"$EGW_OUT/www1/index.html"
echo "served by srv2" >"$EGW_OUT/www2/index.html"
egw_http_serve $EGW_NS_SRV $ANY 8081 "$EGW_OUT/www1" http-srv1-8081
egw_http_serve $EGW_NS_SRV $ANY 8082 "$EGW_OUT/www1" http-srv1-8082
egw_http_serve $EGW_NS_SRV2 0.0.0.0 8081 "$EGW_OUT/www2" http-srv2-8081
egw_http_serve $EGW_NS_SRV2 0.0.0.0 8082 "$EGW_OUT/www2" http-srv2-8082
egw_udp_echo_serve $EGW_NS_SRV2 $EGW_IP_SRV2 9000 udp-echo-srv2
egw_wait_path
out=$(ip netns exec $EGW_NS_CLI ping -n -c 3 -i 0.2 -W 2 $EGW_IP_SRV2 2>&1) || true
assert_contains "$out" " 0% packet loss" "ping $EGW_IP_SRV2 (connected to port outside2)"

cap1=$EGW_OUT/srv1.pcap cap2=$EGW_OUT/srv2.pcap
egw_capture_start $EGW_NS_SRV $EGW_IF_SRV "$cap1" "(ip and not icmp) or arp"
c1=$EGW_LAST_PID
egw_capture_start $EGW_NS_SRV2 $EGW_IF_SRV2 "$cap2" "(ip and not icmp) or arp"
c2=$EGW_LAST_PID
B=$EGW_OUT/base
egw_baseline "$B"

body=$(egw_curl $EGW_NS_CLI "http://$EGW_IP_SRV2:8081/index.html") ||
	egw_fail_deferred "curl $EGW_IP_SRV2:8081 (via outside2): $(cat "$EGW_OUT/curl.err")"
egw_soft assert_eq "$body" "served by srv2" "curl $EGW_IP_SRV2:8081 with via = outside2"
egw_soft assert_eq "$(egw_udp_send $EGW_NS_CLI "" $EGW_IP_SRV2 9000 3)" 3 "UDP echo $EGW_IP_SRV2:9000 with via = outside2"
egw_soft assert_eq "$(egw_udp_send $EGW_NS_CLI "" $EGW_IP_SRV2 9002 2 1)" 0 \
	"UDP $EGW_IP_SRV2:9002 with via = outside: no answer (it went to srv1)"
body=$(egw_curl $EGW_NS_CLI "http://$ANY:8081/index.html") ||
	egw_fail_deferred "curl $ANY:8081 (via outside2): $(cat "$EGW_OUT/curl.err")"
egw_soft assert_eq "$body" "served by srv2" "curl $ANY:8081 with via = outside2 reaches srv2"
body=$(egw_curl $EGW_NS_CLI "http://$ANY:8082/index.html") ||
	egw_fail_deferred "curl $ANY:8082 (default route): $(cat "$EGW_OUT/curl.err")"
egw_soft assert_eq "$body" "served by srv1" "curl $ANY:8082 without via follows the default route to srv1"
egw_capture_stop "$c1"
egw_capture_stop "$c2"
# for the diagnosis of a failure: which next hops the appliance asked for on each link
egw_log "ARP on srv1's link: $(tcpdump -n -r "$cap1" arp 2>/dev/null | sed 's/^[^ ]* //' | sort | uniq -c | tr '\n' ';')"
egw_log "ARP on srv2's link: $(tcpdump -n -r "$cap2" arp 2>/dev/null | sed 's/^[^ ]* //' | sort | uniq -c | tr '\n' ';')"

# what each exit carried
egw_soft assert_ge "$(egw_pcap_count "$cap2" "dst host $EGW_IP_SRV2 and tcp dst port 8081")" 3 \
	"srv2's link: TCP to $EGW_IP_SRV2:8081"
egw_soft assert_numeq "$(egw_pcap_count "$cap2" "dst host $EGW_IP_SRV2 and udp dst port 9000")" 3 \
	"srv2's link: UDP datagrams to $EGW_IP_SRV2:9000"
egw_soft assert_numeq "$(egw_pcap_count "$cap2" "udp port 9002")" 0 "srv2's link: UDP to port 9002"
egw_soft assert_ge "$(egw_pcap_count "$cap2" "dst host $ANY and tcp dst port 8081")" 3 "srv2's link: TCP to $ANY:8081"
egw_soft assert_numeq "$(egw_pcap_count "$cap2" "ip and host $ANY and tcp port 8082")" 0 "srv2's link: TCP to $ANY:8082"
egw_soft assert_numeq "$(egw_pcap_count "$cap1" "ip and host $EGW_IP_SRV2 and not udp port 9002")" 0 \
	"srv1's link: packets for $EGW_IP_SRV2 other than the via = outside ones"
egw_soft assert_numeq "$(egw_pcap_count "$cap1" "dst host $EGW_IP_SRV2 and udp dst port 9002")" 2 \
	"srv1's link: the 2 datagrams to $EGW_IP_SRV2:9002 (via = outside)"
egw_soft assert_numeq "$(egw_pcap_count "$cap1" "ip and host $ANY and tcp port 8081")" 0 "srv1's link: TCP to $ANY:8081"
egw_soft assert_ge "$(egw_pcap_count "$cap1" "dst host $ANY and tcp dst port 8082")" 3 "srv1's link: TCP to $ANY:8082"
# the appliance resolves next hops of a link on that link's subnet only (ARP request target,
# bytes 24-27 of the ARP header, in 203.0.113.0/25 resp. 203.0.113.128/25)
egw_soft assert_numeq "$(egw_pcap_count "$cap1" "arp and arp[6:2] = 1 and ether src $EGW_MAC_GWOUT and (arp[24:4] & 0xffffff80) != 0xcb007100")" 0 \
	"ARP requests of port outside on srv1's link for addresses off its subnet"
egw_soft assert_numeq "$(egw_pcap_count "$cap2" "arp and arp[6:2] = 1 and ether src $EGW_MAC_GWOUT2 and (arp[24:4] & 0xffffff80) != 0xcb007180")" 0 \
	"ARP requests of port outside2 on srv2's link for addresses off its subnet"
for dst in $EGW_IP_SRV2 $ANY; do
	out=$("$EGW_PY" "$EGW_E2E_DIR/pcaptool.py" sources "$cap2" --dst $dst \
		--pool $EGW_POOL_FIRST-$EGW_POOL_LAST --paired 2>&1) &&
		egw_ok "srv2's link, to $dst: $out" || egw_fail_deferred "srv2's link: $out"
done
out=$("$EGW_PY" "$EGW_E2E_DIR/pcaptool.py" sources "$cap1" --dst $EGW_IP_SRV2 \
	--pool $EGW_POOL_FIRST-$EGW_POOL_LAST 2>&1) &&
	egw_ok "srv1's link, to $EGW_IP_SRV2: $out" || egw_fail_deferred "srv1's link: $out"

assert_policy_deltas "$B.pol.json" "web2 flows_allowed -eq 1" "udp2 flows_allowed -eq 1" \
	"udp2 packets -eq 6" "udp-wrong-exit flows_allowed -eq 1" "udp-wrong-exit packets -eq 2" \
	"far-via2 flows_allowed -eq 1" "far-default flows_allowed -eq 1"
egw_soft assert_stat_delta "$B.stats.json" drops.no_route -eq 0
egw_soft assert_stat_delta "$B.stats.json" drops.neighbor_unresolved -eq 0
egw_soft assert_stat_delta "$B.stats.json" drops.policy_no_match -eq 0
egw_stop
egw_finish
