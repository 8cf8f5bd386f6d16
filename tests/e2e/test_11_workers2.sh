#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Two workers on the two CPUs (lcores "(0-2)@(0-1)": control thread + 2 workers): the curl /
# UDP / ping / pool-source checks of test_10 again. Both directions of every flow must meet
# on one worker (software handoff), so nothing may be lost or left untranslated.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_bin
egw_topo_up
egw_conf "$EGW_OUT/egw.ini" "dpdk.lcores=(0-2)@(0-1)"
egw_start "$EGW_OUT/egw.ini"
egw_traffic_suite
if egw_real; then
	assert_eq "$(egw_info workers)" 2 "/egw/info workers"
fi
egw_stop
