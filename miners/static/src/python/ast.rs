//! llemc's own small view of a Python syntax tree: only what the miners read, with byte offsets.
//! Nothing here depends on the parser crate.

/// A parsed module: its statements and the text they point into.
#[derive(Clone, Debug)]
pub struct Module {
    /// Top-level statements.
    pub body: Vec<Stmt>,
    /// The source text.
    pub source: String,
    /// Byte offset of the start of each line.
    line_starts: Vec<u32>,
}

impl Module {
    /// A module from its statements and source.
    pub fn new(body: Vec<Stmt>, source: String) -> Self {
        let mut line_starts = vec![0u32];
        for (i, b) in source.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(u32::try_from(i + 1).unwrap_or(u32::MAX));
            }
        }
        Module {
            body,
            source,
            line_starts,
        }
    }

    /// The 1-based line holding byte `offset`.
    pub fn line_of(&self, offset: u32) -> u32 {
        let idx = self.line_starts.partition_point(|&s| s <= offset);
        u32::try_from(idx).unwrap_or(u32::MAX).max(1)
    }

    /// The source text of a byte range (empty when out of range).
    pub fn text(&self, start: u32, end: u32) -> &str {
        self.source.get(start as usize..end as usize).unwrap_or("")
    }

    /// The source text of an expression.
    pub fn expr_text(&self, expr: &Expr) -> &str {
        self.text(expr.start, expr.end)
    }
}

/// A statement with its byte range.
#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    /// What it is.
    pub kind: StmtKind,
    /// Start offset.
    pub start: u32,
    /// End offset.
    pub end: u32,
}

/// One `elif` / `else` clause (`test` is `None` for `else`).
#[derive(Clone, Debug, PartialEq)]
pub struct Clause {
    /// The `elif` condition.
    pub test: Option<Expr>,
    /// Its body.
    pub body: Vec<Stmt>,
}

/// A function parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// Its name.
    pub name: String,
    /// Its default value.
    pub default: Option<Expr>,
    /// Its annotation.
    pub annotation: Option<Expr>,
}

/// The statements the miners tell apart.
#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// `class name(bases): body`.
    ClassDef {
        /// Class name.
        name: String,
        /// Decorators.
        decorators: Vec<Expr>,
        /// Base classes (positional arguments of the class statement).
        bases: Vec<Expr>,
        /// Body.
        body: Vec<Stmt>,
    },
    /// `def name(params): body`.
    FunctionDef {
        /// Function name.
        name: String,
        /// Decorators.
        decorators: Vec<Expr>,
        /// Non-variadic parameters in order.
        params: Vec<Param>,
        /// The `**kwargs` parameter's name.
        kwarg: Option<String>,
        /// Body.
        body: Vec<Stmt>,
    },
    /// `if test: body` with its `elif` / `else` clauses.
    If {
        /// Condition.
        test: Expr,
        /// Body.
        body: Vec<Stmt>,
        /// `elif` / `else` clauses in order.
        clauses: Vec<Clause>,
    },
    /// `for target in iter: body`.
    For {
        /// Loop variable(s).
        target: Expr,
        /// Iterable.
        iter: Expr,
        /// Body.
        body: Vec<Stmt>,
        /// `else:` body.
        orelse: Vec<Stmt>,
    },
    /// `while test: body`.
    While {
        /// Condition.
        test: Expr,
        /// Body.
        body: Vec<Stmt>,
    },
    /// `try` with handlers.
    Try {
        /// Body.
        body: Vec<Stmt>,
        /// Each `except` body.
        handlers: Vec<Vec<Stmt>>,
        /// `else:` body.
        orelse: Vec<Stmt>,
        /// `finally:` body.
        finalbody: Vec<Stmt>,
    },
    /// `with ...: body`.
    With {
        /// Body.
        body: Vec<Stmt>,
    },
    /// `a = b = value`.
    Assign {
        /// Targets.
        targets: Vec<Expr>,
        /// Value.
        value: Expr,
    },
    /// `target: annotation = value`.
    AnnAssign {
        /// Target.
        target: Expr,
        /// Annotation.
        annotation: Expr,
        /// Value.
        value: Option<Expr>,
    },
    /// `target op= value`.
    AugAssign {
        /// Target.
        target: Expr,
        /// Operator.
        op: BinOp,
        /// Value.
        value: Expr,
    },
    /// An expression statement.
    Expr(Expr),
    /// `raise exc`.
    Raise(Option<Expr>),
    /// `assert test, msg`.
    Assert {
        /// Condition.
        test: Expr,
        /// Message.
        msg: Option<Expr>,
    },
    /// `return value`.
    Return(Option<Expr>),
    /// `import a.b as c`.
    Import(Vec<(String, Option<String>)>),
    /// `from module import a as b` (`level` leading dots).
    ImportFrom {
        /// Module after the dots.
        module: Option<String>,
        /// Number of leading dots.
        level: u32,
        /// Imported names and aliases.
        names: Vec<(String, Option<String>)>,
    },
    /// `pass`, `break`, `continue`, and anything else the miners ignore.
    Other,
}

