#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# [egress] dns_filter = yes (issue 11), with a real DNS server (dnsmasq in the server
# namespace, on its own empty configuration) and dig through the appliance:
# 1. A name a policy names resolves (NOERROR, its address).
# 2. A name no allow policy permits to the client is answered NXDOMAIN by the appliance
#    itself: dig shows status NXDOMAIN at once, dnsmasq never sees the query, drops
#    dns_filtered and dns_nxdomain_sent rise by one.
#    Over TCP (dig +tcp) the query is dropped instead (no answer can be slipped into the
#    stream): dig gets nothing, dns_filtered rises, dnsmasq never sees it.
# 3. An HTTPS record with an ech parameter (dnsmasq --dns-rr=NAME,65,HEX) reaches the client
#    without ech, its other parameters intact (asked directly, dnsmasq does give ech);
#    dns_ech_stripped rises by one.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
egw_topo_up
egw_policy_conf "$EGW_OUT/egw.ini" "dpdk.idle_sleep_us=50" "egress.dns_filter=yes"
egw_dns_policies 05-dns.ini
egw_policy_file 10-filter.ini <<EOF
[policy web-by-name]
sources = 198.18.0.0/24
destinations = 203.0.113.0/24
ports = 443
protocol = tcp
hosts = www.learn.test, svc.learn.test
action = allow
EOF
egw_start "$EGW_OUT/egw.ini"
# An HTTPS record: priority 1, target ".", alpn=h2,http/1.1, ipv4hint=203.0.113.20, and ech
# (an ECHConfigList-shaped value of 40 bytes), as tests/unit/data/make_vectors.sh writes it.
ECH_LIST=0026fe0d0022$(printf 'ab%.0s' $(seq 1 34))
HTTPS_RR=000100"0001000c02683208687474702f312e31""00040004cb007114"00050028$ECH_LIST
egw_dnsmasq_serve --local-ttl=60 --host-record=www.learn.test,203.0.113.80 \
	--host-record=evil.learn.test,203.0.113.66 --dns-rr=svc.learn.test,65,$HTTPS_RR
egw_wait_path
B=$EGW_OUT/base

dig_cli() # ARGS: dig from the client through the appliance
{
	ip netns exec $EGW_NS_CLI dig +time=2 +tries=1 @$EGW_IP_SRV "$@" 2>&1 || true
}

# --- 1. a name a policy names resolves
egw_baseline "$B"
out=$(dig_cli www.learn.test A)
assert_contains "$out" "status: NOERROR" "www.learn.test resolves through the filter"
assert_match "$out" "www\.learn\.test\..*IN[[:space:]]+A[[:space:]]+203\.0\.113\.80" \
	"www.learn.test has its address"
assert_stat_delta "$B.stats.json" drops.dns_filtered -eq 0

# --- 2. a name no policy permits: NXDOMAIN from the appliance, the server never asked
egw_baseline "$B"
t0=$(date +%s%N)
out=$(dig_cli evil.learn.test A)
ms=$((($(date +%s%N) - t0) / 1000000))
assert_contains "$out" "status: NXDOMAIN" "evil.learn.test is answered NXDOMAIN"
assert_not_contains "$out" "203.0.113.66" "the NXDOMAIN answer carries no address"
assert_le "$ms" 1500 "dig got its NXDOMAIN at once (ms)"
assert_stat_delta "$B.stats.json" drops.dns_filtered -eq 1
assert_stat_delta "$B.stats.json" dns_nxdomain_sent -eq 1
egw_baseline "$B"
out=$(dig_cli +tcp evil.learn.test A)
assert_not_contains "$out" "203.0.113.66" "over TCP the filtered query gets no answer"
assert_stat_delta "$B.stats.json" drops.dns_filtered -ge 1
log=$(cat "$EGW_OUT/dnsmasq.log")
assert_not_contains "$log" "evil.learn.test" "dnsmasq never saw the filtered queries"

# --- 3. an HTTPS record arrives without ech (dnsmasq itself gives it)
direct=$(ip netns exec $EGW_NS_SRV dig +time=2 +tries=1 @$EGW_IP_SRV svc.learn.test TYPE65 2>&1 || true)
assert_contains "$direct" "ech=" "asked directly, dnsmasq's HTTPS record has ech"
egw_baseline "$B"
out=$(dig_cli svc.learn.test TYPE65)
assert_contains "$out" "status: NOERROR" "svc.learn.test HTTPS through the appliance"
assert_match "$out" 'HTTPS[[:space:]]+1 \. alpn="h2,http/1.1" ipv4hint=203\.0\.113\.20' \
	"the record keeps its other parameters"
assert_not_contains "$out" "ech=" "the record reaches the client without ech"
assert_stat_delta "$B.stats.json" dns_ech_stripped -eq 1
assert_stat_delta "$B.stats.json" drops.dns_ech_kept -eq 0
egw_stop
egw_finish
