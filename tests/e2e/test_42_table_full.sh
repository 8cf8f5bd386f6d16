#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# A full flow table and an exhausted pool address, each flooded with new flows from one client:
#   1. [flows] max = 128: 1000 new UDP flows while a download runs. Each new flow is admitted
#      or counted flow_table_full (exactly: admitted + refused = sent, less what the kernel
#      dropped in the RX ring, rx_ring_drops), the server receives exactly the admitted ones,
#      the table never holds more than 128 flows, the download (an established flow) is never
#      evicted (SHA-256 compared), and once the flood's flows expire new flows pass again.
#   2. One pool address with 64 ports: 300 new UDP flows to one server endpoint. 64 get a
#      port, 236 are nat_exhausted (also /egw/pools "exhausted"); with mapping =
#      endpoint-dependent, another endpoint still gets
#      ports (endpoint-dependent mapping); after the timeout the ports are free again.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
egw_topo_up
SINK=9000

# The server counts datagrams per destination port (a line per datagram: port, count so far).
sink_start() {
	rm -f "$EGW_OUT/sink.log"
	egw_bg $EGW_NS_SRV "$EGW_OUT/sink.log" "$EGW_PY" -u -c '
import select, socket, sys
socks = []
for port in sys.argv[2:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((sys.argv[1], int(port)))
    socks.append(s)
print("listening", flush=True)
count = {s.getsockname()[1]: 0 for s in socks}
while True:
    for s in select.select(socks, [], [], 1.0)[0]:
        s.recv(2048)
        port = s.getsockname()[1]
        count[port] += 1
        print("port %d %d" % (port, count[port]), flush=True)
' $EGW_IP_SRV "$@"
	SINK_PID=$EGW_LAST_PID
	egw_wait_for 10 grep -q listening "$EGW_OUT/sink.log" || egw_fail "the server's sink did not start"
}
sink_count() { # PORT: datagrams the sink received on it so far
	awk -v p="$1" '$1 == "port" && $2 == p { n = $3 } END { print n + 0 }' "$EGW_OUT/sink.log"
}
sink_has() { (($(sink_count "$1") >= $2)); } # PORT N

# flood N DPORT: one datagram from each of N client source ports (N new flows: the ports are
# chosen, the kernel would reuse one) to SERVER:DPORT. Each call uses ports no earlier one did.
FLOOD_PORT=20000
flood() {
	ip netns exec $EGW_NS_CLI "$EGW_PY" -c '
import socket, sys
first = int(sys.argv[4])
for i in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", first + i))
    s.sendto(b"flood %d" % i, (sys.argv[1], int(sys.argv[3])))
    s.close()
' $EGW_IP_SRV "$1" "$2" $FLOOD_PORT
	FLOOD_PORT=$((FLOOD_PORT + $1))
}

# delta BASE KEY: a /egw/stats counter now minus in the saved BASE
delta() { echo $(($(egw_stat "$2") - $(egw_json_get "/egw/stats.$2" <"$1"))); }

# ring_drops: the inside port's rx_ring_drops (frames the kernel lost before the worker)
ring_drops() {
	egw_tel /egw/ports | "$EGW_PY" -c '
import json, sys
ports = json.load(sys.stdin)["/egw/ports"]["ports"].values()
print(next(p["rx_ring_drops"] for p in ports if p["name"] == "inside"))'
}

# settle BASE N KEY...: waits (<= 30 s) until the KEYs of /egw/stats rose by N together: the
# worker may be slow to get through a flood on a loaded machine.
settle() {
	local basef=$1 n=$2 i sum k
	shift 2
	for ((i = 0; i < 100; i++)); do
		sum=0
		for k in "$@"; do sum=$((sum + $(delta "$basef" "$k"))); done
		((sum >= n)) && break
		sleep 0.3
	done
	sleep 0.5 # a late double count must show too
}

# --- 1. flow table full ---------------------------------------------------------------------
egw_conf "$EGW_OUT/egw1.ini" flows.max=128 flows.udp=3 flows.icmp=3
egw_start "$EGW_OUT/egw1.ini"
egw_http_start
sink_start $SINK
egw_wait_path
egw_bg $EGW_NS_CLI "$EGW_OUT/curl-slow.log" curl --noproxy '*' -sS --fail --limit-rate 2M \
	--max-time 60 -o "$EGW_OUT/slow.bin" "http://$EGW_IP_SRV:$EGW_HTTP_PORT/big.bin"
curl_pid=$EGW_LAST_PID
egw_wait_for 10 test -s "$EGW_OUT/slow.bin" || egw_fail "the download did not start"
base=$EGW_OUT/stats1.json
egw_stats_save "$base"
ring0=$(ring_drops)
N=1000
flood $N $SINK
settle "$base" $((N - ($(ring_drops) - ring0))) flows_created drops.flow_table_full
created=$(delta "$base" flows_created)
full=$(delta "$base" drops.flow_table_full)
lost=$(($(ring_drops) - ring0))
active=$(egw_stat flows_active)
egw_log "$N new flows: $created admitted, $full flow_table_full, $lost lost in the RX ring," \
	"$active active, $(sink_count $SINK) received"
assert_le "$active" 128 "flows in a table of 128"
assert_ge "$full" $((N - 128 - lost)) "new flows refused as flow_table_full"
assert_numeq $((created + full + lost)) $N "admitted + flow_table_full + rx_ring_drops = new flows sent"
egw_wait_for 10 sink_has $SINK "$created" || true
assert_numeq "$(sink_count $SINK)" "$created" "datagrams the server received = flows admitted"
wait "$curl_pid" || egw_fail "the download during the flood failed: $(cat "$EGW_OUT/curl-slow.log")"
assert_eq "$(sha256sum <"$EGW_OUT/slow.bin" | cut -d' ' -f1)" \
	"$(sha256sum <"$EGW_OUT/www/big.bin" | cut -d' ' -f1)" \
	"SHA-256 of the download that ran through the flood (its flow was never evicted)"
v=$(egw_wait_stat flows_active -le 2 20)
assert_le "$v" 2 "flows left once the flood's flows timed out"
before=$(sink_count $SINK)
flood 5 $SINK
egw_wait_for 5 sink_has $SINK $((before + 5)) || true
assert_numeq $(($(sink_count $SINK) - before)) 5 "new flows pass again after the expiry"
egw_stop

# --- 2. pool address exhausted --------------------------------------------------------------
egw_kill "$SINK_PID"
# Endpoint-dependent mapping: a port held toward one endpoint is still free toward another
# (with the default endpoint-independent mapping it is the inside socket's everywhere).
egw_conf "$EGW_OUT/egw2.ini" flows.udp=3 "pool public.addresses=$EGW_POOL_FIRST" \
	"pool public.ports=20000-20063" "pool public.mapping=endpoint-dependent"
sink_start $SINK $((SINK + 1))
egw_start "$EGW_OUT/egw2.ini"
egw_wait_path
base=$EGW_OUT/stats2.json
egw_stats_save "$base"
N=300
flood $N $SINK
settle "$base" $N flows_created drops.nat_exhausted
exhausted=$(delta "$base" drops.nat_exhausted)
created=$(delta "$base" flows_created)
egw_log "$N new flows to one endpoint: $created admitted, $exhausted nat_exhausted"
assert_numeq "$created" 64 "flows that got one of the 64 ports"
assert_numeq "$exhausted" $((N - 64)) "new flows refused as nat_exhausted"
read -r in_use pool_exhausted < <(egw_tel /egw/pools | "$EGW_PY" -c '
import json, sys
a = json.load(sys.stdin)["/egw/pools"]["pools"]["p0"]["addresses"]["a0"]
print(a["ports_in_use"], a["exhausted"])')
assert_numeq "$pool_exhausted" $((N - 64)) "/egw/pools: exhaustion counted on $EGW_POOL_FIRST"
# The warm-up ping's ICMP flow holds an identifier of the same address too.
assert_ge "$in_use" 64 "/egw/pools: ports of $EGW_POOL_FIRST in use"
egw_wait_for 10 sink_has $SINK 64 || true
assert_numeq "$(sink_count $SINK)" 64 "datagrams the server received on the exhausted endpoint"
flood 3 $((SINK + 1))
egw_wait_for 5 sink_has $((SINK + 1)) 3 || true
assert_numeq "$(sink_count $((SINK + 1)))" 3 "another server endpoint still gets ports"
v=$(egw_wait_stat flows_active -le 1 20)
assert_le "$v" 1 "flows left once the flood's flows timed out"
flood 5 $SINK
egw_wait_for 5 sink_has $SINK 69 || true
assert_numeq "$(sink_count $SINK)" 69 "the endpoint's ports are free again after the expiry"
egw_stop
