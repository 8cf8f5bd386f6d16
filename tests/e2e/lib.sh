# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# Shared helpers of the end-to-end tests. Sourced by every tests/e2e/test_*.sh, by
# tests/e2e/run.sh and by tools/demo.sh.
#
# Topology (ARCHITECTURE section 7; all names start with "egw", addresses are test ranges):
#
#   netns egwcli               netns egwgw (appliance)               netns egwsrv
#   egwc0 198.18.0.2/24 ---- egwgi [egressgw] egwgo ---- egws0 203.0.113.1/24
#   default via 198.18.0.1     inside        outside      198.51.100.0/24 via 203.0.113.2
#
# The appliance's veth ends carry no kernel address: egressgw binds them with net_af_packet
# and owns 198.18.0.1 and 203.0.113.2 itself. Egress pool: 198.51.100.10-198.51.100.13.
#
# Every process a test starts is recorded by PID and killed by PID on exit; the namespaces
# (and with them every veth) are deleted on exit. egw_init installs the trap.
#
# Environment:
#   EGW_BIN                    daemon binary (default: build/app/egressgw/egressgw)
#   EGW_E2E_OUT                where logs and captures go (default: /tmp/egw-e2e)
#   EGW_EAL_EXTRA              EAL arguments appended after "--" (default: --no-pci)
#   EGW_E2E_KERNEL_STANDIN=1   replace the daemon with Linux forwarding + nftables SNAT, to
#                              check the harness itself; telemetry checks are then skipped

EGW_E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
EGW_ROOT=$(cd "$EGW_E2E_DIR/../.." && pwd)
PATH=$PATH:$EGW_ROOT/build-tools/bin # promtool, when tests/setup.sh unpacked it there
EGW_BIN=${EGW_BIN:-$EGW_ROOT/build/app/egressgw/egressgw}
EGW_PY=/usr/bin/python3 # Debian's python: has scapy (the first python3 on PATH may not)
EGW_TELEMETRY_PY=/usr/bin/dpdk-telemetry.py
EGW_EAL_EXTRA=${EGW_EAL_EXTRA:---no-pci}
EGW_STANDIN=${EGW_E2E_KERNEL_STANDIN:-0}

# Names and addresses.
# EGW_NAMES (default "egw", at most 5 characters, must start with "egw") prefixes every
# namespace, link and DPDK file prefix, so two suites can run side by side.
EGW_N=${EGW_NAMES:-egw}
EGW_NS_CLI=${EGW_N}cli
EGW_NS_GW=${EGW_N}gw
EGW_NS_SRV=${EGW_N}srv
EGW_ALL_NS="${EGW_N}cli ${EGW_N}gw ${EGW_N}srv ${EGW_N}chk"
EGW_IF_CLI=${EGW_N}c0
EGW_IF_GWIN=${EGW_N}gi
EGW_IF_GWOUT=${EGW_N}go
EGW_IF_SRV=${EGW_N}s0
EGW_MAC_CLI=02:65:67:00:00:02
EGW_MAC_GWIN=02:65:67:00:00:01
EGW_MAC_GWOUT=02:65:67:00:01:02
EGW_MAC_SRV=02:65:67:00:01:01
EGW_IP_CLI=198.18.0.2
EGW_IP_GWIN=198.18.0.1
EGW_IP_GWOUT=203.0.113.2
EGW_IP_SRV=203.0.113.1
EGW_POOL_FIRST=198.51.100.10
EGW_POOL_LAST=198.51.100.13
EGW_POOL_NET=198.51.100.0/24
EGW_HTTP_PORT=8080
EGW_UDP_PORT=9000

EGW_PREFIX=${EGW_N}test # DPDK file prefix of the running daemon (taken from its config)
EGW_PID=
EGW_LOG=
EGW_CONF=
EGW_NSTART=0
EGW_PIDS=()	 # every background process this test started
EGW_LAST_PID=
EGW_TEST=${EGW_TEST:-$(basename "${0%.sh}")}
EGW_OUT=${EGW_E2E_OUT:-/tmp/egw-e2e}/$EGW_TEST
EGW_CLEANED=0

# ---------------------------------------------------------------------------------------------
# Messages and assertions. Every assertion prints one line: "ok: ..." or "FAIL: ..." (and exits).

egw_log() { printf '[%s] %s\n' "$(date +%T)" "$*"; }

egw_fail()
{
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

egw_ok() { printf 'ok: %s\n' "$*"; }

# Exit code 77 = skipped (run.sh reports it as SKIP).
egw_skip()
{
	printf 'SKIP: %s\n' "$*"
	exit 77
}

egw_is_int() { [[ $1 =~ ^-?[0-9]+$ ]]; }

assert_eq() # ACTUAL EXPECTED WHAT
{
	if [[ "$1" == "$2" ]]; then egw_ok "$3 (= $2)"; else egw_fail "$3: expected '$2', got '$1'"; fi
}

assert_ne() # ACTUAL UNEXPECTED WHAT
{
	if [[ "$1" != "$2" ]]; then egw_ok "$3 (!= $2)"; else egw_fail "$3: got '$1', must differ"; fi
}

assert_num() # VALUE WHAT: VALUE must be an integer (a missing telemetry value is not)
{
	egw_is_int "$1" || egw_fail "$2: '$1' is not a number (telemetry unavailable or key missing?)"
}

assert_ge() # ACTUAL MIN WHAT
{
	assert_num "$1" "$3"
	if (($1 >= $2)); then egw_ok "$3 ($1 >= $2)"; else egw_fail "$3: expected >= $2, got $1"; fi
}

assert_le() # ACTUAL MAX WHAT
{
	assert_num "$1" "$3"
	if (($1 <= $2)); then egw_ok "$3 ($1 <= $2)"; else egw_fail "$3: expected <= $2, got $1"; fi
}

assert_numeq() # ACTUAL EXPECTED WHAT
{
	assert_num "$1" "$3"
	if (($1 == $2)); then egw_ok "$3 (= $2)"; else egw_fail "$3: expected $2, got $1"; fi
}

assert_contains() # HAYSTACK NEEDLE WHAT
{
	if [[ "$1" == *"$2"* ]]; then
		egw_ok "$3"
	else
		egw_fail "$3: '$2' not found in:"$'\n'"$(printf '%s\n' "$1" | tail -n 20)"
	fi
}

assert_not_contains() # HAYSTACK NEEDLE WHAT
{
	if [[ "$1" != *"$2"* ]]; then
		egw_ok "$3"
	else
		egw_fail "$3: '$2' unexpectedly found in:"$'\n'"$(printf '%s\n' "$1" | tail -n 20)"
	fi
}

assert_match() # HAYSTACK ERE WHAT
{
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		egw_ok "$3"
	else
		egw_fail "$3: /$2/ does not match:"$'\n'"$(printf '%s\n' "$1" | tail -n 20)"
	fi
}

# ---------------------------------------------------------------------------------------------
# Processes: started in the background, recorded by PID, killed by PID.

# egw_bg NS LOG CMD...: runs CMD in netns NS ("-" = this namespace), output to LOG; the PID is
# left in EGW_LAST_PID. "ip netns exec" execs CMD, so the PID is CMD's own.
egw_bg()
{
	local ns=$1 log=$2
	shift 2
	if [[ $ns == - ]]; then
		"$@" </dev/null >"$log" 2>&1 &
	else
		ip netns exec "$ns" "$@" </dev/null >"$log" 2>&1 &
	fi
	EGW_LAST_PID=$!
	EGW_PIDS+=("$EGW_LAST_PID")
}

# egw_kill PID [SIG]: signal one of our processes, wait up to 5 s, then SIGKILL.
egw_kill()
{
	local pid=$1 sig=${2:-TERM} i
	[[ -n $pid ]] || return 0
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	kill "-$sig" "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

# egw_wait_for SECONDS CMD...: polls CMD every 0.2 s until it succeeds; returns 1 on timeout.
egw_wait_for()
{
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 5; i++)); do
		"$@" && return 0
		sleep 0.2
	done
	"$@"
}

