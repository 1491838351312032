//! Staging files: what a miner proposes for one engine version, before build-corpus merges it
//! with the other miners' proposals and the manual seeds.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Where a rule came from.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct MinerSource {
    /// Source file relative to site-packages.
    pub path: String,
    /// `Class.method`.
    pub method: String,
    /// Line of the site at the time of the scan.
    pub line_at_scan: u32,
}

/// `expected_outcome`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ExpectedOutcome {
    /// `error`, `warn`, `dormant_announced`, `dormant_silent`.
    pub outcome: String,
    /// Emission channel.
    pub emission_channel: String,
    /// Normalised fields and the value they get.
    pub normalised_fields: BTreeMap<String, serde_json::Value>,
}

/// A fully translated rule.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct StagedRule {
    /// Content-derived id.
    pub id: String,
    /// Native type.
    pub native_type: String,
    /// `error`, `warn` or `dormant`.
    pub severity: String,
    /// The predicate (canonical `when:` text).
    pub when: String,
    /// The field the rule is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Message template.
    pub message_template: String,
    /// Where it came from.
    pub miner_source: MinerSource,
    /// What the library does.
    pub expected_outcome: ExpectedOutcome,
    /// Always `static_miner`.
    pub added_by: String,
    /// Filled by build-corpus.
    pub kwargs_positive: Option<serde_json::Value>,
    /// Filled by build-corpus.
    pub kwargs_negative: Option<serde_json::Value>,
}

/// A site whose condition (or normalised value) could not be translated.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct OpaqueRule {
    /// Content-derived id.
    pub id: String,
    /// Native type.
    pub native_type: String,
    /// Severity it would have.
    pub severity: String,
    /// Where it came from.
    pub miner_source: MinerSource,
    /// Why it is opaque.
    pub reason: String,
    /// The Python source of the untranslatable parts (and the site).
    pub source_text: String,
    /// The translatable part of the condition (a necessary condition), if any.
    pub partial_when: Option<String>,
}

/// Counts for one group of sites.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    /// Sites found.
    pub sites: usize,
    /// Translated into rules.
    pub translated: usize,
    /// Left opaque.
    pub opaque: usize,
}

/// The mining report.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Report {
    /// Sites found.
    pub sites: usize,
    /// Rules fully translated.
    pub translated: usize,
    /// Sites left opaque.
    pub opaque: usize,
    /// Sites whose condition can never hold.
    pub unreachable: usize,
    /// Sites that gave the same rule as an earlier one.
    pub duplicates: usize,
    /// Rules whose message could only partly be rendered (`…` in the template).
    pub partial_messages: usize,
    /// Per detector.
    pub by_detector: BTreeMap<String, Counts>,
    /// Per landmark (`Class.method`).
    pub by_landmark: BTreeMap<String, Counts>,
    /// Opaque sites per reason.
    pub opaque_reasons: BTreeMap<String, usize>,
    /// Assumptions used (`function: reason`).
    pub assumptions: BTreeMap<String, String>,
}

/// The staging file.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Staging {
    /// Engine.
    pub engine: String,
    /// Library version.
    pub engine_version: String,
    /// Always `static_miner`.
    pub miner: String,
    /// Rules, sorted by id.
    pub rules: Vec<StagedRule>,
    /// Opaque sites, sorted by id.
    pub opaque: Vec<OpaqueRule>,
    /// Report.
    pub report: Report,
}

impl Staging {
    /// The staging file as JSON (deterministic, ends with a newline).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// A readable listing of the rules and opaque sites (for snapshots and humans).
    pub fn listing(&self) -> String {
        let mut out = String::new();
        for r in &self.rules {
            let _ = writeln!(out, "{}  [{}] {}", r.id, r.severity, r.native_type);
            let _ = writeln!(out, "  when: {}", r.when);
            if let Some(s) = &r.subject {
                let _ = writeln!(out, "  subject: {s}");
            }
            let _ = writeln!(out, "  message: {}", r.message_template);
            let _ = writeln!(
                out,
                "  source: {} {}:{}  ({} / {})",
                r.miner_source.path,
                r.miner_source.method,
                r.miner_source.line_at_scan,
                r.expected_outcome.outcome,
                r.expected_outcome.emission_channel
            );
            if !r.expected_outcome.normalised_fields.is_empty() {
                let _ = writeln!(
                    out,
                    "  normalised: {}",
                    serde_json::to_string(&r.expected_outcome.normalised_fields)
                        .unwrap_or_default()
                );
            }
        }
        for o in &self.opaque {
            let _ = writeln!(out, "{}  [{} OPAQUE] {}", o.id, o.severity, o.native_type);
            let _ = writeln!(out, "  reason: {}", o.reason);
            let _ = writeln!(out, "  source_text: {}", o.source_text);
            if let Some(p) = &o.partial_when {
                let _ = writeln!(out, "  partial_when: {p}");
            }
            let _ = writeln!(
                out,
                "  source: {} {}:{}",
                o.miner_source.path, o.miner_source.method, o.miner_source.line_at_scan
            );
        }
        let _ = writeln!(
            out,
            "report: {}",
            serde_json::to_string(&self.report).unwrap_or_default()
        );
        out
    }
}
