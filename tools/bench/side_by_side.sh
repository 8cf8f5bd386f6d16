#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Side by side (issue 5): one pcap of N established TCP flows (tools/pcapgen.py), replayed from
# memory (net_pcap,rx_pcap=F,infinite_rx=1) -> one forwarding core -> net_null, through
#   1. dpdk-testpmd --forward-mode=io         the I/O ceiling: no packet is looked at
#   2. egressgw, passthrough SNAT             the real daemon, one worker, generated INI
#   3. Open vSwitch with DPDK, netdev datapath, userspace conntrack:
#      ct(commit,nat(src=198.51.100.10-198.51.100.13:1024-65535)),output:null
# Each rate is read over the same window after the same warm-up, from the engine's own
# counters: testpmd's Tx-pps of the null port, egressgw's /egw/stats packets_out (telemetry),
# OVS's null port tx packets (OpenFlow port stats, read live). Ratios egressgw/OVS and egressgw/testpmd per flow count.
#
# usage: tools/bench/side_by_side.sh [--flows LIST] [--seconds S] [--warmup W] [--json FILE]
#                                     [--engines testpmd,egressgw,ovs] [--no-huge]
# Defaults: --flows 1024,16384 --seconds 10 --warmup 3. As root (hugepages, OVS). Every run is
# bounded (start-up waits, warm-up, window, stop), passes --no-pci and its own --file-prefix,
# and every process it started is stopped on exit (trap), whatever happens.
#
# Hugepages: when fewer than 2 GiB are free it raises vm.nr_hugepages by the difference, and it
# mounts a hugetlbfs when none is mounted; both are undone on exit. If that fails, all three run
# with --no-huge (the same memory for all three, said in the output).
#
# A net_pcap port with infinite_rx keeps every packet of its file in the mbuf pool: egressgw's
# config gets [dpdk] mbufs for them, so all three replay the same single file.
#
# Environment: EGW_BIN (egressgw binary, default build/app/egressgw/egressgw), TESTPMD,
# OVS_VSWITCHD (default /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk, called directly:
# the ovs-vswitchd alternative is left as the system has it), EGW_BENCH_KEEP=1 keeps the
# working directory (logs, configs).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${EGW_BIN:-$root/build/app/egressgw/egressgw}
testpmd=${TESTPMD:-dpdk-testpmd}
vswitchd=${OVS_VSWITCHD:-/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk}
flows_list=1024,16384 seconds=10 warmup=3 json= engines=testpmd,egressgw,ovs want_huge=1
while (($#)); do
	case $1 in
	--flows) flows_list=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--warmup) warmup=$2; shift 2 ;;
	--json) json=$2; shift 2 ;;
	--engines) engines=$2; shift 2 ;;
	--no-huge) want_huge=0; shift ;;
	-h | --help) sed -n '3,33p' "$0"; exit 0 ;;
	*) echo "unknown argument $1" >&2; exit 2 ;;
	esac
done
[[ $EUID -eq 0 ]] || { echo "run as root (hugepages, OVS)" >&2; exit 1; }
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
huge_nr_orig= huge_mounted= ovs_bridge_made=
prefixes=(egwsbs-testpmd egwsbs-egw egwsbs-ovs)

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
	[[ -n $ovs_bridge_made ]] && ip link del egwbr0 2>/dev/null
	for p in "${prefixes[@]}"; do rm -rf "/var/run/dpdk/$p"; done
	[[ -n $huge_mounted ]] && umount "$huge_mounted" 2>/dev/null
	[[ -n $huge_nr_orig ]] && echo "$huge_nr_orig" >/proc/sys/vm/nr_hugepages
	[[ -n ${EGW_BENCH_KEEP:-} ]] && echo "kept $dir" || rm -rf "$dir"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- hugepages: 2 GiB of 2 MiB pages, or --no-huge for everybody ----
huge=0 ovs_mem=()
if ((want_huge)) && [[ -w /proc/sys/vm/nr_hugepages ]] &&
	[[ $(awk '/^Hugepagesize:/ {print $2}' /proc/meminfo) == 2048 ]]; then
	need=1024
	free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
	if ((free < need)); then
		huge_nr_orig=$(cat /proc/sys/vm/nr_hugepages)
		echo $((huge_nr_orig + need - free)) >/proc/sys/vm/nr_hugepages || true
		free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
	fi
	if ((free >= need)); then
		if ! awk '$3 == "hugetlbfs" {found = 1} END {exit !found}' /proc/mounts; then
			mkdir -p "$dir/huge"
			mount -t hugetlbfs -o pagesize=2M nodev "$dir/huge" && huge_mounted=$dir/huge
		fi
		awk '$3 == "hugetlbfs" {found = 1} END {exit !found}' /proc/mounts && huge=1
	fi
fi
if ((huge)); then
	eal_mem=(--huge-unlink) egw_huge=yes egw_extra=(--huge-unlink)
	echo "hugepages: $(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo) x 2 MiB free"
