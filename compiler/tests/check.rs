//! Checking and lowering corpora against an engine schema: diagnostics, IR, artifacts, and the
//! incremental pipeline.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use llemc_compiler::artifact::{self, ArtifactError};
use llemc_compiler::db::{Compiled, Database, Settings, SourceText, compile};
use llemc_compiler::diagnostic::{Color, SourceMap, render_human};
use llemc_compiler::ir_print::rule_listing;
use llemc_compiler::program::canonical_predicate;
use salsa::Setter;

const SCHEMA: &str = include_str!("fixtures/check/schema.yaml");

fn compile_with(
    name: &str,
    text: &str,
    schema: Option<&str>,
    compat: bool,
) -> (Compiled, SourceMap) {
    let db = Database::default();
    let mut sources = SourceMap::new();
    let file = sources.add(name, text);
    let source = SourceText::new(&db, file, text.to_owned());
    let schema = schema.map(|s| {
        let id = sources.add("schema.yaml", s);
        SourceText::new(&db, id, s.to_owned())
    });
    let settings = Settings::new(&db, compat, None, schema);
    (compile(&db, source, settings).clone(), sources)
}

fn render(compiled: &Compiled, sources: &SourceMap) -> String {
    render_human(&compiled.diagnostics, sources, Color::Never)
}

#[test]
fn clean_corpus_has_no_diagnostics_and_lowers() {
    let text = include_str!("fixtures/check/clean.yaml");
    let (compiled, sources) = compile_with("clean.yaml", text, Some(SCHEMA), false);
    assert_eq!(render(&compiled, &sources), "");
    let program = compiled.program.unwrap();
    let ids: Vec<&str> = program.rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "beams_not_divisible_by_groups",
            "temperature_without_sampling",
            "greenlist_ratio_out_of_range"
        ]
    );
    let listing: String = program
        .rules
        .iter()
        .map(|r| {
            format!(
                "{}canonical: {}\n\n",
                rule_listing(&program, r),
                canonical_predicate(&program, r)
            )
        })
        .collect();
    insta::assert_snapshot!("clean_ir", listing);
}

#[test]
fn versions_select_rules_for_the_engine_version() {
    let text = include_str!("fixtures/check/clean.yaml");
    let db = Database::default();
    let mut sources = SourceMap::new();
    let file = sources.add("clean.yaml", text);
    let schema_id = sources.add("schema.yaml", SCHEMA);
    let source = SourceText::new(&db, file, text.to_owned());
    let schema = SourceText::new(&db, schema_id, SCHEMA.to_owned());
    let settings = Settings::new(&db, false, Some("3.0".to_owned()), Some(schema));
    let program = compile(&db, source, settings).program.clone().unwrap();
    assert!(program.rules.iter().any(|r| r.id == "only_in_v3"));
    assert_eq!(program.engine_version, "3.0");
}

#[test]
fn mistakes_are_all_reported_with_locations() {
    let text = include_str!("fixtures/check/mistakes.yaml");
    let (compiled, sources) = compile_with("mistakes.yaml", text, Some(SCHEMA), false);
    assert!(compiled.has_errors());
    insta::assert_snapshot!("mistakes", render(&compiled, &sources));
}

#[test]
fn missing_schema_is_an_error_outside_compat_mode() {
    let text = include_str!("fixtures/check/clean.yaml");
    let (compiled, sources) = compile_with("clean.yaml", text, None, false);
    assert!(compiled.has_errors());
    assert!(render(&compiled, &sources).contains("no engine schema for `toy`"));
}

