//! In-process throughput of the interpreter: bind + evaluate over a file of configs.
//!
//! ```text
//! cargo run --release -p llemc-runtime --example throughput -- \
//!     --corpus CORPUS.yaml (--compat | --schema SCHEMA.yaml) --configs CONFIGS.jsonl \
//!     [--runs 7] [--min-seconds 0.5] [--no-parse-runs]
//! ```
//!
//! `CONFIGS.jsonl` holds one config tree (a JSON object) per line. The configs are parsed once,
//! up front; each run then binds and evaluates all of them, repeatedly, for at least
//! `--min-seconds`, and its rate is configs evaluated / elapsed. Prints one JSON object: the rate
//! of each run, their median, and the median rate when every line's JSON parsing is included
//! (what `llemc eval` does per line, minus I/O; `--no-parse-runs` skips that, e.g. under
//! `valgrind --tool=callgrind` with `--min-seconds 0`).
//!
//! It also measures evaluation on bound frames (every config bound once, up front): deciding
//! which rules fire, with the interpreter and with the JIT, without building findings.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use llemc_runtime::compile::{CorpusInput, compile_corpus};
use llemc_runtime::interp::holds;
use llemc_runtime::jit::JitProgram;
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut corpus, mut schema, mut configs) = (None, None, None);
    let mut compat = false;
    let mut with_parse = true;
    let mut runs = 7usize;
    let mut min_seconds = 0.5f64;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--corpus" => corpus = args.next(),
            "--schema" => schema = args.next(),
            "--configs" => configs = args.next(),
            "--compat" => compat = true,
            "--no-parse-runs" => with_parse = false,
            "--runs" => runs = args.next().and_then(|v| v.parse().ok()).unwrap_or(runs),
            "--min-seconds" => {
                min_seconds = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(min_seconds)
            }
            other => panic!("unknown argument {other}"),
        }
    }
    let corpus = corpus.expect("--corpus");
    let configs = configs.expect("--configs");
    let text = std::fs::read_to_string(&corpus).unwrap();
    let schema_text = schema.as_ref().map(|s| std::fs::read_to_string(s).unwrap());
    let input = CorpusInput {
        name: &corpus,
        text: &text,
        schema: schema_text.as_deref().map(|t| ("schema.yaml", t)),
        compat,
        engine_version: None,
    };
    let Ok((program, _)) = compile_corpus(&input) else {
        panic!("{corpus} does not compile")
    };
    let lines: Vec<String> = std::fs::read_to_string(&configs)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect();
    let parsed: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut frame = program.frame();
    let mut findings = Vec::new();
    let mut fired = 0usize;
    for cfg in &parsed {
        program.bind(cfg, &mut frame);
        findings.clear();
        program.evaluate_into(&frame, &mut findings);
        fired += findings.len();
    }

    let mut measure = |with_parse: bool| -> Vec<f64> {
        (0..runs)
            .map(|_| {
                let started = Instant::now();
                let mut done = 0usize;
                loop {
                    if with_parse {
                        for line in &lines {
                            let cfg: serde_json::Value = serde_json::from_str(line).unwrap();
                            program.bind(&cfg, &mut frame);
                            findings.clear();
                            program.evaluate_into(&frame, &mut findings);
                            black_box(findings.len());
                        }
                    } else {
                        for cfg in &parsed {
                            program.bind(black_box(cfg), &mut frame);
                            findings.clear();
                            program.evaluate_into(&frame, &mut findings);
                            black_box(findings.len());
                        }
                    }
                    done += parsed.len();
                    if started.elapsed().as_secs_f64() >= min_seconds {
                        break;
                    }
                }
                done as f64 / started.elapsed().as_secs_f64()
            })
            .collect()
    };
    let rates = measure(false);

    // Evaluation on bound frames: which rules fire, interpreter vs JIT.
    let frames: Vec<_> = parsed
        .iter()
        .map(|cfg| {
            let mut f = program.frame();
            program.bind(cfg, &mut f);
            f
        })
        .collect();
    let jit = JitProgram::compile(&program).unwrap();
    let mut flags: Vec<bool> = Vec::new();
    let mut bound = |use_jit: bool| -> Vec<f64> {
        (0..runs)
            .map(|_| {
                let started = Instant::now();
                let mut done = 0usize;
                loop {
                    for frame in &frames {
                        if use_jit {
                            jit.eval(black_box(frame), &mut flags);
                        } else {
                            flags.clear();
                            for (i, rule) in program.rules().iter().enumerate() {
                                flags.push(
                                    program.rule_applies(i, frame) && holds(&rule.pred, frame),
                                );
                            }
                        }
                        black_box(flags.len());
                    }
                    done += frames.len();
                    if started.elapsed().as_secs_f64() >= min_seconds {
                        break;
                    }
                }
                done as f64 / started.elapsed().as_secs_f64()
            })
            .collect()
    };
    let bound_interp = bound(false);
    let bound_jit = bound(true);
    let parse_rates = if with_parse {
        measure(true)
    } else {
        Vec::new()
    };
    println!(
        "{}",
        serde_json::json!({
            "corpus": corpus,
            "rules": program.program().rules.len(),
            "slots": program.program().slots.len(),
            "configs": parsed.len(),
            "findings": fired,
            "runs": rates,
            "median_configs_per_s": median(&rates),
            "runs_with_parse": parse_rates,
            "median_with_parse_configs_per_s": median(&parse_rates),
            "bound_interp_configs_per_s": median(&bound_interp),
            "bound_jit_configs_per_s": median(&bound_jit),
            "jit_compile_ms": jit.compile_time().as_secs_f64() * 1e3,
        })
    );
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s.get(s.len() / 2).copied().unwrap_or(0.0)
}
