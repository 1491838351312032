//! The validation gate: replay every rule of a proposed corpus against the live library and
//! check the rule itself, so that only confirmed rules ship.
//!
//! For each rule the gate constructs the rule's native type with `kwargs_positive` and with
//! `kwargs_negative` (nested types such as `WatermarkingConfig` directly from their own kwargs,
//! then their `validate()`, which is how `GenerationConfig.validate` reaches them) and checks:
//!
//! - `replay`: both cases ran (no timeout, no exception raised outside the library's own code,
//!   i.e. kwargs that do not fit the constructor, no programming error the rule does not name);
//! - `a`: the positive shows the rule's outcome on the rule's channel (error: an exception at
//!   construction or from `validate` unless it is the strict aggregation of minor issues; warn: a
//!   `warnings`/logger emission absent from the baseline `Type()`; dormant: a minor issue recorded
//!   for the rule's field, or a silent normalisation of it);
//! - `b`: the negative does not;
//! - `c`: the observed message matches the rule's `replay_match` regex, else its
//!   `message_template` read as a pattern (see [`message`]);
//! - `d`: llemc's own evaluator finds the predicate true on the positive and false on the
//!   negative;
//! - `e`: on boundary probes ([`probes`]) the library's verdict equals the predicate's (judged
//!   only when `a`, `c` and `d` hold: the probes need an anchor the library and the predicate
//!   agree on, and a message to attribute what the library shows to this rule). A probe
//!   counts as unverified (not as a disagreement) when the library cannot evaluate it here (a
//!   missing dependency) or rejects it through another check before reaching this rule's (an
//!   exception whose message is not the rule's): the library's order of checks, not the rule,
//!   decides what it shows then. Probe timeouts are divergences.
//!
//! Messages attribute signals to the rule: once the positive's message matched (`c`), the
//! negative and the probes only count signals whose message matches too, so another check's
//! exception or warning is not mistaken for this rule's.
//!
//! Each rule is replayed at its `stage`: `construct` and `validate` rules through construction
//! and `validate(strict=True)`; `generate` rules on through a generation run
//! (`llemc_generate.observe_stage`: a tiny model built in memory), where only what generate()
//! itself shows counts, and a case that fails before generate() is a replay failure.
//!
//! A rule is unverified, not shipped, when its cases cannot be replayed here: a dependency the
//! library needs for them is missing (an ImportError, or a NameError on an uninstalled module's
//! name such as `torch`), or the generation run needs what this machine lacks (a CUDA device).
//!
//! The checking logic is pure Rust over an [`Observer`]; the live observer and the command driver
//! (`run`) need the `python` feature.

mod checks;
pub mod judge;
pub mod message;
pub mod model;
pub mod output;
pub mod probes;
mod rule;
#[cfg(feature = "python")]
pub mod run;
mod signals;

pub use judge::{GateInput, Observer, gate_corpus};
pub use model::{Check, CheckResult, Class, GateReport, Observation, RuleVerdict, Target};
