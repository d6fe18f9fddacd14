#!/usr/bin/env python3
"""Tests of the Triton worker (kernels/triton/dejavu_triton_worker.py) over its protocol, on a
GPU host with torch and Triton: hello, load, prepare and evaluate with compile-ahead (the first
prepared configuration compiled by the worker itself, the others by compile processes forked
from the fork server, holding no CUDA context), results still verified, a configuration that
does not compile recorded as such, and the compile processes ending with a killed worker.

    test_triton_worker.py

Exits 77 (CTest's skip), saying why, where torch, Triton or a CUDA device is missing. Every
process it starts is ended by its id.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WORKER = os.path.join(ROOT, "kernels", "triton", "dejavu_triton_worker.py")

try:
    import torch
    import triton  # noqa: F401
except ImportError as e:
    print(f"SKIP: the Triton worker needs torch and Triton ({e})")
    sys.exit(77)
if not torch.cuda.is_available():
    print("SKIP: no CUDA device is visible to torch")
    sys.exit(77)

import json  # noqa: E402
import queue  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import unittest  # noqa: E402

PROBLEM = {"M": 1024, "N": 1024, "K": 1024}
OPTIONS = {"warmup": 1, "repetitions": 5, "min_time_ms": 1, "max_repetitions": 50, "flush_l2": True,
           "timeout_ms": 120000}
CONFIGS = [{"BLOCK_M": 64, "BLOCK_N": 64, "BLOCK_K": 32, "GROUP_M": 8, "num_warps": 4, "num_stages": s}
           for s in (2, 3, 4)] + [{"BLOCK_M": 128, "BLOCK_N": 64, "BLOCK_K": 32, "GROUP_M": 8, "num_warps": 4,
                                   "num_stages": 3}]
# 256 x 256 tiles of 128 fp16 in 5 stages need far more than the 227 KB of shared memory.
TOO_BIG = {"BLOCK_M": 256, "BLOCK_N": 256, "BLOCK_K": 128, "GROUP_M": 8, "num_warps": 8, "num_stages": 5}


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def parent_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().split(")")[-1].split()[1])


def gpu_pids():
    """Processes holding a CUDA context on device 0, or None where NVML cannot tell."""
    try:
        import pynvml
        pynvml.nvmlInit()
        h = pynvml.nvmlDeviceGetHandleByIndex(0)
        return {p.pid for p in pynvml.nvmlDeviceGetComputeRunningProcesses(h)}
    except Exception:
        return None


class Worker:
    def __init__(self, processes=4):
        self.dir = tempfile.mkdtemp(prefix="tw-")
        self.trace = os.path.join(self.dir, "trace.txt")
        env = dict(os.environ, TRITON_CACHE_DIR=os.path.join(self.dir, "cache"), DEJAVU_WORKER_TRACE=self.trace,
                   DEJAVU_COMPILE_PROCESSES=str(processes))
        self.err = open(os.path.join(self.dir, "stderr.txt"), "w")
        self.p = subprocess.Popen([sys.executable, WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=self.err, text=True, env=env)
        self.lines = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.next_id = 0

    def _pump(self):
        for line in self.p.stdout:
            self.lines.put(line)

    def read(self, timeout=180):
        return json.loads(self.lines.get(timeout=timeout))

    def ask(self, message, timeout=180):
        self.next_id += 1
        message["id"] = self.next_id
        self.p.stdin.write(json.dumps(message) + "\n")
        self.p.stdin.flush()
        answer = self.read(timeout)
        assert answer.get("id") == self.next_id, answer
        return answer

    def events(self):
        out = []
        with open(self.trace) as f:
            for line in f:
                t, pid, text = line.rstrip("\n").split(" ", 2)
                out.append((float(t), int(pid), text))
        return out

    def wait_for_compiles(self, count, timeout=180):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sum(1 for _, _, e in self.events() if e.startswith("compile process: compiled")) >= count:
                return
            time.sleep(0.1)
        raise AssertionError(f"fewer than {count} compiles ahead within {timeout} s:\n{self.stderr()[-3000:]}")

    def stderr(self):
        with open(os.path.join(self.dir, "stderr.txt")) as f:
            return f.read()

    def end(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()
        self.p.stdin.close()
        self.p.stdout.close()
        self.err.close()


class TritonWorkerTest(unittest.TestCase):
    def test_compile_ahead_from_the_fork_server(self):
        w = Worker(processes=4)
        try:
            hello = w.read()
            self.assertEqual(hello["type"], "hello")
            self.assertIn("prepare", hello["capabilities"])
            loaded = w.ask({"type": "load", "kernel": "matmul", "problem": PROBLEM})
            self.assertEqual(loaded["type"], "loaded", loaded)
            prepared = w.ask({"type": "prepare", "configs": CONFIGS + [TOO_BIG]})
            self.assertEqual(prepared["queued"], len(CONFIGS) + 1)

            # The first of a prepare is compiled by the worker itself, at once.
            first = w.ask({"type": "evaluate", "config": CONFIGS[0], "options": OPTIONS})
            self.assertEqual(first["status"], "ok", first)
            self.assertIs(first["extra"]["verified"], True)
            self.assertIs(first["extra"]["compiled_ahead"], False)
            self.assertNotIn("ahead_wait_ms", first["extra"])

            # The others come from the compile processes (on the meta device), and are still
            # verified against the reference.
            w.wait_for_compiles(len(CONFIGS))  # CONFIGS[1:] and TOO_BIG
            for config in CONFIGS[1:]:
                m = w.ask({"type": "evaluate", "config": config, "options": OPTIONS})
                self.assertEqual(m["status"], "ok", m)
                self.assertIs(m["extra"]["verified"], True)
                self.assertIs(m["extra"]["compiled_ahead"], True, m)
                self.assertIs(m["extra"]["ahead_on_meta"], True)
                self.assertGreater(m["extra"]["ahead_compile_ms"], 0)

            # A configuration that does not compile, compiled ahead or not, is a compile error.
            # (Triton finds the shared memory short when it loads the kernel, after compiling it.)
            bad = w.ask({"type": "evaluate", "config": TOO_BIG, "options": OPTIONS})
            self.assertEqual(bad["status"], "compile_error", bad)
            self.assertEqual(bad["samples_ms"], [])

            events = w.events()
            compilers = sorted({pid for _, pid, e in events if e == "compile process: ready"})
            self.assertGreaterEqual(len(compilers), 1)
            self.assertLessEqual(len(compilers), 4)  # DEJAVU_COMPILE_PROCESSES
            server = [pid for _, pid, e in events if e == "compile server: preloading"]
            self.assertEqual(len(server), 1, "one fork server")
            # Forked from the server, not spawned by the worker (which would import torch again).
            for pid in compilers:
                if alive(pid):
                    self.assertEqual(parent_of(pid), server[0])
            # They compile on the meta device and hold no CUDA context of their own.
            holders = gpu_pids()
            if holders is not None and w.p.pid in holders:
                self.assertFalse(holders & set(compilers), f"compile processes with a CUDA context: {holders}")

            # A killed worker takes its fork server and compile processes with it.
            w.p.send_signal(signal.SIGKILL)
            w.p.wait()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and any(alive(p) for p in compilers + server):
                time.sleep(0.2)
            self.assertEqual([p for p in compilers + server if alive(p)], [])
        finally:
            w.end()

    def test_evaluate_before_the_compile_processes_are_ready(self):
        # Evaluating at once, many configurations prepared: nothing waits for the whole pool,
        # and everything evaluated is right.
        w = Worker(processes=2)
        try:
            w.read()
            w.ask({"type": "load", "kernel": "matmul", "problem": PROBLEM})
            w.ask({"type": "prepare", "configs": CONFIGS})
            for config in CONFIGS:
                m = w.ask({"type": "evaluate", "config": config, "options": OPTIONS})
                self.assertEqual(m["status"], "ok", m)
                self.assertIs(m["extra"]["verified"], True)
            done = w.ask({"type": "shutdown"})
            self.assertEqual(done["type"], "bye")
            self.assertEqual(w.p.wait(timeout=30), 0)
            self.assertNotIn("Traceback", w.stderr())
        finally:
            w.end()


if __name__ == "__main__":
    unittest.main(verbosity=2)
