#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Compares the drop counters of two /egw/stats replies with what inject_malformed.py sent.

  drop_delta.py BEFORE.json AFTER.json INJECTED.json [INJECTED.json...] [--quiet]

Prints a table (outcome, expected rise, actual rise) of every drop reason that was expected to
rise or did rise, and of the forwarded packets per direction ("forwarded:outbound" is
/egw/stats outbound_packets, "forwarded:inbound" inbound_packets, both checked when any
injection expected them). Exits 0 only if each expected outcome rose by exactly its count and
drops_total by at least the sum of the drops. Reasons that rose without being expected are shown
(ARP and similar background traffic may legitimately count) but do not fail the check.
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
    expected = {}
    for path in args[2:]:
        with open(path) as f:
            for outcome, n in json.load(f)["expected"].items():
                expected[outcome] = expected.get(outcome, 0) + n
    forwarded = {k: expected.pop(k) for k in list(expected) if k.startswith("forwarded:")}
    if forwarded:
        forwarded.setdefault("forwarded:outbound", 0)
        forwarded.setdefault("forwarded:inbound", 0)
    ok = True
    rows = []
    for outcome in sorted(forwarded):
        key = outcome.split(":")[1] + "_packets"
        got = after.get(key, 0) - before.get(key, 0)
        good = got == forwarded[outcome]
        ok &= good
        rows.append((outcome, forwarded[outcome], got, "ok" if good else "MISMATCH"))
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
