"""generate() as an oracle: what a whole transformers run does with a GenerationConfig.

Loaded by `miners/live/src/bridge.rs` as the module `llemc_generate` (beside `llemc_live`, whose
`observe` it extends); also importable from plain Python (`eval/heldout/`) when this folder is on
`sys.path`. Every public function takes one JSON-compatible argument and returns one.

`observe` runs three stages on one set of kwargs:

- construct: `GenerationConfig(**kwargs)`;
- validate: `validate(strict=True)` (a raise that only lists minor issues is not a failure: the
  library logs those and goes on);
- generate: `model.generate(input_ids, attention_mask=..., generation_config=cfg, tokenizer=tok)`
  on a tiny causal LM built in memory (one GPT-2 layer, 16 dimensions, 2 heads, the real
  50,257-token vocabulary, weights from a fixed seed; nothing is downloaded, the Hub is off). The
  tokenizer is passed as `llem run` passes the model's own (what `stop_strings` and
  `token_healing` need): a byte-level BPE tokenizer over 50,257 tokens built in memory (GPT-2's
  256 byte symbols, then two-symbol tokens, `<|endoftext|>` at 50256). The model is built once per
  process and reused; before every case the seed is reset and the static cache generate() leaves
  on the model is dropped, so a case's result does not depend on the cases before it.

Only the first `new_tokens` (default 8) new tokens are generated: a stopping criterion of llemc's
own ends every sequence there, after which generate() finishes as it does at `max_length`
(beam finalisation, output assembly). Failures that would only appear after more tokens are not
observed; a config asking for millions of tokens is observed in seconds.

An exception raised by the library, or by torch under the library's call, is an observation with
its stage, type, message (addresses masked) and the innermost traceback frame inside the
`transformers` package (file relative to the package, function, line). Warnings, log records and
printed text are recorded per stage; transformers' `warning_once` caches are cleared before each
stage, so every case sees the warnings it causes.
"""

import os
import re
import resource

import llemc_live

# The Hub is never contacted: the model is built from a config, and a generation mode that needs
# remote code must fail as it does for a user without `trust_remote_code`. Set before transformers
# (and huggingface_hub, which reads it at import) are first imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# "The quick brown fox jumps over" in GPT-2's vocabulary (any fixed ids would do).
PROMPT = [464, 2068, 7586, 21831, 18045, 625]
PROMPT_WORDS = ["The", " quick", " brown", " fox", " jumps", " over"]
DEFAULT_NEW_TOKENS = 8
SEED = 20261127
MODEL_CONFIG = {
    "n_layer": 1,
    "n_embd": 16,
    "n_head": 2,
    "n_inner": 32,
    "vocab_size": 50257,
    # GPT-2's own context; 4.57 allocates an n_positions x n_positions mask, and only
    # `new_tokens` tokens are ever generated
    "n_positions": 1024,
    "bos_token_id": 50256,
    "eos_token_id": 50256,
    # a pad token, so generate() does not warn "Setting `pad_token_id` to `eos_token_id`" on
    # every case (a fact about the model, not about the user's config)
    "pad_token_id": 50256,
}
PACKAGE = "transformers"
# How much more address space one generate() run may take (a static cache sized for 2**31 tokens
# must fail with the allocator's error, not take the machine down).
MEMORY_HEADROOM = 8 << 30
MINOR_ISSUES_RAISE = "GenerationConfig is invalid"

ENDOFTEXT = "<|endoftext|>"

_STATE = {}


def model_info(_arg=None):
    """The oracle model and the library versions it runs with (built on first use)."""
    state = _state()
    return {
        "transformers": state["transformers"].__version__,
        "torch": state["torch"].__version__,
        "model": type(state["model"]).__name__,
        "config": MODEL_CONFIG,
        "parameters": sum(p.numel() for p in state["model"].parameters()),
        "prompt": PROMPT,
    }


