#!/usr/bin/env python3
"""Held-out vLLM SamplingParams kwargs for scoring llemc's vLLM corpora.

Writes `eval/heldout-vllm/sampling_kwargs.jsonl` (beside this file): one JSON object per line,

    {"archetype": "...", "id": "v00001", "intent": "valid" | "mistake", "kwargs": {...}}

`kwargs` is what a researcher would pass to `vllm.SamplingParams(**kwargs)` (or write under
`vllm.sampling:` in an experiment config). `intent` and `archetype` say what the generator meant
to produce; they are NOT labels: what the library actually does is recorded separately by
`label.py` (labels-<version>.jsonl).

The set is held out: it is written from how people configure vLLM (model cards' recommended
sampling settings, benchmark and energy-measurement scripts, OpenAI-style request habits,
settings carried over from transformers or older vLLM releases, YAML slips), never from the
kwargs_positive / kwargs_negative of any corpus.

Plain Python 3.11, standard library only, deterministic (fixed seed; byte-identical on a rerun):

    python3 eval/heldout-vllm/generate.py [--count 2400] [--seed 20261203] [--output FILE]
"""

import argparse
import json
import os
import random

DEFAULT_COUNT = 2400
DEFAULT_SEED = 20261203

# ----------------------------------------------------------------------------- value pools

MAX_TOKENS = [16, 32, 64, 100, 128, 200, 256, 300, 512, 1000, 1024, 2048, 4096, 8192, 16384, 32768]
MIN_TOKENS = [1, 4, 8, 10, 16, 32, 50, 64]
TEMPS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.9, 1.0, 1.1, 1.2, 1.5, 2.0]
TOP_P = [0.5, 0.8, 0.85, 0.9, 0.92, 0.95, 0.98, 0.99, 1.0]
TOP_K = [-1, 0, 1, 5, 10, 20, 40, 50, 64, 100]
MIN_P = [0.0, 0.01, 0.02, 0.05, 0.1, 0.2]
REP_PEN = [1.0, 1.03, 1.05, 1.1, 1.15, 1.2, 1.3, 1.5]
PENALTY = [-0.5, 0.0, 0.1, 0.2, 0.3, 0.5, 0.6, 1.0, 1.5, 2.0]
SEEDS = [0, 1, 7, 42, 123, 1234, 2024, 2025, 31337, 12345678]
# sampling settings that model cards recommend: (temperature, top_p, top_k, min_p, rep. penalty)
MODEL_CARDS = [
    (0.6, 0.9, None, None, None),       # Llama-3 instruct
    (0.7, 0.8, 20, None, 1.05),         # Qwen2.5 instruct
    (0.6, 0.95, 20, 0.0, None),         # Qwen3 thinking
    (0.7, 0.8, 20, 0.0, None),          # Qwen3 non-thinking
    (0.6, 0.95, None, None, None),      # DeepSeek-R1 distills
    (0.7, 1.0, None, None, None),       # Mistral instruct
    (0.3, None, None, None, None),      # Mistral small / code
    (1.0, 0.95, 64, 0.0, None),         # Gemma
    (0.8, 0.95, 40, 0.05, 1.1),         # llama.cpp-style defaults
    (1.0, 1.0, -1, None, None),         # "neutral" sampling
]
STOPS = [
    "</s>", "\n\n", "###", "<|eot_id|>", "<|im_end|>", "<|endoftext|>", "Observation:",
    ["</s>"], ["\n\n"], ["<|eot_id|>", "<|end_of_text|>"], ["<|im_end|>", "<|endoftext|>"],
    ["Human:", "Assistant:"], ["\nUser:", "\nQuestion:"], ["```"], ["<end_of_turn>"],
]
# stop token ids of popular tokenizers
STOP_IDS = [[2], [128001, 128009], [128001, 128008, 128009], [151645, 151643], [151645],
            [50256], [1], [107], [32000, 32001]]
LOGPROBS = [0, 1, 2, 5, 10, 20]
LOGIT_BIAS = [{"50256": -100}, {"198": -1.5, "628": -1.0}, {"2": 5.0}, {"13": -100, "30": -100}]
BAD_WORDS = [["badword"], ["As an AI"], ["I'm sorry", "I cannot"], []]
JSON_SCHEMA = {"type": "object", "properties": {"answer": {"type": "string"}},
               "required": ["answer"]}


def maybe(rng, p):
    return rng.random() < p


