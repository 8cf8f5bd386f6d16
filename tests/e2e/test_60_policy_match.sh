#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Policy matching (SPEC sections 2, 4 and 6), mode policy: a flow leaves only when an allow
# policy matches its source (group or CIDR), destination, port and protocol. TCP 8080 to the
# server and ICMP are allowed for group "clients" (198.18.0.0/25); UDP, another port, another
# protocol and a source outside the group (198.18.0.200) are not (policy_no_match, counted on
# "(mode)"). A deny of a higher priority in a second file beats the allow (policy_deny); with
# equal priorities the policy of the earlier file (name order) wins, in both orders. A UDP
# policy with ports 9000-9001 and sources "group, CIDR" opens exactly those ports. Every step
# checks the exact rise of the drop counters and of /egw/policies flows_allowed/flows_denied.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
egw_topo_up
# A second client address outside group "clients" (but inside the port's subnet).
OTHER=198.18.0.200
ip -n $EGW_NS_CLI addr add $OTHER/24 dev $EGW_IF_CLI
egw_policy_conf "$EGW_OUT/egw.ini" "dpdk.idle_sleep_us=50"
egw_policy_file 10-base.ini <<EOF
[group clients]
sources = 198.18.0.0/25

[policy web]
sources = clients
destinations = $EGW_IP_SRV
ports = $EGW_HTTP_PORT
protocol = tcp
action = allow

[policy ping]
sources = clients
protocol = icmp
action = allow
EOF
egw_start "$EGW_OUT/egw.ini"
assert_eq "$(egw_info mode)" policy "/egw/info mode"
egw_http_start
for p in 9000 9001 9002; do egw_udp_echo_serve $EGW_NS_SRV $EGW_IP_SRV $p udp-echo-$p; done
egw_wait_path
URL=http://$EGW_IP_SRV:$EGW_HTTP_PORT/index.html
B=$EGW_OUT/base

# --- 1. only the base file: what is allowed works, everything else is no_match
egw_baseline "$B"
egw_curl $EGW_NS_CLI "$URL" -o /dev/null || egw_fail "curl to port 8080 (policy web): $(cat "$EGW_OUT/curl.err")"
egw_ok "curl to $EGW_IP_SRV:$EGW_HTTP_PORT allowed by policy web"
out=$(ip netns exec $EGW_NS_CLI ping -n -c 3 -i 0.2 -W 2 $EGW_IP_SRV 2>&1) || true
assert_contains "$out" " 0% packet loss" "ping allowed by policy ping"
assert_policy_deltas "$B.pol.json" "web flows_allowed -eq 1" "web flows_denied -eq 0" \
	"ping flows_allowed -eq 1" "web packets -ge 8"
egw_baseline "$B"
assert_eq "$(egw_udp_send $EGW_NS_CLI "" $EGW_IP_SRV 9000 3)" 0 "UDP echo replies without a UDP policy"
assert_eq "$(egw_udp_send $EGW_NS_CLI "" $EGW_IP_SRV $EGW_HTTP_PORT 1 0.5)" 0 \
	"UDP to port 8080 (policy web is TCP only) gets no reply"
assert_eq "$(egw_tcp_probe $EGW_NS_CLI "" $EGW_IP_SRV 8081)" timeout "TCP to port 8081 (no policy)"
assert_eq "$(egw_tcp_probe $EGW_NS_CLI $OTHER $EGW_IP_SRV $EGW_HTTP_PORT)" timeout \
	"TCP 8080 from $OTHER (not in group clients)"
assert_stat_delta "$B.stats.json" drops.policy_no_match -eq 6
assert_stat_delta "$B.stats.json" drops.policy_deny -eq 0
assert_policy_deltas "$B.pol.json" "(mode) flows_denied -eq 6" "(mode) flows_allowed -eq 0" \
	"web flows_allowed -eq 0" "web flows_denied -eq 0"
assert_stat_delta "$B.stats.json" flows_created -eq 0

# --- 2. a deny of higher priority in a later file beats the allow
egw_policy_file 20-deny.ini <<EOF
[policy block-cli]
sources = $EGW_IP_CLI/32
destinations = $EGW_IP_SRV/32
ports = $EGW_HTTP_PORT
protocol = tcp
action = deny
priority = 10
EOF
egw_reload_ok
assert_contains "$EGW_CTL_OUT" "3 policies" "reload reply counts 3 policies"
assert_numeq "$(egw_tel /egw/policies | egw_json_get /egw/policies.policies_total)" 3 \
	"/egw/policies policies_total"
