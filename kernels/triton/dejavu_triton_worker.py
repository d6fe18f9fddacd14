#!/usr/bin/env python3
"""Deja Vu Studio worker for Triton kernels (protocol v1, docs/worker-protocol.md).

JSON lines: requests on stdin, answers on stdout (protocol lines only; everything else, ours or
any library's, goes to stderr). Kernels live in kernels/<name>.py next to this file.

    python3 dejavu_triton_worker.py [--kernel matmul] [--problem '{"M":4096,"N":4096,"K":4096}']

--kernel and --problem are defaults: a `load` request's kernel replaces --kernel, and its
problem fields override those of --problem (which override the kernel's own defaults).
"""

import os
import sys
import time

_STARTED = time.time()  # the trace's first event (worker_trace.py)

# Keep the real stdout for protocol lines and point fd 1 (C libraries, ptxas, print()) at
# stderr, before anything else can write to it.
_PROTO = os.fdopen(os.dup(1), "w", encoding="utf-8", newline="\n")
os.dup2(2, 1)
sys.stdout = sys.stderr

import argparse  # noqa: E402
import hashlib  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import multiprocessing  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import traceback  # noqa: E402

import compile_ahead  # noqa: E402  (next to this file)
from compile_pool import CompilePool  # noqa: E402  (next to this file)
# What the exporters need about a deployment of a kernel (Triton's cache keys, triton-dejavu's
# folder values), sent as loaded.extra.deployment.
import deployment  # noqa: E402  (next to this file)
import worker_trace  # noqa: E402  (next to this file)

# 0.2.0: graph timing, compile-ahead (prepare), "verified" in every ok measurement.
WORKER_VERSION = "0.2.0"
PROTOCOL = 1
KERNEL_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kernels")
FLUSH_BYTES = 256 * 1024 * 1024
MAX_ERROR_CHARS = 4000

torch = None
triton = None


def log(text):
    sys.stderr.write("dejavu-triton-worker: " + str(text) + "\n")
    sys.stderr.flush()


def send(message):
    # allow_nan=False: NaN/Infinity are not JSON and the engine would call the line garbage.
    _PROTO.write(json.dumps(message, separators=(",", ":"), allow_nan=False) + "\n")
    _PROTO.flush()


class RequestError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def clip(text):
    text = str(text).strip()
    if len(text) > MAX_ERROR_CHARS:
        text = text[:MAX_ERROR_CHARS // 2] + "\n...\n" + text[-MAX_ERROR_CHARS // 2:]
    return text or "(no message)"


def describe(exc):
    return clip(f"{type(exc).__name__}: {exc}")


def quantile(samples, q):
    """Linear interpolation between closest ranks (numpy's default, as the engine computes it)."""
    s = sorted(samples)
    pos = min(max(q, 0.0), 1.0) * (len(s) - 1)
    lo = int(math.floor(pos))
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def field(obj, where, key, check, kind, required=True, default=None):
    if key not in obj or obj[key] is None:
        if required:
            raise RequestError("bad_request", f"{where}: missing field '{key}'")
        return default
    value = obj[key]
    if not check(value):
        raise RequestError("bad_request", f"{where}.{key}: expected {kind}, got {json.dumps(value)}")
    return value


# ---------------------------------------------------------------------------------------------
# Device facts

def driver_version():
    try:
        import pynvml
        pynvml.nvmlInit()
        v = pynvml.nvmlSystemGetDriverVersion()
        return v.decode() if isinstance(v, bytes) else str(v)
    except Exception:
        pass
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20)
        lines = [l.strip() for l in out.stdout.splitlines() if l.strip()]
        if out.returncode == 0 and lines:
            return lines[0]
    except Exception:
        pass
    return None


def hello_message():
    devices = []
    for i in range(torch.cuda.device_count()):
        p = torch.cuda.get_device_properties(i)
        extra = {}
        for attr, key in (("L2_cache_size", "l2_bytes"), ("uuid", "uuid"),
                          ("pci_bus_id", "pci_bus_id"), ("pci_device_id", "pci_device_id"),
                          ("pci_domain_id", "pci_domain_id")):
            try:
                v = getattr(p, attr)
                extra[key] = v if is_int(v) else str(v)
            except Exception:
                pass
        devices.append({"index": i, "name": str(p.name), "arch": f"sm_{p.major}{p.minor}",
                        "multiprocessors": int(p.multi_processor_count),
                        "memory_bytes": int(p.total_memory), "extra": extra})
    versions = {"worker": WORKER_VERSION, "python": platform.python_version(),
                "torch": str(torch.__version__),
                "triton": str(triton.__version__)}
    if torch.version.cuda:
        versions["cuda"] = str(torch.version.cuda)
    drv = driver_version()
    if drv:
        versions["driver"] = drv
    return {"type": "hello", "protocol": PROTOCOL, "backend": "triton", "pid": os.getpid(),
            "devices": devices, "versions": versions, "capabilities": ["prepare"]}


