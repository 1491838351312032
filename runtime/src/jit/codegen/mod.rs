//! Lowering a rule program to one Cranelift function.
//!
//! Predicates lower to control flow: `pred(p, t, f)` ends in a jump to `t` when `p` holds and to
//! `f` otherwise, so `and`/`or` short-circuit, `not` swaps the targets, and an operand that is
//! invalid (Python would raise) jumps to the false target of the test it sits in, exactly as the
//! interpreter makes such a test false.
//!
//! A value is a (tag, payload) pair; either half may be known at compile time ([`T::K`],
//! [`P::K`]), which folds most of the type dispatch away for constants. Conditions are computed
//! branch-free where cheap ([`C`]); a test whose operands need a helper (string ordering, foreign
//! strings, containers, mixed int/float ordering) branches to a call of [`abi::h_compare`] only in
//! those cases.

mod compare;
mod cond;
mod operand;
mod pred;

use super::abi::Shared;
use super::cell::Interner;
use cranelift_codegen::ir::{
    AbiParam, BlockArg, InstBuilder, MemFlagsData, SigRef, Signature, StackSlotData, StackSlotKind,
    Type, UserFuncName, Value as V, types,
};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::JITModule;
use cranelift_module::{Linkage, Module};
use llemc_compiler::ir::{Const, Operand, Pred, Program, RuleIr};

/// A tag: known at compile time or an `i32` SSA value.
#[derive(Clone, Copy, Debug)]
enum T {
    K(u8),
    D(V),
}

/// A payload: known at compile time or an `i64` SSA value.
#[derive(Clone, Copy, Debug)]
enum P {
    K(i64),
    D(V),
}

/// A condition: known at compile time or an `i8` (0/1) SSA value.
#[derive(Clone, Copy, Debug)]
enum C {
    K(bool),
    D(V),
}

/// An operand's value.
#[derive(Clone, Copy, Debug)]
struct JVal {
    t: T,
    p: P,
}

/// Why a rule is left to the interpreter.
pub(super) fn unsupported(program: &Program, pred: &Pred) -> Option<String> {
    let mut reason = None;
    pred.visit_operands(&mut |o| {
        if reason.is_none() {
            reason = unsupported_operand(program, o);
        }
    });
    reason
}

fn unsupported_operand(program: &Program, o: &Operand) -> Option<String> {
    match o {
        Operand::Slot(s) => (*s as usize >= program.slots.len() || *s >= (1 << 26))
            .then(|| format!("slot {s} out of range")),
        Operand::Const(c) => unsupported_const(program, c),
        Operand::List(_) => Some("list operand built from fields (`[@a, ...]`)".to_owned()),
        Operand::Len(inner) | Operand::Neg(inner) => unsupported_operand(program, inner),
        Operand::Arith { lhs, rhs, .. } => {
            unsupported_operand(program, lhs).or_else(|| unsupported_operand(program, rhs))
        }
    }
}

fn unsupported_const(program: &Program, c: &Const) -> Option<String> {
    match c {
        Const::Str(id) if *id as usize >= program.strings.len() => {
            Some(format!("string id {id} out of range"))
        }
        Const::List(items) => items.iter().find_map(|i| unsupported_const(program, i)),
        Const::Dict(entries) => entries.iter().find_map(|(k, v)| {
            unsupported_const(program, k).or_else(|| unsupported_const(program, v))
        }),
        _ => None,
    }
}

/// Number of IR nodes (predicates and operands) of a predicate.
pub(super) fn node_count(pred: &Pred) -> usize {
    fn operand(o: &Operand) -> usize {
        1 + match o {
            Operand::Slot(_) | Operand::Const(_) => 0,
            Operand::List(items) => items.iter().map(operand).sum(),
            Operand::Len(i) | Operand::Neg(i) => operand(i),
            Operand::Arith { lhs, rhs, .. } => operand(lhs) + operand(rhs),
        }
    }
    1 + match pred {
        Pred::Const(_) => 0,
        Pred::And(items) | Pred::Or(items) => items.iter().map(node_count).sum(),
        Pred::Not(inner) => node_count(inner),
        Pred::Compare { lhs, rhs, .. } => operand(lhs) + operand(rhs),
        Pred::Presence { operand: o, .. } | Pred::Is { operand: o, .. } => operand(o),
    }
}

