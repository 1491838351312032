//! Batch output against the findings: every result line `batch` writes (streaming binder, fired
//! set, findings rendered straight into the buffer) says exactly what `evaluate` finds on the
//! same config bound from its serde_json tree (ids, severities, declared values, messages), on
//! the recorded configs of the six compat corpora and of the seeds, with every backend.
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
use llemc_runtime::json::to_json;
use llemc_runtime::loaded::LoadedProgram;
use serde_json::{Value as Json, json};
use std::num::NonZeroUsize;

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn compile(corpus: &std::path::Path, schema: Option<&str>) -> LoadedProgram {
    let text = std::fs::read_to_string(corpus).unwrap();
    let schema_text = schema.map(|s| std::fs::read_to_string(root().join(s)).unwrap());
    let input = CorpusInput {
        name: "corpus.yaml",
        text: &text,
        schema: schema_text.as_deref().map(|t| ("schema.yaml", t)),
        compat: schema.is_none(),
        engine_version: None,
    };
    match compile_corpus(&input) {
        Ok((p, _)) => p,
        Err(_) => panic!("{} does not compile", corpus.display()),
    }
}

/// What a result line must say about `config`.
fn expected(program: &LoadedProgram, config: &Json) -> Json {
    let mut frame = program.frame();
    program.bind(config, &mut frame);
    let fired: Vec<Json> = program
        .evaluate(&frame)
        .iter()
        .map(|f| {
            json!({
                "id": f.id,
                "severity": f.severity.as_str(),
                "declared_value": to_json(&f.declared_value),
                "message": f.message,
            })
        })
        .collect();
    json!({ "fired": fired })
}

fn check(program: &LoadedProgram, configs: &[String]) {
    let input: String = configs.iter().map(|c| format!("{c}\n")).collect();
    for backend in [Backend::Interp, Backend::Jit] {
        let mut evaluator = Evaluator::new(program, backend);
        let mut out = Vec::new();
        let stats = batch_with(
            program,
            &mut evaluator,
            Binding::Tree,
            &mut buffered(input.as_bytes()),
            &mut out,
            1 << 20,
        )
        .unwrap();
        assert_eq!(stats.lines as usize, configs.len());
        let text = String::from_utf8(out).unwrap();
        for (line, config) in text.lines().zip(configs) {
            // Byte for byte what serde_json writes for the expected value, keys in our order.
            let got: Json = serde_json::from_str(line).unwrap();
            let want = expected(program, &serde_json::from_str(config).unwrap());
            assert_eq!(got, want, "{backend:?}: {config}");
            let declared: Vec<String> = want["fired"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["declared_value"].to_string())
                .collect();
            for d in declared {
                assert!(line.contains(&format!("\"declared_value\":{d}")), "{line}");
            }
        }
    }
}

fn recorded(data: &str) -> Vec<String> {
    std::fs::read_to_string(root().join("conformance/data").join(data))
        .unwrap()
        .lines()
        .map(|l| {
            let record: Json = serde_json::from_str(l).unwrap();
            record["config"].to_string()
        })
        .collect()
}

#[test]
fn result_lines_say_what_evaluate_finds_on_the_compat_corpora() {
    for (corpus, data) in [
        ("transformers.yaml", "transformers.jsonl"),
        ("vllm.yaml", "vllm.jsonl"),
        ("tensorrt.yaml", "tensorrt.jsonl"),
        ("v0.7.0/transformers.yaml", "v070_transformers.jsonl"),
        ("v0.7.0/vllm.yaml", "v070_vllm.jsonl"),
        ("v0.7.0/tensorrt.yaml", "v070_tensorrt.jsonl"),
    ] {
        let program = compile(&root().join("../shared/compat").join(corpus), None);
        check(&program, &recorded(data));
    }
}

#[test]
fn result_lines_say_what_evaluate_finds_on_the_seeds() {
    let program = compile(
        &root().join("engines/transformers/seeds.yaml"),
        Some("engines/transformers/reference/hand-written-schema.yaml"),
    );
    let configs: Vec<String> = recorded("transformers.jsonl")
        .iter()
        .map(|c| c.replace("\"sampling\"", "\"generation\""))
        .collect();
    check(&program, &configs);
}

/// The recorded configs of `data`, `copies` times, with awkward lines (some not UTF-8) spread
/// among them.
fn input(data: &str, copies: usize, max_line_bytes: usize) -> Vec<u8> {
    let configs = recorded(data);
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
            if i % 193 == 0 {
                // Not UTF-8.
                out.extend_from_slice(b"{\"a\": \"\xff\"}\n");
            }
        }
    }
    out.extend_from_slice(b"{\"last\": \"no line break\"}");
    out
}

fn one_thread(program: &LoadedProgram, backend: Backend, input: &[u8], max: usize) -> Vec<u8> {
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
        let program = compile(&root().join("../shared/compat").join(corpus), None);
        let input = input(data, 4, max);
        for backend in [Backend::Interp, Backend::Jit, Backend::Auto] {
            let want = one_thread(&program, backend, &input, max);
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
    let program = compile(&root().join("../shared/compat/tensorrt.yaml"), None);
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
