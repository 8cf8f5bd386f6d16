#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Host-name policies on TLS and HTTP (issue 11), mode policy, the real daemon between
# namespaces. One TLS server (203.0.113.1:443, any name) and one HTTP server (8080):
# - curl --resolve to two names on the one address and port: the listed one is served, the
#   other is reset by the appliance at once (well under a second), host_denied counted;
# - a wildcard "*.wild.example" admits a.wild.example but not the apex wild.example;
# - openssl s_client -servername: the same decision;
# - HTTP: the Host header decides on port 8080;
# - a recorded ClientHello of 1,771 bytes (more than one 1,460-byte segment) and the same
#   hello split in two segments 0.2 s apart pass; with an unlisted name it is reset;
# - a ClientHello with an encrypted_client_hello extension: an allowed outer name passes
#   (ech = outer), an unlisted one is denied, and with ech = deny (reloaded) it is denied
#   (host_ech);
# - protocol = tls without hosts (port 8443): any name passes, bytes that are not a
#   ClientHello are reset (host_protocol_mismatch);
# - the flow log names the host (server_name, ech) in start and deny records, each record
#   valid against docs/flowlog.schema.json; egwctl flows host= finds the flow.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
"$EGW_PY" -c 'import jsonschema' 2>/dev/null || egw_fail "python3-jsonschema missing (tests/setup.sh)"
egw_topo_up
FLOWLOG=$EGW_OUT/flows.jsonl
rm -f "$FLOWLOG"
# tcp_close: the listings below still find the connections the server reset (closed flows
# expire after 10 s by default), however slow the machine.
egw_policy_conf "$EGW_OUT/egw.ini" "dpdk.idle_sleep_us=50" "log.flow_log=$FLOWLOG" \
	"flows.tcp_close=600"
egw_policy_file 10-hosts.ini <<EOF
[policy tls-names]
destinations = $EGW_IP_SRV
ports = 443
protocol = tls
hosts = allowed.example, *.wild.example, api.github.com, www.example.com
action = allow
log = yes

[policy tls-only]
destinations = $EGW_IP_SRV
ports = 8443
protocol = tls
action = allow

[policy http-names]
destinations = $EGW_IP_SRV
ports = $EGW_HTTP_PORT
protocol = http
hosts = www.example.org
action = allow
log = yes
EOF
egw_start "$EGW_OUT/egw.ini"
egw_http_start
# A throw-away certificate: the names do not matter, the clients do not verify.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=egw-e2e -keyout "$EGW_OUT/key.pem" \
	-out "$EGW_OUT/cert.pem" >/dev/null 2>&1 || egw_fail "openssl req"
egw_bg $EGW_NS_SRV "$EGW_OUT/tls.log" "$EGW_PY" -u "$EGW_E2E_DIR/tls_serve.py" $EGW_IP_SRV 443 \
	"$EGW_OUT/cert.pem" "$EGW_OUT/key.pem"
egw_wait_for 10 egw_listening tcp 443 || egw_fail "tls_serve.py did not start: $(cat "$EGW_OUT/tls.log")"
B=$EGW_OUT/base
DATA=$EGW_ROOT/tests/unit/data

# curl_name NAME: curl https://NAME/ resolved to the server; prints the body or "failed MS".
curl_name()
{
	local t0 t1 body
	t0=$(date +%s%N)
	if body=$(egw_curl $EGW_NS_CLI "https://$1/" -k --resolve "$1:443:$EGW_IP_SRV"); then
		echo "$body"
	else
		t1=$(date +%s%N)
		echo "failed $(((t1 - t0) / 1000000))"
	fi
}

# --- 1. two names on one address and port
egw_baseline "$B"
assert_eq "$(curl_name allowed.example)" allowed.example "curl to allowed.example (listed)"
out=$(curl_name denied.example)
assert_match "$out" "^failed [0-9]+$" "curl to denied.example fails"
assert_le "${out#failed }" 900 "the denied client fails in well under a second (ms)"
egw_log "curl error: $(cat "$EGW_OUT/curl.err")"
assert_match "$(cat "$EGW_OUT/curl.err")" "reset|SSL_ERROR_SYSCALL|Connection" \
	"curl's error is the reset, not a timeout"
