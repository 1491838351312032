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

use super::abi::{self, Shared};
use super::cell::{CELL_SIZE, Interner, PAYLOAD_OFFSET, TAG_OFFSET, tag};
use crate::loaded::const_value;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    AbiParam, Block, BlockArg, InstBuilder, MemFlagsData, SigRef, Signature, Type, UserFuncName,
    Value as V, types,
};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::JITModule;
use cranelift_module::{Linkage, Module};
use llemc_compiler::ir::{Const, Operand, Pred, Program};
use llemc_compiler::value::{self, Value};
use llemc_grammar::ast::{ArithOp, CompareOp, IsTarget};

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
        let sig_cmp = b.import_signature(helper_sig(
            module,
            &[
                ptr,
                types::I32,
                types::I32,
                types::I64,
                types::I32,
                types::I64,
            ],
            types::I8,
        ));
        let sig_len = b.import_signature(helper_sig(
            module,
            &[ptr, types::I32, types::I64],
            types::I64,
        ));
        let sig_fmod =
            b.import_signature(helper_sig(module, &[types::F64, types::F64], types::F64));
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let params = b.block_params(entry).to_vec();
        let (Some(&ctx_v), Some(&cells), Some(&out)) =
            (params.first(), params.get(1), params.get(2))
        else {
            return Err("entry block has no parameters".to_owned());
        };
        let mut g = Gen {
            b,
            ptr,
            ctx: ctx_v,
            cells,
            sig_cmp,
            sig_len,
            sig_fmod,
            program,
            interner,
            shared,
        };
        for (index, (rule, yes)) in program.rules.iter().zip(compile).enumerate() {
            if !*yes {
                continue;
            }
            let offset = i32::try_from(index).map_err(|_| "too many rules".to_owned())?;
            let (fire, skip, next) = (g.b.create_block(), g.b.create_block(), g.b.create_block());
            g.pred(&rule.pred, fire, skip);
            for (block, byte) in [(fire, 1), (skip, 0)] {
                g.b.switch_to_block(block);
                let v = g.b.ins().iconst(types::I8, byte);
                g.b.ins().store(MemFlagsData::trusted(), v, out, offset);
                g.b.ins().jump(next, &[]);
            }
            g.b.switch_to_block(next);
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

    /// `==` / `!=`: (fast answer, whether the helper decides).
    fn equality(&mut self, op: CompareOp, a: JVal, b: JVal) -> (C, C) {
        let (an, bn) = (self.tag_eq(a.t, tag::NULL), self.tag_eq(b.t, tag::NULL));
        let (anum, bnum) = (self.is_num(a.t), self.is_num(b.t));
        let nums = self.and(anum, bnum);
        let eqn = if let C::K(false) = nums {
            C::K(false)
        } else {
            let e = self.eq_num(a, b);
            self.and(nums, e)
        };
        let (as_, bs) = (self.tag_eq(a.t, tag::STR), self.tag_eq(b.t, tag::STR));
        let strs = self.and(as_, bs);
        let eqs = if let C::K(false) = strs {
            C::K(false)
        } else {
            let e = self.pcmp(IntCC::Equal, a.p, b.p);
            self.and(strs, e)
        };
        let nulls = self.and(an, bn);
        let eq = self.or(eqn, eqs);
        let eq = self.or(eq, nulls);
        let (af, bf) = (self.tag_eq(a.t, tag::FSTR), self.tag_eq(b.t, tag::FSTR));
        let (ac, bc) = (self.tag_ge(a.t, tag::LIST), self.tag_ge(b.t, tag::LIST));
        let fs = self.and(af, bf);
        let cs = self.and(ac, bc);
        let helper = self.or(fs, cs);
        let fast = if op == CompareOp::Eq {
            eq
        } else {
            let some = self.or(an, bn);
            let either = self.or(some, eq);
            self.not(either)
        };
        (fast, helper)
    }

    /// `<`, `<=`, `>`, `>=`.
    fn ordering(&mut self, op: CompareOp, a: JVal, b: JVal) -> (C, C) {
        let (icc, ucc, fcc) = match op {
            CompareOp::Lt => (
                IntCC::SignedLessThan,
                IntCC::UnsignedLessThan,
                FloatCC::LessThan,
            ),
            CompareOp::Le => (
                IntCC::SignedLessThanOrEqual,
                IntCC::UnsignedLessThanOrEqual,
                FloatCC::LessThanOrEqual,
            ),
            CompareOp::Gt => (
                IntCC::SignedGreaterThan,
                IntCC::UnsignedGreaterThan,
                FloatCC::GreaterThan,
            ),
            _ => (
                IntCC::SignedGreaterThanOrEqual,
                IntCC::UnsignedGreaterThanOrEqual,
                FloatCC::GreaterThanOrEqual,
            ),
        };
        let (ai, bi) = (self.is_intish(a.t), self.is_intish(b.t));
        let (af, bf) = (self.tag_eq(a.t, tag::FLOAT), self.tag_eq(b.t, tag::FLOAT));
        let ints = self.and(ai, bi);
        let floats = self.and(af, bf);
        let r_int = if let C::K(false) = ints {
            C::K(false)
        } else {
            let c = self.pcmp(icc, a.p, b.p);
            self.and(ints, c)
        };
        let r_float = if let C::K(false) = floats {
            C::K(false)
        } else {
            let (x, y) = (self.fval(a.p), self.fval(b.p));
            let c = C::D(self.b.ins().fcmp(fcc, x, y));
            self.and(floats, c)
        };
        let (as_, bs) = (self.tag_eq(a.t, tag::STR), self.tag_eq(b.t, tag::STR));
        let strs = self.and(as_, bs);
        let r_str = if let C::K(false) = strs {
            C::K(false)
        } else {
            let c = self.pcmp(ucc, a.p, b.p);
            self.and(strs, c)
        };
        let fast = self.or(r_int, r_float);
        let fast = self.or(fast, r_str);
        // Helper: int vs float, any foreign string against a string, two containers.
        let aif = self.and(ai, bf);
        let fai = self.and(af, bi);
        let mixed = self.or(aif, fai);
        let (ast, bst) = (
            self.tag_range(a.t, tag::STR, tag::FSTR),
            self.tag_range(b.t, tag::STR, tag::FSTR),
        );
        let both_str = self.and(ast, bst);
        let (afs, bfs) = (self.tag_eq(a.t, tag::FSTR), self.tag_eq(b.t, tag::FSTR));
        let any_foreign = self.or(afs, bfs);
        let foreign = self.and(both_str, any_foreign);
        let (ac, bc) = (self.tag_ge(a.t, tag::LIST), self.tag_ge(b.t, tag::LIST));
        let cs = self.and(ac, bc);
        let helper = self.or(mixed, foreign);
        let helper = self.or(helper, cs);
        (fast, helper)
    }

    /// `in` / `not_in`: a constant list of scalars becomes a chain of comparisons; anything
    /// else goes to the helper.
    fn membership(&mut self, op: CompareOp, a: JVal, b: JVal) -> (C, C) {
        let items = match self.as_const(b) {
            Some(Value::List(items)) => items,
            // Not a list: neither holds.
            Some(_) => return (C::K(false), C::K(false)),
            None => return (C::K(false), C::K(true)),
        };
        if matches!(a.t, T::K(tag::CONST))
            || items
                .iter()
                .any(|i| matches!(i, Value::List(_) | Value::Dict(_)))
        {
            return (C::K(false), C::K(true));
        }
        let mut has_null = false;
        let mut int_keys: Vec<i64> = Vec::new(); // what an int/bool operand may equal
        let mut int_items: Vec<i64> = Vec::new(); // int/bool items (a float operand equal to one)
        let mut float_items: Vec<f64> = Vec::new();
        let mut str_ids: Vec<i64> = Vec::new();
        for item in &items {
            match item {
                Value::Null => has_null = true,
                Value::Bool(x) => {
                    int_keys.push(i64::from(*x));
                    int_items.push(i64::from(*x));
                }
                Value::Int(x) => {
                    int_keys.push(*x);
                    int_items.push(*x);
                }
                Value::Float(x) => {
                    float_items.push(*x);
                    if let Some(k) = exact_int(*x) {
                        int_keys.push(k);
                    }
                }
                Value::Str(s) => match self.interner.id(s) {
                    Some(id) => str_ids.push(i64::from(id)),
                    None => return (C::K(false), C::K(true)),
                },
                Value::List(_) | Value::Dict(_) => {}
            }
        }
        for keys in [&mut int_keys, &mut int_items, &mut str_ids] {
            keys.sort_unstable();
            keys.dedup();
        }
        let an = self.tag_eq(a.t, tag::NULL);
        let r_null = self.and(an, C::K(has_null));
        let ai = self.is_intish(a.t);
        let r_int = if int_keys.is_empty() || matches!(ai, C::K(false)) {
            C::K(false)
        } else {
            let hit = self.any_eq(a.p, &int_keys);
            self.and(ai, hit)
        };
        let af = self.tag_eq(a.t, tag::FLOAT);
        let r_float =
            if (float_items.is_empty() && int_items.is_empty()) || matches!(af, C::K(false)) {
                C::K(false)
            } else {
                let x = self.fval(a.p);
                let mut hit = C::K(false);
                for f in &float_items {
                    let y = self.b.ins().f64const(*f);
                    let e = C::D(self.b.ins().fcmp(FloatCC::Equal, x, y));
                    hit = self.or(hit, e);
                }
                if !int_items.is_empty() {
                    let (exact, i) = self.float_to_exact_int(x);
                    let e = self.any_eq(P::D(i), &int_items);
                    let e = self.and(exact, e);
                    hit = self.or(hit, e);
                }
                self.and(af, hit)
            };
        let as_ = self.tag_eq(a.t, tag::STR);
        let r_str = if str_ids.is_empty() || matches!(as_, C::K(false)) {
            C::K(false)
        } else {
            let hit = self.any_eq(a.p, &str_ids);
            self.and(as_, hit)
        };
        let r = self.or(r_null, r_int);
        let r = self.or(r, r_float);
        let r = self.or(r, r_str);
        // A foreign string equals no program string; containers equal no scalar.
        let fast = if op == CompareOp::In {
            r
        } else {
            let nr = self.not(r);
            let present = self.not(an);
            self.and(present, nr)
        };
        (fast, C::K(false))
    }

    /// `type_is` / `type_is_not` against constant names; the helper otherwise.
    fn type_test(&mut self, op: CompareOp, a: JVal, b: JVal) -> (C, C) {
        if matches!(a.t, T::K(tag::CONST)) {
            return (C::K(false), C::K(true));
        }
        let names: Vec<String> = match self.as_const(b) {
            Some(Value::Str(s)) => vec![s],
            Some(Value::List(items)) => items
                .into_iter()
                .filter_map(|i| match i {
                    Value::Str(s) => Some(s),
                    _ => None,
                })
                .collect(),
            Some(_) => Vec::new(),
            None => return (C::K(false), C::K(true)),
        };
        let mut mask: i64 = 0;
        for (tags, name) in [
            (&[tag::BOOL][..], "bool"),
            (&[tag::INT][..], "int"),
            (&[tag::FLOAT][..], "float"),
            (&[tag::STR, tag::FSTR][..], "str"),
            (&[tag::LIST][..], "list"),
            (&[tag::DICT][..], "dict"),
        ] {
            if names.iter().any(|n| n == name) {
                for t in tags {
                    mask |= 1 << t;
                }
            }
        }
        let an = self.tag_eq(a.t, tag::NULL);
        let present = self.not(an);
        let member = match a.t {
            T::K(k) => C::K(mask & (1 << k) != 0),
            T::D(v) => {
                let m = self.b.ins().iconst(types::I32, mask);
                let s = self.b.ins().ushr(m, v);
                let bit = self.b.ins().band_imm_s(s, 1);
                C::D(self.b.ins().icmp_imm_s(IntCC::NotEqual, bit, 0))
            }
        };
        let member = if op == CompareOp::TypeIs {
            member
        } else {
            self.not(member)
        };
        (self.and(present, member), C::K(false))
    }

    /// `divisible_by` / `not_divisible_by`: two non-bool ints, non-zero divisor; the remainder
    /// is computed with a divisor that cannot trap (0 and -1 replaced by 1).
    fn divisibility(&mut self, op: CompareOp, a: JVal, b: JVal) -> C {
        let (ai, bi) = (self.tag_eq(a.t, tag::INT), self.tag_eq(b.t, tag::INT));
        let ints = self.and(ai, bi);
        if let C::K(false) = ints {
            return C::K(false);
        }
        let nz = self.pcmp(IntCC::NotEqual, b.p, P::K(0));
        let valid = self.and(ints, nz);
        let zero = match (a.p, b.p) {
            (_, P::K(0) | P::K(-1)) => C::K(true),
            (P::K(x), P::K(y)) => C::K(x.checked_rem(y).unwrap_or(0) == 0),
            (pa, pb) => {
                let x = self.pay_val(pa);
                let y = self.safe_divisor(pb);
                let r = self.b.ins().srem(x, y);
                C::D(self.b.ins().icmp_imm_s(IntCC::Equal, r, 0))
            }
        };
        let zero = if op == CompareOp::DivisibleBy {
            zero
        } else {
            self.not(zero)
        };
        self.and(valid, zero)
    }

    /// `y`, with 0 and -1 replaced by 1 (x % -1 is 0 anyway; x % 0 is ruled out separately).
    fn safe_divisor(&mut self, y: P) -> V {
        match y {
            P::K(0 | -1) => self.b.ins().iconst(types::I64, 1),
            P::K(k) => self.b.ins().iconst(types::I64, k),
            P::D(v) => {
                let plus1 = self.b.ins().iadd_imm_s(v, 1);
                // y in {-1, 0} ⇔ (y + 1) <=u 1
                let bad = self
                    .b
                    .ins()
                    .icmp_imm_s(IntCC::UnsignedLessThanOrEqual, plus1, 1);
                let one = self.b.ins().iconst(types::I64, 1);
                self.b.ins().select(bad, one, v)
            }
        }
    }

    // ---- operands ---------------------------------------------------------------------------

    fn operand(&mut self, o: &Operand, invalid: Block) -> JVal {
        match o {
            Operand::Slot(s) => {
                let base = i64::from(*s) * CELL_SIZE;
                let off = i32::try_from(base).unwrap_or(0);
                let t = self.b.ins().uload8(
                    types::I32,
                    MemFlagsData::trusted(),
                    self.cells,
                    off + TAG_OFFSET,
                );
                let p = self.b.ins().load(
                    types::I64,
                    MemFlagsData::trusted(),
                    self.cells,
                    off + PAYLOAD_OFFSET,
                );
                JVal {
                    t: T::D(t),
                    p: P::D(p),
                }
            }
            Operand::Const(c) => {
                let v = const_value(self.program, c);
                self.constant(v)
            }
            // Rules with such operands are not compiled (see `unsupported`).
            Operand::List(_) => self.invalid(invalid),
            Operand::Len(inner) => {
                let a = self.operand(inner, invalid);
                if let Some(x) = self.as_const(a) {
                    return match value::len(&x) {
                        Some(v) => self.constant(v),
                        None => self.invalid(invalid),
                    };
                }
                let args = [self.ctx, self.tag_val(a.t), self.pay_val(a.p)];
                let callee = self
                    .b
                    .ins()
                    .iconst(self.ptr, abi::h_len as *const u8 as i64);
                let call = self.b.ins().call_indirect(self.sig_len, callee, &args);
                let n = self.b.inst_results(call).first().copied().unwrap_or(callee);
                let neg = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, n, 0);
                self.fail_if(C::D(neg), invalid);
                JVal {
                    t: T::K(tag::INT),
                    p: P::D(n),
                }
            }
            Operand::Neg(inner) => {
                let a = self.operand(inner, invalid);
                if let Some(x) = self.as_const(a) {
                    return match value::negate(&x) {
                        Some(v) => self.constant(v),
                        None => self.invalid(invalid),
                    };
                }
                let num = self.is_num(a.t);
                let bad = self.not(num);
                self.fail_if(bad, invalid);
                let af = self.tag_eq(a.t, tag::FLOAT);
                let x = self.pay_val(a.p);
                match af {
                    C::K(true) => JVal {
                        t: T::K(tag::FLOAT),
                        p: P::D(self.b.ins().bxor_imm_s(x, i64::MIN)),
                    },
                    C::K(false) => {
                        let min = self.b.ins().icmp_imm_s(IntCC::Equal, x, i64::MIN);
                        self.fail_if(C::D(min), invalid);
                        JVal {
                            t: T::K(tag::INT),
                            p: P::D(self.b.ins().ineg(x)),
                        }
                    }
                    C::D(f) => {
                        let min = self.b.ins().icmp_imm_s(IntCC::Equal, x, i64::MIN);
                        let nf = self.not(C::D(f));
                        let overflow = self.and(nf, C::D(min));
                        self.fail_if(overflow, invalid);
                        let flipped = self.b.ins().bxor_imm_s(x, i64::MIN);
                        let negated = self.b.ins().ineg(x);
                        let p = self.b.ins().select(f, flipped, negated);
                        let ft = self.b.ins().iconst(types::I32, i64::from(tag::FLOAT));
                        let it = self.b.ins().iconst(types::I32, i64::from(tag::INT));
                        let t = self.b.ins().select(f, ft, it);
                        JVal {
                            t: T::D(t),
                            p: P::D(p),
                        }
                    }
                }
            }
            Operand::Arith { op, lhs, rhs } => {
                let a = self.operand(lhs, invalid);
                let b = self.operand(rhs, invalid);
                if let (Some(x), Some(y)) = (self.as_const(a), self.as_const(b)) {
                    return match value::arith(*op, &x, &y) {
                        Some(v) => self.constant(v),
                        None => self.invalid(invalid),
                    };
                }
                let (an, bn) = (self.is_num(a.t), self.is_num(b.t));
                let nums = self.and(an, bn);
                let bad = self.not(nums);
                self.fail_if(bad, invalid);
                let (ai, bi) = (self.is_intish(a.t), self.is_intish(b.t));
                match self.and(ai, bi) {
                    C::K(true) => {
                        let r = self.int_arith(*op, a.p, b.p, invalid);
                        JVal {
                            t: T::K(tag::INT),
                            p: P::D(r),
                        }
                    }
                    C::K(false) => {
                        let r = self.float_arith(*op, a, b, invalid);
                        JVal {
                            t: T::K(tag::FLOAT),
                            p: P::D(r),
                        }
                    }
                    C::D(ints) => {
                        let (ib, fb, merge) = (
                            self.b.create_block(),
                            self.b.create_block(),
                            self.b.create_block(),
                        );
                        let t = self.b.append_block_param(merge, types::I32);
                        let p = self.b.append_block_param(merge, types::I64);
                        self.b.ins().brif(ints, ib, &[], fb, &[]);
                        self.b.switch_to_block(ib);
                        let r = self.int_arith(*op, a.p, b.p, invalid);
                        let it = self.b.ins().iconst(types::I32, i64::from(tag::INT));
                        self.b
                            .ins()
                            .jump(merge, &[BlockArg::Value(it), BlockArg::Value(r)]);
                        self.b.switch_to_block(fb);
                        let r = self.float_arith(*op, a, b, invalid);
                        let ft = self.b.ins().iconst(types::I32, i64::from(tag::FLOAT));
                        self.b
                            .ins()
                            .jump(merge, &[BlockArg::Value(ft), BlockArg::Value(r)]);
                        self.b.switch_to_block(merge);
                        JVal {
                            t: T::D(t),
                            p: P::D(p),
                        }
                    }
                }
            }
        }
    }

    /// Checked integer arithmetic; overflow and a zero modulus jump to `invalid`.
    fn int_arith(&mut self, op: ArithOp, x: P, y: P, invalid: Block) -> V {
        let xv = self.pay_val(x);
        match op {
            ArithOp::Add | ArithOp::Sub | ArithOp::Mul => {
                let yv = self.pay_val(y);
                let (r, of) = match op {
                    ArithOp::Add => self.b.ins().sadd_overflow(xv, yv),
                    ArithOp::Sub => self.b.ins().ssub_overflow(xv, yv),
                    _ => self.b.ins().smul_overflow(xv, yv),
                };
                self.fail_if(C::D(of), invalid);
                r
            }
            ArithOp::Mod => {
                let zero = self.pcmp(IntCC::Equal, y, P::K(0));
                self.fail_if(zero, invalid);
                let yv = self.pay_val(y);
                let safe = self.safe_divisor(y);
                let r = self.b.ins().srem(xv, safe);
                // Floored: a non-zero remainder whose sign differs from the divisor's gets the
                // divisor added (no overflow: |r| < |y| and they have opposite signs).
                let nz = self.b.ins().icmp_imm_s(IntCC::NotEqual, r, 0);
                let sx = self.b.ins().bxor(r, yv);
                let differ = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, sx, 0);
                let adjust = self.b.ins().band(nz, differ);
                let sum = self.b.ins().iadd(r, yv);
                self.b.ins().select(adjust, sum, r)
            }
        }
    }

    /// Float arithmetic (ints converted as Python does); returns the result's bits.
    fn float_arith(&mut self, op: ArithOp, a: JVal, b: JVal, invalid: Block) -> V {
        let x = self.num_f64(a);
        let y = self.num_f64(b);
        let r = match op {
            ArithOp::Add => self.b.ins().fadd(x, y),
            ArithOp::Sub => self.b.ins().fsub(x, y),
            ArithOp::Mul => self.b.ins().fmul(x, y),
            ArithOp::Mod => {
                let zero = self.b.ins().f64const(0.0);
                let is_zero = self.b.ins().fcmp(FloatCC::Equal, y, zero);
                self.fail_if(C::D(is_zero), invalid);
                let callee = self
                    .b
                    .ins()
                    .iconst(self.ptr, abi::h_fmod as *const u8 as i64);
                let call = self.b.ins().call_indirect(self.sig_fmod, callee, &[x, y]);
                self.b.inst_results(call).first().copied().unwrap_or(x)
            }
        };
        self.b.ins().bitcast(types::I64, MemFlagsData::new(), r)
    }

    /// A number (bool/int/float tag) as an `f64`.
    fn num_f64(&mut self, a: JVal) -> V {
        match (self.tag_eq(a.t, tag::FLOAT), a.p) {
            (C::K(true), p) => self.fval(p),
            (C::K(false), P::K(k)) => {
                #[allow(clippy::cast_precision_loss)]
                let f = k as f64;
                self.b.ins().f64const(f)
            }
            (C::K(false), P::D(v)) => self.b.ins().fcvt_from_sint(types::F64, v),
            (C::D(f), p) => {
                let bits = self.fval(p);
                let v = self.pay_val(p);
                let conv = self.b.ins().fcvt_from_sint(types::F64, v);
                self.b.ins().select(f, bits, conv)
            }
        }
    }

    // ---- values -----------------------------------------------------------------------------

    fn constant(&mut self, v: Value) -> JVal {
        let (t, p) = match v {
            Value::Null => (tag::NULL, 0),
            Value::Bool(b) => (tag::BOOL, i64::from(b)),
            Value::Int(i) => (tag::INT, i),
            Value::Float(f) => (tag::FLOAT, f.to_bits().cast_signed()),
            Value::Str(ref s) => match self.interner.id(s) {
                Some(id) => (tag::STR, i64::from(id)),
                None => self.push_const(v),
            },
            Value::List(_) | Value::Dict(_) => self.push_const(v),
        };
        JVal {
            t: T::K(t),
            p: P::K(p),
        }
    }

    fn push_const(&mut self, v: Value) -> (u8, i64) {
        let index = self
            .shared
            .consts
            .iter()
            .position(|c| *c == v)
            .unwrap_or_else(|| {
                self.shared.consts.push(v);
                self.shared.consts.len() - 1
            });
        (tag::CONST, i64::try_from(index).unwrap_or(0))
    }

    /// The compile-time value of an operand, if it is fully known.
    fn as_const(&self, a: JVal) -> Option<Value> {
        let (T::K(t), P::K(p)) = (a.t, a.p) else {
            return None;
        };
        Some(match t {
            tag::NULL => Value::Null,
            tag::BOOL => Value::Bool(p != 0),
            tag::INT => Value::Int(p),
            tag::FLOAT => Value::Float(f64::from_bits(p.cast_unsigned())),
            tag::STR => Value::Str(self.interner.string(u32::try_from(p).ok()?)?.to_owned()),
            tag::CONST => self.shared.consts.get(usize::try_from(p).ok()?)?.clone(),
            _ => return None,
        })
    }

    /// An operand that is invalid at compile time: jumps to `invalid`; what follows is
    /// unreachable.
    fn invalid(&mut self, invalid: Block) -> JVal {
        self.fail_if(C::K(true), invalid);
        JVal {
            t: T::K(tag::NULL),
            p: P::K(0),
        }
    }

    fn fail_if(&mut self, c: C, invalid: Block) {
        match c {
            C::K(false) => {}
            C::K(true) => {
                self.b.ins().jump(invalid, &[]);
                let dead = self.b.create_block();
                self.b.switch_to_block(dead);
            }
            C::D(v) => {
                let ok = self.b.create_block();
                self.b.ins().brif(v, invalid, &[], ok, &[]);
                self.b.switch_to_block(ok);
            }
        }
    }

    fn tag_val(&mut self, t: T) -> V {
        match t {
            T::K(k) => self.b.ins().iconst(types::I32, i64::from(k)),
            T::D(v) => v,
        }
    }

    fn pay_val(&mut self, p: P) -> V {
        match p {
            P::K(k) => self.b.ins().iconst(types::I64, k),
            P::D(v) => v,
        }
    }

    fn fval(&mut self, p: P) -> V {
        match p {
            P::K(k) => self.b.ins().f64const(f64::from_bits(k.cast_unsigned())),
            P::D(v) => self.b.ins().bitcast(types::F64, MemFlagsData::new(), v),
        }
    }

    fn tag_eq(&mut self, t: T, k: u8) -> C {
        match t {
            T::K(x) => C::K(x == k),
            T::D(v) => C::D(self.b.ins().icmp_imm_s(IntCC::Equal, v, i64::from(k))),
        }
    }

    fn tag_ge(&mut self, t: T, k: u8) -> C {
        match t {
            T::K(x) => C::K(x >= k),
            T::D(v) => C::D(self.b.ins().icmp_imm_s(
                IntCC::UnsignedGreaterThanOrEqual,
                v,
                i64::from(k),
            )),
        }
    }

    fn tag_range(&mut self, t: T, lo: u8, hi: u8) -> C {
        match t {
            T::K(x) => C::K((lo..=hi).contains(&x)),
            T::D(v) => {
                let d = self.b.ins().iadd_imm_s(v, -i64::from(lo));
                C::D(
                    self.b
                        .ins()
                        .icmp_imm_s(IntCC::UnsignedLessThanOrEqual, d, i64::from(hi - lo)),
                )
            }
        }
    }

    fn is_num(&mut self, t: T) -> C {
        self.tag_range(t, tag::BOOL, tag::FLOAT)
    }

    fn is_intish(&mut self, t: T) -> C {
        self.tag_range(t, tag::BOOL, tag::INT)
    }

    fn pcmp(&mut self, cc: IntCC, x: P, y: P) -> C {
        if let (P::K(a), P::K(b)) = (x, y) {
            let r = match cc {
                IntCC::Equal => a == b,
                IntCC::NotEqual => a != b,
                IntCC::SignedLessThan => a < b,
                IntCC::SignedLessThanOrEqual => a <= b,
                IntCC::SignedGreaterThan => a > b,
                IntCC::SignedGreaterThanOrEqual => a >= b,
                IntCC::UnsignedLessThan => a.cast_unsigned() < b.cast_unsigned(),
                IntCC::UnsignedLessThanOrEqual => a.cast_unsigned() <= b.cast_unsigned(),
                IntCC::UnsignedGreaterThan => a.cast_unsigned() > b.cast_unsigned(),
                IntCC::UnsignedGreaterThanOrEqual => a.cast_unsigned() >= b.cast_unsigned(),
            };
            return C::K(r);
        }
        let (a, b) = (self.pay_val(x), self.pay_val(y));
        C::D(self.b.ins().icmp(cc, a, b))
    }

    /// Whether `x` equals one of `keys`.
    fn any_eq(&mut self, x: P, keys: &[i64]) -> C {
        if let P::K(k) = x {
            return C::K(keys.contains(&k));
        }
        let v = self.pay_val(x);
        let mut hit = C::K(false);
        for k in keys {
            let e = C::D(self.b.ins().icmp_imm_s(IntCC::Equal, v, *k));
            hit = self.or(hit, e);
        }
        hit
    }

    /// Whether `f` is an integer in `i64` range, and that integer.
    fn float_to_exact_int(&mut self, f: V) -> (C, V) {
        let i = self.b.ins().fcvt_to_sint_sat(types::I64, f);
        let back = self.b.ins().fcvt_from_sint(types::F64, i);
        let same = self.b.ins().fcmp(FloatCC::Equal, back, f);
        let hi = self.b.ins().f64const(TWO_63);
        let below = self.b.ins().fcmp(FloatCC::LessThan, f, hi);
        let ok = self.b.ins().band(same, below);
        (C::D(ok), i)
    }

    /// Numeric equality of two numbers (bool/int/float), exact between int and float.
    fn eq_num(&mut self, a: JVal, b: JVal) -> C {
        let af = self.tag_eq(a.t, tag::FLOAT);
        let bf = self.tag_eq(b.t, tag::FLOAT);
        match (af, bf) {
            (C::K(false), C::K(false)) => self.pcmp(IntCC::Equal, a.p, b.p),
            (C::K(true), C::K(true)) => self.feq(a.p, b.p),
            (C::K(true), C::K(false)) => self.mixed_eq(a.p, b.p),
            (C::K(false), C::K(true)) => self.mixed_eq(b.p, a.p),
            _ => {
                let ii = self.pcmp(IntCC::Equal, a.p, b.p);
                let ff = self.feq(a.p, b.p);
                // The float side and the int side of a mixed pair.
                let (fp, ip) = match af {
                    C::K(true) => (a.p, b.p),
                    C::K(false) => (b.p, a.p),
                    C::D(c) => {
                        let (x, y) = (self.pay_val(a.p), self.pay_val(b.p));
                        (
                            P::D(self.b.ins().select(c, x, y)),
                            P::D(self.b.ins().select(c, y, x)),
                        )
                    }
                };
                let mixed = self.mixed_eq(fp, ip);
                let both = self.and(af, bf);
                let one = self.or(af, bf);
                let m = self.select(one, mixed, ii);
                self.select(both, ff, m)
            }
        }
    }

    fn feq(&mut self, x: P, y: P) -> C {
        let (x, y) = (self.fval(x), self.fval(y));
        C::D(self.b.ins().fcmp(FloatCC::Equal, x, y))
    }

    /// Whether the float with bits `f` equals the int `i` exactly.
    fn mixed_eq(&mut self, f: P, i: P) -> C {
        if let P::K(bits) = f {
            return match exact_int(f64::from_bits(bits.cast_unsigned())) {
                Some(k) => self.pcmp(IntCC::Equal, i, P::K(k)),
                None => C::K(false),
            };
        }
        let fv = self.fval(f);
        let (exact, k) = self.float_to_exact_int(fv);
        let iv = self.pay_val(i);
        let e = C::D(self.b.ins().icmp(IntCC::Equal, k, iv));
        self.and(exact, e)
    }

    // ---- conditions -------------------------------------------------------------------------

    fn cond_val(&mut self, c: C) -> V {
        match c {
            C::K(k) => self.b.ins().iconst(types::I8, i64::from(k)),
            C::D(v) => v,
        }
    }

    fn and(&mut self, x: C, y: C) -> C {
        match (x, y) {
            (C::K(false), _) | (_, C::K(false)) => C::K(false),
            (C::K(true), o) | (o, C::K(true)) => o,
            (C::D(a), C::D(b)) => C::D(self.b.ins().band(a, b)),
        }
    }

    fn or(&mut self, x: C, y: C) -> C {
        match (x, y) {
            (C::K(true), _) | (_, C::K(true)) => C::K(true),
            (C::K(false), o) | (o, C::K(false)) => o,
            (C::D(a), C::D(b)) => C::D(self.b.ins().bor(a, b)),
        }
    }

    fn not(&mut self, x: C) -> C {
        match x {
            C::K(k) => C::K(!k),
            C::D(v) => C::D(self.b.ins().bxor_imm_s(v, 1)),
        }
    }

    fn select(&mut self, c: C, x: C, y: C) -> C {
        match c {
            C::K(true) => x,
            C::K(false) => y,
            C::D(v) => {
                let (xv, yv) = (self.cond_val(x), self.cond_val(y));
                C::D(self.b.ins().select(v, xv, yv))
            }
        }
    }

    fn branch(&mut self, c: C, t: Block, f: Block) {
        match c {
            C::K(true) => self.jump(t),
            C::K(false) => self.jump(f),
            C::D(v) => {
                self.b.ins().brif(v, t, &[], f, &[]);
            }
        }
    }

    fn jump(&mut self, to: Block) {
        self.b.ins().jump(to, &[]);
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
