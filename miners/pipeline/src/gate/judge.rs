//! Judging the rules of a corpus against an [`Observer`] of the live library.

use super::message::template_matches;
use super::model::{
    CaseSummary, Check, CheckResult, Class, GateReport, Observation, ProbeResult, RuleVerdict,
    Status, Target,
};
use super::probes::probes;
use llemc_compiler::diagnostic::FileId;
use llemc_compiler::yaml::{Node, parse_yaml};
use llemc_compiler::yaml_out::Yaml;
use llemc_mining::synth::check_pair;
use llemc_runtime::compile::{CorpusInput, compile_corpus};
use llemc_runtime::loaded::LoadedProgram;
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

/// What the gate needs from the live library.
pub trait Observer {
    /// Constructs `target` with `kwargs` (then its `validate`) and reports what happened. An
    /// `Err` is a failure of the bridge itself, not of the library.
    fn observe(
        &mut self,
        target: &Target,
        kwargs: &Map<String, Json>,
    ) -> Result<Observation, String>;
    /// Whether Python regex `pattern` is found in `text` (`Err`: invalid pattern or bridge
    /// failure).
    fn regex_search(&mut self, pattern: &str, text: &str) -> Result<bool, String>;
}

/// A corpus to gate.
#[derive(Clone, Debug)]
pub struct GateInput<'a> {
    /// Engine name.
    pub engine: &'a str,
    /// Library version (rules are selected for it).
    pub version: &'a str,
    /// Corpus file name, for messages.
    pub corpus_name: &'a str,
    /// Corpus text.
    pub corpus_text: &'a str,
    /// Engine schema `(name, text)`.
    pub schema: (&'a str, &'a str),
    /// Where each native type lives.
    pub targets: &'a BTreeMap<String, Target>,
}

/// Exception types that are Python programming errors rather than a library's validation.
const PROGRAMMING_ERRORS: [&str; 6] = [
    "TypeError",
    "AttributeError",
    "KeyError",
    "IndexError",
    "NameError",
    "UnboundLocalError",
];

/// How many disagreeing probes a report shows per rule.
const SHOWN_DISAGREEMENTS: usize = 5;

/// The kind of signal a rule expects from the library.
#[derive(Clone, Debug, PartialEq)]
enum Expect {
    /// An exception (not the strict aggregation of minor issues).
    Error,
    /// A warning or log record on a channel (`None`: either).
    Emission(Option<&'static str>),
    /// A minor issue recorded for one of the fields.
    Minor(Vec<String>),
    /// A silent normalisation of one of the fields.
    Normalised(Vec<String>),
}

/// One observed signal of the expected kind.
#[derive(Clone, Debug)]
struct Signal {
    outcome: &'static str,
    channel: String,
    message: Option<String>,
    exception_type: Option<String>,
}

/// How observed messages are attributed to the rule.
#[derive(Clone, Debug)]
enum Matcher {
    Regex(String),
    Template(String),
    Any,
}

/// The rule as the gate reads it from the corpus text.
struct RawRule {
    id: String,
    severity: String,
    native_type: String,
    channel: String,
    normalised_fields: Vec<String>,
    subject: Option<String>,
    template: Option<String>,
    replay_match: Option<String>,
    replay_via: Option<String>,
    positive: Map<String, Json>,
    negative: Map<String, Json>,
}

fn text(node: &Node, key: &str) -> Option<String> {
    node.get(key).and_then(Node::as_str).map(str::to_owned)
}

fn kwargs(node: &Node, key: &str) -> Map<String, Json> {
    match node.get(key).map(|n| Yaml::from_node(n).to_json()) {
        Some(Json::Object(map)) => map,
        _ => Map::new(),
    }
}

fn raw_rules(name: &str, corpus: &str) -> Result<Vec<RawRule>, String> {
    let root = parse_yaml(FileId(0), corpus)
        .map_err(|d| format!("{name} is not valid YAML: {}", d.message))?;
    let items = root.get("rules").and_then(Node::as_seq).unwrap_or(&[]);
    let mut out = Vec::new();
    for item in items {
        let Some(id) = text(item, "id") else { continue };
        let expected = item.get("expected_outcome");
        let normalised_fields = expected
            .and_then(|e| e.get("normalised_fields"))
            .map(|n| match (n.as_seq(), n.as_map()) {
                (Some(items), _) => items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_owned))
                    .collect(),
                (_, Some(entries)) => entries
                    .iter()
                    .filter_map(|(k, _)| k.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            })
            .unwrap_or_default();
        out.push(RawRule {
            severity: text(item, "severity").unwrap_or_default(),
            native_type: text(item, "native_type").unwrap_or_default(),
            channel: expected
                .and_then(|e| text(e, "emission_channel"))
                .unwrap_or_default(),
            normalised_fields,
            subject: text(item, "subject").map(|s| s.trim_start_matches('@').to_owned()),
            template: text(item, "message_template"),
            replay_match: text(item, "replay_match"),
            replay_via: text(item, "replay_via"),
            positive: kwargs(item, "kwargs_positive"),
            negative: kwargs(item, "kwargs_negative"),
            id,
        });
    }
    Ok(out)
}

