"""End-to-end scores of llemc's shipped vLLM corpus, and of the original project's vLLM corpora, on
the held-out SamplingParams set (`sampling_kwargs.jsonl`) labelled by live vLLM (`labels-V.jsonl`).

Shipped corpus: each case is written as an experiment config (`vllm.sampling` = the kwargs) and
checked by the `llem` binary (`llem config check - --format json`), so schema diagnostics (unknown
fields, types) count too, exactly as an experimenter sees them.

Original corpora (`--compat CORPUS[:SECTION]`, repeatable): every case as the config tree
`{"vllm": {SECTION: kwargs}}` (SECTION `sampling` unless given) through `llemc eval --compat --corpus CORPUS --jsonl -` (their
field paths are absolute; no schema, declared values only).

Metrics (docs/heldout-eval.md, "vLLM"):
- errors, per config, over accepted + rejected: TP = an error and the library rejects; FP = an
  error and the library accepts (a valid config rejected); FN = the library rejects, no error;
- warn/dormant, per config, over the configs the library accepts: the library reports a config when
  it logs a warning or keeps a passed kwarg in another form (`normalised`); llemc reports it when a
  warn or dormant rule fires (W801 / D802). The schema's type warning (W811) is counted apart.

    python3 eval/heldout-vllm/llem_end_to_end.py target/debug/llem 0.17.1
    python3 eval/heldout-vllm/llem_end_to_end.py target/debug/llemc 0.17.1 --compat ../shared/compat/vllm.yaml
    python3 eval/heldout-vllm/llem_end_to_end.py target/debug/llemc 0.19.1 --compat ../shared/compat/v0.7.0/vllm.yaml:sampling_params

`--set engine` scores the `vllm.engine` set instead (`eval/heldout-vllm-engine/`: EngineArgs kwargs
labelled by `create_engine_config()`, errors only: its labels record no warnings):

    python3 eval/heldout-vllm/llem_end_to_end.py target/debug/llem 0.17.1 --set engine
"""

import json
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
TYPE_WARNINGS = {"W811"}
# `--set NAME`: (folder, cases file, experiment-config section)
SETS = {"sampling": (HERE, "sampling_kwargs.jsonl", "sampling"),
        "engine": (HERE.parent / "heldout-vllm-engine", "engine_kwargs.jsonl", "engine")}


def llem_check(llem, version, section, kwargs):
    """(error codes, advisory codes) that `llem config check` shows for one case."""
    config = {"engine": "vllm", "model": "heldout", "engine_version": version,
              "vllm": {section: kwargs}}
    done = subprocess.run([llem, "config", "check", "-", "--format", "json"],
                          input=json.dumps(config).encode(), capture_output=True, check=False)
    if done.returncode == 2:
        raise SystemExit(f"llem failed on {kwargs}: {done.stderr.decode()}")
    report = json.loads(done.stdout)
    found = report.get("diagnostics", []) + report.get("findings", [])
    # findings carry `severity` (error / warn / dormant), config diagnostics `level`
    level = [(d["code"], d.get("severity") or d.get("level")) for d in found]
    errors = [code for code, sev in level if sev == "error"]
    # rule findings (W801 warn, D802 dormant); the schema's type warning (W811: a value of a type
    # the library stores without a check) is a different claim and is counted apart
    advisory = [code for code, sev in level if sev in ("warning", "warn", "dormant", "note")
                and code not in TYPE_WARNINGS]
    return errors, advisory, [code for code, _ in level if code in TYPE_WARNINGS]


def compat_eval(llemc, corpus, cases):
    """Per case (error rule ids, warn/dormant rule ids) of an original corpus via `llemc eval`.
    `corpus` is `PATH[:SECTION]`: the section the corpus's paths name (`sampling`, the April
    snapshot's; `sampling_params`, the 0.7.0 release's)."""
    corpus, _, section = corpus.partition(":")
    lines = "".join(json.dumps({"vllm": {section or "sampling": c["kwargs"]}}) + "\n" for c in cases)
    done = subprocess.run([llemc, "eval", "--compat", "--corpus", corpus, "--jsonl", "-"],
                          input=lines.encode(), capture_output=True, check=False)
    if done.returncode == 2:
        raise SystemExit(f"llemc eval failed: {done.stderr.decode()}")
    out = []
    for line in done.stdout.decode().splitlines():
        fired = json.loads(line).get("fired", [])
        errors = [f["id"] for f in fired if f.get("severity") == "error"]
        advisory = [f["id"] for f in fired if f.get("severity") in ("warn", "dormant")]
        out.append((errors, advisory))
    if len(out) != len(cases):
        raise SystemExit(f"llemc eval gave {len(out)} lines for {len(cases)} cases")
    return out


