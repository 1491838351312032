//! The gate's data: what `llemc_live.observe` reports, the checks, and the verdict per rule.

use llemc_compiler::corpus::{EmissionChannel, Stage};
use llemc_grammar::ast::Span;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a native type lives and how long one construction may take.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// Dotted module path.
    pub module: String,
    /// Class name.
    pub class: String,
    /// The library's top-level package: an exception raised outside it did not come from the
    /// library's checks.
    pub package: String,
    /// Per-phase timeout in seconds.
    pub timeout_s: f64,
    /// Name of the validator's minor-issue dict.
    pub minor_issues_variable: String,
    /// Where a case is observed: construction and validation, or on through a generation run.
    pub stage: Stage,
}

/// An exception the library raised.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct ExceptionInfo {
    /// Qualified exception type name.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// `str(exc)`.
    #[serde(default)]
    pub message: String,
    /// Module of the innermost frame that raised.
    #[serde(default)]
    pub origin: Option<String>,
    /// A dependency whose absence caused it (ImportError, NameError on `torch`), if any.
    #[serde(default)]
    pub missing_dependency: Option<String>,
}

/// Where the library emitted a record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Emitter {
    /// `warnings.warn`.
    #[default]
    Warnings,
    /// A `logging` logger.
    Logger,
    /// `print` to stdout.
    Print,
}

impl Emitter {
    /// The corpus channel of a record from this emitter.
    pub fn channel(self) -> EmissionChannel {
        match self {
            Emitter::Warnings => EmissionChannel::WarningsWarn,
            Emitter::Logger => EmissionChannel::LoggerWarning,
            Emitter::Print => EmissionChannel::None,
        }
    }
}

/// The phase of a construction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// The constructor.
    #[default]
    Construct,
    /// The `validate()` call after it.
    Validate,
    /// The engine's run on the constructed config (transformers' `generate()`).
    Generate,
}

impl Phase {
    /// The name the bridge reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Construct => "construct",
            Phase::Validate => "validate",
            Phase::Generate => "generate",
        }
    }
}

/// How a construction ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ended {
    /// It returned.
    #[default]
    Ok,
    /// It raised.
    Error,
    /// It did not return in time.
    Timeout,
    /// The class cannot be imported here.
    Unavailable,
    /// The bridge to the interpreter failed (set by the gate, never by the library).
    BridgeFailure,
}

/// A warning or log record.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct Emission {
    /// Who emitted it.
    #[serde(default)]
    pub channel: Emitter,
    /// Level (`warning`, `error`, ...).
    #[serde(default)]
    pub level: String,
    /// The text.
    #[serde(default)]
    pub message: String,
    /// The phase it was emitted in.
    #[serde(default)]
    pub phase: Option<Phase>,
}

/// One `llemc_live.observe` report (the keys the gate reads).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct Observation {
    /// How it ended.
    #[serde(default)]
    pub outcome: Ended,
    /// The phase it ended in.
    #[serde(default)]
    pub phase: Phase,
    /// The exception, if any.
    #[serde(default)]
    pub exception: Option<ExceptionInfo>,
    /// Warnings and log records, in order.
    #[serde(default)]
    pub emissions: Vec<Emission>,
    /// Minor issues by field.
    #[serde(default)]
    pub minor_issues: BTreeMap<String, String>,
    /// Normalised fields: `{passed, after}` each.
    #[serde(default)]
    pub normalised: BTreeMap<String, serde_json::Value>,
}

/// The checks of the gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Check {
    /// The cases could be replayed (no timeout, no exception outside the library's checks).
    #[serde(rename = "replay")]
    Replay,
    /// The positive shows the expected outcome.
    #[serde(rename = "a")]
    A,
    /// The negative does not.
    #[serde(rename = "b")]
    B,
    /// The message matches.
    #[serde(rename = "c")]
    C,
    /// The predicate holds on the positive and not on the negative.
    #[serde(rename = "d")]
    D,
    /// Boundary probes agree.
    #[serde(rename = "e")]
    E,
}