def pick(rng, pool):
    return pool[rng.randrange(len(pool))]


# ----------------------------------------------------------------------------- building blocks

def length_block(rng, kw, p=0.9):
    if maybe(rng, p):
        kw["max_tokens"] = pick(rng, MAX_TOKENS)
    elif maybe(rng, 0.2):
        kw["max_tokens"] = None                    # "generate until the context is full"
    if "max_tokens" in kw and maybe(rng, 0.08):
        low = [m for m in MIN_TOKENS if kw["max_tokens"] is None or m <= kw["max_tokens"]]
        if low:
            kw["min_tokens"] = pick(rng, low)


def stop_block(rng, kw, p=0.25):
    if maybe(rng, p):
        kw["stop"] = pick(rng, STOPS)
        if maybe(rng, 0.15):
            kw["include_stop_str_in_output"] = True
    if maybe(rng, p * 0.6):
        kw["stop_token_ids"] = list(pick(rng, STOP_IDS))


def extras_block(rng, kw):
    if maybe(rng, 0.15):
        kw["seed"] = pick(rng, SEEDS)
    if maybe(rng, 0.08):
        kw["logprobs"] = pick(rng, LOGPROBS)
    if maybe(rng, 0.03):
        kw["prompt_logprobs"] = pick(rng, [0, 1, 5])
    if maybe(rng, 0.05):
        kw["skip_special_tokens"] = pick(rng, [True, False])
    if maybe(rng, 0.02):
        kw["spaces_between_special_tokens"] = pick(rng, [True, False])
    if maybe(rng, 0.03):
        kw["logit_bias"] = dict(pick(rng, LOGIT_BIAS))
    if maybe(rng, 0.02):
        kw["bad_words"] = list(pick(rng, BAD_WORDS))
    if maybe(rng, 0.02):
        kw["allowed_token_ids"] = pick(rng, [[1, 2, 3], [319, 350, 315, 360]])
    if maybe(rng, 0.02):
        kw["extra_args"] = pick(rng, [{"tag": "run-1"}, {}])


def penalty_block(rng, kw, p=0.25):
    if maybe(rng, p):
        kw["repetition_penalty"] = pick(rng, REP_PEN)
    if maybe(rng, p * 0.5):
        kw["presence_penalty"] = pick(rng, PENALTY)
    if maybe(rng, p * 0.5):
        kw["frequency_penalty"] = pick(rng, PENALTY)


def sampler_block(rng, kw):
    kw["temperature"] = pick(rng, TEMPS)
    if maybe(rng, 0.6):
        kw["top_p"] = pick(rng, TOP_P)
    if maybe(rng, 0.35):
        kw["top_k"] = pick(rng, TOP_K)
    if maybe(rng, 0.12):
        kw["min_p"] = pick(rng, MIN_P)


def base(rng, temperature=True):
    """A plausible valid config to plant a mistake into."""
    kw = {}
    if temperature:
        if maybe(rng, 0.25):
            kw["temperature"] = 0.0
        else:
            sampler_block(rng, kw)
    length_block(rng, kw, 0.8)
    if maybe(rng, 0.3):
        stop_block(rng, kw, 0.5)
    if maybe(rng, 0.15):
        penalty_block(rng, kw)
    return kw


# ----------------------------------------------------------------------------- valid archetypes

def greedy(rng):
    kw = {"temperature": pick(rng, [0, 0.0, 0.0, 0.0])}
    length_block(rng, kw)
    stop_block(rng, kw)
    if maybe(rng, 0.15):
        kw["seed"] = pick(rng, SEEDS)
    if maybe(rng, 0.08):
        kw["logprobs"] = pick(rng, LOGPROBS)
    if maybe(rng, 0.1):
        penalty_block(rng, kw, 0.6)
    if maybe(rng, 0.05):
        kw["n"] = 1
    if maybe(rng, 0.04):
        kw["top_p"] = 1.0
    return kw


def sampling(rng):
    kw = {}
    sampler_block(rng, kw)
    length_block(rng, kw)
    stop_block(rng, kw)
    penalty_block(rng, kw)
    extras_block(rng, kw)
    return kw


