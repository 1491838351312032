//! Judging the rules of a corpus against an [`Observer`] of the live library: each rule's cases
//! are observed once, then the checks of [`super::checks`] run in order.

use super::message::template_matches;
use super::model::{
    CaseSummary, Check, CheckResult, Class, Ended, ExceptionInfo, GateReport, Observation, Phase,
    RuleVerdict, Shown, Status, Target,
};
use super::rule::{Expect, GateRule, Matcher};
use super::signals::{Signal, clip, other_signal, signals, unavailable};
use llemc_compiler::corpus::{EmissionChannel, Stage, read_corpus};
use llemc_compiler::diagnostic::Diagnostic;
use llemc_mining::failure::Failure;
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

/// Gates every rule of the corpus (selected for the version). `Err` (`E640` and the compiler's
/// diagnostics into the corpus): the corpus does not compile, and nothing is judged.
pub fn gate_corpus<O: Observer>(
    input: &GateInput<'_>,
    observer: &mut O,
) -> Result<GateReport, Failure> {
    let compiled = CorpusInput {
        name: input.corpus_name,
        text: input.corpus_text,
        schema: Some(input.schema),
        compat: false,
        engine_version: Some(input.version.to_owned()),
    };
    let (loaded, _) = compile_corpus(&compiled).map_err(|f| {
        let mut diagnostics = vec![
            Diagnostic::error(
                "E640",
                format!(
                    "`{}` does not compile: nothing is judged",
                    input.corpus_name
                ),
            )
            .with_help(format!(
                "fix the corpus (`llemc check {}`)",
                input.corpus_name
            )),
        ];
        diagnostics.extend(f.diagnostics);
        Failure::new(diagnostics, f.sources)
    })?;
    // The text compiled, so it reads (as the file compile_corpus registered first).
    let (corpus, _) = read_corpus(llemc_compiler::diagnostic::FileId(0), input.corpus_text);
    let read: Vec<GateRule> = corpus
        .map(|c| c.rules.iter().map(GateRule::new).collect())
        .unwrap_or_default();
    let mut baselines: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut rules = Vec::new();
    for (index, ir) in loaded.program().rules.iter().enumerate() {
        let Some(rule) = read.iter().find(|r| r.id == ir.id) else {
            continue;
        };
        let mut judge = Judge {
            loaded: &loaded,
            index,
            rule,
            observer: &mut *observer,
        };
        rules.push(judge.run(input.targets, &mut baselines));
    }
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(GateReport {
        engine: input.engine.to_owned(),
        version: input.version.to_owned(),
        rules,
    })
}

/// One rule being judged.
pub(crate) struct Judge<'a, O: Observer> {
    pub loaded: &'a LoadedProgram,
    /// The rule's index in the compiled program.
    pub index: usize,
    pub rule: &'a GateRule,
    pub observer: &'a mut O,
}

/// What the library did with a rule's two cases, and what the rule expects of them.
pub(crate) struct Cases<'t> {
    pub target: &'t Target,
    /// The messages the bare construction emits (not the rule's doing).
    pub baseline: Vec<String>,
    pub expect: Expect,
    pub matcher: Matcher,
    pub pos: Observation,
    pub neg: Observation,
    pub pos_signals: Vec<Signal>,
    pub neg_signals: Vec<Signal>,
}