/// Gates every rule of the corpus (selected for the version). `Err`: the corpus cannot be read
/// or compiled (a hard error: nothing is judged).
pub fn gate_corpus<O: Observer>(
    input: &GateInput<'_>,
    observer: &mut O,
) -> Result<GateReport, String> {
    let compiled = CorpusInput {
        name: input.corpus_name,
        text: input.corpus_text,
        schema: Some(input.schema),
        compat: false,
        engine_version: Some(input.version.to_owned()),
    };
    let (loaded, _) = compile_corpus(&compiled).map_err(|f| {
        let first = f
            .diagnostics
            .iter()
            .find(|d| d.is_error())
            .map(|d| format!("{}: {}", d.code, d.message))
            .unwrap_or_default();
        format!("{} does not compile ({first})", input.corpus_name)
    })?;
    let raw = raw_rules(input.corpus_name, input.corpus_text)?;
    let mut baselines: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut rules = Vec::new();
    for (index, ir) in loaded.program().rules.iter().enumerate() {
        let Some(rule) = raw.iter().find(|r| r.id == ir.id) else {
            continue;
        };
        let mut judge = Judge {
            loaded: &loaded,
            index,
            rule,
            observer: &mut *observer,
        };
        let verdict = judge.run(input.targets, &mut baselines);
        rules.push(verdict);
    }
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(GateReport {
        engine: input.engine.to_owned(),
        version: input.version.to_owned(),
        rules,
    })
}

struct Judge<'a, O: Observer> {
    loaded: &'a LoadedProgram,
    index: usize,
    rule: &'a RawRule,
    observer: &'a mut O,
}

fn check(check: Check, status: Status, detail: impl Into<String>) -> CheckResult {
    CheckResult {
        check,
        status,
        detail: detail.into(),
    }
}

