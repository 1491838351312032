//! The boundary between Rust and generated code: the context the generated function receives, the
//! `extern "C"` helpers it calls for the rare complex cases, and the one unsafe call into it.
//!
//! Every helper works on materialised [`Value`]s and calls the reference semantics in
//! [`llemc_compiler::value`], so whatever the generated code hands to a helper is decided exactly
//! as the interpreter decides it. Helpers never panic (a panic cannot unwind through generated
//! code): every lookup is checked.

use super::cell::{Cell, tag};
use crate::frame::Frame;
use llemc_compiler::value::{self, Value};
use llemc_grammar::ast::CompareOp;
use std::borrow::Cow;

/// Data the helpers read that lives as long as the compiled program.
#[derive(Debug, Default)]
pub(super) struct Shared {
    /// `Value::Str` of every interned string, by rank.
    pub strings: Vec<Value>,
    /// Constant lists and dicts the generated code refers to by index ([`tag::CONST`]).
    pub consts: Vec<Value>,
}

/// What the generated function receives as its first argument.
#[repr(C)]
pub(super) struct Ctx<'a> {
    /// The frame being evaluated (foreign strings, lists and dicts are read from its values).
    pub frame: &'a Frame,
    /// The program's shared tables.
    pub shared: &'a Shared,
}

/// The generated function: `(ctx, cells, sets)`, turning the candidate bits of `sets` (one
/// 64-bit word per 64 rules) into the bits of the rules that hold.
type RulesFn = unsafe extern "C" fn(*const Ctx<'_>, *const Cell, *mut u64);

/// Runs generated code over a frame.
///
/// `code` must be the finalized entry point built by [`super::codegen`] for a program of at most
/// `cells.len()` slots and at most `64 * sets.len()` rules, still owned by a live `JITModule`.
#[allow(unsafe_code)]
pub(super) fn call(code: *const u8, ctx: &Ctx<'_>, cells: &[Cell], sets: &mut [u64]) {
    // SAFETY: `code` points at a finalized function of the `RulesFn` ABI (declared with exactly
    // these three pointer parameters and no return value) whose module is kept alive by the
    // `JitProgram` that calls this. The generated code reads only `cells[s]` for slots `s` the
    // program has (the caller checked `cells.len()` is at least the program's slot count), reads
    // and writes only `sets[w]` for words `w` below the program's rule count divided by 64,
    // rounded up (the caller checked `sets.len()` is that count), and passes `ctx` unchanged to
    // the helpers below, which read it as `&Ctx`. All of these borrows outlive the call; generated
    // code keeps no pointer after it returns.
    unsafe {
        let f = std::mem::transmute::<*const u8, RulesFn>(code);
        f(ctx, cells.as_ptr(), sets.as_mut_ptr());
    }
}

/// Frees a JIT module's code.
#[allow(unsafe_code)]
pub(super) fn free(module: cranelift_jit::JITModule) {
    // SAFETY: called only from `JitProgram::drop`: the program owns the only copy of the code
    // pointer, nothing is executing it (evaluation borrows the program), and it is never called
    // again.
    unsafe { module.free_memory() }
}

/// The value a (tag, payload) pair stands for.
fn materialise<'a>(ctx: &'a Ctx<'a>, t: u32, payload: u64) -> Cow<'a, Value> {
    static NULL: Value = Value::Null;
    let borrowed = |v: Option<&'a Value>| Cow::Borrowed(v.unwrap_or(&NULL));
    match u8::try_from(t).unwrap_or(u8::MAX) {
        tag::BOOL => Cow::Owned(Value::Bool(payload != 0)),
        tag::INT => Cow::Owned(Value::Int(payload.cast_signed())),
        tag::FLOAT => Cow::Owned(Value::Float(f64::from_bits(payload))),
        tag::STR => borrowed(
            usize::try_from(payload)
                .ok()
                .and_then(|i| ctx.shared.strings.get(i)),
        ),
        tag::FSTR | tag::LIST | tag::DICT => {
            Cow::Borrowed(ctx.frame.value(u32::try_from(payload).unwrap_or(u32::MAX)))
        }
        tag::CONST => borrowed(
            usize::try_from(payload)
                .ok()
                .and_then(|i| ctx.shared.consts.get(i)),
        ),
        _ => Cow::Owned(Value::Null),
    }
}

/// `a <op> b` by the reference semantics (`op` indexes [`CompareOp::ALL`]); 1 when it holds.
pub(super) extern "C" fn h_compare(
    ctx: &Ctx<'_>,
    op: u32,
    ta: u32,
    pa: u64,
    tb: u32,
    pb: u64,
) -> u8 {
    let Some(op) = CompareOp::ALL.get(op as usize) else {
        return 0;
    };
    let (a, b) = (materialise(ctx, ta, pa), materialise(ctx, tb, pb));
    u8::from(value::compare(*op, &a, &b))
}

/// `len(x)`, or -1 when Python would raise.
pub(super) extern "C" fn h_len(ctx: &Ctx<'_>, t: u32, payload: u64) -> i64 {
    match value::len(&materialise(ctx, t, payload)) {
        Some(Value::Int(n)) => n,
        _ => -1,
    }
}

/// Python's floored float modulo (the caller has ruled out a zero divisor).
pub(super) extern "C" fn h_fmod(x: f64, y: f64) -> f64 {
    value::floor_mod_float(x, y).unwrap_or(f64::NAN)
}
