//! Measures what the JIT costs and gains, to set `--backend auto`'s threshold.
//!
//! ```text
//! cargo run --release -p llemc-runtime --example jit_bench
//! ```
//!
//! For each compat corpus: the JIT's compile time (median of 10), and the time to evaluate one
//! bound config (all rules, building findings) with the interpreter and with the JIT, over the
//! recorded conformance configs; the break-even batch size is compile time / per-config gain.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use llemc_runtime::compile::{CorpusInput, compile_corpus};
use llemc_runtime::jit::{Backend, Evaluator, JitProgram};
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    println!(
        "| corpus | rules | JIT compile (ms) | interp (ns/config) | jit (ns/config) | speed-up | break-even (configs) |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (corpus, data) in [
        ("transformers.yaml", "transformers.jsonl"),
        ("vllm.yaml", "vllm.jsonl"),
        ("tensorrt.yaml", "tensorrt.jsonl"),
        ("v0.7.0/transformers.yaml", "v070_transformers.jsonl"),
        ("v0.7.0/vllm.yaml", "v070_vllm.jsonl"),
        ("v0.7.0/tensorrt.yaml", "v070_tensorrt.jsonl"),
    ] {
        let text = std::fs::read_to_string(root.join("../shared/compat").join(corpus)).unwrap();
        let input = CorpusInput {
            name: corpus,
            text: &text,
            schema: None,
            compat: true,
            engine_version: None,
        };
        let Ok((program, _)) = compile_corpus(&input) else {
            panic!("{corpus} does not compile")
        };
        let mut compile_ms: Vec<f64> = (0..10)
            .map(|_| {
                let t = Instant::now();
                let jit = JitProgram::compile(&program).unwrap();
                let ms = t.elapsed().as_secs_f64() * 1e3;
                drop(black_box(jit));
                ms
            })
            .collect();
        compile_ms.sort_by(f64::total_cmp);
        let compile = compile_ms[compile_ms.len() / 2];
        let lines = std::fs::read_to_string(root.join("conformance/data").join(data)).unwrap();
        let frames: Vec<_> = lines
            .lines()
            .map(|l| {
                let record: serde_json::Value = serde_json::from_str(l).unwrap();
                let mut frame = program.frame();
                program.bind(&record["config"], &mut frame);
                frame
            })
            .collect();
        let per_config = |backend: Backend| {
            let mut e = Evaluator::new(&program, backend);
            let mut out = Vec::new();
            let rounds = 40;
            let t = Instant::now();
            for _ in 0..rounds {
                for f in &frames {
                    out.clear();
                    e.evaluate_into(&program, f, &mut out);
                    black_box(&out);
                }
            }
            t.elapsed().as_secs_f64() * 1e9 / (rounds * frames.len()) as f64
        };
        let interp = per_config(Backend::Interp);
        let jit = per_config(Backend::Jit);
        let gain = interp - jit;
        let break_even = if gain > 0.0 {
            format!("{:.0}", compile * 1e6 / gain)
        } else {
            "never".to_owned()
        };
        println!(
            "| {corpus} | {} | {compile:.2} | {interp:.0} | {jit:.0} | {:.2}x | {break_even} |",
            program.program().rules.len(),
            interp / jit
        );
    }
}
