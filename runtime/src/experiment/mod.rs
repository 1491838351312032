//! Experiment configs (`experiment.yaml`, see `docs/experiment-config.md`): the engine adapter
//! that turns the user's YAML into native kwargs per native type, keeping every span, checks it
//! against the engine schema, and evaluates the engine's rule program on it.
//!
//! Two steps:
//! 1. [`read_experiment`]: YAML text → [`ExperimentConfig`] plus diagnostics for problems with
//!    the config itself (codes `E7xx`: not a mapping, missing or mistyped header keys, unknown
//!    engine, unsupported engine version, unknown key / section / field with "did you mean").
//! 2. [`check_experiment`]: binds the config to a [`LoadedProgram`], evaluates every rule, adds a
//!    warning for every value whose type the schema does not admit, merges the findings that
//!    describe one library behaviour, and turns each into a [`ConfigFinding`] carrying a
//!    ready-to-render [`Diagnostic`] (codes `E800` error rule, `W801` warn rule, `D802` dormant
//!    rule, `W811` a type the library only tolerates).
//!
//! Severities follow the engine (docs/experiment-config.md, "Severities"): only a rule the gate
//! confirmed against the live library rejects a config.

// `Diagnostic` is the crate's one error type and is returned by value on purpose.
#![allow(clippy::result_large_err)]

mod check;
mod conform;
mod help;
mod read;
#[cfg(test)]
mod tests;

pub use check::{
    CheckOutcome, ConfigFinding, FindingKind, Gap, check_experiment, deny_warning, rule_code,
    show_value,
};
pub use conform::{Mismatch, conforms, expected_name};
pub use read::{read_experiment, read_experiment_node};

use llemc_compiler::diagnostic::{Diagnostic, FileId};
use llemc_compiler::schema::EngineSchema;
use llemc_compiler::types::Ty;
use llemc_compiler::yaml::Node;
use llemc_grammar::ast::Span;

/// The top-level keys of an experiment config other than the engine section.
pub const HEADER_KEYS: [&str; 3] = ["engine", "model", "engine_version"];

/// One engine library version that configs can be checked against.
#[derive(Clone, Copy, Debug)]
pub struct SupportedVersion<'a> {
    /// The engine, e.g. `transformers`.
    pub engine: &'a str,
    /// The library version, e.g. `5.14.1`.
    pub version: &'a str,
    /// The engine schema for that version.
    pub schema: &'a EngineSchema,
}

/// An experiment config as read: its header, its sections and every native kwarg with spans.
#[derive(Clone, Debug, PartialEq)]
pub struct ExperimentConfig {
    /// The file it was read from.
    pub file: FileId,
    /// The whole YAML document (slot paths are absolute paths into it).
    pub root: Node,
    /// `engine`.
    pub engine: String,
    /// `model` (`None` when missing or not a string; a diagnostic says so).
    pub model: Option<String>,
    /// The engine version whose rules apply (`engine_version`, else the default one).
    pub engine_version: String,
    /// Whether `engine_version` was written in the config.
    pub engine_version_declared: bool,
    /// The sections written under the engine key, in file order (known ones only).
    pub sections: Vec<SectionConfig>,
    /// Every native kwarg written (nested native types included), in file order.
    pub fields: Vec<DeclaredField>,
}

/// One section of the engine key (`transformers.generation`) and the native type it feeds.
#[derive(Clone, Debug, PartialEq)]
pub struct SectionConfig {
    /// Section name (`generation`).
    pub name: String,
    /// The native type its kwargs construct (`transformers.GenerationConfig`).
    pub native_type: String,
    /// Absolute config path of the section (`["transformers", "generation"]`).
    pub path: Vec<String>,
    /// Span of the section's key.
    pub key_span: Span,
}

/// One kwarg written in the config.
#[derive(Clone, Debug, PartialEq)]
pub struct DeclaredField {
    /// Absolute config path (`["transformers", "generation", "num_beams"]`).
    pub path: Vec<String>,
    /// The native type that owns the kwarg (`transformers.WatermarkingConfig` for a nested one).
    pub owner: String,
    /// The field path inside the section's native type (`["watermarking_config", "bias"]`).
    pub field: Vec<String>,
    /// The type the schema declares.
    pub ty: Ty,
    /// Span of the key.
    pub key_span: Span,
    /// The value as written.
    pub value: Node,
}

impl DeclaredField {
    /// The field path inside its section's native type, dotted (`watermarking_config.bias`).
    pub fn name(&self) -> String {
        self.field.join(".")
    }

    /// The absolute config path, dotted.
    pub fn dotted(&self) -> String {
        self.path.join(".")
    }
}

/// What [`read_experiment`] returns.
#[derive(Clone, Debug, Default)]
pub struct ReadOutcome {
    /// The config, when its engine and engine version are known (even if other parts have
    /// problems: the rules are still evaluated on what could be read).
    pub config: Option<ExperimentConfig>,
    /// Problems with the config itself.
    pub diagnostics: Vec<Diagnostic>,
}
