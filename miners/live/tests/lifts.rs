//! The lifts on fixture classes (a pydantic model, a msgspec Struct, a dataclass with
//! `Literal`, a plain class) in a venv with pinned pydantic and msgspec: the exact rules, and
//! every rule agrees with its synthesized kwargs under llemc's evaluator.
#![cfg(feature = "python")]
#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used
)]

use llemc_live::bridge::Live;
use llemc_live::env::{EnvSpec, ensure};
use llemc_live::lifts::Target;
use llemc_live::lifts::live::lift_classes;
use std::path::PathBuf;

/// The fixture venv (the CI script creates the same one through `ensure`).
pub fn fixture_env() -> EnvSpec {
    EnvSpec {
        distribution: "pydantic".to_owned(),
        version: "2.14.4".to_owned(),
        extras: vec!["msgspec==0.19.0".to_owned()],
        shared: Vec::new(),
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn target(class: &str) -> Target {
    Target {
        native_type: format!("fixture.{class}"),
        module: "llemc_lift_fixtures".to_owned(),
        class: class.to_owned(),
    }
}

#[test]
fn lifts_fixture_classes() {
    let venv =
        ensure(&root().join(".cache/venvs"), &fixture_env(), "python3").expect("fixture venv");
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lifts");
    let live = Live::start(&[venv.site_packages.clone(), fixtures]).expect("bridge");
    let targets: Vec<Target> = [
        "SamplerModel",
        "CacheStruct",
        "PolicyData",
        "NotTyped",
        "Missing",
    ]
    .iter()
    .map(|c| target(c))
    .collect();
    let staging = lift_classes(&live, "fixture", "0", &targets, None).expect("lift");
    // every declared constraint became a rule, nothing dropped, every rule has kwargs
    assert!(
        staging.report.dropped.is_empty(),
        "{:?}",
        staging.report.dropped
    );
    assert!(
        staging.report.no_kwargs.is_empty(),
        "{:?}",
        staging.report.no_kwargs
    );
    let whens: Vec<&str> = staging.rules.iter().map(|r| r.when.as_str()).collect();
    for expected in [
        "top_k present and top_k <= 0",
        "temperature present and temperature < 0.0",
        "temperature present and temperature > 2.0",
        "batch present and batch not_divisible_by 8",
        "stop present and len(stop) > 4",
        "name present and len(name) < 1",
        "mode present and mode not_in [\"greedy\", \"sample\"]",
        "size present and size < 1",
        "page present and page not_divisible_by 16",
        "kind present and kind not_in [\"dynamic\", \"static\"]",
    ] {
        assert!(
            whens.contains(&expected),
            "missing `{expected}` in {whens:#?}"
        );
    }
    // no rule for undeclared fields, nor for the field outside __init__; none for the dataclass,
    // whose annotations nothing checks (its facts are still read and reported)
    assert!(!whens.iter().any(|w| w.contains("plain")
        || w.contains("note")
        || w.contains("internal")
        || w.contains("policy")
        || w.contains("retries")));
    let by = &staging.report.by_lift;
    assert_eq!(by.get("pydantic_lift"), Some(&9));
    assert_eq!(by.get("msgspec_lift"), Some(&6));
    assert_eq!(by.get("dataclass_lift"), None);
    let policy = staging
        .report
        .inspected
        .iter()
        .find(|i| i.class == "PolicyData")
        .expect("PolicyData inspected");
    assert_eq!(
        (policy.kind.as_str(), policy.enforced.as_str()),
        ("dataclass", "declared_only")
    );
    assert_eq!(policy.fields, 4);
    insta::assert_snapshot!("lifts_fixture_staging", staging.to_json());
}