egw_in() { ip netns exec "$@"; } # egw_in NS CMD...

# ---------------------------------------------------------------------------------------------
# Setup, topology and cleanup.

egw_init()
{
	[[ $(id -u) == 0 ]] || egw_fail "end-to-end tests need root (network namespaces)"
	local t
	for t in ip ethtool tcpdump curl ncat ping timeout sha256sum "$EGW_PY"; do
		command -v "$t" >/dev/null || egw_fail "missing tool '$t': run tools/setup.sh"
	done
	rm -rf "$EGW_OUT"
	mkdir -p "$EGW_OUT"
	trap egw_cleanup EXIT
	trap 'exit 143' TERM
	trap 'exit 130' INT
	egw_log "$EGW_TEST: logs in $EGW_OUT"
}

# Fails early and clearly when there is no daemon to test.
egw_need_bin()
{
	[[ $EGW_STANDIN == 1 ]] && return 0
	[[ -x $EGW_BIN ]] || egw_fail "egressgw binary not found at $EGW_BIN (build it: tools/setup.sh)"
}

# Tests that only make sense against the real daemon skip under the kernel stand-in.
egw_need_real()
{
	[[ $EGW_STANDIN == 1 ]] && egw_skip "needs the real egressgw (kernel stand-in active)"
	egw_need_bin
}

egw_real() { [[ $EGW_STANDIN != 1 ]]; }

egw_cleanup()
{
	local rc=$?
	((EGW_CLEANED)) && return
	EGW_CLEANED=1
	trap - EXIT TERM INT
	set +e
	if [[ -n $EGW_PID ]] && kill -0 "$EGW_PID" 2>/dev/null; then
		egw_log "cleanup: stopping egressgw (pid $EGW_PID)"
		egw_kill "$EGW_PID" TERM
		if ((rc == 0)); then
			egw_log "FAIL: egressgw was still running at the end of the test"
			rc=1
		fi
	elif [[ -n $EGW_PID ]]; then
		local st=0
		wait "$EGW_PID" 2>/dev/null || st=$?
		egw_log "FAIL: egressgw (pid $EGW_PID) had exited by itself (status $st)"
		((rc == 0 || rc == 77)) && rc=1
	fi
	EGW_PID=
	if ((rc != 0 && rc != 77)) && [[ -n $EGW_LOG && -f $EGW_LOG ]]; then
		if grep -qE 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer' "$EGW_LOG"; then
			egw_log "sanitizer report in $EGW_LOG:"
			grep -m1 -A25 -E 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer' "$EGW_LOG"
		else
			egw_log "egressgw log tail ($EGW_LOG):"
			tail -n 15 "$EGW_LOG"
		fi
	fi
	local pid
	for pid in "${EGW_PIDS[@]}"; do
		kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
	done
	sleep 0.2
	for pid in "${EGW_PIDS[@]}"; do
		egw_kill "$pid" KILL
	done
	EGW_PIDS=()
	egw_topo_down
	if ((rc == 0)); then
		egw_log "$EGW_TEST: PASS"
	elif ((rc == 77)); then
		egw_log "$EGW_TEST: SKIP"
	else
		egw_log "$EGW_TEST: FAIL (exit $rc; logs in $EGW_OUT)"
	fi
	exit "$rc"
}

# Kills (by PID) whatever still runs inside our namespaces, then deletes them. Idempotent.
egw_topo_down()
{
	local ns pid i sig
	for ns in $EGW_ALL_NS; do
		[[ -e /run/netns/$ns ]] || continue
		for i in 1 2 3; do
			pid=$(ip netns pids "$ns" 2>/dev/null) || true
			[[ -n $pid ]] || break
			# shellcheck disable=SC2086
			sig=KILL
			[[ $i == 1 ]] && sig=TERM
			kill -"$sig" $pid 2>/dev/null || true
			sleep 0.3
		done
		ip netns del "$ns" 2>/dev/null || true
	done
	# veths die with their namespace; these only exist if a setup was interrupted midway.
	for i in $EGW_IF_CLI $EGW_IF_GWIN $EGW_IF_GWOUT $EGW_IF_SRV; do
		if ip link show "$i" >/dev/null 2>&1; then ip link del "$i" 2>/dev/null || true; fi
	done
	# DPDK runtime files of our file prefixes; their processes ran in our namespaces and are gone.
	for i in ${EGW_N}test egwdemo ${EGW_N}chk; do
		rm -rf "/var/run/dpdk/$i"
	done
	return 0
}

egw_ns_sysctl() # NS: no IPv6 (keeps ethertype_unsupported at zero), no martian surprises
{
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 >/dev/null
}

egw_if_quiet() # NS IF: no offloads, so af_packet sees complete frames with full checksums
{
	local f
	ip netns exec "$1" ethtool -K "$2" tx off >/dev/null 2>&1 ||
		egw_fail "ethtool -K $2 tx off failed in $1"
	for f in rx tso gso gro lro tx-scatter-gather; do
		ip netns exec "$1" ethtool -K "$2" "$f" off >/dev/null 2>&1 || true
	done
	ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1" >/dev/null 2>&1 || true
}

egw_topo_up()
{
	egw_topo_down
	local ns
	for ns in $EGW_NS_CLI $EGW_NS_GW $EGW_NS_SRV; do
		ip netns add "$ns" || egw_fail "ip netns add $ns"
		egw_ns_sysctl "$ns"
		ip -n "$ns" link set lo up
	done
	ip link add "$EGW_IF_CLI" netns $EGW_NS_CLI address $EGW_MAC_CLI type veth \
		peer name "$EGW_IF_GWIN" netns $EGW_NS_GW address $EGW_MAC_GWIN ||
		egw_fail "cannot create veth $EGW_IF_CLI/$EGW_IF_GWIN"
	ip link add "$EGW_IF_SRV" netns $EGW_NS_SRV address $EGW_MAC_SRV type veth \
		peer name "$EGW_IF_GWOUT" netns $EGW_NS_GW address $EGW_MAC_GWOUT ||
		egw_fail "cannot create veth $EGW_IF_SRV/$EGW_IF_GWOUT"
	egw_if_quiet $EGW_NS_CLI $EGW_IF_CLI
	egw_if_quiet $EGW_NS_GW $EGW_IF_GWIN
	egw_if_quiet $EGW_NS_GW $EGW_IF_GWOUT
	egw_if_quiet $EGW_NS_SRV $EGW_IF_SRV

	ip -n $EGW_NS_CLI addr add $EGW_IP_CLI/24 dev $EGW_IF_CLI
	ip -n $EGW_NS_CLI link set $EGW_IF_CLI up
	ip -n $EGW_NS_CLI route add default via $EGW_IP_GWIN

	ip -n $EGW_NS_GW link set $EGW_IF_GWIN up
	ip -n $EGW_NS_GW link set $EGW_IF_GWOUT up

	ip -n $EGW_NS_SRV addr add $EGW_IP_SRV/24 dev $EGW_IF_SRV
	ip -n $EGW_NS_SRV link set $EGW_IF_SRV up
	ip -n $EGW_NS_SRV route add $EGW_POOL_NET via $EGW_IP_GWOUT
	egw_log "topology up: $EGW_NS_CLI($EGW_IP_CLI) - $EGW_NS_GW - $EGW_NS_SRV($EGW_IP_SRV)"
}

