#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A TLS server for the host-name tests: on ADDR:PORT with CERT/KEY, every connection that
completes a handshake gets "HTTP/1.1 200 OK" with the SNI it asked for as the body. One thread
per connection; a connection that fails (reset, not TLS) is simply closed. Runs until killed
(the test kills it by PID). With a fifth argument "peer" the body is "SNI ADDRESS": the address
the connection came from (which pool an egress flow left through)."""
import socket
import ssl
import sys
import threading

addr, port, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
with_peer = len(sys.argv) > 5 and sys.argv[5] == "peer"
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
names = {}


def remember(sock, name, _ctx):
    names[id(sock)] = name or "-"


ctx.sni_callback = remember


def serve(conn, peer):
    try:
        conn.settimeout(10)
        with ctx.wrap_socket(conn, server_side=True) as s:
            s.recv(4096)
            name = names.pop(id(s), "-")
            body = ("%s %s\n" % (name, peer[0]) if with_peer else name + "\n").encode()
            s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                      % (len(body), body))
    except (OSError, ssl.SSLError):
        pass
    finally:
        conn.close()


lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind((addr, port))
lsock.listen(64)
print("listening", flush=True)
while True:
    c, peer = lsock.accept()
    threading.Thread(target=serve, args=(c, peer), daemon=True).start()
