#!/usr/bin/env python3
"""Writes fixture.json for tst_tritoncacheexporter: what Triton 3.6's Autotuner.check_disk_cache
and FileCacheManager would compute and write, without a GPU.

The lines marked "Triton:" restate python/triton/runtime/autotuner.py (check_disk_cache, the
benchmark() branch that calls cache.put, Config.__init__/__str__) and runtime/cache.py
(_base32, get_cache_manager) of triton-lang/triton at the 3.6 line, expression for expression.
The inputs that only a GPU host knows (triton_key(), the backend hash, fn.cache_key) are fixed
made-up strings here; the real values come from kernels/triton/deployment.py on the H100 and are
checked by the exporter against Triton's own `check` result (deploy-h100-matmul.json).
"""
import base64
import hashlib
import json


class Config:  # Triton 3.6: field order of __init__ (hence of __dict__) and __str__
    def __init__(self, kwargs, num_warps=4, num_stages=3, num_ctas=1, maxnreg=None, pre_hook=None, ir_override=None):
        self.kwargs = kwargs
        self.num_warps = num_warps
        self.num_ctas = num_ctas
        self.num_stages = num_stages
        self.maxnreg = maxnreg
        self.pre_hook = pre_hook
        self.ir_override = ir_override

    def __str__(self):
        res = [f"{k}: {v}" for k, v in self.kwargs.items()]
        res += [f"num_warps: {self.num_warps}", f"num_ctas: {self.num_ctas}", f"num_stages: {self.num_stages}",
                f"maxnreg: {self.maxnreg}", f"ir_override: {self.ir_override}"]
        return ", ".join(res)


def _base32(key):  # Triton: runtime/cache.py
    return base64.b32encode(bytes.fromhex(key)).decode("utf-8").rstrip("=")


configs = [Config({"BLOCK_M": bm, "BLOCK_N": bn, "BLOCK_K": 32, "GROUP_M": 8}, num_warps=w, num_stages=s)
           for bm in (64, 128) for bn in (64, 128) for w in (4, 8) for s in (3, 4)]
prefix = ["3.6.0-made-up-triton-key", "made-up-backend-hash", "made-up-fn-cache-key", str(sorted({}.items()))]
tuning_key = (256, 4096, 4096, "torch.float16", "torch.float16", "torch.float16")
best = configs[9]
samples = [0.0213, 0.021, 0.022, 0.0212, 0.0215]


def quantile(xs, q):  # linear interpolation between closest ranks, as do_bench's torch.quantile
    xs = sorted(xs)
    pos = q * (len(xs) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


# do_bench(..., quantiles=(0.5, 0.2, 0.8)); the exporter puts the session's objective (the median) first
timings = {best: [quantile(samples, 0.5), quantile(samples, 0.2), quantile(samples, 0.8)]}

cache_key = prefix + [str(tuning_key)] + [str(c) for c in configs]  # Triton: check_disk_cache
cache_key = hashlib.sha256("-".join(cache_key).encode("utf-8")).hexdigest()
directory = _base32(cache_key)  # Triton: get_cache_manager(cache_key)
file_name = f"{'matmul_kernel'[:150]}.autotune.json"
body = json.dumps({"key": [str(k) for k in tuning_key],  # Triton: cache.put(json.dumps(...))
                   "configs_timings": [(config.__dict__, t) for config, t in timings.items() if not config.pre_hook]})

fixture = {
    "deployment": {"triton_cache": {
        "triton_version": "3.6.0", "gpu_name": "NVIDIA H100 80GB HBM3", "fn_name": "matmul_kernel",
        "hash_prefix": prefix, "key": ["M", "N", "K"], "key_from_problem": [0, 1, 2],
        "dtypes": ["torch.float16"] * 3, "configs": [str(c) for c in configs],
        "config_fields": list(Config({}).__dict__.keys())}},
    "entry": {"key_values": [256, 4096, 4096], "config": {**best.kwargs, "num_warps": best.num_warps, "num_stages": best.num_stages},
              "samples_ms": samples, "objective_ms": quantile(samples, 0.5)},
    "expected": {"tuning_key": str(tuning_key), "directory": directory, "file_name": file_name, "json": body},
}
with open("fixture.json", "w") as f:
    json.dump(fixture, f, indent=1)
    f.write("\n")
