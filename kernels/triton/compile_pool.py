"""The Triton worker's side of its compile processes (compile_ahead.py runs in them).

submit() never blocks: a thread of the worker hands the configurations to the processes. A
process comes from the fork server (compile_ahead.start_server), and starting one waits until
the server has imported torch, which can be after the worker's first `prepare`; answering that
prepare, or evaluating the first configuration, must not wait for it. A configuration that the
thread has not handed over yet can still be cancelled (the worker then compiles it itself).
"""

import concurrent.futures
import concurrent.futures.process
import queue
import sys
import threading

import compile_ahead
import worker_trace


class CompilePool:
    def __init__(self, context, size, kernel_path, module_name, problem, device_index):
        self.size = size
        self.ready = context.Event()  # set by the first compile process that can compile
        self._context = context
        self._initargs = (kernel_path, module_name, problem, device_index, self.ready)
        self._queue = queue.SimpleQueue()
        self._executor = None
        self._lock = threading.Lock()  # guards _executor between the feeding thread and stop()
        self._stopped = False
        self._thread = threading.Thread(target=self._feed, name="compile-feed", daemon=True)
        self._thread.start()

    def submit(self, config):
        """A future of compile_ahead.compile_config(config)'s result; cancellable until handed over."""
        future = concurrent.futures.Future()
        if self._stopped:
            future.set_exception(RuntimeError("the compile processes were stopped"))
        else:
            self._queue.put((future, config))
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
            future, config = item
            if not future.set_running_or_notify_cancel():
                continue  # the worker compiled it itself meanwhile
            try:
                inner = self._submit(config)
            except Exception as e:
                future.set_exception(e)
                continue
            inner.add_done_callback(lambda done, outer=future: _copy(done, outer))

    def _submit(self, config):
        for attempt in (1, 2):
            executor = self._executor_now()
            try:
                return executor.submit(compile_ahead.compile_config, config)
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
                    max_workers=self.size, mp_context=self._context, initializer=compile_ahead.init,
                    initargs=self._initargs)
                worker_trace.event(f"compile pool: {self.size} processes")
            return self._executor


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
