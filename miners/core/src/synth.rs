//! Kwargs synthesis: derive `kwargs_positive` / `kwargs_negative` for a compiled rule.
//!
//! A small solver over the typed IR. For every field the rule reads it builds a *domain* of
//! candidate values, ordered by cost: values read off the predicate (thresholds and the values
//! around them, allowlist members and a non-member, listed and unlisted Python types, multiples
//! and non-multiples), a small grid for field references, `len` and arithmetic, values typical of
//! the field's declared type, and, last, values of the wrong type. Fields the rule does not set
//! take their schema defaults, exactly as the evaluator binds them.
//!
//! - **Positive**: the cheapest assignment setting the fewest fields (1, 2, ... up to
//!   [`MAX_SET_FIELDS`], then none at all) under which the predicate holds; assignments that only
//!   use type-correct values are preferred over fewer fields with a wrong type.
//! - **Negative**: the cheapest *single-field* change of the positive (change a value, set one
//!   more field, or unset one) under which the predicate no longer holds; every field and every
//!   candidate is tried, so any clause can be the one that flips. Two-field changes, and then a
//!   fresh search, only when no single change works.
//!
//! Both are checked by the llemc evaluator itself (`bind_native` + `rule_holds`): the positive
//! must hold, the negative must not. A rule without a solution gets a reason, never a wrong
//! example. Everything is deterministic (no hashing, ordered search).

use llemc_compiler::ir::{Operand, Pred, SlotId};
use llemc_compiler::types::{Kinds, Ty};
use llemc_compiler::value::Value;
use llemc_grammar::ast::{CompareOp, IsTarget};
use llemc_runtime::compile::{CorpusInput, compile_corpus};
use llemc_runtime::json::to_json_exact;
use llemc_runtime::loaded::{LoadedProgram, const_value};
use serde_json::{Map, Value as Json};

/// The most fields a positive example sets.
pub const MAX_SET_FIELDS: usize = 4;
/// Candidates per field kept in a domain.
const MAX_DOMAIN: usize = 24;
/// Assignments tried per search level.
const LEVEL_BUDGET: usize = 60_000;

/// Cost added to a value whose kind the schema does not allow for the field.
const WRONG_TYPE: u32 = 100;

/// A synthesized example pair, both checked by the evaluator.
#[derive(Clone, Debug, PartialEq)]
pub struct KwargsPair {
    /// Constructor kwargs under which the rule's predicate holds.
    pub positive: Map<String, Json>,
    /// Nearby kwargs under which it does not.
    pub negative: Map<String, Json>,
    /// Fields whose value in the positive has a kind the schema does not declare (needed for
    /// type-checking rules such as `x type_is_not "bool"`).
    pub positive_off_type: Vec<String>,
}

/// Why no example pair could be found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SynthFailure {
    /// The rule id.
    pub rule: String,
    /// What went wrong, for the report.
    pub reason: String,
}

impl std::fmt::Display for SynthFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.rule, self.reason)
    }
}

/// One field the rule reads and the solver may set.
#[derive(Clone, Debug)]
struct Var {
    slot: SlotId,
    /// Path inside the kwargs (one segment unless nested).
    key: Vec<String>,
    kinds: Kinds,
    float_typed: bool,
    element: Option<Ty>,
    domain: Vec<Cand>,
}

#[derive(Clone, Debug, PartialEq)]
struct Cand {
    value: Value,
    cost: u32,
}

/// The state of one variable in an assignment: unset (default applies) or a domain index.
type Assign = Vec<Option<usize>>;

