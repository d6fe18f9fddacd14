#!/usr/bin/env python3
"""Tests of the Ray slot (kernels/ray/dejavu_ray_slot.py) on Ray clusters this test starts itself,
on this host, with fake GPUs (`ray start --head --num-gpus 4`), and the real test worker.

    test_ray_slot.py --worker build/kernels/test-worker/dejavu-test-worker --tune build/app/cli/dejavu-tune

Exits 77 (CTest's skip) with the reason when Ray is not installed (scripts/python-env.sh needs
PyPI). Every process it starts is ended by its id; the clusters by their process groups.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
VENV_PYTHON = os.path.join(ROOT, ".venv", "bin", "python")

# Everything stays on the loopback address (Ray reads this when imported): Ray would otherwise
# resolve 127.0.0.1 to the host's own address, where the test's cluster does not listen.
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
os.environ.pop("RAY_ADDRESS", None)

try:
    import ray
except ImportError as e:
    if os.path.exists(VENV_PYTHON) and not os.environ.get("DEJAVU_RAY_TEST_REEXEC"):
        os.environ["DEJAVU_RAY_TEST_REEXEC"] = "1"
        os.execv(VENV_PYTHON, [VENV_PYTHON] + sys.argv)
    print("SKIP: Ray is not installed (%s); scripts/python-env.sh installs it into .venv/ from PyPI" % e)
    sys.exit(77)

import argparse  # noqa: E402
import ctypes  # noqa: E402
import json  # noqa: E402
import queue  # noqa: E402
import shlex  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import sqlite3  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import unittest  # noqa: E402

SLOT = os.path.join(ROOT, "kernels", "ray", "dejavu_ray_slot.py")
RAY = os.path.join(os.path.dirname(sys.executable), "ray")
WORKER = None  # set from the command line
TUNE = None

EVALUATE = {"type": "evaluate", "config": {"BLOCK": 64, "UNROLL": 2, "VEC": 2},
            "options": {"warmup": 1, "repetitions": 3, "min_time_ms": 0, "max_repetitions": 3,
                        "flush_l2": True, "timeout_ms": 5000}}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def alive(pid):
    """True while `pid` runs (a zombie has ended)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def read(path):
    with open(path) as f:
        return f.read()


def evaluations(trace):
    """How many evaluate requests the test worker has traced (--trace) so far."""
    try:
        return read(trace).count("evaluate")
    except OSError:
        return 0