# ---------------------------------------------------------------------------------------------
# Configuration: a template plus "section.key=value" overrides.

# egw_conf OUT [OVERRIDE...]: writes the test config to OUT. An override is
#   "section.key=value"  set (or add) key in [section] ("port inside.address=..."),
#   "-section.key"       remove the key,
#   "-section"           remove the whole section.
# A section that does not exist yet is appended.
egw_conf()
{
	local out=$1
	shift
	cat >"$out.tmpl" <<EOF
; egressgw end-to-end test configuration (generated by tests/e2e/lib.sh)
[dpdk]
lcores = 0-1
memory_mb = 512
hugepages = no
file_prefix = ${EGW_N}test
idle_sleep_us = 0

[port inside]
device = net_af_packet0,iface=$EGW_IF_GWIN
role = inside
address = $EGW_IP_GWIN/24

[port outside]
device = net_af_packet1,iface=$EGW_IF_GWOUT
role = outside
address = $EGW_IP_GWOUT/24
gateway = $EGW_IP_SRV

[egress]
mode = passthrough
default_pool = public

[pool public]
addresses = $EGW_POOL_FIRST-$EGW_POOL_LAST
ports = 1024-65535

[flows]
max = 100000
tcp_syn = 30
tcp_established = 7440
tcp_transitory = 240
udp = 300
icmp = 60
tcp_pickup = yes

[metrics]
listen =

[log]
level = info
EOF
	"$EGW_PY" - "$out.tmpl" "$out" "$@" <<'PYEOF' || egw_fail "egw_conf: bad override in: $*"
import re, sys
src, dst, overrides = sys.argv[1], sys.argv[2], sys.argv[3:]
# sections: list of [name, [lines]]; lines before the first header belong to name None
sections = [[None, []]]
for line in open(src).read().splitlines():
    m = re.match(r'^\s*\[(.+?)\]\s*$', line)
    if m:
        sections.append([m.group(1).strip(), [line]])
    else:
        sections[-1][1].append(line)
def find(name):
    for s in sections:
        if s[0] == name:
            return s
    return None
for ov in overrides:
    if ov.startswith('-'):
        target = ov[1:]
        if find(target) is not None and '=' not in target:
            sections[:] = [s for s in sections if s[0] != target]
            continue
        sec, _, key = target.rpartition('.')
        s = find(sec)
        if s is None or not key:
            sys.exit("no such key/section: " + target)
        s[1][:] = [l for l in s[1] if not re.match(r'^\s*' + re.escape(key) + r'\s*=', l)]
        continue
    lhs, eq, value = ov.partition('=')
    sec, _, key = lhs.rpartition('.')
    if not eq or not sec or not key:
        sys.exit("override must be section.key=value: " + ov)
    s = find(sec)
    if s is None:
        s = [sec, ['', '[%s]' % sec]]
        sections.append(s)
    new = '%s = %s' % (key, value)
    for i, l in enumerate(s[1]):
        if re.match(r'^\s*' + re.escape(key) + r'\s*=', l):
            s[1][i] = new
            break
    else:
        # insert after the last non-blank line of the section
        j = len(s[1])
        while j > 0 and not s[1][j - 1].strip():
            j -= 1
        s[1].insert(j, new)
with open(dst, 'w') as f:
    for s in sections:
        for l in s[1]:
            f.write(l + '\n')
PYEOF
	rm -f "$out.tmpl"
}