/// Synthesizes kwargs for rule `index` of a program compiled in schema mode.
pub fn synthesize(loaded: &LoadedProgram, index: usize) -> Result<KwargsPair, SynthFailure> {
    let program = loaded.program();
    let Some(rule) = program.rules.get(index) else {
        return Err(SynthFailure {
            rule: format!("#{index}"),
            reason: "no such rule in the program".to_owned(),
        });
    };
    let fail = |reason: String| SynthFailure {
        rule: rule.id.clone(),
        reason,
    };
    let Some(native) = rule.native_type.as_deref() else {
        return Err(fail("the rule names no native type".to_owned()));
    };
    let Some(mount) = loaded.mount(native).map(<[String]>::to_vec) else {
        return Err(fail(format!(
            "the program has no field of `{native}` (compiled without a schema?)"
        )));
    };
    let mut vars = Vec::new();
    for slot in &rule.reads {
        let Some(s) = program.slots.get(*slot as usize) else {
            continue;
        };
        let Some(rest) = s.path.strip_prefix(mount.as_slice()) else {
            // A field of another native type: always absent when this one is constructed.
            continue;
        };
        // kwargs use the native type's field names (a type `fed_by` another has its fields
        // under the feeder's config keys)
        let rest = match &s.native {
            Some(n) if n.native_type == native && n.field.len() == rest.len() => n.field.as_slice(),
            _ => rest,
        };
        let ty = s.native.as_ref().and_then(|n| Ty::parse(&n.ty).ok());
        let float_typed = ty
            .as_ref()
            .is_some_and(|t| t.kinds().intersects(Kinds::FLOAT));
        let element = ty.as_ref().and_then(|t| t.element().cloned());
        vars.push(Var {
            slot: *slot,
            key: rest.to_vec(),
            kinds: s.kinds,
            float_typed,
            element,
            domain: Vec::new(),
        });
    }
    if vars.is_empty() {
        return Err(fail(format!(
            "the predicate reads no field of `{native}` that kwargs can set"
        )));
    }
    let mut hints = Hints::default();
    collect_hints(program, &rule.pred, &mut hints);
    for var in &mut vars {
        var.domain = build_domain(var, &hints);
    }
    let solver = Solver {
        loaded,
        index,
        native,
        vars: &vars,
    };
    let Some(positive) = solver.positive() else {
        return Err(fail(
            "no assignment of the candidate values makes the predicate hold".to_owned(),
        ));
    };
    let Some(negative) = solver.negative(&positive) else {
        return Err(fail(
            "no nearby assignment makes the predicate fail (does it always hold?)".to_owned(),
        ));
    };
    let (Some(pos), Some(neg)) = (solver.kwargs(&positive), solver.kwargs(&negative)) else {
        return Err(fail("the examples cannot be written as kwargs".to_owned()));
    };
    match check_pair(loaded, index, &pos, &neg) {
        Ok(()) => {}
        Err(reason) => return Err(fail(reason)),
    }
    let positive_off_type = vars
        .iter()
        .zip(&positive)
        .filter_map(|(v, a)| {
            let c = v.domain.get((*a)?)?;
            (!kind_ok(v, &c.value)).then(|| v.key.join("."))
        })
        .collect();
    Ok(KwargsPair {
        positive: pos,
        negative: neg,
        positive_off_type,
    })
}

/// Checks an example pair with the evaluator: the predicate of rule `index` must hold on
/// `positive` and not on `negative`.
pub fn check_pair(
    loaded: &LoadedProgram,
    index: usize,
    positive: &Map<String, Json>,
    negative: &Map<String, Json>,
) -> Result<(), String> {
    let program = loaded.program();
    let Some(native) = program
        .rules
        .get(index)
        .and_then(|r| r.native_type.as_deref())
    else {
        return Err("the rule names no native type".to_owned());
    };
    let mut frame = loaded.frame();
    let pos = Json::Object(positive.clone());
    if !loaded.bind_native(native, &pos, &mut frame) {
        return Err(format!("the program has no field of `{native}`"));
    }
    if !loaded.rule_holds(index, &frame) {
        return Err("the predicate does not hold on kwargs_positive".to_owned());
    }
    let neg = Json::Object(negative.clone());
    loaded.bind_native(native, &neg, &mut frame);
    if loaded.rule_holds(index, &frame) {
        return Err("the predicate holds on kwargs_negative".to_owned());
    }
    Ok(())
}

/// Result of synthesizing every rule of a corpus text.
pub type CorpusSynthesis = Vec<(String, Result<KwargsPair, SynthFailure>)>;

