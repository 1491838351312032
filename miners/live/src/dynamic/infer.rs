//! Predicate inference over the rows of one cluster, by templates: divisibility, cross-field
//! comparison, equality gate (`flag == v and ...`), type allowlist, range, equality, value
//! allowlist. A candidate must agree with every row (the signal is present exactly where the
//! predicate holds); the cheap screening here uses Python's semantics, and the caller confirms
//! the chosen candidate with llemc's own evaluator.
//!
//! Guards against overfitting: at least two rows on each side of every candidate, and every
//! atom of a conjunction seen both holding and failing where the others hold (so every
//! threshold is confirmed by probes on both sides); a range needs two distinct probed values on
//! its firing side (else only an equality is honest); `!=` needs two distinct values on its
//! firing side; an allowlist only for a field declared
//! closed in the probes file or whose members the library's own message enumerates.

use crate::lifts::rule::literal;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// One test on a row.
#[derive(Clone, Debug, PartialEq)]
pub enum Atom {
    /// `f op v` with op in `==`, `!=`, `<=`, `>=`.
    Cmp {
        /// Field.
        field: String,
        /// Operator.
        op: &'static str,
        /// Constant.
        value: Value,
    },
    /// `a op b` between two fields.
    Cross {
        /// Left field.
        a: String,
        /// Operator (`<`, `<=`, `>`, `>=`).
        op: &'static str,
        /// Right field.
        b: String,
    },
    /// `a not_divisible_by b`.
    NotDivisible {
        /// Dividend field.
        a: String,
        /// Divisor field.
        b: String,
    },
    /// `f present and f not_in [..]`.
    NotIn {
        /// Field.
        field: String,
        /// The allowed values.
        values: Vec<Value>,
    },
    /// `f present and f type_is_not [..]`.
    TypeIsNot {
        /// Field.
        field: String,
        /// The allowed Python type names.
        types: Vec<String>,
    },
    /// `f present`.
    Present {
        /// Field.
        field: String,
    },
}

/// Template order (lower is preferred between candidates of the same size).
fn priority(atom: &Atom) -> u32 {
    match atom {
        Atom::NotDivisible { .. } => 0,
        Atom::Cross { .. } => 1,
        Atom::TypeIsNot { .. } => 3,
        Atom::Cmp { op, .. } if *op == "<=" || *op == ">=" => 4,
        Atom::Cmp { .. } | Atom::Present { .. } => 5,
        Atom::NotIn { .. } => 6,
    }
}

impl Atom {
    /// The atom as predicate text.
    pub fn text(&self) -> String {
        match self {
            Atom::Cmp { field, op, value } => {
                let v = literal(value).unwrap_or_default();
                if *op == "==" {
                    format!("{field} == {v}")
                } else {
                    format!("{field} present and {field} {op} {v}")
                }
            }
            Atom::Cross { a, op, b } => format!("{a} {op} {b}"),
            Atom::NotDivisible { a, b } => format!("{a} not_divisible_by {b}"),
            Atom::NotIn { field, values } => {
                let items: Vec<String> = values.iter().filter_map(literal).collect();
                format!("{field} present and {field} not_in [{}]", items.join(", "))
            }
            Atom::TypeIsNot { field, types } => {
                let items: Vec<String> = types.iter().map(|t| format!("\"{t}\"")).collect();
                if let [one] = items.as_slice() {
                    format!("{field} present and {field} type_is_not {one}")
                } else {
                    format!(
                        "{field} present and {field} type_is_not [{}]",
                        items.join(", ")
                    )
                }
            }
            Atom::Present { field } => format!("{field} present"),
        }
    }

    /// The fields the atom reads.
    pub fn fields(&self) -> Vec<&str> {
        match self {
            Atom::Cmp { field, .. }
            | Atom::NotIn { field, .. }
            | Atom::TypeIsNot { field, .. }
            | Atom::Present { field } => vec![field.as_str()],
            Atom::Cross { a, b, .. } | Atom::NotDivisible { a, b } => vec![a.as_str(), b.as_str()],
        }
    }

