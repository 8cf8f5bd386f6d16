#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Compares the drop counters of two /egw/stats replies with what inject_malformed.py sent.

  drop_delta.py BEFORE.json AFTER.json INJECTED.json [--quiet]

Prints a table (reason, expected rise, actual rise) of every reason that was expected to rise or
did rise, and exits 0 only if each expected reason rose by exactly its count and drops_total by at
least their sum. Reasons that rose without being expected are shown (ARP and similar background
traffic may legitimately count) but do not fail the check.
"""
import json
import sys


def stats(path):
    with open(path) as f:
        return json.load(f)["/egw/stats"]


def main():
    quiet = "--quiet" in sys.argv
    args = [a for a in sys.argv[1:] if a != "--quiet"]
    before, after = stats(args[0]), stats(args[1])
    with open(args[2]) as f:
        expected = json.load(f)["expected"]
    ok = True
    rows = []
    for reason in sorted(set(expected) | set(after.get("drops", {}))):
        want = expected.get(reason)
        if reason not in after.get("drops", {}) or reason not in before.get("drops", {}):
            rows.append((reason, want, "missing", "MISSING"))
            ok = False
            continue
        got = after["drops"][reason] - before["drops"][reason]
        if want is None:
            if got:
                rows.append((reason, "-", got, "(background)"))
            continue
        good = got == want
        ok &= good
        rows.append((reason, want, got, "ok" if good else "MISMATCH"))
    total_want = sum(expected.values())
    total_got = after.get("drops_total", 0) - before.get("drops_total", 0)
    total_ok = total_got >= total_want
    ok &= total_ok
    if not quiet:
        print("%-24s %8s %8s" % ("drop reason", "expected", "actual"))
        for r in rows:
            print("%-24s %8s %8s  %s" % r)
        print("%-24s %8s %8s  %s" % ("drops_total", ">=%d" % total_want, total_got,
                                      "ok" if total_ok else "MISMATCH"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