assert_stat_delta "$B.stats.json" drops.host_denied -ge 1
assert_policy_deltas "$B.pol.json" "tls-names flows_allowed -eq 1" "(mode) flows_denied -eq 1"

# --- 2. a wildcard admits names under it, not the apex
assert_eq "$(curl_name a.wild.example)" a.wild.example "curl to a.wild.example (*.wild.example)"
assert_eq "$(curl_name x.y.wild.example)" x.y.wild.example "curl to x.y.wild.example"
assert_match "$(curl_name wild.example)" "^failed" "curl to the apex wild.example is denied"

# --- 3. openssl s_client -servername
out=$(ip netns exec $EGW_NS_CLI timeout 10 openssl s_client -connect $EGW_IP_SRV:443 \
	-servername allowed.example </dev/null 2>&1) || true
assert_contains "$out" "Server certificate" "s_client -servername allowed.example completes the handshake"
out=$(ip netns exec $EGW_NS_CLI timeout 10 openssl s_client -connect $EGW_IP_SRV:443 \
	-servername other.example </dev/null 2>&1) || true
assert_not_contains "$out" "Server certificate" "s_client -servername other.example gets no certificate"
assert_match "$out" "errno=104|reset|SSL_connect|write:errno" "s_client -servername other.example is reset"

# --- 4. HTTP: the Host header
egw_baseline "$B"
egw_curl $EGW_NS_CLI "http://$EGW_IP_SRV:$EGW_HTTP_PORT/index.html" -H "Host: www.example.org" \
	-o /dev/null || egw_fail "HTTP with Host www.example.org: $(cat "$EGW_OUT/curl.err")"
egw_ok "HTTP with Host www.example.org allowed"
if egw_curl $EGW_NS_CLI "http://$EGW_IP_SRV:$EGW_HTTP_PORT/index.html" -H "Host: evil.example" \
	-o /dev/null; then
	egw_fail "HTTP with Host evil.example was served"
fi
egw_ok "HTTP with Host evil.example refused: $(cat "$EGW_OUT/curl.err")"
assert_policy_deltas "$B.pol.json" "http-names flows_allowed -eq 1"
assert_stat_delta "$B.stats.json" drops.host_denied -ge 1

# --- 5. large and split ClientHellos (recorded: 1,771 bytes, post-quantum key share)
hello() { ip netns exec $EGW_NS_CLI timeout 15 "$EGW_PY" "$EGW_E2E_DIR/hello_send.py" $EGW_IP_SRV 443 "$@"; }
egw_baseline "$B"
assert_match "$(hello "$DATA/tls_pq_large.bin")" "^reply " "a 1,771-byte ClientHello (two segments) passes"
assert_match "$(hello "$DATA/tls_pq_large.bin" --split 300)" "^reply " \
	"the ClientHello split 300 + 1,471 bytes, 0.2 s apart, passes"
out=$(hello "$DATA/tls_pq_large.bin" --split 300 --sni api.github.com=api.gitlab.com)
assert_match "$out" "^reset " "the split hello naming api.gitlab.com is reset"
assert_le "$(echo "$out" | cut -d' ' -f2)" 900 "reset within a second of the last byte (ms)"
assert_policy_deltas "$B.pol.json" "tls-names flows_allowed -eq 2" "(mode) flows_denied -eq 1"

# --- 6. tls without hosts: any name, but TLS it must be
egw_bg $EGW_NS_SRV "$EGW_OUT/tls8443.log" "$EGW_PY" -u "$EGW_E2E_DIR/tls_serve.py" $EGW_IP_SRV 8443 \
	"$EGW_OUT/cert.pem" "$EGW_OUT/key.pem"
