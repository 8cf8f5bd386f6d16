#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Configuration checking (SPEC section 3): "--check" prints "config OK" and exits 0 on a good
# file; on a broken one it prints "FILE:LINE: message" for every error and exits 1; neither
# starts DPDK. A broken file given to a real start is a clean exit 1 with the same messages
# and no DPDK either. Everything runs in a private, empty network namespace (egwchk, or $EGW_NAMES + chk).
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
ip netns add "$EGW_N"chk
RUNDIR=/var/run/dpdk/"$EGW_N"chk
rm -rf "$RUNDIR"

# egw_run_check FILE [ARGS...]: runs the daemon on FILE; output in $out, exit status in $rc.
egw_run_check()
{
	local f=$1
	shift
	rc=0
	out=$(ip netns exec "$EGW_N"chk timeout 20 "$EGW_BIN" -c "$f" "$@" 2>&1 </dev/null) || rc=$?
	printf "%s\n" "$out" >"$EGW_OUT/$(basename "$f").out"
}

line_of() # FILE REGEX: line number of the first match
{
	grep -n -m1 -E -- "$2" "$1" | cut -d: -f1
}

expect_error_at() # FILE LINE WHAT
{
	assert_match "$out" "^$(printf '%s' "$1" | sed 's/[.[\*^$]/\\&/g'):$2: " "$3: error reported at $(basename "$1"):$2"
}

C=$EGW_OUT/conf
mkdir -p "$C"

# --- --version
rc=0
v=$("$EGW_BIN" --version 2>&1) || rc=$?
assert_eq "$rc" 0 "--version exits 0"
assert_contains "$v" "0." "--version prints a version ($v)"

# --- a good file
egw_conf "$C/good.ini" "dpdk.file_prefix=${EGW_N}chk"
egw_run_check "$C/good.ini" --check
assert_eq "$rc" 0 "--check on a good file exits 0"
assert_contains "$out" "config OK" "--check on a good file prints 'config OK'"
[[ ! -e $RUNDIR ]] || egw_fail "--check created $RUNDIR: it started DPDK"
egw_ok "--check started no DPDK ($RUNDIR absent)"

# --- the shipped example configurations are valid
for f in "$EGW_ROOT/conf/demo.ini" "$EGW_ROOT/conf/egressgw.ini"; do
	egw_run_check "$f" --check
	assert_eq "$rc" 0 "--check on $(basename "$f") exits 0"
	assert_contains "$out" "config OK" "--check on conf/$(basename "$f") prints 'config OK'"
done

# --- --dump: the effective configuration (defaults, compiled policies with their origin) is
# INI that checks again and dumps again to the same text (comment lines aside)
D=$EGW_OUT/dump
mkdir -p "$D"
dump() # CONFIG OUT: egressgw -c CONFIG --check --dump > OUT; status in $rc
{
	rc=0
	ip netns exec ${EGW_N}chk timeout 20 "$EGW_BIN" -c "$1" --check --dump >"$2" 2>"$2.err" </dev/null || rc=$?
}
dump "$EGW_ROOT/conf/egressgw.ini" "$D/1.ini"
assert_eq "$rc" 0 "--check --dump of conf/egressgw.ini exits 0"
assert_contains "$(cat "$D/1.ini.err")" "config OK: 2 port(s), 1 pool(s), 8 policies" "--dump: 'config OK' on stderr"
assert_contains "$(cat "$D/1.ini")" "tcp_pickup = yes" "--dump shows defaults and settings"
assert_contains "$(cat "$D/1.ini")" $'[policy payments-psp]\n; from '"$EGW_ROOT/conf/policies.d/20-payments.ini:" \
	"--dump: each policy with its origin FILE:LINE"
assert_contains "$(cat "$D/1.ini")" $'sources = 198.18.0.16/28, 198.18.0.40/32, 198.18.0.41/32\ndestinations = 192.0.2.0/24\nports = 443\nprotocol = tcp\naction = allow\nnat = public\n' \
	"--dump: a policy as compiled (its group expanded, its pool)"
dump "$D/1.ini" "$D/2.ini"
assert_eq "$rc" 0 "the dump checks as it is"
assert_contains "$(cat "$D/2.ini.err")" "8 policies" "the dump holds the same policies"
if diff <(grep -v '^;' "$D/1.ini") <(grep -v '^;' "$D/2.ini") >"$D/diff"; then
	egw_ok "the dump of the dump is the same configuration ($(grep -c '^\[' "$D/1.ini") sections)"
else
	egw_fail "the dump of the dump differs: $(head -n 20 "$D/diff")"
fi

