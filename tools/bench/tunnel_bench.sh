#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The tunnel engine (tools/tunnel_demo) side by side with Debian's squid (HTTP CONNECT) and
# dante-server (SOCKS5), on the same namespaces as tests/e2e/test_80_tunnel.sh:
#   client ns (tunnel_load client) -> gateway ns (the proxy under test) -> server ns (tunnel_load
#   server: echo, or an endless stream).
# For each proxy and protocol:
#   new tunnels/s   CONNS connections in a loop: connect, tunnel, 64 bytes echoed, close
#   throughput      STREAMS tunnels reading the server's stream
#   idle memory     IDLE tunnels held open: the proxy's PSS (all its processes) before and after
# CPU is the proxy's own (utime + stime of every process in the gateway namespace over the
# window), so "per core" = rate / (CPU seconds / wall seconds). Targets are literal addresses
# (no resolver in the way). The machine is shared: run it a few times and give ranges.
#
# usage: tools/bench/tunnel_bench.sh [--seconds S] [--conns C] [--streams N] [--idle N]
#                                    [--engines egressgw,squid,dante] [--rounds R]
# Defaults: --seconds 8 --conns 32 --streams 4 --idle 1000 --rounds 1. As root.
# EGW_NAMES (default egwtb) prefixes the namespaces; EGW_BENCH_PROTOS orders the engine's runs.
#
# squid and dante-server are installed when missing (apt-get), with service starts blocked
# during the install (policy-rc.d) and their services disabled afterwards; each is started by
# this script in the gateway namespace, in the foreground, with a generated config, and
# stopped by PID at the end of its turn (trap on exit, whatever happens).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=8 conns=32 streams=4 idle=1000 engines=egressgw,squid,dante rounds=1
while (($#)); do
	case $1 in
	--seconds) seconds=$2; shift 2 ;;
	--conns) conns=$2; shift 2 ;;
	--streams) streams=$2; shift 2 ;;
	--idle) idle=$2; shift 2 ;;
	--engines) engines=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	-h | --help) sed -n '3,25p' "$0"; exit 0 ;;
	*) echo "unknown argument $1" >&2; exit 2 ;;
	esac
done
[[ $EUID -eq 0 ]] || { echo "run as root (namespaces, package installs)" >&2; exit 1; }
has() { [[ ,$engines, == *,$1,* ]]; }

export EGW_NAMES=${EGW_NAMES:-egwtb}
export EGW_TEST=tunnel_bench
export EGW_E2E_OUT=${EGW_BENCH_OUT:-/tmp/egw-tunnel-bench}
# shellcheck source=tests/e2e/lib.sh
source "$root/tests/e2e/lib.sh"
demo=$root/build/tools/tunnel_demo/tunnel_demo
load=$root/build/tools/bench/tunnel_load
[[ -x $demo && -x $load ]] || { echo "build first: $demo, $load" >&2; exit 1; }

