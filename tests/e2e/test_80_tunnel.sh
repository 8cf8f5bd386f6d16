#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The tunnel engine (lib/tunnel) through tools/tunnel_demo, with real clients, between
# namespaces: client (198.18.0.2) -> tunnel_demo in the gateway namespace (198.18.0.1, and
# 203.0.113.2 outside; no IP forwarding) -> server (203.0.113.1: HTTP, echo, dnsmasq).
# HTTP/1.1 CONNECT (curl -p -x http://, -x https:// --proxy-insecure), SOCKS5 (curl
# --socks5-hostname), HTTP/2 CONNECT over TLS (ALPN h2) and cleartext (python3-h2); denied,
# inside, unknown and closed destinations; users; garbage on every listener; a slow client;
# 1,000 concurrent tunnels and the memory after them; the server only ever sees 203.0.113.2.
set -u -o pipefail
source "$(dirname "$0")/lib.sh"

DEMO=${EGW_TUNNEL_DEMO:-$(dirname "$EGW_BIN")/../../tools/tunnel_demo/tunnel_demo}
[[ -x $DEMO ]] || DEMO=$EGW_ROOT/build/tools/tunnel_demo/tunnel_demo
CLIENT=$EGW_E2E_DIR/tunnel_client.py
GW=$EGW_IP_GWIN
HTTP=$GW:3128 HTTPS=$GW:3129 SOCKS=$GW:1080
URL=http://www.allowed.test:$EGW_HTTP_PORT/blob
DEMO_PID=
DEMO_N=0
DEMO_LOG=

egw_init
[[ -x $DEMO ]] || egw_fail "tunnel_demo not built ($DEMO)"
for t in dnsmasq openssl; do command -v $t >/dev/null || egw_fail "missing $t"; done
$EGW_PY -c 'import h2' 2>/dev/null || egw_fail "missing python3-h2"
egw_topo_up
ip -n $EGW_NS_GW addr add $EGW_IP_GWIN/24 dev $EGW_IF_GWIN
ip -n $EGW_NS_GW addr add $EGW_IP_GWOUT/24 dev $EGW_IF_GWOUT
ip netns exec $EGW_NS_GW sysctl -qw net.ipv4.ip_forward=0
ip -n $EGW_NS_SRV route add 198.18.0.0/15 via $EGW_IP_GWOUT
# 203.0.113.98 answers ARP but its SYN-ACKs go nowhere: a connect that times out.
# 203.0.113.99 is nobody: no ARP answer, the connect fails with EHOSTUNREACH.
ip -n $EGW_NS_SRV addr add 203.0.113.98/32 dev $EGW_IF_SRV
ip -n $EGW_NS_SRV rule add from 203.0.113.98 table 98
ip -n $EGW_NS_SRV route add blackhole default table 98

# The server: a 1 MiB file over HTTP, an echo service, names.
mkdir -p "$EGW_OUT/www"
head -c 1048576 /dev/urandom >"$EGW_OUT/www/blob"
want=$(sha256sum <"$EGW_OUT/www/blob" | cut -d' ' -f1)
egw_bg $EGW_NS_SRV "$EGW_OUT/http.log" $EGW_PY -m http.server $EGW_HTTP_PORT \
	--bind $EGW_IP_SRV --directory "$EGW_OUT/www"
egw_bg $EGW_NS_SRV "$EGW_OUT/echo.log" $EGW_PY "$EGW_E2E_DIR/tunnel_echo.py" $EGW_IP_SRV 7 \
	"$EGW_OUT/echo.peers"
egw_bg $EGW_NS_SRV "$EGW_OUT/dnsmasq.log" dnsmasq --keep-in-foreground --no-resolv --no-hosts \
	--listen-address=$EGW_IP_SRV --bind-interfaces --pid-file= --user=root --log-queries \
	--address=/www.allowed.test/$EGW_IP_SRV --address=/www.denied.test/$EGW_IP_SRV \
	--address=/inside.allowed.test/$EGW_IP_CLI --address=/nx.allowed.test/ \
	--address=/unreach.allowed.test/203.0.113.99 --address=/slow.allowed.test/203.0.113.98
