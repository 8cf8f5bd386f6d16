#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The mode at run time (SPEC sections 2 and 7) through the control socket:
# - the socket is a unix socket of mode 0600, removed at stop; "egwctl version" answers OK;
# - "egwctl mode deny" (reply "OK mode deny (was policy), generation N"): a running download
#   is reset (revalidate = reset), nothing new leaves (mode_deny counts every packet tried,
#   no flow is created), the appliance still answers ping; /egw/info mode follows;
# - "mode policy": the allow policy works again, UDP (no policy) does not (policy_no_match);
# - "mode passthrough": UDP works without a policy (admitted by "(mode)"), a deny policy
#   still applies (policy_deny);
# - "mode bogus" and "mode" alone: exit 1, "ERROR ...", nothing changes;
# - "reload" puts the file's mode back;
# - "mode deny" with a download running: revalidate = reset ends it (curl exit 56),
#   flows_revoked +1;
# - egwctl without a daemon (no socket file, or a stale one): a clear message, exit != 0;
#   "egwctl -p PREFIX status / --json stats" read the telemetry socket ("stats --json" must
#   not silently print something else than JSON).
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
egw_topo_up
# the server can only run 128 KiB ahead of curl's --limit-rate: data flows until the end
ip netns exec $EGW_NS_CLI sysctl -qw net.ipv4.tcp_rmem="4096 65536 131072"
egw_policy_conf "$EGW_OUT/egw.ini" "dpdk.idle_sleep_us=50"
egw_policy_file 10-base.ini <<EOF
[group clients]
sources = 198.18.0.0/24

[policy web]
sources = clients
destinations = $EGW_IP_SRV
ports = $EGW_HTTP_PORT
protocol = tcp
action = allow

[policy ping]
sources = clients
protocol = icmp
action = allow

[policy no-8081]
ports = 8081
protocol = tcp
action = deny
priority = 10
EOF
egw_start "$EGW_OUT/egw.ini"
egw_http_start
egw_udp_echo_start
egw_http_serve $EGW_NS_SRV $EGW_IP_SRV 8081 "$EGW_OUT/www" http-8081
egw_wait_path
URL=http://$EGW_IP_SRV:$EGW_HTTP_PORT/index.html
B=$EGW_OUT/base

# --- the control socket
[[ -S $EGW_CTL_SOCK ]] || egw_fail "control socket $EGW_CTL_SOCK missing or not a socket"
egw_ok "control socket $EGW_CTL_SOCK exists"
assert_eq "$(stat -c %a "$EGW_CTL_SOCK")" 600 "control socket file mode"
assert_eq "$(stat -c %U "$EGW_CTL_SOCK")" root "control socket owner"
egw_ctl_ok version
assert_match "$EGW_CTL_OUT" "^OK egressgw " "egwctl version"
assert_contains "$EGW_CTL_OUT" "$(egw_info version)" "egwctl version names the daemon's version"

# --- mode policy (from the file)
assert_eq "$(egw_info mode)" policy "/egw/info mode at start"
egw_curl $EGW_NS_CLI "$URL" -o /dev/null || egw_fail "curl in mode policy: $(cat "$EGW_OUT/curl.err")"
egw_ok "curl allowed by policy web in mode policy"

# --- mode deny
g0=$(egw_info policy_generation)
egw_ctl_ok mode deny
assert_match "$EGW_CTL_OUT" "^OK mode deny \(was policy\), generation $((g0 + 1))" "reply to 'egwctl mode deny'"
assert_eq "$(egw_info mode)" deny "/egw/info mode after 'mode deny'"
assert_numeq "$(egw_info policy_generation)" $((g0 + 1)) "policy_generation after 'mode deny'"
egw_baseline "$B"
assert_eq "$(egw_tcp_probe $EGW_NS_CLI "" $EGW_IP_SRV $EGW_HTTP_PORT)" timeout "TCP 8080 in mode deny"
assert_eq "$(egw_udp_send $EGW_NS_CLI "" $EGW_IP_SRV $EGW_UDP_PORT 2 1)" 0 "UDP echo in mode deny"
out=$(ip netns exec $EGW_NS_CLI ping -n -c 2 -i 0.2 -W 1 $EGW_IP_SRV 2>&1) || true
assert_contains "$out" "100% packet loss" "ping through the appliance in mode deny"
out=$(ip netns exec $EGW_NS_CLI ping -n -c 2 -i 0.2 -W 2 $EGW_IP_GWIN 2>&1) || true
assert_contains "$out" " 0% packet loss" "the appliance's own address answers in mode deny"
assert_stat_delta "$B.stats.json" drops.mode_deny -eq 5
assert_stat_delta "$B.stats.json" flows_created -eq 0
assert_stat_delta "$B.stats.json" drops.policy_no_match -eq 0
assert_policy_deltas "$B.pol.json" "(mode) flows_denied -eq 5" "web flows_denied -eq 0"

