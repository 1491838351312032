#!/usr/bin/env python3
"""What one vLLM version does with every held-out SamplingParams case (the reference labeller).

Run with the interpreter of a vLLM venv; the version label is read from the installed library:

    /tmp/vllm-0.17.1/bin/python eval/heldout-vllm/label.py [--input FILE] [--output FILE]

Writes `eval/heldout-vllm/labels-<version>.jsonl`: one line per case, in input order, in the shape
of `eval/heldout/labels-*.jsonl` (what `llemc heldout label` writes for transformers):

    {"id", "outcome": "accepted"|"rejected", "exception": null | {"phase", "type", "message"},
     "minor_issues": {}, "warnings": [{"channel", "level", "message"}],
     "normalised": {field: {"passed", "after"}}}

- Each case is `vllm.SamplingParams(**kwargs)`, nothing more: SamplingParams validates itself in
  `__post_init__` (`_verify_args`, `_verify_greedy_sampling`), so construction is the whole check
  that needs no model. `verify(model_config, ...)` (logprobs against max_logprobs, logit_bias and
  allowed_token_ids against the vocabulary, structured outputs against the backend) needs a
  loaded model's config and is NOT run: those rejections happen later, at request time.
- `exception`: `type` is the class's `__qualname__` (`VLLMValidationError`, `ValueError`,
  `TypeError`, `AssertionError`), `message` is `str(exc)` with memory addresses masked (`0x?`);
  `phase` is always `construct`. vLLM has no strict mode and no minor-issue dict, so
  `minor_issues` is always `{}`.
- `warnings`: every record of level WARNING or above that reaches the `vllm` logger or the root
  logger (`channel: logger`), every `warnings.warn` (`channel: warnings`, `level: warning`), and
  anything printed (`channel: print`, `level: info`), in order. vLLM's `warning_once` /
  `info_once` / `debug_once` are lru-cached module functions in `vllm.logger`: every
  `cache_clear()` found there is called before each case, so a once-per-process warning is seen in
  every case that triggers it.
- The environment: every `VLLM_*` variable is removed before vLLM is imported (vLLM reads them
  through `vllm.envs`; e.g. 0.19's `n` bound is `VLLM_MAX_N_SEQUENCES`, default 16384), so
  the labels describe the defaults; `HF_HUB_OFFLINE=1` (nothing here needs the Hub).
- `normalised`: every passed kwarg whose read-back value differs from the passed one (type and
  value; a list read back from a tuple counts as kept), e.g. `temperature` 0.001 -> 0.01,
  `top_p` reset to 1.0 under greedy sampling, `stop` "x" -> ["x"], `seed` -1 -> null. Enum values
  read back are written as `{"$enum": "RequestOutputKind.FINAL_ONLY"}`, other objects as
  `{"$type", "$repr"}`.

The JSON is written exactly as Rust's serde_json (1.0.154) writes a `Label`: compact, struct
fields in declaration order, map keys sorted, floats in ryu's shortest form (`1e-6`, `0.00001`,
`1.0`, `1e+16`), non-ASCII kept; so the Rust labeller can be checked byte for byte against these files.
Deterministic: byte-identical on a rerun with the same venv.
"""

import argparse
import contextlib
import decimal
import io
import json
import logging
import math
import os
import re
import sys
import warnings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# vLLM reads its settings from VLLM_* variables (0.19: VLLM_MAX_N_SEQUENCES bounds `n`); the labels
# describe the library's defaults, so none of them may leak in from the caller's shell.
for _name in sorted(os.environ):
    if _name.startswith("VLLM_"):
        del os.environ[_name]

HERE = os.path.dirname(os.path.abspath(__file__))
_ADDR = re.compile(r"0x[0-9a-fA-F]{6,}")


def mask(text):
    """Memory addresses (`0x7f3a2b1c9d00`, six or more hex digits) become `0x?`."""
    return _ADDR.sub("0x?", text)


# ----------------------------------------------------------------------------- serde_json's text

def _float(x):
    """A finite float as serde_json (ryu) writes it."""
    if x == 0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    sign = "-" if x < 0 else ""
    digits_tuple = decimal.Decimal(repr(abs(x))).normalize().as_tuple()
    digits = "".join(map(str, digits_tuple.digits))
    exp = digits_tuple.exponent            # value = digits * 10**exp
    length = len(digits)
    kk = length + exp                      # position of the decimal point
    if 0 <= exp and kk <= 16:
        text = digits + "0" * exp + ".0"
    elif 0 < kk <= 16:
        text = digits[:kk] + "." + digits[kk:]
    elif -5 < kk <= 0:
        text = "0." + "0" * (-kk) + digits
    else:
        mantissa = digits if length == 1 else f"{digits[0]}.{digits[1:]}"
        text = f"{mantissa}e{'+' if kk > 0 else ''}{kk - 1}"
    return sign + text


