#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The malformed-packet corpus (inject_malformed.py), replayed from both sides, each case 3
# times: from the client toward the inside port, and from the server toward the outside port
# (replies go to a UDP flow the client holds open). Every case has one outcome: a drop reason,
# which must rise by exactly the number of frames sent for it, or "forwarded", which must reach
# the other side (counted per direction in /egw/stats and in captures there). Nothing else may
# reach either end, and the appliance must still forward normal traffic afterwards (curl,
# SHA-256 compared; ping).
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
egw_topo_up
egw_conf "$EGW_OUT/egw.ini"
egw_start "$EGW_OUT/egw.ini"
egw_http_start
egw_wait_path
HOLD_PORT=40100 # the client's UDP flow that outside cases reply to
SINK_PORT=9000	# the server reads datagrams there and never answers

# The server's sink (no ICMP port unreachable for forwarded datagrams) and the client's held
# flow (its socket stays open, so replies are read, not answered with an ICMP error).
egw_bg $EGW_NS_SRV "$EGW_OUT/sink.log" "$EGW_PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
while True:
    s.recv(2048)
' $EGW_IP_SRV $SINK_PORT
egw_bg $EGW_NS_CLI "$EGW_OUT/hold.log" "$EGW_PY" -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
s.sendto(b"hold", (sys.argv[3], int(sys.argv[4])))
while True:
    s.recv(2048)
' $EGW_IP_CLI $HOLD_PORT $EGW_IP_SRV $SINK_PORT
nat=
for ((i = 0; i < 25; i++)); do
	nat=$(egw_tel "/egw/flows,port=$HOLD_PORT,proto=udp" | "$EGW_PY" -c '
import json, sys
f = list(json.load(sys.stdin)["/egw/flows"]["flows"].values())
print("%s:%d" % (f[0]["nat_src"], f[0]["nat_sport"]) if len(f) == 1 else "")') || nat=
	[[ -n $nat ]] && break
	sleep 0.2
done
[[ -n $nat ]] || egw_fail "the held UDP flow from port $HOLD_PORT did not appear in /egw/flows"
egw_log "held flow $EGW_IP_CLI:$HOLD_PORT -> $EGW_IP_SRV:$SINK_PORT leaves as $nat"
sleep 1 # let the last echo replies and ARP settle before the baseline

# What reaches either end: datagrams to the sink (server) and to the held flow (client).
srv_cap=$EGW_OUT/srv.pcap cli_cap=$EGW_OUT/cli.pcap
egw_capture_start $EGW_NS_SRV $EGW_IF_SRV "$srv_cap" -Q in ip
srv_pid=$EGW_LAST_PID
egw_capture_start $EGW_NS_CLI $EGW_IF_CLI "$cli_cap" -Q in ip
cli_pid=$EGW_LAST_PID
base=$EGW_OUT/stats.before.json
egw_stats_save "$base"
N=3
ip netns exec $EGW_NS_CLI "$EGW_PY" "$EGW_E2E_DIR/inject_malformed.py" --side inside \
	--iface $EGW_IF_CLI --dst-mac $EGW_MAC_GWIN --count $N >"$EGW_OUT/injected.in.json" \
	2>"$EGW_OUT/inject.err" || egw_fail "inject_malformed.py (inside) failed: $(cat "$EGW_OUT/inject.err")"
ip netns exec $EGW_NS_SRV "$EGW_PY" "$EGW_E2E_DIR/inject_malformed.py" --side outside \
	--iface $EGW_IF_SRV --dst-mac $EGW_MAC_GWOUT --nat "$nat" --count $N \
	>"$EGW_OUT/injected.out.json" 2>"$EGW_OUT/inject.err" ||
	egw_fail "inject_malformed.py (outside) failed: $(cat "$EGW_OUT/inject.err")"
injected=("$EGW_OUT/injected.in.json" "$EGW_OUT/injected.out.json")
kinds=$(cat "${injected[@]}" | "$EGW_PY" -c '
import json, sys
print(sum(len(json.loads(l)["sent"]) for l in sys.stdin if l.strip()))')
egw_log "injected $kinds kinds of frame, $N of each, from both sides"

# Every outcome: expected rise vs. actual rise, all reported before the verdict. Counters are
# aggregated asynchronously: poll (<= 5 s) until they match, then read once more 0.5 s later.
after=$EGW_OUT/stats.after.json
for ((i = 0; i < 25; i++)); do
	egw_stats_save "$after"
	"$EGW_PY" "$EGW_E2E_DIR/drop_delta.py" "$base" "$after" "${injected[@]}" --quiet && break
	sleep 0.2
done
sleep 0.5 # a late double count must show too
egw_stats_save "$after"
"$EGW_PY" "$EGW_E2E_DIR/drop_delta.py" "$base" "$after" "${injected[@]}" ||
	egw_fail "counters did not rise by exactly the frames sent (table above)"
egw_ok "every drop reason and each direction's forwarded count rose by exactly the frames sent for it"
egw_log "skipped outcomes: $("$EGW_PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["skipped"])' "$EGW_OUT/injected.in.json")"

egw_capture_stop "$srv_pid"
egw_capture_stop "$cli_pid"
fwd_out=$(egw_json_get 'expected.forwarded:outbound' <"$EGW_OUT/injected.in.json")
fwd_in=$(egw_json_get 'expected.forwarded:inbound' <"$EGW_OUT/injected.out.json")
# Time exceeded messages the appliance sends for the TTL cases go to the sender: not counted.
assert_numeq "$(egw_pcap_count "$srv_cap" "not (icmp and icmp[icmptype] == icmp-timxceed)")" \
	"$fwd_out" "IPv4 packets reaching the server: the corpus's forwarded cases, nothing else"
assert_numeq "$(egw_pcap_count "$srv_cap" "udp dst port $SINK_PORT")" "$fwd_out" \
	"forwarded cases at the server's sink"
assert_numeq "$(egw_pcap_count "$cli_cap" "not (icmp and icmp[icmptype] == icmp-timxceed)")" \
	"$fwd_in" "IPv4 packets reaching the client: the corpus's forwarded replies, nothing else"
assert_numeq "$(egw_pcap_count "$cli_cap" "udp dst port $HOLD_PORT")" "$fwd_in" \
	"forwarded replies at the client's held flow"

egw_check_curl
egw_check_ping
egw_stop