impl Stmt {
    /// The statement blocks nested in this statement, in source order: the bodies of `if` and its
    /// clauses, of `for` (and its `else`), `while`, `with`, `try` (each handler, `else`,
    /// `finally`) and of class and function definitions.
    pub fn blocks(&self) -> Vec<&[Stmt]> {
        match &self.kind {
            StmtKind::ClassDef { body, .. }
            | StmtKind::FunctionDef { body, .. }
            | StmtKind::While { body, .. }
            | StmtKind::With { body } => vec![body],
            StmtKind::If { body, clauses, .. } => std::iter::once(body.as_slice())
                .chain(clauses.iter().map(|c| c.body.as_slice()))
                .collect(),
            StmtKind::For { body, orelse, .. } => vec![body, orelse],
            StmtKind::Try {
                body,
                handlers,
                orelse,
                finalbody,
            } => std::iter::once(body.as_slice())
                .chain(handlers.iter().map(Vec::as_slice))
                .chain([orelse.as_slice(), finalbody.as_slice()])
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The expressions this statement evaluates itself (not those of its nested blocks, nor
    /// assignment targets, annotations, decorators or parameter defaults): conditions,
    /// iterables, assigned, returned and raised values, assertions.
    pub fn exprs(&self) -> Vec<&Expr> {
        match &self.kind {
            StmtKind::If { test, clauses, .. } => std::iter::once(test)
                .chain(clauses.iter().filter_map(|c| c.test.as_ref()))
                .collect(),
            StmtKind::For { iter, .. } => vec![iter],
            StmtKind::While { test, .. } => vec![test],
            StmtKind::Assign { value, .. }
            | StmtKind::AugAssign { value, .. }
            | StmtKind::Expr(value)
            | StmtKind::Return(Some(value))
            | StmtKind::Raise(Some(value))
            | StmtKind::AnnAssign {
                value: Some(value), ..
            } => vec![value],
            StmtKind::Assert { test, msg } => std::iter::once(test).chain(msg).collect(),
            _ => Vec::new(),
        }
    }
}

/// An expression with its byte range.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Start offset.
    pub start: u32,
    /// End offset.
    pub end: u32,
}

/// `and` / `or`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoolOp {
    /// `and`
    And,
    /// `or`
    Or,
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// `not`
    Not,
    /// `-`
    Neg,
    /// `+`
    Pos,
    /// `~`
    Invert,
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `//`
    FloorDiv,
    /// `%`
    Mod,
    /// `**`
    Pow,
    /// `|` (also union types in annotations).
    BitOr,
    /// Any other operator (`@`, shifts, bit operations).
    Other,
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `!=`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    LtE,
    /// `>`
    Gt,
    /// `>=`
    GtE,
    /// `is`
    Is,
    /// `is not`
    IsNot,
    /// `in`
    In,
    /// `not in`
    NotIn,
}

/// One piece of an f-string.
#[derive(Clone, Debug, PartialEq)]
pub enum FPart {
    /// Literal text (braces already unescaped).
    Lit(String),
    /// `{expr!conv:spec}`.
    Interp {
        /// The interpolated expression.
        expr: Expr,
        /// `r`, `s` or `a`.
        conversion: Option<char>,
        /// The format spec's literal text, if any (`None` when absent).
        spec: Option<String>,
    },
}

/// The expressions the miners tell apart.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A name.
    Name(String),
    /// `value.attr`.
    Attribute {
        /// Object.
        value: Box<Expr>,
        /// Attribute name.
        attr: String,
    },
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// Any other number literal (big integers, complex), as written.
    OtherNumber(String),
    /// A float.
    Float(f64),
    /// A string literal (implicit concatenation joined).
    Str(String),
    /// An f-string (implicit concatenation with plain literals joined).
    FString(Vec<FPart>),
    /// `a and b and c`.
    BoolOp {
        /// Operator.
        op: BoolOp,
        /// Operands.
        values: Vec<Expr>,
    },
    /// `op operand`.
    Unary {
        /// Operator.
        op: UnaryOp,
        /// Operand.
        operand: Box<Expr>,
    },
    /// `left op right`.
    BinOp {
        /// Left.
        left: Box<Expr>,
        /// Operator.
        op: BinOp,
        /// Right.
        right: Box<Expr>,
    },
    /// `left op1 c1 op2 c2 ...`.
    Compare {
        /// First operand.
        left: Box<Expr>,
        /// Operators.
        ops: Vec<CmpOp>,
        /// Further operands.
        comparators: Vec<Expr>,
    },
    /// `func(args, key=value)`.
    Call {
        /// Callee.
        func: Box<Expr>,
        /// Positional arguments.
        args: Vec<Expr>,
        /// Keyword arguments (`None` key: `**mapping`).
        keywords: Vec<(Option<String>, Expr)>,
    },
    /// `(a, b)`.
    Tuple(Vec<Expr>),
    /// `[a, b]`.
    List(Vec<Expr>),
    /// `{a, b}`.
    Set(Vec<Expr>),
    /// `{k: v}` (`None` key: `**mapping`).
    Dict(Vec<(Option<Expr>, Expr)>),
    /// `value[index]`.
    Subscript {
        /// Object.
        value: Box<Expr>,
        /// Index.
        index: Box<Expr>,
    },
    /// `body if test else orelse`.
    IfExp {
        /// Condition.
        test: Box<Expr>,
        /// Value when true.
        body: Box<Expr>,
        /// Value when false.
        orelse: Box<Expr>,
    },
    /// `*value`.
    Starred(Box<Expr>),
    /// Anything else (lambdas, comprehensions, ...).
    Other,
}

