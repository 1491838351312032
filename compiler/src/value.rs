//! Values and their Python semantics: the single reference for what every operator means.
//!
//! The constant folder, the interpreter and the JIT all follow these functions. An absent field
//! and an explicit `null` are both [`Value::Null`] here; callers keep the difference elsewhere.

use llemc_grammar::ast::{ArithOp, CompareOp, IsTarget};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;

/// A config or literal value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Value {
    /// Python `None`; also what an absent field reads as.
    Null,
    /// `bool`.
    Bool(bool),
    /// `int` (64-bit).
    Int(i64),
    /// `float`.
    Float(f64),
    /// `str`.
    Str(String),
    /// `list`.
    List(Vec<Value>),
    /// `dict`, in insertion order.
    Dict(Vec<(Value, Value)>),
}

impl Value {
    /// Python's `type(v).__name__`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::List(_) => "list",
            Value::Dict(_) => "dict",
        }
    }

    /// Whether this is `None`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The kind bit of this value.
    pub fn kind(&self) -> crate::types::Kinds {
        use crate::types::Kinds;
        match self {
            Value::Null => Kinds::NONE,
            Value::Bool(_) => Kinds::BOOL,
            Value::Int(_) => Kinds::INT,
            Value::Float(_) => Kinds::FLOAT,
            Value::Str(_) => Kinds::STR,
            Value::List(_) => Kinds::LIST,
            Value::Dict(_) => Kinds::DICT,
        }
    }
}

/// Formats like Python's `repr`-ish `str()` used in messages: `None`, `True`, `1.0`, `'a'` in lists.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => f.write_str(s),
            other => write_repr(other, f),
        }
    }
}

/// Python `repr` of a value.
pub fn repr(value: &Value) -> String {
    struct Repr<'a>(&'a Value);
    impl fmt::Display for Repr<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write_repr(self.0, f)
        }
    }
    Repr(value).to_string()
}

fn write_repr(value: &Value, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match value {
        Value::Null => f.write_str("None"),
        Value::Bool(true) => f.write_str("True"),
        Value::Bool(false) => f.write_str("False"),
        Value::Int(i) => write!(f, "{i}"),
        Value::Float(x) => f.write_str(&python_float(*x)),
        Value::Str(s) => {
            let quote = if s.contains('\'') && !s.contains('"') {
                '"'
            } else {
                '\''
            };
            write!(f, "{quote}")?;
            for c in s.chars() {
                match c {
                    '\\' => f.write_str("\\\\")?,
                    '\n' => f.write_str("\\n")?,
                    '\t' => f.write_str("\\t")?,
                    '\r' => f.write_str("\\r")?,
                    c if c == quote => write!(f, "\\{c}")?,
                    c => write!(f, "{c}")?,
                }
            }
            write!(f, "{quote}")
        }
        Value::List(items) => {
            f.write_str("[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write_repr(item, f)?;
            }
            f.write_str("]")
        }
        Value::Dict(entries) => {
            f.write_str("{")?;
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write_repr(k, f)?;
                f.write_str(": ")?;
                write_repr(v, f)?;
            }
            f.write_str("}")
        }
    }
}

/// Python's `repr(float)`: shortest round-trip digits, `.0` on integral values, `inf`, `nan`.
pub fn python_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 {
            "inf".to_owned()
        } else {
            "-inf".to_owned()
        };
    }
    let abs = x.abs();
    if abs != 0.0 && !(1e-4..1e16).contains(&abs) {
        // Python switches to exponent notation: 1e+16, 1e-05.
        let s = format!("{x:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    let s = format!("{x}");
    if s.contains('.') { s } else { format!("{s}.0") }
}

/// Python `a == b`: numbers compare numerically (bool is an int), containers element-wise,
/// unrelated types are unequal.
pub fn py_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q))
        }
        (Value::Dict(x), Value::Dict(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.iter().any(|(k2, v2)| py_eq(k, k2) && py_eq(v, v2)))
        }
        _ => match (as_number(a), as_number(b)) {
            (Some(x), Some(y)) => num_cmp(x, y) == Some(Ordering::Equal),
            _ => false,
        },
    }
}

/// A number as Python sees it: bools are ints.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Num {
    /// An integer (or bool).
    Int(i64),
    /// A float.
    Float(f64),
}

/// The numeric view of a value, if it is a bool, int or float.
pub fn as_number(v: &Value) -> Option<Num> {
    match v {
        Value::Bool(b) => Some(Num::Int(i64::from(*b))),
        Value::Int(i) => Some(Num::Int(*i)),
        Value::Float(f) => Some(Num::Float(*f)),
        _ => None,
    }
}

/// Exact numeric comparison between ints and floats (as Python does it); `None` when a NaN is
/// involved.
pub fn num_cmp(a: Num, b: Num) -> Option<Ordering> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
        (Num::Float(x), Num::Float(y)) => x.partial_cmp(&y),
        (Num::Int(x), Num::Float(y)) => int_float_cmp(x, y),
        (Num::Float(x), Num::Int(y)) => int_float_cmp(y, x).map(Ordering::reverse),
    }
}

