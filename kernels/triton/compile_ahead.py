"""Compile-ahead processes of the Triton worker (docs/worker-protocol.md, `prepare`).

The worker answers `prepare` at once and hands the configurations to a pool of processes (one
per host core): each imports the kernel module, builds the problem on torch's meta device
(shapes and dtypes, no memory, no GPU work) and compiles a configuration with the JIT
function's warmup(), which writes Triton's on-disk cache and launches nothing. The main
process, which owns the GPU, then finds the compiled kernel in the cache when it evaluates that
configuration: the cache directory (TRITON_CACHE_DIR, default ~/.triton/cache) is shared by
every process of the user, and the cache key depends only on the source, the configuration, the
integer arguments and the pointers' alignment, which are the same here.

The processes are forked from a fork server (multiprocessing's "forkserver" method) that the
worker starts before it imports torch itself: the server imports torch and Triton and computes
Triton's key once (compile_preload.py), in parallel with the worker's own start, so that each
compile process starts in milliseconds instead of importing torch again. The server never
touches CUDA (a forked process could not use it); a compile process on device 0 answers
Triton's question for the current stream itself (it never launches), so it creates no CUDA
context of its own unless it must build the problem on the GPU.

A kernel whose state cannot be built on the meta device is built on the GPU instead (once per
process). Nothing here writes to stdout: a compile process inherits the worker's stderr as its
stdout (the worker points fd 1 at stderr before it starts any process).
"""

import importlib.util
import multiprocessing
import os
import sys
import time
import traceback

import worker_trace

_module = None
_problem = None
_device_index = 0
_meta_state = None
_gpu_state = None


def start_server(preload=("compile_preload",)):
    """The multiprocessing context the pool's processes come from: a fork server, started now
    (it imports `preload`, torch, while the caller goes on), or spawn where there is no fork
    server."""
    try:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(preload))
        from multiprocessing import forkserver
        # The server finds compile_preload (next to this file) through PYTHONPATH: Python
        # before 3.13 does not give it this process's sys.path, and a missing preload module
        # is skipped silently. (Other preload modules must be on PYTHONPATH already.)
        saved = os.environ.get("PYTHONPATH")
        here = os.path.dirname(os.path.abspath(__file__))
        os.environ["PYTHONPATH"] = here + (os.pathsep + saved if saved else "")
        try:
            forkserver.ensure_running()
        finally:
            if saved is None:
                del os.environ["PYTHONPATH"]
            else:
                os.environ["PYTHONPATH"] = saved
        worker_trace.event("compile server: started")
        return context
    except Exception as e:  # no fork server on this platform, or it cannot start
        sys.stderr.write(f"dejavu-triton-worker: no fork server ({e}); compile processes will be spawned\n")
        return multiprocessing.get_context("spawn")


def _no_stream_for_warmup():
    """Triton asks torch for the current CUDA stream at every call of a JIT function, warmup()
    included, and torch creates a CUDA context (half a GiB of GPU memory, and the driver creates
    them one at a time) to answer. A compile process never launches, so it answers 0 itself;
    should it build its problem on the GPU (below), that creates the context anyway."""
    try:
        from triton.runtime import driver
        active = driver.active
        if hasattr(active, "get_current_stream"):
            active.get_current_stream = lambda *args, **kwargs: 0
    except Exception as e:  # another Triton: the context is created as before
        worker_trace.event(f"compile process: current stream kept: {type(e).__name__}: {e}")


def init(kernel_path, module_name, problem, device_index):
    """Pool initializer: runs once in each compile process (compile_pool.py says when it is
    ready)."""
    global _module, _problem, _device_index, _meta_state
    worker_trace.event("compile process: init")
    try:
        os.nice(5)  # the worker's main process times kernels; it goes first
    except OSError:
        pass
    import torch  # already imported by the fork server
    spec = importlib.util.spec_from_file_location(module_name, kernel_path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # triton reads the source of jit functions through it
    spec.loader.exec_module(module)
    worker_trace.event("compile process: kernel module imported")
    _module, _problem, _device_index = module, problem, device_index
    if device_index != 0:
        # Triton compiles for the current device; choosing another creates a CUDA context
        # (device 0 is the current one without).
        torch.cuda.set_device(device_index)
    _no_stream_for_warmup()
    try:
        _meta_state = module.build(problem, torch.device("meta"))
    except Exception:
        _meta_state = None


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
            import torch
            torch.cuda.set_device(_device_index)
            _gpu_state = _module.build(_problem, torch.device("cuda", _device_index))
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
