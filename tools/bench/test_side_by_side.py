#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Unit tests of tools/bench/side_by_side.py: the statistics, the readers of /proc and of the
engines' own output (on texts captured from testpmd 22.11, OVS 3.1 and Linux 6.x), the summary
and its exit status. Run by meson test (suite bench); no root, no DPDK."""
import json
import os
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import side_by_side as sbs  # noqa: E402

TESTPMD = """testpmd> show port stats all

  ######################## NIC statistics for port 0  ########################
  RX-packets: 42686816   RX-missed: 0          RX-bytes:  2561208960
  Tx-pps:            0          Tx-bps:            0
  ######################## NIC statistics for port 1  ########################
  TX-packets: 42686816   TX-errors: 0          TX-bytes:  0
  Throughput (since last show)
  Rx-pps:            0          Rx-bps:            0
  Tx-pps:     25209263          Tx-bps:            0
  ############################################################################
  CPU cycles/packet=99.29 (total cycles=4999682691 / total io packets=50354624) at 2600 MHz Clock
"""

PMD_STATS = """pmd thread numa_id 0 core_id 1:
  packets received: 10959776
  emc hits: 10000000
  smc hits: 0
  megaflow hits: 959776
  miss with success upcall: 0
  idle cycles: 1000 (0.00%)
  processing cycles: 5255748888 (100.00%)
  avg cycles per packet: 479.55 (5255748888/10959776)
main thread:
  packets received: 7
  idle cycles: 99999999 (100.00%)
  processing cycles: 5 (0.00%)