impl<O: Observer> Judge<'_, O> {
    fn verdict(&self, class: Class) -> RuleVerdict {
        RuleVerdict {
            id: self.rule.id.clone(),
            native_type: self.rule.native_type.clone(),
            class,
            checks: Vec::new(),
            positive: None,
            negative: None,
            probes: Vec::new(),
            unverified_reason: None,
        }
    }

    fn unverified(&self, reason: String, pos: Option<CaseSummary>) -> RuleVerdict {
        let mut v = self.verdict(Class::Unverified);
        v.unverified_reason = Some(reason);
        v.positive = pos;
        v
    }

    /// The rule's fields inside its native type: `subject`, else every field the predicate reads.
    fn fields(&self) -> Vec<String> {
        if let Some(s) = &self.rule.subject {
            return vec![s.clone()];
        }
        let program = self.loaded.program();
        let mount = self
            .loaded
            .mount(&self.rule.native_type)
            .map(<[String]>::to_vec)
            .unwrap_or_default();
        let mut out: Vec<String> = Vec::new();
        if let Some(ir) = program.rules.get(self.index) {
            for slot in &ir.reads {
                if let Some(rest) = program
                    .slots
                    .get(*slot as usize)
                    .and_then(|s| s.path.strip_prefix(mount.as_slice()))
                {
                    let dotted = rest.join(".");
                    if !out.contains(&dotted) {
                        out.push(dotted);
                    }
                }
            }
        }
        out
    }

    fn expect(&self) -> Expect {
        let channel = self.rule.channel.as_str();
        let emission = || match channel {
            "warnings_warn" => Expect::Emission(Some("warnings")),
            "logger_warning" | "logger_warning_once" => Expect::Emission(Some("logger")),
            _ => Expect::Emission(None),
        };
        match self.rule.severity.as_str() {
            "error" => Expect::Error,
            "warn" => emission(),
            _ => match channel {
                "minor_issues_dict" => Expect::Minor(self.fields()),
                "warnings_warn" | "logger_warning" | "logger_warning_once" => emission(),
                _ => {
                    if self.rule.normalised_fields.is_empty() {
                        Expect::Normalised(self.fields())
                    } else {
                        Expect::Normalised(self.rule.normalised_fields.clone())
                    }
                }
            },
        }
    }

    fn matcher(&self) -> Matcher {
        match (&self.rule.replay_match, &self.rule.template) {
            (Some(r), _) => Matcher::Regex(r.clone()),
            (None, Some(t)) => Matcher::Template(t.clone()),
            (None, None) => Matcher::Any,
        }
    }

    fn accepts(&mut self, matcher: &Matcher, message: Option<&str>) -> Result<bool, String> {
        let Some(message) = message else {
            return Ok(true);
        };
        match matcher {
            Matcher::Any => Ok(true),
            Matcher::Template(t) => Ok(template_matches(t, message)),
            Matcher::Regex(r) => self.observer.regex_search(r, message),
        }
    }

    fn holds(&self, kwargs: &Map<String, Json>) -> bool {
        let mut frame = self.loaded.frame();
        let tree = Json::Object(kwargs.clone());
        self.loaded
            .bind_native(&self.rule.native_type, &tree, &mut frame)
            && self.loaded.rule_holds(self.index, &frame)
    }

    fn run(
        &mut self,
        targets: &BTreeMap<String, Target>,
        baselines: &mut BTreeMap<String, Vec<String>>,
    ) -> RuleVerdict {
        if let Some(via) = self
            .rule
            .replay_via
            .as_deref()
            .filter(|v| *v != "construct")
        {
            return self.unverified(
                format!(
                    "the rule replays through `{via}` (replay_via), which needs a model and is \
                     not a construction of the native type"
                ),
                None,
            );
        }
        let Some(target) = targets.get(&self.rule.native_type) else {
            let mut v = self.verdict(Class::Divergent);
            v.checks.push(check(
                Check::Replay,
                Status::Fail,
                format!(
                    "native type `{}` is not declared in the engine's native_types",
                    self.rule.native_type
                ),
            ));
            return v;
        };
        let baseline = match baselines.get(&self.rule.native_type) {
            Some(b) => b.clone(),
            None => {
                let b: Vec<String> = self
                    .observer
                    .observe(target, &Map::new())
                    .map(|o| o.emissions.into_iter().map(|e| e.message).collect())
                    .unwrap_or_default();
                baselines.insert(self.rule.native_type.clone(), b.clone());
                b
            }
        };
        let expect = self.expect();
        let matcher = self.matcher();
        let pos = self.observer.observe(target, &self.rule.positive);
        let neg = self.observer.observe(target, &self.rule.negative);
        let (pos, neg) = match (pos, neg) {
            (Ok(p), Ok(n)) => (p, n),
            (Err(e), _) | (_, Err(e)) => {
                let mut v = self.verdict(Class::Divergent);
                v.checks.push(check(
                    Check::Replay,
                    Status::Fail,
                    format!("bridge failure: {e}"),
                ));
                return v;
            }
        };
        for (name, obs) in [("kwargs_positive", &pos), ("kwargs_negative", &neg)] {
            if let Some(why) = unavailable(obs) {
                let summary = self.summarize(&pos, &expect, &baseline, &Matcher::Any);
                return self.unverified(format!("{name}: {why}"), Some(summary));
            }
        }
        let mut verdict = self.verdict(Class::Confirmed);
        let pos_sigs = signals(&pos, &expect, &baseline);
        let neg_sigs = signals(&neg, &expect, &baseline);

        // replay
        let mut problems = Vec::new();
        for (name, obs) in [("kwargs_positive", &pos), ("kwargs_negative", &neg)] {
            if let Some(p) = self.unexpected(obs, &matcher, target) {
                problems.push(format!("{name}: {p}"));
            }
        }
        verdict.checks.push(if problems.is_empty() {
            check(Check::Replay, Status::Pass, "both cases ran")
        } else {
            check(Check::Replay, Status::Fail, problems.join("; "))
        });

        // (a)
        let wanted = describe(&expect);
        let a_pass = !pos_sigs.is_empty();
        let pos_summary = self.summarize(&pos, &expect, &baseline, &matcher);
        verdict.checks.push(if a_pass {
            check(
                Check::A,
                Status::Pass,
                format!("{} on {}", pos_summary.outcome, pos_summary.channel),
            )
        } else {
            check(
                Check::A,
                Status::Fail,
                format!(
                    "expected {wanted}; observed {} on {}{}",
                    pos_summary.outcome,
                    pos_summary.channel,
                    pos_summary
                        .message
                        .as_deref()
                        .map(|m| format!(": {}", clip(m)))
                        .unwrap_or_default()
                ),
            )
        });

        // (c)
        let mut c_pass = false;
        if a_pass {
            let mut error = None;
            for s in &pos_sigs {
                match self.accepts(&matcher, s.message.as_deref()) {
                    Ok(true) => {
                        c_pass = true;
                        break;
                    }
                    Ok(false) => {}
                    Err(e) => error = Some(e),
                }
            }
            let shown = pos_sigs
                .first()
                .and_then(|s| s.message.clone())
                .unwrap_or_default();
            verdict.checks.push(match (c_pass, &matcher, error) {
                (true, Matcher::Any, _) => check(Check::C, Status::Pass, "the rule has no message"),
                (true, Matcher::Regex(_), _) => check(Check::C, Status::Pass, "replay_match found"),
                (true, _, _) => check(Check::C, Status::Pass, "message_template matches"),
                (false, _, Some(e)) => check(Check::C, Status::Fail, format!("replay_match: {e}")),
                (false, m, None) => check(
                    Check::C,
                    Status::Fail,
                    format!(
                        "{} does not match the observed message: {}",
                        matcher_name(m),
                        clip(&shown)
                    ),
                ),
            });
        } else {
            verdict.checks.push(check(
                Check::C,
                Status::Skipped,
                "no observed outcome of the expected kind to take the message from",
            ));
        }
        let attribution = if c_pass {
            matcher.clone()
        } else {
            Matcher::Any
        };

        // (b)
        let mut neg_fires = false;
        for s in &neg_sigs {
            if self
                .accepts(&attribution, s.message.as_deref())
                .unwrap_or(true)
            {
                neg_fires = true;
                break;
            }
        }
        let neg_summary = self.summarize(&neg, &expect, &baseline, &attribution);
        verdict.checks.push(if neg_fires {
            check(
                Check::B,
                Status::Fail,
                format!(
                    "kwargs_negative shows {wanted} too{}",
                    neg_summary
                        .message
                        .as_deref()
                        .map(|m| format!(": {}", clip(m)))
                        .unwrap_or_default()
                ),
            )
        } else {
            check(
                Check::B,
                Status::Pass,
                format!("{} on {}", neg_summary.outcome, neg_summary.channel),
            )
        });

        // (d)
        let d = check_pair(
            self.loaded,
            self.index,
            &self.rule.positive,
            &self.rule.negative,
        );
        let d_pass = d.is_ok();
        verdict.checks.push(match d {
            Ok(()) => check(Check::D, Status::Pass, "holds on positive, not on negative"),
            Err(e) => check(Check::D, Status::Fail, e),
        });

        // (e)
        if a_pass && c_pass && d_pass {
            let mut disagreements = Vec::new();
            let mut timeouts = Vec::new();
            for probe in probes(self.loaded, self.index, &self.rule.positive) {
                let predicate = self.holds(&probe.kwargs);
                let obs = match self.observer.observe(target, &probe.kwargs) {
                    Ok(o) => o,
                    Err(e) => Observation {
                        outcome: "bridge_failure".to_owned(),
                        exception: Some(super::model::ExceptionInfo {
                            message: e,
                            ..Default::default()
                        }),
                        ..Default::default()
                    },
                };
                let library = if unavailable(&obs).is_some() || obs.outcome == "bridge_failure" {
                    None
                } else if obs.outcome == "timeout" {
                    timeouts.push(format!("{}={}", probe.field, probe.value));
                    None
                } else {
                    let sigs = signals(&obs, &expect, &baseline);
                    let mut fires = false;
                    for s in &sigs {
                        if self
                            .accepts(&attribution, s.message.as_deref())
                            .unwrap_or(true)
                        {
                            fires = true;
                            break;
                        }
                    }
                    if !fires && error_signal(&obs).is_some() {
                        // Rejected by another check before the library reached this rule's:
                        // the probe says nothing about this rule.
                        None
                    } else {
                        Some(fires)
                    }
                };
                let observed = self.summarize(&obs, &expect, &baseline, &attribution);
                if library.is_some_and(|l| l != predicate) {
                    disagreements.push(format!(
                        "{}={} ({}): predicate {}, library {} ({} on {})",
                        probe.field,
                        probe.value,
                        probe.origin,
                        if predicate { "holds" } else { "does not hold" },
                        if predicate {
                            "does not show it"
                        } else {
                            "shows it"
                        },
                        observed.outcome,
                        observed.channel,
                    ));
                }
                verdict.probes.push(ProbeResult {
                    field: probe.field,
                    value: probe.value,
                    origin: probe.origin,
                    predicate,
                    library,
                    observed,
                });
            }
            let (agreed, judged, unverified) = verdict.probe_counts();
            verdict
                .checks
                .push(if disagreements.is_empty() && timeouts.is_empty() {
                    check(
                        Check::E,
                        Status::Pass,
                        format!("{agreed}/{judged} probes agree ({unverified} unverified)"),
                    )
                } else {
                    let mut detail = format!("{agreed}/{judged} probes agree");
                    if !timeouts.is_empty() {
                        detail.push_str(&format!("; timed out: {}", timeouts.join(", ")));
                    }
                    let more = disagreements.len().saturating_sub(SHOWN_DISAGREEMENTS);
                    disagreements.truncate(SHOWN_DISAGREEMENTS);
                    if !disagreements.is_empty() {
                        detail.push_str("; ");
                        detail.push_str(&disagreements.join("; "));
                    }
                    if more > 0 {
                        detail.push_str(&format!("; and {more} more"));
                    }
                    check(Check::E, Status::Fail, detail)
                });
        } else {
            verdict.checks.push(check(
                Check::E,
                Status::Skipped,
                "probes need an anchor: the positive must show the outcome (a) with the rule's message (c) and satisfy the predicate (d)",
            ));
        }
        verdict.checks.sort_by_key(|c| c.check);
        verdict.positive = Some(pos_summary);
        verdict.negative = Some(neg_summary);
        if !verdict.failed().is_empty() {
            verdict.class = Class::Divergent;
        }
        verdict
    }

    /// A replay problem: a timeout, an exception raised outside the library's code (the kwargs
    /// do not fit the constructor), or a programming error the rule's message does not name.
    fn unexpected(
        &mut self,
        obs: &Observation,
        matcher: &Matcher,
        target: &Target,
    ) -> Option<String> {
        if obs.outcome == "timeout" {
            return Some(format!("timed out after {} s", target.timeout_s));
        }
        let exc = obs.exception.as_ref()?;
        let inside = exc
            .origin
            .as_deref()
            .is_some_and(|o| o == target.package || o.starts_with(&format!("{}.", target.package)));
        if !inside {
            return Some(format!(
                "{} raised outside the library (from `{}`): {}",
                exc.kind,
                exc.origin.as_deref().unwrap_or("?"),
                clip(&exc.message)
            ));
        }
        if PROGRAMMING_ERRORS.contains(&exc.kind.as_str())
            && !self.accepts(matcher, Some(&exc.message)).unwrap_or(false)
        {
            return Some(format!("unexpected {}: {}", exc.kind, clip(&exc.message)));
        }
        None
    }

    /// What a case shows, for the report: the first signal of the expected kind (preferring one
    /// the matcher accepts), else whatever else the library did.
    fn summarize(
        &mut self,
        obs: &Observation,
        expect: &Expect,
        baseline: &[String],
        matcher: &Matcher,
    ) -> CaseSummary {
        if let Some(why) = unavailable(obs) {
            return CaseSummary {
                outcome: "unavailable".to_owned(),
                channel: "none".to_owned(),
                message: Some(why),
                exception_type: obs.exception.as_ref().map(|e| e.kind.clone()),
            };
        }
        if obs.outcome == "timeout" {
            return CaseSummary {
                outcome: "timeout".to_owned(),
                channel: "none".to_owned(),
                message: None,
                exception_type: None,
            };
        }
        let sigs = signals(obs, expect, baseline);
        let mut chosen = None;
        for s in &sigs {
            if self.accepts(matcher, s.message.as_deref()).unwrap_or(false) {
                chosen = Some(s.clone());
                break;
            }
        }
        let chosen = chosen
            .or_else(|| sigs.first().cloned())
            .or_else(|| other_signal(obs, baseline));
        match chosen {
            Some(s) => CaseSummary {
                outcome: s.outcome.to_owned(),
                channel: s.channel,
                message: s.message,
                exception_type: s.exception_type,
            },
            None => CaseSummary {
                outcome: "pass".to_owned(),
                channel: "none".to_owned(),
                message: None,
                exception_type: None,
            },
        }
    }
}

