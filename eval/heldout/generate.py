#!/usr/bin/env python3
"""Held-out GenerationConfig kwargs for scoring llemc's transformers corpora.

Writes `eval/heldout/generation_kwargs.jsonl` (beside this file): one JSON object per line,

    {"id": "h00001", "intent": "valid" | "mistake", "archetype": "...", "kwargs": {...}}

`kwargs` is what a researcher would pass to `transformers.GenerationConfig(**kwargs)` (or write
under `generation:` in an experiment config). `intent` and `archetype` say what the generator meant
to produce; they are NOT labels: what the library actually does is recorded separately by
`llemc heldout label` (labels-<version>.jsonl).

The set is held out: it is written from how people configure generation (model cards, papers,
tutorials, common mistakes), never from the kwargs_positive / kwargs_negative of llemc's corpora.

Plain Python 3.11, standard library only, deterministic (fixed seed; byte-identical on a rerun):

    python3 eval/heldout/generate.py [--count 3000] [--seed 20261127] [--output FILE]
"""

import argparse
import json
import os
import random

DEFAULT_COUNT = 3000
DEFAULT_SEED = 20261127

# ----------------------------------------------------------------------------- value pools

MAX_NEW = [16, 32, 50, 64, 100, 128, 200, 256, 300, 512, 1000, 1024, 2048, 4096]
MAX_LEN = [20, 50, 64, 128, 256, 512, 1024, 2048, 4096, 8192]
TEMPS = [0.1, 0.2, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.5]
TOP_P = [0.8, 0.85, 0.9, 0.92, 0.95, 0.98, 0.99, 1.0]
TOP_K = [0, 1, 5, 10, 20, 40, 50, 64, 100]
MIN_P = [0.01, 0.02, 0.05, 0.1]
TYPICAL_P = [0.2, 0.9, 0.95]
BEAMS = [2, 3, 4, 5, 6, 8, 10]
LEN_PEN = [0.6, 0.8, 1.0, 1.2, 1.5, 2.0, -1.0]
REP_PEN = [1.0, 1.03, 1.05, 1.1, 1.15, 1.2, 1.3, 1.5]
NGRAM = [0, 2, 3, 4]
CACHE_OK = ["static", "offloaded_static", "dynamic", "offloaded", "sliding_window", "hybrid",
            "quantized", "dynamic_full", "hybrid_chunked", "offloaded_hybrid"]
CACHE_BAD = ["Static", "static_cache", "StaticCache", "hybrid_cache", "dynamic_cache", "mamba",
             "sink", "sinks", "quanto", "offload", "full", "none", "paged_attention", "DYNAMIC"]
# (pad, eos, bos) triples of popular tokenizers
TOKEN_IDS = [
    (0, 2, 1),            # Llama-1/2, Mistral
    (2, 1, 2),            # Gemma-ish
    (128001, 128001, 128000),   # Llama-3 (pad = eos)
    (128004, [128001, 128008, 128009], 128000),  # Llama-3.1 instruct
    (151643, [151645, 151643], None),  # Qwen2
    (50256, 50256, 50256),  # GPT-2
    (1, 2, 0),            # OPT-ish
    (0, 1, None),         # T5
    (None, 2, 1),
]
STOP_STRINGS = [["\n\n"], ["</s>"], ["###", "\nUser:"], "Observation:", ["<|im_end|>"]]


def maybe(rng, p):
    return rng.random() < p


def pick(rng, pool):
    return pool[rng.randrange(len(pool))]


# ----------------------------------------------------------------------------- building blocks

def length_block(rng, kw):
    r = rng.random()
    if r < 0.75:
        kw["max_new_tokens"] = pick(rng, MAX_NEW)
    elif r < 0.9:
        kw["max_length"] = pick(rng, MAX_LEN)
    elif r < 0.95:
        kw["max_new_tokens"] = pick(rng, MAX_NEW)
        kw["max_length"] = pick(rng, MAX_LEN)
    if maybe(rng, 0.1):
        kw["min_new_tokens"] = pick(rng, [1, 5, 10, 20, 50])
    elif maybe(rng, 0.04):
        kw["min_length"] = pick(rng, [0, 5, 10, 30])
    if maybe(rng, 0.03):
        kw["max_time"] = pick(rng, [5.0, 10.0, 30, 60.0])


