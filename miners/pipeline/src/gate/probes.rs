//! Boundary probes: for every threshold, allowlist, field reference, type test, identity test
//! and divisor of a rule's predicate, values of the tested field on both sides of it. Each probe
//! is the rule's `kwargs_positive` with one field changed; the gate asks the library and llemc's
//! evaluator about it and requires the same verdict.
//!
//! - threshold `c` (`<`, `<=`, `>`, `>=`, `==`, `!=`): `c-1`, `c`, `c+1` for int fields, the
//!   floats adjacent to `c` (`next_down`, `c`, `next_up`) for float fields, both for untyped
//!   fields; a bool or string constant and its opposite / a different string;
//! - `in` / `not_in` a list: every member and one value outside it;
//! - a field compared with another field (`a > b`): `a` equal to, just above and just below the
//!   other field's value (from the positive, else the schema default), and the other way round;
//! - `type_is` / `type_is_not`: a value of every listed type JSON can hold and one of a type not
//!   listed; `is null` / `is true` / `is false`: the singleton (and the other boolean);
//! - `divisible_by c`: `c`, `c+1`, `2c`.
//!
//! Probes keep the field's declared kind where the test allows it (type tests excepted), are
//! deduplicated and sorted by field, then value: deterministic.

use llemc_compiler::ir::{Operand, Pred, Program, SlotId};
use llemc_compiler::types::{Kinds, Ty};
use llemc_compiler::value::Value;
use llemc_grammar::ast::{CompareOp, IsTarget};
use llemc_runtime::json::{from_json, to_json_exact};
use llemc_runtime::loaded::{LoadedProgram, const_value};
use serde_json::{Map, Value as Json};

/// Most probes generated for one rule.
pub const MAX_PROBES: usize = 64;

/// One probe: a field, its value and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    /// Dotted field path inside the native type.
    pub field: String,
    /// The probed value.
    pub value: Json,
    /// What it probes.
    pub origin: String,
    /// The kwargs: the positive with the field set to the value.
    pub kwargs: Map<String, Json>,
}

/// A field and what it is tested against.
enum Seed {
    Threshold(Value, CompareOp),
    Members(Vec<Value>),
    Reference(SlotId),
    Types(Vec<String>),
    Identity(IsTarget),
    Divisor(i64),
}

fn seeds(program: &Program, pred: &Pred, out: &mut Vec<(SlotId, Seed)>) {
    match pred {
        Pred::Const(_) | Pred::Presence { .. } => {}
        Pred::And(items) | Pred::Or(items) => items.iter().for_each(|p| seeds(program, p, out)),
        Pred::Not(inner) => seeds(program, inner, out),
        Pred::Is {
            operand: Operand::Slot(s),
            target,
            ..
        } => out.push((*s, Seed::Identity(*target))),
        Pred::Is { .. } => {}
        Pred::Compare { op, lhs, rhs } => match (lhs, rhs) {
            (Operand::Slot(s), Operand::Const(c)) => {
                seed_const(*s, *op, const_value(program, c), out);
            }
            (Operand::Const(c), Operand::Slot(s)) => {
                if let Some(m) = mirror(*op) {
                    seed_const(*s, m, const_value(program, c), out);
                }
            }
            (Operand::Slot(a), Operand::Slot(b)) => {
                out.push((*a, Seed::Reference(*b)));
                out.push((*b, Seed::Reference(*a)));
            }
            _ => {}
        },
    }
}