def model_card(rng):
    temperature, top_p, top_k, min_p, rep = pick(rng, MODEL_CARDS)
    kw = {"temperature": temperature}
    for name, value in (("top_p", top_p), ("top_k", top_k), ("min_p", min_p),
                        ("repetition_penalty", rep)):
        if value is not None and maybe(rng, 0.9):
            kw[name] = value
    length_block(rng, kw)
    stop_block(rng, kw, 0.35)
    if maybe(rng, 0.2):
        kw["seed"] = pick(rng, SEEDS)
    if maybe(rng, 0.1):
        kw["presence_penalty"] = pick(rng, [0.0, 0.5, 1.0, 1.5])
    if maybe(rng, 0.06):
        kw["thinking_token_budget"] = pick(rng, [512, 1024, 4096])   # reasoning models (vLLM >= 0.19)
    return kw


def energy_benchmark(rng):
    """Fixed-length decoding, as energy / throughput measurements configure it."""
    kw = {"max_tokens": pick(rng, [64, 128, 256, 512, 1024, 2048]), "ignore_eos": True}
    if maybe(rng, 0.6):
        kw["temperature"] = pick(rng, [0.0, 0.0, 0.7, 0.8, 1.0])
    if maybe(rng, 0.3):
        kw["min_tokens"] = kw["max_tokens"]
    if maybe(rng, 0.25):
        kw["seed"] = pick(rng, SEEDS)
    if maybe(rng, 0.1):
        kw["detokenize"] = False
    if maybe(rng, 0.1) and kw.get("temperature", 1.0) > 0:
        kw["n"] = pick(rng, [2, 4, 8])
    if maybe(rng, 0.1):
        kw["top_p"] = pick(rng, [0.9, 0.95, 1.0])
    return kw


def parallel_sampling(rng):
    kw = {"n": pick(rng, [2, 3, 4, 5, 8, 10, 16]), "temperature": pick(rng, [0.6, 0.7, 0.8, 1.0])}
    if maybe(rng, 0.6):
        kw["top_p"] = pick(rng, TOP_P)
    if maybe(rng, 0.2):
        kw["top_k"] = pick(rng, TOP_K)
    length_block(rng, kw)
    if maybe(rng, 0.3):
        kw["seed"] = pick(rng, SEEDS)
    if maybe(rng, 0.1):
        kw["logprobs"] = pick(rng, LOGPROBS)
    stop_block(rng, kw, 0.2)
    return kw


def penalties(rng):
    kw = {}
    if maybe(rng, 0.7):
        sampler_block(rng, kw)
    penalty_block(rng, kw, 0.9)
    if not any(k in kw for k in ("repetition_penalty", "presence_penalty", "frequency_penalty")):
        kw["repetition_penalty"] = pick(rng, REP_PEN)
    length_block(rng, kw)
    return kw


def logprob_scoring(rng):
    kw = {"max_tokens": pick(rng, [1, 1, 5, 16]), "temperature": pick(rng, [0.0, 1.0])}
    if maybe(rng, 0.8):
        kw["prompt_logprobs"] = pick(rng, [0, 1, 5, 10])
    if maybe(rng, 0.6):
        kw["logprobs"] = pick(rng, LOGPROBS)
    if maybe(rng, 0.2):
        kw["detokenize"] = pick(rng, [True, False])
    if maybe(rng, 0.1):
        kw["flat_logprobs"] = True
    return kw


def structured(rng):
    kw = {"temperature": pick(rng, [0.0, 0.2, 0.7]), "max_tokens": pick(rng, [128, 256, 512])}
    kind = pick(rng, ["json", "choice", "regex", "json_object"])
    if kind == "json":
        kw["structured_outputs"] = {"json": JSON_SCHEMA}
    elif kind == "choice":
        kw["structured_outputs"] = {"choice": pick(rng, [["yes", "no"], ["A", "B", "C", "D"]])}
    elif kind == "regex":
        kw["structured_outputs"] = {"regex": pick(rng, [r"\d+", r"(yes|no)", r"[A-D]"])}
    else:
        kw["structured_outputs"] = {"json_object": True}
    return kw


def minimal(rng):
    kw = {}
    r = rng.random()
    if r < 0.3:
        kw["max_tokens"] = pick(rng, MAX_TOKENS)
    elif r < 0.5:
        kw["temperature"] = pick(rng, TEMPS)
    elif r < 0.6:
        kw["seed"] = pick(rng, SEEDS)
    elif r < 0.7:
        kw["top_p"] = pick(rng, TOP_P)
    elif r < 0.8:
        kw["stop"] = pick(rng, STOPS)
    elif r < 0.85:
        kw["ignore_eos"] = pick(rng, [True, False])
    elif r < 0.9:
        kw["n"] = 1
    return kw


