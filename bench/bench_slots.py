#!/usr/bin/env python3
"""Engine scaling over K device slots, with no GPU (issue 15, "Measured").

Two tables, both through the real `dejavu-tune` (no simulation of the engine):

throughput  `tune --slots K --latency-ms L` on a replay device (K replays, each pausing L ms: the
            CPU stand-in for K GPUs), and `tune --slots K` over the fault-injecting test worker
            sleeping L ms per evaluation (K worker processes): evaluations per second from the
            session's own elapsed time, against K times the one-slot rate.
time-to-5%  `replay --slots K --latency-ms L` with bayes, seeds 1..S, on the shipped landscapes:
            seconds from the first stored trial line to the first whose best is within 5 % of
            the landscape's optimum (read from stdout as the engine commits each trial), median
            over seeds, K = 1 against K = 4.

usage: bench/bench_slots.py --tune build/app/cli/dejavu-tune --worker build/kernels/test-worker/dejavu-test-worker
       [--latency-ms 200] [--seeds 10] [--jobs N] [--part throughput|time|all]
"""
import argparse
import concurrent.futures
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

LANDSCAPES = [
    "replay:h100/triton_matmul_fp16_M4096_N4096_K4096",
    "replay:h100/triton_matmul_fp16_M1024_N1024_K1024",
    "replay:h100/cuda_gemm_fp32_M2048_N2048_K2048",
    "replay:h100/triton_rmsnorm_fp16_rows4096_N4096",
    "replay:kerneltuner/convolution_A100",
    "replay:kerneltuner/convolution_MI250X",
    "replay:kerneltuner/convolution_W7800",
    "replay:kerneltuner/pnpoly_RTX_3090",
]


def session_seconds(stderr):
    m = re.search(r"evaluations? \(\d+ answered from the store\) in ([0-9.]+) (ms|s|min)", stderr)
    if not m:
        raise RuntimeError("no summary in:\n" + stderr)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "ms" else value * 60 if unit == "min" else value


def throughput(tune, device, slots, latency, budget, extra=()):
    with tempfile.TemporaryDirectory() as d:
        cmd = [tune, "tune", "--db", os.path.join(d, "t.db"), "--device", device, "--slots", str(slots),
               "--budget", str(budget), "--strategy", "random", "--remeasure", "0", "--quiet", *extra]
        if latency is not None:
            cmd += ["--latency-ms", str(latency)]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"{cmd}: exit {r.returncode}\n{r.stderr}")
        return budget / session_seconds(r.stderr)


def optimum(tune, dataset):
    r = subprocess.run([tune, "replay", "--dataset", dataset, "--strategy", "grid", "--budget", "100000000"],
                       capture_output=True, text=True)
    best = min((json.loads(l)["objective"] for l in r.stdout.splitlines()
                if l.startswith("{") and json.loads(l)["status"] == "ok"), default=None)
    if best is None:
        raise RuntimeError(f"{dataset}: no ok configuration\n{r.stderr}")
    return best


def time_to_5(tune, dataset, opt, slots, latency, seed, budget):
    """Seconds from the start of the process to the first committed trial within 5 %, and evaluations."""
    p = subprocess.Popen([tune, "replay", "--dataset", dataset, "--slots", str(slots), "--latency-ms", str(latency),
                          "--strategy", "bayes", "--seed", str(seed), "--budget", str(budget)],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
    t0 = time.monotonic()
    seen = 0
    try:
        for line in p.stdout:
            if not line.startswith("{"):
                continue
            seen += 1
            t = json.loads(line)
            if t["status"] == "ok" and t["objective"] <= 1.05 * opt:
                return time.monotonic() - t0, seen
        return float("inf"), seen
    finally:
        p.kill()
        p.wait()


def main():
    a = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("--tune", required=True)
    a.add_argument("--worker", required=True)
    a.add_argument("--latency-ms", type=int, default=200)
    a.add_argument("--seeds", type=int, default=10)
    a.add_argument("--budget", type=int, default=200)
    a.add_argument("--jobs", type=int, default=4, help="time-to-5%% runs at once (they sleep, mostly)")
    a.add_argument("--part", choices=["throughput", "time", "all"], default="all")
    args = a.parse_args()
    L = args.latency_ms

    if args.part in ("throughput", "all"):
        ideal = 1000.0 / L
        print(f"### Throughput, {L} ms per evaluation (evaluations/s from the session's elapsed time; "
              f"efficiency: against K x {ideal:g}/s, the rate of K devices that never wait)\n")
        print("| slots K | replay (matmul 4096³) | efficiency | test worker (sleep) | efficiency |")
        print("|---|---|---|---|---|")
        for k in (1, 2, 4, 8):
            r = throughput(args.tune, LANDSCAPES[0], k, L, 40 * k)
            # The test worker's space has 57 configurations: 56, a whole number of rounds of every K.
            w = throughput(args.tune, f"worker:timeout=30 {args.worker} --delay-ms {L}", k, None, 56)
            print(f"| {k} | {r:.2f} /s | {r / (k * ideal):.2f} | {w:.2f} /s | {w / (k * ideal):.2f} |", flush=True)
        print()

    if args.part in ("time", "all"):
        print(f"### Time to within 5 % of the optimum, bayes, {L} ms per evaluation, seeds 1..{args.seeds} (median)\n")
        print("| landscape | K=1 s | K=4 s | speed-up | K=1 evals | K=4 evals |")
        print("|---|---|---|---|---|---|")
        speedups = []
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            for ds in LANDSCAPES:
                opt = optimum(args.tune, ds)
                runs = {k: list(pool.map(lambda s, k=k: time_to_5(args.tune, ds, opt, k, L, s, args.budget),
                                         range(1, args.seeds + 1))) for k in (1, 4)}
                med = {k: statistics.median(t for t, _ in runs[k]) for k in runs}
                ev = {k: statistics.median(e for _, e in runs[k]) for k in runs}
                sp = med[1] / med[4] if med[4] > 0 else float("nan")
                speedups.append(sp)
                print(f"| {ds[7:]} | {med[1]:.1f} | {med[4]:.1f} | {sp:.2f}x | {ev[1]:.0f} | {ev[4]:.0f} |", flush=True)
        print(f"\nmedian speed-up over landscapes: {statistics.median(speedups):.2f}x; "
              f"smallest: {min(speedups):.2f}x")


if __name__ == "__main__":
    sys.exit(main())
