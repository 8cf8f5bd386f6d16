#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Hostile and careless clients of every local socket (issue 9). The appliance keeps forwarding,
# answering ping at its inside address and serving other clients throughout:
# - control socket: clients that close before the reply (SIGPIPE killed the daemon), a slow
#   client (a byte every 0.8 s, no newline: it held the control thread, so ARP and ping went
#   unanswered) and an idle one (both cut at 3 s with an ERROR line while pings and egwctl are
#   answered at once), a 1 MB line, binary junk, 200 clients at once (each served or told to
#   retry, none left hanging), every slot held (egwctl is told so);
# - DPDK telemetry: junk parameters (valid JSON errors), early close, more connections than it
#   serves, /egw/flows from 8 clients at once with flows flush (they contend for the workers'
#   mailboxes: an asker could take over another's answer and both waited for ever);
# - /metrics: slowloris on every slot (cut by the 10 s deadline; libmicrohttpd's idle timeout
#   alone never cuts a client that dribbles), 100 KB of headers;
# - 200 SIGHUPs in 2 s: at most one reload each, nothing wedged.
# The daemon then stops cleanly (exit 0, no mbuf leaked).
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
egw_topo_up
METRICS=127.0.0.1:9610
egw_policy_conf "$EGW_OUT/egw.ini" "dpdk.idle_sleep_us=50" "egress.mode=passthrough" \
	"metrics.listen=$METRICS"
egw_start "$EGW_OUT/egw.ini"
egw_http_start
egw_wait_path
ABUSE=("$EGW_PY" "$EGW_E2E_DIR/abuse.py")
TEL=/var/run/dpdk/$EGW_PREFIX/dpdk_telemetry.v2

alive() # WHAT: the daemon is still running
{
	kill -0 "$EGW_PID" 2>/dev/null || egw_fail "egressgw died after: $1"
	egw_ok "egressgw alive after: $1"
}

ms_now() { echo $(($(date +%s%N) / 1000000)); }

metrics_get() # [MAX_SECONDS]: GET /metrics from 127.0.0.1 in the appliance namespace
{
	ip netns exec $EGW_NS_GW curl -sS --fail --max-time "${1:-5}" -o /dev/null \
		"http://$METRICS/metrics" 2>>"$EGW_OUT/metrics-curl.err"
}

# Pings to the appliance itself run during the whole test (the control thread answers them).
egw_bg $EGW_NS_CLI "$EGW_OUT/ping-all.log" ping -n -i 0.25 -W 2 $EGW_IP_GWIN
PING_ALL=$EGW_LAST_PID

# /metrics: 8 slow connections from each of two addresses take all 16 slots (8 per address).
metrics_get || egw_fail "GET /metrics before the slowloris: $(tail -n 2 "$EGW_OUT/metrics-curl.err")"
LORIS_T0=$(ms_now)
egw_bg $EGW_NS_GW "$EGW_OUT/loris-a.out" "${ABUSE[@]}" http-slowloris $METRICS 127.0.0.2 12 25
LORIS_A=$EGW_LAST_PID
egw_bg $EGW_NS_GW "$EGW_OUT/loris-b.out" "${ABUSE[@]}" http-slowloris $METRICS 127.0.0.3 12 25
LORIS_B=$EGW_LAST_PID
loris_conns() { ip netns exec $EGW_NS_GW ss -tnH state established "( sport = :${METRICS#*:} )" | wc -l; }
loris_in() { (($(loris_conns) >= 16)); }
egw_wait_for 10 loris_in ||
	egw_fail "the slow /metrics clients did not connect: $(loris_conns) connections"
if metrics_get 2; then
	egw_fail "GET /metrics succeeded while the slowloris should hold every slot: test broken"
fi
egw_ok "GET /metrics refused while 16 slow clients hold the slots"

# --- control socket: early close (SIGPIPE)
out=$("${ABUSE[@]}" ctl-early "$EGW_CTL_SOCK" 40)
assert_eq "$out" "sent=40" "40 clients sent a command and closed before the reply"
sleep 0.5
alive "40 control clients closed before their reply"
egw_ctl_ok version