# --- back to mode policy
egw_baseline "$B"
egw_ctl_ok mode policy
assert_match "$EGW_CTL_OUT" "^OK mode policy \(was deny\), generation $((g0 + 2))" "reply to 'egwctl mode policy'"
assert_eq "$(egw_info mode)" policy "/egw/info mode after 'mode policy'"
egw_curl $EGW_NS_CLI "$URL" -o /dev/null || egw_fail "curl after 'mode policy': $(cat "$EGW_OUT/curl.err")"
egw_ok "curl allowed again after 'mode policy'"
assert_eq "$(egw_udp_send $EGW_NS_CLI "" $EGW_IP_SRV $EGW_UDP_PORT 2 1)" 0 "UDP echo in mode policy (no UDP policy)"
assert_stat_delta "$B.stats.json" drops.policy_no_match -eq 2
assert_stat_delta "$B.stats.json" drops.mode_deny -eq 0
assert_policy_deltas "$B.pol.json" "web flows_allowed -eq 1"

# --- mode passthrough: no policy needed, deny policies still apply
egw_baseline "$B"
egw_ctl_ok mode passthrough
assert_match "$EGW_CTL_OUT" "^OK mode passthrough \(was policy\), generation $((g0 + 3))" \
	"reply to 'egwctl mode passthrough'"
assert_eq "$(egw_info mode)" passthrough "/egw/info mode after 'mode passthrough'"
assert_eq "$(egw_udp_send $EGW_NS_CLI "" $EGW_IP_SRV $EGW_UDP_PORT 3)" 3 "UDP echo in mode passthrough"
egw_curl $EGW_NS_CLI "$URL" -o /dev/null || egw_fail "curl in mode passthrough: $(cat "$EGW_OUT/curl.err")"
egw_ok "curl in mode passthrough"
assert_eq "$(egw_tcp_probe $EGW_NS_CLI "" $EGW_IP_SRV 8081)" timeout \
	"TCP 8081 (policy no-8081, deny) in mode passthrough"
assert_stat_delta "$B.stats.json" drops.policy_deny -eq 1
assert_stat_delta "$B.stats.json" drops.policy_no_match -eq 0
# the UDP flow was admitted by the mode, the TCP one still by policy web (best match)
assert_policy_deltas "$B.pol.json" "(mode) flows_allowed -eq 1" "web flows_allowed -eq 1" \
	"no-8081 flows_denied -eq 1"

# --- invalid commands change nothing
g=$(egw_info policy_generation)
egw_ctl mode bogus
assert_eq "$EGW_CTL_RC" 1 "'egwctl mode bogus' exit status"
assert_match "$EGW_CTL_OUT" "^ERROR .*bogus" "'egwctl mode bogus' replies ERROR naming the mode"
egw_ctl mode
# A missing argument is egwctl's usage error (exit 2): nothing reaches the daemon.
assert_eq "$EGW_CTL_RC" 2 "'egwctl mode' (no mode) exit status"
assert_match "$EGW_CTL_OUT" "usage: .*mode passthrough\|policy\|deny" "'egwctl mode' (no mode) prints its usage"
assert_eq "$(egw_info mode)" passthrough "/egw/info mode after the invalid commands"
assert_numeq "$(egw_info policy_generation)" "$g" "policy_generation after the invalid commands"

# --- reload: the mode of the file again
egw_reload_ok
assert_contains "$EGW_CTL_OUT" "mode policy" "reload reply names the file's mode"
assert_eq "$(egw_info mode)" policy "/egw/info mode after reload"

# --- mode deny with a download running: revalidate = reset ends it in both directions
egw_baseline "$B"
g0=$(egw_info policy_generation)
ccap=$EGW_OUT/cli.pcap
egw_capture_start $EGW_NS_CLI $EGW_IF_CLI "$ccap" "tcp port $EGW_HTTP_PORT"
ccpid=$EGW_LAST_PID
egw_bg $EGW_NS_CLI "$EGW_OUT/dl.err" curl --noproxy '*' -sS --fail --max-time 30 --limit-rate 1M \
	-o "$EGW_OUT/dl.out" "http://$EGW_IP_SRV:$EGW_HTTP_PORT/big.bin"
