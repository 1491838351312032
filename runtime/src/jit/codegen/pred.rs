//! Predicates: as control flow (`pred`: a jump to the true or the false block, `and`/`or`
//! short-circuit, an invalid operand jumps to the false block) or, when every test is decided
//! inline, as a branch-free condition (`pred_value`).

use super::{C, Gen, JVal, P, compare};
use crate::jit::abi;
use crate::jit::cell::tag;
use crate::loaded::const_value;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{Block, InstBuilder, Value as V, types};
use llemc_compiler::ir::{Operand, Pred};
use llemc_compiler::value;
use llemc_grammar::ast::{CompareOp, IsTarget};

impl Gen<'_> {
    pub(super) fn pred(&mut self, p: &Pred, t: Block, f: Block) {
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
                let c = self.is_cond(a, *negated, *target);
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
        let (fast, helper) = self.decide(op, a, b);
        self.test(op, a, b, fast, helper, t, f);
    }

    /// `a <op> b` for operands not both constant: (the answer where the helper does not decide,
    /// where the helper decides).
    fn decide(&mut self, op: CompareOp, a: JVal, b: JVal) -> (C, C) {
        let constant = match (self.as_const(a), self.as_const(b)) {
            (None, Some(k)) => self.against_const(op, a, &k),
            (Some(k), None) => {
                compare::flipped(op).and_then(|flipped| self.against_const(flipped, b, &k))
            }
            _ => None,
        };
        if let Some(decided) = constant {
            return decided;
        }
        match op {
            CompareOp::Eq | CompareOp::Ne => self.equality(op, a, b),
            CompareOp::Lt | CompareOp::Le | CompareOp::Gt | CompareOp::Ge => {
                self.ordering(op, a, b)
            }
            CompareOp::In | CompareOp::NotIn => self.membership(op, a, b),
            CompareOp::TypeIs | CompareOp::TypeIsNot => self.type_test(op, a, b),
            CompareOp::DivisibleBy | CompareOp::NotDivisibleBy => {
                (self.divisibility(op, a, b), C::K(false))
            }
        }
    }

    /// `a is null|true|false` (negated).
    fn is_cond(&mut self, a: JVal, negated: bool, target: IsTarget) -> C {
        let c = match target {
            IsTarget::Null => self.tag_eq(a.t, tag::NULL),
            IsTarget::True | IsTarget::False => {
                let is_bool = self.tag_eq(a.t, tag::BOOL);
                let want = i64::from(matches!(target, IsTarget::True));
                let v = self.pcmp(IntCC::Equal, a.p, P::K(want));
                self.and(is_bool, v)
            }
        };
        if negated { self.not(c) } else { c }
    }

    /// The predicate's truth computed without branches, when every test in it is decided inline
    /// (operands are slots and constants, no test needs the helper); `None` otherwise (what was
    /// emitted is then unused and removed by Cranelift). Evaluation has no side effects, so `and`
    /// and `or` need not short-circuit.
    pub(super) fn pred_value(&mut self, p: &Pred) -> Option<C> {
        Some(match p {
            Pred::Const(b) => C::K(*b),
            Pred::Not(inner) => {
                let c = self.pred_value(inner)?;
                self.not(c)
            }
            Pred::And(items) | Pred::Or(items) => {
                let is_and = matches!(p, Pred::And(_));
                let mut acc = C::K(is_and);
                for item in items {
                    let c = self.pred_value(item)?;
                    acc = if is_and {
                        self.and(acc, c)
                    } else {
                        self.or(acc, c)
                    };
                }
                acc
            }
            Pred::Compare { op, lhs, rhs } => {
                let (a, b) = (self.plain_operand(lhs)?, self.plain_operand(rhs)?);
                if let (Some(x), Some(y)) = (self.as_const(a), self.as_const(b)) {
                    return Some(C::K(value::compare(*op, &x, &y)));
                }
                match self.decide(*op, a, b) {
                    (fast, C::K(false)) => fast,
                    _ => return None,
                }
            }
            Pred::Presence { operand, present } => {
                let a = self.plain_operand(operand)?;
                let null = self.tag_eq(a.t, tag::NULL);
                if *present { self.not(null) } else { null }
            }
            Pred::Is {
                operand,
                negated,
                target,
            } => {
                let a = self.plain_operand(operand)?;
                self.is_cond(a, *negated, *target)
            }
        })
    }

    /// A slot or a constant (never invalid).
    fn plain_operand(&mut self, o: &Operand) -> Option<JVal> {
        match o {
            Operand::Slot(s) => Some(self.slot(*s)),
            Operand::Const(c) => {
                let v = const_value(self.program, c);
                Some(self.constant(v))
            }
            _ => None,
        }
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
