#!/usr/bin/env python3
"""Chaos soak: tuning sessions over the fault-injecting test worker while the engine and the worker
are killed at random moments; then the store must hold every trial the engine reported, none twice.

    bench/chaos_soak.py --tune build/app/cli/dejavu-tune --worker build/kernels/test-worker/dejavu-test-worker
                        [--kills 200] [--seed 1] [--work DIR] [--quick] [--markdown]

Each run is `dejavu-tune tune --print-trials` (a JSON line on stdout for each trial once it is
committed) against one store; sessions differ in problem size, strategy, budget, worker delay and
injected faults (segv, abort, exit, hang, garbage, wrong, ...). A run is killed at a random moment
with SIGKILL, SIGTERM or SIGINT to the engine, or SIGKILL to the worker (the engine restarts it and
goes on), and the session is resumed with `--resume` (the device given again) until it completes.
Checked after every run and at the end:
  - every trial the engine printed before it died is in the store (same sequence number,
    configuration and status): "lost" counts those that are not;
  - no configuration is stored twice in a session and the sequence numbers are 1..n: "duplicated";
  - SIGTERM and SIGINT stop the engine after the trial in flight with state "stopped" (or
    "finished" when the session had just ended), within 30 s;
  - the engine never fails (exit status 1) and every session completes on resume;
  - PRAGMA integrity_check and foreign_key_check are clean.
Workers that outlive a SIGKILLed engine (the engine could not reap them) are counted, then killed by
their pid. Exit status 0 when everything holds, 1 otherwise. Python standard library only.
"""
import argparse
import json
import os
import random
import shlex
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter

KINDS = ["engine SIGKILL", "engine SIGTERM", "engine SIGINT", "worker SIGKILL"]
FAULTS = ["segv", "abort", "exit", "garbage", "wrong", "compile-error", "runtime-error", "error-reply",
          "bad-measurement", "stale-id", "unverified"]
VALUES = {"BLOCK": [16, 32, 64, 128, 256], "UNROLL": [1, 2, 4, 8], "VEC": [1, 2, 4]}
SPACE_SIZE = 57  # BLOCK * UNROLL <= 1024


def canonical(config):
    return json.dumps({k: float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
                       for k, v in config.items()}, sort_keys=True)


