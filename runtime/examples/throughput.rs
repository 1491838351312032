//! In-process throughput: bind + evaluate over a file of configs, and evaluation alone on bound
//! frames with the interpreter and the JIT.
//!
//! ```text
//! cargo run --release -p llemc-runtime --example throughput -- \
//!     --corpus CORPUS.yaml (--compat | --schema SCHEMA.yaml) --configs CONFIGS.jsonl \
//!     [--runs 7] [--min-seconds 0.5] [--no-parse-runs]
//! ```
//!
//! `CONFIGS.jsonl` holds one config tree (a JSON object) per line. Each measurement runs `--runs`
//! times; a run repeats its loop over all configs for at least `--min-seconds` of CPU time and its
//! rate is configs / CPU seconds (this process's time on a CPU, from `/proc/self/schedstat`, so
//! other work on a shared machine does not count; wall-clock time where that file is missing).
//! Prints one JSON object with the median rate of each measurement:
//!
//! - `median_configs_per_s`: bind (the configs parsed up front) + evaluate with findings;
//! - `median_with_parse_configs_per_s`: the same with every line parsed, as `llemc eval` binds a
//!   line (the streaming binder; serde_json for a line it refuses); `--no-parse-runs` skips it
//!   (e.g. under `valgrind --tool=callgrind` with `--min-seconds 0`);
//! - `bound_interp_configs_per_s` / `bound_jit_configs_per_s`: which rules fire, as a set, on frames
//!   bound once up front (`LoadedProgram::fire` and `JitProgram::fire`), without findings.
//!
//! `--only NAME` (`bind_evaluate`, `with_parse`, `bound_interp`, `bound_jit`) runs one measurement
//! (the others read 0), e.g. under `perf stat`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use llemc_runtime::bind::stream::StreamBinder;
use llemc_runtime::compile::{CorpusInput, compile_corpus};
use llemc_runtime::frame::Frame;
use llemc_runtime::jit::JitProgram;
use llemc_runtime::loaded::LoadedProgram;
use llemc_runtime::ruleset::RuleSet;
use std::hint::black_box;
use std::time::Instant;

struct Options {
    corpus: String,
    schema: Option<String>,
    configs: String,
    compat: bool,
    with_parse: bool,
    only: Option<String>,
    runs: usize,
    min_seconds: f64,
}

fn options() -> Options {
    let mut args = std::env::args().skip(1);
    let mut o = Options {
        corpus: String::new(),
        schema: None,
        configs: String::new(),
        compat: false,
        with_parse: true,
        only: None,
        runs: 7,
        min_seconds: 0.5,
    };
    while let Some(a) = args.next() {
        match a.as_str() {
            "--corpus" => o.corpus = args.next().expect("--corpus FILE"),
            "--schema" => o.schema = args.next(),
            "--configs" => o.configs = args.next().expect("--configs FILE"),
            "--compat" => o.compat = true,
            "--no-parse-runs" => o.with_parse = false,
            "--only" => o.only = args.next(),
            "--runs" => o.runs = args.next().and_then(|v| v.parse().ok()).unwrap_or(o.runs),
            "--min-seconds" => {
                o.min_seconds = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(o.min_seconds)
            }
            other => panic!("unknown argument {other}"),
        }
    }
    assert!(
        !o.corpus.is_empty() && !o.configs.is_empty(),
        "--corpus and --configs"
    );
    o
}

fn program(o: &Options) -> LoadedProgram {
    let text = std::fs::read_to_string(&o.corpus).unwrap();
    let schema_text = o
        .schema
        .as_ref()
        .map(|s| std::fs::read_to_string(s).unwrap());
    let input = CorpusInput {
        name: &o.corpus,
        text: &text,
        schema: schema_text.as_deref().map(|t| ("schema.yaml", t)),
        compat: o.compat,
        engine_version: None,
    };
    match compile_corpus(&input) {
        Ok((program, _)) => program,
        Err(_) => panic!("{} does not compile", o.corpus),
    }
}

/// Seconds this process has spent on a CPU (`/proc/self/schedstat`), else since `start`.
fn cpu_seconds(start: Instant) -> f64 {
    std::fs::read_to_string("/proc/self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map_or_else(|| start.elapsed().as_secs_f64(), |ns| ns as f64 / 1e9)
}

/// The median rate of `o.runs` runs of `pass` (one pass over `n` configs), each at least
/// `o.min_seconds` long; 0 when `--only` names another measurement.
fn rate(o: &Options, name: &str, n: usize, mut pass: impl FnMut()) -> f64 {
    if o.only.as_deref().is_some_and(|only| only != name) {
        return 0.0;
    }
    let mut rates: Vec<f64> = (0..o.runs)
        .map(|_| {
            let origin = Instant::now();
            let started = cpu_seconds(origin);
            let mut done = 0usize;
            loop {
                pass();
                done += n;
                if cpu_seconds(origin) - started >= o.min_seconds {
                    break;
                }
            }
            done as f64 / (cpu_seconds(origin) - started)
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    rates.get(rates.len() / 2).copied().unwrap_or(0.0)
}

fn main() {
    let o = options();
    let program = program(&o);
    let lines: Vec<String> = std::fs::read_to_string(&o.configs)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect();
    let parsed: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let n = parsed.len();
    let mut frame = program.frame();
    let mut findings = Vec::new();
    let fired: usize = parsed
        .iter()
        .map(|cfg| {
            program.bind(cfg, &mut frame);
            findings.clear();
            program.evaluate_into(&frame, &mut findings);
            findings.len()
        })
        .sum();

    let bind_evaluate = rate(&o, "bind_evaluate", n, || {
        for cfg in &parsed {
            program.bind(black_box(cfg), &mut frame);
            findings.clear();
            program.evaluate_into(&frame, &mut findings);
            black_box(findings.len());
        }
    });
    let with_parse = o.with_parse.then(|| {
        let mut stream = StreamBinder::tree(&program);
        rate(&o, "with_parse", n, || {
            for line in &lines {
                if stream.bind(line.as_bytes(), &mut frame).is_err() {
                    let cfg: serde_json::Value = serde_json::from_str(line).unwrap();
                    program.bind(&cfg, &mut frame);
                }
                findings.clear();
                program.evaluate_into(&frame, &mut findings);
                black_box(findings.len());
            }
        })
    });

    let frames: Vec<Frame> = parsed
        .iter()
        .map(|cfg| {
            let mut f = program.frame();
            program.bind(cfg, &mut f);
            f
        })
        .collect();
    let jit = JitProgram::compile(&program).unwrap();
    let mut set = RuleSet::new(program.rules().len());
    let bound_interp = rate(&o, "bound_interp", n, || {
        for frame in &frames {
            program.fire(black_box(frame), &mut set);
            black_box(set.words());
        }
    });
    let bound_jit = rate(&o, "bound_jit", n, || {
        for frame in &frames {
            jit.fire(&program, black_box(frame), &mut set);
            black_box(set.words());
        }
    });
    println!(
        "{}",
        serde_json::json!({
            "corpus": o.corpus,
            "rules": program.program().rules.len(),
            "slots": program.program().slots.len(),
            "configs": n,
            "findings": fired,
            "median_configs_per_s": bind_evaluate,
            "median_with_parse_configs_per_s": with_parse.unwrap_or(0.0),
            "bound_interp_configs_per_s": bound_interp,
            "bound_jit_configs_per_s": bound_jit,
            "jit_compile_ms": jit.compile_time().as_secs_f64() * 1e3,
        })
    );
}
