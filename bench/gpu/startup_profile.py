#!/usr/bin/env python3
"""Where the seconds go from process start to the first stored measurements of the Triton
worker (issue 16 item 6), on the GPU host: runs refresh_h200.py's sessions (refresh from the
H100 recording, or cold bayes) with DEJAVU_WORKER_TRACE set and an empty Triton cache, and
merges into one timeline (seconds since dejavu-tune was started): the worker's and its compile
processes' trace events (kernels/triton/worker_trace.py), dejavu-tune's stderr lines, the
stored trials as the database shows them, and the files Triton wrote into its cache (by mtime:
the driver utilities, launchers and kernels it built).

usage (repository root on the GPU host, Qt runtime installed):
  bench/gpu/startup_profile.py --tune .devpack/bin/dejavu-tune --judge .devpack/h200_matmul.json.gz \
      --mode refresh --runs 2 --out OUT [--worker kernels/triton/dejavu_triton_worker.py] [--label after]
Prints, per run, the milestones and (cold) the per-evaluation split; writes each timeline to OUT.
"""
import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from refresh_h200 import H100, judge  # noqa: E402

MAIN_MILESTONES = ["worker: started", "worker: torch imported", "worker: triton imported", "worker: hello sent",
                   "load: received", "load: problem and reference built", "load: flush buffer and NVML ready",
                   "load: deployment values ready", "load: answered", "prepare: received", "prepare: answered",
                   "evaluate: received", "evaluate: ahead", "evaluate: first launch done", "evaluate: verified",
                   "evaluate: timed", "evaluate: answered"]


def device(worker, prepare):
    return (f"worker:kernel=matmul 'problem={{\"M\":4096,\"N\":4096,\"K\":4096}}' prepare={prepare} timeout=120 "
            f"python3 {worker}")


def read_trials(db):
    try:
        with sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=1) as c:
            return c.execute("SELECT seq, config_key FROM trials ORDER BY seq").fetchall()
    except sqlite3.Error:
        return []


def one(cmd, db, trace, keys, good, limit, stop_after_good, extra_env):
    cache = tempfile.mkdtemp(prefix="tc-")
    env = dict(os.environ, TRITON_CACHE_DIR=cache, DEJAVU_WORKER_TRACE=trace, **extra_env)
    lines = []
    t0 = time.time()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)

    def pump():
        for line in p.stderr:
            lines.append((time.time() - t0, line.rstrip()))
    th = threading.Thread(target=pump, daemon=True)
    th.start()
    seen = {}
    first_good = None
    gpu_apps = None
    try:
        while time.time() - t0 < limit:
            rows = read_trials(db) if os.path.exists(db) else []
            now = time.time() - t0
            for seq, key in rows:
                if seq not in seen:
                    seen[seq] = (now, key)
                    cfg = json.loads(key)
                    if first_good is None and tuple(cfg.get(k) for k in keys) in good:
                        first_good = (now, seq)
            if first_good is not None and stop_after_good:
                break
            if seen and gpu_apps is None:
                # Who holds a CUDA context once the first trial is in (the worker; compile
                # processes that should not).
                q = subprocess.run(["nvidia-smi", "--query-compute-apps=pid,used_memory", "--format=csv,noheader"],
                                   capture_output=True, text=True)
                gpu_apps = [l.strip() for l in q.stdout.splitlines() if l.strip()]
            if p.poll() is not None:
                break
            time.sleep(0.02)
    finally:
        p.kill()
        p.wait()
        th.join(timeout=2)
    files = []
    for root, _, names in os.walk(cache):
        for n in names:
            path = os.path.join(root, n)
            files.append((os.path.getmtime(path) - t0, os.path.relpath(path, cache)))
    events = []
    if os.path.exists(trace):
        with open(trace) as f:
            for raw in f:
                parts = raw.rstrip("\n").split(" ", 2)
                if len(parts) == 3:
                    events.append((float(parts[0]) - t0, int(parts[1]), parts[2]))
    return {"trials": seen, "first_good": first_good, "gpu_apps": gpu_apps, "stderr": lines, "files": sorted(files), "events": sorted(events)}


def milestones(r):
    ev = r["events"]
    main = next((pid for _, pid, e in ev if e == "worker: started"), None)
    out = {}
    for t, pid, e in ev:
        if pid != main:
            continue
        for m in MAIN_MILESTONES:
            if e.startswith(m) and m not in out:
                out[m] = t
    children = sorted({pid for _, pid, e in ev if e.startswith("compile process")})
    ready = [t for t, pid, e in ev if e == "compile process: ready"]
    inits = [t for t, pid, e in ev if e == "compile process: init"]
    compiled = [t for t, pid, e in ev if e.startswith("compile process: compiled")]
    if inits:
        out["compile processes: first init"] = min(inits)
    if ready:
        out["compile processes: first ready"] = min(ready)
        out["compile processes: last ready"] = max(ready)
    if compiled:
        out["compile processes: first compiled"] = min(compiled)
    if r["trials"]:
        out["database: first trial seen"] = min(t for t, _ in r["trials"].values())
    if r["first_good"]:
        out["database: first within 2 % seen"] = r["first_good"][0]
    for t, f in r["files"]:
        for tag in ("cuda_utils", "__triton_launcher"):
            if tag in f and f.endswith(".so") and f"cache: {tag}" not in out:
                out[f"cache: {tag}.so written"] = t
    cubins = [t for t, f in r["files"] if f.endswith(".cubin")]
    if cubins:
        out["cache: first cubin written"] = min(cubins)
    return out, len(children), main


