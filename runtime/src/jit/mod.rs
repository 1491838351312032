//! The Cranelift JIT backend: the whole rule program compiled into one native function over the
//! frame's flat cells, giving exactly the interpreter's results.
//!
//! - [`cell`]: the tagged cells the frame keeps next to its values, and the string interner.
//! - `codegen`: lowering predicates to Cranelift IR (every `srem` guarded, no trapping
//!   instruction, helpers for the rare complex cases).
//! - `abi`: the context and the `extern "C"` helpers generated code calls, and the one unsafe
//!   call into generated code.
//! - [`Evaluator`]: `interp | jit | auto` behind one call that produces findings identically.
//!
//! A rule the JIT cannot compile (a list operand built from fields) is evaluated by the
//! interpreter instead, with the reason in [`JitProgram::fallback_reasons`]; a program of more
//! than [`MAX_NODES`] IR nodes is not compiled at all ([`JitError::TooLarge`]).

pub mod cell;

mod abi;
mod codegen;
#[doc(hidden)]
pub mod testgen;

use crate::findings::Finding;
use crate::frame::{Frame, SlotRules};
use crate::interp::{EvalPred, holds};
use crate::loaded::LoadedProgram;
use crate::ruleset::RuleSet;
use abi::{Ctx, Shared};
use cell::Interner;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_jit::{JITBuilder, JITModule};
use llemc_compiler::value::Value;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Programs with more IR nodes than this are left to the interpreter entirely (compile time and
/// code size grow with the program; the interpreter's do not).
pub const MAX_NODES: usize = 50_000;

/// `--backend auto` switches from the interpreter to the JIT once a batch has evaluated this many
/// configs: measured on the six compat corpora, compiling (0.6-3 ms) costs as much as the JIT saves
/// over 1,400-6,700 configs (median about 3,400), so switching here costs at most about twice the
/// better choice in hindsight (see `docs/performance.md`, "JIT backend").
pub const AUTO_THRESHOLD: u64 = 4_000;

/// Why a program was not compiled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JitError {
    /// More IR nodes than [`MAX_NODES`].
    TooLarge {
        /// The program's node count.
        nodes: usize,
    },
    /// Cranelift does not support this machine.
    Host(String),
    /// Code generation failed (a bug: please report it).
    Codegen(String),
}

impl fmt::Display for JitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JitError::TooLarge { nodes } => write!(
                f,
                "program too large for the JIT ({nodes} IR nodes, limit {MAX_NODES})"
            ),
            JitError::Host(msg) => write!(f, "the JIT does not support this machine: {msg}"),
            JitError::Codegen(msg) => write!(f, "JIT code generation failed: {msg}"),
        }
    }
}

impl std::error::Error for JitError {}

/// A rule program compiled to native code. Owns its code (freed on drop).
pub struct JitProgram {
    module: Option<JITModule>,
    code: *const u8,
    shared: Shared,
    interner: Arc<Interner>,
    preds: Vec<EvalPred>,
    fallback: Vec<usize>,
    reasons: Vec<String>,
    slots: usize,
    /// The program's candidates as one word (see [`LoadedProgram::candidates`]), when they are.
    one_word: Option<OneWord>,
    compile_time: Duration,
}

/// What deciding a frame's candidates takes when they are one word: `always | declared`.
#[derive(Debug)]
struct OneWord {
    /// The rules that may fire whatever the config declares.
    always: u64,
    /// The index whose union over the declared slots a frame of the program keeps.
    slot_rules: Arc<SlotRules>,
}

impl fmt::Debug for JitProgram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JitProgram")
            .field("rules", &self.preds.len())
            .field("fallback", &self.fallback)
            .field("compile_time", &self.compile_time)
            .finish_non_exhaustive()
    }
}

impl JitProgram {
    /// Compiles every rule of a loaded program into one native function.
    pub fn compile(loaded: &LoadedProgram) -> Result<JitProgram, JitError> {
        let start = Instant::now();
        let program = loaded.program();
        let nodes: usize = program
            .rules
            .iter()
            .map(|r| codegen::node_count(&r.pred))
            .sum();
        if nodes > MAX_NODES {
            return Err(JitError::TooLarge { nodes });
        }
        let mut compile = Vec::with_capacity(program.rules.len());
        let mut fallback = Vec::new();
        let mut reasons = Vec::new();
        for (index, rule) in program.rules.iter().enumerate() {
            match codegen::unsupported(program, &rule.pred) {
                None => compile.push(true),
                Some(reason) => {
                    compile.push(false);
                    fallback.push(index);
                    reasons.push(format!(
                        "rule `{}`: {reason}; evaluated by the interpreter",
                        rule.id
                    ));
                }
            }
        }
        let interner = Arc::clone(loaded.interner());
        let mut shared = Shared {
            strings: (0..interner.len())
                .map(|i| {
                    let s = u32::try_from(i)
                        .ok()
                        .and_then(|i| interner.string(i))
                        .unwrap_or("");
                    Value::Str(s.to_owned())
                })
                .collect(),
            consts: Vec::new(),
        };
        let mut module = new_module()?;
        let code = match codegen::build(&mut module, program, &interner, &compile, &mut shared) {
            Ok(code) => code,
            Err(msg) => {
                abi::free(module);
                return Err(JitError::Codegen(msg));
            }
        };
        Ok(JitProgram {
            module: Some(module),
            code,
            shared,
            interner,
            preds: loaded.rules().iter().map(|r| r.pred.clone()).collect(),
            fallback,
            reasons,
            slots: program.slots.len(),
            one_word: loaded
                .one_word_index()
                .filter(|_| program.rules.len() <= 64)
                .map(|(always, slot_rules)| OneWord {
                    always,
                    slot_rules: Arc::clone(slot_rules),
                }),
            compile_time: start.elapsed(),
        })
    }

