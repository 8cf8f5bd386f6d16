#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Probes of endpoint-independent mapping, filtering and hairpinning (tests/e2e/test_18, 19).

  client SRC PORT SECONDS DST:PORT...   UDP socket on SRC:PORT: one datagram to each DST, then
                                        prints "got A:P DATA" for every datagram received
  server SECONDS ADDR:PORT...           UDP sockets: prints "seen LOCAL FROM_A:FROM_P" for each
                                        datagram, answers it
  knock FROM:PORT TO:PORT TEXT           one datagram from FROM:PORT to TO:PORT
  tcp-connect SRC PORT DST:PORT...      TCP connections from SRC:PORT (SO_REUSEADDR) to each
                                        DST, held until all are up; prints "tcp DST ok|fail"
  tcp-server SECONDS ADDR:PORT...       prints "tcp-seen LOCAL FROM_A:FROM_P" per connection
Every command ends by itself (bounded in time and count).
"""
import select
import socket
import sys
import time


def ep(s):
    a, p = s.rsplit(':', 1)
    return a, int(p)


def udp_client(src, port, secs, dsts):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, int(port)))
    for d in dsts:
        s.sendto(b'hello ' + d.encode(), ep(d))
    end = time.time() + float(secs)
    while time.time() < end:
        r, _, _ = select.select([s], [], [], max(0.0, end - time.time()))
        if r:
            data, frm = s.recvfrom(2048)
            print('got %s:%d %s' % (frm[0], frm[1], data.decode(errors='replace')), flush=True)


def udp_server(secs, binds):
    socks = []
    for b in binds:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(ep(b))
        socks.append(s)
    end = time.time() + float(secs)
    while time.time() < end:
        r, _, _ = select.select(socks, [], [], max(0.0, end - time.time()))
        for s in r:
            data, frm = s.recvfrom(2048)
            loc = s.getsockname()
            print('seen %s:%d %s:%d' % (loc[0], loc[1], frm[0], frm[1]), flush=True)
            s.sendto(b'answer', frm)


def knock(frm, to, text):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(ep(frm))
    s.sendto(text.encode(), ep(to))


def tcp_connect(src, port, dsts):
    held = []
    for d in dsts:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.settimeout(5)
        s.bind((src, int(port)))
        try:
            s.connect(ep(d))
            print('tcp %s ok' % d, flush=True)
            held.append(s)
        except OSError as e:
            print('tcp %s fail %s' % (d, e), flush=True)
    time.sleep(0.5)


def tcp_server(secs, binds):
    socks = []
    for b in binds:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(ep(b))
        s.listen(16)
        socks.append(s)
    conns = []
    end = time.time() + float(secs)
    while time.time() < end:
        r, _, _ = select.select(socks, [], [], max(0.0, end - time.time()))
        for s in r:
            c, frm = s.accept()
            loc = c.getsockname()
            print('tcp-seen %s:%d %s:%d' % (loc[0], loc[1], frm[0], frm[1]), flush=True)
            conns.append(c)


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == 'client':
        udp_client(args[0], args[1], args[2], args[3:])
    elif cmd == 'server':
        udp_server(args[0], args[1:])
    elif cmd == 'knock':
        knock(args[0], args[1], args[2])
    elif cmd == 'tcp-connect':
        tcp_connect(args[0], args[1], args[2:])
    elif cmd == 'tcp-server':
        tcp_server(args[0], args[1:])
    else:
        sys.exit('unknown command ' + cmd)


if __name__ == '__main__':
    main(sys.argv)