/// Compiles the rules marked in `compile` into one function in `module`; returns its entry point.
///
/// The function is `(ctx, cells, sets)`: `sets` holds one 64-bit word per 64 rules. On entry a
/// word's bits say which of its rules to evaluate (the candidates); on return they say which of
/// them hold. Each group of 64 rules reads its candidate word once, keeps the results in a
/// register (one `or` per rule that fires) and stores the word once; a rule that is not a
/// candidate costs one bit test. The bits of rules not marked in `compile` are left as they
/// came in, for the interpreter to decide.
pub(super) fn build(
    module: &mut JITModule,
    program: &Program,
    interner: &Interner,
    compile: &[bool],
    shared: &mut Shared,
) -> Result<*const u8, String> {
    let frontend = module.target_config();
    let ptr = frontend.pointer_type();
    let mut sig = module.make_signature();
    for _ in 0..3 {
        sig.params.push(AbiParam::new(ptr));
    }
    let id = module
        .declare_function("llemc_rules", Linkage::Local, &sig)
        .map_err(|e| e.to_string())?;
    let mut ctx = module.make_context();
    ctx.func.signature = sig;
    ctx.func.name = UserFuncName::user(0, id.as_u32());
    let mut fctx = FunctionBuilderContext::new();
    {
        let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
        let sigs = Sigs::import(module, &mut b, ptr);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let params = b.block_params(entry).to_vec();
        let (Some(&ctx_v), Some(&cells), Some(&sets)) =
            (params.first(), params.get(1), params.get(2))
        else {
            return Err("entry block has no parameters".to_owned());
        };
        let mut g = Gen {
            b,
            ptr,
            ctx: ctx_v,
            cells,
            sig_cmp: sigs.cmp,
            sig_len: sigs.len,
            sig_fmod: sigs.fmod,
            program,
            interner,
            shared,
        };
        let rules: Vec<(usize, &RuleIr)> = program
            .rules
            .iter()
            .zip(compile)
            .enumerate()
            .filter(|(_, (_, yes))| **yes)
            .map(|(i, (r, _))| (i, r))
            .collect();
        for word in 0..program.rules.len().div_ceil(64) {
            let group: Vec<(usize, &RuleIr)> = rules
                .iter()
                .filter(|(i, _)| i / 64 == word)
                .copied()
                .collect();
            let left: u64 = (0..64)
                .filter(|bit| compile.get(word * 64 + bit) == Some(&false))
                .fold(0, |m, bit| m | (1 << bit));
            g.rule_group(word, &group, left, sets)?;
        }
        g.b.ins().return_(&[]);
        g.b.seal_all_blocks();
        let Gen { b, .. } = g;
        b.finalize(frontend);
    }
    module
        .define_function(id, &mut ctx)
        .map_err(|e| format!("{e:?}"))?;
    module.clear_context(&mut ctx);
    module.finalize_definitions().map_err(|e| e.to_string())?;
    Ok(module.get_finalized_function(id))
}

/// The signatures of the helpers generated code calls.
struct Sigs {
    cmp: SigRef,
    len: SigRef,
    fmod: SigRef,
}

impl Sigs {
    fn import(module: &JITModule, b: &mut FunctionBuilder<'_>, ptr: Type) -> Sigs {
        let (i32_, i64_) = (types::I32, types::I64);
        Sigs {
            cmp: b.import_signature(helper_sig(
                module,
                &[ptr, i32_, i32_, i64_, i32_, i64_],
                types::I8,
            )),
            len: b.import_signature(helper_sig(module, &[ptr, i32_, i64_], i64_)),
            fmod: b.import_signature(helper_sig(module, &[types::F64, types::F64], types::F64)),
        }
    }
}

fn helper_sig(module: &JITModule, params: &[Type], ret: Type) -> Signature {
    let mut sig = module.make_signature();
    sig.params.extend(params.iter().map(|t| AbiParam::new(*t)));
    sig.returns.push(AbiParam::new(ret));
    sig
}

struct Gen<'a> {
    b: FunctionBuilder<'a>,
    ptr: Type,
    ctx: V,
    cells: V,
    sig_cmp: SigRef,
    sig_len: SigRef,
    sig_fmod: SigRef,
    program: &'a Program,
    interner: &'a Interner,
    shared: &'a mut Shared,
}

const TWO_63: f64 = 9_223_372_036_854_775_808.0;

