//! The dynamic miner: constructs native types with combinations of probe values
//! (`engines/<engine>/probes.yaml`, [`probes`]), records what the library did
//! (`llemc_live.observe`, strict validation) as [`signals`], and infers for every signal the
//! predicate that holds exactly on the rows showing it ([`infer`]). A candidate is accepted
//! only when llemc's own evaluator agrees with the library on every row of the cluster.
//!
//! Deterministic: clusters by name, rows in lexicographic order, no randomness, no timestamps.
//! The pure part (rows to rules) needs no Python; probing ([`live`]) needs the `python` feature.

pub mod infer;
#[cfg(feature = "python")]
pub mod live;
pub mod probes;
pub mod signals;

use crate::lifts::rule::{LiveRule, LiveSource, canonical_when, escape_template, short_hash};
use infer::{Candidate, Evidence, ambiguity, candidates};
use llemc_mining::rule::compile_rule;
use llemc_mining::staging::ExpectedOutcome;
use llemc_mining::synth::synthesize;
use llemc_runtime::loaded::LoadedProgram;
use probes::Cluster;
use serde::Serialize;
use serde_json::{Map, Value};
use signals::{Signal, SignalKind, at, spellings};
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

/// The staging file (`dynamic_miner.json`), shaped like the static miner's.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DynamicStaging {
    /// Engine.
    pub engine: String,
    /// Library version.
    pub engine_version: String,
    /// Always `dynamic_miner`.
    pub miner: String,
    /// Rules, sorted by id.
    pub rules: Vec<LiveRule>,
    /// Always empty (unexplained signals are in the report).
    pub opaque: Vec<Value>,
    /// Report.
    pub report: DynamicReport,
}

impl DynamicStaging {
    /// The staging file as JSON (deterministic, ends with a newline).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// What the miner needs besides the rows.
pub struct Context<'a> {
    /// Engine name (ids, `engine:`).
    pub engine: &'a str,
    /// Library version.
    pub version: &'a str,
    /// The engine schema rules are compiled and evaluated against.
    pub schema: (&'a str, &'a str),
    /// Static-miner predicates `(native_type, severity, when)` a probe-confirmed inference may
    /// adopt, so that build-corpus merges the two.
    pub static_rules: &'a [(String, String, String)],
}

/// Where the class of a cluster lives: `(path, module, class)`.
pub type ClassSite = (String, String, String);

/// A firing row, its message and the byte ranges of the message's blanked slots.
type Slotted<'a> = (&'a Row, String, Vec<(usize, usize)>);

/// The message template: the first firing row's message with each blanked slot (a number,
/// boolean or probed string, see [`signals::slots`]) that holds, in *every* firing row, that
/// row's value of one and the same probed field replaced by `{field}`. A slot whose field has
/// the same value in every firing row, or that more than one field explains, stays literal:
/// a coincidence is not evidence.
fn template(cluster: &Cluster, firing: &[(&Row, &Signal)]) -> String {
    let Some((_, first)) = firing.first() else {
        return String::new();
    };
    let per_row: Vec<Slotted<'_>> = firing
        .iter()
        .map(|(r, s)| {
            let strings: Vec<String> = r
                .kwargs
                .values()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            let (_, found) = signals::slots(&s.message, &strings);
            (*r, s.message.clone(), found)
        })
        .collect();
    let Some((_, _, first_slots)) = per_row.first() else {
        return escape_template(&first.message);
    };
    let mut names: Vec<Option<String>> = Vec::new();
    for k in 0..first_slots.len() {
        let mut fits: Vec<&String> = Vec::new();
        for (field, values) in &cluster.fields {
            if values.len() < 2 {
                continue;
            }
            let mut seen: Vec<&Value> = Vec::new();
            let all = per_row.iter().all(|(row, message, found)| {
                let Some(value) = row.kwargs.get(field) else {
                    return false;
                };
                if !seen.contains(&value) {
                    seen.push(value);
                }
                found
                    .get(k)
                    .and_then(|(s, e)| message.get(*s..*e))
                    .is_some_and(|text| spellings(value).iter().any(|sp| sp == text))
            });
            if all && seen.len() > 1 {
                fits.push(field);
            }
        }
        names.push(match fits.as_slice() {
            [one] => Some((*one).clone()),
            _ => None,
        });
    }
    let message = &first.message;
    let mut out = String::new();
    let mut at = 0;
    for ((s, e), name) in first_slots.iter().zip(&names) {
        if let Some(f) = name {
            out.push_str(&escape_template(message.get(at..*s).unwrap_or("")));
            out.push_str(&format!("{{{f}}}"));
            at = *e;
        }
    }
    out.push_str(&escape_template(message.get(at..).unwrap_or("")));
    out
}

