"""Row-wise RMSNorm, fp16 in and out, fp32 arithmetic: y = x / sqrt(mean(x^2) + eps) * w.

One program per row; the row is walked in chunks of BLOCK (twice: sum of squares, then the
scaled store), so every BLOCK works for any N and the space needs no constraint (as in the
recorded landscape, where BLOCK 256 with N 4096 is valid). A kernel module for
dejavu_triton_worker.py; see matmul.py for the interface.
"""
import torch
import triton
import triton.language as tl

NAME = "rmsnorm"

SPACE = {
    "name": "triton_rmsnorm_fp16",
    "description": "row-wise RMSNorm, one program per row, fp16 in/out, fp32 arithmetic",
    "parameters": [
        {"name": "BLOCK", "values": [256, 512, 1024, 2048, 4096, 8192, 16384]},
        {"name": "num_warps", "values": [1, 2, 4, 8, 16, 32]},
        {"name": "num_stages", "values": [1, 2, 3]},
    ],
    "constraints": [],
}

DEFAULT_PROBLEM = {"rows": 4096, "N": 4096}
EPS = 1e-6

ATOL = 1e-2
RTOL = 1e-2


@triton.jit
def rmsnorm_kernel(x_ptr, w_ptr, y_ptr, stride_x, stride_y, N, eps, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    x_row = x_ptr + row.to(tl.int64) * stride_x
    y_row = y_ptr + row.to(tl.int64) * stride_y
    acc = tl.zeros([BLOCK], dtype=tl.float32)
    for off in range(0, N, BLOCK):
        cols = off + tl.arange(0, BLOCK)
        x = tl.load(x_row + cols, mask=cols < N, other=0.0).to(tl.float32)
        acc += x * x
    rstd = 1.0 / tl.sqrt(tl.sum(acc, axis=0) / N + eps)
    for off in range(0, N, BLOCK):
        cols = off + tl.arange(0, BLOCK)
        mask = cols < N
        x = tl.load(x_row + cols, mask=mask, other=0.0).to(tl.float32)
        w = tl.load(w_ptr + cols, mask=mask, other=0.0).to(tl.float32)
        tl.store(y_row + cols, (x * rstd * w).to(tl.float16), mask=mask)


def normalize_problem(problem):
    out = dict(DEFAULT_PROBLEM)
    for key, value in problem.items():
        if key not in DEFAULT_PROBLEM:
            raise ValueError(f"problem.{key}: unknown (expected rows, N)")
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= (1 << 24):
            raise ValueError(f"problem.{key}: expected an integer 1..16777216, got {value!r}")
        out[key] = value
    if out["rows"] > 2147483647 or out["rows"] * out["N"] > (1 << 31):
        raise ValueError("problem too large (rows * N must be at most 2^31)")
    return out


def canonical_problem(p):
    """As the recorded datasets write problem_size: [rows, N]."""
    return f"[{p['rows']},{p['N']}]"


class Problem:
    pass


def build(p, device, seed=0):
    torch.manual_seed(seed)
    s = Problem()
    s.rows, s.N = p["rows"], p["N"]
    s.x = torch.randn((s.rows, s.N), device=device, dtype=torch.float16)
    s.w = (1.0 + 0.1 * torch.randn((s.N,), device=device)).to(torch.float16)
    s.out = torch.empty((s.rows, s.N), device=device, dtype=torch.float16)
    s.bytes = 2.0 * (2 * s.rows * s.N + s.N)
    return s



def refresh(s, seed):
    """Fresh inputs in place, from the distribution of build() (see matmul.py)."""
    g = torch.Generator(device=s.x.device)
    g.manual_seed(seed)
    s.x.normal_(0.0, 1.0, generator=g)
    s.w.normal_(1.0, 0.1, generator=g)


def reference(s):
    x = s.x.float()
    return x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + EPS) * s.w.float()


def launch(s, config, warmup=False):
    """One launch (see matmul.py; warmup=True only compiles)."""
    args = (s.x, s.w, s.out, s.x.stride(0), s.out.stride(0), s.N, EPS)
    kwargs = dict(BLOCK=config["BLOCK"], num_warps=config["num_warps"], num_stages=config["num_stages"])
    if warmup:
        return rmsnorm_kernel.warmup(*args, grid=(s.rows,), **kwargs)
    return rmsnorm_kernel[(s.rows,)](*args, **kwargs)


def metrics(s, ms):
    return {"gb_per_s": s.bytes / (ms * 1e-3) / 1e9}
