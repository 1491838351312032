"""End-to-end scoring of `llem config check` on the held-out set, against whole-run labels.

`llemc heldout score` measures a corpus's rules alone. This script measures what an experimenter
sees: each case is written as an experiment config (`transformers.generation` = the kwargs) and
checked by the real `llem` binary against its shipped corpus for the version, so the schema's type
check (W811), unknown fields (W708 / E706), merged findings and `--deny warnings` all count.

Truth is the whole run: a case **fails** when the library rejects it at construction or in
`validate()` (`outcome: rejected`) or when `generate()` raises (`generate.outcome: error`); it
**runs** when it is accepted and `generate()` finishes. Cases whose run could not be observed
(`timeout`, `unavailable`: a CUDA-only cache, a missing optional package) are left out.

Measured, per version:

- error precision / recall: llem rejects (exit 1) against the case failing;
- configs that run but llem rejects (the false positives, by diagnostic code);
- warn/dormant precision / recall per config, over the configs that run: the library "reports" a
  config when validate(strict) finds minor issues, a warning is emitted while constructing or
  validating, or a field is normalised (the definition `llemc heldout score` uses); llem reports
  it when a warn or dormant *rule* fires (`W801`, `D802`). llem's own warnings (`W811` types the
  library tolerates, `W708` unknown fields) are counted separately: the library says nothing
  about those values by design;
- the library cases (`library_cases.jsonl`, labelled in `library-labels-<version>.jsonl`): every
  case that runs must exit 0.

    cargo build -p llem --bin llem
    python3 eval/heldout/llem_end_to_end.py target/debug/llem 5.14.1 4.57.6 5.24.0
    python3 eval/heldout/llem_end_to_end.py target/debug/llem 5.14.1 --deny-warnings
    python3 eval/heldout/llem_end_to_end.py target/debug/llem 5.14.1 --json out.json

A version the binary does not ship (`E704`) is reported as such and skipped. Exit code 0 unless
`llem` itself fails (exit 2) or a file is missing.
"""

import argparse
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
RULE_ADVISORY = {"W801", "D802"}
OWN_WARNINGS = {"W811", "W708"}


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def check(llem, version, kwargs, deny):
    """`llem config check` on one case: (exit code, [(code, severity)])."""
    config = {"engine": "transformers", "model": "heldout", "engine_version": version,
              "transformers": {"generation": kwargs}}
    command = [llem, "config", "check", "-", "--format", "json"]
    if deny:
        command += ["--deny", "warnings"]
    done = subprocess.run(command, input=json.dumps(config).encode(), capture_output=True,
                          check=False)
    if done.returncode == 2:
        raise SystemExit(f"llem failed (exit 2) on {kwargs}: {done.stderr.decode()}")
    report = json.loads(done.stdout)
    found = [(f["code"], "error" if f.get("denied") else f["severity"])
             for f in report.get("findings", [])]
    found += [(d["code"], d["level"]) for d in report.get("diagnostics", [])]
    return done.returncode, found


def truth(label):
    """`fails`, `runs`, or None (not observed) for a label line."""
    if label["outcome"] == "rejected":
        return "fails"
    if label["outcome"] != "accepted":
        return None
    generate = label.get("generate") or {}
    return {"error": "fails", "ok": "runs"}.get(generate.get("outcome"))


def library_reports(label):
    return bool(label.get("minor_issues") or label.get("warnings") or label.get("normalised"))


def cause(label):
    """Why the library fails a case, for grouping the misses."""
    if label["outcome"] == "rejected":
        exc = label.get("exception") or {}
        return f"{exc.get('stage') or exc.get('phase')}: {exc.get('type')}"
    exc = (label.get("generate") or {}).get("exception") or {}
    frame = exc.get("frame") or {}
    return f"generate: {exc.get('type')} in {frame.get('function')} ({frame.get('file')})"


def ratio(num, den):
    return num / den if den else None


def pct(value):
    return "n/a" if value is None else f"{value:.2%}"


def run_all(llem, version, cases, deny, workers):
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda c: check(llem, version, c["kwargs"], deny), cases))