def token_block(rng, kw):
    if not maybe(rng, 0.45):
        return
    pad, eos, bos = pick(rng, TOKEN_IDS)
    if pad is not None and maybe(rng, 0.9):
        kw["pad_token_id"] = pad
    if eos is not None and maybe(rng, 0.85):
        kw["eos_token_id"] = eos
    if bos is not None and maybe(rng, 0.4):
        kw["bos_token_id"] = bos
    if maybe(rng, 0.05):
        kw["decoder_start_token_id"] = 0


def extras_block(rng, kw):
    if maybe(rng, 0.25):
        kw["repetition_penalty"] = pick(rng, REP_PEN)
    if maybe(rng, 0.12):
        kw["no_repeat_ngram_size"] = pick(rng, NGRAM)
    if maybe(rng, 0.15):
        kw["use_cache"] = True
    if maybe(rng, 0.12):
        kw["cache_implementation"] = pick(rng, CACHE_OK)
        if kw["cache_implementation"] in ("static", "offloaded_static") and maybe(rng, 0.3):
            kw["max_cache_len"] = pick(rng, [1024, 2048, 4096])
    if maybe(rng, 0.06):
        kw["stop_strings"] = pick(rng, STOP_STRINGS)
    if maybe(rng, 0.04):
        kw["suppress_tokens"] = pick(rng, [[0], [220, 50256], []])
    if maybe(rng, 0.03):
        kw["begin_suppress_tokens"] = [220, 50257]
    if maybe(rng, 0.03):
        kw["bad_words_ids"] = pick(rng, [[[1, 2]], [[50256]], [[3], [4, 5]]])
    if maybe(rng, 0.03):
        kw["encoder_repetition_penalty"] = pick(rng, [1.0, 1.1])
    if maybe(rng, 0.03):
        kw["renormalize_logits"] = True
    if maybe(rng, 0.03):
        kw["remove_invalid_values"] = pick(rng, [True, False])
    if maybe(rng, 0.02):
        kw["exponential_decay_length_penalty"] = pick(rng, [[10, 1.5], [64, 1.05]])
    if maybe(rng, 0.02):
        kw["forced_eos_token_id"] = 2
    if maybe(rng, 0.02):
        kw["forced_bos_token_id"] = 0
    if maybe(rng, 0.02):
        kw["guidance_scale"] = pick(rng, [1.5, 3.0])
    if maybe(rng, 0.02):
        kw["sequence_bias"] = pick(rng, [[[[1, 2], -1.0]], {}])


def output_block(rng, kw):
    r = rng.random()
    if r < 0.12:
        kw["return_dict_in_generate"] = True
        kw["output_scores"] = True
        if maybe(rng, 0.3):
            kw["output_logits"] = True
    elif r < 0.17:
        kw["return_dict_in_generate"] = True
        kw[pick(rng, ["output_attentions", "output_hidden_states"])] = True
    elif r < 0.2:
        kw["return_dict_in_generate"] = pick(rng, [True, False])


def watermark_block(rng, kw, valid=True):
    wm = {}
    if maybe(rng, 0.7):
        wm["greenlist_ratio"] = pick(rng, [0.25, 0.5, 0.1])
    if maybe(rng, 0.6):
        wm["bias"] = pick(rng, [2.0, 1.5, 4.0])
    if maybe(rng, 0.4):
        wm["seeding_scheme"] = pick(rng, ["lefthash", "selfhash"])
    if maybe(rng, 0.3):
        wm["context_width"] = pick(rng, [1, 2, 4])
    if maybe(rng, 0.3):
        wm["hashing_key"] = pick(rng, [15485863, 42, 1234])
    if not valid:
        mistake = pick(rng, ["ratio", "scheme", "width", "ratio_str", "width_zero"])
        if mistake == "ratio":
            wm["greenlist_ratio"] = pick(rng, [1.5, -0.1, 25])
        elif mistake == "scheme":
            wm["seeding_scheme"] = pick(rng, ["hash", "left_hash", "SelfHash", "minhash"])
        elif mistake == "width":
            wm["context_width"] = pick(rng, [-1, 0])
        elif mistake == "ratio_str":
            wm["greenlist_ratio"] = "0.25"
        else:
            wm["context_width"] = 0
    kw["watermarking_config"] = wm


