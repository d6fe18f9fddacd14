"""The fused mixture-of-experts GEMM whose configurations vLLM tunes, fp16 with fp32 accumulation.

Each of M tokens is routed to `topk` of E experts. The M * topk (token, expert) pairs are sorted
by expert and each expert's run is padded to a multiple of BLOCK_SIZE_M, so that every block of
BLOCK_SIZE_M sorted rows belongs to one expert; one program computes a BLOCK_SIZE_M x
BLOCK_SIZE_N tile of one block: out[pair, :] = A[token of pair, :] @ W[expert of block]^T. The
programs are ordered in groups of GROUP_SIZE_M block rows (as in the grouped matmul), the grid
covers the largest possible padded length, and programs past the actual padded length exit at
once, so the grid and every integer argument depend only on the problem and the configuration.

The GEMM is the first of vLLM's two (gate and up projections, W of shape [E, 2N, K]), with
vLLM's naming: N is the intermediate size per shard (the "N=" of its config file names), K the
hidden size. The config keys are exactly vLLM's: BLOCK_SIZE_M, BLOCK_SIZE_N, BLOCK_SIZE_K,
GROUP_SIZE_M, num_warps, num_stages; the space is the grid vLLM's benchmark_moe.py searches.
The sorting and padding (vLLM's moe_align_block_size) is done once per BLOCK_SIZE_M at load and
is not part of the timed launch. Written for this project after reading vLLM's kernel for the idea.
"""
import torch
import triton
import triton.language as tl

NAME = "fused_moe"

SPACE = {
    "name": "triton_fused_moe_fp16",
    "description": "fused MoE grouped GEMM (vLLM's fused_moe_kernel shape): tokens routed to topk of E experts, "
                   "sorted and padded per expert to BLOCK_SIZE_M; out[M*topk, 2N] = A[M, K] @ W[e, 2N, K]^T",
    "parameters": [
        {"name": "BLOCK_SIZE_M", "values": [16, 32, 64, 128, 256]},
        {"name": "BLOCK_SIZE_N", "values": [32, 64, 128, 256]},
        {"name": "BLOCK_SIZE_K", "values": [64, 128, 256]},
        {"name": "GROUP_SIZE_M", "values": [1, 16, 32, 64]},
        {"name": "num_warps", "values": [4, 8]},
        {"name": "num_stages", "values": [2, 3, 4, 5]},
    ],
    "constraints": [],
}

# Mixtral 8x7B at tensor parallelism 2 (hidden 4096, intermediate 14336 / 2), a batch of 256 tokens.
DEFAULT_PROBLEM = {"M": 256, "E": 8, "N": 7168, "K": 4096, "topk": 2, "dtype": "fp16"}

# As matmul.py: fp16 output of K-long fp32 sums of randn products (|out| ~ sqrt(K)).
ATOL = 1e-2
RTOL = 1e-2

BLOCK_M_VALUES = SPACE["parameters"][0]["values"]


