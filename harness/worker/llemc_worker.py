"""llemc's engine worker: runs one measured experiment and reports it as JSON lines.

llemc writes this file and a request (JSON) into the run's exchange directory and starts
`python llemc_worker.py request.json`, in the engine's venv or in the engine's Docker image.
Standard output carries only protocol events, one JSON object per line, each with `event` and
`t_ns` (CLOCK_MONOTONIC in nanoseconds, the clock llemc samples energy on). Everything else the
libraries print goes to standard error. Exit status: 0 done, 1 the run failed (a `failed` event
says why), 2 the request is unusable.

One function per engine (`ENGINES`) loads the model and returns a `Session` (generate a batch,
wait for the device, reseed); the warmup and measurement loops are shared by every engine.
"""

import json
import math
import os
import sys
import time
import traceback

PROTOCOL_VERSION = 1


class Reporter:
    """Writes protocol events to the original standard output."""

    def __init__(self):
        # Keep a private handle on fd 1 for events, then point fd 1 at stderr so that whatever
        # the libraries print cannot be mistaken for an event.
        self._out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
        os.dup2(2, 1)
        sys.stdout = sys.stderr

    def emit(self, event, **fields):
        record = {"event": event, "t_ns": time.monotonic_ns()}
        record.update(fields)
        self._out.write(json.dumps(record, sort_keys=True) + "\n")
        self._out.flush()


class RequestError(Exception):
    """The request cannot be run as written."""


def coefficient_of_variation(values):
    """Population standard deviation over the mean; None for fewer than two values."""
    if len(values) < 2:
        return None
    mean = sum(values) / len(values)
    if mean <= 0:
        return None
    variance = sum((v - mean) ** 2 for v in values) / len(values)
    return math.sqrt(variance) / mean


def batches(prompts, size):
    return [prompts[i : i + size] for i in range(0, len(prompts), size)]


def run_warmup(settings, batch, generate, reporter):
    """Fixed iterations, then (optionally) until the latency's CV over a window settles.

    Every iteration runs the first batch of the measured prompts, so that iterations are alike.
    """
    iterations = settings["iterations"]
    convergence = settings.get("convergence")
    limit = iterations
    if convergence is not None:
        limit = max(iterations, convergence["max_iterations"])
    latencies = []
    prompts_run = 0
    converged = None if convergence is None else False
    reporter.emit("warmup_start", planned=limit)
    for index in range(limit):
        start = time.perf_counter()
        generate(batch)
        latency_ms = (time.perf_counter() - start) * 1000.0
        latencies.append(latency_ms)
        prompts_run += len(batch)
        reporter.emit("warmup_iteration", index=index, latency_ms=latency_ms, prompts=len(batch))
        if convergence is not None and index + 1 >= iterations:
            window = latencies[-convergence["window"] :]
            cv = coefficient_of_variation(window)
            if (
                len(window) == convergence["window"]
                and cv is not None
                and cv < convergence["cv_threshold"]
            ):
                converged = True
                break
    reporter.emit("warmup_end", iterations=len(latencies), prompts=prompts_run, converged=converged)


def run_measurement(prompt_batches, generate, sync, reporter):
    total_in = 0
    total_out = 0
    prompts_run = 0
    sync()
    reporter.emit("measure_start")
    started = time.perf_counter()
    for index, batch in enumerate(prompt_batches):
        batch_start = time.perf_counter()
        tokens_in, tokens_out = generate(batch)
        sync()
        latency_ms = (time.perf_counter() - batch_start) * 1000.0
        total_in += tokens_in
        total_out += tokens_out
        prompts_run += len(batch)
        reporter.emit(
            "batch",
            index=index,
            prompts=len(batch),
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            latency_ms=latency_ms,
        )
    sync()
    elapsed = time.perf_counter() - started
    reporter.emit(
        "measure_end",
        prompts=prompts_run,
        batches=len(prompt_batches),
        input_tokens=total_in,
        output_tokens=total_out,
        inference_time_s=elapsed,
    )


def generated_tokens(row, eos_ids):
    """Tokens generated for one sequence: up to and including the first end-of-sequence token."""
    for position, token in enumerate(row):
        if token in eos_ids:
            return position + 1
    return len(row)