egw_wait_for 10 egw_in $EGW_NS_SRV bash -c "exec 3<>/dev/tcp/$EGW_IP_SRV/$EGW_HTTP_PORT" ||
	egw_fail "HTTP server did not start"

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=egw-tunnel-test \
	-keyout "$EGW_OUT/tunnel.key" -out "$EGW_OUT/tunnel.pem" 2>/dev/null ||
	egw_fail "openssl could not make a certificate"

demo_start() # extra options...
{
	DEMO_N=$((DEMO_N + 1))
	DEMO_LOG=$EGW_OUT/demo.$DEMO_N.log # one per start: an old "ready" must not count
	egw_bg $EGW_NS_GW "$DEMO_LOG" "$DEMO" --http $HTTP --https $HTTPS --socks5 $SOCKS \
		--cert "$EGW_OUT/tunnel.pem" --key "$EGW_OUT/tunnel.key" --resolver $EGW_IP_SRV \
		--allow '*.allowed.test' --refuse 198.18.0.0/15 --flows "$EGW_OUT/flows.json" \
		--stats "$EGW_OUT/stats" --max-buffers 4096 --source $EGW_IP_GWOUT "$@"
	DEMO_PID=$EGW_LAST_PID
	egw_wait_for 10 grep -q ready "$DEMO_LOG" || egw_fail "tunnel_demo not ready: $(cat "$DEMO_LOG")"
}

demo_stop()
{
	kill -TERM "$DEMO_PID"
	egw_wait_for 10 grep -q stopped "$DEMO_LOG" || egw_fail "tunnel_demo did not stop"
	if grep -qE 'ERROR: AddressSanitizer|runtime error:' "$DEMO_LOG"; then
		egw_fail "sanitizer report: $(grep -m1 -A20 -E 'ERROR: AddressSanitizer|runtime error:' "$DEMO_LOG")"
	fi
	wait "$DEMO_PID"
	assert_eq "$?" 0 "tunnel_demo exit status"
	DEMO_PID=
}

stat() # NAME: a counter, fresh (SIGUSR1 makes the demo write them)
{
	rm -f "$EGW_OUT/stats"
	kill -USR1 "$DEMO_PID"
	egw_wait_for 5 test -s "$EGW_OUT/stats" >/dev/null || egw_fail "no stats file"
	awk -v k="$1" '$1 == k { print $2 }' "$EGW_OUT/stats"
}

cli() { egw_in $EGW_NS_CLI "$@"; }

