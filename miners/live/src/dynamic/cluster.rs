//! Inferring the rules of one probed cluster: for every signal, the predicate that holds exactly
//! on the rows showing it (llemc's evaluator must agree on every row), a message template from
//! the library's own text, and a probed row on each side as kwargs.

use super::infer::{Candidate, Evidence, ambiguity, candidates};
use super::probes::Cluster;
use super::signals::{self, Signal, SignalKind, spellings};
use super::{ClassSite, ClusterReport, Context, Row, SignalReport};
use crate::lifts::rule::{canonical_when, escape_template, short_hash};
use llemc_compiler::corpus::{
    AddedBy, EmissionChannel, Outcome, OutcomeDoc, RuleDoc, RuleSeverity,
};
use llemc_compiler::yaml_out::Yaml;
use llemc_mining::rule::{CompiledRule, compile_rule};
use llemc_mining::staging::{ExpectedOutcome, MinerSource, StagedRule};
use llemc_mining::synth::{check_pair, synthesize};
use llemc_runtime::loaded::LoadedProgram;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// How many inferred candidates are tried under llemc's evaluator before giving up.
const TRIED_CANDIDATES: usize = 40;

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

/// Compiles a bare rule with `when` and `message` (an error rule; only the predicate and the
/// template's placeholders matter).
fn compile_probe(
    ctx: &Context<'_>,
    native: &str,
    severity: RuleSeverity,
    when: &str,
    message: &str,
) -> Option<CompiledRule> {
    let rule = RuleDoc {
        native_type: Some(native.to_owned()),
        when: Some(when.to_owned()),
        message_template: Some(message.to_owned()),
        expected_outcome: Some(OutcomeDoc {
            outcome: Outcome::Error,
            emission_channel: EmissionChannel::RuntimeException,
            normalised_fields: Some(Yaml::Seq(Vec::new())),
        }),
        ..RuleDoc::new("probe", ctx.engine, severity, AddedBy::DynamicMiner)
    };
    compile_rule(ctx.version, &rule, ctx.schema).ok()
}

/// What every step of one signal's inference reads.
struct SignalRows<'a> {
    ctx: &'a Context<'a>,
    cluster: &'a Cluster,
    rows: &'a [Row],
    /// Which rows show the signal.
    labels: Vec<bool>,
    /// The rows showing it, with the signal as each shows it.
    hits: &'a [(usize, &'a Signal)],
    /// The first of them.
    first: &'a Signal,
}

/// Infers the rules of one probed cluster. `site` is where the class lives.
pub fn mine_cluster(
    ctx: &Context<'_>,
    cluster: &Cluster,
    site: &ClassSite,
    rows: &[Row],
    report: &mut ClusterReport,
) -> Vec<StagedRule> {
    let mut by_key: BTreeMap<&str, Vec<(usize, &Signal)>> = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        for s in &row.signals {
            by_key.entry(s.key.as_str()).or_default().push((i, s));
        }
    }
    let mut out = Vec::new();
    for (key, hits) in by_key {
        let Some((_, first)) = hits.first() else {
            continue;
        };
        let mut labels = vec![false; rows.len()];
        for (i, _) in &hits {
            if let Some(l) = labels.get_mut(*i) {
                *l = true;
            }
        }
        let signal = SignalRows {
            ctx,
            cluster,
            rows,
            labels,
            hits: &hits,
            first,
        };
        let mut entry = SignalReport {
            key: key.to_owned(),
            rows: hits.len(),
            rule: None,
            when: None,
            note: None,
        };
        match signal.infer(site) {
            Ok((rule, note)) => {
                entry.rule = Some(rule.id.clone());
                entry.when = Some(rule.when.clone());
                entry.note = note;
                out.push(rule);
            }
            Err(note) => entry.note = Some(note),
        }
        report.signals.push(entry);
    }
    out
}