# ----------------------------------------------------------------------------- valid archetypes

def greedy(rng):
    kw = {}
    if maybe(rng, 0.7):
        kw["do_sample"] = False
    if maybe(rng, 0.2):
        kw["num_beams"] = 1
    length_block(rng, kw)
    token_block(rng, kw)
    extras_block(rng, kw)
    output_block(rng, kw)
    if maybe(rng, 0.08):
        kw["temperature"] = 1.0
    if maybe(rng, 0.05):
        kw["top_p"] = 1.0
    return kw


def sampling(rng):
    kw = {"do_sample": True}
    if maybe(rng, 0.85):
        kw["temperature"] = pick(rng, TEMPS)
    if maybe(rng, 0.65):
        kw["top_p"] = pick(rng, TOP_P)
    if maybe(rng, 0.45):
        kw["top_k"] = pick(rng, TOP_K)
    if maybe(rng, 0.08):
        kw["min_p"] = pick(rng, MIN_P)
    if maybe(rng, 0.04):
        kw["typical_p"] = pick(rng, TYPICAL_P)
    if maybe(rng, 0.03):
        kw["epsilon_cutoff"] = pick(rng, [3e-4, 0.0009])
    if maybe(rng, 0.03):
        kw["eta_cutoff"] = pick(rng, [3e-4, 0.002])
    if maybe(rng, 0.15):
        kw["num_return_sequences"] = pick(rng, [1, 2, 4, 5, 8, 10])
    length_block(rng, kw)
    token_block(rng, kw)
    extras_block(rng, kw)
    output_block(rng, kw)
    if maybe(rng, 0.05):
        watermark_block(rng, kw)
    return kw


def beam(rng):
    kw = {"num_beams": pick(rng, BEAMS)}
    if maybe(rng, 0.5):
        kw["do_sample"] = False
    if maybe(rng, 0.5):
        kw["early_stopping"] = pick(rng, [True, True, False, "never"])
    if maybe(rng, 0.4):
        kw["length_penalty"] = pick(rng, LEN_PEN)
    if maybe(rng, 0.35):
        kw["no_repeat_ngram_size"] = pick(rng, [2, 3, 4])
    if maybe(rng, 0.3):
        kw["num_return_sequences"] = rng.randint(1, kw["num_beams"])
    length_block(rng, kw)
    token_block(rng, kw)
    extras_block(rng, kw)
    output_block(rng, kw)
    return kw


def beam_sample(rng):
    kw = beam(rng)
    kw["do_sample"] = True
    kw["temperature"] = pick(rng, TEMPS)
    if maybe(rng, 0.5):
        kw["top_p"] = pick(rng, TOP_P)
    return kw


def group_beam(rng):
    groups = pick(rng, [2, 3, 4])
    kw = {"num_beams": groups * pick(rng, [1, 2, 3]), "num_beam_groups": groups,
          "diversity_penalty": pick(rng, [0.5, 1.0, 1.5, 2.0])}
    if maybe(rng, 0.5):
        kw["num_return_sequences"] = rng.randint(1, kw["num_beams"])
    length_block(rng, kw)
    token_block(rng, kw)
    return kw


def contrastive(rng):
    kw = {"penalty_alpha": pick(rng, [0.4, 0.6]), "top_k": pick(rng, [4, 5, 6, 10])}
    length_block(rng, kw)
    token_block(rng, kw)
    return kw


