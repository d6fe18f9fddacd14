"""Imported once by the fork server of the Triton worker's compile processes
(compile_ahead.start_server), in parallel with the worker's own start: what every compile
process needs before its first compile and can inherit instead of redoing it. Triton's driver
utilities come first: a C module that the host's compiler builds into Triton's cache when it is
not there yet, which the worker itself then finds there instead of building it on its way to
the first measurement. This must not touch CUDA: a process forked after CUDA is initialised
cannot use it (loading the utilities' library initialises nothing).
"""

import worker_trace

worker_trace.event("compile server: preloading")
try:
    import triton
    try:
        from triton.backends.nvidia.driver import CudaUtils
        CudaUtils()
        worker_trace.event("compile server: triton driver utilities in the cache")
    except Exception as e:  # another backend, another Triton: the worker builds them itself
        worker_trace.event(f"compile server: no driver utilities: {type(e).__name__}: {e}")
    try:
        from triton.runtime.cache import triton_key
    except ImportError:
        from triton.compiler.compiler import triton_key
    triton_key()  # a hash of Triton's sources and libtriton: the same in every compile process
    worker_trace.event("compile server: triton key computed")
    import torch  # noqa: F401
    worker_trace.event("compile server: torch imported")
    # What is here now stays untouched by the collector in every forked process: a collection
    # would otherwise write to every object's header, copying the server's memory page by
    # page into each of them.
    import gc
    gc.collect()
    gc.freeze()
except Exception as e:  # the compile processes import what is missing themselves (and say why)
    worker_trace.event(f"compile server: preload stopped: {type(e).__name__}: {e}")