@triton.jit
def fused_moe_kernel(a_ptr, w_ptr, out_ptr, sorted_ids_ptr, block_expert_ptr, padded_len_ptr,
                     N, K, max_padded, num_pairs,
                     stride_am, stride_ak, stride_we, stride_wn, stride_wk, stride_om, stride_on,
                     TOPK: tl.constexpr, BLOCK_SIZE_M: tl.constexpr, BLOCK_SIZE_N: tl.constexpr,
                     BLOCK_SIZE_K: tl.constexpr, GROUP_SIZE_M: tl.constexpr):
    pid = tl.program_id(axis=0)
    num_pid_m = tl.cdiv(max_padded, BLOCK_SIZE_M)
    num_pid_n = tl.cdiv(N, BLOCK_SIZE_N)
    in_group = GROUP_SIZE_M * num_pid_n
    first_m = (pid // in_group) * GROUP_SIZE_M
    group_rows = min(num_pid_m - first_m, GROUP_SIZE_M)
    pid_m = first_m + ((pid % in_group) % group_rows)
    pid_n = (pid % in_group) // group_rows

    # Blocks past the padded length of this routing hold no pair.
    if pid_m * BLOCK_SIZE_M >= tl.load(padded_len_ptr):
        return

    rows = pid_m * BLOCK_SIZE_M + tl.arange(0, BLOCK_SIZE_M)
    pair = tl.load(sorted_ids_ptr + rows)          # token * TOPK + slot; num_pairs marks padding
    valid = pair < num_pairs
    token = pair // TOPK
    expert = tl.load(block_expert_ptr + pid_m).to(tl.int64)

    offs_n = (pid_n * BLOCK_SIZE_N + tl.arange(0, BLOCK_SIZE_N)) % N
    offs_k = tl.arange(0, BLOCK_SIZE_K)
    a_ptrs = a_ptr + token[:, None].to(tl.int64) * stride_am + offs_k[None, :] * stride_ak
    w_ptrs = w_ptr + expert * stride_we + offs_k[:, None] * stride_wk + offs_n[None, :] * stride_wn

    acc = tl.zeros((BLOCK_SIZE_M, BLOCK_SIZE_N), dtype=tl.float32)
    for k in range(0, tl.cdiv(K, BLOCK_SIZE_K)):
        k_left = K - k * BLOCK_SIZE_K
        a = tl.load(a_ptrs, mask=valid[:, None] & (offs_k[None, :] < k_left), other=0.0)
        w = tl.load(w_ptrs, mask=offs_k[:, None] < k_left, other=0.0)
        acc = tl.dot(a, w, acc)
        a_ptrs += BLOCK_SIZE_K * stride_ak
        w_ptrs += BLOCK_SIZE_K * stride_wk

    cols = pid_n * BLOCK_SIZE_N + tl.arange(0, BLOCK_SIZE_N)
    out_ptrs = out_ptr + pair[:, None].to(tl.int64) * stride_om + cols[None, :] * stride_on
    tl.store(out_ptrs, acc.to(out_ptr.dtype.element_ty), mask=valid[:, None] & (cols[None, :] < N))


def normalize_problem(problem):
    out = dict(DEFAULT_PROBLEM)
    limits = {"M": 1 << 20, "E": 1024, "N": 1 << 17, "K": 1 << 17, "topk": 64}
    for key, value in problem.items():
        if key not in DEFAULT_PROBLEM:
            raise ValueError(f"problem.{key}: unknown (expected M, E, N, K, topk, dtype)")
        if key == "dtype":
            if value != "fp16":
                raise ValueError(f"problem.dtype: only fp16 is supported, got {value!r}")
        elif isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limits[key]:
            raise ValueError(f"problem.{key}: expected an integer 1..{limits[key]}, got {value!r}")
        out[key] = value
    if out["topk"] > out["E"]:
        raise ValueError(f"problem.topk: {out['topk']} is more than E = {out['E']} experts")
    weights = out["E"] * 2 * out["N"] * out["K"]
    if weights > (6 << 30) or out["M"] * max(out["K"], 2 * out["N"] * out["topk"]) > (2 << 30):
        raise ValueError("problem too large for one GPU (weights of E * 2N * K fp16 values must stay under 12 GiB)")
    return out


def canonical_problem(p):
    """[M, E, N, K, topk, "dtype"]: M first, the batch size vLLM's config files are keyed by."""
    return f"[{p['M']},{p['E']},{p['N']},{p['K']},{p['topk']},\"{p['dtype']}\"]"


class Problem:
    pass


def align(topk_ids, num_experts, block_m):
    """vLLM's moe_align_block_size, in torch: the pair indices sorted by expert with each
    expert's run padded to a multiple of block_m (padding: the pair count), the expert of each
    block, and the padded length (a one-element tensor, read by the kernel)."""
    device = topk_ids.device
    flat = topk_ids.flatten().to(torch.int64)
    pairs = flat.numel()
    max_padded = pairs + num_experts * (block_m - 1)
    counts = torch.bincount(flat, minlength=num_experts)
    padded = (counts + block_m - 1) // block_m * block_m
    starts = torch.cumsum(padded, 0) - padded
    first_of_expert = torch.cumsum(counts, 0) - counts
    order = torch.argsort(flat, stable=True)
    sorted_experts = flat[order]
    rank = torch.arange(pairs, device=device) - first_of_expert[sorted_experts]
    sorted_ids = torch.full((max_padded,), pairs, dtype=torch.int32, device=device)
    sorted_ids[starts[sorted_experts] + rank] = order.to(torch.int32)
    blocks = torch.repeat_interleave(torch.arange(num_experts, device=device), padded // block_m)
    block_expert = torch.zeros((triton.cdiv(max_padded, block_m),), dtype=torch.int32, device=device)
    block_expert[:blocks.numel()] = blocks.to(torch.int32)
    padded_len = padded.sum().reshape(1).to(torch.int32)
    return sorted_ids, block_expert, padded_len


def build(p, device, seed=0):
    torch.manual_seed(seed)
    s = Problem()
    s.M, s.E, s.N, s.K, s.topk = p["M"], p["E"], p["N"], p["K"], p["topk"]
    s.width = 2 * s.N  # gate and up projections side by side, as vLLM's w1
    s.pairs = s.M * s.topk
    s.a = torch.randn((s.M, s.K), device=device, dtype=torch.float16)
    s.w = torch.randn((s.E, s.width, s.K), device=device, dtype=torch.float16)
    s.out = torch.empty((s.pairs, s.width), device=device, dtype=torch.float16)
    s.aligned = {}
    if device.type == "meta":
        # Compile-only state (the worker's compile-ahead processes): shapes and dtypes, no routing.
        s.topk_ids = torch.empty((s.M, s.topk), device=device, dtype=torch.int32)
        for bm in BLOCK_M_VALUES:
            max_padded = s.pairs + s.E * (bm - 1)
            s.aligned[bm] = (torch.empty((max_padded,), device=device, dtype=torch.int32),
                             torch.empty((triton.cdiv(max_padded, bm),), device=device, dtype=torch.int32),
                             torch.empty((1,), device=device, dtype=torch.int32))
    else:
        # Random router logits; each token's topk experts are distinct.
        logits = torch.randn((s.M, s.E), device=device)
        s.topk_ids = torch.topk(logits, s.topk, dim=-1).indices.to(torch.int32)
        for bm in BLOCK_M_VALUES:
            s.aligned[bm] = align(s.topk_ids, s.E, bm)
    s.flops = 2.0 * s.pairs * s.width * s.K
    return s



def refresh(s, seed):
    """Fresh activations and expert weights in place, from the distribution of build() (see
    matmul.py). The routing stays that of the load, so that every configuration is timed on the
    same token-to-expert assignment."""
    g = torch.Generator(device=s.a.device)
    g.manual_seed(seed)
    s.a.normal_(0.0, 1.0, generator=g)
    s.w.normal_(0.0, 1.0, generator=g)


def reference(s):
    """fp32 products of the fp16 inputs, expert by expert (no TF32)."""
    saved = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = False
    try:
        ref = torch.empty((s.pairs, s.width), device=s.a.device, dtype=torch.float32)
        flat = s.topk_ids.flatten().to(torch.int64)
        for e in range(s.E):
            pairs = (flat == e).nonzero().flatten()
            if pairs.numel():
                ref[pairs] = s.a[pairs // s.topk].float() @ s.w[e].float().t()
        return ref
    finally:
        torch.backends.cuda.matmul.allow_tf32 = saved


def launch(s, config, warmup=False):
    """One launch (see matmul.py; warmup=True only compiles)."""
    bm, bn = config["BLOCK_SIZE_M"], config["BLOCK_SIZE_N"]
    sorted_ids, block_expert, padded_len = s.aligned[bm]
    max_padded = sorted_ids.shape[0]
    grid = (triton.cdiv(max_padded, bm) * triton.cdiv(s.width, bn),)
    args = (s.a, s.w, s.out, sorted_ids, block_expert, padded_len,
            s.width, s.K, max_padded, s.pairs,
            s.a.stride(0), s.a.stride(1), s.w.stride(0), s.w.stride(1), s.w.stride(2),
            s.out.stride(0), s.out.stride(1))
    kwargs = dict(TOPK=s.topk, BLOCK_SIZE_M=bm, BLOCK_SIZE_N=bn, BLOCK_SIZE_K=config["BLOCK_SIZE_K"],
                  GROUP_SIZE_M=config["GROUP_SIZE_M"], num_warps=config["num_warps"],
                  num_stages=config["num_stages"])
    if warmup:
        return fused_moe_kernel.warmup(*args, grid=grid, **kwargs)
    return fused_moe_kernel[grid](*args, **kwargs)


def metrics(s, ms):
    return {"tflops": s.flops / (ms * 1e-3) / 1e12}
