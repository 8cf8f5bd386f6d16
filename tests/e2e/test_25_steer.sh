#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Receive steering (issue 16, lib/net/steer.h): what each port's device is asked for, logged at
# start and shown in /egw/ports as rx_steering, on the devices this machine has.
#   - net_af_packet, 2 workers: a queue pair per worker filled by the kernel's fanout
#     ("fanout") on both ports; traffic still gets through and every worker reports its
#     handoffs in /egw/workers;
#   - net_tap, 2 workers: the inside port asks for RSS on the source address and port as an
#     rte_flow rule (tap offers no source-only hashing in its port configuration); where the
#     kernel refuses the rule (no BPF RSS) it keeps RSS on the full tuple ("rss"); the outside
#     port tries one masked destination-port rule per worker ("flow-port") and falls back to
#     the software handoff ("single") when the device refuses them;
#   - net_tap, 1 worker: nothing to steer ("single").
# And the receive offloads each port asks for (lib/net/rx_offload.h), shown as rx_offloads:
# neither device checks IPv4 header checksums in hardware (af_packet offers none, tap would
# check in software, L4 included), so "none" on both, with the reason in the log.
# The owner of inside endpoints ("owner" in /egw/ports, lib/net/rss_owner.h) is "nic-rss" only
# on a port steered rss-src/rss-src-flow whose key and RETA the device let us read; af_packet,
# a one-worker tap and an outside port keep the software hash.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
egw_topo_up

# steering PORT: rx_steering of /egw/ports port PORT (p0 inside, p1 outside)
steering()
{
	egw_tel /egw/ports | egw_json_get "/egw/ports.ports.$1.rx_steering"
}

# offloads PORT: rx_offloads of /egw/ports port PORT
offloads()
{
	egw_tel /egw/ports | egw_json_get "/egw/ports.ports.$1.rx_offloads"
}

# assert_offloads WHAT WHY: both ports ask for no receive offload, and the log says WHY
assert_offloads()
{
	assert_eq "$(offloads p0)" none "/egw/ports inside rx_offloads ($1)"
	assert_eq "$(offloads p1)" none "/egw/ports outside rx_offloads ($1)"
	grep -q "\[port inside\] rx offloads: none (offered 0x[0-9a-f]*): .*$2" "$EGW_LOG" ||
		egw_fail "log has no '[port inside] rx offloads: none ...$2': $(grep offloads "$EGW_LOG")"
	egw_ok "log: rx offloads none ($1)"
}

# owner PORT: owner of /egw/ports port PORT
owner()
{
	egw_tel /egw/ports | egw_json_get "/egw/ports.ports.$1.owner"
}

# assert_logged PORT MODE: the start log names MODE for PORT
assert_logged()
{
	grep -qF "[port $1] receive steering: $2" "$EGW_LOG" ||
		egw_fail "log has no '[port $1] receive steering: $2': $(grep steering "$EGW_LOG")"
	egw_ok "log: port $1 steered as $2"
}

# 1. af_packet, two workers
egw_conf "$EGW_OUT/afp.ini" "dpdk.lcores=(0-2)@(0-1)"
egw_start "$EGW_OUT/afp.ini"
assert_eq "$(steering p0)" fanout "/egw/ports inside rx_steering (af_packet)"
assert_eq "$(steering p1)" fanout "/egw/ports outside rx_steering (af_packet)"
assert_logged inside "fanout, 2 RX queue(s)"
assert_logged outside "fanout, 2 RX queue(s)"
assert_offloads af_packet "does not check IPv4 header checksums"
assert_eq "$(owner p0)" software "/egw/ports inside owner (af_packet)"
assert_eq "$(owner p1)" software "/egw/ports outside owner (af_packet)"
grep -qF "[port inside] owner of inside endpoints: software" "$EGW_LOG" ||
	egw_fail "the inside port's owner function not logged"
egw_http_start
egw_wait_path
egw_check_curl
workers=$(egw_tel /egw/workers)
for w in w0 w1; do
	assert_num "$(printf '%s' "$workers" | egw_json_get "/egw/workers.workers.$w.handoffs_out")" \
		"/egw/workers $w handoffs_out"
	assert_num "$(printf '%s' "$workers" | egw_json_get "/egw/workers.workers.$w.handoffs_in")" \
		"/egw/workers $w handoffs_in"
	# af_packet gives no RSS hash: nothing to check, nothing can disagree.
	assert_eq "$(printf '%s' "$workers" |
		egw_json_get "/egw/workers.workers.$w.rss_hash_mismatch")" 0 \
		"/egw/workers $w rss_hash_mismatch"
done
egw_stop

# 2. net_tap, two workers (the tap interfaces live in the appliance's namespace)
tap=("port inside.device=net_tap0,iface=${EGW_N}ti" "port outside.device=net_tap1,iface=${EGW_N}to")
egw_conf "$EGW_OUT/tap2.ini" "dpdk.lcores=(0-2)@(0-1)" "${tap[@]}"
egw_start "$EGW_OUT/tap2.ini"
in=$(steering p0)
out=$(steering p1)
assert_match "$in" '^(rss|rss-src-flow)$' "/egw/ports inside rx_steering (tap, 2 workers)"
assert_match "$out" '^(single|flow-port)$' "/egw/ports outside rx_steering (tap, 2 workers)"
assert_logged inside "$in, 2 RX queue(s)"
assert_logged outside "$out, 2 RX queue(s)"
assert_offloads tap "checks checksums in software"
# tap's RSS is a BPF program: nic-rss only where the device let its key and RETA be read,
# and the log says which either way.
in_owner=$(owner p0)
assert_eq "$(owner p1)" software "/egw/ports outside owner (tap, 2 workers)"
if [[ $in == rss-src-flow && $in_owner == nic-rss ]]; then
	grep -q '\[port inside\] owner of inside endpoints: nic-rss' "$EGW_LOG" ||
		egw_fail "nic-rss owner not logged"
elif [[ $in == rss-src-flow ]]; then
	assert_eq "$in_owner" software "/egw/ports inside owner (tap, RSS not readable)"
	grep -q '\[port inside\] RSS key and RETA not usable' "$EGW_LOG" ||
		egw_fail "software owner of an rss-src-flow port without a reason"
else
	assert_eq "$in_owner" software "/egw/ports inside owner (tap, $in)"
fi
egw_ok "inside owner: $in_owner ($in)"
if [[ $out == single ]]; then
	grep -q '\[port outside\] flow-port rules refused' "$EGW_LOG" ||
		egw_fail "outside fell back without saying why"
fi
egw_stop

# 3. net_tap, one worker
egw_conf "$EGW_OUT/tap1.ini" "${tap[@]}"
egw_start "$EGW_OUT/tap1.ini"
assert_eq "$(steering p0)" single "/egw/ports inside rx_steering (tap, 1 worker)"
assert_eq "$(steering p1)" single "/egw/ports outside rx_steering (tap, 1 worker)"
assert_logged inside "single, 1 RX queue(s): one worker"
assert_eq "$(owner p0)" software "/egw/ports inside owner (tap, 1 worker)"
# latency is off unless asked for ([metrics] latency)
assert_eq "$(egw_tel /egw/latency | egw_json_get /egw/latency.enabled)" 0 "/egw/latency off"
egw_stop
egw_ok "receive steering as the devices allow"