/// Compares an integer with a float exactly (no rounding of the integer).
pub fn int_float_cmp(i: i64, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    // 2^63 as f64 is exact.
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if f >= TWO_63 {
        return Some(Ordering::Less);
    }
    if f < -TWO_63 {
        return Some(Ordering::Greater);
    }
    let floor = f.floor();
    // In range: the cast is exact for the integral part.
    #[allow(clippy::cast_possible_truncation)]
    let fi = floor as i64;
    match i.cmp(&fi) {
        Ordering::Equal if f > floor => Some(Ordering::Less),
        other => Some(other),
    }
}

/// Python ordering `a <op> b` for `<`, `<=`, `>`, `>=`: `None` when Python would raise (unrelated
/// types, `None`, dicts) or a NaN makes every comparison false.
pub fn py_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => Some(x.as_str().cmp(y.as_str())),
        (Value::List(x), Value::List(y)) => {
            for (p, q) in x.iter().zip(y) {
                if !py_eq(p, q) {
                    return py_cmp(p, q);
                }
            }
            Some(x.len().cmp(&y.len()))
        }
        _ => num_cmp(as_number(a)?, as_number(b)?),
    }
}

/// Python `a in items` for a list.
pub fn py_in(a: &Value, items: &[Value]) -> bool {
    items.iter().any(|item| py_eq(a, item))
}

/// Whether `a % b == 0` for two non-bool integers with a non-zero divisor (`None` otherwise).
pub fn divisible(a: &Value, b: &Value) -> Option<bool> {
    match (a, b) {
        (Value::Int(_), Value::Int(0)) => None,
        (Value::Int(x), Value::Int(y)) => Some(x.checked_rem(*y).unwrap_or(0) == 0),
        _ => None,
    }
}

/// Evaluates a binary test on two values (absent operands passed as `Null`).
pub fn compare(op: CompareOp, a: &Value, b: &Value) -> bool {
    match op {
        CompareOp::Eq => py_eq(a, b),
        CompareOp::Ne => !a.is_null() && !b.is_null() && !py_eq(a, b),
        CompareOp::Lt => !a.is_null() && py_cmp(a, b) == Some(Ordering::Less),
        CompareOp::Le => {
            !a.is_null() && matches!(py_cmp(a, b), Some(Ordering::Less | Ordering::Equal))
        }
        CompareOp::Gt => !a.is_null() && py_cmp(a, b) == Some(Ordering::Greater),
        CompareOp::Ge => {
            !a.is_null() && matches!(py_cmp(a, b), Some(Ordering::Greater | Ordering::Equal))
        }
        CompareOp::In => match b {
            Value::List(items) => py_in(a, items),
            _ => false,
        },
        CompareOp::NotIn => match b {
            Value::List(items) => !a.is_null() && !py_in(a, items),
            _ => false,
        },
        CompareOp::TypeIs => !a.is_null() && type_names_contain(b, a.type_name()),
        CompareOp::TypeIsNot => !a.is_null() && !type_names_contain(b, a.type_name()),
        CompareOp::DivisibleBy => divisible(a, b) == Some(true),
        CompareOp::NotDivisibleBy => divisible(a, b) == Some(false),
    }
}

/// Whether a `type_is` operand (a name or a list of names) contains `name`.
fn type_names_contain(names: &Value, name: &str) -> bool {
    match names {
        Value::Str(s) => s == name,
        Value::List(items) => items
            .iter()
            .any(|i| matches!(i, Value::Str(s) if s == name)),
        _ => false,
    }
}

/// Evaluates an identity test (`is null`, `is true`, `is false`).
pub fn is(a: &Value, target: IsTarget) -> bool {
    matches!(
        (a, target),
        (Value::Null, IsTarget::Null)
            | (Value::Bool(true), IsTarget::True)
            | (Value::Bool(false), IsTarget::False)
    )
}

/// Python arithmetic on numbers; `None` when Python would raise, a divisor is zero, or a 64-bit
/// integer result would overflow.
pub fn arith(op: ArithOp, a: &Value, b: &Value) -> Option<Value> {
    let (x, y) = (as_number(a)?, as_number(b)?);
    match (x, y) {
        (Num::Int(x), Num::Int(y)) => {
            let r = match op {
                ArithOp::Add => x.checked_add(y)?,
                ArithOp::Sub => x.checked_sub(y)?,
                ArithOp::Mul => x.checked_mul(y)?,
                ArithOp::Mod => floor_mod_int(x, y)?,
            };
            Some(Value::Int(r))
        }
        _ => {
            let (x, y) = (to_f64(x), to_f64(y));
            let r = match op {
                ArithOp::Add => x + y,
                ArithOp::Sub => x - y,
                ArithOp::Mul => x * y,
                ArithOp::Mod => floor_mod_float(x, y)?,
            };
            Some(Value::Float(r))
        }
    }
}

/// Python's `-a` on a number.
pub fn negate(a: &Value) -> Option<Value> {
    match as_number(a)? {
        Num::Int(i) => i.checked_neg().map(Value::Int),
        Num::Float(f) => Some(Value::Float(-f)),
    }
}

