"""The Triton worker's side of its compile processes (compile_ahead.py runs in them).

submit() never blocks: a thread of the worker hands the calls to the processes. A process comes
from the fork server (compile_ahead.start_server), and starting one waits until the server has
imported torch, which can be after the worker's first `prepare`; answering that prepare, or
evaluating the first configuration, must not wait for it. A call that the thread has not handed
over yet can still be cancelled (the worker then compiles that configuration itself).

Each process watches the worker and exits within a second once it is gone (killed by the
engine, say): the fork server cannot tell its children so, and ends only after them.
"""

import concurrent.futures
import concurrent.futures.process
import os
import queue
import sys
import threading
import time

import worker_trace


class CompilePool:
    def __init__(self, context, size, initializer, initargs, function):
        """`size` processes from `context`, each running initializer(*initargs) once, then
        function(argument) for each submitted argument."""
        self.size = size
        self.ready = context.Event()  # set by the first process whose initializer returned
        self._context = context
        self._function = function
        self._initargs = (os.getpid(), self.ready, initializer, tuple(initargs))
        self._queue = queue.SimpleQueue()
        self._executor = None
        self._lock = threading.Lock()  # guards _executor between the feeding thread and stop()
        self._stopped = False
        self._thread = threading.Thread(target=self._feed, name="compile-feed", daemon=True)
        self._thread.start()

    def submit(self, argument):
        """A future of function(argument)'s result; cancellable until handed over."""
        future = concurrent.futures.Future()
        if self._stopped:
            future.set_exception(RuntimeError("the compile processes were stopped"))
        else:
            self._queue.put((future, argument))
        return future

    def stop(self):
        """Ends the processes without waiting for a compile (nor for a process still starting)."""
        with self._lock:
            self._stopped = True
            executor, self._executor = self._executor, None
        self._queue.put(None)
        if executor is not None:
            _end(executor)

    def _feed(self):
        while True:
            item = self._queue.get()
            if item is None:
                return
            future, argument = item
            if not future.set_running_or_notify_cancel():
                continue  # the worker compiled it itself meanwhile
            try:
                inner = self._submit(argument)
            except Exception as e:
                future.set_exception(e)
                continue
            inner.add_done_callback(lambda done, outer=future: _copy(done, outer))

    def _submit(self, argument):
        for attempt in (1, 2):
            executor = self._executor_now()
            try:
                return executor.submit(self._function, argument)
            except concurrent.futures.process.BrokenProcessPool:
                # A compile process died (a compiler crash): start new ones, once.
                sys.stderr.write("dejavu-triton-worker: the compile processes died; starting new ones\n")
                with self._lock:
                    if self._executor is executor:
                        self._executor = None
                _end(executor)
                if attempt == 2:
                    raise

    def _executor_now(self):
        with self._lock:
            if self._stopped:
                raise RuntimeError("the compile processes were stopped")
            if self._executor is None:
                self._executor = concurrent.futures.ProcessPoolExecutor(
                    max_workers=self.size, mp_context=self._context, initializer=_child_init,
                    initargs=self._initargs)
                worker_trace.event(f"compile pool: {self.size} processes")
            return self._executor


def _child_init(worker_pid, ready, initializer, initargs):
    threading.Thread(target=_exit_after, args=(worker_pid,), name="worker-watch", daemon=True).start()
    initializer(*initargs)
    ready.set()
    worker_trace.event("compile process: ready")


def _exit_after(pid):
    """Exits this process once `pid` is gone (or a zombie nobody reaped yet)."""
    while True:
        time.sleep(1.0)
        try:
            os.kill(pid, 0)
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[-1].split()[0] == "Z":
                    break
        except ProcessLookupError:
            break
        except OSError:
            pass  # no /proc: the signal test alone
    os._exit(0)


def _copy(done, outer):
    if done.cancelled():
        outer.set_exception(concurrent.futures.CancelledError())
    elif done.exception() is not None:
        outer.set_exception(done.exception())
    else:
        outer.set_result(done.result())


def _end(executor):
    # Terminate first: shutdown() takes a lock that a process still starting (waiting for the
    # fork server) holds, so it runs in its own thread.
    for p in list((getattr(executor, "_processes", None) or {}).values()):
        try:
            p.terminate()  # a compile in progress is not worth waiting for
        except Exception:
            pass
    threading.Thread(target=executor.shutdown, kwargs={"wait": False, "cancel_futures": True},
                     name="compile-end", daemon=True).start()
