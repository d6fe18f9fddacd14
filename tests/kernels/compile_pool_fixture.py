"""What test_compile_pool.py's pool runs (imported by its driver and by the fork server).

Imported by a fork server started with COMPILE_POOL_TEST_HOLD=FILE in its environment, the
import waits until FILE exists: the test decides when the server is ready, as the Triton
worker's server is when it has imported torch.
"""
import os
import time

_hold = os.environ.get("COMPILE_POOL_TEST_HOLD")
if _hold:
    while not os.path.exists(_hold):
        time.sleep(0.02)

_record = None


def init(record_dir):
    global _record
    _record = record_dir


def work(n):
    with open(os.path.join(_record, f"ran-{n}"), "w") as f:
        f.write(str(os.getpid()))
    return n * 2, os.getpid()
