#!/usr/bin/env python3
"""Relay overhead of the Ray slot (kernels/ray/dejavu_ray_slot.py, docs/ray.md): per-trial
latency of the test worker run directly against the same worker run through a Ray slot, on a
one-node Ray cluster this script starts on this host (fake GPUs) and stops.

    scripts/python-env.sh && cmake --build build --target dejavu-test-worker
    bench/bench_ray_slot.py [--trials 200] [--worker build/kernels/test-worker/dejavu-test-worker]

A trial is one `evaluate` request written to the worker's stdin up to its `measurement` line
read back (the test worker answers at once: --delay-ms 0), so the figure is the protocol's round
trip, what a slot adds to every trial. Also the start: process start to the `hello` line.
Prints a Markdown table for docs/benchmarks.md.
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_PYTHON = os.path.join(ROOT, ".venv", "bin", "python")
os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
os.environ.pop("RAY_ADDRESS", None)
try:
    import ray  # noqa: F401
except ImportError:
    if os.path.exists(VENV_PYTHON) and not os.environ.get("DEJAVU_RAY_BENCH_REEXEC"):
        os.environ["DEJAVU_RAY_BENCH_REEXEC"] = "1"
        os.execv(VENV_PYTHON, [VENV_PYTHON] + sys.argv)
    sys.exit("bench_ray_slot.py: Ray is not installed; run scripts/python-env.sh")

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import shlex  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

SLOT = os.path.join(ROOT, "kernels", "ray", "dejavu_ray_slot.py")
RAY = os.path.join(os.path.dirname(sys.executable), "ray")
OPTIONS = {"warmup": 1, "repetitions": 3, "min_time_ms": 0, "max_repetitions": 3, "flush_l2": True,
           "timeout_ms": 5000}
CONFIGS = [{"BLOCK": b, "UNROLL": u, "VEC": v} for b in (32, 64, 128) for u in (1, 2, 4) for v in (1, 2)]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """`ray start --head --block` with fake GPUs in a temporary directory; stop() ends its group."""

    def __init__(self, gpus):
        self.m_dir = tempfile.mkdtemp(prefix="dvray-bench-")
        self.address = "127.0.0.1:%d" % free_port()
        self.m_log = open(os.path.join(self.m_dir, "start.log"), "w+")
        self.m_proc = subprocess.Popen(
            [RAY, "start", "--head", "--block", "--node-ip-address", "127.0.0.1", "--port",
             self.address.split(":")[1], "--num-gpus", str(gpus), "--num-cpus", "2",
             "--object-store-memory", str(80 << 20), "--include-dashboard=false", "--disable-usage-stats",
             "--temp-dir", os.path.join(self.m_dir, "t")],
            stdin=subprocess.DEVNULL, stdout=self.m_log, stderr=subprocess.STDOUT, start_new_session=True)
        end = time.monotonic() + 60
        while time.monotonic() < end:
            self.m_log.seek(0)
            if "Ray runtime started" in self.m_log.read():
                return
            if self.m_proc.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        sys.exit("bench_ray_slot.py: the Ray cluster did not start")

    def stop(self):
        self.m_proc.terminate()
        try:
            self.m_proc.wait(20)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.m_proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.m_proc.wait()
        self.m_log.close()
        shutil.rmtree(self.m_dir, ignore_errors=True)


def session(command, trials):
    """(seconds to hello, [seconds per trial]) of one worker process given `command`."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        def ask(message):
            proc.stdin.write((json.dumps(message) + "\n").encode())
            proc.stdin.flush()
            return json.loads(proc.stdout.readline())

        if json.loads(proc.stdout.readline())["type"] != "hello":
            raise RuntimeError("no hello from %s" % command)
        hello = time.perf_counter() - started
        ask({"type": "load", "id": 1, "problem": {}})
        times = []
        for i in range(trials):
            request = {"type": "evaluate", "id": 2 + i, "config": CONFIGS[i % len(CONFIGS)], "options": OPTIONS}
            t = time.perf_counter()
            answer = ask(request)
            times.append(time.perf_counter() - t)
            if answer.get("status") != "ok":
                raise RuntimeError("trial %d: %s" % (i, answer))
        ask({"type": "shutdown", "id": 2 + trials})
        proc.stdin.close()
        proc.wait(30)
        return hello, times
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def tune_slots(tune, command, slots, budget=56):
    """Evaluations per second of a `tune --slots K` random session, from its own elapsed time."""
    with tempfile.TemporaryDirectory() as d:
        run = subprocess.run([tune, "tune", "--quiet", "--db", os.path.join(d, "s.db"), "--strategy", "random",
                              "--budget", str(budget), "--remeasure", "0", "--slots", str(slots),
                              "--device", "worker:timeout=60 " + shlex.join(command)], capture_output=True, text=True)
        if run.returncode != 0:
            raise RuntimeError(run.stderr)
        import re
        m = re.search(r"in ([0-9.]+) (ms|s|min) on", run.stderr)
        seconds = float(m.group(1)) * {"ms": 1e-3, "s": 1.0, "min": 60.0}[m.group(2)]
        return budget / seconds


