//! `llemc heldout label`: what one transformers version actually does with every held-out case.
//!
//! One process hosts one library version: the venv `.cache/venvs/<dist>-<version>` (made ready
//! with the SSOT's `env_extras` and `shared_env`, i.e. with torch) is put first on `sys.path`,
//! and every case is observed with `llemc_generate.observe`: construction, then
//! `validate(strict=True)`, then, for a config the library accepts, `model.generate(...)` on a tiny
//! GPT-2 built in memory (the label's `generate`). The result is
//! `eval/heldout/labels-<version>.jsonl`, one line per case in input order, deterministic (no
//! tracebacks, memory addresses masked).

use super::{
    Case, Emission, Frame, GenerateOutcome, GenerateRun, KWARGS_FILE, Label, Normalised, Outcome,
    Raised, check_unique, data_error, labels_file, labels_to_jsonl, read_jsonl,
};
use crate::gate::run::load_ssot;
use llemc_compiler::atomic_write::write_atomically;
use llemc_compiler::diagnostic::Diagnostic;
use llemc_live::bridge::{Live, start_library};
use llemc_live::env::{EnvSpec, ensure};
use llemc_mining::failure::{Failure, cannot_write};
use llemc_mining::layout::Layout;
use llemc_mining::ssot::NativeTypeDecl;
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The prefix of the exception `validate(strict=True)` raises when only minor issues were found.
const MINOR_ISSUES_RAISE: &str = "GenerationConfig is invalid";

/// What to label.
#[derive(Clone, Debug)]
pub struct LabelOptions {
    /// Repository root (holds `engine_versions/`, `.cache/`, `eval/`).
    pub root: PathBuf,
    /// Engine (`transformers`).
    pub engine: String,
    /// Library version.
    pub version: String,
    /// The interpreter venvs are created from (must match the embedded one).
    pub python: String,
    /// The cases (default: `eval/heldout/generation_kwargs.jsonl` under the root).
    pub input: Option<PathBuf>,
    /// Where to write the labels (default: `eval/heldout/labels-<version>.jsonl` under the root).
    pub output: Option<PathBuf>,
    /// Seconds allowed per stage (construction, validation, generate()).
    pub timeout_s: f64,
}

/// What a labelling run produced.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct LabelReport {
    /// The library version observed.
    pub version: String,
    /// The labels file written.
    pub output: String,
    /// Cases labelled.
    pub cases: usize,
    /// Accepted by the library.
    pub accepted: usize,
    /// Rejected by the library.
    pub rejected: usize,
    /// Accepted cases with minor issues under strict validation.
    pub minor_issues: usize,
    /// Accepted cases with at least one warning emission.
    pub warned: usize,
    /// Accepted cases with a normalised field.
    pub normalised: usize,
    /// Cases that timed out.
    pub timeouts: usize,
    /// Cases whose class was unavailable.
    pub unavailable: usize,
    /// Accepted cases whose generate() run raised.
    pub generate_failed: usize,
    /// Accepted cases whose generate() run timed out.
    pub generate_timeouts: usize,
    /// Accepted cases whose generate() run could not be observed (no torch).
    pub generate_unavailable: usize,
}

/// The interpreter the embedded one was built against (`<prefix>/bin/python<major.minor>`), the
/// one venvs must be created from; `python3` when it cannot be found.
pub fn default_python() -> String {
    let (version, lib_dir) = llemc_live::bridge::build_interpreter();
    Path::new(lib_dir)
        .parent()
        .map(|prefix| prefix.join("bin").join(format!("python{version}")))
        .filter(|p| p.is_file())
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "python3".to_owned())
}

