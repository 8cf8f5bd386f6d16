#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# TCP window tracking (issue 13, [flows] tcp_window_check = yes, the default):
#   - a long transfer with 2% loss each way (nftables in the server namespace drops at random,
#     so the sender retransmits, the receiver sends duplicate and SACK ACKs, windows scale)
#     completes intact (curl of 8 MiB, SHA-256 compared) and no segment of it is refused:
#     tcp_out_of_window stays 0;
#   - on a live connection (tcp_window_probe.py), scapy-spoofed segments as if from the
#     server: out-of-window RSTs and data are dropped and counted, never reach the client, and
#     the flow stays established and working; a RST in window but not at rcv.nxt reaches the
#     client (RFC 5961: it answers with a challenge ACK) and ends nothing; a RST at the
#     client's rcv.nxt resets the connection and the flow is closed.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
egw_topo_up
egw_conf "$EGW_OUT/egw.ini"
egw_start "$EGW_OUT/egw.ini"
egw_http_start
egw_wait_path
assert_eq "$(egw_conf_get "$EGW_OUT/egw.ini" flows tcp_window_check)" "" \
	"tcp_window_check left at its default (yes)"

# 2% of the HTTP segments lost each way, before and after the server's stack.
egw_loss_start 2
base=$EGW_OUT/stats.before.json
egw_stats_save "$base"
egw_check_curl
lost=$(egw_loss_stop)
egw_log "segments dropped by the loss rules: $lost"
assert_ge "$lost" 10 "packets the loss rules dropped during the 8 MiB transfer"
assert_stat_delta "$base" drops.tcp_out_of_window -eq 0

# Spoofed segments against a live connection.
egw_stats_save "$base"
out=$(timeout 60 "$EGW_PY" "$EGW_E2E_DIR/tcp_window_probe.py" --cli-ns $EGW_NS_CLI \
	--srv-ns $EGW_NS_SRV --cli-if $EGW_IF_CLI --srv-if $EGW_IF_SRV --server $EGW_IP_SRV \
	--gw-mac $EGW_MAC_GWOUT --srv-mac $EGW_MAC_SRV --prefix "$EGW_PREFIX" \
	2>"$EGW_OUT/probe.err") || egw_fail "tcp_window_probe.py failed: $(cat "$EGW_OUT/probe.err")"
egw_log "probe: $out"
get() { printf '%s' "$out" | egw_json_get "steps.$1"; }
assert_eq "$(get before.flow_state)" established "the probe connection's flow before the probes"
assert_numeq "$(get oow_rst.reached_client)" 0 "out-of-window RSTs reaching the client"
assert_eq "$(get oow_rst.flow_state)" established "flow state after two out-of-window RSTs"
assert_eq "$(get oow_rst.echo_ok)" True "the connection after two out-of-window RSTs"
assert_numeq "$(get oow_data.reached_client)" 0 "out-of-window data reaching the client"
assert_eq "$(get oow_data.echo_ok)" True "the connection after out-of-window data"
assert_numeq "$(get inwin_rst.reached_client)" 1 "in-window RST (not at rcv.nxt) reaching the client"
assert_eq "$(get inwin_rst.flow_state)" established "flow state after an in-window RST"
assert_eq "$(get inwin_rst.echo_ok)" True "the connection after an in-window RST"
assert_numeq "$(get exact_rst.reached_client)" 1 "RST at rcv.nxt reaching the client"
assert_eq "$(get exact_rst.client)" reset "the client's socket after the RST at rcv.nxt"
assert_eq "$(get exact_rst.flow_state)" closed "flow state after the RST at rcv.nxt"
assert_stat_delta "$base" drops.tcp_out_of_window -eq 3

egw_check_ping
egw_stop
