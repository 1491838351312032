//! Conversion from the parser crate's tree into [`super::ast`]. The only file that names the
//! parser's types.

use super::ast::{
    BinOp, BoolOp, Clause, CmpOp, Expr, ExprKind, FPart, Param, Stmt, StmtKind, UnaryOp,
};
use ruff_python_ast as r;
use ruff_text_size::Ranged;

fn range_of(node: &impl Ranged) -> (u32, u32) {
    let range = node.range();
    (u32::from(range.start()), u32::from(range.end()))
}

pub(super) fn suite(stmts: &[r::Stmt]) -> Vec<Stmt> {
    stmts.iter().map(stmt).collect()
}

fn stmt(s: &r::Stmt) -> Stmt {
    let (start, end) = range_of(s);
    let kind = match s {
        r::Stmt::ClassDef(c) => class_def(c),
        r::Stmt::FunctionDef(f) => function_def(f),
        r::Stmt::If(i) => StmtKind::If {
            test: expr(&i.test),
            body: suite(&i.body),
            clauses: i
                .elif_else_clauses
                .iter()
                .map(|c| Clause {
                    test: c.test.as_ref().map(expr),
                    body: suite(&c.body),
                })
                .collect(),
        },
        r::Stmt::For(f) => StmtKind::For {
            target: expr(&f.target),
            iter: expr(&f.iter),
            body: suite(&f.body),
            orelse: suite(&f.orelse),
        },
        r::Stmt::While(w) => StmtKind::While {
            test: expr(&w.test),
            body: suite(&w.body),
        },
        r::Stmt::Try(t) => StmtKind::Try {
            body: suite(&t.body),
            handlers: t
                .handlers
                .iter()
                .map(|h| match h {
                    r::ExceptHandler::ExceptHandler(h) => suite(&h.body),
                })
                .collect(),
            orelse: suite(&t.orelse),
            finalbody: suite(&t.finalbody),
        },
        r::Stmt::With(w) => StmtKind::With {
            body: suite(&w.body),
        },
        r::Stmt::Assign(a) => StmtKind::Assign {
            targets: a.targets.iter().map(expr).collect(),
            value: expr(&a.value),
        },
        r::Stmt::AnnAssign(a) => StmtKind::AnnAssign {
            target: expr(&a.target),
            annotation: expr(&a.annotation),
            value: a.value.as_deref().map(expr),
        },
        r::Stmt::AugAssign(a) => StmtKind::AugAssign {
            target: expr(&a.target),
            op: bin_op(a.op),
            value: expr(&a.value),
        },
        r::Stmt::Expr(e) => StmtKind::Expr(expr(&e.value)),
        r::Stmt::Raise(rs) => StmtKind::Raise(rs.exc.as_deref().map(expr)),
        r::Stmt::Assert(a) => StmtKind::Assert {
            test: expr(&a.test),
            msg: a.msg.as_deref().map(expr),
        },
        r::Stmt::Return(rt) => StmtKind::Return(rt.value.as_deref().map(expr)),
        r::Stmt::Import(i) => StmtKind::Import(aliases(&i.names)),
        r::Stmt::ImportFrom(i) => StmtKind::ImportFrom {
            module: i.module.as_ref().map(|m| m.as_str().to_owned()),
            level: i.level,
            names: aliases(&i.names),
        },
        _ => StmtKind::Other,
    };
    Stmt { kind, start, end }
}

fn class_def(c: &r::StmtClassDef) -> StmtKind {
    StmtKind::ClassDef {
        name: c.name.as_str().to_owned(),
        decorators: decorators(&c.decorator_list),
        bases: c.bases().iter().map(expr).collect(),
        body: suite(&c.body),
    }
}

fn function_def(f: &r::StmtFunctionDef) -> StmtKind {
    StmtKind::FunctionDef {
        name: f.name.as_str().to_owned(),
        decorators: decorators(&f.decorator_list),
        params: f
            .parameters
            .iter_non_variadic_params()
            .map(|p| Param {
                name: p.parameter.name.as_str().to_owned(),
                default: p.default.as_deref().map(expr),
                annotation: p.parameter.annotation.as_deref().map(expr),
            })
            .collect(),
        kwarg: f
            .parameters
            .kwarg
            .as_ref()
            .map(|k| k.name.as_str().to_owned()),
        body: suite(&f.body),
    }
}

fn decorators(list: &[r::Decorator]) -> Vec<Expr> {
    list.iter().map(|d| expr(&d.expression)).collect()
}

/// `import a as b` / `from m import a as b` names: `(a, b)`.
fn aliases(names: &[r::Alias]) -> Vec<(String, Option<String>)> {
    names
        .iter()
        .map(|a| {
            (
                a.name.as_str().to_owned(),
                a.asname.as_ref().map(|n| n.as_str().to_owned()),
            )
        })
        .collect()
}

fn bin_op(op: r::Operator) -> BinOp {
    match op {
        r::Operator::Add => BinOp::Add,
        r::Operator::Sub => BinOp::Sub,
        r::Operator::Mult => BinOp::Mul,
        r::Operator::Div => BinOp::Div,
        r::Operator::FloorDiv => BinOp::FloorDiv,
        r::Operator::Mod => BinOp::Mod,
        r::Operator::Pow => BinOp::Pow,
        r::Operator::BitOr => BinOp::BitOr,
        _ => BinOp::Other,
    }
}