def wait_until(predicate, timeout, step=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def end_with_parent():
    """In the child before exec: SIGTERM when the test dies, even by SIGKILL (`ray start --block`
    then stops its cluster)."""
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Cluster:
    """A one-node Ray cluster with `gpus` fake GPUs of type H200, in a temporary directory."""

    def __init__(self, gpus=4):
        self.m_dir = tempfile.mkdtemp(prefix="dvray-")
        self.port = free_port()
        self.address = "127.0.0.1:%d" % self.port
        self.m_log = open(os.path.join(self.m_dir, "start.log"), "w+")
        # --block keeps `ray start` as the leader of a process group holding the whole cluster.
        self.m_proc = subprocess.Popen(
            [RAY, "start", "--head", "--block", "--node-ip-address", "127.0.0.1", "--port", str(self.port),
             "--num-gpus", str(gpus), "--num-cpus", "2", "--resources", json.dumps({"accelerator_type:H200": 1}),
             "--object-store-memory", str(80 << 20), "--include-dashboard=false", "--disable-usage-stats",
             "--temp-dir", os.path.join(self.m_dir, "t")],
            stdin=subprocess.DEVNULL, stdout=self.m_log, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=end_with_parent)
        if not wait_until(self.started, 60, 0.2):
            self.stop()
            raise RuntimeError("the Ray cluster did not start within 60 s")

    def started(self):
        if self.m_proc.poll() is not None:
            self.m_log.seek(0)
            raise RuntimeError("ray start failed: " + self.m_log.read()[-2000:])
        self.m_log.seek(0)
        return "Ray runtime started" in self.m_log.read()

    def descendants(self):
        """The live processes started by this cluster's `ray start` (Ray's workers run in process
        groups of their own, so the group alone does not find them)."""
        children = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open("/proc/%s/stat" % entry) as f:
                        children.setdefault(int(f.read().rsplit(")", 1)[1].split()[1]), []).append(int(entry))
                except (OSError, IndexError, ValueError):
                    pass
        found, todo = [], [self.m_proc.pid]
        while todo:
            for child in children.get(todo.pop(), []):
                found.append(child)
                todo.append(child)
        return [p for p in found if alive(p)]

    def pids(self, name):
        """Processes of this cluster whose command line starts with `name`."""
        found = []
        for pid in self.descendants():
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    if f.read().startswith(name.encode()):
                        found.append(pid)
            except OSError:
                pass
        return found

    def stop(self):
        # SIGTERM to `ray start --block` stops the cluster; SIGKILL to its group and to every
        # process it started if it did not (so a failed test leaves no Ray process behind).
        # `ray start --block` may have ended already (it does when the head dies), leaving its
        # children to init: they are still in its process group.
        started = set(self.descendants())
        self.m_proc.terminate()
        if not wait_until(lambda: not self.descendants() and not any(alive(p) for p in started), 20, 0.2):
            started.update(self.descendants())
            for pid in started:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        try:
            os.killpg(self.m_proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.m_proc.wait()
        self.m_log.close()
        shutil.rmtree(self.m_dir, ignore_errors=True)


class Slot:
    """A slot process, as the engine starts a worker: pipes on stdin, stdout and stderr."""

    def __init__(self, address, worker_args=(), slot_args=(), command=None):
        command = command or [WORKER, *worker_args]
        self.m_proc = subprocess.Popen([sys.executable, SLOT, "--address", address, *slot_args, "--", *command],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       start_new_session=True, preexec_fn=end_with_parent)
        self.m_lines = queue.Queue()
        self.m_err = []
        threading.Thread(target=self.read_out, daemon=True).start()
        threading.Thread(target=self.read_err, daemon=True).start()

    def read_out(self):
        for line in self.m_proc.stdout:
            self.m_lines.put(line)
        self.m_lines.put(None)

    def read_err(self):
        for line in self.m_proc.stderr:
            self.m_err.append(line.decode(errors="replace"))

    def stderr(self):
        return "".join(self.m_err)

    def send(self, message):
        self.m_proc.stdin.write((json.dumps(message) + "\n").encode())
        self.m_proc.stdin.flush()

    def line(self, timeout=30):
        return self.m_lines.get(timeout=timeout)

    def message(self, timeout=30):
        line = self.line(timeout)
        if line is None:
            raise AssertionError("the slot ended (status %s): %s" % (self.m_proc.wait(), self.stderr()))
        return json.loads(line)

    def wait(self, timeout):
        return self.m_proc.wait(timeout)

    def actor_pid(self):
        wait_until(lambda: "actor pid" in self.stderr(), 30)
        return int(self.stderr().split("actor pid ")[1].split(":")[0])

    def close(self):
        if self.m_proc.poll() is None:
            self.m_proc.kill()
            self.m_proc.wait()
        for f in (self.m_proc.stdin, self.m_proc.stdout, self.m_proc.stderr):
            try:
                f.close()
            except OSError:
                pass


def run_direct(worker_args, requests):
    """The worker's own stdout for `requests`, run here without Ray."""
    text = "".join(json.dumps(r) + "\n" for r in requests)
    return subprocess.run([WORKER, *worker_args], input=text.encode(), stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, timeout=30, check=True).stdout.splitlines(keepends=True)


def requests_of_a_session():
    blob = "x" * 100000  # a line longer than one relayed chunk (64 KiB)
    requests = [{"type": "load", "id": 1, "problem": {}}]
    for i, (b, u, v) in enumerate([(64, 2, 2), (16, 1, 1), (256, 8, 4), (32, 4, 1)]):
        requests.append(dict(EVALUATE, id=2 + i, config={"BLOCK": b, "UNROLL": u, "VEC": v}))
    requests.append({"type": "evaluate", "id": 6, "config": {"BLOCK": 17}, "options": EVALUATE["options"]})
    requests.append({"type": "shutdown", "id": 7})
    return ["--loaded-extra", json.dumps({"blob": blob}), "--wrong-on", '{"BLOCK":16}'], requests


class SlotOnCluster(unittest.TestCase):
    """One cluster for the tests that leave it whole."""

    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(gpus=4)
        ray.init(address=cls.cluster.address, log_to_driver=False, logging_level="WARNING")

    @classmethod
    def tearDownClass(cls):
        ray.shutdown()
        cls.cluster.stop()

    def setUp(self):
        self.slots = []
        self.tmp = tempfile.mkdtemp(prefix="dvray-test-")

    def tearDown(self):
        for s in self.slots:
            s.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        # Every GPU is free again: no actor outlives its slot.
        self.assertTrue(wait_until(lambda: ray.available_resources().get("GPU", 0) == 4, 20),
                        "GPUs still held: %s" % ray.available_resources())

    def slot(self, *args, **kwargs):
        s = Slot(self.cluster.address, *args, **kwargs)
        self.slots.append(s)
        return s

    def test_session_is_relayed_byte_for_byte(self):
        worker_args, requests = requests_of_a_session()
        expected = run_direct(worker_args, requests)
        for plain in (True, False):
            s = self.slot(worker_args, ["--plain-hello"] if plain else [])
            hello = s.line()
            for r in requests:
                s.send(r)
            got = [s.line() for _ in requests]
            self.assertEqual(s.wait(10), 0, s.stderr())
            self.assertIsNone(s.line(), "nothing after bye")
            self.assertEqual(got, expected[1:])  # loaded, measurements, error, bye: the very bytes
            # The hello is the worker's own (its pid is that of the worker on the node).
            mine = json.loads(expected[0])
            theirs = json.loads(hello)
            mine["pid"] = theirs["pid"]
            if plain:
                self.assertEqual(hello, json.dumps(mine, separators=(",", ":")).encode() + b"\n")
            else:
                facts = theirs["devices"][0]["extra"].pop("ray")
                del theirs["devices"][0]["extra"]
                self.assertEqual(theirs, mine)
                self.assertEqual(facts["node_ip"], "127.0.0.1")
                self.assertEqual(facts["node_id"], ray.get_runtime_context().get_node_id())
                self.assertEqual(len(facts["gpu_ids"]), 1)
            self.assertIn("dejavu-test-worker: evaluating", s.stderr(), "the worker's stderr reaches ours")

    def test_four_slots_get_four_gpus_and_a_fifth_waits_in_vain(self):
        script = 'echo "visible=$CUDA_VISIBLE_DEVICES index=$DV_GPU" >&2; exec "$0"'
        slots = [self.slot(command=["sh", "-c", script, WORKER], slot_args=["--gpu-index-env", "DV_GPU"])
                 for _ in range(4)]
        ids = []
        for s in slots:
            ids.append(s.message(60)["devices"][0]["extra"]["ray"]["gpu_ids"])
            gpu = ids[-1][0]
            # The slot's banner quotes the script ("visible=$CUDA_VISIBLE_DEVICES ..."), so wait for
            # the worker's own line, which may arrive after the hello.
            expected = "visible=%s index=%s" % (gpu, gpu)
            self.assertTrue(wait_until(lambda: expected in s.stderr(), 10), s.stderr())
        self.assertEqual(sorted(i for (i,) in ids), ["0", "1", "2", "3"])
        started = time.monotonic()
        fifth = self.slot(slot_args=["--wait", "3"])
        self.assertEqual(fifth.wait(30), 92, fifth.stderr())
        self.assertLess(time.monotonic() - started, 25)
        self.assertIn("no free GPU within 3 s", fifth.stderr())
        self.assertIn("has 4 on 1 node, 0 free", fifth.stderr())
        self.assertIsNone(fifth.line(), "nothing on stdout")
        for s in slots:
            s.m_proc.stdin.close()
        for s in slots:
            self.assertEqual(s.wait(10), 0, s.stderr())

    def test_worker_killed_inside_the_actor_ends_the_slot(self):
        pidfile = os.path.join(self.tmp, "child")
        s = self.slot(["--fork-child", pidfile])
        worker = s.message()["pid"]
        child = int(read(pidfile).split()[0])
        s.send({"type": "load", "id": 1, "problem": {}})
        self.assertEqual(s.message()["type"], "loaded")
        started = time.monotonic()
        os.kill(worker, signal.SIGKILL)
        self.assertEqual(s.wait(10), -signal.SIGKILL, s.stderr())  # dies as its worker did
        self.assertLess(time.monotonic() - started, 5)
        self.assertTrue(wait_until(lambda: not alive(child), 10), "the worker's child outlived it")

    def test_crashing_worker_gives_its_signal_and_last_words(self):
        s = self.slot(["--segv-on", '{"BLOCK":64}'])
        s.message()
        s.send({"type": "load", "id": 1, "problem": {}})
        s.message()
        s.send(dict(EVALUATE, id=2))
        self.assertEqual(s.wait(10), -signal.SIGSEGV, s.stderr())
        self.assertIn("illegal memory access", s.stderr())

    def test_actor_killed_ends_the_slot_and_the_worker(self):
        pidfile = os.path.join(self.tmp, "child")
        s = self.slot(["--fork-child", pidfile, "--hang-on", "{}"])
        worker = s.message()["pid"]
        child = int(read(pidfile).split()[0])
        s.send({"type": "load", "id": 1, "problem": {}})
        s.message()
        s.send(dict(EVALUATE, id=2))  # hangs: the actor dies mid-trial
        time.sleep(0.5)
        started = time.monotonic()
        os.kill(s.actor_pid(), signal.SIGKILL)
        self.assertEqual(s.wait(15), 93, s.stderr())
        self.assertLess(time.monotonic() - started, 10)
        self.assertIn("the Ray actor running the worker on node", s.stderr())
        self.assertTrue(wait_until(lambda: not alive(worker) and not alive(child), 10),
                        "the worker or its child outlived the actor")

    def test_end_of_input_ends_the_actor(self):
        s = self.slot()
        worker = s.message()["pid"]
        actor = s.actor_pid()
        s.m_proc.stdin.close()
        self.assertEqual(s.wait(10), 0, s.stderr())
        self.assertTrue(wait_until(lambda: not alive(worker), 5))
        self.assertTrue(wait_until(lambda: not alive(actor), 10), "the actor outlived its slot")

    def test_sigterm_and_sigkill_of_the_slot_end_the_worker(self):
        for sig, status in ((signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGKILL, -signal.SIGKILL)):
            pidfile = os.path.join(self.tmp, "child")
            s = self.slot(["--fork-child", pidfile])
            worker = s.message()["pid"]
            child = int(read(pidfile).split()[0])
            s.m_proc.send_signal(sig)
            self.assertEqual(s.wait(10), status, s.stderr())
            # SIGKILL: Ray ends the actors of a driver that has gone.
            self.assertTrue(wait_until(lambda: not alive(worker) and not alive(child), 20),
                            "the worker outlived a slot ended by signal %d" % sig)

    def test_missing_command_on_the_node(self):
        s = self.slot(command=[os.path.join(self.tmp, "no-such-worker")])
        self.assertEqual(s.wait(30), 127, s.stderr())
        self.assertIn("cannot run '%s' on node" % os.path.join(self.tmp, "no-such-worker"), s.stderr())

    def test_unknown_accelerator_type(self):
        started = time.monotonic()
        s = self.slot(slot_args=["--accelerator-type", "B300"])
        self.assertEqual(s.wait(30), 92, s.stderr())
        self.assertLess(time.monotonic() - started, 20)
        self.assertIn("has no GPU of type B300", s.stderr())
        self.assertIn("accelerator types present: H200", s.stderr())
        known = self.slot(slot_args=["--accelerator-type", "H200"])
        self.assertEqual(known.message()["devices"][0]["name"], "Synthetic Test Device")

    def slot_device(self, device_args, worker_args, options="timeout=30"):
        """The engine's device id of a Ray slot: the worker's command line behind the slot's."""
        return "worker:%s %s" % (options, shlex.join([sys.executable, SLOT, "--address", self.cluster.address,
                                                      *device_args, "--", WORKER, *worker_args]))

    def tune(self, device_args, worker_args, *tune_args, db_name="results.sqlite", device=None):
        db = os.path.join(self.tmp, db_name)
        device = device or self.slot_device(device_args, worker_args)
        run = subprocess.run([TUNE, "tune", "--quiet", "--device", device, "--db", db, *tune_args],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
        return run, db

    @staticmethod
    def stored(db):
        """What a session measured, without what differs between two runs (times of day, pids)."""
        with sqlite3.connect(db) as c:
            trials = c.execute("SELECT seq, space_index, config_key, status, objective_ms, samples, "
                               "error IS NULL FROM trials ORDER BY seq").fetchall()
            errors = [e for (e,) in c.execute("SELECT error FROM trials WHERE status = 'crashed' ORDER BY seq")]
            remeasured = c.execute("SELECT pass, round, position, config_key, status, objective_ms, samples "
                                   "FROM remeasurements ORDER BY id").fetchall()
            session = c.execute("SELECT state, device_name, backend, strategy, seed FROM sessions").fetchall()
        return trials, errors, remeasured, session

    def test_tune_session_equals_the_direct_session(self):
        # The same seeded session on the test worker run directly and through a Ray slot: the same
        # configurations in the same order, the same measurements, the same crashes. The crashing
        # configurations (BLOCK 128, UNROLL 4: 3 of the 40 drawn) kill their worker: inside the actor, the
        # slot dies by the same signal, the trial is `crashed` and the session goes on.
        worker_args = ["--segv-on", '{"BLOCK":128,"UNROLL":4}', "--wrong-on", '{"BLOCK":32,"VEC":4}']
        args = ["--strategy", "random", "--budget", "40", "--seed", "7", "--remeasure", "3", "--remeasure-rounds", "2"]
        direct, direct_db = self.tune([], [], *args, db_name="direct.sqlite",
                                      device="worker:timeout=30 " + shlex.join([WORKER, *worker_args]))
        self.assertEqual(direct.returncode, 0, direct.stdout.decode())
        relayed, relayed_db = self.tune([], worker_args, *args, db_name="ray.sqlite")
        self.assertEqual(relayed.returncode, 0, relayed.stdout.decode())
        trials, errors, remeasured, session = self.stored(relayed_db)
        d_trials, d_errors, d_remeasured, d_session = self.stored(direct_db)
        self.assertEqual(len(trials), 40)
        self.assertEqual(trials, d_trials)
        self.assertEqual(remeasured, d_remeasured)
        self.assertEqual(len(remeasured), 6)
        self.assertEqual(session, d_session)
        self.assertEqual(session[0][0], "finished")
        statuses = [t[3] for t in trials]
        self.assertEqual(statuses.count("crashed"), 3, "the seed draws the 3 crashing configurations")
        self.assertIn("wrong_result", statuses)
        self.assertEqual(len(errors), len(d_errors))
        for e in errors:
            self.assertIn("killed by signal 11 (Segmentation fault) during the evaluation", e)
            self.assertIn("illegal memory access", e, "the worker's last words, relayed from the node")

    def test_four_slot_session_with_faults_measures_each_configuration_once(self):
        # A whole session on four Ray slots (four actors, one fake GPU each) over every configuration
        # of the test worker's space, with crashing configurations, a worker killed inside its actor
        # and an actor killed, both mid-trial: every configuration is stored exactly once, the
        # faults as `crashed`, the killed slots restarted, and the session finishes.
        trace = os.path.join(self.tmp, "trace")
        db = os.path.join(self.tmp, "slots.sqlite")
        device = self.slot_device([], ["--trace", trace, "--delay-ms", "150", "--segv-on", '{"BLOCK":128,"UNROLL":4}'])
        engine = subprocess.Popen([TUNE, "tune", "--quiet", "--device", device, "--db", db, "--strategy", "grid",
                                   "--slots", "4", "--remeasure", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  preexec_fn=end_with_parent)
        try:
            self.assertTrue(wait_until(lambda: evaluations(trace) >= 8, 90, 0.02), "the session did not get going")
            self.assertTrue(wait_until(lambda: len(self.cluster.pids("ray::WorkerSlot")) == 4, 30),
                            self.cluster.pids("ray::WorkerSlot"))
            os.kill(self.cluster.pids("ray::WorkerSlot")[0], signal.SIGKILL)
            self.assertTrue(wait_until(lambda: evaluations(trace) >= 24, 120, 0.02), "the session stalled")
            os.kill(self.worker_pids()[0], signal.SIGKILL)
            out, _ = engine.communicate(timeout=240)
            self.assertEqual(engine.returncode, 0, out.decode())
        finally:
            if engine.poll() is None:
                engine.kill()
                engine.wait()
        with sqlite3.connect(db) as c:
            rows = c.execute("SELECT seq, config_key, status FROM trials ORDER BY seq").fetchall()
            state = c.execute("SELECT state FROM sessions").fetchone()[0]
        self.assertEqual(state, "finished")
        self.assertEqual([r[0] for r in rows], list(range(1, 58)), "57 configurations, committed in order")
        self.assertEqual(len({r[1] for r in rows}), 57, "none measured twice")
        crashed = [r[1] for r in rows if r[2] == "crashed"]
        segv = [k for k in crashed if '"BLOCK":128' in k and '"UNROLL":4' in k]
        self.assertEqual(len(segv), 3, crashed)
        # A kill mid-trial crashes that trial; one between two trials costs nothing (the slot restarts).
        self.assertLessEqual(len(crashed), 5, crashed)

    def test_engine_sigterm_leaves_no_actor_and_no_worker(self):
        trace = os.path.join(self.tmp, "trace")
        pidfile = os.path.join(self.tmp, "child")
        db = os.path.join(self.tmp, "results.sqlite")
        device = self.slot_device([], ["--trace", trace, "--delay-ms", "300", "--fork-child", pidfile])
        engine = subprocess.Popen([TUNE, "tune", "--quiet", "--device", device, "--db", db, "--strategy", "grid",
                                   "--remeasure", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  preexec_fn=end_with_parent)
        try:
            self.assertTrue(wait_until(lambda: evaluations(trace) >= 4, 60, 0.02), "the session did not get going")
            actors = self.cluster.pids("ray::WorkerSlot")
            self.assertEqual(len(actors), 1, actors)
            with open(pidfile) as f:
                child, worker = (int(x) for x in f.read().split()[:2])
            self.assertEqual(sorted(self.worker_pids()), sorted([worker, child]))  # a fork: same command line
            started = time.monotonic()
            engine.send_signal(signal.SIGTERM)
            out, _ = engine.communicate(timeout=30)
            self.assertEqual(engine.returncode, 143, out.decode())
            self.assertLess(time.monotonic() - started, 10)
            # Nothing is left: no actor process, no worker (nor its child), and Ray's own state (the
            # GCS actor table) has every actor of a slot dead.
            if not wait_until(lambda: not self.cluster.pids("ray::WorkerSlot") and not self.worker_pids(), 20):
                left = [(p, read("/proc/%d/stat" % p)) for p in self.worker_pids()]
                self.fail("left behind: actors %s, workers %s (worker %d, child %d)"
                          % (self.cluster.pids("ray::WorkerSlot"), left, worker, child))
            self.assertTrue(wait_until(lambda: not self.live_slot_actors(), 20), self.live_slot_actors())
            with sqlite3.connect(db) as c:
                self.assertEqual(c.execute("SELECT state FROM sessions").fetchone()[0], "stopped")
                self.assertGreaterEqual(c.execute("SELECT COUNT(*) FROM trials WHERE status = 'ok'").fetchone()[0], 3)
        finally:
            if engine.poll() is None:
                engine.kill()
                engine.wait()

    def worker_pids(self):
        """The test workers running anywhere on this host (a slot's, started through Ray)."""
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit() and alive(int(entry)):
                try:
                    with open("/proc/%s/cmdline" % entry, "rb") as f:
                        argv = f.read().split(b"\0")
                except OSError:
                    continue
                if argv[0] == WORKER.encode() and any(self.tmp.encode() in a for a in argv):
                    found.append(int(entry))
        return found

    @staticmethod
    def live_slot_actors():
        from ray._private import state  # the GCS actor table (the public state API needs the dashboard)
        return [a for a in state.actors().values()
                if a.get("ActorClassName", "").endswith("WorkerSlot") and a.get("State") != "DEAD"]

    def test_no_free_gpu_fails_the_session_with_a_reason(self):
        # Every GPU is held by a slot: a session whose slot waits 3 s for one fails with the
        # slot's reason (the engine's start error quotes its last words); one whose slot would
        # wait longer than the engine's start deadline ends at that deadline. No hang either way.
        holders = [self.slot() for _ in range(4)]
        for h in holders:
            h.message(60)
        started = time.monotonic()
        run, _ = self.tune(["--wait", "3"], [], "--strategy", "grid", "--budget", "5", db_name="wait.sqlite")
        self.assertNotIn(run.returncode, (0, 3), run.stdout.decode())
        self.assertLess(time.monotonic() - started, 30)
        self.assertIn("no free GPU within 3 s (--wait)", run.stdout.decode())
        started = time.monotonic()
        run, _ = self.tune([], [], "--strategy", "grid", "--budget", "5", db_name="deadline.sqlite",
                           device=self.slot_device(["--wait", "600"], [], options="start_timeout=5"))
        self.assertNotIn(run.returncode, (0, 3), run.stdout.decode())
        self.assertLess(time.monotonic() - started, 30)
        self.assertIn("no hello within 5 s (the start timeout)", run.stdout.decode())
        for h in holders:
            h.m_proc.stdin.close()
        for h in holders:
            self.assertEqual(h.wait(10), 0, h.stderr())
        # tearDown: all 4 GPUs free again, so the slot killed while its actor waited left no claim.

    def test_fault_session_loses_and_duplicates_nothing(self):
        # A grid over all 57 configurations; BLOCK 16 crashes its worker (12 configurations), and
        # the actor of the 30th evaluation is killed while it runs.
        trace = os.path.join(self.tmp, "trace")
        killed = []

        def kill_an_actor():
            wait_until(lambda: evaluations(trace) >= 30, 120, 0.02)
            pids = self.cluster.pids("ray::WorkerSlot")
            for pid in pids:
                os.kill(pid, signal.SIGKILL)
            killed.extend(pids)

        killer = threading.Thread(target=kill_an_actor)
        killer.start()
        run, db = self.tune([], ["--segv-on", '{"BLOCK":16}', "--trace", trace, "--delay-ms", "300"],
                            "--strategy", "grid", "--budget", "57", "--remeasure", "0")
        killer.join()
        self.assertEqual(run.returncode, 0, run.stdout.decode())
        self.assertEqual(len(killed), 1, "one actor ran when it was killed")
        with sqlite3.connect(db) as c:
            self.assertEqual(c.execute("SELECT COUNT(*), COUNT(DISTINCT config_key), MIN(seq), MAX(seq) FROM trials").fetchone(),
                             (57, 57, 1, 57))
            crashed = c.execute("SELECT config, error FROM trials WHERE status = 'crashed'").fetchall()
            block16 = [e for cfg, e in crashed if json.loads(cfg)["BLOCK"] == 16]
            others = [e for cfg, e in crashed if json.loads(cfg)["BLOCK"] != 16]
            self.assertEqual(len(block16), 12)
            self.assertTrue(all("Segmentation fault" in e for e in block16), block16[:1])
            self.assertEqual(len(others), 1, others)
            self.assertIn("the Ray actor running the worker on node", others[0])
            self.assertEqual(c.execute("SELECT COUNT(*) FROM trials WHERE status = 'ok'").fetchone()[0], 44)


class SlotWithoutCluster(unittest.TestCase):
    def test_no_cluster_at_the_address(self):
        started = time.monotonic()
        s = Slot("127.0.0.1:%d" % free_port())
        try:
            self.assertEqual(s.wait(30), 91, s.stderr())
            self.assertIn("no Ray cluster at 127.0.0.1:", s.stderr())
            self.assertIn("ray start --head", s.stderr())
            self.assertLess(time.monotonic() - started, 15)
        finally:
            s.close()

    def test_an_address_that_never_answers(self):
        # A port that accepts connections and says nothing: the connect timeout bounds ray.init.
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(16)
            started = time.monotonic()
            s = Slot("127.0.0.1:%d" % listener.getsockname()[1], slot_args=["--connect-timeout", "4"])
            try:
                self.assertEqual(s.wait(30), 91, s.stderr())
                self.assertLess(time.monotonic() - started, 20)
                self.assertRegex(s.stderr(), "no answer from the Ray cluster at .* within 4 s|cannot connect to the Ray cluster")
            finally:
                s.close()


class SlotWhenTheHeadGoes(unittest.TestCase):
    def test_head_gone(self):
        cluster = Cluster(gpus=1)
        s = None
        try:
            s = Slot(cluster.address)
            worker = s.message(60)["pid"]
            s.send({"type": "load", "id": 1, "problem": {}})
            s.message()
            gcs = cluster.pids(os.path.join(os.path.dirname(ray.__file__), "core", "src", "ray", "gcs", "gcs_server"))
            self.assertEqual(len(gcs), 1)
            started = time.monotonic()
            os.kill(gcs[0], signal.SIGKILL)
            self.assertEqual(s.wait(30), 94, s.stderr())
            self.assertLess(time.monotonic() - started, 15)
            self.assertIn("the Ray cluster's head at %s does not answer" % cluster.address, s.stderr())
            self.assertIn("resume the session", s.stderr())
            self.assertTrue(wait_until(lambda: not alive(worker), 20), "the worker outlived its slot")
        finally:
            if s:
                s.close()
            cluster.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", required=True)
    parser.add_argument("--tune", required=True)
    args, rest = parser.parse_known_args()
    WORKER, TUNE = os.path.abspath(args.worker), os.path.abspath(args.tune)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