class GpuState:
    """SM clock and temperature through NVML, when pynvml is there; otherwise nothing."""

    def __init__(self, device_index):
        self.handle = None
        self.nvml = None
        try:
            import pynvml
            pynvml.nvmlInit()
            p = torch.cuda.get_device_properties(device_index)
            try:
                bus = f"{p.pci_domain_id:08x}:{p.pci_bus_id:02x}:{p.pci_device_id:02x}.0"
                self.handle = pynvml.nvmlDeviceGetHandleByPciBusId(bus)
            except Exception:
                if not os.environ.get("CUDA_VISIBLE_DEVICES"):
                    self.handle = pynvml.nvmlDeviceGetHandleByIndex(device_index)
            self.nvml = pynvml
        except Exception as e:
            log(f"no NVML (clock and temperature are not reported): {describe(e)}")

    def read(self):
        out = {}
        if self.handle is None:
            return out
        try:
            out["clock_mhz"] = float(self.nvml.nvmlDeviceGetClockInfo(self.handle, self.nvml.NVML_CLOCK_SM))
        except Exception:
            pass
        try:
            out["temperature_c"] = float(self.nvml.nvmlDeviceGetTemperature(self.handle, self.nvml.NVML_TEMPERATURE_GPU))
        except Exception:
            pass
        return out


# ---------------------------------------------------------------------------------------------
# Kernels

def available_kernels():
    try:
        return sorted(f[:-3] for f in os.listdir(KERNEL_DIR) if f.endswith(".py") and not f.startswith("_"))
    except OSError:
        return []


def import_kernel(name):
    known = available_kernels()
    if name not in known:
        raise RequestError("unknown_kernel", f"unknown kernel '{name}' (this worker has: {', '.join(known) or 'none'})")
    path = os.path.join(KERNEL_DIR, name + ".py")
    with open(path, "rb") as f:
        source = f.read()
    module_name = "dejavu_triton_kernel_" + name
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # triton reads the source of jit functions through it
    try:
        spec.loader.exec_module(module)
    except Exception as e:
        sys.modules.pop(module_name, None)
        log(traceback.format_exc())
        raise RequestError("internal", f"cannot import kernel module {path}: {describe(e)}")
    identity = f"{name}.py@{hashlib.sha256(source).hexdigest()[:16]}"
    return module, identity, path, module_name


def in_space(space, config):
    """(why config is not in the space or None, the config with the space's own values);
    constraints are left to the engine, which checks them before asking."""
    names = [p["name"] for p in space["parameters"]]
    clean = {}
    for p in space["parameters"]:
        if p["name"] not in config:
            return f"missing parameter {p['name']}", None
        v = config[p["name"]]
        values = p.get("values")
        if values is None:
            r = p["range"]
            step = r.get("step", 1)
            values = []
            x = r["start"]
            while x <= r["stop"]:
                values.append(x)
                x += step
        match = [w for w in values if type(w) is type(v) and w == v or is_number(v) and is_number(w) and w == v]
        if not match or isinstance(v, bool) != isinstance(match[0], bool):
            return f"value {json.dumps(v)} of {p['name']} is not in the space", None
        clean[p["name"]] = match[0]  # 128.0 -> 128: triton must see the integer
    for key in config:
        if key not in names:
            return f"unknown parameter {key}", None
    return None, clean


# ---------------------------------------------------------------------------------------------
# The triton error types that mean "this configuration does not compile"

def compile_error_types():
    types = []
    for mod, attr in (("triton.errors", "TritonError"), ("triton.runtime.errors", "OutOfResources"),
                      ("triton.runtime.errors", "PTXASError"), ("triton.compiler.errors", "CompilationError"),
                      ("triton.compiler", "CompilationError")):
        try:
            m = __import__(mod, fromlist=[attr])
            t = getattr(m, attr)
            if isinstance(t, type):
                types.append(t)
        except Exception:
            pass
    return tuple(types)


