#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Malformed and undeliverable frames, injected with scapy from the client (inject_malformed.py,
# each case 3 times, to the appliance's MAC, towards 203.0.113.1): every drop reason involved
# must rise by exactly the number of frames sent for it, nothing may reach the server, and
# the appliance must still forward normal traffic afterwards (curl, SHA-256 compared).
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
egw_topo_up
egw_conf "$EGW_OUT/egw.ini"
egw_start "$EGW_OUT/egw.ini"
egw_http_start
egw_wait_path
sleep 1 # let the last echo replies and ARP settle before the baseline

cap=$EGW_OUT/srv.pcap
egw_capture_start $EGW_NS_SRV $EGW_IF_SRV "$cap" ip
cpid=$EGW_LAST_PID
base=$EGW_OUT/stats.before.json
egw_stats_save "$base"
N=3
ip netns exec $EGW_NS_CLI "$EGW_PY" "$EGW_E2E_DIR/inject_malformed.py" --iface $EGW_IF_CLI \
	--dst-mac $EGW_MAC_GWIN --count $N >"$EGW_OUT/injected.json" 2>"$EGW_OUT/inject.err" ||
	egw_fail "inject_malformed.py failed: $(cat "$EGW_OUT/inject.err")"
egw_log "injected ($N of each case): $("$EGW_PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["expected"])' "$EGW_OUT/injected.json")"

# Every reason: expected rise vs. actual rise, all reported before the verdict. Counters are
# aggregated asynchronously: poll (<= 5 s) until they match, then read once more 0.5 s later.
after=$EGW_OUT/stats.after.json
for ((i = 0; i < 25; i++)); do
	egw_stats_save "$after"
	"$EGW_PY" "$EGW_E2E_DIR/drop_delta.py" "$base" "$after" "$EGW_OUT/injected.json" --quiet && break
	sleep 0.2
done
sleep 0.5 # a late double count must show too
egw_stats_save "$after"
"$EGW_PY" "$EGW_E2E_DIR/drop_delta.py" "$base" "$after" "$EGW_OUT/injected.json" ||
	egw_fail "drop counters did not rise by exactly the frames sent (table above)"
egw_ok "every drop reason rose by exactly the number of frames sent for it"
egw_log "skipped cases: $("$EGW_PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["skipped"])' "$EGW_OUT/injected.json")"

egw_capture_stop "$cpid"
pkts=$(tcpdump -n -r "$cap" 2>/dev/null | wc -l)
assert_numeq "$pkts" 0 "IPv4 packets reaching the server while only malformed frames were sent"

egw_check_curl
egw_stop
