"""The Ray actor behind dejavu_ray_slot.py: it runs one worker command on its node and hands its
stdout and stderr back as raw byte chunks, and its stdin in, unchanged (docs/ray.md).

Ray ships this class to the node by value (the slot registers this module for pickling by
value), so nothing of Deja Vu Studio but the worker command has to exist on the nodes.

The worker is started through a small guard (GUARD below, run with `python -c`): it asks the
kernel to signal it when the actor's thread dies (PR_SET_PDEATHSIG), starts the worker in a
process group of its own and kills that whole group when the actor dies (even by SIGKILL, as
`ray.kill` and a lost owner do), when it is told to (SIGTERM) or when the worker exits by
itself. So nothing the worker started outlives the actor on the node.
"""

import asyncio
import os
import socket
import sys

import ray

# argv: ACTOR_PID COMMAND [ARGS...]. Exits as the worker did (same code, or the same signal),
# 127 when the command cannot be run (the reason on stderr).
#
# Two processes: Ray ends the children of an actor that ends with SIGKILL
# (kill_child_processes_on_worker_exit), so the actor's child (the "front") may die without a
# word. Its own child (the "keeper") is out of that reach: the kernel tells it that the front died
# (PR_SET_PDEATHSIG) and it kills the worker's process group. The front dies by SIGTERM when the
# actor kills it, or when the actor dies (its own PR_SET_PDEATHSIG): the keeper follows.
GUARD = r"""
import ctypes, os, resource, signal, sys
parent, command = int(sys.argv[1]), sys.argv[2:]
prctl = ctypes.CDLL(None, use_errno=True).prctl
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # dying by the worker's SIGSEGV writes no core

def exit_like(status):
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig not in (signal.SIGKILL, signal.SIGSTOP):  # those two cannot be (and need not be) reset
            signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)

prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
if os.getppid() != parent:  # the actor died before prctl
    sys.exit(1)
os.setpgid(0, 0)  # out of the actor's process group, which Ray may kill as a whole
signal.signal(signal.SIGINT, signal.SIG_IGN)
front = os.getpid()
keeper = os.fork()
if keeper:
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)  # only the worker holds the pipes, so their ends mean the worker's end
    os.dup2(devnull, 1)
    exit_like(os.waitpid(keeper, 0)[1])
prctl(1, signal.SIGTERM)
if os.getppid() != front:  # the front died before prctl
    os._exit(1)
pid = os.fork()
if pid == 0:
    os.setsid()
    try:
        os.execvp(command[0], command)
    except OSError as e:
        os.write(2, ("dejavu-ray-slot: cannot run %r on node %s in %s: %s\n"
                     % (command[0], os.uname().nodename, os.getcwd(), e.strerror)).encode())
        os._exit(127)
def end(signum, frame):
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    os._exit(128 + signum)
signal.signal(signal.SIGTERM, end)
devnull = os.open(os.devnull, os.O_RDWR)
os.dup2(devnull, 0)
os.dup2(devnull, 1)
_, status = os.waitpid(pid, 0)
try:
    os.killpg(pid, signal.SIGKILL)  # what the worker left running in its group
except OSError:
    pass
exit_like(status)
"""

CHUNK = 1 << 16


class WorkerSlot:
    """One worker process on a GPU the actor holds. Methods are coroutines (an async actor):
    a read of the worker's output waits while writes to its input go on."""

    def __init__(self):
        self.m_proc = None
        self.m_next_write = 0
        self.m_write_turn = None

    async def start(self, command, cwd, gpu_index_env):
        """Starts the worker; returns where it runs, or {"error": ...} when it cannot start."""
        context = ray.get_runtime_context()
        gpu_ids = [str(g) for g in ray.get_gpu_ids()]
        info = {"node_id": context.get_node_id(), "node_ip": ray.util.get_node_ip_address(),
                "hostname": socket.gethostname(), "gpu_ids": gpu_ids, "actor_pid": os.getpid(),
                "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES")}
        if cwd is not None and not os.path.isdir(cwd):
            info["error"] = ("the working directory %s does not exist on node %s (%s); the worker command "
                             "and its directory must exist at the same path on every node, or give --cwd"
                             % (cwd, info["hostname"], info["node_ip"]))
            return info
        env = dict(os.environ)
        for name in gpu_index_env:
            env[name] = ",".join(gpu_ids)
        self.m_write_turn = asyncio.Condition()
        # Forked from the event loop's thread, which lives as long as the actor: the guard's
        # parent-death signal fires when the actor ends, not before.
        self.m_proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", GUARD, str(os.getpid()), *command,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            cwd=cwd, env=env)
        info["guard_pid"] = self.m_proc.pid
        return info

    async def write(self, seq, data):
        """Writes chunk number `seq` (from 0) of the engine's input; None closes the worker's
        stdin. Chunks are written in their order even if Ray delivers the calls out of order."""
        async with self.m_write_turn:
            await self.m_write_turn.wait_for(lambda: self.m_next_write == seq)
            try:
                if data is None:
                    self.m_proc.stdin.close()
                else:
                    self.m_proc.stdin.write(data)
                    await self.m_proc.stdin.drain()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the worker has gone; the end of its stdout says so
            finally:
                self.m_next_write += 1
                self.m_write_turn.notify_all()

    async def stdout(self):
        """The worker's stdout as it comes, until it ends."""
        while True:
            data = await self.m_proc.stdout.read(CHUNK)
            if not data:
                return
            yield data

    async def stderr(self):
        while True:
            data = await self.m_proc.stderr.read(CHUNK)
            if not data:
                return
            yield data

    async def wait(self, timeout):
        """The worker's exit status (negative: killed by that signal), or None if it still runs."""
        try:
            return await asyncio.wait_for(self.m_proc.wait(), timeout)
        except asyncio.TimeoutError:
            return None

    async def kill(self):
        """Kills the worker and everything in its group (through the guard)."""
        if self.m_proc is not None and self.m_proc.returncode is None:
            try:
                self.m_proc.terminate()
            except ProcessLookupError:
                pass
            return await self.m_proc.wait()
        return None if self.m_proc is None else self.m_proc.returncode
