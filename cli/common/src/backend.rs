//! `--backend`: which evaluator runs a compiled rule program.
//!
//! Shared by every command that evaluates rules (`llemc eval`, `llem config check`,
//! `llem sweep check`): the reference interpreter, the Cranelift JIT, or `auto` (the interpreter
//! until a batch is long enough to repay compiling, then the JIT; see `docs/performance.md`). All
//! give identical results.

use clap::ValueEnum;

/// `--backend`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// The reference interpreter.
    #[default]
    Interp,
    /// The Cranelift JIT (rules it cannot compile run on the interpreter).
    Jit,
    /// The interpreter, switching to the JIT once a batch is long enough to repay compiling.
    Auto,
}

impl Backend {
    /// The spelling on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Interp => "interp",
            Backend::Jit => "jit",
            Backend::Auto => "auto",
        }
    }

    /// The runtime's evaluator choice.
    pub fn runtime(self) -> llemc_runtime::jit::Backend {
        match self {
            Backend::Interp => llemc_runtime::jit::Backend::Interp,
            Backend::Jit => llemc_runtime::jit::Backend::Jit,
            Backend::Auto => llemc_runtime::jit::Backend::Auto,
        }
    }
}
