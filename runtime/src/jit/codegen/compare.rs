//! The binary tests: equality, ordering, membership, type tests and divisibility, each as a
//! branch-free fast answer and the cases where the reference helper decides.

use super::{C, Gen, JVal, P, T, exact_int};
use crate::jit::cell::tag;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{InstBuilder, Value as V, types};
use llemc_compiler::value::Value;
use llemc_grammar::ast::CompareOp;

impl Gen<'_> {
    /// `==` / `!=`: (fast answer, whether the helper decides).
    pub(super) fn equality(&mut self, op: CompareOp, a: JVal, b: JVal) -> (C, C) {
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
    pub(super) fn ordering(&mut self, op: CompareOp, a: JVal, b: JVal) -> (C, C) {
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
    pub(super) fn membership(&mut self, op: CompareOp, a: JVal, b: JVal) -> (C, C) {
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
    pub(super) fn type_test(&mut self, op: CompareOp, a: JVal, b: JVal) -> (C, C) {
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
    pub(super) fn divisibility(&mut self, op: CompareOp, a: JVal, b: JVal) -> C {
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
    pub(super) fn safe_divisor(&mut self, y: P) -> V {
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
}
