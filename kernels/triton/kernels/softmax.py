"""Row-wise softmax, fp16 or fp32 in and out, fp32 arithmetic: y = exp(x - max(x)) / sum(exp(x - max(x))).

One program per row. When BLOCK_SIZE covers the row, the row is loaded once and kept in
registers; otherwise the row is walked in chunks of BLOCK_SIZE twice (an online max and sum,
then the normalised store), so every BLOCK_SIZE is valid for every row length and the space
needs no constraint. A kernel module for dejavu_triton_worker.py; see matmul.py for the interface.
"""
import torch
import triton
import triton.language as tl

NAME = "softmax"

SPACE = {
    "name": "triton_softmax",
    "description": "row-wise softmax, one program per row, fp32 arithmetic; single pass when BLOCK_SIZE >= N, else two chunked passes",
    "parameters": [
        {"name": "BLOCK_SIZE", "values": [256, 512, 1024, 2048, 4096, 8192, 16384]},
        {"name": "num_warps", "values": [1, 2, 4, 8, 16, 32]},
        {"name": "num_stages", "values": [1, 2, 3]},
    ],
    "constraints": [],
}

DEFAULT_PROBLEM = {"rows": 4096, "N": 4096, "dtype": "fp16"}
DTYPES = {"fp16": torch.float16, "fp32": torch.float32}

# Outputs lie in (0, 1] and are about 1/N (2.4e-4 at N = 4096): the absolute tolerance must be
# far below that, or a missing chunk (every value too large by N / (N - BLOCK)) would pass.
# fp16 rounding is 2^-11 relative; a subnormal fp16 output is off by at most 6e-8.
ATOL = 1e-6
RTOL = 1e-2


@triton.jit
def softmax_kernel(x_ptr, y_ptr, stride_x, stride_y, N,
                   BLOCK_SIZE: tl.constexpr, SINGLE_PASS: tl.constexpr):
    row = tl.program_id(0)
    x_row = x_ptr + row.to(tl.int64) * stride_x
    y_row = y_ptr + row.to(tl.int64) * stride_y
    if SINGLE_PASS:
        cols = tl.arange(0, BLOCK_SIZE)
        mask = cols < N
        x = tl.load(x_row + cols, mask=mask, other=-float("inf")).to(tl.float32)
        e = tl.exp(x - tl.max(x, axis=0))
        y = e / tl.sum(e, axis=0)
        tl.store(y_row + cols, y.to(y_ptr.dtype.element_ty), mask=mask)
    else:
        # Per lane: the running maximum m and the sum d of exp(x - m) of what the lane has seen.
        m = tl.full([BLOCK_SIZE], -float("inf"), tl.float32)
        d = tl.zeros([BLOCK_SIZE], dtype=tl.float32)
        for off in range(0, N, BLOCK_SIZE):
            cols = off + tl.arange(0, BLOCK_SIZE)
            x = tl.load(x_row + cols, mask=cols < N, other=-float("inf")).to(tl.float32)
            m_new = tl.maximum(m, x)
            # A lane that has seen only masked columns keeps m = -inf and d = 0 (exp(-inf - -inf) is NaN).
            seen = m_new > -float("inf")
            d = tl.where(seen, d * tl.exp(m - m_new) + tl.exp(x - m_new), 0.0)
            m = m_new
        row_max = tl.max(m, axis=0)
        denom = tl.sum(tl.where(m > -float("inf"), d * tl.exp(m - row_max), 0.0), axis=0)
        for off in range(0, N, BLOCK_SIZE):
            cols = off + tl.arange(0, BLOCK_SIZE)
            mask = cols < N
            x = tl.load(x_row + cols, mask=mask, other=-float("inf")).to(tl.float32)
            y = tl.exp(x - row_max) / denom
            tl.store(y_row + cols, y.to(y_ptr.dtype.element_ty), mask=mask)


def normalize_problem(problem):
    out = dict(DEFAULT_PROBLEM)
    for key, value in problem.items():
        if key not in DEFAULT_PROBLEM:
            raise ValueError(f"problem.{key}: unknown (expected rows, N, dtype)")
        if key == "dtype":
            if value not in DTYPES:
                raise ValueError(f"problem.dtype: expected one of {', '.join(DTYPES)}, got {value!r}")
        elif isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= (1 << 24):
            raise ValueError(f"problem.{key}: expected an integer 1..16777216, got {value!r}")
        out[key] = value
    if out["rows"] * out["N"] > (1 << 31):
        raise ValueError("problem too large (rows * N must be at most 2^31)")
    return out


def canonical_problem(p):
    """[rows, N, "dtype"]."""
    return f"[{p['rows']},{p['N']},\"{p['dtype']}\"]"


class Problem:
    pass


def build(p, device, seed=0):
    torch.manual_seed(seed)
    s = Problem()
    s.rows, s.N, s.dtype = p["rows"], p["N"], DTYPES[p["dtype"]]
    # Spread 3: exp() then spans about e^+-9, so the maximum subtraction matters.
    s.x = (3.0 * torch.randn((s.rows, s.N), device=device)).to(s.dtype)
    s.out = torch.empty((s.rows, s.N), device=device, dtype=s.dtype)
    s.bytes = 2.0 * s.rows * s.N * s.x.element_size()
    return s



def refresh(s, seed):
    """Fresh inputs in place, from the distribution of build() (see matmul.py)."""
    g = torch.Generator(device=s.x.device)
    g.manual_seed(seed)
    s.x.normal_(0.0, 3.0, generator=g)


def reference(s):
    return torch.softmax(s.x.float(), dim=-1)


def launch(s, config, warmup=False):
    """One launch (see matmul.py; warmup=True only compiles)."""
    block = config["BLOCK_SIZE"]
    args = (s.x, s.out, s.x.stride(0), s.out.stride(0), s.N)
    kwargs = dict(BLOCK_SIZE=block, SINGLE_PASS=block >= s.N,
                  num_warps=config["num_warps"], num_stages=config["num_stages"])
    if warmup:
        return softmax_kernel.warmup(*args, grid=(s.rows,), **kwargs)
    return softmax_kernel[(s.rows,)](*args, **kwargs)


def metrics(s, ms):
    return {"gb_per_s": s.bytes / (ms * 1e-3) / 1e9}
