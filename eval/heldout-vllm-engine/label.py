#!/usr/bin/env python3
"""What one vLLM version does with every held-out `vllm.engine` case (the reference labeller).

Run with the interpreter of a vLLM venv; the version label is read from the installed library:

    .cache/venvs/vllm-0.17.1/bin/python eval/heldout-vllm-engine/label.py

Writes `labels-<version>.jsonl` beside this file, one line per case in input order:

    {"id", "outcome": "accepted"|"rejected", "exception": null | {"type", "message"}}

Each case is what `LLM(model, **kwargs)` does before it loads any weights:
`EngineArgs(model=<fixture>, skip_tokenizer_init=True, **kwargs).create_engine_config()`, which
builds every config class (ModelConfig, CacheConfig, ParallelConfig, SchedulerConfig, ...) and
runs their validators and cross-checks. The model is a fixture directory holding only a
`config.json` (a 2-layer Qwen2, `max_position_embeddings` 2048), so nothing needs the Hub.
Without a GPU, vLLM's platform is "unspecified" and `create_engine_config()` cannot run; the
labeller installs vLLM's CPU platform first (`vllm.platforms._current_platform`), as RESEARCH.md
describes. The CPU platform adjusts a few settings its own way (and rejects an fp8 KV cache), so
the generator avoids values whose fate depends on the platform. `VLLM_*` variables are removed
before vLLM is imported, so the labels describe the defaults. Deterministic: the same venv gives
the same bytes.
"""

import json
import os
import re
import sys
import tempfile
from pathlib import Path

for name in [n for n in os.environ if n.startswith("VLLM_")]:
    del os.environ[name]
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

HERE = Path(__file__).resolve().parent
MODEL_CONFIG = {
    "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 64,
    "intermediate_size": 128, "num_attention_heads": 4, "num_key_value_heads": 2,
    "num_hidden_layers": 2, "vocab_size": 1000, "max_position_embeddings": 2048,
    "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "torch_dtype": "float32",
    "tie_word_embeddings": True,
}


def first_line(exc):
    """The exception's own message: the wrapped one of a single-error pydantic ValidationError,
    else `str(exc)`; addresses masked, one line."""
    errors = getattr(exc, "errors", None)
    text = str(exc)
    if type(exc).__name__ == "ValidationError" and callable(errors):
        items = errors()
        if len(items) == 1:
            inner = (items[0].get("ctx") or {}).get("error")
            text = str(inner) if isinstance(inner, BaseException) else \
                f"{'.'.join(map(str, items[0]['loc']))}: {items[0]['msg']}"
    return re.sub(r"0x[0-9a-f]+", "0x?", " ".join(text.split()))[:300]


def main():
    import logging

    logging.disable(logging.WARNING)
    import vllm
    import vllm.platforms as platforms
    from vllm.platforms.cpu import CpuPlatform

    platforms._current_platform = CpuPlatform()
    from vllm.engine.arg_utils import EngineArgs

    cases = [json.loads(line) for line in (HERE / "engine_kwargs.jsonl").read_text().splitlines()
             if line.strip()]
    out = []
    with tempfile.TemporaryDirectory() as model:
        (Path(model) / "config.json").write_text(json.dumps(MODEL_CONFIG))
        for case in cases:
            try:
                EngineArgs(model=model, skip_tokenizer_init=True,
                           **case["kwargs"]).create_engine_config()
                label = {"id": case["id"], "outcome": "accepted", "exception": None}
            except Exception as exc:  # every rejection is the label
                label = {"id": case["id"], "outcome": "rejected",
                         "exception": {"type": type(exc).__qualname__,
                                       "message": first_line(exc).replace(model, "<model>")}}
            out.append(json.dumps(label, sort_keys=True))
    target = HERE / f"labels-{vllm.__version__}.jsonl"
    target.write_text("".join(line + "\n" for line in out))
    print(f"wrote {target} ({len(out)} cases)", file=sys.stderr)


if __name__ == "__main__":
    main()