# Value of KEY in [SECTION] of a config file (first occurrence), blanks and comments trimmed.
egw_conf_get() # FILE SECTION KEY
{
	awk -v sec="$2" -v key="$3" '
		/^[ \t]*\[/ { s = $0; gsub(/^[ \t]*\[|\][ \t]*$/, "", s); next }
		s == sec {
			line = $0; sub(/[ \t]+;.*/, "", line)
			if (match(line, "^[ \t]*" key "[ \t]*=")) {
				v = substr(line, RLENGTH + 1); gsub(/^[ \t]+|[ \t]+$/, "", v); print v; exit
			}
		}' "$1"
}

# ---------------------------------------------------------------------------------------------
# The daemon.

# egw_start CONF: starts egressgw in the appliance namespace, waits (<= 30 s) for "ready".
egw_start()
{
	local conf=$1 i rc
	[[ -f $conf ]] || egw_fail "egw_start: no config file $conf"
	conf=$(cd "$(dirname "$conf")" && pwd)/$(basename "$conf")
	EGW_CONF=$conf
	EGW_PREFIX=$(egw_conf_get "$conf" dpdk file_prefix)
	EGW_PREFIX=${EGW_PREFIX:-egressgw}
	EGW_NSTART=$((EGW_NSTART + 1))
	EGW_LOG=$EGW_OUT/egressgw.$EGW_NSTART.log
	if [[ $EGW_STANDIN == 1 ]]; then
		egw_standin_start "$conf"
		return
	fi
	egw_need_bin
	[[ -n $EGW_PID ]] && kill -0 "$EGW_PID" 2>/dev/null && egw_fail "egw_start: already running"
	local -a extra=()
	# shellcheck disable=SC2206
	[[ -n $EGW_EAL_EXTRA ]] && extra=(-- $EGW_EAL_EXTRA)
	egw_log "starting: ip netns exec $EGW_NS_GW $EGW_BIN -c $conf ${extra[*]}"
	ip netns exec $EGW_NS_GW "$EGW_BIN" -c "$conf" "${extra[@]}" </dev/null >"$EGW_LOG" 2>&1 &
	EGW_PID=$!
	for ((i = 0; i < 300; i++)); do
		if grep -qw ready "$EGW_LOG"; then
			break
		fi
		if ! kill -0 "$EGW_PID" 2>/dev/null; then
			rc=0
			wait "$EGW_PID" || rc=$?
			EGW_PID=
			egw_fail "egressgw exited (status $rc) before 'ready'; log tail:"$'\n'"$(tail -n 30 "$EGW_LOG")"
		fi
		sleep 0.1
	done
	if ! grep -qw ready "$EGW_LOG"; then
		egw_fail "egressgw not ready after 30 s; log tail:"$'\n'"$(tail -n 30 "$EGW_LOG")"
	fi
	egw_log "egressgw ready (pid $EGW_PID): $(grep -w -m1 ready "$EGW_LOG")"
	egw_wait_for 5 test -S "/var/run/dpdk/$EGW_PREFIX/dpdk_telemetry.v2" ||
		egw_fail "telemetry socket /var/run/dpdk/$EGW_PREFIX/dpdk_telemetry.v2 missing after ready"
}

# egw_stop [SIG]: SIGTERM (or SIG) by PID, <= 15 s; asserts exit 0 and "stopped: ... mbufs_in_use=0".
egw_stop()
{
	local sig=${1:-TERM} i rc=0 line
	if [[ $EGW_STANDIN == 1 ]]; then
		egw_standin_stop
		return
	fi
	[[ -n $EGW_PID ]] || egw_fail "egw_stop: egressgw is not running"
	kill -0 "$EGW_PID" 2>/dev/null || {
		wait "$EGW_PID" || rc=$?
		EGW_PID=
		egw_fail "egressgw died before it was stopped (status $rc); log tail:"$'\n'"$(tail -n 30 "$EGW_LOG")"
	}
	egw_log "stopping egressgw (pid $EGW_PID) with SIG$sig"
	kill "-$sig" "$EGW_PID"
	for ((i = 0; i < 150; i++)); do
		kill -0 "$EGW_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$EGW_PID" 2>/dev/null; then
		kill -KILL "$EGW_PID" 2>/dev/null
		wait "$EGW_PID" 2>/dev/null
		EGW_PID=
		egw_fail "egressgw did not exit within 15 s of SIG$sig; log tail:"$'\n'"$(tail -n 30 "$EGW_LOG")"
	fi
	wait "$EGW_PID" || rc=$?
	EGW_PID=
	[[ $rc == 0 ]] || egw_fail "egressgw exited with status $rc after SIG$sig; log tail:"$'\n'"$(tail -n 30 "$EGW_LOG")"
	egw_ok "egressgw exited 0 after SIG$sig"
	line=$(grep 'stopped:' "$EGW_LOG" | tail -n 1)
	[[ -n $line ]] || egw_fail "no 'stopped:' line in the log; log tail:"$'\n'"$(tail -n 30 "$EGW_LOG")"
	egw_log "$line"
	[[ $line =~ mbufs_in_use=([0-9]+) ]] || egw_fail "'stopped:' line has no mbufs_in_use=N: $line"
	assert_numeq "${BASH_REMATCH[1]}" 0 "mbufs_in_use at exit"
}

# Kernel stand-in for harness self-checks: Linux forwards and nftables SNATs to the pool.
egw_standin_start()
{
	local conf=$1 mode
	command -v nft >/dev/null || egw_fail "kernel stand-in needs nft (apt-get install nftables)"
	mode=$(egw_conf_get "$conf" egress mode)
	egw_log "KERNEL STAND-IN instead of egressgw (mode $mode)"
	ip -n $EGW_NS_GW addr add $EGW_IP_GWIN/24 dev $EGW_IF_GWIN
	ip -n $EGW_NS_GW addr add $EGW_IP_GWOUT/24 dev $EGW_IF_GWOUT
	ip netns exec $EGW_NS_GW sysctl -qw net.ipv4.ip_forward=1
	local fwd="" ; [[ $mode == deny ]] && fwd="iifname $EGW_IF_GWIN drop"
	ip netns exec $EGW_NS_GW nft -f - <<EOF || egw_fail "nft rules"
table ip egw {
	chain postrouting_nat {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "$EGW_IF_GWOUT" ip saddr 198.18.0.0/15 snat to $EGW_POOL_FIRST-$EGW_POOL_LAST persistent
	}
	chain forward_filter {
		type filter hook forward priority filter; policy accept;
		$fwd
		iifname "$EGW_IF_GWOUT" ct state new drop
	}
}
EOF
	echo "kernel stand-in ready" >"$EGW_LOG"
}

egw_standin_stop()
{
	ip netns exec $EGW_NS_GW nft delete table ip egw 2>/dev/null
	ip -n $EGW_NS_GW addr flush dev $EGW_IF_GWIN
	ip -n $EGW_NS_GW addr flush dev $EGW_IF_GWOUT
	echo "stopped: mbufs_in_use=0 (kernel stand-in)" >>"$EGW_LOG"
	egw_ok "kernel stand-in stopped"
}

# ---------------------------------------------------------------------------------------------
# Telemetry.

# egw_tel CMD[,PARAMS]: prints the JSON reply of the daemon's telemetry socket (one line).
egw_tel()
{
	local cmd=$1 out
	if [[ $EGW_STANDIN == 1 ]]; then
		echo "egw_tel: no telemetry under the kernel stand-in" >&2
		return 1
	fi
	out=$(echo "$cmd" | timeout 10 "$EGW_PY" "$EGW_TELEMETRY_PY" -f "$EGW_PREFIX" 2>&1)
	if ! printf '%s' "$out" | "$EGW_PY" -c '
import json, sys
d = json.loads(sys.stdin.read())
sys.exit(0 if isinstance(d, dict) and sys.argv[1] in d and d[sys.argv[1]] is not None else 1)
' "${cmd%%,*}" 2>/dev/null; then
		echo "egw_tel $cmd: no valid reply from telemetry (prefix $EGW_PREFIX): $out" >&2
		return 1
	fi
	printf '%s\n' "$out"
}

# egw_json_get KEY.PATH < JSON: prints the value (numbers as is, objects as JSON).
egw_json_get()
{
	"$EGW_PY" -c '
import json, sys
d = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    if not isinstance(d, dict) or k not in d:
        sys.stderr.write("key %s missing\n" % sys.argv[1]); sys.exit(1)
    d = d[k]
print(json.dumps(d) if isinstance(d, (dict, list)) else d)
' "$1"
}

# egw_stat KEY (e.g. flows_active, drops.mode_deny): one value of /egw/stats.
egw_stat()
{
	local j
	j=$(egw_tel /egw/stats) || return 1
	printf '%s' "$j" | egw_json_get "/egw/stats.$1"
}

egw_drop() { egw_stat "drops.$1"; } # egw_drop NAME (a reason of lib/common/drop.h)

egw_info() # egw_info KEY: one value of /egw/info
{
	local j
	j=$(egw_tel /egw/info) || return 1
	printf '%s' "$j" | egw_json_get "/egw/info.$1"
}

# egw_stats_save FILE: /egw/stats to FILE (a baseline for egw_stat_delta).
egw_stats_save()
{
	egw_tel /egw/stats >"$1" || egw_fail "cannot read /egw/stats"
}

# egw_stat_delta BASEFILE KEY: current value minus the baseline's.
egw_stat_delta()
{
	local a b
	a=$(egw_json_get "/egw/stats.$2" <"$1") || return 1
	b=$(egw_stat "$2") || return 1
	echo $((b - a))
}

# egw_wait_stat KEY OP VALUE [SECONDS]: polls /egw/stats until "KEY OP VALUE" holds (OP: -ge, -eq)
# and prints the last value read. Counters are aggregated asynchronously, so never read once.
egw_wait_stat()
{
	local key=$1 op=$2 want=$3 secs=${4:-5} v i
	for ((i = 0; i <= secs * 5; i++)); do
		v=$(egw_stat "$key" 2>/dev/null) || v=
		if egw_is_int "$v" && test "$v" "$op" "$want"; then break; fi
		sleep 0.2
	done
	echo "$v"
}

# Counter assertions; skipped (with a note) under the kernel stand-in.
assert_stat_ge() # KEY MIN
{
	egw_real || { echo "skip (stand-in): $1 >= $2"; return 0; }
	assert_ge "$(egw_wait_stat "$1" -ge "$2")" "$2" "/egw/stats $1"
}

assert_stat_delta() # BASEFILE KEY OP(-ge|-eq) N
{
	egw_real || { echo "skip (stand-in): delta $2 $3 $4"; return 0; }
	local base want v i
	base=$(egw_json_get "/egw/stats.$2" <"$1") || egw_fail "baseline has no $2"
	want=$((base + $4))
	v=$(egw_wait_stat "$2" "$3" "$want")
	# for -eq, give a late duplicate count a moment to show up
	[[ $3 == -eq ]] && sleep 0.5 && v=$(egw_stat "$2")
	assert_num "$v" "/egw/stats $2"
	if test "$v" "$3" "$want"; then
		egw_ok "/egw/stats $2 rose by $((v - base)) ($3 $4)"
	else
		egw_fail "/egw/stats $2 rose by $((v - base)), expected $3 $4"
	fi
}

# ---------------------------------------------------------------------------------------------
# Servers, captures and clients.

# egw_http_start: python http.server on 203.0.113.1:8080 in egwsrv serving $EGW_OUT/www, which
# holds big.bin (8 MiB random) and index.html. Access log: $EGW_OUT/http.log.
egw_http_start()
{
	local www=$EGW_OUT/www
	mkdir -p "$www"
	[[ -f $www/big.bin ]] || head -c $((8 * 1024 * 1024)) /dev/urandom >"$www/big.bin"
	echo "<html><body>hello from egwsrv through egressgw</body></html>" >"$www/index.html"
	egw_bg $EGW_NS_SRV "$EGW_OUT/http.log" "$EGW_PY" -u -m http.server $EGW_HTTP_PORT \
		--bind $EGW_IP_SRV --directory "$www"
	EGW_HTTP_PID=$EGW_LAST_PID
	egw_wait_for 10 egw_listening tcp $EGW_HTTP_PORT || egw_fail "http.server did not start"
}

# egw_udp_echo_start: UDP echo on 203.0.113.1:9000 in egwsrv (ncat, one cat per peer).
egw_udp_echo_start()
{
	egw_bg $EGW_NS_SRV "$EGW_OUT/udp-echo.log" ncat -u -l -k $EGW_IP_SRV $EGW_UDP_PORT -e /bin/cat
	EGW_UDP_PID=$EGW_LAST_PID
	egw_wait_for 10 egw_listening udp $EGW_UDP_PORT || egw_fail "ncat UDP echo did not start"
}

egw_listening() # tcp|udp PORT: is something listening in egwsrv?
{
	local flag=-ltnH
	[[ $1 == udp ]] && flag=-lunH
	ip netns exec $EGW_NS_SRV ss $flag "sport = :$2" 2>/dev/null | grep -q .
}

# egw_loss_start PERCENT: drops PERCENT% of the HTTP segments at random each way, before and
# after the server's stack (nftables in egwsrv: this kernel has no tc netem).
egw_loss_start()
{
	egw_in $EGW_NS_SRV nft -f - <<EOF || egw_fail "cannot install the nftables loss rules"
table inet ${EGW_N}loss {
	chain in { type filter hook input priority 0; tcp dport $EGW_HTTP_PORT numgen random mod 100 < $1 counter drop; }
	chain out { type filter hook output priority 0; tcp sport $EGW_HTTP_PORT numgen random mod 100 < $1 counter drop; }
}
EOF
}

# egw_loss_stop: removes the loss rules and prints how many packets they dropped.
egw_loss_stop()
{
	egw_in $EGW_NS_SRV nft list table inet ${EGW_N}loss |
		awk '/counter/ { n += $(NF - 3) } END { print n + 0 }'
	egw_in $EGW_NS_SRV nft delete table inet ${EGW_N}loss
}

# egw_capture_start NS IF FILE [FILTER...]: tcpdump to FILE; waits until it listens.
# PID in EGW_LAST_PID; stop with egw_capture_stop PID.
egw_capture_start()
{
	local ns=$1 ifc=$2 file=$3
	shift 3
	egw_bg "$ns" "$file.log" tcpdump -i "$ifc" -n -U --immediate-mode -s 256 -w "$file" "$@"
	egw_wait_for 10 grep -q "listening on" "$file.log" ||
		egw_fail "tcpdump on $ns/$ifc did not start: $(cat "$file.log")"
}

egw_capture_stop() # PID
{
	sleep 0.3 # let the last packets reach the capture
	egw_kill "$1" TERM
}

# Waits (<= 15 s) until a ping from the client through the appliance is answered: the daemon
# may still be resolving the upstream router's MAC right after start.
egw_wait_path()
{
	local i
	for ((i = 0; i < 15; i++)); do
		if ip netns exec $EGW_NS_CLI ping -n -c 1 -W 1 $EGW_IP_SRV >/dev/null 2>&1; then
			egw_ok "path client -> appliance -> server works"
			return 0
		fi
	done
	egw_fail "no ping reply from $EGW_IP_SRV through the appliance within 15 tries"
}

# curl of the 8 MiB file; content compared by SHA-256.
egw_check_curl()
{
	local out=$EGW_OUT/curl.out want got
	rm -f "$out"
	ip netns exec $EGW_NS_CLI curl --noproxy '*' -sS --fail --connect-timeout 10 --max-time 90 \
		-o "$out" "http://$EGW_IP_SRV:$EGW_HTTP_PORT/big.bin" 2>"$EGW_OUT/curl.err" ||
		egw_fail "curl through the appliance failed: $(cat "$EGW_OUT/curl.err")"
	want=$(sha256sum <"$EGW_OUT/www/big.bin" | cut -d' ' -f1)
	got=$(sha256sum <"$out" | cut -d' ' -f1)
	assert_eq "$got" "$want" "sha256 of the 8 MiB file fetched with curl through the appliance"
}

# UDP request/response with ncat: the reply must be the request.
egw_check_udp()
{
	local msg reply i
	for ((i = 1; i <= 3; i++)); do
		msg="egw-udp-probe-$i-$RANDOM$RANDOM"
		# ncat's UDP client quits at the end of its input: keep it open 3 s for the reply
		# (a loaded machine has delayed one past 1 s), --idle-timeout ends ncat (status 1,
		# hence "|| true").
		reply=$({ printf '%s\n' "$msg"; sleep 3; } | ip netns exec $EGW_NS_CLI timeout 10 \
			ncat -u --idle-timeout 3 $EGW_IP_SRV $EGW_UDP_PORT 2>/dev/null) || true
		assert_eq "$reply" "$msg" "UDP echo $i through the appliance"
	done
}

# ICMP echo through the appliance (NATed): 5 of 5 answered.
egw_check_ping()
{
	local out
	out=$(ip netns exec $EGW_NS_CLI ping -n -c 5 -i 0.2 -W 2 $EGW_IP_SRV 2>&1) || true
	assert_contains "$out" " 0% packet loss" "ping $EGW_IP_SRV through the appliance"
}

# egw_check_sources PCAP [--paired]: every IPv4 packet the server received for 203.0.113.1 came
# from the egress pool (never from 198.18.0.0/15); with --paired, from one pool address only.
egw_check_sources()
{
	local out
	out=$("$EGW_PY" "$EGW_E2E_DIR/pcaptool.py" sources "$1" --dst $EGW_IP_SRV \
		--pool $EGW_POOL_FIRST-$EGW_POOL_LAST "${@:2}" 2>&1) ||
		egw_fail "server-side capture: $out"
	egw_ok "server saw only pool sources: $out"
}

# The http.server access log names the client: it must be a pool address.
egw_check_http_log()
{
	local srcs
	srcs=$(awk '/"GET /{print $1}' "$EGW_OUT/http.log" | sort -u | tr '\n' ' ')
	[[ -n $srcs ]] || egw_fail "http.server logged no request: $(tail -n 5 "$EGW_OUT/http.log")"
	local s
	for s in $srcs; do
		"$EGW_PY" -c '
import ipaddress, sys
a = ipaddress.ip_address(sys.argv[1])
sys.exit(0 if ipaddress.ip_address(sys.argv[2]) <= a <= ipaddress.ip_address(sys.argv[3]) else 1)
' "$s" $EGW_POOL_FIRST $EGW_POOL_LAST || egw_fail "http.server saw client $s, not a pool address"
	done
	egw_ok "http.server access log clients are pool addresses: $srcs"
}

# The whole forwarding check, used with 1, 2 and 4 workers: curl, UDP, ping, sources.
egw_traffic_suite()
{
	egw_http_start
	egw_udp_echo_start
	local cap=$EGW_OUT/srv.pcap cpid
	egw_capture_start $EGW_NS_SRV $EGW_IF_SRV "$cap" ip
	cpid=$EGW_LAST_PID
	local base=$EGW_OUT/stats.before.json
	if egw_real; then egw_stats_save "$base"; fi
	egw_wait_path
	egw_check_curl
	egw_check_udp
	egw_check_ping
	egw_capture_stop "$cpid"
	egw_check_sources "$cap" --paired --protos tcp,udp,icmp
	egw_check_http_log
	if egw_real; then
		assert_stat_delta "$base" flows_created -ge 5
		assert_stat_delta "$base" outbound_packets -ge 100
		assert_stat_delta "$base" inbound_bytes -ge $((8 * 1024 * 1024))
		assert_stat_delta "$base" drops.unsolicited_inbound -eq 0
		egw_log "/egw/stats: $(egw_tel /egw/stats)"
	fi
}

# ---------------------------------------------------------------------------------------------
# Policy mode, the control socket, per-policy telemetry and a second exit (tests 6x). Only new
# functions: nothing above changes behaviour when these are not used.

EGW_CTL_BIN=${EGW_CTL_BIN:-$EGW_ROOT/build/tools/egwctl/egwctl}
EGW_CTL_SOCK=	 # the control socket of the config written by egw_policy_conf
EGW_CTL_OUT=	 # egw_ctl: what egwctl printed (stdout and stderr)
EGW_CTL_RC=	 # egw_ctl: its exit status
EGW_POLDIR=	 # the policy directory of egw_policy_conf

# Second exit (egw_topo_second_exit): netns ${EGW_N}srv2, veth ${EGW_N}s2 <-> ${EGW_N}go2.
EGW_NS_SRV2=${EGW_N}srv2
EGW_IF_SRV2=${EGW_N}s2
EGW_IF_GWOUT2=${EGW_N}go2
EGW_MAC_GWOUT2=02:65:67:00:02:02
EGW_MAC_SRV2=02:65:67:00:02:01
EGW_IP_SRV2=203.0.113.129
EGW_IP_GWOUT2=203.0.113.130

# egw_policy_conf OUT [OVERRIDE...]: egw_conf with mode policy, "policies = policies.d/*.ini"
# (relative to OUT's directory, created empty: write files with egw_policy_file), revalidate =
# reset and a control socket next to OUT (EGW_CTL_SOCK); OVERRIDEs as for egw_conf, after these.
egw_policy_conf()
{
	local out=$1 dir
	shift
	dir=$(cd "$(dirname "$out")" && pwd)
	EGW_POLDIR=$dir/policies.d
	mkdir -p "$EGW_POLDIR"
	EGW_CTL_SOCK=$dir/ctl.sock
	egw_conf "$out" "egress.mode=policy" "egress.policies=policies.d/*.ini" \
		"egress.revalidate=reset" "control.socket=$EGW_CTL_SOCK" "$@"
}

# egw_policy_file NAME < TEXT: writes $EGW_POLDIR/NAME atomically (a reload never sees half a
# file). egw_policy_rm NAME removes one.
egw_policy_file()
{
	[[ -n $EGW_POLDIR ]] || egw_fail "egw_policy_file: no policy directory (egw_policy_conf first)"
	cat >"$EGW_POLDIR/.$1.tmp" || egw_fail "egw_policy_file: cannot write $1"
	mv -f "$EGW_POLDIR/.$1.tmp" "$EGW_POLDIR/$1"
}

egw_policy_rm() { rm -f "$EGW_POLDIR/$1"; }

# egw_ctl ARGS...: egwctl -s EGW_CTL_SOCK ARGS (bounded to 10 s); never fails by itself: the
# output (stdout + stderr) is in EGW_CTL_OUT, the exit status in EGW_CTL_RC.
egw_ctl()
{
	EGW_CTL_RC=0
	EGW_CTL_OUT=$(timeout 10 "$EGW_CTL_BIN" -s "$EGW_CTL_SOCK" "$@" 2>&1) || EGW_CTL_RC=$?
	egw_log "egwctl $*: exit $EGW_CTL_RC: $(printf '%s' "$EGW_CTL_OUT" | head -n 1)"
}

# egw_ctl_ok ARGS...: egw_ctl, and it must exit 0 with a first line "OK ...".
egw_ctl_ok()
{
	egw_ctl "$@"
	[[ $EGW_CTL_RC == 0 && $EGW_CTL_OUT == OK* ]] ||
		egw_fail "egwctl $* should succeed: exit $EGW_CTL_RC: $EGW_CTL_OUT"
}

# egw_reload_ok: "egwctl reload" succeeds and /egw/info policy_generation rose by exactly one.
egw_reload_ok()
{
	local g0 g1
	g0=$(egw_info policy_generation) || egw_fail "no /egw/info policy_generation"
	egw_ctl_ok reload
	assert_contains "$EGW_CTL_OUT" "OK reloaded" "egwctl reload replies 'OK reloaded'"
	g1=$(egw_info policy_generation)
	assert_numeq "$g1" $((g0 + 1)) "policy_generation after a good reload"
}

# egw_policy NAME KEY: one counter of policy NAME from /egw/policies ("(mode)": what the mode
# decided without a policy); nothing and status 1 when it is not listed.
egw_policy()
{
	local j v
	j=$(egw_tel /egw/policies) || return 1
	v=$(printf '%s' "$j" | egw_policies_values "$1" "$2")
	[[ $v != missing ]] || return 1
	echo "$v"
}

# egw_policies_save FILE: /egw/policies to FILE (a baseline for assert_policy_delta).
egw_policies_save()
{
	egw_tel /egw/policies >"$1" || egw_fail "cannot read /egw/policies"
}

# egw_baseline PREFIX: /egw/stats to PREFIX.stats.json and /egw/policies to PREFIX.pol.json.
egw_baseline()
{
	egw_stats_save "$1.stats.json"
	egw_policies_save "$1.pol.json"
}

# Deferred failures: reported at once ("FAIL: ..."), but the test goes on so that the checks
# after it still run; egw_finish (the last line of a test) then fails the test.
EGW_DEFERRED=()

egw_fail_deferred()
{
	printf 'FAIL: %s\n' "$*" >&2
	EGW_DEFERRED+=("$*")
}

egw_finish()
{
	local f
	((${#EGW_DEFERRED[@]} == 0)) && return 0
	for f in "${EGW_DEFERRED[@]}"; do printf '  failed: %s\n' "${f%%$'\n'*}" >&2; done
	egw_fail "${#EGW_DEFERRED[@]} check(s) failed (listed above)"
}

# egw_policies_values NAME KEY [NAME KEY...] < /egw/policies JSON: one line per pair, the
# counter or "missing". The entries ({"name": ..., "flows_allowed": ...}) may come as a list or
# as an object keyed by position.
egw_policies_values()
{
	"$EGW_PY" -c '
import json, sys
try:
    pols = json.load(sys.stdin)["/egw/policies"]["policies"]
except Exception:
    pols = []
if isinstance(pols, dict):  # entries keyed by position instead of a list: same entries
    pols = list(pols.values())
byname = {p.get("name"): p for p in pols if isinstance(p, dict)}
a = sys.argv[1:]
for name, key in zip(a[0::2], a[1::2]):
    v = byname.get(name, {}).get(key)
    print(v if isinstance(v, int) else "missing")
' "$@"
}

# egw_soft ASSERTION ARGS...: runs an assertion (assert_eq, assert_numeq, ...) in a subshell;
# a failure is deferred (egw_fail_deferred) instead of ending the test at once.
egw_soft()
{
	local out rc=0
	out=$("$@" 2>&1) || rc=$?
	if ((rc == 0)); then
		printf '%s\n' "$out"
	else
		out=${out#FAIL: }
		egw_fail_deferred "${out:-$* failed (status $rc)}"
	fi
	return 0
}

# assert_policy_deltas BASEFILE "NAME KEY OP N"...: like assert_stat_delta, for counters of
# /egw/policies (OP -eq or -ge; a policy absent from the baseline counts from 0), polled together
# (<= 5 s), read once more 0.5 s later when one is -eq. Failures are deferred (egw_fail_deferred):
# the traffic checks that follow still run.
assert_policy_deltas()
{
	local basef=$1 i k j= all eq=0 name key op n
	shift
	local -a specs=("$@") args=() base=() v=()
	for k in "${!specs[@]}"; do
		read -r name key op n <<<"${specs[$k]}"
		args+=("$name" "$key")
		[[ $op == -eq ]] && eq=1
	done
	mapfile -t base < <(egw_policies_values "${args[@]}" <"$basef")
	for k in "${!base[@]}"; do [[ ${base[$k]} == missing ]] && base[$k]=0; done
	for ((i = 0; i <= 25; i++)); do
		j=$(egw_tel /egw/policies 2>&1) || true
		mapfile -t v < <(printf '%s' "$j" | egw_policies_values "${args[@]}")
		all=1
		for k in "${!specs[@]}"; do
			read -r name key op n <<<"${specs[$k]}"
			if [[ ${v[$k]} == missing ]]; then all=2; break; fi # waiting does not help
			test "${v[$k]}" "$op" $((base[k] + n)) || all=0
		done
		((all == 0)) || break
		sleep 0.2
	done
	if ((eq && all != 2)); then
		sleep 0.5
		j=$(egw_tel /egw/policies 2>&1) || true
		mapfile -t v < <(printf '%s' "$j" | egw_policies_values "${args[@]}")
	fi
	if ((all == 2)) && ! printf '%s' "$j" | grep -q '"policies": *[[{] *[[{"]'; then
		egw_fail_deferred "/egw/policies lists no policy at all, cannot check: ${specs[*]} (reply: $j)"
		return 0
	fi
	for k in "${!specs[@]}"; do
		read -r name key op n <<<"${specs[$k]}"
		if [[ ${v[$k]} == missing ]]; then
			egw_fail_deferred "/egw/policies $name.$key ($op +$n expected): no such policy counter in the reply: $j"
		elif test "${v[$k]}" "$op" $((base[k] + n)); then
			egw_ok "/egw/policies $name.$key rose by $((v[k] - base[k])) ($op $n)"
		else
			egw_fail_deferred "/egw/policies $name.$key rose by $((v[k] - base[k])), expected $op $n"
		fi
	done
	return 0
}

assert_policy_delta() { assert_policy_deltas "$1" "$2 $3 $4 $5"; } # BASEFILE NAME KEY OP N

# assert_policy_value NAME KEY OP VALUE [SECONDS]: polls (<= SECONDS, default 5) until the
# counter KEY of policy NAME satisfies "OP VALUE" (-eq, -ge, -le). Failures are deferred.
assert_policy_value()
{
	local name=$1 key=$2 op=$3 want=$4 secs=${5:-5} v i j=
	for ((i = 0; i <= secs * 5; i++)); do
		j=$(egw_tel /egw/policies 2>&1) || true
		v=$(printf '%s' "$j" | egw_policies_values "$name" "$key")
		[[ $v == missing ]] && break # not listed at all: waiting does not help
		test "$v" "$op" "$want" && break
		sleep 0.2
	done
	if [[ $v == missing ]]; then
		egw_fail_deferred "/egw/policies $name.$key ($op $want expected): no such policy counter in the reply: $j"
	elif test "$v" "$op" "$want"; then
		egw_ok "/egw/policies $name.$key = $v ($op $want)"
	else
		egw_fail_deferred "/egw/policies $name.$key = $v, expected $op $want"
	fi
	return 0
}

# egw_udp_send NS SRC DST PORT COUNT [WAIT [GAP]]: COUNT datagrams from one socket of netns NS
# (bound to SRC: "ADDR", "ADDR:PORT", or "" = any address and port) to DST:PORT, GAP seconds
# apart (default 0.05; 0 = back to back), then waits WAIT seconds (default 1.5) for replies;
# prints the number of replies that echoed a datagram sent (it stops waiting once every
# datagram came back). One source port: one flow.
egw_udp_send()
{
	ip netns exec "$1" timeout 20 "$EGW_PY" -c '
import socket, sys, time
src, dst, port, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
wait, gap = float(sys.argv[5]), float(sys.argv[6])
addr, _, sport = src.partition(":")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, int(sport or 0)))
sent = set()
for i in range(count):
    msg = b"egw-probe-%d-%d" % (i, time.monotonic_ns())
    sent.add(msg)
    s.sendto(msg, (dst, port))
    if gap:
        time.sleep(gap)
got, end = 0, time.monotonic() + wait
while True:
    left = end - time.monotonic()
    if left <= 0:
        break
    s.settimeout(left)
    try:
        data = s.recv(2048)
    except socket.timeout:
        break
    except OSError:
        continue  # ICMP errors surface as ECONNREFUSED on a UDP socket
    if data in sent:
        got += 1
        if got == count:
            break
print(got)
' "$2" "$3" "$4" "$5" "${6:-1.5}" "${7:-0.05}"
}

# egw_tcp_probe NS SRC DST PORT [TIMEOUT]: one TCP connection attempt (bound to SRC, "" = any)
# with TIMEOUT seconds (default 0.5: shorter than the kernel's first SYN retransmission, so
# exactly one SYN leaves). Prints "connected", "refused" (an RST came back: the SYN got through)
# or "timeout".
egw_tcp_probe()
{
	ip netns exec "$1" timeout 20 "$EGW_PY" -c '
import socket, sys
src, dst, port, t = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind((src, 0))
s.settimeout(t)
try:
    s.connect((dst, port))
    print("connected")
except ConnectionRefusedError:
    print("refused")
except (socket.timeout, TimeoutError):
    print("timeout")
except OSError as e:
    print("error %s" % e)
' "$2" "$3" "$4" "${5:-0.5}"
}

# egw_curl NS URL [CURL ARGS...]: curl of URL in netns NS (body to stdout, bounded). Exit status
# of curl; its stderr in $EGW_OUT/curl.err.
egw_curl()
{
	local ns=$1 url=$2
	shift 2
	ip netns exec "$ns" curl --noproxy '*' -sS --fail --connect-timeout 3 --max-time 20 "$@" \
		"$url" 2>"$EGW_OUT/curl.err"
}

# egw_http_serve NS ADDR PORT DIR NAME: a python http.server on ADDR:PORT of netns NS serving
# DIR (access log $EGW_OUT/NAME.log); waits until it listens. PID in EGW_LAST_PID.
egw_http_serve()
{
	local ns=$1 addr=$2 port=$3 dir=$4 name=$5 i
	mkdir -p "$dir"
	egw_bg "$ns" "$EGW_OUT/$name.log" "$EGW_PY" -u -m http.server "$port" --bind "$addr" \
		--directory "$dir"
	for ((i = 0; i < 50; i++)); do
		ip netns exec "$ns" ss -ltnH "sport = :$port" 2>/dev/null | grep -q . && return 0
		sleep 0.2
	done
	egw_fail "http.server on $ns $addr:$port did not start: $(cat "$EGW_OUT/$name.log")"
}

# egw_udp_echo_serve NS ADDR PORT NAME: an ncat UDP echo on ADDR:PORT of netns NS; waits until
# it listens. PID in EGW_LAST_PID.
egw_udp_echo_serve()
{
	local ns=$1 addr=$2 port=$3 name=$4 i
	egw_bg "$ns" "$EGW_OUT/$name.log" ncat -u -l -k "$addr" "$port" -e /bin/cat
	for ((i = 0; i < 50; i++)); do
		ip netns exec "$ns" ss -lunH "sport = :$port" 2>/dev/null | grep -q . && return 0
		sleep 0.2
	done
	egw_fail "UDP echo on $ns $addr:$port did not start: $(cat "$EGW_OUT/$name.log")"
}

# egw_dnsmasq_serve ARGS...: dnsmasq on $EGW_IP_SRV:53 in the server namespace, with nothing of
# the machine's configuration (no config file, resolv.conf or hosts file) and ARGS (the test's
# records); queries are logged to $EGW_OUT/dnsmasq.log. Waits until it listens; skips the test
# when dnsmasq (dnsmasq-base) or dig is missing. PID in EGW_LAST_PID, killed at exit.
egw_dnsmasq_serve()
{
	command -v dnsmasq >/dev/null || egw_skip "dnsmasq (dnsmasq-base) is not installed"
	command -v dig >/dev/null || egw_skip "dig (bind9-dnsutils) is not installed"
	egw_bg $EGW_NS_SRV "$EGW_OUT/dnsmasq.log" dnsmasq --keep-in-foreground \
		--conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
		--listen-address=$EGW_IP_SRV --port=53 --pid-file= --log-facility=- --log-queries "$@"
	egw_wait_for 10 egw_listening udp 53 ||
		egw_fail "dnsmasq did not start: $(cat "$EGW_OUT/dnsmasq.log")"
}

# egw_dns_policies NAME: policy file NAME letting the client subnet ask the server's resolver
# (UDP and TCP port 53: "dns", "dns-tcp") and ping through (policy mode needs it for
# egw_wait_path); neither permits any name to dns_filter.
egw_dns_policies()
{
	egw_policy_file "$1" <<EOF
[policy dns]
sources = 198.18.0.0/24
destinations = $EGW_IP_SRV
ports = 53
protocol = udp
action = allow

[policy dns-tcp]
sources = 198.18.0.0/24
destinations = $EGW_IP_SRV
ports = 53
protocol = tcp
action = allow

[policy ping]
sources = 198.18.0.0/24
protocol = icmp
action = allow
EOF
}

# egw_pcap_count PCAP FILTER: number of packets of a capture that match a tcpdump FILTER.
egw_pcap_count()
{
	tcpdump -n -r "$1" "$2" 2>/dev/null | wc -l
}

# egw_topo_second_exit: a second outside network after egw_topo_up: netns ${EGW_N}srv2
# (203.0.113.129/25 on ${EGW_N}s2, 198.51.100.0/24 via 203.0.113.130) and its peer ${EGW_N}go2
# in the appliance namespace, for "[port outside2] device = net_af_packet2,iface=${EGW_N}go2,
# address = 203.0.113.130/25" (the first outside port must then be 203.0.113.2/25: port subnets
# may not overlap). The namespace joins EGW_ALL_NS, so egw_cleanup removes it.
egw_topo_second_exit()
{
	[[ " $EGW_ALL_NS " == *" $EGW_NS_SRV2 "* ]] || EGW_ALL_NS="$EGW_ALL_NS $EGW_NS_SRV2"
	if [[ -e /run/netns/$EGW_NS_SRV2 ]]; then
		ip netns pids "$EGW_NS_SRV2" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
		ip netns del "$EGW_NS_SRV2" 2>/dev/null || true
	fi
	ip link show "$EGW_IF_SRV2" >/dev/null 2>&1 && ip link del "$EGW_IF_SRV2" 2>/dev/null
	ip link show "$EGW_IF_GWOUT2" >/dev/null 2>&1 && ip link del "$EGW_IF_GWOUT2" 2>/dev/null
	ip netns add "$EGW_NS_SRV2" || egw_fail "ip netns add $EGW_NS_SRV2"
	egw_ns_sysctl "$EGW_NS_SRV2"
	ip -n "$EGW_NS_SRV2" link set lo up
	ip link add "$EGW_IF_SRV2" netns "$EGW_NS_SRV2" address $EGW_MAC_SRV2 type veth \
		peer name "$EGW_IF_GWOUT2" netns "$EGW_NS_GW" address $EGW_MAC_GWOUT2 ||
		egw_fail "cannot create veth $EGW_IF_SRV2/$EGW_IF_GWOUT2"
	egw_if_quiet "$EGW_NS_GW" "$EGW_IF_GWOUT2"
	egw_if_quiet "$EGW_NS_SRV2" "$EGW_IF_SRV2"
	ip -n "$EGW_NS_GW" link set "$EGW_IF_GWOUT2" up
	ip -n "$EGW_NS_SRV2" addr add $EGW_IP_SRV2/25 dev "$EGW_IF_SRV2"
	ip -n "$EGW_NS_SRV2" link set "$EGW_IF_SRV2" up
	ip -n "$EGW_NS_SRV2" route add $EGW_POOL_NET via $EGW_IP_GWOUT2
	egw_log "second exit up: $EGW_NS_GW $EGW_IF_GWOUT2 - $EGW_NS_SRV2($EGW_IP_SRV2)"
}

# The egw_conf overrides of the second exit: first outside port narrowed to a /25, port outside2.
egw_second_exit_overrides()
{
	printf '%s\n' "port outside.address=$EGW_IP_GWOUT/25" \
		"port outside2.device=net_af_packet2,iface=$EGW_IF_GWOUT2" \
		"port outside2.role=outside" "port outside2.address=$EGW_IP_GWOUT2/25"
}

# ---------------------------------------------------------------------------------------------
# Neighbours (ARP) (tests 23, 24). Only new functions.

# egw_neighbor ADDR: "STATE MAC" of ADDR in /egw/neighbors, every page (MAC "-" when it has
# none); nothing and status 1 when ADDR is not listed.
egw_neighbor()
{
	local j offset=0 out
	while :; do
		j=$(egw_tel "/egw/neighbors,$offset") || return 1
		out=$(printf '%s' "$j" | "$EGW_PY" -c '
import json, sys
d = json.load(sys.stdin)["/egw/neighbors"]
for e in d["neighbors"].values():
    if e.get("address") == sys.argv[1]:
        print("found", e.get("state"), e.get("mac") or "-")
        sys.exit(0)
print("next", d["next_offset"])
' "$1") || return 1
		case $out in
		found*) echo "${out#found }"; return 0 ;;
		"next 0") return 1 ;;
		*) offset=${out#next } ;;
		esac
	done
}

# egw_ctl_read CONF ARGS...: egwctl -c CONF ARGS (a read command, bounded to 20 s); prints its
# output, fails the test when egwctl fails.
egw_ctl_read()
{
	local conf=$1 out
	shift
	out=$(timeout 20 "$EGW_CTL_BIN" -c "$conf" "$@" 2>&1) || egw_fail "egwctl $*: $out"
	printf '%s\n' "$out"
}

# egw_quiet_hosts: the client and the server announce nothing when their MAC changes
# (arp_notify off) and never ask for the appliance (their entries for it are pinned), so the
# appliance can only learn of a change by probing.
egw_quiet_hosts()
{
	local ns ifc peer mac
	while read -r ns ifc peer mac; do
		ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.arp_notify=0 \
			"net.ipv4.conf.$ifc.arp_notify=0" >/dev/null
		ip -n "$ns" neigh replace "$peer" lladdr "$mac" dev "$ifc" nud permanent ||
			egw_fail "cannot pin $peer in $ns"
	done <<EOF_HOSTS
$EGW_NS_SRV $EGW_IF_SRV $EGW_IP_GWOUT $EGW_MAC_GWOUT
$EGW_NS_CLI $EGW_IF_CLI $EGW_IP_GWIN $EGW_MAC_GWIN
EOF_HOSTS
}

# egw_garp NS IF IP MAC: one gratuitous ARP request (sender = target = IP) from MAC out of IF.
egw_garp()
{
	ip netns exec "$1" timeout 20 "$EGW_PY" -c '
import logging, sys
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import ARP, Ether, sendp
ifc, ip, mac = sys.argv[1:4]
sendp(Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") /
      ARP(op=1, hwsrc=mac, psrc=ip, hwdst="00:00:00:00:00:00", pdst=ip), iface=ifc, verbose=False)
' "$2" "$3" "$4" || egw_fail "cannot send a gratuitous ARP from $1"
}
