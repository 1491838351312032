#!/usr/bin/env python3
"""Record what the ORIGINAL Python loaders report for the generated configs.

Own code. The original loaders are NOT part of this repository: pass the paths
of the two loader files (obtained as described in conformance/README.md):

    python3 conformance/record.py \
        --loader-v1 .cache/original/vendored_rules_loader.py \
        --loader-v070 .cache/original/engine_rules_loader_070.py

Each loader file is imported standalone (it needs only PyYAML and the
standard library). Each corpus is parsed with the loader's own envelope
parser, then every rule's ``try_match`` is called on every config in corpus
order, the way the original ``@model_validator`` walks the rules, except that
an ``error`` match does not stop the walk: every fired rule is recorded. If
``try_match`` raises, the config's expectation is the exception of the first
raising rule (in corpus order) and the walk stops there, as the original's
validation would stop.

For the 0.7.0 corpora the ordering operators are observed through in-memory
wrappers around the loaded module's handler table (the files on disk are not
modified): each ordering test that is actually evaluated is also computed with
plain Python semantics, and ``ordering_agrees`` is false when any of them
differs (a bool operand where Python's result is true, or a pair Python cannot
order).

Output: ``<out-dir>/<label>.jsonl``, one line per config:
    {"config": {...}, "expect": {...}}                       (v1)
    {"config": {...}, "expect": {...}, "ordering_agrees": b} (0.7.0)
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import operator
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import CORPORA  # noqa: E402

ENGINE_OF = {label: label.split("_")[-1] for label, _ in CORPORA}
EXPECTED_SHA256 = {
    # henrycgbaker/llenergymeasure @ 5749371f, src/llenergymeasure/config/vendored_rules/loader.py
    "v1": "71c3cd06403176e5960003864a68d011d5622c9cd5a840cca89b8cd76d0b7896",
    # llenergymeasure 0.7.0 wheel (PyPI), llenergymeasure/config/engine_rules/loader.py
    "v070": "c2296127f98d7c92c4843f2a53a8e93c2cc4d90eb7a7dbdaebfb509e89923153",
}
PY_ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def load_module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import {path}")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclasses with `from __future__ import annotations` need this
    spec.loader.exec_module(mod)
    return mod


class OrderingProbe:
    """Wraps the ordering handlers of a loaded 0.7.0 module (in memory only)."""

    def __init__(self, mod):
        self.diffs: set[str] = set()
        table = mod._OPERATOR_HANDLERS
        for op, pyop in PY_ORDER.items():
            table[op] = self._wrap(table[op], pyop)

    def _wrap(self, original, pyop):
        def handler(a, b):
            result = original(a, b)
            if a is None or b is None:
                python = False
            else:
                try:
                    python = bool(pyop(a, b))
                except TypeError:
                    self.diffs.add("incomparable")
                    return result
            if python != bool(result):
                self.diffs.add("bool" if isinstance(a, bool) or isinstance(b, bool) else "other")
            return result

        return handler


def evaluate(rules, cfg):
    fired = []
    for rule in rules:
        try:
            match = rule.try_match(cfg)
        except Exception as exc:  # noqa: BLE001 - recording what the original raises
            return {"raises": f"{type(exc).__name__}: {exc}", "raised_by": rule.id}
        if match is None:
            continue
        entry = {"id": rule.id, "severity": rule.severity, "declared_value": match.declared_value}
        try:
            entry["message"] = rule.render_message(match)
        except Exception:  # noqa: BLE001 - message omitted when rendering raises
            pass
        fired.append(entry)
    return {"fired": fired}


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--loader-v1", type=Path, required=True, help="vendored_rules/loader.py of the original")
    ap.add_argument("--loader-v070", type=Path, required=True, help="config/engine_rules/loader.py of 0.7.0")
    ap.add_argument("--compat-dir", type=Path, default=REPO.parent / "shared" / "compat")
    ap.add_argument("--in-dir", type=Path, default=REPO / ".cache" / "conformance" / "inputs")
    ap.add_argument("--out-dir", type=Path, default=REPO / "conformance" / "data")
    args = ap.parse_args(argv)

    for name, path in (("loader-v1", args.loader_v1), ("loader-v070", args.loader_v070)):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        note = "" if digest in EXPECTED_SHA256.values() else "  (NOT the version the committed data was recorded with)"
        print(f"{name}: {path} sha256={digest}{note}", file=sys.stderr)
    v1 = load_module("original_vendored_rules_loader", args.loader_v1)
    v070 = load_module("original_engine_rules_loader_070", args.loader_v070)
    probe = OrderingProbe(v070)

    args.out_dir.mkdir(parents=True, exist_ok=True)
    print("| corpus | configs | raises | >=1 fired | ordering_agrees=false | rules firing >=1 / total |")
    print("|---|---|---|---|---|---|")
    for label, rel in CORPORA:
        is070 = label.startswith("v070_")
        mod = v070 if is070 else v1
        parsed = mod._parse_envelope(ENGINE_OF[label], (args.compat_dir / rel).read_text())
        rules = parsed.rules
        out_lines = []
        n_raise = n_fired = n_disagree = 0
        rules_fired: set[str] = set()
        for line in (args.in_dir / f"{label}.jsonl").read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            cfg = json.loads(line)
            probe.diffs.clear()
            expect = evaluate(rules, cfg)
            record = {"config": cfg, "expect": expect}
            if "raises" in expect:
                n_raise += 1
            elif expect["fired"]:
                n_fired += 1
                rules_fired.update(f["id"] for f in expect["fired"])
            if is070:
                record["ordering_agrees"] = not probe.diffs
                if probe.diffs:
                    record["ordering_diffs"] = sorted(probe.diffs)
                    n_disagree += 1
            out_lines.append(dumps(record))
        (args.out_dir / f"{label}.jsonl").write_text("\n".join(out_lines) + "\n", encoding="utf-8")
        dis = str(n_disagree) if is070 else "n/a"
        print(f"| {label} | {len(out_lines)} | {n_raise} | {n_fired} | {dis} | {len(rules_fired)} / {len(rules)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
