#!/usr/bin/env python3
"""dejavu-ray-slot: runs a worker (docs/worker-protocol.md) on a GPU of a Ray cluster and relays
its protocol unchanged, so that the engine starts it like any local worker (docs/ray.md).

    python3 kernels/ray/dejavu_ray_slot.py [--address auto|HOST:PORT] [--accelerator-type TYPE]
        [--gpu-index-env NAME]... [--wait SECONDS] [--connect-timeout SECONDS] [--cwd DIR|-]
        [--plain-hello] -- COMMAND [ARGS...]

One Ray actor with num_gpus=1 (and the accelerator type, when given) runs COMMAND on its node
with the GPU Ray gave it (CUDA_VISIBLE_DEVICES, set by Ray, and each --gpu-index-env NAME).
Our stdin goes to the worker's stdin and its stdout to our stdout byte for byte, its stderr to
our stderr; the hello line gains devices[].extra.ray (node, IP, GPU ids) unless --plain-hello.

Exit status: the worker's own (or death by its signal) when it ends; 0 after our stdin ends;
130/143 after SIGINT/SIGTERM; and for what goes wrong around it, with the reason on stderr:
"""

import os
import sys

EXIT_NO_RAY = 90        # Ray cannot be imported
EXIT_NO_CLUSTER = 91    # no cluster at the address, or it does not answer in time
EXIT_NO_GPU = 92        # no GPU (of the type) in the cluster, or none free within --wait
EXIT_ACTOR_LOST = 93    # the actor or its node died while the worker ran
EXIT_HEAD_GONE = 94     # the cluster's head (GCS) stopped answering
EXIT_START_FAILED = 95  # the actor could not start the worker (bad --cwd, Ray error)
EXIT_CODES_DOC = """  90 Ray is not installed, 91 no cluster, 92 no (free) GPU, 93 actor or node lost,
  94 head gone, 95 the worker could not start, 127 the command is missing on the node"""
__doc__ += EXIT_CODES_DOC

_HERE = os.path.dirname(os.path.abspath(__file__))
_VENV = os.path.join(os.path.dirname(os.path.dirname(_HERE)), ".venv")


def _reexec_in_project_venv():
    """`python3 dejavu_ray_slot.py` works with the Ray that scripts/python-env.sh installed."""
    try:
        import ray  # noqa: F401
        return
    except ImportError:
        pass
    python = os.path.join(_VENV, "bin", "python")
    if os.path.exists(python) and os.path.realpath(sys.prefix) != os.path.realpath(_VENV) \
            and not os.environ.get("DEJAVU_RAY_SLOT_REEXEC"):
        os.environ["DEJAVU_RAY_SLOT_REEXEC"] = "1"
        os.execv(python, [python, os.path.abspath(__file__)] + sys.argv[1:])


_reexec_in_project_venv()

