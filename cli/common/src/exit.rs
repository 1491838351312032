//! Exit codes shared by every command.

/// Everything was fine (warnings allowed).
pub const OK: i32 = 0;
/// Findings: errors in the input, or a rejected config.
pub const FINDINGS: i32 = 1;
/// Usage or I/O error.
pub const USAGE: i32 = 2;
