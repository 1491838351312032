//! The miner's own predicate tree: what a Python condition translates to, before it is printed
//! in the `when:` language. Untranslatable parts stay as explicit [`Pred::Opaque`] nodes.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::ops::Not;

/// A literal value.
#[derive(Clone, Debug, PartialEq)]
pub enum Lit {
    /// `None`.
    Null,
    /// `True` / `False`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A tuple, list or set of literals.
    Seq(Vec<Lit>),
}

impl Lit {
    /// The literal of a JSON scalar (`None` for arrays and objects).
    pub fn from_json(value: &serde_json::Value) -> Option<Lit> {
        match value {
            serde_json::Value::Null => Some(Lit::Null),
            serde_json::Value::Bool(b) => Some(Lit::Bool(*b)),
            serde_json::Value::Number(n) => n
                .as_i64()
                .map(Lit::Int)
                .or_else(|| n.as_f64().map(Lit::Float)),
            serde_json::Value::String(s) => Some(Lit::Str(s.clone())),
            _ => None,
        }
    }

    /// Python's truthiness of the literal.
    pub fn truthy(&self) -> bool {
        match self {
            Lit::Null => false,
            Lit::Bool(b) => *b,
            Lit::Int(i) => *i != 0,
            Lit::Float(f) => *f != 0.0,
            Lit::Str(s) => !s.is_empty(),
            Lit::Seq(items) => !items.is_empty(),
        }
    }

    /// Python's `str()` of the literal (tuples shown as tuples).
    pub fn python_str(&self, as_tuple: bool) -> String {
        match self {
            Lit::Str(s) => s.clone(),
            other => other.python_repr(as_tuple),
        }
    }

    /// Python's `repr()` of the literal.
    pub fn python_repr(&self, as_tuple: bool) -> String {
        match self {
            Lit::Null => "None".into(),
            Lit::Bool(true) => "True".into(),
            Lit::Bool(false) => "False".into(),
            Lit::Int(i) => i.to_string(),
            Lit::Float(f) => python_float(*f),
            Lit::Str(s) => {
                if s.contains('\'') && !s.contains('"') {
                    format!("\"{s}\"")
                } else {
                    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
                }
            }
            Lit::Seq(items) => {
                let inner: Vec<String> = items.iter().map(|i| i.python_repr(true)).collect();
                if as_tuple {
                    if inner.len() == 1 {
                        format!("({},)", inner.join(", "))
                    } else {
                        format!("({})", inner.join(", "))
                    }
                } else {
                    format!("[{}]", inner.join(", "))
                }
            }
        }
    }
}

fn python_float(f: f64) -> String {
    if f.is_finite() && f == f.trunc() && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        format!("{f:?}")
    }
}

/// An operand of a test.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    /// A field of the native type.
    Field(String),
    /// A literal.
    Lit(Lit),
    /// `len(x)`.
    Len(Box<Operand>),
    /// `a op b` with op one of `+ - * %`.
    Arith(Box<Operand>, char, Box<Operand>),
}

/// Comparison operators of the `when:` language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Op {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `in`
    In,
    /// `not_in`
    NotIn,
    /// `type_is`
    TypeIs,
    /// `type_is_not`
    TypeIsNot,
    /// `divisible_by`
    DivisibleBy,
    /// `not_divisible_by`
    NotDivisibleBy,
}

impl Op {
    fn text(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::In => "in",
            Op::NotIn => "not_in",
            Op::TypeIs => "type_is",
            Op::TypeIsNot => "type_is_not",
            Op::DivisibleBy => "divisible_by",
            Op::NotDivisibleBy => "not_divisible_by",
        }
    }

    /// The operator with its operands swapped (`a < b` ⇔ `b > a`), for ordering and equality.
    pub fn flipped(self) -> Option<Op> {
        Some(match self {
            Op::Eq => Op::Eq,
            Op::Ne => Op::Ne,
            Op::Lt => Op::Gt,
            Op::Le => Op::Ge,
            Op::Gt => Op::Lt,
            Op::Ge => Op::Le,
            _ => return None,
        })
    }

    /// The operator whose test is the complement on a present operand.
    fn complement(self) -> Option<Op> {
        Some(match self {
            Op::Eq => Op::Ne,
            Op::Ne => Op::Eq,
            Op::In => Op::NotIn,
            Op::NotIn => Op::In,
            Op::TypeIs => Op::TypeIsNot,
            Op::TypeIsNot => Op::TypeIs,
            _ => return None,
        })
    }
}

