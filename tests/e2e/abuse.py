#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Hostile and careless clients of the appliance's local sockets, for test_45_abuse.sh.

Each subcommand plays one kind of client against the control socket (unix stream), the DPDK
telemetry socket (unix seqpacket) or the metrics server (HTTP), bounded in time, and prints one
line "key=value ..." the test asserts on. Nothing here decides pass or fail except a client
that would otherwise hang: every wait has a timeout.
"""
import random
import select
import socket
import sys
import threading
import time


def unix(path, kind=socket.SOCK_STREAM, timeout=10):
    """A connected client. With a timeout python's connect does not wait for room in the
    listen backlog (DPDK telemetry's is 1): it fails with EAGAIN, and a real client retries."""
    end = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, kind)
        s.settimeout(timeout)
        try:
            s.connect(path)
            return s
        except BlockingIOError:
            s.close()
            if time.monotonic() > end:
                raise socket.timeout("connect: listen backlog full for %.0f s" % timeout)
            time.sleep(0.02)


def read_all(s, limit=1 << 20):
    """What the server sends until it closes (or the socket's timeout)."""
    data = b""
    try:
        while len(data) < limit:
            chunk = s.recv(65536)
            if not chunk:
                return data, "closed"
            data += chunk
    except socket.timeout:
        return data, "timeout"
    except OSError as e:
        return data, "error:%s" % e.__class__.__name__
    return data, "limit"


def printable(b):
    return all(c in b"\n" or 0x20 <= c < 0x7F for c in b)


def ctl_early(path, n):
    """Sends a command and closes before the reply: the daemon must survive (SIGPIPE)."""
    cmds = [b"mode passthrough\n", b"version\n", b"reload\n", b"flows flush src=198.18.9.9\n"]
    for i in range(n):
        s = unix(path)
        s.send(cmds[i % len(cmds)])
        s.close()
    print("sent=%d" % n)


def ctl_slow(path, secs, gap):
    """One byte every GAP seconds, never a newline; reports when the server gave up on us."""
    s = unix(path)
    print("connected", flush=True)
    t0 = time.monotonic()
    sent = 0
    while time.monotonic() - t0 < secs:
        r, _, _ = select.select([s], [], [], gap)
        if r:
            data, how = read_all(s)
            print("closed_after=%.1f sent=%d reply=%r" % (time.monotonic() - t0, sent, data))
            return
        try:
            s.send(b"v")
            sent += 1
        except OSError:
            break
    print("closed_after=never sent=%d reply=b''" % sent)


def ctl_idle(path, secs):
    """Connects and says nothing."""
    s = unix(path, timeout=secs)
    print("connected", flush=True)
    t0 = time.monotonic()
    data, how = read_all(s)
    print("closed_after=%.1f how=%s reply=%r" % (time.monotonic() - t0, how, data))


def ctl_hold(path, n, secs):
    """N idle connections (every slot), held until the server cuts them or SECS pass."""
    socks = [unix(path) for _ in range(n)]
    print("held=%d" % len(socks), flush=True)
    end = time.monotonic() + secs
    while socks and time.monotonic() < end:
        r, _, _ = select.select(socks, [], [], 0.2)
        for s in r:
            read_all(s)
            s.close()
            socks.remove(s)
    print("cut=%d" % (n - len(socks)))


def ctl_big(path, nbytes):
    """A request of NBYTES without a newline, sent while the reply is read."""
    s = unix(path)
    err = []

    def push():
        try:
            s.sendall(b"x" * nbytes)
        except OSError as e:
            err.append(e.__class__.__name__)

    t = threading.Thread(target=push, daemon=True)
    t.start()
    data, how = read_all(s)
    t.join(10)
    print("how=%s sender=%s reply=%r" % (how, err[0] if err else "done", data))