/// A check's result.
pub(crate) fn check(check: Check, status: Status, detail: impl Into<String>) -> CheckResult {
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
            span: self.rule.span,
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

    /// A divergence found before the cases could be judged.
    fn replay_failed(&self, detail: String) -> RuleVerdict {
        let mut v = self.verdict(Class::Divergent);
        v.checks.push(check(Check::Replay, Status::Fail, detail));
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

    /// Whether the matcher attributes `message` to the rule (a case without a message: yes).
    pub fn accepts(&mut self, matcher: &Matcher, message: Option<&str>) -> Result<bool, String> {
        let Some(message) = message else {
            return Ok(true);
        };
        match matcher {
            Matcher::Any => Ok(true),
            Matcher::Template(t) => Ok(template_matches(t, message)),
            Matcher::Regex(r) => self.observer.regex_search(r, message),
        }
    }

    /// Whether the first of `signals` the matcher accepts exists (a matcher error counts as
    /// accepting).
    pub fn any_accepted(&mut self, matcher: &Matcher, signals: &[Signal]) -> bool {
        signals
            .iter()
            .any(|s| self.accepts(matcher, s.message.as_deref()).unwrap_or(true))
    }

    /// Whether llemc's predicate holds on `kwargs`.
    pub fn holds(&self, kwargs: &Map<String, Json>) -> bool {
        let mut frame = self.loaded.frame();
        let tree = Json::Object(kwargs.clone());
        self.loaded
            .bind_native(&self.rule.native_type, &tree, &mut frame)
            && self.loaded.rule_holds(self.index, &frame)
    }

    /// Constructs the target with `kwargs`; a bridge failure is an observation too.
    pub fn observe(&mut self, target: &Target, kwargs: &Map<String, Json>) -> Observation {
        self.observer
            .observe(target, kwargs)
            .unwrap_or_else(|e| Observation {
                outcome: Ended::BridgeFailure,
                exception: Some(ExceptionInfo {
                    message: e,
                    ..Default::default()
                }),
                ..Default::default()
            })
    }

    /// The verdict on the rule: replay both cases, then checks replay, (a) to (e).
    pub fn run(
        &mut self,
        targets: &BTreeMap<String, Target>,
        baselines: &mut BTreeMap<String, Vec<String>>,
    ) -> RuleVerdict {
        let Some(target) = targets.get(&self.rule.native_type) else {
            return self.replay_failed(format!(
                "native type `{}` is not declared in the engine's native_types",
                self.rule.native_type
            ));
        };
        let target = Target {
            stage: self.rule.stage,
            ..target.clone()
        };
        if self.rule.stage == Stage::Generate
            && matches!(self.rule.expect(Vec::new), Expect::Normalised(_))
        {
            return self.unverified(
                "a silent normalisation at generate() is not observed: the generation run \
                 reports what generate() raises and emits, not the config it ends up using"
                    .to_owned(),
                None,
            );
        }
        let cases = match self.cases(&target, baselines) {
            Ok(cases) => cases,
            Err(verdict) => return *verdict,
        };
        let mut verdict = self.verdict(Class::Confirmed);
        verdict.checks.push(self.check_replay(&cases));
        let (a, pos_summary) = self.check_a(&cases);
        let a_pass = a.status == Status::Pass;
        verdict.checks.push(a);
        let c = self.check_c(&cases, a_pass);
        let c_pass = c.status == Status::Pass;
        verdict.checks.push(c);
        let attribution = if c_pass {
            cases.matcher.clone()
        } else {
            Matcher::Any
        };
        let (b, neg_summary) = self.check_b(&cases, &attribution);
        verdict.checks.push(b);
        let d = self.check_d();
        let d_pass = d.status == Status::Pass;
        verdict.checks.push(d);
        verdict.checks.push(if a_pass && c_pass && d_pass {
            self.check_e(&cases, &attribution, &mut verdict.probes)
        } else {
            check(
                Check::E,
                Status::Skipped,
                "probes need an anchor: the positive must show the outcome (a) with the rule's message (c) and satisfy the predicate (d)",
            )
        });
        verdict.checks.sort_by_key(|c| c.check);
        verdict.positive = Some(pos_summary);
        verdict.negative = Some(neg_summary);
        if !verdict.failed().is_empty() {
            verdict.class = Class::Divergent;
        }
        verdict
    }

    /// The baseline and both cases observed; the verdict when they cannot be judged (a bridge
    /// failure diverges, a missing dependency leaves the rule unverified).
    fn cases<'t>(
        &mut self,
        target: &'t Target,
        baselines: &mut BTreeMap<String, Vec<String>>,
    ) -> Result<Cases<'t>, Box<RuleVerdict>> {
        // the bare type's emissions, per stage (a generation run says more than construction)
        let key = format!("{} {}", self.rule.native_type, target.stage.as_str());
        let baseline = match baselines.get(&key) {
            Some(b) => b.clone(),
            None => {
                let b: Vec<String> = self
                    .observer
                    .observe(target, &Map::new())
                    .map(|o| o.emissions.into_iter().map(|e| e.message).collect())
                    .unwrap_or_default();
                baselines.insert(key, b.clone());
                b
            }
        };
        let expect = self.rule.expect(|| self.fields());
        let matcher = self.rule.matcher();
        let pos = self.observer.observe(target, &self.rule.positive);
        let neg = self.observer.observe(target, &self.rule.negative);
        let (pos, neg) = match (pos, neg) {
            (Ok(p), Ok(n)) => (p, n),
            (Err(e), _) | (_, Err(e)) => {
                return Err(Box::new(self.replay_failed(format!("bridge failure: {e}"))));
            }
        };
        for (name, obs) in [("kwargs_positive", &pos), ("kwargs_negative", &neg)] {
            if let Some(why) = unavailable(obs) {
                let summary = self.summarize(&pos, &expect, &baseline, &Matcher::Any);
                return Err(Box::new(
                    self.unverified(format!("{name}: {why}"), Some(summary)),
                ));
            }
        }
        let pos_signals = signals(&pos, &expect, &baseline);
        let neg_signals = signals(&neg, &expect, &baseline);
        Ok(Cases {
            target,
            baseline,
            expect,
            matcher,
            pos,
            neg,
            pos_signals,
            neg_signals,
        })
    }

    /// A replay problem: a timeout, an exception raised outside the library's code (the kwargs
    /// do not fit the constructor), or a programming error the rule's message does not name.
    pub fn unexpected(
        &mut self,
        obs: &Observation,
        matcher: &Matcher,
        target: &Target,
    ) -> Option<String> {
        if obs.outcome == Ended::Timeout {
            return Some(format!("timed out after {} s", target.timeout_s));
        }
        let exc = obs.exception.as_ref()?;
        if target.stage == Stage::Generate && obs.phase != Phase::Generate {
            return Some(format!(
                "does not reach generate(): {} raised {}: {}",
                obs.phase.as_str(),
                exc.kind,
                clip(&exc.message)
            ));
        }
        let origin = exc.origin.as_deref().unwrap_or("");
        // pydantic validates a pydantic class (its `Field` bounds, `Literal`s and validators) in
        // its own frames: that is the class's construction, not the caller's mistake
        let pydantic_validation = exc.kind == "ValidationError"
            && (origin == "pydantic" || origin.starts_with("pydantic."));
        let inside = pydantic_validation
            || origin == target.package
            || origin.starts_with(&format!("{}.", target.package));
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
    pub fn summarize(
        &mut self,
        obs: &Observation,
        expect: &Expect,
        baseline: &[String],
        matcher: &Matcher,
    ) -> CaseSummary {
        let quiet =
            |outcome: Shown, message: Option<String>, exception_type: Option<String>| CaseSummary {
                outcome,
                channel: EmissionChannel::None,
                message,
                exception_type,
            };
        if let Some(why) = unavailable(obs) {
            return quiet(
                Shown::Unavailable,
                Some(why),
                obs.exception.as_ref().map(|e| e.kind.clone()),
            );
        }
        if obs.outcome == Ended::Timeout {
            return quiet(Shown::Timeout, None, None);
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
                outcome: s.outcome,
                channel: s.channel,
                message: s.message,
                exception_type: s.exception_type,
            },
            None => quiet(Shown::Pass, None, None),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::gate::model::{Ended, ExceptionInfo};
    use llemc_compiler::diagnostic::{Color, SourceMap, render_human};

    const SCHEMA: &str = "schema_version: 1\nengine: e\nlibrary: e\nlibrary_version: 1.0.0\nsections:\n  s: e.T\nnative_types:\n  e.T:\n    fields:\n      size: {type: \"int\", default: 1}\n";

    /// A library in Rust: `T(size)` raises when size > 5 and needs a missing module when
    /// size == -1; observed at stage generate, construction refuses size < -1 and the size check
    /// happens in the run.
    struct Fake;

    impl Observer for Fake {
        fn observe(
            &mut self,
            target: &Target,
            kwargs: &Map<String, Json>,
        ) -> Result<Observation, String> {
            let size = kwargs.get("size").and_then(Json::as_i64).unwrap_or(1);
            if target.stage == Stage::Generate && size < -1 {
                return Ok(Observation {
                    outcome: Ended::Error,
                    exception: Some(ExceptionInfo {
                        kind: "ValueError".to_owned(),
                        message: "negative size".to_owned(),
                        origin: Some("e.core".to_owned()),
                        missing_dependency: None,
                    }),
                    ..Observation::default()
                });
            }
            let phase = match target.stage {
                Stage::Generate => Phase::Generate,
                Stage::Construct | Stage::Validate => Phase::Construct,
            };
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
                outcome: if exception.is_some() {
                    Ended::Error
                } else {
                    Ended::Ok
                },
                exception,
                phase,
                ..Observation::default()
            })
        }

        fn regex_search(&mut self, _pattern: &str, _text: &str) -> Result<bool, String> {
            Err("no regex in this test".to_owned())
        }
    }

    fn rule(id: &str, when: &str, pos: i64, neg: i64) -> String {
        staged(id, "construct", when, pos, neg)
    }

    fn staged(id: &str, stage: &str, when: &str, pos: i64, neg: i64) -> String {
        format!(
            "- id: {id}\n  engine: e\n  severity: error\n  stage: {stage}\n  native_type: e.T\n  when: '{when}'\n  message_template: '`size` is too large: {{size}}'\n  kwargs_positive: {{size: {pos}}}\n  kwargs_negative: {{size: {neg}}}\n  expected_outcome: {{outcome: error, emission_channel: runtime_exception}}\n"
        )
    }

    fn fixture_corpus() -> String {
        format!(
            "schema_version: 1.1.0\nengine: e\nengine_version: 1.0.0\nrules:\n{}{}{}",
            rule("right", "size > 5", 6, 5),
            rule("off_by_one", "size >= 5", 6, 1),
            rule("needs_torch", "size > 5", 6, -1),
        )
    }

    fn gate(corpus: &str) -> Result<GateReport, Failure> {
        let targets = BTreeMap::from([(
            "e.T".to_owned(),
            Target {
                module: "e.core".to_owned(),
                class: "T".to_owned(),
                package: "e".to_owned(),
                timeout_s: 1.0,
                minor_issues_variable: "minor_issues".to_owned(),
                stage: Stage::Construct,
            },
        )]);
        let input = GateInput {
            engine: "e",
            version: "1.0.0",
            corpus_name: "c.yaml",
            corpus_text: corpus,
            schema: ("schema.yaml", SCHEMA),
            targets: &targets,
        };
        gate_corpus(&input, &mut Fake)
    }

    #[test]
    fn divergences_point_at_the_rule_in_the_corpus() {
        let corpus = fixture_corpus();
        let report = gate(&corpus).unwrap();
        let mut sources = SourceMap::new();
        let file = sources.add("c.yaml", corpus.as_str());
        let found = crate::gate::output::divergences(&report, file);
        insta::assert_snapshot!(render_human(&found, &sources, Color::Never));
    }

    #[test]
    fn a_corpus_that_does_not_compile_is_judged_not_at_all() {
        let broken = fixture_corpus().replace("size >= 5", "sizes >= 5");
        let failure = gate(&broken).unwrap_err();
        let codes: Vec<&str> = failure.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes[..2], ["E640", "E302"]);
        let shown = failure.render(Color::Never);
        assert!(shown.contains("┌─ c.yaml:"), "{shown}");
    }

    /// A generate-stage rule is replayed through the run: confirmed when the run shows it, a
    /// replay failure when a case fails before the run.
    /// Each rule's id, class and failed checks, in report order.
    fn verdicts(report: &GateReport) -> Vec<(&str, Class, Vec<Check>)> {
        report
            .rules
            .iter()
            .map(|r| (r.id.as_str(), r.class, r.failed()))
            .collect()
    }

    #[test]
    fn generate_rules_are_replayed_through_the_run() {
        let corpus = format!(
            "schema_version: 1.1.0\nengine: e\nengine_version: 1.0.0\nrules:\n{}{}",
            staged("in_the_run", "generate", "size > 5", 6, 5),
            staged("never_runs", "generate", "size > 5", 6, -3),
        );
        let report = gate(&corpus).unwrap();
        let got = verdicts(&report);
        assert_eq!(
            got,
            [
                ("in_the_run", Class::Confirmed, vec![]),
                ("never_runs", Class::Divergent, vec![Check::Replay]),
            ]
        );
        let replay = &report.rules[1].checks[0];
        assert!(
            replay.detail.contains("does not reach generate()"),
            "{}",
            replay.detail
        );
    }

    #[test]
    fn confirms_right_rules_and_finds_the_wrong_threshold() {
        let report = gate(&fixture_corpus()).unwrap();
        let got = verdicts(&report);
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
