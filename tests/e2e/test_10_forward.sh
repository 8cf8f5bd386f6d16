#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# One worker (lcores 0-1), mode passthrough: curl of an 8 MiB file (SHA-256 compared), UDP
# request/response with ncat, ping through the NAT; the server sees only one pool address;
# /egw/stats and /egw/info agree with what was sent and configured.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_bin
egw_topo_up
egw_conf "$EGW_OUT/egw.ini"
egw_start "$EGW_OUT/egw.ini"
egw_traffic_suite
if egw_real; then
	assert_eq "$(egw_info mode)" passthrough "/egw/info mode"
	assert_eq "$(egw_info workers)" 1 "/egw/info workers"
	assert_eq "$(egw_info config_path)" "$EGW_CONF" "/egw/info config_path"
	assert_eq "$(egw_info config_sha256)" "$(sha256sum <"$EGW_CONF" | cut -d' ' -f1)" \
		"/egw/info config_sha256"
	assert_stat_ge flows_active 1
fi
egw_stop
