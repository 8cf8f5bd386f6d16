#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Side by side (issues 5, 16): one pcap of N established TCP flows (tools/pcapgen.py), replayed
# from memory (net_pcap,rx_pcap=F,infinite_rx=1) -> one forwarding core -> net_null, through
#   1. dpdk-testpmd --forward-mode=io         the I/O ceiling: no packet is looked at
#   2. egressgw, passthrough SNAT             the real daemon, one worker, generated INI
#   3. Open vSwitch with DPDK, netdev datapath, userspace conntrack:
#      ct(commit,nat(src=198.51.100.10-198.51.100.13:1024-65535)),output:null
# Engines run one at a time, interleaved: round 1 testpmd egressgw OVS, round 2 the same, ...
# (--repeat rounds). Each window is measured by tools/bench/side_by_side.py after the same
# warm-up: the rate from the engine's own counters (testpmd's Tx-pps, egressgw's /egw/stats,
# OVS's null port), the engine's own per-packet cycles where it reports them (testpmd
# --record-core-cycles, OVS pmd-stats, egressgw's per-worker busy_cycles), the CPU time
# its forwarding threads really got (/proc/PID/task/TID/stat) per packet, the page sizes its
# memory is mapped with (/proc/PID/smaps), load average and per-CPU steal. The summary gives
# per flow count each engine's median rate and the median of the per-round ratios with their
# range and IQR, by rates, by CPU time and by the engines' own cycles; the load average of
# every window is recorded with it.
#
# usage: tools/bench/side_by_side.sh [--flows LIST] [--repeat N] [--seconds S] [--warmup W]
#            [--pages 2M|1G|4K] [--engines testpmd,egressgw,ovs] [--json FILE]
#            [--scaling] [--smoke] [--no-huge]
# Defaults: --flows 1024,16384 --repeat 5 --seconds 10 --warmup 3 --pages 2M. As root.
#   --scaling  egressgw alone (issue 16, item 4), interleaved per round:
#              egressgw-1w   1 worker: lcores 0-1 (control CPU 0, worker CPU 1);
#              egressgw-2w   2 workers: lcores 0@0,1@0,2@1 (the control thread, which sleeps
#                            when idle, shares CPU 0 with worker 0); half of the flows on each
#                            of two RX queues, so about half of each queue's packets belong to
#                            the other worker and cross the software handoff;
#              egressgw-2x1w two 1-worker daemons, one per CPU, each replaying its half: the
#                            reference without any handoff (perfect steering on two CPUs).
#              Reports the handoff share and the per-core projection to 100 GbE (arithmetic).
#   --smoke    the harness checked end to end in seconds (meson test): --pages 4K, 256 flows,
#              1 round, 1 s windows, egressgw and testpmd (OVS with --engines); fails unless
#              each gives a rate; exit 77 (skipped) when not root.
#   --no-huge  same as --pages 4K.
# Every run is bounded (start-up waits, warm-up, window, stop), passes --no-pci and its own
# --file-prefix, and every process it started is stopped by PID on exit (trap).
#
# Pages: --pages 2M or 1G reserves 2 GiB (3 with --scaling) of that page size when not free
# (raising nr_hugepages by the difference, lowered by as much on exit) and mounts a hugetlbfs
# of that size of its own that every engine is pointed at (--huge-dir); unmounted on exit. If
# that fails, every engine runs with --no-huge (said in the output). What each engine really
# got is read from its smaps, not assumed.
#
# Environment: EGW_BIN (egressgw binary, default build/app/egressgw/egressgw), TESTPMD,
# OVS_VSWITCHD (default /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk, called directly:
# the ovs-vswitchd alternative is left as the system has it), EGW_BENCH_KEEP=1 keeps the
# working directory (logs, configs, raw JSON lines).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
helper=$root/tools/bench/side_by_side.py
bin=${EGW_BIN:-$root/build/app/egressgw/egressgw}
testpmd=${TESTPMD:-dpdk-testpmd}
vswitchd=${OVS_VSWITCHD:-/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk}
flows_list=1024,16384 seconds=10 warmup=3 json= engines= pages=2M repeat=5 scaling=0 smoke=0
while (($#)); do
	case $1 in
	--flows) flows_list=$2; shift 2 ;;
	--repeat) repeat=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--warmup) warmup=$2; shift 2 ;;
	--json) json=$2; shift 2 ;;
	--engines) engines=$2; shift 2 ;;
	--pages) pages=$2; shift 2 ;;
	--no-huge) pages=4K; shift ;;
	--scaling) scaling=1; shift ;;
	--smoke) smoke=1; shift ;;
	-h | --help) sed -n '3,50p' "$0"; exit 0 ;;
	*) echo "unknown argument $1" >&2; exit 2 ;;
	esac