def observe(arg):
    """Construct, validate and generate with `arg["kwargs"]`.

    Argument keys: as `llemc_live.observe` (module, class, kwargs, timeout_s per stage,
    minor_issues_variable), plus `new_tokens` (how many new tokens to generate at most, default 8).

    The result is `llemc_live.observe`'s report of construction and validation (`outcome`, `phase`,
    `exception`, ... keep their meaning), with:
      - exception.stage (construct | validate) and exception.frame: {file, function, line} of the
        innermost frame inside transformers (null when none, e.g. a kwarg the constructor's
        signature refuses);
      - generate: null when generate() was not run (construction failed, or validation raised
        for more than minor issues), else {outcome: ok | error | timeout | unavailable
        (the run needs what this machine lacks: an accelerator, an optional package),
        exception: {type, module, message, stage: "generate", frame, ...} or null,
        emissions: [...] of the generate stage, sequences: [rows, columns] of the output}.
    """
    report, instance, error = llemc_live.observe_instance(arg)
    if report.get("exception") is not None:
        report["exception"]["stage"] = report["phase"]
        report["exception"]["frame"] = library_frame(error)
    report["generate"] = None
    if instance is None or not (report["outcome"] == "ok" or _minor_only(report)):
        return report
    seconds = arg.get("timeout_s", 10)
    new_tokens = int(arg.get("new_tokens", DEFAULT_NEW_TOKENS))
    try:
        state = _state()
    except Exception as exc:  # no torch in this environment: the stage cannot be observed
        report["generate"] = {"outcome": "unavailable", "exception": _described(exc, "generate"),
                              "emissions": [], "sequences": None}
        return report
    with _memory_limit(MEMORY_HEADROOM):
        result, error, emissions, _ = llemc_live._run_captured(
            lambda: _generate(state, instance, new_tokens), None, seconds, "generate")
    stage = {"outcome": "ok", "exception": None, "emissions": emissions, "sequences": None}
    if error is not None:
        stage["outcome"] = _classify(error)
        stage["exception"] = _described(error, "generate")
    else:
        stage["sequences"] = _shape(result)
    report["generate"] = stage
    return report


def observe_stage(arg):
    """generate() as one stage, in `llemc_live.observe`'s shape (what the gate and the dynamic
    miner judge a `stage: generate` rule or probe by).

    Argument: as `observe`. When the config reaches generate() (it constructs, and validation
    raises for minor issues at most), the result is {outcome, phase: "generate", exception,
    emissions (of generate() only), minor_issues: {}, normalised: {}, reached: true}; an exception
    raised by torch under the library's call counts as the library's (`origin` is the package),
    and a run that needs what this machine lacks names it in `missing_dependency`. Otherwise it
    is `observe`'s report of construction and validation with `reached: false`.
    """
    report = observe(arg)
    stage = report.pop("generate", None)
    if stage is None:
        report["reached"] = False
        return report
    exception = stage.get("exception")
    if exception is not None:
        if exception.get("frame") is not None:
            exception["origin"] = PACKAGE
        if stage.get("outcome") == "unavailable" and not exception.get("missing_dependency"):
            exception["missing_dependency"] = "an accelerator or optional package"
    return {"outcome": stage.get("outcome", "ok"), "phase": "generate", "exception": exception,
            "emissions": stage.get("emissions", []), "minor_issues": {}, "normalised": {},
            "reached": True}


def library_frame(exc, package=PACKAGE):
    """The innermost traceback frame of `exc` inside `package`: {file (relative to the package's
    folder, `/`-separated), function, line}; None when no frame is inside it."""
    if exc is None:
        return None
    root = _package_dir(package)
    if root is None:
        return None
    found = None
    tb = exc.__traceback__
    while tb is not None:
        filename = os.path.abspath(tb.tb_frame.f_code.co_filename)
        if filename.startswith(root + os.sep):
            found = {
                "file": os.path.relpath(filename, root).replace(os.sep, "/"),
                "function": tb.tb_frame.f_code.co_name,
                "line": tb.tb_lineno,
            }
        tb = tb.tb_next
    return found


def mask_addresses(text):
    """`0x7f3a2b1c9d00` (an object's address in a repr) becomes `0x?` (as the Rust labeller does)."""
    return re.sub(r"0x[0-9a-fA-F]{6,}", "0x?", text)


# ----------------------------------------------------------------------------- internals


def _package_dir(package):
    import importlib.util

    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.abspath(list(spec.submodule_search_locations)[0])


def _described(exc, stage):
    described = llemc_live._exception(exc)
    described["message"] = mask_addresses(described["message"])
    described["stage"] = stage
    described["frame"] = library_frame(exc)
    return described


def _classify(error):
    """ok/error/timeout/unavailable of a generate() run that raised. A run that needs what this
    CPU-only machine lacks (a CUDA device, an optional package) says nothing about a real run:
    `unavailable`."""
    if isinstance(error, llemc_live.ProbeTimeout):
        return "timeout"
    if isinstance(error, ImportError):
        return "unavailable"
    text = f"{type(error).__name__}: {error}"
    if type(error).__name__ == "AcceleratorError" or re.search(r"\bCUDA\b|\bcuda\b|NVIDIA", text):
        return "unavailable"
    return "error"