/// Compiles a corpus in schema mode and synthesizes kwargs for each of its rules (in program
/// order). Fails with the first error diagnostic when the corpus does not compile.
pub fn synthesize_corpus(
    name: &str,
    text: &str,
    schema: (&str, &str),
    engine_version: Option<&str>,
) -> Result<CorpusSynthesis, String> {
    let input = CorpusInput {
        name,
        text,
        schema: Some(schema),
        compat: false,
        engine_version: engine_version.map(str::to_owned),
    };
    let (loaded, _) = compile_corpus(&input).map_err(|f| {
        f.diagnostics
            .iter()
            .find(|d| d.is_error())
            .map(|d| format!("{}: {}", d.code, d.message))
            .unwrap_or_else(|| "the corpus does not compile".to_owned())
    })?;
    Ok(loaded
        .program()
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.clone(), synthesize(&loaded, i)))
        .collect())
}

// ------------------------------------------------------------------------------------ hints

/// Values read off the predicate, per slot.
#[derive(Default)]
struct Hints {
    /// `(slot, value, cost)` in discovery order.
    values: Vec<(SlotId, Value, u32)>,
    /// Slots used in references, `len` or arithmetic: they get the grid.
    grid: Vec<SlotId>,
    /// `(slot, length)`: `len(slot)` compared with a length.
    lengths: Vec<(SlotId, i64)>,
    /// Every numeric constant of the predicate.
    numbers: Vec<f64>,
}

impl Hints {
    fn add(&mut self, slot: SlotId, value: Value, cost: u32) {
        self.values.push((slot, value, cost));
    }
}

fn collect_hints(program: &llemc_compiler::ir::Program, pred: &Pred, hints: &mut Hints) {
    match pred {
        Pred::Const(_) => {}
        Pred::And(items) | Pred::Or(items) => {
            for p in items {
                collect_hints(program, p, hints);
            }
        }
        Pred::Not(inner) => collect_hints(program, inner, hints),
        Pred::Presence { operand, .. } => grid_inside(operand, hints, false),
        Pred::Is {
            operand, target, ..
        } => match operand {
            Operand::Slot(s) => {
                let v = match target {
                    IsTarget::Null => Value::Null,
                    IsTarget::True => Value::Bool(true),
                    IsTarget::False => Value::Bool(false),
                };
                hints.add(*s, v, 0);
                if *target != IsTarget::Null {
                    hints.add(*s, Value::Bool(*target == IsTarget::False), 1);
                }
            }
            other => grid_inside(other, hints, true),
        },
        Pred::Compare { op, lhs, rhs } => {
            for side in [lhs, rhs] {
                if let Operand::Const(c) = side {
                    collect_numbers(&const_value(program, c), &mut hints.numbers);
                }
            }
            match (lhs, rhs) {
                (Operand::Slot(s), Operand::Const(c)) => {
                    compare_hints(*s, *op, &const_value(program, c), hints);
                }
                (Operand::Const(c), Operand::Slot(s)) => {
                    let v = const_value(program, c);
                    match mirror(*op) {
                        Some(m) => compare_hints(*s, m, &v, hints),
                        None => {
                            // `"x" in field` and the like: the constant is a useful value.
                            hints.add(*s, v, 5);
                            hints.grid.push(*s);
                        }
                    }
                }
                (Operand::Len(inner), Operand::Const(c))
                | (Operand::Const(c), Operand::Len(inner)) => {
                    if let (Operand::Slot(s), Value::Int(n)) =
                        (inner.as_ref(), const_value(program, c))
                    {
                        hints.lengths.push((*s, n));
                    } else {
                        grid_inside(inner, hints, true);
                    }
                }
                (l, r) => {
                    grid_inside(l, hints, true);
                    grid_inside(r, hints, true);
                    if let (Operand::Slot(a), Operand::Slot(b)) = (l, r) {
                        // Field against field: also try each one's hints on the other.
                        hints.grid.push(*a);
                        hints.grid.push(*b);
                    }
                }
            }
        }
    }
}

fn collect_numbers(v: &Value, out: &mut Vec<f64>) {
    match v {
        Value::Int(i) => out.push(*i as f64),
        Value::Float(f) if f.is_finite() => out.push(*f),
        Value::List(items) => items.iter().for_each(|i| collect_numbers(i, out)),
        _ => {}
    }
}

