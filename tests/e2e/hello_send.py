#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Sends a recorded ClientHello (FILE) to ADDR:PORT the way a test needs it, and says what came
back: "reply" (the server answered: a TLS record), "reset" (RST), "closed" (FIN) or "timeout".

  hello_send.py ADDR PORT FILE [--split N] [--sni OLD=NEW]

--split N: the first N bytes in one segment, the rest 0.2 s later in another (TCP_NODELAY).
Without it the hello goes in one send (a hello above the MSS leaves in several segments).
--sni OLD=NEW: replaces the server name OLD by NEW (same length) before sending.
Also prints the milliseconds from the last byte sent to the outcome."""
import argparse
import socket
import time

ap = argparse.ArgumentParser()
ap.add_argument("addr")
ap.add_argument("port", type=int)
ap.add_argument("file")
ap.add_argument("--split", type=int, default=0)
ap.add_argument("--sni", default="")
a = ap.parse_args()
data = open(a.file, "rb").read()
if a.sni:
    old, new = (x.encode() for x in a.sni.split("="))
    assert len(old) == len(new) and data.count(old) == 1, "--sni: OLD must occur once, same length"
    data = data.replace(old, new)
s = socket.create_connection((a.addr, a.port), timeout=5)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
if a.split:
    s.sendall(data[:a.split])
    time.sleep(0.2)
    s.sendall(data[a.split:])
else:
    s.sendall(data)
t0 = time.monotonic()
try:
    got = s.recv(5)
    out = "reply" if got[:1] in (b"\x15", b"\x16") else ("closed" if not got else "other")
except ConnectionResetError:
    out = "reset"
except socket.timeout:
    out = "timeout"
print(out, int((time.monotonic() - t0) * 1000))
