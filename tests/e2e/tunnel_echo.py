#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Echo server for tests/e2e/test_80_tunnel.sh: ADDR PORT PEERS_FILE. Echoes every connection;
writes each distinct peer address to PEERS_FILE (one line each) as it first appears."""
import asyncio
import sys

peers = set()


async def echo(r, w):
    peer = w.get_extra_info("peername")[0]
    if peer not in peers:
        peers.add(peer)
        with open(sys.argv[3], "a") as f:
            f.write(peer + "\n")
    try:
        while data := await r.read(65536):
            w.write(data)
            await w.drain()
    except OSError:
        pass
    w.close()


async def main():
    server = await asyncio.start_server(echo, sys.argv[1], int(sys.argv[2]), backlog=4096)
    async with server:
        await server.serve_forever()


asyncio.run(main())
