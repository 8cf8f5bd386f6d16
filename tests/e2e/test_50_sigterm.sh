#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Graceful stop: SIGTERM in the middle of a download exits 0 with every mbuf returned
# (mbufs_in_use=0); the appliance then starts again on the same ports and file prefix,
# forwards, and SIGINT stops it the same way. No process is left in the appliance namespace.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
egw_topo_up
egw_conf "$EGW_OUT/egw.ini" "dpdk.lcores=(0-2)@(0-1)"
egw_start "$EGW_OUT/egw.ini"
egw_http_start
egw_wait_path

# traffic in flight: a rate-limited download and a fast ping, both through the appliance
egw_bg $EGW_NS_CLI "$EGW_OUT/curl-slow.log" curl --noproxy '*' -sS --limit-rate 1M --max-time 60 \
	-o /dev/null "http://$EGW_IP_SRV:$EGW_HTTP_PORT/big.bin"
curl_pid=$EGW_LAST_PID
egw_bg $EGW_NS_CLI "$EGW_OUT/ping-fast.log" ping -n -i 0.01 -c 2000 -W 1 $EGW_IP_SRV
ping_pid=$EGW_LAST_PID
sleep 2
kill -0 "$curl_pid" 2>/dev/null || egw_fail "the download ended before the stop: $(cat "$EGW_OUT/curl-slow.log")"
assert_stat_ge flows_active 2
egw_stop TERM
egw_kill "$curl_pid"
egw_kill "$ping_pid"
assert_eq "$(ip netns pids $EGW_NS_GW | wc -w)" 0 "processes left in $EGW_NS_GW after the stop"

egw_start "$EGW_OUT/egw.ini"
egw_wait_path
egw_check_curl
egw_stop INT
assert_eq "$(ip netns pids $EGW_NS_GW | wc -w)" 0 "processes left in $EGW_NS_GW after the stop"