class _memory_limit:
    """Caps the process's address space at its current size plus `headroom` bytes while the body
    runs (Linux; elsewhere, or when the cap cannot be set, nothing is capped)."""

    def __init__(self, headroom):
        self.headroom = headroom
        self.saved = None

    def __enter__(self):
        try:
            with open("/proc/self/statm") as statm:
                pages = int(statm.read().split()[0])
            size = pages * os.sysconf("SC_PAGE_SIZE")
            self.saved = resource.getrlimit(resource.RLIMIT_AS)
            hard = self.saved[1]
            cap = size + self.headroom
            if hard != resource.RLIM_INFINITY:
                cap = min(cap, hard)
            resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
        except (OSError, ValueError, AttributeError):
            self.saved = None
        return self

    def __exit__(self, *_exc):
        if self.saved is not None:
            resource.setrlimit(resource.RLIMIT_AS, self.saved)
        return False


def _minor_only(report):
    """Strict validation raised only to list minor issues (the library logs those and goes on)."""
    exception = report.get("exception") or {}
    return (report.get("phase") == "validate" and bool(report.get("minor_issues"))
            and str(exception.get("message", "")).startswith(MINOR_ISSUES_RAISE))


def _state():
    """torch, transformers and the model, built once per process."""
    if not _STATE:
        import torch
        import transformers
        from transformers import GPT2Config, GPT2LMHeadModel
        from transformers.generation.stopping_criteria import StoppingCriteria, StoppingCriteriaList

        class NewTokenCap(StoppingCriteria):
            """Ends every sequence once it holds `length` tokens (prompt included)."""

            def __init__(self, length):
                self.length = length

            def __call__(self, input_ids, scores, **kwargs):
                done = input_ids.shape[-1] >= self.length
                return torch.full((input_ids.shape[0],), done, dtype=torch.bool,
                                  device=input_ids.device)

        torch.set_num_threads(1)
        torch.manual_seed(SEED)
        model = GPT2LMHeadModel(GPT2Config(**MODEL_CONFIG)).eval()
        _STATE.update(torch=torch, transformers=transformers, model=model,
                      tokenizer=_tokenizer(transformers), cap=NewTokenCap,
                      criteria=StoppingCriteriaList)
    return _STATE


def _tokenizer(transformers):
    """A byte-level BPE tokenizer as large as the model's vocabulary, built in memory.

    Ids 0-255 are GPT-2's byte symbols; the prompt's words sit at GPT-2's ids for them (`PROMPT`),
    with the merges that build them (their prefixes are tokens too); every other id up to 50255 is
    a two-symbol token in a fixed order, and `<|endoftext|>` (bos = eos = pad) is 50256. Other text
    tokenizes byte by byte: generate() needs the vocabulary, decoding, the special tokens and the
    prompt's text tokenizing back to the prompt (token healing decodes it and tokenizes it again).
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    symbols = [bytes_to_unicode()[byte] for byte in range(256)]
    space = bytes_to_unicode()[ord(" ")]
    words = [word.replace(" ", space) for word in PROMPT_WORDS]
    fixed = dict(zip(words, PROMPT))
    fixed[ENDOFTEXT] = MODEL_CONFIG["vocab_size"] - 1
    merges = [(word[:cut], word[cut]) for word in words for cut in range(1, len(word))]
    fillers = [prefix for prefix, _ in merges if prefix not in symbols]
    fillers += (first + second for first in symbols for second in symbols)
    vocab = {symbol: index for index, symbol in enumerate(symbols)}
    taken = set(fixed.values())
    fillers = iter(fillers)
    for index in range(len(symbols), MODEL_CONFIG["vocab_size"]):
        if index in taken:
            continue
        token = next(fillers)
        while token in vocab or token in fixed:
            token = next(fillers)
        vocab[token] = index
    vocab.update(fixed)
    backend = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    backend.decoder = decoders.ByteLevel()
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=backend, bos_token=ENDOFTEXT, eos_token=ENDOFTEXT, pad_token=ENDOFTEXT)


def _generate(state, config, new_tokens):
    torch = state["torch"]
    model = state["model"]
    # generate() keeps a static cache on the model (`_cache`) for the next call to reuse: every case
    # starts from a fresh model state, as a run of that config alone would.
    if "_cache" in vars(model):
        del model._cache
    torch.manual_seed(SEED)
    input_ids = torch.tensor([PROMPT], dtype=torch.long)
    attention_mask = torch.ones_like(input_ids)
    cap = state["criteria"]([state["cap"](len(PROMPT) + new_tokens)])
    with torch.no_grad():
        return model.generate(input_ids, attention_mask=attention_mask, generation_config=config,
                              stopping_criteria=cap, tokenizer=state["tokenizer"])


def _shape(result):
    sequences = getattr(result, "sequences", result)
    shape = getattr(sequences, "shape", None)
    return list(shape) if shape is not None else None