/// Marks the slots inside an operand for the grid (only when `deep`: a bare slot under
/// `present`/`absent` needs no grid, its typical values suffice).
fn grid_inside(o: &Operand, hints: &mut Hints, deep: bool) {
    match o {
        Operand::Slot(s) => {
            if deep {
                hints.grid.push(*s);
            }
        }
        Operand::Const(_) => {}
        Operand::List(items) => items.iter().for_each(|i| grid_inside(i, hints, true)),
        Operand::Len(inner) => {
            if let Operand::Slot(s) = inner.as_ref() {
                for n in 0..=3 {
                    hints.lengths.push((*s, n));
                }
            } else {
                grid_inside(inner, hints, true);
            }
        }
        Operand::Neg(inner) => grid_inside(inner, hints, true),
        Operand::Arith { lhs, rhs, .. } => {
            grid_inside(lhs, hints, true);
            grid_inside(rhs, hints, true);
        }
    }
}

fn mirror(op: CompareOp) -> Option<CompareOp> {
    Some(match op {
        CompareOp::Eq => CompareOp::Eq,
        CompareOp::Ne => CompareOp::Ne,
        CompareOp::Lt => CompareOp::Gt,
        CompareOp::Le => CompareOp::Ge,
        CompareOp::Gt => CompareOp::Lt,
        CompareOp::Ge => CompareOp::Le,
        _ => return None,
    })
}

/// The value of a Python type name, when kwargs from JSON can hold one.
fn value_of_type(name: &str) -> Option<Value> {
    Some(match name {
        "int" => Value::Int(1),
        "str" => Value::Str("x".to_owned()),
        "list" => Value::List(Vec::new()),
        "dict" => Value::Dict(Vec::new()),
        "float" => Value::Float(0.5),
        "bool" => Value::Bool(true),
        "NoneType" => Value::Null,
        _ => return None,
    })
}

/// A string that is none of `items`.
fn non_member_string(items: &[Value]) -> String {
    let mut candidate = "invalid".to_owned();
    while items
        .iter()
        .any(|i| matches!(i, Value::Str(s) if *s == candidate))
    {
        candidate.push('_');
    }
    candidate
}

