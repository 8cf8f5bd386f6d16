#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# What runs, per policy (issue 14, item 1): "egwctl policies --rules" prints every live policy
# as the INI section it was compiled to, with its origin FILE:LINE, exactly as
# "egressgw --check --dump" prints the same files; /egw/policies,name=NAME (dpdk-telemetry.py)
# answers the same rule with its sources, destinations, ports, protocol, action, pool,
# exit, priority and origin; after a reload that changes a policy, the new rule shows.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
egw_topo_up
CONF=$EGW_OUT/egw.ini
egw_policy_conf "$CONF"
egw_policy_file 10-rules.ini <<EOF
; rules for the test
[group office]
sources = 198.18.0.0/25, 198.18.0.128/26

[policy web]
sources = office
destinations = $EGW_IP_SRV/32, 203.0.113.64/26
ports = 80, 443, 8000-8080
protocol = tcp
action = allow
nat = public
priority = 20
log = yes

[policy names]
sources = 198.18.0.0/24
destinations = 203.0.113.0/24
ports = 443
protocol = tcp
action = allow
via = outside
priority = 10

[policy blocked]
sources = 198.18.0.0/24
protocol = udp
action = deny
EOF
egw_start "$CONF"
ctl() { timeout 20 "$EGW_CTL_BIN" -s "$EGW_CTL_SOCK" -p "$EGW_PREFIX" "$@"; }
# sections FILE: the [policy ...] sections of an INI text, blank-line separated.
sections() { awk '/^\[/ { p = /^\[policy / } p' "$1"; }

out=$(ctl policies --rules) || egw_fail "egwctl policies --rules: $out"
printf '%s\n' "$out" >"$EGW_OUT/rules.ini"
egw_log "egwctl policies --rules:"$'\n'"$out"
"$EGW_BIN" -c "$CONF" --check --dump >"$EGW_OUT/dump.ini" 2>/dev/null || egw_fail "--check --dump failed"
diff -B <(sections "$EGW_OUT/dump.ini") <(sections "$EGW_OUT/rules.ini") >"$EGW_OUT/rules.diff" ||
	egw_fail "egwctl policies --rules differs from --check --dump:"$'\n'"$(cat "$EGW_OUT/rules.diff")"
egw_ok "egwctl policies --rules equals the policies of egressgw --check --dump"
# ... and says what the INI says, groups expanded, with the line of each [policy NAME].
F=$EGW_POLDIR/10-rules.ini
for p in web names blocked; do
	line=$(grep -n "^\[policy $p\]" "$F" | cut -d: -f1)
	assert_contains "$out" "[policy $p]"$'\n'"; from $F:$line" "origin of $p"
done
assert_contains "$out" "sources = 198.18.0.0/25, 198.18.0.128/26" "web: group office expanded"
assert_contains "$out" "destinations = $EGW_IP_SRV/32, 203.0.113.64/26" "web: destinations"
assert_contains "$out" "ports = 80, 443, 8000-8080"$'\n'"protocol = tcp"$'\n'"action = allow"$'\n'"nat = public" \
	"web: ports, protocol, action, pool"
assert_contains "$out" "priority = 20"$'\n'"log = yes" "web: priority, log"
assert_contains "$out" "via = outside" "names: exit"
assert_contains "$out" "protocol = udp"$'\n'"action = deny"$'\n'"priority = 0" "blocked: a deny"
assert_not_contains "$out" "[policy (mode)]" "(mode) is no policy of a file"

# The telemetry command, for scripts.
j=$(egw_tel "/egw/policies,name=web") || egw_fail "no /egw/policies,name=web"
egw_log "/egw/policies,name=web: $j"
assert_eq "$(printf '%s' "$j" | egw_json_get '/egw/policies.origin')" "$F:$(grep -n '^\[policy web\]' "$F" | cut -d: -f1)" \
	"/egw/policies,name=web origin"
assert_eq "$(printf '%s' "$j" | egw_json_get '/egw/policies.pool')" public "pool"
assert_eq "$(printf '%s' "$j" | egw_json_get '/egw/policies.priority')" 20 "priority"
assert_eq "$(printf '%s' "$j" | egw_json_get '/egw/policies.protocol')" tcp "protocol"
j=$(egw_tel "/egw/policies,names") || egw_fail "no /egw/policies,names"
assert_eq "$(printf '%s' "$j" | egw_json_get '/egw/policies.exit')" outside "names: exit (bare NAME)"
j=$(egw_tel "/egw/policies,name=nosuch") || egw_fail "no reply for an unknown policy"
assert_contains "$j" "no policy of that name" "an unknown name answers an error"

# A reload that changes web: the live rule follows.
sed -i 's/^priority = 20$/priority = 30/' "$F"
egw_ctl_ok reload
out=$(ctl policies --rules) || egw_fail "egwctl policies --rules after reload: $out"
assert_contains "$out" "priority = 30" "after the reload, web's new priority shows"
n=$(ctl --json policies --rules | "$EGW_PY" -c '
import json, sys
d = json.load(sys.stdin)["/egw/policies"]
print(" ".join(sorted(d)), d["web"]["priority"])') || egw_fail "egwctl --json policies --rules"
assert_eq "$n" "blocked names web 30" "egwctl --json policies --rules"

egw_stop
egw_finish