def output_options(rng):
    kw = base(rng)
    kw[pick(rng, ["skip_special_tokens", "spaces_between_special_tokens",
                  "include_stop_str_in_output", "ignore_eos"])] = pick(rng, [True, False])
    extras_block(rng, kw)
    return kw


VALID = [
    (greedy, 18), (sampling, 26), (model_card, 16), (energy_benchmark, 12),
    (parallel_sampling, 8), (penalties, 7), (logprob_scoring, 5), (structured, 2),
    (minimal, 3), (output_options, 5),
]


# ----------------------------------------------------------------------------- mistakes

def m_negative_temperature(rng):
    kw = base(rng, temperature=False)
    kw["temperature"] = pick(rng, [-1, -0.5, -0.1, -1.0])
    return kw


def m_tiny_temperature(rng):
    """Meant greedy or near-greedy: a temperature in (0, 0.01) is raised to 0.01."""
    kw = base(rng, temperature=False)
    kw["temperature"] = pick(rng, [1e-05, 0.0001, 0.001, 0.002, 0.005, 0.009, 1e-06, 0.0099])
    if maybe(rng, 0.3):
        kw["top_p"] = pick(rng, TOP_P)
    return kw


def m_greedy_with_sampling_knobs(rng):
    """temperature 0 plus top_p / top_k / min_p: greedy resets them silently."""
    kw = {"temperature": 0.0}
    knobs = [("top_p", [0.8, 0.9, 0.95]), ("top_k", [5, 20, 40, 50]), ("min_p", [0.05, 0.1])]
    for name, pool in knobs:
        if maybe(rng, 0.55):
            kw[name] = pick(rng, pool)
    if len(kw) == 1:
        kw["top_p"] = pick(rng, [0.9, 0.95])
    length_block(rng, kw)
    return kw


def m_greedy_with_n(rng):
    kw = {"temperature": pick(rng, [0, 0.0]), "n": pick(rng, [2, 3, 4, 5, 8])}
    length_block(rng, kw)
    if maybe(rng, 0.3):
        kw["seed"] = pick(rng, SEEDS)
    return kw


def m_prob_out_of_range(rng):
    kw = base(rng)
    name = pick(rng, ["top_p", "top_p", "top_p", "min_p", "min_p"])
    if name == "top_p":
        kw["top_p"] = pick(rng, [0, 0.0, 1.1, 1.5, 95, 90, -0.5, 2])
    else:
        kw["min_p"] = pick(rng, [-0.1, 1.5, 5, 10, -1])
    return kw


def m_top_k(rng):
    kw = base(rng)
    kw["top_k"] = pick(rng, [-2, -10, 0.5, 40.0, 50.0, 0.9, -1.0, 1.5])
    return kw


def m_penalties(rng):
    kw = base(rng)
    name = pick(rng, ["repetition_penalty", "repetition_penalty", "presence_penalty",
                      "frequency_penalty"])
    if name == "repetition_penalty":
        kw[name] = pick(rng, [0, 0.0, -1.0, -0.5, -1.2])
    else:
        kw[name] = pick(rng, [2.5, 3, 5.0, -2.5, -3, 10])
    return kw


def m_max_tokens(rng):
    kw = base(rng)
    kw["max_tokens"] = pick(rng, [0, -1, -100, 0.0, 0.5])
    if maybe(rng, 0.1):
        kw["min_tokens"] = pick(rng, [0, 1])
    return kw


def m_min_tokens(rng):
    kw = base(rng)
    r = rng.random()
    if r < 0.55:
        kw["max_tokens"] = pick(rng, [16, 32, 64, 100, 128])
        kw["min_tokens"] = kw["max_tokens"] * pick(rng, [2, 4, 10]) + pick(rng, [0, 1])
    elif r < 0.8:
        kw["min_tokens"] = pick(rng, [-1, -10])
    else:
        kw["min_tokens"] = pick(rng, [20, 32, 50])   # above the default max_tokens=16
        kw.pop("max_tokens", None)
    return kw


def m_n_values(rng):
    kw = base(rng)
    if kw.get("temperature") == 0.0:
        kw["temperature"] = 0.8
    kw["n"] = pick(rng, [0, -1, 2.0, 4.0, 1.0, 0.5, 20000, 100000])   # pass@k with huge k
    return kw