/// Python's `len(a)` for strings (code points), lists and dicts.
pub fn len(a: &Value) -> Option<Value> {
    let n = match a {
        Value::Str(s) => s.chars().count(),
        Value::List(items) => items.len(),
        Value::Dict(entries) => entries.len(),
        _ => return None,
    };
    i64::try_from(n).ok().map(Value::Int)
}

#[allow(clippy::cast_precision_loss)]
fn to_f64(n: Num) -> f64 {
    match n {
        Num::Int(i) => i as f64,
        Num::Float(f) => f,
    }
}

/// Python's floored integer modulo.
pub fn floor_mod_int(x: i64, y: i64) -> Option<i64> {
    if y == 0 {
        return None;
    }
    let r = x.checked_rem(y).unwrap_or(0);
    Some(if r != 0 && ((r < 0) != (y < 0)) {
        r + y
    } else {
        r
    })
}

/// Python's floored float modulo.
pub fn floor_mod_float(x: f64, y: f64) -> Option<f64> {
    if y == 0.0 {
        return None;
    }
    let mut r = x % y;
    if r != 0.0 {
        if (r < 0.0) != (y < 0.0) {
            r += y;
        }
    } else {
        r = 0.0_f64.copysign(y);
    }
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Value::*;

    #[test]
    fn python_equality() {
        assert!(py_eq(&Bool(true), &Int(1)));
        assert!(py_eq(&Int(1), &Float(1.0)));
        assert!(!py_eq(&Int(1), &Str("1".into())));
        assert!(py_eq(&List(vec![Int(1)]), &List(vec![Bool(true)])));
        assert!(!py_eq(&Float(f64::NAN), &Float(f64::NAN)));
        assert!(!py_eq(
            &Int(9_007_199_254_740_993),
            &Float(9_007_199_254_740_992.0)
        ));
        assert!(py_eq(&Null, &Null));
    }

    #[test]
    fn python_ordering() {
        assert_eq!(py_cmp(&Bool(true), &Int(0)), Some(Ordering::Greater));
        assert_eq!(py_cmp(&Str("never".into()), &Int(0)), None);
        assert_eq!(py_cmp(&Int(2), &Float(1.5)), Some(Ordering::Greater));
        assert_eq!(py_cmp(&Int(-2), &Float(-1.5)), Some(Ordering::Less));
        assert_eq!(py_cmp(&Float(f64::NAN), &Int(0)), None);
        assert_eq!(
            py_cmp(&List(vec![Int(1), Int(2)]), &List(vec![Int(1)])),
            Some(Ordering::Greater)
        );
    }

    #[test]
    fn operators_on_absent() {
        assert!(compare(CompareOp::Eq, &Null, &Null));
        assert!(!compare(CompareOp::Ne, &Null, &Int(1)));
        assert!(!compare(CompareOp::Lt, &Null, &Int(1)));
        assert!(!compare(CompareOp::NotIn, &Null, &List(vec![Int(1)])));
        assert!(compare(CompareOp::In, &Null, &List(vec![Null])));
        assert!(!compare(CompareOp::TypeIsNot, &Null, &Str("int".into())));
    }

    #[test]
    fn divisibility_needs_non_bool_ints() {
        assert!(compare(CompareOp::NotDivisibleBy, &Int(3), &Int(2)));
        assert!(!compare(CompareOp::NotDivisibleBy, &Int(3), &Int(0)));
        assert!(!compare(CompareOp::DivisibleBy, &Int(3), &Int(0)));
        assert!(!compare(CompareOp::DivisibleBy, &Bool(true), &Int(1)));
        assert!(compare(CompareOp::DivisibleBy, &Int(i64::MIN), &Int(-1)));
    }

    #[test]
    fn arithmetic_follows_python() {
        assert_eq!(arith(ArithOp::Mod, &Int(-7), &Int(3)), Some(Int(2)));
        assert_eq!(arith(ArithOp::Mod, &Float(-7.0), &Int(3)), Some(Float(2.0)));
        assert_eq!(arith(ArithOp::Mod, &Int(1), &Int(0)), None);
        assert_eq!(arith(ArithOp::Add, &Int(i64::MAX), &Int(1)), None);
        assert_eq!(arith(ArithOp::Add, &Bool(true), &Int(1)), Some(Int(2)));
    }

    #[test]
    fn identity_is_not_equality() {
        assert!(is(&Bool(false), IsTarget::False));
        assert!(!is(&Int(0), IsTarget::False));
        assert!(is(&Null, IsTarget::Null));
    }

    #[test]
    fn python_float_repr() {
        assert_eq!(python_float(1.0), "1.0");
        assert_eq!(python_float(0.1), "0.1");
        assert_eq!(python_float(1e16), "1e+16");
        assert_eq!(python_float(1e-5), "1e-05");
        assert_eq!(
            repr(&List(vec![Str("a".into()), Bool(true), Null])),
            "['a', True, None]"
        );
    }
}