impl Expr {
    /// The name, if this is a bare name.
    pub fn as_name(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Name(n) => Some(n),
            _ => None,
        }
    }

    /// `self.<attr>` → `attr`.
    pub fn self_attr(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Attribute { value, attr } if value.as_name() == Some("self") => Some(attr),
            _ => None,
        }
    }

    /// The dotted name (`a.b.c`) this expression spells, if it is one.
    pub fn dotted(&self) -> Option<String> {
        match &self.kind {
            ExprKind::Name(n) => Some(n.clone()),
            ExprKind::Attribute { value, attr } => Some(format!("{}.{attr}", value.dotted()?)),
            _ => None,
        }
    }

    /// The expressions directly inside this one, in source order (a call's callee first).
    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Call {
                func,
                args,
                keywords,
            } => std::iter::once(func.as_ref())
                .chain(args)
                .chain(keywords.iter().map(|(_, value)| value))
                .collect(),
            ExprKind::Attribute { value, .. } | ExprKind::Starred(value) => vec![value],
            ExprKind::Unary { operand, .. } => vec![operand],
            ExprKind::BinOp { left, right, .. } => vec![left, right],
            ExprKind::Compare {
                left, comparators, ..
            } => std::iter::once(left.as_ref()).chain(comparators).collect(),
            ExprKind::BoolOp { values: items, .. }
            | ExprKind::Tuple(items)
            | ExprKind::List(items)
            | ExprKind::Set(items) => items.iter().collect(),
            ExprKind::Dict(entries) => entries
                .iter()
                .flat_map(|(key, value)| key.iter().chain([value]))
                .collect(),
            ExprKind::Subscript { value, index } => vec![value, index],
            ExprKind::IfExp { test, body, orelse } => vec![test, body, orelse],
            ExprKind::FString(parts) => parts
                .iter()
                .filter_map(|part| match part {
                    FPart::Interp { expr, .. } => Some(expr),
                    FPart::Lit(_) => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The string value, if this is a plain string literal.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Str(s) => Some(s),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// The callees of every call, walking only `blocks`, `exprs` and `children`.
    fn callees(body: &[Stmt], out: &mut Vec<String>) {
        fn expr(e: &Expr, out: &mut Vec<String>) {
            if let ExprKind::Call { func, .. } = &e.kind {
                out.push(func.dotted().unwrap_or_default());
            }
            e.children().into_iter().for_each(|c| expr(c, out));
        }
        for stmt in body {
            stmt.exprs().into_iter().for_each(|e| expr(e, out));
            stmt.blocks().into_iter().for_each(|b| callees(b, out));
        }
    }

    #[test]
    fn blocks_exprs_and_children_reach_every_call() {
        let source = r#"
class C:
    def m(self, x=d0()):
        if a1(x):
            b1()
        elif a2():
            b2()
        else:
            b3()
        for i in a3():
            b4()
        else:
            b5()
        while a4():
            b6()
        with w():
            b7()
        try:
            b8()
        except E:
            b9()
        else:
            b10()
        finally:
            b11()
        y = f(g(1), k=h(), **{kk(): vv()})[s()] if t() else -u() + [l()] + f"{fs()}"
        assert a5(), m5()
        raise r()
        return q()
"#;
        let module = crate::python::parse_module(source).unwrap();
        let mut out = Vec::new();
        callees(&module.body, &mut out);
        // Parameter defaults, `with` items and decorators are not evaluated by the walk.
        assert_eq!(
            out,
            [
                "a1", "a2", "b1", "b2", "b3", "a3", "b4", "b5", "a4", "b6", "b7", "b8", "b9",
                "b10", "b11", "t", "f", "g", "h", "kk", "vv", "s", "u", "l", "fs", "a5", "m5", "r",
                "q"
            ]
        );
    }
}
