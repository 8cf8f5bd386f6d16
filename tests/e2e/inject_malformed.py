#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The malformed-packet corpus: frames with one defect each (or none), sent to the appliance
from either side, each with the one outcome it must have: a drop reason of lib/common/drop.h,
or "forwarded" (the appliance must pass it on, translated).

Run inside a namespace with Debian's python (scapy):
  inside (client namespace, toward the inside port):
    ip netns exec egwcli /usr/bin/python3 inject_malformed.py --side inside --iface egwc0 \\
        --dst-mac MAC [--count 3]
  outside (server namespace, toward the outside port; --nat is the translated endpoint of a
  UDP flow the client holds open from CLIENT:40100 to SERVER:9000, where replies may go):
    ip netns exec egwsrv /usr/bin/python3 inject_malformed.py --side outside --iface egws0 \\
        --dst-mac MAC --nat 198.51.100.11:4242
Prints one JSON object: {"sent": {case: n}, "expected": {outcome: n}, "skipped": {...}}, where
an outcome is a drop reason, or "forwarded:outbound" / "forwarded:inbound".
--list prints the corpus; --pcap FILE writes each frame once instead of sending.

Frames are sent with a raw packet socket, so the sender's kernel never sees or fixes them.
"""
import argparse
import json
import logging
import sys

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import (ARP, ICMP, IP, TCP, UDP, Dot1AD, Dot1Q, Ether, IPv6, Raw,  # noqa: E402
                       conf, get_if_hwaddr)
from scapy.all import raw as scapy_raw  # noqa: E402

CLIENT = "198.18.0.2"
SERVER = "203.0.113.1"
GW_INSIDE = "198.18.0.1"
GW_OUTSIDE = "203.0.113.2"
POOL_ADDR = "198.51.100.10"
SINK_PORT = 9000  # a UDP socket on the server that reads and never answers
PAYLOAD = b"egressgw-malformed-test"
FWD_OUT = "forwarded:outbound"
FWD_IN = "forwarded:inbound"

# IPv4 options (RFC 791): type, length, data.
OPT_LSRR = bytes([131, 7, 4, 203, 0, 113, 9])
OPT_SSRR = bytes([137, 7, 4, 203, 0, 113, 9])
OPT_RR = bytes([7, 7, 4, 0, 0, 0, 0])
OPT_TS = bytes([68, 8, 5, 0, 0, 0, 0, 0])
OPT_RA = bytes([148, 4, 0, 0])
NOP, EOL = b"\x01", b"\x00"


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


def with_options(b, opts):
    """IPv4 packet B (20-byte header) with the option bytes OPTS, padded with EOL to a multiple
    of 4; IHL, total length and checksum follow. The L4 checksum does not cover options."""
    opts = opts + EOL * (-len(opts) % 4)
    out = bytearray(b[:20] + opts + b[20:])
    out[0] = 0x40 | (len(out[:20 + len(opts)]) // 4)
    out[2:4] = len(out).to_bytes(2, "big")
    return fix_ip_checksum(bytes(out))


def patched(b, offset, value):
    """B with bytes at OFFSET replaced by VALUE, IPv4 checksum fixed."""
    out = bytearray(b)
    out[offset:offset + len(value)] = value
    return fix_ip_checksum(bytes(out))


def udp(src, dst, sport, dport=SINK_PORT, **ip):
    return ip_bytes(IP(src=src, dst=dst, **ip) / UDP(sport=sport, dport=dport) / PAYLOAD)


def tcp(src, dst, sport, dport, flags, **ip):
    return ip_bytes(IP(src=src, dst=dst, **ip) / TCP(sport=sport, dport=dport, flags=flags))


def common_defects(e, src, dst, port):
    """Header defects, the same from either side: (name, outcome, frame)."""
    good = udp(src, dst, port)
    bad_csum = bytearray(good)
    bad_csum[10] ^= 0x5A
    return [
        ("ip_truncated", "ip_truncated", e + good[:10]),
        ("ip_bad_version", "ip_bad_version", e + patched(good, 0, b"\x65")),
        ("ip_ihl_below_20", "ip_bad_ihl", e + patched(good, 0, b"\x44")),
        ("ip_ihl_past_frame", "ip_bad_ihl", e + patched(good, 0, b"\x4f")),
        ("ip_total_length_past_frame", "ip_bad_length",
         e + patched(good, 2, (len(good) + 100).to_bytes(2, "big"))),
        ("ip_total_length_below_header", "ip_bad_length",
         e + patched(good, 2, (12).to_bytes(2, "big"))),
        ("ip_bad_checksum", "ip_bad_checksum", e + bytes(bad_csum)),
        ("ip_martian_src_loopback", "ip_martian", e + udp("127.0.0.1", dst, port + 1)),
        ("ip_martian_dst_multicast", "ip_martian", e + udp(src, "224.0.0.251", port + 2)),
        ("ip_proto_gre", "l4_unsupported",
         e + ip_bytes(IP(src=src, dst=dst, proto=47) / Raw(b"\x00\x00\x08\x00" + PAYLOAD))),
        ("tcp_truncated", "l4_truncated",
         e + ip_bytes(IP(src=src, dst=dst, proto=6) / Raw(b"\x9c\x41\x1f\x90" + b"\0" * 6))),
        ("tcp_syn_fin", "tcp_bad_flags", e + tcp(src, dst, port + 3, 80, "SF")),
        ("tcp_no_flags", "tcp_bad_flags", e + tcp(src, dst, port + 4, 80, "")),
        ("tcp_xmas_fin_psh_urg", "tcp_bad_flags", e + tcp(src, dst, port + 5, 80, "FPU")),
        ("udp_length_short_of_payload", "udp_bad_length",
         e + ip_bytes(IP(src=src, dst=dst) / UDP(sport=port + 6, dport=SINK_PORT, len=12)
                      / PAYLOAD)),
        ("ip_option_length_0", "ip_bad_options", e + with_options(good, bytes([7, 0]))),
        ("ip_option_past_header", "ip_bad_options", e + with_options(good, bytes([7, 9, 4]))),
        ("ip_option_lsrr", "ip_source_route", e + with_options(good, OPT_LSRR)),
        ("ipv6_frame", "ethertype_unsupported",
         e[:12] + b"\x86\xdd" + scapy_raw(IPv6(src="2001:db8::2", dst="2001:db8::1")
                                         / UDP(sport=port + 7, dport=SINK_PORT) / PAYLOAD)),
    ]


def inside_cases(eth, bad_eth):
    """Client namespace -> the inside port. (name, outcome, frame)."""
    e = bytes(eth)
    good_udp = udp(CLIENT, SERVER, 40001)
    inner_echo = IP(src=SERVER, dst=CLIENT) / ICMP(type=3, code=3) / IP(src=CLIENT, dst=SERVER)
    out = [("in_" + n, r, f) for n, r, f in common_defects(e, CLIENT, SERVER, 41000)]
    out += [
        # L4 defects
        ("udp_truncated", "l4_truncated",
         e + ip_bytes(IP(src=CLIENT, dst=SERVER, proto=17) / Raw(b"\x9c\x41\x23"))),
        ("icmp_truncated", "l4_truncated",
         e + ip_bytes(IP(src=CLIENT, dst=SERVER, proto=1) / Raw(b"\x08\x00\xf7"))),
        ("tcp_data_offset_4", "tcp_bad_data_offset",
         e + ip_bytes(IP(src=CLIENT, dst=SERVER) / TCP(sport=40005, dport=80, flags="S", dataofs=4))),
        ("tcp_data_offset_past_packet", "tcp_bad_data_offset",
         e + ip_bytes(IP(src=CLIENT, dst=SERVER) / TCP(sport=40006, dport=80, flags="S", dataofs=15))),
        ("tcp_syn_rst", "tcp_bad_flags", e + tcp(CLIENT, SERVER, 40008, 80, "SR")),
        ("tcp_fin_only", "tcp_bad_flags", e + tcp(CLIENT, SERVER, 40030, 80, "F")),
        ("tcp_psh_only", "tcp_bad_flags", e + tcp(CLIENT, SERVER, 40031, 80, "P")),
        # TCP segments that may not start a flow (tcp_pickup = yes)
        ("tcp_synack_new", "tcp_not_syn", e + tcp(CLIENT, SERVER, 40032, 80, "SA")),
        ("tcp_rst_new", "tcp_not_syn", e + tcp(CLIENT, SERVER, 40033, 80, "R")),
        ("tcp_rst_ack_new", "tcp_not_syn", e + tcp(CLIENT, SERVER, 40034, 80, "RA")),
        ("udp_length_past_packet", "udp_bad_length",
         e + ip_bytes(IP(src=CLIENT, dst=SERVER) / UDP(sport=40009, dport=9000, len=100) / PAYLOAD)),
        ("udp_length_below_header", "udp_bad_length",
         e + ip_bytes(IP(src=CLIENT, dst=SERVER) / UDP(sport=40010, dport=9000, len=4) / PAYLOAD)),
        ("icmp_timestamp_request", "icmp_unsupported",
         e + ip_bytes(IP(src=CLIENT, dst=SERVER) / ICMP(type=13, id=7, seq=1, ts_ori=0, ts_rx=0, ts_tx=0) / Raw(b"\0" * 12))),
        ("icmp_echo_reply_new", "icmp_unsupported",
         e + ip_bytes(IP(src=CLIENT, dst=SERVER) / ICMP(type=0, id=77, seq=1) / PAYLOAD)),
        ("icmp_error_short_quote", "icmp_error_malformed",
         e + ip_bytes(IP(src=CLIENT, dst=SERVER) / ICMP(type=3, code=3) / Raw(b"\x45\x00\x00\x1c\0\0"))),
        ("icmp_error_inner_version_6", "icmp_error_malformed",
         e + ip_bytes(IP(src=CLIENT, dst=SERVER) / ICMP(type=3, code=3)
                      / Raw(b"\x65" + bytes(IP(src=SERVER, dst=CLIENT) / UDP())[1:]))),
        ("icmp_error_inner_gre", "icmp_error_malformed",
         e + ip_bytes(IP(src=CLIENT, dst=SERVER) / ICMP(type=3, code=3)
                      / IP(src=SERVER, dst=CLIENT, proto=47) / Raw(b"\0" * 8))),
        ("icmp_error_about_icmp_error", "icmp_error_malformed",
         e + ip_bytes(IP(src=CLIENT, dst=SERVER) / ICMP(type=3, code=1)
                      / Raw(bytes(inner_echo)[:28]))),
        # a port unreachable about a reply the client never received: no such flow
        ("icmp_error_unknown_flow", "icmp_error_no_flow",
         e + ip_bytes(IP(src=CLIENT, dst=SERVER) / ICMP(type=3, code=3)
                      / IP(src=SERVER, dst=CLIENT) / UDP(sport=53, dport=40011) / Raw(b"\0" * 8))),
        # not IPv4 at all
        # tagged, on a port without VLANs; two tags (QinQ)
        ("vlan_tagged_frame", "vlan_unknown",
         bytes(Ether(src=eth.src, dst=eth.dst) / Dot1Q(vlan=5)
               / IP(src=CLIENT, dst=SERVER) / UDP(sport=40013, dport=9000) / PAYLOAD)),
        ("qinq_frame", "vlan_qinq",
         bytes(Ether(src=eth.src, dst=eth.dst) / Dot1AD(vlan=6) / Dot1Q(vlan=5)
               / IP(src=CLIENT, dst=SERVER) / UDP(sport=40054, dport=9000) / PAYLOAD)),
        ("ieee8023_length_frame", "ethertype_unsupported", e[:12] + b"\x00\x40" + good_udp),
        ("arp_not_ethernet", "arp_malformed",
         bytes(Ether(src=eth.src, dst="ff:ff:ff:ff:ff:ff") / ARP(hwtype=6, hwlen=6, plen=4, op=1, hwsrc=eth.src, psrc=CLIENT, pdst=GW_INSIDE))),
        ("arp_truncated", "arp_malformed",
         bytes(Ether(src=eth.src, dst="ff:ff:ff:ff:ff:ff", type=0x0806)) + bytes(ARP(op=1, psrc=CLIENT, pdst=GW_INSIDE))[:10]),
        # ARP the control thread reads and drops: a reply nobody asked for, a sender off the subnet
        ("arp_reply_unsolicited", "arp_handled",
         bytes(Ether(src=eth.src, dst=eth.dst) / ARP(op=2, hwsrc=eth.src, psrc=CLIENT, hwdst=eth.dst, pdst=GW_INSIDE))),
        ("arp_request_off_subnet", "arp_handled",
         bytes(Ether(src=eth.src, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=eth.src, psrc="10.9.9.9", pdst=GW_INSIDE))),
        # well-formed, but not something the appliance forwards
        ("unicast_to_other_mac", "l2_not_for_us", bytes(bad_eth) + udp(CLIENT, SERVER, 40014)),
        ("udp_to_own_address", "local_unsupported", e + udp(CLIENT, GW_INSIDE, 40015, 9)),
        ("tcp_syn_to_own_address", "local_unsupported", e + tcp(CLIENT, GW_INSIDE, 40016, 22, "S")),
        ("ping_outside_address", "local_other_side",
         e + ip_bytes(IP(src=CLIENT, dst=GW_OUTSIDE) / ICMP(type=8, id=97, seq=1))),
        ("ip_martian_dst_loopback", "ip_martian", e + udp(CLIENT, "127.0.0.1", 40003)),
        ("ip_martian_dst_limited_broadcast", "ip_martian", e + udp(CLIENT, "255.255.255.255", 40035)),
        ("ip_martian_src_zero", "ip_martian", e + udp("0.0.0.0", SERVER, 40036)),
        ("ip_martian_src_class_e", "ip_martian", e + udp("240.0.0.1", SERVER, 40037)),
        # a source this side cannot have (the route back is not through this port)
        ("src_not_routed_back", "no_route", e + udp("198.19.0.5", SERVER, 40038)),
        # our own addresses as the source: spoofed, their replies would come back to us
        ("src_own_inside_address", "ip_own_source", e + udp(GW_INSIDE, SERVER, 40039)),
        ("src_own_outside_address", "ip_own_source", e + udp(GW_OUTSIDE, SERVER, 40040)),
        ("src_pool_address", "ip_own_source", e + udp(POOL_ADDR, SERVER, 40041)),
        ("ping_own_from_own", "ip_own_source",
         e + ip_bytes(IP(src=GW_OUTSIDE, dst=GW_INSIDE) / ICMP(type=8, id=9, seq=1))),
        # directed broadcasts of the connected subnets
        ("dst_inside_broadcast", "ip_subnet_broadcast", e + udp(CLIENT, "198.18.0.255", 40042)),
        ("dst_inside_network", "ip_subnet_broadcast", e + udp(CLIENT, "198.18.0.0", 40043)),
        ("dst_outside_broadcast", "ip_subnet_broadcast", e + udp(CLIENT, "203.0.113.255", 40044)),
        ("src_inside_broadcast", "ip_subnet_broadcast", e + udp("198.18.0.255", SERVER, 40045)),
        # IPv4 options: source routes dropped ([egress] ip_options default), the rest passes
        ("ip_option_ssrr", "ip_source_route", e + with_options(good_udp, OPT_SSRR)),
        ("ip_option_nop_lsrr", "ip_source_route", e + with_options(good_udp, NOP + OPT_LSRR)),
        ("ip_option_length_1", "ip_bad_options", e + with_options(good_udp, bytes([68, 1]))),
        ("ip_option_type_without_length", "ip_bad_options",
         e + with_options(good_udp, NOP * 3 + bytes([7]))),
        ("ip_option_record_route", FWD_OUT, e + with_options(udp(CLIENT, SERVER, 40046), OPT_RR)),
        ("ip_option_timestamp", FWD_OUT, e + with_options(udp(CLIENT, SERVER, 40047), OPT_TS)),
        ("ip_option_router_alert", FWD_OUT, e + with_options(udp(CLIENT, SERVER, 40048), OPT_RA)),
        ("ip_option_nop_eol", FWD_OUT, e + with_options(udp(CLIENT, SERVER, 40049), NOP * 3 + EOL)),
        ("udp_zero_checksum", FWD_OUT,
         e + ip_bytes(IP(src=CLIENT, dst=SERVER) / UDP(sport=40050, dport=SINK_PORT, chksum=0) / PAYLOAD)),
        ("udp_ethernet_padding", FWD_OUT, e + udp(CLIENT, SERVER, 40051) + b"\xee" * 9),
        # TTL 1 and 0: time exceeded goes back to the client
        ("ttl_1", "ttl_exceeded", e + udp(CLIENT, SERVER, 40052, ttl=1)),
        ("ttl_0", "ttl_exceeded", e + udp(CLIENT, SERVER, 40053, ttl=0)),
    ]
    return out


def outside_cases(eth, bad_eth, nat_addr, nat_port):
    """Server namespace -> the outside port. NAT_ADDR:NAT_PORT is where the held UDP flow's
    replies go. (name, outcome, frame)."""
    e = bytes(eth)
    reply = udp(SERVER, nat_addr, SINK_PORT, nat_port)
    out = [("out_" + n, r, f) for n, r, f in common_defects(e, SERVER, nat_addr, 42000)]
    out += [
        ("out_tcp_null_scan", "tcp_bad_flags", e + tcp(SERVER, POOL_ADDR, 443, 40100, "")),
        ("out_udp_unsolicited", "unsolicited_inbound", e + udp(SERVER, POOL_ADDR, 53, 33333)),
        ("out_tcp_syn_unsolicited", "unsolicited_inbound", e + tcp(SERVER, POOL_ADDR, 40200, 22, "S")),
        ("out_echo_request_to_pool", "unsolicited_inbound",
         e + ip_bytes(IP(src=SERVER, dst=POOL_ADDR) / ICMP(type=8, id=99, seq=1))),
        ("out_udp_to_inside_host", "unsolicited_inbound", e + udp(SERVER, CLIENT, 53, 40100)),
        ("out_icmp_error_unknown_flow", "icmp_error_no_flow",
         e + ip_bytes(IP(src=SERVER, dst=POOL_ADDR) / ICMP(type=3, code=3)
                      / IP(src=POOL_ADDR, dst=SERVER) / UDP(sport=5555, dport=53) / Raw(b"\0" * 8))),
        ("out_icmp_redirect", "icmp_unsupported",
         e + ip_bytes(IP(src=SERVER, dst=POOL_ADDR) / ICMP(type=5, code=1, gw="203.0.113.9")
                      / IP(src=POOL_ADDR, dst=SERVER) / UDP(sport=5555, dport=53))),
        ("out_udp_to_own_address", "local_unsupported", e + udp(SERVER, GW_OUTSIDE, 53, 53)),
        ("out_ping_inside_address", "local_other_side",
         e + ip_bytes(IP(src=SERVER, dst=GW_INSIDE) / ICMP(type=8, id=98, seq=1))),
        ("out_src_own_outside_address", "ip_own_source", e + udp(GW_OUTSIDE, POOL_ADDR, 53, 33334)),
        ("out_src_own_inside_address", "ip_own_source", e + udp(GW_INSIDE, POOL_ADDR, 53, 33335)),
        ("out_dst_outside_broadcast", "ip_subnet_broadcast", e + udp(SERVER, "203.0.113.255", 53, 53)),
        ("out_dst_inside_broadcast", "ip_subnet_broadcast", e + udp(SERVER, "198.18.0.255", 53, 53)),
        ("out_src_outside_broadcast", "ip_subnet_broadcast", e + udp("203.0.113.255", POOL_ADDR, 53, 53)),
        ("out_reply_ip_option_ssrr", "ip_source_route", e + with_options(reply, OPT_SSRR)),
        ("out_unicast_to_other_mac", "l2_not_for_us", bytes(bad_eth) + reply),
        ("out_arp_reply_unsolicited", "arp_handled",
         bytes(Ether(src=eth.src, dst=eth.dst) / ARP(op=2, hwsrc=eth.src, psrc=SERVER, hwdst=eth.dst, pdst=GW_OUTSIDE))),
        # replies to the held flow: forwarded, options and all; TTL 1 dies here
        ("out_reply", FWD_IN, e + reply),
        ("out_reply_ip_option_record_route", FWD_IN, e + with_options(reply, OPT_RR)),
        ("out_reply_ip_option_timestamp", FWD_IN, e + with_options(reply, OPT_TS)),
        ("out_reply_ttl_1", "ttl_exceeded", e + udp(SERVER, nat_addr, SINK_PORT, nat_port, ttl=1)),
    ]
    return out


# Defects that cannot reach the appliance through a veth and net_af_packet; the pipeline unit
# tests cover them:
# - eth_truncated: the kernel refuses to send frames shorter than an Ethernet header
#   (dev_validate_header);
# - ip_fragment: DPDK 22.11's af_packet PMD joins a PACKET_FANOUT group with
#   PACKET_FANOUT_FLAG_DEFRAG, so the kernel holds fragments and delivers only reassembled
#   packets (a lone fragment never arrives);
# - mtu_exceeded: a veth does not carry a frame larger than its MTU.
SKIPPED = {
    "eth_truncated": "frames under 14 bytes cannot be sent over a veth",
    "ip_fragment": "net_af_packet (PACKET_FANOUT_FLAG_DEFRAG) delivers reassembled packets only",
    "mtu_exceeded": "a veth does not carry frames above its MTU",
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--side", choices=("inside", "outside"), default="inside")
    ap.add_argument("--iface")
    ap.add_argument("--dst-mac", required=True, help="the appliance's MAC on that side")
    ap.add_argument("--nat", default="%s:4242" % POOL_ADDR,
                    help="outside: ADDR:PORT the held UDP flow's replies go to")
    ap.add_argument("--count", type=int, default=3)
    ap.add_argument("--only", help="comma-separated case names")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--pcap", help="write the frames (once each) to this pcap instead of sending")
    ap.add_argument("--src-mac", help="default: the MAC of --iface")
    a = ap.parse_args()
    if not a.src_mac and not a.iface:
        sys.exit("--iface or --src-mac is needed")

    src_mac = a.src_mac or get_if_hwaddr(a.iface)
    eth = Ether(src=src_mac, dst=a.dst_mac, type=0x0800)
    bad_eth = Ether(src=src_mac, dst="02:00:00:00:00:99", type=0x0800)
    if a.side == "inside":
        all_cases = inside_cases(eth, bad_eth)
    else:
        nat_addr, _, nat_port = a.nat.partition(":")
        all_cases = outside_cases(eth, bad_eth, nat_addr, int(nat_port))
    names = [c[0] for c in all_cases]
    if len(set(names)) != len(names):
        sys.exit("duplicate case names")
    if a.list:
        for name, outcome, frame in all_cases:
            print("%-36s %-22s %d bytes" % (name, outcome, len(frame)))
        return
    if a.only:
        want = set(a.only.split(","))
        all_cases = [c for c in all_cases if c[0] in want]
        if not all_cases:
            sys.exit("no such case: %s" % a.only)

    if a.pcap:
        from scapy.all import wrpcap
        wrpcap(a.pcap, [Ether(f) for _, _, f in all_cases])
        for name, outcome, frame in all_cases:
            print("%s %s %d" % (name, outcome, len(frame)))
        return
    sock = conf.L2socket(iface=a.iface)
    sent, expected = {}, {}
    try:
        for _ in range(a.count):
            for name, outcome, frame in all_cases:
                n = sock.send(frame)
                if n != len(frame):
                    sys.exit("%s: sent %s of %d bytes" % (name, n, len(frame)))
                sent[name] = sent.get(name, 0) + 1
                expected[outcome] = expected.get(outcome, 0) + 1
    finally:
        sock.close()
    json.dump({"sent": sent, "expected": expected, "skipped": SKIPPED}, sys.stdout, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