fn compare_hints(slot: SlotId, op: CompareOp, c: &Value, hints: &mut Hints) {
    match op {
        CompareOp::Eq
        | CompareOp::Ne
        | CompareOp::Lt
        | CompareOp::Le
        | CompareOp::Gt
        | CompareOp::Ge => {
            for (i, v) in around(c).into_iter().enumerate() {
                hints.add(slot, v, u32::try_from(i).unwrap_or(u32::MAX));
            }
        }
        CompareOp::In | CompareOp::NotIn => {
            let Value::List(items) = c else {
                return;
            };
            for (cost, item) in items.iter().enumerate() {
                hints.add(slot, item.clone(), u32::try_from(cost).unwrap_or(u32::MAX));
            }
            if items.iter().any(|i| matches!(i, Value::Str(_))) || items.is_empty() {
                hints.add(slot, Value::Str(non_member_string(items)), 1);
            }
            let ints: Vec<i64> = items
                .iter()
                .filter_map(|i| match i {
                    Value::Int(n) => Some(*n),
                    _ => None,
                })
                .collect();
            if let Some(max) = ints.iter().max() {
                hints.add(slot, Value::Int(max.saturating_add(1)), 2);
            }
            let floats: Vec<f64> = items
                .iter()
                .filter_map(|i| match i {
                    Value::Float(f) if f.is_finite() => Some(*f),
                    _ => None,
                })
                .collect();
            if let Some(max) = floats.iter().copied().reduce(f64::max) {
                hints.add(slot, Value::Float(max + 0.5), 2);
            }
        }
        CompareOp::TypeIs | CompareOp::TypeIsNot => {
            let names: Vec<&str> = match c {
                Value::Str(s) => vec![s.as_str()],
                Value::List(items) => items
                    .iter()
                    .filter_map(|i| match i {
                        Value::Str(s) => Some(s.as_str()),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            for (i, name) in names.iter().enumerate() {
                if let Some(v) = value_of_type(name) {
                    hints.add(slot, v, u32::try_from(i).unwrap_or(u32::MAX));
                }
            }
        }
        CompareOp::DivisibleBy | CompareOp::NotDivisibleBy => {
            if let Value::Int(d) = c {
                let d = *d;
                for (i, v) in [
                    d.saturating_mul(2),
                    d,
                    d.saturating_add(1),
                    d.saturating_mul(2).saturating_add(1),
                    1,
                ]
                .into_iter()
                .enumerate()
                {
                    hints.add(slot, Value::Int(v), u32::try_from(i).unwrap_or(u32::MAX));
                }
            }
        }
    }
}

/// The constant itself and values just around it, of its own kind.
fn around(c: &Value) -> Vec<Value> {
    match c {
        Value::Null => Vec::new(),
        Value::Bool(b) => vec![Value::Bool(*b), Value::Bool(!*b)],
        Value::Int(i) => {
            let mut out = vec![
                Value::Int(*i),
                Value::Int(i.saturating_add(1)),
                Value::Int(i.saturating_sub(1)),
                Value::Int(i.saturating_add(2)),
            ];
            // The same thresholds as floats, for float fields compared with int literals.
            let f = *i as f64;
            out.extend([f, f + 0.5, f - 0.5].map(Value::Float));
            out
        }
        Value::Float(f) if f.is_finite() => {
            let mut out = vec![Value::Float(*f)];
            if *f > 0.0 && *f <= 1.0 {
                out.push(Value::Float(f / 2.0));
            }
            out.extend([f + 0.5, f - 0.5, f + 1.0, f - 1.0].map(Value::Float));
            // Int fields compared with float literals.
            let lo = f.floor();
            let hi = f.ceil();
            if lo.abs() < 1e15 {
                #[allow(clippy::cast_possible_truncation)]
                out.extend([hi as i64, lo as i64, hi as i64 + 1, lo as i64 - 1].map(Value::Int));
            }
            out
        }
        Value::Float(_) => Vec::new(),
        Value::Str(s) => vec![Value::Str(s.clone()), Value::Str(format!("{s}_other"))],
        Value::List(_) | Value::Dict(_) => vec![c.clone()],
    }
}

// ------------------------------------------------------------------------------------ domains

/// Whether a value's kind is one the schema declares for the field.
fn kind_ok(var: &Var, v: &Value) -> bool {
    let k = v.kind();
    if var.kinds.intersects(k) {
        return true;
    }
    // A float field accepts ints (Kinds already says so); nothing else is lenient.
    false
}

/// Extra cost for values that are type-correct but less realistic (`exact`: the value is a
/// constant of the predicate itself, a boundary worth probing).
fn realism(var: &Var, v: &Value, exact: bool) -> u32 {
    match v {
        // Float fields get floats first.
        Value::Int(_) if var.float_typed => 6,
        Value::Int(0) if exact => 0,
        Value::Int(i) if *i < 0 => 3,
        // Zero is a boundary, rarely a realistic count.
        Value::Int(0) => 2,
        Value::Float(f) if *f < 0.0 => 3,
        Value::Null => 12,
        _ => 0,
    }
}

fn typical_values(var: &Var) -> Vec<Value> {
    let mut out = Vec::new();
    let k = var.kinds;
    if k == Kinds::ALL {
        // No type knowledge: an int is the most common config value.
        out.extend([Value::Int(1), Value::Str("x".to_owned()), Value::Bool(true)]);
    }
    if k.intersects(Kinds::BOOL) {
        out.extend([Value::Bool(true), Value::Bool(false)]);
    }
    if var.float_typed {
        out.extend([Value::Float(0.5), Value::Float(1.5), Value::Float(0.0)]);
    }
    if k.intersects(Kinds::INT) {
        out.extend([Value::Int(1), Value::Int(2), Value::Int(0), Value::Int(4)]);
    }
    if k.intersects(Kinds::STR) {
        out.push(Value::Str("x".to_owned()));
    }
    if k.intersects(Kinds::LIST) {
        out.push(Value::List(vec![element_value(var)]));
        out.push(Value::List(Vec::new()));
    }
    if k.intersects(Kinds::DICT) {
        out.push(Value::Dict(Vec::new()));
    }
    out
}

fn element_value(var: &Var) -> Value {
    let kinds = var.element.as_ref().map(Ty::kinds).unwrap_or(Kinds::INT);
    if kinds.intersects(Kinds::INT) {
        Value::Int(1)
    } else if kinds.intersects(Kinds::STR) {
        Value::Str("x".to_owned())
    } else if kinds.intersects(Kinds::FLOAT) {
        Value::Float(0.5)
    } else if kinds.intersects(Kinds::BOOL) {
        Value::Bool(true)
    } else if kinds.intersects(Kinds::LIST) {
        Value::List(vec![Value::Int(1)])
    } else {
        Value::Int(1)
    }
}

/// Values of kinds the schema does not allow, for type-checking rules.
fn off_type_values() -> [Value; 6] {
    [
        Value::Str("x".to_owned()),
        Value::Int(1),
        Value::Float(0.5),
        Value::Bool(true),
        Value::List(Vec::new()),
        Value::Dict(Vec::new()),
    ]
}

fn build_domain(var: &Var, hints: &Hints) -> Vec<Cand> {
    let mut out: Vec<Cand> = Vec::new();
    let mut push = |value: Value, base: u32| {
        let cost = base
            + realism(var, &value, base == 10)
            + if kind_ok(var, &value) || value.is_null() {
                0
            } else {
                WRONG_TYPE
            }
            + if value.is_null() && !var.kinds.intersects(Kinds::NONE) {
                WRONG_TYPE
            } else {
                0
            };
        out.push(Cand { value, cost });
    };
    for (slot, v, c) in &hints.values {
        if *slot == var.slot {
            push(v.clone(), 10 + c);
        }
    }
    for (slot, n) in &hints.lengths {
        if *slot != var.slot || *n < 0 || *n > 64 {
            continue;
        }
        for (i, len) in [*n, n + 1, n - 1].into_iter().enumerate() {
            let Ok(len) = usize::try_from(len) else {
                continue;
            };
            let base = 12 + u32::try_from(i).unwrap_or(0);
            if var.kinds.intersects(Kinds::LIST) || !var.kinds.intersects(Kinds::STR) {
                push(Value::List(vec![element_value(var); len]), base);
            }
            if var.kinds.intersects(Kinds::STR) {
                push(Value::Str("x".repeat(len)), base + 1);
            }
        }
    }
    if hints.grid.contains(&var.slot) {
        let mut grid: Vec<Value> = [1, 2, 3, 4, 0, 8, -1].map(Value::Int).to_vec();
        if var.float_typed {
            grid.splice(0..0, [0.5, 1.5, 2.5].map(Value::Float));
        }
        for n in &hints.numbers {
            if n.fract() == 0.0 && n.abs() < 1e15 {
                #[allow(clippy::cast_possible_truncation)]
                let i = *n as i64;
                grid.extend([i, i + 1, i - 1].map(Value::Int));
            } else {
                grid.extend([*n, n + 0.5, n - 0.5].map(Value::Float));
            }
        }
        for (i, v) in grid.into_iter().enumerate() {
            push(v, 20 + u32::try_from(i).unwrap_or(u32::MAX).min(40));
        }
    }
    for (i, v) in typical_values(var).into_iter().enumerate() {
        push(v, 30 + u32::try_from(i).unwrap_or(0));
    }
    push(Value::Null, 40);
    for (i, v) in off_type_values().into_iter().enumerate() {
        push(v, 30 + u32::try_from(i).unwrap_or(0));
    }
    // Keep the cheapest copy of each value (exact equality: `1` and `1.0` and `true` differ).
    out.sort_by_key(|c| c.cost);
    let mut unique: Vec<Cand> = Vec::new();
    for c in out {
        if to_json_exact(&c.value).is_none() {
            continue;
        }
        if !unique.iter().any(|u| same(&u.value, &c.value)) {
            unique.push(c);
        }
    }
    unique.truncate(MAX_DOMAIN);
    unique
}

/// Exact equality of values, kinds included.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Dict(x), Value::Dict(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| same(k1, k2) && same(v1, v2))
        }
        _ => a == b,
    }
}