def ratio(num, den):
    return f"{num / den:.2%} ({num}/{den})" if den else "n/a"


class Tally:
    """Confusion counts of one verdict (library vs llemc), the codes of the false positives and
    the ids of the misses."""

    def __init__(self):
        self.tp = self.fp = self.fn = 0
        self.fp_codes, self.fn_ids = Counter(), []

    def add(self, case_id, library, codes):
        ours = bool(codes)
        self.tp += library and ours
        self.fp += ours and not library
        self.fn += library and not ours
        if ours and not library:
            self.fp_codes.update(set(codes))
        if library and not ours:
            self.fn_ids.append(case_id)

    def precision(self):
        return ratio(self.tp, self.tp + self.fp)

    def recall(self):
        return ratio(self.tp, self.tp + self.fn)


def listed(ids):
    return f"({len(ids)}): {', '.join(ids[:15])}{' ...' if len(ids) > 15 else ''}"


def score(name, cases, labels, verdicts):
    typed = sum(1 for v in verdicts if len(v) > 2 and v[2])
    verdicts = [v[:2] for v in verdicts]
    errors_tally, advisory_tally = Tally(), Tally()
    for case, (errors, advisory) in zip(cases, verdicts):
        label = labels[case["id"]]
        if label["outcome"] not in ("accepted", "rejected"):
            continue
        library = label["outcome"] == "rejected"
        errors_tally.add(case["id"], library, errors)
        if not library and "warnings" in label:
            reported = bool(label["warnings"]) or bool(label["normalised"])
            advisory_tally.add(case["id"], reported, advisory)
    e, w = errors_tally, advisory_tally
    advisories = (f"; warn/dormant precision {w.precision()}, recall {w.recall()}"
                  if w.tp + w.fp + w.fn else "")
    print(f"{name}: error precision {e.precision()}, recall {e.recall()}, "
          f"valid configs rejected {e.fp}{advisories}")
    if typed:
        print(f"  configs with a type warning (W811, not counted above): {typed}")
    if e.fp:
        print(f"  false rejections by code/rule: {dict(sorted(e.fp_codes.items()))}")
    if e.fn_ids:
        print(f"  missed rejections {listed(e.fn_ids)}")
    if w.fp:
        print(f"  warn/dormant false positives by code/rule: {dict(sorted(w.fp_codes.items()))}")
    if w.fn_ids:
        print(f"  warn/dormant misses {listed(w.fn_ids)}")


def main():
    binary, version = sys.argv[1], sys.argv[2]
    compat = [sys.argv[i + 1] for i, a in enumerate(sys.argv) if a == "--compat"]
    chosen = [sys.argv[i + 1] for i, a in enumerate(sys.argv) if a == "--set"] or ["sampling"]
    folder, cases_file, section = SETS[chosen[-1]]
    cases = [json.loads(l) for l in (folder / cases_file).read_text().splitlines() if l.strip()]
    labels = {l["id"]: l for l in map(json.loads, (folder / f"labels-{version}.jsonl").read_text().splitlines())}
    if compat:
        for corpus in compat:
            if chosen[-1] == "engine" and ":" not in corpus:
                corpus = f"{corpus}:engine"
            score(f"{corpus} (--compat), vLLM {version}", cases, labels, compat_eval(binary, corpus, cases))
        return
    with ThreadPoolExecutor(max_workers=4) as pool:
        verdicts = list(pool.map(lambda c: llem_check(binary, version, section, c["kwargs"]), cases))
    score(f"llem config check (shipped corpus, vllm.{section}), vLLM {version}", cases, labels,
          verdicts)


if __name__ == "__main__":
    main()
