//! `llemc mine lifts` and `llemc mine dynamic` (feature `python`), driven in-process: usage
//! errors, and the library-agnostic lifts entry point on fixture classes.
#![cfg(feature = "python")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod support;

use support::{llemc_in_repo as llemc, repo};

use llemc_live::env::{EnvSpec, ensure};

#[test]
fn usage_errors_exit_2_and_name_the_problem() {
    let (code, _, err) = llemc(&["mine", "lifts", "--class", "no_colon", "--out", "x.json"]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "error: --class `no_colon`: expected MODULE:CLASS[=NATIVE_TYPE]\n"
    );
    let (code, _, err) = llemc(&["mine", "lifts", "--class", "m:C"]);
    assert_eq!(code, 2);
    assert_eq!(err, "error: --class needs --out FILE\n");
    let (code, _, err) = llemc(&[
        "mine",
        "dynamic",
        "--version",
        "5.14.1",
        "--probes",
        "no/such/probes.yaml",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error[E901]: cannot read `no/such/probes.yaml`: "),
        "{err}"
    );
    let (code, _, err) = llemc(&["mine", "dynamic", "--version", "9.9.9"]);
    assert_eq!(code, 2);
    assert!(err.starts_with("error[E513]: "), "{err}");
}

#[test]
fn lifts_fixture_classes_through_the_cli() {
    let spec = EnvSpec {
        distribution: "pydantic".to_owned(),
        version: "2.14.4".to_owned(),
        extras: vec!["msgspec==0.19.0".to_owned()],
        shared: Vec::new(),
    };
    let venv = ensure(&repo().join(".cache/venvs"), &spec, "python3").expect("fixture venv");
    let fixtures = repo().join("miners/live/tests/fixtures/lifts");
    let out = std::env::temp_dir().join(format!("llemc-mine-live-{}.json", std::process::id()));
    let (site, fix, out_s) = (
        venv.site_packages.display().to_string(),
        fixtures.display().to_string(),
        out.display().to_string(),
    );
    let (code, _, err) = llemc(&[
        "mine",
        "lifts",
        "--engine",
        "fixture",
        "--class",
        "llemc_lift_fixtures:PolicyData=fixture.PolicyData",
        "--class",
        "llemc_lift_fixtures:BudgetConfig=fixture.BudgetConfig",
        "--class",
        "llemc_lift_fixtures:NotTyped",
        "--site-packages",
        &site,
        "--site-packages",
        &fix,
        "--out",
        &out_s,
    ]);
    assert_eq!(code, 0, "{err}");
    // the timing is the only varying part
    let shown: String = err
        .replace(&out_s, "<out>")
        .lines()
        .map(|l| match l.rfind(" (") {
            Some(i) if l.ends_with(" s)") => l[..i].to_owned(),
            _ => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!("mine_lifts_fixture_stderr", shown);
    let staging: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let whens: Vec<&str> = staging["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["when"].as_str().unwrap())
        .collect();
    // the dataclass declares, nothing checks: no rule; the pydantic dataclass's bounds and
    // Literal are rules, its SkipValidation field is not
    assert_eq!(
        whens,
        [
            "policy present and policy not_in [\"fcfs\", \"priority\"]",
            "utilization present and utilization <= 0",
            "utilization present and utilization > 1"
        ]
    );
    let _ = std::fs::remove_file(&out);
}