def assisted(rng):
    kw = {}
    r = rng.random()
    if r < 0.5:
        kw["prompt_lookup_num_tokens"] = pick(rng, [3, 5, 10])
        if maybe(rng, 0.4):
            kw["max_matching_ngram_size"] = pick(rng, [2, 3])
    else:
        kw["num_assistant_tokens"] = pick(rng, [3, 5, 10, 20])
        kw["num_assistant_tokens_schedule"] = pick(rng, ["constant", "heuristic", "heuristic_transient"])
        if maybe(rng, 0.4):
            kw["assistant_confidence_threshold"] = pick(rng, [0.2, 0.4, 0.6])
    if maybe(rng, 0.3):
        kw["do_sample"] = True
        kw["temperature"] = pick(rng, TEMPS)
    length_block(rng, kw)
    return kw


def watermarked(rng):
    kw = sampling(rng)
    watermark_block(rng, kw)
    return kw


def minimal(rng):
    """Only a length cap, or nothing at all (a defaults run)."""
    kw = {}
    if maybe(rng, 0.8):
        kw[pick(rng, ["max_new_tokens", "max_length"])] = pick(rng, MAX_NEW)
    return kw


def static_cache(rng):
    kw = greedy(rng) if maybe(rng, 0.5) else sampling(rng)
    kw["cache_implementation"] = pick(rng, ["static", "offloaded_static"])
    if maybe(rng, 0.5):
        kw["max_cache_len"] = pick(rng, [512, 1024, 2048, 4096])
    if maybe(rng, 0.3):
        kw["disable_compile"] = pick(rng, [True, False])
    return kw


VALID = [
    (greedy, 22), (sampling, 30), (beam, 14), (beam_sample, 4), (group_beam, 3),
    (contrastive, 2), (assisted, 3), (watermarked, 3), (minimal, 6), (static_cache, 4),
]


# ----------------------------------------------------------------------------- mistakes

def m_sampling_without_do_sample(rng):
    """Sampling knobs set, do_sample forgotten or false."""
    kw = sampling(rng)
    if maybe(rng, 0.6):
        kw["do_sample"] = False
    else:
        del kw["do_sample"]
    if not any(k in kw for k in ("temperature", "top_p", "top_k", "min_p", "typical_p")):
        kw["temperature"] = pick(rng, [0.7, 0.6, 0.9])
    if maybe(rng, 0.7):
        kw.pop("num_return_sequences", None)
    return kw


def m_temperature_zero(rng):
    """The OpenAI habit: temperature 0 means greedy."""
    kw = {"temperature": pick(rng, [0, 0.0, 1e-5, 0.01])}
    if maybe(rng, 0.5):
        kw["do_sample"] = pick(rng, [True, False])
    length_block(rng, kw)
    token_block(rng, kw)
    return kw


def m_beam_flags_single_beam(rng):
    """Beam-only knobs with one beam (or num_beams left out)."""
    kw = greedy(rng)
    if maybe(rng, 0.5):
        kw["num_beams"] = 1
    if maybe(rng, 0.7):
        kw["early_stopping"] = pick(rng, [True, "never", True])
    if "early_stopping" not in kw or maybe(rng, 0.4):
        kw["length_penalty"] = pick(rng, [0.8, 1.2, 2.0, -1.0])
    return kw


def m_negative_or_zero(rng):
    kw = sampling(rng) if maybe(rng, 0.5) else beam(rng)
    field = pick(rng, ["max_new_tokens", "max_new_tokens", "max_length", "num_beams", "top_k",
                       "temperature", "top_p", "repetition_penalty", "no_repeat_ngram_size",
                       "min_new_tokens", "num_return_sequences", "pad_token_id", "max_time"])
    value = pick(rng, [0, -1, -10, -0.5, 0.0])
    if field == "pad_token_id":
        value = -1
    kw[field] = value
    return kw


def m_out_of_range_prob(rng):
    kw = sampling(rng)
    field = pick(rng, ["top_p", "top_p", "typical_p", "min_p", "epsilon_cutoff", "eta_cutoff"])
    kw[field] = pick(rng, [1.5, 2.0, 95, -0.1, 0.0, 1.01])
    return kw


