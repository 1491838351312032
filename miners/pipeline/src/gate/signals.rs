//! What a case showed, as signals of the kind a rule expects: an exception, a warning or log
//! record absent from the baseline, a minor issue for one of the rule's fields, or a silent
//! normalisation of one.

use super::model::{Emitter, Ended, Observation, Shown};
use super::rule::Expect;
use llemc_compiler::corpus::EmissionChannel;

/// One observed signal.
#[derive(Clone, Debug)]
pub(crate) struct Signal {
    pub outcome: Shown,
    pub channel: EmissionChannel,
    pub message: Option<String>,
    pub exception_type: Option<String>,
}

/// Why a case cannot be evaluated here (a missing dependency), if so.
pub(crate) fn unavailable(obs: &Observation) -> Option<String> {
    let exc = obs.exception.as_ref();
    if let Some(dep) = exc.and_then(|e| e.missing_dependency.as_deref()) {
        return Some(format!(
            "needs `{dep}`, which is not installed ({}: {})",
            exc.map(|e| e.kind.as_str()).unwrap_or("?"),
            exc.map(|e| clip(&e.message)).unwrap_or_default()
        ));
    }
    (obs.outcome == Ended::Unavailable).then(|| {
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
    obs.phase == super::model::Phase::Validate
        && !obs.minor_issues.is_empty()
        && obs
            .minor_issues
            .values()
            .all(|t| exc.message.contains(t.as_str()))
}

/// The exception of a case that raised, unless it is the aggregation of minor issues.
pub(crate) fn error_signal(obs: &Observation) -> Option<Signal> {
    let exc = obs.exception.as_ref()?;
    (obs.outcome == Ended::Error && !is_aggregate(obs)).then(|| Signal {
        outcome: Shown::Error,
        channel: EmissionChannel::RuntimeException,
        message: Some(exc.message.clone()),
        exception_type: Some(exc.kind.clone()),
    })
}

/// The warnings and log records of a case (from `emitter` only, when given) that the
/// baseline construction did not emit.
fn emission_signals(
    obs: &Observation,
    emitter: Option<Emitter>,
    baseline: &[String],
) -> Vec<Signal> {
    obs.emissions
        .iter()
        .filter(|e| matches!(e.channel, Emitter::Warnings | Emitter::Logger))
        .filter(|e| emitter.is_none_or(|c| c == e.channel))
        .filter(|e| !baseline.contains(&e.message))
        .map(|e| Signal {
            outcome: Shown::Warn,
            channel: e.channel.channel(),
            message: Some(e.message.clone()),
            exception_type: None,
        })
        .collect()
}

/// The signals of the expected kind a case shows.
pub(crate) fn signals(obs: &Observation, expect: &Expect, baseline: &[String]) -> Vec<Signal> {
    if matches!(
        obs.outcome,
        Ended::Timeout | Ended::Unavailable | Ended::BridgeFailure
    ) {
        return Vec::new();
    }
    match expect {
        Expect::Error => error_signal(obs).into_iter().collect(),
        Expect::Emission(emitter) => emission_signals(obs, *emitter, baseline),
        Expect::Minor(fields) => fields
            .iter()
            .filter_map(|f| {
                obs.minor_issues.get(f).map(|t| Signal {
                    outcome: Shown::Dormant,
                    channel: EmissionChannel::MinorIssuesDict,
                    message: Some(t.clone()),
                    exception_type: None,
                })
            })
            .collect(),
        Expect::Normalised(fields) => fields
            .iter()
            .filter(|f| obs.normalised.contains_key(f.as_str()))
            .map(|_| Signal {
                outcome: Shown::Dormant,
                channel: EmissionChannel::None,
                message: None,
                exception_type: None,
            })
            .collect(),
    }
}

/// The most telling signal of any kind (for reports when the expected kind is missing).
pub(crate) fn other_signal(obs: &Observation, baseline: &[String]) -> Option<Signal> {
    if let Some(s) = error_signal(obs) {
        return Some(s);
    }
    if let Some((field, text)) = obs.minor_issues.iter().next() {
        return Some(Signal {
            outcome: Shown::Dormant,
            channel: EmissionChannel::MinorIssuesDict,
            message: Some(format!("{field}: {text}")),
            exception_type: None,
        });
    }
    if let Some(s) = emission_signals(obs, None, baseline).into_iter().next() {
        return Some(s);
    }
    obs.normalised.iter().next().map(|(field, n)| Signal {
        outcome: Shown::Dormant,
        channel: EmissionChannel::None,
        message: Some(format!("{field} normalised: {n}")),
        exception_type: None,
    })
}

/// A message shortened for one-line reports.
pub(crate) fn clip(text: &str) -> String {
    let one_line = super::message::normalise(text);
    if one_line.chars().count() <= 300 {
        return one_line;
    }
    let cut: String = one_line.chars().take(300).collect();
    format!("{cut}...")
}