/// Whether the evaluator agrees with the labels on every row.
fn evaluator_agrees(loaded: &LoadedProgram, native: &str, rows: &[Row], labels: &[bool]) -> bool {
    let mut frame = loaded.frame();
    rows.iter().zip(labels).all(|(r, l)| {
        loaded.bind_native(native, &Value::Object(r.kwargs.clone()), &mut frame)
            && loaded.rule_holds(0, &frame) == *l
    })
}

/// A bare rule for compiling `when`.
fn probe_rule(
    native: &str,
    severity: &str,
    when: &str,
    message: &str,
) -> Vec<(String, llemc_compiler::yaml_out::Yaml)> {
    use llemc_compiler::yaml_out::Yaml;
    vec![
        ("id".to_owned(), Yaml::str("probe")),
        ("severity".to_owned(), Yaml::str(severity)),
        ("native_type".to_owned(), Yaml::str(native)),
        ("when".to_owned(), Yaml::str(when)),
        ("message_template".to_owned(), Yaml::str(message)),
        (
            "expected_outcome".to_owned(),
            Yaml::Map(vec![
                ("outcome".to_owned(), Yaml::str("error")),
                (
                    "emission_channel".to_owned(),
                    Yaml::str("runtime_exception"),
                ),
                ("normalised_fields".to_owned(), Yaml::Seq(Vec::new())),
            ]),
        ),
    ]
}

