"""Compile-ahead processes of the Triton worker (docs/worker-protocol.md, `prepare`).

The worker answers `prepare` at once and hands the configurations to a pool of processes (one
per host core) started with the spawn method: each imports the kernel module, builds the
problem on torch's meta device (shapes and dtypes, no memory, no GPU work) and compiles a
configuration with the JIT function's warmup(), which writes Triton's on-disk cache and launches
nothing. The main process, which owns the GPU, then finds the compiled kernel in the cache when
it evaluates that configuration: the cache directory (TRITON_CACHE_DIR, default ~/.triton/cache)
is shared by every process of the user, and the cache key depends only on the source, the
configuration, the integer arguments and the pointers' alignment, which are the same here.

A kernel whose state cannot be built on the meta device is built on the GPU instead (once per
process). Nothing here writes to stdout: a spawned process inherits the worker's stderr as
its stdout (the worker points fd 1 at stderr before it starts any process).
"""

import importlib.util
import os
import sys
import time
import traceback

import worker_trace

_module = None
_problem = None
_device = None
_meta_state = None
_gpu_state = None


def init(kernel_path, module_name, problem, device_index, ready):
    """Pool initializer: runs once in each compile process; sets `ready` (a multiprocessing
    Event) when this process can compile."""
    global _module, _problem, _device, _meta_state
    worker_trace.event("compile process: init")
    try:
        os.nice(5)  # the worker's main process times kernels; it goes first
    except OSError:
        pass
    import torch
    worker_trace.event("compile process: torch imported")
    spec = importlib.util.spec_from_file_location(module_name, kernel_path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # triton reads the source of jit functions through it
    spec.loader.exec_module(module)
    _module, _problem = module, problem
    torch.cuda.set_device(device_index)
    _device = torch.device("cuda", device_index)
    worker_trace.event("compile process: device set")
    try:
        _meta_state = module.build(problem, torch.device("meta"))
    except Exception:
        _meta_state = None
    ready.set()
    worker_trace.event("compile process: ready")


def compile_config(config):
    """Compiles one configuration into Triton's cache: (ok, milliseconds, error text or None, on meta)."""
    worker_trace.event("compile process: compiling")
    result = _compile(config)
    worker_trace.event(f"compile process: compiled ok={result[0]} {result[1]:.0f} ms")
    return result


def _compile(config):
    global _meta_state, _gpu_state
    t0 = time.perf_counter()
    if _meta_state is not None:
        try:
            _module.launch(_meta_state, config, warmup=True)
            return True, (time.perf_counter() - t0) * 1000.0, None, True
        except Exception as e:
            if type(e).__module__.startswith("triton"):
                return False, (time.perf_counter() - t0) * 1000.0, first_line(e), True
            # Not the compiler's complaint: this Triton wants real tensors; the GPU state is the fallback.
            _meta_state = None
    try:
        if _gpu_state is None:
            _gpu_state = _module.build(_problem, _device)
        t0 = time.perf_counter()
        _module.launch(_gpu_state, config, warmup=True)
        return True, (time.perf_counter() - t0) * 1000.0, None, False
    except Exception as e:
        # A configuration that does not compile is reported by the main process, which will
        # try it itself; this is only for its log.
        return False, (time.perf_counter() - t0) * 1000.0, first_line(e), False


def first_line(e):
    text = f"{type(e).__name__}: {e}".strip().splitlines()
    return (text[0] if text else traceback.format_exc(limit=1))[:300]
