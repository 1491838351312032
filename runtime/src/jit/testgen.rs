//! Random rule programs and frames for differential testing of the JIT against the interpreter
//! (the proptest suite, the soak example and the fuzz target all draw from here).
//!
//! Generation is driven by a [`Source`] of bounded choices, so the same generator runs from a
//! seeded PRNG ([`SplitMix`]), from a proptest-shrinkable list of numbers ([`Choices`]), or from
//! fuzzer bytes. Programs are built directly as IR: a few slots, a string table (with a duplicate,
//! to exercise canonical ids), rules over every operator, operand form and value kind.

use crate::frame::{Frame, SlotState};
use crate::loaded::LoadedProgram;
use llemc_compiler::corpus::{RuleSeverity, Stage};
use llemc_compiler::ir::{Const, Operand, Pred, Program, RuleIr, Slot, Template};
use llemc_compiler::types::Kinds;
use llemc_compiler::value::Value;
use llemc_grammar::ast::{ArithOp, CompareOp, IsTarget};

/// A stream of bounded choices.
pub trait Source {
    /// A number in `0..n` (`n > 0`; 0 when the source is exhausted).
    fn below(&mut self, n: u32) -> u32;

    /// A raw 64-bit number.
    fn bits(&mut self) -> u64 {
        (u64::from(self.below(u32::MAX)) << 32) | u64::from(self.below(u32::MAX))
    }

    /// True with probability about `1/n`.
    fn one_in(&mut self, n: u32) -> bool {
        self.below(n) == 0
    }
}

/// SplitMix64: a small deterministic PRNG.
#[derive(Clone, Debug)]
pub struct SplitMix(pub u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Source for SplitMix {
    fn below(&mut self, n: u32) -> u32 {
        u32::try_from(self.next() % u64::from(n.max(1))).unwrap_or(0)
    }

    fn bits(&mut self) -> u64 {
        self.next()
    }
}

/// Choices read from a list of numbers (each taken modulo the bound); zeros once exhausted, so a
/// shorter list (what proptest shrinks towards) gives a simpler case.
#[derive(Clone, Debug)]
pub struct Choices<'a> {
    data: &'a [u32],
    pos: usize,
}

impl<'a> Choices<'a> {
    /// Reads from `data`.
    pub fn new(data: &'a [u32]) -> Choices<'a> {
        Choices { data, pos: 0 }
    }
}

impl Source for Choices<'_> {
    fn below(&mut self, n: u32) -> u32 {
        let v = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        v % n.max(1)
    }
}

/// The program's string table: type names, short strings, non-ASCII, and a duplicate entry.
const PROGRAM_STRINGS: &[&str] = &[
    "a",
    "b",
    "ab",
    "",
    "int",
    "str",
    "float",
    "bool",
    "list",
    "dict",
    "NoneType",
    "héllo",
    "a",
    "B",
    "\u{1F600}",
];

/// Strings configs may hold that the program does not.
const FOREIGN_STRINGS: &[&str] = &["zz", "A", "héllo wörld", "aa", " ", "\u{10FFFF}", "1"];

const INTS: &[i64] = &[
    0,
    1,
    -1,
    2,
    3,
    -3,
    7,
    -7,
    10,
    i64::MIN,
    i64::MAX,
    i64::MIN + 1,
    i64::MAX - 1,
    9_007_199_254_740_992,
    9_007_199_254_740_993,
    -9_007_199_254_740_993,
    4_611_686_018_427_387_904,
    3_037_000_500,
];

const FLOATS: &[f64] = &[
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    1.5,
    -1.5,
    2.0,
    3.0,
    -7.0,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    9_007_199_254_740_992.0,
    9_007_199_254_740_994.0,
    9_223_372_036_854_775_808.0,
    -9_223_372_036_854_775_808.0,
    9_223_372_036_854_774_784.0,
    1e308,
    5e-324,
    0.1,
    1e16,
];