def dump(value):
    """Compact JSON text of a JSON-compatible value, as serde_json writes it."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value) if math.isfinite(value) else "null"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dump(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{dump(str(k))}:{dump(v)}" for k, v in sorted(value.items())) + "}"
    raise TypeError(f"not JSON-compatible: {type(value).__qualname__}")


def dump_label(label):
    """A label with its fields in `Label`'s declaration order (serde derives that order)."""
    exc = label["exception"]
    exc_text = "null" if exc is None else (
        "{" + f'"phase":{dump(exc["phase"])},"type":{dump(exc["type"])},'
        f'"message":{dump(exc["message"])}' + "}")
    warnings_text = "[" + ",".join(
        "{" + f'"channel":{dump(w["channel"])},"level":{dump(w["level"])},'
        f'"message":{dump(w["message"])}' + "}" for w in label["warnings"]) + "]"
    normalised_text = "{" + ",".join(
        f'{dump(k)}:' + "{" + f'"passed":{dump(v["passed"])},"after":{dump(v["after"])}' + "}"
        for k, v in sorted(label["normalised"].items())) + "}"
    return ("{" + f'"id":{dump(label["id"])},"outcome":{dump(label["outcome"])},'
            f'"exception":{exc_text},"minor_issues":{dump(label["minor_issues"])},'
            f'"warnings":{warnings_text},"normalised":{normalised_text}' + "}")


# ----------------------------------------------------------------------------- observing vLLM

def jsonable(value, depth=0):
    import enum

    if depth > 8:
        return {"$repr": mask(repr(value))[:400]}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, enum.Enum):
        return {"$enum": f"{type(value).__qualname__}.{value.name}"}
    if isinstance(value, (list, tuple)):
        return [jsonable(v, depth + 1) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(v, depth + 1) for v in value), key=repr)
    if isinstance(value, dict):
        return {str(k): jsonable(v, depth + 1) for k, v in value.items()}
    return {"$type": type(value).__qualname__, "$repr": mask(repr(value))[:400]}


def same(passed, after):
    """Whether the library kept a passed value: same type and equal (a list read back as a list
    of the same items counts as kept)."""
    try:
        if isinstance(passed, float) and isinstance(after, float) and math.isnan(passed):
            return math.isnan(after)
        if isinstance(passed, (list, tuple)) and isinstance(after, (list, tuple)):
            return len(passed) == len(after) and all(same(p, a) for p, a in zip(passed, after))
        if isinstance(passed, dict) and isinstance(after, dict):
            return (passed.keys() == after.keys()
                    and all(same(passed[k], after[k]) for k in passed))
        return type(passed) is type(after) and passed == after
    except Exception:  # an __eq__ that raises: not kept
        return False


class Capture(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.records = []

    def emit(self, record):
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call is still an emission
            message = str(record.msg)
        self.records.append({"channel": "logger", "level": record.levelname.lower(),
                             "message": mask(message)})


def reset_once_caches():
    """Forget which once-per-process messages vLLM (and transformers) already logged."""
    import vllm.logger as vllm_logger

    for name in sorted(vars(vllm_logger)):
        clear = getattr(getattr(vllm_logger, name), "cache_clear", None)
        if callable(clear):
            clear()
    for name in ("warning_once", "info_once"):
        clear = getattr(getattr(logging.Logger, name, None), "cache_clear", None)
        if callable(clear):
            clear()


def observe(cls, case_id, kwargs):
    reset_once_caches()
    capture = Capture()
    vllm_logger = logging.getLogger("vllm")
    root = logging.getLogger()
    saved = (vllm_logger.handlers[:], vllm_logger.propagate, root.handlers[:])
    vllm_logger.handlers, vllm_logger.propagate, root.handlers = [capture], False, [capture]
    printed = io.StringIO()
    instance, error = None, None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
                instance = cls(**kwargs)
        except Exception as exc:  # everything the library raises is an observation
            error = exc
        finally:
            vllm_logger.handlers, vllm_logger.propagate, root.handlers = saved
    emitted = [{"channel": "warnings", "level": "warning", "message": mask(str(w.message))}
               for w in caught]
    emitted.extend(capture.records)
    if printed.getvalue().strip():
        emitted.append({"channel": "print", "level": "info", "message": mask(printed.getvalue().strip())})
    label = {"id": case_id, "outcome": "accepted", "exception": None, "minor_issues": {},
             "warnings": emitted, "normalised": {}}
    if error is not None:
        label["outcome"] = "rejected"
        label["exception"] = {"phase": "construct", "type": type(error).__qualname__,
                              "message": mask(str(error))}
        return label
    for name, passed in kwargs.items():
        if not hasattr(instance, name):
            continue
        after = getattr(instance, name)
        if not same(passed, after):
            label["normalised"][name] = {"passed": jsonable(passed), "after": jsonable(after)}
    return label


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", default=os.path.join(HERE, "sampling_kwargs.jsonl"))
    parser.add_argument("--output", default=None,
                        help="default: labels-<installed vllm version>.jsonl beside this script")
    args = parser.parse_args()

    from importlib import metadata

    version = metadata.version("vllm")
    from vllm import SamplingParams

    output = args.output or os.path.join(HERE, f"labels-{version}.jsonl")
    with open(args.input, encoding="utf-8") as handle:
        cases = [json.loads(line) for line in handle if line.strip()]
    observe(SamplingParams, "warm-up", {})  # the first construction may log set-up messages
    lines, counts = [], {"accepted": 0, "rejected": 0, "warned": 0, "normalised": 0}
    for case in cases:
        label = observe(SamplingParams, case["id"], case["kwargs"])
        counts[label["outcome"]] += 1
        counts["warned"] += bool(label["warnings"])
        counts["normalised"] += bool(label["normalised"])
        lines.append(dump_label(label) + "\n")
    tmp = output + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as handle:
        handle.writelines(lines)
    os.replace(tmp, output)
    sys.stderr.write(f"vllm {version}: {len(cases)} cases -> {output}: {counts}\n")


if __name__ == "__main__":
    main()
