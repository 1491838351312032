//! The dynamic miner: constructs native types with combinations of probe values
//! (`engines/<engine>/probes.yaml`, [`probes`]), records what the library did
//! (`llemc_live.observe`, strict validation) as [`signals`], and infers for every signal the
//! predicate that holds exactly on the rows showing it ([`infer`]). A candidate is accepted
//! only when llemc's own evaluator agrees with the library on every row of the cluster.
//!
//! Deterministic: clusters by name, rows in lexicographic order, no randomness, no timestamps.
//! The pure part (rows to rules) needs no Python; probing ([`live`]) needs the `python` feature.

mod cluster;
pub mod infer;
#[cfg(feature = "python")]
pub mod live;
pub mod probes;
pub mod signals;

pub use cluster::mine_cluster;
use llemc_mining::staging::{StagedRule, Staging, StagingFile};
use serde::Serialize;
use serde_json::{Map, Value};
use signals::Signal;
use std::collections::BTreeMap;

/// One probe and what the library did.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The kwargs passed.
    pub kwargs: Map<String, Value>,
    /// The signals seen.
    pub signals: Vec<Signal>,
}

/// What became of one signal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignalReport {
    /// The signal key.
    pub key: String,
    /// Rows showing it.
    pub rows: usize,
    /// The rule id, when one was inferred.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The inferred predicate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// Why no rule, or which static-miner predicate the probes confirmed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One cluster's report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClusterReport {
    /// Cluster name.
    pub name: String,
    /// Native type.
    pub native_type: String,
    /// Rows probed.
    pub rows: usize,
    /// Rows per outcome (`ok`, `error`, ...).
    pub outcomes: BTreeMap<String, usize>,
    /// Signals, sorted by key.
    pub signals: Vec<SignalReport>,
    /// Why the cluster was not probed (wrong version, class unavailable).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

/// The dynamic miner's report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DynamicReport {
    /// Clusters probed.
    pub clusters: usize,
    /// Rows probed in all.
    pub rows: usize,
    /// Rules inferred (after removing duplicates).
    pub rules: usize,
    /// Signals without a rule.
    pub unexplained: usize,
    /// Rules whose predicate is a static-miner predicate the probes confirmed.
    pub confirmed_static: usize,
    /// Per cluster.
    pub by_cluster: Vec<ClusterReport>,
}

/// The staging file (`dynamic_miner.json`).
pub type DynamicStaging = Staging<DynamicReport>;

/// What the miner needs besides the rows.
pub struct Context<'a> {
    /// Engine name (ids, `engine:`).
    pub engine: &'a str,
    /// Library version.
    pub version: &'a str,
    /// The engine schema rules are compiled and evaluated against.
    pub schema: (&'a str, &'a str),
    /// Static-miner rules whose predicate a probe-confirmed inference may adopt, so that
    /// build-corpus merges the two.
    pub static_rules: &'a [StagedRule],
}

/// Where the class of a cluster lives: `(path, module, class)`.
pub type ClassSite = (String, String, String);

/// Assembles the staging file from the rules of every cluster (duplicates by id dropped).
pub fn staging(
    ctx: &Context<'_>,
    rules: Vec<StagedRule>,
    mut report: DynamicReport,
) -> DynamicStaging {
    let mut by_id: BTreeMap<String, StagedRule> = BTreeMap::new();
    for r in rules {
        by_id.entry(r.id.clone()).or_insert(r);
    }
    report.rules = by_id.len();
    report.unexplained = report
        .by_cluster
        .iter()
        .flat_map(|c| &c.signals)
        .filter(|s| s.rule.is_none())
        .count();
    report.confirmed_static = report
        .by_cluster
        .iter()
        .flat_map(|c| &c.signals)
        .filter(|s| s.note.as_deref().is_some_and(|n| n.starts_with("confirms")))
        .count();
    Staging {
        engine: ctx.engine.to_owned(),
        engine_version: ctx.version.to_owned(),
        miner: "dynamic_miner".to_owned(),
        rules: by_id.into_values().collect(),
        opaque: Vec::new(),
        report,
    }
}

/// The rules of the static miner's staging file (those that read as staged rules).
pub fn static_rules(staging: &StagingFile) -> Vec<StagedRule> {
    staging
        .typed_rules()
        .into_iter()
        .filter_map(Result::ok)
        .collect()
}