# Keep the real stdout for the protocol and point fd 1 at stderr, before Ray can print anything.
_PROTO = os.fdopen(os.dup(1), "wb", buffering=0)
os.dup2(2, 1)
sys.stdout = sys.stderr
# Failed fire-and-forget writes are reported by the end of the worker's output instead.
os.environ.setdefault("RAY_IGNORE_UNHANDLED_ERRORS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import resource  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

_exit_lock = threading.Lock()
_exit_code = None
_exit_event = threading.Event()


def say(text):
    sys.stderr.write("dejavu-ray-slot: " + text + "\n")
    sys.stderr.flush()


def finish(code, message=None):
    """Asks the main thread to end the slot with `code` (an int, or -SIGNAL); first caller wins."""
    global _exit_code
    with _exit_lock:
        if _exit_code is not None:
            return
        _exit_code = code
    if message:
        say(message)
    _exit_event.set()


def die_now(code, message):
    say(message)
    os._exit(code)


def parse_arguments(argv):
    parser = argparse.ArgumentParser(prog="dejavu_ray_slot.py", description=__doc__.split("\n\n")[0],
                                     epilog="exit status:\n" + EXIT_CODES_DOC,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--address", default="auto",
                        help="the cluster: HOST:PORT of its head, or auto (RAY_ADDRESS, else the cluster started on this host)")
    parser.add_argument("--accelerator-type", help="only a GPU of this Ray accelerator type (H200, A100, ...)")
    parser.add_argument("--gpu-index-env", action="append", default=[], metavar="NAME",
                        help="also set NAME to the GPU ids Ray gave the actor (CUDA_VISIBLE_DEVICES is set by Ray)")
    parser.add_argument("--wait", type=float, default=60.0, metavar="SECONDS",
                        help="how long to wait for a free GPU (default 60)")
    parser.add_argument("--connect-timeout", type=float, default=20.0, metavar="SECONDS",
                        help="how long to wait for the cluster to answer (default 20)")
    parser.add_argument("--cwd", default=None, metavar="DIR",
                        help="the worker's directory on the node (default: ours; '-': the Ray worker's own)")
    parser.add_argument("--plain-hello", action="store_true", help="pass the hello line on unchanged too")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]: the worker")
    args = parser.parse_args(argv)
    if args.command and args.command[0] == "--":
        args.command = args.command[1:]
    if not args.command:
        parser.error("no worker command: give it after --")
    if args.cwd is None:
        args.cwd = os.getcwd()
    elif args.cwd == "-":
        args.cwd = None
    return args


def probe(address, timeout):
    """None when HOST:PORT accepts a TCP connection within `timeout`, else the reason."""
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            return None
    except ValueError:
        return "not HOST:PORT"
    except OSError as e:
        return e.strerror or str(e) or type(e).__name__


def connect(ray, address, timeout):
    if address != "auto" and "://" not in address:
        reason = probe(address, min(timeout, 5.0))
        if reason:
            die_now(EXIT_NO_CLUSTER, "no Ray cluster at %s (%s); start one with `ray start --head` "
                                     "(docs/ray.md) or give its head's HOST:PORT with --address" % (address, reason))
    # ray.init retries for a long time against an address that does not answer: bound it.
    timer = threading.Timer(timeout, die_now, (EXIT_NO_CLUSTER, "no answer from the Ray cluster at %s within %g s "
                                               "(--connect-timeout)" % (address, timeout)))
    timer.daemon = True
    timer.start()
    try:
        ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING,
                 configure_logging=True, namespace="dejavu")
    except Exception as e:  # ConnectionError, a version mismatch, ...
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        die_now(EXIT_NO_CLUSTER, "cannot connect to the Ray cluster at %s: %s" % (address, first))
    finally:
        timer.cancel()


def gpu_census(ray, accelerator_type):
    """(nodes, GPUs, free GPUs) of the cluster that fit the request, and the types present."""
    key = "accelerator_type:" + accelerator_type if accelerator_type else None
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    fit = [n for n in nodes if n["Resources"].get("GPU", 0) >= 1 and (key is None or key in n["Resources"])]
    types = sorted({k.split(":", 1)[1] for n in nodes for k in n["Resources"] if k.startswith("accelerator_type:")})
    total = int(sum(n["Resources"]["GPU"] for n in fit))
    try:
        from ray._private.state import available_resources_per_node
        free_by_node = available_resources_per_node()
        free = int(sum(free_by_node.get(n["NodeID"], {}).get("GPU", 0) for n in fit))
    except Exception:  # a private API: fall back to the cluster's total
        free = int(ray.available_resources().get("GPU", 0)) if key is None else None
    return len(fit), total, free, types, len(nodes)


def describe_request(accelerator_type):
    return "GPU of type %s" % accelerator_type if accelerator_type else "GPU"


