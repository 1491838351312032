//! Operands: slot loads, constants, `len`, negation and arithmetic (checked: an overflow or a
//! zero divisor makes the operand invalid, as Python would raise).

use super::{C, Gen, JVal, P, T};
use crate::jit::abi;
use crate::jit::cell::{CELL_SIZE, PAYLOAD_OFFSET, TAG_OFFSET, tag};
use crate::loaded::const_value;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{Block, BlockArg, InstBuilder, MemFlagsData, Value as V, types};
use llemc_compiler::ir::Operand;
use llemc_compiler::value::{self, Value};
use llemc_grammar::ast::ArithOp;

impl Gen<'_> {
    pub(super) fn operand(&mut self, o: &Operand, invalid: Block) -> JVal {
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
    pub(super) fn int_arith(&mut self, op: ArithOp, x: P, y: P, invalid: Block) -> V {
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
    pub(super) fn float_arith(&mut self, op: ArithOp, a: JVal, b: JVal, invalid: Block) -> V {
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
    pub(super) fn num_f64(&mut self, a: JVal) -> V {
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

    pub(super) fn constant(&mut self, v: Value) -> JVal {
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

    pub(super) fn push_const(&mut self, v: Value) -> (u8, i64) {
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
    pub(super) fn as_const(&self, a: JVal) -> Option<Value> {
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
    pub(super) fn invalid(&mut self, invalid: Block) -> JVal {
        self.fail_if(C::K(true), invalid);
        JVal {
            t: T::K(tag::NULL),
            p: P::K(0),
        }
    }

    pub(super) fn fail_if(&mut self, c: C, invalid: Block) {
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
}
