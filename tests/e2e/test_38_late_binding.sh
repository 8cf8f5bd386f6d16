#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Late binding (issue 12), mode policy, the real daemon between namespaces. Host rules on one
# destination address and port send different names out of different pools, so the appliance
# binds late (host_binding = auto): it answers the client's handshake with a SYN cookie, reads
# the name, and only then opens the upstream connection from the chosen pool.
# - curl --resolve partner.example and www.example (TLS, 203.0.113.1:443): the server sees
#   partner.example from the special pool (198.51.100.20), www.example from the default pool;
# - evil.example (no rule): the client is reset, and a capture on the server side shows no
#   SYN from the appliance at all;
# - a 4 MiB download (HTTP, Host big.example, special pool) through a late-bound, spliced flow
#   with 2% loss injected each way on the server side and on the way into the client:
#   retransmissions and the client's SACK blocks cross the splice, the SHA-256 matches; the client offers timestamps and window scaling (Linux);
# - visible: egwctl flows (nat,late), /egw/flows (binding late, both sequence offsets), the
#   flow log (binding late, valid against docs/flowlog.schema.json);
# - upstream failures reflected to the client as a RST, counted per reason: the server's RST
#   (nothing listens on 444), an ICMP host unreachable (445), no answer (446, host_timeout 3);
# - [flows] syn_cookies = on (restarted): a flow no host rule decides (a tuple policy, HTTP on
#   8081) gets a cookie, its upstream connection opened at the client's ACK and spliced.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
egw_topo_up
SPECIAL=198.51.100.20
FLOWLOG=$EGW_OUT/flows.jsonl
rm -f "$FLOWLOG"
egw_policy_conf "$EGW_OUT/egw.ini" "dpdk.idle_sleep_us=50" "log.flow_log=$FLOWLOG" \
	"pool special.addresses=$SPECIAL" "pool special.ports=1024-65535" \
	"egress.host_timeout=3" "flows.tcp_close=600" "flows.tcp_time_wait=600"
egw_policy_file 10-late.ini <<EOF
[policy partner]
destinations = $EGW_IP_SRV
ports = 443
protocol = tls
hosts = partner.example
action = allow
nat = special
log = yes

[policy general]
destinations = $EGW_IP_SRV
ports = 443
protocol = tls
hosts = www.example
action = allow

[policy big]
destinations = $EGW_IP_SRV
ports = $EGW_HTTP_PORT
protocol = http
hosts = big.example
action = allow
nat = special

[policy small]
destinations = $EGW_IP_SRV
ports = $EGW_HTTP_PORT
protocol = http
hosts = small.example
action = allow

[policy up-a]
destinations = $EGW_IP_SRV
ports = 444-446
protocol = tls
hosts = up.example
action = allow
nat = special

[policy up-b]
destinations = $EGW_IP_SRV
ports = 444-446
protocol = tls
hosts = other.example
action = allow

[policy plain]
destinations = $EGW_IP_SRV
ports = 8081
protocol = tcp
action = allow

[policy ping]
protocol = icmp
action = allow
EOF
egw_start "$EGW_OUT/egw.ini"
egw_http_start
head -c $((4 * 1024 * 1024)) /dev/urandom >"$EGW_OUT/www/late.bin"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=egw-e2e -keyout "$EGW_OUT/key.pem" \
	-out "$EGW_OUT/cert.pem" >/dev/null 2>&1 || egw_fail "openssl req"
# The TLS server answers every request with the SNI and the address it came from.
egw_bg $EGW_NS_SRV "$EGW_OUT/tls.log" "$EGW_PY" -u "$EGW_E2E_DIR/tls_serve.py" $EGW_IP_SRV 443 \
	"$EGW_OUT/cert.pem" "$EGW_OUT/key.pem" peer
egw_wait_for 10 egw_listening tcp 443 || egw_fail "TLS server did not start: $(cat "$EGW_OUT/tls.log")"
egw_wait_path
B=$EGW_OUT/base

# tls_name NAME: curl https://NAME/ resolved to the server: "SNI SOURCE" or "failed".
tls_name() { egw_curl $EGW_NS_CLI "https://$1/" -k --resolve "$1:443:$EGW_IP_SRV" || echo failed; }