def m_numbers_as_strings(rng):
    """YAML that quoted numbers, or values read from the environment / a CSV."""
    kw = base(rng)
    name = pick(rng, ["temperature", "top_p", "top_k", "max_tokens", "n", "seed", "min_p",
                      "repetition_penalty", "presence_penalty", "min_tokens", "logprobs"])
    value = {
        "temperature": pick(rng, ["0.7", "0", "1.0", "0.0"]),
        "top_p": pick(rng, ["0.9", "0.95", "1"]),
        "top_k": pick(rng, ["50", "-1", "0", "40"]),
        "max_tokens": pick(rng, ["256", "1024", "128"]),
        "n": pick(rng, ["1", "2", "4"]),
        "seed": pick(rng, ["42", "0", "1234"]),
        "min_p": pick(rng, ["0.05", "0.1"]),
        "repetition_penalty": pick(rng, ["1.1", "1.05"]),
        "presence_penalty": pick(rng, ["0.5", "1.0"]),
        "min_tokens": pick(rng, ["1", "10"]),
        "logprobs": pick(rng, ["5", "1"]),
    }[name]
    kw[name] = value
    return kw


def m_bools(rng):
    """Booleans where numbers go, strings where booleans go."""
    kw = base(rng)
    r = rng.random()
    if r < 0.25:
        kw["n"] = pick(rng, [True, False])
    elif r < 0.4:
        kw["logprobs"] = pick(rng, [True, False])
    elif r < 0.5:
        kw["prompt_logprobs"] = True
    elif r < 0.6:
        kw["top_k"] = pick(rng, [True, False])
    elif r < 0.7:
        kw["max_tokens"] = pick(rng, [True, False])
    elif r < 0.8:
        kw["temperature"] = pick(rng, [True, False])
    else:
        kw[pick(rng, ["ignore_eos", "skip_special_tokens", "detokenize"])] = pick(
            rng, ["true", "false", "True", "yes", 1, 0])
    return kw


def m_nulls(rng):
    """`key: ~` or an empty value in YAML."""
    kw = base(rng)
    name = pick(rng, ["temperature", "top_p", "top_k", "n", "min_p", "repetition_penalty",
                      "min_tokens", "presence_penalty", "seed", "stop", "stop_token_ids",
                      "logprobs", "max_tokens"])
    kw[name] = None
    return kw


def m_stops(rng):
    kw = base(rng)
    r = rng.random()
    if r < 0.3:
        kw["stop"] = pick(rng, ["", [""], ["</s>", ""], ["\n\n", ""]])
    elif r < 0.5:
        kw["stop"] = pick(rng, STOPS)
        kw["detokenize"] = False
    elif r < 0.7:
        kw["stop_token_ids"] = pick(rng, [2, 128009, 151645])        # a scalar, not a list
    elif r < 0.85:
        kw["stop_token_ids"] = pick(rng, [["</s>"], ["<|eot_id|>"], [2.0], ["2"], [128001.0]])
    else:
        kw["stop"] = pick(rng, [[2], [128009], [["a"]], 0])         # ids where strings go
    return kw


def m_logprobs(rng):
    kw = base(rng)
    name = pick(rng, ["logprobs", "logprobs", "prompt_logprobs"])
    kw[name] = pick(rng, [-2, -5, -100, 21, 50, 100000, 1.5, 5.0])
    return kw


def m_seed(rng):
    kw = base(rng)
    kw["seed"] = pick(rng, [-1, -1, -42, 3.0, 2 ** 32, 42.5])
    return kw


TRANSFORMERS_KEYS = {
    "max_new_tokens": [128, 256, 512], "do_sample": [True, False], "num_beams": [1, 4],
    "num_return_sequences": [1, 2, 4], "typical_p": [0.9, 0.95], "max_length": [512, 2048],
    "min_new_tokens": [1, 10], "no_repeat_ngram_size": [3], "length_penalty": [1.0, 0.8],
    "early_stopping": [True], "pad_token_id": [0, 128001], "eos_token_id": [2, 128009],
    "use_cache": [True], "stop_strings": [["</s>"]],
}
STALE_VLLM_KEYS = {
    "best_of": [1, 2, 4], "use_beam_search": [True, False], "guided_decoding": [{"json": JSON_SCHEMA}],
    "truncate_prompt_tokens": [512, 1024], "logits_processors": [[]],
    "guided_json": [JSON_SCHEMA], "max_completion_tokens": [256], "stop_sequences": [["</s>"]],
    "frequency_penalties": [0.5], "random_seed": [42], "top_n": [5],
}
TYPOS = {
    "temprature": 0.7, "temperture": 0.7, "top-p": 0.9, "topP": 0.9, "topk": 40, "top-k": 40,
    "max_token": 256, "maxTokens": 256, "max-tokens": 256, "repeat_penalty": 1.1,
    "repetition_penality": 1.1, "min-p": 0.05, "stop_token_id": [2], "stops": ["</s>"],
    "presence_penality": 0.5, "ignore_eos_token": True, "seeds": 42,
}


