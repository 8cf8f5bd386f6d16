#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Neighbours that lie or vanish (issue 19), with neighbor_reachable = 2 s, neighbor_probes = 2:
#   - 90 static neighbours: egwctl neighbors pages through /egw/neighbors;
#   - gratuitous ARP from the inside claiming the outside router's address, or the appliance's
#     own inside address, is ignored and counted (arp_spoofed): the router keeps its MAC and
#     traffic flows on;
#   - the server-side router disappears (its address removed): after reachable + 2 unicast
#     probes + 2 broadcast requests the neighbour fails, packets toward it are dropped
#     (neighbor_unresolved) and the client gets ICMP host unreachable from the appliance (a
#     capture sees it; curl's connect fails at once instead of timing out);
#   - the router comes back: traffic resumes after the 5 s hold-down.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
egw_topo_up
egw_quiet_hosts
# 90 static neighbours (60 inside, 30 outside; at most 64 per port): more than one reply of
# /egw/neighbors holds (80). Continuation lines: a config line holds at most 199 bytes.
statics() # FIRST_ADDR LAST_OCTET COUNT MAC_BYTE
{
	local i
	for ((i = 0; i < $3; i++)); do
		printf '%s.%d 02:65:67:00:%s:%02x,\n\t' "$1" $(($2 + i)) "$4" $i
	done
}
in_statics=$(statics 198.18.0 100 60 10)
out_statics=$(statics 203.0.113 100 30 11)
egw_conf "$EGW_OUT/egw.ini" "port outside.neighbor_reachable=2" \
	"port outside.neighbor_probes=2" "port inside.neighbors=${in_statics%,*}" \
	"port outside.neighbors=${out_statics%,*}"
egw_start "$EGW_OUT/egw.ini"
egw_http_start
egw_wait_path
base=$EGW_OUT/stats.before.json
egw_stats_save "$base"
url=http://$EGW_IP_SRV:$EGW_HTTP_PORT/index.html

curl_once() # prints curl's error (nothing on success); the status of curl
{
	ip netns exec $EGW_NS_CLI curl --noproxy '*' -sS --fail --connect-timeout 2 --max-time 3 \
		-o /dev/null "$url" 2>&1
}

# --- egwctl neighbors pages through them all
out=$(egw_ctl_read "$EGW_OUT/egw.ini" neighbors)
assert_match "$out" "^203\.0\.113\.129 +outside +02:65:67:00:11:1D +static " \
	"egwctl neighbors lists the last static neighbour (second page)"
assert_match "$out" "^9[1-9] neighbors\$" "egwctl neighbors counts 90 static neighbours and more"
out=$(egw_ctl_read "$EGW_OUT/egw.ini" --json neighbors)
printf '%s' "$out" | "$EGW_PY" -c '
import json, sys
d = json.load(sys.stdin)["/egw/neighbors"]
assert len(d["neighbors"]) == d["total"] > 90 and d["next_offset"] == 0, d
' || egw_fail "egwctl --json neighbors does not merge the pages: $out"
egw_ok "egwctl --json neighbors merges the pages into one document"

# --- spoofed ARP from the inside
egw_garp $EGW_NS_CLI $EGW_IF_CLI $EGW_IP_SRV 02:65:67:00:00:66
egw_garp $EGW_NS_CLI $EGW_IF_CLI $EGW_IP_GWIN 02:65:67:00:00:66
assert_stat_delta "$base" drops.arp_spoofed -eq 2
out=$(egw_neighbor $EGW_IP_SRV) || egw_fail "/egw/neighbors does not list $EGW_IP_SRV"
assert_match "${out,,}" "^(reachable|stale|probe) ${EGW_MAC_SRV,,}\$" \
	"the router keeps its MAC after the spoofed ARP: $out"
out=$(curl_once) || egw_fail "curl after the spoofed ARP: $out"
egw_ok "traffic flows on after the spoofed ARP"

# --- the router vanishes
cap=$EGW_OUT/cli-icmp.pcap
egw_capture_start $EGW_NS_CLI $EGW_IF_CLI "$cap" icmp
cpid=$EGW_LAST_PID
ip -n $EGW_NS_SRV addr flush dev $EGW_IF_SRV
deadline=$((SECONDS + 25))
rc=0
# Timeouts (28) while the router is probed and its packets held; then connect() fails at once
# (7, EHOSTUNREACH from the ICMP error) instead of timing out.
until ((rc == 7)); do
	((SECONDS < deadline)) || egw_fail "curl did not fail to connect within 25 s; last: $out"
	sleep 0.2
	rc=0
	out=$(curl_once) || rc=$?
	((rc != 0)) || egw_fail "curl succeeded with the router gone"
done
egw_ok "curl could not connect (exit 7): $out"
egw_capture_stop "$cpid"
n=$(egw_pcap_count "$cap" \
	"icmp[icmptype] == 3 and icmp[icmpcode] == 1 and src host $EGW_IP_GWOUT and dst host $EGW_IP_CLI")
assert_ge "$n" 1 "ICMP host unreachable from $EGW_IP_GWOUT captured at the client"
out=$(egw_neighbor $EGW_IP_SRV) || egw_fail "/egw/neighbors does not list $EGW_IP_SRV"
assert_match "$out" "^(failed|incomplete) -\$" "the vanished router has no MAC: $out"
assert_stat_delta "$base" neighbor_failures -ge 1
assert_stat_delta "$base" drops.neighbor_unresolved -ge 1
assert_stat_delta "$base" neighbor_unreachable_sent -ge 1

# --- the router is back
ip -n $EGW_NS_SRV addr add $EGW_IP_SRV/24 dev $EGW_IF_SRV
ip -n $EGW_NS_SRV route add $EGW_POOL_NET via $EGW_IP_GWOUT
deadline=$((SECONDS + 15))
until out=$(curl_once); do
	((SECONDS < deadline)) || egw_fail "no traffic 15 s after the router came back: $out"
	sleep 0.5
done
egw_ok "traffic resumes once the router is back"
egw_stop