done
[[ $pages =~ ^(2M|1G|4K)$ ]] || { echo "--pages 2M, 1G or 4K" >&2; exit 2; }
[[ $repeat =~ ^[1-9][0-9]*$ ]] || { echo "--repeat N, N >= 1" >&2; exit 2; }
if ((smoke)); then
	flows_list=256 seconds=1 warmup=1 repeat=1 pages=4K
	# OVS only when asked for (--engines): CI does not install it.
	if [[ -z $engines ]]; then
		engines=egressgw
		command -v "$testpmd" >/dev/null && engines+=,testpmd
	fi
	# meson test: 77 = skipped
	[[ $EUID -eq 0 ]] || { echo "smoke: not root, skipped"; exit 77; }
fi
((scaling)) && engines=egressgw
engines=${engines:-testpmd,egressgw,ovs}
[[ $EUID -eq 0 ]] || { echo "run as root (hugepages, OVS, /var/run/dpdk)" >&2; exit 1; }
has() { [[ ,$engines, == *,$1,* ]]; }
if has egressgw && [[ ! -x $bin ]]; then echo "build first: $bin missing" >&2; exit 1; fi
if has testpmd && ! command -v "$testpmd" >/dev/null; then
	echo "$testpmd missing (apt-get install dpdk-dev)" >&2; exit 1
fi
if has ovs && [[ ! -x $vswitchd ]]; then
	echo "$vswitchd missing (apt-get install openvswitch-switch-dpdk)" >&2; exit 1
fi

dir=$(mktemp -d /tmp/egw-sbs.XXXXXX)
pids=()            # every process this script started
huge_sysfs= huge_added=0 huge_mounted= ovs_bridge_made=
# Names of this run only (two runs at once must not meet): file prefixes, OVS bridge (a tap).
tag=egwsb$$
bridge=$tag
prefixes=("$tag-testpmd" "$tag-egw0" "$tag-egw1" "$tag-ovs")

# PID [SECONDS]: TERM, then KILL if it has not gone after SECONDS (default 5), then reap it.
# Only children of this script are ever passed here: until reaped, their PIDs cannot be reused.
stop_pid()
{
	local pid=$1 t=${2:-5} keep=() p
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq $((t * 10))); do
			# A zombie still answers kill -0: ask ps whether it has exited.
			[[ $(ps -o stat= -p "$pid" 2>/dev/null) == Z* ]] && break
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
	for p in "${pids[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
	pids=(${keep[@]+"${keep[@]}"})
}

