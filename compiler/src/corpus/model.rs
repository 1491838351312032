//! The in-memory form of a rule corpus, as read from YAML, with the span of every piece.

use crate::diagnostic::FileId;
use crate::yaml::Node;
use llemc_grammar::ast::{Expr, FieldPath, Span};

/// A value together with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Byte range of the value in its file.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// Pairs a value with its span.
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

/// A whole corpus file: the envelope and its rules, in file order.
#[derive(Clone, Debug, PartialEq)]
pub struct Corpus {
    /// The file it was read from.
    pub file: FileId,
    /// `schema_version` (major 1).
    pub schema_version: Spanned<String>,
    /// `engine` of the envelope.
    pub engine: Spanned<String>,
    /// `engine_version` of the envelope, if given.
    pub engine_version: Option<Spanned<String>>,
    /// The rules that could be read (a rule with a structural error is left out and reported).
    pub rules: Vec<Rule>,
}

/// How severe a rule's finding is.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum RuleSeverity {
    /// The library rejects the config.
    Error,
    /// The library warns.
    Warn,
    /// The library ignores or normalises the value.
    Dormant,
}

impl RuleSeverity {
    /// Every severity, in the corpus format's order.
    pub const ALL: [RuleSeverity; 3] = [
        RuleSeverity::Error,
        RuleSeverity::Warn,
        RuleSeverity::Dormant,
    ];

    /// The severity spelled `text`, if any.
    pub fn parse(text: &str) -> Option<RuleSeverity> {
        RuleSeverity::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The corpus spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleSeverity::Error => "error",
            RuleSeverity::Warn => "warn",
            RuleSeverity::Dormant => "dormant",
        }
    }
}

/// `expected_outcome.outcome`: what the library does with a config the rule fires on.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The value is ignored or normalised without a word.
    DormantSilent,
    /// The value is ignored or normalised, and the library says so.
    DormantAnnounced,
    /// The library warns.
    Warn,
    /// The library raises.
    Error,
    /// The library accepts the config as it is.
    Pass,
}

impl Outcome {
    /// Every outcome, in the corpus format's order.
    pub const ALL: [Outcome; 5] = [
        Outcome::DormantSilent,
        Outcome::DormantAnnounced,
        Outcome::Warn,
        Outcome::Error,
        Outcome::Pass,
    ];

    /// The corpus spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::DormantSilent => "dormant_silent",
            Outcome::DormantAnnounced => "dormant_announced",
            Outcome::Warn => "warn",
            Outcome::Error => "error",
            Outcome::Pass => "pass",
        }
    }

    /// The outcome spelled `text`, if any.
    pub fn parse(text: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == text)
    }
}

/// `expected_outcome.emission_channel`: where the library says what it does.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum EmissionChannel {
    /// `warnings.warn`.
    WarningsWarn,
    /// `logger.warning`.
    LoggerWarning,
    /// `logger.warning_once` (once per process).
    LoggerWarningOnce,
    /// The validator's dict of minor issues (logged, raised under strict validation).
    MinorIssuesDict,
    /// Nothing is said.
    None,
    /// An exception.
    RuntimeException,
}

impl EmissionChannel {
    /// Every channel, in the corpus format's order.
    pub const ALL: [EmissionChannel; 6] = [
        EmissionChannel::WarningsWarn,
        EmissionChannel::LoggerWarning,
        EmissionChannel::LoggerWarningOnce,
        EmissionChannel::MinorIssuesDict,
        EmissionChannel::None,
        EmissionChannel::RuntimeException,
    ];

    /// The corpus spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            EmissionChannel::WarningsWarn => "warnings_warn",
            EmissionChannel::LoggerWarning => "logger_warning",
            EmissionChannel::LoggerWarningOnce => "logger_warning_once",
            EmissionChannel::MinorIssuesDict => "minor_issues_dict",
            EmissionChannel::None => "none",
            EmissionChannel::RuntimeException => "runtime_exception",
        }
    }

    /// The channel spelled `text`, if any.
    pub fn parse(text: &str) -> Option<EmissionChannel> {
        EmissionChannel::ALL
            .into_iter()
            .find(|c| c.as_str() == text)
    }
}

