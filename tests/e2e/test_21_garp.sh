#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Gratuitous ARP at start: captures on the client and server sides, started before the
# daemon, must each hold a gratuitous ARP for the port address from the port's MAC.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
egw_topo_up
egw_capture_start $EGW_NS_CLI $EGW_IF_CLI "$EGW_OUT/cli-arp.pcap" arp
cli_cap=$EGW_LAST_PID
egw_capture_start $EGW_NS_SRV $EGW_IF_SRV "$EGW_OUT/srv-arp.pcap" arp
srv_cap=$EGW_LAST_PID
egw_conf "$EGW_OUT/egw.ini"
egw_start "$EGW_OUT/egw.ini"
sleep 3
egw_capture_stop "$cli_cap"
egw_capture_stop "$srv_cap"
out=$("$EGW_PY" "$EGW_E2E_DIR/pcaptool.py" garp "$EGW_OUT/cli-arp.pcap" --ip $EGW_IP_GWIN \
	--mac $EGW_MAC_GWIN 2>&1) || egw_fail "inside: $out"
egw_ok "inside $out"
out=$("$EGW_PY" "$EGW_E2E_DIR/pcaptool.py" garp "$EGW_OUT/srv-arp.pcap" --ip $EGW_IP_GWOUT \
	--mac $EGW_MAC_GWOUT 2>&1) || egw_fail "outside: $out"
egw_ok "outside $out"
egw_stop
