#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""An 802.1Q switch in user space, for a kernel without VLAN devices or bridges.

  vlan_relay.py SECONDS TRUNK VID=IFACE [VID=IFACE...]

Untagged frames received on IFACE leave TRUNK tagged VID; frames received on TRUNK tagged VID
leave IFACE untagged; anything else is dropped. The kernel may take a received tag off the
frame (it then comes as PACKET_AUXDATA) or leave it in: both are read. Exits after SECONDS.
"""
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_OUTGOING = 4
TP_STATUS_VLAN_VALID = 0x10
AUX = struct.Struct("=IIIHHHH")  # status, len, snaplen, mac, net, vlan_tci, vlan_tpid


def open_raw(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((ifname, 0))
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    return s


def receive(s):
    """A received (not sent) frame and its VLAN id from the auxdata (0: none)."""
    data, anc, _, addr = s.recvmsg(65535, socket.CMSG_SPACE(AUX.size))
    if addr[2] == PACKET_OUTGOING:
        return None, 0
    vid = 0
    for level, kind, raw in anc:
        if level == SOL_PACKET and kind == PACKET_AUXDATA and len(raw) >= AUX.size:
            status, _, _, _, _, tci, _ = AUX.unpack(raw[:AUX.size])
            if status & TP_STATUS_VLAN_VALID:
                vid = tci & 0xFFF
    return data, vid


def main():
    secs, trunk_name = float(sys.argv[1]), sys.argv[2]
    trunk = open_raw(trunk_name)
    by_vid, by_sock = {}, {}
    for arg in sys.argv[3:]:
        vid, ifname = arg.split("=")
        s = open_raw(ifname)
        by_vid[int(vid)] = s
        by_sock[s] = int(vid)
    socks = [trunk] + list(by_sock)
    end = time.monotonic() + secs
    print("relaying", flush=True)
    while time.monotonic() < end:
        ready, _, _ = select.select(socks, [], [], 0.5)
        for s in ready:
            frame, vid = receive(s)
            if frame is None or len(frame) < 14:
                continue
            if s is trunk:
                if vid == 0 and frame[12:14] == b"\x81\x00":  # the tag left in the frame
                    vid = struct.unpack("!H", frame[14:16])[0] & 0xFFF
                    frame = frame[:12] + frame[16:]
                if vid in by_vid:
                    by_vid[vid].send(frame)
            elif vid == 0:
                tag = struct.pack("!HH", 0x8100, by_sock[s])
                trunk.send(frame[:12] + tag + frame[12:])


if __name__ == "__main__":
    main()
