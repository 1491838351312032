//! The pretty-printer: AST → canonical text that re-parses to the same tree (spans aside).
//!
//! Both the printer and [`strip_spans`] walk the tree with an explicit stack, so a tree built by
//! code (not by the parser, which bounds the depth) cannot overflow the stack here either.

use std::fmt::{self, Write as _};

use crate::ast::{ArithOp, Expr, ExprKind, Literal, Operand, OperandKind, Span};

/// Precedence of a predicate form: `or` < `and` < `not` < a test.
fn expr_prec(expr: &Expr) -> u8 {
    match &expr.kind {
        ExprKind::Or(_) => 1,
        ExprKind::And(_) => 2,
        ExprKind::Not(_) => 3,
        ExprKind::Compare { .. } | ExprKind::Presence { .. } | ExprKind::Is { .. } => 4,
    }
}

/// Precedence of an arithmetic operator: `+ -` < `* %`.
fn arith_prec(op: ArithOp) -> u8 {
    match op {
        ArithOp::Add | ArithOp::Sub => 1,
        ArithOp::Mul | ArithOp::Mod => 2,
    }
}

/// Precedence of an operand form: `+ -` < `* %` < unary `-` < everything else.
fn operand_prec(operand: &Operand) -> u8 {
    match &operand.kind {
        OperandKind::Arith { op, .. } => arith_prec(*op),
        OperandKind::Neg(_) => 3,
        _ => 4,
    }
}

/// One piece of pending output.
enum Job<'a> {
    /// An expression, parenthesised when its precedence is below the minimum.
    Expr(&'a Expr, u8),
    /// An operand, parenthesised when its precedence is below the minimum.
    Operand(&'a Operand, u8),
    /// Literal text.
    Text(&'static str),
}

/// Writes an expression as canonical text with as few parentheses as its structure needs.
///
/// The text re-parses with [`crate::parse_predicate`] to the same tree up to spans, provided the
/// tree is one the parser can produce: `Or`/`And` with at least two children, finite floats,
/// field paths made of identifiers that are not keywords.
pub fn print_expr(expr: &Expr) -> String {
    let mut out = String::new();
    run(&mut out, Job::Expr(expr, 0));
    out
}

/// Writes an operand as canonical text (see [`print_expr`]).
pub fn print_operand(operand: &Operand) -> String {
    let mut out = String::new();
    run(&mut out, Job::Operand(operand, 0));
    out
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&print_expr(self))
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&print_operand(self))
    }
}

/// Pushes `items` separated by `sep` (in reverse, since the stack pops last-in first).
fn push_separated<'a, T>(
    stack: &mut Vec<Job<'a>>,
    items: &'a [T],
    sep: &'static str,
    job: impl Fn(&'a T) -> Job<'a>,
) {
    for (i, item) in items.iter().enumerate().rev() {
        stack.push(job(item));
        if i > 0 {
            stack.push(Job::Text(sep));
        }
    }
}

