#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Names learned from DNS (issue 11): a real DNS server (dnsmasq, in the server namespace, on
# its own empty configuration) answers the client's dig through the appliance; a policy with
# `hosts` and protocol tcp then admits plain TCP to the learned address and nothing else.
# 1. Before any lookup, TCP to the host's address is refused (policy_no_match).
# 2. dig www.learn.test: the answer is learned (dns_answers_learned), /egw/names and
#    `egwctl names` list it with a TTL of dns_min_ttl (30) or less: dnsmasq's TTL (5) is below
#    the floor; /metrics counts it (promtool-valid); curl to the learned address succeeds, to
#    an unlearned one it fails.
# 3. A CNAME chain (app.learn.test -> edge.cdn.learn.test -> A) admits its address for the
#    name asked; a name no policy names teaches nothing that admits.
# 4. Over TCP (dig +tcp) the answer is learned as well.
# 5. A reload keeps what was learned: the names are still listed, TCP still admitted.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
egw_topo_up
LEARNED=203.0.113.80
UNLEARNED=203.0.113.81
CHAINED=203.0.113.82
OTHER=203.0.113.83
OVERTCP=203.0.113.84
for a in $LEARNED $UNLEARNED $CHAINED $OTHER $OVERTCP; do
	ip -n $EGW_NS_SRV addr add $a/32 dev $EGW_IF_SRV
done
METRICS=127.0.0.1:19655
egw_policy_conf "$EGW_OUT/egw.ini" "dpdk.idle_sleep_us=50" "egress.dns_min_ttl=30" \
	"metrics.listen=$METRICS"
egw_dns_policies 05-dns.ini
egw_policy_file 10-names.ini <<EOF
[policy web-by-name]
sources = 198.18.0.0/24
destinations = 203.0.113.0/24
ports = $EGW_HTTP_PORT
protocol = tcp
hosts = www.learn.test, app.learn.test, tcp.learn.test
action = allow
EOF
egw_start "$EGW_OUT/egw.ini"
egw_dnsmasq_serve --local-ttl=5 --host-record=www.learn.test,$LEARNED \
	--host-record=other.learn.test,$OTHER --host-record=edge.cdn.learn.test,$CHAINED \
	--cname=app.learn.test,edge.cdn.learn.test --host-record=tcp.learn.test,$OVERTCP
egw_http_serve $EGW_NS_SRV 0.0.0.0 $EGW_HTTP_PORT "$EGW_OUT/www" web
echo hello >"$EGW_OUT/www/index.html"
egw_wait_path
B=$EGW_OUT/base

lookup() # NAME: the addresses dig gets through the appliance
{
	ip netns exec $EGW_NS_CLI dig +short +time=2 +tries=2 @$EGW_IP_SRV "$1" A
}

names_listed() # FILTER TEXT: egwctl names FILTER shows TEXT (output in NAMES_OUT)
{
	NAMES_OUT=$(timeout 20 "$EGW_CTL_BIN" -c "$EGW_CONF" names "$1" 2>&1) || return 1
	[[ $NAMES_OUT == *"$2"* ]]
}

# --- 1. nothing learned yet: the name policy cannot match
egw_baseline "$B"
assert_eq "$(egw_tcp_probe $EGW_NS_CLI "" $LEARNED $EGW_HTTP_PORT)" timeout \
	"TCP to $LEARNED before any lookup"
assert_stat_delta "$B.stats.json" drops.policy_no_match -eq 1

# --- 2. learned from the answer, listed with its TTL, admits TCP to that address only
egw_baseline "$B"
out=$(lookup www.learn.test)
assert_eq "$out" "$LEARNED" "dig www.learn.test through the appliance"
assert_stat_delta "$B.stats.json" dns_answers_learned -eq 1
egw_wait_for 5 names_listed name=www.learn.test $LEARNED ||
	egw_fail "egwctl names does not list www.learn.test: $NAMES_OUT"
egw_ok "egwctl names lists www.learn.test $LEARNED"
ttl=$(printf '%s\n' "$NAMES_OUT" | awk '$1 == "www.learn.test" { print $3 }')
assert_le "$ttl" 30 "remaining TTL (dns_min_ttl 30 over dnsmasq's 5)"
assert_ge "$ttl" 20 "remaining TTL is the floor's, not dnsmasq's 5 s"
j=$(egw_tel "/egw/names,name=www.learn.test")
assert_match "$j" "\"name\": \"www.learn.test\", \"address\": \"$LEARNED\", \"ttl\": [0-9]+" \
	"/egw/names lists the entry with its TTL"
assert_ge "$(printf '%s' "$j" | egw_json_get /egw/names.entries)" 1 "/egw/names entries"
egw_log "view publication: $(printf '%s' "$j" | egw_json_get /egw/names.publish_us_last) us" \
	"(views: $(printf '%s' "$j" | egw_json_get /egw/names.views))"