# --- a slow client and an idle one; pings and other requests are answered meanwhile
"${ABUSE[@]}" ctl-slow "$EGW_CTL_SOCK" 8 0.8 >"$EGW_OUT/slow.out" 2>&1 &
SLOW=$!
EGW_PIDS+=("$SLOW")
"${ABUSE[@]}" ctl-idle "$EGW_CTL_SOCK" 8 >"$EGW_OUT/idle.out" 2>&1 &
IDLE=$!
EGW_PIDS+=("$IDLE")
both_connected() { grep -q connected "$EGW_OUT/slow.out" && grep -q connected "$EGW_OUT/idle.out"; }
egw_wait_for 10 both_connected || egw_fail "the slow and idle control clients did not connect"
out=$(ip netns exec $EGW_NS_CLI ping -n -c 8 -i 0.2 -W 1 $EGW_IP_GWIN 2>&1) || true
assert_contains "$out" "8 received" "8 of 8 pings to $EGW_IP_GWIN answered during the slow client"
rtt_max=$(printf '%s\n' "$out" | sed -n 's|.*= [0-9.]*/[0-9.]*/\([0-9.]*\)/.*|\1|p')
assert_le "${rtt_max%.*}" 200 "max ping RTT (ms) to $EGW_IP_GWIN during the slow client"
for i in 1 2 3; do
	t0=$(ms_now)
	egw_ctl_ok version
	assert_le $(($(ms_now) - t0)) 1000 "egwctl version $i during the slow client (ms)"
done
wait "$SLOW" "$IDLE" || true
slow=$(cat "$EGW_OUT/slow.out")
idle=$(cat "$EGW_OUT/idle.out")
egw_log "slow client: $slow"
egw_log "idle client: $idle"
assert_contains "$slow" "ERROR no full command line within 3 s" "the slow client is told why"
assert_match "$slow" "closed_after=[2-4]\.[0-9]" "the slow client is cut at its 3 s deadline"
assert_contains "$idle" "ERROR no full command line within 3 s" "the idle client is told why"
assert_match "$idle" "closed_after=[2-4]\.[0-9] how=closed" "the idle client is cut at 3 s"

# --- 1 MB line, binary junk
out=$("${ABUSE[@]}" ctl-big "$EGW_CTL_SOCK" $((1024 * 1024)))
egw_log "1 MB request: $out"
assert_contains "$out" "ERROR line too long (max 511 bytes)" "a 1 MB line is refused"
# Closed with the rest of the megabyte unread: the client may see a reset after the reply.
assert_match "$out" "how=(closed|error:ConnectionResetError)" "the connection of the 1 MB line is closed"
out=$("${ABUSE[@]}" ctl-junk "$EGW_CTL_SOCK" 60 9)
assert_eq "$out" "errors=60 bad=0" "60 lines of binary junk: each an ERROR line of printable text"
alive "1 MB line and binary junk"

# --- 200 clients at once
out=$("${ABUSE[@]}" ctl-many "$EGW_CTL_SOCK" 200 15)
egw_log "200 concurrent clients: $out"
assert_match "$out" "clients=200 ok=[0-9]+ busy=[0-9]+ other=0 hung=0" \
	"200 concurrent clients: each served or told to retry, none hangs"
ok=$(printf '%s' "$out" | sed -n 's/.* ok=\([0-9]*\).*/\1/p')
assert_ge "$ok" 64 "clients served of 200 at once"
egw_ctl_ok version

# --- every slot taken: egwctl is told so (it used to die of SIGPIPE on its write)
"${ABUSE[@]}" ctl-hold "$EGW_CTL_SOCK" 64 8 >"$EGW_OUT/hold.out" 2>&1 &
HOLD=$!
EGW_PIDS+=("$HOLD")
held() { grep -q held=64 "$EGW_OUT/hold.out"; }
egw_wait_for 5 held || egw_fail "64 idle control clients did not connect: $(cat "$EGW_OUT/hold.out")"
egw_ctl version
assert_eq "$EGW_CTL_RC" 1 "egwctl exit status with all 64 control slots taken"
assert_contains "$EGW_CTL_OUT" "ERROR too many control connections; try again" \
	"egwctl with all 64 slots taken says why"
wait "$HOLD" || true
assert_eq "$(tail -n 1 "$EGW_OUT/hold.out")" "cut=64" "the 64 idle clients are cut at their deadline"
egw_ctl_ok version

