//! A rule as the gate judges it, read through the corpus model: what it expects the library to
//! show, on which channel, and how the library's message is attributed to it.

use super::model::Emitter;
use llemc_compiler::corpus::{EmissionChannel, Rule, RuleDoc, RuleSeverity, Stage};
use llemc_grammar::ast::Span;
use serde_json::{Map, Value as Json};

/// The kind of signal a rule expects from the library.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Expect {
    /// An exception (not the strict aggregation of minor issues).
    Error,
    /// A warning or log record from one emitter (`None`: either).
    Emission(Option<Emitter>),
    /// A minor issue recorded for one of the fields.
    Minor(Vec<String>),
    /// A silent normalisation of one of the fields.
    Normalised(Vec<String>),
}

impl Expect {
    /// What is expected, for reports.
    pub fn describe(&self) -> String {
        match self {
            Expect::Error => "error on runtime_exception".to_owned(),
            Expect::Emission(Some(e)) => format!("warn on {}", e.channel().as_str()),
            Expect::Emission(None) => "warn on warnings_warn or logger_warning".to_owned(),
            Expect::Minor(f) => format!("dormant on minor_issues_dict for {}", f.join(", ")),
            Expect::Normalised(f) => format!("dormant (silent normalisation) of {}", f.join(", ")),
        }
    }
}

/// How observed messages are attributed to the rule.
#[derive(Clone, Debug)]
pub(crate) enum Matcher {
    /// The rule's `replay_match` regex.
    Regex(String),
    /// The rule's message template read as a pattern.
    Template(String),
    /// The rule has no message: every signal counts.
    Any,
}

impl Matcher {
    /// The key the matcher comes from, for reports.
    pub fn name(&self) -> &'static str {
        match self {
            Matcher::Regex(_) => "replay_match",
            Matcher::Template(_) => "message_template",
            Matcher::Any => "(no message)",
        }
    }
}

/// The keys of a rule the gate reads.
pub(crate) struct GateRule {
    pub id: String,
    /// Where the id is written in the corpus.
    pub span: Span,
    pub severity: RuleSeverity,
    pub native_type: String,
    pub channel: Option<EmissionChannel>,
    pub normalised_fields: Vec<String>,
    pub subject: Option<String>,
    pub template: Option<String>,
    pub replay_match: Option<String>,
    pub stage: Stage,
    pub positive: Map<String, Json>,
    pub negative: Map<String, Json>,
}

impl GateRule {
    /// The gate's view of a rule read from the corpus.
    pub fn new(rule: &Rule) -> GateRule {
        let doc = RuleDoc::from_rule(rule);
        let text = |s: &Option<llemc_compiler::corpus::Spanned<String>>| {
            s.as_ref().map(|s| s.value.clone())
        };
        GateRule {
            id: rule.id.value.clone(),
            span: rule.id.span,
            severity: rule.severity.value,
            native_type: text(&rule.native_type).unwrap_or_default(),
            channel: rule
                .expected_outcome
                .as_ref()
                .map(|o| o.emission_channel.value),
            normalised_fields: rule
                .expected_outcome
                .as_ref()
                .map(|o| o.normalised_names())
                .unwrap_or_default(),
            subject: rule.subject.as_ref().map(|s| s.value.dotted()),
            template: text(&rule.message_template),
            replay_match: text(&rule.replay_match),
            stage: rule.stage.as_ref().map(|s| s.value).unwrap_or_default(),
            positive: doc.positive_json(),
            negative: doc.negative_json(),
        }
    }

    /// The signal the rule expects; `fields` are the fields it is about.
    pub fn expect(&self, fields: impl FnOnce() -> Vec<String>) -> Expect {
        let emission = || match self.channel {
            Some(EmissionChannel::WarningsWarn) => Expect::Emission(Some(Emitter::Warnings)),
            Some(EmissionChannel::LoggerWarning | EmissionChannel::LoggerWarningOnce) => {
                Expect::Emission(Some(Emitter::Logger))
            }
            _ => Expect::Emission(None),
        };
        match self.severity {
            RuleSeverity::Error => Expect::Error,
            RuleSeverity::Warn => emission(),
            RuleSeverity::Dormant => match self.channel {
                Some(EmissionChannel::MinorIssuesDict) => Expect::Minor(fields()),
                Some(
                    EmissionChannel::WarningsWarn
                    | EmissionChannel::LoggerWarning
                    | EmissionChannel::LoggerWarningOnce,
                ) => emission(),
                _ if self.normalised_fields.is_empty() => Expect::Normalised(fields()),
                _ => Expect::Normalised(self.normalised_fields.clone()),
            },
        }
    }

    /// How the library's messages are attributed to the rule.
    pub fn matcher(&self) -> Matcher {
        match (&self.replay_match, &self.template) {
            (Some(r), _) => Matcher::Regex(r.clone()),
            (None, Some(t)) => Matcher::Template(t.clone()),
            (None, None) => Matcher::Any,
        }
    }
}
