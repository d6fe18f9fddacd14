"""Imported once by the fork server of the Triton worker's compile processes
(compile_ahead.start_server): what every compile process needs before its first compile and can
inherit instead of redoing it, done in parallel with the worker's own start. It must not touch
CUDA: a process forked after CUDA is initialised cannot use it.
"""

import worker_trace

worker_trace.event("compile server: preloading")
try:
    import torch  # noqa: F401
    import triton  # noqa: F401
    import triton.compiler  # noqa: F401
    worker_trace.event("compile server: torch and triton imported")
    try:
        from triton.runtime.cache import triton_key
    except ImportError:
        from triton.compiler.compiler import triton_key
    triton_key()  # a hash of Triton's sources and libtriton: the same in every compile process
    worker_trace.event("compile server: triton key computed")
except Exception as e:  # the compile processes import what is missing themselves (and say why)
    worker_trace.event(f"compile server: preload stopped: {type(e).__name__}: {e}")
