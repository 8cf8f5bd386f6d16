#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# systemd's service protocol (Type=notify), read from a NOTIFY_SOCKET this test owns (a unix
# datagram socket served by python): READY=1 with STATUS= (mode, generation) once the daemon
# is ready; WATCHDOG=1 when WATCHDOG_USEC is set; RELOADING=1 then READY=1 around a reload by
# SIGHUP and by "egwctl reload" (generation +1 each); a rejected reload makes egwctl exit 1
# (what fails "systemctl reload") and READY=1 again with the error in STATUS=; STOPPING=1 at
# SIGTERM. [metrics] listen = [::1]:PORT serves /metrics (curl, egwctl -m).
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
egw_topo_up
CONF=$EGW_OUT/egw.ini
SOCK=$EGW_OUT/notify.sock
MSGS=$EGW_OUT/notify.log
METRICS="[::1]:19611"
# The namespaces run without IPv6 (lib.sh); loopback gets it back for the metrics listener.
ip netns exec $EGW_NS_GW sysctl -qw net.ipv6.conf.lo.disable_ipv6=0
egw_policy_conf "$CONF" "metrics.listen=$METRICS"
egw_policy_file 10-web.ini <<EOF
[policy web]
sources = 198.18.0.0/24
protocol = tcp
action = allow
EOF
# The listener: one line per datagram (newlines as '|'); it ends by itself after 120 s.
rm -f "$SOCK"
: >"$MSGS"
egw_bg - "$EGW_OUT/listener.log" "$EGW_PY" -u -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(1)
out = open(sys.argv[2], "w")
end = time.time() + 120
while time.time() < end:
    try:
        d = s.recv(4096)
    except socket.timeout:
        continue
    out.write(d.decode().replace("\n", "|") + "\n")
    out.flush()
' "$SOCK" "$MSGS"
LISTENER=$EGW_LAST_PID
egw_wait_for 10 test -S "$SOCK" || egw_fail "the notify listener did not bind $SOCK"

# lines_after N PATTERN: the first line after line N that matches PATTERN (ERE), or nothing.
lines_after() { tail -n +$(($1 + 1)) "$MSGS" | grep -E -m1 "$2" || true; }
wait_line() # N PATTERN WHAT: waits up to 20 s for such a line, prints it
{
	local i l
	for ((i = 0; i < 100; i++)); do
		l=$(lines_after "$1" "$2")
		[[ -n $l ]] && { printf '%s' "$l"; return 0; }
		sleep 0.2
	done
	egw_fail "no notification matching '$2' ($3); got:"$'\n'"$(cat "$MSGS")"
}
# line_no N PATTERN: the number of the first line after line N that matches, or 0.
line_no() { tail -n +$(($1 + 1)) "$MSGS" | grep -n -E -m1 "$2" | awk -F: -v n="$1" '{ print $1 + n }'; }

export NOTIFY_SOCKET=$SOCK WATCHDOG_USEC=1000000
egw_start "$CONF"
unset NOTIFY_SOCKET WATCHDOG_USEC
l=$(wait_line 0 '^READY=1\|STATUS=mode policy, generation 1, 1 policies' "ready at start")
egw_ok "at start: $l"
n=$(wc -l <"$MSGS")
wait_line "$n" '^WATCHDOG=1$' "watchdog" >/dev/null
egw_ok "WATCHDOG=1 with WATCHDOG_USEC set"

# reload_seen N HOW GEN: RELOADING=1 after line N, then READY=1 with generation GEN after it.
reload_seen()
{
	local l r
	wait_line "$1" '^RELOADING=1\|MONOTONIC_USEC=[0-9]+' "RELOADING=1 on $2" >/dev/null
	r=$(line_no "$1" '^RELOADING=1')
	l=$(wait_line "$r" "^READY=1\|STATUS=mode policy, generation $3," "READY=1 after $2")
	egw_ok "$2: RELOADING=1, then $l"
}
n=$(wc -l <"$MSGS")
kill -HUP "$EGW_PID"
reload_seen "$n" SIGHUP 2
n=$(wc -l <"$MSGS")
egw_ctl_ok reload
reload_seen "$n" "egwctl reload" 3

# A rejected reload: egwctl (ExecReload=) fails, the daemon is READY again on generation 3.
egw_policy_file 20-bad.ini <<EOF
[policy bad]
sources = 198.18.0.0/24
action = maybe
EOF
n=$(wc -l <"$MSGS")
egw_ctl reload
assert_eq "$EGW_CTL_RC" 1 "egwctl reload of a bad file exits 1"
wait_line "$n" '^RELOADING=1' "RELOADING=1 on the rejected reload" >/dev/null
r=$(line_no "$n" '^RELOADING=1')
l=$(wait_line "$r" '^READY=1\|STATUS=mode policy, generation 3, .*last reload rejected: .*20-bad\.ini:3: ' \
	"READY=1 after the rejected reload")
egw_ok "rejected reload: $l"
egw_policy_rm 20-bad.ini

# [metrics] listen on IPv6 ([::1]:PORT), and egwctl -m reaches it.
code=$(ip netns exec $EGW_NS_GW curl -g -s -o /dev/null -w '%{http_code}' "http://$METRICS/metrics")
assert_eq "$code" 200 "/metrics served on $METRICS"
out=$(ip netns exec $EGW_NS_GW timeout 20 "$EGW_CTL_BIN" -m "$METRICS" metrics) ||
	egw_fail "egwctl -m $METRICS metrics failed"
assert_contains "$out" "egressgw_policy_generation 3" "egwctl -m $METRICS metrics"

n=$(wc -l <"$MSGS")
egw_stop
l=$(lines_after "$n" '^STOPPING=1')
assert_match "$l" '^STOPPING=1' "STOPPING=1 at SIGTERM"
egw_kill "$LISTENER"
egw_finish
