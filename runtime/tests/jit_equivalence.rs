//! The JIT gives exactly the interpreter's results: random rule programs (every operator,
//! and/or/not nesting, slot references, arithmetic with zero divisors and overflow, len, lists,
//! identity and presence tests) on random frames (every value kind and the numeric edge cases).
//!
//! `PROPTEST_CASES` scales the proptest run; `runtime/examples/jit_equivalence_soak.rs` runs
//! millions of cases from a seeded generator.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use llemc_compiler::corpus::{RuleSeverity, Stage};
use llemc_compiler::ir::{Const, Operand, Pred, Program, RuleIr, Slot, Template};
use llemc_compiler::types::Kinds;
use llemc_compiler::value::Value;
use llemc_grammar::ast::{ArithOp, CompareOp, IsTarget};
use llemc_runtime::frame::SlotState;
use llemc_runtime::jit::testgen::{self, Choices, SplitMix};
use llemc_runtime::jit::{Backend, Evaluator, JitError, JitProgram};
use llemc_runtime::loaded::LoadedProgram;
use proptest::prelude::*;

/// Runs one generated case: a program and `frames` frames drawn from `src`.
fn run_case(src: &mut impl testgen::Source, frames: usize) -> Result<(), String> {
    let program = testgen::program(src);
    let loaded = LoadedProgram::new(program);
    let jit = JitProgram::compile(&loaded).map_err(|e| e.to_string())?;
    let mut frame = loaded.frame();
    let mut fired = Vec::new();
    for _ in 0..frames {
        testgen::fill_frame(src, &loaded, &mut frame);
        testgen::check(&loaded, &jit, &frame, &mut fired)?;
    }
    Ok(())
}

proptest! {
    #[test]
    fn jit_matches_interpreter(choices in prop::collection::vec(any::<u32>(), 0..600)) {
        let mut src = Choices::new(&choices);
        if let Err(e) = run_case(&mut src, 4) {
            prop_assert!(false, "{}", e);
        }
    }
}

/// A fixed slice of the soak run, so every `cargo test` covers thousands of cases.
#[test]
fn seeded_programs_match() {
    let mut cases = 0;
    for seed in 0..1_000u64 {
        let mut src = SplitMix(seed);
        run_case(&mut src, 16).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        cases += 16;
    }
    assert_eq!(cases, 16_000);
}

fn slot(i: u32) -> Slot {
    Slot {
        path: vec![format!("s{i}")],
        native: None,
        kinds: Kinds::ALL,
    }
}

fn program(slots: u32, strings: &[&str], preds: Vec<Pred>) -> LoadedProgram {
    LoadedProgram::new(Program {
        engine: "test".into(),
        engine_version: "0".into(),
        compat: true,
        fingerprint: String::new(),
        slots: (0..slots).map(slot).collect(),
        strings: strings.iter().map(|s| (*s).to_owned()).collect(),
        rules: preds
            .into_iter()
            .enumerate()
            .map(|(i, pred)| RuleIr {
                id: format!("r{i}"),
                severity: RuleSeverity::Warn,
                stage: Stage::Construct,
                native_type: None,
                subject: Some(0),
                reads: (0..slots).collect(),
                pred,
                message: Template::default(),
                origin: None,
                normalises: Vec::new(),
            })
            .collect(),
    })
}

fn cmp(op: CompareOp, lhs: Operand, rhs: Operand) -> Pred {
    Pred::Compare { op, lhs, rhs }
}

fn s(i: u32) -> Operand {
    Operand::Slot(i)
}

fn c(k: Const) -> Operand {
    Operand::Const(k)
}

fn arith(op: ArithOp, a: Operand, b: Operand) -> Operand {
    Operand::Arith {
        op,
        lhs: Box::new(a),
        rhs: Box::new(b),
    }
}

/// Evaluates every rule on every combination of the given values in slots 0 and 1, both ways.
fn exhaustive(loaded: &LoadedProgram, values: &[Option<Value>]) {
    let jit = JitProgram::compile(loaded).unwrap();
    let mut frame = loaded.frame();
    let mut fired = Vec::new();
    for a in values {
        for b in values {
            frame.reset();
            for (slot, v) in [(0, a), (1, b)] {
                if let Some(v) = v {
                    frame.set(slot, v.clone(), SlotState::Declared, None);
                }
            }
            testgen::check(loaded, &jit, &frame, &mut fired).unwrap();
        }
    }
}

fn edge_values() -> Vec<Option<Value>> {
    let mut v = vec![None, Some(Value::Null)];
    for b in [false, true] {
        v.push(Some(Value::Bool(b)));
    }
    for i in [
        0,
        1,
        -1,
        2,
        -7,
        3,
        i64::MIN,
        i64::MAX,
        9_007_199_254_740_993,
    ] {
        v.push(Some(Value::Int(i)));
    }
    for f in [
        0.0,
        -0.0,
        1.0,
        -1.5,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        9_007_199_254_740_992.0,
        9_223_372_036_854_775_808.0,
        -9_223_372_036_854_775_808.0,
    ] {
        v.push(Some(Value::Float(f)));
    }
    for s in ["a", "b", "zz", "", "héllo"] {
        v.push(Some(Value::Str(s.into())));
    }
    v.push(Some(Value::List(vec![
        Value::Int(1),
        Value::Str("a".into()),
    ])));
    v.push(Some(Value::List(vec![Value::Bool(true)])));
    v.push(Some(Value::Dict(vec![(
        Value::Str("a".into()),
        Value::Null,
    )])));
    v
}

