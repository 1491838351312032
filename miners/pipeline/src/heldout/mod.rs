//! The held-out evaluation of shipped corpora: a set of realistic `GenerationConfig` kwargs
//! (`eval/heldout/generation_kwargs.jsonl`, written by `eval/heldout/generate.py`), what each
//! supported transformers version actually does with them (`label`, needs the `python` feature;
//! written to `eval/heldout/labels-<version>.jsonl`), and how well a corpus predicts that
//! (`score`, pure Rust).

#[cfg(feature = "python")]
pub mod label;
pub mod score;
pub mod whole_run;

use llemc_compiler::diagnostic::Diagnostic;
use llemc_mining::failure::read_text;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;
use std::path::Path;

/// The engine the held-out set is for.
pub const ENGINE: &str = "transformers";

/// The native type whose constructor kwargs the held-out set holds.
pub const NATIVE_TYPE: &str = "transformers.GenerationConfig";

/// The held-out kwargs file, relative to the repository root.
pub const KWARGS_FILE: &str = "eval/heldout/generation_kwargs.jsonl";

/// The labels file of a library version, relative to the repository root.
pub fn labels_file(version: &str) -> String {
    format!("eval/heldout/labels-{version}.jsonl")
}

/// A held-out case: kwargs as a researcher writes them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// Stable id (`h00001`).
    pub id: String,
    /// What the generator meant to write: `valid` or `mistake` (not a label).
    #[serde(default)]
    pub intent: String,
    /// The generator's archetype (`sampling`, `m_unknown_cache`, ...).
    #[serde(default)]
    pub archetype: String,
    /// The constructor kwargs.
    pub kwargs: Map<String, Json>,
}

/// What the library did with one case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Constructed, and `validate(strict=True)` raised at most for minor issues.
    Accepted,
    /// Construction raised, or `validate(strict=True)` raised for something other than minor
    /// issues.
    Rejected,
    /// The library did not answer in time.
    Timeout,
    /// The class could not be imported.
    Unavailable,
}

/// An exception the library raised: behind a rejection, or behind a failed generate() run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Raised {
    /// `construct` or `validate` (`generate` for the exception of a generate() run).
    pub phase: String,
    /// The stage it came from: `construct`, `validate` or `generate` (empty in labels written
    /// before generate() was observed).
    #[serde(default)]
    pub stage: String,
    /// Exception type (`ValueError`).
    #[serde(rename = "type")]
    pub kind: String,
    /// `str(exc)` (memory addresses masked).
    pub message: String,
    /// The innermost traceback frame inside the library's package, when there is one.
    #[serde(default)]
    pub frame: Option<Frame>,
}

/// A traceback frame inside the library's package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frame {
    /// The file, relative to the package's folder (`generation/logits_process.py`).
    pub file: String,
    /// The function (`__init__`, `_beam_search`).
    pub function: String,
    /// The line.
    pub line: u32,
}

/// What `model.generate(...)` did with a config that constructed and validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GenerateOutcome {
    /// It produced tokens and returned.
    Ok,
    /// The library (or torch under the library's call) raised.
    Error,
    /// It ran past the deadline.
    Timeout,
    /// It could not run here (torch missing, a module the run needs is not installed).
    Unavailable,
}

/// The generate() stage of a label.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerateRun {
    /// What happened.
    pub outcome: GenerateOutcome,
    /// The exception behind an error, timeout or unavailable run.
    #[serde(default)]
    pub exception: Option<Raised>,
    /// Every warning emitted during the run, in order.
    #[serde(default)]
    pub warnings: Vec<Emission>,
    /// `[rows, columns]` of the returned sequences, when it returned.
    #[serde(default)]
    pub sequences: Option<Vec<u64>>,
}

/// One warning the library emitted (Python `warnings`, the logger, or printed text).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Emission {
    /// `warnings`, `logger` or `print`.
    pub channel: String,
    /// `warning`, `error`, `info`, ...
    pub level: String,
    /// The text (memory addresses masked).
    pub message: String,
}

/// A field the library kept in another form than it was passed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Normalised {
    /// The value passed.
    pub passed: Json,
    /// The value read back.
    pub after: Json,
}

/// The label of one case under one library version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Label {
    /// The case id.
    pub id: String,
    /// What happened.
    pub outcome: Outcome,
    /// The exception behind a rejection (also for timeouts and unavailable classes).
    #[serde(default)]
    pub exception: Option<Raised>,
    /// Minor issues by field, as `validate(strict=True)` reports them.
    #[serde(default)]
    pub minor_issues: BTreeMap<String, String>,
    /// Every warning emitted during construction and strict validation, in order.
    #[serde(default)]
    pub warnings: Vec<Emission>,
    /// Fields whose read-back value differs from the passed one.
    #[serde(default)]
    pub normalised: BTreeMap<String, Normalised>,
    /// What generate() did with the config; `None` when it did not run (the config was rejected,
    /// or the labels were written before generate() was observed).
    #[serde(default)]
    pub generate: Option<GenerateRun>,
}

/// `E690`: held-out data that does not hold together (a line that does not parse, an id
/// twice, labels and cases that do not match, an observation of an unknown kind).
pub fn data_error(message: String) -> Diagnostic {
    Diagnostic::error("E690", message).with_help(
        "regenerate the held-out files (`eval/heldout/generate.py`, `llemc heldout label`)",
    )
}

/// Reads a JSONL file of `T`, one per non-blank line; errors name the file and line.
pub fn read_jsonl<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>, Diagnostic> {
    let shown = path.display().to_string();
    parse_jsonl(&shown, &read_text(path, &shown, None)?)
}

/// Parses JSONL text (`name` is shown in errors).
pub fn parse_jsonl<T: serde::de::DeserializeOwned>(
    name: &str,
    text: &str,
) -> Result<Vec<T>, Diagnostic> {
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let item = serde_json::from_str(line)
            .map_err(|e| data_error(format!("{name}:{}: {e}", index + 1)))?;
        out.push(item);
    }
    Ok(out)
}

/// Checks that ids are unique; errors name the file and the duplicated id.
pub fn check_unique<'a>(
    name: &str,
    ids: impl IntoIterator<Item = &'a str>,
) -> Result<(), Diagnostic> {
    let mut seen = std::collections::BTreeSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(data_error(format!("{name}: id `{id}` appears twice")));
        }
    }
    Ok(())
}

/// Renders labels as JSONL (one line per label, in the given order).
pub fn labels_to_jsonl(labels: &[Label]) -> String {
    let mut out = String::new();
    for label in labels {
        // A Label always serialises (string keys, JSON values).
        if let Ok(line) = serde_json::to_string(label) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}