dl=$EGW_LAST_PID
dl_going() { [[ $(stat -c %s "$EGW_OUT/dl.out" 2>/dev/null || echo 0) -ge 262144 ]]; }
egw_wait_for 10 dl_going || egw_fail "download did not get going: $(cat "$EGW_OUT/dl.err")"
egw_ctl_ok mode deny
assert_match "$EGW_CTL_OUT" "^OK mode deny \(was policy\), generation $((g0 + 1))" "reply to 'egwctl mode deny'"
for ((i = 0; i < 50; i++)); do kill -0 "$dl" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$dl" 2>/dev/null; then
	egw_fail_deferred "the running download was not ended within 5 s of 'mode deny' ($(stat -c %s "$EGW_OUT/dl.out") bytes)"
	egw_kill "$dl"
else
	rc=0
	wait "$dl" || rc=$?
	egw_soft assert_eq "$rc" 56 "curl exit status of the download reset by 'mode deny' ($(cat "$EGW_OUT/dl.err"))"
fi
egw_capture_stop "$ccpid"
egw_log "client side, last packets other than data: $(tcpdump -n -r "$ccap" 2>/dev/null | grep -v 'length [1-9][0-9][0-9]' | tail -n 6 | cut -d' ' -f2- | tr '\n' ';')"
egw_soft assert_stat_delta "$B.stats.json" flows_revoked -eq 1
egw_soft assert_stat_delta "$B.stats.json" tcp_resets_sent -ge 1
egw_ctl_ok mode policy

# --- egwctl's read commands and its errors
out=$("$EGW_CTL_BIN" -p "$EGW_PREFIX" status 2>&1) || egw_fail "egwctl -p $EGW_PREFIX status: $out"
assert_match "$out" "mode: *policy" "egwctl status shows the mode"
out=$("$EGW_CTL_BIN" -p "$EGW_PREFIX" --json stats 2>&1) || egw_fail "egwctl -p $EGW_PREFIX --json stats: $out"
assert_numeq "$(printf '%s' "$out" | egw_json_get /egw/stats.drops.mode_deny 2>/dev/null)" "$(egw_drop mode_deny)" \
	"egwctl --json stats: drops.mode_deny"
# "--json" after the command (as in "kubectl get pods -o json"): JSON too, or refused; never
# silently ignored
rc=0
out=$("$EGW_CTL_BIN" -p "$EGW_PREFIX" stats --json 2>&1) || rc=$?
if ((rc == 0)); then
	if printf '%s' "$out" | egw_json_get /egw/stats.drops.mode_deny >/dev/null 2>&1; then
		egw_ok "egwctl stats --json prints JSON"
	else
		egw_fail_deferred "egwctl stats --json exits 0 without JSON: the trailing --json is silently ignored: $(printf '%s' "$out" | head -n 3 | tr '\n' ' ')"
	fi
else
	egw_ok "egwctl stats --json refused (exit $rc): $(printf '%s' "$out" | head -n 1)"
fi
rc=0
out=$(timeout 10 "$EGW_CTL_BIN" -s "$EGW_OUT/no-such.sock" mode deny 2>&1) || rc=$?
assert_ne "$rc" 0 "egwctl against a missing control socket: exit status"
assert_contains "$out" "cannot connect to $EGW_OUT/no-such.sock" "egwctl names the missing socket"
assert_contains "$out" "is egressgw running?" "egwctl suggests the cause"
"$EGW_PY" -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()' \
	"$EGW_OUT/stale.sock"
rc=0
out=$(timeout 10 "$EGW_CTL_BIN" -s "$EGW_OUT/stale.sock" reload 2>&1) || rc=$?
assert_ne "$rc" 0 "egwctl against a stale control socket (nobody listening): exit status"
assert_contains "$out" "cannot connect to $EGW_OUT/stale.sock" "egwctl names the stale socket"
rc=0
out=$(timeout 10 "$EGW_CTL_BIN" -p "${EGW_N}nosuch" status 2>&1) || rc=$?
assert_ne "$rc" 0 "egwctl status with an unknown file prefix: exit status"
assert_contains "$out" "/var/run/dpdk/${EGW_N}nosuch/" "egwctl names the telemetry socket it tried"
assert_eq "$(egw_info mode)" policy "/egw/info mode unchanged by the failed egwctl calls"

egw_stop
[[ ! -e $EGW_CTL_SOCK ]] || egw_fail "control socket $EGW_CTL_SOCK left behind after the stop"
egw_ok "control socket removed at stop"
egw_finish