fn run(out: &mut String, first: Job<'_>) {
    let mut stack = vec![first];
    while let Some(job) = stack.pop() {
        match job {
            Job::Text(text) => out.push_str(text),
            Job::Expr(expr, min) => {
                let paren = expr_prec(expr) < min;
                if paren {
                    out.push('(');
                    stack.push(Job::Text(")"));
                }
                match &expr.kind {
                    ExprKind::Or(children) => {
                        push_separated(&mut stack, children, " or ", |c| Job::Expr(c, 2));
                    }
                    ExprKind::And(children) => {
                        push_separated(&mut stack, children, " and ", |c| Job::Expr(c, 3));
                    }
                    ExprKind::Not(inner) => {
                        stack.push(Job::Expr(inner, 3));
                        stack.push(Job::Text("not "));
                    }
                    ExprKind::Compare { lhs, op, rhs } => {
                        stack.push(Job::Operand(rhs, 0));
                        stack.push(Job::Text(" "));
                        stack.push(Job::Text(op.as_str()));
                        stack.push(Job::Text(" "));
                        stack.push(Job::Operand(lhs, 0));
                    }
                    ExprKind::Presence { operand, present } => {
                        stack.push(Job::Text(if *present { " present" } else { " absent" }));
                        stack.push(Job::Operand(operand, 0));
                    }
                    ExprKind::Is {
                        operand,
                        negated,
                        target,
                    } => {
                        stack.push(Job::Text(target.as_str()));
                        stack.push(Job::Text(if *negated { " is not " } else { " is " }));
                        stack.push(Job::Operand(operand, 0));
                    }
                }
            }
            Job::Operand(operand, min) => {
                let paren = operand_prec(operand) < min;
                if paren {
                    out.push('(');
                    stack.push(Job::Text(")"));
                }
                match &operand.kind {
                    OperandKind::Field(path) => out.push_str(&path.dotted()),
                    OperandKind::Ref(path) => {
                        out.push('@');
                        out.push_str(&path.dotted());
                    }
                    OperandKind::Literal(literal) => write_literal(out, literal),
                    OperandKind::List(items) => {
                        out.push('[');
                        stack.push(Job::Text("]"));
                        push_separated(&mut stack, items, ", ", |c| Job::Operand(c, 0));
                    }
                    OperandKind::Len(inner) => {
                        out.push_str("len(");
                        stack.push(Job::Text(")"));
                        stack.push(Job::Operand(inner, 0));
                    }
                    OperandKind::Neg(inner) => {
                        // `-3` would read back as a negative literal; `- 3` keeps the `Neg`
                        // without adding a level of parentheses.
                        let numeric = matches!(
                            inner.kind,
                            OperandKind::Literal(Literal::Int(_) | Literal::Float(_))
                        );
                        out.push_str(if numeric { "- " } else { "-" });
                        stack.push(Job::Operand(inner, 3));
                    }
                    OperandKind::Arith { op, lhs, rhs } => {
                        let p = arith_prec(*op);
                        stack.push(Job::Operand(rhs, p + 1));
                        stack.push(Job::Text(" "));
                        stack.push(Job::Text(op.as_str()));
                        stack.push(Job::Text(" "));
                        stack.push(Job::Operand(lhs, p));
                    }
                }
            }
        }
    }
}

/// Writes a literal so that it reads back as the same value.
fn write_literal(out: &mut String, literal: &Literal) {
    match literal {
        Literal::Null => out.push_str("null"),
        Literal::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Literal::Int(v) => {
            let _ = write!(out, "{v}");
        }
        // `Debug` prints the shortest text that reads back as the same f64, and always with a
        // `.` or an exponent (`1.0`, `1e300`, `1.5e-7`), which is what the grammar wants.
        Literal::Float(v) => {
            let _ = write!(out, "{v:?}");
        }
        Literal::Str(s) => write_string(out, s),
    }
}

/// Writes a double-quoted string literal, escaping what the grammar needs escaped.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A mutable node met while stripping spans.
enum Node<'a> {
    Expr(&'a mut Expr),
    Operand(&'a mut Operand),
}

/// Sets every span in the tree to [`Span::default()`], so that trees can be compared by structure.
pub fn strip_spans(expr: &mut Expr) {
    let mut stack = vec![Node::Expr(expr)];
    while let Some(node) = stack.pop() {
        match node {
            Node::Expr(Expr { kind, span }) => {
                *span = Span::default();
                match kind {
                    ExprKind::Or(children) | ExprKind::And(children) => {
                        stack.extend(children.iter_mut().map(Node::Expr));
                    }
                    ExprKind::Not(inner) => stack.push(Node::Expr(inner)),
                    ExprKind::Compare { lhs, rhs, .. } => {
                        stack.push(Node::Operand(lhs));
                        stack.push(Node::Operand(rhs));
                    }
                    ExprKind::Presence { operand, .. } | ExprKind::Is { operand, .. } => {
                        stack.push(Node::Operand(operand));
                    }
                }
            }
            Node::Operand(operand) => strip_node(operand, &mut stack),
        }
    }
}

/// Sets every span of an operand tree to [`Span::default()`].
pub fn strip_operand_spans(operand: &mut Operand) {
    let mut stack = vec![Node::Operand(operand)];
    while let Some(node) = stack.pop() {
        match node {
            Node::Expr(expr) => strip_spans(expr),
            Node::Operand(operand) => strip_node(operand, &mut stack),
        }
    }
}

fn strip_node<'a>(operand: &'a mut Operand, stack: &mut Vec<Node<'a>>) {
    let Operand { kind, span } = operand;
    *span = Span::default();
    match kind {
        OperandKind::Field(_) | OperandKind::Ref(_) | OperandKind::Literal(_) => {}
        OperandKind::List(items) => stack.extend(items.iter_mut().map(Node::Operand)),
        OperandKind::Len(inner) | OperandKind::Neg(inner) => stack.push(Node::Operand(inner)),
        OperandKind::Arith { lhs, rhs, .. } => {
            stack.push(Node::Operand(lhs));
            stack.push(Node::Operand(rhs));
        }
    }
}

#[cfg(test)]
mod tests;