def score_heldout(cases, labels, results):
    tp = fp = fn = 0
    fp_codes, fn_causes = Counter(), defaultdict(list)
    adv = Counter()
    own = Counter()
    for case, (code, found) in zip(cases, results):
        label = labels[case["id"]]
        state = truth(label)
        if state is None:
            continue
        rejected = code == 1
        fails = state == "fails"
        tp += rejected and fails
        fp += rejected and not fails
        fn += fails and not rejected
        if rejected and not fails:
            fp_codes.update({c for c, level in found if level == "error"})
        if fails and not rejected:
            fn_causes[cause(label)].append(case["id"])
        if state == "runs":
            ours = any(c in RULE_ADVISORY for c, _ in found)
            theirs = library_reports(label)
            adv["tp"] += ours and theirs
            adv["fp"] += ours and not theirs
            adv["fn"] += theirs and not ours
            adv["runs"] += 1
            for c, _ in found:
                if c in OWN_WARNINGS:
                    own[c] += 1
    return {
        "error_precision": ratio(tp, tp + fp), "error_recall": ratio(tp, tp + fn),
        "tp": tp, "fp": fp, "fn": fn,
        "run_but_rejected": fp, "fp_codes": dict(sorted(fp_codes.items())),
        "misses_by_cause": {k: v for k, v in sorted(fn_causes.items(), key=lambda kv: -len(kv[1]))},
        "advisory_precision": ratio(adv["tp"], adv["tp"] + adv["fp"]),
        "advisory_recall": ratio(adv["tp"], adv["tp"] + adv["fn"]),
        "advisory": dict(adv), "own_warnings": dict(sorted(own.items())),
    }


def score_library(cases, labels, results):
    runs = [(case, r) for case, r in zip(cases, results)
            if truth(labels[case["id"]]) == "runs"]
    rejected = [case["id"] for case, (code, _) in runs if code != 0]
    expect_valid = [(case, r) for case, r in zip(cases, results) if case.get("expect") == "valid"]
    return {
        "runs": len(runs), "runs_exit_0": len(runs) - len(rejected), "runs_rejected": rejected,
        "expect_valid": len(expect_valid),
        "expect_valid_exit_0": sum(1 for _, (code, _) in expect_valid if code == 0),
    }


def print_version(version, deny, heldout, library):
    mode = " --deny warnings" if deny else ""
    h = heldout
    print(f"llem config check{mode}, transformers {version} (whole-run labels):")
    print(f"  error precision {pct(h['error_precision'])} ({h['tp']}/{h['tp'] + h['fp']}), "
          f"recall {pct(h['error_recall'])} ({h['tp']}/{h['tp'] + h['fn']})")
    print(f"  configs that run but are rejected: {h['run_but_rejected']} "
          f"{h['fp_codes'] if h['fp_codes'] else ''}")
    a = h["advisory"]
    print(f"  warn/dormant on the {a.get('runs', 0)} configs that run: precision "
          f"{pct(h['advisory_precision'])} ({a.get('tp', 0)}/{a.get('tp', 0) + a.get('fp', 0)}), "
          f"recall {pct(h['advisory_recall'])} ({a.get('tp', 0)}/{a.get('tp', 0) + a.get('fn', 0)}); "
          f"llem's own warnings on them: {h['own_warnings']}")
    print(f"  library cases that run: {library['runs_exit_0']}/{library['runs']} exit 0"
          f"{'; rejected: ' + ', '.join(library['runs_rejected']) if library['runs_rejected'] else ''}"
          f" (expect: valid: {library['expect_valid_exit_0']}/{library['expect_valid']} exit 0)")
    if h["misses_by_cause"]:
        print("  missed failures by cause:")
        for why, ids in h["misses_by_cause"].items():
            shown = ", ".join(ids[:6]) + (" ..." if len(ids) > 6 else "")
            print(f"    {len(ids):4} {why}: {shown}")


def supported(llem, version):
    code, found = check(llem, version, {}, False)
    return not any(c == "E704" for c, _ in found)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("llem")
    parser.add_argument("versions", nargs="+")
    parser.add_argument("--deny-warnings", action="store_true")
    parser.add_argument("--json", type=Path, help="also write every number and miss here")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    cases = read_jsonl(HERE / "generation_kwargs.jsonl")
    library_cases = read_jsonl(HERE / "library_cases.jsonl")
    out = {}
    for version in args.versions:
        if not supported(args.llem, version):
            print(f"transformers {version}: not shipped by this llem (E704); skipped")
            out[version] = None
            continue
        labels = {l["id"]: l for l in read_jsonl(HERE / f"labels-{version}.jsonl")}
        lib_labels = {l["id"]: l for l in read_jsonl(HERE / f"library-labels-{version}.jsonl")}
        heldout = score_heldout(cases, labels,
                                run_all(args.llem, version, cases, args.deny_warnings, args.workers))
        library = score_library(library_cases, lib_labels,
                                run_all(args.llem, version, library_cases, args.deny_warnings,
                                        args.workers))
        print_version(version, args.deny_warnings, heldout, library)
        out[version] = {"heldout": heldout, "library": library}
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
