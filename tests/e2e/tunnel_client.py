#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Clients for tests/e2e/test_80_tunnel.sh that curl cannot be.

  h2 PROXY AUTHORITY PATH [--tls] [--auth USER:PASS] [--streams N]
      HTTP/2 CONNECT (RFC 9113 8.5) to AUTHORITY through PROXY (host:port), over TLS with ALPN
      h2 or cleartext prior knowledge; on each stream sends "GET PATH HTTP/1.0" to the origin
      and prints "STATUS SHA256" of the body it relayed (or "STATUS -" when refused).
  many PROXY TARGET N HOLD_FILE
      N concurrent HTTP/1.1 CONNECT tunnels to TARGET (an echo server); each sends 64 bytes and
      checks the echo; when all are open, writes "open N" to stdout, waits until HOLD_FILE
      exists, then closes them all and prints "closed".
"""
import asyncio
import base64
import hashlib
import os
import socket
import ssl
import sys
import time

import h2.config
import h2.connection
import h2.events


def h2_connect(proxy, authority, path, use_tls, auth, streams):
    host, port = proxy.rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=20)
    if use_tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["h2"])
        sock = ctx.wrap_socket(sock)
        if sock.selected_alpn_protocol() != "h2":
            print("no ALPN h2:", sock.selected_alpn_protocol())
            return 1
    conn = h2.connection.H2Connection(h2.config.H2Configuration(
        client_side=True, validate_outbound_headers=False))  # CONNECT has no :path)
    conn.initiate_connection()
    headers = [(":method", "CONNECT"), (":authority", authority)]
    if auth:
        headers.append(("proxy-authorization",
                        "Basic " + base64.b64encode(auth.encode()).decode()))
    ids = []
    for _ in range(streams):
        sid = conn.get_next_available_stream_id()
        conn.send_headers(sid, headers)
        ids.append(sid)
    sock.sendall(conn.data_to_send())
    status, body, done = {}, {s: b"" for s in ids}, set()
    request = ("GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (path, authority)).encode()
    while len(done) < len(ids):
        data = sock.recv(65536)
        if not data:
            break
        for ev in conn.receive_data(data):
            if isinstance(ev, h2.events.ResponseReceived):
                status[ev.stream_id] = dict(ev.headers)[b":status"].decode()
                if status[ev.stream_id] == "200":
                    conn.send_data(ev.stream_id, request)
                else:
                    done.add(ev.stream_id)
            elif isinstance(ev, h2.events.DataReceived):
                body[ev.stream_id] += ev.data
                conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, (h2.events.StreamEnded, h2.events.StreamReset)):
                done.add(ev.stream_id)
        sock.sendall(conn.data_to_send())
    rc = 0
    for s in ids:
        st = status.get(s, "none")
        if st != "200":
            print(st, "-")
            rc = 1
            continue
        head, _, payload = body[s].partition(b"\r\n\r\n")
        print(st, hashlib.sha256(payload).hexdigest(), head.split(b"\r\n")[0].decode())
    conn.close_connection()
    try:
        sock.sendall(conn.data_to_send())
    except OSError:
        pass
    sock.close()
    return rc


async def one_tunnel(proxy, target, opened, failures):
    host, port = proxy.rsplit(":", 1)
    try:
        r, w = await asyncio.open_connection(host, int(port))
        w.write(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target, target)).encode())
        line = await r.readuntil(b"\r\n\r\n")
        if not line.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(line[:40])
        msg = os.urandom(32).hex().encode()
        w.write(msg)
        if await r.readexactly(len(msg)) != msg:
            raise RuntimeError("echo differs")
        opened.append((r, w))
    except Exception as e:  # noqa: BLE001 - every failure is counted and reported
        failures.append(repr(e))


async def many(proxy, target, n, hold):
    opened, failures = [], []
    t0 = time.monotonic()
    # at most 200 handshakes at once: a burst of 1000 SYNs overflows small backlogs
    sem = asyncio.Semaphore(200)

    async def limited():
        async with sem:
            await one_tunnel(proxy, target, opened, failures)

    await asyncio.wait_for(asyncio.gather(*(limited() for _ in range(n))), 60)
    print("open %d failed %d in %.1fs" % (len(opened), len(failures), time.monotonic() - t0),
          flush=True)
    for f in failures[:5]:
        print("failure:", f, flush=True)
    for _ in range(600):
        if os.path.exists(hold):
            break
        await asyncio.sleep(0.1)
    for _, w in opened:
        w.close()
    for _, w in opened:
        try:
            await w.wait_closed()
        except OSError:
            pass
    print("closed", flush=True)
    return 0 if not failures else 1


def main():
    if len(sys.argv) >= 5 and sys.argv[1] == "h2":
        args = sys.argv[5:]
        auth = args[args.index("--auth") + 1] if "--auth" in args else None
        streams = int(args[args.index("--streams") + 1]) if "--streams" in args else 1
        return h2_connect(sys.argv[2], sys.argv[3], sys.argv[4], "--tls" in args, auth,
                          streams)
    if len(sys.argv) == 6 and sys.argv[1] == "many":
        return asyncio.run(many(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