else
	eal_mem=(--no-huge -m 2048) egw_huge=no egw_extra=()
	# OVS adds --in-memory unless told --legacy-mem, which --no-huge implies anyway.
	ovs_mem=(--legacy-mem)
	echo "hugepages: not available, every engine runs with --no-huge"
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
record() # ENGINE FLOWS MPPS EXTRA_JSON
{
	local v=$3
	[[ $v =~ ^[0-9.]+$ ]] || v=null
	echo "{\"engine\": \"$1\", \"flows\": $2, \"mpps\": $v${4:+, $4}}" >>"$results"
	printf '  %-9s %8s flows  %8s Mpps  %s\n' "$1" "$2" "$3" "${4:-}"
}

# ---- 1. testpmd, io forwarding ----
run_testpmd() # FLOWS PCAP
{
	local flows=$1 pcap=$2 log=$dir/testpmd.$1.log pid mpps
	rm -f "$dir/tp.fifo"
	mkfifo "$dir/tp.fifo"
	"$testpmd" -l 0,1 --no-pci --file-prefix egwsbs-testpmd "${eal_mem[@]}" \
		--vdev "net_pcap0,rx_pcap=$pcap,infinite_rx=1" --vdev "net_null0,no-rx=1" -- \
		-i --forward-mode=io --nb-cores=1 --total-num-mbufs=$((flows + 32768)) \
		<"$dir/tp.fifo" >"$log" 2>&1 &
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
	echo "show port stats all" >&3
	sleep "$seconds"
	# Tx-pps is testpmd's own rate since the previous "show port stats" (TSC-timed).
	echo "show port stats all" >&3
	sleep 0.5
	echo stop >&3
	echo quit >&3
	exec 3>&-
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	stop_pid "$pid"
	mpps=$(/usr/bin/python3 - "$log" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
blocks = text.split("NIC statistics for port 1")
m = re.search(r"Tx-pps:\s+(\d+)", blocks[-1]) if len(blocks) > 2 else None
print("%.4f" % (int(m.group(1)) / 1e6) if m else "nan")
PY
)
	record testpmd "$flows" "$mpps"
}

# ---- 2. egressgw, passthrough SNAT ----
egw_config() # FLOWS PCAP -> config on stdout
{
	local flows=$1 pcap=$2
	cat <<EOF
[dpdk]
lcores = 0-1
memory_mb = 1024
hugepages = $egw_huge
file_prefix = egwsbs-egw
; the replayed file (one packet per flow) stays in mbufs, besides what queues and rings need
mbufs = $((flows * 2 + 1024))

[port inside]
device = net_pcap0,rx_pcap=$pcap,infinite_rx=1
role = inside
address = 198.18.0.1/16

EOF
	cat <<EOF
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
max = $((flows * 2 + 1024))

[control]
socket = $dir/egw.sock

[metrics]
listen =
EOF
}

run_egressgw() # FLOWS PCAP
{
	local flows=$1 pcap=$2 log pid out
	log=$dir/egressgw.$flows.log
	egw_config "$flows" "$pcap" >"$dir/egw.$flows.ini"
	"$bin" -c "$dir/egw.$flows.ini" -- --no-pci ${egw_extra[@]+"${egw_extra[@]}"} >"$log" 2>&1 &
	pid=$!
	pids+=("$pid")
	if ! wait_for "$log" "info: ready" 30 "$pid"; then
		stop_pid "$pid"
		echo "egressgw did not start:" >&2
		tail -20 "$log" >&2
		return 1
	fi
	out=$(/usr/bin/python3 - egwsbs-egw "$warmup" "$seconds" "$flows" <<'PY'
import json, socket, sys, time
prefix, warmup, seconds, flows = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])

def stats():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect("/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix)
    s.recv(4096)
    s.send(b"/egw/stats")
    d = json.loads(s.recv(1 << 20).decode())["/egw/stats"]
    s.close()
    return d

time.sleep(warmup)
a, t0 = stats(), time.monotonic()
time.sleep(seconds)
b, t1 = stats(), time.monotonic()
mpps = (b["packets_out"] - a["packets_out"]) / (t1 - t0) / 1e6
drops = b["drops_total"] - a["drops_total"]
print("%.4f %d %d %d" % (mpps, drops, b["flows_active"], b["flows_created"]))
PY
)
	stop_pid "$pid" 10
	read -r mpps drops active created <<<"$out"
	record egressgw "$flows" "$mpps" "\"window_drops\": $drops, \"flows_active\": $active"
	((active == flows)) || echo "  egressgw: $active flows active, expected $flows" >&2
}

# ---- 3. Open vSwitch, DPDK netdev datapath, userspace conntrack SNAT ----
ovs_tx() # OFCTL...: packets transmitted by port 2 (the null port)
{
	"$@" dump-ports egwbr0 2 | awk '/tx pkts=/ {sub(/.*tx pkts=/, ""); sub(/,.*/, ""); print; exit}'
}

