//! build-corpus on fixture staging files and seeds, and on the real seeds.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use llemc_mining::staging::ContextSites;
use llemc_pipeline::build_corpus::{BuildOptions, build_corpus, render_report};
use llemc_runtime::compile::{CorpusInput, compile_corpus};
use std::path::{Path, PathBuf};

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixtures() -> PathBuf {
    manifest().join("tests/fixtures/build_corpus")
}

/// A fresh repository root in the temp dir with the real schema, the given seeds and staging
/// files for transformers `version`.
fn scratch(name: &str, seeds: Option<&Path>, staging: &[(&str, &str)], version: &str) -> PathBuf {
    let root =
        std::env::temp_dir().join(format!("llemc-build-corpus-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let engine = root.join("engines/transformers");
    std::fs::create_dir_all(&engine).unwrap();
    std::fs::copy(
        manifest().join("../../engines/transformers/reference/hand-written-schema.yaml"),
        engine.join("schema.yaml"),
    )
    .unwrap();
    if let Some(seeds) = seeds {
        std::fs::copy(seeds, engine.join("seeds.yaml")).unwrap();
    }
    let dir = root.join(".cache/staging/transformers").join(version);
    std::fs::create_dir_all(&dir).unwrap();
    for (file, text) in staging {
        std::fs::write(dir.join(file), text).unwrap();
    }
    root
}

fn fixture_staging() -> Vec<(&'static str, String)> {
    ["static_miner.json", "dynamic_miner.json"]
        .into_iter()
        .map(|f| {
            (
                f,
                std::fs::read_to_string(fixtures().join("staging").join(f)).unwrap(),
            )
        })
        .collect()
}

fn assert_compiles(root: &Path, version: &str) -> String {
    let out = root
        .join("engines/transformers")
        .join(version)
        .join("invariants.proposed.yaml");
    let text = std::fs::read_to_string(&out).unwrap();
    let schema = std::fs::read_to_string(root.join("engines/transformers/schema.yaml")).unwrap();
    let input = CorpusInput {
        name: "invariants.proposed.yaml",
        text: &text,
        schema: Some(("schema.yaml", &schema)),
        compat: false,
        engine_version: None,
    };
    match compile_corpus(&input) {
        Ok((_, diags)) => assert!(diags.iter().all(|d| !d.is_error())),
        Err(f) => panic!("{:#?}", f.diagnostics),
    }
    text
}

#[test]
fn merges_dedups_synthesizes_and_reports() {
    let staging = fixture_staging();
    let staging: Vec<(&str, &str)> = staging.iter().map(|(f, t)| (*f, t.as_str())).collect();
    let root = scratch(
        "fixture",
        Some(&fixtures().join("seeds.yaml")),
        &staging,
        "5.14.1",
    );
    let options = BuildOptions {
        root: root.clone(),
        engine: "transformers".into(),
        version: Some("5.14.1".into()),
    };
    let report = build_corpus(&options).unwrap();
    let text = assert_compiles(&root, "5.14.1");
    insta::assert_snapshot!("fixture_corpus", text);
    insta::assert_snapshot!("fixture_report", render_report(&report));

    // Two dropped: one does not compile, one has no kwargs.
    let dropped: Vec<&str> = report.dropped.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(
        dropped,
        [
            "transformers_generation_validate_710",
            "transformers_generation_validate_720"
        ]
    );
    assert_eq!(report.written, 5);
    assert_eq!(report.synthesized, ["transformers_generation_validate_750"]);
    assert_eq!(report.seeds, 2);
    assert_eq!(report.seeds_other_versions, 1);
    assert_eq!(report.opaque, 1);

    // Byte-identical on a rerun, and nothing else left in the directory.
    let again = build_corpus(&options).unwrap();
    assert_eq!(again, report);
    assert_eq!(assert_compiles(&root, "5.14.1"), text);
    let entries: Vec<_> = std::fs::read_dir(root.join("engines/transformers/5.14.1"))
        .unwrap()
        .collect();
    assert_eq!(entries.len(), 1);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn real_seeds_alone_build_a_clean_corpus_for_each_version() {
    let seeds = manifest().join("../../engines/transformers/seeds.yaml");
    let empty = r#"{"engine": "transformers", "engine_version": "5.14.1", "miner": "static_miner", "rules": [], "opaque": [], "report": {}}"#;
    let root = scratch(
        "seeds",
        Some(&seeds),
        &[("static_miner.json", empty)],
        "5.14.1",
    );
    let report = build_corpus(&BuildOptions {
        root: root.clone(),
        engine: "transformers".into(),
        version: Some("5.14.1".into()),
    })
    .unwrap();
    assert!(report.dropped.is_empty(), "{:#?}", report.dropped);
    assert_eq!(report.written, 61);
    assert!(report.synthesized.is_empty());
    let text = assert_compiles(&root, "5.14.1");
    assert!(text.starts_with("# Generated by `llemc build-corpus"));
    assert!(!text.contains("versions:"));
    let _ = std::fs::remove_dir_all(&root);

    // 4.57.6: seeds limited to >=5 are left out; the unversioned schema is used.
    let empty_4 = empty.replace("5.14.1", "4.57.6");
    let root = scratch(
        "seeds4",
        Some(&seeds),
        &[("static_miner.json", &empty_4)],
        "4.57.6",
    );
    let report = build_corpus(&BuildOptions {
        root: root.clone(),
        engine: "transformers".into(),
        version: None,
    })
    .unwrap();
    assert_eq!(report.version, "4.57.6");
    assert!(report.seeds_other_versions > 0);
    assert_eq!(report.written + report.seeds_other_versions, 65);
    assert_compiles(&root, "4.57.6");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn hard_errors_write_nothing() {
    let root = scratch("errors", None, &[], "5.14.1");
    let options = BuildOptions {
        root: root.clone(),
        engine: "transformers".into(),
        version: Some("5.14.1".into()),
    };
    let e = build_corpus(&options).unwrap_err();
    assert!(e.summary().contains("no staging files"), "{e}");

    std::fs::write(
        root.join(".cache/staging/transformers/5.14.1/static_miner.json"),
        "{not json",
    )
    .unwrap();
    let e = build_corpus(&options).unwrap_err();
    assert!(e.summary().contains("not valid JSON"), "{e}");

    let other = r#"{"engine": "transformers", "engine_version": "4.57.6", "rules": []}"#;
    std::fs::write(
        root.join(".cache/staging/transformers/5.14.1/static_miner.json"),
        other,
    )
    .unwrap();
    let e = build_corpus(&options).unwrap_err();
    assert!(e.summary().contains("4.57.6"), "{e}");
    assert!(!root.join("engines/transformers/5.14.1").exists());

    // A seed that does not read stops the build, pointing into the seeds file.
    let empty = r#"{"engine": "transformers", "engine_version": "5.14.1", "rules": []}"#;
    std::fs::write(
        root.join(".cache/staging/transformers/5.14.1/static_miner.json"),
        empty,
    )
    .unwrap();
    std::fs::write(
        root.join("engines/transformers/seeds.yaml"),
        "schema_version: 1.1.0\nengine: transformers\nrules:\n- id: a\n  engine: transformers\n  severity: loud\n  when: top_k present\n",
    )
    .unwrap();
    let e = build_corpus(&options).unwrap_err();
    insta::assert_snapshot!(
        "seeds_do_not_read",
        e.render(llemc_compiler::diagnostic::Color::Never)
    );
    assert!(!root.join("engines/transformers/5.14.1").exists());
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn sites_that_need_runtime_context_are_committed_beside_the_corpus() {
    let mut staging = fixture_staging();
    let site = |id: &str, line: u32| {
        serde_json::json!({
            "id": id,
            "native_type": "transformers.GenerationConfig",
            "severity": "error",
            "miner_source": {
                "path": "transformers/generation/configuration_utils.py",
                "method": "GenerationConfig.validate",
                "line_at_scan": line,
            },
            "reason": "reads the running engine",
            "source_text": "if current_platform.is_cpu():",
            "partial_when": null,
            "needs": "platform",
        })
    };
    let (_, text) = staging
        .iter_mut()
        .find(|(f, _)| *f == "static_miner.json")
        .unwrap();
    let mut file: serde_json::Value = serde_json::from_str(text).unwrap();
    let opaque = file["opaque"].as_array_mut().unwrap();
    // Out of order on purpose: the committed file is sorted.
    opaque.push(site("needs_b", 812));
    opaque.push(site("needs_a", 790));
    *text = file.to_string();
    let with_sites: Vec<(&str, &str)> = staging.iter().map(|(f, t)| (*f, t.as_str())).collect();
    let root = scratch(
        "context",
        Some(&fixtures().join("seeds.yaml")),
        &with_sites,
        "5.14.1",
    );
    let options = BuildOptions {
        root: root.clone(),
        engine: "transformers".into(),
        version: Some("5.14.1".into()),
    };
    build_corpus(&options).unwrap();
    let path = root.join("engines/transformers/5.14.1/runtime-context.json");
    let committed = std::fs::read_to_string(&path).unwrap();
    insta::assert_snapshot!("runtime_context", committed);
    let sites = ContextSites::read(&path, "runtime-context.json").unwrap();
    let lines: Vec<Option<u32>> = sites.iter().map(|s| s.miner_source.line_at_scan).collect();
    assert_eq!(lines, [Some(790), Some(812)]);
    build_corpus(&options).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), committed);

    // Mined again without such sites: the file goes.
    let plain = fixture_staging();
    for (file, text) in &plain {
        std::fs::write(
            root.join(".cache/staging/transformers/5.14.1").join(file),
            text,
        )
        .unwrap();
    }
    build_corpus(&options).unwrap();
    assert!(!path.exists());
    assert_eq!(
        ContextSites::read(&path, "runtime-context.json").unwrap(),
        []
    );
    let _ = std::fs::remove_dir_all(&root);
}
