//! The equivalences `llemc_compiler::canon` canonicalises by hold under llemc's semantics:
//! both forms are evaluated by the runtime interpreter on random configs (x absent, null, in the
//! list, out of it, of the wrong type) and must agree; and the canonical texts of the two
//! spellings are equal (so build-corpus merges a seed and a mined rule written either way).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use llemc_compiler::canon::{Names, canonical_text, normal_form};
use llemc_compiler::corpus::{RuleSeverity, Stage};
use llemc_compiler::ir::{Const, Operand, Pred, Program, RuleIr, Slot, SlotId, StrId, Template};
use llemc_compiler::types::Kinds;
use llemc_compiler::value::Value;
use llemc_grammar::ast::{CompareOp, IsTarget};
use llemc_runtime::frame::SlotState;
use llemc_runtime::interp::{holds, prepare_pred};
use llemc_runtime::jit::testgen::{self, Choices, SplitMix};
use llemc_runtime::loaded::LoadedProgram;
use proptest::prelude::*;

const STRINGS: [&str; 6] = ["a", "b", "int", "str", "float", "bool"];

struct N;
impl Names for N {
    fn slot(&self, slot: SlotId) -> String {
        format!("s{slot}")
    }
    fn string(&self, id: StrId) -> String {
        STRINGS.get(id as usize).copied().unwrap_or("?").to_owned()
    }
}

fn program() -> Program {
    Program {
        engine: "test".into(),
        engine_version: "0".into(),
        compat: true,
        fingerprint: String::new(),
        slots: (0..2)
            .map(|i| Slot {
                path: vec![format!("s{i}")],
                native: None,
                kinds: Kinds::ALL,
            })
            .collect(),
        strings: STRINGS.iter().map(|s| (*s).to_owned()).collect(),
        rules: vec![RuleIr {
            id: "r".into(),
            severity: RuleSeverity::Warn,
            stage: Stage::Construct,
            native_type: None,
            subject: Some(0),
            reads: vec![0, 1],
            pred: Pred::Const(true),
            message: Template::default(),
            origin: None,
            normalises: Vec::new(),
        }],
    }
}

fn x() -> Operand {
    Operand::Slot(0)
}

fn cmp(op: CompareOp, lhs: Operand, rhs: Operand) -> Pred {
    Pred::Compare { op, lhs, rhs }
}

fn not(p: Pred) -> Pred {
    Pred::Not(Box::new(p))
}

fn absent(o: Operand) -> Pred {
    Pred::Presence {
        operand: o,
        present: false,
    }
}

fn is_null(o: Operand) -> Pred {
    Pred::Is {
        operand: o,
        negated: false,
        target: IsTarget::Null,
    }
}

/// Evaluates `a` and `b` on the config (slot 0 = `x`, slot 1 = `t`; `None` = absent).
fn agree(a: &Pred, b: &Pred, xv: &Option<Value>, tv: &Option<Value>) -> Result<bool, String> {
    let loaded = LoadedProgram::new(program());
    let mut frame = loaded.frame();
    frame.reset();
    for (slot, v) in [(0, xv), (1, tv)] {
        if let Some(v) = v {
            frame.set(slot, v.clone(), SlotState::Declared, None);
        }
    }
    let ha = holds(&prepare_pred(loaded.program(), a), &frame);
    let hb = holds(&prepare_pred(loaded.program(), b), &frame);
    if ha == hb {
        Ok(ha)
    } else {
        Err(format!(
            "x = {xv:?}, t = {tv:?}: `{}` is {ha} but `{}` is {hb}",
            canonical_text(a, &N),
            canonical_text(b, &N)
        ))
    }
}

/// Constants a list may hold (strings by id).
fn item() -> impl Strategy<Value = Const> {
    prop_oneof![
        Just(Const::Null),
        Just(Const::Bool(true)),
        Just(Const::Bool(false)),
        (0i64..3).prop_map(Const::Int),
        Just(Const::Float(1.5)),
        (0u32..2).prop_map(Const::Str),
    ]
}

/// Values of x: absent, null, values that are in typical lists, values that are not, and values
/// of other types (lists, dicts).
fn config_value() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None),
        Just(Some(Value::Null)),
        any::<bool>().prop_map(|b| Some(Value::Bool(b))),
        (0i64..4).prop_map(|i| Some(Value::Int(i))),
        prop_oneof![Just(1.5), Just(0.0), Just(2.0)].prop_map(|f| Some(Value::Float(f))),
        prop_oneof![Just("a"), Just("b"), Just("c"), Just("int")]
            .prop_map(|s| Some(Value::Str(s.to_owned()))),
        Just(Some(Value::List(vec![Value::Int(1)]))),
        Just(Some(Value::Dict(vec![]))),
    ]
}

/// A type-name operand: one name, a list of names, or slot 1 (which holds whatever the config
/// says, also non-strings).
fn type_names() -> impl Strategy<Value = Operand> {
    prop_oneof![
        (2u32..6).prop_map(|i| Operand::Const(Const::Str(i))),
        prop::collection::vec((2u32..6).prop_map(Const::Str), 0..3)
            .prop_map(|v| Operand::Const(Const::List(v))),
        Just(Operand::Slot(1)),
    ]
}