fn cmp_op(op: r::CmpOp) -> CmpOp {
    match op {
        r::CmpOp::Eq => CmpOp::Eq,
        r::CmpOp::NotEq => CmpOp::NotEq,
        r::CmpOp::Lt => CmpOp::Lt,
        r::CmpOp::LtE => CmpOp::LtE,
        r::CmpOp::Gt => CmpOp::Gt,
        r::CmpOp::GtE => CmpOp::GtE,
        r::CmpOp::Is => CmpOp::Is,
        r::CmpOp::IsNot => CmpOp::IsNot,
        r::CmpOp::In => CmpOp::In,
        r::CmpOp::NotIn => CmpOp::NotIn,
    }
}

fn boxed(e: &r::Expr) -> Box<Expr> {
    Box::new(expr(e))
}

fn interpolated(elements: &r::InterpolatedStringElements, out: &mut Vec<FPart>) {
    for element in elements.iter() {
        match element {
            r::InterpolatedStringElement::Literal(lit) => push_lit(out, &lit.value),
            r::InterpolatedStringElement::Interpolation(i) => {
                let spec = i.format_spec.as_ref().map(|spec| {
                    let mut text = String::new();
                    for e in spec.elements.iter() {
                        match e {
                            r::InterpolatedStringElement::Literal(l) => text.push_str(&l.value),
                            r::InterpolatedStringElement::Interpolation(_) => text.push_str("{…}"),
                        }
                    }
                    text
                });
                out.push(FPart::Interp {
                    expr: expr(&i.expression),
                    conversion: i.conversion.to_char(),
                    spec,
                });
            }
        }
    }
}

fn push_lit(out: &mut Vec<FPart>, text: &str) {
    if let Some(FPart::Lit(prev)) = out.last_mut() {
        prev.push_str(text);
    } else {
        out.push(FPart::Lit(text.to_owned()));
    }
}

fn expr(e: &r::Expr) -> Expr {
    let (start, end) = range_of(e);
    let kind = match e {
        r::Expr::Name(n) => ExprKind::Name(n.id.as_str().to_owned()),
        r::Expr::Attribute(a) => ExprKind::Attribute {
            value: boxed(&a.value),
            attr: a.attr.as_str().to_owned(),
        },
        r::Expr::NoneLiteral(_) => ExprKind::None,
        r::Expr::BooleanLiteral(b) => ExprKind::Bool(b.value),
        r::Expr::NumberLiteral(n) => match &n.value {
            r::Number::Int(i) => match i.as_i64() {
                Some(v) => ExprKind::Int(v),
                None => ExprKind::OtherNumber(i.to_string()),
            },
            r::Number::Float(f) => ExprKind::Float(*f),
            r::Number::Complex { .. } => ExprKind::OtherNumber("complex".to_owned()),
        },
        r::Expr::StringLiteral(s) => ExprKind::Str(s.value.to_str().to_owned()),
        r::Expr::FString(f) => {
            let mut parts = Vec::new();
            for part in f.value.iter() {
                match part {
                    r::FStringPart::Literal(lit) => push_lit(&mut parts, lit.as_str()),
                    r::FStringPart::FString(fs) => interpolated(&fs.elements, &mut parts),
                }
            }
            ExprKind::FString(parts)
        }
        r::Expr::BoolOp(b) => ExprKind::BoolOp {
            op: match b.op {
                r::BoolOp::And => BoolOp::And,
                r::BoolOp::Or => BoolOp::Or,
            },
            values: b.values.iter().map(expr).collect(),
        },
        r::Expr::UnaryOp(u) => ExprKind::Unary {
            op: match u.op {
                r::UnaryOp::Not => UnaryOp::Not,
                r::UnaryOp::USub => UnaryOp::Neg,
                r::UnaryOp::UAdd => UnaryOp::Pos,
                r::UnaryOp::Invert => UnaryOp::Invert,
            },
            operand: boxed(&u.operand),
        },
        r::Expr::BinOp(b) => ExprKind::BinOp {
            left: boxed(&b.left),
            op: bin_op(b.op),
            right: boxed(&b.right),
        },
        r::Expr::Compare(c) => ExprKind::Compare {
            left: boxed(&c.left),
            ops: c.ops.iter().copied().map(cmp_op).collect(),
            comparators: c.comparators.iter().map(expr).collect(),
        },
        r::Expr::Call(c) => ExprKind::Call {
            func: boxed(&c.func),
            args: c.arguments.args.iter().map(expr).collect(),
            keywords: c
                .arguments
                .keywords
                .iter()
                .map(|k| {
                    (
                        k.arg.as_ref().map(|a| a.as_str().to_owned()),
                        expr(&k.value),
                    )
                })
                .collect(),
        },
        r::Expr::Tuple(t) => ExprKind::Tuple(t.elts.iter().map(expr).collect()),
        r::Expr::List(l) => ExprKind::List(l.elts.iter().map(expr).collect()),
        r::Expr::Set(s) => ExprKind::Set(s.elts.iter().map(expr).collect()),
        r::Expr::Dict(d) => ExprKind::Dict(
            d.items
                .iter()
                .map(|item| (item.key.as_ref().map(expr), expr(&item.value)))
                .collect(),
        ),
        r::Expr::Subscript(s) => ExprKind::Subscript {
            value: boxed(&s.value),
            index: boxed(&s.slice),
        },
        r::Expr::If(i) => ExprKind::IfExp {
            test: boxed(&i.test),
            body: boxed(&i.body),
            orelse: boxed(&i.orelse),
        },
        r::Expr::Starred(s) => ExprKind::Starred(boxed(&s.value)),
        _ => ExprKind::Other,
    };
    Expr { kind, start, end }
}