/// `is null` / `is true` / `is false`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ident {
    /// `is null`
    Null,
    /// `is true`
    True,
    /// `is false`
    False,
}

/// A predicate.
#[derive(Clone, Debug, PartialEq)]
pub enum Pred {
    /// Always holds.
    True,
    /// Never holds.
    False,
    /// All hold.
    And(Vec<Pred>),
    /// One holds.
    Or(Vec<Pred>),
    /// Negation.
    Not(Box<Pred>),
    /// `f present`.
    Present(String),
    /// `f absent`.
    Absent(String),
    /// `x is null|true|false`.
    Is(Operand, Ident),
    /// `a op b`.
    Cmp(Operand, Op, Operand),
    /// Could not be translated: the source text and why.
    Opaque {
        /// The Python source text.
        source: String,
        /// Why it could not be translated.
        reason: String,
    },
}

impl Pred {
    /// An opaque node.
    pub fn opaque(source: impl Into<String>, reason: impl Into<String>) -> Pred {
        Pred::Opaque {
            source: source.into(),
            reason: reason.into(),
        }
    }

    /// Every opaque node: (source, reason).
    pub fn opaque_parts(&self, out: &mut Vec<(String, String)>) {
        match self {
            Pred::Opaque { source, reason } => out.push((source.clone(), reason.clone())),
            Pred::And(items) | Pred::Or(items) => items.iter().for_each(|i| i.opaque_parts(out)),
            Pred::Not(inner) => inner.opaque_parts(out),
            _ => {}
        }
    }

    /// Whether there is an opaque node anywhere.
    pub fn has_opaque(&self) -> bool {
        let mut v = Vec::new();
        self.opaque_parts(&mut v);
        !v.is_empty()
    }

    /// The fields the predicate reads.
    pub fn fields(&self, out: &mut BTreeSet<String>) {
        match self {
            Pred::And(items) | Pred::Or(items) => items.iter().for_each(|i| i.fields(out)),
            Pred::Not(inner) => inner.fields(out),
            Pred::Present(f) | Pred::Absent(f) => {
                out.insert(f.clone());
            }
            Pred::Is(a, _) => a.fields(out),
            Pred::Cmp(a, _, b) => {
                a.fields(out);
                b.fields(out);
            }
            _ => {}
        }
    }
}

impl Operand {
    fn fields(&self, out: &mut BTreeSet<String>) {
        match self {
            Operand::Field(f) => {
                out.insert(f.clone());
            }
            Operand::Len(inner) => inner.fields(out),
            Operand::Arith(a, _, b) => {
                a.fields(out);
                b.fields(out);
            }
            Operand::Lit(_) => {}
        }
    }

    /// Whether the operand's value is present whenever every field in `known` is.
    fn present_given(&self, known: &BTreeSet<String>) -> bool {
        match self {
            Operand::Field(f) => known.contains(f),
            Operand::Lit(Lit::Null) => false,
            Operand::Lit(_) => true,
            Operand::Len(_) | Operand::Arith(..) => false,
        }
    }
}

/// Simplifies a predicate: flattens `and`/`or`, folds constants, and uses facts established by
/// earlier conjuncts (`x present`) to drop tests they decide and to turn `not (x == c)` into
/// `x != c` where `x` is known present. Never changes the meaning.
pub fn simplify(pred: Pred) -> Pred {
    simplify_in(pred, &BTreeSet::new())
}

fn implied_present(pred: &Pred, out: &mut BTreeSet<String>) {
    match pred {
        Pred::Present(f) => {
            out.insert(f.clone());
        }
        Pred::Cmp(a, _, b) => {
            // every comparison but `== null` / `==` between fields fails on an absent operand
            for side in [a, b] {
                if let Operand::Field(f) = side {
                    out.insert(f.clone());
                }
            }
            if let (Operand::Field(_), Operand::Field(_)) = (a, b) {
                // `a == @b` holds when both are absent
                if let Pred::Cmp(_, Op::Eq, _) = pred
                    && let (Operand::Field(x), Operand::Field(y)) = (a, b)
                {
                    out.remove(x);
                    out.remove(y);
                }
            }
        }
        Pred::Is(Operand::Field(f), Ident::True | Ident::False) => {
            out.insert(f.clone());
        }
        Pred::And(items) => items.iter().for_each(|i| implied_present(i, out)),
        _ => {}
    }
}

