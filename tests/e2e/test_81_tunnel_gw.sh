#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The tunnel service in the appliance (issue 15): the real egressgw with [tunnel] listeners on
# its inside address, between namespaces. curl -p -x http:// and --socks5-hostname to an
# allowed name (the body) and a denied one (403 / SOCKS refusal) decided by a hosts policy,
# curl -p -x https:// (TLS to the proxy) relaying an 8 MiB file intact; an inside address and
# the appliance's own refused (403);
# names resolved by dnsmasq through the data path; the upstream connections NATed with the
# policy's pool (the server sees only that address); the flow log names the host, the client
# and the transport; the policy counts the upstream flows; nothing leaks as unadmitted;
# /egw/tunnels counts requests per transport and result; with a users file, 407 without or
# with wrong credentials, the body with them (HTTP Basic, SOCKS5 RFC 1929, HTTP/2 CONNECT over
# TLS with python3-h2); 1,000 concurrent tunnels (echoed, the server sees only the pool).
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
for t in dnsmasq curl openssl; do command -v $t >/dev/null || egw_fail "missing $t"; done
$EGW_PY -c 'import h2, jsonschema' 2>/dev/null || egw_fail "missing python3-h2 or python3-jsonschema"
egw_topo_up
SPECIAL=198.51.100.20
HTTP=$EGW_IP_GWIN:3128 HTTPS=$EGW_IP_GWIN:3129 SOCKS=$EGW_IP_GWIN:1080
FLOWS=$EGW_OUT/flows.jsonl
rm -f "$FLOWS"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=egw-tunnel-test \
	-keyout "$EGW_OUT/tunnel.key" -out "$EGW_OUT/tunnel.pem" 2>/dev/null ||
	egw_fail "openssl could not make a certificate"
# Two workers (EGW_TUNNEL_LCORES=0-1: one): the tap has a queue pair per worker, upstream SYNs
# are handed to the worker their admission was queued to. SYN cookies on: the tunnel's own
# upstream handshakes are the kernel's and must never be answered with a cookie.
egw_policy_conf "$EGW_OUT/egw.ini" "dpdk.idle_sleep_us=50" "dpdk.lcores=${EGW_TUNNEL_LCORES:-(0-2)@(0-1)}" \
	"flows.syn_cookies=on" \
	"pool special.addresses=$SPECIAL" "pool special.ports=1024-65535" \
	"log.flow_log=$FLOWS" "tunnel.http=$HTTP" "tunnel.socks5=$SOCKS" "tunnel.https=$HTTPS" \
	"tunnel.tls_cert=$EGW_OUT/tunnel.pem" "tunnel.tls_key=$EGW_OUT/tunnel.key" \
	"tunnel.resolvers=$EGW_IP_SRV" "tunnel.connect_ms=5000"
egw_policy_file 10-tunnel.ini <<EOF2
[policy allowed-names]
sources = 198.18.0.0/24
hosts = *.allowed.test
protocol = tcp
action = allow
nat = special
EOF2

# --check creates the engine: a users file with a broken line is FILE:LINE.
printf 'alice:$6$salt$hash\nbob\n' >"$EGW_OUT/bad.users"
cp "$EGW_OUT/egw.ini" "$EGW_OUT/bad.ini"
printf 'users = %s\n' "$EGW_OUT/bad.users" >>"$EGW_OUT/bad.ini" # [tunnel] is the last section
out=$(ip netns exec $EGW_NS_GW "$EGW_BIN" -c "$EGW_OUT/bad.ini" --check 2>&1) && \
	egw_fail "--check accepted a bad users file: $out"
assert_contains "$out" "$EGW_OUT/bad.users:2: expected name:hash" "--check: users file error as FILE:LINE"
out=$(ip netns exec $EGW_NS_GW "$EGW_BIN" -c "$EGW_OUT/egw.ini" --check 2>&1) ||
	egw_fail "--check refused the test config: $out"
assert_contains "$out" "config OK" "--check with [tunnel]"

egw_bg $EGW_NS_SRV "$EGW_OUT/dnsmasq.log" dnsmasq --keep-in-foreground --no-resolv --no-hosts \
	--listen-address=$EGW_IP_SRV --bind-interfaces --pid-file= --user=root --log-queries \
	--address=/www.allowed.test/$EGW_IP_SRV --address=/www.denied.test/$EGW_IP_SRV
egw_http_start
egw_bg $EGW_NS_SRV "$EGW_OUT/echo.log" $EGW_PY "$EGW_E2E_DIR/tunnel_echo.py" $EGW_IP_SRV 7 \
	"$EGW_OUT/echo.peers"
egw_start "$EGW_OUT/egw.ini"
egw_wait_for 10 egw_in $EGW_NS_CLI bash -c "exec 3<>/dev/tcp/${HTTP%:*}/${HTTP#*:}" ||
	egw_fail "the HTTP CONNECT listener does not accept through the appliance"
B=$EGW_OUT/base
egw_baseline "$B"
cli() { egw_in $EGW_NS_CLI "$@"; }
URL=http://www.allowed.test:$EGW_HTTP_PORT/index.html