CUDA_RUNTIME_MARKERS = ("CUDA error", "CUDA_ERROR", "cudaError", "illegal memory access", "misaligned address",
                        "unspecified launch failure", "illegal instruction", "device-side assert",
                        "out of memory")


def warm_triton():
    """Triton's host-side start, done in a thread while the main thread imports torch and
    initialises CUDA, rather than inside the first compile: its key (a hash of its sources and
    of the 400 MB libtriton, part of every cache key; file reads and hashing mostly run without
    the GIL) and its driver (whose C utilities the fork server has usually built into the cache
    by then). Both are cached for the process; a failure here is only logged (the first compile
    meets it again and reports it)."""
    try:
        import triton as _triton
        try:
            from triton.runtime.cache import triton_key
        except ImportError:
            from triton.compiler.compiler import triton_key
        triton_key()
        worker_trace.event("warm-up: triton key computed")
        _triton.runtime.driver.active.get_current_target()
        worker_trace.event("warm-up: triton driver ready")
    except Exception as e:
        log(f"warming Triton up: {describe(e)}")


class Worker:
    def __init__(self, default_kernel, default_problem, mp_context=None, warm_up=None):
        self.default_kernel = default_kernel
        self.default_problem = default_problem
        self.module = None
        self.state = None
        self.ref = None
        self.device = None
        self.device_index = 0
        self.flush_buffer = None
        self.gpu_state = None
        self.compile_errors = compile_error_types()
        self.context_lost = False
        self.kernel_name = None
        self.problem = None
        self.kernel_path = None
        self.module_name = None
        self.pool = None
        # Where compile processes come from (compile_ahead.start_server); spawn without one.
        self.mp_context = mp_context or multiprocessing.get_context("spawn")
        self.warm_up = warm_up  # the thread running warm_triton(), joined before Triton is used here
        self.ahead = {}  # config key -> (future or None: compiled here, time submitted)
        self.graph_launches = 0
        self.input_draws = 0  # fresh input sets drawn since load (the seed of the next one)

    # -- requests ------------------------------------------------------------------------------

    def handle(self, line):
        """Answers one request line; False after shutdown."""
        req_id = None
        try:
            try:
                request = json.loads(line)
            except ValueError as e:
                raise RequestError("bad_request", f"not JSON ({e}): {line[:80]!r}")
            if not isinstance(request, dict):
                raise RequestError("bad_request", f"not a JSON object: {line[:80]!r}")
            if is_int(request.get("id")) and request["id"] >= 1:
                req_id = request["id"]
            rtype = field(request, "request", "type", lambda v: isinstance(v, str), "a string")
            field(request, rtype, "id", lambda v: is_int(v) and v >= 1, "an integer >= 1")
            if rtype == "load":
                send(self.load(request))
                worker_trace.event("load: answered")
            elif rtype == "evaluate":
                self.evaluate(request)
            elif rtype == "prepare":
                worker_trace.event("prepare: received")
                send(self.prepare(request))
                worker_trace.event("prepare: answered")
            elif rtype == "shutdown":
                send({"type": "bye", "id": req_id})
                return False
            else:
                raise RequestError("unsupported", f"unknown request type '{rtype}'")
        except RequestError as e:
            send({"type": "error", "id": req_id, "code": e.code, "message": clip(e)})
        except Exception as e:  # a bug of ours: say so and stay usable
            log(traceback.format_exc())
            send({"type": "error", "id": req_id, "code": "internal", "message": describe(e)})
        return True

    def load(self, request):
        kernel = field(request, "load", "kernel", lambda v: isinstance(v, str), "a string",
                       required=False, default=None) or self.default_kernel
        problem = field(request, "load", "problem", lambda v: isinstance(v, dict), "an object")
        device = field(request, "load", "device", lambda v: is_int(v) and v >= 0, "an integer >= 0",
                       required=False, default=0)
        if device >= torch.cuda.device_count():
            raise RequestError("bad_request", f"load.device: no device {device} (this worker sees {torch.cuda.device_count()})")
        worker_trace.event("load: received")
        module, identity, path, module_name = import_kernel(kernel)
        merged = dict(self.default_problem if kernel == self.default_kernel else {})
        merged.update(problem)
        try:
            normalized = module.normalize_problem(merged)
        except ValueError as e:
            raise RequestError("bad_problem", clip(e))

        # Drop the previous kernel's buffers (and compile processes) before building the next ones.
        self.module = self.state = self.ref = None
        self.stop_pool()
        torch.cuda.set_device(device)
        self.device_index = device
        self.device = torch.device("cuda", device)
        torch.cuda.empty_cache()
        try:
            state = module.build(normalized, self.device)
            ref = module.reference(state) if hasattr(module, "reference") else None
            torch.cuda.synchronize(self.device)
            worker_trace.event("load: problem and reference built")
        except Exception as e:
            log(traceback.format_exc())
            raise RequestError("internal", f"cannot build problem {module.canonical_problem(normalized)}: {describe(e)}")
        if self.flush_buffer is None:
            self.flush_buffer = torch.empty(FLUSH_BYTES // 4, dtype=torch.int32, device=self.device)
        if self.gpu_state is None:
            self.gpu_state = GpuState(device)
        self.module, self.state, self.ref = module, state, ref
        self.warm_verification()
        self.input_draws = 0
        self.kernel_name = kernel
        self.problem = normalized
        self.kernel_path, self.module_name = path, module_name
        log(f"loaded {kernel} {module.canonical_problem(normalized)} ({identity}) on {torch.cuda.get_device_name(device)}")
        answer = {"type": "loaded", "id": request["id"], "kernel": kernel,
                  "problem": module.canonical_problem(normalized), "identity": identity, "space": module.SPACE}
        worker_trace.event("load: flush buffer and NVML ready")
        self.join_warm_up()
        extra = self.deployment_extra(module, normalized)
        if extra:
            answer["extra"] = extra
        worker_trace.event("load: deployment values ready")
        return answer

    def warm_verification(self):
        """Runs the verification once on a zeroed output, whatever it finds, so that CUDA loads
        its kernels (lazily, at first use) now, while the warm-up thread still hashes Triton,
        rather than in the first evaluation. Evaluations poison the output before each launch."""
        if self.ref is None:
            return
        try:
            self.state.out.zero_()
            self.verify()
            torch.cuda.synchronize(self.device)
        except Exception as e:
            log(f"warming the verification up: {describe(e)}")

    def join_warm_up(self):
        if self.warm_up is not None:
            self.warm_up.join()
            self.warm_up = None

    def deployment_extra(self, module, problem):
        """loaded.extra: what deployment.py says the exporters need, or why it could not (a
        kernel without a deployment form, ...); tuning goes on either way."""
        try:
            return {"deployment": deployment.deployment_values(module, problem)}
        except Exception as e:
            log(f"deployment values of {module.NAME}: {describe(e)}")
            return {"deployment_error": describe(e)}

    # -- compile ahead ---------------------------------------------------------------------------

    def prepare(self, request):
        """Queues the configurations for the compile processes and answers at once. The first
        new one is the engine's next evaluation (the protocol sends them in order): this process
        compiles it itself when it comes, as fast as a compile process and without waiting for
        one to start."""
        configs = field(request, "prepare", "configs", lambda v: isinstance(v, list), "an array")
        if self.module is None:
            raise RequestError("not_loaded", "prepare before load")
        queued = 0
        for i, config in enumerate(configs):
            if not isinstance(config, dict):
                raise RequestError("bad_request", f"prepare.configs[{i}]: expected an object, got {json.dumps(config)}")
            why, clean = in_space(self.module.SPACE, config)
            if why:
                continue  # the evaluation will say so
            key = json.dumps(clean, sort_keys=True)
            if key in self.ahead:
                continue
            if queued == 0:
                self.ahead[key] = (None, time.monotonic())
                queued += 1
                continue
            self.ahead[key] = (self.compile_pool().submit(clean), time.monotonic())
            queued += 1
        return {"type": "prepared", "id": request["id"], "queued": queued}

    def compile_pool(self):
        if self.pool is None:
            try:
                cores = len(os.sched_getaffinity(0))
            except AttributeError:
                cores = os.cpu_count() or 1
            size = int(os.environ.get("DEJAVU_COMPILE_PROCESSES", "0") or 0) or cores
            # Never a plain fork: this process has a CUDA context, which a forked child must not
            # inherit (the fork server has none).
            self.pool = CompilePool(self.mp_context, size, compile_ahead.init,
                                    (self.kernel_path, self.module_name, self.problem, self.device_index),
                                    compile_ahead.compile_config)
            log(f"compile-ahead pool of {size} processes for {self.kernel_name}")
        return self.pool

    def stop_pool(self):
        self.ahead = {}
        if self.pool is None:
            return
        pool, self.pool = self.pool, None
        pool.stop()

    def await_ahead(self, config, deadline):
        """Before the main process compiles `config`: waits for its compile process, if one has
        it, so that the main process loads it from Triton's cache. What happened goes into the
        measurement's extra."""
        key = json.dumps(config, sort_keys=True)
        entry = self.ahead.pop(key, None)
        if entry is None:
            return {}
        future, submitted = entry
        if future is None:  # the first of a prepare: compiled here
            return {"compiled_ahead": False}
        if future.cancel():  # not started yet: compiling here is as fast
            return {"compiled_ahead": False}
        if not future.done() and not self.pool.ready.is_set():
            # The processes are still starting (importing torch): compiling here is faster.
            return {"compiled_ahead": False, "ahead_pool_starting": True}
        t0 = time.monotonic()
        try:
            ok, ms, error, on_meta = future.result(timeout=max(0.0, min(deadline, t0 + 600) - t0))
        except Exception as e:
            log(f"compile ahead of {key}: {describe(e)}")
            return {"compiled_ahead": False}
        extra = {"compiled_ahead": bool(ok), "ahead_compile_ms": ms,
                 "ahead_wait_ms": (time.monotonic() - t0) * 1000.0, "ahead_on_meta": bool(on_meta)}
        worker_trace.event(f"evaluate: waited {extra['ahead_wait_ms']:.0f} ms for the compile process")
        if not ok:
            extra["ahead_error"] = error
            log(f"compile ahead of {key} failed: {error}")
        return extra

    def evaluate(self, request):
        started = time.monotonic()
        worker_trace.event("evaluate: received")
        req_id = request["id"]
        config = field(request, "evaluate", "config", lambda v: isinstance(v, dict), "an object")
        opts = field(request, "evaluate", "options", lambda v: isinstance(v, dict), "an object")
        w = "evaluate.options"
        warmup = field(opts, w, "warmup", lambda v: is_int(v) and v >= 0, "an integer >= 0")
        repetitions = field(opts, w, "repetitions", lambda v: is_int(v) and v >= 1, "an integer >= 1")
        min_time_ms = field(opts, w, "min_time_ms", lambda v: is_number(v) and v >= 0, "a number >= 0")
        max_repetitions = field(opts, w, "max_repetitions", lambda v: is_int(v) and v >= 1, "an integer >= 1")
        flush_l2 = field(opts, w, "flush_l2", lambda v: isinstance(v, bool), "true or false")
        timeout_ms = field(opts, w, "timeout_ms", lambda v: is_number(v) and v >= 0, "a number >= 0")
        graph = field(opts, w, "graph", lambda v: isinstance(v, bool), "true or false", required=False, default=False)
        max_repetitions = max(max_repetitions, repetitions)
        if self.module is None:
            raise RequestError("not_loaded", "evaluate before load")
        # Leave a margin for answering before the engine's hard limit.
        deadline = started + 0.8 * timeout_ms / 1000.0 if timeout_ms > 0 else float("inf")
        self.context_lost = False
        answer = self.measure(req_id, config, warmup, repetitions, min_time_ms, max_repetitions, flush_l2, graph, deadline)
        if self.context_lost:
            # Every later launch would fail too. Exit without answering: the engine then records
            # this configuration as crashed, with the error above in the worker's last words, and
            # starts a fresh worker for the next one. (Answering first would race with the exit
            # and could pin the crash on the next configuration.)
            log("the CUDA context is lost after " + answer.get("error", "") + "; exiting")
            self.stop_pool()
            sys.stderr.flush()
            os._exit(3)
        send(answer)
        worker_trace.event(f"evaluate: answered {answer.get('status')}")

    # -- one configuration -----------------------------------------------------------------------

    def classify(self, exc, phase):
        """compile_error or runtime_error for an exception raised while compiling or running."""
        if self.compile_errors and isinstance(exc, self.compile_errors):
            return "compile_error"
        text = f"{type(exc).__name__}: {exc}"
        if phase == "compile" and not any(m in text for m in CUDA_RUNTIME_MARKERS):
            return "compile_error"
        return "runtime_error"

    def context_alive(self):
        try:
            torch.cuda.synchronize(self.device)
            probe = torch.ones(16, device=self.device).sum().item()
            return probe == 16.0
        except Exception:
            return False

    def failure(self, req_id, status, error, compile_ms=None, extra=None):
        m = {"type": "measurement", "id": req_id, "status": status, "samples_ms": [], "error": clip(error)}
        if compile_ms is not None and math.isfinite(compile_ms) and compile_ms >= 0:
            m["compile_ms"] = compile_ms
        if extra:
            m["extra"] = extra
        return m

    def measure(self, req_id, config, warmup, repetitions, min_time_ms, max_repetitions, flush_l2, graph, deadline):
        module, state = self.module, self.state
        why, config = in_space(module.SPACE, config)
        if why:
            return self.failure(req_id, "invalid", why)
        log(f"evaluating {json.dumps(config, sort_keys=True)}")
        run = lambda: module.launch(state, config)  # noqa: E731
        ahead = self.await_ahead(config, deadline)
        worker_trace.event(f"evaluate: ahead {json.dumps(ahead, sort_keys=True)}")

        # 0. fresh random inputs for this evaluation (never the same set twice, never zeros),
        # drawn in place so that buffers, strides and alignment stay those of the load, and the
        # reference recomputed for them. Kernels whose module has no refresh() keep the inputs of
        # the load; their measurements say so (extra.fresh_inputs = false).
        fresh = self.ref is not None and hasattr(module, "refresh")
        if fresh:
            try:
                self.input_draws += 1
                module.refresh(state, self.input_draws)
                self.ref = module.reference(state)
                torch.cuda.synchronize(self.device)
            except Exception as e:
                log(traceback.format_exc())
                return self.fail_and_maybe_exit(req_id, "runtime_error",
                                                f"drawing fresh inputs failed: {describe(e)}", None)

        # 1. compile: the first launch, into an output poisoned with NaN.
        phase = "compile"
        compile_ms = None
        compiled = None
        try:
            state.out.fill_(float("nan"))
            torch.cuda.synchronize(self.device)
            t0 = time.perf_counter()
            compiled = run()
            compile_ms = (time.perf_counter() - t0) * 1000.0
            phase = "run"
            torch.cuda.synchronize(self.device)
            worker_trace.event(f"evaluate: first launch done (compile_ms {compile_ms:.0f})")
        except Exception as e:
            status = self.classify(e, phase)
            log(f"{status}: {describe(e)}")
            return self.fail_and_maybe_exit(req_id, status, describe(e), compile_ms)

        info = self.kernel_info(compiled)
        info["extra"].update(ahead)
        # 2. verify (a kernel module without a reference cannot be checked: its results say so).
        verified = self.ref is not None
        try:
            ok, message = self.verify() if verified else (True, "")
        except Exception as e:
            log(traceback.format_exc())
            return self.fail_and_maybe_exit(req_id, "runtime_error", f"verification failed: {describe(e)}", compile_ms)
        if not ok:
            log(f"wrong_result: {message}")
            return self.failure(req_id, "wrong_result", message, compile_ms, info.get("extra"))
        if time.monotonic() > deadline:
            return self.failure(req_id, "timeout", "compiling and checking took the whole trial time", compile_ms)
        worker_trace.event("evaluate: verified")

        # 3. time.
        try:
            timer = self.time_graph if graph else self.time_it
            samples = timer(run, warmup, repetitions, min_time_ms, max_repetitions, flush_l2, deadline)
        except Exception as e:
            log(traceback.format_exc())
            return self.fail_and_maybe_exit(req_id, "runtime_error", describe(e), compile_ms)
        gpu = self.gpu_state.read() if self.gpu_state else {}
        worker_trace.event(f"evaluate: timed ({len(samples)} runs)")
        if not samples:
            return self.failure(req_id, "timeout", "no timed run fitted in the trial time", compile_ms)
        objective = quantile(samples, 0.5)
        if not (objective > 0 and all(math.isfinite(s) for s in samples)):
            return self.failure(req_id, "runtime_error", f"implausible times from CUDA events: median {objective} ms", compile_ms)
        m = {"type": "measurement", "id": req_id, "status": "ok", "samples_ms": samples,
             "objective_ms": objective,
             "p20_ms": min(quantile(samples, 0.2), objective),
             "p80_ms": max(quantile(samples, 0.8), objective)}
        if compile_ms is not None:
            m["compile_ms"] = compile_ms
        for key in ("registers", "shared_memory_bytes"):
            if key in info:
                m[key] = info[key]
        m.update(gpu)
        extra = dict(info.get("extra", {}))
        extra["verified"] = verified
        extra["fresh_inputs"] = fresh
        if graph:
            extra["graph_launches"] = self.graph_launches
        try:
            extra.update({k: float(v) for k, v in module.metrics(state, objective).items()})
        except Exception:
            pass
        extra = {k: v for k, v in extra.items() if not (isinstance(v, float) and not math.isfinite(v))}
        if extra:
            m["extra"] = extra
        log(f"ok: median {objective:.4f} ms over {len(samples)} runs")
        return m

    def fail_and_maybe_exit(self, req_id, status, error, compile_ms):
        """The failure answer; marks a poisoned CUDA context (illegal address, ...), after
        which evaluate() exits instead of answering."""
        if not self.context_alive():
            self.context_lost = True
        return self.failure(req_id, status, error, compile_ms)

    def kernel_info(self, compiled):
        info = {"extra": {}}
        if compiled is None:
            return info
        try:
            n_regs = getattr(compiled, "n_regs", None)
            if is_int(n_regs) and n_regs >= 0:
                info["registers"] = n_regs
        except Exception:
            pass
        try:
            shared = getattr(getattr(compiled, "metadata", None), "shared", None)
            if is_int(shared) and shared >= 0:
                info["shared_memory_bytes"] = shared
        except Exception:
            pass
        try:
            spills = getattr(compiled, "n_spills", None)
            if is_int(spills) and spills >= 0:
                info["extra"]["spills"] = spills
        except Exception:
            pass
        return info

    def verify(self):
        out = self.state.out.float()
        ref = self.ref
        if out.shape != ref.shape:
            return False, f"output shape {tuple(out.shape)} differs from the reference {tuple(ref.shape)}"
        finite = torch.isfinite(out)
        n_bad_finite = int((~finite).sum().item())
        if n_bad_finite:
            first = int((~finite).flatten().nonzero()[0].item())
            return False, (f"{n_bad_finite} of {out.numel()} outputs are NaN or infinite (first at flat index {first}; "
                           "the output was poisoned with NaN, so these were probably never written)")
        atol, rtol = self.module.ATOL, self.module.RTOL
        err = (out - ref).abs()
        over = err > atol + rtol * ref.abs()
        n_over = int(over.sum().item())
        if n_over:
            flat = int(torch.argmax(err).item())
            return False, (f"{n_over} of {out.numel()} outputs differ from the reference; max abs error "
                           f"{err.flatten()[flat].item():.6g} at flat index {flat} (got {out.flatten()[flat].item():.6g}, "
                           f"expected {ref.flatten()[flat].item():.6g}; tolerance atol {atol} + rtol {rtol} * |expected|)")
        return True, ""

    def time_graph(self, run, warmup, repetitions, min_time_ms, max_repetitions, flush_l2, deadline):
        """CUDA-graph timing for launch-bound kernels: G launches are captured in one graph and
        each sample is the time of one replay divided by G, so the CPU's launch cost is not in
        it. With flush_l2 the L2 is flushed before each replay (only the first of its G launches
        then starts cold); hot-cache timing (flush_l2 false) is the usual companion."""
        dev = self.device
        for _ in range(max(warmup, 1)):
            run()
        torch.cuda.synchronize(dev)
        probe = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)) for _ in range(5)]
        for start, end in probe:
            start.record()
            run()
            end.record()
        torch.cuda.synchronize(dev)
        # The fastest probe: a busy host (compile processes starting) only makes probes slower.
        single = min(s.elapsed_time(e) for s, e in probe)
        launches = graph_size(single)
        self.graph_launches = launches
        g = torch.cuda.CUDAGraph()
        side = torch.cuda.Stream(dev)
        side.wait_stream(torch.cuda.current_stream(dev))
        with torch.cuda.stream(side):
            run()  # a launch on the capture stream before capturing, as torch recommends
        torch.cuda.current_stream(dev).wait_stream(side)
        torch.cuda.synchronize(dev)
        with torch.cuda.graph(g):
            for _ in range(launches):
                run()
        g.replay()
        torch.cuda.synchronize(dev)
        samples = []
        while len(samples) < max_repetitions:
            batch = min(max(repetitions - len(samples), 1), max_repetitions - len(samples), 100)
            events = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)) for _ in range(batch)]
            for start, end in events:
                if flush_l2:
                    self.flush_buffer.zero_()
                start.record()
                g.replay()
                end.record()
            torch.cuda.synchronize(dev)
            samples.extend(float(s.elapsed_time(e)) / launches for s, e in events)
            if len(samples) >= repetitions and sum(samples) * launches >= min_time_ms:
                break
            if time.monotonic() > deadline:
                break
        del g
        return samples

    def time_it(self, run, warmup, repetitions, min_time_ms, max_repetitions, flush_l2, deadline):
        """Warm-up, then timed runs (each after an L2 flush when asked) until both `repetitions`
        runs and `min_time_ms` of GPU time are covered, at most `max_repetitions` runs."""
        dev = self.device
        for _ in range(warmup):
            run()
        torch.cuda.synchronize(dev)
        samples = []
        batch = repetitions
        wall_per_run = None
        while batch > 0:
            if wall_per_run is not None and time.monotonic() + batch * wall_per_run > deadline:
                batch = int(max(0.0, deadline - time.monotonic()) / wall_per_run)
                if batch <= 0:
                    break
            events = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)) for _ in range(batch)]
            t0 = time.monotonic()
            for start, end in events:
                if flush_l2:
                    self.flush_buffer.zero_()
                start.record()
                run()
                end.record()
            torch.cuda.synchronize(dev)
            wall_per_run = max((time.monotonic() - t0) / batch, 1e-6)
            samples.extend(float(s.elapsed_time(e)) for s, e in events)
            total = sum(samples)
            if len(samples) >= max_repetitions:
                break
            if len(samples) >= repetitions and total >= min_time_ms:
                break
            mean = total / len(samples)
            need = max(repetitions - len(samples), int(math.ceil((min_time_ms - total) / mean)) if mean > 0 else 1, 1)
            # Large batches keep the GPU busy; small ones let the deadline be watched.
            batch = min(need, max_repetitions - len(samples), 1000)
        return samples