fn matcher_name(m: &Matcher) -> &'static str {
    match m {
        Matcher::Regex(_) => "replay_match",
        Matcher::Template(_) => "message_template",
        Matcher::Any => "(no message)",
    }
}

fn describe(expect: &Expect) -> String {
    match expect {
        Expect::Error => "error on runtime_exception".to_owned(),
        Expect::Emission(Some(c)) => format!("warn on {}", channel_name(c)),
        Expect::Emission(None) => "warn on warnings_warn or logger_warning".to_owned(),
        Expect::Minor(f) => format!("dormant on minor_issues_dict for {}", f.join(", ")),
        Expect::Normalised(f) => format!("dormant (silent normalisation) of {}", f.join(", ")),
    }
}

fn channel_name(channel: &str) -> String {
    match channel {
        "warnings" => "warnings_warn".to_owned(),
        "logger" => "logger_warning".to_owned(),
        other => other.to_owned(),
    }
}

/// Why a case cannot be evaluated here (a missing dependency), if so.
fn unavailable(obs: &Observation) -> Option<String> {
    let exc = obs.exception.as_ref();
    if let Some(dep) = exc.and_then(|e| e.missing_dependency.as_deref()) {
        return Some(format!(
            "needs `{dep}`, which is not installed ({}: {})",
            exc.map(|e| e.kind.as_str()).unwrap_or("?"),
            exc.map(|e| clip(&e.message)).unwrap_or_default()
        ));
    }
    (obs.outcome == "unavailable").then(|| {
        format!(
            "the class cannot be imported: {}",
            exc.map(|e| clip(&e.message)).unwrap_or_default()
        )
    })
}

