#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Forwarding rate of the real egressgw while the control thread publishes policy snapshots,
# against the same run without publishing (issue 3). One worker; the inside port replays a
# pcap of FLOWS established TCP flows from memory (net_pcap, infinite_rx), the outside port
# is net_null: no NIC, no kernel, the rate is the worker's. Publishes are "reload" commands
# on the control socket (re-read config + policies, compile, RCU publish), RATE per second.
#
# Four windows: no publishing, reloads of identical files (the epoch does not move: flows are
# not re-checked), reloads that change one unrelated policy (every flow is re-checked on its
# next packet), and no publishing again (the baseline is the mean of the two quiet windows).
#
# usage: tools/bench/publish_bench.sh [--flows N] [--seconds S] [--rate R] [--policies P]
#                                      [--json FILE]
# Bounded: four measurement windows of S seconds (default 5), then the daemon is stopped.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${EGW_BIN:-$root/build/app/egressgw/egressgw}
flows=1024 seconds=5 rate=100 policies=1000 json=
while (($#)); do
	case $1 in
	--flows) flows=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--rate) rate=$2; shift 2 ;;
	--policies) policies=$2; shift 2 ;;
	--json) json=$2; shift 2 ;;
	*) echo "unknown argument $1" >&2; exit 2 ;;
	esac
done
[[ -x $bin ]] || { echo "build first: $bin missing" >&2; exit 1; }

dir=$(mktemp -d /tmp/egw-publish-bench.XXXXXX)
prefix=egwpubbench
pid=
cleanup()
{
	[[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[[ -n ${EGW_BENCH_KEEP:-} ]] || rm -rf "$dir"
	rm -rf "/var/run/dpdk/$prefix"
}
trap cleanup EXIT

# net_pcap ports have the fixed MAC 02:70:63:61:70:<port index> ("pcap"), not settable.
/usr/bin/python3 "$root/tools/pcapgen.py" --flows "$flows" --dst-mac 02:70:63:61:70:00 \
	--out "$dir/flows.pcap"
mkdir -p "$dir/pol"
# POLICIES policies of one shape (few masks), the last one allowing the benchmark's flows.
/usr/bin/python3 - "$dir/pol/10-bench.ini" "$policies" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    for i in range(n - 1):
        f.write("[policy p%d]\nsources = 198.19.%d.0/24\ndestinations = 203.0.113.%d\n"
                "ports = 443\nprotocol = tcp\naction = allow\n" % (i, i % 256, i % 256))
    f.write("[policy bench]\nsources = 198.18.0.0/16\nprotocol = tcp\naction = allow\n")
PY
cat >"$dir/egw.ini" <<EOF
[dpdk]
lcores = 0-1
memory_mb = 1024
hugepages = no
file_prefix = $prefix

[port inside]
device = net_pcap0,rx_pcap=$dir/flows.pcap,infinite_rx=1
role = inside
address = 198.18.0.1/16

[port outside]
device = net_null0,no-rx=1
role = outside
address = 203.0.113.2/30
gateway = 203.0.113.1
neighbors = 203.0.113.1 02:00:00:00:00:fe

[egress]
mode = policy
policies = pol/*.ini
default_pool = public

[pool public]
addresses = 198.51.100.10-198.51.100.13

[flows]
max = $((flows * 4 + 1024))

[control]
socket = $dir/ctl.sock
EOF

"$bin" -c "$dir/egw.ini" -- --no-pci >"$dir/egw.log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q 'info: ready' "$dir/egw.log" && break; sleep 0.1; done
grep -q 'info: ready' "$dir/egw.log" || { cat "$dir/egw.log"; exit 1; }

# Counters from the telemetry socket, and the publisher, in one small Python helper.
/usr/bin/python3 - "$prefix" "$dir/ctl.sock" "$seconds" "$rate" "$flows" "$policies" \
	"$dir/pol" "${json:-}" <<'PY'
import json, socket, sys, time
prefix, ctl, seconds, rate, flows, policies, poldir, out = sys.argv[1:9]
seconds, rate = float(seconds), float(rate)

def tel(cmd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect("/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix)
    s.recv(4096)
    s.send(cmd.encode())
    d = json.loads(s.recv(1 << 20).decode())
    s.close()
    return d[cmd.split(",")[0]]

def reload():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(ctl)
    s.sendall(b"reload\n")
    r = s.recv(4096).decode()
    s.close()
    return r.startswith("OK")

def churn(i):
    # A policy no benchmark flow matches, its priority flipping: every reload changes what
    # admission reads, so every flow is re-checked on its next packet.
    with open(poldir + "/20-churn.ini", "w") as f:
        f.write("[policy churn]\nsources = 198.19.255.0/24\nprotocol = udp\n"
                "action = deny\npriority = %d\n" % (i % 2))

def window(publish, change=False):
    a, g0 = tel("/egw/stats"), tel("/egw/info")["policy_generation"]
    t0 = time.monotonic()
    sent = failed = 0
    while time.monotonic() - t0 < seconds:
        if publish:
            if change:
                churn(sent)
            if not reload():
                failed += 1
            sent += 1
            time.sleep(max(0.0, t0 + sent / rate - time.monotonic()))
        else:
            time.sleep(0.05)
    dt = time.monotonic() - t0
    b, g1 = tel("/egw/stats"), tel("/egw/info")["policy_generation"]
    return {"mpps": (b["packets_out"] - a["packets_out"]) / dt / 1e6,
            "drops": b["drops_total"] - a["drops_total"],
            "publishes": g1 - g0, "publish_per_s": (g1 - g0) / dt, "failed": failed}

time.sleep(1.0)  # every flow created, caches warm
res = {"no publishing": window(False), "reload, same content": window(True),
       "reload, one change": window(True, True), "no publishing again": window(False)}
base = (res["no publishing"]["mpps"] + res["no publishing again"]["mpps"]) / 2
print("flows %s, policies %s, one worker, %.0f s windows" % (flows, policies, seconds))
print("%-22s %10s %8s %12s %8s" % ("", "Mpps", "drops", "publishes/s", "loss"))
for name, r in res.items():
    r["loss_percent"] = 100.0 * (1 - r["mpps"] / base) if base else 0.0
    print("%-22s %10.3f %8d %12.1f %7.2f%%" % (name, r["mpps"], r["drops"], r["publish_per_s"],
                                              r["loss_percent"]))
if out:
    json.dump({"flows": int(flows), "policies": int(policies), "windows": res},
              open(out, "w"), indent=1)
PY