def m_string_numbers(rng):
    """Values read from a CLI or env var and never converted."""
    kw = sampling(rng) if maybe(rng, 0.6) else beam(rng)
    field = pick(rng, ["max_new_tokens", "max_new_tokens", "temperature", "top_p", "top_k",
                       "num_beams", "repetition_penalty", "max_length", "num_return_sequences",
                       "pad_token_id", "no_repeat_ngram_size", "length_penalty"])
    raw = kw.get(field)
    if raw is None:
        raw = {"max_new_tokens": 256, "temperature": 0.7, "top_p": 0.9, "top_k": 50,
               "num_beams": 4, "repetition_penalty": 1.1, "max_length": 512,
               "num_return_sequences": 2, "pad_token_id": 0, "no_repeat_ngram_size": 3,
               "length_penalty": 1.0}[field]
    kw[field] = str(raw)
    return kw


def m_bool_strings(rng):
    kw = sampling(rng) if maybe(rng, 0.5) else greedy(rng)
    field = pick(rng, ["do_sample", "do_sample", "use_cache", "early_stopping",
                       "return_dict_in_generate", "output_scores"])
    kw[field] = pick(rng, ["true", "false", "True", "False", "yes", "no", 1, 0])
    if field == "early_stopping":
        kw["num_beams"] = pick(rng, BEAMS)
    return kw


def m_float_ints(rng):
    """Integers written as floats (YAML 4.0, JSON from a sweep)."""
    kw = beam(rng) if maybe(rng, 0.5) else sampling(rng)
    field = pick(rng, ["num_beams", "max_new_tokens", "top_k", "num_return_sequences",
                       "no_repeat_ngram_size", "max_length"])
    kw[field] = float(kw.get(field, pick(rng, [4, 128, 50, 2, 3, 256])))
    return kw


def m_unknown_cache(rng):
    kw = greedy(rng) if maybe(rng, 0.5) else sampling(rng)
    kw["cache_implementation"] = pick(rng, CACHE_BAD)
    return kw


def m_cache_without_use_cache(rng):
    kw = greedy(rng)
    kw["use_cache"] = False
    if maybe(rng, 0.8):
        kw["cache_implementation"] = pick(rng, CACHE_OK)
    else:
        kw["cache_config"] = pick(rng, [{"backend": "quanto", "nbits": 4}, {"nbits": 2}])
    return kw


def m_max_cache_len_dynamic(rng):
    kw = greedy(rng) if maybe(rng, 0.5) else sampling(rng)
    kw.pop("cache_implementation", None)
    if maybe(rng, 0.6):
        kw["cache_implementation"] = pick(rng, ["dynamic", "offloaded", "quantized"])
    kw["max_cache_len"] = pick(rng, [1024, 2048, 4096])
    return kw


def m_diversity_without_groups(rng):
    kw = beam(rng) if maybe(rng, 0.7) else greedy(rng)
    kw["diversity_penalty"] = pick(rng, [0.5, 1.0])
    if maybe(rng, 0.3):
        kw["num_beam_groups"] = 1
    return kw


def m_groups_not_dividing(rng):
    kw = {"num_beams": pick(rng, [3, 5, 7, 4]), "num_beam_groups": pick(rng, [2, 3, 8]),
          "diversity_penalty": pick(rng, [0.0, 0.5, 1.0])}
    if maybe(rng, 0.3):
        kw["do_sample"] = True
    length_block(rng, kw)
    return kw


def m_return_sequences(rng):
    r = rng.random()
    if r < 0.5:
        kw = greedy(rng)
        kw["num_return_sequences"] = pick(rng, [2, 3, 4, 5])
    else:
        kw = beam(rng)
        kw["num_return_sequences"] = kw["num_beams"] + pick(rng, [1, 2, 6])
    return kw


def m_outputs_without_dict(rng):
    kw = greedy(rng) if maybe(rng, 0.5) else sampling(rng)
    kw.pop("return_dict_in_generate", None)
    if maybe(rng, 0.3):
        kw["return_dict_in_generate"] = False
    flags = ["output_scores", "output_logits", "output_attentions", "output_hidden_states"]
    for flag in rng.sample(flags, rng.randint(1, 2)):
        kw[flag] = True
    return kw


