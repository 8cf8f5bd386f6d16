#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A bounded spoofed SYN flood for tools/bench/syn_flood.sh.

usage: syn_flood.py IFACE SRC_MAC DST_MAC SRC_NET DST_IP DPORT SECONDS COUNT

Sends Ethernet frames on IFACE (an AF_PACKET socket, in the client namespace): TCP SYNs from a
random source address in SRC_NET (a /16 or longer inside 198.18.0.0/15, checked) and a random
source port to DST_IP:DPORT, as fast as one core can build them, until SECONDS have passed or
COUNT frames were sent. Checksums are updated incrementally from a template, so a frame costs a
few integer operations. Prints one line "sent=N secs=S pps=P".
"""
import ipaddress
import random
import socket
import struct
import sys
import time

ALLOWED = ipaddress.ip_network("198.18.0.0/15")


def fold(s):
    while s > 0xFFFF:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def words(b):
    return sum(struct.unpack("!%dH" % (len(b) // 2), b))


def main():
    if len(sys.argv) != 9:
        sys.exit(__doc__)
    iface, smac, dmac, net, dst, dport, secs, count = sys.argv[1:]
    net = ipaddress.ip_network(net)
    if not net.subnet_of(ALLOWED):
        sys.exit("source network %s is not inside %s" % (net, ALLOWED))
    dport, secs, count = int(dport), float(secs), int(count)
    eth = bytes.fromhex(dmac.replace(":", "")) + bytes.fromhex(smac.replace(":", "")) + b"\x08\x00"
    dst_b = socket.inet_aton(dst)
    # IPv4 header (20) + TCP header (20), source address, source port and checksums zero.
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 0, 0x4000, 64, 6, 0, b"\0" * 4, dst_b)
    tcp = struct.pack("!HHIIBBHHH", 0, dport, 0, 0, 5 << 4, 0x02, 64240, 0, 0)
    ip_base = words(ip)
    tcp_base = words(dst_b) + 6 + 20 + words(tcp)  # pseudo header without the source
    frame = bytearray(eth + ip + tcp)
    base, span = int(net.network_address), net.num_addresses
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((iface, 0))
    rnd = random.getrandbits
    pack = struct.pack_into
    sent = tries = 0
    t0 = time.monotonic()
    end = t0 + secs
    while sent < count:
        tries += 1
        if (tries & 1023) == 0 and time.monotonic() >= end:
            break
        src = base + 1 + rnd(32) % (span - 2)
        sport = 1024 + rnd(16) % 64512
        seq = rnd(32)
        s_words = (src >> 16) + (src & 0xFFFF)
        ipsum = 0xFFFF - fold(ip_base + s_words)
        tcpsum = 0xFFFF - fold(tcp_base + s_words + sport + (seq >> 16) + (seq & 0xFFFF))
        pack("!H", frame, 24, ipsum)
        pack("!I", frame, 26, src)
        pack("!HHI", frame, 34, sport, dport, seq)
        pack("!H", frame, 50, tcpsum)
        try:
            sock.send(frame)
        except OSError:  # ENOBUFS: the veth's queue is full, the flood is as fast as it gets
            continue
        sent += 1
    took = time.monotonic() - t0
    print("sent=%d secs=%.1f pps=%.0f" % (sent, took, sent / took if took else 0))


if __name__ == "__main__":
    main()