/// `stage`: where in a run the library shows the rule's behaviour, and so where the validation
/// gate replays it.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Constructing the native type (its `__init__`, and what `__init__` calls).
    #[default]
    Construct,
    /// The native type's `validate()` (strict).
    Validate,
    /// The engine's run on a constructed and validated config (transformers' `generate()`).
    Generate,
}

impl Stage {
    /// Every stage, in the order a run reaches them.
    pub const ALL: [Stage; 3] = [Stage::Construct, Stage::Validate, Stage::Generate];

    /// The corpus spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Construct => "construct",
            Stage::Validate => "validate",
            Stage::Generate => "generate",
        }
    }

    /// The stage spelled `text`, if any.
    pub fn parse(text: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// `added_by` / `cross_validated_by`: the source that proposed a rule.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum AddedBy {
    /// The static miner (library source).
    StaticMiner,
    /// The dynamic miner (probing constructors).
    DynamicMiner,
    /// The pydantic lift.
    PydanticLift,
    /// The msgspec lift.
    MsgspecLift,
    /// The dataclass lift.
    DataclassLift,
    /// A rule written by hand.
    ManualSeed,
    /// A warning seen on a real run.
    RuntimeWarning,
    /// A collision observed on a real run.
    ObservedCollision,
    /// The v1 loader's static miner.
    AstWalker,
    /// The v1 loader's introspection.
    Introspection,
}

impl AddedBy {
    /// Every source, in the corpus format's order.
    pub const ALL: [AddedBy; 10] = [
        AddedBy::StaticMiner,
        AddedBy::DynamicMiner,
        AddedBy::PydanticLift,
        AddedBy::MsgspecLift,
        AddedBy::DataclassLift,
        AddedBy::ManualSeed,
        AddedBy::RuntimeWarning,
        AddedBy::ObservedCollision,
        AddedBy::AstWalker,
        AddedBy::Introspection,
    ];

    /// The corpus spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AddedBy::StaticMiner => "static_miner",
            AddedBy::DynamicMiner => "dynamic_miner",
            AddedBy::PydanticLift => "pydantic_lift",
            AddedBy::MsgspecLift => "msgspec_lift",
            AddedBy::DataclassLift => "dataclass_lift",
            AddedBy::ManualSeed => "manual_seed",
            AddedBy::RuntimeWarning => "runtime_warning",
            AddedBy::ObservedCollision => "observed_collision",
            AddedBy::AstWalker => "ast_walker",
            AddedBy::Introspection => "introspection",
        }
    }

    /// The source spelled `text`, if any.
    pub fn parse(text: &str) -> Option<AddedBy> {
        AddedBy::ALL.into_iter().find(|a| a.as_str() == text)
    }

    /// Whether the rule's message is the library's own observed text.
    pub fn is_observed(self) -> bool {
        matches!(
            self,
            AddedBy::DynamicMiner | AddedBy::RuntimeWarning | AddedBy::ObservedCollision
        )
    }
}

/// Which of the two rule shapes a rule was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleShape {
    /// LLenergyMeasure schema 1.x with `native_type`, kwargs and `expected_outcome`.
    V1,
    /// The leaner 0.7.0 shape with a `provenance` block.
    V070,
}