def start_actor(ray, args):
    import slot_actor
    ray.cloudpickle.register_pickle_by_value(slot_actor)
    node_count, total, free, types, all_nodes = gpu_census(ray, args.accelerator_type)
    if total == 0:
        die_now(EXIT_NO_GPU, "the Ray cluster at %s has no %s (%d node%s alive; accelerator types present: %s); "
                             "a node offers GPUs with `ray start --num-gpus N` and its type with "
                             "--resources '{\"accelerator_type:TYPE\": 1}'"
                % (args.address, describe_request(args.accelerator_type), all_nodes, "" if all_nodes == 1 else "s",
                   ", ".join(types) or "none"))
    options = {"num_gpus": 1, "num_cpus": 0, "max_restarts": 0, "max_task_retries": 0}
    if args.accelerator_type:
        options["accelerator_type"] = args.accelerator_type
    actor = ray.remote(slot_actor.WorkerSlot).options(**options).remote()
    started = actor.start.remote(args.command, args.cwd, args.gpu_index_env)
    ready, _ = ray.wait([started], timeout=args.wait)
    if not ready:
        ray.kill(actor)
        _, total, free, _, _ = gpu_census(ray, args.accelerator_type)
        die_now(EXIT_NO_GPU, "no free %s within %g s (--wait): the cluster at %s has %d on %d node%s, %s free now "
                             "(the others are held by other slots or jobs)"
                % (describe_request(args.accelerator_type), args.wait, args.address, total, node_count,
                   "" if node_count == 1 else "s", "?" if free is None else free))
    try:
        info = ray.get(started)
    except ray.exceptions.RayError as e:
        die_now(EXIT_START_FAILED, "the Ray actor could not start: %s" % first_line(e))
    if "error" in info:
        ray.kill(actor)
        die_now(EXIT_START_FAILED, info["error"])
    say("worker on node %s (%s, node id %s), GPU %s, actor pid %d: %s"
        % (info["hostname"], info["node_ip"], info["node_id"][:12], ",".join(info["gpu_ids"]) or "-",
           info["actor_pid"], " ".join(args.command)))
    return actor, info


def first_line(error):
    lines = [l for l in str(error).strip().splitlines() if l.strip()]
    return lines[0] if lines else type(error).__name__