#[test]
fn every_operator_on_every_edge_value_pair() {
    let mut preds = Vec::new();
    for op in CompareOp::ALL {
        preds.push(cmp(op, s(0), s(1)));
        preds.push(Pred::Not(Box::new(cmp(op, s(0), s(1)))));
        preds.push(cmp(op, s(0), c(Const::Int(1))));
        preds.push(cmp(op, s(0), c(Const::Float(1.0))));
        preds.push(cmp(op, s(0), c(Const::Str(0))));
        preds.push(cmp(op, c(Const::Str(1)), s(0)));
        preds.push(cmp(op, s(0), c(Const::Null)));
        preds.push(cmp(
            op,
            s(0),
            c(Const::List(vec![
                Const::Int(1),
                Const::Null,
                Const::Float(-1.5),
                Const::Str(0),
                Const::Float(9_007_199_254_740_992.0),
            ])),
        ));
        for aop in [ArithOp::Add, ArithOp::Sub, ArithOp::Mul, ArithOp::Mod] {
            preds.push(cmp(op, arith(aop, s(0), s(1)), c(Const::Int(0))));
            preds.push(cmp(op, arith(aop, s(0), c(Const::Int(-1))), s(1)));
        }
        preds.push(cmp(op, Operand::Len(Box::new(s(0))), s(1)));
        preds.push(cmp(op, Operand::Neg(Box::new(s(0))), s(1)));
    }
    for target in [IsTarget::Null, IsTarget::True, IsTarget::False] {
        for negated in [false, true] {
            preds.push(Pred::Is {
                operand: s(0),
                negated,
                target,
            });
        }
    }
    preds.push(cmp(CompareOp::TypeIs, s(0), c(Const::Str(2))));
    preds.push(cmp(
        CompareOp::TypeIsNot,
        s(0),
        c(Const::List(vec![Const::Str(3), Const::Str(4)])),
    ));
    let loaded = program(2, &["a", "b", "int", "str", "float", "a"], preds);
    exhaustive(&loaded, &edge_values());
}

#[test]
fn division_edge_cases_do_not_trap() {
    let preds = vec![
        cmp(CompareOp::DivisibleBy, s(0), s(1)),
        cmp(CompareOp::NotDivisibleBy, s(0), s(1)),
        cmp(
            CompareOp::Eq,
            arith(ArithOp::Mod, s(0), s(1)),
            c(Const::Int(0)),
        ),
        Pred::Presence {
            operand: arith(ArithOp::Mod, s(0), s(1)),
            present: true,
        },
    ];
    let loaded = program(2, &[], preds);
    let ints: Vec<Option<Value>> = [i64::MIN, -1, 0, 1, i64::MAX, 7, -7]
        .into_iter()
        .map(|i| Some(Value::Int(i)))
        .chain([Some(Value::Float(0.0)), Some(Value::Float(-0.0))])
        .collect();
    exhaustive(&loaded, &ints);
}

#[test]
fn list_operands_built_from_slots_fall_back_with_a_reason() {
    let preds = vec![
        cmp(
            CompareOp::In,
            s(0),
            Operand::List(vec![s(1), c(Const::Int(1))]),
        ),
        cmp(CompareOp::Eq, s(0), s(1)),
    ];
    let loaded = program(2, &[], preds);
    let jit = JitProgram::compile(&loaded).unwrap();
    assert_eq!(jit.fallback_rules(), &[0]);
    assert_eq!(jit.fallback_reasons().len(), 1);
    assert!(jit.fallback_reasons()[0].contains("r0"));
    exhaustive(&loaded, &edge_values());
}

#[test]
fn too_large_programs_are_refused() {
    let big = Pred::And((0..30_000).map(|_| Pred::Const(true)).collect());
    let loaded = program(1, &[], vec![big.clone(), big]);
    assert!(matches!(
        JitProgram::compile(&loaded),
        Err(JitError::TooLarge { .. })
    ));
    let e = Evaluator::new(&loaded, Backend::Jit);
    assert_eq!(e.active(), "interp");
    assert!(e.notes()[0].contains("too large"));
}

#[test]
fn frames_of_another_program_are_evaluated_by_the_interpreter() {
    let preds = vec![cmp(CompareOp::Eq, s(0), c(Const::Str(0)))];
    let loaded = program(1, &["a"], preds.clone());
    let other = program(1, &["b", "a"], preds);
    let jit = JitProgram::compile(&loaded).unwrap();
    let mut frame = other.frame();
    frame.set(0, Value::Str("a".into()), SlotState::Declared, None);
    let mut fired = Vec::new();
    jit.eval(&frame, &mut fired);
    assert_eq!(fired, vec![true]);
    let plain = {
        let mut f = llemc_runtime::frame::Frame::new(1);
        f.set(0, Value::Str("a".into()), SlotState::Declared, None);
        f
    };
    jit.eval(&plain, &mut fired);
    assert_eq!(fired, vec![true]);
}

#[test]
fn auto_switches_after_the_threshold() {
    let loaded = program(1, &[], vec![cmp(CompareOp::Gt, s(0), c(Const::Int(1)))]);
    let mut e = Evaluator::new(&loaded, Backend::Auto);
    let mut frame = loaded.frame();
    frame.set(0, Value::Int(2), SlotState::Declared, None);
    let mut out = Vec::new();
    for _ in 0..=llemc_runtime::jit::AUTO_THRESHOLD {
        e.evaluate_into(&loaded, &frame, &mut out);
    }
    assert_eq!(e.active(), "jit");
    assert!(out.iter().all(|f| f.id == "r0"));
    assert_eq!(
        out.len(),
        usize::try_from(llemc_runtime::jit::AUTO_THRESHOLD).unwrap() + 1
    );
}