egw_baseline "$B"
assert_eq "$(egw_tcp_probe $EGW_NS_CLI "" $EGW_IP_SRV $EGW_HTTP_PORT)" timeout \
	"TCP 8080 from $EGW_IP_CLI with block-cli (priority 10) over web (priority 0)"
assert_stat_delta "$B.stats.json" drops.policy_deny -eq 1
assert_policy_deltas "$B.pol.json" "block-cli flows_denied -eq 1" "block-cli flows_allowed -eq 0" \
	"web flows_allowed -eq 0" "web flows_denied -eq 0"
if egw_curl $EGW_NS_CLI "$URL" -o /dev/null --connect-timeout 2; then
	egw_fail "curl to port 8080 succeeded despite the deny policy"
fi
egw_ok "curl to port 8080 fails under the deny ($(cat "$EGW_OUT/curl.err"))"
assert_stat_delta "$B.stats.json" drops.policy_deny -ge 2
# the deny is for 198.18.0.2 only: the rest of the policy set is unchanged
out=$(ip netns exec $EGW_NS_CLI ping -n -c 2 -i 0.2 -W 2 $EGW_IP_SRV 2>&1) || true
assert_contains "$out" " 0% packet loss" "ping still allowed"
assert_stat_delta "$B.stats.json" drops.policy_no_match -eq 0

# --- 3. equal priority: the earlier file wins (names 20-deny.ini after 10-base.ini)
sed -i 's/^priority = 10$/priority = 0/' "$EGW_POLDIR/20-deny.ini"
egw_reload_ok
egw_baseline "$B"
egw_curl $EGW_NS_CLI "$URL" -o /dev/null ||
	egw_fail "curl with web (10-base.ini) and block-cli (20-deny.ini) at priority 0: $(cat "$EGW_OUT/curl.err")"
egw_ok "equal priority, web's file first: curl allowed"
assert_policy_deltas "$B.pol.json" "web flows_allowed -eq 1" "block-cli flows_denied -eq 0"
assert_stat_delta "$B.stats.json" drops.policy_deny -eq 0
# ... and the other order: the same deny in 05-deny.ini, read before 10-base.ini
mv "$EGW_POLDIR/20-deny.ini" "$EGW_POLDIR/05-deny.ini"
egw_reload_ok
egw_baseline "$B"
assert_eq "$(egw_tcp_probe $EGW_NS_CLI "" $EGW_IP_SRV $EGW_HTTP_PORT)" timeout \
	"equal priority, block-cli's file first: TCP 8080 denied"
assert_stat_delta "$B.stats.json" drops.policy_deny -eq 1
assert_policy_deltas "$B.pol.json" "block-cli flows_denied -eq 1" "web flows_allowed -eq 0"
egw_policy_rm 05-deny.ini
egw_reload_ok

# --- 4. a UDP policy for ports 9000-9001, sources by group and by CIDR
egw_policy_file 30-udp.ini <<EOF
[policy udp-echo]
sources = clients, $OTHER/32
destinations = 203.0.113.0/25
ports = 9000-9001
protocol = udp
action = allow
EOF
egw_reload_ok
egw_baseline "$B"
assert_eq "$(egw_udp_send $EGW_NS_CLI "" $EGW_IP_SRV 9000 3)" 3 "UDP echo on 9000 from $EGW_IP_CLI"
assert_eq "$(egw_udp_send $EGW_NS_CLI "" $EGW_IP_SRV 9001 2)" 2 "UDP echo on 9001 from $EGW_IP_CLI"
assert_eq "$(egw_udp_send $EGW_NS_CLI $OTHER $EGW_IP_SRV 9000 2)" 2 "UDP echo on 9000 from $OTHER (CIDR source)"
assert_eq "$(egw_udp_send $EGW_NS_CLI "" $EGW_IP_SRV 9002 2 1)" 0 "UDP to 9002 (outside 9000-9001)"
assert_eq "$(egw_tcp_probe $EGW_NS_CLI $OTHER $EGW_IP_SRV $EGW_HTTP_PORT)" timeout \
	"TCP 8080 from $OTHER is still not allowed (udp-echo is UDP only)"
assert_stat_delta "$B.stats.json" drops.policy_no_match -eq 3
# 7 datagrams out and 7 echoes back in the 3 allowed flows
assert_policy_deltas "$B.pol.json" "(mode) flows_denied -eq 3" "udp-echo flows_allowed -eq 3" \
	"udp-echo flows_denied -eq 0" "udp-echo packets -eq 14"
assert_stat_delta "$B.stats.json" drops.policy_deny -eq 0
# The allowed flows came from the pool; the http.server saw pool addresses only.
egw_check_http_log
egw_log "/egw/policies: $(egw_tel /egw/policies)"
egw_stop
egw_finish
