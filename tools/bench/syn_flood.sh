#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# An established flow's throughput through egressgw before and during a spoofed SYN flood
# (issue 12), per [flows] syn_cookies mode, on the namespaces and veths of the end-to-end tests
# (tests/e2e/lib.sh). Per round and mode, on fresh namespaces and a fresh daemon:
#   - iperf3 from the client namespace to the server namespace through egressgw, one TCP
#     stream for SECONDS, 1 s intervals;
#   - from FLOOD_AT s into it, for FLOOD_SECS s (at most FLOOD_COUNT frames), SYNs from random
#     sources in 198.18.128.0/17 and random ports toward the iperf3 port
#     (tools/bench/syn_flood.py on the client's veth);
#   - before = mean of the intervals from 2 s to the flood's start, during = mean of the
#     intervals wholly inside the flood; the ratio during/before;
#   - /egw/stats sampled in the flood's middle: flows_active, syn_cookie_mode,
#     syn_cookie_activations, late_cookies_sent; and the inside port's imissed (/ethdev/stats).
#
# usage: tools/bench/syn_flood.sh [--modes off,auto,on] [--rounds N] [--seconds S]
#            [--flood-at S] [--flood-secs S] [--flood-count N] [--set section.key=value]...
# Defaults: --modes off,auto,on --rounds 1 --seconds 22 --flood-at 8 --flood-secs 12
# --flood-count 10000000; modes interleaved per round. --set adds an egw_conf override (e.g.
# flows.syn_cookie_rate=5000). As root; needs iperf3. Namespaces and links are named EGW_NAMES
# (default egwf) and removed on exit; every process is bounded in time and killed by PID.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export EGW_NAMES=${EGW_NAMES:-egwf}
export EGW_E2E_OUT=${EGW_E2E_OUT:-/tmp/egw-syn-flood}
export EGW_TEST=syn_flood
modes=off,auto,on rounds=1 seconds=22 flood_at=8 flood_secs=12 flood_count=10000000
extra=()
while (($#)); do
	case $1 in
	--modes) modes=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--flood-at) flood_at=$2; shift 2 ;;
	--flood-secs) flood_secs=$2; shift 2 ;;
	--flood-count) flood_count=$2; shift 2 ;;
	--set) extra+=("$2"); shift 2 ;;
	-h | --help) sed -n '3,22p' "$0"; exit 0 ;;
	*) echo "unknown argument $1" >&2; exit 2 ;;
	esac
done
((flood_at >= 4 && flood_at + flood_secs + 2 <= seconds)) ||
	{ echo "need --flood-at >= 4 and flood-at + flood-secs + 2 <= seconds" >&2; exit 2; }
command -v iperf3 >/dev/null || { echo "needs iperf3: apt-get install iperf3" >&2; exit 1; }

# shellcheck source=tests/e2e/lib.sh
source "$root/tests/e2e/lib.sh"
egw_init
egw_need_real
FLOOD=$here/syn_flood.py
FLOOD_NET=198.18.128.0/17
PORT=5201

# stats: the flood-time counters of /egw/stats and the inside port's (0) receive misses (frames
# af_packet's ring had no room for), "key=value ..." on one line.
stats()
{
	local missed
	missed=$(egw_tel /ethdev/stats,0 | egw_json_get /ethdev/stats.imissed) || missed="?"
	egw_tel /egw/stats | tee "$EGW_OUT/stats-mid.json" | "$EGW_PY" -c '
import json, sys
s = json.load(sys.stdin)["/egw/stats"]
keys = ("flows_active", "syn_cookie_mode", "syn_cookie_activations", "late_cookies_sent")
print(" ".join("%s=%s" % (k, s.get(k, "?")) for k in keys), end="")'
	echo " inside_rx_missed=$missed"
}

# ratio JSON: "before during ratio" (Mbit/s) from iperf3's intervals.
ratio()
{
	"$EGW_PY" - "$1" "$flood_at" "$flood_secs" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
at, secs = float(sys.argv[2]), float(sys.argv[3])
before, during = [], []
for i in d.get("intervals", []):
    s = i["sum"]
    # 1 s of margin after the flood's start: the sender needs a moment to get going.
    if 2 <= s["start"] and s["end"] <= at:
        before.append(s["bits_per_second"])
    elif at + 1 <= s["start"] and s["end"] <= at + secs:
        during.append(s["bits_per_second"])
if not before or not during:
    print("? ? ?")
else:
    b, x = sum(before) / len(before) / 1e6, sum(during) / len(during) / 1e6
    print("%.0f %.0f %.2f" % (b, x, x / b if b else 0))
PYEOF
}

# run_mode MODE ROUND: one daemon with syn_cookies = MODE; prints one result line.
run_mode()
{
	local mode=$1 round=$2 json=$EGW_OUT/iperf-$1-$2.json srv cli flood mid before during frac sent
	egw_topo_up
	# The spoofed sources sit behind the client as behind an inside router: they pass the
	# appliance's strict uRPF, and what it sends them goes to the client, which drops it.
	egw_conf "$EGW_OUT/egw.ini" "flows.syn_cookies=$mode" \
		"port inside.routes=$FLOOD_NET via $EGW_IP_CLI" "${extra[@]}"
	egw_start "$EGW_OUT/egw.ini"
	egw_bg "$EGW_NS_SRV" "$EGW_OUT/iperf-server.log" timeout $((seconds + 60)) \
		iperf3 -s -B "$EGW_IP_SRV" -p "$PORT"
	srv=$EGW_LAST_PID
	egw_wait_for 10 egw_listening tcp "$PORT" || egw_fail "iperf3 server did not start"
	egw_wait_path
	egw_bg "$EGW_NS_CLI" "$json" timeout $((seconds + 30)) \
		iperf3 -c "$EGW_IP_SRV" -p "$PORT" -t "$seconds" -i 1 -J
	cli=$EGW_LAST_PID
	sleep "$flood_at"
	egw_bg "$EGW_NS_CLI" "$EGW_OUT/flood-$mode-$round.log" timeout $((flood_secs + 5)) \
		"$EGW_PY" "$FLOOD" "$EGW_IF_CLI" "$EGW_MAC_CLI" "$EGW_MAC_GWIN" "$FLOOD_NET" \
		"$EGW_IP_SRV" "$PORT" "$flood_secs" "$flood_count"
	flood=$EGW_LAST_PID
	sleep $((flood_secs / 2))
	mid=$(stats) || mid="stats=?"
	wait "$flood" || true
	wait "$cli" || true
	read -r before during frac <<<"$(ratio "$json")"
	sent=$(cat "$EGW_OUT/flood-$mode-$round.log")
	printf '%-5s %5s %10s %10s %6s  %s  %s  load=%s\n' "$mode" "$round" "$before" "$during" \
		"$frac" "$sent" "$mid" \
		"$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$EGW_OUT/results.txt"
	egw_kill "$srv"
	egw_stop TERM
	egw_topo_down
}

printf '%-5s %5s %10s %10s %6s  %s\n' mode round "before_Mb/s" "during_Mb/s" ratio \
	"flood / stats in the flood's middle" | tee "$EGW_OUT/results.txt"
for ((r = 1; r <= rounds; r++)); do
	for m in ${modes//,/ }; do
		run_mode "$m" "$r"
	done
done
