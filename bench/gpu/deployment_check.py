#!/usr/bin/env python3
"""Loads a Triton kernel the way a deployment does and times its start-up (issue 5, part 4).

    TRITON_CACHE_DIR=<export> python3 bench/gpu/deployment_check.py --kernel matmul \
        --problems '[{"M":256,"N":4096,"K":4096}]' --expected export-matmul.log

The kernel is wrapped in @triton.autotune(configs=<its whole SPACE>, key=..., cache_results=True)
(kernels/triton/deployment.py: the same wrapper whose hash inputs the export used), in this
fresh process. For every problem it times the first call (cache look-up, compile of the picked
configuration, launch), counts the autotuner's benchmark calls (Autotuner._bench, one per
configuration it times) and compares str(autotuner.best_config) with the configuration the
export wrote for that key (the `tuple: config -> path` lines `dejavu-tune export --format
triton-cache` prints). --expected absent: a cold start, where Triton tunes by itself.
Prints one JSON line per problem and a summary line; exit status 1 when, with --expected, any
benchmark ran or another configuration was used.
"""
import argparse
import json
import os
import sys
import time

T_START = time.perf_counter()

import torch  # noqa: E402
import triton  # noqa: E402
from triton.runtime import autotuner as _autotuner  # noqa: E402

T_IMPORTED = time.perf_counter()

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "kernels", "triton"))
import deployment  # noqa: E402

BENCH_CALLS = [0]
_original_bench = _autotuner.Autotuner._bench


def _counting_bench(self, *args, **kwargs):
    BENCH_CALLS[0] += 1
    return _original_bench(self, *args, **kwargs)


_autotuner.Autotuner._bench = _counting_bench

# Which cache directories the autotuner asks for (a miss shows here as a directory the export lacks).
LOOKED_UP = []
if hasattr(_autotuner, "get_cache_manager"):
    _original_manager = _autotuner.get_cache_manager

    def _recording_manager(key):
        manager = _original_manager(key)
        LOOKED_UP.append(os.path.basename(getattr(manager, "cache_dir", "") or str(key)))
        return manager

    _autotuner.get_cache_manager = _recording_manager


def expected_configs(path):
    out = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.startswith("(") or " -> " not in line:
                continue
            head, _, _ = line.rpartition(" -> ")
            key, _, config = head.partition("): ")
            out[key + ")"] = config
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--problems", required=True, help="JSON list of problem objects")
    ap.add_argument("--expected", help="the export's log (tuple: config -> path lines)")
    a = ap.parse_args()
    expected = expected_configs(a.expected) if a.expected else None
    module = deployment.import_kernel(a.kernel)
    form = deployment.deployment_form(module)
    jit_fn = deployment.jit_function(module)
    kernel = deployment.autotuned(module, cache_results=True)
    failures = 0
    rows = []
    for problem in json.loads(a.problems):
        p = module.normalize_problem(problem)
        s = module.build(p, torch.device("cuda"))
        args, grid = deployment.deployment_args(module, s)
        key = str(deployment.tuning_key(jit_fn, form, args))
        before = BENCH_CALLS[0]
        LOOKED_UP.clear()
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        kernel[grid](*args)
        torch.cuda.synchronize()
        first = time.perf_counter() - t0
        benches = BENCH_CALLS[0] - before
        used = str(kernel.best_config)
        ref = module.reference(s)
        correct = bool(torch.allclose(s.out.float(), ref, atol=module.ATOL, rtol=module.RTOL))
        steady = triton.testing.do_bench(lambda: kernel[grid](*args), return_mode="median")
        row = {"kernel": a.kernel, "problem": module.canonical_problem(p), "key": key, "first_call_s": round(first, 4),
               "benchmarks_at_start": benches, "looked_up": list(LOOKED_UP), "used": used, "correct": correct, "steady_ms": round(steady, 5)}
        if expected is not None:
            row["exported"] = expected.get(key)
            row["same_as_export"] = expected.get(key) == used
            if benches or not row["same_as_export"] or not correct:
                failures += 1
        elif not correct:
            failures += 1
        rows.append(row)
        print(json.dumps(row), flush=True)
    total = time.perf_counter() - T_START
    print(json.dumps({"summary": a.kernel, "triton": triton.__version__, "gpu": torch.cuda.get_device_name(),
                      "mode": "with export" if expected is not None else "cold (no export)",
                      "import_s": round(T_IMPORTED - T_START, 3), "first_calls_s": round(sum(r["first_call_s"] for r in rows), 3),
                      "process_s": round(total, 3), "benchmarks": BENCH_CALLS[0], "failures": failures,
                      "cache_dir": os.environ.get("TRITON_CACHE_DIR", "")}), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