egw_log "== HTTP CONNECT"
body=$(cli curl -sS -p -x http://$HTTP --max-time 20 "$URL") || egw_fail "curl -x http:// allowed"
assert_contains "$body" "hello from egwsrv" "curl -p -x http:// to an allowed name: the body"
code=$(cli curl -s -o /dev/null -w '%{http_connect}' -p -x http://$HTTP --max-time 20 \
	http://www.denied.test:$EGW_HTTP_PORT/index.html) || true
assert_eq "$code" 403 "curl -p -x http:// to a name no policy allows: 403"
# Not a relay into the inside: an inside address, and the appliance itself, are refused.
for dst in $EGW_IP_CLI:22 $EGW_IP_GWOUT:80; do
	code=$(cli curl -s -o /dev/null -w '%{http_connect}' -p -x http://$HTTP --max-time 20 \
		http://$dst/) || true
	assert_eq "$code" 403 "curl -p -x http:// to $dst (inside network / the appliance): 403"
done
want=$(sha256sum <"$EGW_OUT/www/big.bin" | cut -d' ' -f1)
got=$(cli curl -sS -p -x https://$HTTPS --proxy-insecure --max-time 30 \
	http://www.allowed.test:$EGW_HTTP_PORT/big.bin | sha256sum | cut -d' ' -f1)
assert_eq "$got" "$want" "curl -p -x https:// (TLS to the proxy) relayed the 8 MiB file intact"

egw_log "== SOCKS5"
body=$(cli curl -sS --socks5-hostname $SOCKS --max-time 20 "$URL") ||
	egw_fail "curl --socks5-hostname allowed"
assert_contains "$body" "hello from egwsrv" "curl --socks5-hostname to an allowed name: the body"
rc=0
cli curl -sS --socks5-hostname $SOCKS --max-time 20 \
	http://www.denied.test:$EGW_HTTP_PORT/index.html >/dev/null 2>"$EGW_OUT/socks-denied.err" || rc=$?
assert_eq "$rc" 97 "curl --socks5-hostname to a denied name: the proxy refused (curl exit 97)"
assert_match "$(cat "$EGW_OUT/socks-denied.err")" "SOCKS5.*(not allowed|\(2\))" \
	"SOCKS5 reply 0x02 for the denied name"

egw_log "== 1,000 concurrent tunnels"
rm -f "$EGW_OUT/hold"
egw_bg $EGW_NS_CLI "$EGW_OUT/many.log" bash -c "ulimit -n 8192 && exec $EGW_PY \
	$EGW_E2E_DIR/tunnel_client.py many $HTTP www.allowed.test:7 1000 $EGW_OUT/hold"
many=$EGW_LAST_PID
egw_wait_for 60 grep -q '^open' "$EGW_OUT/many.log" || egw_fail "1000 tunnels did not open in 60 s"
assert_contains "$(cat "$EGW_OUT/many.log")" "open 1000 failed 0" "1000 tunnels opened and echoed"
tel=$(egw_tel /egw/tunnels) || egw_fail "no /egw/tunnels"
assert_numeq "$(egw_json_get /egw/tunnels.tunnels_current <<<"$tel")" 1000 "1000 upstream connections open"
touch "$EGW_OUT/hold"
egw_wait_for 30 grep -q closed "$EGW_OUT/many.log" || egw_fail "the tunnels did not close"
wait "$many"
peers=$(sort -u "$EGW_OUT/echo.peers" | tr '\n' ' ')
assert_eq "$peers" "$SPECIAL " "the echo server saw only the policy's pool address"

egw_log "== what the server and the appliance saw"
srcs=$(awk '/"GET /{print $1}' "$EGW_OUT/http.log" | sort -u | tr '\n' ' ')
assert_eq "$srcs" "$SPECIAL " "the server saw only the policy's pool address"
assert_policy_deltas "$B.pol.json" "allowed-names flows_allowed -eq 1003"
assert_stat_delta "$B.stats.json" drops.tunnel_unadmitted -eq 0
assert_stat_delta "$B.stats.json" drops.exception_unexpected -eq 0
egw_wait_for 10 test "$(grep -c '"event":"tunnel"' "$FLOWS" 2>/dev/null)" -ge 1007 ||
	egw_fail "tunnel records in the flow log: $(grep tunnel "$FLOWS")"
# The first record of each kind (awk reads the file itself: no pipe to break under pipefail).
first() { awk -v a="$1" -v b="$2" 'index($0, "\"event\":\"tunnel\"") && index($0, a) &&
	index($0, b) { print; exit }' "$FLOWS"; }
line=$(first '"tunnel":"http"' '"result":"allowed"')
assert_contains "$line" "\"server_name\":\"www.allowed.test\"" "flow log: the host"
assert_contains "$line" "\"src\":\"$EGW_IP_CLI\"" "flow log: the client's address"
assert_match "$line" '"sport":[1-9][0-9]*' "flow log: the client's port"
assert_contains "$line" '"policy":"allowed-names"' "flow log: the deciding policy"
line=$(first '"tunnel":"socks5"' '"result":"denied"')
assert_contains "$line" "\"server_name\":\"www.denied.test\"" "flow log: the denied SOCKS5 request"
assert_contains "$line" "www.denied.test is not allowed" "flow log: why it was denied"
# Every line, the data path's records of the upstream flows included, is valid against the
# documented schema.
out=$("$EGW_PY" - "$FLOWS" "$EGW_ROOT/docs/flowlog.schema.json" <<'PYEOF' 2>&1
import json, sys
import jsonschema
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[2])))
n = 0
for line in open(sys.argv[1]):
    v.validate(json.loads(line))
    n += 1
print(n)
PYEOF
) || egw_fail "flow log line not valid against docs/flowlog.schema.json: $out"
assert_ge "$out" 1010 "flow log lines valid against the schema (tunnel and flow records)"

egw_log "== /egw/tunnels (dpdk-telemetry.py)"
tel=$(egw_tel /egw/tunnels) || egw_fail "no /egw/tunnels"
for k in https.allowed socks5.allowed socks5.denied; do
	assert_numeq "$(egw_json_get "/egw/tunnels.$k" <<<"$tel")" 1 "/egw/tunnels $k"
done
assert_numeq "$(egw_json_get /egw/tunnels.http.allowed <<<"$tel")" 1001 "/egw/tunnels http.allowed"
assert_numeq "$(egw_json_get /egw/tunnels.http.denied <<<"$tel")" 3 "/egw/tunnels http.denied (a name, inside, ours)"
# the readiness probe, four curls, 1000 tunnels
assert_numeq "$(egw_json_get /egw/tunnels.http.clients_total <<<"$tel")" 1005 "/egw/tunnels http clients"
assert_numeq "$(egw_json_get /egw/tunnels.upstream_admitted <<<"$tel")" 1003 "/egw/tunnels upstream flows admitted"
assert_numeq "$(egw_json_get /egw/tunnels.admissions_dropped <<<"$tel")" 0 "/egw/tunnels admissions lost"
assert_ge "$(egw_json_get /egw/tunnels.https.bytes_down <<<"$tel")" 8388608 "/egw/tunnels https bytes relayed"
assert_ge "$(egw_json_get /egw/tunnels.exception_to_kernel <<<"$tel")" 8 "/egw/tunnels client packets to the kernel"
out=$(timeout 20 "$EGW_CTL_BIN" -s "$EGW_CTL_SOCK" -p "$EGW_PREFIX" tunnels 2>&1) ||
	egw_fail "egwctl tunnels: $out"
assert_match "$out" "socks5 +0 +2 +1 +1 +0 " "egwctl tunnels: socks5 row (clients now, in all, allowed, denied, failed)"
egw_stop

egw_log "== users: every request authenticates"
printf 'alice:%s\n' "$(openssl passwd -6 -salt 0123456789abcdef s3cret)" >"$EGW_OUT/tunnel.users"
printf 'users = %s\n' "$EGW_OUT/tunnel.users" >>"$EGW_OUT/egw.ini" # [tunnel] is the last section
egw_start "$EGW_OUT/egw.ini"
egw_wait_for 10 egw_in $EGW_NS_CLI bash -c "exec 3<>/dev/tcp/${HTTP%:*}/${HTTP#*:}" ||
	egw_fail "the HTTP CONNECT listener does not accept after the restart"
code=$(cli curl -s -o /dev/null -w '%{http_connect}' -p -x http://$HTTP --max-time 20 "$URL") || true
assert_eq "$code" 407 "without credentials: 407"
code=$(cli curl -s -o /dev/null -w '%{http_connect}' -p -x http://alice:wrong@$HTTP --max-time 20 \
	"$URL") || true
assert_eq "$code" 407 "a wrong password: 407"
body=$(cli curl -sS -p -x http://alice:s3cret@$HTTP --max-time 20 "$URL") ||
	egw_fail "curl -x http://alice:s3cret@"
assert_contains "$body" "hello from egwsrv" "HTTP CONNECT with Proxy-Authorization: the body"
body=$(cli curl -sS -x socks5h://alice:s3cret@$SOCKS --max-time 20 "$URL") ||
	egw_fail "curl -x socks5h://alice:s3cret@"
assert_contains "$body" "hello from egwsrv" "SOCKS5 with username/password (RFC 1929): the body"
# HTTP/2 CONNECT over TLS (ALPN h2), two streams, each with its own upstream flow.
idx=$(sha256sum <"$EGW_OUT/www/index.html" | cut -d' ' -f1)
out=$(cli $EGW_PY "$EGW_E2E_DIR/tunnel_client.py" h2 $HTTPS www.allowed.test:$EGW_HTTP_PORT \
	/index.html --tls --auth alice:s3cret --streams 2 2>&1) || egw_fail "h2 client: $out"
assert_eq "$(grep -c "^200 $idx" <<<"$out")" 2 "HTTP/2 CONNECT over TLS: two streams relayed the body"
egw_wait_for 10 grep -q '"tunnel":"socks5","result":"allowed".*"user":"alice"' "$FLOWS" ||
	egw_fail "no flow log record names the user: $(grep alice "$FLOWS")"
egw_ok "the flow log names the authenticated user"
egw_stop
egw_finish
