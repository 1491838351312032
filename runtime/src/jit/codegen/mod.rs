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

use super::abi::{self, Shared};
use super::cell::{Interner, tag};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    AbiParam, Block, BlockArg, InstBuilder, MemFlagsData, SigRef, Signature, Type, UserFuncName,
    Value as V, types,
};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::JITModule;
use cranelift_module::{Linkage, Module};
use llemc_compiler::ir::{Const, Operand, Pred, Program};
use llemc_compiler::value;
use llemc_grammar::ast::{CompareOp, IsTarget};

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
        let rules: Vec<(usize, &Pred)> = program
            .rules
            .iter()
            .zip(compile)
            .enumerate()
            .filter(|(_, (_, yes))| **yes)
            .map(|(i, (r, _))| (i, &r.pred))
            .collect();
        for word in 0..program.rules.len().div_ceil(64) {
            let group: Vec<(usize, &Pred)> = rules
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
    /// hold: the result bits accumulate in a block parameter, stored once. The candidate bits in
    /// `left` (rules left to the interpreter) are kept.
    fn rule_group(
        &mut self,
        word: usize,
        rules: &[(usize, &Pred)],
        left: u64,
        sets: V,
    ) -> Result<(), String> {
        let offset = i32::try_from(word * 8).map_err(|_| "too many rules".to_owned())?;
        let flags = MemFlagsData::trusted();
        let candidates = self.b.ins().load(types::I64, flags, sets, offset);
        let mut acc = self.b.ins().band_imm_s(candidates, left.cast_signed());
        for (index, pred) in rules {
            let bit = 1i64 << (index % 64);
            let (eval, fire, skip, next) = (
                self.b.create_block(),
                self.b.create_block(),
                self.b.create_block(),
                self.b.create_block(),
            );
            let result = self.b.append_block_param(next, types::I64);
            let chosen = self.b.ins().band_imm_s(candidates, bit);
            self.b
                .ins()
                .brif(chosen, eval, &[], next, &[BlockArg::Value(acc)]);
            self.b.switch_to_block(eval);
            self.pred(pred, fire, skip);
            self.b.switch_to_block(fire);
            let with = self.b.ins().bor_imm_s(acc, bit);
            self.b.ins().jump(next, &[BlockArg::Value(with)]);
            self.b.switch_to_block(skip);
            self.b.ins().jump(next, &[BlockArg::Value(acc)]);
            self.b.switch_to_block(next);
            acc = result;
        }
        self.b.ins().store(flags, acc, sets, offset);
        Ok(())
    }

    // ---- predicates -------------------------------------------------------------------------

    fn pred(&mut self, p: &Pred, t: Block, f: Block) {
        match p {
            Pred::Const(true) => self.jump(t),
            Pred::Const(false) => self.jump(f),
            Pred::Not(inner) => self.pred(inner, f, t),
            Pred::And(items) | Pred::Or(items) => {
                let is_and = matches!(p, Pred::And(_));
                let Some((last, init)) = items.split_last() else {
                    self.jump(if is_and { t } else { f });
                    return;
                };
                for item in init {
                    let next = self.b.create_block();
                    if is_and {
                        self.pred(item, next, f);
                    } else {
                        self.pred(item, t, next);
                    }
                    self.b.switch_to_block(next);
                }
                self.pred(last, t, f);
            }
            Pred::Compare { op, lhs, rhs } => {
                let a = self.operand(lhs, f);
                let b = self.operand(rhs, f);
                self.compare(*op, a, b, t, f);
            }
            Pred::Presence { operand, present } => {
                let a = self.operand(operand, f);
                let null = self.tag_eq(a.t, tag::NULL);
                let c = if *present { self.not(null) } else { null };
                self.branch(c, t, f);
            }
            Pred::Is {
                operand,
                negated,
                target,
            } => {
                let a = self.operand(operand, f);
                let c = match target {
                    IsTarget::Null => self.tag_eq(a.t, tag::NULL),
                    IsTarget::True | IsTarget::False => {
                        let is_bool = self.tag_eq(a.t, tag::BOOL);
                        let want = i64::from(matches!(target, IsTarget::True));
                        let v = self.pcmp(IntCC::Equal, a.p, P::K(want));
                        self.and(is_bool, v)
                    }
                };
                let c = if *negated { self.not(c) } else { c };
                self.branch(c, t, f);
            }
        }
    }

    fn compare(&mut self, op: CompareOp, a: JVal, b: JVal, t: Block, f: Block) {
        if let (Some(x), Some(y)) = (self.as_const(a), self.as_const(b)) {
            let holds = value::compare(op, &x, &y);
            self.jump(if holds { t } else { f });
            return;
        }
        let (fast, helper) = match op {
            CompareOp::Eq | CompareOp::Ne => self.equality(op, a, b),
            CompareOp::Lt | CompareOp::Le | CompareOp::Gt | CompareOp::Ge => {
                self.ordering(op, a, b)
            }
            CompareOp::In | CompareOp::NotIn => self.membership(op, a, b),
            CompareOp::TypeIs | CompareOp::TypeIsNot => self.type_test(op, a, b),
            CompareOp::DivisibleBy | CompareOp::NotDivisibleBy => {
                (self.divisibility(op, a, b), C::K(false))
            }
        };
        self.test(op, a, b, fast, helper, t, f);
    }

    /// Branches on `fast`, or on the helper's answer where `helper` holds.
    #[allow(clippy::too_many_arguments)]
    fn test(&mut self, op: CompareOp, a: JVal, b: JVal, fast: C, helper: C, t: Block, f: Block) {
        match helper {
            C::K(false) => self.branch(fast, t, f),
            C::K(true) => {
                let r = self.call_compare(op, a, b);
                self.b.ins().brif(r, t, &[], f, &[]);
            }
            C::D(h) => {
                let (slow, quick) = (self.b.create_block(), self.b.create_block());
                self.b.ins().brif(h, slow, &[], quick, &[]);
                self.b.switch_to_block(slow);
                let r = self.call_compare(op, a, b);
                self.b.ins().brif(r, t, &[], f, &[]);
                self.b.switch_to_block(quick);
                self.branch(fast, t, f);
            }
        }
    }

    fn call_compare(&mut self, op: CompareOp, a: JVal, b: JVal) -> V {
        let index = CompareOp::ALL.iter().position(|o| *o == op).unwrap_or(0);
        let op_v = self
            .b
            .ins()
            .iconst(types::I32, i64::try_from(index).unwrap_or(0));
        let args = [
            self.ctx,
            op_v,
            self.tag_val(a.t),
            self.pay_val(a.p),
            self.tag_val(b.t),
            self.pay_val(b.p),
        ];
        let f = abi::h_compare as *const u8 as i64;
        let callee = self.b.ins().iconst(self.ptr, f);
        let call = self.b.ins().call_indirect(self.sig_cmp, callee, &args);
        self.b.inst_results(call).first().copied().unwrap_or(callee)
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
