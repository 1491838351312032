//! Criterion benchmarks, for the three v1 compat corpora (compatibility mode, configs from
//! conformance/data) and llemc's own transformers seeds (schema mode, the transformers
//! conformance configs with `transformers.sampling.*` moved to `transformers.generation.*`,
//! where the seeds' GenerationConfig is mounted):
//!
//! - `bind_one`, `evaluate_one`: binding the busiest config, evaluating it (findings built);
//! - `bind_evaluate_1000`: bind + evaluate over 1,000 configs;
//! - `fire_interp_1000`, `fire_jit_1000`: which rules fire on 1,000 frames bound up front;
//! - `batch_jit_1000`: `llemc eval`'s batch over the 1,000 configs as JSON lines (parse, bind,
//!   evaluate with the JIT, write every result line into a sink).
//!
//! `cargo bench -p llemc-runtime --bench evaluate` (add `-- <filter>` to pick one corpus).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use llemc_runtime::batch::{Binding, batch_with};
use llemc_runtime::compile::{CorpusInput, compile_corpus};
use llemc_runtime::frame::Frame;
use llemc_runtime::jit::{Backend, Evaluator, JitProgram};
use llemc_runtime::loaded::LoadedProgram;
use llemc_runtime::ruleset::RuleSet;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

const CONFIGS: usize = 1000;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn program(corpus: &Path, schema: Option<&Path>) -> LoadedProgram {
    let text = std::fs::read_to_string(corpus).unwrap();
    let schema_text = schema.map(|s| std::fs::read_to_string(s).unwrap());
    let name = corpus.display().to_string();
    let input = CorpusInput {
        name: &name,
        text: &text,
        schema: schema_text.as_deref().map(|t| ("schema.yaml", t)),
        compat: schema.is_none(),
        engine_version: None,
    };
    match compile_corpus(&input) {
        Ok((p, _)) => p,
        Err(_) => panic!("{name} does not compile"),
    }
}

/// The first 1,000 configs of a conformance data file.
fn configs(label: &str) -> Vec<serde_json::Value> {
    let data = std::fs::read_to_string(
        root()
            .join("conformance/data")
            .join(format!("{label}.jsonl")),
    )
    .unwrap();
    data.lines()
        .take(CONFIGS)
        .map(|l| {
            let mut record: serde_json::Value = serde_json::from_str(l).unwrap();
            record["config"].take()
        })
        .collect()
}

/// `transformers.sampling.*` → `transformers.generation.*`.
fn to_generation(mut config: serde_json::Value) -> serde_json::Value {
    if let Some(t) = config
        .get_mut("transformers")
        .and_then(|t| t.as_object_mut())
        && let Some(s) = t.remove("sampling")
    {
        t.insert("generation".to_owned(), s);
    }
    config
}

fn bench_corpus(
    c: &mut Criterion,
    name: &str,
    program: &LoadedProgram,
    configs: &[serde_json::Value],
) {
    let mut group = c.benchmark_group(name);
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    // The one config of the 1,000 that fires the most rules.
    let mut frame = program.frame();
    let mut findings = Vec::new();
    let busiest = configs
        .iter()
        .max_by_key(|cfg| {
            program.bind(*cfg, &mut frame);
            findings.clear();
            program.evaluate_into(&frame, &mut findings);
            findings.len()
        })
        .unwrap();
    group.throughput(Throughput::Elements(1));
    group.bench_function("bind_one", |b| {
        b.iter(|| program.bind(black_box(busiest), &mut frame))
    });
    program.bind(busiest, &mut frame);
    group.bench_function("evaluate_one", |b| {
        b.iter(|| {
            findings.clear();
            program.evaluate_into(black_box(&frame), &mut findings);
            findings.len()
        })
    });
    group.throughput(Throughput::Elements(configs.len() as u64));
    group.bench_function("bind_evaluate_1000", |b| {
        b.iter(|| {
            let mut fired = 0;
            for cfg in configs {
                program.bind(black_box(cfg), &mut frame);
                findings.clear();
                program.evaluate_into(&frame, &mut findings);
                fired += findings.len();
            }
            fired
        })
    });
    bench_fire(&mut group, program, configs);
    group.finish();
}

fn bench_fire(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    program: &LoadedProgram,
    configs: &[serde_json::Value],
) {
    let frames: Vec<Frame> = configs
        .iter()
        .map(|cfg| {
            let mut f = program.frame();
            program.bind(cfg, &mut f);
            f
        })
        .collect();
    let jit = JitProgram::compile(program).unwrap();
    let mut set = RuleSet::default();
    group.bench_function("fire_interp_1000", |b| {
        b.iter(|| {
            for frame in &frames {
                program.fire(black_box(frame), &mut set);
            }
            set.count()
        })
    });
    group.bench_function("fire_jit_1000", |b| {
        b.iter(|| {
            for frame in &frames {
                jit.fire(program, black_box(frame), &mut set);
            }
            set.count()
        })
    });
    let lines: String = configs.iter().map(|c| format!("{c}\n")).collect();
    let mut evaluator = Evaluator::new(program, Backend::Jit);
    group.bench_function("batch_jit_1000", |b| {
        b.iter(|| {
            let mut input = lines.as_bytes();
            let mut sink = std::io::sink();
            batch_with(
                program,
                &mut evaluator,
                Binding::Tree,
                &mut input,
                &mut sink,
                1 << 20,
            )
            .unwrap()
        })
    });
}

fn benches(c: &mut Criterion) {
    let compat = root().join("../shared/compat");
    for engine in ["transformers", "vllm", "tensorrt"] {
        let p = program(&compat.join(format!("{engine}.yaml")), None);
        bench_corpus(c, &format!("compat_{engine}"), &p, &configs(engine));
    }
    let seeds = program(
        &root().join("engines/transformers/seeds.yaml"),
        Some(&root().join("engines/transformers/reference/hand-written-schema.yaml")),
    );
    let generation: Vec<serde_json::Value> = configs("transformers")
        .into_iter()
        .map(to_generation)
        .collect();
    bench_corpus(c, "seeds_transformers", &seeds, &generation);
}

criterion_group!(evaluate, benches);
criterion_main!(evaluate);
