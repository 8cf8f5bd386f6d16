#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Neighbours whose MAC changes without a word (issue 19), with neighbor_reachable = 2 s and the
# default 3 probes. Neither host announces the change (arp_notify off) nor ever asks for the
# appliance (its entry is pinned), so only the appliance's own ageing can notice:
#   - the server-side router gets a new MAC while curls run: the appliance's entry goes stale,
#     its unicast probes go unanswered, a broadcast finds the new MAC; traffic resumes within
#     reachable (<= 3 s) + probes (3 s), well before the 15 s this test allows;
#   - the same for an inside host (the client);
#   - a gratuitous ARP from a new MAC makes traffic resume at once.
# /egw/neighbors and egwctl neighbors show the new MACs; neighbor_mac_changes counts them.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
egw_topo_up
egw_quiet_hosts
egw_conf "$EGW_OUT/egw.ini" "port inside.neighbor_reachable=2" \
	"port outside.neighbor_reachable=2"
egw_start "$EGW_OUT/egw.ini"
egw_http_start
egw_wait_path
base=$EGW_OUT/stats.before.json
egw_stats_save "$base"

now_ms() { local t=${EPOCHREALTIME/./}; echo $((10#$t / 1000)); }

# curl_until_ok WHAT MAX_S MIN_FAILS: curls index.html from the client, a fresh connection each
# time, until one succeeds; at least MIN_FAILS must fail first, and success must come within
# MAX_S seconds.
curl_until_ok()
{
	local what=$1 max=$2 min_fails=$3 t0 ms fails=0
	t0=$(now_ms)
	until ip netns exec $EGW_NS_CLI curl --noproxy '*' -sS --fail --connect-timeout 1 \
		--max-time 2 -o /dev/null "http://$EGW_IP_SRV:$EGW_HTTP_PORT/index.html" \
		2>>"$EGW_OUT/curl.err"; do
		fails=$((fails + 1))
		ms=$(($(now_ms) - t0))
		((ms <= max * 1000)) || egw_fail "$what: no traffic after ${ms} ms ($fails curls failed)"
		sleep 0.2
	done
	ms=$(($(now_ms) - t0))
	egw_log "$what: traffic again after $ms ms, $fails curl(s) failed before"
	assert_ge "$fails" "$min_fails" "$what: curls that failed while the old MAC was in use"
	assert_le "$ms" $((max * 1000)) "$what: milliseconds until traffic resumed"
}

# neighbor_is ADDR STATE_ERE MAC: /egw/neighbors lists ADDR in a matching state with MAC.
neighbor_is()
{
	local out
	out=$(egw_neighbor "$1") || egw_fail "/egw/neighbors does not list $1"
	assert_match "${out,,}" "^($2) ${3,,}\$" "/egw/neighbors: $1 is $out"
}

curl_until_ok "before any change" 5 0
neighbor_is $EGW_IP_SRV "reachable|stale|probe" $EGW_MAC_SRV

# --- the server-side router is replaced: same address, new MAC, no announcement
new_srv=02:65:67:00:01:a1
ip -n $EGW_NS_SRV link set dev $EGW_IF_SRV address $new_srv
curl_until_ok "server-side router with a new MAC, silent" 15 1
neighbor_is $EGW_IP_SRV "reachable|stale|probe" $new_srv

# --- an inside host's MAC changes (a VM moved, a NIC swapped)
new_cli=02:65:67:00:00:a2
neighbor_is $EGW_IP_CLI "reachable|stale|probe" $EGW_MAC_CLI
ip -n $EGW_NS_CLI link set dev $EGW_IF_CLI address $new_cli
curl_until_ok "inside host with a new MAC, silent" 15 1
neighbor_is $EGW_IP_CLI "reachable|stale|probe" $new_cli

# --- the router changes again, and says so: no probing needed
new_srv2=02:65:67:00:01:a3
ip -n $EGW_NS_SRV link set dev $EGW_IF_SRV address $new_srv2
egw_garp $EGW_NS_SRV $EGW_IF_SRV $EGW_IP_SRV $new_srv2
curl_until_ok "server-side router with a new MAC, gratuitous ARP" 2 0
neighbor_is $EGW_IP_SRV "reachable|stale|probe" $new_srv2

assert_stat_delta "$base" neighbor_mac_changes -ge 3
assert_stat_delta "$base" neighbor_probes_sent -ge 2
assert_stat_delta "$base" drops.arp_spoofed -eq 0

out=$(egw_ctl_read "$EGW_OUT/egw.ini" neighbors)
egw_log "egwctl neighbors:"$'\n'"$out"
assert_match "${out,,}" "$EGW_IP_SRV +outside +$new_srv2 +(reachable|stale|probe) " \
	"egwctl neighbors shows the router's last MAC"
assert_match "${out,,}" "$EGW_IP_CLI +inside +$new_cli " "egwctl neighbors shows the client"
out=$(egw_ctl_read "$EGW_OUT/egw.ini" --json neighbors)
printf '%s' "$out" | "$EGW_PY" -c '
import json, sys
d = json.load(sys.stdin)["/egw/neighbors"]
assert d["total"] >= 2 and d["next_offset"] == 0, d
assert {e["address"] for e in d["neighbors"].values()} >= {sys.argv[1], sys.argv[2]}, d
' $EGW_IP_SRV $EGW_IP_CLI || egw_fail "egwctl --json neighbors: $out"
egw_ok "egwctl --json neighbors lists both neighbours"
egw_stop
