#!/usr/bin/env python3
"""What the C++ exporters need to know about the Triton a deployment runs (docs/exports.md).

    python3 kernels/triton/deployment.py --kernel matmul --problem '{"M":4096,"N":4096,"K":4096}' > deploy.json

prints one JSON object: the values triton-dejavu's storage path is made of (`dejavu` part: the
format of DejavuDeployment, dejavu-cache-format.md) and the inputs of Triton's own on-disk
autotune cache (`triton_cache` part: Autotuner.check_disk_cache, Triton >= 3.4). The C++ side
builds every path, hash and file from them; the values that only the running Triton knows
(triton_key(), the backend hash, the JIT function's cache_key, the cache-invalidating environment
variables, str(triton.Config)) are taken from that Triton here, so they match the deployment
byte for byte. `check` holds Triton's own result for the given problem (the key tuple, the
cache directory name and the file name), which the exporter compares its hashing with.

The Triton worker calls deployment_values() and puts the result under loaded.extra.deployment.
The deployment form of each kernel (autotune key, launch) lives in DEPLOYMENTS below; a kernel
module may define its own DEPLOYMENT dict with the same fields.
"""

import base64
import hashlib
import importlib.util
import itertools
import json
import os
import subprocess
import sys

KERNEL_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kernels")

# How a deployment calls each kernel through @triton.autotune: the key arguments (names of the
# JIT function's arguments) and, for each, the problem field that gives its value; the
# positions of those fields in the session's problem text ("[M,N,K]", "[rows,N]").
# rmsnorm has no row-count argument (the row count is the grid), so Triton's autotuner cannot
# tell row counts apart: its key is N alone.
DEPLOYMENTS = {
    "matmul": {"key": ["M", "N", "K"], "problem_fields": ["M", "N", "K"], "problem_positions": [0, 1, 2]},
    "rmsnorm": {"key": ["N"], "problem_fields": ["N"], "problem_positions": [1]},
}


def import_kernel(name):
    """Imports kernels/<name>.py under the module name the worker uses."""
    path = os.path.join(KERNEL_DIR, name + ".py")
    if not os.path.isfile(path):
        raise SystemExit(f"deployment.py: unknown kernel '{name}' (no {path})")
    module_name = "dejavu_triton_kernel_" + name
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def deployment_form(module):
    form = getattr(module, "DEPLOYMENT", None) or DEPLOYMENTS.get(module.NAME)
    if form is None:
        raise ValueError(f"kernel {module.NAME}: no deployment form (add DEPLOYMENT to the module)")
    return form


def jit_function(module):
    """The module's one @triton.jit function."""
    import triton
    fns = [v for v in vars(module).values() if isinstance(v, triton.runtime.jit.JITFunction)]
    if len(fns) != 1:
        raise ValueError(f"kernel {module.NAME}: expected one @triton.jit function, found {len(fns)}")
    return fns[0]


def space_values(param):
    if "values" in param:
        return list(param["values"])
    r = param["range"]
    out, x = [], r["start"]
    while x <= r["stop"]:
        out.append(x)
        x += r.get("step", 1)
    return out


def autotune_configs(module):
    """The deployment's config list: every point of the kernel's SPACE (no constraints), in the
    order of the product of its parameters (last parameter fastest), as triton.Config."""
    import triton
    space = module.SPACE
    if space.get("constraints"):
        raise ValueError(f"kernel {module.NAME}: spaces with constraints have no plain config list")
    launch = {"num_warps", "num_stages", "num_ctas", "maxnreg"}
    names = [p["name"] for p in space["parameters"]]
    configs = []
    for values in itertools.product(*(space_values(p) for p in space["parameters"])):
        point = dict(zip(names, values))
        kwargs = {k: v for k, v in point.items() if k not in launch}
        options = {k: v for k, v in point.items() if k in launch}
        configs.append(triton.Config(kwargs, **options))
    return configs


def autotuned(module, cache_results=True, do_bench=None):
    """The kernel as a deployment wraps it: @triton.autotune over autotune_configs()."""
    import triton
    form = deployment_form(module)
    return triton.autotune(configs=autotune_configs(module), key=list(form["key"]),
                           cache_results=cache_results, do_bench=do_bench)(jit_function(module))


def deployment_args(module, s):
    """Positional arguments and grid of a launch through the autotuner (no meta-parameters)."""
    import triton
    if module.NAME == "matmul":
        args = (s.a, s.b, s.out, s.M, s.N, s.K, s.a.stride(0), s.a.stride(1), s.b.stride(0), s.b.stride(1),
                s.out.stride(0), s.out.stride(1))
        grid = lambda meta: (triton.cdiv(s.M, meta["BLOCK_M"]) * triton.cdiv(s.N, meta["BLOCK_N"]),)  # noqa: E731
        return args, grid
    if module.NAME == "rmsnorm":
        return (s.x, s.w, s.out, s.x.stride(0), s.out.stride(0), s.N, module.EPS), (s.rows,)
    raise ValueError(f"kernel {module.NAME}: no deployment launch")


