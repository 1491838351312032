//! What every mining stage shares: the engine's single source of truth (`ssot`), where each file
//! of the pipeline lives (`layout`), the staging files miners write (`staging`), compiling one
//! proposed rule on its own (`rule`), synthesizing example kwargs from a predicate (`synth`) and
//! the diagnostics a stage stops with (`failure`).

// `Diagnostic` is the one error type of every stage and is returned by value on purpose.
#![allow(clippy::result_large_err)]

pub mod failure;
pub mod layout;
pub mod rule;
pub mod ssot;
pub mod staging;
pub mod synth;