    /// Evaluates every rule on a frame: `fired[i]` is whether rule `i` holds (no skipping;
    /// the interpreter's `needs_declared` skip never changes a result).
    ///
    /// The frame must come from [`LoadedProgram::frame`] of the program this was compiled from
    /// (its cells intern strings with the same interner); any other frame is evaluated by the
    /// interpreter, so the answer is the same either way.
    pub fn eval(&self, frame: &Frame, fired: &mut Vec<bool>) {
        let mut set = RuleSet::default();
        set.fill(self.preds.len());
        self.run(frame, &mut set);
        fired.clear();
        fired.extend((0..self.preds.len()).map(|i| set.contains(i)));
    }

    /// The rules that fire on a frame bound by `loaded` (the program this was compiled from), as
    /// [`LoadedProgram::fire`] decides them: only [`LoadedProgram::candidates`] are evaluated.
    #[inline]
    pub fn fire(&self, loaded: &LoadedProgram, frame: &Frame, fired: &mut RuleSet) {
        if let Some(one) = &self.one_word
            && fired.len() == self.preds.len()
            && Arc::ptr_eq(loaded.interner(), &self.interner)
            && let Some(declared) = frame.declared_word(&self.interner, &one.slot_rules, self.slots)
            && let [word] = fired.words_mut()
        {
            // The frame is the program's (interner, index, enough cells) and the set is one word:
            // what `run` checks, checked.
            *word = one.always | declared;
            let ctx = Ctx {
                frame,
                shared: &self.shared,
            };
            abi::call(self.code, &ctx, frame.cells(), std::slice::from_mut(word));
            self.recheck_fallback(frame, fired);
            return;
        }
        if !Arc::ptr_eq(loaded.interner(), &self.interner) {
            loaded.fire(frame, fired);
            return;
        }
        loaded.candidates(frame, fired);
        self.run(frame, fired);
    }

    /// Turns the candidates in `set` into the rules among them that hold.
    fn run(&self, frame: &Frame, set: &mut RuleSet) {
        let ours = frame
            .interner()
            .is_some_and(|i| Arc::ptr_eq(i, &self.interner));
        if !ours || frame.cells().len() < self.slots || set.len() != self.preds.len() {
            set.retain(|i| self.preds.get(i).is_some_and(|p| holds(p, frame)));
            return;
        }
        let ctx = Ctx {
            frame,
            shared: &self.shared,
        };
        abi::call(self.code, &ctx, frame.cells(), set.words_mut());
        self.recheck_fallback(frame, set);
    }

    /// Decides the candidates among the rules left to the interpreter.
    #[inline]
    fn recheck_fallback(&self, frame: &Frame, set: &mut RuleSet) {
        if self.fallback.is_empty() {
            return;
        }
        for &index in &self.fallback {
            if set.contains(index) && !self.preds.get(index).is_some_and(|p| holds(p, frame)) {
                set.remove(index);
            }
        }
    }

    /// Why rules are evaluated by the interpreter, one line per such rule.
    pub fn fallback_reasons(&self) -> &[String] {
        &self.reasons
    }

    /// The indices of the rules evaluated by the interpreter.
    pub fn fallback_rules(&self) -> &[usize] {
        &self.fallback
    }

    /// How long compilation took.
    pub fn compile_time(&self) -> Duration {
        self.compile_time
    }

    /// Number of rules.
    pub fn rule_count(&self) -> usize {
        self.preds.len()
    }
}

impl Drop for JitProgram {
    fn drop(&mut self) {
        if let Some(module) = self.module.take() {
            abi::free(module);
        }
    }
}

