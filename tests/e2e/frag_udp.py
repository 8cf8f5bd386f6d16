#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Big UDP datagrams (fragmented on the way) for tests/e2e/test_34_fragments.sh.

  frag_udp.py echo ADDR PORT LOG      echo server: every datagram back to its sender; one line
                                      "SRC_ADDR LEN SHA256" per datagram in LOG
  frag_udp.py send DST PORT SIZE      client: one datagram of SIZE random bytes (the kernel
                                      fragments it), waits for the echo; prints "ok LEN" when it
                                      came back whole and equal
  frag_udp.py ooo SRC DST PORT SIZE   client: the same datagram cut into fragments by scapy and
                                      sent last fragment first, the first one 0.3 s later;
                                      waits for the echo on a socket
                                      bound to the fragments' source port
"""
import hashlib
import os
import socket
import sys
import time


def echo(addr, port, log):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    with open(log, "a", buffering=1) as out:
        while True:
            data, peer = s.recvfrom(65535)
            out.write("%s %d %s\n" % (peer[0], len(data), hashlib.sha256(data).hexdigest()))
            s.sendto(data, peer)


def wait_echo(s, data):
    s.settimeout(5)
    while True:
        try:
            got = s.recv(65535)
        except socket.timeout:
            print("timeout")
            return 1
        if got == data:
            print("ok %d" % len(got))
            return 0


def send(dst, port, size):
    data = os.urandom(size)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((dst, port))
    s.send(data)
    return wait_echo(s, data)


def out_of_order(src, dst, port, size):
    from scapy.all import IP, UDP, Raw, fragment, send as l3send  # noqa: E402

    data = os.urandom(size)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.connect((dst, port))
    sport = s.getsockname()[1]
    pkt = IP(src=src, dst=dst, id=0x4567) / UDP(sport=sport, dport=port) / Raw(data)
    frags = fragment(pkt, fragsize=1000)
    # The later fragments last first, then (in a burst of its own) the first: they must wait.
    l3send(list(reversed(frags[1:])), verbose=False)
    time.sleep(0.3)
    l3send(frags[0], verbose=False)
    return wait_echo(s, data)


def main():
    cmd = sys.argv[1]
    if cmd == "echo":
        echo(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return 0
    if cmd == "send":
        return send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    if cmd == "ooo":
        return out_of_order(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
