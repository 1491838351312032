#!/usr/bin/env python3
"""What fails in generate() after construction and validation passed: a report from the labels.

Reads `labels-<version>.jsonl` (and the cases it labels) and prints, as Markdown, the configs that
construct and validate cleanly but whose generate() run raises, grouped by exception type and the
innermost frame inside transformers, with the *culprit fields* of each group: a field is a culprit
of a case when generate() runs once that field alone is removed from the kwargs (re-observed
live, so run this with the interpreter of the version's venv):

    .cache/venvs/transformers-5.14.1/bin/python eval/heldout/generate_report.py 5.14.1 \\
        [--cases eval/heldout/generation_kwargs.jsonl] [--labels eval/heldout/labels-5.14.1.jsonl]

Deterministic (same labels and library: same report).
"""

import argparse
import json
import os
import re
import sys
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "miners", "python"))

import llemc_generate  # noqa: E402

ARG = {"module": "transformers.generation.configuration_utils", "class": "GenerationConfig",
       "strict": True, "timeout_s": 10.0, "minor_issues_variable": "minor_issues"}


def runs(kwargs):
    """Whether these kwargs construct, validate (minor issues allowed) and generate."""
    observed = llemc_generate.observe(dict(ARG, kwargs=kwargs))
    return observed["generate"] is not None and observed["generate"]["outcome"] == "ok"


def culprits(kwargs):
    """The fields whose removal alone makes generate() run (sorted)."""
    return sorted(k for k in kwargs if runs({key: v for key, v in kwargs.items() if key != k}))


def shorten(message):
    message = message.splitlines()[0] if message else ""
    message = re.sub(r"\d+(\.\d+)?", "N", message)
    return message if len(message) <= 110 else message[:107] + "..."


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("version")
    parser.add_argument("--cases", default=os.path.join(HERE, "generation_kwargs.jsonl"))
    parser.add_argument("--labels")
    args = parser.parse_args()
    labels_path = args.labels or os.path.join(HERE, f"labels-{args.version}.jsonl")
    cases = {c["id"]: c for c in map(json.loads, open(args.cases, encoding="utf-8")) if c}
    labels = [json.loads(line) for line in open(labels_path, encoding="utf-8") if line.strip()]
    llemc_generate.observe(dict(ARG, kwargs={}))

    totals = Counter(label["outcome"] for label in labels)
    ran = Counter(label["generate"]["outcome"] for label in labels if label["generate"])
    print(f"## transformers {args.version}: {len(labels)} cases\n")
    print(f"- construct + validate: accepted {totals['accepted']}, rejected {totals['rejected']},"
          f" timeout {totals['timeout']}, unavailable {totals['unavailable']}")
    print(f"- generate() on the {totals['accepted']} accepted: " +
          ", ".join(f"{k} {ran[k]}" for k in ("ok", "error", "timeout", "unavailable")))
    print()

    groups = defaultdict(list)
    for label in labels:
        stage = label["generate"]
        if label["outcome"] != "accepted" or not stage or stage["outcome"] == "ok":
            continue
        exc = stage["exception"] or {}
        frame = exc.get("frame") or {}
        key = (stage["outcome"], exc.get("type", ""),
               f"{frame.get('file', '?')}:{frame.get('function', '?')}", shorten(exc.get("message", "")))
        groups[key].append(label["id"])

    print("| generate() | exception | innermost transformers frame | message (numbers as N) | cases | culprit fields (cases) | e.g. |")
    print("|---|---|---|---|---:|---|---|")
    for key in sorted(groups, key=lambda k: (-len(groups[k]), k)):
        ids = groups[key]
        fields = Counter()
        for case_id in ids:
            found = culprits(cases[case_id]["kwargs"])
            fields.update(found or ["(no single field)"])
        example = json.dumps(cases[ids[0]]["kwargs"], sort_keys=True)
        if len(example) > 120:
            example = example[:117] + "..."
        shown = ", ".join(f"`{f}` ({n})" for f, n in sorted(fields.items(), key=lambda x: (-x[1], x[0])))
        outcome, kind, frame, message = key
        print(f"| {outcome} | {kind} | `{frame}` | {message.replace('|', '/')} | {len(ids)} | {shown} |"
              f" {ids[0]} `{example.replace('|', '/')}` |")


if __name__ == "__main__":
    main()