def descendants(pid):
    """Process ids below `pid` (children of children ...), from /proc."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            parents.setdefault(int(stat[stat.rfind(")") + 2:].split()[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    out, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def is_worker(pid, worker):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv0 = f.read().split(b"\0")[0].decode(errors="replace")
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return os.path.basename(argv0) == os.path.basename(worker) and state != "Z"
    except OSError:
        return False


class Plan:
    """One logical session: how it is started, and its id once the store has it."""

    def __init__(self, number, rng, args):
        self.number = number
        self.problem = 1000 + number  # a new problem: nothing is answered from earlier sessions
        self.strategy = rng.choice(["random", "grid", "local", "genetic", "bayes"] if not args.quick else ["random", "grid"])
        self.budget = rng.randint(10, 16) if args.quick else rng.choice([20, 30, 40, SPACE_SIZE])
        self.seed = rng.randint(0, 10**6)
        self.remeasure = rng.choice(["0", "3"])
        words = [args.worker, "--delay-ms", str(rng.randint(2, 8) if args.quick else rng.randint(5, 40))]
        for fault in rng.sample(FAULTS, rng.randint(0, 3)):
            name = rng.choice(list(VALUES))
            words += [f"--{fault}-on", json.dumps({name: rng.choice(VALUES[name])})]
        if not args.quick and rng.random() < 0.3:
            words += ["--hang-on", json.dumps({"BLOCK": rng.choice(VALUES["BLOCK"]), "VEC": rng.choice(VALUES["VEC"])})]
        problem = "problem=" + json.dumps({"n": self.problem}, separators=(",", ":"))
        self.device = "worker:timeout=1 " + shlex.quote(problem) + " " + shlex.join(words)
        self.session = None
        self.finished = False
        self.runs = 0

    def command(self, args):
        cmd = [args.tune, "tune", "--device", self.device, "--db", args.db, "--print-trials", "--quiet"]
        if self.session is None:
            return cmd + ["--strategy", self.strategy, "--budget", str(self.budget), "--seed", str(self.seed),
                          "--remeasure", self.remeasure]
        return cmd + ["--resume", str(self.session)]


class Soak:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.kills = Counter()
        self.missed = 0            # worker kills planned while no worker was running
        self.reported = 0          # trial lines printed by engines (checked against the store)
        self.lost = 0
        self.duplicated = 0
        self.orphans = 0
        self.problems = []
        self.runs = 0
        self.plans = []
        self.exit_codes = Counter()

    def problem(self, text):
        self.problems.append(text)
        print("PROBLEM: " + text, file=sys.stderr, flush=True)

    # -- the store -------------------------------------------------------------------------------
    def query(self, sql, params=()):
        con = sqlite3.connect(f"file:{self.args.db}?mode=ro", uri=True, timeout=30)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def max_session(self):
        try:
            return self.query("SELECT COALESCE(MAX(id), 0) FROM sessions")[0][0]
        except sqlite3.OperationalError:
            return 0  # not created yet

    def stored(self, session):
        rows = self.query("SELECT seq, config, status FROM trials WHERE session_id = ? ORDER BY seq", (session,))
        return [(seq, canonical(json.loads(config)), status) for seq, config, status in rows]

    def check_session(self, plan, reported):
        trials = self.stored(plan.session)
        by_seq = {seq: (config, status) for seq, config, status in trials}
        for seq, config, status in reported:
            if by_seq.get(seq) != (config, status):
                self.lost += 1
                self.problem(f"session {plan.session}: trial {seq} {config} {status} was reported but the store has {by_seq.get(seq)}")
        configs = Counter(config for _, config, _ in trials)
        twice = sum(n - 1 for n in configs.values() if n > 1)
        if twice:
            self.duplicated += twice
            self.problem(f"session {plan.session}: {twice} configurations stored twice")
        if [seq for seq, _, _ in trials] != list(range(1, len(trials) + 1)):
            self.problem(f"session {plan.session}: sequence numbers are not 1..{len(trials)}")
        return trials

    def integrity(self):
        result = self.query("PRAGMA integrity_check")
        if result != [("ok",)]:
            self.problem(f"integrity_check: {result}")
        if self.query("PRAGMA foreign_key_check"):
            self.problem("foreign_key_check reports rows")
        return result == [("ok",)]

    # -- one run ---------------------------------------------------------------------------------
    def run(self, plan, kill):
        """Runs the plan's next command; `kill` is None or (seconds, kind). Returns the kinds delivered."""
        before = self.max_session()
        engine = subprocess.Popen(plan.command(self.args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
        lines, errors, workers = [], [], set()
        readers = [threading.Thread(target=lambda: lines.extend(engine.stdout), daemon=True),
                   threading.Thread(target=lambda: errors.extend(engine.stderr), daemon=True)]
        for t in readers:
            t.start()
        delivered = []
        start = time.monotonic()
        plan_kill = kill
        while engine.poll() is None:
            for pid in descendants(engine.pid):
                if is_worker(pid, self.args.worker):
                    workers.add(pid)
            if plan_kill and time.monotonic() - start >= plan_kill[0]:
                kind = plan_kill[1]
                plan_kill = None
                if kind.startswith("worker"):
                    alive = [p for p in descendants(engine.pid) if is_worker(p, self.args.worker)]
                    if alive:
                        os.kill(alive[0], signal.SIGKILL)
                        delivered.append(kind)
                        # A second event in the same run, now and then: the engine dies while it restarts the worker.
                        if self.rng.random() < 0.3:
                            plan_kill = (time.monotonic() - start + self.rng.uniform(0.0, 0.3),
                                         self.rng.choice(KINDS[:3]))
                    else:
                        self.missed += 1
                else:
                    sig = {"engine SIGKILL": signal.SIGKILL, "engine SIGTERM": signal.SIGTERM,
                           "engine SIGINT": signal.SIGINT}[kind]
                    engine.send_signal(sig)
                    delivered.append(kind)
                    if sig != signal.SIGKILL:
                        try:
                            engine.wait(timeout=30)
                        except subprocess.TimeoutExpired:
                            self.problem(f"session {plan.session}: the engine did not stop within 30 s of {kind}")
                            engine.kill()
            if time.monotonic() - start > 600:
                self.problem(f"run of session {plan.session} took more than 600 s; killed")
                engine.kill()
            time.sleep(0.02)
        code = engine.wait()
        for t in readers:
            t.join(timeout=10)
        self.exit_codes[code] += 1
        self.runs += 1
        plan.runs += 1
        for kind in delivered:
            self.kills[kind] += 1
        # Workers left behind by an engine that could not clean up: counted, then ended by their pid.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(is_worker(p, self.args.worker) for p in workers):
            time.sleep(0.05)
        for pid in workers:
            if is_worker(pid, self.args.worker):
                self.orphans += 1
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        stderr = b"".join(errors).decode(errors="replace")
        engine_killed = any(k.startswith("engine") for k in delivered)
        if plan.session is None:
            after = self.max_session()
            if after > before:
                plan.session = after
        reported = []
        for raw in lines:
            if not raw.endswith(b"\n"):
                continue  # cut off by the kill: not a report
            line = json.loads(raw)
            reported.append((line["i"], canonical(line["config"]), line["status"]))
        if reported and plan.session is None:
            self.problem(f"plan {plan.number}: trials were reported but no session was found in the store")
            return
        self.reported += len(reported)
        # A worker killed while the engine opens the device (hello, load) fails the start: status 2.
        worker_at_start = code == 2 and "worker SIGKILL" in delivered
        if code not in (0, 3, 130, 143) and not (engine_killed and code < 0) and not worker_at_start:
            self.problem(f"session {plan.session}: exit status {code} after {delivered or 'no kill'}: {stderr[-800:]}")
        if plan.session is None:
            return
        trials = self.check_session(plan, reported)
        state = self.query("SELECT state FROM sessions WHERE id = ?", (plan.session,))[0][0]
        wanted = min(plan.budget, SPACE_SIZE)
        if code == 0 and not engine_killed:
            if state != "finished" or len(trials) != wanted:
                self.problem(f"session {plan.session}: ended with status 0 but state '{state}' and {len(trials)} of {wanted} trials")
        if delivered and delivered[-1] in ("engine SIGTERM", "engine SIGINT") and code >= 0:
            if state not in ("stopped", "finished"):
                self.problem(f"session {plan.session}: state '{state}' after {delivered[-1]} (expected stopped)")
        plan.finished = state == "finished" and len(trials) == wanted

    # -- the soak --------------------------------------------------------------------------------
    def go(self):
        start = time.monotonic()
        open_plans = []
        while sum(self.kills.values()) < self.args.kills:
            if not open_plans or (len(open_plans) < 3 and self.rng.random() < 0.3):
                plan = Plan(len(self.plans) + 1, self.rng, self.args)
                self.plans.append(plan)
                open_plans.append(plan)
            plan = self.rng.choice(open_plans)
            # Most runs are killed; some run to the end, so that sessions also complete under faults.
            kill = None
            if self.rng.random() < 0.85:
                horizon = 0.4 if self.args.quick else 2.5
                kill = (self.rng.uniform(0.0, horizon), self.rng.choice(KINDS))
            self.run(plan, kill)
            if plan.finished:
                open_plans.remove(plan)
            if self.runs % 25 == 0:
                self.integrity()
        # Every session completes when resumed without kills.
        for plan in self.plans:
            for _ in range(3):
                if plan.finished:
                    break
                self.run(plan, None)
            if not plan.finished:
                self.problem(f"plan {plan.number} (session {plan.session}) did not complete on resume")
        ok = self.integrity()
        trials = self.query("SELECT COUNT(*) FROM trials")[0][0]
        remeasured = self.query("SELECT COUNT(*) FROM remeasurements")[0][0]
        wall = time.monotonic() - start
        figures = {
            "kills": sum(self.kills.values()), **{k: self.kills[k] for k in KINDS}, "runs": self.runs,
            "sessions": len(self.plans), "sessions completed": sum(p.finished for p in self.plans),
            "trials stored": trials, "re-measurements stored": remeasured, "trials reported and checked": self.reported,
            "lost": self.lost, "duplicated": self.duplicated, "integrity_check": "ok" if ok else "FAILED",
            "workers outliving their engine": self.orphans, "exit statuses": dict(sorted(self.exit_codes.items())),
            "problems": len(self.problems), "wall s": round(wall, 1)}
        for k, v in figures.items():
            print(f"{k}: {v}")
        if self.args.markdown:
            print("\n| " + " | ".join(figures) + " |\n|" + "---|" * len(figures))
            print("| " + " | ".join(str(v) for v in figures.values()) + " |")
        return not self.problems


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tune", required=True)
    p.add_argument("--worker", required=True)
    p.add_argument("--kills", type=int, default=200)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--work", help="directory for the store (default: a temporary one)")
    p.add_argument("--quick", action="store_true", help="small sessions, short delays, no hangs (the ctest)")
    p.add_argument("--markdown", action="store_true")
    args = p.parse_args()
    args.tune, args.worker = os.path.abspath(args.tune), os.path.abspath(args.worker)
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or tmp
        os.makedirs(work, exist_ok=True)
        args.db = os.path.join(work, "soak.sqlite")
        if os.path.exists(args.db):
            sys.exit(f"{args.db} exists; give an empty --work directory")
        ok = Soak(args).go()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