egw_wait_for 10 egw_listening tcp 8443 || egw_fail "tls_serve.py on 8443 did not start"
egw_baseline "$B"
body=$(egw_curl $EGW_NS_CLI "https://any.example:8443/" -k --resolve "any.example:8443:$EGW_IP_SRV") ||
	egw_fail "TLS to 8443 with any name: $(cat "$EGW_OUT/curl.err")"
assert_eq "$body" any.example "tls-only: any name passes"
if egw_curl $EGW_NS_CLI "http://$EGW_IP_SRV:8443/" -o /dev/null; then
	egw_fail "plain HTTP to the tls-only port was let through"
fi
assert_match "$(cat "$EGW_OUT/curl.err")" "reset|Empty reply" "plain HTTP on the tls-only port is reset"
assert_stat_delta "$B.stats.json" drops.host_protocol_mismatch -ge 1
assert_policy_deltas "$B.pol.json" "tls-only flows_allowed -eq 1"

# --- 7. ECH: the outer name decides (ech = outer), or every ECH hello is refused (ech = deny)
egw_baseline "$B"
assert_match "$(hello "$DATA/tls_ech.bin")" "^reply " "ECH hello with the listed outer name www.example.com passes"
assert_match "$(hello "$DATA/tls_ech.bin" --sni www.Example.com=www.Example.net)" "^reset " \
	"ECH hello with the unlisted outer name www.example.net is reset"
sed -i 's/^\[egress\]$/[egress]\nech = deny/' "$EGW_OUT/egw.ini"
egw_reload_ok
assert_match "$(hello "$DATA/tls_ech.bin")" "^reset " "with ech = deny the same ECH hello is reset"
assert_stat_delta "$B.stats.json" drops.host_ech -ge 1
assert_eq "$(curl_name allowed.example)" allowed.example "a hello without ECH still passes with ech = deny"

# --- 8. visible: egwctl flows host=, and the flow log
flows() { timeout 10 "$EGW_CTL_BIN" -c "$EGW_OUT/egw.ini" flows "$@" 2>&1; }
out=$(flows host=allowed.example)
egw_log "egwctl flows host=allowed.example:"$'\n'"$out"
assert_match "$out" "allowed\.example +[0-9.]+:[0-9]+ +" "egwctl flows host=allowed.example lists its flows"
assert_not_contains "$out" "wild.example" "and no other name"
assert_match "$(flows 'host=*.wild.example')" "^2 flows listed$" "egwctl flows host=*.wild.example: its 2 flows"
assert_contains "$(flows host=nothing.example)" "0 flows listed" "egwctl flows host=nothing.example lists none"
egw_stop
"$EGW_PY" - "$FLOWLOG" "$EGW_ROOT/docs/flowlog.schema.json" <<'PYEOF' || egw_fail "flow log check"
import json, sys, jsonschema
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[2])))
recs = [json.loads(l) for l in open(sys.argv[1])]
for r in recs:
    v.validate(r)
def has(event, name, **kw):
    return any(r["event"] == event and r.get("server_name") == name and
               all(r.get(k) == x for k, x in kw.items()) for r in recs)
checks = [
    ("start", "allowed.example", {"name_from": "tls", "policy": "tls-names"}),
    ("end", "allowed.example", {}),
    ("deny", "denied.example", {"reason": "host_denied"}),
    ("start", "a.wild.example", {}),
    ("deny", "wild.example", {"reason": "host_denied"}),
    ("start", "www.example.org", {"name_from": "http"}),
    ("deny", "evil.example", {"name_from": "http"}),
    ("start", "www.example.com", {"ech": True}),
    ("deny", "www.example.net", {"ech": True, "reason": "host_denied"}),
    ("deny", "www.example.com", {"ech": True, "reason": "host_ech"}),
]
bad = [c for c in checks if not has(c[0], c[1], **c[2])]
print("%d records, all valid; missing: %s" % (len(recs), bad))
sys.exit(1 if bad else 0)
PYEOF
egw_ok "the flow log names the hosts (start, end and deny; ech)"
egw_finish
