"""Grouped-tile fp16 matmul with fp32 accumulation (C = A @ B), after the Triton tutorial.

A kernel module for dejavu_triton_worker.py. It declares SPACE, DEFAULT_PROBLEM, ATOL/RTOL
and the functions normalize_problem(), canonical_problem(), build(), reference() and launch().
torch and triton are imported by the worker before this module is loaded.
"""
import torch
import triton
import triton.language as tl

NAME = "matmul"

# Exactly the recorded H100 landscape (shared/datasets/h100/triton_matmul_fp16_*): 384
# configurations, no constraints; the ones that overflow shared memory fail to compile and are
# reported as compile_error.
SPACE = {
    "name": "triton_matmul_fp16",
    "description": "grouped-tile fp16 matmul, fp32 accumulation (Triton tutorial); C[M,N] = A[M,K] @ B[K,N]",
    "parameters": [
        {"name": "BLOCK_M", "values": [32, 64, 128, 256]},
        {"name": "BLOCK_N", "values": [32, 64, 128, 256]},
        {"name": "BLOCK_K", "values": [32, 64, 128]},
        {"name": "GROUP_M", "values": [8]},
        {"name": "num_warps", "values": [4, 8]},
        {"name": "num_stages", "values": [2, 3, 4, 5]},
    ],
    "constraints": [],
}

DEFAULT_PROBLEM = {"M": 4096, "N": 4096, "K": 4096}

# fp16 output (rounding ~5e-4 relative) against an fp32 reference; a wrong tile is off by O(1..100).
ATOL = 1e-2
RTOL = 1e-2


@triton.jit
def matmul_kernel(a_ptr, b_ptr, c_ptr, M, N, K,
                  stride_am, stride_ak, stride_bk, stride_bn, stride_cm, stride_cn,
                  BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr,
                  GROUP_M: tl.constexpr):
    # Program ids run down groups of GROUP_M tile rows, so neighbouring programs share A and B
    # tiles in L2.
    pid = tl.program_id(axis=0)
    num_pid_m = tl.cdiv(M, BLOCK_M)
    num_pid_n = tl.cdiv(N, BLOCK_N)
    num_pid_in_group = GROUP_M * num_pid_n
    group_id = pid // num_pid_in_group
    first_pid_m = group_id * GROUP_M
    group_size_m = min(num_pid_m - first_pid_m, GROUP_M)
    pid_m = first_pid_m + ((pid % num_pid_in_group) % group_size_m)
    pid_n = (pid % num_pid_in_group) // group_size_m

    offs_am = (pid_m * BLOCK_M + tl.arange(0, BLOCK_M)) % M
    offs_bn = (pid_n * BLOCK_N + tl.arange(0, BLOCK_N)) % N
    offs_k = tl.arange(0, BLOCK_K)
    a_ptrs = a_ptr + (offs_am[:, None] * stride_am + offs_k[None, :] * stride_ak)
    b_ptrs = b_ptr + (offs_k[:, None] * stride_bk + offs_bn[None, :] * stride_bn)

    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for k in range(0, tl.cdiv(K, BLOCK_K)):
        a = tl.load(a_ptrs, mask=offs_k[None, :] < K - k * BLOCK_K, other=0.0)
        b = tl.load(b_ptrs, mask=offs_k[:, None] < K - k * BLOCK_K, other=0.0)
        acc = tl.dot(a, b, acc)
        a_ptrs += BLOCK_K * stride_ak
        b_ptrs += BLOCK_K * stride_bk
    c = acc.to(tl.float16)

    offs_cm = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_cn = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    c_ptrs = c_ptr + stride_cm * offs_cm[:, None] + stride_cn * offs_cn[None, :]
    c_mask = (offs_cm[:, None] < M) & (offs_cn[None, :] < N)
    tl.store(c_ptrs, c, mask=c_mask)


def normalize_problem(problem):
    """The problem with defaults filled in; ValueError on anything else."""
    out = dict(DEFAULT_PROBLEM)
    for key, value in problem.items():
        if key not in DEFAULT_PROBLEM:
            raise ValueError(f"problem.{key}: unknown (expected M, N, K)")
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65536:
            raise ValueError(f"problem.{key}: expected an integer 1..65536, got {value!r}")
        out[key] = value
    if out["M"] * out["K"] + out["K"] * out["N"] + 3 * out["M"] * out["N"] > (8 << 30):
        raise ValueError("problem too large for one GPU (A, B, C and the fp32 reference exceed 16 GiB)")
    return out


def canonical_problem(p):
    """As the recorded datasets write problem_size."""
    return f"[{p['M']},{p['N']},{p['K']}]"


class Problem:
    pass


def build(p, device, seed=0):
    torch.manual_seed(seed)
    s = Problem()
    s.M, s.N, s.K = p["M"], p["N"], p["K"]
    s.a = torch.randn((s.M, s.K), device=device, dtype=torch.float16)
    s.b = torch.randn((s.K, s.N), device=device, dtype=torch.float16)
    s.out = torch.empty((s.M, s.N), device=device, dtype=torch.float16)
    s.flops = 2.0 * s.M * s.N * s.K
    s.bytes = 2.0 * (s.M * s.K + s.K * s.N + s.M * s.N)
    return s



def refresh(s, seed):
    """Fresh inputs in place, from the distribution of build() (the worker calls it before each
    evaluation and recomputes the reference)."""
    g = torch.Generator(device=s.a.device)
    g.manual_seed(seed)
    s.a.normal_(0.0, 1.0, generator=g)
    s.b.normal_(0.0, 1.0, generator=g)


def reference(s):
    """fp32 product of the fp16 inputs (no TF32)."""
    saved = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = False
    try:
        return torch.matmul(s.a.float(), s.b.float())
    finally:
        torch.backends.cuda.matmul.allow_tf32 = saved


def launch(s, config, warmup=False):
    """One launch writing s.out; returns what triton returns (the compiled kernel). With
    warmup=True it only compiles (into Triton's cache) and launches nothing; s may then hold
    tensors on the meta device (build(p, torch.device("meta")))."""
    bm, bn = config["BLOCK_M"], config["BLOCK_N"]
    grid = (triton.cdiv(s.M, bm) * triton.cdiv(s.N, bn),)
    args = (s.a, s.b, s.out, s.M, s.N, s.K,
            s.a.stride(0), s.a.stride(1), s.b.stride(0), s.b.stride(1), s.out.stride(0), s.out.stride(1))
    kwargs = dict(BLOCK_M=bm, BLOCK_N=bn, BLOCK_K=config["BLOCK_K"], GROUP_M=config["GROUP_M"],
                  num_warps=config["num_warps"], num_stages=config["num_stages"])
    if warmup:
        return matmul_kernel.warmup(*args, grid=grid, **kwargs)
    return matmul_kernel[grid](*args, **kwargs)


def metrics(s, ms):
    return {"tflops": s.flops / (ms * 1e-3) / 1e12}
