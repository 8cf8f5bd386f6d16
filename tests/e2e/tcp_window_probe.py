#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Spoofed RSTs and out-of-window data against one live TCP connection through the appliance
(tests/e2e/test_17_tcp_window.sh).

One process holds both ends: it enters the server namespace (setns) to listen, to capture
what the server's veth carries and to inject segments as if the server sent them, then the
client namespace to connect and to capture what reaches the client. The capture on the
server's side tells the sequence numbers the connection is at (the server's next sequence
number: what the client expects). Steps, each followed by an echo through the connection:
  oow_rst     two RSTs out of window (2^31 ahead, 2^30 behind): must not reach the client
  oow_data    a data segment 2^30 ahead: must not reach the client
  inwin_rst   a RST 1000 bytes into the client's window, not at rcv.nxt: reaches the client
              (which answers a challenge ACK, RFC 5961), ends nothing
  exact_rst   a RST at the client's rcv.nxt: reaches it, resets the connection
After each step the flow's state as /egw/flows shows it (dpdk-telemetry.py, --prefix).
Prints one JSON object: {"nat": "ADDR:PORT", "steps": {step: {...}}}.
"""
import argparse
import ctypes
import json
import logging
import os
import select
import socket
import subprocess
import sys
import time

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import IP, TCP, Ether, Raw, conf  # noqa: E402

CLONE_NEWNET = 0x40000000
SEQ_MOD = 1 << 32
OOW_TAG = b"egw-oow-data"
LIBC = ctypes.CDLL("libc.so.6", use_errno=True)


def enter(ns):
    """Moves this (single-threaded) process into network namespace NS."""
    fd = os.open("/run/netns/" + ns, os.O_RDONLY)
    try:
        if LIBC.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, "setns %s: %s" % (ns, os.strerror(err)))
    finally:
        os.close(fd)


def seq_after(a, b):
    return 0 < (a - b) % SEQ_MOD < (1 << 31)


def seg_end(t):
    """The sequence number after TCP segment T."""
    n = len(bytes(t.payload)) + (1 if t.flags.S else 0) + (1 if t.flags.F else 0)
    return (t.seq + n) % SEQ_MOD


class Conn:
    def __init__(self, a):
        self.a = a
        enter(a.srv_ns)
        self.listener = socket.create_server((a.server, a.port))
        self.srv_cap = conf.L2listen(iface=a.srv_if, filter="tcp port %d" % a.port)
        self.tx = conf.L2socket(iface=a.srv_if)
        enter(a.cli_ns)
        self.cli_cap = conf.L2listen(iface=a.cli_if, filter="tcp src port %d" % a.port)
        self.client = socket.create_connection((a.server, a.port), timeout=10)
        self.server, (self.nat_addr, self.nat_port) = self.listener.accept()
        self.server.settimeout(10)
        self.client.settimeout(10)
        self.srv_nxt = self.cli_nxt = None
        self.n_echo = 0

    def drain(self, sock):
        pkts = []
        while select.select([sock], [], [], 0.2)[0]:
            p = sock.recv()
            if p is not None and p.haslayer(TCP):
                pkts.append(p)
        return pkts

    def learn(self):
        """Reads the server side's capture: where each side's sequence numbers are."""
        for p in self.drain(self.srv_cap):
            t = p[TCP]
            if t.flags.R or bytes(t.payload).startswith(OOW_TAG):
                continue  # ours
            end = seg_end(t)
            if t.sport == self.a.port:
                if self.srv_nxt is None or seq_after(end, self.srv_nxt):
                    self.srv_nxt = end
            elif self.cli_nxt is None or seq_after(end, self.cli_nxt):
                self.cli_nxt = end

    def echo(self):
        """One message each way; True when both arrived intact."""
        self.n_echo += 1
        msg = b"egw-echo-%d" % self.n_echo
        try:
            self.client.sendall(msg)
            got = self.server.recv(100)
            self.server.sendall(got)
            back = self.client.recv(100)
        except OSError as e:
            sys.stderr.write("echo %d: %s\n" % (self.n_echo, e))
            return False
        time.sleep(0.3)
        self.learn()
        return got == msg and back == msg

    def inject(self, flags, seq, payload=b""):
        p = (Ether(dst=self.a.gw_mac, src=self.a.srv_mac) /
             IP(src=self.a.server, dst=self.nat_addr) /
             TCP(sport=self.a.port, dport=self.nat_port, flags=flags, seq=seq % SEQ_MOD,
                 ack=self.cli_nxt if "A" in flags else 0, window=502))
        if payload:
            p = p / Raw(payload)
        self.tx.send(p)

    def reached_client(self):
        """RSTs and tagged data from the server's port that reached the client."""
        n = 0
        time.sleep(0.3)
        for p in self.drain(self.cli_cap):
            t = p[TCP]
            if t.flags.R or bytes(t.payload).startswith(OOW_TAG):
                n += 1
        return n

    def flow_state(self):
        q = "/egw/flows,port=%d,proto=tcp\n" % self.nat_port
        for _ in range(25):
            out = subprocess.run([sys.executable, "/usr/bin/dpdk-telemetry.py", "-f",
                                  self.a.prefix], input=q, capture_output=True, text=True,
                                 timeout=10).stdout
            try:
                flows = list(json.loads(out)["/egw/flows"]["flows"].values())
            except (ValueError, KeyError, TypeError):
                flows = []
            if len(flows) == 1:
                return flows[0]["state"]
            time.sleep(0.2)
        return "none"


def step(c, name, res, inject, want_reset=False):
    c.learn()
    inject()
    r = {"reached_client": c.reached_client()}
    if want_reset:
        try:
            c.client.settimeout(5)
            r["client"] = "open" if c.client.recv(1) else "eof"
        except ConnectionResetError:
            r["client"] = "reset"
        except OSError as e:
            r["client"] = str(e)
    else:
        r["echo_ok"] = c.echo()
    r["flow_state"] = c.flow_state()
    res[name] = r


def main():
    ap = argparse.ArgumentParser()
    for opt in ("cli-ns", "srv-ns", "cli-if", "srv-if", "server", "gw-mac", "srv-mac",
                "prefix"):
        ap.add_argument("--" + opt, required=True)
    ap.add_argument("--port", type=int, default=9100)
    a = ap.parse_args()
    c = Conn(a)
    res = {}
    if not c.echo() or c.srv_nxt is None or c.cli_nxt is None:
        sys.exit("no echo through the appliance before the probes")
    res["before"] = {"flow_state": c.flow_state(), "echo_ok": True}
    step(c, "oow_rst", res, lambda: (c.inject("R", c.srv_nxt + (1 << 31)),
                                     c.inject("RA", c.srv_nxt - (1 << 30))))
    step(c, "oow_data", res, lambda: c.inject("PA", c.srv_nxt + (1 << 30), OOW_TAG))
    step(c, "inwin_rst", res, lambda: c.inject("R", c.srv_nxt + 1000))
    c.echo()
    step(c, "exact_rst", res, lambda: c.inject("R", c.srv_nxt), want_reset=True)
    print(json.dumps({"nat": "%s:%d" % (c.nat_addr, c.nat_port), "steps": res}))


if __name__ == "__main__":
    main()