impl Check {
    /// Short name as written in reports.
    pub fn name(self) -> &'static str {
        match self {
            Check::Replay => "replay",
            Check::A => "a",
            Check::B => "b",
            Check::C => "c",
            Check::D => "d",
            Check::E => "e",
        }
    }

    /// What the check asks.
    pub fn title(self) -> &'static str {
        match self {
            Check::Replay => "cases replay",
            Check::A => "positive shows the outcome",
            Check::B => "negative does not",
            Check::C => "message matches",
            Check::D => "predicate agrees with kwargs",
            Check::E => "boundary probes agree",
        }
    }
}

/// The result of one check.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CheckResult {
    /// Which check.
    pub check: Check,
    /// `pass`, `fail` or `skipped`.
    pub status: Status,
    /// Evidence or the reason it was skipped.
    pub detail: String,
}

/// Status of a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// It held.
    Pass,
    /// It did not.
    Fail,
    /// It could not be judged (what it needs failed first).
    Skipped,
}

impl Status {
    /// As written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Skipped => "skipped",
        }
    }
}

/// What the library showed in one case, as the gate reads it for one rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shown {
    /// It raised.
    Error,
    /// It warned.
    Warn,
    /// It ignored or normalised a value.
    Dormant,
    /// It accepted the kwargs silently.
    Pass,
    /// It did not return in time.
    Timeout,
    /// The case cannot be evaluated here.
    Unavailable,
}

impl Shown {
    /// As written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Shown::Error => "error",
            Shown::Warn => "warn",
            Shown::Dormant => "dormant",
            Shown::Pass => "pass",
            Shown::Timeout => "timeout",
            Shown::Unavailable => "unavailable",
        }
    }
}

/// What the library did in one case, as the gate reads it for one rule.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CaseSummary {
    /// What it showed.
    pub outcome: Shown,
    /// Where it said so.
    pub channel: EmissionChannel,
    /// The message observed (exception, emission or minor issue), if any.
    pub message: Option<String>,
    /// Exception type, when one was raised.
    pub exception_type: Option<String>,
}

/// One boundary probe and both verdicts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProbeResult {
    /// The field changed (dotted inside the native type).
    pub field: String,
    /// The value given to it.
    pub value: serde_json::Value,
    /// Why the probe exists (`threshold 0`, `member "x"`, ...).
    pub origin: String,
    /// Whether llemc's predicate holds.
    pub predicate: bool,
    /// Whether the library showed the rule's outcome (`None`: could not be evaluated).
    pub library: Option<bool>,
    /// What the library did.
    pub observed: CaseSummary,
}

/// How a rule came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// Every check passed: it ships.
    Confirmed,
    /// Some check failed: quarantined.
    Divergent,
    /// The replay cannot run here (a dependency is missing, or it needs more than a
    /// constructor): not shipped.
    Unverified,
}

/// The gate's verdict on one rule.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleVerdict {
    /// Rule id.
    pub id: String,
    /// Where the rule's id is written in the corpus.
    #[serde(skip)]
    pub span: Span,
    /// Native type.
    pub native_type: String,
    /// Outcome class.
    pub class: Class,
    /// Every check, in order.
    pub checks: Vec<CheckResult>,
    /// The positive case.
    pub positive: Option<CaseSummary>,
    /// The negative case.
    pub negative: Option<CaseSummary>,
    /// Boundary probes.
    pub probes: Vec<ProbeResult>,
    /// Why it is unverified.
    pub unverified_reason: Option<String>,
}

impl RuleVerdict {
    /// The checks that failed.
    pub fn failed(&self) -> Vec<Check> {
        self.checks
            .iter()
            .filter(|c| c.status == Status::Fail)
            .map(|c| c.check)
            .collect()
    }

    /// Probes both sides judged, and how many of them agreed.
    pub fn probe_counts(&self) -> (usize, usize, usize) {
        let judged = self.probes.iter().filter(|p| p.library.is_some()).count();
        let agreed = self
            .probes
            .iter()
            .filter(|p| p.library == Some(p.predicate))
            .count();
        (agreed, judged, self.probes.len() - judged)
    }
}

/// The gate's verdict on a corpus.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GateReport {
    /// Engine.
    pub engine: String,
    /// Library version.
    pub version: String,
    /// Verdicts, sorted by rule id.
    pub rules: Vec<RuleVerdict>,
}

impl GateReport {
    /// Number of rules in `class`.
    pub fn count(&self, class: Class) -> usize {
        self.rules.iter().filter(|r| r.class == class).count()
    }
}
