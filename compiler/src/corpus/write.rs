//! Writing a corpus: the one place that turns a [`CorpusDoc`] into text.
//!
//! A rule's keys come in [`RULE_KEY_ORDER`], then every other key alphabetically; `miner_source`
//! and `expected_outcome` have their own fixed order. Values are written by [`crate::yaml_out`]
//! (short all-scalar collections inline, strings quoted only when needed). No timestamps: the
//! same document gives the same bytes.

use super::doc::{CorpusDoc, OutcomeDoc, RuleDoc, SourceDoc};
use crate::yaml_out::{self, Yaml};

/// Fixed key order of a written rule; other keys follow alphabetically.
pub const RULE_KEY_ORDER: [&str; 19] = [
    "id",
    "engine",
    "library",
    "rule_under_test",
    "severity",
    "stage",
    "native_type",
    "subject",
    "when",
    "match",
    "message_template",
    "replay_match",
    "miner_source",
    "kwargs_positive",
    "kwargs_negative",
    "expected_outcome",
    "added_by",
    "cross_validated_by",
    "references",
];

/// A corpus as text: `comment` as `# ` lines (none when empty), then the document.
pub fn write_corpus(comment: &str, doc: &CorpusDoc) -> String {
    let mut out = String::new();
    for line in comment.lines() {
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&yaml_out::to_string(&corpus_yaml(doc)));
    out
}

/// The corpus as a YAML value: the envelope, then `rules`.
pub fn corpus_yaml(doc: &CorpusDoc) -> Yaml {
    let mut entries = vec![
        ("schema_version".to_owned(), Yaml::str(&doc.schema_version)),
        ("engine".to_owned(), Yaml::str(&doc.engine)),
    ];
    if let Some(version) = &doc.engine_version {
        entries.push(("engine_version".to_owned(), Yaml::str(version)));
    }
    entries.push((
        "rules".to_owned(),
        Yaml::Seq(doc.rules.iter().map(rule_yaml).collect()),
    ));
    Yaml::Map(entries)
}

/// One rule as a YAML mapping, keys in the written order.
pub fn rule_yaml(rule: &RuleDoc) -> Yaml {
    let text = |s: &Option<String>| s.as_ref().map(Yaml::str);
    let known: Vec<(&str, Option<Yaml>)> = vec![
        ("id", Some(Yaml::str(&rule.id))),
        ("engine", Some(Yaml::str(&rule.engine))),
        ("library", text(&rule.library)),
        ("rule_under_test", text(&rule.rule_under_test)),
        ("severity", Some(Yaml::str(rule.severity.as_str()))),
        ("stage", rule.stage.map(|s| Yaml::str(s.as_str()))),
        ("native_type", text(&rule.native_type)),
        ("subject", text(&rule.subject)),
        ("when", text(&rule.when)),
        ("match", rule.match_block.clone()),
        ("message_template", text(&rule.message_template)),
        ("replay_match", text(&rule.replay_match)),
        ("miner_source", rule.miner_source.as_ref().map(source_yaml)),
        ("kwargs_positive", rule.kwargs_positive.clone()),
        ("kwargs_negative", rule.kwargs_negative.clone()),
        (
            "expected_outcome",
            rule.expected_outcome.as_ref().map(outcome_yaml),
        ),
        ("added_by", Some(Yaml::str(rule.added_by.as_str()))),
        (
            "cross_validated_by",
            (!rule.cross_validated_by.is_empty()).then(|| {
                Yaml::Seq(
                    rule.cross_validated_by
                        .iter()
                        .map(|a| Yaml::str(a.as_str()))
                        .collect(),
                )
            }),
        ),
        ("references", rule.references.clone()),
    ];
    let mut rest: Vec<(String, Yaml)> = [
        ("versions", text(&rule.versions)),
        ("added_at", rule.added_at.clone()),
        ("provenance", rule.provenance.clone()),
        ("observations", rule.observations.clone()),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k.to_owned(), v?)))
    .chain(rule.extra.iter().cloned())
    .collect();
    rest.sort_by(|a, b| a.0.cmp(&b.0));
    let entries = known
        .into_iter()
        .filter_map(|(k, v)| Some((k.to_owned(), v?)))
        .chain(rest)
        .collect();
    Yaml::Map(entries)
}

fn source_yaml(source: &SourceDoc) -> Yaml {
    let text = |s: &Option<String>| s.as_ref().map(Yaml::str);
    let entries = [
        ("path", text(&source.path)),
        ("method", text(&source.method)),
        ("line_at_scan", source.line_at_scan.map(Yaml::Int)),
        ("class", text(&source.class)),
        ("cluster", text(&source.cluster)),
        ("field", text(&source.field)),
        ("module", text(&source.module)),
    ];
    Yaml::Map(
        entries
            .into_iter()
            .filter_map(|(k, v)| Some((k.to_owned(), v?)))
            .collect(),
    )
}

fn outcome_yaml(outcome: &OutcomeDoc) -> Yaml {
    let mut entries = vec![
        ("outcome".to_owned(), Yaml::str(outcome.outcome.as_str())),
        (
            "emission_channel".to_owned(),
            Yaml::str(outcome.emission_channel.as_str()),
        ),
    ];
    if let Some(fields) = &outcome.normalised_fields {
        entries.push(("normalised_fields".to_owned(), fields.clone()));
    }
    Yaml::Map(entries)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::corpus::read_corpus;
    use crate::diagnostic::FileId;

    /// The text of a written corpus after its leading comment lines.
    fn body(text: &str) -> String {
        text.lines()
            .skip_while(|l| l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect()
    }

    /// Every corpus the pipeline wrote reads back into the same bytes.
    #[test]
    fn generated_corpora_round_trip_byte_for_byte() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../engines");
        let mut checked = 0;
        for version in std::fs::read_dir(root.join("transformers")).unwrap() {
            let dir = version.unwrap().path();
            for name in ["invariants.proposed.yaml", "invariants.validated.yaml"] {
                let Ok(text) = std::fs::read_to_string(dir.join(name)) else {
                    continue;
                };
                let (corpus, diags) = read_corpus(FileId(0), &text);
                assert!(diags.is_empty(), "{name}: {diags:?}");
                let doc = CorpusDoc::from_corpus(&corpus.unwrap());
                assert_eq!(write_corpus("", &doc), body(&text), "{}", dir.display());
                checked += 1;
            }
        }
        assert!(checked >= 4);
    }

    #[test]
    fn unknown_keys_follow_alphabetically_and_nulls_are_not_written() {
        let text = "schema_version: 1.1.0\nengine: e\nrules:\n- zeta: 1\n  id: a\n  severity: warn\n  engine: e\n  when: x > 1\n  alpha: [1, 2]\n  subject: null\n  versions: '>=1'\n";
        let (corpus, diags) = read_corpus(FileId(0), text);
        assert!(diags.is_empty(), "{diags:?}");
        let doc = CorpusDoc::from_corpus(&corpus.unwrap());
        assert_eq!(
            write_corpus("Generated.\nSecond line.", &doc),
            "# Generated.\n# Second line.\nschema_version: 1.1.0\nengine: e\nrules:\n- id: a\n  engine: e\n  severity: warn\n  when: x > 1\n  added_by: manual_seed\n  alpha: [1, 2]\n  versions: '>=1'\n  zeta: 1\n"
        );
    }
}
