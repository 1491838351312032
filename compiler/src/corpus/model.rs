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
    /// The corpus spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleSeverity::Error => "error",
            RuleSeverity::Warn => "warn",
            RuleSeverity::Dormant => "dormant",
        }
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
    /// `subject:` — the field the rule is about, if named explicitly.
    pub subject: Option<Spanned<FieldPath>>,
    /// `message_template`.
    pub message_template: Option<Spanned<String>>,
    /// File offset of each byte of the decoded template (diagnostics point inside it).
    pub message_template_offsets: Vec<u32>,
    /// `kwargs_positive`: constructor kwargs that make the library exhibit the behaviour.
    pub kwargs_positive: Option<Node>,
    /// `kwargs_negative`: nearby kwargs that must not.
    pub kwargs_negative: Option<Node>,
    /// `expected_outcome`.
    pub expected_outcome: Option<ExpectedOutcome>,
    /// `miner_source`: where in the library the rule comes from.
    pub miner_source: Option<MinerSource>,
    /// `added_by` (default `manual_seed`).
    pub added_by: Spanned<String>,
    /// `cross_validated_by`.
    pub cross_validated_by: Vec<Spanned<String>>,
    /// `versions`: PEP 440 specifier of the library versions the rule holds for.
    pub versions: Option<Spanned<String>>,
    /// `provenance` (0.7.0 shape), kept as written.
    pub provenance: Option<Node>,
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
    /// `outcome`: dormant_silent, dormant_announced, warn, error or pass.
    pub outcome: Spanned<String>,
    /// `emission_channel`.
    pub emission_channel: Spanned<String>,
    /// `normalised_fields` as written (list or mapping).
    pub normalised_fields: Option<Node>,
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
}