def per_evaluation(r, main):
    """(durations of each evaluate in the main process, gaps between an answer and the next request)"""
    rec, ans, aheads = [], [], []
    for t, pid, e in r["events"]:
        if pid != main:
            continue
        if e == "evaluate: received":
            rec.append(t)
        elif e.startswith("evaluate: answered"):
            ans.append(t)
        elif e.startswith("evaluate: ahead"):
            aheads.append(e[len("evaluate: ahead "):])
    durations = [a - b for a, b in zip(ans, rec)]
    gaps = [b - a for a, b in zip(ans, rec[1:])]
    return durations, gaps, aheads


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--tune", required=True)
    a.add_argument("--judge", required=True)
    a.add_argument("--worker", default="kernels/triton/dejavu_triton_worker.py")
    a.add_argument("--mode", choices=["refresh", "cold"], default="refresh")
    a.add_argument("--runs", type=int, default=2)
    a.add_argument("--first-seed", type=int, default=1)
    a.add_argument("--prepare", type=int, default=16)
    a.add_argument("--limit", type=float, default=60)
    a.add_argument("--label", default="run")
    a.add_argument("--env", action="append", default=[], help="KEY=VALUE for the session's environment")
    a.add_argument("--out", required=True)
    args = a.parse_args()
    os.makedirs(args.out, exist_ok=True)
    keys, good, _ = judge(args.judge)
    extra_env = dict(kv.split("=", 1) for kv in args.env)
    summary = []
    for run in range(args.runs):
        seed = args.first_seed + run
        tag = f"{args.label}-{args.mode}-{seed}"
        db = os.path.join(tempfile.mkdtemp(prefix="db-"), "s.sqlite")
        trace = os.path.join(tempfile.mkdtemp(prefix="trace-"), "trace.txt")
        dev = device(args.worker, args.prepare)
        if args.mode == "refresh":
            cmd = [args.tune, "refresh", "--dataset", H100, "--device", dev, "--db", db, "--budget", "100"]
        else:
            cmd = [args.tune, "tune", "--device", dev, "--strategy", "bayes", "--seed", str(seed), "--budget", "100",
                   "--remeasure", "0", "--db", db]
        r = one(cmd, db, trace, keys, good, args.limit, True, extra_env)
        ms, nchildren, main_pid = milestones(r)
        durations, gaps, aheads = per_evaluation(r, main_pid)
        print(f"== {tag}: first within 2 % at {r['first_good'][0] if r['first_good'] else float('inf'):.2f} s "
              f"(evaluation {r['first_good'][1] if r['first_good'] else '-'}), {len(r['trials'])} trials stored, "
              f"{nchildren} compile processes; CUDA contexts after the first trial: {r['gpu_apps']}", flush=True)
        prev = 0.0
        for name, t in sorted(ms.items(), key=lambda kv: kv[1]):
            print(f"  {t:7.2f}  (+{t - prev:5.2f})  {name}")
            prev = t
        if durations:
            print(f"  evaluations: {len(durations)}, worker time per evaluation median {statistics.median(durations):.3f} s "
                  f"(first {durations[0]:.2f}, sum {sum(durations):.1f}); engine gap median "
                  f"{statistics.median(gaps) if gaps else 0:.3f} s (sum {sum(gaps):.1f}, max {max(gaps) if gaps else 0:.2f})")
            big = sorted(((g, i + 1) for i, g in enumerate(gaps)), reverse=True)[:4]
            print("  largest engine gaps (s, after evaluation):", ", ".join(f"{g:.2f}@{i}" for g, i in big))
            slow = sorted(((d, i) for i, d in enumerate(durations)), reverse=True)[:4]
            print("  slowest evaluations:", "; ".join(f"#{i + 1} {d:.2f} s {aheads[i] if i < len(aheads) else ''}"
                                                      for d, i in slow))
        with open(os.path.join(args.out, tag + ".txt"), "w") as f:
            merged = [(t, f"worker {pid}", e) for t, pid, e in r["events"]]
            merged += [(t, "tune", line) for t, line in r["stderr"]]
            merged += [(t, "db", f"trial {seq} {key}") for seq, (t, key) in r["trials"].items()]
            merged += [(t, "cache", name) for t, name in r["files"]]
            for t, who, e in sorted(merged):
                f.write(f"{t:8.3f} {who:>14} {e}\n")
        summary.append({"tag": tag, "first_good": r["first_good"], "milestones": ms, "evaluations": len(durations),
                        "eval_median": statistics.median(durations) if durations else None,
                        "gap_median": statistics.median(gaps) if gaps else None})
    with open(os.path.join(args.out, f"{args.label}-{args.mode}.json"), "w") as f:
        json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main()