def tuning_key(jit_fn, form, args):
    """Autotuner.run's key: the key arguments' values, then str(dtype) of every argument that has one."""
    named = dict(zip(jit_fn.arg_names, args))
    key = [named[k] for k in form["key"] if k in named]
    key += [str(v.dtype) for v in named.values() if hasattr(v, "dtype")]
    return tuple(key)


def ptxas_output(triton):
    """`ptxas --version` of the ptxas Triton uses (triton-dejavu derives the CUDA version from it)."""
    candidates = []
    try:
        from triton.backends.nvidia.compiler import get_ptxas
        p = get_ptxas()
        candidates.append(p.path if hasattr(p, "path") else p[0])
    except Exception:
        pass
    candidates.append(os.path.join(os.path.dirname(triton.__file__), "backends", "nvidia", "bin", "ptxas"))
    for path in candidates:
        try:
            out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
            if out.returncode == 0:
                return out.stdout
        except Exception:
            continue
    return None


def triton_cache_values(module, jit_fn, form, configs, key_tuple):
    import triton
    try:
        from triton.runtime.cache import triton_key
    except ImportError:
        from triton.compiler.compiler import triton_key
    from triton.runtime.driver import driver
    from triton.compiler.compiler import make_backend
    from triton._C.libtriton import get_cache_invalidating_env_vars
    env_vars = get_cache_invalidating_env_vars()
    prefix = [triton_key(), make_backend(driver.active.get_current_target()).hash(), jit_fn.cache_key,
              str(sorted(env_vars.items()))]
    config_strings = [str(c) for c in configs]
    out = {
        "triton_version": triton.__version__,
        "fn_name": jit_fn.__name__,
        "hash_prefix": prefix,
        "key": list(form["key"]),
        "key_from_problem": list(form["problem_positions"]),
        "dtypes": [k for k in key_tuple[len(form["key"]):]],
        "configs": config_strings,
        "config_fields": list(configs[0].__dict__.keys()),
        # Fields str(Config) may not print: what a Config built without them holds.
        "config_defaults": {k: v for k, v in triton.Config({}).__dict__.items()
                            if k not in ("kwargs", "pre_hook") and (v is None or isinstance(v, (bool, int, str)))},
        "cache_dir": os.environ.get("TRITON_CACHE_DIR", ""),
    }
    # Triton's own answer for this problem, with its own functions, as the exporter's check.
    digest = hashlib.sha256("-".join(prefix + [str(key_tuple)] + config_strings).encode("utf-8")).hexdigest()
    try:
        from triton.runtime.cache import _base32
        directory = _base32(digest)
    except ImportError:  # older Triton: the hex digest itself
        directory = base64.b32encode(bytes.fromhex(digest)).decode("utf-8").rstrip("=")
    out["check"] = {"key_values": [int(v) for v in key_tuple[:len(form["key"])]], "tuning_key": str(key_tuple),
                    "directory": directory, "file_name": f"{jit_fn.__name__[:150]}.autotune.json"}
    return out


def dejavu_values(module, jit_fn, form, configs, key_tuple):
    import torch
    import triton
    return {
        "triton_version": triton.__version__,
        "runtime": "rocm" if getattr(torch.version, "hip", None) else "cuda",
        "tool_output": ptxas_output(triton),
        "torch_runtime_version": torch.version.cuda,
        "gpu_name": torch.cuda.get_device_name(),
        "tag": os.environ.get("TRITON_DEJAVU_TAG", "default"),
        "kernel": {"signature": str(jit_fn), "src": jit_fn.src, "arg_names": list(jit_fn.arg_names),
                   "arg_dtypes": [k for k in key_tuple[len(form["key"]):]]},
        "key": list(form["key"]),
        "configs": [str(c) for c in configs],
        "key_from_problem": list(form["problem_positions"]),
    }


def deployment_values(kernel_module, problem):
    """Everything the exporters need about this deployment, for a problem of the kernel."""
    import torch
    import triton
    form = deployment_form(kernel_module)
    jit_fn = jit_function(kernel_module)
    configs = autotune_configs(kernel_module)
    p = kernel_module.normalize_problem(problem)
    s = kernel_module.build(p, torch.device("cuda"))
    args, _ = deployment_args(kernel_module, s)
    key_tuple = tuning_key(jit_fn, form, args)
    return {
        "kernel": kernel_module.NAME,
        "problem": kernel_module.canonical_problem(p),
        "gpu_name": torch.cuda.get_device_name(),
        "versions": {"triton": triton.__version__, "torch": str(torch.__version__), "cuda": torch.version.cuda},
        "triton_cache": triton_cache_values(kernel_module, jit_fn, form, configs, key_tuple),
        "dejavu": dejavu_values(kernel_module, jit_fn, form, configs, key_tuple),
    }


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--problem", default="{}", help="JSON object of problem fields")
    a = ap.parse_args()
    # Anything Triton or torch print goes to stderr; stdout holds the JSON alone.
    real_stdout = sys.stdout
    sys.stdout = sys.stderr
    import torch  # noqa: F401
    import triton  # noqa: F401
    module = import_kernel(a.kernel)
    values = deployment_values(module, json.loads(a.problem))
    real_stdout.write(json.dumps(values, indent=1) + "\n")


if __name__ == "__main__":
    main()