def graph_size(single_ms):
    """Launches per captured graph: enough that a replay lasts about 2 ms (launch overhead
    amortised), at most 1000."""
    return int(min(1000, max(1, math.ceil(2.0 / max(single_ms, 1e-4)))))


def main():
    global torch, triton
    parser = argparse.ArgumentParser(description="Deja Vu Studio Triton worker (protocol v1)")
    parser.add_argument("--kernel", default="matmul", help="default kernel (default: matmul)")
    parser.add_argument("--problem", default="{}", help="default problem as a JSON object")
    args = parser.parse_args()
    try:
        default_problem = json.loads(args.problem)
        if not isinstance(default_problem, dict):
            raise ValueError("not an object")
    except ValueError as e:
        log(f"--problem: expected a JSON object: {e}")
        return 2

    worker_trace.event("worker: started", _STARTED)
    worker_trace.event("worker: own modules imported")
    # The compile processes' server imports torch and Triton while this process does.
    mp_context = compile_ahead.start_server()
    warm_up = threading.Thread(target=warm_triton, name="warm-triton", daemon=True)
    warm_up.start()
    try:
        import torch as _torch
        worker_trace.event("worker: torch imported")
        import triton as _triton
        torch, triton = _torch, _triton
        worker_trace.event("worker: triton imported")
    except Exception as e:
        log(f"cannot import torch and triton: {describe(e)}")
        return 2
    if not torch.cuda.is_available() or torch.cuda.device_count() == 0:
        log("no CUDA device is visible to torch")
        return 2
    send(hello_message())
    worker_trace.event("worker: hello sent")

    worker = Worker(args.kernel, default_problem, mp_context, warm_up)
    stdin = sys.stdin.buffer
    while True:
        raw = stdin.readline()
        if not raw:
            break  # end of input: the engine has gone
        line = raw.decode("utf-8", errors="replace").strip()
        if not line:
            continue
        if not worker.handle(line):
            break
    worker.stop_pool()
    return 0


if __name__ == "__main__":
    code = main()
    _PROTO.flush()
    sys.exit(code)