impl SignalRows<'_> {
    /// The rule of this signal and a note for the report, or why there is none.
    fn infer(&self, site: &ClassSite) -> Result<(StagedRule, Option<String>), String> {
        let kind = self.first.kind;
        let (severity, outcome, channel) = kind.outcome();
        self.enough_evidence()?;
        let (cand, inferred) = self.predicate(severity)?;
        let (when, note) = self.adopt_static(severity, inferred);
        let subject = match kind {
            SignalKind::Minor | SignalKind::Normalise => self.first.field.clone(),
            _ => cand
                .subject_named_in(&self.first.message)
                .or_else(|| cand.subject()),
        };
        let message = self.message(severity, &when);
        let mut normalised = BTreeMap::new();
        if let (SignalKind::Normalise, Some(f), Some(after)) =
            (kind, &self.first.field, &self.first.after)
        {
            normalised.insert(
                f.clone(),
                serde_json::from_str(after).unwrap_or(Value::Null),
            );
        }
        let native = self.cluster.native_type.as_str();
        let class_lower = site.2.to_lowercase().replace('.', "_");
        let subject_key = if kind == SignalKind::Normalise {
            subject.clone().unwrap_or_default()
        } else {
            String::new()
        };
        let id = format!(
            "{}_{class_lower}_dynamic_{}",
            self.ctx.engine,
            short_hash(&[native, severity.as_str(), &when, &subject_key])
        );
        let method = if self.first.phase == "validate" {
            "validate"
        } else {
            "__init__"
        };
        let mut rule = StagedRule {
            id,
            native_type: native.to_owned(),
            severity,
            when,
            subject,
            message_template: message,
            miner_source: Some(MinerSource {
                path: site.0.clone(),
                method: format!("{}.{method}", site.2),
                line_at_scan: None,
                module: Some(site.1.clone()),
                class: Some(site.2.clone()),
                field: None,
                cluster: Some(self.cluster.name.clone()),
            }),
            expected_outcome: ExpectedOutcome::new(outcome, channel, normalised),
            added_by: AddedBy::DynamicMiner,
            kwargs_positive: None,
            kwargs_negative: None,
            versions: None,
            replay_match: None,
        };
        self.fill_kwargs(&mut rule);
        Ok((rule, note))
    }

    /// At least two rows on each side.
    fn enough_evidence(&self) -> Result<(), String> {
        let fire = self.hits.len();
        let rows = self.rows.len();
        if fire < 2 || rows - fire < 2 {
            return Err(format!(
                "not enough evidence: {fire} of {rows} rows show it (need at least 2 on each side)"
            ));
        }
        Ok(())
    }

    /// The first inferred candidate llemc's evaluator agrees with on every row, and its
    /// canonical text.
    fn predicate(&self, severity: RuleSeverity) -> Result<(Candidate, String), String> {
        let kwargs: Vec<Map<String, Value>> = self.rows.iter().map(|r| r.kwargs.clone()).collect();
        let messages: Vec<String> = self.hits.iter().map(|(_, s)| s.message.clone()).collect();
        let ev = Evidence {
            rows: &kwargs,
            labels: &self.labels,
            fields: &self.cluster.fields,
            closed: &self.cluster.closed,
            messages: &messages,
        };
        let found = candidates(&ev);
        if let Some((a, b)) = ambiguity(&found) {
            return Err(format!(
                "ambiguous: `{a}` and `{b}` both agree with every row (add probes that separate them)"
            ));
        }
        let native = self.cluster.native_type.as_str();
        let mut tried = 0usize;
        for cand in found.into_iter().take(TRIED_CANDIDATES) {
            tried += 1;
            let Some(when) = canonical_when(&cand.text()) else {
                continue;
            };
            let Some(compiled) = compile_probe(self.ctx, native, severity, &when, "m") else {
                continue;
            };
            if evaluator_agrees(&compiled.loaded, native, self.rows, &self.labels) {
                return Ok((cand, when));
            }
        }
        Err(if tried == 0 {
            "no template predicate agrees with every row".to_owned()
        } else {
            format!(
                "{tried} candidate(s) agree on the probe values but not under llemc's evaluator"
            )
        })
    }

    /// A static-miner predicate the probes confirm on every row replaces the inferred text.
    fn adopt_static(&self, severity: RuleSeverity, when: String) -> (String, Option<String>) {
        let native = self.cluster.native_type.as_str();
        for other in self.ctx.static_rules {
            if other.native_type != native || other.severity != severity || other.when == when {
                continue;
            }
            let Some(compiled) = compile_probe(self.ctx, native, severity, &other.when, "m") else {
                continue;
            };
            if evaluator_agrees(&compiled.loaded, native, self.rows, &self.labels) {
                let note = format!(
                    "confirms the static miner's `{}` (inferred `{when}`)",
                    other.when
                );
                return (other.when.clone(), Some(note));
            }
        }
        (when, None)
    }

    /// The template from the firing rows, else the first message as literal text.
    fn message(&self, severity: RuleSeverity, when: &str) -> String {
        let firing: Vec<(&Row, &Signal)> = self
            .hits
            .iter()
            .filter_map(|(i, s)| self.rows.get(*i).map(|r| (r, *s)))
            .collect();
        let message = template(self.cluster, &firing);
        let native = self.cluster.native_type.as_str();
        if compile_probe(self.ctx, native, severity, when, &message).is_none() {
            return escape_template(&self.first.message);
        }
        message
    }

    /// Kwargs: a probed row on each side, else synthesized.
    fn fill_kwargs(&self, rule: &mut StagedRule) {
        let Ok(compiled) = compile_rule(
            self.ctx.version,
            &rule.doc(self.ctx.engine),
            self.ctx.schema,
        ) else {
            return;
        };
        let side = |holds: bool| {
            self.rows
                .iter()
                .zip(&self.labels)
                .find(|(_, l)| **l == holds)
                .map(|(r, _)| r.kwargs.clone())
        };
        match (side(true), side(false)) {
            (Some(p), Some(n)) if check_pair(&compiled.loaded, 0, &p, &n).is_ok() => {
                rule.kwargs_positive = Some(p);
                rule.kwargs_negative = Some(n);
            }
            _ => {
                if let Ok(pair) = synthesize(&compiled.loaded, 0) {
                    rule.kwargs_positive = Some(pair.positive);
                    rule.kwargs_negative = Some(pair.negative);
                }
            }
        }
    }
}