# --- 1. one address and port, two names, two pools
egw_baseline "$B"
ccap=$EGW_OUT/cli-syn.pcap
egw_capture_start $EGW_NS_CLI $EGW_IF_CLI "$ccap" "tcp dst port 443 and tcp[tcpflags] & tcp-syn != 0"
ccpid=$EGW_LAST_PID
out=$(tls_name partner.example)
assert_eq "$out" "partner.example $SPECIAL" "partner.example leaves from the special pool"
out=$(tls_name www.example)
assert_match "$out" "^www\.example 198\.51\.100\.1[0-3]$" "www.example leaves from the default pool"
egw_capture_stop "$ccpid"
syn=$(tcpdump -n -v -r "$ccap" 2>/dev/null | tr '\n' ' ')
assert_match "$syn" "wscale [0-9]+" "the client's SYN offers window scaling"
assert_match "$syn" "TS val [0-9]+" "the client's SYN offers timestamps"
assert_stat_delta "$B.stats.json" late_cookies_sent -ge 2
assert_stat_delta "$B.stats.json" late_spliced -eq 2
assert_policy_deltas "$B.pol.json" "partner flows_allowed -eq 1" "general flows_allowed -eq 1"
out=$(timeout 10 "$EGW_CTL_BIN" -c "$EGW_OUT/egw.ini" flows host=partner.example 2>&1)
egw_log "egwctl flows host=partner.example:"$'\n'"$out"
assert_match "$out" "partner\.example +$SPECIAL:[0-9]+ .* nat,late " "egwctl flows: partner.example bound late"
fl=$(egw_tel "/egw/flows,host=partner.example") || egw_fail "no /egw/flows"
assert_eq "$(printf '%s' "$fl" | egw_json_get /egw/flows.flows.f0.binding)" late "/egw/flows binding"
in=$(printf '%s' "$fl" | egw_json_get /egw/flows.flows.f0.seq_offset_in)
outo=$(printf '%s' "$fl" | egw_json_get /egw/flows.flows.f0.seq_offset_out)
assert_numeq $(((in + outo) % 4294967296)) 0 "/egw/flows: the two sequence offsets ($in, $outo) cancel"

# --- 2. a denied name never reaches the server
egw_baseline "$B"
scap=$EGW_OUT/srv-syn.pcap
egw_capture_start $EGW_NS_SRV $EGW_IF_SRV "$scap" "tcp port 443 and tcp[tcpflags] & tcp-syn != 0"
spid=$EGW_LAST_PID
t0=$(date +%s%N)
out=$(tls_name evil.example)
t1=$(date +%s%N)
egw_capture_stop "$spid"
assert_eq "$out" failed "curl to evil.example fails"
assert_match "$(cat "$EGW_OUT/curl.err")" "reset|SSL_ERROR_SYSCALL|Connection" "curl's error is the reset"
assert_le $(((t1 - t0) / 1000000)) 2000 "the denied client fails at once (ms)"
assert_numeq "$(egw_pcap_count "$scap" "tcp[tcpflags] & tcp-syn != 0")" 0 \
	"SYNs the server saw for the denied name"
assert_stat_delta "$B.stats.json" late_denied -eq 1
assert_stat_delta "$B.stats.json" drops.host_denied -ge 1
assert_stat_delta "$B.stats.json" late_syns_sent -eq 0

# --- 3. a large download through the splice, with loss
egw_baseline "$B"
dcap=$EGW_OUT/cli-dl.pcap
egw_capture_start $EGW_NS_CLI $EGW_IF_CLI "$dcap" "tcp port $EGW_HTTP_PORT"
dpid=$EGW_LAST_PID
scap=$EGW_OUT/srv-dl.pcap
egw_capture_start $EGW_NS_SRV $EGW_IF_SRV "$scap" "tcp port $EGW_HTTP_PORT"
spid=$EGW_LAST_PID
egw_loss_start 2
# The server's own losses are its output hook's (its stack retransmits them before any gap is
# seen); losses on the way into the client make gaps it reports with SACK blocks, which the
# splice rewrites toward the server.
egw_in $EGW_NS_CLI nft -f - <<EOF || egw_fail "nftables loss rule in the client"
table inet ${EGW_N}cliloss {
	chain in { type filter hook prerouting priority -300; tcp sport $EGW_HTTP_PORT numgen random mod 100 < 2 counter drop; }
}
EOF
rm -f "$EGW_OUT/late.out"
ip netns exec $EGW_NS_CLI curl --noproxy '*' -sS --fail --connect-timeout 10 --max-time 60 \
	--resolve "big.example:$EGW_HTTP_PORT:$EGW_IP_SRV" -o "$EGW_OUT/late.out" \
	"http://big.example:$EGW_HTTP_PORT/late.bin" 2>"$EGW_OUT/curl.err" ||
	egw_fail "download through the late-bound flow: $(cat "$EGW_OUT/curl.err")"