    /// Python's answer on a row (absent or null operands make every test false).
    pub fn holds(&self, row: &Map<String, Value>) -> bool {
        let get = |f: &str| row.get(f).filter(|v| !v.is_null());
        match self {
            Atom::Present { field } => get(field).is_some(),
            Atom::Cmp { field, op, value } => get(field).is_some_and(|v| compare(v, op, value)),
            Atom::Cross { a, op, b } => match (get(a), get(b)) {
                (Some(x), Some(y)) => compare(x, op, y),
                _ => false,
            },
            Atom::NotDivisible { a, b } => match (get(a).and_then(int), get(b).and_then(int)) {
                (Some(x), Some(y)) if y != 0 => x.rem_euclid(y) != 0,
                _ => false,
            },
            Atom::NotIn { field, values } => {
                get(field).is_some_and(|v| !values.iter().any(|m| compare(v, "==", m)))
            }
            Atom::TypeIsNot { field, types } => {
                get(field).is_some_and(|v| !types.iter().any(|t| t == type_name(v)))
            }
        }
    }
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) if !n.is_f64() => n.as_i64(),
        _ => None,
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

/// Python's type name of a JSON value.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// `x op y` with Python's semantics (unorderable types: false).
fn compare(x: &Value, op: &str, y: &Value) -> bool {
    if let (Some(a), Some(b)) = (number(x), number(y)) {
        return match op {
            "==" => a == b,
            "!=" => a != b,
            "<" => a < b,
            "<=" => a <= b,
            ">" => a > b,
            ">=" => a >= b,
            _ => false,
        };
    }
    match op {
        "==" => x == y,
        "!=" => x != y,
        _ => match (x.as_str(), y.as_str()) {
            (Some(a), Some(b)) => match op {
                "<" => a < b,
                "<=" => a <= b,
                ">" => a > b,
                ">=" => a >= b,
                _ => false,
            },
            _ => false,
        },
    }
}

/// A candidate predicate: a conjunction (or, for an interval, a disjunction) of atoms.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// The atoms.
    pub atoms: Vec<Atom>,
    /// `or` instead of `and`.
    pub any: bool,
}

impl Candidate {
    /// Predicate text.
    pub fn text(&self) -> String {
        let parts: Vec<String> = self.atoms.iter().map(Atom::text).collect();
        if self.any {
            parts
                .iter()
                .map(|p| format!("({p})"))
                .collect::<Vec<_>>()
                .join(" or ")
        } else {
            parts.join(" and ")
        }
    }

    /// The field the library's own message names (quoted as `'f'` or `` `f` ``), when exactly one
    /// of the predicate's fields is named that way.
    pub fn subject_named_in(&self, message: &str) -> Option<String> {
        let mut named: Vec<&str> = self
            .atoms
            .iter()
            .flat_map(Atom::fields)
            .filter(|f| message.contains(&format!("'{f}'")) || message.contains(&format!("`{f}`")))
            .collect();
        named.sort_unstable();
        named.dedup();
        match named.as_slice() {
            [one] => Some((*one).to_owned()),
            _ => None,
        }
    }

    /// The field the rule is about: the last field of the most specific atom.
    pub fn subject(&self) -> Option<String> {
        let atom = self
            .atoms
            .iter()
            .rfind(|a| {
                !matches!(
                    a,
                    Atom::Cmp {
                        op: "==",
                        value: Value::Bool(_),
                        ..
                    }
                )
            })
            .or_else(|| self.atoms.last())?;
        atom.fields().first().map(|f| (*f).to_owned())
    }

    /// Whether `other` is a different hypothesis than `self` (another template or other
    /// fields), as opposed to a respelling (an equality and an allowlist on the same field).
    fn differs_from(&self, other: &Candidate) -> bool {
        let class = |c: &Candidate| -> Vec<(u32, Vec<String>)> {
            c.atoms
                .iter()
                .map(|a| {
                    let p = match priority(a) {
                        5 | 6 => 5,
                        p => p,
                    };
                    (p, a.fields().iter().map(|f| (*f).to_owned()).collect())
                })
                .collect()
        };
        class(self) != class(other)
    }

