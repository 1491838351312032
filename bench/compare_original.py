#!/usr/bin/env python3
"""Side-by-side throughput: the ORIGINAL Python rule loader vs llemc (interpreter and JIT), in one run.

Own code. The original loader is NOT part of this repository and must never be committed. Get it
from the original project (GitHub `henrycgbaker/llenergymeasure`, file
`src/llenergymeasure/config/vendored_rules/loader.py`, e.g. at commit
`5749371fefeb5e576374ae55496faf3548ebfef7`, sha256
`71c3cd06403176e5960003864a68d011d5622c9cd5a840cca89b8cd76d0b7896`; see conformance/README.md)
and save it outside version control, e.g. `.cache/original/vendored_rules_loader.py`
(`.cache/` is gitignored):

    mkdir -p .cache/original
    curl -L -o .cache/original/vendored_rules_loader.py \\
      https://raw.githubusercontent.com/henrycgbaker/llenergymeasure/5749371fefeb5e576374ae55496faf3548ebfef7/src/llenergymeasure/config/vendored_rules/loader.py

It needs only PyYAML. Usually run through bench/run_comparison.sh, which builds the release
binaries first:

    python3 bench/compare_original.py --original-loader .cache/original/vendored_rules_loader.py \\
        --llemc target/release/llemc --throughput target/release/examples/throughput

For each v1 compat corpus (../shared/compat/{transformers,vllm,tensorrt}.yaml) the same first
--n configs of conformance/data/{engine}.jsonl are evaluated by

1. the original loader: its own envelope parser (`_parse_envelope`), then every rule's
   `try_match` on every config in corpus order and `render_message` on every match (what its
   validator does, except that an `error` match or an exception does not stop the walk: every
   rule is evaluated on every config, as llemc does); configs/s, median of --runs runs;
2. llemc in-process (runtime/examples/throughput.rs): bind + evaluate (messages rendered) over
   the pre-parsed configs, and the same with JSON parsing of every line included; and which
   rules fire on frames bound up front, with the interpreter and with the JIT; median of
   --runs runs, each at least 0.5 s;
3. llemc end to end: `llemc eval --corpus C --compat --jsonl FILE --backend B --jobs 1 > /dev/null`
   on the configs repeated --repeat times (process start, corpus compilation, JIT compilation,
   parsing, output included), for each backend B of --backends; median of --runs runs;
4. the same with `--backend jit` on every core (`llemc eval`'s default thread count), timed by
   the wall clock and compared with the original's wall-clock rate (only meaningful on an
   otherwise idle machine: the load average is printed before and after).

Every other rate is configs per second of CPU time of the process doing the work (Python's
`time.process_time`; /proc/self/schedstat in the throughput example; user + system time of the
`llemc eval` child), so that other work on a shared machine does not count against either side.

llemc's own transformers seeds (schema mode) get llemc rows only: the original loader cannot read
`when:` rules. Their configs are the transformers ones with `transformers.sampling.*` moved to
`transformers.generation.*`.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.dont_write_bytecode = True
ENGINES = ("transformers", "vllm", "tensorrt")


def load_module(path: Path):
    spec = importlib.util.spec_from_file_location("original_vendored_rules_loader", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import {path}")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses with `from __future__ import annotations` need it
    spec.loader.exec_module(mod)
    return mod


def read_configs(label: str, n: int) -> list[dict]:
    out = []
    with open(REPO / "conformance" / "data" / f"{label}.jsonl", encoding="utf-8") as f:
        for line in f:
            if len(out) == n:
                break
            out.append(json.loads(line)["config"])
    return out


def to_generation(cfg: dict) -> dict:
    cfg = json.loads(json.dumps(cfg))
    t = cfg.get("transformers")
    if isinstance(t, dict) and "sampling" in t:
        t["generation"] = t.pop("sampling")
    return cfg


def time_original(rules, configs, runs: int) -> tuple[float, float, int]:
    """Median configs/s per CPU second and per wall-clock second, and the findings."""
    rates, walls, fired = [], [], 0
    for _ in range(runs):
        fired = 0
        started = time.process_time()
        wall = time.perf_counter()
        for cfg in configs:
            for rule in rules:
                try:
                    match = rule.try_match(cfg)
                except Exception:  # noqa: BLE001 - the original raises on some configs; go on
                    continue
                if match is None:
                    continue
                fired += 1
                try:
                    rule.render_message(match)
                except Exception:  # noqa: BLE001
                    pass
        rates.append(len(configs) / (time.process_time() - started))
        walls.append(len(configs) / (time.perf_counter() - wall))
    return statistics.median(rates), statistics.median(walls), fired


def time_throughput(binary: str, corpus: Path, configs_file: Path, schema: Path | None, runs: int) -> dict:
    cmd = [binary, "--corpus", str(corpus), "--configs", str(configs_file), "--runs", str(runs)]
    cmd += ["--schema", str(schema)] if schema else ["--compat"]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def time_eval(
    binary: str, corpus: Path, big_file: Path, lines: int, schema: Path | None, runs: int, backend: str, jobs: str | None
) -> dict:
    """Median configs/s of `llemc eval` per CPU second (user + system) and per wall-clock second;
    `jobs` None: its default, one thread per core."""
    cmd = [binary, "eval", "--corpus", str(corpus), "--jsonl", str(big_file), "--backend", backend]
    cmd += ["--schema", str(schema)] if schema else ["--compat"]
    cmd += ["--jobs", jobs] if jobs else []
    rates, walls = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        walls.append(lines / (time.perf_counter() - wall))
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        rates.append(lines / cpu)
    return {"cpu": statistics.median(rates), "wall": statistics.median(walls)}


def fmt(x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"{x:,.0f}"


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None:
        return "n/a"
    return f"{a / b:,.0f}x"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--original-loader", type=Path, required=True, help="the original vendored_rules/loader.py")
    ap.add_argument("--llemc", required=True, help="release llemc binary")
    ap.add_argument("--throughput", required=True, help="release runtime/examples/throughput binary")
    ap.add_argument("--compat-dir", type=Path, default=REPO.parent / "shared" / "compat")
    ap.add_argument("--n", type=int, default=1000, help="configs per corpus")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=1000, help="copies of the configs in the end-to-end file")
    ap.add_argument("--backends", default="interp,jit", help="backends of the end-to-end runs (comma-separated)")
    args = ap.parse_args(argv)

    digest = hashlib.sha256(args.original_loader.read_bytes()).hexdigest()
    print(f"original loader: {args.original_loader} sha256={digest}", file=sys.stderr)
    mod = load_module(args.original_loader)
    print(f"load average before: {os.getloadavg()}", file=sys.stderr)

    rows = []
    with tempfile.TemporaryDirectory(prefix="llemc-compare-") as tmp:
        tmp = Path(tmp)
        cases = [(e, args.compat_dir / f"{e}.yaml", read_configs(e, args.n), None) for e in ENGINES]
        cases.append(
            (
                "seeds transformers (schema mode)",
                REPO / "engines" / "transformers" / "seeds.yaml",
                [to_generation(c) for c in read_configs("transformers", args.n)],
                REPO / "engines" / "transformers" / "reference" / "hand-written-schema.yaml",
            )
        )
        for label, corpus, configs, schema in cases:
            small = tmp / "configs.jsonl"
            text = "".join(json.dumps(c, separators=(",", ":")) + "\n" for c in configs)
            small.write_text(text, encoding="utf-8")
            big = tmp / "big.jsonl"
            big.write_text(text * args.repeat, encoding="utf-8")
            original, original_wall, original_fired, n_rules = None, None, None, None
            if schema is None:
                rules = mod._parse_envelope(label, corpus.read_text(encoding="utf-8")).rules
                n_rules = len(rules)
                original, original_wall, original_fired = time_original(rules, configs, args.runs)
            tp = time_throughput(args.throughput, corpus, small, schema, max(args.runs, 5))
            backends = [b for b in args.backends.split(",") if b]
            e2e = {
                b: time_eval(args.llemc, corpus, big, len(configs) * args.repeat, schema, args.runs, b, "1")["cpu"]
                for b in backends
            }
            threaded = time_eval(args.llemc, corpus, big, len(configs) * args.repeat, schema, args.runs, "jit", None)
            rows.append(
                {
                    "corpus": label,
                    "rules": tp["rules"],
                    "original_rules": n_rules,
                    "configs": len(configs),
                    "original": original,
                    "original_wall": original_wall,
                    "original_fired": original_fired,
                    "llemc_fired": tp["findings"],
                    "inproc": tp["median_configs_per_s"],
                    "inproc_parse": tp["median_with_parse_configs_per_s"],
                    "e2e": e2e,
                    "threaded": threaded,
                    "bound_interp": tp.get("bound_interp_configs_per_s"),
                    "bound_jit": tp.get("bound_jit_configs_per_s"),
                    "jit_compile_ms": tp.get("jit_compile_ms"),
                }
            )
            print(f"done: {label}", file=sys.stderr)
    print(f"load average after: {os.getloadavg()}", file=sys.stderr)

    backends = [b for b in args.backends.split(",") if b]
    head = "| corpus | rules | configs | original (configs/s) | in-process bind+evaluate (configs/s) | ratio | in-process parse+bind+evaluate (configs/s) | ratio |"
    head += "".join(f" `llemc eval --backend {b} --jobs 1` end to end (configs/s) | ratio |" for b in backends)
    print(head)
    print("|---" * (8 + 2 * len(backends)) + "|")
    for r in rows:
        line = (
            f"| {r['corpus']} | {r['rules']} | {r['configs']} | {fmt(r['original'])} | {fmt(r['inproc'])} | "
            f"{ratio(r['inproc'], r['original'])} | {fmt(r['inproc_parse'])} | {ratio(r['inproc_parse'], r['original'])} |"
        )
        line += "".join(f" {fmt(r['e2e'][b])} | {ratio(r['e2e'][b], r['original'])} |" for b in backends)
        print(line)
    print()
    print(f"`llemc eval --backend jit` on every core ({os.cpu_count()}), wall clock, against the original's wall clock:")
    print()
    print("| corpus | original (configs/s, wall) | `llemc eval --backend jit` (configs/s, wall) | ratio | the same per CPU second |")
    print("|---|---|---|---|---|")
    for r in rows:
        t = r["threaded"]
        print(f"| {r['corpus']} | {fmt(r['original_wall'])} | {fmt(t['wall'])} | {ratio(t['wall'], r['original_wall'])} | {fmt(t['cpu'])} |")
    print()
    print("Evaluation on a bound frame (which rules fire; every config bound once up front):")
    print()
    print("| corpus | original (configs/s) | interpreter (configs/s) | ratio | JIT (configs/s) | ratio | JIT compile (ms) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['corpus']} | {fmt(r['original'])} | {fmt(r['bound_interp'])} | {ratio(r['bound_interp'], r['original'])} | "
            f"{fmt(r['bound_jit'])} | {ratio(r['bound_jit'], r['original'])} | {r['jit_compile_ms']:.2f} |"
        )
    print()
    for r in rows:
        if r["original_fired"] is not None:
            print(f"- {r['corpus']}: findings over the {r['configs']} configs: original {r['original_fired']}, llemc {r['llemc_fired']}")
    print(json.dumps(rows), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