cleanup()
{
	local rc=$?
	set +e
	exec 3>&- 2>/dev/null
	for pid in "${pids[@]}"; do stop_pid "$pid"; done
	# The netdev datapath's bridge port is a kernel tap that outlives ovs-vswitchd.
	[[ -n $ovs_bridge_made ]] && ip link del "$bridge" 2>/dev/null
	for p in "${prefixes[@]}"; do rm -rf "/var/run/dpdk/$p"; done
	[[ -n $huge_mounted ]] && umount "$huge_mounted" 2>/dev/null
	# Give back what was added, not a remembered value: others may have changed it since.
	if ((huge_added > 0)); then
		local now
		now=$(cat "$huge_sysfs")
		echo $((now > huge_added ? now - huge_added : 0)) >"$huge_sysfs"
	fi
	[[ -n ${EGW_BENCH_KEEP:-} ]] && echo "kept $dir" || rm -rf "$dir"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- pages: 2 GiB of the chosen hugepage size on a hugetlbfs of our own, or --no-huge ----
# reserve_huge KB: 0 when enough pages of KB KiB are free (reserved if needed) and mounted.
reserve_huge()
{
	local kb=$1 need free
	huge_sysfs=/sys/kernel/mm/hugepages/hugepages-${kb}kB/nr_hugepages
	[[ -w $huge_sysfs ]] || return 1
	# 2 GiB: one engine at a time, egressgw takes 1 GiB; 3 GiB when two daemons run at once.
	need=$(((2 + scaling) * 1024 * 1024 / kb))
	free=$(cat "/sys/kernel/mm/hugepages/hugepages-${kb}kB/free_hugepages")
	if ((free < need)); then
		local before
		before=$(cat "$huge_sysfs")
		echo $((before + need - free)) >"$huge_sysfs" 2>/dev/null || true
		huge_added=$(($(cat "$huge_sysfs") - before))
		free=$(cat "/sys/kernel/mm/hugepages/hugepages-${kb}kB/free_hugepages")
	fi
	((free >= need)) || return 1
	mkdir -p "$dir/huge"
	mount -t hugetlbfs -o "pagesize=${kb}k" nodev "$dir/huge" || return 1
	huge_mounted=$dir/huge
}
huge=0 ovs_mem=() egw_extra=()
case $pages in
2M) reserve_huge 2048 && huge=1 ;;
1G) reserve_huge 1048576 && huge=1 ;;
esac
if ((huge)); then
	eal_mem=(--huge-dir "$huge_mounted" --huge-unlink) egw_huge=yes
	egw_extra=("${eal_mem[@]}")
	echo "pages: $pages hugepages reserved, hugetlbfs $huge_mounted ($((huge_added)) added)"
else
	[[ $pages == 4K ]] ||
		echo "pages: $pages hugepages not available; every engine runs with --no-huge"
	eal_mem=(--no-huge -m 2048) egw_huge=no egw_extra=()
	# OVS adds --in-memory unless told --legacy-mem, which --no-huge implies anyway.
	ovs_mem=(--legacy-mem)
	pages=4K
fi