/// Whether the exception is the strict aggregation of the minor issues (`validate(strict=True)`).
fn is_aggregate(obs: &Observation) -> bool {
    let Some(exc) = &obs.exception else {
        return false;
    };
    obs.phase == "validate"
        && !obs.minor_issues.is_empty()
        && obs
            .minor_issues
            .values()
            .all(|t| exc.message.contains(t.as_str()))
}

fn error_signal(obs: &Observation) -> Option<Signal> {
    let exc = obs.exception.as_ref()?;
    (obs.outcome == "error" && !is_aggregate(obs)).then(|| Signal {
        outcome: "error",
        channel: "runtime_exception".to_owned(),
        message: Some(exc.message.clone()),
        exception_type: Some(exc.kind.clone()),
    })
}

fn emission_signals(obs: &Observation, channel: Option<&str>, baseline: &[String]) -> Vec<Signal> {
    obs.emissions
        .iter()
        .filter(|e| matches!(e.channel.as_str(), "warnings" | "logger"))
        .filter(|e| channel.is_none_or(|c| c == e.channel))
        .filter(|e| !baseline.contains(&e.message))
        .map(|e| Signal {
            outcome: "warn",
            channel: channel_name(&e.channel),
            message: Some(e.message.clone()),
            exception_type: None,
        })
        .collect()
}