# Installs PKG... without letting their services start, then disables those services.
install_quietly()
{
	local missing=() p blocker=0
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	((${#missing[@]})) || return 0
	if [[ ! -e /usr/sbin/policy-rc.d ]]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		blocker=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" </dev/null >/dev/null
	((blocker)) && rm -f /usr/sbin/policy-rc.d
	for p in squid danted; do
		if [[ -d /run/systemd/system ]]; then
			systemctl disable --now "$p" >/dev/null 2>&1 || true
		fi
		update-rc.d "$p" disable >/dev/null 2>&1 || true
	done
}

need=()
has squid && need+=(squid)
has dante && need+=(dante-server)
((${#need[@]})) && install_quietly "${need[@]}"

egw_init
GW=$EGW_IP_GWIN
TARGET=$EGW_IP_SRV:7

# Fresh namespaces for every proxy: one proxy's TIME_WAITs must not take the ports of the next.
topology()
{
	local ns
	egw_topo_up
	ip -n $EGW_NS_GW addr add $EGW_IP_GWIN/24 dev $EGW_IF_GWIN
	ip -n $EGW_NS_GW addr add $EGW_IP_GWOUT/24 dev $EGW_IF_GWOUT
	ip -n $EGW_NS_SRV route add 198.18.0.0/15 via $EGW_IP_GWOUT
	for ns in $EGW_NS_CLI $EGW_NS_GW $EGW_NS_SRV; do
		# The same for every proxy: ports freed from TIME_WAIT for new outgoing
		# connections (each side closes first in some cycle), deep accept queues.
		ip netns exec "$ns" sysctl -qw net.ipv4.tcp_tw_reuse=1 net.core.somaxconn=8192 \
			net.ipv4.ip_local_port_range="10000 65000"
	done
	egw_bg $EGW_NS_SRV "$EGW_OUT/server.log" "$load" server $EGW_IP_SRV:7
}

PROXY_PID=
cpu_ticks() # all processes in the gateway namespace: utime + stime [FIELD: 14 user, 15 system]
{
	local sum=0 pid f
	for pid in $(ip netns pids $EGW_NS_GW); do
		f=$(cut -d' ' -f14,15 "/proc/$pid/stat" 2>/dev/null) || continue
		case ${1:-} in
		14) sum=$((sum + ${f% *})) ;;
		15) sum=$((sum + ${f#* })) ;;
		*) sum=$((sum + ${f% *} + ${f#* })) ;;
		esac
	done
	echo $sum
}

pss_kb() # PSS of every process in the gateway namespace
{
	local sum=0 pid v
	for pid in $(ip netns pids $EGW_NS_GW); do
		v=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null) || continue
		sum=$((sum + ${v:-0}))
	done
	echo $sum
}

listening() { egw_in $EGW_NS_GW ss -Hltn "sport = :$1" | grep -q LISTEN; }

start_proxy() # NAME
{
	local d=$EGW_OUT/$1
	mkdir -p "$d"
	case $1 in
	egressgw)
		egw_bg $EGW_NS_GW "$d/log" "$demo" --http $GW:3128 --socks5 $GW:1080 \
			--allow-net 203.0.113.0/24 --refuse 198.18.0.0/15 --max-clients 20000 \
			--max-buffers 8192
		PROXY_PID=$EGW_LAST_PID
		egw_wait_for 10 listening 1080 || egw_fail "tunnel_demo did not start"
		;;
	squid)
		chown proxy "$d"
		cat >"$d/squid.conf" <<EOF
http_port $GW:3128
http_access allow all
cache deny all
cache_mem 8 MB
access_log none
cache_store_log none
cache_log $d/cache.log
pid_filename $d/squid.pid
coredump_dir $d
dns_nameservers $EGW_IP_SRV
max_filedescriptors 16384
shutdown_lifetime 1 seconds
EOF
		egw_bg $EGW_NS_GW "$d/log" squid -N -f "$d/squid.conf"
		PROXY_PID=$EGW_LAST_PID
		egw_wait_for 30 listening 3128 || egw_fail "squid did not start: $(tail -5 "$d/cache.log")"
		;;
	dante)
		cat >"$d/danted.conf" <<EOF
logoutput: $d/danted.log
internal: $GW port = 1080
external: $EGW_IP_GWOUT
clientmethod: none
socksmethod: none
user.privileged: root
user.unprivileged: nobody
client pass { from: 198.18.0.0/15 to: 0.0.0.0/0 }
socks pass { from: 198.18.0.0/15 to: 0.0.0.0/0 command: connect }
EOF
		egw_bg $EGW_NS_GW "$d/log" bash -c "ulimit -n \$(ulimit -Hn) && exec danted -f $d/danted.conf"
		PROXY_PID=$EGW_LAST_PID
		egw_wait_for 10 listening 1080 || egw_fail "danted did not start: $(tail -5 "$d/log")"
		;;
	esac
	sleep 1
}

stop_proxy()
{
	egw_kill "$PROXY_PID" TERM
	# children (dante) go with the mother; anything left in the namespace is ours too
	egw_wait_for 10 test -z "$(ip netns pids $EGW_NS_GW)" || kill -KILL $(ip netns pids $EGW_NS_GW) 2>/dev/null || true
	PROXY_PID=
}

client() # PROTO MODE CONNS SECONDS
{
	local port=3128
	[[ $1 == socks5 ]] && port=1080
	egw_in $EGW_NS_CLI timeout $(($4 + 30)) "$load" client $GW:$port "$1" $TARGET "$2" "$3" "$4"
}

results=()
measure() # ENGINE PROTO
{
	local e=$1 p=$2 c0 c1 out rate cpu mb kb0 kb1 per
	local u0 u1
	c0=$(cpu_ticks)
	u0=$(cpu_ticks 14)
	out=$(client "$p" cycle "$conns" "$seconds")
	c1=$(cpu_ticks)
	u1=$(cpu_ticks 14)
	rate=$(awk '{print $6}' <<<"$out" | tr -d '/s')
	cpu=$(awk -v t=$((c1 - c0)) -v s="$seconds" 'BEGIN { printf "%.2f", t / 100 / s }')
	egw_log "$e $p cycle: $out (proxy CPU $cpu cores, $((u1 - u0)) of $((c1 - c0)) ticks in user space)"
	c0=$(cpu_ticks)
	out=$(client "$p" stream "$streams" "$seconds")
	c1=$(cpu_ticks)
	mb=$(awk '{print $6}' <<<"$out")
	local scpu
	scpu=$(awk -v t=$((c1 - c0)) -v s="$seconds" 'BEGIN { printf "%.2f", t / 100 / s }')
	egw_log "$e $p stream: $out (proxy CPU $scpu cores)"
	kb0=$(pss_kb)
	rm -f "$EGW_OUT/idle.out"
	egw_bg $EGW_NS_CLI "$EGW_OUT/idle.out" "$load" client $GW:$([[ $p == socks5 ]] && echo 1080 || echo 3128) \
		"$p" $TARGET idle "$idle" 60
	local ipid=$EGW_LAST_PID
	egw_wait_for 60 grep -q '^open' "$EGW_OUT/idle.out" || egw_fail "$e: idle tunnels did not open"
	sleep 1
	kb1=$(pss_kb)
	egw_kill "$ipid" TERM
	per=$(awk -v a="$kb0" -v b="$kb1" -v n="$idle" 'BEGIN { printf "%.1f", (b - a) * 1024 / n / 1024 }')
	egw_log "$e $p idle: $(cat "$EGW_OUT/idle.out" | head -1), PSS $kb0 -> $kb1 KiB"
	results+=("$(printf '%-9s %-7s %9s %6s %11s %9s %6s %11s %9s' "$e" "$p" "$rate" "$cpu" \
		"$(awk -v r="$rate" -v c="$cpu" 'BEGIN { printf "%.0f", (c > 0 ? r / c : 0) }')" \
		"$mb" "$scpu" "$(awk -v r="$mb" -v c="$scpu" 'BEGIN { printf "%.0f", (c > 0 ? r / c : 0) }')" \
		"$per")")
	sleep 2 # let TIME_WAITs and the proxy settle between runs
}

for ((round = 1; round <= rounds; round++)); do
	for e in egressgw squid dante; do
		has $e || continue
		topology
		start_proxy $e
		case $e in
		egressgw) for p in ${EGW_BENCH_PROTOS:-http socks5}; do measure $e $p; done ;;
		squid) measure $e http ;;
		dante) measure $e socks5 ;;
		esac
		stop_proxy
	done
done

echo
printf '%-9s %-7s %9s %6s %11s %9s %6s %11s %9s\n' engine proto 'tunnels/s' cores \
	'tun/s/core' 'MB/s' cores 'MB/s/core' 'KiB/idle'
printf '%s\n' "${results[@]}"
