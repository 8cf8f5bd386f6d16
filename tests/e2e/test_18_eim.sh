#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Endpoint-independent mapping and filtering (RFC 4787 REQ-1, REQ-8; RFC 5382 REQ-1, REQ-3),
# issue 13. Three pools, one per filtering, chosen by the client's source address:
#   public (default, 198.51.100.10-13)  endpoint-independent mapping, address-and-port-dependent
#   eif    (198.51.100.20)              endpoint-independent filtering
#   adf    (198.51.100.21)              address-dependent filtering
# - REQ-1: one UDP socket sending to 203.0.113.1 and 203.0.113.3 shows the same external
#   address and port to both; so does TCP from one port (two connections, SO_REUSEADDR);
# - REQ-8: datagrams to each mapping from 203.0.113.1 port 9101 (an address the client sent to,
#   another port) and from 203.0.113.4 (never contacted): eif lets both in, adf only the first,
#   public neither (nat_inbound_flows, nat_inbound_filtered and drops.unsolicited_inbound count
#   them);
# - a third-party STUN client (Debian's stun-client against stund on two addresses, the
#   classic RFC 3489 tests) reports an independent mapping and the filtering configured;
# - /egw/info "nat", /egw/pools "filtering" and `egwctl status` show each pool's behaviour.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
for t in stun stund; do
	command -v $t >/dev/null || egw_fail "missing $t: run tests/setup.sh (stun-client, stun-server)"
done
egw_topo_up

EIF=198.51.100.20
ADF=198.51.100.21
SRV2=203.0.113.3 # stund's second address, a second destination
SRV3=203.0.113.4 # a host the clients never send to
CLI_EIF=198.18.0.5
CLI_ADF=198.18.0.6
ip -n $EGW_NS_SRV addr add $SRV2/24 dev $EGW_IF_SRV
ip -n $EGW_NS_SRV addr add $SRV3/24 dev $EGW_IF_SRV
ip -n $EGW_NS_CLI addr add $CLI_EIF/24 dev $EGW_IF_CLI
ip -n $EGW_NS_CLI addr add $CLI_ADF/24 dev $EGW_IF_CLI

egw_policy_conf "$EGW_OUT/egw.ini" "dpdk.idle_sleep_us=50" \
	"pool eif.addresses=$EIF" "pool eif.filtering=endpoint-independent" \
	"pool adf.addresses=$ADF" "pool adf.filtering=address-dependent"
egw_policy_file 10-eim.ini <<EOF2
[policy eif]
sources = $CLI_EIF/32
action = allow
nat = eif

[policy adf]
sources = $CLI_ADF/32
action = allow
nat = adf

[policy rest]
sources = 198.18.0.0/24
action = allow
EOF2
egw_start "$EGW_OUT/egw.ini"
PROBE=$EGW_E2E_DIR/eim_probe.py

# ---- visible: per pool mapping and filtering ----
info=$(egw_tel /egw/info) || egw_fail "no /egw/info"
assert_eq "$(printf '%s' "$info" | egw_json_get /egw/info.nat.public)" \
	"endpoint-independent mapping, address-and-port-dependent filtering" "/egw/info nat.public"
assert_eq "$(printf '%s' "$info" | egw_json_get /egw/info.nat.eif)" \
	"endpoint-independent mapping, endpoint-independent filtering" "/egw/info nat.eif"
assert_eq "$(printf '%s' "$info" | egw_json_get /egw/info.nat.adf)" \
	"endpoint-independent mapping, address-dependent filtering" "/egw/info nat.adf"
pools=$(egw_tel /egw/pools,adf) || egw_fail "no /egw/pools"
assert_contains "$pools" '"filtering": "address-dependent"' "/egw/pools adf filtering"
st=$("$EGW_CTL_BIN" -p "$EGW_PREFIX" status 2>&1) || egw_fail "egwctl status: $st"
assert_contains "$st" "endpoint-independent mapping, endpoint-independent filtering" \
	"egwctl status shows the eif pool's behaviour"

# ---- REQ-1 and REQ-8 with UDP sockets ----
egw_baseline "$EGW_OUT/b0"
egw_bg $EGW_NS_SRV "$EGW_OUT/udp-server.log" "$EGW_PY" -u "$PROBE" server 15 \
	$EGW_IP_SRV:9100 $SRV2:9100
userver=$EGW_LAST_PID
egw_wait_for 5 egw_listening udp 9100 || egw_fail "UDP probe server not listening"
declare -A clog
for src in $EGW_IP_CLI $CLI_EIF $CLI_ADF; do
	clog[$src]=$EGW_OUT/udp-client-$src.log
	egw_bg $EGW_NS_CLI "${clog[$src]}" "$EGW_PY" -u "$PROBE" client $src 7000 12 \
		$EGW_IP_SRV:9100 $SRV2:9100