/// Labels the held-out set with one library version and writes the labels file.
pub fn run(options: &LabelOptions) -> Result<LabelReport, Failure> {
    let layout = Layout::new(&options.root);
    let ssot = load_ssot(&layout, &options.engine)?;
    ssot.supported(&options.version)?;
    let decl = ssot.native(super::NATIVE_TYPE).ok_or_else(|| {
        Diagnostic::error(
            "E691",
            format!(
                "engine_versions/{}.yaml declares no native type `{}`",
                options.engine,
                super::NATIVE_TYPE
            ),
        )
        .with_help("the held-out set holds GenerationConfig kwargs: label a transformers version")
    })?;
    let input = options
        .input
        .clone()
        .unwrap_or_else(|| options.root.join(KWARGS_FILE));
    let cases: Vec<Case> = read_jsonl(&input)?;
    check_unique(
        &input.display().to_string(),
        cases.iter().map(|c| c.id.as_str()),
    )?;
    let spec = EnvSpec::for_version(&ssot, &options.version);
    let venv = ensure(&layout.venvs(), &spec, &options.python).map_err(|e| {
        Diagnostic::error(
            "E670",
            format!(
                "the venv for {} {} is not ready: {e}",
                spec.distribution, spec.version
            ),
        )
    })?;
    let live = start_library(
        std::slice::from_ref(&venv.site_packages),
        &ssot.distribution,
        &options.version,
    )?;
    let minor = ssot
        .minor_issues_variable
        .clone()
        .unwrap_or_else(|| "minor_issues".to_owned());
    let labels = label_cases(&live, decl, &minor, &cases, options.timeout_s)?;
    let output = options
        .output
        .clone()
        .unwrap_or_else(|| options.root.join(labels_file(&options.version)));
    write_atomically(&output, labels_to_jsonl(&labels))
        .map_err(|e| cannot_write(&output.display().to_string(), &e))?;
    Ok(summarise(&options.version, &output, &labels))
}

/// Observes every case in `live` and turns each observation into a label (input order).
pub fn label_cases(
    live: &Live,
    decl: &NativeTypeDecl,
    minor_issues_variable: &str,
    cases: &[Case],
    timeout_s: f64,
) -> Result<Vec<Label>, Diagnostic> {
    let observe = |kwargs: Json| {
        live.call(
            "llemc_generate",
            "observe",
            &json!({
                "module": decl.module,
                "class": decl.class,
                "kwargs": kwargs,
                "strict": true,
                "timeout_s": timeout_s,
                "minor_issues_variable": minor_issues_variable,
            }),
        )
        .map_err(|e| Diagnostic::error("E671", format!("the interpreter failed: {e}")))
    };
    // The first observation imports the library and torch and builds the model; what that
    // prints is not about a case.
    observe(json!({}))?;
    let mut labels = Vec::with_capacity(cases.len());
    for case in cases {
        let observed = observe(Json::Object(case.kwargs.clone()))?;
        labels.push(to_label(&case.id, &observed)?);
    }
    Ok(labels)
}

/// The text of a JSON string with memory addresses masked (empty for anything else).
fn text(v: &Json) -> String {
    v.as_str().map(mask_addresses).unwrap_or_default()
}

/// An `exception` object of an observation as a [`Raised`] (`phase` is where it came from).
fn raised(e: &Json, phase: &str) -> Raised {
    let field = |key: &str| text(e.get(key).unwrap_or(&Json::Null));
    let stage = match field("stage") {
        s if s.is_empty() => phase.to_owned(),
        s => s,
    };
    let frame = e.get("frame").filter(|f| f.is_object()).map(|f| Frame {
        file: text(f.get("file").unwrap_or(&Json::Null)),
        function: text(f.get("function").unwrap_or(&Json::Null)),
        line: f
            .get("line")
            .and_then(Json::as_u64)
            .and_then(|l| u32::try_from(l).ok())
            .unwrap_or(0),
    });
    Raised {
        phase: phase.to_owned(),
        stage,
        kind: field("type"),
        message: field("message"),
        frame,
    }
}