#[test]
fn compat_corpora_compile_without_errors() {
    for name in [
        "transformers",
        "vllm",
        "tensorrt",
        "v0.7.0/transformers",
        "v0.7.0/vllm",
        "v0.7.0/tensorrt",
    ] {
        let path = format!(
            "{}/../../shared/compat/{name}.yaml",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let (compiled, sources) = compile_with(&path, &text, None, true);
        let errors: Vec<_> = compiled
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .collect();
        assert!(
            errors.is_empty(),
            "{name}:\n{}",
            render(&compiled, &sources)
        );
        assert!(!compiled.program.unwrap().rules.is_empty());
    }
}

#[test]
fn artifact_round_trips_and_rejects_damage() {
    let text = include_str!("fixtures/check/clean.yaml");
    let (compiled, _) = compile_with("clean.yaml", text, Some(SCHEMA), false);
    let program = compiled.program.unwrap();
    let bytes = artifact::encode(&program).unwrap();
    assert_eq!(artifact::decode(&bytes).unwrap(), program);
    let header = artifact::read_header(&bytes).unwrap();
    assert_eq!(
        (
            header.engine.as_str(),
            header.engine_version.as_str(),
            header.compat
        ),
        ("toy", "2.1.0", false)
    );
    assert_eq!(header.fingerprint, program.fingerprint);
    // Deterministic: the same inputs give the same bytes.
    let (again, _) = compile_with("clean.yaml", text, Some(SCHEMA), false);
    assert_eq!(artifact::encode(&again.program.unwrap()).unwrap(), bytes);

    assert_eq!(
        artifact::decode(b"not an artifact"),
        Err(ArtifactError::NotAnArtifact)
    );
    assert_eq!(
        artifact::decode(&bytes[..bytes.len() - 5]),
        Err(ArtifactError::Truncated)
    );
    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0xff;
    assert_eq!(artifact::decode(&flipped), Err(ArtifactError::Corrupt));
    let mut future = bytes.clone();
    future[8] = 99;
    assert_eq!(
        artifact::decode(&future),
        Err(ArtifactError::UnsupportedVersion(99))
    );
    for cut in 0..bytes.len() {
        assert!(artifact::decode(&bytes[..cut]).is_err());
    }
}

#[test]
fn editing_one_rule_rechecks_only_that_rule() {
    let text = include_str!("fixtures/check/clean.yaml");
    let db = Database::default();
    let mut sources = SourceMap::new();
    let file = sources.add("clean.yaml", text);
    let schema_id = sources.add("schema.yaml", SCHEMA);
    let source = SourceText::new(&db, file, text.to_owned());
    let schema = SourceText::new(&db, schema_id, SCHEMA.to_owned());
    let settings = Settings::new(&db, false, None, Some(schema));
    let mut db = db;
    let first = compile(&db, source, settings).clone();
    assert_eq!(first.program.as_ref().unwrap().rules.len(), 3);

    db.record_executions();
    // Edit the first rule only: its predicate changes and every later rule shifts in the file.
    let edited = text.replace(
        "when: num_beams not_divisible_by @num_beam_groups",
        "when: num_beams not_divisible_by @num_beam_groups and num_beams > 1",
    );
    assert_ne!(edited, text);
    source.set_text(&mut db).to(edited);
    let second = compile(&db, source, settings).clone();
    let executions = db.take_executions();
    let checks: Vec<&String> = executions
        .iter()
        .filter(|e| e.starts_with("checked_rule"))
        .collect();
    assert_eq!(checks.len(), 1, "re-checked: {executions:#?}");
    assert!(second.diagnostics.is_empty());
    // The result equals a from-scratch compile of the edited text.
    let edited_text = source.text(&db).clone();
    let (fresh, _) = compile_with("clean.yaml", &edited_text, Some(SCHEMA), false);
    assert_eq!(fresh.program.unwrap().rules, second.program.unwrap().rules);

    // No edit: nothing is re-checked.
    let _ = compile(&db, source, settings);
    assert!(db.take_executions().is_empty());
}

#[test]
fn more_mistakes_are_reported() {
    let text = include_str!("fixtures/check/more_mistakes.yaml");
    let (compiled, sources) = compile_with("more_mistakes.yaml", text, Some(SCHEMA), false);
    insta::assert_snapshot!("more_mistakes", render(&compiled, &sources));
}

#[test]
fn schema_mistakes_are_all_reported() {
    let schema = include_str!("fixtures/check/bad_schema.yaml");
    let mut sources = SourceMap::new();
    let file = sources.add("bad_schema.yaml", schema);
    let (parsed, diagnostics) = llemc_compiler::schema::read_schema(file, schema);
    assert!(parsed.is_none(), "a schema without `library` is unusable");
    insta::assert_snapshot!(
        "bad_schema",
        render_human(&diagnostics, &sources, Color::Never)
    );
}

#[test]
fn a_rule_for_another_version_is_not_resolved_against_this_schema() {
    // `top_kk` is no field of this schema; the rule is for versions >=3 and the corpus for 2.x, so
    // the schema (which describes 2.x) cannot judge its names: no error, and no rule in the program.
    let text = include_str!("fixtures/check/clean.yaml").replace(
        "      top_k: {present: true, \"<\": 0}\n  kwargs_positive: {top_k: -1}",
        "      top_kk: {present: true, \"<\": 0}\n  kwargs_positive: {top_k: -1}",
    );
    assert!(text.contains("top_kk"));
    let (compiled, sources) = compile_with("clean.yaml", &text, Some(SCHEMA), false);
    assert!(!compiled.has_errors(), "{}", render(&compiled, &sources));
    let program = compiled.program.unwrap();
    assert!(!program.rules.iter().any(|r| r.id == "only_in_v3"));
    // Selected for 3.0, the same rule is resolved and the unknown name is an error.
    let db = Database::default();
    let mut sources = SourceMap::new();
    let file = sources.add("clean.yaml", text.as_str());
    let schema_id = sources.add("schema.yaml", SCHEMA);
    let source = SourceText::new(&db, file, text.clone());
    let schema = SourceText::new(&db, schema_id, SCHEMA.to_owned());
    let settings = Settings::new(&db, false, Some("3.0".to_owned()), Some(schema));
    assert!(compile(&db, source, settings).has_errors());
}

#[test]
fn required_constructor_arguments_are_read() {
    let schema = "schema_version: 1\nengine: toy\nlibrary: toy\nlibrary_version: 2.1.0\nsections:\n  generation: toy.GenerationConfig\nnative_types:\n  toy.GenerationConfig:\n    fields:\n      keys: {type: \"list[int]\", required: true}\n      top_k: {type: int, default: 50}\n";
    let mut sources = SourceMap::new();
    let file = sources.add("schema.yaml", schema);
    let (parsed, diagnostics) = llemc_compiler::schema::read_schema(file, schema);
    assert!(
        diagnostics.is_empty(),
        "{}",
        render_human(&diagnostics, &sources, Color::Never)
    );
    let native = parsed.unwrap();
    let native = native.native("toy.GenerationConfig").unwrap();
    assert!(native.field("keys").unwrap().required);
    assert!(!native.field("top_k").unwrap().required);
}
