#!/usr/bin/env python3
"""A stand-in for the Triton worker around kernels/triton/compile_pool.py, for
test_compile_pool.py: one command per stdin line, one JSON answer per line on stdout.

    compile_pool_driver.py RECORD_DIR HOLD_FILE
    submit N | cancel I | results | server | stop
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "..", "kernels", "triton"), HERE]

import compile_ahead  # noqa: E402
import compile_pool_fixture  # noqa: E402  (imported here before the server's hold is set)
from compile_pool import CompilePool  # noqa: E402


def main():
    record, hold = sys.argv[1], sys.argv[2]
    os.environ["PYTHONPATH"] = HERE + os.pathsep + os.environ.get("PYTHONPATH", "")
    os.environ["COMPILE_POOL_TEST_HOLD"] = hold
    context = compile_ahead.start_server(preload=("compile_pool_fixture",))
    del os.environ["COMPILE_POOL_TEST_HOLD"]
    pool = CompilePool(context, 2, compile_pool_fixture.init, (record,), compile_pool_fixture.work)
    futures = []
    for line in sys.stdin:
        words = line.split()
        if words[0] == "submit":
            futures += [pool.submit(n) for n in range(len(futures), len(futures) + int(words[1]))]
            answer = {"submitted": len(futures)}
        elif words[0] == "cancel":
            answer = {"cancelled": futures[int(words[1])].cancel()}
        elif words[0] == "results":
            answer = {"results": [None if f.cancelled() else f.result(timeout=60) for f in futures]}
        elif words[0] == "server":
            from multiprocessing import forkserver
            answer = {"server": forkserver._forkserver._forkserver_pid}
        elif words[0] == "stop":
            pool.stop()
            try:
                pool.submit(99).result(timeout=5)
                answer = {"after_stop": "ran"}
            except Exception as e:
                answer = {"after_stop": type(e).__name__}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