    fn rank(&self) -> (usize, u32, String) {
        let gate = !self.any
            && self.atoms.len() > 1
            && self
                .atoms
                .iter()
                .any(|a| matches!(a, Atom::Cmp { op: "==", .. }));
        let p = self.atoms.iter().map(priority).min().unwrap_or(9);
        (
            self.atoms.len(),
            if gate { p.min(2) } else { p },
            self.text(),
        )
    }
}

/// What inference works on: the rows' kwargs and, per row, whether the signal was seen.
pub struct Evidence<'a> {
    /// Kwargs of each row.
    pub rows: &'a [Map<String, Value>],
    /// The signal per row.
    pub labels: &'a [bool],
    /// Probed fields and their values (the cluster's).
    pub fields: &'a std::collections::BTreeMap<String, Vec<Value>>,
    /// Fields declared closed.
    pub closed: &'a [String],
    /// The signal's messages (for allowlists the library enumerates).
    pub messages: &'a [String],
}

/// Runs of quoted values in a message (`'a', 'b' or 'c'`, `[`x`, `y`]`): tokens in quotes or
/// backticks separated only by commas, spaces, `|`, `/` or `or`. A library's enumeration of
/// allowed values is one such run.
fn quoted_runs(message: &str) -> Vec<Vec<String>> {
    let chars: Vec<(usize, char)> = message.char_indices().collect();
    let mut tokens: Vec<(usize, usize, String)> = Vec::new();
    let mut i = 0;
    while let Some(&(start, c)) = chars.get(i) {
        if matches!(c, '\'' | '"' | '`') {
            let mut j = i + 1;
            let mut text = String::new();
            let mut closed = false;
            while let Some(&(_, d)) = chars.get(j) {
                if d == c {
                    closed = true;
                    break;
                }
                text.push(d);
                j += 1;
            }
            let ok = !text.is_empty()
                && text
                    .chars()
                    .all(|d| d.is_alphanumeric() || "_-.".contains(d));
            if closed && ok {
                let end = chars.get(j + 1).map_or(message.len(), |(p, _)| *p);
                tokens.push((start, end, text));
                i = j + 1;
                continue;
            }
        }
        i += 1;
    }
    let mut runs: Vec<Vec<String>> = Vec::new();
    let mut last_end: Option<usize> = None;
    for (start, end, text) in tokens {
        let joined = last_end.is_some_and(|e| {
            message
                .get(e..start)
                .is_some_and(|gap| gap.replace("or", "").chars().all(|c| " ,|/".contains(c)))
        });
        match runs.last_mut() {
            Some(run) if joined => run.push(text),
            _ => runs.push(vec![text]),
        }
        last_end = Some(end);
    }
    runs
}

