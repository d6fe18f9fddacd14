#!/usr/bin/env python3
"""Tests of the Triton worker's compile-process pool (kernels/triton/compile_pool.py) with a real
fork server and real processes, no GPU and no torch: compile_pool_driver.py stands in for the
worker and compile_pool_fixture.py for the compile; the test holds the fork server's preload
(the Triton worker's server imports torch there) until it lets it go.

    test_compile_pool.py

Every process it starts is ended by its id.
"""

import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
DRIVER = os.path.join(HERE, "compile_pool_driver.py")


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return False


class Driver:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="pool-")
        self.hold = os.path.join(self.dir, "release")
        env = dict(os.environ)
        env.pop("DEJAVU_WORKER_TRACE", None)
        self.p = subprocess.Popen([sys.executable, DRIVER, self.dir, self.hold], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, env=env)
        self.lines = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.p.stdout:
            self.lines.put(line)

    def ask(self, command, timeout=30):
        self.p.stdin.write(command + "\n")
        self.p.stdin.flush()
        return json.loads(self.lines.get(timeout=timeout))

    def release(self):
        open(self.hold, "w").close()

    def ran(self):
        return sorted(int(n[4:]) for n in os.listdir(self.dir) if n.startswith("ran-"))

    def end(self, leftovers=()):
        try:
            self.p.stdin.close()  # the driver's loop ends and it exits
            self.p.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        # (stdout is left to the reading thread: processes that outlive the driver hold it.)
        for pid in leftovers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


class CompilePoolTest(unittest.TestCase):
    def test_submit_never_waits_for_the_fork_server(self):
        d = Driver()
        try:
            # The server is still "importing torch": submitting answers at once, and what the
            # feeding thread has not handed over can be cancelled (the worker compiles it).
            self.assertEqual(d.ask("submit 4"), {"submitted": 4})
            self.assertFalse(os.path.exists(d.hold))
            self.assertEqual(d.ask("cancel 3"), {"cancelled": True})
            self.assertEqual(d.ran(), [])
            d.release()
            results = d.ask("results", timeout=60)["results"]
            self.assertEqual([r[0] if r else None for r in results], [0, 2, 4, None])
            self.assertEqual(d.ran(), [0, 1, 2])
            pids = {r[1] for r in results if r}
            self.assertLessEqual(len(pids), 2)
            self.assertNotIn(d.p.pid, pids)
            self.assertEqual(d.ask("stop"), {"after_stop": "RuntimeError"})
        finally:
            d.end()

    def test_processes_end_with_a_killed_worker(self):
        # A worker killed by the engine (trial timeout) answers nothing more: its compile
        # processes and its fork server must not outlive it.
        d = Driver()
        children, server = [], None
        try:
            d.release()
            d.ask("submit 2")
            results = d.ask("results", timeout=60)["results"]
            children = sorted({r[1] for r in results})
            server = d.ask("server")["server"]
            self.assertTrue(all(alive(p) for p in children + [server]))
            d.p.send_signal(signal.SIGKILL)
            d.p.wait()
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and any(alive(p) for p in children + [server]):
                time.sleep(0.1)
            self.assertEqual([p for p in children + [server] if alive(p)], [])
        finally:
            d.end(children + ([server] if server else []))


if __name__ == "__main__":
    unittest.main(verbosity=2)
