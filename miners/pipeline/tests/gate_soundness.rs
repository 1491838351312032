//! The gate is sound: each deliberately wrong rule is caught by exactly the check that targets
//! its mistake, and right rules are confirmed — on a fixture library written for this test and
//! on real transformers 5.14.1 rules.
#![cfg(feature = "python")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use llemc_compiler::corpus::{
    EmissionChannel, Outcome, OutcomeDoc, RuleDoc, RuleSeverity, Stage, read_corpus, write_corpus,
};
use llemc_compiler::diagnostic::FileId;
use llemc_compiler::yaml_out::Yaml;
use llemc_live::bridge::Live;
use llemc_live::env::{EnvSpec, ensure};
use llemc_mining::ssot::read_ssot;
use llemc_pipeline::gate::model::{Check, Class, GateReport, Status, Target};
use llemc_pipeline::gate::run::LiveObserver;
use llemc_pipeline::gate::{GateInput, gate_corpus};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gate")
}

/// One interpreter per process, started once (concurrent `Live::start` calls can see the
/// embedded modules half-initialised): the fixture library and transformers 5.14.1 side by side.
fn live() -> &'static Live {
    static LIVE: OnceLock<Live> = OnceLock::new();
    LIVE.get_or_init(|| {
        let ssot_text =
            std::fs::read_to_string(repo().join("engine_versions/transformers.yaml")).unwrap();
        let ssot = read_ssot(FileId(0), &ssot_text).unwrap();
        let spec = EnvSpec::for_version(&ssot, "5.14.1");
        let venv = ensure(&repo().join(".cache/venvs"), &spec, "python3").unwrap();
        let live = Live::start(&[fixtures().join("site"), venv.site_packages]).unwrap();
        assert_eq!(
            live.distribution_version("transformers")
                .unwrap()
                .as_deref(),
            Some("5.14.1")
        );
        live
    })
}

fn target(module: &str, class: &str, package: &str) -> Target {
    Target {
        module: module.to_owned(),
        class: class.to_owned(),
        package: package.to_owned(),
        timeout_s: 10.0,
        minor_issues_variable: "minor_issues".to_owned(),
        stage: Stage::Construct,
    }
}

fn gate(
    live: &Live,
    corpus: &str,
    schema: &Path,
    version: &str,
    targets: BTreeMap<String, Target>,
) -> GateReport {
    let schema_text = std::fs::read_to_string(schema).unwrap();
    let input = GateInput {
        engine: corpus
            .lines()
            .find_map(|l| l.strip_prefix("engine: "))
            .unwrap(),
        version,
        corpus_name: "corpus.yaml",
        corpus_text: corpus,
        schema: ("schema.yaml", &schema_text),
        targets: &targets,
    };
    gate_corpus(&input, &mut LiveObserver::new(live)).unwrap()
}

/// `(class, failed checks)` of every rule.
fn outcomes(report: &GateReport) -> BTreeMap<String, (Class, Vec<Check>)> {
    report
        .rules
        .iter()
        .map(|r| (r.id.clone(), (r.class, r.failed())))
        .collect()
}

fn fixture_rule(
    id: &str,
    severity: &str,
    channel: &str,
    when: &str,
    template: &str,
    pos: &str,
    neg: &str,
) -> String {
    let outcome = match severity {
        "error" => "error",
        "warn" => "warn",
        _ => "dormant_announced",
    };
    format!(
        "- id: {id}\n  engine: gatefixture\n  severity: {severity}\n  native_type: gatefixture.Sampler\n  when: '{when}'\n  message_template: '{template}'\n  kwargs_positive: {pos}\n  kwargs_negative: {neg}\n  expected_outcome: {{outcome: {outcome}, emission_channel: {channel}}}\n"
    )
}