fn simplify_in(pred: Pred, known: &BTreeSet<String>) -> Pred {
    match pred {
        Pred::And(items) => {
            let mut known = known.clone();
            let mut out: Vec<Pred> = Vec::new();
            for item in items {
                let s = simplify_in(item, &known);
                let parts = match s {
                    Pred::And(inner) => inner,
                    other => vec![other],
                };
                for p in parts {
                    match p {
                        Pred::True => {}
                        Pred::False => return Pred::False,
                        p => {
                            if out.contains(&p) {
                                continue;
                            }
                            implied_present(&p, &mut known);
                            out.push(p);
                        }
                    }
                }
            }
            merge_type_tests(&mut out);
            match out.len() {
                0 => Pred::True,
                1 => out.pop().unwrap_or(Pred::True),
                _ => Pred::And(out),
            }
        }
        Pred::Or(items) => {
            // in `a or b`, b is evaluated knowing a is false: `x absent or T` lets T assume x
            let mut known = known.clone();
            let mut out: Vec<Pred> = Vec::new();
            for item in items {
                let s = simplify_in(item, &known);
                let parts = match s {
                    Pred::Or(inner) => inner,
                    other => vec![other],
                };
                for p in parts {
                    match p {
                        Pred::False => {}
                        Pred::True => return Pred::True,
                        p => {
                            if out.contains(&p) {
                                continue;
                            }
                            match &p {
                                Pred::Absent(f) | Pred::Is(Operand::Field(f), Ident::Null) => {
                                    known.insert(f.clone());
                                }
                                _ => {}
                            }
                            out.push(p);
                        }
                    }
                }
            }
            match out.len() {
                0 => Pred::False,
                1 => out.pop().unwrap_or(Pred::False),
                _ => Pred::Or(out),
            }
        }
        Pred::Not(inner) => {
            let inner = simplify_in(*inner, known);
            match inner {
                Pred::Cmp(a, op, b) if a.present_given(known) && b.present_given(known) => {
                    match op.complement() {
                        Some(c) => Pred::Cmp(a, c, b),
                        None => Pred::Not(Box::new(Pred::Cmp(a, op, b))),
                    }
                }
                Pred::Or(items) => {
                    // not (a or b) == not a and not b
                    let negated: Vec<Pred> = items.into_iter().map(Pred::not).collect();
                    simplify_in(Pred::And(negated), known)
                }
                Pred::And(items) if items.iter().any(|i| matches!(i, Pred::Present(_))) => {
                    // not (x present and T) == x absent or not T
                    let negated: Vec<Pred> = items.into_iter().map(Pred::not).collect();
                    simplify_in(Pred::Or(negated), known)
                }
                other => other.not(),
            }
        }
        Pred::Present(f) if known.contains(&f) => Pred::True,
        Pred::Absent(f) if known.contains(&f) => Pred::False,
        Pred::Is(Operand::Field(f), Ident::Null) if known.contains(&f) => Pred::False,
        Pred::Cmp(Operand::Lit(a), op, Operand::Lit(b)) => match fold_cmp(&a, op, &b) {
            Some(true) => Pred::True,
            Some(false) => Pred::False,
            None => Pred::Cmp(Operand::Lit(a), op, Operand::Lit(b)),
        },
        other => other,
    }
}

/// A comparison of two number literals (a constant a consumer is given against a constant in
/// its check), as Python answers it; `None` for anything else.
fn fold_cmp(a: &Lit, op: Op, b: &Lit) -> Option<bool> {
    let number = |l: &Lit| match l {
        Lit::Int(i) => Some(*i as f64),
        Lit::Float(f) => Some(*f),
        Lit::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    };
    let (x, y) = (number(a)?, number(b)?);
    Some(match op {
        Op::Eq => x == y,
        Op::Ne => x != y,
        Op::Lt => x < y,
        Op::Le => x <= y,
        Op::Gt => x > y,
        Op::Ge => x >= y,
        _ => return None,
    })
}

/// `x type_is_not A and x type_is_not B` → `x type_is_not [A, B]`.
fn merge_type_tests(items: &mut Vec<Pred>) {
    let mut i = 0;
    while i < items.len() {
        let mut j = i + 1;
        while j < items.len() {
            let merged = match (items.get(i), items.get(j)) {
                (
                    Some(Pred::Cmp(Operand::Field(a), Op::TypeIsNot, Operand::Lit(x))),
                    Some(Pred::Cmp(Operand::Field(b), Op::TypeIsNot, Operand::Lit(y))),
                ) if a == b => {
                    let mut names = lit_names(x);
                    for n in lit_names(y) {
                        if !names.contains(&n) {
                            names.push(n);
                        }
                    }
                    Some(Pred::Cmp(
                        Operand::Field(a.clone()),
                        Op::TypeIsNot,
                        Operand::Lit(names_lit(names)),
                    ))
                }
                _ => None,
            };
            if let Some(m) = merged {
                if let Some(slot) = items.get_mut(i) {
                    *slot = m;
                }
                items.remove(j);
            } else {
                j += 1;
            }
        }
        i += 1;
    }
}