def m_early_stopping_values(rng):
    kw = beam(rng)
    kw["early_stopping"] = pick(rng, ["true", "True", "always", "yes", 1, 0, "false", "Never", None])
    return kw


def m_generate_arguments(rng):
    """Arguments of generate() put into the config."""
    kw = greedy(rng) if maybe(rng, 0.5) else sampling(rng)
    kw[pick(rng, ["synced_gpus", "streamer", "negative_prompt_ids", "assistant_model",
                  "logits_processor", "stopping_criteria"])] = pick(rng, [True, None, [], "x"])
    return kw


def m_watermark(rng):
    kw = sampling(rng)
    watermark_block(rng, kw, valid=False)
    return kw


def m_typo_keys(rng):
    """Misspelt kwargs: GenerationConfig stores unknown kwargs as attributes."""
    kw = sampling(rng)
    typo = pick(rng, [("max_new_token", 256), ("temprature", 0.7), ("top-p", 0.9),
                      ("num_beam", 4), ("max_tokens", 512), ("repeat_penalty", 1.1),
                      ("do_samples", True), ("topk", 40), ("stop", ["\n"]), ("seed", 42)])
    kw[typo[0]] = typo[1]
    return kw


def m_wrong_containers(rng):
    kw = sampling(rng) if maybe(rng, 0.5) else greedy(rng)
    field, value = pick(rng, [
        ("eos_token_id", "</s>"), ("eos_token_id", [2, "</s>"]), ("pad_token_id", "<pad>"),
        ("pad_token_id", 0.0), ("stop_strings", 5), ("bad_words_ids", [1, 2]),
        ("suppress_tokens", 5), ("max_time", "30s"), ("watermarking_config", "default"),
        ("watermarking_config", [0.25, 2.0]), ("compile_config", {"fullgraph": True}),
        ("cache_config", "quanto"), ("sequence_bias", [1, 2]),
    ])
    kw[field] = value
    return kw


def m_assistant(rng):
    kw = assisted(rng)
    field, value = pick(rng, [
        ("assistant_ensemble_weight", pick(rng, [0.0, 1.0, 1.5, -0.2, 0.5])),
        ("num_assistant_tokens_schedule", pick(rng, ["linear", "dynamic", "Constant"])),
        ("assistant_confidence_threshold", pick(rng, [1.5, -0.1])),
        ("num_assistant_tokens", pick(rng, [0, -5])),
    ])
    kw[field] = value
    return kw


def m_length_conflicts(rng):
    kw = greedy(rng) if maybe(rng, 0.5) else sampling(rng)
    r = rng.random()
    if r < 0.4:
        kw["min_new_tokens"] = 512
        kw["max_new_tokens"] = pick(rng, [64, 128])
    elif r < 0.7:
        kw["min_length"] = 100
        kw["max_length"] = pick(rng, [20, 50])
    else:
        kw["max_new_tokens"] = pick(rng, [10 ** 6, 2 ** 31])
    return kw


MISTAKES = [
    (m_sampling_without_do_sample, 14), (m_temperature_zero, 5), (m_beam_flags_single_beam, 9),
    (m_negative_or_zero, 10), (m_out_of_range_prob, 5), (m_string_numbers, 7),
    (m_bool_strings, 4), (m_float_ints, 4), (m_unknown_cache, 6), (m_cache_without_use_cache, 4),
    (m_max_cache_len_dynamic, 4), (m_diversity_without_groups, 3), (m_groups_not_dividing, 2),
    (m_return_sequences, 6), (m_outputs_without_dict, 6), (m_early_stopping_values, 4),
    (m_generate_arguments, 2), (m_watermark, 3), (m_typo_keys, 3), (m_wrong_containers, 4),
    (m_assistant, 3), (m_length_conflicts, 3),
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
            "id": f"h{len(rows) + 1:05d}",
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
                                                         "generation_kwargs.jsonl"))
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