def m_transformers_keys(rng):
    """Settings carried over from a transformers GenerationConfig."""
    kw = base(rng)
    name = pick(rng, sorted(TRANSFORMERS_KEYS))
    kw[name] = pick(rng, TRANSFORMERS_KEYS[name])
    return kw


def m_stale_keys(rng):
    """Settings of older vLLM releases or of the OpenAI server API."""
    kw = base(rng)
    name = pick(rng, sorted(STALE_VLLM_KEYS))
    kw[name] = pick(rng, STALE_VLLM_KEYS[name])
    return kw


def m_typos(rng):
    kw = base(rng)
    name = pick(rng, sorted(TYPOS))
    kw[name] = TYPOS[name]
    return kw


def m_wrong_containers(rng):
    kw = base(rng)
    r = rng.random()
    if r < 0.3:
        kw["logit_bias"] = pick(rng, [[[50256, -100]], "50256:-100", 5])
    elif r < 0.5:
        kw["bad_words"] = pick(rng, ["badword", [1, 2]])
    elif r < 0.7:
        kw["allowed_token_ids"] = pick(rng, [[], 5, ["a"]])
    elif r < 0.85:
        kw["structured_outputs"] = pick(rng, ['{"type": "object"}', "json"])
    else:
        kw["output_kind"] = pick(rng, ["FINAL_ONLY", "final_only", 2, "cumulative"])
    return kw


def m_percent_scale(rng):
    """Probabilities or temperatures written on a 0-100 scale."""
    kw = base(rng, temperature=False)
    r = rng.random()
    if r < 0.4:
        kw["temperature"] = pick(rng, [70, 80, 100])
    elif r < 0.8:
        kw["temperature"] = pick(rng, [0.7, 0.8])
        kw["top_p"] = pick(rng, [90, 95, 100])
    else:
        kw["temperature"] = pick(rng, [0.7, 0.8])
        kw["min_p"] = pick(rng, [5, 10])
    return kw


MISTAKES = [
    (m_negative_temperature, 5), (m_tiny_temperature, 8), (m_greedy_with_sampling_knobs, 8),
    (m_greedy_with_n, 5), (m_prob_out_of_range, 7), (m_top_k, 6), (m_penalties, 6),
    (m_max_tokens, 6), (m_min_tokens, 5), (m_n_values, 4), (m_numbers_as_strings, 8),
    (m_bools, 6), (m_nulls, 5), (m_stops, 6), (m_logprobs, 4), (m_seed, 3),
    (m_transformers_keys, 6), (m_stale_keys, 5), (m_typos, 4), (m_wrong_containers, 4),
    (m_percent_scale, 3),
]

MISTAKE_SHARE = 0.4


def weighted(rng, table):
    total = sum(w for _, w in table)
    roll = rng.randrange(total)
    for func, weight in table:
        if roll < weight:
            return func
        roll -= weight
    return table[-1][0]


def generate(count, seed):
    rng = random.Random(seed)
    seen = set()
    rows = []
    attempts = 0
    while len(rows) < count and attempts < count * 50:
        attempts += 1
        mistake = rng.random() < MISTAKE_SHARE
        func = weighted(rng, MISTAKES if mistake else VALID)
        kwargs = func(rng)
        key = json.dumps(kwargs, sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        rows.append({
            "id": f"v{len(rows) + 1:05d}",
            "intent": "mistake" if mistake else "valid",
            "archetype": func.__name__,
            "kwargs": kwargs,
        })
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--output", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                         "sampling_kwargs.jsonl"))
    args = parser.parse_args()
    rows = generate(args.count, args.seed)
    text = "".join(json.dumps(row, sort_keys=True, ensure_ascii=False) + "\n" for row in rows)
    tmp = args.output + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    os.replace(tmp, args.output)
    print(f"wrote {len(rows)} kwargs to {args.output}")


if __name__ == "__main__":
    main()
