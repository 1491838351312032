#!/usr/bin/env python3
"""The held-out `vllm.engine` set: EngineArgs kwargs as experimenters write them (Python 3.11,
standard library only, fixed seed), written to `engine_kwargs.jsonl`.

    python3 eval/heldout-vllm-engine/generate.py

Cases are written from how people start vLLM for a measurement (memory budget, parallelism,
prefix caching, offloading, load format, metrics sampling, scheduler limits, context length) and
the mistakes they make (a percentage where a fraction is meant, negative sizes, values of other
libraries or older releases, a tensor-parallel size the context-parallel size does not divide,
misspelt keys), never from a corpus's kwargs. Some cases fail for reasons llemc does not model
(the model's maximum length, scheduler limits): they stay in, so recall is measured honestly.
"""

import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20261203
COUNT = 360


def pick(rng, values):
    return rng.choice(values)


def memory(rng, mistake):
    kw = {"gpu_memory_utilization": pick(rng, [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.92, 0.95])}
    if rng.random() < 0.5:
        kw["swap_space"] = pick(rng, [0, 1, 2, 4, 8, 16])
    if rng.random() < 0.3:
        kw["enable_prefix_caching"] = pick(rng, [True, False])
    if mistake:
        slip = pick(rng, ["percent", "over", "zero", "negative_swap", "negative_util"])
        if slip == "percent":
            kw["gpu_memory_utilization"] = pick(rng, [80, 90, 95, 85.0])
        elif slip == "over":
            kw["gpu_memory_utilization"] = pick(rng, [1.05, 1.1, 1.2, 1.5])
        elif slip == "zero":
            kw["gpu_memory_utilization"] = pick(rng, [0, 0.0])
        elif slip == "negative_swap":
            kw["swap_space"] = pick(rng, [-1, -4, -0.5])
        else:
            kw["gpu_memory_utilization"] = -0.9
    return kw


def parallel(rng, mistake):
    tp = pick(rng, [1, 2, 4, 8])
    kw = {"tensor_parallel_size": tp}
    if rng.random() < 0.4:
        kw["decode_context_parallel_size"] = pick(rng, [d for d in (1, 2, 4) if tp % d == 0])
    if rng.random() < 0.3:
        kw["data_parallel_size"] = pick(rng, [1, 2])
    if mistake:
        slip = pick(rng, ["dcp", "dcp", "local"])
        if slip == "dcp":
            kw["tensor_parallel_size"] = pick(rng, [1, 2, 3, 6])
            kw["decode_context_parallel_size"] = pick(rng, [4, 8])
        else:
            kw["data_parallel_size"] = 1
            kw["data_parallel_size_local"] = 2
    return kw


def caching(rng, mistake):
    kw = {"enable_prefix_caching": True,
          "prefix_caching_hash_algo": pick(rng, ["sha256", "sha256_cbor", "xxhash", "xxhash_cbor"])}
    if rng.random() < 0.4:
        kw["block_size"] = pick(rng, [16, 32])
    if mistake:
        kw["prefix_caching_hash_algo"] = pick(rng, ["md5", "sha1", "sha-256", "SHA256", "builtin"])
    return kw


def offload(rng, mistake):
    kw = {"kv_offloading_backend": pick(rng, ["native", "lmcache"])}
    if rng.random() < 0.5:
        kw["kv_offloading_size"] = pick(rng, [None, 4.0, 8.0])
    if mistake:
        kw["kv_offloading_backend"] = pick(rng, ["cpu", "disk", "LMCache", "mooncake"])
    return kw


def mamba(rng, mistake):
    kw = {"mamba_cache_dtype": pick(rng, ["auto", "float32", "float16"])}
    if rng.random() < 0.5:
        kw["mamba_ssm_cache_dtype"] = pick(rng, ["auto", "float32", "float16"])
    if mistake:
        key = pick(rng, ["mamba_cache_dtype", "mamba_ssm_cache_dtype"])
        kw[key] = pick(rng, ["bf16", "fp32", "float64"])
    return kw


def metrics(rng, mistake):
    kw = {"kv_cache_metrics": True,
          "kv_cache_metrics_sample": pick(rng, [0.01, 0.05, 0.1, 0.5, 1.0])}
    if mistake:
        kw["kv_cache_metrics_sample"] = pick(rng, [0, 0.0, 1.5, 2, 10, -0.1])
    return kw


def load(rng, mistake):
    kw = {"load_format": pick(rng, ["auto", "safetensors", "pt", "dummy"])}
    if rng.random() < 0.3:
        kw["download_dir"] = pick(rng, ["/tmp/hf", "/scratch/models"])
    if mistake:
        kw[pick(rng, ["load_format", "download_dir"])] = pick(rng, [3, True])
    return kw


def scheduler(rng, mistake):
    kw = {"max_num_seqs": pick(rng, [16, 64, 128, 256]),
          "max_num_batched_tokens": pick(rng, [2048, 4096, 8192])}
    if mistake:
        slip = pick(rng, ["zero_seqs", "batched_below_seqs"])
        if slip == "zero_seqs":
            kw["max_num_seqs"] = 0
        else:
            kw["max_num_seqs"] = 512
            kw["max_num_batched_tokens"] = pick(rng, [128, 256])
    return kw


def context(rng, mistake):
    kw = {"max_model_len": pick(rng, [512, 1024, 2048])}
    if rng.random() < 0.5:
        kw["enforce_eager"] = pick(rng, [True, False])
    if mistake:
        kw["max_model_len"] = pick(rng, [4096, 8192, 32768])
    return kw


def typo(rng, _mistake):
    good = {"gpu_memory_utilization": 0.9, "tensor_parallel_size": 1, "swap_space": 4}
    key, value = pick(rng, list(good.items()))
    wrong = {"gpu_memory_utilization": ["gpu_mem_util", "gpu_memory_utilisation", "gpu_util"],
             "tensor_parallel_size": ["tp_size", "tensor_parallel", "tp"],
             "swap_space": ["swap", "swap_space_gb"]}[key]
    return {pick(rng, wrong): value}


ARCHETYPES = [memory, parallel, caching, offload, mamba, metrics, load, scheduler, context, typo]


def main():
    rng = random.Random(SEED)
    lines = []
    for n in range(1, COUNT + 1):
        archetype = ARCHETYPES[(n - 1) % len(ARCHETYPES)]
        mistake = archetype is typo or rng.random() < 0.45
        kwargs = archetype(rng, mistake)
        # a few settings that change nothing checked, as configs carry them
        if rng.random() < 0.3:
            kwargs.setdefault("seed", pick(rng, [0, 1234, 42]))
        lines.append({"archetype": archetype.__name__, "id": f"e{n:04d}",
                      "intent": "mistake" if mistake else "valid", "kwargs": kwargs})
    text = "".join(json.dumps(line, sort_keys=True) + "\n" for line in lines)
    (HERE / "engine_kwargs.jsonl").write_text(text)


if __name__ == "__main__":
    main()
