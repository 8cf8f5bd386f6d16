#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes the seed corpora of the libFuzzer targets into tests/fuzz/corpus/<target>/.

  /usr/bin/python3 tests/fuzz/make_seeds.py      (Debian's python: it needs scapy)

The seeds are committed; this script only says where they came from and makes them again
(run it after changing a target's input format or the malformed-packet corpus):
  pkt          every frame of the malformed-packet corpus (tests/e2e/inject_malformed.py, both
               sides), behind the control byte 0x01 (fix the IPv4 checksum), and a few valid ones
  pipeline     packet sequences in both directions (tests/fuzz/fuzz_pipeline.c's format): TCP
               and UDP exchanges with replies, ICMP errors both ways, echo, expiry, bursts,
               options, spoofed and broadcast addresses, unresolved neighbours, deny mode
  conf, policy the shipped configs and policy files, and short files of each construct
  flow_filter  filters as operators write them
  egwctl_render  the values of telemetry replies egwctl renders (ports, stats, flows, pools...)
  ctl          control socket lines, in pieces of various sizes (the first byte)
  splice       segment sequences of a late-bound connection (tests/fuzz/fuzz_splice.c's format):
               set-ups with and without timestamps and rescaling, segments both ways with no
               options, timestamps, SACK blocks straddling 2^32, odd offsets, malformed lists
  neigh        programs of the neighbour resolver (tests/fuzz/fuzz_neigh.c's 7-byte steps):
               resolution that succeeds, fails, is asked for, spoofed, changes MAC, ages out
"""
import json
import logging
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "corpus")
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import ICMP, IP, TCP, UDP, Ether, raw  # noqa: E402

import inject_malformed as corpus  # noqa: E402

# tools/bench/bench_pkts.c: the appliance fuzz_pipeline builds
MAC_IN, MAC_OUT = "02:00:5e:b0:00:01", "02:00:5e:b0:00:02"
MAC_ROUTER, MAC_GW = "02:00:5e:b0:00:11", "02:00:5e:b0:00:21"
HOST, ONLINK, SERVER = "198.18.1.5", "198.18.0.7", "203.0.113.9"
GW_IN, GW_OUT = "198.18.0.1", "203.0.113.2"


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def pkt_seeds():
    n = 0
    for side in ("inside", "outside"):
        eth = Ether(src="02:65:67:00:00:02", dst="02:65:67:00:00:01", type=0x0800)
        bad = Ether(src="02:65:67:00:00:02", dst="02:00:00:00:00:99", type=0x0800)
        cases = (corpus.inside_cases(eth, bad) if side == "inside" else
                 corpus.outside_cases(eth, bad, corpus.POOL_ADDR, 4242))
        for name, _, frame in cases:
            write("pkt", name, b"\x01" + frame)
            n += 1
    return n


# fuzz_pipeline operations
def frame(inside, pkt, fix=True):
    b = raw(pkt)
    op = (0 if inside else 1) | (0x18 if fix else 0)
    return bytes([op]) + struct.pack("<H", len(b)) + b


def reply(*xors):
    return bytes([2, len(xors)]) + b"".join(bytes(x) for x in xors)


def icmp_error(outside, typ=3, code=3):
    return bytes([3 if outside else 4, typ, code])


def wait(seconds):
    return bytes([5, seconds])


BURST, FLUSH = bytes([7]), bytes([6])
TCP_FLAGS = 14 + 20 + 13  # offset of the TCP flags in a frame without IP options


def out_tcp(sport, flags, payload=b"", src=HOST):
    return Ether() / IP(src=src, dst=SERVER) / TCP(sport=sport, dport=80, flags=flags) / payload


def out_udp(sport, src=HOST, dst=SERVER, **ip):
    return Ether() / IP(src=src, dst=dst, **ip) / UDP(sport=sport, dport=53) / (b"q" * 12)


def pipeline_seeds():
    seqs = {
        # a whole TCP connection, picked apart by replies whose flags are flipped
        "tcp_connection": [frame(True, out_tcp(40000, "S")), reply((TCP_FLAGS, 0x10)),
                           frame(True, out_tcp(40000, "A")),
                           frame(True, out_tcp(40000, "PA", b"GET / HTTP/1.0\r\n\r\n")),
                           reply(), frame(True, out_tcp(40000, "FA")), reply(),
                           frame(True, out_tcp(40000, "A")), wait(250)],
        "tcp_pickup_and_rst": [frame(True, out_tcp(40001, "PA", b"x" * 10)), reply(),
                               reply((TCP_FLAGS, 0x04 ^ 0x18)), frame(True, out_tcp(40001, "S"))],
        "udp_exchange_errors": [frame(True, out_udp(5353)), reply(), icmp_error(True),
                                icmp_error(False, 11, 0), icmp_error(True, 3, 4), wait(200),
                                wait(200)],
        "icmp_echo": [frame(True, Ether() / IP(src=HOST, dst=SERVER) / ICMP(type=8, id=7, seq=1)),
                      reply(), icmp_error(True, 11, 0), wait(61)],
        "burst_same_flow": [frame(True, out_udp(6000 + (i % 3))) for i in range(12)] + [BURST]
        + [reply(), reply((30, 1)), BURST],
        "ttl_and_local": [frame(True, out_udp(7000, ttl=1)),
                          frame(True, Ether() / IP(src=HOST, dst=GW_IN) / ICMP(type=8)),
                          frame(True, out_udp(7001, dst=GW_IN)),
                          frame(False, Ether() / IP(src=SERVER, dst=GW_OUT) / ICMP(type=8))],
        "unresolved_neighbour": [frame(True, out_udp(8000, src=ONLINK)), reply(), reply()],
        "spoofed_and_broadcast": [frame(True, out_udp(8100, src=GW_IN)),
                                  frame(True, out_udp(8101, src="198.51.100.11")),
                                  frame(True, out_udp(8102, dst="198.18.0.255")),
                                  frame(False, out_udp(8103, src=SERVER, dst="203.0.113.3")),
                                  frame(False, out_udp(8104, src=GW_OUT, dst="198.51.100.10"))],
        "unsolicited": [frame(False, Ether() / IP(src=SERVER, dst="198.51.100.12")
                              / TCP(sport=443, dport=1234, flags="S")),
                        frame(False, Ether() / IP(src=SERVER, dst=HOST) / UDP(sport=1, dport=2))],
        "ip_options": [frame(True, Ether(type=0x0800) / raw(IP(src=HOST, dst=SERVER, options=b"\x83\x07\x04\xcb\x00\x71\x09\x00")
                                                 / UDP(sport=9000, dport=53))),
                       frame(True, Ether(type=0x0800) / raw(IP(src=HOST, dst=SERVER, options=b"\x07\x07\x04\x00\x00\x00\x00\x00")
                                                 / UDP(sport=9001, dport=53))),
                       reply()],
        "raw_unfixed": [frame(True, out_udp(9100), fix=False), frame(False, out_udp(9101), fix=False)],
    }
    for name, ops in seqs.items():
        write("pipeline", name, b"\x00" + b"".join(ops))
    # the same traffic in the other settings: no pickup, ip_options pass / drop-all, mode deny
    for setup, tag in ((0x01, "nopickup"), (0x04, "options_pass"), (0x02, "options_dropall"),
                       (0x08, "deny")):
        for name in ("tcp_pickup_and_rst", "ip_options", "tcp_connection"):
            write("pipeline", "%s_%s" % (name, tag), bytes([setup]) + b"".join(seqs[name]))
    return len(seqs) + 12


# fuzz_neigh steps: (what, 6 operands). Address selectors (pick_addr): 0 = 198.18.0.1 (ours,
# inside), 1 = 203.0.113.2 (ours, outside), 4 = 198.18.0.N, 5 = 203.0.113.N, 2 = 10.0.0.N,
# N = the octet operand % 8. MAC indexes: 0/1 our ports, 2 broadcast, 3/4/7 hosts, 5 multicast.
def arp(reply, port, dst_mac, src_mac, sender, octet, target):
    return bytes([0, (1 if reply else 0) | (port << 1), dst_mac, src_mac, sender, octet, target])


def hold(port, sport, sel, octet):
    return bytes([1, port, sport, sel, octet, 0, 0])


def ticks(n):
    return bytes([2, n, 0, 0, 0, 0, 0])


USE_STALE, VIEW = bytes([3, 0, 0, 0, 0, 0, 0]), bytes([4, 0, 0, 0, 0, 0, 0])


def neigh_seeds():
    gw_reply = arp(True, 1, 1, 3, 5, 1, 1)  # 203.0.113.1 answers us, from MAC 3
    progs = {
        "resolve_then_age": [hold(1, 1, 5, 1), ticks(2), gw_reply, VIEW, ticks(15), USE_STALE,
                             ticks(5), gw_reply, ticks(63), ticks(63), VIEW],
        "resolve_fails": [hold(0, 1, 4, 5), hold(0, 2, 4, 5), ticks(63), VIEW, hold(0, 3, 4, 5),
                          ticks(63)],
        "request_for_us": [arp(False, 0, 2, 3, 4, 3, 0), hold(0, 1, 4, 3), VIEW, ticks(20),
                           USE_STALE, ticks(10)],
        "spoofed": [arp(True, 0, 0, 3, 0, 0, 4), arp(True, 0, 0, 4, 2, 2, 0),
                    arp(False, 0, 2, 5, 4, 6, 0), arp(True, 1, 1, 3, 1, 0, 1), VIEW],
        "mac_change": [hold(1, 1, 5, 1), gw_reply, arp(True, 1, 1, 4, 5, 1, 1), ticks(20),
                       arp(True, 1, 1, 4, 5, 1, 1), VIEW],
        "hold_limit": [hold(1, i, 5, 6) for i in range(20)] + [ticks(63), VIEW],
        "unsolicited": [arp(True, 0, 0, 3, 4, 2, 0), arp(False, 0, 2, 7, 4, 4, 4), VIEW],
    }
    for name, steps in progs.items():
        write("neigh", name, b"".join(steps))
    return len(progs)


def text_seeds():
    n = 0
    for path in ("conf/demo.ini", "conf/egressgw.ini"):
        with open(os.path.join(ROOT, path), "rb") as f:
            write("conf", os.path.basename(path), f.read())
            n += 1
    confs = {
        "minimal": "[port in]\ndevice = net_null0\nrole = inside\naddress = 198.18.0.1/24\n"
                   "[port out]\ndevice = net_null1\nrole = outside\naddress = 203.0.113.2/24\n"
                   "gateway = 203.0.113.1\n[pool p]\naddresses = 198.51.100.10\n"
                   "[egress]\nmode = passthrough\ndefault_pool = p\nip_options = drop-all\n",
        "continuation": "[pool p]\naddresses = 198.51.100.10,\n  198.51.100.11-198.51.100.13\n"
                        "ports = 2000-2999\nmapping = endpoint-independent\n",
        "routes_neighbors": "[port in]\ndevice = 0000:3b:00.0\nrole = inside\n"
                            "address = 10.0.0.1/24\nroutes = 10.1.0.0/16 via 10.0.0.2\n"
                            "neighbors = 10.0.0.2 02:00:00:00:00:02\nmtu = 9000\n",
        "errors": "[dpdk]\nlcores = x\n[flows]\nmax = 0\n[nosuch]\nkey\n= value\n[egress]\n"
                  "ip_options = strip\nrevalidate = drop\n",
        "sections": "[metrics]\nlisten = 127.0.0.1:9610\n[log]\nlevel = debug\nflow_log = /tmp/f\n"
                    "[control]\nsocket = /run/x.sock\n[dpdk]\nextra_args = --a\n  --b\n",
    }
    for name, text in confs.items():
        write("conf", name, text.encode())
        n += 1
    pdir = os.path.join(ROOT, "conf", "policies.d")
    for fn in sorted(os.listdir(pdir)):
        with open(os.path.join(pdir, fn), "rb") as f:
            write("policy", fn, f.read())
            n += 1
    policies = {
        "hosts": "[policy web]\nsources = 198.18.0.0/24\nhosts = example.com, *.example.org\n"
                 "ports = 443\nprotocol = tls\naction = allow\n",
        "group_nat": "[group g]\nsources = 198.18.0.0/25, 198.18.0.128/25\n[policy p]\n"
                     "sources = g\ndestinations = any\nports = 1-1024,8080\nprotocol = any\n"
                     "nat = second\nmax_flows = 10\nlog = yes\npriority = -5\n",
        "deny": "[policy d]\nsources = any\ndestinations = 203.0.113.0/24\naction = deny\n",
        "reject": "[policy r]\nprotocol = udp\nports = 53\naction = reject\nlog = yes\n",
        "errors": "[policy]\n[policy x]\nsources = nope\nports = 0\naction = maybe\n[group]\n",
    }
    for name, text in policies.items():
        write("policy", name, text.encode())
        n += 1
    filters = ["src=198.18.1.7 limit=40", "addr=198.18.0.0/24,proto=tcp", "nat=198.51.100.12 port=40312",
               "policy=(mode)", "dst=192.0.2.10 port=443 proto=udp policy=payments-psp", "limit=0",
               "src=1.2.3.4/33", "proto=sctp", "", "port=65536"]
    for i, text in enumerate(filters):
        write("flow_filter", "f%02d" % i, text.encode())
        n += 1
    # egwctl renders the value under the command's key (tests/fuzz/fuzz_egwctl_render.c)
    port = {"name": "inside", "id": 0, "role": "inside", "address": "198.18.0.1/24",
            "mac": "02:00:00:00:00:01", "link_up": 1, "speed_mbps": 10000, "mtu": 1500,
            "rx_packets": 5, "rx_bytes": 300, "tx_packets": 7, "tx_bytes": 420,
            "rx_missed": 0, "rx_errors": 0, "tx_errors": 0, "rx_nombuf": 0, "tx_full": 3,
            "rx_ring_drops": 82894, "if_rx_dropped": 0, "if_tx_dropped": 0}
    values = {
        "ports": {"ports": {"p0": port, "p1": dict(port, name="outside", id=1, link_up=False)}},
        "stats": {"packets_in": 10, "flows_active": 2, "drops_total": 3,
                  "drops": {"tcp_bad_flags": 2, "ip_source_route": 1}},
        "flows": {"matched": 2, "listed": 1, "limit": 20, "flows": {"f0": {
            "worker": 0, "proto": "udp", "state": "udp", "src": "198.18.0.2", "sport": 40100,
            "dst": "203.0.113.1", "dport": 9000, "nat_src": "198.51.100.11", "nat_sport": 4242,
            "policy": "(mode)", "age_s": 3, "idle_s": 1, "packets_out": 1, "bytes_out": 31,
            "packets_in": 9, "bytes_in": 279, "flags": "nat"}}},
        "pools": {"truncated": 0, "pools": {"p0": {
            "name": "public", "mapping": "endpoint-dependent", "addresses_total": 1,
            "ports_per_address": 64, "ports_in_use": 64, "ports_free": 0, "exhausted": 236,
            "addresses": {"a0": {"address": "198.51.100.10", "ports_in_use": 64,
                                 "ports_free": 0, "exhausted": 236}}}}},
        "workers": {"workers": {"w0": {"id": 0, "lcore": 1, "rx_packets": 9, "tx_packets": 8,
                                       "busy_percent": 1, "polls": 100, "busy_polls": 1,
                                       "flows_active": 1, "flows_created": 2,
                                       "handoffs_out": 0, "handoffs_in": 0, "drops": 1}}},
        "policies": {"generation": 2, "policies_total": 1, "offset": 0, "next_offset": 0,
                     "policies": {"p0": {"name": "(mode)", "flows_allowed": 1},
                                  "p1": {"name": "web", "flows_denied": 2}}},
        "sources": {"sources": {"s0": {"address": "198.18.0.2", "mappings": 4096},
                                "s1": {"address": "198.18.0.7", "mappings": 12}}},
        "status": {"version": "1.0", "mode": "policy", "uptime_s": 5, "workers": 1,
                   "policy_generation": 2, "last_reload": "ok", "flow_log": ""},
    }
    for name, obj in values.items():
        write("egwctl_render", name, json.dumps(obj).encode())
        n += 1
    for i, text in enumerate(['[1, -2.5e3, "a\\u00e9\\n", true, false, null]',
                              '{"ports": {"p0": {"name": null, "id": "x"}}}',
                              '{"ports": [1, 2]}', '{"flows": {"f0": {"sport": null}}}']):
        write("egwctl_render", "t%02d" % i, text.encode())
        n += 1
    # the control socket: a piece size byte, then what a client sends (fuzz_ctl.c)
    lines = {"reload": (255, b"reload\n"), "mode": (0, b"mode policy\n"),
             "mode_bad": (3, b"mode allow\n"), "flush": (7, b"flows flush src=198.18.1.7\n"),
             "version": (255, b"version\r\n"), "unknown": (1, b"shutdown now\n"),
             "nul": (255, b"mode\x00deny\n"), "long": (64, b"x" * 600 + b"\n"),
             "no_newline": (255, b"reload"), "binary": (5, bytes(range(1, 40)) + b"\n")}
    for name, (piece, text) in lines.items():
        write("ctl", name, bytes([piece]) + text)
        n += 1
    return n


def splice_setup(cookie, server, our_ts, srv_ts, cli_scale, srv_scale, flags, cli_ws):
    return struct.pack("!IIIIBBBB", cookie, server, our_ts, srv_ts, cli_scale, srv_scale, flags,
                       cli_ws)


def splice_seg(reply, seq, ack, win, opts=b"", flags=0x10):
    """One segment of fuzz_splice's input: control byte, TCP header, options (padded)."""
    opts += b"\0" * (-len(opts) % 4)
    hdr = struct.pack("!HHIIBBHHH", 443, 40000, seq, ack, 0, flags, win, 0, 0)
    return bytes([(len(opts) // 4) << 1 | reply]) + hdr + opts


def splice_seeds():
    ts = lambda v, e: b"\1\1\x08\x0a" + struct.pack("!II", v, e)  # noqa: E731
    sack = lambda *edges: b"\1\1\x05" + bytes([2 + 4 * len(edges)]) + \
        struct.pack("!%dI" % len(edges), *edges)  # noqa: E731
    seqs = {
        "plain": (splice_setup(0x10, 0xfffffff0, 0, 0, 0, 0, 0, 0xff),
                  [(1, 0xfffffff1, 5000, 1000), (0, 5000, 0x11, 512), (1, 0xffffffff, 5000, 0)]),
        "timestamps": (splice_setup(0x80000000, 7, 0xfffffffa, 0x100, 7, 7, 1, 7),
                       [(1, 8, 1, 300, ts(0x100, 5)), (0, 1, 0x80000001, 300, ts(6, 0xfffffffa)),
                        (1, 9, 1, 300, ts(0x110, 6))]),
        "sack_wrap": (splice_setup(0xfffffff5, 5, 0x10, 0xfffffff0, 7, 9, 1, 7),
                      [(0, 1, 0xfffffff6, 100, ts(1, 0x10) + sack(0xfffffff0, 0x10, 0x20, 0x30)),
                       (0, 1, 0x16, 100, sack(1, 2, 3, 4, 5, 6, 7, 8))]),
        "rescale": (splice_setup(1, 1, 0, 0, 2, 14, 2, 6),
                    [(1, 2, 1, 65535), (0, 1, 2, 2000), (1, 2, 1, 1), (0, 1, 2, 0)]),
        "odd_offsets": (splice_setup(0x12345678, 0x9abcdef0, 1, 2, 0, 0, 1, 0xff),
                        [(0, 7, 0x12345679, 100, b"\1" + ts(1, 2)[2:] + b"\1\1\1" +
                          sack(0x80000000, 0x80000009)[2:] + b"\1"),
                         (1, 7, 1, 100, b"\1" + ts(1, 2)[2:] + b"\1")]),
        "malformed": (splice_setup(3, 4, 5, 6, 1, 2, 1, 1),
                      [(1, 1, 1, 1, b"\x03\x03\x06\x02\x01"), (0, 1, 1, 1, b"\x05\x00"),
                       (0, 1, 1, 1, b"\1\1\x08\x0a\0\0"), (1, 1, 1, 1, b"\1\1\1\x02"),
                       (0, 1, 1, 1, ts(1, 2), 0x04)]),
    }
    for name, (setup, segs) in seqs.items():
        write("splice", name, setup + b"".join(splice_seg(*s) for s in segs))
    return len(seqs)


def main():
    counts = {"pkt": pkt_seeds(), "pipeline": pipeline_seeds(), "neigh": neigh_seeds(),
              "splice": splice_seeds(), "text": text_seeds()}
    print("seeds written under %s: %s" % (OUT, counts))


if __name__ == "__main__":
    main()