// ------------------------------------------------------------------------------------ search

struct Solver<'a> {
    loaded: &'a LoadedProgram,
    index: usize,
    native: &'a str,
    vars: &'a [Var],
}

impl Solver<'_> {
    /// The kwargs of an assignment; `None` when two set fields collide (one nested in another).
    fn kwargs(&self, assign: &[Option<usize>]) -> Option<Map<String, Json>> {
        let mut root = Map::new();
        for (var, a) in self.vars.iter().zip(assign) {
            let Some(i) = a else {
                continue;
            };
            let value = to_json_exact(&var.domain.get(*i)?.value)?;
            let (last, parents) = var.key.split_last()?;
            let mut node = &mut root;
            for p in parents {
                let entry = node
                    .entry(p.clone())
                    .or_insert_with(|| Json::Object(Map::new()));
                node = entry.as_object_mut()?;
            }
            if node.contains_key(last) {
                return None;
            }
            node.insert(last.clone(), value);
        }
        Some(root)
    }

    fn holds(&self, assign: &[Option<usize>]) -> Option<bool> {
        let kwargs = self.kwargs(assign)?;
        let mut frame = self.loaded.frame();
        let json = Json::Object(kwargs);
        if !self.loaded.bind_native(self.native, &json, &mut frame) {
            return None;
        }
        Some(self.loaded.rule_holds(self.index, &frame))
    }

    fn cost(&self, assign: &[Option<usize>]) -> u32 {
        self.vars
            .iter()
            .zip(assign)
            .filter_map(|(v, a)| v.domain.get((*a)?).map(|c| c.cost))
            .sum()
    }

    /// The cheapest holding assignment with the fewest set fields; type-correct ones first.
    fn positive(&self) -> Option<Assign> {
        let n = self.vars.len();
        let mut fallback: Option<(u32, Assign)> = None;
        for k in 1..=n.min(MAX_SET_FIELDS) {
            if let Some(found) = self.search_level(k) {
                let cost = self.cost(&found);
                if cost < WRONG_TYPE {
                    return Some(found);
                }
                let wrong = cost / WRONG_TYPE;
                if fallback
                    .as_ref()
                    .is_none_or(|(c, _)| wrong < c / WRONG_TYPE)
                {
                    fallback = Some((cost, found));
                }
            }
        }
        if let Some((_, found)) = fallback {
            return Some(found);
        }
        let empty = vec![None; n];
        (self.holds(&empty) == Some(true)).then_some(empty)
    }

    /// Searches assignments that set exactly `k` fields, cheapest first.
    fn search_level(&self, k: usize) -> Option<Assign> {
        let n = self.vars.len();
        let subsets = combinations(n, k);
        // Keep per-field domains small enough for the budget.
        let per_subset = (LEVEL_BUDGET / subsets.len().max(1)).max(1);
        let width = root_floor(per_subset, k).max(2);
        let mut candidates: Vec<(u32, usize, Vec<usize>)> = Vec::new();
        for (rank, subset) in subsets.iter().enumerate() {
            let sizes: Vec<usize> = subset
                .iter()
                .map(|v| self.vars.get(*v).map_or(0, |x| x.domain.len().min(width)))
                .collect();
            if sizes.contains(&0) {
                continue;
            }
            let mut idx = vec![0usize; k];
            loop {
                let cost: u32 = subset
                    .iter()
                    .zip(&idx)
                    .filter_map(|(v, i)| self.vars.get(*v)?.domain.get(*i).map(|c| c.cost))
                    .sum();
                candidates.push((cost, rank, idx.clone()));
                if candidates.len() > LEVEL_BUDGET * 2 {
                    break;
                }
                if !advance(&mut idx, &sizes) {
                    break;
                }
            }
        }
        candidates.sort();
        for (_, rank, idx) in candidates.into_iter().take(LEVEL_BUDGET) {
            let Some(subset) = subsets.get(rank) else {
                continue;
            };
            let mut assign = vec![None; n];
            for (v, i) in subset.iter().zip(&idx) {
                if let Some(slot) = assign.get_mut(*v) {
                    *slot = Some(*i);
                }
            }
            if self.holds(&assign) == Some(true) {
                return Some(assign);
            }
        }
        None
    }

    /// The cheapest change of one field (then two) that makes the predicate fail.
    fn negative(&self, positive: &[Option<usize>]) -> Option<Assign> {
        let changes = self.single_changes(positive);
        for (_, var, state) in &changes {
            let mut assign = positive.to_vec();
            if let Some(slot) = assign.get_mut(*var) {
                *slot = *state;
            }
            if self.holds(&assign) == Some(false) {
                return Some(assign);
            }
        }
        // Two fields at once.
        let mut pairs: Vec<(u32, usize, usize)> = Vec::new();
        let short: Vec<&(u32, usize, Option<usize>)> = changes.iter().take(200).collect();
        for (i, a) in short.iter().enumerate() {
            for (j, b) in short.iter().enumerate().skip(i + 1) {
                if a.1 != b.1 {
                    pairs.push((a.0 + b.0, i, j));
                }
            }
        }
        pairs.sort();
        for (_, i, j) in pairs.into_iter().take(LEVEL_BUDGET) {
            let (Some(a), Some(b)) = (short.get(i), short.get(j)) else {
                continue;
            };
            let mut assign = positive.to_vec();
            if let Some(slot) = assign.get_mut(a.1) {
                *slot = a.2;
            }
            if let Some(slot) = assign.get_mut(b.1) {
                *slot = b.2;
            }
            if self.holds(&assign) == Some(false) {
                return Some(assign);
            }
        }
        // Anything at all that fails, fewest fields first.
        let empty = vec![None; self.vars.len()];
        if self.holds(&empty) == Some(false) {
            return Some(empty);
        }
        None
    }

    /// Every single-field change of `assign`, cheapest first: `(cost, var, new state)`.
    fn single_changes(&self, assign: &[Option<usize>]) -> Vec<(u32, usize, Option<usize>)> {
        let mut out = Vec::new();
        for (v, var) in self.vars.iter().enumerate() {
            let current = assign.get(v).copied().flatten();
            // Modifying a field that is set is the smallest change; adding one costs a little
            // more; removing one more still (the example then says less: it relies on a default).
            let (modify, unset) = match current {
                Some(_) => (0, 30),
                None => (8, 0),
            };
            if current.is_some() {
                out.push((unset, v, None));
            }
            for (i, c) in var.domain.iter().enumerate() {
                if Some(i) == current {
                    continue;
                }
                out.push((c.cost + modify, v, Some(i)));
            }
        }
        out.sort_by_key(|(cost, v, s)| (*cost, *v, *s));
        out
    }
}