/// Two right fixture rules and one wrong rule per check, each wrong in exactly one way.
fn one_wrong_rule_per_check() -> Vec<String> {
    let too_large = "`size` is too large: {size}";
    vec![
        fixture_rule(
            "right",
            "error",
            "runtime_exception",
            "size > 5",
            too_large,
            "{size: 6}",
            "{size: 5}",
        ),
        fixture_rule(
            "right_dormant",
            "dormant",
            "minor_issues_dict",
            "greedy is true and ratio != 0.5",
            "`ratio` is ignored when greedy (got {ratio})",
            "{greedy: true, ratio: 0.7}",
            "{greedy: true, ratio: 0.5}",
        ),
        // (a) the library raises; the rule says it warns
        fixture_rule(
            "wrong_severity",
            "warn",
            "logger_warning",
            "size > 5",
            too_large,
            "{size: 6}",
            "{size: 5}",
        ),
        // (b) mode "broken" raises the same message although size is small
        fixture_rule(
            "negative_fires",
            "error",
            "runtime_exception",
            "size > 5",
            too_large,
            "{size: 6}",
            "{size: 1, mode: broken}",
        ),
        // (c) not the library's text
        fixture_rule(
            "wrong_message",
            "error",
            "runtime_exception",
            "size > 5",
            "`size` must be small: {size}",
            "{size: 6}",
            "{size: 5}",
        ),
        // (d) the predicate does not hold on its own positive
        fixture_rule(
            "predicate_contradicts_kwargs",
            "error",
            "runtime_exception",
            "size > 50",
            too_large,
            "{size: 6}",
            "{size: 5}",
        ),
        // (e) the library's threshold is size > 5
        fixture_rule(
            "threshold_off_by_one",
            "error",
            "runtime_exception",
            "size > 4",
            too_large,
            "{size: 6}",
            "{size: 1}",
        ),
    ]
}

#[test]
fn each_wrong_rule_is_caught_by_exactly_its_check() {
    let live = live();
    let rules = one_wrong_rule_per_check();
    let corpus = format!(
        "schema_version: 1.1.0\nengine: gatefixture\nengine_version: 1.0.0\nrules:\n{}",
        rules.concat()
    );
    let targets = BTreeMap::from([(
        "gatefixture.Sampler".to_owned(),
        target("gatefixture", "Sampler", "gatefixture"),
    )]);
    let schema = fixtures().join("root/engines/gatefixture/1.0.0/schema.yaml");
    let report = gate(live, &corpus, &schema, "1.0.0", targets);
    let got = outcomes(&report);
    let want = BTreeMap::from([
        ("right".to_owned(), (Class::Confirmed, vec![])),
        ("right_dormant".to_owned(), (Class::Confirmed, vec![])),
        (
            "wrong_severity".to_owned(),
            (Class::Divergent, vec![Check::A]),
        ),
        (
            "negative_fires".to_owned(),
            (Class::Divergent, vec![Check::B]),
        ),
        (
            "wrong_message".to_owned(),
            (Class::Divergent, vec![Check::C]),
        ),
        (
            "predicate_contradicts_kwargs".to_owned(),
            (Class::Divergent, vec![Check::D]),
        ),
        (
            "threshold_off_by_one".to_owned(),
            (Class::Divergent, vec![Check::E]),
        ),
    ]);
    assert_eq!(got, want, "{report:#?}");
    // The off-by-one is found at the library's own threshold.
    let off = report
        .rules
        .iter()
        .find(|r| r.id == "threshold_off_by_one")
        .unwrap();
    let disagreeing: Vec<String> = off
        .probes
        .iter()
        .filter(|p| p.library != Some(p.predicate))
        .map(|p| format!("{}={}", p.field, p.value))
        .collect();
    assert_eq!(disagreeing, ["size=5"]);
    // The right rule agreed on every probe, and had probes on both sides.
    let right = report.rules.iter().find(|r| r.id == "right").unwrap();
    assert!(right.probes.iter().any(|p| p.predicate) && right.probes.iter().any(|p| !p.predicate));
    assert!(
        right.checks.iter().all(|c| c.status == Status::Pass),
        "{:?}",
        right.checks
    );
}