def annotate_hello(line, info):
    """The hello line with devices[].extra.ray added; the line itself when it is not a hello."""
    try:
        hello = json.loads(line)
        devices = hello["devices"] if isinstance(hello, dict) and hello.get("type") == "hello" else None
        if not isinstance(devices, list) or not all(isinstance(d, dict) for d in devices):
            return line
        ray_facts = {"node_id": info["node_id"], "node_ip": info["node_ip"], "hostname": info["hostname"],
                     "gpu_ids": info["gpu_ids"]}
        for device in devices:
            extra = device.setdefault("extra", {})
            if not isinstance(extra, dict):
                return line
            extra["ray"] = ray_facts
        return (json.dumps(hello, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")
    except (ValueError, KeyError, UnicodeDecodeError):
        return line


class Relay:
    """The threads that move bytes between us and the actor, and watch the cluster."""

    def __init__(self, ray, actor, info, args):
        self.m_ray = ray
        self.m_actor = actor
        self.m_info = info
        self.m_args = args
        self.m_stdin_closed = threading.Event()
        self.m_stderr_done = threading.Event()
        self.m_gcs = ray.get_runtime_context().gcs_address

    def start(self):
        for target in (self.stdin_loop, self.stdout_loop, self.stderr_loop, self.head_watch):
            threading.Thread(target=target, daemon=True).start()

    def stdin_loop(self):
        seq = 0
        try:
            while True:
                data = os.read(0, 1 << 16)
                if not data:
                    break
                self.m_actor.write.remote(seq, data)
                seq += 1
        except OSError:
            pass
        self.m_actor.write.remote(seq, None)  # the worker sees the end of its input and exits
        self.m_stdin_closed.set()
        # The engine has gone: give the worker 2 s to finish, then end the slot anyway.
        if not _exit_event.wait(2.0):
            finish(0)

    def stdout_loop(self):
        ray = self.m_ray
        pending = b"" if not self.m_args.plain_hello else None
        try:
            for ref in self.m_actor.stdout.options(_generator_backpressure_num_objects=64).remote():
                data = ray.get(ref)
                if pending is not None:  # the hello: the first line, at most 1 MiB of it
                    pending += data
                    end = pending.find(b"\n")
                    if end < 0 and len(pending) < (1 << 20):
                        continue
                    data = annotate_hello(pending[:end + 1], self.m_info) + pending[end + 1:] if end >= 0 else pending
                    pending = None
                _PROTO.write(data)
            if pending:
                _PROTO.write(pending)
            status = ray.get(self.m_actor.wait.remote(5.0), timeout=15.0)
        except BrokenPipeError:
            finish(0)  # the engine closed our stdout: it has gone
            return
        except (ray.exceptions.RayError, OSError) as e:
            self.lost(e)
            return
        self.m_stderr_done.wait(2.0)  # its last words first
        if self.m_stdin_closed.is_set():
            finish(0)
        elif status is None:
            finish(EXIT_START_FAILED, "the worker closed its stdout but did not exit within 5 s; it was killed")
        elif status < 0:
            finish(status)  # die by the same signal, so the engine names it
        else:
            finish(status)

    def stderr_loop(self):
        try:
            for ref in self.m_actor.stderr.options(_generator_backpressure_num_objects=64).remote():
                os.write(2, self.m_ray.get(ref))
        except (self.m_ray.exceptions.RayError, OSError):
            pass
        self.m_stderr_done.set()

    def lost(self, error):
        if probe(self.m_gcs, 2.0):
            self.head_gone()
        else:
            finish(EXIT_ACTOR_LOST, "the Ray actor running the worker on node %s (%s) is gone: %s"
                   % (self.m_info["hostname"], self.m_info["node_ip"], first_line(error)))

    def head_gone(self):
        finish(EXIT_HEAD_GONE, "the Ray cluster's head at %s does not answer any more; the worker on node %s (%s) "
                               "is given up. Start the cluster again and resume the session "
                               "(dejavu-tune tune --resume N --device ...)" % (self.m_gcs, self.m_info["hostname"],
                                                                              self.m_info["node_ip"]))

    def head_watch(self):
        # Without its head a cluster schedules nothing, and Ray would end this process by
        # itself only after a minute, with a message about RPCs: say it plainly, in seconds.
        failures = 0
        while not _exit_event.wait(1.0):
            failures = failures + 1 if probe(self.m_gcs, 1.0) else 0
            if failures >= 3:
                self.head_gone()


def main():
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # dying by the worker's SIGSEGV writes no core
    args = parse_arguments(sys.argv[1:])
    try:
        import ray
    except ImportError as e:
        die_now(EXIT_NO_RAY, "cannot import Ray (%s) with %s; install it with scripts/python-env.sh "
                             "(docs/ray.md)" % (e, sys.executable))
    sys.path.insert(0, _HERE)
    connect(ray, args.address, args.connect_timeout)
    # After ray.init: it installs its own SIGTERM handler (a stack dump, then exit 15).
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda s, f: finish(128 + s))
    actor, info = start_actor(ray, args)
    Relay(ray, actor, info, args).start()
    while not _exit_event.wait(0.5):
        pass
    code = _exit_code
    try:
        _PROTO.flush()
    except OSError:
        pass
    # Kills the worker's group on the node too (the guard). Bounded: without its head, Ray may
    # not answer; the actor then ends anyway when Ray sees that its owner (this process) has gone.
    killer = threading.Thread(target=kill_quietly, args=(ray, actor), daemon=True)
    killer.start()
    killer.join(2.0)
    sys.stderr.flush()
    if code < 0:
        if -code not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
        time.sleep(1)
        code = 128 - code
    os._exit(code)


def kill_quietly(ray, actor):
    try:
        ray.kill(actor)
    except Exception:
        pass


if __name__ == "__main__":
    main()