done
seen_all() { [[ $(grep -c '^seen' "$EGW_OUT/udp-server.log") -ge 6 ]]; }
egw_wait_for 10 seen_all || egw_fail "the server did not see 6 datagrams: $(cat "$EGW_OUT/udp-server.log")"
declare -A mapping
for pool in public eif adf; do
	case $pool in
	public) want='198\.51\.100\.1[0-3]' ;;
	eif) want=${EIF//./\\.} ;;
	adf) want=${ADF//./\\.} ;;
	esac
	m1=$(awk -v l="$EGW_IP_SRV:9100" '$1 == "seen" && $2 == l {print $3}' "$EGW_OUT/udp-server.log" |
		grep -E "^$want:" || true)
	m2=$(awk -v l="$SRV2:9100" '$1 == "seen" && $2 == l {print $3}' "$EGW_OUT/udp-server.log" |
		grep -E "^$want:" || true)
	[[ -n $m1 && $(wc -l <<<"$m1") == 1 ]] || egw_fail "pool $pool: no single mapping seen at $EGW_IP_SRV: '$m1'"
	assert_eq "$m2" "$m1" "pool $pool (UDP): the same external address:port toward two destinations (REQ-1)"
	mapping[$pool]=$m1
done
for pool in public eif adf; do
	ip netns exec $EGW_NS_SRV "$EGW_PY" "$PROBE" knock $EGW_IP_SRV:9101 "${mapping[$pool]}" same-address
	ip netns exec $EGW_NS_SRV "$EGW_PY" "$PROBE" knock $SRV3:9100 "${mapping[$pool]}" other-address
done
egw_wait_stat nat_inbound_flows -ge "$(($(egw_json_get /egw/stats.nat_inbound_flows <"$EGW_OUT/b0.stats.json") + 3))" >/dev/null
sleep 1
got() { grep -c "^got $2 $3" "${clog[$1]}" || true; }
assert_eq "$(got $CLI_EIF $EGW_IP_SRV:9101 same-address)" 1 "eif: a new port of a contacted address gets in"
assert_eq "$(got $CLI_EIF $SRV3:9100 other-address)" 1 "eif: an address never contacted gets in"
assert_eq "$(got $CLI_ADF $EGW_IP_SRV:9101 same-address)" 1 "adf: a new port of a contacted address gets in"
assert_eq "$(got $CLI_ADF $SRV3:9100 other-address)" 0 "adf: an address never contacted is filtered"
assert_eq "$(got $EGW_IP_CLI $EGW_IP_SRV:9101 same-address)" 0 "public: a new port is filtered"
assert_eq "$(got $EGW_IP_CLI $SRV3:9100 other-address)" 0 "public: an address never contacted is filtered"
assert_eq "$(got $EGW_IP_CLI $EGW_IP_SRV:9100 answer)" 1 "public: the contacted endpoint's answer gets in"
assert_stat_delta "$EGW_OUT/b0.stats.json" nat_inbound_flows -eq 3
assert_stat_delta "$EGW_OUT/b0.stats.json" nat_inbound_filtered -eq 3
assert_stat_delta "$EGW_OUT/b0.stats.json" drops.unsolicited_inbound -eq 3
egw_kill "$userver"

# ---- REQ-1 with TCP: two connections from one port ----
egw_bg $EGW_NS_SRV "$EGW_OUT/tcp-server.log" "$EGW_PY" -u "$PROBE" tcp-server 10 \
	$EGW_IP_SRV:9200 $SRV2:9200
tserver=$EGW_LAST_PID
egw_wait_for 5 egw_listening tcp 9200 || egw_fail "TCP probe server not listening"
tc=$(ip netns exec $EGW_NS_CLI timeout 15 "$EGW_PY" "$PROBE" tcp-connect $EGW_IP_CLI 7100 \
	$EGW_IP_SRV:9200 $SRV2:9200)
assert_eq "$(grep -c ' ok$' <<<"$tc")" 2 "two TCP connections from one port: $tc"
t_seen() { [[ $(grep -c '^tcp-seen' "$EGW_OUT/tcp-server.log") -ge 2 ]]; }
egw_wait_for 5 t_seen || egw_fail "TCP server saw: $(cat "$EGW_OUT/tcp-server.log")"
t1=$(awk -v l="$EGW_IP_SRV:9200" '$2 == l {print $3}' "$EGW_OUT/tcp-server.log")
t2=$(awk -v l="$SRV2:9200" '$2 == l {print $3}' "$EGW_OUT/tcp-server.log")
assert_match "$t1" '^198\.51\.100\.1[0-3]:[0-9]+$' "TCP mapping seen at $EGW_IP_SRV"
assert_eq "$t2" "$t1" "TCP: the same external address:port toward two destinations (RFC 5382 REQ-1)"
egw_kill "$tserver"

# ---- a STUN client's verdict (RFC 3489 tests against stund on two addresses) ----
egw_bg $EGW_NS_SRV "$EGW_OUT/stund.log" stund -h $EGW_IP_SRV -a $SRV2
stund_pid=$EGW_LAST_PID
egw_wait_for 5 egw_listening udp 3478 || egw_fail "stund not listening"
stun_check() # SRC PORT EXPECTED-FILTER-TEXT
{
	local out
	out=$(ip netns exec $EGW_NS_CLI timeout 20 stun $EGW_IP_SRV -i "$1" -p "$2" 2>&1) || true
	printf '%s\n' "$out" >"$EGW_OUT/stun-$1.log"
	assert_contains "$out" "Independent Mapping" "stun from $1: independent mapping"
	assert_contains "$out" "$3" "stun from $1: $3"
	assert_contains "$out" "will hairpin" "stun from $1: its own mapping reaches it (hairpinning, REQ-9)"
}
stun_check $CLI_EIF 7200 "Independent Filter"
stun_check $CLI_ADF 7200 "Address Dependent Filter"
stun_check $EGW_IP_CLI 7200 "Port Dependent Filter"
egw_kill "$stund_pid"
egw_stop