# the control thread exports the table's counters every 100 ms
metrics_ok()
{
	ip netns exec $EGW_NS_GW curl -sS --fail --max-time 5 "http://$METRICS/metrics" \
		>"$EGW_OUT/metrics.txt" 2>&1 &&
		grep -q '^egressgw_names_entries 1$' "$EGW_OUT/metrics.txt"
}
egw_wait_for 5 metrics_ok || egw_fail "/metrics: no egressgw_names_entries 1: $(grep -E 'names|dns' "$EGW_OUT/metrics.txt")"
m=$(cat "$EGW_OUT/metrics.txt")
assert_contains "$m" 'egressgw_dns_answers_total{result="learned"} 1' "/metrics counts the answer learned"
assert_contains "$m" "egressgw_names_learned_total 1" "/metrics counts the entry learned"
assert_contains "$m" 'egressgw_names_evicted_total{cap="dns_max_per_name"} 0' "/metrics: no eviction"
if command -v promtool >/dev/null; then
	promtool check metrics <"$EGW_OUT/metrics.txt" >"$EGW_OUT/promtool.out" 2>&1 ||
		egw_fail "promtool check metrics: $(cat "$EGW_OUT/promtool.out")"
	egw_ok "promtool check metrics passes"
fi
egw_curl $EGW_NS_CLI "http://$LEARNED:$EGW_HTTP_PORT/index.html" -o /dev/null ||
	egw_fail "curl to the learned $LEARNED: $(cat "$EGW_OUT/curl.err")"
egw_ok "curl to the learned address $LEARNED allowed by web-by-name"
egw_baseline "$B"
if egw_curl $EGW_NS_CLI "http://$UNLEARNED:$EGW_HTTP_PORT/index.html" -o /dev/null \
	--connect-timeout 1; then
	egw_fail "curl to the unlearned $UNLEARNED succeeded"
fi
egw_ok "curl to the unlearned address $UNLEARNED refused"
assert_stat_delta "$B.stats.json" drops.policy_no_match -ge 1
assert_policy_deltas "$B.pol.json" "web-by-name flows_allowed -eq 0"

# --- 3. a CNAME chain admits its address for the name asked; another name admits nothing
egw_baseline "$B"
out=$(lookup app.learn.test | tail -n 1)
assert_eq "$out" "$CHAINED" "dig app.learn.test (CNAME edge.cdn.learn.test)"
out=$(lookup other.learn.test)
assert_eq "$out" "$OTHER" "dig other.learn.test"
assert_stat_delta "$B.stats.json" dns_answers_learned -eq 2
egw_wait_for 5 names_listed name=app.learn.test $CHAINED ||
	egw_fail "egwctl names does not list app.learn.test: $NAMES_OUT"
egw_ok "the chain's address is learned for app.learn.test"
egw_curl $EGW_NS_CLI "http://$CHAINED:$EGW_HTTP_PORT/index.html" -o /dev/null ||
	egw_fail "curl to $CHAINED (app.learn.test): $(cat "$EGW_OUT/curl.err")"
egw_ok "curl to app.learn.test's address allowed"
assert_eq "$(egw_tcp_probe $EGW_NS_CLI "" $OTHER $EGW_HTTP_PORT)" timeout \
	"TCP to other.learn.test's address (a name no policy names)"

# --- 4. over TCP
egw_baseline "$B"
out=$(ip netns exec $EGW_NS_CLI dig +tcp +short +time=2 +tries=2 @$EGW_IP_SRV tcp.learn.test A)
assert_eq "$out" "$OVERTCP" "dig +tcp tcp.learn.test through the appliance"
assert_stat_delta "$B.stats.json" dns_answers_learned -eq 1
egw_wait_for 5 names_listed name=tcp.learn.test $OVERTCP ||
	egw_fail "egwctl names does not list tcp.learn.test: $NAMES_OUT"
egw_curl $EGW_NS_CLI "http://$OVERTCP:$EGW_HTTP_PORT/index.html" -o /dev/null ||
	egw_fail "curl to $OVERTCP (learned over TCP): $(cat "$EGW_OUT/curl.err")"
egw_ok "a name learned over TCP admits its address"

# --- 5. a reload keeps what was learned
egw_reload_ok
names_listed name=learn.test $LEARNED || egw_fail "names gone after a reload: $NAMES_OUT"
egw_ok "learned names survive the reload"
egw_curl $EGW_NS_CLI "http://$LEARNED:$EGW_HTTP_PORT/index.html" -o /dev/null ||
	egw_fail "curl to $LEARNED after the reload: $(cat "$EGW_OUT/curl.err")"
egw_ok "the learned address is still admitted after the reload"
egw_stop
egw_finish
