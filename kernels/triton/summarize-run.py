#!/usr/bin/env python3
"""Tables of an h100-run.sh output folder, read from its result stores (stdlib only)."""
import glob
import json
import os
import sqlite3
import statistics
import sys


def rows(db, sql, *args):
    with sqlite3.connect(db) as c:
        return c.execute(sql, args).fetchall()


def summary(db):
    name = os.path.basename(db)[:-7]
    trials = rows(db, "SELECT config_key, status, objective_ms, compile_ms, extra FROM trials ORDER BY seq")
    if not trials:
        return
    elapsed = rows(db, "SELECT elapsed_ms, toolchain FROM sessions")[0]
    statuses = {}
    for t in trials:
        statuses[t[1]] = statuses.get(t[1], 0) + 1
    compiles = [t[3] for t in trials if t[3] is not None]
    extras = [json.loads(t[4] or "{}") for t in trials]
    ahead = sum(1 for e in extras if e.get("compiled_ahead"))
    waits = [e["ahead_wait_ms"] for e in extras if "ahead_wait_ms" in e]
    verified = sum(1 for e in extras if e.get("verified") is True)
    print(f"{name}: {len(trials)} trials {statuses}, session {elapsed[0] / 1000:.1f} s; "
          f"main-process compile_ms median {statistics.median(compiles):.1f}, mean {statistics.mean(compiles):.1f}, "
          f"sum {sum(compiles) / 1000:.1f} s; compiled ahead {ahead}"
          + (f", waited for them {sum(waits) / 1000:.1f} s" if waits else "") + f"; verified ok {verified}")
    if name.startswith("prepare"):
        print("  seq compile_ms ahead(ms, waited ms) config")
        for i, (t, e) in enumerate(zip(trials, extras), 1):
            how = (f"ahead {e['ahead_compile_ms']:.0f} ms, waited {e['ahead_wait_ms']:.0f}" if "ahead_wait_ms" in e
                   else "starting" if e.get("ahead_pool_starting") else "-")
            if e.get("ahead_error"):
                how += " error " + e["ahead_error"][:60]
            print(f"  {i:3d} {t[3] if t[3] is not None else float('nan'):8.1f}  {how}  {t[1]}")
    re = rows(db, "SELECT round, position, config_key, objective_ms FROM remeasurements ORDER BY id")
    if re:
        print("  re-measurement order (round.position config ms):")
        for r in re:
            print(f"    {r[0]}.{r[1]} {r[2]} {r[3]:.5f}" if r[3] is not None else f"    {r[0]}.{r[1]} {r[2]} failed")
    return {t[0]: t[2] for t in trials}


def main():
    folder = sys.argv[1]
    print(open(os.path.join(folder, "host.txt")).read().strip())
    by_run = {}
    for db in sorted(glob.glob(os.path.join(folder, "*.sqlite"))):
        by_run[os.path.basename(db)[:-7]] = summary(db)
    modes = [m for m in ("graph-flush", "graph-hot", "graph-hot-graph") if by_run.get(m)]
    if modes:
        print("rmsnorm 16x4096, ms per launch: " + " | ".join(modes))
        for key in by_run[modes[0]]:
            print(f"  {key}: " + " | ".join(f"{by_run[m].get(key) or float('nan'):.5f}" for m in modes))


if __name__ == "__main__":
    main()
