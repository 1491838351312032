//! Every shipped seed rule holds on its `kwargs_positive` and not on its `kwargs_negative` under
//! llemc's own evaluator (the kwargs were checked against the live library by
//! scripts/verify_seeds.py).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use llemc_compiler::corpus::read_corpus;
use llemc_compiler::diagnostic::FileId;
use llemc_runtime::compile::{CorpusInput, compile_corpus};
use llemc_runtime::tree::ConfigTree;

fn repo(path: &str) -> String {
    std::fs::read_to_string(format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn seeds_hold_on_positive_and_not_on_negative_kwargs() {
    let corpus_text = repo("engines/transformers/seeds.yaml");
    let schema_text = repo("engines/transformers/reference/hand-written-schema.yaml");
    let input = CorpusInput {
        name: "seeds.yaml",
        text: &corpus_text,
        schema: Some(("schema.yaml", &schema_text)),
        compat: false,
        engine_version: None,
    };
    let Ok((program, _)) = compile_corpus(&input) else {
        panic!("seeds do not compile")
    };
    let (corpus, _) = read_corpus(FileId(0), &corpus_text);
    let corpus = corpus.unwrap();
    let mut frame = program.frame();
    let mut failures = Vec::new();
    let mut checked = 0;
    for rule in &corpus.rules {
        let Some(index) = program
            .program()
            .rules
            .iter()
            .position(|r| r.id == rule.id.value)
        else {
            continue;
        };
        let native = &rule.native_type.as_ref().unwrap().value;
        for (kwargs, expected) in [
            (&rule.kwargs_positive, true),
            (&rule.kwargs_negative, false),
        ] {
            let kwargs = kwargs.as_ref().unwrap();
            assert!(
                program.bind_native(native, kwargs, &mut frame),
                "{native} has no slots"
            );
            if program.rule_holds(index, &frame) != expected {
                failures.push(format!(
                    "{}: expected {expected} on {:?}",
                    rule.id.value,
                    kwargs.to_value()
                ));
            }
        }
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} seeds checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
