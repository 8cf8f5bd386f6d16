#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Hairpinning (RFC 4787 REQ-9, RFC 5382 REQ-8), issue 13: two inside hosts (198.18.0.2, the
# sender, and 198.18.0.7, the receiver; one namespace, two addresses) and a pool with
# endpoint-independent filtering (without it a host must first send to the other's external
# address, like any outside host).
# - TCP: the receiver opens a mapping from port 5001 (a connection to the server), then
#   listens there with ncat; the sender connects with ncat to that external address and port
#   from its port 6001. The receiver sees the sender's external address and port (not
#   198.18.0.2), the very mapping the server sees when the sender connects from 6001 later.
# - UDP: the same with datagrams (receiver port 5002, ncat -u from 6002), answered back.
# - nat_hairpinned counts the packets turned back; nothing of it leaves the outside port.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
egw_topo_up

RECV=198.18.0.7
ip -n $EGW_NS_CLI addr add $RECV/24 dev $EGW_IF_CLI
egw_conf "$EGW_OUT/egw.ini" "dpdk.idle_sleep_us=50" "pool public.filtering=endpoint-independent"
egw_start "$EGW_OUT/egw.ini"
PROBE=$EGW_E2E_DIR/eim_probe.py
pool_ep='^198\.51\.100\.1[0-3]:[0-9]+$'

egw_bg $EGW_NS_SRV "$EGW_OUT/tcp-server.log" "$EGW_PY" -u "$PROBE" tcp-server 30 $EGW_IP_SRV:9200
tserver=$EGW_LAST_PID
egw_bg $EGW_NS_SRV "$EGW_OUT/udp-server.log" "$EGW_PY" -u "$PROBE" server 30 $EGW_IP_SRV:9100
userver=$EGW_LAST_PID
egw_wait_for 5 egw_listening tcp 9200 || egw_fail "TCP probe server not listening"
egw_wait_for 5 egw_listening udp 9100 || egw_fail "UDP probe server not listening"
# tcp-seen / seen lines of the server logs: the external endpoint seen for the Nth connection.
seen_nth() # LOG N
{
	awk '$1 ~ /seen$/ {print $3}' "$1" | sed -n "$2p"
}
nth_seen() { [[ -n $(seen_nth "$1" "$2") ]]; }

# Outside traffic during the hairpin exchanges: none may leave (the receiver's mapping is
# reached inside).
ocap=$EGW_OUT/outside.pcap
egw_capture_start $EGW_NS_SRV $EGW_IF_SRV "$ocap" "ip and (tcp port 5001 or tcp port 6001 or udp port 6002)"
ocpid=$EGW_LAST_PID

# ---- TCP ----
ip netns exec $EGW_NS_CLI timeout 10 "$EGW_PY" "$PROBE" tcp-connect $RECV 5001 $EGW_IP_SRV:9200 \
	>"$EGW_OUT/recv-map.log"
egw_wait_for 5 nth_seen "$EGW_OUT/tcp-server.log" 1 || egw_fail "no receiver mapping seen"
recv_tcp=$(seen_nth "$EGW_OUT/tcp-server.log" 1)
assert_match "$recv_tcp" "$pool_ep" "the receiver's TCP mapping (port 5001)"
egw_bg $EGW_NS_CLI "$EGW_OUT/recv-ncat.log" timeout 20 ncat -l $RECV 5001 \
	--sh-exec 'echo "peer $NCAT_REMOTE_ADDR:$NCAT_REMOTE_PORT"'
listener=$EGW_LAST_PID
recv_listening() { ip netns exec $EGW_NS_CLI ss -ltnH "sport = :5001" | grep -q .; }
egw_wait_for 5 recv_listening || egw_fail "receiver's ncat not listening"
b=$EGW_OUT/b0.stats.json
egw_stats_save "$b"
out=$(ip netns exec $EGW_NS_CLI timeout 10 ncat --recv-only -s $EGW_IP_CLI -p 6001 "${recv_tcp%:*}" "${recv_tcp##*:}" \
	</dev/null 2>&1) || egw_fail "ncat to the receiver's external endpoint $recv_tcp: $out"
peer=$(sed -n 's/^peer //p' <<<"$out")
egw_log "the receiver saw the sender as $peer"
assert_match "$peer" "$pool_ep" "TCP: the receiver sees a pool address, not $EGW_IP_CLI"
egw_kill "$listener"
# The sender's own mapping of port 6001, as an outside server sees it.
ip netns exec $EGW_NS_CLI timeout 10 "$EGW_PY" "$PROBE" tcp-connect $EGW_IP_CLI 6001 $EGW_IP_SRV:9200 \
	>"$EGW_OUT/send-map.log"
egw_wait_for 5 nth_seen "$EGW_OUT/tcp-server.log" 2 || egw_fail "no sender mapping seen"
assert_eq "$peer" "$(seen_nth "$EGW_OUT/tcp-server.log" 2)" \
	"TCP: the receiver saw the sender's external address and port (REQ-9 b)"

# ---- UDP ----
egw_bg $EGW_NS_CLI "$EGW_OUT/recv-udp.log" "$EGW_PY" -u "$PROBE" client $RECV 5002 8 $EGW_IP_SRV:9100
egw_wait_for 5 nth_seen "$EGW_OUT/udp-server.log" 1 || egw_fail "no receiver UDP mapping seen"
recv_udp=$(seen_nth "$EGW_OUT/udp-server.log" 1)
assert_match "$recv_udp" "$pool_ep" "the receiver's UDP mapping (port 5002)"
printf 'hairpin\n' | ip netns exec $EGW_NS_CLI timeout 5 ncat -u --send-only -s $EGW_IP_CLI -p 6002 \
	"${recv_udp%:*}" "${recv_udp##*:}" || egw_fail "ncat -u to $recv_udp"
got_udp() { grep -q '^got .* hairpin' "$EGW_OUT/recv-udp.log"; }
egw_wait_for 5 got_udp || egw_fail "the receiver got no datagram: $(cat "$EGW_OUT/recv-udp.log")"
upeer=$(awk '/^got .* hairpin/ {print $2; exit}' "$EGW_OUT/recv-udp.log")
assert_match "$upeer" "$pool_ep" "UDP: the receiver sees a pool address, not $EGW_IP_CLI"
ip netns exec $EGW_NS_CLI timeout 10 "$EGW_PY" "$PROBE" client $EGW_IP_CLI 6002 1 $EGW_IP_SRV:9100 \
	>/dev/null
egw_wait_for 5 nth_seen "$EGW_OUT/udp-server.log" 2 || egw_fail "no sender UDP mapping seen"
assert_eq "$upeer" "$(seen_nth "$EGW_OUT/udp-server.log" 2)" \
	"UDP: the receiver saw the sender's external address and port"

# TCP: SYN, ACK, FIN, ACK at least each way; UDP: one datagram.
assert_stat_delta "$b" nat_hairpinned -ge 9
egw_capture_stop "$ocpid"
assert_numeq "$("$EGW_PY" "$EGW_E2E_DIR/pcaptool.py" count "$ocap")" 0 \
	"hairpinned packets seen on the outside link"
egw_kill "$tserver"
egw_kill "$userver"
egw_stop
