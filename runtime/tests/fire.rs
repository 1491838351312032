//! Which rules fire, as a set: the interpreter's `fire` (slot -> rules index, specialised
//! predicates) and the JIT's `fire` (candidate words) against the reference (every rule that
//! applies and whose predicate holds by the reference interpreter), on the JIT's random programs
//! and frames and on the seeds (schema mode: defaults, objects) with the recorded configs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use llemc_runtime::compile::{CorpusInput, compile_corpus};
use llemc_runtime::frame::Frame;
use llemc_runtime::interp::holds;
use llemc_runtime::jit::JitProgram;
use llemc_runtime::jit::testgen::{self, SplitMix};
use llemc_runtime::loaded::LoadedProgram;
use llemc_runtime::ruleset::RuleSet;

/// The reference: every rule that applies and holds.
fn reference(loaded: &LoadedProgram, frame: &Frame) -> Vec<usize> {
    loaded
        .rules()
        .iter()
        .enumerate()
        .filter(|(i, r)| loaded.rule_applies(*i, frame) && holds(&r.pred, frame))
        .map(|(i, _)| i)
        .collect()
}

fn check(loaded: &LoadedProgram, jit: &JitProgram, frame: &Frame, what: &str) {
    let want = reference(loaded, frame);
    let mut set = RuleSet::default();
    loaded.fire(frame, &mut set);
    assert_eq!(set.iter().collect::<Vec<_>>(), want, "interpreter, {what}");
    jit.fire(loaded, frame, &mut set);
    assert_eq!(set.iter().collect::<Vec<_>>(), want, "jit, {what}");
}

#[test]
fn random_programs_fire_as_the_reference() {
    for seed in 0..500u64 {
        let mut src = SplitMix(seed);
        let loaded = LoadedProgram::new(testgen::program(&mut src));
        let jit = JitProgram::compile(&loaded).unwrap();
        let mut frame = loaded.frame();
        for round in 0..12 {
            testgen::fill_frame(&mut src, &loaded, &mut frame);
            check(&loaded, &jit, &frame, &format!("seed {seed} round {round}"));
        }
    }
}

#[test]
fn seeds_fire_as_the_reference_on_recorded_configs() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let text = std::fs::read_to_string(root.join("engines/transformers/seeds.yaml")).unwrap();
    let schema = std::fs::read_to_string(
        root.join("engines/transformers/reference/hand-written-schema.yaml"),
    )
    .unwrap();
    let input = CorpusInput {
        name: "seeds.yaml",
        text: &text,
        schema: Some(("schema.yaml", &schema)),
        compat: false,
        engine_version: None,
    };
    let Ok((loaded, _)) = compile_corpus(&input) else {
        panic!("seeds do not compile")
    };
    let jit = JitProgram::compile(&loaded).unwrap();
    let data = std::fs::read_to_string(root.join("conformance/data/transformers.jsonl")).unwrap();
    let mut frame = loaded.frame();
    let mut fired = 0;
    for (n, line) in data.lines().enumerate() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        let config: serde_json::Value = serde_json::from_str(
            &record["config"]
                .to_string()
                .replace("\"sampling\"", "\"generation\""),
        )
        .unwrap();
        loaded.bind(&config, &mut frame);
        check(&loaded, &jit, &frame, &format!("line {}", n + 1));
        fired += reference(&loaded, &frame).len();
    }
    assert!(fired > 1000, "{fired}");
}