/// A random program of 1 to 8 rules over 1 to 6 slots.
pub fn program(src: &mut impl Source) -> Program {
    let slots = 1 + src.below(6);
    let rules = 1 + src.below(8);
    let mut g = Gen { src, slots };
    let rules = (0..rules)
        .map(|i| {
            let pred = g.pred(3);
            let mut reads = Vec::new();
            pred.visit_operands(&mut |o| o.visit_slots(&mut |s| reads.push(s)));
            reads.sort_unstable();
            reads.dedup();
            RuleIr {
                id: format!("r{i}"),
                severity: RuleSeverity::Error,
                stage: Stage::Construct,
                native_type: None,
                subject: reads.first().copied(),
                reads,
                pred,
                message: Template::default(),
                origin: None,
                normalises: Vec::new(),
            }
        })
        .collect();
    Program {
        engine: "test".to_owned(),
        engine_version: "0".to_owned(),
        compat: true,
        fingerprint: String::new(),
        slots: (0..slots)
            .map(|i| Slot {
                path: vec![format!("s{i}")],
                native: None,
                kinds: Kinds::ALL,
            })
            .collect(),
        strings: PROGRAM_STRINGS.iter().map(|s| (*s).to_owned()).collect(),
        rules,
    }
}

/// Binds random values into `frame` (a frame of `loaded`): each slot absent, declared null, or
/// declared with a value of any kind.
pub fn fill_frame(src: &mut impl Source, loaded: &LoadedProgram, frame: &mut Frame) {
    frame.reset();
    for slot in 0..loaded.program().slots.len() {
        let id = u32::try_from(slot).unwrap_or(0);
        if src.one_in(4) {
            continue;
        }
        let v = value(src, 2);
        frame.set(id, v, SlotState::Declared, None);
    }
}

/// A random value of any kind (containers nested up to `depth`).
pub fn value(src: &mut impl Source, depth: u32) -> Value {
    match src.below(if depth == 0 { 8 } else { 10 }) {
        0 => Value::Null,
        1 => Value::Bool(src.one_in(2)),
        2 | 3 => Value::Int(int(src)),
        4 | 5 => Value::Float(float(src)),
        6 | 7 => Value::Str(string(src)),
        8 => Value::List(
            (0..src.below(4))
                .map(|_| value(src, depth.saturating_sub(1)))
                .collect(),
        ),
        _ => Value::Dict(
            (0..src.below(3))
                .map(|_| (Value::Str(string(src)), value(src, depth.saturating_sub(1))))
                .collect(),
        ),
    }
}

fn pick<T: Copy>(src: &mut impl Source, items: &[T], fallback: T) -> T {
    let n = u32::try_from(items.len()).unwrap_or(1);
    items
        .get(src.below(n) as usize)
        .copied()
        .unwrap_or(fallback)
}

fn int(src: &mut impl Source) -> i64 {
    match src.below(4) {
        0 => i64::from(src.below(21)) - 10,
        1 => src.bits().cast_signed(),
        _ => pick(src, INTS, 0),
    }
}

fn float(src: &mut impl Source) -> f64 {
    match src.below(5) {
        0 => f64::from(src.below(21)) - 10.0,
        1 => (f64::from(src.below(41)) - 20.0) / 4.0,
        2 => f64::from_bits(src.bits()),
        _ => pick(src, FLOATS, 0.0),
    }
}

fn string(src: &mut impl Source) -> String {
    if src.one_in(3) {
        pick(src, FOREIGN_STRINGS, "").to_owned()
    } else {
        pick(src, PROGRAM_STRINGS, "").to_owned()
    }
}

struct Gen<'s, S: Source> {
    src: &'s mut S,
    slots: u32,
}