def scaling(args):
    worker = [os.path.abspath(args.worker), "--delay-ms", str(args.delay_ms)]
    cluster = Cluster(gpus=8)
    rows = []
    try:
        ray_slot = [sys.executable, SLOT, "--address", cluster.address, "--"]
        tune_slots(args.tune, ray_slot + worker, 1, 8)  # warm Ray's worker pool
        for k in (1, 2, 4, 8):
            rows.append((k, tune_slots(args.tune, worker, k), tune_slots(args.tune, ray_slot + worker, k)))
    finally:
        cluster.stop()
    ideal = 1000.0 / args.delay_ms
    print("%s, %d cores, Ray %s; test worker sleeping %d ms per evaluation, 56 evaluations per session, "
          "evaluations/s from the session's elapsed time (slot start included)\n"
          % (datetime.date.today().isoformat(), os.cpu_count(), ray.__version__, args.delay_ms))
    print("| slots K | local | efficiency | Ray slots (K actors) | efficiency | Ray overhead per evaluation |")
    print("|---|---|---|---|---|---|")
    for k, local, relayed in rows:
        print("| %d | %.2f /s | %.2f | %.2f /s | %.2f | %.0f ms |" % (k, local, local / (k * ideal), relayed,
                                                              relayed / (k * ideal), 1000 * k * (1 / relayed - 1 / local)))
    return 0


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--sessions", type=int, default=3, help="sessions per way, their trials pooled")
    parser.add_argument("--worker", default=os.path.join(ROOT, "build", "kernels", "test-worker", "dejavu-test-worker"))
    parser.add_argument("--tune", default=os.path.join(ROOT, "build", "app", "cli", "dejavu-tune"),
                        help="also time a whole grid session (57 trials) through the engine")
    parser.add_argument("--scaling", action="store_true",
                        help="instead: `tune --slots K` (K = 1, 2, 4, 8) over the test worker sleeping --delay-ms, "
                             "local slots against Ray slots (K actors) on a cluster with 8 fake GPUs")
    parser.add_argument("--delay-ms", type=int, default=200)
    args = parser.parse_args()
    if args.scaling:
        return scaling(args)
    worker = [os.path.abspath(args.worker), "--delay-ms", "0"]
    cluster = Cluster(gpus=2)
    try:
        ways = {"direct": worker,
                "Ray slot": [sys.executable, SLOT, "--address", cluster.address, "--", *worker]}
        results = {}
        for name, command in ways.items():
            session(command, 10)  # warm: page cache, Ray's worker pool
            hellos, times = [], []
            for _ in range(args.sessions):
                hello, t = session(command, args.trials)
                hellos.append(hello)
                times += t
            results[name] = (hellos, times)
        sessions = {name: tune_session(args.tune, command) for name, command in ways.items()}
    finally:
        cluster.stop()
    print("%s, %d cores (%s), Python %s, Ray %s; %d sessions x %d trials per way\n"
          % (datetime.date.today().isoformat(), os.cpu_count(), platform.processor() or platform.machine(),
             platform.python_version(), ray.__version__, args.sessions, args.trials))
    print("| way | trial median | trial p90 | trial max | start to hello (median) |")
    print("|---|---|---|---|---|")
    for name, (hellos, times) in results.items():
        print("| %s | %.3f ms | %.3f ms | %.3f ms | %.0f ms |"
              % (name, 1e3 * statistics.median(times), 1e3 * percentile(times, 0.9), 1e3 * max(times),
                 1e3 * statistics.median(hellos)))
    direct, relayed = results["direct"][1], results["Ray slot"][1]
    print("\nadded per trial by the slot: median %.3f ms, p90 %.3f ms"
          % (1e3 * (statistics.median(relayed) - statistics.median(direct)),
             1e3 * (percentile(relayed, 0.9) - percentile(direct, 0.9))))

    print("\n| way | `dejavu-tune tune --strategy grid --remeasure 0` (57 trials), wall |")
    print("|---|---|")
    for name, seconds in sessions.items():
        print("| %s | %.2f s |" % (name, seconds))


def tune_session(tune, command):
    """Wall seconds of a whole grid session through the engine, its store in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="dvray-bench-") as tmp:
        started = time.perf_counter()
        subprocess.run([tune, "tune", "--quiet", "--device", "worker:" + shlex.join(command), "--db",
                        os.path.join(tmp, "bench.sqlite"), "--strategy", "grid", "--remeasure", "0"],
                       stdout=subprocess.DEVNULL, check=True, timeout=300)
        return time.perf_counter() - started


if __name__ == "__main__":
    main()
