#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Test-vector helpers (run by make_vectors.sh inside its own network namespace).

  capture.py hello PORT OUT      accept one TCP client on 127.0.0.1:PORT, save what it sends
                                 first (whole TLS records, or up to an HTTP head's end)
  capture.py dns SERVER PORT NAME TYPE OUTPREFIX [EDNS]
                                 send one query to a DNS server, save OUTPREFIX.q and .r
  capture.py bigger IN OUT       a ClientHello made larger than one MSS: an X25519MLKEM768
                                 key share (1216 + 32 bytes) added in front of the original
  capture.py ech IN OUT          an encrypted_client_hello (outer) extension added
All lengths (extensions, handshake, record) are rewritten to stay consistent.
"""
import os
import socket
import struct
import sys


def capture_hello(port, out):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(1)
    s.settimeout(20)
    c, _ = s.accept()
    c.settimeout(5)
    data = b""
    while True:
        if data[:1] == b"\x16" and len(data) >= 9:
            need = 5 + struct.unpack(">H", data[3:5])[0]
            if len(data) >= need:
                data = data[:need]
                break
        if data[:1] not in (b"", b"\x16") and b"\r\n\r\n" in data:
            data = data[: data.index(b"\r\n\r\n") + 4]
            break
        chunk = c.recv(65536)
        if not chunk:
            break
        data += chunk
    open(out, "wb").write(data)
    c.close()
    s.close()


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def dns(server, port, name, qtype, prefix, edns):
    qid = int.from_bytes(os.urandom(2), "big")
    ar = 1 if edns else 0
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, ar) + encode_name(name)
    q += struct.pack(">HH", qtype, 1)
    if edns:  # OPT: root, type 41, payload 1232, DO set, no options
        q += b"\x00" + struct.pack(">HHIH", 41, 1232, 0x8000, 0)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.sendto(q, (server, port))
    r, _ = s.recvfrom(65535)
    open(prefix + ".q", "wb").write(q)
    open(prefix + ".r", "wb").write(r)


def split_hello(data):
    """(record version, ClientHello body after the 4-byte handshake header)"""
    assert data[0] == 0x16 and data[5] == 1
    body = data[9 : 9 + int.from_bytes(data[6:9], "big")]
    return data[1:3], body


def hello_parts(body):
    p = 2 + 32
    p += 1 + body[p]
    p += 2 + int.from_bytes(body[p : p + 2], "big")
    p += 1 + body[p]
    head = body[:p]
    ext_len = int.from_bytes(body[p : p + 2], "big")
    exts = []
    q = p + 2
    while q < p + 2 + ext_len:
        t, n = struct.unpack(">HH", body[q : q + 4])
        exts.append((t, body[q + 4 : q + 4 + n]))
        q += 4 + n
    return head, exts


def build_hello(ver, head, exts):
    e = b"".join(struct.pack(">HH", t, len(v)) + v for t, v in exts)
    body = head + struct.pack(">H", len(e)) + e
    hs = b"\x01" + len(body).to_bytes(3, "big") + body
    out = b""
    # Records of at most 16384 bytes, as a TLS stack would split them.
    for i in range(0, len(hs), 16384):
        frag = hs[i : i + 16384]
        out += b"\x16" + ver + struct.pack(">H", len(frag)) + frag
    return out


def bigger(inp, out):
    ver, body = split_hello(open(inp, "rb").read())
    head, exts = hello_parts(body)
    res = []
    for t, v in exts:
        if t == 51:  # key_share: add X25519MLKEM768 (0x11ec) first, as browsers do
            shares = v[2:]
            pq = struct.pack(">HH", 0x11EC, 1216 + 32) + os.urandom(1216 + 32)
            shares = pq + shares
            v = struct.pack(">H", len(shares)) + shares
        if t == 10:  # supported_groups: offer it too
            groups = struct.pack(">H", 0x11EC) + v[2:]
            v = struct.pack(">H", len(groups)) + groups
        res.append((t, v))
    open(out, "wb").write(build_hello(ver, head, res))


def ech(inp, out):
    ver, body = split_hello(open(inp, "rb").read())
    head, exts = hello_parts(body)
    # ECHClientHello (outer): type 0, HPKE suite (HKDF-SHA256, AES-128-GCM), config id,
    # enc (an X25519 share), payload (the encrypted inner hello).
    payload = os.urandom(239)
    v = b"\x00" + struct.pack(">HH", 1, 1) + os.urandom(1)
    v += struct.pack(">H", 32) + os.urandom(32) + struct.pack(">H", len(payload)) + payload
    # Before pre_shared_key if any (it must stay last), else at the end.
    at = next((i for i, (t, _) in enumerate(exts) if t == 41), len(exts))
    exts.insert(at, (0xFE0D, v))
    open(out, "wb").write(build_hello(ver, head, exts))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "hello":
        capture_hello(int(sys.argv[2]), sys.argv[3])
    elif cmd == "dns":
        dns(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), sys.argv[6],
            len(sys.argv) > 7)
    elif cmd == "bigger":
        bigger(sys.argv[2], sys.argv[3])
    elif cmd == "ech":
        ech(sys.argv[2], sys.argv[3])
    else:
        sys.exit("unknown command " + cmd)