/// The `emissions` of an observation (or of its generate stage) as warnings.
fn emissions(observed: &Json) -> Vec<Emission> {
    observed
        .get("emissions")
        .and_then(Json::as_array)
        .map(|items| {
            items
                .iter()
                .map(|e| Emission {
                    channel: text(e.get("channel").unwrap_or(&Json::Null)),
                    level: text(e.get("level").unwrap_or(&Json::Null)),
                    message: text(e.get("message").unwrap_or(&Json::Null)),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The `generate` stage of an observation; `None` when generate() was not run.
fn generate_run(id: &str, observed: &Json) -> Result<Option<GenerateRun>, Diagnostic> {
    let Some(stage) = observed.get("generate").filter(|g| g.is_object()) else {
        return Ok(None);
    };
    let outcome = match stage.get("outcome").and_then(Json::as_str).unwrap_or("") {
        "ok" => GenerateOutcome::Ok,
        "error" => GenerateOutcome::Error,
        "timeout" => GenerateOutcome::Timeout,
        "unavailable" => GenerateOutcome::Unavailable,
        other => {
            return Err(data_error(format!(
                "case `{id}`: generate() returned an unknown outcome `{other}`"
            )));
        }
    };
    Ok(Some(GenerateRun {
        outcome,
        exception: stage
            .get("exception")
            .filter(|e| e.is_object())
            .map(|e| raised(e, "generate")),
        warnings: emissions(stage),
        sequences: stage
            .get("sequences")
            .and_then(Json::as_array)
            .map(|dims| dims.iter().filter_map(Json::as_u64).collect()),
    }))
}

/// Turns one `observe` result into a label.
pub fn to_label(id: &str, observed: &Json) -> Result<Label, Diagnostic> {
    let outcome = observed.get("outcome").and_then(Json::as_str).unwrap_or("");
    let phase = text(observed.get("phase").unwrap_or(&Json::Null));
    let minor_issues: BTreeMap<String, String> = observed
        .get("minor_issues")
        .and_then(Json::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), text(v))).collect())
        .unwrap_or_default();
    let exception = observed
        .get("exception")
        .filter(|e| e.is_object())
        .map(|e| raised(e, &phase));
    let minor_only = phase == "validate"
        && !minor_issues.is_empty()
        && exception
            .as_ref()
            .is_some_and(|e| e.message.starts_with(MINOR_ISSUES_RAISE));
    let outcome = match outcome {
        "ok" => Outcome::Accepted,
        "error" if minor_only => Outcome::Accepted,
        "error" => Outcome::Rejected,
        "timeout" => Outcome::Timeout,
        "unavailable" => Outcome::Unavailable,
        other => {
            return Err(data_error(format!(
                "case `{id}`: observe returned an unknown outcome `{other}`"
            )));
        }
    };
    let warnings = emissions(observed);
    let normalised = observed
        .get("normalised")
        .and_then(Json::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        Normalised {
                            passed: v.get("passed").cloned().unwrap_or(Json::Null),
                            after: v.get("after").cloned().unwrap_or(Json::Null),
                        },
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Label {
        id: id.to_owned(),
        exception: if outcome == Outcome::Accepted {
            None
        } else {
            exception
        },
        outcome,
        minor_issues,
        warnings,
        normalised,
        generate: generate_run(id, observed)?,
    })
}

/// `0x7f3a...` (an object's address in a repr) becomes `0x?`, so labels are reproducible.
pub fn mask_addresses(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("0x") {
        let (head, tail) = rest.split_at(at);
        out.push_str(head);
        let digits = tail
            .get(2..)
            .map(|t| t.chars().take_while(char::is_ascii_hexdigit).count())
            .unwrap_or(0);
        if digits >= 6 {
            out.push_str("0x?");
            rest = tail.get(2 + digits..).unwrap_or("");
        } else {
            out.push_str("0x");
            rest = tail.get(2..).unwrap_or("");
        }
    }
    out.push_str(rest);
    out
}

fn summarise(version: &str, output: &Path, labels: &[Label]) -> LabelReport {
    let mut report = LabelReport {
        version: version.to_owned(),
        output: output.display().to_string(),
        cases: labels.len(),
        ..LabelReport::default()
    };
    for label in labels {
        match label.outcome {
            Outcome::Accepted => {
                report.accepted += 1;
                report.minor_issues += usize::from(!label.minor_issues.is_empty());
                report.warned += usize::from(!label.warnings.is_empty());
                report.normalised += usize::from(!label.normalised.is_empty());
                match label.generate.as_ref().map(|g| g.outcome) {
                    Some(GenerateOutcome::Error) => report.generate_failed += 1,
                    Some(GenerateOutcome::Timeout) => report.generate_timeouts += 1,
                    Some(GenerateOutcome::Unavailable) => report.generate_unavailable += 1,
                    Some(GenerateOutcome::Ok) | None => {}
                }
            }
            Outcome::Rejected => report.rejected += 1,
            Outcome::Timeout => report.timeouts += 1,
            Outcome::Unavailable => report.unavailable += 1,
        }
    }
    report
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_masked() {
        assert_eq!(
            mask_addresses("<object at 0x7f3a2b1c9d00> and 0x10"),
            "<object at 0x?> and 0x10"
        );
        assert_eq!(mask_addresses("0x"), "0x");
    }

    #[test]
    fn strict_minor_issue_raise_is_an_acceptance() {
        let observed = json!({
            "outcome": "error", "phase": "validate",
            "exception": {"type": "ValueError", "message": "GenerationConfig is invalid: \n- `top_k`: x"},
            "emissions": [{"channel": "logger", "level": "warning", "message": "flags not valid"}],
            "minor_issues": {"top_k": "x"}, "normalised": {}
        });
        let label = to_label("a", &observed).unwrap();
        assert_eq!(label.outcome, Outcome::Accepted);
        assert_eq!(label.exception, None);
        assert_eq!(label.minor_issues["top_k"], "x");
        assert_eq!(label.warnings.len(), 1);

        let hard = json!({
            "outcome": "error", "phase": "construct",
            "exception": {"type": "ValueError", "message": "bad"},
            "emissions": [], "minor_issues": {}, "normalised": {}
        });
        let label = to_label("b", &hard).unwrap();
        assert_eq!(label.outcome, Outcome::Rejected);
        assert_eq!(label.exception.unwrap().message, "bad");
        assert!(to_label("c", &json!({"outcome": "odd"})).is_err());
    }

    #[test]
    fn the_generate_stage_is_kept_with_its_frame_and_warnings() {
        let observed = json!({
            "outcome": "ok", "phase": "validate", "exception": null,
            "emissions": [], "minor_issues": {}, "normalised": {},
            "generate": {
                "outcome": "error",
                "exception": {"type": "TypeError", "stage": "generate",
                              "message": "bad value at 0x7f3a2b1c9d00",
                              "frame": {"file": "generation/utils.py", "function": "_expand_inputs_for_generation", "line": 901}},
                "emissions": [{"channel": "logger", "level": "warning", "message": "w", "phase": "generate"}],
                "sequences": null
            }
        });
        let label = to_label("g", &observed).unwrap();
        assert_eq!(label.outcome, Outcome::Accepted);
        let run = label.generate.unwrap();
        assert_eq!(run.outcome, GenerateOutcome::Error);
        let raised = run.exception.unwrap();
        assert_eq!(
            (
                raised.phase.as_str(),
                raised.stage.as_str(),
                raised.kind.as_str()
            ),
            ("generate", "generate", "TypeError")
        );
        assert_eq!(raised.message, "bad value at 0x?");
        assert_eq!(
            raised.frame,
            Some(Frame {
                file: "generation/utils.py".into(),
                function: "_expand_inputs_for_generation".into(),
                line: 901
            })
        );
        assert_eq!(run.warnings.len(), 1);

        let ran = json!({"outcome": "ok", "phase": "validate", "exception": null,
            "generate": {"outcome": "ok", "exception": null, "emissions": [], "sequences": [1, 14]}});
        let run = to_label("h", &ran).unwrap().generate.unwrap();
        assert_eq!(
            (run.outcome, run.sequences),
            (GenerateOutcome::Ok, Some(vec![1, 14]))
        );

        // a construction failure: no generate stage, the stage is the phase
        let rejected = json!({"outcome": "error", "phase": "construct", "generate": null,
            "exception": {"type": "ValueError", "message": "bad", "stage": "construct", "frame": null}});
        let label = to_label("i", &rejected).unwrap();
        assert_eq!(label.generate, None);
        assert_eq!(label.exception.unwrap().stage, "construct");
        assert!(
            to_label(
                "j",
                &json!({"outcome": "ok", "generate": {"outcome": "odd"}})
            )
            .is_err()
        );
    }

    #[test]
    fn labels_written_before_the_generate_stage_still_read() {
        let old = r#"{"id":"h1","outcome":"rejected","exception":{"phase":"construct","type":"ValueError","message":"m"},"minor_issues":{},"warnings":[],"normalised":{}}"#;
        let label: Label = serde_json::from_str(old).unwrap();
        assert_eq!(label.generate, None);
        let raised = label.exception.unwrap();
        assert_eq!((raised.stage.as_str(), raised.frame), ("", None));
    }
}