#[test]
fn timeouts_and_kwargs_the_constructor_rejects_are_divergences() {
    let live = live();
    let too_large = "`size` is too large: {size}";
    let corpus = format!(
        "schema_version: 1.1.0\nengine: gatefixture\nengine_version: 1.0.0\nrules:\n{}{}",
        // the positive never returns
        fixture_rule(
            "hangs",
            "error",
            "runtime_exception",
            "size > 5",
            too_large,
            "{size: 6, mode: spin}",
            "{size: 5}"
        ),
        // `sizes` is no argument of Sampler: Python rejects the call before the library runs
        fixture_rule(
            "broken_kwargs",
            "error",
            "runtime_exception",
            "size > 5",
            too_large,
            "{size: 6, sizes: 1}",
            "{size: 5}"
        ),
    );
    let mut sampler = target("gatefixture", "Sampler", "gatefixture");
    sampler.timeout_s = 0.5;
    let targets = BTreeMap::from([("gatefixture.Sampler".to_owned(), sampler)]);
    let schema = fixtures().join("root/engines/gatefixture/1.0.0/schema.yaml");
    let report = gate(live, &corpus, &schema, "1.0.0", targets);
    for (id, evidence) in [
        ("hangs", "timed out after 0.5 s"),
        ("broken_kwargs", "raised outside the library"),
    ] {
        let rule = report.rules.iter().find(|r| r.id == id).unwrap();
        assert_eq!(rule.class, Class::Divergent, "{rule:#?}");
        let replay = rule
            .checks
            .iter()
            .find(|c| c.check == Check::Replay)
            .unwrap();
        assert_eq!(replay.status, Status::Fail, "{rule:#?}");
        assert!(replay.detail.contains(evidence), "{}", replay.detail);
    }
}

/// The proposed transformers 5.14.1 rule with `id`.
fn real_rule(id: &str) -> RuleDoc {
    let text = std::fs::read_to_string(
        repo().join("engines/transformers/5.14.1/invariants.proposed.yaml"),
    )
    .unwrap();
    let (corpus, _) = read_corpus(FileId(0), &text);
    let rule = corpus
        .unwrap()
        .rules
        .into_iter()
        .find(|r| r.id.value == id)
        .unwrap();
    RuleDoc::from_rule(&rule)
}

#[test]
fn real_transformers_rules_right_and_wrong() {
    let live = live();
    let pad = real_rule("transformers_generation_pad_token_id_negative");
    let context = real_rule("transformers_generation_watermarking_context_width_not_positive");
    // (e) off by one: the library's test is pad_token_id < 0
    let mut pad_off_by_one = pad.clone();
    pad_off_by_one.id = "pad_off_by_one".to_owned();
    pad_off_by_one.when = Some("pad_token_id present and pad_token_id < 1".to_owned());
    pad_off_by_one.kwargs_negative =
        Some(Yaml::Map(vec![("pad_token_id".to_owned(), Yaml::Int(5))]));
    // (a) the library raises on context_width 0; the rule calls it dormant
    let mut context_wrong_severity = context.clone();
    context_wrong_severity.id = "context_wrong_severity".to_owned();
    context_wrong_severity.severity = RuleSeverity::Dormant;
    context_wrong_severity.subject = Some("context_width".to_owned());
    context_wrong_severity.expected_outcome = Some(OutcomeDoc {
        outcome: Outcome::DormantAnnounced,
        emission_channel: EmissionChannel::MinorIssuesDict,
        normalised_fields: None,
    });
    let rules = vec![pad, context, pad_off_by_one, context_wrong_severity];
    let corpus = write_corpus(
        "",
        &llemc_mining::rule::corpus_doc("transformers", "5.14.1", rules),
    );
    let targets: BTreeMap<String, Target> = [
        ("transformers.GenerationConfig", "GenerationConfig"),
        ("transformers.WatermarkingConfig", "WatermarkingConfig"),
    ]
    .into_iter()
    .map(|(name, class)| {
        (
            name.to_owned(),
            target(
                "transformers.generation.configuration_utils",
                class,
                "transformers",
            ),
        )
    })
    .collect();
    let schema = repo().join("engines/transformers/5.14.1/schema.yaml");
    let report = gate(live, &corpus, &schema, "5.14.1", targets);
    let got = outcomes(&report);
    let want = BTreeMap::from([
        (
            "transformers_generation_pad_token_id_negative".to_owned(),
            (Class::Confirmed, vec![]),
        ),
        (
            "transformers_generation_watermarking_context_width_not_positive".to_owned(),
            (Class::Confirmed, vec![]),
        ),
        (
            "pad_off_by_one".to_owned(),
            (Class::Divergent, vec![Check::E]),
        ),
        (
            "context_wrong_severity".to_owned(),
            (Class::Divergent, vec![Check::A]),
        ),
    ]);
    assert_eq!(got, want, "{report:#?}");
}
