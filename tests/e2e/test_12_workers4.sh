#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Four workers on two CPUs (lcores "(0-4)@(0-1)", idle_sleep_us = 50 so that oversubscribed
# workers yield): the curl / UDP / ping / pool-source checks of test_10 again.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_bin
egw_topo_up
egw_conf "$EGW_OUT/egw.ini" "dpdk.lcores=(0-4)@(0-1)" "dpdk.idle_sleep_us=50"
egw_start "$EGW_OUT/egw.ini"
egw_traffic_suite
if egw_real; then
	assert_eq "$(egw_info workers)" 4 "/egw/info workers"
fi
egw_stop
