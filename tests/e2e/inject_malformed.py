#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Sends malformed (and otherwise undeliverable) frames to the appliance, each with exactly one
defect, so that each must be dropped with one reason of lib/common/drop.h.

Run inside the client namespace with Debian's python (scapy):
  ip netns exec egwcli /usr/bin/python3 inject_malformed.py --iface egwc0 --dst-mac MAC [--count 3]
Prints one JSON object on stdout: {"sent": {case: n}, "expected": {drop_reason: n}, "skipped": {...}}.

Frames are sent with a raw packet socket, so the client's kernel never sees or fixes them.
"""
import argparse
import json
import logging
import sys

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import (ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether, IPv6, Raw,  # noqa: E402
                       conf, get_if_hwaddr)
from scapy.all import raw as scapy_raw  # noqa: E402

CLIENT = "198.18.0.2"
SERVER = "203.0.113.1"
GW_INSIDE = "198.18.0.1"
PAYLOAD = b"egressgw-malformed-test"


def ip_bytes(pkt):
    """The IPv4 packet as bytes, with length and checksum computed for the fields as set."""
    return scapy_raw(pkt)


def fix_ip_checksum(b):
    """Recomputes the IPv4 header checksum of B (header length from its IHL, at least 20)."""
    ihl = max((b[0] & 0x0F) * 4, 20)
    h = bytearray(b[:ihl])
    h[10:12] = b"\0\0"
    s = 0
    for i in range(0, len(h), 2):
        s += (h[i] << 8) + (h[i + 1] if i + 1 < len(h) else 0)
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    h[10:12] = (~s & 0xFFFF).to_bytes(2, "big")
    return bytes(h) + b[ihl:]


def cases(eth, bad_eth):
    """(case name, drop reason, frame bytes) for every defect."""
    udp = IP(src=CLIENT, dst=SERVER) / UDP(sport=40001, dport=9000) / PAYLOAD
    good_udp = ip_bytes(udp)

    # IPv4 header defects
    bad_len_big = bytearray(good_udp)
    bad_len_big[2:4] = (len(good_udp) + 100).to_bytes(2, "big")
    bad_len_small = bytearray(good_udp)
    bad_len_small[2:4] = (12).to_bytes(2, "big")
    bad_csum = bytearray(good_udp)
    bad_csum[10] ^= 0x5A
    bad_ver = bytearray(good_udp)
    bad_ver[0] = 0x65  # version 6, IHL 5, inside an IPv4 ethertype
    ihl4 = bytearray(good_udp)
    ihl4[0] = 0x44  # IHL 4 = 16 bytes: below the minimum
    ihl15 = bytearray(good_udp)
    ihl15[0] = 0x4F  # IHL 15 = 60 bytes: past the 51-byte packet

    e = bytes(eth)
    out = [
        ("ip_truncated", "ip_truncated", e + good_udp[:10]),
        ("ip_bad_version", "ip_bad_version", e + fix_ip_checksum(bytes(bad_ver))),
        ("ip_ihl_below_20", "ip_bad_ihl", e + bytes(ihl4)),
        ("ip_ihl_past_frame", "ip_bad_ihl", e + bytes(ihl15)),
        ("ip_total_length_past_frame", "ip_bad_length", e + fix_ip_checksum(bytes(bad_len_big))),
        ("ip_total_length_below_header", "ip_bad_length", e + fix_ip_checksum(bytes(bad_len_small))),
        ("ip_bad_checksum", "ip_bad_checksum", e + bytes(bad_csum)),
        ("ip_martian_dst_loopback", "ip_martian",
         e + ip_bytes(IP(src=CLIENT, dst="127.0.0.1") / UDP(sport=40003, dport=9000) / PAYLOAD)),
        ("ip_martian_src_loopback", "ip_martian",
         e + ip_bytes(IP(src="127.0.0.1", dst=SERVER) / UDP(sport=40004, dport=9000) / PAYLOAD)),
        # L4 defects
        ("ip_proto_gre", "l4_unsupported",
         e + ip_bytes(IP(src=CLIENT, dst=SERVER, proto=47) / Raw(b"\x00\x00\x08\x00" + PAYLOAD))),
        ("tcp_truncated", "l4_truncated",
         e + ip_bytes(IP(src=CLIENT, dst=SERVER, proto=6) / Raw(b"\x9c\x41\x1f\x90" + b"\0" * 6))),
        ("udp_truncated", "l4_truncated",
         e + ip_bytes(IP(src=CLIENT, dst=SERVER, proto=17) / Raw(b"\x9c\x41\x23"))),
        ("icmp_truncated", "l4_truncated",
         e + ip_bytes(IP(src=CLIENT, dst=SERVER, proto=1) / Raw(b"\x08\x00\xf7"))),
        ("tcp_data_offset_4", "tcp_bad_data_offset",
         e + ip_bytes(IP(src=CLIENT, dst=SERVER) / TCP(sport=40005, dport=80, flags="S", dataofs=4))),
        ("tcp_data_offset_past_packet", "tcp_bad_data_offset",
         e + ip_bytes(IP(src=CLIENT, dst=SERVER) / TCP(sport=40006, dport=80, flags="S", dataofs=15))),
        ("tcp_syn_fin", "tcp_bad_flags",
         e + ip_bytes(IP(src=CLIENT, dst=SERVER) / TCP(sport=40007, dport=80, flags="SF"))),
        ("tcp_syn_rst", "tcp_bad_flags",
         e + ip_bytes(IP(src=CLIENT, dst=SERVER) / TCP(sport=40008, dport=80, flags="SR"))),
        ("udp_length_past_packet", "udp_bad_length",
         e + ip_bytes(IP(src=CLIENT, dst=SERVER) / UDP(sport=40009, dport=9000, len=100) / PAYLOAD)),
        ("udp_length_below_header", "udp_bad_length",
         e + ip_bytes(IP(src=CLIENT, dst=SERVER) / UDP(sport=40010, dport=9000, len=4) / PAYLOAD)),
        ("icmp_timestamp_request", "icmp_unsupported",
         e + ip_bytes(IP(src=CLIENT, dst=SERVER) / ICMP(type=13, id=7, seq=1) / Raw(b"\0" * 12))),
        ("icmp_error_short_quote", "icmp_error_malformed",
         e + ip_bytes(IP(src=CLIENT, dst=SERVER) / ICMP(type=3, code=3) / Raw(b"\x45\x00\x00\x1c\0\0"))),
        # a port unreachable about a reply the client never received: no such flow
        ("icmp_error_unknown_flow", "icmp_error_no_flow",
         e + ip_bytes(IP(src=CLIENT, dst=SERVER) / ICMP(type=3, code=3)
                      / IP(src=SERVER, dst=CLIENT) / UDP(sport=53, dport=40011) / Raw(b"\0" * 8))),
        # not IPv4 at all
        ("ipv6_frame", "ethertype_unsupported",
         bytes(Ether(src=eth.src, dst=eth.dst) / IPv6(src="2001:db8::2", dst="2001:db8::1")
               / UDP(sport=40012, dport=9000) / PAYLOAD)),
        ("vlan_tagged_frame", "ethertype_unsupported",
         bytes(Ether(src=eth.src, dst=eth.dst) / Dot1Q(vlan=5)
               / IP(src=CLIENT, dst=SERVER) / UDP(sport=40013, dport=9000) / PAYLOAD)),
        ("arp_not_ethernet", "arp_malformed",
         bytes(Ether(src=eth.src, dst="ff:ff:ff:ff:ff:ff") / ARP(hwtype=6, hwlen=6, plen=4, op=1, hwsrc=eth.src, psrc=CLIENT, pdst=GW_INSIDE))),
        ("arp_truncated", "arp_malformed",
         bytes(Ether(src=eth.src, dst="ff:ff:ff:ff:ff:ff", type=0x0806)) + bytes(ARP(op=1, psrc=CLIENT, pdst=GW_INSIDE))[:10]),
        # well-formed, but not something the appliance forwards
        ("unicast_to_other_mac", "l2_not_for_us",
         bytes(bad_eth) + ip_bytes(IP(src=CLIENT, dst=SERVER) / UDP(sport=40014, dport=9000) / PAYLOAD)),
        ("udp_to_own_address", "local_unsupported",
         e + ip_bytes(IP(src=CLIENT, dst=GW_INSIDE) / UDP(sport=40015, dport=9) / PAYLOAD)),
        ("tcp_syn_to_own_address", "local_unsupported",
         e + ip_bytes(IP(src=CLIENT, dst=GW_INSIDE) / TCP(sport=40016, dport=22, flags="S"))),
    ]
    return out


# Defects that cannot reach the appliance through a veth and net_af_packet; the pipeline unit
# tests cover them:
# - eth_truncated: the kernel refuses to send frames shorter than an Ethernet header
#   (dev_validate_header);
# - ip_fragment: DPDK 22.11's af_packet PMD joins a PACKET_FANOUT group with
#   PACKET_FANOUT_FLAG_DEFRAG, so the kernel holds fragments and delivers only reassembled
#   packets (a lone fragment never arrives).
SKIPPED = {
    "eth_truncated": "frames under 14 bytes cannot be sent over a veth",
    "ip_fragment": "net_af_packet (PACKET_FANOUT_FLAG_DEFRAG) delivers reassembled packets only",
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iface", required=True)
    ap.add_argument("--dst-mac", required=True, help="the appliance's inside MAC")
    ap.add_argument("--count", type=int, default=3)
    ap.add_argument("--only", help="comma-separated case names")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--pcap", help="write the frames (once each) to this pcap instead of sending")
    ap.add_argument("--src-mac", help="default: the MAC of --iface")
    a = ap.parse_args()

    src_mac = a.src_mac or get_if_hwaddr(a.iface)
    eth = Ether(src=src_mac, dst=a.dst_mac, type=0x0800)
    bad_eth = Ether(src=src_mac, dst="02:00:00:00:00:99", type=0x0800)
    all_cases = cases(eth, bad_eth)
    if a.list:
        for name, reason, frame in all_cases:
            print("%-32s %-22s %d bytes" % (name, reason, len(frame)))
        return
    if a.only:
        want = set(a.only.split(","))
        all_cases = [c for c in all_cases if c[0] in want]
        if not all_cases:
            sys.exit("no such case: %s" % a.only)

    if a.pcap:
        from scapy.all import wrpcap
        wrpcap(a.pcap, [Ether(f) for _, _, f in all_cases])
        for name, reason, frame in all_cases:
            print("%s %s %d" % (name, reason, len(frame)))
        return
    sock = conf.L2socket(iface=a.iface)
    sent, expected = {}, {}
    try:
        for _ in range(a.count):
            for name, reason, frame in all_cases:
                n = sock.send(frame)
                if n != len(frame):
                    sys.exit("%s: sent %s of %d bytes" % (name, n, len(frame)))
                sent[name] = sent.get(name, 0) + 1
                expected[reason] = expected.get(reason, 0) + 1
    finally:
        sock.close()
    json.dump({"sent": sent, "expected": expected, "skipped": SKIPPED}, sys.stdout, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