fn seed_const(slot: SlotId, op: CompareOp, c: Value, out: &mut Vec<(SlotId, Seed)>) {
    match op {
        CompareOp::In | CompareOp::NotIn => {
            if let Value::List(items) = c {
                out.push((slot, Seed::Members(items)));
            }
        }
        CompareOp::TypeIs | CompareOp::TypeIsNot => {
            let names = match c {
                Value::Str(s) => vec![s],
                Value::List(items) => items
                    .into_iter()
                    .filter_map(|i| match i {
                        Value::Str(s) => Some(s),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            out.push((slot, Seed::Types(names)));
        }
        CompareOp::DivisibleBy | CompareOp::NotDivisibleBy => {
            if let Value::Int(d) = c {
                out.push((slot, Seed::Divisor(d)));
            }
        }
        _ => out.push((slot, Seed::Threshold(c, op))),
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

fn op_text(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Eq => "==",
        CompareOp::Ne => "!=",
        CompareOp::Lt => "<",
        CompareOp::Le => "<=",
        CompareOp::Gt => ">",
        CompareOp::Ge => ">=",
        _ => "?",
    }
}

/// The numeric kinds probes of a field take: (floats, ints).
fn numeric_kinds(kinds: Kinds) -> (bool, bool) {
    let floats = kinds.intersects(Kinds::FLOAT);
    let ints = kinds.intersects(Kinds::INT) && (!floats || kinds == Kinds::ALL);
    (floats, ints)
}

/// Values on both sides of a numeric `c`, of the field's kinds.
fn around_number(c: f64, int: Option<i64>, kinds: Kinds) -> Vec<Value> {
    let (floats, ints) = numeric_kinds(kinds);
    let mut out = Vec::new();
    if floats && c.is_finite() {
        out.extend([c.next_down(), c, c.next_up()].map(Value::Float));
    }
    if ints || (!floats && !kinds.intersects(Kinds::FLOAT)) {
        match int {
            Some(i) => out.extend([i.saturating_sub(1), i, i.saturating_add(1)].map(Value::Int)),
            None if c.is_finite() && c.abs() < 1e15 => {
                #[allow(clippy::cast_possible_truncation)]
                let (lo, hi) = (c.floor() as i64, c.ceil() as i64);
                if lo == hi {
                    out.extend([lo - 1, lo, lo + 1].map(Value::Int));
                } else {
                    out.extend([lo, hi].map(Value::Int));
                }
            }
            None => {}
        }
    }
    out
}

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

const TYPE_NAMES: [&str; 7] = ["str", "int", "float", "bool", "list", "dict", "NoneType"];

fn values_for(seed: &Seed, kinds: Kinds, other: Option<&Value>) -> Vec<(Value, String)> {
    let mut out: Vec<(Value, String)> = Vec::new();
    match seed {
        Seed::Threshold(c, op) => {
            let why = format!("threshold {} {}", op_text(*op), show(c));
            match c {
                Value::Int(i) => {
                    #[allow(clippy::cast_precision_loss)]
                    let f = *i as f64;
                    for v in around_number(f, Some(*i), kinds) {
                        out.push((v, why.clone()));
                    }
                }
                Value::Float(f) => {
                    for v in around_number(*f, None, kinds) {
                        out.push((v, why.clone()));
                    }
                }
                Value::Bool(b) => {
                    out.push((Value::Bool(*b), why.clone()));
                    out.push((Value::Bool(!*b), why));
                }
                Value::Str(s) => {
                    out.push((Value::Str(s.clone()), why.clone()));
                    out.push((Value::Str(format!("{s}_other")), why));
                }
                _ => {}
            }
        }
        Seed::Members(items) => {
            for item in items {
                out.push((item.clone(), format!("member {}", show(item))));
            }
            let outside = if items.iter().any(|i| matches!(i, Value::Str(_))) || items.is_empty() {
                let mut s = "invalid".to_owned();
                while items.iter().any(|i| matches!(i, Value::Str(t) if *t == s)) {
                    s.push('_');
                }
                Some(Value::Str(s))
            } else {
                items
                    .iter()
                    .filter_map(|i| match i {
                        Value::Int(n) => Some(*n),
                        _ => None,
                    })
                    .max()
                    .map(|m| Value::Int(m.saturating_add(1)))
            };
            if let Some(v) = outside {
                out.push((v, "outside the list".to_owned()));
            }
        }
        Seed::Reference(_) => {
            let why = |v: &Value| format!("reference (the other field is {})", show(v));
            match other {
                Some(v @ Value::Int(i)) => {
                    #[allow(clippy::cast_precision_loss)]
                    let f = *i as f64;
                    for p in around_number(f, Some(*i), kinds) {
                        out.push((p, why(v)));
                    }
                }
                Some(v @ Value::Float(f)) => {
                    for p in around_number(*f, None, kinds) {
                        out.push((p, why(v)));
                    }
                }
                _ => {}
            }
        }
        Seed::Types(names) => {
            for name in names {
                if let Some(v) = value_of_type(name) {
                    out.push((v, format!("type {name}")));
                }
            }
            if let Some(name) = TYPE_NAMES.iter().find(|t| !names.iter().any(|n| n == *t))
                && let Some(v) = value_of_type(name)
            {
                out.push((v, format!("type {name} (not listed)")));
            }
        }
        Seed::Identity(target) => {
            let values = match target {
                IsTarget::Null => vec![Value::Null],
                IsTarget::True => vec![Value::Bool(true), Value::Bool(false)],
                IsTarget::False => vec![Value::Bool(false), Value::Bool(true)],
            };
            for v in values {
                out.push((v, "identity".to_owned()));
            }
        }
        Seed::Divisor(d) => {
            for v in [*d, d.saturating_add(1), d.saturating_mul(2)] {
                out.push((Value::Int(v), format!("divisor {d}")));
            }
        }
    }
    out
}

fn show(v: &Value) -> String {
    to_json_exact(v)
        .map(|j| j.to_string())
        .unwrap_or_else(|| format!("{v:?}"))
}

/// Reads the value at `key` in kwargs (nested mappings).
fn lookup<'k>(kwargs: &'k Map<String, Json>, key: &[String]) -> Option<&'k Json> {
    let (first, rest) = key.split_first()?;
    let v = kwargs.get(first)?;
    if rest.is_empty() {
        return Some(v);
    }
    lookup(v.as_object()?, rest)
}

fn set(kwargs: &mut Map<String, Json>, key: &[String], value: Json) {
    let Some((first, rest)) = key.split_first() else {
        return;
    };
    if rest.is_empty() {
        kwargs.insert(first.clone(), value);
        return;
    }
    let entry = kwargs
        .entry(first.clone())
        .or_insert_with(|| Json::Object(Map::new()));
    if !entry.is_object() {
        *entry = Json::Object(Map::new());
    }
    if let Some(inner) = entry.as_object_mut() {
        set(inner, rest, value);
    }
}

/// A scalar kwarg as a value (containers are not compared against).
fn json_to_value(j: &Json) -> Option<Value> {
    (!j.is_array() && !j.is_object()).then(|| from_json(j))
}

/// The boundary probes of rule `index` of a program compiled in schema mode, around `positive`.
pub fn probes(loaded: &LoadedProgram, index: usize, positive: &Map<String, Json>) -> Vec<Probe> {
    let program = loaded.program();
    let Some(rule) = program.rules.get(index) else {
        return Vec::new();
    };
    let Some(mount) = rule
        .native_type
        .as_deref()
        .and_then(|n| loaded.mount(n))
        .map(<[String]>::to_vec)
    else {
        return Vec::new();
    };
    let key_of = |slot: SlotId| -> Option<(Vec<String>, Kinds)> {
        let s = program.slots.get(slot as usize)?;
        let rest = s.path.strip_prefix(mount.as_slice())?.to_vec();
        let kinds = s
            .native
            .as_ref()
            .and_then(|n| Ty::parse(&n.ty).ok())
            .map(|t| t.kinds())
            .unwrap_or(s.kinds);
        Some((rest, kinds))
    };
    let mut found = Vec::new();
    seeds(program, &rule.pred, &mut found);
    let mut out: Vec<Probe> = Vec::new();
    let mut seen: Vec<(String, String)> = Vec::new();
    for (slot, seed) in &found {
        let Some((key, kinds)) = key_of(*slot) else {
            continue;
        };
        let other = match seed {
            Seed::Reference(o) => key_of(*o).and_then(|(other_key, _)| {
                lookup(positive, &other_key)
                    .and_then(json_to_value)
                    .or_else(|| loaded.default(*o).cloned())
            }),
            _ => None,
        };
        for (value, origin) in values_for(seed, kinds, other.as_ref()) {
            let Some(json) = to_json_exact(&value) else {
                continue;
            };
            let field = key.join(".");
            // By text: `1` and `1.0` are different probes.
            let seen_key = (field.clone(), json.to_string());
            if seen.contains(&seen_key) {
                continue;
            }
            seen.push(seen_key);
            let mut kwargs = positive.clone();
            set(&mut kwargs, &key, json.clone());
            out.push(Probe {
                field,
                value: json,
                origin,
                kwargs,
            });
        }
    }
    out.sort_by(|a, b| {
        (a.field.as_str(), a.value.to_string()).cmp(&(b.field.as_str(), b.value.to_string()))
    });
    out.truncate(MAX_PROBES);
    out
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::panic
)]
mod tests {
    use super::*;
    use llemc_runtime::compile::{CorpusInput, compile_corpus};

    const SCHEMA: &str = "schema_version: 1\nengine: e\nlibrary: e\nlibrary_version: 1.0.0\nsections:\n  s: e.T\nnative_types:\n  e.T:\n    fields:\n      n: {type: \"Optional[int]\", default: null}\n      f: {type: \"float\", default: 0.5}\n      m: {type: \"int\", default: 1}\n      mode: {type: \"Optional[str]\", default: null}\n";

    fn probes_of(when: &str, positive: Json) -> Vec<(String, String)> {
        let corpus = format!(
            "schema_version: 1.1.0\nengine: e\nengine_version: 1.0.0\nrules:\n- id: r\n  engine: e\n  severity: error\n  native_type: e.T\n  when: '{when}'\n  kwargs_positive: {{}}\n  kwargs_negative: {{}}\n  expected_outcome: {{outcome: error, emission_channel: runtime_exception}}\n"
        );
        let input = CorpusInput {
            name: "c.yaml",
            text: &corpus,
            schema: Some(("schema.yaml", SCHEMA)),
            compat: false,
            engine_version: None,
        };
        let Ok((loaded, _)) = compile_corpus(&input) else {
            panic!("does not compile")
        };
        let positive = positive.as_object().unwrap().clone();
        probes(&loaded, 0, &positive)
            .into_iter()
            .map(|p| (p.field, p.value.to_string()))
            .collect()
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn int_threshold_both_sides() {
        let got = probes_of("n present and n <= 0", serde_json::json!({"n": -1}));
        assert_eq!(got, pairs(&[("n", "-1"), ("n", "0"), ("n", "1")]));
    }

    #[test]
    fn float_threshold_uses_adjacent_floats() {
        let got = probes_of("f > 1.0", serde_json::json!({"f": 2.0}));
        assert_eq!(
            got,
            pairs(&[
                ("f", "0.9999999999999999"),
                ("f", "1.0"),
                ("f", "1.0000000000000002")
            ])
        );
    }

    #[test]
    fn allowlist_members_and_one_outside() {
        let got = probes_of(
            "mode not_in [\"a\", \"b\"]",
            serde_json::json!({"mode": "c"}),
        );
        assert_eq!(
            got,
            pairs(&[
                ("mode", "\"a\""),
                ("mode", "\"b\""),
                ("mode", "\"invalid\"")
            ])
        );
    }

    #[test]
    fn references_probe_around_the_other_value() {
        let got = probes_of("n present and n > m", serde_json::json!({"n": 3, "m": 2}));
        assert_eq!(
            got,
            pairs(&[
                ("m", "2"),
                ("m", "3"),
                ("m", "4"),
                ("n", "1"),
                ("n", "2"),
                ("n", "3")
            ])
        );
    }

    #[test]
    fn type_tests_probe_listed_and_unlisted_types() {
        let got = probes_of("mode type_is_not \"str\"", serde_json::json!({"mode": 1}));
        assert_eq!(got, pairs(&[("mode", "\"x\""), ("mode", "1")]));
    }
}
