//! What every mining stage shares: the engine's single source of truth (`ssot`), where each file
//! of the pipeline lives (`layout`), the staging files miners write (`staging`), compiling one
//! proposed rule on its own (`rule`) and synthesizing example kwargs from a predicate (`synth`).

pub mod layout;
pub mod rule;
pub mod ssot;
pub mod staging;
pub mod synth;