# ---- helpers ----
wait_for() # FILE PATTERN SECONDS PID: until PATTERN appears in FILE; fails if PID dies
{
	for _ in $(seq $(($3 * 10))); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		kill -0 "$4" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

results=$dir/results.jsonl
: >"$results"
measure() # ENGINE FLOWS ROUND PID ARGS...: one window, one JSON line in $results
{
	local engine=$1 flows=$2 round=$3 pid=$4
	shift 4
	timeout $((${seconds%.*} + 90)) /usr/bin/python3 "$helper" window "$engine" --pid "$pid" \
		--seconds "$seconds" --flows "$flows" --round "$round" --out "$results" "$@"
}

# ---- 1. testpmd, io forwarding ----
run_testpmd() # FLOWS ROUND PCAP
{
	local flows=$1 round=$2 pcap=$3 log=$dir/testpmd.$1.$2.log pid rc=0
	rm -f "$dir/tp.fifo"
	mkfifo "$dir/tp.fifo"
	# Line-buffered: the window reads its answers from the log while it runs.
	stdbuf -oL "$testpmd" -l 0,1 --no-pci --file-prefix "$tag-testpmd" "${eal_mem[@]}" \
		--vdev "net_pcap0,rx_pcap=$pcap,infinite_rx=1" --vdev "net_null0,no-rx=1" -- \
		-i --forward-mode=io --nb-cores=1 --total-num-mbufs=$((flows + 32768)) \
		--record-core-cycles <"$dir/tp.fifo" >"$log" 2>&1 &
	pid=$!
	pids+=("$pid")
	exec 3>"$dir/tp.fifo"
	if ! wait_for "$log" "testpmd>" 30 "$pid"; then
		echo "testpmd did not start:" >&2; tail -20 "$log" >&2; exec 3>&-
		stop_pid "$pid"
		return 1
	fi
	echo start >&3
	sleep "$warmup"
	measure testpmd "$flows" "$round" "$pid" --fifo "$dir/tp.fifo" --log "$log" || rc=1
	echo stop >&3
	echo quit >&3
	exec 3>&-
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	stop_pid "$pid"
	return $rc
}

# ---- 2. egressgw, passthrough SNAT ----
egw_config() # FLOWS LCORES DEVICE NAME -> config on stdout (NAME: file prefix, socket)
{
	cat <<EOF
[dpdk]
lcores = $2
memory_mb = 1024
hugepages = $egw_huge
file_prefix = $4
; the replayed file (one packet per flow) stays in mbufs, besides what queues and rings need
mbufs = $(($1 * 2 + 1024))

[port inside]
device = $3
role = inside
address = 198.18.0.1/16

[port outside]
device = net_null0,no-rx=1
role = outside
address = 203.0.113.2/30
gateway = 203.0.113.1
neighbors = 203.0.113.1 02:00:00:00:00:fe

[egress]
mode = passthrough
default_pool = public

[pool public]
addresses = 198.51.100.10-198.51.100.13

[flows]
max = $(($1 * 2 + 1024))

[control]
socket = $dir/$4.sock

[metrics]
listen =
EOF
}

# FLOWS ROUND ENGINE LCORES DEVICE NAME: starts a daemon, waits until it is ready; its PID in
# egw_pid (a global: a command substitution would start it in a subshell).
start_egressgw()
{
	local flows=$1 round=$2 engine=$3 lcores=$4 device=$5 name=$6 log
	log=$dir/$engine.$name.$flows.$round.log
	egw_config "$flows" "$lcores" "$device" "$name" >"$dir/$engine.$name.$flows.ini"
	"$bin" -c "$dir/$engine.$name.$flows.ini" -- --no-pci ${egw_extra[@]+"${egw_extra[@]}"} \
		>"$log" 2>&1 &
	egw_pid=$!
	pids+=("$egw_pid")
	if ! wait_for "$log" "info: ready" 30 "$egw_pid"; then
		stop_pid "$egw_pid"
		echo "egressgw did not start:" >&2
		tail -20 "$log" >&2
		return 1
	fi
}

# FLOWS ROUND ENGINE LCORES DEVICE [LCORES DEVICE]: one daemon, or two side by side measured
# as one (their rates and CPU times summed).
run_egressgw()
{
	local flows=$1 round=$2 engine=$3 started=() names=() rc=0 i=0 p
	shift 3
	while (($#)); do
		if ! start_egressgw "$flows" "$round" "$engine" "$1" "$2" "$tag-egw$i"; then
			for p in ${started[@]+"${started[@]}"}; do stop_pid "$p"; done
			return 1
		fi
		started+=("$egw_pid")
		names+=("$tag-egw$i")
		i=$((i + 1))
		shift 2
	done
	sleep "$warmup"
	measure "$engine" "$flows" "$round" "$(IFS=,; echo "${started[*]}")" \
		--telemetry "$(IFS=,; echo "${names[*]}")" || rc=1
	for p in "${started[@]}"; do stop_pid "$p" 10; done
	return $rc
}

# ---- 3. Open vSwitch, DPDK netdev datapath, userspace conntrack SNAT ----
run_ovs() # FLOWS ROUND PCAP
{
	local flows=$1 round=$2 pcap=$3 d=$dir/ovs.$1.$2 pid_db pid_sw rc=0
	mkdir -p "$d"
	# Everything of this OVS lives in $d: its database, sockets, logs, pid files.
	export OVS_RUNDIR=$d OVS_LOGDIR=$d OVS_DBDIR=$d OVS_SYSCONFDIR=$d
	local vsctl=(ovs-vsctl --db="unix:$d/db.sock" --timeout=20)
	local ofctl=(ovs-ofctl -O OpenFlow13 --timeout=20)
	local appctl=(ovs-appctl --timeout=20 -t "$d/ovs-vswitchd.ctl")
	ovsdb-tool create "$d/conf.db" /usr/share/openvswitch/vswitch.ovsschema
	ovsdb-server "$d/conf.db" --remote="punix:$d/db.sock" --unixctl="$d/ovsdb-server.ctl" \
		--pidfile="$d/ovsdb-server.pid" --log-file="$d/ovsdb-server.log" \
		>"$d/ovsdb-server.out" 2>&1 &
	pid_db=$!
	pids+=("$pid_db")
	for _ in $(seq 100); do [[ -S $d/db.sock ]] && break; sleep 0.1; done
	if ! "${vsctl[@]}" --no-wait init; then
		echo "ovsdb-server did not start:" >&2; tail -20 "$d/ovsdb-server.log" >&2
		stop_pid "$pid_db"
		return 1
	fi
	"${vsctl[@]}" --no-wait set Open_vSwitch . other_config:dpdk-init=true \
		"other_config:dpdk-extra=--no-pci --file-prefix $tag-ovs ${eal_mem[*]} ${ovs_mem[*]}" \
		other_config:dpdk-lcore-mask=0x1 other_config:pmd-cpu-mask=0x2
	"$vswitchd" "unix:$d/db.sock" --unixctl="$d/ovs-vswitchd.ctl" \
		--pidfile="$d/ovs-vswitchd.pid" --log-file="$d/ovs-vswitchd.log" \
		>"$d/ovs-vswitchd.out" 2>&1 &
	pid_sw=$!
	pids+=("$pid_sw")
	if ! wait_for "$d/ovs-vswitchd.log" "DPDK Enabled - initialized" 60 "$pid_sw"; then
		echo "ovs-vswitchd did not start:" >&2; tail -20 "$d/ovs-vswitchd.log" >&2
		stop_pid "$pid_sw"
		stop_pid "$pid_db"
		return 1
	fi
	# fail_mode=secure: no NORMAL flow, nothing flooded before the NAT flows are in place.
	ovs_bridge_made=1
	"${vsctl[@]}" add-br "$bridge" -- set bridge "$bridge" datapath_type=netdev fail_mode=secure
	"${ofctl[@]}" add-flow "$bridge" \
		"table=0,priority=10,in_port=1,tcp,actions=ct(commit,nat(src=198.51.100.10-198.51.100.13:1024-65535)),output:2"
	"${ofctl[@]}" add-flow "$bridge" "table=0,priority=0,actions=drop"
	"${vsctl[@]}" add-port "$bridge" egwnull -- set Interface egwnull type=dpdk \
		"options:dpdk-devargs=net_null0,no-rx=1" ofport_request=2
	"${vsctl[@]}" add-port "$bridge" egwpcap -- set Interface egwpcap type=dpdk \
		"options:dpdk-devargs=net_pcap0,rx_pcap=$pcap,infinite_rx=1" ofport_request=1
	sleep "$warmup"
	measure ovs "$flows" "$round" "$pid_sw" --ovs-dir "$d" --bridge "$bridge" || rc=1
	"${vsctl[@]}" del-br "$bridge" || true
	"${appctl[@]}" exit 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$pid_sw" 2>/dev/null || break; sleep 0.1; done
	stop_pid "$pid_sw"
	stop_pid "$pid_db"
	ip link del "$bridge" 2>/dev/null || true
	ovs_bridge_made=
	return $rc
}

mhz=$(awk -F': ' '/^cpu MHz/ {print $2; exit}' /proc/cpuinfo)
model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "side by side: $repeat round(s) of ${seconds}s windows after ${warmup}s warm-up," \
	"engines $engines$( ((scaling)) && echo ' (1 and 2 workers)'), pages $pages," \
	"$(nproc) CPUs ($model, TSC ${mhz} MHz), load average $load_start"
IFS=, read -r -a flow_counts <<<"$flows_list"
for flows in "${flow_counts[@]}"; do
	pcap=$dir/flows.$flows.pcap
	# The MAC of egressgw's first net_pcap port; testpmd and OVS ignore it.
	/usr/bin/python3 "$root/tools/pcapgen.py" --flows "$flows" --dst-mac 02:70:63:61:70:00 \
		--out "$pcap"
	if ((scaling)); then
		# One file per RX queue, half of the flows each (net_pcap: a queue per rx_pcap).
		half=$((flows / 2))
		/usr/bin/python3 "$root/tools/pcapgen.py" --flows "$half" --dst-mac 02:70:63:61:70:00 \
			--out "$dir/q0.$flows.pcap"
		/usr/bin/python3 "$root/tools/pcapgen.py" --flows $((flows - half)) --first "$half" \
			--dst-mac 02:70:63:61:70:00 --out "$dir/q1.$flows.pcap"
	fi
	for round in $(seq "$repeat"); do
		if ((scaling)); then
			q0=$dir/q0.$flows.pcap q1=$dir/q1.$flows.pcap
			# One worker: control CPU 0, worker CPU 1.
			run_egressgw "$flows" "$round" egressgw-1w 0-1 \
				"net_pcap0,rx_pcap=$pcap,infinite_rx=1" || true
			# Two workers: the control thread (lcore 0) sleeps when idle and shares CPU 0
			# with worker 0; half of the flows on each RX queue, so about half of each
			# queue's packets belong to the other worker (software handoff).
			run_egressgw "$flows" "$round" egressgw-2w 0@0,1@0,2@1 \
				"net_pcap0,rx_pcap=$q0,rx_pcap=$q1,infinite_rx=1" || true
			# The reference without handoff: two one-worker daemons, one per CPU, each
			# replaying its half (what perfect steering would give on these two CPUs).
			run_egressgw "$flows" "$round" egressgw-2x1w \
				0@0,1@0 "net_pcap0,rx_pcap=$q0,infinite_rx=1" \
				0@1,1@1 "net_pcap0,rx_pcap=$q1,infinite_rx=1" || true
			continue
		fi
		if has testpmd; then run_testpmd "$flows" "$round" "$pcap" || true; fi
		if has egressgw; then
			run_egressgw "$flows" "$round" egressgw 0-1 "net_pcap0,rx_pcap=$pcap,infinite_rx=1" ||
				true
		fi
		if has ovs; then run_ovs "$flows" "$round" "$pcap" || true; fi
	done
done

commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo none)
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
summary=(--meta "date=$(date -u +%FT%TZ)" --meta "commit=$commit"
	--meta "seconds=$seconds" --meta "warmup=$warmup" --meta "repeat=$repeat"
	--meta "pages_requested=$pages" --meta "cpus=$(nproc)" --meta "tsc_mhz=$mhz"
	--meta "load_start=${load_start// /,}" --meta "load_end=${load_end// /,}")
if ((scaling)); then
	summary+=(--scaling --ratio egressgw-2w/egressgw-1w --ratio egressgw-2x1w/egressgw-1w
		--ratio egressgw-2w/egressgw-2x1w)
else
	summary+=(--ratio egressgw/ovs --ratio egressgw/testpmd)
fi
# Smoke: every run of every engine must have given a rate (a run that did not start leaves
# no line at all).
if ((smoke)); then
	n_engines=$(tr ',' '\n' <<<"$engines" | grep -c .)
	((scaling)) && n_engines=3
	summary+=(--expect $((${#flow_counts[@]} * repeat * n_engines)))
fi
echo
/usr/bin/python3 "$helper" summary "$results" ${json:+--json "$json"} "${summary[@]}"
