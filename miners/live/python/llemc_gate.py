"""Helpers the validation gate (`miners/pipeline/src/gate`) runs in the embedded interpreter.

Loaded by `miners/live/src/bridge.rs` as the module `llemc_gate`; every function takes one
JSON-compatible argument and returns one.
"""

import re


def search(arg):
    """Whether Python regex `arg["pattern"]` is found in `arg["text"]` (re.search, DOTALL);
    an invalid pattern is reported as {"error": message} instead of raising."""
    try:
        return bool(re.search(arg["pattern"], arg["text"], re.DOTALL))
    except re.error as exc:
        return {"error": f"invalid regular expression: {exc}"}


def importable(arg):
    """None when `arg["module"]` imports and has `arg["class"]`, else why not (a string)."""
    import importlib

    try:
        target = importlib.import_module(arg["module"])
        for part in arg["class"].split("."):
            target = getattr(target, part)
    except Exception as exc:  # any failure to import is the answer
        return f"{type(exc).__qualname__}: {exc}"
    return None
