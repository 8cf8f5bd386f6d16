#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Connection and request churn for the end-to-end tests (and tools/bench/conn_rate.sh).

Every mode is bounded in count and time and stops by itself; the clients print one JSON line
with what they counted.

  tcp-serve ADDR PORT                 accept, send one byte, close (the server closes first)
  tcp-conns DST PORT N PROCS [SECS] [SRC/COUNT]
                                      N short connections from PROCS processes: connect,
                                      read the byte, close; {"ok":..,"failed":..,
                                      "skipped": (not made by the deadline),"secs":..};
                                      SRC/COUNT: from COUNT source addresses from SRC on,
                                      in turn (they must be the client's)
  http-seq DST PORT N [BIND_PORT]     N sequential HTTP/1.0 GETs, each a new connection (from
                                      BIND_PORT when given, else the kernel's ephemeral range)
  udp-serve ADDR PORT...              echo every datagram; a port named with a '+' (a stream
                                      port) echoes it twice, like a peer that sends more than
                                      it is asked, and logs "peer ADDR:PORT" per datagram
  udp-churn DST PORT N RATE [SECS]    N queries, each from a fresh socket (a fresh source port,
                                      RFC 5452), at most RATE/s and 256 in flight; one resend
                                      after 1 s; {"sent":..,"answered":..,"lost":..}
  udp-stream DST PORT ROUNDS GAP      one socket: ROUNDS rounds GAP seconds apart, each one
                                      datagram out and two back from a stream port (a stream,
                                      not a request/response); {"answered":..,"rounds":..}
"""
import json
import multiprocessing
import os
import select
import socket
import sys
import time


def tcp_serve(addr, port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port)))
    s.listen(4096)
    while True:
        c, _ = s.accept()
        try:
            c.sendall(b"x")
        except OSError:
            pass
        c.close()


def _sources(spec):
    if not spec:
        return [None]
    first, count = spec.split("/")
    base = int.from_bytes(socket.inet_aton(first), "big")
    return [socket.inet_ntoa((base + i).to_bytes(4, "big")) for i in range(int(count))]


def _tcp_worker(dst, port, n, deadline, srcs, q):
    ok = failed = skipped = 0
    for i in range(n):
        if time.monotonic() > deadline:
            skipped += 1
            continue
        s = socket.socket()
        s.settimeout(3)
        try:
            if srcs[i % len(srcs)]:
                s.bind((srcs[i % len(srcs)], 0))
            s.connect((dst, port))
            if s.recv(1) == b"x":
                ok += 1
            else:
                failed += 1
        except OSError:
            failed += 1
        finally:
            s.close()
    q.put((ok, failed, skipped))


def tcp_conns(dst, port, n, procs, secs="50", src=None):
    n, procs, port = int(n), int(procs), int(port)
    srcs = _sources(src)
    t0 = time.monotonic()
    deadline = t0 + float(secs)
    q = multiprocessing.Queue()
    # Process i starts at source i: with as many sources as processes or more, all are used.
    ps = [multiprocessing.Process(target=_tcp_worker,
                                  args=(dst, port, n // procs + (i < n % procs), deadline,
                                        srcs[i % len(srcs):] + srcs[:i % len(srcs)], q))
          for i in range(procs)]
    for p in ps:
        p.start()
    ok = failed = skipped = 0
    for _ in ps:
        a, b, c = q.get()
        ok += a
        failed += b
        skipped += c
    for p in ps:
        p.join()
    print(json.dumps({"ok": ok, "failed": failed, "skipped": skipped,
                      "secs": round(time.monotonic() - t0, 2)}))


def http_seq(dst, port, n, bind_port=None):
    ok = failed = 0
    t0 = time.monotonic()
    for _ in range(int(n)):
        s = socket.socket()
        s.settimeout(5)
        try:
            if bind_port:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("0.0.0.0", int(bind_port)))
            s.connect((dst, int(port)))
            s.sendall(b"GET /index.html HTTP/1.0\r\nHost: churn\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            good = data.split(b" ", 2)[1:2] == [b"200"]
            ok += good
            failed += not good
        except OSError:
            failed += 1
        finally:
            s.close()
    print(json.dumps({"ok": ok, "failed": failed, "secs": round(time.monotonic() - t0, 2)}))


def udp_serve(addr, *ports):
    socks, stream = {}, set()
    for p in ports:
        logged = p.startswith("+")
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind((addr, int(p.lstrip("+"))))
        socks[s.fileno()] = s
        if logged:
            stream.add(s.fileno())
    while True:
        r, _, _ = select.select(list(socks.values()), [], [])
        for s in r:
            for _ in range(64):
                try:
                    data, peer = s.recvfrom(2048, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    break
                s.sendto(data, peer)
                if s.fileno() in stream:
                    s.sendto(data, peer)
                    print("peer %s:%d" % peer, flush=True)


def udp_churn(dst, port, n, rate, secs="40"):
    n, rate, port = int(n), float(rate), int(port)
    t0 = time.monotonic()
    deadline = t0 + float(secs)
    inflight = {}  # fileno -> [socket, first send time, resent]
    sent = answered = lost = 0
    poller = select.epoll()
    while (sent < n or inflight) and time.monotonic() < deadline:
        now = time.monotonic()
        while sent < n and len(inflight) < 256 and sent < (now - t0) * rate + 1:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setblocking(False)
            s.sendto(b"q%08d" % sent, (dst, port))
            inflight[s.fileno()] = [s, now, False]
            poller.register(s.fileno(), select.EPOLLIN)
            sent += 1
        for fd, _ in poller.poll(0.01):
            s = inflight.pop(fd)[0]
            try:
                s.recv(2048)
                answered += 1
            except OSError:
                lost += 1
            poller.unregister(fd)
            s.close()
        now = time.monotonic()
        for fd, e in list(inflight.items()):
            if now - e[1] > 1 and not e[2]:
                e[0].sendto(b"r", (dst, port))  # a resolver's retransmission, same socket
                e[2] = True
            elif now - e[1] > 3:
                poller.unregister(fd)
                e[0].close()
                del inflight[fd]
                lost += 1
    lost += len(inflight)
    print(json.dumps({"sent": sent, "answered": answered, "lost": lost,
                      "secs": round(time.monotonic() - t0, 2)}))


def udp_stream(dst, port, rounds, gap):
    """Each round: one datagram out, two back (more replies than requests: a stream)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    answered = 0
    for i in range(int(rounds)):
        if i:
            time.sleep(float(gap))
        for _ in range(3):  # a lost datagram is resent, not counted as a failure of the stream
            s.sendto(b"s%d" % i, (dst, int(port)))
            try:
                s.recv(2048)
                s.recv(2048)
                answered += 1
                break
            except socket.timeout:
                pass
    print(json.dumps({"answered": answered, "rounds": int(rounds)}))


MODES = {"tcp-serve": tcp_serve, "tcp-conns": tcp_conns, "http-seq": http_seq,
         "udp-serve": udp_serve, "udp-churn": udp_churn, "udp-stream": udp_stream}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in MODES:
        sys.exit(__doc__)
    MODES[sys.argv[1]](*sys.argv[2:])