/// Every `k`-subset of `0..n`, in lexicographic order.
fn combinations(n: usize, k: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    if k > n {
        return out;
    }
    let mut idx: Vec<usize> = (0..k).collect();
    loop {
        out.push(idx.clone());
        if out.len() > 100_000 {
            return out;
        }
        // Find the rightmost index that can move.
        let mut i = k;
        loop {
            if i == 0 {
                return out;
            }
            i -= 1;
            if idx.get(i).copied().unwrap_or(0) < n - k + i {
                break;
            }
            if i == 0 {
                return out;
            }
        }
        if let Some(x) = idx.get_mut(i) {
            *x += 1;
        }
        let base = idx.get(i).copied().unwrap_or(0);
        for (offset, j) in (i + 1..k).enumerate() {
            if let Some(x) = idx.get_mut(j) {
                *x = base + offset + 1;
            }
        }
    }
}

/// Advances a mixed-radix counter; false when it wraps.
fn advance(idx: &mut [usize], sizes: &[usize]) -> bool {
    for (i, size) in idx.iter_mut().zip(sizes).rev() {
        *i += 1;
        if *i < *size {
            return true;
        }
        *i = 0;
    }
    false
}

/// The largest `w` with `w^k <= n`.
fn root_floor(n: usize, k: usize) -> usize {
    let mut w = 1usize;
    while (w + 1)
        .checked_pow(u32::try_from(k).unwrap_or(u32::MAX))
        .is_some_and(|p| p <= n)
    {
        w += 1;
        if w > MAX_DOMAIN {
            break;
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combinations_are_lexicographic() {
        assert_eq!(
            combinations(4, 2),
            vec![
                vec![0, 1],
                vec![0, 2],
                vec![0, 3],
                vec![1, 2],
                vec![1, 3],
                vec![2, 3]
            ]
        );
        assert_eq!(combinations(3, 3), vec![vec![0, 1, 2]]);
        assert_eq!(combinations(2, 3), Vec::<Vec<usize>>::new());
        assert_eq!(combinations(3, 0), vec![Vec::<usize>::new()]);
    }

    #[test]
    fn roots() {
        assert_eq!(root_floor(100, 2), 10);
        assert_eq!(root_floor(7, 1), 7.min(MAX_DOMAIN + 1));
        assert_eq!(root_floor(1000, 3), 10);
    }
}
