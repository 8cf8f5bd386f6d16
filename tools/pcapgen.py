#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes a pcap of N TCP flows (one 64-byte ACK segment each, client -> server) for replay
through egressgw, dpdk-testpmd or Open vSwitch with net_pcap,infinite_rx=1.

Clients are spread over 198.18.0.0/16 (the inside network), servers over 203.0.113.0/24,
ports vary, so every packet is its own flow and the replay loops over established flows
(egressgw's tcp_pickup admits them on first sight).

--first F writes flows F .. F+N-1 of the same sequence, so that one set of flows can be split
over several files (tools/bench/side_by_side.sh does, for ports that each replay a share)."""
import argparse
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(dmac, smac, src, dst, sport, dport):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, 1, 1, 5 << 4, 0x10, 65535, 0, 0)
    pseudo = struct.pack("!4s4sBBH", src, dst, 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = dmac + smac + b"\x08\x00"
    pkt = eth + ip + tcp
    return pkt + b"\0" * (60 - len(pkt))  # Ethernet minimum, without FCS


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--flows", type=int, default=1024)
    ap.add_argument("--first", type=int, default=0, help="number of the first flow")
    ap.add_argument("--dst-mac", default="02:00:00:00:00:01")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    dmac = bytes(int(x, 16) for x in a.dst_mac.split(":"))
    smac = bytes([2, 0, 0, 0, 0, 2])
    with open(a.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(a.first, a.first + a.flows):
            src = bytes([198, 18, 1 + (i >> 8) % 250, 1 + i % 250])
            dst = bytes([203, 0, 113, 10 + (i * 7) % 200])
            p = frame(dmac, smac, src, dst, 10000 + (i * 13) % 50000, 80 + i % 3)
            f.write(struct.pack("<IIII", 0, i, len(p), len(p)) + p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