/// One rule of a corpus.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// `id`, unique in the corpus.
    pub id: Spanned<String>,
    /// The span of the rule's whole mapping.
    pub span: Span,
    /// Which shape the rule was written in.
    pub shape: RuleShape,
    /// `engine` (must equal the envelope's).
    pub engine: Spanned<String>,
    /// `severity`.
    pub severity: Spanned<RuleSeverity>,
    /// `native_type`, e.g. `transformers.GenerationConfig` (absent in the 0.7.0 shape).
    pub native_type: Option<Spanned<String>>,
    /// `library` (defaults to the engine).
    pub library: Option<Spanned<String>>,
    /// `rule_under_test`: one-line description.
    pub rule_under_test: Option<Spanned<String>>,
    /// The predicate, both spellings combined.
    pub predicate: Predicate,
    /// `when:` as written (the text [`Predicate::when`] was parsed from).
    pub when_text: Option<Spanned<String>>,
    /// `match:` as written (the mapping [`Predicate::match_fields`] were lowered from).
    pub match_node: Option<Node>,
    /// `subject:` — the field the rule is about, if named explicitly.
    pub subject: Option<Spanned<FieldPath>>,
    /// `message_template`.
    pub message_template: Option<Spanned<String>>,
    /// File offset of each byte of the decoded template (diagnostics point inside it).
    pub message_template_offsets: Vec<u32>,
    /// `replay_match`: a regex the library's own text must match when replayed (the gate reads
    /// it instead of the message template).
    pub replay_match: Option<Spanned<String>>,
    /// `stage`: where the library shows the behaviour (construct when not written); the gate
    /// replays the rule's examples there.
    pub stage: Option<Spanned<Stage>>,
    /// `kwargs_positive`: constructor kwargs that make the library exhibit the behaviour.
    pub kwargs_positive: Option<Node>,
    /// `kwargs_negative`: nearby kwargs that must not.
    pub kwargs_negative: Option<Node>,
    /// `expected_outcome`.
    pub expected_outcome: Option<ExpectedOutcome>,
    /// `miner_source`: where in the library the rule comes from.
    pub miner_source: Option<MinerSource>,
    /// `added_by` (default `manual_seed`).
    pub added_by: Spanned<AddedBy>,
    /// `cross_validated_by`.
    pub cross_validated_by: Vec<Spanned<AddedBy>>,
    /// `references`, kept as written (informational).
    pub references: Option<Node>,
    /// `added_at`, kept as written (informational).
    pub added_at: Option<Node>,
    /// `versions`: PEP 440 specifier of the library versions the rule holds for.
    pub versions: Option<Spanned<String>>,
    /// `provenance` (0.7.0 shape), kept as written.
    pub provenance: Option<Node>,
    /// `observations`: what the library did when the validation gate replayed the rule, kept as
    /// written (informational).
    pub observations: Option<Node>,
    /// Every other key, kept as written (informational).
    pub extra: Vec<(Spanned<String>, Node)>,
}

/// The predicate of a rule: the `match.fields` tests, the `when:` expression, and the two ANDed.
#[derive(Clone, Debug, PartialEq)]
pub struct Predicate {
    /// The map-spelling entries in written order.
    pub match_fields: Vec<MatchField>,
    /// The textual spelling, parsed, with spans relative to the corpus file.
    pub when: Option<Expr>,
    /// Everything ANDed into one expression (spans relative to the corpus file).
    pub expr: Expr,
}

/// One `match.fields` entry: a field path and the tests on it.
#[derive(Clone, Debug, PartialEq)]
pub struct MatchField {
    /// The field path as written (a mapping key).
    pub path: Spanned<FieldPath>,
    /// The entry as one expression (an `And` when the operator map has several operators).
    pub expr: Expr,
}

/// `expected_outcome`.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpectedOutcome {
    /// `outcome`.
    pub outcome: Spanned<Outcome>,
    /// `emission_channel`.
    pub emission_channel: Spanned<EmissionChannel>,
    /// `normalised_fields` as written (list or mapping).
    pub normalised_fields: Option<Node>,
}

impl ExpectedOutcome {
    /// The fields `normalised_fields` names (the list's items, or the mapping's keys).
    pub fn normalised_names(&self) -> Vec<String> {
        let Some(node) = &self.normalised_fields else {
            return Vec::new();
        };
        match (node.as_seq(), node.as_map()) {
            (Some(items), _) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect(),
            (_, Some(entries)) => entries
                .iter()
                .filter_map(|(k, _)| k.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// `miner_source`.
#[derive(Clone, Debug, PartialEq)]
pub struct MinerSource {
    /// Path of the library source file.
    pub path: Option<Spanned<String>>,
    /// Method the rule was found in.
    pub method: Option<Spanned<String>>,
    /// Line number at the time of the scan.
    pub line: Option<Spanned<i64>>,
    /// The dotted module a live miner imported the class from.
    pub module: Option<Spanned<String>>,
    /// The class a live miner introspected or probed.
    pub class: Option<Spanned<String>>,
    /// The field a lift read the constraint from.
    pub field: Option<Spanned<String>>,
    /// The probe cluster the dynamic miner inferred the rule from.
    pub cluster: Option<Spanned<String>>,
}
