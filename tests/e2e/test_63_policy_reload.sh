#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Live policy reloads (SPEC sections 2, 3 and 6):
# 1. 50 reloads (alternately "egwctl reload" and SIGHUP, each editing an unrelated policy)
#    during a rate-limited download of the 8 MiB file: it completes with the right SHA-256,
#    no flow is revoked, no reset sent, policy_generation rises by exactly 50.
# 2. A broken reload (unknown key) during a download, in a set that would also remove the
#    download's allow policy: egwctl exits 1 with "ERROR" and FILE:LINE of the bad key,
#    /egw/info last_reload starts with "error:", policy_generation does not move (SIGHUP
#    alike), and the download completes intact: nothing of the broken set was applied.
# 3. revalidate = keep (a new daemon): a reload that removes the download's allow policy lets
#    the download finish intact, while a new connection is no longer allowed.
# 4. revalidate = reset (a new daemon): the same removal resets the download at once (curl
#    exit 56, within 2 s), in both directions (the server receives an RST from the pool
#    address, the client one from the server's address); flows_revoked +1 (one flow),
#    tcp_resets_sent >= 1, flows_active stays sane; new connections are refused.
# (More revocation cases, UDP, ICMP and stalled TCP, are in test_65_policy_revoke.sh.)
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
egw_topo_up
# A small receive buffer at the client: the server can only run 128 KiB ahead of curl's
# --limit-rate, so data flows until the end of each download (and every reload meets it).
ip netns exec $EGW_NS_CLI sysctl -qw net.ipv4.tcp_rmem="4096 65536 131072"
CONF=$EGW_OUT/egw.ini
egw_policy_conf "$CONF" "dpdk.idle_sleep_us=50"

write_base() # yes|no: with or without policy web
{
	{
		cat <<EOF
[group clients]
sources = 198.18.0.0/24

[policy ping]
sources = clients
protocol = icmp
action = allow
EOF
		if [[ $1 == yes ]]; then
			cat <<EOF

[policy web]
sources = clients
destinations = $EGW_IP_SRV
ports = $EGW_HTTP_PORT
protocol = tcp
action = allow
EOF
		fi
	} | egw_policy_file 10-base.ini
}

write_extra() # PORT [EXTRA LINE]: the harmless policy, edited by every reload
{
	egw_policy_file 50-extra.ini <<EOF
; edited by the test at every reload
[policy extra]
sources = clients
destinations = $EGW_IP_SRV
ports = $1
protocol = udp
action = allow
${2:-}
EOF
}

URL=http://$EGW_IP_SRV:$EGW_HTTP_PORT/big.bin
WANT=

# start_download NAME RATE: curl of the 8 MiB file in the background at RATE; PID in DL_PID.
start_download()
{
	rm -f "$EGW_OUT/$1.out"
	egw_bg $EGW_NS_CLI "$EGW_OUT/$1.err" curl --noproxy '*' -sS --fail --connect-timeout 5 \
		--max-time 40 --limit-rate "$2" -o "$EGW_OUT/$1.out" "$URL"
	DL_PID=$EGW_LAST_PID
}

# wait_bytes NAME: until the download has >= 256 KiB (<= 10 s)
wait_bytes()
{
	local i
	for ((i = 0; i < 50; i++)); do
		[[ $(stat -c %s "$EGW_OUT/$1.out" 2>/dev/null || echo 0) -ge 262144 ]] && return 0
		kill -0 "$DL_PID" 2>/dev/null || egw_fail "download $1 ended early: $(cat "$EGW_OUT/$1.err")"
		sleep 0.2
	done
	egw_fail "download $1 did not get going: $(cat "$EGW_OUT/$1.err")"
}

# finish_download NAME SECONDS [soft]: waits for it; its exit status in DL_RC. Still running
# after SECONDS: a failure, deferred with "soft" (curl is then stopped, DL_RC=running).
finish_download()
{
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$DL_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$DL_PID" 2>/dev/null; then
		[[ ${3:-} == soft ]] || egw_fail "download $1 still running after $2 s"
		egw_fail_deferred "download $1 still running after $2 s ($(stat -c %s "$EGW_OUT/$1.out") bytes)"
		egw_kill "$DL_PID"
		DL_RC=running
		return 0
	fi
	DL_RC=0
	wait "$DL_PID" || DL_RC=$?
}

