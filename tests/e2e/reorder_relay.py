#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Passes frames between two interfaces and reorders some (this kernel has no tc netem).

  reorder_relay.py SECONDS IF_A IF_B EVERY COUNT_FILE

Every EVERYth frame each way is held back until two more frames have passed that way (or 20
ms went by), so it arrives after them. COUNT_FILE gets the number of frames reordered so far,
rewritten at most every 0.5 s. Exits after SECONDS.
"""
import select
import socket
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
HOLD_S = 0.02


def open_raw(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((ifname, 0))
    return s


class Way:
    """One direction: frames from SRC go out of DST, every EVERYth one held back."""

    def __init__(self, src, dst, every):
        self.src, self.dst, self.every = src, dst, every
        self.seen = 0
        self.held = None  # (frame, frames passed since, time held)
        self.reordered = 0

    def frame(self, data):
        self.seen += 1
        if self.held is None and self.seen % self.every == 0:
            self.held = [data, 0, time.monotonic()]
            return
        self.dst.send(data)
        if self.held is not None:
            self.held[1] += 1
            if self.held[1] >= 2:
                self.release(True)

    def release(self, late):
        self.dst.send(self.held[0])
        self.reordered += late
        self.held = None

    def tick(self, now):
        if self.held is not None and now - self.held[2] > HOLD_S:
            self.release(self.held[1] > 0)


def main():
    secs, if_a, if_b, every, count_file = sys.argv[1:6]
    a, b = open_raw(if_a), open_raw(if_b)
    ways = {a: Way(a, b, int(every)), b: Way(b, a, int(every))}
    end = time.monotonic() + float(secs)
    last_write = 0.0
    print("relaying", flush=True)
    while True:
        now = time.monotonic()
        if now >= end:
            break
        ready, _, _ = select.select([a, b], [], [], 0.005)
        for s in ready:
            data, addr = s.recvfrom(65535)
            if addr[2] != PACKET_OUTGOING:
                ways[s].frame(data)
        for w in ways.values():
            w.tick(time.monotonic())
        if now - last_write > 0.5:
            with open(count_file, "w") as f:
                f.write("%d\n" % sum(w.reordered for w in ways.values()))
            last_write = now


if __name__ == "__main__":
    main()