/// The signals of the expected kind a case shows.
fn signals(obs: &Observation, expect: &Expect, baseline: &[String]) -> Vec<Signal> {
    if matches!(
        obs.outcome.as_str(),
        "timeout" | "unavailable" | "bridge_failure"
    ) {
        return Vec::new();
    }
    match expect {
        Expect::Error => error_signal(obs).into_iter().collect(),
        Expect::Emission(channel) => emission_signals(obs, *channel, baseline),
        Expect::Minor(fields) => fields
            .iter()
            .filter_map(|f| {
                obs.minor_issues.get(f).map(|t| Signal {
                    outcome: "dormant",
                    channel: "minor_issues_dict".to_owned(),
                    message: Some(t.clone()),
                    exception_type: None,
                })
            })
            .collect(),
        Expect::Normalised(fields) => fields
            .iter()
            .filter(|f| obs.normalised.contains_key(f.as_str()))
            .map(|_| Signal {
                outcome: "dormant",
                channel: "none".to_owned(),
                message: None,
                exception_type: None,
            })
            .collect(),
    }
}

/// The most telling signal of any kind (for reports when the expected kind is missing).
fn other_signal(obs: &Observation, baseline: &[String]) -> Option<Signal> {
    if let Some(s) = error_signal(obs) {
        return Some(s);
    }
    if let Some((field, text)) = obs.minor_issues.iter().next() {
        return Some(Signal {
            outcome: "dormant",
            channel: "minor_issues_dict".to_owned(),
            message: Some(format!("{field}: {text}")),
            exception_type: None,
        });
    }
    if let Some(s) = emission_signals(obs, None, baseline).into_iter().next() {
        return Some(s);
    }
    obs.normalised.iter().next().map(|(field, n)| Signal {
        outcome: "dormant",
        channel: "none".to_owned(),
        message: Some(format!("{field} normalised: {n}")),
        exception_type: None,
    })
}

