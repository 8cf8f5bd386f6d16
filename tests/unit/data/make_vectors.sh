#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Makes the binary test vectors beside this script with real programs, inside a network
# namespace of its own (removed on exit): ClientHellos from openssl s_client and curl, DNS
# answers from dnsmasq. Run as root from anywhere: bash tests/unit/data/make_vectors.sh
# The vectors are committed; re-running changes random fields (IDs, key shares), nothing the
# tests assert on.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
ns=egwd-vec
tmp=$(mktemp -d /tmp/egwd-vec.XXXXXX)
dnsmasq_pid=
cleanup()
{
	# ip netns exec execs dnsmasq: $! is dnsmasq itself
	[[ -n $dnsmasq_pid ]] && kill "$dnsmasq_pid" 2>/dev/null && wait "$dnsmasq_pid" || true
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
run() { ip netns exec "$ns" "$@"; }
cap() { run python3 "$here/capture.py" "$@"; }

# ---- TLS ClientHellos (the listener keeps the first records and hangs up) ----
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/k.pem" -out "$tmp/c.pem" -days 1 \
	-subj /CN=www.example.com 2>/dev/null
hello()
{
	local out=$1
	shift
	cap hello 4433 "$here/$out" &
	local lpid=$!
	sleep 0.5
	run timeout 10 "$@" </dev/null >/dev/null 2>&1 || true
	wait "$lpid"
}
hello tls_openssl.bin openssl s_client -connect 127.0.0.1:4433 -servername www.Example.com \
	-alpn h2,http/1.1
hello tls_openssl12.bin openssl s_client -connect 127.0.0.1:4433 -servername legacy.example.org \
	-tls1_2
hello tls_nosni.bin openssl s_client -connect 127.0.0.1:4433 -noservername
hello tls_curl.bin curl -sk --max-time 5 --resolve api.github.com:4433:127.0.0.1 \
	https://api.github.com:4433/
hello http_curl.bin curl -s --max-time 5 --resolve www.example.com:4433:127.0.0.1 \
	http://www.example.com:4433/index.html
hello http_curl_proxy.bin curl -s --max-time 5 -x http://127.0.0.1:4433 \
	http://downloads.example.net/file
hello http_curl_connect.bin curl -s --max-time 5 -p -x http://127.0.0.1:4433 \
	https://secure.example.net/
python3 "$here/capture.py" bigger "$here/tls_curl.bin" "$here/tls_pq_large.bin"
python3 "$here/capture.py" ech "$here/tls_openssl.bin" "$here/tls_ech.bin"

# ---- DNS answers from dnsmasq ----
ech_list=0026fe0d0022$(printf 'ab%.0s' $(seq 1 34)) # an ECHConfigList-shaped value, 40 bytes
alpn_h2=0001000c02683208687474702f312e31           # alpn=h2,http/1.1
alpn_h3=00010003026833                             # alpn=h3
hint=00040004cb007114                              # ipv4hint=203.0.113.20
ech=00050028$ech_list                              # ech
mand=0000000400010005                              # mandatory=alpn,ech
# priority 1, target ".", then the SvcParams in key order
https_ech=000100$alpn_h2$hint$ech
https_mand=000100$mand$alpn_h3$ech
https_plain=000100$alpn_h3
ip netns exec "$ns" dnsmasq --keep-in-foreground --no-resolv --no-hosts --port=5353 --listen-address=127.0.0.1 \
	--bind-interfaces --pid-file="$tmp/dnsmasq.pid" --user=root --local-ttl=600 \
	--host-record=edge.cdn.example.net,203.0.113.10 \
	--host-record=edge.cdn.example.net,203.0.113.11 \
	--host-record=direct.example.com,203.0.113.5 \
	--cname=www.example.com,alias.example.org,300 \
	--cname=alias.example.org,edge.cdn.example.net,120 \
	--dns-rr=svc.example.com,65,"$https_ech" \
	--dns-rr=mand.example.com,65,"$https_mand" \
	--dns-rr=plain.example.com,65,"$https_plain" \
	--local=/example.com/ --local=/example.org/ --local=/example.net/ &
dnsmasq_pid=$!
sleep 1
cap dns 127.0.0.1 5353 direct.example.com 1 "$here/dns_direct"
cap dns 127.0.0.1 5353 WWW.Example.COM 1 "$here/dns_cname_chain" edns
cap dns 127.0.0.1 5353 missing.example.com 1 "$here/dns_nxdomain" edns
cap dns 127.0.0.1 5353 svc.example.com 65 "$here/dns_https_ech" edns
cap dns 127.0.0.1 5353 mand.example.com 65 "$here/dns_https_mand"
cap dns 127.0.0.1 5353 plain.example.com 65 "$here/dns_https_plain"
ls -l "$here"/*.bin "$here"/*.q "$here"/*.r