impl<S: Source> Gen<'_, S> {
    fn pred(&mut self, depth: u32) -> Pred {
        let leaf = depth == 0;
        match self.src.below(if leaf { 10 } else { 14 }) {
            0 => Pred::Const(self.src.one_in(2)),
            1..=5 => self.compare(),
            6 | 7 => Pred::Presence {
                operand: self.operand(1),
                present: self.src.one_in(2),
            },
            8 | 9 => Pred::Is {
                operand: self.operand(1),
                negated: self.src.one_in(2),
                target: pick(
                    self.src,
                    &[IsTarget::Null, IsTarget::True, IsTarget::False],
                    IsTarget::Null,
                ),
            },
            10 => Pred::Not(Box::new(self.pred(depth - 1))),
            11 | 12 => {
                let items = (0..self.src.below(4))
                    .map(|_| self.pred(depth - 1))
                    .collect();
                if self.src.one_in(2) {
                    Pred::And(items)
                } else {
                    Pred::Or(items)
                }
            }
            _ => Pred::Not(Box::new(self.compare())),
        }
    }

    fn compare(&mut self) -> Pred {
        let op = pick(self.src, &CompareOp::ALL, CompareOp::Eq);
        let lhs = self.operand(2);
        let rhs = match op {
            CompareOp::In | CompareOp::NotIn if !self.src.one_in(4) => self.const_list(),
            CompareOp::TypeIs | CompareOp::TypeIsNot if !self.src.one_in(4) => {
                if self.src.one_in(2) {
                    Operand::Const(Const::Str(self.src.below(11)))
                } else {
                    Operand::Const(Const::List(
                        (0..self.src.below(4))
                            .map(|_| Const::Str(self.src.below(11)))
                            .collect(),
                    ))
                }
            }
            _ => self.operand(2),
        };
        if self.src.one_in(8) {
            Pred::Compare {
                op,
                lhs: rhs,
                rhs: lhs,
            }
        } else {
            Pred::Compare { op, lhs, rhs }
        }
    }

    fn const_list(&mut self) -> Operand {
        Operand::Const(Const::List(
            (0..self.src.below(6)).map(|_| self.constant(1)).collect(),
        ))
    }

    fn slot(&mut self) -> Operand {
        Operand::Slot(self.src.below(self.slots))
    }

    fn operand(&mut self, depth: u32) -> Operand {
        let leaf = depth == 0;
        match self.src.below(if leaf { 6 } else { 11 }) {
            0..=2 => self.slot(),
            3..=5 => Operand::Const(self.constant(1)),
            6 => Operand::Len(Box::new(self.operand(depth - 1))),
            7 => Operand::Neg(Box::new(self.operand(depth - 1))),
            8 | 9 => Operand::Arith {
                op: pick(
                    self.src,
                    &[ArithOp::Add, ArithOp::Sub, ArithOp::Mul, ArithOp::Mod],
                    ArithOp::Mod,
                ),
                lhs: Box::new(self.operand(depth - 1)),
                rhs: Box::new(self.operand(depth - 1)),
            },
            // A list built from operands: the JIT leaves such rules to the interpreter.
            _ if self.src.one_in(4) => {
                Operand::List((0..self.src.below(3)).map(|_| self.operand(0)).collect())
            }
            _ => self.slot(),
        }
    }

    fn constant(&mut self, depth: u32) -> Const {
        let n = u32::try_from(PROGRAM_STRINGS.len()).unwrap_or(1);
        match self.src.below(if depth == 0 { 8 } else { 10 }) {
            0 => Const::Null,
            1 => Const::Bool(self.src.one_in(2)),
            2 | 3 => Const::Int(int(self.src)),
            4 | 5 => Const::Float(float(self.src)),
            6 | 7 => Const::Str(self.src.below(n)),
            8 => Const::List(
                (0..self.src.below(4))
                    .map(|_| self.constant(depth - 1))
                    .collect(),
            ),
            _ => Const::Dict(
                (0..self.src.below(3))
                    .map(|_| (Const::Str(self.src.below(n)), self.constant(depth - 1)))
                    .collect(),
            ),
        }
    }
}

/// Compares the JIT with the interpreter on one frame: the fired set and the findings. Returns
/// a description of the first difference.
pub fn check(
    loaded: &LoadedProgram,
    jit: &super::JitProgram,
    frame: &Frame,
    fired: &mut Vec<bool>,
) -> Result<(), String> {
    jit.eval(frame, fired);
    for (index, got) in fired.iter().enumerate() {
        let want = loaded.rule_holds(index, frame);
        if *got != want {
            let rule = loaded.program().rules.get(index);
            return Err(format!(
                "rule {index}: jit {got}, interpreter {want}\n  pred: {:?}\n  frame: {:?}",
                rule.map(|r| &r.pred),
                (0..loaded.program().slots.len())
                    .map(|s| frame.value(u32::try_from(s).unwrap_or(0)))
                    .collect::<Vec<_>>()
            ));
        }
    }
    let want = loaded.evaluate(frame);
    let mut got = Vec::new();
    loaded.findings_from_fired(frame, fired, &mut got);
    // Debug, not PartialEq: a NaN value equals itself there.
    if format!("{got:?}") != format!("{want:?}") {
        return Err(format!(
            "findings differ\n  jit:    {got:?}\n  interp: {want:?}"
        ));
    }
    Ok(())
}
