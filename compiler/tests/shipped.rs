//! The corpora and schema shipped in the repository compile cleanly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use llemc_compiler::db::{Database, Settings, SourceText, compile};
use llemc_compiler::diagnostic::{Color, SourceMap, render_human};
use llemc_compiler::ir_print::rule_listing;

fn repo(path: &str) -> String {
    std::fs::read_to_string(format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn transformers_seeds_compile_with_zero_diagnostics() {
    let db = Database::default();
    let mut sources = SourceMap::new();
    let corpus = repo("engines/transformers/seeds.yaml");
    let schema = repo("engines/transformers/reference/hand-written-schema.yaml");
    let file = sources.add("engines/transformers/seeds.yaml", corpus.as_str());
    let schema_file = sources.add(
        "engines/transformers/reference/hand-written-schema.yaml",
        schema.as_str(),
    );
    let source = SourceText::new(&db, file, corpus);
    let schema = SourceText::new(&db, schema_file, schema);
    let settings = Settings::new(&db, false, None, Some(schema));
    let compiled = compile(&db, source, settings);
    assert!(
        compiled.diagnostics.is_empty(),
        "{}",
        render_human(&compiled.diagnostics, &sources, Color::Never)
    );
    let program = compiled.program.as_ref().unwrap();
    assert!(program.rules.len() >= 15);
    let listing: String = program
        .rules
        .iter()
        .map(|r| rule_listing(program, r) + "\n")
        .collect();
    insta::assert_snapshot!("transformers_seeds_ir", listing);
}