check_intact() # NAME
{
	assert_eq "$DL_RC" 0 "download $1 exit status ($(cat "$EGW_OUT/$1.err"))"
	assert_eq "$(sha256sum <"$EGW_OUT/$1.out" | cut -d' ' -f1)" "$WANT" "download $1: SHA-256 of the 8 MiB file"
}

write_base yes
write_extra 5000
egw_start "$CONF"
egw_http_start
WANT=$(sha256sum <"$EGW_OUT/www/big.bin" | cut -d' ' -f1)
egw_wait_path
assert_eq "$(egw_info last_reload)" none "/egw/info last_reload before any reload"
B=$EGW_OUT/base

# --- 1. 50 reloads under traffic
egw_baseline "$B"
g0=$(egw_info policy_generation)
start_download dl1 720K
wait_bytes dl1
for ((i = 1; i <= 50; i++)); do
	write_extra $((5000 + i))
	if ((i % 2)); then
		egw_ctl reload
		[[ $EGW_CTL_RC == 0 && $EGW_CTL_OUT == "OK reloaded: generation $((g0 + i)),"* ]] ||
			egw_fail "reload $i (egwctl): exit $EGW_CTL_RC: $EGW_CTL_OUT"
	else
		# the daemon logs "ok: generation N, ..." once it has published (cheaper to poll than
		# telemetry; the generation is checked there after the loop)
		kill -HUP "$EGW_PID"
		for ((k = 0; k < 250; k++)); do
			grep -q "ok: generation $((g0 + i))," "$EGW_LOG" && break
			sleep 0.02
		done
		grep -q "ok: generation $((g0 + i))," "$EGW_LOG" ||
			egw_fail "reload $i (SIGHUP): no 'ok: generation $((g0 + i))' in the log within 5 s"
	fi
	sleep 0.1
done
kill -0 "$DL_PID" 2>/dev/null ||
	egw_fail "the download ended before the 50th reload: the reloads did not happen under traffic"
egw_ok "50 reloads done while the download was running"
assert_numeq "$(egw_info policy_generation)" $((g0 + 50)) "policy_generation after 50 reloads"
assert_match "$(egw_info last_reload)" "^ok: " "/egw/info last_reload after good reloads"
finish_download dl1 30
check_intact dl1
assert_stat_delta "$B.stats.json" flows_revoked -eq 0
assert_stat_delta "$B.stats.json" tcp_resets_sent -eq 0
assert_stat_delta "$B.stats.json" drops.policy_revoked -eq 0
assert_policy_deltas "$B.pol.json" "web flows_allowed -eq 1" "web bytes -ge $((8 * 1024 * 1024))"

# --- 2. a broken reload changes nothing
egw_baseline "$B"
start_download dl2 2M
wait_bytes dl2
g1=$(egw_info policy_generation)
write_base no
write_extra 6000 "colour = blue"
bad_line=$(grep -n '^colour = blue' "$EGW_POLDIR/50-extra.ini" | cut -d: -f1)
egw_ctl reload
assert_eq "$EGW_CTL_RC" 1 "egwctl reload of a broken policy file exits 1"
assert_match "$EGW_CTL_OUT" "^ERROR" "the reply starts with ERROR"
assert_match "$EGW_CTL_OUT" "^$(printf '%s' "$EGW_POLDIR" | sed 's/[.[\*^$]/\\&/g')/50-extra\.ini:$bad_line: " \
	"the reply names the bad key at 50-extra.ini:$bad_line"
assert_match "$(egw_info last_reload)" "^error:" "/egw/info last_reload after the broken reload"
assert_numeq "$(egw_info policy_generation)" "$g1" "policy_generation after the broken reload"
kill -HUP "$EGW_PID"
sleep 1
assert_numeq "$(egw_info policy_generation)" "$g1" "policy_generation after SIGHUP with the broken file"
assert_match "$(egw_info last_reload)" "^error:" "/egw/info last_reload after SIGHUP with the broken file"
assert_contains "$(cat "$EGW_LOG")" "50-extra.ini:$bad_line:" "the log names the bad key"
kill -0 "$DL_PID" 2>/dev/null || egw_fail "download dl2 ended during the broken reloads: $(cat "$EGW_OUT/dl2.err")"
finish_download dl2 20
check_intact dl2
assert_stat_delta "$B.stats.json" flows_revoked -eq 0
assert_stat_delta "$B.stats.json" tcp_resets_sent -eq 0
write_base yes
write_extra 5000
egw_reload_ok
assert_match "$(egw_info last_reload)" "^ok: " "/egw/info last_reload after the repaired reload"