proptest! {
    /// `not (x in L)` ≡ `x absent or x not_in L` when L holds no null, `x not_in L` when it does;
    /// `not (x not_in L)` likewise with `in`.
    #[test]
    fn membership(items in prop::collection::vec(item(), 0..4), xv in config_value(), tv in config_value()) {
        let l = Operand::Const(Const::List(items.clone()));
        let has_null = items.contains(&Const::Null);
        for (op, flipped) in [(CompareOp::In, CompareOp::NotIn), (CompareOp::NotIn, CompareOp::In)] {
            let negation = not(cmp(op, x(), l.clone()));
            let spelled = if has_null {
                cmp(flipped, x(), l.clone())
            } else {
                Pred::Or(vec![absent(x()), cmp(flipped, x(), l.clone())])
            };
            if let Err(e) = agree(&negation, &spelled, &xv, &tv) { prop_assert!(false, "{}", e); }
            if let Err(e) = agree(&negation, &normal_form(&negation), &xv, &tv) { prop_assert!(false, "{}", e); }
            prop_assert_eq!(canonical_text(&negation, &N), canonical_text(&spelled, &N));
        }
    }

    /// `not (x type_is T)` ≡ `x is null or x type_is_not T` ≡ `x absent or x type_is_not T`,
    /// and `not (x type_is_not T)` ≡ `x absent or x type_is T`.
    #[test]
    fn type_tests(t in type_names(), xv in config_value(), tv in config_value()) {
        for (op, flipped) in [(CompareOp::TypeIs, CompareOp::TypeIsNot), (CompareOp::TypeIsNot, CompareOp::TypeIs)] {
            let negation = not(cmp(op, x(), t.clone()));
            let with_null = Pred::Or(vec![is_null(x()), cmp(flipped, x(), t.clone())]);
            let with_absent = Pred::Or(vec![cmp(flipped, x(), t.clone()), absent(x())]);
            for spelled in [&with_null, &with_absent] {
                if let Err(e) = agree(&negation, spelled, &xv, &tv) { prop_assert!(false, "{}", e); }
                prop_assert_eq!(canonical_text(&negation, &N), canonical_text(spelled, &N));
            }
            if let Err(e) = agree(&negation, &normal_form(&negation), &xv, &tv) { prop_assert!(false, "{}", e); }
        }
    }

    /// The normal form never changes a rule's result: random programs (every operator, nesting,
    /// arithmetic and len operands that can fail) on random frames.
    #[test]
    fn normal_form_preserves_every_predicate(choices in prop::collection::vec(any::<u32>(), 0..600)) {
        let mut src = Choices::new(&choices);
        if let Err(e) = normal_form_case(&mut src) { prop_assert!(false, "{}", e); }
    }
}

fn normal_form_case(src: &mut impl testgen::Source) -> Result<(), String> {
    let program = testgen::program(src);
    let loaded = LoadedProgram::new(program);
    let mut frame = loaded.frame();
    for _ in 0..4 {
        testgen::fill_frame(src, &loaded, &mut frame);
        for rule in &loaded.program().rules {
            let a = holds(&prepare_pred(loaded.program(), &rule.pred), &frame);
            let nf = normal_form(&rule.pred);
            let b = holds(&prepare_pred(loaded.program(), &nf), &frame);
            if a != b {
                return Err(format!("{:?}\nnormal form {:?}\n{a} vs {b}", rule.pred, nf));
            }
        }
    }
    Ok(())
}

/// A fixed slice of seeds, so every run covers many generated programs.
#[test]
fn seeded_programs_keep_their_results() {
    for seed in 0..2_000u64 {
        let mut src = SplitMix(seed);
        normal_form_case(&mut src).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    }
}

/// Where the equivalences do not hold, the forms stay apart: a list holding null, and an
/// operand that can fail to evaluate (`len(x)` of a number makes every test false).
#[test]
fn non_equivalences_are_not_merged() {
    let with_null = Operand::Const(Const::List(vec![Const::Null, Const::Int(1)]));
    let negation = not(cmp(CompareOp::In, x(), with_null.clone()));
    let wrong = Pred::Or(vec![absent(x()), cmp(CompareOp::NotIn, x(), with_null)]);
    assert!(agree(&negation, &wrong, &None, &None).is_err());
    assert_ne!(canonical_text(&negation, &N), canonical_text(&wrong, &N));

    let len = Operand::Len(Box::new(x()));
    let l = Operand::Const(Const::List(vec![Const::Int(1)]));
    let negation = not(cmp(CompareOp::In, len.clone(), l.clone()));
    let wrong = Pred::Or(vec![absent(len.clone()), cmp(CompareOp::NotIn, len, l)]);
    assert!(agree(&negation, &wrong, &Some(Value::Int(3)), &None).is_err());
    assert_ne!(canonical_text(&negation, &N), canonical_text(&wrong, &N));
}

/// The printed canonical forms.
#[test]
fn canonical_texts() {
    let l = Operand::Const(Const::List(vec![Const::Str(0), Const::Str(1)]));
    assert_eq!(
        canonical_text(&not(cmp(CompareOp::In, x(), l)), &N),
        "(s0 absent or s0 not_in [\"a\", \"b\"])"
    );
    assert_eq!(
        canonical_text(
            &not(cmp(CompareOp::TypeIs, x(), Operand::Const(Const::Str(2)))),
            &N
        ),
        "(s0 absent or s0 type_is_not \"int\")"
    );
    assert_eq!(canonical_text(&is_null(x()), &N), "s0 absent");
}