egw_log "== HTTP/1.1 CONNECT, cleartext and TLS"
demo_start
got=$(cli curl -sS -p -x http://$HTTP --max-time 20 "$URL" | sha256sum | cut -d' ' -f1)
assert_eq "$got" "$want" "curl -p -x http:// relayed the 1 MiB body"
got=$(cli curl -sS -p -x https://$HTTPS --proxy-insecure --max-time 20 "$URL" | sha256sum |
	cut -d' ' -f1)
assert_eq "$got" "$want" "curl -p -x https:// --proxy-insecure relayed the body"
code=$(cli curl -s -o /dev/null -w '%{http_connect}' -p -x http://$HTTP --max-time 20 \
	http://www.denied.test:$EGW_HTTP_PORT/blob)
assert_eq "$code" 403 "a name outside the allow list gets 403"
out=$(printf 'CONNECT www.denied.test:80 HTTP/1.1\r\nHost: www.denied.test:80\r\n\r\n' |
	cli ncat -w 10 ${HTTP%:*} ${HTTP#*:} 2>&1)
assert_contains "$out" "www.denied.test is not allowed" "the 403 says why (ncat)"
code=$(cli curl -s -o /dev/null -w '%{http_connect}' -p -x https://$HTTPS --proxy-insecure \
	--max-time 20 http://www.denied.test:$EGW_HTTP_PORT/blob)
assert_eq "$code" 403 "403 over the TLS listener too"
code=$(cli curl -s -o /dev/null -w '%{http_connect}' -p -x http://$HTTP --max-time 20 \
	http://inside.allowed.test:$EGW_HTTP_PORT/)
assert_eq "$code" 403 "an allowed name resolving to an inside address gets 403"
code=$(cli curl -s -o /dev/null -w '%{http_connect}' -p -x http://$HTTP --max-time 20 \
	http://$EGW_IP_GWIN:3128/)
assert_eq "$code" 403 "the appliance's own address gets 403"
code=$(cli curl -s -o /dev/null -w '%{http_connect}' -p -x http://$HTTP --max-time 20 \
	http://nx.allowed.test:$EGW_HTTP_PORT/)
assert_eq "$code" 502 "an unknown name gets 502"
code=$(cli curl -s -o /dev/null -w '%{http_connect}' -p -x http://$HTTP --max-time 20 \
	http://www.allowed.test:9/)
assert_eq "$code" 502 "a closed port gets 502"
out=$(cli curl -s -i -x http://$HTTP --max-time 20 http://www.allowed.test:$EGW_HTTP_PORT/)
assert_match "$out" '^HTTP/1.1 405' "a GET through the proxy gets 405 (only CONNECT is served)"
code=$(cli curl -s -o /dev/null -w '%{http_connect}' -p -x http://$HTTP --max-time 20 \
	http://unreach.allowed.test/)
assert_eq "$code" 502 "a host that does not answer ARP gets 502 (unreachable)"

egw_log "== SOCKS5"
got=$(cli curl -sS --socks5-hostname $SOCKS --max-time 20 "$URL" | sha256sum | cut -d' ' -f1)
assert_eq "$got" "$want" "curl --socks5-hostname relayed the body"
out=$(cli curl -sS --socks5 $SOCKS --max-time 20 http://$EGW_IP_SRV:$EGW_HTTP_PORT/blob 2>&1)
assert_match "$out" "SOCKS5.*(not allowed|\(2\))" "SOCKS5 literal address not in the table: refused"
out=$(cli curl -sS --socks5-hostname $SOCKS --max-time 20 \
	http://www.denied.test:$EGW_HTTP_PORT/ 2>&1)
assert_match "$out" "SOCKS5.*(not allowed|\(2\))" "SOCKS5 refuses a denied name (reply 0x02)"
out=$(cli curl -sS --socks5-hostname $SOCKS --max-time 20 http://nx.allowed.test:80/ 2>&1)
assert_match "$out" "SOCKS5.*(unreachable|\(4\))" "SOCKS5: unknown name is host unreachable (0x04)"
out=$(cli curl -sS --socks5-hostname $SOCKS --max-time 20 http://www.allowed.test:9/ 2>&1)
assert_match "$out" "SOCKS5.*(refused|\(5\))" "SOCKS5: closed port is connection refused (0x05)"
out=$(cli curl -sS --socks5-hostname $SOCKS --max-time 20 http://unreach.allowed.test/ 2>&1)
assert_match "$out" "SOCKS5.*(unreachable|\(3\))" "SOCKS5: unreachable host is 0x03"

egw_log "== HTTP/2 CONNECT"
out=$(cli $EGW_PY "$CLIENT" h2 $HTTPS www.allowed.test:$EGW_HTTP_PORT /blob --tls --streams 3)
assert_eq "$(grep -c "^200 $want" <<<"$out")" 3 "three h2 streams over TLS (ALPN h2) relayed the body"
out=$(cli $EGW_PY "$CLIENT" h2 $HTTP www.allowed.test:$EGW_HTTP_PORT /blob)
assert_contains "$out" "200 $want" "h2c (prior knowledge) relayed the body"
out=$(cli $EGW_PY "$CLIENT" h2 $HTTPS www.denied.test:$EGW_HTTP_PORT /blob --tls)
assert_contains "$out" "403 -" "h2: a denied name gets 403"

egw_log "== garbage and slow clients"
for l in $HTTP $HTTPS $SOCKS; do
	cli $EGW_PY - "${l%:*}" "${l#*:}" >"$EGW_OUT/garbage.$l" 2>&1 <<'PY'
import os, socket, sys
for n in (1, 7, 300, 5000, 9000, 20000):
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
    try:
        s.sendall(b"\x16\x03\x01" + os.urandom(n) if n == 7 else os.urandom(n))
        s.shutdown(socket.SHUT_WR)
        got = b""
        while chunk := s.recv(4096):
            got += chunk
        print(n, got[:12])
    except OSError as e:
        print(n, "closed", e.__class__.__name__)
    s.close()
PY
	assert_eq "$(wc -l <"$EGW_OUT/garbage.$l")" 6 "garbage on $l: every connection answered or closed"
done
assert_contains "$(cat "$EGW_OUT/garbage.$HTTP")" "HTTP/1.1 400" "garbage on the HTTP listener gets 400"
kill -0 "$DEMO_PID" || egw_fail "tunnel_demo died on garbage"
got=$(cli curl -sS -p -x http://$HTTP --max-time 20 "$URL" | sha256sum | cut -d' ' -f1)
assert_eq "$got" "$want" "still serving after the garbage"
out=$(cli curl -s -o /dev/null -w "%{http_connect}" -x http://$HTTP --max-time 20 --proxy-header "X-Big: $(head -c 9000 /dev/zero | tr '\0' a)" \
	-p http://www.allowed.test:$EGW_HTTP_PORT/ 2>&1)
assert_eq "$out" 431 "a head over 8 KiB gets 431"
demo_stop

egw_log "== users"
pw=$(openssl passwd -6 -salt egwtest s3cret)
printf '# test users\nalice:%s\n' "$pw" >"$EGW_OUT/users"
demo_start --users "$EGW_OUT/users" --handshake-ms 1500 --connect-ms 1500
code=$(cli curl -s -o /dev/null -w '%{http_connect}' -p -x http://$HTTP --max-time 20 "$URL")
assert_eq "$code" 407 "no credentials: 407"
code=$(cli curl -s -o /dev/null -w '%{http_connect}' -p -x http://$HTTP -U alice:wrong \
	--max-time 20 "$URL")
assert_eq "$code" 407 "wrong password: 407"
got=$(cli curl -sS -p -x http://$HTTP -U alice:s3cret --max-time 20 "$URL" | sha256sum | cut -d' ' -f1)
assert_eq "$got" "$want" "right password: relayed"
out=$(cli curl -sS --socks5-hostname $SOCKS --max-time 20 "$URL" 2>&1)
assert_match "$out" "SOCKS5|authentication" "SOCKS5 without credentials is refused"
out=$(cli curl -sS --socks5-hostname $SOCKS -U alice:wrong --max-time 20 "$URL" 2>&1)
assert_match "$out" "SOCKS5|authentication|Authentication" "SOCKS5 with a wrong password is refused"
got=$(cli curl -sS --socks5-hostname $SOCKS -U alice:s3cret --max-time 20 "$URL" | sha256sum |
	cut -d' ' -f1)
assert_eq "$got" "$want" "SOCKS5 with the right password: relayed"
out=$(cli $EGW_PY "$CLIENT" h2 $HTTPS www.allowed.test:$EGW_HTTP_PORT /blob --tls)
assert_contains "$out" "407 -" "h2 without credentials: 407"
out=$(cli $EGW_PY "$CLIENT" h2 $HTTPS www.allowed.test:$EGW_HTTP_PORT /blob --tls --auth alice:s3cret)
assert_contains "$out" "200 $want" "h2 with the right password: relayed"
code=$(cli curl -s -o /dev/null -w '%{http_connect}' -p -x http://$HTTP -U alice:s3cret \
	--max-time 20 http://slow.allowed.test/)
assert_eq "$code" 504 "a connect that gets no answer within --connect-ms gets 504"
before=$(stat http.timeout)
start=$(date +%s%N)
cli $EGW_PY -c "
import socket, sys
s = socket.create_connection(('$GW', 3128), timeout=20)
s.sendall(b'CONNECT www.allowed.test:80 HTTP/1.1\r\n')
print(s.recv(100)[:12])" >"$EGW_OUT/slow" 2>&1
ms=$((($(date +%s%N) - start) / 1000000))
assert_contains "$(cat "$EGW_OUT/slow")" "HTTP/1.1 408" "a client that stops mid-head gets 408"
assert_ge "$ms" 1000 "it was given the handshake time (${ms} ms)"
assert_numeq "$(stat http.timeout)" $((before + 1)) "the slow client is counted as a timeout"
demo_stop

egw_log "== 1,000 concurrent tunnels"
demo_start --max-clients 2000
base=$(stat memory_bytes)
rm -f "$EGW_OUT/hold"
egw_bg $EGW_NS_CLI "$EGW_OUT/many.log" bash -c "ulimit -n 8192 && exec $EGW_PY $CLIENT many $HTTP www.allowed.test:7 1000 $EGW_OUT/hold"
many=$EGW_LAST_PID
egw_wait_for 60 grep -q '^open' "$EGW_OUT/many.log" || egw_fail "1000 tunnels did not open in 60 s"
assert_contains "$(cat "$EGW_OUT/many.log")" "open 1000 failed 0" "1000 tunnels opened and echoed"
assert_numeq "$(stat tunnels_current)" 1000 "the engine holds 1000 upstream connections"
assert_numeq "$(stat http.clients_current)" 1000 "and 1000 clients"
held=$(stat memory_bytes)
egw_log "memory: baseline $base, with 1000 idle tunnels $held bytes ($(((held - base) / 1000)) per tunnel)"
touch "$EGW_OUT/hold"
egw_wait_for 30 grep -q closed "$EGW_OUT/many.log" || egw_fail "the tunnels did not close"
wait "$many"
egw_wait_for 20 test "$(stat tunnels_current)" = 0 || egw_fail "tunnels left: $(stat tunnels_current)"
assert_numeq "$(stat clients_current)" 0 "no client left"
assert_numeq "$(stat buffers_in_use)" 0 "no buffer in use"
after=$(stat memory_bytes)
assert_le "$after" $((base + 32 * 65536)) "memory back to the baseline (but for 32 spare buffers of 64 KiB)"
demo_stop

egw_log "== what the server saw, the flow records"
peers=$(sort -u "$EGW_OUT/echo.peers" | tr '\n' ' ')
assert_eq "$peers" "$EGW_IP_GWOUT " "the echo server saw only $EGW_IP_GWOUT"
http_peers=$(awk '{print $1}' "$EGW_OUT/http.log" | grep -E '^[0-9.]+$' | sort -u | tr '\n' ' ')
assert_eq "$http_peers" "$EGW_IP_GWOUT " "the HTTP server saw only $EGW_IP_GWOUT"
flow_has() # ERE WHAT
{
	if grep -Eq -- "$1" "$EGW_OUT/flows.json"; then egw_ok "$2"; else egw_fail "$2: no /$1/"; fi
}
flow_has '"transport":"http","result":"allowed","client":"198.18.0.2:[0-9]+","host":"www.allowed.test"' "flow record: http, client, host"
flow_has '"transport":"socks5","result":"denied".*"host":"www.denied.test"' "flow record: socks5 denied"
flow_has '"transport":"h2","result":"allowed".*"bytes_down":10[0-9]{5}' "flow record: h2 with its bytes"
flow_has '"transport":"h2c","result":"allowed"' "flow record: h2c"
flow_has '"transport":"https","result":"allowed"' "flow record: https"
flow_has '"user":"alice"' "flow record: the user"
flow_has '"local":"203.0.113.2:[0-9]+"' "flow record: the upstream socket's bound address"