fn lit_names(l: &Lit) -> Vec<Lit> {
    match l {
        Lit::Seq(items) => items.clone(),
        other => vec![other.clone()],
    }
}

/// One type name as a string, several as a list.
pub fn names_lit(mut names: Vec<Lit>) -> Lit {
    if names.len() == 1 {
        names.pop().unwrap_or(Lit::Null)
    } else {
        Lit::Seq(names)
    }
}

/// Prints a predicate in the `when:` language (fully parenthesised where groups nest; the
/// caller re-prints it canonically through the grammar's printer). Opaque nodes cannot be
/// printed: `None` then.
pub fn print(pred: &Pred) -> Option<String> {
    let mut out = String::new();
    print_into(pred, &mut out)?;
    Some(out)
}

fn print_into(pred: &Pred, out: &mut String) -> Option<()> {
    match pred {
        Pred::True | Pred::False | Pred::Opaque { .. } => return None,
        Pred::And(items) | Pred::Or(items) => {
            let sep = if matches!(pred, Pred::And(_)) {
                " and "
            } else {
                " or "
            };
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                let group = matches!(item, Pred::And(_) | Pred::Or(_));
                if group {
                    out.push('(');
                }
                print_into(item, out)?;
                if group {
                    out.push(')');
                }
            }
        }
        Pred::Not(inner) => {
            out.push_str("not (");
            print_into(inner, out)?;
            out.push(')');
        }
        Pred::Present(f) => {
            let _ = write!(out, "{f} present");
        }
        Pred::Absent(f) => {
            let _ = write!(out, "{f} absent");
        }
        Pred::Is(a, ident) => {
            print_operand(a, out)?;
            out.push_str(match ident {
                Ident::Null => " is null",
                Ident::True => " is true",
                Ident::False => " is false",
            });
        }
        Pred::Cmp(a, op, b) => {
            print_operand(a, out)?;
            out.push(' ');
            out.push_str(op.text());
            out.push(' ');
            print_operand(b, out)?;
        }
    }
    Some(())
}

fn print_operand(o: &Operand, out: &mut String) -> Option<()> {
    match o {
        Operand::Field(f) => out.push_str(f),
        Operand::Lit(l) => print_lit(l, out)?,
        Operand::Len(inner) => {
            out.push_str("len(");
            print_operand(inner, out)?;
            out.push(')');
        }
        Operand::Arith(a, op, b) => {
            out.push('(');
            print_operand(a, out)?;
            let _ = write!(out, " {op} ");
            print_operand(b, out)?;
            out.push(')');
        }
    }
    Some(())
}

fn print_lit(l: &Lit, out: &mut String) -> Option<()> {
    match l {
        Lit::Null => out.push_str("null"),
        Lit::Bool(true) => out.push_str("true"),
        Lit::Bool(false) => out.push_str("false"),
        Lit::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Lit::Float(f) => {
            if !f.is_finite() {
                return None;
            }
            let text = format!("{f:?}");
            out.push_str(&text);
        }
        Lit::Str(s) => {
            out.push('"');
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '"' => out.push_str("\\\""),
                    '\n' => out.push_str("\\n"),
                    '\t' => out.push_str("\\t"),
                    '\r' => out.push_str("\\r"),
                    '\0' => out.push_str("\\0"),
                    c => out.push(c),
                }
            }
            out.push('"');
        }
        Lit::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                print_lit(item, out)?;
            }
            out.push(']');
        }
    }
    Some(())
}

/// Negation (double negation and constants folded).
impl std::ops::Not for Pred {
    type Output = Pred;

    fn not(self) -> Pred {
        match self {
            Pred::True => Pred::False,
            Pred::False => Pred::True,
            Pred::Not(inner) => *inner,
            Pred::Present(f) => Pred::Absent(f),
            Pred::Absent(f) => Pred::Present(f),
            Pred::Is(Operand::Field(f), Ident::Null) => Pred::Present(f),
            other => Pred::Not(Box::new(other)),
        }
    }
}
