#!/usr/bin/env python3
"""Reference labeller: the held-out labels of one transformers version, in plain Python.

`llemc heldout label` (Rust, embedded CPython) is the labeller for the supported versions. This
script writes the same JSON lines from the same Python module (`miners/live/python/llemc_generate.py`)
without the Rust side, for a version the SSOT does not list yet (5.24.0) and as a cross-check of
the Rust labeller (the two must agree byte for byte). Run it with the interpreter of the version's
venv (torch reaches it through the venv's `llemc-shared.pth`):

    .cache/venvs/transformers-5.24.0/bin/python eval/heldout/label_generate.py \\
        [--input eval/heldout/generation_kwargs.jsonl] [--output eval/heldout/labels-5.24.0.jsonl]

One process labels one version; the output is deterministic (a rerun is byte-identical).
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "miners", "python"))

import llemc_generate  # noqa: E402  (needs the path above)

MODULE = "transformers.generation.configuration_utils"
CLASS = "GenerationConfig"


def text(value):
    return llemc_generate.mask_addresses(value) if isinstance(value, str) else ""


def raised(exception, phase):
    frame = exception.get("frame")
    return {
        "phase": phase,
        "stage": text(exception.get("stage")) or phase,
        "type": text(exception.get("type")),
        "message": text(exception.get("message")),
        "frame": None if not isinstance(frame, dict) else {
            "file": text(frame.get("file")),
            "function": text(frame.get("function")),
            "line": int(frame.get("line") or 0),
        },
    }


def emissions(observed):
    return [{"channel": text(e.get("channel")), "level": text(e.get("level")),
             "message": text(e.get("message"))} for e in observed.get("emissions") or []]


def label(case_id, observed):
    """The label of one observation, exactly as `miners/pipeline/src/heldout/label.rs` writes it."""
    phase = text(observed.get("phase"))
    minor = {k: text(v) for k, v in (observed.get("minor_issues") or {}).items()}
    exception = observed.get("exception")
    exception = raised(exception, phase) if isinstance(exception, dict) else None
    minor_only = (phase == "validate" and bool(minor) and exception is not None
                  and exception["message"].startswith(llemc_generate.MINOR_ISSUES_RAISE))
    outcome = {"ok": "accepted", "timeout": "timeout", "unavailable": "unavailable"}.get(
        observed.get("outcome"))
    if observed.get("outcome") == "error":
        outcome = "accepted" if minor_only else "rejected"
    if outcome is None:
        raise SystemExit(f"case {case_id}: unknown outcome {observed.get('outcome')!r}")
    stage = observed.get("generate")
    generate = None
    if isinstance(stage, dict):
        exc = stage.get("exception")
        sequences = stage.get("sequences")
        generate = {
            "outcome": stage["outcome"],
            "exception": raised(exc, "generate") if isinstance(exc, dict) else None,
            "warnings": emissions(stage),
            "sequences": [int(d) for d in sequences] if isinstance(sequences, list) else None,
        }
    return {
        "id": case_id,
        "outcome": outcome,
        "exception": None if outcome == "accepted" else exception,
        "minor_issues": dict(sorted(minor.items())),
        "warnings": emissions(observed),
        "normalised": dict(sorted((observed.get("normalised") or {}).items())),
        "generate": generate,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", default=os.path.join(HERE, "generation_kwargs.jsonl"))
    parser.add_argument("--output")
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()
    import transformers

    version = transformers.__version__
    output = args.output or os.path.join(HERE, f"labels-{version}.jsonl")
    cases = [json.loads(line) for line in open(args.input, encoding="utf-8") if line.strip()]
    arg = {"module": MODULE, "class": CLASS, "strict": True, "timeout_s": args.timeout,
           "minor_issues_variable": "minor_issues"}
    llemc_generate.observe(dict(arg, kwargs={}))  # imports, model build: not about a case
    lines = []
    counts = {}
    for case in cases:
        row = label(case["id"], llemc_generate.observe(dict(arg, kwargs=case["kwargs"])))
        lines.append(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
        key = row["outcome"] + ("" if row["generate"] is None else "/generate:" + row["generate"]["outcome"])
        counts[key] = counts.get(key, 0) + 1
    tmp = output + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as handle:
        handle.write("".join(lines))
    os.replace(tmp, output)
    print(f"labelled {len(cases)} cases with transformers {version} -> {output}: {dict(sorted(counts.items()))}")


if __name__ == "__main__":
    main()