egw_stop

# --- 3. revalidate = keep: the same removal lets the running download finish
egw_policy_conf "$CONF" "dpdk.idle_sleep_us=50" "egress.revalidate=keep"
write_base yes
egw_start "$CONF"
egw_wait_path
egw_baseline "$B"
start_download dl3 2M
wait_bytes dl3
write_base no
egw_reload_ok
if egw_curl $EGW_NS_CLI "http://$EGW_IP_SRV:$EGW_HTTP_PORT/index.html" -o /dev/null --connect-timeout 2; then
	egw_fail "revalidate = keep: a new connection succeeded after web was removed"
fi
egw_ok "revalidate = keep: new connections are no longer allowed"
kill -0 "$DL_PID" 2>/dev/null || egw_fail "download dl3 ended too early to show anything: $(cat "$EGW_OUT/dl3.err")"
finish_download dl3 20
check_intact dl3
assert_stat_delta "$B.stats.json" flows_revoked -eq 0
assert_stat_delta "$B.stats.json" tcp_resets_sent -eq 0
egw_stop

# --- 4. revalidate = reset: removing the allow policy resets the running download
# (these checks are deferred: each run reports all of them before the verdict)
egw_policy_conf "$CONF" "dpdk.idle_sleep_us=50" "egress.revalidate=reset"
write_base yes
egw_start "$CONF"
egw_wait_path
cap=$EGW_OUT/srv-rst.pcap
egw_capture_start $EGW_NS_SRV $EGW_IF_SRV "$cap" "tcp port $EGW_HTTP_PORT and tcp[tcpflags] & tcp-rst != 0"
cpid=$EGW_LAST_PID
ccap=$EGW_OUT/cli.pcap
egw_capture_start $EGW_NS_CLI $EGW_IF_CLI "$ccap" "tcp port $EGW_HTTP_PORT"
ccpid=$EGW_LAST_PID
egw_baseline "$B"
start_download dl4 1M
wait_bytes dl4
write_base no
t0=$(date +%s%N)
egw_reload_ok
finish_download dl4 10 soft
ms=$((($(date +%s%N) - t0) / 1000000))
egw_soft assert_eq "$DL_RC" 56 "curl exit status after its policy was removed (56: receive failure)"
egw_soft assert_contains "$(cat "$EGW_OUT/dl4.err")" "reset" "curl reports a connection reset"
egw_soft assert_le "$ms" 2000 "milliseconds from the reload to curl's end"
egw_soft assert_stat_delta "$B.stats.json" flows_revoked -eq 1
egw_soft assert_stat_delta "$B.stats.json" tcp_resets_sent -ge 1
egw_soft assert_le "$(egw_stat flows_active)" 10 "flows_active after the revocation (a few flows, no underflow)"
egw_capture_stop "$cpid"
egw_capture_stop "$ccpid"
# for the diagnosis of a failure: how the connection ended, seen from the client
egw_log "client side, last packets other than full data segments: $(tcpdump -n -r "$ccap" 2>/dev/null |
	grep -v 'length [1-9][0-9][0-9]' | tail -n 6 | cut -d' ' -f2- | tr '\n' ';')"
egw_soft assert_ge "$(egw_pcap_count "$cap" "src net $EGW_POOL_NET and dst host $EGW_IP_SRV")" 1 \
	"RSTs from the pool address that reached the server"
egw_soft assert_ge "$(egw_pcap_count "$ccap" "src host $EGW_IP_SRV and dst host $EGW_IP_CLI and tcp[tcpflags] & tcp-rst != 0")" 1 \
	"RSTs that reached the client"
assert_numeq "$(egw_tel /egw/policies | egw_json_get /egw/policies.policies_total)" 2 \
	"/egw/policies policies_total without web"
if egw_curl $EGW_NS_CLI "http://$EGW_IP_SRV:$EGW_HTTP_PORT/index.html" -o /dev/null --connect-timeout 2; then
	egw_fail "a new connection succeeded after web was removed"
fi
egw_ok "new connections are no longer allowed"
assert_stat_delta "$B.stats.json" drops.policy_no_match -ge 1

egw_stop

egw_finish
