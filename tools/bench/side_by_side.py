#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Measurement and summary helpers of tools/bench/side_by_side.sh (issue 16).

  side_by_side.py window ENGINE --pid PID --seconds S --flows N --round R --out JSONL \\
          [--fifo F --log L | --telemetry PREFIX | --ovs-dir D]
      One measurement window of an engine that is already forwarding: its rate from its own
      counters, its own per-packet cycles where it reports them (testpmd --record-core-cycles,
      OVS pmd-stats, egressgw's /egw/workers busy_cycles), the CPU time of each of its threads over the window
      (/proc/PID/task/TID/stat), the page sizes its memory is really mapped with
      (/proc/PID/smaps), the machine's load and per-CPU busy and steal time. Appends one JSON
      line to JSONL.
  side_by_side.py summary JSONL [--json OUT] [--ratio A/B ...] [--meta K=V ...] [--scaling]
      Per flow count: the median rate of each engine and its range, the per-round ratios
      A/B (both engines measured in the same round) with their median, range and IQR; with
      --scaling, the handoff share and the per-core arithmetic for 100 GbE. Table on stdout,
      everything (raw runs included) in OUT.

The engine names (testpmd, egressgw, egressgw-1w, egressgw-2w, ovs) select how the counters
are read; ENGINE's first word before '-' decides.
"""
import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time

LINE_RATE_100G_64B_MPPS = 148.8  # 100e9 / ((64 + 20) * 8) / 1e6: 64 B frames + preamble/IFG

# ---------------------------------------------------------------- statistics


def spread(values):
    """Median, min, max, quartiles (inclusive linear interpolation) and the values."""
    v = sorted(x for x in values if x is not None)
    if not v:
        return None
    if len(v) == 1:
        q1 = q3 = v[0]
    else:
        q1, _, q3 = statistics.quantiles(v, n=4, method="inclusive")
    return {"median": statistics.median(v), "min": v[0], "max": v[-1], "q1": q1, "q3": q3,
            "n": len(v), "values": list(values)}


def mean(values):
    v = [x for x in values if x is not None]
    return sum(v) / len(v) if v else None


def row_value(r, key):
    """R's figure KEY; own_cycles_per_packet is the engine's own count (r["own"])."""
    if key == "own_cycles_per_packet":
        return (r.get("own") or {}).get("cycles_per_packet")
    return r.get(key)


def round_ratios(rows, flows, num, den, key="mpps"):
    """NUM over DEN per round in which both were measured at FLOWS: their rates (key mpps),
    or, with a cost per packet as the key (cpu_ns_per_packet, own_cycles_per_packet), DEN's
    cost over NUM's (how many more packets NUM forwards for the same CPU time or cycles)."""
    by_round = {}
    for r in rows:
        v = row_value(r, key)
        if r.get("flows") == flows and v:
            by_round.setdefault(r["round"], {})[r["engine"]] = v
    out = []
    for rnd in sorted(by_round):
        e = by_round[rnd]
        if e.get(num) and e.get(den):
            out.append(e[num] / e[den] if key == "mpps" else e[den] / e[num])
    return out


# ---------------------------------------------------------------- /proc readers


def parse_task_stat(text):
    """(comm, utime + stime in clock ticks, CPU it last ran on) from /proc/PID/task/TID/stat."""
    head, _, rest = text.rpartition(")")
    comm = head.partition("(")[2]
    f = rest.split()
    # rest starts at field 3 (state): utime is field 14, stime 15, processor 39 (proc(5)).
    return comm, int(f[11]) + int(f[12]), int(f[36])


def read_threads(pid):
    """{tid: (comm, ticks, cpu)} of every thread of PID that can still be read."""
    out = {}
    base = "/proc/%d/task" % pid
    for tid in os.listdir(base):
        try:
            with open("%s/%s/stat" % (base, tid)) as f:
                out[int(tid)] = parse_task_stat(f.read())
        except (OSError, ValueError, IndexError):
            pass
    return out


def thread_window(before, after, seconds, hz=None):
    """Per thread: CPU seconds over the window and the share of one CPU it had."""
    hz = hz or os.sysconf("SC_CLK_TCK")
    out = []
    for tid, (comm, ticks, cpu) in sorted(after.items()):
        if tid not in before:
            continue
        cpu_s = (ticks - before[tid][1]) / hz
        out.append({"tid": tid, "comm": comm, "cpu": cpu, "cpu_seconds": cpu_s,
                    "share": cpu_s / seconds if seconds > 0 else None})
    return out


def parse_proc_stat(text):
    """{cpuN: (busy, steal, total)} in ticks from /proc/stat."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"(cpu\d+)\s+(.*)", line)
        if not m:
            continue
        v = [int(x) for x in m.group(2).split()]
        # user nice system idle iowait irq softirq steal guest guest_nice; guest time is
        # already counted in user.
        user, nice, system, idle, iowait, irq, softirq, steal = (v + [0] * 8)[:8]
        busy = user + nice + system + irq + softirq
        out[m.group(1)] = (busy, steal, busy + idle + iowait + steal)
    return out


def cpu_window(before, after):
    """Per CPU: busy and steal share of the window (all processes, ours included)."""
    out = {}
    for cpu, (busy, steal, total) in after.items():
        if cpu not in before:
            continue
        dt = total - before[cpu][2]
        if dt <= 0:
            continue
        out[cpu] = {"busy": (busy - before[cpu][0]) / dt, "steal": (steal - before[cpu][1]) / dt}
    return out


PAGE_LABELS = {4: "4K", 2048: "2M", 1048576: "1G"}


def parse_smaps(text):
    """Which page sizes a process's memory is mapped with: hugetlb MiB resident per page size,
    anonymous memory on base pages (malloc heaps: OVS's conntrack and classifier live there
    whatever DPDK gets) and how much of it transparent huge pages back, and a label: the
    largest hugetlb page size holding memory, else 4K (+THP when THP backs some)."""
    hugetlb, anon_kb, thp_kb, page_kb = {}, 0, 0, 4
    for line in text.splitlines():
        key, _, val = line.partition(":")
        if key == "KernelPageSize":
            page_kb = int(val.split()[0])
        elif key in ("Shared_Hugetlb", "Private_Hugetlb"):
            kb = int(val.split()[0])
            if kb:
                hugetlb[page_kb] = hugetlb.get(page_kb, 0) + kb
        elif key == "Anonymous":
            anon_kb += int(val.split()[0])
        elif key == "AnonHugePages":
            thp_kb += int(val.split()[0])
    sizes = sorted(hugetlb)
    label = PAGE_LABELS.get(sizes[-1], "%dK" % sizes[-1]) if sizes else "4K"
    if not sizes and thp_kb:
        label = "4K+THP"
    return {"label": label,
            "hugetlb_mib": {PAGE_LABELS.get(k, "%dK" % k): v / 1024 for k, v in hugetlb.items()},
            "anon_mib": anon_kb / 1024, "thp_mib": thp_kb / 1024}


def read_pages(pids):
    """parse_smaps of each process, merged: the labels met, the sizes summed."""
    out = {"label": None, "hugetlb_mib": {}, "anon_mib": 0.0, "thp_mib": 0.0}
    labels = []
    for pid in pids:
        try:
            with open("/proc/%d/smaps" % pid) as f:
                p = parse_smaps(f.read())
        except OSError as e:
            out["error"] = str(e)
            continue
        labels.append(p.pop("label"))
        add_counters(out, p)
    out["label"] = ",".join(sorted(set(labels))) or None
    return out


def tsc_mhz():
    """The TSC rate as the kernel states it (cpu MHz; a VM with tsc_known_freq gives it)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("cpu MHz"):
                    return float(line.split(":")[1])
    except OSError:
        pass
    return None


# ---------------------------------------------------------------- engine output parsers


def parse_testpmd(text):
    """From testpmd output after the window: the last Tx-pps of port 1 ("show port stats")
    and the last "CPU cycles/packet" of "show fwd stats" (busy cycles / packets forwarded
    since "clear fwd stats"), with the packets that figure covers."""
    out = {"tx_pps": None, "cycles_per_packet": None, "packets": None, "mhz": None}
    blocks = text.split("NIC statistics for port 1")
    if len(blocks) > 1:
        m = re.search(r"Tx-pps:\s+(\d+)", blocks[-1])
        if m:
            out["tx_pps"] = int(m.group(1))
    for m in re.finditer(r"CPU cycles/packet=([\d.]+) \(total cycles=(\d+) / total io "
                         r"packets=(\d+)\) at (\d+) MHz", text):
        out["cycles_per_packet"] = float(m.group(1))
        out["packets"] = int(m.group(3))
        out["mhz"] = int(m.group(4))
    return out


def parse_pmd_stats(text):
    """ovs-appctl dpif-netdev/pmd-stats-show, summed over the PMD threads (the main thread's
    block is left out: it polls no DPDK port here). Cycles per packet: all cycles (idle
    included) and processing cycles, over the packets received; the cache hit counts say
    which classifier level the packets needed."""
    keys = {"packets received": "packets", "idle cycles": "idle_cycles",
            "processing cycles": "processing_cycles", "emc hits": "emc_hits",
            "smc hits": "smc_hits", "megaflow hits": "megaflow_hits",
            "miss with success upcall": "upcalls"}
    tot = {v: 0 for v in keys.values()}
    seen = False
    for block in re.split(r"^(?=\S)", text, flags=re.M):
        if not block.startswith("pmd thread"):
            continue
        seen = True
        for k, name in keys.items():
            m = re.search(r"^\s*%s:\s*(\d+)" % k, block, re.M)
            if m:
                tot[name] += int(m.group(1))
    if not seen:
        return None
    p = tot["packets"]
    tot["cycles_per_packet"] = (tot["idle_cycles"] + tot["processing_cycles"]) / p if p else None
    tot["processing_cycles_per_packet"] = tot["processing_cycles"] / p if p else None
    return tot


# ---------------------------------------------------------------- engine counters


class Testpmd:
    """testpmd in interactive mode, commands through its stdin FIFO, answers in its log."""

    def __init__(self, a):
        self.fifo, self.log = a.fifo, a.log

    def _send(self, *cmds):
        with open(self.fifo, "w") as f:
            f.write("".join(c + "\n" for c in cmds))

    def start(self):
        self.offset = os.path.getsize(self.log)
        self._send("clear fwd stats all", "show port stats all")

    def end(self, seconds):
        self._send("show port stats all", "show fwd stats all")
        text = ""
        for _ in range(100):  # the answer comes within a fraction of a second; 10 s at most
            time.sleep(0.1)
            with open(self.log, errors="replace") as f:
                f.seek(self.offset)
                text = f.read()
            if "CPU cycles/packet" in text:
                break
        p = parse_testpmd(text)
        mpps = p["tx_pps"] / 1e6 if p["tx_pps"] is not None else None
        own = None
        if p["cycles_per_packet"] is not None:
            own = {"cycles_per_packet": p["cycles_per_packet"], "kind": "busy cycles",
                   "source": "testpmd --record-core-cycles, show fwd stats", "mhz": p["mhz"]}
        return {"mpps": mpps, "packets": p["packets"], "own": own}


def telemetry(prefix, cmd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(10)
    s.connect("/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix)
    s.recv(4096)
    s.send(cmd.encode())
    d = json.loads(s.recv(1 << 20).decode())[cmd]
    s.close()
    return d


def add_counters(into, d):
    """Sums the numbers of D into INTO, nested dictionaries included."""
    for k, v in d.items():
        if isinstance(v, dict):
            add_counters(into.setdefault(k, {}), v)
        elif isinstance(v, (int, float)):
            into[k] = into.get(k, 0) + v
    return into


class Egressgw:
    """The daemon's telemetry: /egw/stats totals and /egw/workers per worker. Several daemons
    (telemetry prefixes separated by commas) count as one: totals summed, workers listed."""

    def __init__(self, a):
        self.prefixes = a.telemetry.split(",")

    def _sample(self):
        stats, workers = {}, {}
        for i, p in enumerate(self.prefixes):
            add_counters(stats, telemetry(p, "/egw/stats"))
            for name, w in telemetry(p, "/egw/workers")["workers"].items():
                workers["%d.%s" % (i, name)] = w
        return time.monotonic(), stats, workers

    def start(self):
        self.a = self._sample()

    def end(self, seconds):
        t0, s0, w0 = self.a
        t1, s1, w1 = self._sample()
        d = lambda k: s1[k] - s0[k]
        workers = []
        for name in sorted(w1):
            a, b = w0.get(name, {}), w1[name]
            dw = {k: b[k] - a.get(k, 0) for k in ("rx_packets", "tx_packets", "polls",
                                                  "busy_polls", "handoffs_out", "handoffs_in")}
            dw["lcore"] = b["lcore"]
            dw["busy_poll_share"] = dw["busy_polls"] / dw["polls"] if dw["polls"] else None
            # busy_cycles: daemons before issue 16 do not count them
            if "busy_cycles" in b:
                dw["busy_cycles"] = b["busy_cycles"] - a.get("busy_cycles", 0)
            workers.append(dw)
        out_pkts, in_pkts = d("packets_out"), d("packets_in")
        drops = {k: v - s0["drops"].get(k, 0) for k, v in s1["drops"].items()
                 if v - s0["drops"].get(k, 0)}
        # Packets that belonged to another worker: handed off, or dropped because the ring to
        # their owner was full.
        away = d("handoffs") + drops.get("handoff_full", 0)
        return {"own": egressgw_own(workers, out_pkts),"mpps": out_pkts / (t1 - t0) / 1e6, "packets": out_pkts,
                "window_drops": d("drops_total"), "drops_by_reason": drops,
                "flows_active": s1["flows_active"], "packets_in": in_pkts,
                "handoffs": d("handoffs"),
                "handoff_share": away / in_pkts if in_pkts else None,
                "drop_share": d("drops_total") / in_pkts if in_pkts else None,
                "workers": workers}


def egressgw_own(workers, packets):
    """The daemon's own cost: its workers' busy TSC cycles (loops that found work) over the
    packets it sent, and the share of polls that found work."""
    own = {"kind": "worker busy TSC cycles / packets sent (/egw/workers busy_cycles)",
           "busy_poll_share": mean([w["busy_poll_share"] for w in workers]),
           "cycles_per_packet": None}
    cycles = [w.get("busy_cycles") for w in workers]
    if packets and cycles and None not in cycles:
        own["cycles_per_packet"] = sum(cycles) / packets
    return own


class Ovs:
    """Open vSwitch: OpenFlow port stats of the null port (ofport 2) and the PMD statistics."""

    def __init__(self, a):
        self.dir = a.ovs_dir
        self.ctl = os.path.join(a.ovs_dir, "ovs-vswitchd.ctl")
        self.bridge = a.bridge

    def _run(self, *argv):
        return subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout

    def _appctl(self, *cmd):
        return self._run("ovs-appctl", "--timeout=20", "-t", self.ctl, *cmd)

    def _tx(self):
        out = self._run("ovs-ofctl", "-O", "OpenFlow13", "--timeout=20", "dump-ports",
                        self.bridge, "2")
        m = re.search(r"tx pkts=(\d+)", out)
        return int(m.group(1)) if m else None

    def start(self):
        self._appctl("dpif-netdev/pmd-stats-clear")
        self.a = (self._tx(), time.monotonic())

    def end(self, seconds):
        b, t1 = self._tx(), time.monotonic()
        a, t0 = self.a
        text = self._appctl("dpif-netdev/pmd-stats-show")
        with open(os.path.join(self.dir, "pmd-stats.txt"), "w") as f:  # kept with the logs
            f.write(text)
        pmd = parse_pmd_stats(text)
        ct = self._appctl("dpctl/dump-conntrack")
        nat = sum(1 for line in ct.splitlines() if "dst=198.51.100." in line)
        own = None
        if pmd:
            own = {"cycles_per_packet": pmd["cycles_per_packet"],
                   "processing_cycles_per_packet": pmd["processing_cycles_per_packet"],
                   "kind": "all cycles (idle + processing) per packet; processing apart",
                   "source": "ovs-appctl dpif-netdev/pmd-stats-show", "pmd": pmd}
        packets = b - a if a is not None and b is not None else None
        return {"mpps": packets / (t1 - t0) / 1e6 if packets is not None else None,
                "packets": packets, "nat_connections": nat, "own": own}


ENGINES = {"testpmd": Testpmd, "egressgw": Egressgw, "ovs": Ovs}
# Threads that forward, by engine (comm names: DPDK lcores, OVS PMD threads).
FORWARDING = {"testpmd": r"^(rte|lcore)-worker", "egressgw": r"^(rte|lcore)-worker", "ovs": r"^pmd"}


def window(a):
    kind = a.engine.split("-")[0]
    eng = ENGINES[kind](a)
    with open("/proc/stat") as f:
        st0 = parse_proc_stat(f.read())
    pids = [int(p) for p in a.pid.split(",")]
    th0 = {}
    for pid in pids:
        th0.update(read_threads(pid))
    t0 = time.monotonic()
    eng.start()
    time.sleep(a.seconds)
    res = eng.end(a.seconds)
    th1 = {}
    for pid in pids:
        th1.update(read_threads(pid))
    t1 = time.monotonic()
    with open("/proc/stat") as f:
        st1 = parse_proc_stat(f.read())
    with open("/proc/loadavg") as f:
        load = [float(x) for x in f.read().split()[:3]]
    threads = thread_window(th0, th1, t1 - t0)
    fwd = [t for t in threads if re.match(FORWARDING[kind], t["comm"])]
    fwd_s = sum(t["cpu_seconds"] for t in fwd)
    all_s = sum(t["cpu_seconds"] for t in threads)
    mhz = tsc_mhz()
    pk = res.get("packets")
    row = {"engine": a.engine, "flows": a.flows, "round": a.round, "seconds": t1 - t0}
    row.update(res)
    row.update({
        "forwarding_threads": [{k: t[k] for k in ("comm", "cpu", "share")} for t in fwd],
        "forwarding_cpu_share": fwd_s / (t1 - t0),
        # CPU time actually given to the forwarding threads, per packet: independent of what
        # the engine reports, and of time its CPU spent on other processes.
        "cpu_ns_per_packet": fwd_s / pk * 1e9 if pk else None,
        "cpu_cycles_per_packet": fwd_s * mhz * 1e6 / pk if pk and mhz else None,
        "process_cpu_ns_per_packet": all_s / pk * 1e9 if pk else None,
        "other_threads": [{k: t[k] for k in ("comm", "cpu", "share")} for t in threads
                          if t not in fwd and t["share"] and t["share"] >= 0.01],
        "pages": read_pages(pids), "tsc_mhz": mhz, "loadavg": load,
        "cpus": cpu_window(st0, st1)})
    with open(a.out, "a") as f:
        f.write(json.dumps(row) + "\n")
    print(one_line(row))
    return 0 if row.get("mpps") else 1


def fmt(v, f="%.2f"):
    return f % v if isinstance(v, (int, float)) else "-"


def one_line(r):
    own = r.get("own") or {}
    return ("  round %d %-12s %6d flows %8s Mpps  cpu %3s%%  %6s ns/pkt  own c/p %6s  "
            "pages %s  load %s") % (
        r["round"], r["engine"], r["flows"], fmt(r.get("mpps"), "%.3f"),
        fmt((r.get("forwarding_cpu_share") or 0) * 100, "%.0f"),
        fmt(r.get("cpu_ns_per_packet"), "%.1f"), fmt(own.get("cycles_per_packet"), "%.0f"),
        (r.get("pages") or {}).get("label"), fmt((r.get("loadavg") or [None])[0]))


# ---------------------------------------------------------------- summary


def summarize(rows, ratios, scaling=False):
    """Per flow count: per engine spreads, per-round ratios; JSON-ready."""
    out = []
    engines = []
    for r in rows:
        if r["engine"] not in engines:
            engines.append(r["engine"])
    for flows in sorted({r["flows"] for r in rows}):
        entry = {"flows": flows, "engines": {}, "ratios": {}}
        for e in engines:
            rs = [r for r in rows if r["flows"] == flows and r["engine"] == e]
            if not rs:
                continue
            own = [(r.get("own") or {}) for r in rs]
            entry["engines"][e] = {
                "mpps": spread([r.get("mpps") for r in rs]),
                "failed_runs": sum(1 for r in rs if not r.get("mpps")),
                "cpu_ns_per_packet": spread([r.get("cpu_ns_per_packet") for r in rs]),
                "cpu_cycles_per_packet": spread([r.get("cpu_cycles_per_packet") for r in rs]),
                "forwarding_cpu_share": spread([r.get("forwarding_cpu_share") for r in rs]),
                "own_cycles_per_packet": spread([o.get("cycles_per_packet") for o in own]),
                "own_processing_cycles_per_packet":
                    spread([o.get("processing_cycles_per_packet") for o in own]),
                "own_busy_poll_share": spread([o.get("busy_poll_share") for o in own]),
                "own_kind": next((o.get("kind") for o in own if o), None),
                "pages": sorted({(r.get("pages") or {}).get("label") or "?" for r in rs}),
                "loadavg_1m": spread([(r.get("loadavg") or [None])[0] for r in rs]),
            }
            if scaling:
                entry["engines"][e]["handoff_share"] = spread(
                    [r.get("handoff_share") for r in rs])
                entry["engines"][e]["drop_share"] = spread([r.get("drop_share") for r in rs])
                entry["engines"][e]["workers"] = max(len(r.get("workers") or []) for r in rs)
        for num, den in ratios:
            s = spread(round_ratios(rows, flows, num, den))
            if s:
                s["by_cpu_time"] = spread(round_ratios(rows, flows, num, den,
                                                       "cpu_ns_per_packet"))
                s["by_own_cycles"] = spread(round_ratios(rows, flows, num, den,
                                                         "own_cycles_per_packet"))
                entry["ratios"]["%s/%s" % (num, den)] = s
        if scaling:
            entry["projection"] = projection(entry)
        out.append(entry)
    return out


def projection(entry):
    """Arithmetic, not a measurement: worker cores for 148.8 Mpps at the per-core rates seen,
    once from the rate over the workers started, once from the CPU time they really got."""
    lines = []
    for e, s in entry["engines"].items():
        if not s["mpps"]:
            continue
        n = s.get("workers") or 1
        per_core = s["mpps"]["median"] / n
        p = {"engine": e, "workers": n, "mpps_per_worker": per_core,
             "cores_for_100g_64b": LINE_RATE_100G_64B_MPPS / per_core,
             "text": "%s: %.2f Mpps / %d worker(s) = %.2f Mpps per worker; 148.8 / %.2f = "
                     "%.1f worker cores for 100 GbE at 64 B" % (
                         e, s["mpps"]["median"], n, per_core, per_core,
                         LINE_RATE_100G_64B_MPPS / per_core)}
        ns = s["cpu_ns_per_packet"]["median"] if s["cpu_ns_per_packet"] else None
        if ns:
            p["mpps_per_cpu_second"] = 1000 / ns
            p["cores_for_100g_64b_by_cpu_time"] = LINE_RATE_100G_64B_MPPS * ns / 1000
            p["text"] += "; by CPU time: 1000 / %.1f ns = %.2f Mpps per busy core, " \
                         "148.8 x %.1f ns / 1000 = %.1f cores" % (
                             ns, 1000 / ns, ns, LINE_RATE_100G_64B_MPPS * ns / 1000)
        lines.append(p)
    return lines


def render(summary, meta):
    lines = []
    if meta:
        lines.append("  ".join("%s=%s" % kv for kv in sorted(meta.items())))
    lines.append("%7s %-12s %5s %22s %5s %9s %10s %15s  %s" % (
        "flows", "engine", "runs", "Mpps median [min-max]", "cpu%", "ns/pkt",
        "cpu c/pkt", "own c/pkt", "pages"))
    for entry in summary:
        for e, s in entry["engines"].items():
            m = s["mpps"]
            rng = "%.3f [%.3f-%.3f]" % (m["median"], m["min"], m["max"]) if m else "-"
            med = lambda k: s[k]["median"] if s[k] else None
            own = fmt(med("own_cycles_per_packet"), "%.0f")
            if s["own_processing_cycles_per_packet"]:
                own += " (proc %s)" % fmt(med("own_processing_cycles_per_packet"), "%.0f")
            elif s["own_busy_poll_share"] and not s["own_cycles_per_packet"]:
                own = "busy polls %s%%" % fmt(med("own_busy_poll_share") * 100, "%.0f")
            lines.append("%7d %-12s %5s %22s %5s %9s %10s %15s  %s  load %s" % (
                entry["flows"], e, "%d" % ((m["n"] if m else 0) + s["failed_runs"]), rng,
                fmt((med("forwarding_cpu_share") or 0) * 100, "%.0f"),
                fmt(med("cpu_ns_per_packet"), "%.1f"), fmt(med("cpu_cycles_per_packet"), "%.0f"),
                own, ",".join(s["pages"]), fmt(med("loadavg_1m"))))
            if s.get("handoff_share"):
                pct = lambda k: "%.1f%% [%.1f-%.1f]" % tuple(
                    s[k][q] * 100 for q in ("median", "min", "max"))
                lines.append("%7s %-12s packets for the other worker %s, dropped %s" % (
                    "", "", pct("handoff_share"), pct("drop_share")))
    lines.append("")
    lines.append("%7s %-24s %6s %8s %13s %11s   %-26s %s" % (
        "flows", "ratio of rates", "rounds", "median", "[min-max]", "IQR",
        "by CPU time: median [range]", "by own cycles: median [range]"))
    rng = lambda c: "%.2fx [%.2f-%.2f]" % (c["median"], c["min"], c["max"]) if c else "-"
    for entry in summary:
        for name, s in entry["ratios"].items():
            lines.append("%7d %-24s %6d %7.2fx %13s %11s   %-26s %s" % (
                entry["flows"], name, s["n"], s["median"], "[%.2f-%.2f]" % (s["min"], s["max"]),
                "%.2f-%.2f" % (s["q1"], s["q3"]), rng(s.get("by_cpu_time")),
                rng(s.get("by_own_cycles"))))
    for entry in summary:
        for p in entry.get("projection", []):
            lines.append("%7d arithmetic, not measured: %s" % (entry["flows"], p["text"]))
    return "\n".join(lines)


def summary_cmd(a):
    with open(a.jsonl) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    ratios = [tuple(r.split("/", 1)) for r in a.ratio]
    meta = dict(kv.split("=", 1) for kv in a.meta)
    s = summarize(rows, ratios, a.scaling)
    print(render(s, meta))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"meta": meta, "summary": s, "runs": rows}, f, indent=1)
    good = sum(1 for r in rows if r.get("mpps"))
    if a.expect is not None and good < a.expect:
        print("%d of the %d runs expected gave a rate" % (good, a.expect), file=sys.stderr)
        return 1
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("window")
    w.add_argument("engine")
    w.add_argument("--pid", required=True, help="PID, or PIDs separated by commas")
    w.add_argument("--seconds", type=float, required=True)
    w.add_argument("--flows", type=int, required=True)
    w.add_argument("--round", type=int, required=True)
    w.add_argument("--out", required=True)
    w.add_argument("--fifo")
    w.add_argument("--log")
    w.add_argument("--telemetry")
    w.add_argument("--ovs-dir")
    w.add_argument("--bridge")
    s = sub.add_parser("summary")
    s.add_argument("jsonl")
    s.add_argument("--json")
    s.add_argument("--ratio", action="append", default=[])
    s.add_argument("--meta", action="append", default=[])
    s.add_argument("--scaling", action="store_true")
    s.add_argument("--expect", type=int,
                   help="exit 1 unless this many runs gave a rate (smoke mode)")
    a = ap.parse_args(argv)
    return window(a) if a.cmd == "window" else summary_cmd(a)


if __name__ == "__main__":
    sys.exit(main())