/// Infers the rules of one probed cluster. `site` is where the class lives.
pub fn mine_cluster(
    ctx: &Context<'_>,
    cluster: &Cluster,
    site: &ClassSite,
    rows: &[Row],
    report: &mut ClusterReport,
) -> Vec<LiveRule> {
    let mut by_key: BTreeMap<&str, Vec<(usize, &Signal)>> = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        for s in &row.signals {
            by_key.entry(s.key.as_str()).or_default().push((i, s));
        }
    }
    let kwargs: Vec<Map<String, Value>> = rows.iter().map(|r| r.kwargs.clone()).collect();
    let mut out = Vec::new();
    for (key, hits) in by_key {
        let mut labels = vec![false; rows.len()];
        for (i, _) in &hits {
            if let Some(l) = labels.get_mut(*i) {
                *l = true;
            }
        }
        let Some((_, first)) = hits.first() else {
            continue;
        };
        let kind = first.kind;
        let (severity, outcome, channel) = kind.outcome();
        let messages: Vec<String> = hits.iter().map(|(_, s)| s.message.clone()).collect();
        let ev = Evidence {
            rows: &kwargs,
            labels: &labels,
            fields: &cluster.fields,
            closed: &cluster.closed,
            messages: &messages,
        };
        let mut entry = SignalReport {
            key: key.to_owned(),
            rows: hits.len(),
            rule: None,
            when: None,
            note: None,
        };
        let fire = hits.len();
        if fire < 2 || rows.len() - fire < 2 {
            entry.note = Some(format!(
                "not enough evidence: {fire} of {} rows show it (need at least 2 on each side)",
                rows.len()
            ));
            report.signals.push(entry);
            continue;
        }
        let native = cluster.native_type.as_str();
        let found = candidates(&ev);
        if let Some((a, b)) = ambiguity(&found) {
            entry.note = Some(format!(
                "ambiguous: `{a}` and `{b}` both agree with every row (add probes that separate them)"
            ));
            report.signals.push(entry);
            continue;
        }
        let mut chosen: Option<(Candidate, String)> = None;
        let mut tried = 0usize;
        for cand in found.into_iter().take(40) {
            tried += 1;
            let Some(when) = canonical_when(&cand.text()) else {
                continue;
            };
            let Ok(compiled) = compile_rule(
                ctx.engine,
                ctx.version,
                &probe_rule(native, severity, &when, "m"),
                ctx.schema,
            ) else {
                continue;
            };
            if evaluator_agrees(&compiled.loaded, native, rows, &labels) {
                chosen = Some((cand, when));
                break;
            }
        }
        let Some((cand, mut when)) = chosen else {
            entry.note = Some(if tried == 0 {
                "no template predicate agrees with every row".to_owned()
            } else {
                format!(
                    "{tried} candidate(s) agree on the probe values but not under llemc's evaluator"
                )
            });
            report.signals.push(entry);
            continue;
        };
        // A static-miner predicate the probes confirm on every row replaces the inferred text.
        for (snative, ssev, swhen) in ctx.static_rules {
            if snative != native || ssev != severity || *swhen == when {
                continue;
            }
            let Ok(compiled) = compile_rule(
                ctx.engine,
                ctx.version,
                &probe_rule(native, severity, swhen, "m"),
                ctx.schema,
            ) else {
                continue;
            };
            if evaluator_agrees(&compiled.loaded, native, rows, &labels) {
                entry.note = Some(format!(
                    "confirms the static miner's `{swhen}` (inferred `{when}`)"
                ));
                when = swhen.clone();
                break;
            }
        }
        let subject = match kind {
            SignalKind::Minor | SignalKind::Normalise => first.field.clone(),
            _ => cand
                .subject_named_in(&first.message)
                .or_else(|| cand.subject()),
        };
        let firing: Vec<(&Row, &Signal)> = hits
            .iter()
            .filter_map(|(i, s)| rows.get(*i).map(|r| (r, *s)))
            .collect();
        let mut message = template(cluster, &firing);
        if compile_rule(
            ctx.engine,
            ctx.version,
            &probe_rule(native, severity, &when, &message),
            ctx.schema,
        )
        .is_err()
        {
            message = escape_template(&first.message);
        }
        let mut normalised = BTreeMap::new();
        if let (SignalKind::Normalise, Some(f), Some(after)) = (kind, &first.field, &first.after) {
            normalised.insert(
                f.clone(),
                serde_json::from_str(after).unwrap_or(Value::Null),
            );
        }
        let class_lower = site.2.to_lowercase().replace('.', "_");
        let subject_key = if kind == SignalKind::Normalise {
            subject.clone().unwrap_or_default()
        } else {
            String::new()
        };
        let id = format!(
            "{}_{class_lower}_dynamic_{}",
            ctx.engine,
            short_hash(&[native, severity, &when, &subject_key])
        );
        let method = if first.phase == "validate" {
            "validate"
        } else {
            "__init__"
        };
        let mut rule = LiveRule {
            id: id.clone(),
            native_type: native.to_owned(),
            severity: severity.to_owned(),
            when: when.clone(),
            subject,
            message_template: message,
            miner_source: LiveSource {
                path: site.0.clone(),
                method: format!("{}.{method}", site.2),
                line_at_scan: None,
                module: site.1.clone(),
                class: site.2.clone(),
                field: None,
                cluster: Some(cluster.name.clone()),
            },
            expected_outcome: ExpectedOutcome {
                outcome: outcome.to_owned(),
                emission_channel: channel.to_owned(),
                normalised_fields: normalised,
            },
            added_by: "dynamic_miner".to_owned(),
            kwargs_positive: None,
            kwargs_negative: None,
        };
        // kwargs: a probed row on each side, else synthesized
        let pos = rows
            .iter()
            .zip(&labels)
            .find(|(_, l)| **l)
            .map(|(r, _)| r.kwargs.clone());
        let neg = rows
            .iter()
            .zip(&labels)
            .find(|(_, l)| !**l)
            .map(|(r, _)| r.kwargs.clone());
        if let Ok(compiled) = compile_rule(
            ctx.engine,
            ctx.version,
            &rule.to_map(ctx.engine),
            ctx.schema,
        ) {
            match (pos, neg) {
                (Some(p), Some(n))
                    if llemc_mining::synth::check_pair(&compiled.loaded, 0, &p, &n).is_ok() =>
                {
                    rule.kwargs_positive = Some(Value::Object(p));
                    rule.kwargs_negative = Some(Value::Object(n));
                }
                _ => {
                    if let Ok(pair) = synthesize(&compiled.loaded, 0) {
                        rule.kwargs_positive = Some(Value::Object(pair.positive));
                        rule.kwargs_negative = Some(Value::Object(pair.negative));
                    }
                }
            }
        }
        entry.rule = Some(id);
        entry.when = Some(when);
        report.signals.push(entry);
        out.push(rule);
    }
    out
}

/// Assembles the staging file from the rules of every cluster (duplicates by id dropped).
pub fn staging(
    ctx: &Context<'_>,
    rules: Vec<LiveRule>,
    mut report: DynamicReport,
) -> DynamicStaging {
    let mut by_id: BTreeMap<String, LiveRule> = BTreeMap::new();
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
    DynamicStaging {
        engine: ctx.engine.to_owned(),
        engine_version: ctx.version.to_owned(),
        miner: "dynamic_miner".to_owned(),
        rules: by_id.into_values().collect(),
        opaque: Vec::new(),
        report,
    }
}

/// Static-miner predicates from a staging file's JSON: `(native_type, severity, when)`.
pub fn static_predicates(staging_json: &Value) -> Vec<(String, String, String)> {
    at(staging_json, "rules")
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            Some((
                at(r, "native_type").as_str()?.to_owned(),
                at(r, "severity").as_str()?.to_owned(),
                at(r, "when").as_str()?.to_owned(),
            ))
        })
        .collect()
}
