//! A corpus as a document: every key of every rule with its plain value, no spans. A corpus read
//! with [`super::read_corpus`] converts into it ([`CorpusDoc::from_corpus`]); the pipeline builds
//! and edits rules in this form, and [`super::write`] turns it into text.

use super::model::{AddedBy, Corpus, EmissionChannel, Outcome, Rule, RuleSeverity, Stage};
use crate::yaml::Node;
use crate::yaml_out::Yaml;

/// A whole corpus: the envelope and its rules, in the order they are written.
#[derive(Clone, Debug, PartialEq)]
pub struct CorpusDoc {
    /// `schema_version`.
    pub schema_version: String,
    /// `engine`.
    pub engine: String,
    /// `engine_version`, when the corpus is for one version.
    pub engine_version: Option<String>,
    /// The rules.
    pub rules: Vec<RuleDoc>,
}

/// One rule: the keys of the corpus format, each `None` (or empty) when not written.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleDoc {
    /// `id`.
    pub id: String,
    /// `engine`.
    pub engine: String,
    /// `library`.
    pub library: Option<String>,
    /// `rule_under_test`.
    pub rule_under_test: Option<String>,
    /// `severity`.
    pub severity: RuleSeverity,
    /// `native_type`.
    pub native_type: Option<String>,
    /// `subject`.
    pub subject: Option<String>,
    /// `when`.
    pub when: Option<String>,
    /// `match`, as written.
    pub match_block: Option<Yaml>,
    /// `message_template`.
    pub message_template: Option<String>,
    /// `replay_match`.
    pub replay_match: Option<String>,
    /// `stage` (not written when absent: construct).
    pub stage: Option<Stage>,
    /// `miner_source`.
    pub miner_source: Option<SourceDoc>,
    /// `kwargs_positive`.
    pub kwargs_positive: Option<Yaml>,
    /// `kwargs_negative`.
    pub kwargs_negative: Option<Yaml>,
    /// `expected_outcome`.
    pub expected_outcome: Option<OutcomeDoc>,
    /// `added_by`.
    pub added_by: AddedBy,
    /// `cross_validated_by` (not written when empty).
    pub cross_validated_by: Vec<AddedBy>,
    /// `references`, as written.
    pub references: Option<Yaml>,
    /// `versions`.
    pub versions: Option<String>,
    /// `added_at`, as written.
    pub added_at: Option<Yaml>,
    /// `provenance` (0.7.0 shape), as written.
    pub provenance: Option<Yaml>,
    /// `observations`: what the validation gate saw the library do.
    pub observations: Option<Yaml>,
    /// Every other key, as written.
    pub extra: Vec<(String, Yaml)>,
}

/// `miner_source`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceDoc {
    /// `path`: the library source file.
    pub path: Option<String>,
    /// `method`.
    pub method: Option<String>,
    /// `line_at_scan`.
    pub line_at_scan: Option<i64>,
    /// `module` (live miners).
    pub module: Option<String>,
    /// `class` (live miners).
    pub class: Option<String>,
    /// `field` (lifts).
    pub field: Option<String>,
    /// `cluster` (dynamic miner).
    pub cluster: Option<String>,
}

/// `expected_outcome`.
#[derive(Clone, Debug, PartialEq)]
pub struct OutcomeDoc {
    /// `outcome`.
    pub outcome: Outcome,
    /// `emission_channel`.
    pub emission_channel: EmissionChannel,
    /// `normalised_fields`, as written (a list of fields or a mapping field: value).
    pub normalised_fields: Option<Yaml>,
}

impl RuleDoc {
    /// A rule with the required keys and nothing else.
    pub fn new(id: &str, engine: &str, severity: RuleSeverity, added_by: AddedBy) -> RuleDoc {
        RuleDoc {
            id: id.to_owned(),
            engine: engine.to_owned(),
            library: None,
            rule_under_test: None,
            severity,
            native_type: None,
            subject: None,
            when: None,
            match_block: None,
            message_template: None,
            replay_match: None,
            stage: None,
            miner_source: None,
            kwargs_positive: None,
            kwargs_negative: None,
            expected_outcome: None,
            added_by,
            cross_validated_by: Vec::new(),
            references: None,
            versions: None,
            added_at: None,
            provenance: None,
            observations: None,
            extra: Vec::new(),
        }
    }

    /// The document form of a rule read from a corpus file.
    pub fn from_rule(rule: &Rule) -> RuleDoc {
        let text = |s: &Option<super::model::Spanned<String>>| s.as_ref().map(|s| s.value.clone());
        let yaml = |n: &Option<Node>| n.as_ref().map(Yaml::from_node);
        RuleDoc {
            id: rule.id.value.clone(),
            engine: rule.engine.value.clone(),
            library: text(&rule.library),
            rule_under_test: text(&rule.rule_under_test),
            severity: rule.severity.value,
            native_type: text(&rule.native_type),
            subject: rule.subject.as_ref().map(|s| s.value.dotted()),
            when: text(&rule.when_text),
            match_block: yaml(&rule.match_node),
            message_template: text(&rule.message_template),
            replay_match: text(&rule.replay_match),
            stage: rule.stage.as_ref().map(|s| s.value),
            miner_source: rule.miner_source.as_ref().map(|m| SourceDoc {
                path: text(&m.path),
                method: text(&m.method),
                line_at_scan: m.line.as_ref().map(|l| l.value),
                module: text(&m.module),
                class: text(&m.class),
                field: text(&m.field),
                cluster: text(&m.cluster),
            }),
            kwargs_positive: yaml(&rule.kwargs_positive),
            kwargs_negative: yaml(&rule.kwargs_negative),
            expected_outcome: rule.expected_outcome.as_ref().map(|o| OutcomeDoc {
                outcome: o.outcome.value,
                emission_channel: o.emission_channel.value,
                normalised_fields: yaml(&o.normalised_fields),
            }),
            added_by: rule.added_by.value,
            cross_validated_by: rule.cross_validated_by.iter().map(|a| a.value).collect(),
            references: yaml(&rule.references),
            versions: text(&rule.versions),
            added_at: yaml(&rule.added_at),
            provenance: yaml(&rule.provenance),
            observations: yaml(&rule.observations),
            extra: rule
                .extra
                .iter()
                .map(|(k, v)| (k.value.clone(), Yaml::from_node(v)))
                .collect(),
        }
    }

    /// `kwargs_positive` as a JSON object (empty when absent or not a mapping).
    pub fn positive_json(&self) -> serde_json::Map<String, serde_json::Value> {
        json_object(self.kwargs_positive.as_ref())
    }

    /// `kwargs_negative` as a JSON object (empty when absent or not a mapping).
    pub fn negative_json(&self) -> serde_json::Map<String, serde_json::Value> {
        json_object(self.kwargs_negative.as_ref())
    }
}

/// A YAML mapping as a JSON object (empty for anything else).
fn json_object(value: Option<&Yaml>) -> serde_json::Map<String, serde_json::Value> {
    match value.map(Yaml::to_json) {
        Some(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}

impl CorpusDoc {
    /// The document form of a corpus read from a file.
    pub fn from_corpus(corpus: &Corpus) -> CorpusDoc {
        CorpusDoc {
            schema_version: corpus.schema_version.value.clone(),
            engine: corpus.engine.value.clone(),
            engine_version: corpus.engine_version.as_ref().map(|v| v.value.clone()),
            rules: corpus.rules.iter().map(RuleDoc::from_rule).collect(),
        }
    }
}
