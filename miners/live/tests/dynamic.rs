//! The dynamic miner on a fixture class with known constraints: it infers exactly the expected
//! predicates, and refuses an allowlist over an open domain and a threshold with one-sided
//! evidence.
#![cfg(feature = "python")]
#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used
)]

use llemc_live::bridge::Live;
use llemc_live::dynamic::live::{Classes, mine_dynamic};
use llemc_live::dynamic::probes::read_probes;
use llemc_live::dynamic::{Context, DynamicStaging};
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dynamic")
}

/// Mined once per process: `observe` captures warnings and logs through process-global state
/// (`warnings.catch_warnings`, logging handlers), so two tests probing at once on two threads
/// would see each other's emissions.
fn mine() -> &'static DynamicStaging {
    static MINED: std::sync::OnceLock<DynamicStaging> = std::sync::OnceLock::new();
    MINED.get_or_init(|| {
        let dir = fixtures();
        let probes = std::fs::read_to_string(dir.join("probes.yaml")).unwrap();
        let schema = std::fs::read_to_string(dir.join("schema.yaml")).unwrap();
        let clusters = read_probes("probes.yaml", &probes).unwrap();
        let live = Live::start(&[dir]).expect("bridge");
        let ctx = Context {
            engine: "fixture",
            version: "0",
            schema: ("schema.yaml", &schema),
            static_rules: &[],
        };
        mine_dynamic(&live, &ctx, &clusters, &Classes::new(), "minor_issues").expect("mine")
    })
}

fn rules_of<'a>(s: &'a DynamicStaging, cluster: &str) -> Vec<(&'a str, &'a str)> {
    s.rules
        .iter()
        .filter(|r| r.miner_source.as_ref().and_then(|m| m.cluster.as_deref()) == Some(cluster))
        .map(|r| (r.severity.as_str(), r.when.as_str()))
        .collect()
}

#[test]
fn infers_the_fixture_constraints() {
    let s = mine();
    insta::assert_snapshot!("dynamic_fixture_staging", s.to_json());
    assert_eq!(
        rules_of(s, "divisibility"),
        [("error", "beams not_divisible_by groups")]
    );
    let top_n = rules_of(s, "top_n");
    assert_eq!(top_n.len(), 1, "{top_n:?}");
    assert!(
        top_n[0].1 == "beams < top_n" || top_n[0].1 == "top_n > beams",
        "{top_n:?}"
    );
    let gate = rules_of(s, "gate");
    assert!(
        gate.contains(&(
            "dormant",
            "sample == false and temperature present and temperature != 1.0"
        )),
        "{gate:?}"
    );
    let depth: Vec<&llemc_mining::staging::StagedRule> = s
        .rules
        .iter()
        .filter(|r| r.miner_source.as_ref().and_then(|m| m.cluster.as_deref()) == Some("depth"))
        .collect();
    assert_eq!(depth.len(), 1);
    assert_eq!(depth[0].when, "depth present and depth >= 9");
    assert_eq!(depth[0].severity.as_str(), "dormant");
    assert_eq!(depth[0].expected_outcome.outcome.as_str(), "dormant_silent");
    assert_eq!(
        depth[0].expected_outcome.normalised_fields,
        Some(llemc_mining::staging::NormalisedFields::Values(
            [("depth".to_owned(), serde_json::json!(8))].into()
        ))
    );
    let size = rules_of(s, "size");
    assert!(
        size.contains(&("error", "size present and size <= 0")),
        "{size:?}"
    );
    assert!(
        size.contains(&("warn", "size present and size >= 101")),
        "{size:?}"
    );
}

#[test]
fn refuses_open_domain_allowlists_and_one_sided_thresholds() {
    let s = mine();
    // `mode` is an open string domain and its message does not enumerate the values
    assert!(
        !s.rules
            .iter()
            .any(|r| r.when.contains("mode not_in") || r.when.contains("mode present")),
        "{:?}",
        rules_of(s, "modes")
    );
    // only 0 was probed below the boundary: an equality, never a range
    let one_sided = rules_of(s, "size_one_sided");
    assert!(
        !one_sided
            .iter()
            .any(|(_, w)| w.contains("<=") || w.contains('<')),
        "{one_sided:?}"
    );
    // the library's own message enumerates 'x', 'y': that allowlist is allowed
    let kinds = rules_of(s, "kinds");
    assert_eq!(
        kinds,
        [("error", "kind present and kind not_in [\"x\", \"y\"]")]
    );
}