fn atoms_for(ev: &Evidence<'_>) -> Vec<Atom> {
    let mut atoms = Vec::new();
    let varying: Vec<(&String, &Vec<Value>)> =
        ev.fields.iter().filter(|(_, v)| v.len() > 1).collect();
    for (field, values) in &varying {
        let present: Vec<&Value> = values.iter().filter(|v| !v.is_null()).collect();
        if present.len() < values.len() {
            atoms.push(Atom::Present {
                field: (*field).clone(),
            });
        }
        let numeric = present.iter().all(|v| v.is_number());
        for v in &present {
            if !(v.is_number() || v.is_boolean() || v.is_string()) {
                continue;
            }
            atoms.push(Atom::Cmp {
                field: (*field).clone(),
                op: "==",
                value: (*v).clone(),
            });
            if !v.is_boolean() {
                atoms.push(Atom::Cmp {
                    field: (*field).clone(),
                    op: "!=",
                    value: (*v).clone(),
                });
            }
            if numeric {
                for op in ["<=", ">="] {
                    atoms.push(Atom::Cmp {
                        field: (*field).clone(),
                        op,
                        value: (*v).clone(),
                    });
                }
            }
        }
        // allowlists and type allowlists, from the rows without the signal
        let accepted: Vec<&Value> = ev
            .rows
            .iter()
            .zip(ev.labels)
            .filter(|(_, l)| !**l)
            .filter_map(|(r, _)| r.get(*field).filter(|v| !v.is_null()))
            .collect();
        let mut types: Vec<String> = accepted.iter().map(|v| type_name(v).to_owned()).collect();
        types.sort();
        types.dedup();
        let all_types: BTreeSet<&str> = present.iter().map(|v| type_name(v)).collect();
        if all_types.len() > 1 && !types.is_empty() && types.len() < all_types.len() {
            atoms.push(Atom::TypeIsNot {
                field: (*field).clone(),
                types,
            });
        }
        let scalars = present
            .iter()
            .all(|v| v.is_string() || v.is_number() || v.is_boolean());
        if scalars && !accepted.is_empty() {
            let mut members: Vec<Value> = Vec::new();
            for v in &accepted {
                if !members.contains(v) {
                    members.push((*v).clone());
                }
            }
            if ev.closed.contains(*field) {
                members.sort_by_key(|v| literal(v).unwrap_or_default());
                atoms.push(Atom::NotIn {
                    field: (*field).clone(),
                    values: members,
                });
            } else if let Some(listed) = enumerated(ev, field, &members) {
                atoms.push(Atom::NotIn {
                    field: (*field).clone(),
                    values: listed,
                });
            }
        }
    }
    // cross-field comparisons and divisibility between numeric fields
    for (i, (a, av)) in varying.iter().enumerate() {
        for (b, bv) in varying.iter().skip(i + 1) {
            let num = |vs: &Vec<Value>| vs.iter().all(|v| v.is_null() || (v.is_number()));
            if !(num(av) && num(bv)) {
                continue;
            }
            for op in ["<", "<=", ">", ">="] {
                atoms.push(Atom::Cross {
                    a: (*a).clone(),
                    op,
                    b: (*b).clone(),
                });
            }
            let ints = |vs: &Vec<Value>| vs.iter().all(|v| v.is_null() || int(v).is_some());
            if ints(av) && ints(bv) {
                atoms.push(Atom::NotDivisible {
                    a: (*a).clone(),
                    b: (*b).clone(),
                });
                atoms.push(Atom::NotDivisible {
                    a: (*b).clone(),
                    b: (*a).clone(),
                });
            }
        }
    }
    atoms
}

/// The allowlist the library's message enumerates: in every message one run of quoted values
/// holds every accepted string value and no rejected one; the members are that run's values.
fn enumerated(ev: &Evidence<'_>, field: &str, accepted: &[Value]) -> Option<Vec<Value>> {
    if accepted.iter().any(|v| !v.is_string()) || ev.messages.is_empty() {
        return None;
    }
    let rejected: Vec<&str> = ev
        .rows
        .iter()
        .zip(ev.labels)
        .filter(|(_, l)| **l)
        .filter_map(|(r, _)| r.get(field).and_then(Value::as_str))
        .collect();
    let mut common: Option<BTreeSet<String>> = None;
    for m in ev.messages {
        let run: BTreeSet<String> = quoted_runs(m)
            .into_iter()
            .map(|r| r.into_iter().collect::<BTreeSet<String>>())
            .find(|r| {
                accepted
                    .iter()
                    .all(|v| v.as_str().is_some_and(|s| r.contains(s)))
                    && !rejected.iter().any(|x| r.contains(*x))
            })?;
        common = Some(match common {
            None => run,
            Some(c) => c.intersection(&run).cloned().collect(),
        });
    }
    let listed = common?;
    let all_listed = accepted
        .iter()
        .all(|v| v.as_str().is_some_and(|s| listed.contains(s)));
    if !all_listed || rejected.iter().any(|r| listed.contains(*r)) {
        return None;
    }
    Some(listed.into_iter().map(Value::String).collect())
}

fn vector(atom: &Atom, rows: &[Map<String, Value>]) -> Vec<bool> {
    rows.iter().map(|r| atom.holds(r)).collect()
}

