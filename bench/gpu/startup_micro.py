#!/usr/bin/env python3
"""The pieces of the Triton worker's start-up, each timed alone in a fresh process, on the GPU
host (issue 16 item 6): Python and the imports, CUDA's initialisation and context, cuBLAS,
NVML, Triton's own key (a hash of its sources and libtriton), Triton's driver utilities and a
kernel's launcher (both C modules built by the host's C compiler into an empty cache), one
compile of the H100's best matmul configuration, and whether a compile process that only
compiles (warmup on the meta device) holds a CUDA context of its own.

usage (repository root on the GPU host): bench/gpu/startup_micro.py [--runs 2]
Each run uses a fresh empty TRITON_CACHE_DIR; prints one line per step (ms since the previous).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

STEPS = r'''
import time, os, sys, json
t = [("python started", time.time())]
START = float(os.environ["MICRO_T0"])
def step(name):
    t.append((name, time.time()))
import torch; step("import torch")
import triton; step("import triton")
ok = torch.cuda.is_available(); step("torch.cuda.is_available")
p = torch.cuda.get_device_properties(0); step("get_device_properties (CUDA init)")
try:
    import pynvml; pynvml.nvmlInit(); pynvml.nvmlSystemGetDriverVersion(); step("NVML init + driver version")
except Exception as e:
    step("NVML failed: %s" % e)
x = torch.empty(1, device="cuda"); torch.cuda.synchronize(); step("first allocation (CUDA context)")
a = torch.randn((4096, 4096), device="cuda", dtype=torch.float16); b = torch.randn_like(a); torch.cuda.synchronize(); step("randn 2 x 32 MB")
torch.backends.cuda.matmul.allow_tf32 = False
r = torch.matmul(a.float(), b.float()); torch.cuda.synchronize(); step("fp32 reference matmul (cuBLAS init)")
f = torch.empty(64 << 20, dtype=torch.int32, device="cuda"); step("flush buffer 256 MB")
try:
    from triton.runtime.cache import triton_key
except ImportError:
    from triton.compiler.compiler import triton_key
triton_key(); step("triton_key()")
from triton.runtime import driver
tgt = driver.active.get_current_target(); step("driver.active + target (driver utils module)")
import subprocess
from triton.backends.nvidia.compiler import get_ptxas
try:
    pt = get_ptxas(); path = pt.path if hasattr(pt, "path") else pt[0]
    subprocess.run([path, "--version"], capture_output=True); step("ptxas --version")
except Exception as e:
    step("ptxas failed: %s" % e)
sys.path.insert(0, "kernels/triton/kernels")
import importlib.util
spec = importlib.util.spec_from_file_location("dejavu_triton_kernel_matmul", "kernels/triton/kernels/matmul.py")
m = importlib.util.module_from_spec(spec); sys.modules[spec.name] = m; spec.loader.exec_module(m)
step("kernel module imported")
s = m.build({"M": 4096, "N": 4096, "K": 4096}, torch.device("cuda"))
cfg = {"BLOCK_M": 128, "BLOCK_N": 256, "BLOCK_K": 64, "GROUP_M": 8, "num_warps": 8, "num_stages": 3}
k = m.launch(s, cfg, warmup=True); step("compile (warmup) H100 best")
m.launch(s, cfg); torch.cuda.synchronize(); step("first launch (launcher + load)")
cfg2 = dict(cfg, num_stages=4)
m.launch(s, cfg2); torch.cuda.synchronize(); step("another configuration: compile + launch")
m.launch(s, cfg2); torch.cuda.synchronize(); step("launch again")
out = {"steps": [(n, (w - START) * 1000.0) for n, w in t], "libtriton_bytes": 0}
try:
    import glob
    out["libtriton_bytes"] = sum(os.path.getsize(g) for g in glob.glob(os.path.join(os.path.dirname(triton.__file__), "_C", "libtriton*")))
except Exception:
    pass
out["cache"] = sorted(os.listdir(os.environ["TRITON_CACHE_DIR"]))[:50]
out["versions"] = {"torch": torch.__version__, "triton": triton.__version__, "python": sys.version.split()[0]}
print("MICRO " + json.dumps(out))
'''

CHILD = r'''
import os, sys, json, time
import torch, triton
import importlib.util
spec = importlib.util.spec_from_file_location("dejavu_triton_kernel_matmul", "kernels/triton/kernels/matmul.py")
m = importlib.util.module_from_spec(spec); sys.modules[spec.name] = m; spec.loader.exec_module(m)
if sys.argv[1] == "set_device":
    torch.cuda.set_device(0)
s = m.build({"M": 4096, "N": 4096, "K": 4096}, torch.device("meta"))
t0 = time.time()
m.launch(s, {"BLOCK_M": 64, "BLOCK_N": 128, "BLOCK_K": 64, "GROUP_M": 8, "num_warps": 4, "num_stages": 3}, warmup=True)
t1 = time.time()
import pynvml
pynvml.nvmlInit()
h = pynvml.nvmlDeviceGetHandleByIndex(0)
pids = [p.pid for p in pynvml.nvmlDeviceGetComputeRunningProcesses(h)]
print("CHILD " + json.dumps({"mode": sys.argv[1], "compile_ms": (t1 - t0) * 1000, "own_context": os.getpid() in pids,
                             "gpu_pids": pids, "pid": os.getpid()}))
'''


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--runs", type=int, default=2)
    args = a.parse_args()
    for run in range(1, args.runs + 1):
        env = dict(os.environ, TRITON_CACHE_DIR=tempfile.mkdtemp(prefix="tc-micro-"), MICRO_T0=repr(time.time()))
        out = subprocess.run([sys.executable, "-c", STEPS], capture_output=True, text=True, env=env)
        line = [l for l in out.stdout.splitlines() if l.startswith("MICRO ")]
        if not line:
            print(f"run {run}: failed\n{out.stderr[-3000:]}")
            continue
        d = json.loads(line[0][6:])
        print(f"== run {run} (ms since the previous step; python started = since the parent's Popen)"
              f" versions {d['versions']} libtriton {d['libtriton_bytes'] / 1e6:.0f} MB")
        prev = 0.0
        for name, ms in d["steps"]:
            print(f"  {ms - prev:8.0f}  {ms:8.0f}  {name}")
            prev = ms
        print("  cache:", " ".join(d["cache"]))
    for mode in ("meta_only", "set_device"):
        env = dict(os.environ, TRITON_CACHE_DIR=tempfile.mkdtemp(prefix="tc-child-"))
        out = subprocess.run([sys.executable, "-c", CHILD, mode], capture_output=True, text=True, env=env)
        line = [l for l in out.stdout.splitlines() if l.startswith("CHILD ")]
        print(line[0] if line else f"child {mode} failed: {out.stderr[-2000:]}")


if __name__ == "__main__":
    main()
