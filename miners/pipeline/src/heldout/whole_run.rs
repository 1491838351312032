//! Errors over the whole run: what a config does through construction, `validate()` **and**
//! `generate()` (the labels' `generate` stage), against every `error` rule of the corpus whatever
//! its `stage`. A config fails when the library rejects it or its generate() run raises; a run
//! that could not be observed here (timeout, unavailable: a CUDA device or an optional package
//! missing, or labels written before generate() was observed) leaves the case out.

use super::score::{ErrorFalseNegative, ErrorFalsePositive, ErrorScore, rejection_group};
use super::{GenerateOutcome, Label, Outcome, Raised};
use llemc_compiler::corpus::{Stage, read_corpus};
use llemc_compiler::diagnostic::FileId;
use std::collections::BTreeSet;

/// Whether the whole run fails (`None`: the case is left out) and the exception behind it.
pub fn fails(label: &Label) -> Option<(bool, Option<&Raised>)> {
    match label.outcome {
        Outcome::Rejected => Some((true, label.exception.as_ref())),
        Outcome::Timeout | Outcome::Unavailable => None,
        Outcome::Accepted => match label.generate.as_ref().map(|g| (g.outcome, g)) {
            Some((GenerateOutcome::Ok, _)) => Some((false, None)),
            Some((GenerateOutcome::Error, g)) => Some((true, g.exception.as_ref())),
            Some((GenerateOutcome::Timeout | GenerateOutcome::Unavailable, _)) | None => None,
        },
    }
}

/// Adds one case: `fired` are the error rules that fired, `fails` what the library does.
pub fn add(
    score: &mut ErrorScore,
    id: &str,
    fired: &[String],
    fails: bool,
    exception: Option<&Raised>,
) {
    let llemc = !fired.is_empty();
    score.counts.add(llemc, fails);
    if llemc && !fails {
        score.false_positives.push(ErrorFalsePositive {
            id: id.to_owned(),
            rules: fired.to_vec(),
        });
        for rule in fired {
            score
                .fp_by_rule
                .entry(rule.clone())
                .or_default()
                .push(id.to_owned());
        }
    }
    if fails && !llemc {
        let (kind, message) = exception
            .map(|e| (e.kind.clone(), e.message.clone()))
            .unwrap_or_default();
        let group = rejection_group(&kind, &message);
        score
            .fn_by_group
            .entry(group.clone())
            .or_default()
            .push(id.to_owned());
        score.false_negatives.push(ErrorFalseNegative {
            id: id.to_owned(),
            group,
            exception_type: kind,
            message,
        });
    }
}

/// The ids of the corpus's `stage: generate` rules (they speak about generate(), so the
/// construct + validate error metric does not count them).
pub fn generate_rules(corpus_text: &str) -> BTreeSet<String> {
    let (corpus, _) = read_corpus(FileId(0), corpus_text);
    corpus
        .map(|c| {
            c.rules
                .iter()
                .filter(|r| r.stage.as_ref().is_some_and(|s| s.value == Stage::Generate))
                .map(|r| r.id.value.clone())
                .collect()
        })
        .unwrap_or_default()
}
