//! The gate's checks on one rule (see [`super`] for what each asks): `replay`, then (a) the
//! positive shows the outcome, (c) with the rule's message, (b) the negative does not, (d) the
//! predicate agrees with the kwargs, (e) boundary probes agree.

use super::judge::{Cases, Judge, Observer, check};
use super::model::{CaseSummary, Check, CheckResult, Ended, ProbeResult, Status};
use super::probes::probes;
use super::rule::Matcher;
use super::signals::{clip, error_signal, signals, unavailable};
use llemc_mining::synth::check_pair;

/// How many disagreeing probes a report shows per rule.
const SHOWN_DISAGREEMENTS: usize = 5;

impl<O: Observer> Judge<'_, O> {
    /// `replay`: both cases ran (no timeout, nothing raised outside the library, no programming
    /// error the rule does not name).
    pub(crate) fn check_replay(&mut self, cases: &Cases<'_>) -> CheckResult {
        let mut problems = Vec::new();
        for (name, obs) in [
            ("kwargs_positive", &cases.pos),
            ("kwargs_negative", &cases.neg),
        ] {
            if let Some(p) = self.unexpected(obs, &cases.matcher, cases.target) {
                problems.push(format!("{name}: {p}"));
            }
        }
        if problems.is_empty() {
            check(Check::Replay, Status::Pass, "both cases ran")
        } else {
            check(Check::Replay, Status::Fail, problems.join("; "))
        }
    }

    /// (a): the positive shows the rule's outcome on the rule's channel; what it showed.
    pub(crate) fn check_a(&mut self, cases: &Cases<'_>) -> (CheckResult, CaseSummary) {
        let shown = self.summarize(&cases.pos, &cases.expect, &cases.baseline, &cases.matcher);
        let result = if cases.pos_signals.is_empty() {
            check(
                Check::A,
                Status::Fail,
                format!(
                    "expected {}; observed {} on {}{}",
                    cases.expect.describe(),
                    shown.outcome.as_str(),
                    shown.channel.as_str(),
                    shown
                        .message
                        .as_deref()
                        .map(|m| format!(": {}", clip(m)))
                        .unwrap_or_default()
                ),
            )
        } else {
            check(
                Check::A,
                Status::Pass,
                format!("{} on {}", shown.outcome.as_str(), shown.channel.as_str()),
            )
        };
        (result, shown)
    }

    /// (c): the positive's message matches the rule's `replay_match`, else its template
    /// (skipped when (a) failed: there is no message to take).
    pub(crate) fn check_c(&mut self, cases: &Cases<'_>, a_pass: bool) -> CheckResult {
        if !a_pass {
            return check(
                Check::C,
                Status::Skipped,
                "no observed outcome of the expected kind to take the message from",
            );
        }
        let mut matched = false;
        let mut error = None;
        for s in &cases.pos_signals {
            match self.accepts(&cases.matcher, s.message.as_deref()) {
                Ok(true) => {
                    matched = true;
                    break;
                }
                Ok(false) => {}
                Err(e) => error = Some(e),
            }
        }
        let shown = cases
            .pos_signals
            .first()
            .and_then(|s| s.message.clone())
            .unwrap_or_default();
        match (matched, &cases.matcher, error) {
            (true, Matcher::Any, _) => check(Check::C, Status::Pass, "the rule has no message"),
            (true, Matcher::Regex(_), _) => check(Check::C, Status::Pass, "replay_match found"),
            (true, _, _) => check(Check::C, Status::Pass, "message_template matches"),
            (false, _, Some(e)) => check(Check::C, Status::Fail, format!("replay_match: {e}")),
            (false, m, None) => check(
                Check::C,
                Status::Fail,
                format!(
                    "{} does not match the observed message: {}",
                    m.name(),
                    clip(&shown)
                ),
            ),
        }
    }

    /// (b): the negative does not show the outcome (with the rule's message, once (c) matched);
    /// what it showed.
    pub(crate) fn check_b(
        &mut self,
        cases: &Cases<'_>,
        attribution: &Matcher,
    ) -> (CheckResult, CaseSummary) {
        let fires = self.any_accepted(attribution, &cases.neg_signals);
        let shown = self.summarize(&cases.neg, &cases.expect, &cases.baseline, attribution);
        let result = if fires {
            check(
                Check::B,
                Status::Fail,
                format!(
                    "kwargs_negative shows {} too{}",
                    cases.expect.describe(),
                    shown
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
                format!("{} on {}", shown.outcome.as_str(), shown.channel.as_str()),
            )
        };
        (result, shown)
    }

    /// (d): llemc's evaluator finds the predicate true on the positive, false on the negative.
    pub(crate) fn check_d(&self) -> CheckResult {
        match check_pair(
            self.loaded,
            self.index,
            &self.rule.positive,
            &self.rule.negative,
        ) {
            Ok(()) => check(Check::D, Status::Pass, "holds on positive, not on negative"),
            Err(e) => check(Check::D, Status::Fail, e),
        }
    }

    /// (e): on boundary probes around the positive, the library's verdict equals the
    /// predicate's; every probe goes into `results`.
    pub(crate) fn check_e(
        &mut self,
        cases: &Cases<'_>,
        attribution: &Matcher,
        results: &mut Vec<ProbeResult>,
    ) -> CheckResult {
        let mut disagreements = Vec::new();
        let mut timeouts = Vec::new();
        for probe in probes(self.loaded, self.index, &self.rule.positive) {
            let predicate = self.holds(&probe.kwargs);
            let obs = self.observe(cases.target, &probe.kwargs);
            let library = match obs.outcome {
                _ if unavailable(&obs).is_some() => None,
                Ended::BridgeFailure => None,
                Ended::Timeout => {
                    timeouts.push(format!("{}={}", probe.field, probe.value));
                    None
                }
                _ => {
                    let fires = self
                        .any_accepted(attribution, &signals(&obs, &cases.expect, &cases.baseline));
                    // Rejected by another check before the library reached this rule's: the
                    // probe says nothing about this rule.
                    (fires || error_signal(&obs).is_none()).then_some(fires)
                }
            };
            let observed = self.summarize(&obs, &cases.expect, &cases.baseline, attribution);
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
                    observed.outcome.as_str(),
                    observed.channel.as_str(),
                ));
            }
            results.push(ProbeResult {
                field: probe.field,
                value: probe.value,
                origin: probe.origin,
                predicate,
                library,
                observed,
            });
        }
        let judged = results.iter().filter(|p| p.library.is_some()).count();
        let agreed = results
            .iter()
            .filter(|p| p.library == Some(p.predicate))
            .count();
        let unverified = results.len() - judged;
        if disagreements.is_empty() && timeouts.is_empty() {
            return check(
                Check::E,
                Status::Pass,
                format!("{agreed}/{judged} probes agree ({unverified} unverified)"),
            );
        }
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
    }
}
