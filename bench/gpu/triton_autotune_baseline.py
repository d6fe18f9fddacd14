"""Wall-clock baseline for issue 4: Triton's own @triton.autotune over the same 384-configuration
matmul space (4096^3 fp16) that `dejavu-tune tune --strategy grid` sweeps through the Triton worker.

Run on the GPU host from the repository root, in a fresh process with an empty Triton cache:
    TRITON_CACHE_DIR=$(mktemp -d) python3 bench/gpu/triton_autotune_baseline.py
It prints the wall time of the first (tuning) call, the configuration Triton picked and its time.
"""
import importlib.util
import itertools
import os
import sys
import time

import torch
import triton
from triton.testing import do_bench

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "matmul", os.path.join(here, "..", "..", "kernels", "triton", "kernels", "matmul.py"))
matmul = importlib.util.module_from_spec(spec)
spec.loader.exec_module(matmul)

values = {p["name"]: p["values"] for p in matmul.SPACE["parameters"]}
configs = []
for bm, bn, bk, gm, w, s in itertools.product(values["BLOCK_M"], values["BLOCK_N"], values["BLOCK_K"],
                                              values["GROUP_M"], values["num_warps"], values["num_stages"]):
    configs.append(triton.Config({"BLOCK_M": bm, "BLOCK_N": bn, "BLOCK_K": bk, "GROUP_M": gm},
                                 num_warps=w, num_stages=s))
tuned = triton.autotune(configs=configs, key=["M", "N", "K"])(matmul.matmul_kernel)

M = N = K = 4096
torch.manual_seed(0)
a = torch.randn((M, K), device="cuda", dtype=torch.float16)
b = torch.randn((K, N), device="cuda", dtype=torch.float16)
c = torch.empty((M, N), device="cuda", dtype=torch.float16)


def run():
    grid = lambda meta: (triton.cdiv(M, meta["BLOCK_M"]) * triton.cdiv(N, meta["BLOCK_N"]),)
    tuned[grid](a, b, c, M, N, K, a.stride(0), a.stride(1), b.stride(0), b.stride(1), c.stride(0), c.stride(1))


torch.cuda.synchronize()
t0 = time.perf_counter()
run()
torch.cuda.synchronize()
wall = time.perf_counter() - t0
print(f"triton {triton.__version__}: @triton.autotune over {len(configs)} configurations, first call {wall:.1f} s")
print("picked:", tuned.best_config)
ref = torch.matmul(a.float(), b.float())
print("max abs error vs fp32 reference:", (c.float() - ref).abs().max().item())
print("picked config median ms (do_bench):", do_bench(run, return_mode="median"))
print("cuBLAS median ms (do_bench):", do_bench(lambda: torch.matmul(a, b), return_mode="median"))
sys.stdout.flush()
