//! The batch on several threads writes exactly the bytes of the batch on one: the recorded
//! configs of the compat corpora, repeated over many chunks, with malformed, blank, over-long and
//! CRLF lines among them and a last line without a line break, for every backend and several
//! thread counts.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use llemc_runtime::batch::{Binding, batch_parallel, batch_with, buffered};
use llemc_runtime::compile::{CorpusInput, compile_corpus};
use llemc_runtime::jit::{Backend, Evaluator};
use llemc_runtime::loaded::LoadedProgram;
use std::num::NonZeroUsize;

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn compile(corpus: &str) -> LoadedProgram {
    let text = std::fs::read_to_string(root().join("../shared/compat").join(corpus)).unwrap();
    let input = CorpusInput {
        name: "corpus.yaml",
        text: &text,
        schema: None,
        compat: true,
        engine_version: None,
    };
    match compile_corpus(&input) {
        Ok((p, _)) => p,
        Err(_) => panic!("{corpus} does not compile"),
    }
}

/// The recorded configs of `data`, `copies` times, with awkward lines spread among them.
fn input(data: &str, copies: usize, max_line_bytes: usize) -> Vec<u8> {
    let text = std::fs::read_to_string(root().join("conformance/data").join(data)).unwrap();
    let configs: Vec<String> = text
        .lines()
        .map(|l| {
            let record: serde_json::Value = serde_json::from_str(l).unwrap();
            record["config"].to_string()
        })
        .collect();
    let long = format!("{{\"pad\":\"{}\"}}", "x".repeat(max_line_bytes));
    let awkward = [
        "",
        "   ",
        "{\"a\":",
        "[1,2]",
        "\u{7f}not json",
        &long,
        "{}\r",
    ];
    let mut out = Vec::new();
    for copy in 0..copies {
        for (i, config) in configs.iter().enumerate() {
            out.extend_from_slice(config.as_bytes());
            out.extend_from_slice(if (i + copy) % 7 == 0 { b"\r\n" } else { b"\n" });
            if i % 97 == 0 {
                out.extend_from_slice(awkward[(i / 97 + copy) % awkward.len()].as_bytes());
                out.push(b'\n');
            }
        }
    }
    out.extend_from_slice(b"{\"last\": \"no line break\"}");
    out
}

fn sequential(program: &LoadedProgram, backend: Backend, input: &[u8], max: usize) -> Vec<u8> {
    let mut evaluator = Evaluator::new(program, backend);
    let mut out = Vec::new();
    batch_with(
        program,
        &mut evaluator,
        Binding::Tree,
        &mut buffered(input),
        &mut out,
        max,
    )
    .unwrap();
    out
}

#[test]
fn several_threads_write_what_one_writes() {
    let max = 4096;
    for (corpus, data) in [
        ("tensorrt.yaml", "tensorrt.jsonl"),
        ("transformers.yaml", "transformers.jsonl"),
    ] {
        let program = compile(corpus);
        let input = input(data, 4, max);
        for backend in [Backend::Interp, Backend::Jit, Backend::Auto] {
            let want = sequential(&program, backend, &input, max);
            let lines = want.iter().filter(|b| **b == b'\n').count();
            for jobs in [2, 3] {
                let mut got = Vec::new();
                let report = batch_parallel(
                    &program,
                    backend,
                    Binding::Tree,
                    &mut buffered(input.as_slice()),
                    &mut got,
                    max,
                    NonZeroUsize::new(jobs).unwrap(),
                )
                .unwrap();
                assert!(
                    got == want,
                    "{corpus}, {backend:?}, {jobs} threads: output differs"
                );
                assert_eq!(report.stats.lines as usize, lines);
                assert!(report.stats.errors > 0 && report.stats.findings > 0);
                match backend {
                    Backend::Interp => assert_eq!(report.active, "interp"),
                    Backend::Jit => assert_eq!(report.active, "jit"),
                    // Each worker switches after its own first 4,000 lines.
                    Backend::Auto => {}
                }
            }
        }
    }
}

#[test]
fn an_empty_input_writes_nothing() {
    let program = compile("tensorrt.yaml");
    let mut got = Vec::new();
    let report = batch_parallel(
        &program,
        Backend::Auto,
        Binding::Tree,
        &mut buffered(&b""[..]),
        &mut got,
        4096,
        NonZeroUsize::new(4).unwrap(),
    )
    .unwrap();
    assert!(got.is_empty());
    assert_eq!(report.stats.lines, 0);
}