fn new_module() -> Result<JITModule, JitError> {
    let host = |e: &dyn fmt::Display| JitError::Host(e.to_string());
    let mut flags = settings::builder();
    for (name, value) in [
        ("opt_level", "speed"),
        ("use_colocated_libcalls", "false"),
        ("is_pic", "false"),
        (
            "enable_verifier",
            if cfg!(debug_assertions) {
                "true"
            } else {
                "false"
            },
        ),
    ] {
        flags.set(name, value).map_err(|e| host(&e))?;
    }
    let isa = cranelift_native::builder()
        .map_err(|e| host(&e))?
        .finish(settings::Flags::new(flags))
        .map_err(|e| host(&e))?;
    Ok(JITModule::new(JITBuilder::with_isa(
        isa,
        cranelift_module::default_libcall_names(),
    )))
}

/// Which evaluator runs the rules.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Backend {
    /// The reference interpreter.
    #[default]
    Interp,
    /// The JIT (rules it cannot compile run on the interpreter).
    Jit,
    /// The interpreter for the first [`AUTO_THRESHOLD`] configs of a batch, then the JIT.
    Auto,
}

/// Evaluates a loaded program with the chosen backend; findings are built by the same code
/// whichever backend decided which rules fire.
#[derive(Debug)]
pub struct Evaluator {
    backend: Backend,
    jit: Option<JitProgram>,
    tried: bool,
    evaluated: u64,
    fired: RuleSet,
    notes: Vec<String>,
    error: Option<JitError>,
}

impl Evaluator {
    /// An evaluator for `loaded`. With [`Backend::Jit`] the program is compiled now; if it cannot
    /// be, the interpreter runs instead and [`Evaluator::notes`] says why.
    pub fn new(loaded: &LoadedProgram, backend: Backend) -> Evaluator {
        let mut e = Evaluator {
            backend,
            jit: None,
            tried: false,
            evaluated: 0,
            fired: RuleSet::default(),
            notes: Vec::new(),
            error: None,
        };
        if backend == Backend::Jit {
            e.compile(loaded);
        }
        e
    }

    /// An evaluator for a batch whose length is known up front: `auto` compiles the JIT now when
    /// the batch has more than [`AUTO_THRESHOLD`] configs, and never otherwise.
    pub fn sized(loaded: &LoadedProgram, backend: Backend, configs: u64) -> Evaluator {
        let chosen = match backend {
            Backend::Auto if configs > AUTO_THRESHOLD => Backend::Jit,
            Backend::Auto => Backend::Interp,
            other => other,
        };
        Evaluator::new(loaded, chosen)
    }

    fn compile(&mut self, loaded: &LoadedProgram) {
        self.tried = true;
        match JitProgram::compile(loaded) {
            Ok(jit) => {
                self.notes.push(format!(
                    "jit: compiled {} rules in {:.1} ms ({} on the interpreter)",
                    jit.rule_count(),
                    jit.compile_time().as_secs_f64() * 1e3,
                    jit.fallback_rules().len()
                ));
                self.notes.extend(jit.fallback_reasons().iter().cloned());
                self.jit = Some(jit);
            }
            Err(e) => {
                self.notes.push(format!("jit: {e}; using the interpreter"));
                self.error = Some(e);
            }
        }
    }

    /// Why the JIT could not compile the program, when it was tried and failed.
    pub fn jit_error(&self) -> Option<&JitError> {
        self.error.as_ref()
    }

    /// Decides which rules fire on `frame` (bound by `loaded`, the program this evaluator was
    /// made for), counting it towards `auto`'s switch to the JIT.
    pub fn fire(&mut self, loaded: &LoadedProgram, frame: &Frame, fired: &mut RuleSet) {
        self.evaluated += 1;
        if self.backend == Backend::Auto && !self.tried && self.evaluated > AUTO_THRESHOLD {
            self.notes.push(format!(
                "auto: {AUTO_THRESHOLD} configs evaluated, switching to the JIT"
            ));
            self.compile(loaded);
        }
        match &self.jit {
            Some(jit) => jit.fire(loaded, frame, fired),
            None => loaded.fire(frame, fired),
        }
    }

    /// Evaluates `frame` (bound by `loaded`, the program this evaluator was made for), appending
    /// findings to `out` in program order.
    pub fn evaluate_into(&mut self, loaded: &LoadedProgram, frame: &Frame, out: &mut Vec<Finding>) {
        let mut fired = std::mem::take(&mut self.fired);
        self.fire(loaded, frame, &mut fired);
        loaded.findings_from_set(frame, &fired, out);
        self.fired = fired;
    }

    /// Which backend is evaluating now: `"jit"` or `"interp"`.
    pub fn active(&self) -> &'static str {
        if self.jit.is_some() { "jit" } else { "interp" }
    }

    /// The compiled program, once there is one.
    pub fn jit(&self) -> Option<&JitProgram> {
        self.jit.as_ref()
    }

    /// What happened: compile time, rules left to the interpreter and why, compile failures.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }
}