/// Distinct values of `field` among `rows` selected by `mask`, split by whether `atom` holds.
fn both_sides(atom: &Atom, rows: &[Map<String, Value>], mask: &[bool]) -> bool {
    let (mut yes, mut no) = (0usize, 0usize);
    let (mut yes_vals, mut no_vals): (Vec<&Value>, Vec<&Value>) = (Vec::new(), Vec::new());
    let field = atom
        .fields()
        .first()
        .map(|f| (*f).to_owned())
        .unwrap_or_default();
    for (r, m) in rows.iter().zip(mask) {
        if !m {
            continue;
        }
        let v = r.get(&field);
        if atom.holds(r) {
            yes += 1;
            if let Some(v) = v
                && !yes_vals.contains(&v)
            {
                yes_vals.push(v);
            }
        } else {
            no += 1;
            if let Some(v) = v
                && !no_vals.contains(&v)
            {
                no_vals.push(v);
            }
        }
    }
    if yes < 1 || no < 1 {
        return false;
    }
    match atom {
        Atom::Cmp { op, .. } if *op == "<=" || *op == ">=" => {
            yes_vals.len() >= 2 && !no_vals.is_empty()
        }
        Atom::Cmp { op: "!=", .. } => yes_vals.len() >= 2,
        _ => true,
    }
}

/// Every candidate that agrees with every row and passes the guards, best first.
pub fn candidates(ev: &Evidence<'_>) -> Vec<Candidate> {
    let n = ev.rows.len();
    let fire = ev.labels.iter().filter(|l| **l).count();
    if fire < 2 || n - fire < 2 {
        return Vec::new();
    }
    let atoms = atoms_for(ev);
    let vectors: Vec<Vec<bool>> = atoms.iter().map(|a| vector(a, ev.rows)).collect();
    let all = vec![true; n];
    let mut out = Vec::new();
    for (a, v) in atoms.iter().zip(&vectors) {
        if v.as_slice() == ev.labels && both_sides(a, ev.rows, &all) {
            out.push(Candidate {
                atoms: vec![a.clone()],
                any: false,
            });
        }
    }
    for (i, (a, va)) in atoms.iter().zip(&vectors).enumerate() {
        for (b, vb) in atoms.iter().zip(&vectors).skip(i + 1) {
            let fa: BTreeSet<&str> = a.fields().into_iter().collect();
            if b.fields().iter().all(|f| fa.contains(f)) && a.fields().len() == b.fields().len() {
                // same field(s): only an interval (`or` of two ranges)
                let range =
                    |x: &Atom| matches!(x, Atom::Cmp { op, .. } if *op == "<=" || *op == ">=");
                if range(a) && range(b) {
                    let or: Vec<bool> = va.iter().zip(vb).map(|(x, y)| *x || *y).collect();
                    let not_b: Vec<bool> = vb.iter().map(|x| !x).collect();
                    let not_a: Vec<bool> = va.iter().map(|x| !x).collect();
                    if or.as_slice() == ev.labels
                        && both_sides(a, ev.rows, &not_b)
                        && both_sides(b, ev.rows, &not_a)
                    {
                        out.push(Candidate {
                            atoms: vec![a.clone(), b.clone()],
                            any: true,
                        });
                    }
                }
                continue;
            }
            let and: Vec<bool> = va.iter().zip(vb).map(|(x, y)| *x && *y).collect();
            if and.as_slice() != ev.labels
                || va.as_slice() == ev.labels
                || vb.as_slice() == ev.labels
            {
                continue;
            }
            if both_sides(a, ev.rows, vb) && both_sides(b, ev.rows, va) {
                out.push(Candidate {
                    atoms: vec![a.clone(), b.clone()],
                    any: false,
                });
            }
        }
    }
    out.sort_by_key(Candidate::rank);
    out
}

/// When the probes do not decide between two different hypotheses of the smallest size (say
/// `a > b` and `b not_divisible_by a`), both texts: no rule should be inferred.
pub fn ambiguity(sorted: &[Candidate]) -> Option<(String, String)> {
    let top = sorted.first()?;
    sorted
        .iter()
        .skip(1)
        .take_while(|c| c.atoms.len() == top.atoms.len())
        .find(|c| top.differs_from(c))
        .map(|c| (top.text(), c.text()))
}