class Session:
    """What an engine hands the shared loops: generate a batch, wait for the device, reseed."""

    def __init__(self, generate, sync, reseed):
        self.generate = generate
        self.sync = sync
        self.reseed = reseed


def load_transformers(request):
    """Loads the model with transformers; returns (info, Session)."""
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig, GenerationConfig

    constructors = {"generation": GenerationConfig, "quantization": BitsAndBytesConfig}
    native = request.get("native") or {}
    unknown = sorted(set(native) - set(constructors))
    if unknown:
        raise RequestError(
            "the transformers worker does not know the section(s) %s (known: %s)"
            % (", ".join(unknown), ", ".join(sorted(constructors)))
        )
    generation_config = GenerationConfig(**(native.get("generation") or {}))
    load_kwargs = {"local_files_only": True}
    if native.get("quantization") is not None:
        load_kwargs["quantization_config"] = BitsAndBytesConfig(**native["quantization"])

    device = request.get("device", "auto")
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise RequestError("the request asks for device `cuda`, but torch sees no CUDA device")

    transformers.set_seed(request["seed"])
    tokenizer = AutoTokenizer.from_pretrained(request["model"], local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(request["model"], **load_kwargs)
    if "quantization_config" not in load_kwargs:
        model = model.to(device)
    model.eval()
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"

    eos = generation_config.eos_token_id
    if eos is None:
        eos = model.generation_config.eos_token_id
    eos_ids = set(eos if isinstance(eos, list) else ([] if eos is None else [eos]))

    def sync():
        if device == "cuda":
            torch.cuda.synchronize()

    def generate(prompts):
        inputs = tokenizer(prompts, return_tensors="pt", padding=True).to(model.device)
        with torch.inference_mode():
            # the model's tokenizer, as transformers' docs pass it: `stop_strings` and
            # `token_healing` fail in generate() without it
            output = model.generate(**inputs, generation_config=generation_config,
                                    tokenizer=tokenizer)
        prompt_length = inputs["input_ids"].shape[1]
        new_tokens = output[:, prompt_length:].tolist()
        tokens_in = int(inputs["attention_mask"].sum().item())
        tokens_out = sum(generated_tokens(row, eos_ids) for row in new_tokens)
        return tokens_in, tokens_out

    info = {
        "engine": "transformers",
        "engine_version": transformers.__version__,
        "torch_version": torch.__version__,
        "device": device,
    }
    return info, Session(generate, sync, lambda: transformers.set_seed(request["seed"]))


ENGINES = {"transformers": load_transformers}


def main(argv):
    reporter = Reporter()
    if len(argv) != 2:
        print("usage: llemc_worker.py REQUEST.json", file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as handle:
            request = json.load(handle)
        if request.get("protocol_version") != PROTOCOL_VERSION:
            raise RequestError(
                "protocol version %r, this worker speaks %d"
                % (request.get("protocol_version"), PROTOCOL_VERSION)
            )
        load = ENGINES.get(request.get("engine"))
        if load is None:
            raise RequestError(
                "unknown engine %r (this worker knows: %s)"
                % (request.get("engine"), ", ".join(sorted(ENGINES)))
            )
        prompt_batches = batches(request["prompts"], request["batch_size"])
        if not prompt_batches:
            raise RequestError("the request has no prompts")
    except (OSError, ValueError, KeyError, TypeError, RequestError) as error:
        reporter.emit("failed", error_type=type(error).__name__, message=str(error))
        return 2

    reporter.emit(
        "started",
        protocol_version=PROTOCOL_VERSION,
        pid=os.getpid(),
        python_version=sys.version.split()[0],
    )
    try:
        load_started = time.perf_counter()
        info, session = load(request)
        reporter.emit("loaded", load_time_s=time.perf_counter() - load_started, **info)
        run_warmup(request["warmup"], prompt_batches[0], session.generate, reporter)
        session.reseed()
        run_measurement(prompt_batches, session.generate, session.sync, reporter)
    except RequestError as error:
        reporter.emit("failed", error_type=type(error).__name__, message=str(error))
        return 2
    except Exception as error:  # the run failed inside the engine: say what and where
        traceback.print_exc()
        reporter.emit("failed", error_type=type(error).__name__, message=str(error))
        return 1
    reporter.emit("finished")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