run_ovs() # FLOWS PCAP
{
	local flows=$1 pcap=$2 d=$dir/ovs.$1 pid_db pid_sw a b t0 t1 mpps ct cyc
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
		"other_config:dpdk-extra=--no-pci --file-prefix egwsbs-ovs ${eal_mem[*]} ${ovs_mem[*]}" \
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
	"${vsctl[@]}" add-br egwbr0 -- set bridge egwbr0 datapath_type=netdev fail_mode=secure
	"${ofctl[@]}" add-flow egwbr0 \
		"table=0,priority=10,in_port=1,tcp,actions=ct(commit,nat(src=198.51.100.10-198.51.100.13:1024-65535)),output:2"
	"${ofctl[@]}" add-flow egwbr0 "table=0,priority=0,actions=drop"
	"${vsctl[@]}" add-port egwbr0 egwnull -- set Interface egwnull type=dpdk \
		"options:dpdk-devargs=net_null0,no-rx=1" ofport_request=2
	"${vsctl[@]}" add-port egwbr0 egwpcap -- set Interface egwpcap type=dpdk \
		"options:dpdk-devargs=net_pcap0,rx_pcap=$pcap,infinite_rx=1" ofport_request=1
	sleep "$warmup"
	# Live port counters (OpenFlow port stats read the netdev now; the database's statistics
	# column is refreshed only every few seconds).
	a=$(ovs_tx "${ofctl[@]}")
	t0=$(date +%s.%N)
	sleep "$seconds"
	b=$(ovs_tx "${ofctl[@]}")
	t1=$(date +%s.%N)
	mpps=$(/usr/bin/python3 -c "print('%.4f' % (($b - $a) / ($t1 - $t0) / 1e6))")
	ct=$("${appctl[@]}" dpctl/dump-conntrack 2>/dev/null | grep -c 'dst=198\.51\.100\.' || true)
	cyc=$("${appctl[@]}" dpif-netdev/pmd-stats-show 2>/dev/null |
		awk '/avg processing cycles per packet/ {print $6; exit}')
	"${appctl[@]}" dpif-netdev/pmd-stats-show >"$d/pmd-stats.txt" 2>&1 || true
	"${vsctl[@]}" get Interface egwpcap statistics >"$d/pcap-stats.txt" 2>&1 || true
	"${vsctl[@]}" del-br egwbr0 || true
	"${appctl[@]}" exit 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$pid_sw" 2>/dev/null || break; sleep 0.1; done
	stop_pid "$pid_sw"
	stop_pid "$pid_db"
	ip link del egwbr0 2>/dev/null || true
	ovs_bridge_made=
	record ovs "$flows" "$mpps" "\"nat_connections\": $ct, \"pmd_cycles_per_packet\": ${cyc:-null}"
	((ct == flows)) || echo "  ovs: $ct NATed connections, expected $flows" >&2
}

echo "side by side: ${seconds}s windows after ${warmup}s warm-up, one forwarding core (CPU 1)," \
	"$(uptime | sed 's/.*load/load/')"
IFS=, read -r -a flow_counts <<<"$flows_list"
for flows in "${flow_counts[@]}"; do
	pcap=$dir/flows.$flows.pcap
	# The MAC of egressgw's first net_pcap port; testpmd and OVS ignore it.
	/usr/bin/python3 "$root/tools/pcapgen.py" --flows "$flows" --dst-mac 02:70:63:61:70:00 \
		--out "$pcap"
	if has testpmd; then run_testpmd "$flows" "$pcap" || true; fi
	if has egressgw; then run_egressgw "$flows" "$pcap" || true; fi
	if has ovs; then run_ovs "$flows" "$pcap" || true; fi
done

/usr/bin/python3 - "$results" "$seconds" "$warmup" "$huge" "${json:-}" <<'PY'
import json, math, sys
path, seconds, warmup, huge, out = sys.argv[1:6]
rows = [json.loads(l) for l in open(path) if l.strip()]
by = {}
for r in rows:
    by.setdefault(r["flows"], {})[r["engine"]] = r
runs = []
print("\n%8s %12s %12s %12s %10s %12s" % ("flows", "testpmd Mpps", "egressgw Mpps", "OVS Mpps",
                                          "egw/OVS", "egw/testpmd"))
def num(x):
    return x if isinstance(x, (int, float)) and not math.isnan(x) else None
for flows in sorted(by):
    e = by[flows]
    t, g, o = (num(e.get(k, {}).get("mpps")) for k in ("testpmd", "egressgw", "ovs"))
    r_ovs = g / o if g and o else None
    r_tp = g / t if g and t else None
    fmt = lambda v, f: (f % v) if v is not None else "-"
    print("%8d %12s %12s %12s %10s %12s" % (flows, fmt(t, "%.3f"), fmt(g, "%.3f"),
          fmt(o, "%.3f"), fmt(r_ovs, "%.2fx"), fmt(r_tp, "%.2fx")))
    runs.append({"flows": flows, "engines": e, "egressgw_over_ovs": r_ovs,
                 "egressgw_over_testpmd": r_tp})
if out:
    json.dump({"seconds": float(seconds), "warmup": float(warmup), "hugepages": huge == "1",
               "runs": runs}, open(out, "w"), indent=1)
PY