# --- DPDK telemetry
out=$("${ABUSE[@]}" tel-junk "$TEL")
n=$(printf '%s' "$out" | sed -n 's/requests=\([0-9]*\).*/\1/p')
assert_eq "$out" "requests=$n answered=$n json=$n" "telemetry junk: every request answered, /egw/* as JSON"
out=$("${ABUSE[@]}" tel-early "$TEL" 40)
assert_eq "$out" "sent=40" "40 telemetry clients closed before their reply"
out=$("${ABUSE[@]}" tel-many "$TEL" 30 1)
egw_log "telemetry connections: $out"
assert_match "$out" "connections=30 greeted=([0-9]|10)$" "30 telemetry connections: at most 10 served, the rest closed"
# 8 clients asking /egw/flows at once while egwctl flushes: they contend for the workers'
# mailboxes; each ask is answered or told to retry, none waits for ever.
"${ABUSE[@]}" tel-flows "$TEL" 8 3 >"$EGW_OUT/tel-flows.out" 2>&1 &
TELF=$!
EGW_PIDS+=("$TELF")
for i in 1 2 3 4 5; do
	egw_ctl flows flush src=198.18.0.250
	assert_match "$EGW_CTL_OUT" "^(OK flushed 0 flows|ERROR flows flush: worker 0 is busy)" \
		"flows flush $i while /egw/flows is asked from 8 clients"
done
wait "$TELF" || true
out=$(cat "$EGW_OUT/tel-flows.out")
egw_log "/egw/flows from 8 clients: $out"
assert_match "$out" "^answered=[1-9][0-9]* busy=[0-9]+ hung=0" "/egw/flows from 8 clients at once: none hangs"
assert_num "$(egw_info policy_generation)" "/egw/info after the telemetry abuse"
alive "telemetry abuse"

# --- /metrics: headers too big; then the slow clients are cut at their deadline
out=$(ip netns exec $EGW_NS_GW "${ABUSE[@]}" http-bigheader $METRICS 100000)
egw_log "100 KB of headers: $out"
assert_not_contains "$out" "200 OK" "100 KB of headers is not served"
egw_wait_for 15 metrics_get || egw_fail "GET /metrics still refused $(($(ms_now) - LORIS_T0)) ms after the slowloris began"
loris_ms=$(($(ms_now) - LORIS_T0))
assert_le "$loris_ms" 13000 "ms until /metrics serves again with the slowloris running"
wait "$LORIS_A" "$LORIS_B" || true
egw_log "slowloris: $(cat "$EGW_OUT/loris-a.out") / $(cat "$EGW_OUT/loris-b.out")"
assert_match "$(cat "$EGW_OUT/loris-a.out")" "held=8 ended_after=1[0-2]\.[0-9]" \
	"slowloris from 127.0.0.2: 8 connections held (per-address limit), ended at the 10 s deadline"

# --- 200 SIGHUPs in 2 s
g0=$(egw_info policy_generation)
for ((i = 0; i < 200; i++)); do
	kill -HUP "$EGW_PID"
	sleep 0.01
done
egw_wait_for 10 test "$(egw_info policy_generation)" -gt "$g0" ||
	egw_fail "no reload after 200 SIGHUPs (generation $g0)"
g1=$(egw_info policy_generation)
egw_ok "200 SIGHUPs: generation $g0 -> $g1"
# A signal only sets a flag: at most one reload per SIGHUP (fewer when they come faster than
# a reload), never a backlog that keeps the control thread busy afterwards.
assert_le $((g1 - g0)) 200 "reloads for 200 SIGHUPs"
alive "200 SIGHUPs in 2 s"
egw_ctl_ok version

# --- after all that: forwarding, ping, control, metrics
egw_check_curl
egw_check_ping
egw_ctl_ok reload
metrics_get || egw_fail "GET /metrics at the end"
egw_kill "$PING_ALL" INT
ping_sum=$(grep -E "packets transmitted" "$EGW_OUT/ping-all.log" || true)
egw_log "pings to $EGW_IP_GWIN during the whole test: $ping_sum"
tx=$(printf '%s' "$ping_sum" | sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p')
rx=$(printf '%s' "$ping_sum" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
assert_ge "$tx" 40 "pings sent to $EGW_IP_GWIN during the test"
assert_ge $((rx * 100 / tx)) 97 "percent of pings to $EGW_IP_GWIN answered during the test"
egw_stop
