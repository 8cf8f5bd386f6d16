#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Config robustness: mutations of the shipped configs through `egressgw -c FILE --check`.

Each case starts from conf/demo.ini or conf/egressgw.ini (their policies pointed at a copy of
conf/policies.d) and applies one to three mutations: lines deleted, duplicated, swapped,
indented, cut or made very long; values replaced by junk or edge values; keys renamed;
section headers inserted; bytes flipped, NUL and control bytes, CRLF, a BOM, truncation; and
files that are not config files named where files are expected (policies, flow_log, socket,
the config itself): /dev/zero, a FIFO, a directory, /proc/self/*, a file over 16 MiB.

Every run has a time limit. A case fails when the checker hangs (timeout), dies of a signal,
exits other than 0 or 1, says "config OK" without exit 0 (or the reverse), prints an error
line that does not start with the name of a file of the case ("FILE:" or "FILE:LINE:"), or
reports an "internal error". Failing cases are kept for replay in the directory printed.

usage: conf_mutations.py EGRESSGW CONF_DIR [CASES]   (EGW_CONF_SEED: the random seed)
"""
import concurrent.futures
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

TIMEOUT_S = 5
BIG = 16 * 1024 * 1024 + 1  # one byte over the limit of lib/common/file.h

JUNK_VALUES = [
    "", "0", "-1", "1", "65535", "65536", "4294967295", "4294967296", "99999999999999999999",
    "0x10", "010", "1e3", " ", "yes", "no", "maybe", "passthrough", "policy", "deny", "public",
    "none", "any", "tcp", "icmp", "tls", "reset", "keep", "1.2.3.4", "256.1.1.1", "1.2.3",
    "198.18.0.1/33", "198.18.0.1/24", "198.18.0.0/24", "0.0.0.0/0", "203.0.113.1",
    "198.51.100.10-198.51.100.9", "198.51.100.1-198.51.100.255", "1-65535", "65535-1", "1024-",
    "02:00:00:00:00:fe", "zz:00:00:00:00:00", "198.18.64.0/18 via 198.18.0.254",
    "198.18.0.254 02:00:00:00:00:fe,", ",,,", "a,b,,c", "%s%n%x", "${HOME}", "\\", "\"quoted\"",
    "; comment", "# hash", "x" * 300, "é" * 40, "*.example.com", "*", "net_null0", "0000:3b:00.0",
    "127.0.0.1:9610", "127.0.0.1:0", ":9610", "/tmp", "/dev/null", "(0-2)@(0-1)", "0-1",
]
JUNK_LINES = [
    "[", "]", "[]", "[port]", "[port inside]", "[pool public]", "[pool x y]", "[policy dup]",
    "[group g]", "[egress]", "[flows]", "[dpdk] junk", "[policy p", "key", "= value", "=",
    "key = value", "  indented = continuation", "\tcontinued, item", "sources = g",
    "nat = nosuch", "via = nowhere", "action = allow", "action = deny", "priority = 1000001",
    "max_flows = -1", "hosts = example.com", "protocol = tls", "ports = 0", "mode = policy",
    "policies = *.nothing", "default_pool =", "socket = ", "listen = 1.2.3.4:99999",
    "mtu = 67", "mtu = 9001", "max = 0", "lcores = a-b", ";" + "c" * 250, "#",
]
KEYS = [
    "lcores", "memory_mb", "hugepages", "file_prefix", "extra_args", "idle_sleep_us", "mbufs",
    "device", "role", "address", "gateway", "routes", "neighbors", "mac", "mtu", "mode",
    "policies", "default_pool", "revalidate", "addresses", "ports", "mapping", "pairing",
    "max_per_source", "max", "tcp_syn", "tcp_established", "tcp_transitory", "udp", "icmp",
    "tcp_pickup", "socket", "listen", "level", "flow_log", "sources", "destinations", "hosts",
    "protocol", "action", "nat", "via", "priority", "max_flows", "bogus",
]


class Case:
    """The files of one case: the main config (lines) and the policy files (bytes)."""

    def __init__(self, main_name, main, policies):
        self.main_name = main_name
        self.main = main  # bytes
        self.policies = dict(policies)  # name -> bytes
        self.config_path = None  # set: run the checker on this path instead of the main file
        self.notes = []


# ---- mutations of a text (bytes) -------------------------------------------------------------

def lines_of(b):
    return b.split(b"\n")


def m_delete(rnd, b):
    ls = lines_of(b)
    del ls[rnd.randrange(len(ls))]
    return b"\n".join(ls)


def m_duplicate(rnd, b):
    ls = lines_of(b)
    i = rnd.randrange(len(ls))
    ls.insert(rnd.randrange(len(ls) + 1), ls[i])
    return b"\n".join(ls)


def m_swap(rnd, b):
    ls = lines_of(b)
    i, j = rnd.randrange(len(ls)), rnd.randrange(len(ls))
    ls[i], ls[j] = ls[j], ls[i]
    return b"\n".join(ls)


def m_value(rnd, b):
    ls = lines_of(b)
    keyed = [i for i, l in enumerate(ls) if b"=" in l and not l.lstrip().startswith((b";", b"#"))]
    if not keyed:
        return b
    i = rnd.choice(keyed)
    key = ls[i].split(b"=", 1)[0]
    ls[i] = key + b"= " + rnd.choice(JUNK_VALUES).encode()
    return b"\n".join(ls)


def m_key(rnd, b):
    ls = lines_of(b)
    keyed = [i for i, l in enumerate(ls) if b"=" in l]
    if not keyed:
        return b
    i = rnd.choice(keyed)
    ls[i] = rnd.choice(KEYS).encode() + b" =" + ls[i].split(b"=", 1)[1]
    return b"\n".join(ls)


def m_insert(rnd, b):
    ls = lines_of(b)
    ls.insert(rnd.randrange(len(ls) + 1), rnd.choice(JUNK_LINES).encode())
    return b"\n".join(ls)


def m_indent(rnd, b):
    ls = lines_of(b)
    i = rnd.randrange(len(ls))
    ls[i] = rnd.choice([b" ", b"\t", b"    "]) + ls[i]
    return b"\n".join(ls)


def m_long_line(rnd, b):
    ls = lines_of(b)
    i = rnd.randrange(len(ls))
    ls[i] = ls[i] + b"x" * rnd.choice([150, 199, 200, 201, 1000, 70000])
    return b"\n".join(ls)


def m_bytes(rnd, b):
    if not b:
        return bytes([rnd.randrange(256)])
    a = bytearray(b)
    for _ in range(rnd.randrange(1, 6)):
        a[rnd.randrange(len(a))] = rnd.choice([0, 1, 7, 9, 10, 13, 27, 0x7f, 0x80, 0xff,
                                               rnd.randrange(256)])
    return bytes(a)


def m_truncate(rnd, b):
    return b[:rnd.randrange(len(b) + 1)]


def m_encoding(rnd, b):
    choice = rnd.randrange(4)
    if choice == 0:
        return b.replace(b"\n", b"\r\n")
    if choice == 1:
        return b"\xef\xbb\xbf" + b
    if choice == 2:
        return b.replace(b"\n", b"\r")
    return b + bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 64)))


TEXT_MUTATIONS = [m_delete, m_duplicate, m_swap, m_value, m_value, m_value, m_key, m_insert,
                  m_insert, m_indent, m_long_line, m_bytes, m_truncate, m_encoding]

# ---- files that are not config files, where files are expected --------------------------------

SPECIAL = ["/dev/zero", "/dev/null", "/proc/self/status", "/proc/self/pagemap",
           "/proc/self/fd/0", "@fifo", "@dir", "@big", "@empty", "@missing", "@dirglob"]


def special_path(rnd, work, kind=None):
    kind = kind or rnd.choice(SPECIAL)
    return {"@fifo": os.path.join(work, "special", "fifo"),
            "@dir": os.path.join(work, "special", "dir"),
            "@big": os.path.join(work, "special", "big.ini"),
            "@empty": os.path.join(work, "special", "empty.ini"),
            "@missing": os.path.join(work, "special", "missing.ini"),
            "@dirglob": os.path.join(work, "special", "*")}.get(kind, kind)


def set_key(main, section, key, value):
    """MAIN with KEY = VALUE in [SECTION] (replaced, or added after the header)."""
    ls = lines_of(main)
    sec = None
    for i, l in enumerate(ls):
        m = re.match(rb"^\s*\[(.*)\]\s*$", l)
        if m:
            sec = m.group(1).strip()
        elif sec == section.encode() and re.match(rb"^\s*" + key.encode() + rb"\s*=", l):
            ls[i] = key.encode() + b" = " + value.encode()
            return b"\n".join(ls)
    for i, l in enumerate(ls):
        if l.strip() == b"[" + section.encode() + b"]":
            ls.insert(i + 1, key.encode() + b" = " + value.encode())
            return b"\n".join(ls)
    return main + b"\n[" + section.encode() + b"]\n" + key.encode() + b" = " + value.encode() + b"\n"


def m_special(rnd, case, work):
    where = rnd.randrange(5)
    path = special_path(rnd, work)
    if where == 0:
        case.config_path = path
    elif where == 1:
        case.main = set_key(case.main, "egress", "policies", path)
    elif where == 2:
        name = "15-special-%d.ini" % len(case.notes)
        case.policies[name] = None  # a symbolic link to PATH, made at write time
        case.notes.append(("link", name, path))
    elif where == 3:
        case.main = set_key(case.main, "log", "flow_log", path)
    else:
        case.main = set_key(case.main, "control", "socket", path)
    case.notes.append(("special", path))


def make_specials(work):
    d = os.path.join(work, "special")
    os.makedirs(os.path.join(d, "dir"), exist_ok=True)
    if not os.path.exists(os.path.join(d, "fifo")):
        os.mkfifo(os.path.join(d, "fifo"))
    with open(os.path.join(d, "big.ini"), "wb") as f:
        f.truncate(BIG)  # sparse: no disk used
    open(os.path.join(d, "empty.ini"), "wb").close()


# ---- one case ----------------------------------------------------------------------------------

def mutate(rnd, base, work):
    case = Case(base.main_name, base.main, base.policies)
    for _ in range(rnd.choice([1, 1, 2, 3])):
        r = rnd.random()
        if r < 0.12:
            m_special(rnd, case, work)
            continue
        fn = rnd.choice(TEXT_MUTATIONS)
        if r < 0.6 or not case.policies:
            case.main = fn(rnd, case.main)
        else:
            name = rnd.choice(sorted(n for n, v in case.policies.items() if v is not None))
            case.policies[name] = fn(rnd, case.policies[name])
    return case


def write_case(case, d):
    """Writes CASE under D; returns the config path to check and every path it may name."""
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "policies.d"))
    main_path = os.path.join(d, case.main_name)
    with open(main_path, "wb") as f:
        f.write(case.main)
    names = {main_path}
    for name, text in case.policies.items():
        p = os.path.join(d, "policies.d", name)
        names.add(p)
        if text is not None:
            with open(p, "wb") as f:
                f.write(text)
    for note in case.notes:
        if note[0] == "link":
            os.symlink(note[2], os.path.join(d, "policies.d", note[1]))
        if note[0] == "special":
            names.add(note[1])
    config = case.config_path or main_path
    names.add(config)
    return config, names


def file_prefixed(line, names):
    """Does LINE start with 'NAME:' for one of NAMES (a glob's matches are under its dir)?"""
    for n in names:
        if line.startswith(n + ":"):
            return True
        if "*" in n and line.startswith(os.path.dirname(n) + "/"):
            return True
    return False


def run_case(binary, case, d):
    config, names = write_case(case, d)
    t0 = time.monotonic()
    try:
        p = subprocess.run([binary, "-c", config, "--check"], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return "hang", "no answer within %d s" % TIMEOUT_S, time.monotonic() - t0
    dt = time.monotonic() - t0
    out = p.stdout.decode(errors="replace")
    err = p.stderr.decode(errors="replace")
    if p.returncode < 0:
        return "crash", "signal %d\n%s" % (-p.returncode, err[-2000:]), dt
    if p.returncode == 0:
        if "config OK" not in out:
            return "bad", "exit 0 without 'config OK': %r %r" % (out[:300], err[:300]), dt
        return "ok", "", dt
    if p.returncode != 1:
        return "bad", "exit %d\n%s" % (p.returncode, err[-2000:]), dt
    lines = [l for l in err.split("\n") if l.strip()]
    if not lines:
        return "bad", "exit 1 and no message", dt
    for l in lines:
        if not file_prefixed(l, names):
            return "unnamed", "message names no file of the case: %r\n%s" % (l, err[-2000:]), dt
        if "internal error" in l:
            return "internal", l, dt
    return "rejected", "\n".join(lines), dt


def message_kind(line):
    """An error line without its FILE:LINE, quoted values and numbers: what kind it is."""
    msg = re.sub(r"^.*?:(\d+:)? ", "", line, count=1)
    msg = re.sub(r"'[^']*'", "'*'", msg)
    msg = re.sub(r"\[(port|pool|policy|group) [^\]]*\]", r"[\1 *]", msg)
    return re.sub(r"\d+", "N", msg)


def load_base(conf_dir, work):
    pol_dir = os.path.join(conf_dir, "policies.d")
    policies = {}
    if os.path.isdir(pol_dir):
        for n in sorted(os.listdir(pol_dir)):
            with open(os.path.join(pol_dir, n), "rb") as f:
                policies[n] = f.read()
    bases = []
    for name in ("demo.ini", "egressgw.ini"):
        with open(os.path.join(conf_dir, name), "rb") as f:
            main = f.read()
        # Policies from the copy next to the case's config; the paths it writes stay local.
        main = set_key(main, "egress", "policies", "policies.d/*.ini")
        main = set_key(main, "log", "flow_log", os.path.join(work, "flows.jsonl"))
        main = set_key(main, "control", "socket", os.path.join(work, "ctl.sock"))
        bases.append(Case(name, main, policies))
    return bases


def main():
    binary, conf_dir = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else int(os.environ.get("EGW_CONF_CASES", 2000))
    seed = int(os.environ.get("EGW_CONF_SEED", 9))
    work = tempfile.mkdtemp(prefix="egw-conf-mut-")
    make_specials(work)
    bases = load_base(conf_dir, work)
    rnd = random.Random(seed)
    cases = [mutate(rnd, rnd.choice(bases), work) for _ in range(n)]
    # The shipped files themselves must pass, and the config itself as each special file.
    cases[:0] = [Case(b.main_name, b.main, b.policies) for b in bases]
    for kind in SPECIAL:
        c = Case(bases[0].main_name, bases[0].main, bases[0].policies)
        c.config_path = special_path(rnd, work, kind)
        c.notes.append(("special", c.config_path))
        cases.append(c)

    jobs = max(2, os.cpu_count() or 2)
    counts, failures, slowest, kinds = {}, [], 0.0, set()
    free = [os.path.join(work, "slot%d" % k) for k in range(jobs * 2)]
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        futs, todo = {}, list(enumerate(cases))
        while todo or futs:
            while todo and free:
                i, c = todo.pop(0)
                slot = free.pop()
                futs[pool.submit(run_case, binary, c, slot)] = (i, slot)
            done, _ = concurrent.futures.wait(futs, return_when=concurrent.futures.FIRST_COMPLETED)
            for f in done:
                i, slot = futs.pop(f)
                kind, why, dt = f.result()
                slowest = max(slowest, dt)
                counts[kind] = counts.get(kind, 0) + 1
                if kind == "rejected":
                    kinds.update(message_kind(l) for l in why.split("\n"))
                elif kind != "ok":
                    keep = os.path.join(work, "failed-%d" % i)
                    shutil.copytree(slot, keep, symlinks=True)
                    failures.append((i, kind, why, keep))
                free.append(slot)
    elapsed = time.monotonic() - t0
    for i, kind, why, keep in failures[:20]:
        print("FAIL case %d (%s): %s\n  files: %s" % (i, kind, why, keep))
    print("conf mutations: %d cases (seed %d) in %.1f s, slowest %.2f s: %s; %d kinds of "
          "error message" % (len(cases), seed, elapsed, slowest,
                             ", ".join("%s %d" % kv for kv in sorted(counts.items())), len(kinds)))
    if os.environ.get("EGW_CONF_KINDS"):
        print("\n".join(sorted(kinds)))
    if failures:
        print("failing cases kept in %s" % work)
        sys.exit(1)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
