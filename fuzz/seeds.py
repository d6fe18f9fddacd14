#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/<target>/ from the data the project ships (resources/,
tests/data/, docs/) and, when given, from a built dejavu-tune and dejavu-test-worker (protocol lines
and bundles). Large files go in truncated: a Kernel Tuner cache keeps its header and a few entries.

    fuzz/seeds.py [--tune build/app/cli/dejavu-tune] [--worker build/kernels/test-worker/dejavu-test-worker]

Files derived from resources/datasets/kerneltuner/ (benchmark_hub, MIT) are written next to a copy
of its LICENSE.benchmark_hub notice. Existing seeds are replaced; fuzz/regressions/ is untouched.
"""
import argparse
import gzip
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def target(name):
    d = os.path.join(CORPUS, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def put(d, name, data):
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def compact(o):
    return json.dumps(o, separators=(",", ":"))


def kerneltuner(d):
    datasets = os.path.join(ROOT, "resources", "datasets")
    for sub in sorted(os.listdir(datasets)):
        for f in sorted(os.listdir(os.path.join(datasets, sub))):
            if not f.endswith(".json.gz"):
                continue
            with gzip.open(os.path.join(datasets, sub, f)) as g:
                whole = json.load(g)
            keep = dict(whole)
            items = list(whole["cache"].items())
            # A few entries: the first ones, and failed ones when there are any.
            picked = items[:4] + [kv for kv in items if isinstance(kv[1].get("time"), str)][:2]
            keep["cache"] = dict(picked)
            stem = f"{sub}_{f[:-8]}"
            text = json.dumps(keep)
            put(d, stem + ".json", text)
            if sub == "h100" and "rows16" in f:
                put(d, stem + ".json.gz", gzip.compress(text.encode(), mtime=0))
                # Kernel Tuner closes the object only at the end; an interrupted run leaves "...},".
                put(d, stem + "_interrupted.json", text[: text.rfind("}}")] + "},\n")
    shutil.copy(os.path.join(datasets, "kerneltuner", "LICENSE.benchmark_hub"), d)
    put(d, "failures.json", compact({
        "device_name": "GPU", "kernel_name": "k", "problem_size": [1], "tune_params_keys": ["a", "s", "b"],
        "tune_params": {"a": [1, 2.5], "s": ["x", "y"], "b": [True, False]},
        "cache": {"1,x,True": {"a": 1, "s": "x", "b": True, "time": "InvalidConfig"},
                  "2.5,y,False": {"time": 0.5, "times": [0.5, 0.6], "compile_time": 3, "dejavu_status": "ok"},
                  "1,y,False": {"a": 1, "s": "y", "b": False, "time": "RuntimeFailedConfig", "dejavu_status": "crashed",
                                "dejavu_error": "segv"}}}))


def spaces(d, c):
    for f in sorted(os.listdir(os.path.join(ROOT, "resources", "spaces"))):
        shutil.copy(os.path.join(ROOT, "resources", "spaces", f), os.path.join(d, f))
    doc = open(os.path.join(ROOT, "docs", "space-format.md")).read()
    for i, block in enumerate(re.findall(r"```json\n(.*?)```", doc, re.S)):
        put(d, f"space-format-{i}.json", block)
    put(d, "test-worker.json", compact({"name": "synthetic", "parameters": [
        {"name": "BLOCK", "values": [16, 32, 64, 128, 256]}, {"name": "UNROLL", "values": [1, 2, 4, 8]},
        {"name": "VEC", "values": [1, 2, 4]}], "constraints": ["BLOCK * UNROLL <= 1024"]}))
    put(d, "types.json", compact({"parameters": [
        {"name": "f", "values": [0.5, 1.25, -3]}, {"name": "s", "values": ["row", "col"]},
        {"name": "b", "values": [False, True]}, {"name": "r", "range": {"start": 0, "stop": 1, "step": 0.25}}],
        "constraints": ["s == 'row' or not b", "f * 4 >= r", "b ? f > 0 : true"]}))
    # Constraints alone, one per line, for fuzz_constraints (over BLOCK_M, num_warps, layout, split, ratio).
    lines = ["BLOCK_M * num_warps <= 512", "layout == \"row\" and not split", "ratio > 0 || BLOCK_M % 32 == 0",
             "min(BLOCK_M, 64) == 64 ? num_warps >= 4 : true", "floor(ratio) != ceil(ratio)", "not (split and layout != 'col')",
             "BLOCK_M >= 16 && num_warps != 1", "true", "abs(ratio) < 2 and max(BLOCK_M, num_warps * 8) <= 128"]
    for i, line in enumerate(lines):
        put(c, f"line-{i}.txt", line)
    put(c, "all.txt", "\n".join(lines))
    for f in sorted(os.listdir(d)):
        try:
            for i, e in enumerate(json.load(open(os.path.join(d, f))).get("constraints", [])):
                put(c, f"{f[:-5]}-{i}.txt", e)
        except (ValueError, AttributeError):
            pass


def protocol(d, worker):
    doc = open(os.path.join(ROOT, "docs", "worker-protocol.md")).read()
    lines = [l for l in re.findall(r"^(\{.*\})\s*$", doc, re.M)]
    # Multi-line examples in the document: join the lines of each ```json block into messages.
    for block in re.findall(r"```json\n(.*?)```", doc, re.S):
        msg = ""
        for l in block.splitlines():
            msg += l.strip()
            try:
                json.loads(msg)
                lines.append(msg)
                msg = ""
            except ValueError:
                pass
    for i, l in enumerate(dict.fromkeys(lines)):
        put(d, f"doc-{i}.jsonl", l + "\n")
    if not worker:
        return
    requests = [
        {"type": "load", "id": 1, "kernel": "", "problem": {}},
        {"type": "evaluate", "id": 2, "config": {"BLOCK": 64, "UNROLL": 2, "VEC": 2},
         "options": {"warmup": 1, "repetitions": 3, "min_time_ms": 0, "max_repetitions": 5, "flush_l2": True, "timeout_ms": 1000}},
        {"type": "evaluate", "id": 3, "config": {"BLOCK": 256, "UNROLL": 8, "VEC": 1},
         "options": {"warmup": 1, "repetitions": 3, "min_time_ms": 0, "max_repetitions": 5, "flush_l2": False, "timeout_ms": 1000}},
        {"type": "prepare", "id": 4, "configs": [{"BLOCK": 16, "UNROLL": 1, "VEC": 1}]},
        {"type": "bogus", "id": 5},
        {"type": "shutdown", "id": 6}]
    stdin = "".join(compact(r) + "\n" for r in requests)
    for i, r in enumerate(requests):
        put(d, f"request-{i}.jsonl", compact(r) + "\n")
    runs = {"normal": [], "faults": ["--wrong-on", '{"VEC":2}', "--compile-error-on", '{"BLOCK":256}', "--prepare", "yes"],
            "garbage": ["--garbage-on", "{}"], "stale": ["--stale-id-on", "{}"], "error": ["--error-reply-on", "{}"],
            "bad": ["--bad-measurement-on", "{}"], "version": ["--hello", "version"],
            "extra": ["--loaded-extra", '{"deployment":{"x":1}}', "--unverified-on", "{}"]}
    for name, args in runs.items():
        out = subprocess.run([worker] + args, input=stdin, capture_output=True, text=True, timeout=30).stdout
        put(d, f"worker-{name}.jsonl", out)


def bundles(a, j, tune):
    def tar(entries, name, gz=True):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz" if gz else "w") as t:
            for info, data in entries:
                t.addfile(info, io.BytesIO(data) if data is not None else None)
        put(a, name, buf.getvalue())

    def info(path, data=b"", kind=tarfile.REGTYPE, link=""):
        i = tarfile.TarInfo(path)
        i.type = kind
        i.size = len(data) if kind == tarfile.REGTYPE else 0
        i.linkname = link
        return i, (data if kind == tarfile.REGTYPE else None)

    m = b'{"format":"dejavu-bundle","version":1}'
    tar([info("manifest.json", m)], "manifest-only.tar.gz")
    tar([info("manifest.json", m), info("../evil", b"x")], "dotdot.tar.gz")
    tar([info("manifest.json", m), info("exports/l", kind=tarfile.SYMTYPE, link="/etc/passwd")], "symlink.tar.gz")
    tar([info("manifest.json", m), info("exports/h", kind=tarfile.LNKTYPE, link="manifest.json")], "hardlink.tar.gz")
    tar([info("manifest.json", m), info("exports/f", kind=tarfile.FIFOTYPE)], "fifo.tar")
    tar([info("manifest.json", m), info("manifest.json", m)], "twice.tar", gz=False)
    tar([info("./sessions", kind=tarfile.DIRTYPE), info("/abs", b"x")], "absolute.tar.gz")
    if not tune:
        return
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "r.sqlite")
        for rows in ("16", "256"):
            subprocess.run([tune, "tune", "--device", f"replay:h100/triton_rmsnorm_fp16_rows{rows}_N4096", "--strategy", "random",
                            "--budget", "3", "--seed", "1", "--db", db, "--quiet"], check=True, capture_output=True)
        out = os.path.join(tmp, "b.tar.gz")
        subprocess.run([tune, "bundle", "create", "--db", db, "--session", "1,2", "--kernel", "triton_rmsnorm_fp16", "--out", out], check=True, capture_output=True)
        data = open(out, "rb").read()
        put(a, "rmsnorm.tar.gz", data)
        with tarfile.open(out) as t:
            for member in t.getmembers():
                if member.isfile():
                    put(j, member.name.replace("/", "_"), t.extractfile(member).read())


def deployments(d, t):
    data = os.path.join(ROOT, "tests", "data")
    shutil.copy(os.path.join(data, "dejavu-deployment-scale_add.json"), d)
    fixture = json.load(open(os.path.join(data, "triton-cache", "fixture.json")))
    for f in ("deploy-h100-matmul.json", "deploy-h100-rmsnorm.json"):
        whole = json.load(open(os.path.join(data, "triton-cache", f)))
        # Shorter: a few configs are enough to reach every branch.
        whole["triton_cache"]["configs"] = whole["triton_cache"]["configs"][:3]
        whole["dejavu"]["configs"] = whole["dejavu"].get("configs", [])[:3]
        put(d, f, json.dumps(whole))
        put(t, f, json.dumps(whole) + "\n---\n" + fixture["expected"]["json"])
    put(t, "fixture.json", json.dumps(fixture["deployment"]) + "\n---\n" + fixture["expected"]["json"])
    put(t, "fixture-no-cache.json", json.dumps(fixture["deployment"]["triton_cache"]))


def vllm(d):
    cfg = {"BLOCK_SIZE_M": 16, "BLOCK_SIZE_N": 64, "BLOCK_SIZE_K": 128, "GROUP_SIZE_M": 1, "num_warps": 4, "num_stages": 3}
    put(d, "vllm.json", json.dumps({"triton_version": "3.3.1", "1": cfg, "64": dict(cfg, BLOCK_SIZE_M=64), "4096": cfg}, indent=4))
    put(d, "underscore.json", json.dumps({" 1_024 ": cfg, "+7": dict(cfg, num_warps=8)}))
    put(d, "missing.json", json.dumps({"2": {"BLOCK_SIZE_M": 16}}))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tune")
    p.add_argument("--worker")
    args = p.parse_args()
    kerneltuner(target("kerneltuner_cache"))
    spaces(target("space_file"), target("constraints"))
    protocol(target("worker_protocol"), args.worker)
    bundles(target("bundle_archive"), target("bundle_json"), args.tune)
    deployments(target("dejavu_deployment"), target("triton_cache"))
    vllm(target("vllm_config"))
    for name in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, name))
        size = sum(os.path.getsize(os.path.join(CORPUS, name, f)) for f in files)
        print(f"{name}: {len(files)} files, {size} bytes")


if __name__ == "__main__":
    main()
