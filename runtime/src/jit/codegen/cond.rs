//! Tags, payloads and conditions: compile-time constants fold, the rest become instructions.

use super::{C, Gen, JVal, P, T, TWO_63, exact_int};
use crate::jit::cell::tag;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{Block, InstBuilder, MemFlagsData, Value as V, types};

impl Gen<'_> {
    pub(super) fn tag_val(&mut self, t: T) -> V {
        match t {
            T::K(k) => self.b.ins().iconst(types::I32, i64::from(k)),
            T::D(v) => v,
        }
    }

    pub(super) fn pay_val(&mut self, p: P) -> V {
        match p {
            P::K(k) => self.b.ins().iconst(types::I64, k),
            P::D(v) => v,
        }
    }

    pub(super) fn fval(&mut self, p: P) -> V {
        match p {
            P::K(k) => self.b.ins().f64const(f64::from_bits(k.cast_unsigned())),
            P::D(v) => self.b.ins().bitcast(types::F64, MemFlagsData::new(), v),
        }
    }

    pub(super) fn tag_eq(&mut self, t: T, k: u8) -> C {
        match t {
            T::K(x) => C::K(x == k),
            T::D(v) => C::D(self.b.ins().icmp_imm_s(IntCC::Equal, v, i64::from(k))),
        }
    }

    pub(super) fn tag_ge(&mut self, t: T, k: u8) -> C {
        match t {
            T::K(x) => C::K(x >= k),
            T::D(v) => C::D(self.b.ins().icmp_imm_s(
                IntCC::UnsignedGreaterThanOrEqual,
                v,
                i64::from(k),
            )),
        }
    }

    pub(super) fn tag_range(&mut self, t: T, lo: u8, hi: u8) -> C {
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

    pub(super) fn is_num(&mut self, t: T) -> C {
        self.tag_range(t, tag::BOOL, tag::FLOAT)
    }

    pub(super) fn is_intish(&mut self, t: T) -> C {
        self.tag_range(t, tag::BOOL, tag::INT)
    }

    pub(super) fn pcmp(&mut self, cc: IntCC, x: P, y: P) -> C {
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
    pub(super) fn any_eq(&mut self, x: P, keys: &[i64]) -> C {
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
    pub(super) fn float_to_exact_int(&mut self, f: V) -> (C, V) {
        let i = self.b.ins().fcvt_to_sint_sat(types::I64, f);
        let back = self.b.ins().fcvt_from_sint(types::F64, i);
        let same = self.b.ins().fcmp(FloatCC::Equal, back, f);
        let hi = self.b.ins().f64const(TWO_63);
        let below = self.b.ins().fcmp(FloatCC::LessThan, f, hi);
        let ok = self.b.ins().band(same, below);
        (C::D(ok), i)
    }

    /// Numeric equality of two numbers (bool/int/float), exact between int and float.
    pub(super) fn eq_num(&mut self, a: JVal, b: JVal) -> C {
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

    pub(super) fn feq(&mut self, x: P, y: P) -> C {
        let (x, y) = (self.fval(x), self.fval(y));
        C::D(self.b.ins().fcmp(FloatCC::Equal, x, y))
    }

    /// Whether the float with bits `f` equals the int `i` exactly.
    pub(super) fn mixed_eq(&mut self, f: P, i: P) -> C {
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

    pub(super) fn cond_val(&mut self, c: C) -> V {
        match c {
            C::K(k) => self.b.ins().iconst(types::I8, i64::from(k)),
            C::D(v) => v,
        }
    }

    pub(super) fn and(&mut self, x: C, y: C) -> C {
        match (x, y) {
            (C::K(false), _) | (_, C::K(false)) => C::K(false),
            (C::K(true), o) | (o, C::K(true)) => o,
            (C::D(a), C::D(b)) => C::D(self.b.ins().band(a, b)),
        }
    }

    pub(super) fn or(&mut self, x: C, y: C) -> C {
        match (x, y) {
            (C::K(true), _) | (_, C::K(true)) => C::K(true),
            (C::K(false), o) | (o, C::K(false)) => o,
            (C::D(a), C::D(b)) => C::D(self.b.ins().bor(a, b)),
        }
    }

    pub(super) fn not(&mut self, x: C) -> C {
        match x {
            C::K(k) => C::K(!k),
            C::D(v) => C::D(self.b.ins().bxor_imm_s(v, 1)),
        }
    }

    pub(super) fn select(&mut self, c: C, x: C, y: C) -> C {
        match c {
            C::K(true) => x,
            C::K(false) => y,
            C::D(v) => {
                let (xv, yv) = (self.cond_val(x), self.cond_val(y));
                C::D(self.b.ins().select(v, xv, yv))
            }
        }
    }

    pub(super) fn branch(&mut self, c: C, t: Block, f: Block) {
        match c {
            C::K(true) => self.jump(t),
            C::K(false) => self.jump(f),
            C::D(v) => {
                self.b.ins().brif(v, t, &[], f, &[]);
            }
        }
    }

    pub(super) fn jump(&mut self, to: Block) {
        self.b.ins().jump(to, &[]);
    }
}
