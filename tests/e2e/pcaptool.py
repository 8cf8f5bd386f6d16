#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Checks on tcpdump captures of the end-to-end tests (run with /usr/bin/python3: needs scapy).

  pcaptool.py sources PCAP --dst IP --pool FIRST-LAST [--paired] [--protos tcp,udp,icmp]
      every IPv4 packet to IP came from the pool (never from 198.18.0.0/15); --paired: from a
      single pool address; --protos: each protocol was seen at least once.
  pcaptool.py garp PCAP --ip IP --mac MAC
      a gratuitous ARP (request with sender = target = IP, or a broadcast reply) from IP/MAC.
  pcaptool.py ttl PCAP --dst IP --proto icmp --ttl N
      every such packet to IP arrived with TTL N.
  pcaptool.py count PCAP [--dst IP] [--src IP]
      prints the number of IPv4 packets (to IP / from IP).
  pcaptool.py udpsrc PCAP --dst IP --dport PORT
      prints "ADDRESS PORT", the source of the first UDP packet to IP:PORT (a NAT mapping).
Exit 0 and a one-line summary on success, 1 and the reason otherwise.
"""
import argparse
import ipaddress
import logging
import sys

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import ARP, IP, UDP, Ether, rdpcap  # noqa: E402

INSIDE = ipaddress.ip_network("198.18.0.0/15")
PROTO_NAMES = {1: "icmp", 6: "tcp", 17: "udp"}


def load(path):
    try:
        return rdpcap(path)
    except FileNotFoundError:
        sys.exit("capture %s does not exist" % path)
    except Exception as e:  # an empty capture has no pcap header when tcpdump was killed early
        sys.exit("cannot read capture %s: %s" % (path, e))


def cmd_sources(a):
    first, _, last = a.pool.partition("-")
    first = ipaddress.ip_address(first)
    last = ipaddress.ip_address(last or str(first))
    dst = a.dst
    srcs, protos, n, bad = {}, set(), 0, []
    for p in load(a.pcap):
        if IP not in p or p[IP].dst != dst:
            continue
        n += 1
        s = ipaddress.ip_address(p[IP].src)
        srcs[str(s)] = srcs.get(str(s), 0) + 1
        protos.add(PROTO_NAMES.get(p[IP].proto, str(p[IP].proto)))
        if s in INSIDE or not first <= s <= last:
            bad.append(p.summary())
    if n == 0:
        sys.exit("no IPv4 packet to %s in %s" % (dst, a.pcap))
    if bad:
        sys.exit("%d of %d packets to %s not from the pool %s, e.g. %s" % (len(bad), n, dst, a.pool, bad[:3]))
    if a.paired and len(srcs) != 1:
        sys.exit("paired pooling: expected one source address, saw %s" % srcs)
    if a.protos:
        missing = set(a.protos.split(",")) - protos
        if missing:
            sys.exit("no %s packet to %s seen (saw %s)" % (",".join(sorted(missing)), dst, sorted(protos)))
    print("%d packets to %s, sources %s, protocols %s" % (n, dst, srcs, ",".join(sorted(protos))))


def cmd_garp(a):
    mac = a.mac.lower()
    seen = []
    for p in load(a.pcap):
        if ARP not in p:
            continue
        arp = p[ARP]
        seen.append(p.summary())
        if arp.psrc != a.ip or arp.hwsrc.lower() != mac:
            continue
        request_form = arp.op == 1 and arp.pdst == a.ip
        reply_form = arp.op == 2 and Ether in p and p[Ether].dst.lower() == "ff:ff:ff:ff:ff:ff"
        if request_form or reply_form:
            print("gratuitous ARP: %s" % p.summary())
            return
    sys.exit("no gratuitous ARP for %s from %s; ARP seen: %s" % (a.ip, mac, seen[:5] or "none"))


def cmd_ttl(a):
    proto = {v: k for k, v in PROTO_NAMES.items()}[a.proto]
    ttls = {}
    for p in load(a.pcap):
        if IP in p and p[IP].dst == a.dst and p[IP].proto == proto:
            ttls[p[IP].ttl] = ttls.get(p[IP].ttl, 0) + 1
    if not ttls:
        sys.exit("no %s packet to %s captured" % (a.proto, a.dst))
    if set(ttls) != {a.ttl}:
        sys.exit("TTLs of %s packets to %s: %s, expected all %d" % (a.proto, a.dst, ttls, a.ttl))
    print("%d %s packets to %s, all with TTL %d" % (ttls[a.ttl], a.proto, a.dst, a.ttl))


def cmd_count(a):
    n = 0
    for p in load(a.pcap):
        if IP in p and (a.dst is None or p[IP].dst == a.dst) and (a.src is None or p[IP].src == a.src):
            n += 1
    print(n)


def cmd_udpsrc(a):
    for p in load(a.pcap):
        if IP in p and UDP in p and p[IP].dst == a.dst and p[UDP].dport == a.dport:
            print(p[IP].src, p[UDP].sport)
            return
    sys.exit("no UDP packet to %s:%d captured" % (a.dst, a.dport))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sources")
    s.add_argument("pcap")
    s.add_argument("--dst", required=True)
    s.add_argument("--pool", required=True)
    s.add_argument("--paired", action="store_true")
    s.add_argument("--protos")
    g = sub.add_parser("garp")
    g.add_argument("pcap")
    g.add_argument("--ip", required=True)
    g.add_argument("--mac", required=True)
    t = sub.add_parser("ttl")
    t.add_argument("pcap")
    t.add_argument("--dst", required=True)
    t.add_argument("--proto", default="icmp", choices=sorted(PROTO_NAMES.values()))
    t.add_argument("--ttl", type=int, required=True)
    c = sub.add_parser("count")
    c.add_argument("pcap")
    c.add_argument("--dst")
    c.add_argument("--src")
    u = sub.add_parser("udpsrc")
    u.add_argument("pcap")
    u.add_argument("--dst", required=True)
    u.add_argument("--dport", type=int, required=True)
    a = ap.parse_args()
    {"sources": cmd_sources, "garp": cmd_garp, "ttl": cmd_ttl, "count": cmd_count,
     "udpsrc": cmd_udpsrc}[a.cmd](a)


if __name__ == "__main__":
    main()
