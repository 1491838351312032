"""End-to-end error precision/recall of `llem config check` on the held-out set.

`llemc heldout score` measures a corpus's rules alone. This script measures what an experimenter
sees: each case is written as an experiment config (`transformers.generation` = the kwargs) and
checked by the `llem` binary against its shipped corpus for the version, so schema type checks
(E810) and unknown-field errors (E705/E706) count too. A case is "rejected by llem" when `llem`
exits 1 with at least one error.

    python3 eval/heldout/llem_end_to_end.py target/debug/llem 5.14.1
"""

import json
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent


def check(llem, version, kwargs):
    config = {"engine": "transformers", "model": "heldout", "engine_version": version,
              "transformers": {"generation": kwargs}}
    done = subprocess.run([llem, "config", "check", "-", "--format", "json"],
                          input=json.dumps(config).encode(), capture_output=True, check=False)
    if done.returncode == 2:
        raise SystemExit(f"llem failed on {kwargs}: {done.stderr.decode()}")
    report = json.loads(done.stdout)
    found = report.get("diagnostics", []) + report.get("findings", [])
    return [d["code"] for d in found if d.get("severity") == "error"]


def main():
    llem, version = sys.argv[1], sys.argv[2]
    cases = [json.loads(l) for l in (HERE / "generation_kwargs.jsonl").read_text().splitlines()]
    labels = {l["id"]: l for l in map(json.loads, (HERE / f"labels-{version}.jsonl").read_text().splitlines())}
    with ThreadPoolExecutor(max_workers=4) as pool:
        errors = list(pool.map(lambda c: check(llem, version, c["kwargs"]), cases))
    tp = fp = fn = 0
    fp_codes, fn_ids = Counter(), []
    for case, codes in zip(cases, errors):
        label = labels[case["id"]]["outcome"]
        if label not in ("accepted", "rejected"):
            continue
        library, ours = label == "rejected", bool(codes)
        tp += library and ours
        fp += ours and not library
        fn += library and not ours
        if ours and not library:
            fp_codes.update(set(codes))
        if library and not ours:
            fn_ids.append(case["id"])
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    print(f"llem end to end, transformers {version}: error precision {precision:.2%} ({tp}/{tp + fp}), "
          f"recall {recall:.2%} ({tp}/{tp + fn}); valid configs rejected: {fp}")
    if fp:
        print(f"  false rejections by code: {dict(sorted(fp_codes.items()))}")
    if fn_ids:
        print(f"  missed rejections: {', '.join(fn_ids[:20])}{' ...' if len(fn_ids) > 20 else ''}")


if __name__ == "__main__":
    main()
