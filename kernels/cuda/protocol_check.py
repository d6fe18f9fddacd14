#!/usr/bin/env python3
"""Drives a native worker over the protocol on a GPU host and checks its answers:
hello, load, prepare/prepared, evaluate (events and graph timing, invalid, wrong result),
the error codes, shutdown/bye.  usage: protocol_check.py WORKER [ARGS...]"""
import json, subprocess, sys

worker = subprocess.Popen(sys.argv[1:] + ["--fault-wrong-on", '{"BLOCK":128,"ITEMS":4}'],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
failures = []
next_id = 0


def ask(message):
    global next_id
    if "id" not in message:
        next_id += 1
        message["id"] = next_id
    worker.stdin.write(json.dumps(message) + "\n")
    worker.stdin.flush()
    answer = json.loads(worker.stdout.readline())
    print(json.dumps(answer)[:400])
    if answer.get("id") != message["id"]:
        failures.append(f"answer to {message['id']} has id {answer.get('id')}")
    return answer


def expect(cond, what):
    if not cond:
        failures.append(what)


hello = json.loads(worker.stdout.readline())
print(json.dumps(hello))
expect(hello["type"] == "hello" and hello["protocol"] == 1 and "prepare" in hello.get("capabilities", []), "hello")
options = {"warmup": 2, "repetitions": 5, "min_time_ms": 5, "max_repetitions": 50, "flush_l2": True, "timeout_ms": 30000}
a = ask({"type": "evaluate", "config": {}, "options": options})
expect(a["type"] == "error" and a["code"] == "not_loaded", "evaluate before load")
a = ask({"type": "load", "kernel": "gemm2", "problem": {}})
expect(a["type"] == "error" and a["code"] == "unknown_kernel", "unknown kernel")
a = ask({"type": "load", "kernel": "gemm", "problem": {"M": 100}})
expect(a["type"] == "error" and a["code"] == "bad_problem", "bad problem")
a = ask({"type": "load", "kernel": "reduce", "problem": {"n": 3000000}})
expect(a["type"] == "loaded" and a["problem"] == '{"n":3000000}', "load")
configs = [{"BLOCK": b, "ITEMS": 4, "VEC": 4, "UNROLL": 2} for b in (128, 256, 512)]
a = ask({"type": "prepare", "configs": configs + [{"BLOCK": 3}]})
expect(a["type"] == "prepared" and a["queued"] == 3, "prepare queues the 3 valid configurations")
a = ask({"type": "prepare", "configs": configs})
expect(a["type"] == "prepared" and a["queued"] == 0, "prepare twice queues nothing")
for c in configs:
    for graph in (False, True):
        m = ask({"type": "evaluate", "config": c, "options": dict(options, graph=graph)})
        want = "wrong_result" if c["BLOCK"] == 128 else "ok"
        expect(m["status"] == want, f"{c} graph={graph}: {m['status']} (want {want})")
        if m["status"] == "ok":
            expect(m["p20_ms"] <= m["objective_ms"] <= m["p80_ms"] and m["compile_ms"] > 0, "ok measurement fields")
            expect(m["extra"]["timing"] == ("graph" if graph else "events"), "timing mode")
m = ask({"type": "evaluate", "config": {"BLOCK": 64, "ITEMS": 1, "VEC": 1, "UNROLL": 8}, "options": options})
expect(m["status"] == "invalid", "a configuration violating a constraint is invalid")
a = ask({"type": "frobnicate"})
expect(a["type"] == "error" and a["code"] == "unsupported", "unknown request")
a = ask({"type": "shutdown"})
expect(a["type"] == "bye", "bye")
expect(worker.wait(timeout=10) == 0, "exit status 0 after shutdown")
print("FAILED: " + "; ".join(failures) if failures else "PASSED")
sys.exit(1 if failures else 0)
