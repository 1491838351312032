//! The abstract syntax tree of the predicate language.
//!
//! Both spellings of a predicate (the textual `when:` expression and the v1 `match.fields` map)
//! produce this tree. Every node carries the byte [`Span`] of the source it came from, so that
//! diagnostics can point inside a `when:` string or at a map entry of a corpus file.

use std::fmt;

/// A half-open byte range `[start, end)` into a source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// Offset of the first byte.
    pub start: u32,
    /// Offset one past the last byte.
    pub end: u32,
}

impl Span {
    /// A span from two byte offsets (saturating at `u32::MAX`).
    pub fn new(start: usize, end: usize) -> Self {
        let clamp = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        Span {
            start: clamp(start),
            end: clamp(end),
        }
    }

    /// The smallest span covering both `self` and `other`.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// This span moved right by `offset` bytes (used to place a `when:` string inside its file).
    pub fn shifted(self, offset: u32) -> Span {
        Span {
            start: self.start.saturating_add(offset),
            end: self.end.saturating_add(offset),
        }
    }

    /// The span as a `usize` range, for slicing and for codespan-reporting.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A boolean predicate: the `when:` of a rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What the predicate is.
    pub kind: ExprKind,
    /// Where it was written.
    pub span: Span,
}

/// The forms a predicate takes.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// `a or b or ...` (at least two operands).
    Or(Vec<Expr>),
    /// `a and b and ...` (at least two operands).
    And(Vec<Expr>),
    /// `not a`.
    Not(Box<Expr>),
    /// A binary test: `lhs op rhs`.
    Compare {
        /// Left operand (usually a field).
        lhs: Operand,
        /// The operator.
        op: CompareOp,
        /// Right operand.
        rhs: Operand,
    },
    /// `operand present` / `operand absent`.
    Presence {
        /// The tested operand (a field or reference).
        operand: Operand,
        /// `true` for `present`, `false` for `absent`.
        present: bool,
    },
    /// An identity test: `operand is null`, `operand is not true`, ...
    Is {
        /// The tested operand.
        operand: Operand,
        /// `is not` rather than `is`.
        negated: bool,
        /// The singleton compared against.
        target: IsTarget,
    },
}

/// Binary test operators. Word aliases (`equals`, `not_equal`) map onto the symbol forms.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum CompareOp {
    /// `==` / `equals`: Python equality (absent compares as null).
    Eq,
    /// `!=` / `not_equal`: inequality; does not hold when either side is absent.
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `in`: membership in a list.
    In,
    /// `not_in`: non-membership in a list; does not hold on an absent operand.
    NotIn,
    /// `type_is`: the Python type name of the value is one of the names.
    TypeIs,
    /// `type_is_not`: the Python type name of the value is none of the names.
    TypeIsNot,
    /// `divisible_by`: two non-bool ints, non-zero divisor, remainder zero.
    DivisibleBy,
    /// `not_divisible_by`: two non-bool ints, non-zero divisor, remainder non-zero.
    NotDivisibleBy,
}

impl CompareOp {
    /// Every operator, in declaration order.
    pub const ALL: [CompareOp; 12] = [
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Lt,
        CompareOp::Le,
        CompareOp::Gt,
        CompareOp::Ge,
        CompareOp::In,
        CompareOp::NotIn,
        CompareOp::TypeIs,
        CompareOp::TypeIsNot,
        CompareOp::DivisibleBy,
        CompareOp::NotDivisibleBy,
    ];

    /// The canonical spelling, as the pretty-printer writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
            CompareOp::In => "in",
            CompareOp::NotIn => "not_in",
            CompareOp::TypeIs => "type_is",
            CompareOp::TypeIsNot => "type_is_not",
            CompareOp::DivisibleBy => "divisible_by",
            CompareOp::NotDivisibleBy => "not_divisible_by",
        }
    }

    /// Parses any accepted spelling (symbol or word) of a binary operator.
    pub fn from_name(name: &str) -> Option<CompareOp> {
        Some(match name {
            "==" | "equals" => CompareOp::Eq,
            "!=" | "not_equal" => CompareOp::Ne,
            "<" => CompareOp::Lt,
            "<=" => CompareOp::Le,
            ">" => CompareOp::Gt,
            ">=" => CompareOp::Ge,
            "in" => CompareOp::In,
            "not_in" => CompareOp::NotIn,
            "type_is" => CompareOp::TypeIs,
            "type_is_not" => CompareOp::TypeIsNot,
            "divisible_by" => CompareOp::DivisibleBy,
            "not_divisible_by" => CompareOp::NotDivisibleBy,
            _ => return None,
        })
    }

    /// Whether this is an ordering operator (`<`, `<=`, `>`, `>=`).
    pub fn is_ordering(self) -> bool {
        matches!(
            self,
            CompareOp::Lt | CompareOp::Le | CompareOp::Gt | CompareOp::Ge
        )
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The singletons an `is` test compares against.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum IsTarget {
    /// `null` (Python `None`); an absent field is null.
    Null,
    /// `true` (Python `True`, not `1`).
    True,
    /// `false` (Python `False`, not `0`).
    False,
}

impl IsTarget {
    /// The keyword as written.
    pub fn as_str(self) -> &'static str {
        match self {
            IsTarget::Null => "null",
            IsTarget::True => "true",
            IsTarget::False => "false",
        }
    }
}

/// A value-producing operand of a test.
#[derive(Clone, Debug, PartialEq)]
pub struct Operand {
    /// What the operand is.
    pub kind: OperandKind,
    /// Where it was written.
    pub span: Span,
}

/// The forms an operand takes.
#[derive(Clone, Debug, PartialEq)]
pub enum OperandKind {
    /// A bare field path: `num_beams`, `watermarking_config.bias`.
    Field(FieldPath),
    /// A field reference: `@num_beam_groups` (a sibling of the tested field) or
    /// `@a.b.c` (from the root).
    Ref(FieldPath),
    /// A scalar literal.
    Literal(Literal),
    /// A list literal: `[1, "a", @x]`.
    List(Vec<Operand>),
    /// `len(operand)`: length of a string, list or dict.
    Len(Box<Operand>),
    /// Unary minus on a non-literal operand (`-x`); `-3` parses as a literal.
    Neg(Box<Operand>),
    /// Arithmetic: `lhs op rhs`.
    Arith {
        /// The operator.
        op: ArithOp,
        /// Left operand.
        lhs: Box<Operand>,
        /// Right operand.
        rhs: Box<Operand>,
    },
}

/// A dotted field path, one string per segment.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldPath {
    /// The path's segments, never empty.
    pub segments: Vec<String>,
}

impl FieldPath {
    /// A path from its dotted spelling (`a.b.c`).
    pub fn parse_dotted(text: &str) -> FieldPath {
        FieldPath {
            segments: text.split('.').map(str::to_owned).collect(),
        }
    }

    /// The dotted spelling.
    pub fn dotted(&self) -> String {
        self.segments.join(".")
    }

    /// The last segment (the field's own name).
    pub fn last(&self) -> &str {
        self.segments.last().map(String::as_str).unwrap_or("")
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.dotted())
    }
}

/// Scalar literals.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A 64-bit integer.
    Int(i64),
    /// A 64-bit float (`1.5`, `1e-3`, `2.0E+10`).
    Float(f64),
    /// A string (escapes already decoded).
    Str(String),
}

/// Arithmetic operators.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `%` (Python's floored modulo; a zero divisor makes the operand invalid).
    Mod,
}

impl ArithOp {
    /// The operator symbol.
    pub fn as_str(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Mod => "%",
        }
    }
}