/// A message shortened for one-line reports.
fn clip(text: &str) -> String {
    let one_line = super::message::normalise(text);
    if one_line.chars().count() <= 300 {
        return one_line;
    }
    let cut: String = one_line.chars().take(300).collect();
    format!("{cut}...")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::gate::model::ExceptionInfo;

    const SCHEMA: &str = "schema_version: 1\nengine: e\nlibrary: e\nlibrary_version: 1.0.0\nsections:\n  s: e.T\nnative_types:\n  e.T:\n    fields:\n      size: {type: \"int\", default: 1}\n";

    /// A library in Rust: `T(size)` raises when size > 5 and needs a missing module when
    /// size == -1.
    struct Fake;

    impl Observer for Fake {
        fn observe(
            &mut self,
            _target: &Target,
            kwargs: &Map<String, Json>,
        ) -> Result<Observation, String> {
            let size = kwargs.get("size").and_then(Json::as_i64).unwrap_or(1);
            let exception = |message: String, missing: Option<&str>| ExceptionInfo {
                kind: if missing.is_some() {
                    "NameError"
                } else {
                    "ValueError"
                }
                .to_owned(),
                message,
                origin: Some("e.core".to_owned()),
                missing_dependency: missing.map(str::to_owned),
            };
            let exception = match size {
                -1 => Some(exception(
                    "name 'torch' is not defined".to_owned(),
                    Some("torch"),
                )),
                s if s > 5 => Some(exception(format!("`size` is too large: {s}"), None)),
                _ => None,
            };
            Ok(Observation {
                outcome: if exception.is_some() { "error" } else { "ok" }.to_owned(),
                phase: "construct".to_owned(),
                exception,
                ..Observation::default()
            })
        }

        fn regex_search(&mut self, _pattern: &str, _text: &str) -> Result<bool, String> {
            Err("no regex in this test".to_owned())
        }
    }

    fn rule(id: &str, when: &str, pos: i64, neg: i64) -> String {
        format!(
            "- id: {id}\n  engine: e\n  severity: error\n  native_type: e.T\n  when: '{when}'\n  message_template: '`size` is too large: {{size}}'\n  kwargs_positive: {{size: {pos}}}\n  kwargs_negative: {{size: {neg}}}\n  expected_outcome: {{outcome: error, emission_channel: runtime_exception}}\n"
        )
    }

    #[test]
    fn confirms_right_rules_and_finds_the_wrong_threshold() {
        let corpus = format!(
            "schema_version: 1.1.0\nengine: e\nengine_version: 1.0.0\nrules:\n{}{}{}",
            rule("right", "size > 5", 6, 5),
            rule("off_by_one", "size >= 5", 6, 1),
            rule("needs_torch", "size > 5", 6, -1),
        );
        let targets = BTreeMap::from([(
            "e.T".to_owned(),
            Target {
                module: "e.core".to_owned(),
                class: "T".to_owned(),
                package: "e".to_owned(),
                timeout_s: 1.0,
                minor_issues_variable: "minor_issues".to_owned(),
            },
        )]);
        let input = GateInput {
            engine: "e",
            version: "1.0.0",
            corpus_name: "c.yaml",
            corpus_text: &corpus,
            schema: ("schema.yaml", SCHEMA),
            targets: &targets,
        };
        let report = gate_corpus(&input, &mut Fake).unwrap();
        let got: Vec<(&str, Class, Vec<Check>)> = report
            .rules
            .iter()
            .map(|r| (r.id.as_str(), r.class, r.failed()))
            .collect();
        assert_eq!(
            got,
            [
                ("needs_torch", Class::Unverified, vec![]),
                ("off_by_one", Class::Divergent, vec![Check::E]),
                ("right", Class::Confirmed, vec![]),
            ]
        );
        let right = &report.rules[2];
        assert_eq!(right.probe_counts(), (3, 3, 0));
        assert!(
            report.rules[0]
                .unverified_reason
                .as_deref()
                .unwrap()
                .contains("needs `torch`")
        );
    }
}