def ctl_junk(path, n, seed):
    """N lines of random bytes: every reply must be an ERROR line of printable text."""
    rnd = random.Random(seed)
    errors = bad = 0
    for _ in range(n):
        s = unix(path)
        junk = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 400)))
        try:
            s.sendall(junk.replace(b"\n", b"") + b"\n")
        except OSError:
            pass
        data, how = read_all(s)
        s.close()
        if data.startswith(b"ERROR ") and printable(data):
            errors += 1
        else:
            bad += 1
            print("unexpected reply=%r to %r" % (data[:100], junk[:40]), file=sys.stderr)
    print("errors=%d bad=%d" % (errors, bad))


def ctl_many(path, n, secs):
    """N clients at once (blocking connects, as egwctl does), each 'version': every one is
    served or told to retry, none hangs."""
    results = []
    go = threading.Barrier(n)

    def one():
        try:
            go.wait(secs)
            s = unix(path, timeout=secs)
            try:
                s.sendall(b"version\n")
            except OSError:
                pass  # refused before our line went out: the ERROR line is still there to read
            data, how = read_all(s)
            s.close()
            results.append("timeout" if how == "timeout" else data)
        except socket.timeout:
            results.append("timeout")
        except (OSError, threading.BrokenBarrierError) as e:
            results.append("error:%s" % e.__class__.__name__)

    threads = [threading.Thread(target=one, daemon=True) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(secs + 5)
    ok = sum(1 for r in results if isinstance(r, bytes) and r.startswith(b"OK egressgw"))
    busy = sum(1 for r in results if isinstance(r, bytes) and r.startswith(b"ERROR too many"))
    hung = sum(1 for r in results if r == "timeout") + n - len(results)
    other = n - ok - busy - hung
    for r in results:
        if not (isinstance(r, bytes) and (r.startswith(b"OK") or r.startswith(b"ERROR too"))):
            print("client: %r" % (r,), file=sys.stderr)
            break
    print("clients=%d ok=%d busy=%d other=%d hung=%d" % (n, ok, busy, other, hung))


TEL_JUNK = [
    b"/egw/flows," + b"A" * 1000,
    b"/egw/flows,src=\"x\\\\\x01\x02",
    b"/egw/flows,limit=999999999999999999999",
    b"/egw/flows,src=1.2.3.4/99,dst=,proto=%s%n",
    b"/egw/pools," + bytes(range(1, 200)),
    b"/egw/policies,-1",
    b"/egw/policies,99999999999999999999",
    b"/egw/info,unexpected",
    b"/egw/stats," + b"," * 900,
    b"/egw/" + b"x" * 1100,
    b",,,,",
    b"\xff\xfe\xfd",
    b"/help,/egw/flows",
    b"/",
]


def tel_junk(path):
    """Junk parameters and commands: each gets an answer (JSON from our callbacks) or DPDK's
    null; our callbacks' answers must be valid JSON."""
    import json
    answered = json_ok = 0
    for req in TEL_JUNK:
        s = unix(path, socket.SOCK_SEQPACKET, timeout=5)
        s.recv(1024)  # greeting
        s.send(req)
        try:
            r = s.recv(1 << 16)
        except socket.timeout:
            r = None
        s.close()
        if r is None:
            print("no reply to %r" % req[:40], file=sys.stderr)
            continue
        answered += 1
        if not req.startswith(b"/egw/"):
            json_ok += 1  # DPDK's own commands and its "unknown command" reply
            continue
        try:
            json.loads(r)
            json_ok += 1
        except ValueError:
            print("not JSON: %r to %r" % (r[:100], req[:40]), file=sys.stderr)
    print("requests=%d answered=%d json=%d" % (len(TEL_JUNK), answered, json_ok))


def tel_many(path, n, hold):
    """N idle connections held for HOLD seconds: DPDK serves 10 and closes the rest."""
    socks, greeted = [], 0
    for _ in range(n):
        try:
            s = unix(path, socket.SOCK_SEQPACKET, timeout=2)
            if s.recv(1024):
                greeted += 1
            socks.append(s)
        except OSError:
            pass
    time.sleep(hold)
    for s in socks:
        s.close()
    print("connections=%d greeted=%d" % (n, greeted))


def tel_early(path, n):
    """Sends a command and closes before the reply."""
    for _ in range(n):
        s = unix(path, socket.SOCK_SEQPACKET, timeout=2)
        try:
            s.recv(1024)
            s.send(b"/egw/stats")
        except (BrokenPipeError, ConnectionResetError):
            # DPDK's telemetry serves a limited number of clients and closes the others:
            # that client was refused, not abusive; the daemon is what is checked.
            pass
        s.close()
    print("sent=%d" % n)


def tel_flows(path, n, secs):
    """N clients asking /egw/flows in a loop for SECS seconds, all at once (each ask takes every
    worker's mailbox): every ask is answered (flows, or "busy; retry"), none hangs."""
    counts = {"answered": 0, "busy": 0, "hung": 0}
    lock = threading.Lock()

    def one():
        try:
            s = unix(path, socket.SOCK_SEQPACKET, timeout=15)
            s.recv(1024)
            end = time.monotonic() + secs
            while time.monotonic() < end:
                s.send(b"/egw/flows,limit=40")
                r = s.recv(1 << 16)
                with lock:
                    counts["busy" if b"busy" in r else "answered"] += 1
            s.close()
        except socket.timeout:
            with lock:
                counts["hung"] += 1
        except OSError as e:
            print("client: %s" % e, file=sys.stderr)

    threads = [threading.Thread(target=one, daemon=True) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(secs + 20)
    print("answered=%d busy=%d hung=%d" % (counts["answered"], counts["busy"], counts["hung"]))


def http_slowloris(addr, src, n, secs):
    """N connections from SRC, each sending a header byte a second: accepted ones are held
    until the server ends them. Reports how many got in and when the last one was ended."""
    host, port = addr.rsplit(":", 1)
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind((src, 0))
        s.settimeout(2)
        try:
            s.connect((host, int(port)))
            s.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
            socks.append(s)
        except OSError:
            s.close()
    t0 = time.monotonic()
    alive = list(socks)
    first_alive = None
    while alive and time.monotonic() - t0 < secs:
        time.sleep(1)
        still = []
        for s in alive:
            try:
                s.setblocking(False)
                try:
                    if s.recv(1) == b"":
                        raise OSError("closed")
                except BlockingIOError:
                    pass
                s.send(b"X")
                still.append(s)
            except OSError:
                s.close()
        if first_alive is None:
            first_alive = len(still)
        alive = still
    print("attempted=%d held=%d ended_after=%s" % (
        n, first_alive or 0, "%.1f" % (time.monotonic() - t0) if not alive else "never"))
    for s in alive:
        s.close()


def http_bigheader(addr, nbytes):
    """A request whose headers are NBYTES long."""
    host, port = addr.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=5)
    try:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Junk: " + b"a" * nbytes + b"\r\n\r\n")
    except OSError:
        pass
    data, how = read_all(s)
    print("status=%r how=%s" % (data.split(b"\r\n", 1)[0], how))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    fn = {
        "ctl-early": lambda: ctl_early(args[0], int(args[1])),
        "ctl-slow": lambda: ctl_slow(args[0], float(args[1]), float(args[2])),
        "ctl-idle": lambda: ctl_idle(args[0], float(args[1])),
        "ctl-hold": lambda: ctl_hold(args[0], int(args[1]), float(args[2])),
        "ctl-big": lambda: ctl_big(args[0], int(args[1])),
        "ctl-junk": lambda: ctl_junk(args[0], int(args[1]), int(args[2])),
        "ctl-many": lambda: ctl_many(args[0], int(args[1]), float(args[2])),
        "tel-junk": lambda: tel_junk(args[0]),
        "tel-many": lambda: tel_many(args[0], int(args[1]), float(args[2])),
        "tel-early": lambda: tel_early(args[0], int(args[1])),
        "tel-flows": lambda: tel_flows(args[0], int(args[1]), float(args[2])),
        "http-slowloris": lambda: http_slowloris(args[0], args[1], int(args[2]),
                                                 float(args[3])),
        "http-bigheader": lambda: http_bigheader(args[0], int(args[1])),
    }[cmd]
    fn()


if __name__ == "__main__":
    main()