"""

SMAPS_2M = """7f0000000000-7f0040000000 rw-s 00000000 00:2f 123    /tmp/x/huge/rtemap_0 (deleted)
Size:            1048576 kB
KernelPageSize:     2048 kB
Rss:                   0 kB
AnonHugePages:         0 kB
Shared_Hugetlb:        0 kB
Private_Hugetlb:  524288 kB
55d000000000-55d000021000 rw-p 00000000 00:00 0      [heap]
Size:                132 kB
KernelPageSize:        4 kB
Rss:                 100 kB
Anonymous:          3072 kB
AnonHugePages:      2048 kB
Shared_Hugetlb:        0 kB
Private_Hugetlb:       0 kB
"""


def stat_line(tid, comm, utime, stime, cpu):
    # Fields 3..52 of /proc/PID/task/TID/stat; utime 14, stime 15, processor 39.
    f = ["0"] * 50
    f[0] = "R"
    f[11], f[12], f[36] = str(utime), str(stime), str(cpu)
    return "%d (%s) %s" % (tid, comm, " ".join(f))


def row(engine, flows, rnd, mpps, **kw):
    r = {"engine": engine, "flows": flows, "round": rnd, "mpps": mpps}
    r.update(kw)
    return r


class Statistics(unittest.TestCase):
    def test_spread_quartiles_inclusive(self):
        s = sbs.spread([4.0, 1.0, 3.0, 2.0])
        self.assertEqual((s["median"], s["min"], s["max"]), (2.5, 1.0, 4.0))
        self.assertAlmostEqual(s["q1"], 1.75)
        self.assertAlmostEqual(s["q3"], 3.25)
        self.assertEqual(s["n"], 4)

    def test_spread_single_and_missing(self):
        s = sbs.spread([None, 5.0])
        self.assertEqual((s["median"], s["q1"], s["q3"], s["n"]), (5.0, 5.0, 5.0, 1))
        self.assertIsNone(sbs.spread([None, None]))
        self.assertIsNone(sbs.spread([]))

    def test_ratios_are_per_round_not_of_medians(self):
        rows = [row("egw", 1, 1, 10.0), row("ovs", 1, 1, 1.0),
                row("egw", 1, 2, 2.0), row("ovs", 1, 2, 2.0),
                row("egw", 1, 3, 9.0), row("ovs", 1, 3, 3.0)]
        self.assertEqual(sbs.round_ratios(rows, 1, "egw", "ovs"), [10.0, 1.0, 3.0])
        # median of ratios 3.0; the ratio of the medians would be 9 / 2 = 4.5
        self.assertEqual(sbs.spread(sbs.round_ratios(rows, 1, "egw", "ovs"))["median"], 3.0)

    def test_ratios_by_cpu_time_invert_the_cost(self):
        rows = [row("egw", 1, 1, 5.0, cpu_ns_per_packet=50.0),
                row("ovs", 1, 1, 1.0, cpu_ns_per_packet=400.0)]
        self.assertEqual(sbs.round_ratios(rows, 1, "egw", "ovs", "cpu_ns_per_packet"), [8.0])

    def test_ratios_by_own_cycles_read_the_engines_own_count(self):
        rows = [row("egw", 1, 1, 5.0, own={"cycles_per_packet": 150.0}),
                row("ovs", 1, 1, 1.0, own={"cycles_per_packet": 600.0}),
                row("egw", 1, 2, 5.0, own={"cycles_per_packet": 200.0}),
                row("ovs", 1, 2, 1.0, own=None)]
        self.assertEqual(sbs.round_ratios(rows, 1, "egw", "ovs", "own_cycles_per_packet"),
                         [4.0])

    def test_ratios_skip_rounds_missing_an_engine_or_a_rate(self):
        rows = [row("egw", 1, 1, 10.0), row("ovs", 1, 1, None),
                row("egw", 1, 2, 4.0), row("ovs", 1, 2, 2.0),
                row("egw", 1, 3, 6.0), row("egw", 2, 3, 6.0), row("ovs", 2, 3, 1.0)]
        self.assertEqual(sbs.round_ratios(rows, 1, "egw", "ovs"), [2.0])
        self.assertEqual(sbs.round_ratios(rows, 2, "egw", "ovs"), [6.0])


class ProcReaders(unittest.TestCase):
    def test_task_stat_with_awkward_comm(self):
        comm, ticks, cpu = sbs.parse_task_stat(stat_line(7, "pmd-c01/id:8) x", 120, 30, 1))
        self.assertEqual((comm, ticks, cpu), ("pmd-c01/id:8) x", 150, 1))

    def test_thread_window(self):
        before = {1: ("main", 100, 0), 2: ("rte-worker-1", 1000, 1), 3: ("gone", 5, 0)}
        after = {1: ("main", 102, 0), 2: ("rte-worker-1", 1950, 1), 4: ("new", 9, 0)}
        w = {t["tid"]: t for t in sbs.thread_window(before, after, 10.0, hz=100)}
        self.assertEqual(sorted(w), [1, 2])
        self.assertAlmostEqual(w[2]["cpu_seconds"], 9.5)
        self.assertAlmostEqual(w[2]["share"], 0.95)
        self.assertAlmostEqual(w[1]["share"], 0.002)

    def test_proc_stat_busy_and_steal(self):
        a = sbs.parse_proc_stat("cpu  1 2 3 4\ncpu0 100 0 50 800 10 5 5 30 0 0\n")
        b = sbs.parse_proc_stat("cpu  1 2 3 4\ncpu0 200 10 100 850 10 15 15 130 0 0\n")
        self.assertEqual(list(a), ["cpu0"])
        w = sbs.cpu_window(a, b)["cpu0"]
        # busy: user 100 + nice 10 + system 50 + irq 10 + softirq 10 = 180; idle 50; steal 100
        self.assertAlmostEqual(w["busy"], 180 / 330)
        self.assertAlmostEqual(w["steal"], 100 / 330)

    def test_smaps_hugetlb_and_thp(self):
        p = sbs.parse_smaps(SMAPS_2M)
        self.assertEqual(p["label"], "2M")
        self.assertEqual(p["hugetlb_mib"], {"2M": 512.0})
        self.assertEqual((p["anon_mib"], p["thp_mib"]), (3.0, 2.0))

    def test_smaps_1g_wins_over_2m(self):
        text = SMAPS_2M + SMAPS_2M.replace("2048 kB", "1048576 kB", 1).replace(
            "524288", "1048576")
        self.assertEqual(sbs.parse_smaps(text)["label"], "1G")

    def test_smaps_without_huge_pages(self):
        text = SMAPS_2M.replace("524288 kB", "0 kB").replace("2048 kB\nRss", "4 kB\nRss")
        self.assertEqual(sbs.parse_smaps(text)["label"], "4K+THP")
        text = text.replace("AnonHugePages:      2048", "AnonHugePages:         0")
        p = sbs.parse_smaps(text)
        self.assertEqual((p["label"], p["hugetlb_mib"], p["thp_mib"]), ("4K", {}, 0.0))


    def test_pages_of_several_processes_merged(self):
        p = sbs.read_pages([os.getpid(), os.getpid()])
        self.assertEqual(p["label"], "4K")  # python: no hugetlb mapping
        self.assertGreater(p["anon_mib"], 0)
        # counted twice (the heap moves a little between the reads)
        self.assertGreater(p["anon_mib"], 1.5 * sbs.read_pages([os.getpid()])["anon_mib"])

    def test_egressgw_own_cycles_from_busy_cycles(self):
        workers = [{"busy_cycles": 1000, "busy_poll_share": 1.0},
                   {"busy_cycles": 3000, "busy_poll_share": 0.5}]
        own = sbs.egressgw_own(workers, 40)
        self.assertEqual(own["cycles_per_packet"], 100.0)  # all workers' cycles / packets sent
        self.assertEqual(own["busy_poll_share"], 0.75)
        # A daemon without the counter, or a window without packets: no figure, not zero.
        self.assertIsNone(sbs.egressgw_own([{"busy_poll_share": 1.0}], 40)["cycles_per_packet"])
        self.assertIsNone(sbs.egressgw_own(workers, 0)["cycles_per_packet"])

    def test_counters_of_several_daemons_summed(self):
        a = {"packets_out": 5, "drops": {"handoff_full": 1}, "mode": "x"}
        b = {"packets_out": 7, "drops": {"handoff_full": 2, "ttl": 1}}
        self.assertEqual(sbs.add_counters(sbs.add_counters({}, a), b),
                         {"packets_out": 12, "drops": {"handoff_full": 3, "ttl": 1}})


class EngineOutput(unittest.TestCase):
    def test_testpmd(self):
        p = sbs.parse_testpmd(TESTPMD)
        self.assertEqual(p["tx_pps"], 25209263)
        self.assertEqual(p["cycles_per_packet"], 99.29)
        self.assertEqual((p["packets"], p["mhz"]), (50354624, 2600))

    def test_testpmd_before_the_answer(self):
        p = sbs.parse_testpmd("testpmd> show port stats all\n")
        self.assertIsNone(p["tx_pps"])
        self.assertIsNone(p["cycles_per_packet"])

    def test_pmd_stats_leaves_out_the_main_thread(self):
        p = sbs.parse_pmd_stats(PMD_STATS)
        self.assertEqual(p["packets"], 10959776)
        self.assertEqual(p["idle_cycles"], 1000)
        self.assertEqual((p["emc_hits"], p["megaflow_hits"]), (10000000, 959776))
        self.assertAlmostEqual(p["processing_cycles_per_packet"], 5255748888 / 10959776)
        self.assertAlmostEqual(p["cycles_per_packet"], 5255749888 / 10959776)
        self.assertIsNone(sbs.parse_pmd_stats("ovs-appctl: cannot connect\n"))

    def test_pmd_stats_sums_pmd_threads(self):
        two = PMD_STATS.replace("main thread:", PMD_STATS.split("main thread:")[0] + "main thread:")
        self.assertEqual(sbs.parse_pmd_stats(two)["packets"], 2 * 10959776)


class Summary(unittest.TestCase):
    def rows(self):
        out = []
        rates = [(30.0, 10.0, 2.0), (33.0, 9.0, 1.0), (29.0, 11.0, 2.0)]
        for rnd, (t, g, o) in enumerate(rates, 1):
            out.append(row("testpmd", 1024, rnd, t, own={"cycles_per_packet": 80.0},
                           cpu_ns_per_packet=30.0, pages={"label": "2M"},
                           loadavg=[1.0 + rnd, 0, 0]))
            out.append(row("egressgw", 1024, rnd, g, cpu_ns_per_packet=100.0,
                           own={"busy_poll_share": 1.0, "cycles_per_packet": 20.0 * rnd},
                           pages={"label": "2M"}))
            out.append(row("ovs", 1024, rnd, o, own={"cycles_per_packet": 900.0,
                                                     "processing_cycles_per_packet": 850.0},
                           pages={"label": "4K" if rnd == 2 else "2M"}))
        return out

    def test_medians_ratios_pages(self):
        s = sbs.summarize(self.rows(), [("egressgw", "ovs"), ("egressgw", "testpmd")])
        self.assertEqual(len(s), 1)
        e = s[0]["engines"]
        self.assertEqual(list(e), ["testpmd", "egressgw", "ovs"])
        self.assertEqual(e["egressgw"]["mpps"]["median"], 10.0)
        self.assertEqual(e["ovs"]["pages"], ["2M", "4K"])
        self.assertEqual(e["ovs"]["own_processing_cycles_per_packet"]["median"], 850.0)
        r = s[0]["ratios"]["egressgw/ovs"]
        self.assertEqual(r["values"], [5.0, 9.0, 5.5])
        self.assertEqual((r["median"], r["min"], r["max"]), (5.5, 5.0, 9.0))
        self.assertIsNone(r["by_cpu_time"])  # OVS rows here carry no CPU time
        self.assertEqual(s[0]["ratios"]["egressgw/testpmd"]["by_cpu_time"]["median"], 0.3)
        # by own cycles, per round: OVS 900 over egressgw's 20, 40, 60
        self.assertEqual(r["by_own_cycles"]["values"], [45.0, 22.5, 15.0])
        self.assertEqual(r["by_own_cycles"]["median"], 22.5)
        self.assertEqual(e["testpmd"]["loadavg_1m"]["median"], 3.0)
        self.assertIsNone(e["ovs"]["loadavg_1m"])
        text = sbs.render(s, {"load": "1"})
        self.assertIn("egressgw/ovs", text)
        self.assertIn("22.50x [15.00-45.00]", text)

    def test_failed_runs_are_counted_not_averaged(self):
        rows = self.rows() + [row("ovs", 1024, 4, None)]
        e = sbs.summarize(rows, [])[0]["engines"]["ovs"]
        self.assertEqual((e["mpps"]["n"], e["failed_runs"]), (3, 1))

    def test_projection_is_arithmetic_on_the_medians(self):
        rows = [row("egressgw-1w", 16384, 1, 20.0, workers=[{}], cpu_ns_per_packet=50.0,
                    handoff_share=0.0, drop_share=0.0),
                row("egressgw-2w", 16384, 1, 30.0, workers=[{}, {}], cpu_ns_per_packet=62.5,
                    handoff_share=0.5, drop_share=0.0)]
        s = sbs.summarize(rows, [("egressgw-2w", "egressgw-1w")], scaling=True)[0]
        p = {x["engine"]: x for x in s["projection"]}
        self.assertAlmostEqual(p["egressgw-1w"]["cores_for_100g_64b"], 148.8 / 20.0)
        self.assertAlmostEqual(p["egressgw-2w"]["mpps_per_worker"], 15.0)
        self.assertAlmostEqual(p["egressgw-2w"]["cores_for_100g_64b_by_cpu_time"], 148.8 * 0.0625)
        self.assertEqual(s["ratios"]["egressgw-2w/egressgw-1w"]["median"], 1.5)
        self.assertIn("not measured", sbs.render([s], {}))

    def test_summary_command_json_and_exit_status(self):
        with tempfile.TemporaryDirectory() as d:
            jl, out = os.path.join(d, "r.jsonl"), os.path.join(d, "r.json")
            with open(jl, "w") as f:
                for r in self.rows():
                    f.write(json.dumps(r) + "\n")
            args = ["summary", jl, "--json", out, "--ratio", "egressgw/ovs", "--meta", "a=b",
                    "--expect", "9"]
            with open(os.devnull, "w") as null:
                stdout, sys.stdout = sys.stdout, null
                try:
                    self.assertEqual(sbs.main(args), 0)
                    with open(out) as f:
                        doc = json.load(f)
                    self.assertEqual(doc["meta"], {"a": "b"})
                    self.assertEqual(len(doc["runs"]), 9)
                    with open(jl, "a") as f:
                        f.write(json.dumps(row("ovs", 1024, 4, None)) + "\n")
                    stderr, sys.stderr = sys.stderr, null
                    try:
                        self.assertEqual(sbs.main(args), 0)  # nine runs with a rate
                        self.assertEqual(sbs.main(args[:-1] + ["10"]), 1)  # a run missing
                    finally:
                        sys.stderr = stderr
                finally:
                    sys.stdout = stdout


if __name__ == "__main__":
    unittest.main()