impl Gen<'_> {
    // ---- rule groups ------------------------------------------------------------------------

    /// Evaluates the candidates among `rules` (all in word `word` of the sets) and stores which
    /// hold. Rules that read the same slots (so are candidates together, save applicability)
    /// share one test of their candidate bits; inside, a rule whose predicate is decided inline is
    /// computed without branches, any other is control flow behind a test of its own bit. Measured
    /// faster than branching on every test and than computing every rule branch-free regardless of
    /// the candidates.
    ///
    /// The tests of the groups form one straight line that falls through from group to group
    /// when a group has no candidate (the common case); the bodies are laid out after it (cold
    /// blocks) and each adds its bits to an accumulator on the stack, so no value flows along the
    /// edges between the tests (no moves, no split edges). At the end the accumulated bits, masked
    /// by the candidates (an inline rule is computed whatever its own bit), are stored once, with
    /// the candidate bits in `left` (rules left to the interpreter) kept.
    fn rule_group(
        &mut self,
        word: usize,
        rules: &[(usize, &RuleIr)],
        left: u64,
        sets: V,
    ) -> Result<(), String> {
        let offset = i32::try_from(word * 8).map_err(|_| "too many rules".to_owned())?;
        let flags = MemFlagsData::trusted();
        let candidates = self.b.ins().load(types::I64, flags, sets, offset);
        let slot =
            self.b
                .create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, 8, 3));
        let zero = self.b.ins().iconst(types::I64, 0);
        self.b.ins().stack_store(self.ptr, zero, slot, 0);
        for group in same_reads(rules) {
            let mask = group
                .iter()
                .fold(0i64, |m, (index, _)| m | (1i64 << (index % 64)));
            let (body, next) = (self.b.create_block(), self.b.create_block());
            self.b.set_cold_block(body);
            let chosen = self.b.ins().band_imm_s(candidates, mask);
            self.b.ins().brif(chosen, body, &[], next, &[]);
            self.b.switch_to_block(body);
            let single = group.len() == 1;
            let mut bits = self.b.ins().iconst(types::I64, 0);
            for (index, rule) in group {
                let shift = i64::try_from(index % 64).unwrap_or(0);
                bits = match self.pred_value(&rule.pred) {
                    Some(c) => self.set_bit(bits, c, shift),
                    None => self.branching_rule(&rule.pred, bits, candidates, shift, single),
                };
            }
            let before = self.b.ins().stack_load(self.ptr, types::I64, slot, 0);
            let after = self.b.ins().bor(before, bits);
            self.b.ins().stack_store(self.ptr, after, slot, 0);
            self.b.ins().jump(next, &[]);
            self.b.switch_to_block(next);
        }
        let fired = self.b.ins().stack_load(self.ptr, types::I64, slot, 0);
        let fired = self.b.ins().band(fired, candidates);
        let kept = self.b.ins().band_imm_s(candidates, left.cast_signed());
        let result = self.b.ins().bor(fired, kept);
        self.b.ins().store(flags, result, sets, offset);
        Ok(())
    }

    /// A rule as control flow: `acc` with bit `shift` set when it holds (behind a test of that
    /// candidate bit unless `tested` already). Leaves the builder in the block that follows.
    fn branching_rule(
        &mut self,
        pred: &Pred,
        acc: V,
        candidates: V,
        shift: i64,
        tested: bool,
    ) -> V {
        let (eval, fire, skip, next) = (
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
        );
        let result = self.b.append_block_param(next, types::I64);
        if tested {
            self.b.ins().jump(eval, &[]);
        } else {
            let chosen = self.b.ins().band_imm_s(candidates, 1i64 << shift);
            self.b
                .ins()
                .brif(chosen, eval, &[], next, &[BlockArg::Value(acc)]);
        }
        self.b.switch_to_block(eval);
        self.pred(pred, fire, skip);
        self.b.switch_to_block(fire);
        let with = self.b.ins().bor_imm_s(acc, 1i64 << shift);
        self.b.ins().jump(next, &[BlockArg::Value(with)]);
        self.b.switch_to_block(skip);
        self.b.ins().jump(next, &[BlockArg::Value(acc)]);
        self.b.switch_to_block(next);
        result
    }

    /// `acc` with bit `shift` set where `c` holds.
    fn set_bit(&mut self, acc: V, c: C, shift: i64) -> V {
        match c {
            C::K(false) => acc,
            C::K(true) => self.b.ins().bor_imm_s(acc, 1i64 << shift),
            C::D(v) => {
                let wide = self.b.ins().uextend(types::I64, v);
                let bit = self.b.ins().ishl_imm_s(wide, shift);
                self.b.ins().bor(acc, bit)
            }
        }
    }
}

/// The integer a float equals exactly, if any (as [`value::int_float_cmp`] decides equality).
fn exact_int(f: f64) -> Option<i64> {
    if !(-TWO_63..TWO_63).contains(&f) || f.fract() != 0.0 {
        return None;
    }
    #[allow(clippy::cast_possible_truncation)]
    let k = f as i64;
    Some(k)
}

/// The rules grouped by the slots they read, groups in order of their first rule.
fn same_reads<'r>(rules: &[(usize, &'r RuleIr)]) -> Vec<Vec<(usize, &'r RuleIr)>> {
    let mut groups: Vec<Vec<(usize, &'r RuleIr)>> = Vec::new();
    for (index, rule) in rules {
        match groups
            .iter_mut()
            .find(|g| g.first().is_some_and(|(_, r)| r.reads == rule.reads))
        {
            Some(group) => group.push((*index, rule)),
            None => groups.push(vec![(*index, rule)]),
        }
    }
    groups
}