# --- one error each; the line is where the bad text is
check_one() # NAME REGEX-OF-BAD-LINE OVERRIDE...
{
	local name=$1 re=$2 f
	shift 2
	f=$C/$name.ini
	egw_conf "$f" "dpdk.file_prefix=${EGW_N}chk" "$@"
	egw_run_check "$f" --check
	assert_eq "$rc" 1 "--check on $name.ini exits 1"
	assert_not_contains "$out" "config OK" "--check on $name.ini does not say 'config OK'"
	expect_error_at "$f" "$(line_of "$f" "$re")" "$name"
}
check_one unknown_key '^tcp_establised' "flows.tcp_establised=7440"
check_one bad_mode '^mode = ' "egress.mode=allow-everything"
check_one bad_address '^address = 198\.18\.0\.300' "port inside.address=198.18.0.300/24"
check_one bad_number '^udp = ' "flows.udp=five minutes"
check_one bad_bool '^tcp_pickup = ' "flows.tcp_pickup=perhaps"
check_one bad_role '^role = sideways' "port outside.role=sideways"
# an unknown section: reported at its header or at its first key (inih only shows keys)
f=$C/unknown_section.ini
egw_conf "$f" "dpdk.file_prefix=${EGW_N}chk" "bogus.key=1"
egw_run_check "$f" --check
assert_eq "$rc" 1 "--check on unknown_section.ini exits 1"
assert_match "$out" "^$(printf '%s' "$f" | sed 's/[.]/\\./g'):($(line_of "$f" '^\[bogus\]')|$(line_of "$f" '^key = 1')): " \
	"unknown section reported at its header or key line"
check_one long_line '^extra_args = ' "dpdk.extra_args=--log-level=lib.eal:info$(printf ' --log-level=pmd.net.af_packet:info%.0s' 1 2 3 4 5 6)"

# a reference to a pool that does not exist: exit 1 and a FILE:LINE message (line not pinned)
f=$C/missing_pool.ini
egw_conf "$f" "dpdk.file_prefix=${EGW_N}chk" "egress.default_pool=nosuchpool"
egw_run_check "$f" --check
assert_eq "$rc" 1 "--check with an unknown default_pool exits 1"
assert_match "$out" "^$(printf '%s' "$f" | sed 's/[.]/\\./g'):[0-9]+: .*nosuchpool" "unknown pool named in a FILE:LINE message"

# --- several errors: every one is reported, not only the first
f=$C/three_errors.ini
egw_conf "$f" "dpdk.file_prefix=${EGW_N}chk" "flows.tcp_establised=7440" "egress.mode=allow-everything" \
	"port inside.address=198.18.0.300/24"
egw_run_check "$f" --check
assert_eq "$rc" 1 "--check on three_errors.ini exits 1"
expect_error_at "$f" "$(line_of "$f" '^tcp_establised')" "three errors (1/3)"
expect_error_at "$f" "$(line_of "$f" '^mode = ')" "three errors (2/3)"
expect_error_at "$f" "$(line_of "$f" '^address = 198\.18\.0\.300')" "three errors (3/3)"

# --- [metrics] listen: IPv6 in brackets and host names pass; a name this machine cannot
# resolve fails --check at its line (the start would fail on it)
for l in "[::1]:9610" "localhost:9610"; do
	f=$C/listen_ok.ini
	egw_conf "$f" "dpdk.file_prefix=${EGW_N}chk" "metrics.listen=$l"
	egw_run_check "$f" --check
	assert_eq "$rc" 0 "[metrics] listen = $l passes --check ($out)"
done
f=$C/listen_unknown.ini
egw_conf "$f" "dpdk.file_prefix=${EGW_N}chk" "metrics.listen=nosuch-gw.invalid:9610"
egw_run_check "$f" --check
assert_eq "$rc" 1 "[metrics] listen on a name nobody resolves fails --check"
expect_error_at "$f" "$(line_of "$f" '^listen = ')" "unresolvable listen"
assert_contains "$out" "cannot resolve nosuch-gw.invalid" "the name is said"

# --- a file that does not exist
egw_run_check "$C/does-not-exist.ini" --check
assert_eq "$rc" 1 "--check on a missing file exits 1"
assert_contains "$out" "$C/does-not-exist.ini" "the missing file is named"

[[ ! -e $RUNDIR ]] || egw_fail "a --check run created $RUNDIR: it started DPDK"
egw_ok "no --check run started DPDK"

# --- a broken file at start: exit 1, the messages, no DPDK, no 'ready'
f=$C/bad_mode.ini
egw_run_check "$f"
assert_eq "$rc" 1 "starting with a broken file exits 1"
expect_error_at "$f" "$(line_of "$f" '^mode = ')" "start with bad_mode.ini"
assert_not_contains "$out" "ready" "a broken file never gets to 'ready'"
[[ ! -e $RUNDIR ]] || egw_fail "starting with a broken file created $RUNDIR: DPDK was started"
egw_ok "starting with a broken file started no DPDK"