lost=$(egw_loss_stop)
egw_in $EGW_NS_CLI nft delete table inet ${EGW_N}cliloss
egw_capture_stop "$dpid"
egw_capture_stop "$spid"
assert_ge "$lost" 5 "packets the loss rules dropped during the download"
# The client's SACK blocks reached the server through the splice (the server retransmitted
# what they showed missing; the SHA-256 below proves the bytes).
assert_ge "$(tcpdump -n -r "$dcap" "src host $EGW_IP_CLI" 2>/dev/null | grep -c "sack [0-9] {")" 1 \
	"client segments with SACK blocks during the download"
# ... and reached the server in its own sequence space (every block within the data it sent),
# the client's timestamp echoes in its clock (each one a TSval the server sent).
out=$(tcpdump -S -n -r "$scap" 2>/dev/null | "$EGW_PY" -c '
import re, sys
srv = sys.argv[1]
isn, blocks, bad, sent, echoes, strange = None, 0, 0, set(), 0, 0
for line in sys.stdin:
    m = re.search(r"Flags \[S\.\], seq (\d+)", line)
    if m:
        isn = int(m.group(1))
    ts = re.search(r"TS val (\d+) ecr (\d+)", line)
    if " %s." % srv in line.split(">")[0]:
        if ts:
            sent.add(int(ts.group(1)))
        continue
    if ts and int(ts.group(2)):
        echoes += 1
        strange += int(ts.group(2)) not in sent
    for a, b in re.findall(r"\{(\d+):(\d+)\}", line):
        blocks += 1
        lo, hi = (int(a) - isn) % 2**32, (int(b) - isn) % 2**32
        bad += not (0 < lo < hi <= 5 * 2**20)
print("%d SACK blocks, %d outside the server space; %d TS echoes, %d not the server TSval"
      % (blocks, bad, echoes, strange))
sys.exit(0 if blocks and not bad and echoes and not strange and isn is not None else 1)
' $EGW_IP_SRV) || egw_fail "at the server: $out"
egw_ok "at the server: $out"
assert_eq "$(sha256sum <"$EGW_OUT/late.out" | cut -d' ' -f1)" \
	"$(sha256sum <"$EGW_OUT/www/late.bin" | cut -d' ' -f1)" "SHA-256 of the 4 MiB download"
src=$(awk '/"GET \/late.bin/{print $1}' "$EGW_OUT/http.log" | sort -u | tr '\n' ' ')
assert_eq "$src" "$SPECIAL " "the HTTP server saw big.example from the special pool"
assert_stat_delta "$B.stats.json" late_spliced -eq 1
assert_stat_delta "$B.stats.json" drops.tcp_out_of_window -eq 0

# --- 4. upstream failures: the client is reset, counted per reason
egw_in $EGW_NS_SRV nft -f - <<EOF || egw_fail "nftables rules for 445/446"
table inet ${EGW_N}late {
	chain in { type filter hook input priority 0; tcp dport 445 reject with icmp type host-unreachable; tcp dport 446 drop; }
}
EOF
egw_baseline "$B"
up() { egw_curl $EGW_NS_CLI "https://up.example:$1/" -k --resolve "up.example:$1:$EGW_IP_SRV" || echo failed; }
for port in 444 445 446; do
	t0=$(date +%s%N)
	assert_eq "$(up $port)" failed "up.example:$port fails"
	t1=$(date +%s%N)
	assert_match "$(cat "$EGW_OUT/curl.err")" "reset|SSL_ERROR_SYSCALL|Connection" \
		"up.example:$port: curl's error is the reset ($(((t1 - t0) / 1000000)) ms)"
done
egw_in $EGW_NS_SRV nft delete table inet ${EGW_N}late
assert_stat_delta "$B.stats.json" late_upstream_rst -eq 1
assert_stat_delta "$B.stats.json" late_upstream_unreachable -eq 1
assert_stat_delta "$B.stats.json" late_upstream_timeout -eq 1
assert_stat_delta "$B.stats.json" drops.late_upstream_failed -ge 2
egw_stop
"$EGW_PY" - "$FLOWLOG" "$EGW_ROOT/docs/flowlog.schema.json" <<'PYEOF' || egw_fail "flow log check"
import json, sys, jsonschema
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[2])))
recs = [json.loads(l) for l in open(sys.argv[1])]
for r in recs:
    v.validate(r)
late = [r for r in recs if r["event"] == "start" and r.get("binding") == "late"
        and r.get("server_name") == "partner.example" and r.get("nat_src") == "198.51.100.20"]
deny = [r for r in recs if r["event"] == "deny" and r.get("server_name") == "evil.example"]
print("%d records, all valid; late start of partner.example: %d, deny of evil.example: %d"
      % (len(recs), len(late), len(deny)))
sys.exit(0 if late and deny else 1)
PYEOF
egw_ok "the flow log says binding late"

# --- 5. syn_cookies = on: every new TCP flow's handshake is the appliance's
sed -i 's/^\[flows\]$/[flows]\nsyn_cookies = on/' "$EGW_OUT/egw.ini"
grep -q "^syn_cookies = on" "$EGW_OUT/egw.ini" || egw_fail "no [flows] section to set syn_cookies in"
egw_start "$EGW_OUT/egw.ini"
egw_http_serve $EGW_NS_SRV $EGW_IP_SRV 8081 "$EGW_OUT/www" http8081
egw_wait_path
egw_baseline "$B"
egw_curl $EGW_NS_CLI "http://$EGW_IP_SRV:8081/index.html" -o "$EGW_OUT/index.out" ||
	egw_fail "HTTP to 8081 with syn_cookies = on: $(cat "$EGW_OUT/curl.err")"
assert_contains "$(cat "$EGW_OUT/index.out")" "hello from egwsrv" "HTTP to 8081 with syn_cookies = on"
assert_stat_delta "$B.stats.json" late_cookies_sent -ge 1
assert_stat_delta "$B.stats.json" late_spliced -eq 1
assert_stat_ge syn_cookie_mode 1
assert_policy_deltas "$B.pol.json" "plain flows_allowed -eq 1"
egw_stop
egw_finish
