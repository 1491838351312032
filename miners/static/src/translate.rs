//! Walking one landmark method: detectors (raise, assert, warnings, logger, minor issues,
//! conditional normalisation) and the translation of the conditions that reach each site.

use super::fields::TypeInfo;
use super::pred::{Ident, Lit, Op, Operand, Pred, names_lit};
use super::resolve::{Modules, fold};
use crate::python::Module;
use crate::python::ast::{BinOp, BoolOp, CmpOp, Expr, ExprKind, FPart, Stmt, StmtKind, UnaryOp};
use llemc_compiler::types::Kinds;
use llemc_mining::ssot::Assumption;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Which detector found a site.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Detector {
    /// `raise` under a condition.
    Raise,
    /// `assert`.
    Assert,
    /// `warnings.warn(...)`.
    WarningsWarn,
    /// `logger.warning(...)` / `logger.warn(...)`.
    LoggerWarning,
    /// `logger.warning_once(...)`.
    LoggerWarningOnce,
    /// `minor_issues[field] = ...`.
    MinorIssue,
    /// `self.field = value` under a condition.
    Normalise,
    /// An ordering comparison of a field with a number in a condition: Python raises a TypeError
    /// there when the field holds a string.
    ImplicitTypeError,
}

impl Detector {
    /// Name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Detector::Raise => "raise",
            Detector::Assert => "assert",
            Detector::WarningsWarn => "warnings_warn",
            Detector::LoggerWarning => "logger_warning",
            Detector::LoggerWarningOnce => "logger_warning_once",
            Detector::MinorIssue => "minor_issues",
            Detector::Normalise => "normalise",
            Detector::ImplicitTypeError => "implicit_type_error",
        }
    }

    /// (severity, outcome, emission channel).
    pub fn outcome(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Detector::Raise | Detector::Assert | Detector::ImplicitTypeError => {
                ("error", "error", "runtime_exception")
            }
            Detector::WarningsWarn => ("warn", "warn", "warnings_warn"),
            Detector::LoggerWarning => ("warn", "warn", "logger_warning"),
            Detector::LoggerWarningOnce => ("warn", "warn", "logger_warning_once"),
            Detector::MinorIssue => ("dormant", "dormant_announced", "minor_issues_dict"),
            Detector::Normalise => ("dormant", "dormant_silent", "none"),
        }
    }
}

/// A site found in a landmark.
#[derive(Clone, Debug)]
pub struct Site {
    /// Detector.
    pub detector: Detector,
    /// 1-based line of the site statement.
    pub line: u32,
    /// The condition under which the site is reached (not yet simplified).
    pub when: Pred,
    /// Message template and whether it was fully rendered.
    pub message: Option<(String, bool)>,
    /// The field the site is about.
    pub subject: Option<String>,
    /// `field → normalised value` for normalisation sites; `Err(source)` when the value is not
    /// a literal.
    pub normalised: Option<(String, Result<Lit, String>)>,
    /// Source text of the site statement (first line), for opaque reports.
    pub source: String,
}

/// A translated value.
#[derive(Clone, Debug, PartialEq)]
enum V {
    Field(String),
    Lit(Lit),
    Operand(Operand),
    Pred(Pred),
    Class(String),
    Opaque(String),
}

#[derive(Clone, Debug, PartialEq)]
enum Binding {
    Expr(Expr),
    Value(V),
}

/// Everything one walk needs.
pub struct Walker<'a> {
    /// Parsed modules.
    pub modules: &'a mut Modules,
    /// Dotted name of the module holding the class.
    pub module_name: String,
    /// The module.
    pub module: &'a Module,
    /// The native type.
    pub info: &'a TypeInfo,
    /// Whether the method is the class's `__init__` (parameters are the user's kwargs).
    pub is_init: bool,
    /// The method's name.
    pub method: String,
    /// Assumed calls.
    pub assume: &'a BTreeMap<String, Assumption>,
    /// Name of the minor-issues dict.
    pub minor_issues: Option<&'a str>,
    /// Field kinds used for truthiness (from the previous pass; empty on the first).
    pub kinds: &'a HashMap<String, Kinds>,
    /// Observed literal kinds per field (filled while translating).
    pub usage: &'a mut HashMap<String, Kinds>,
    /// Class names seen in `isinstance` per field.
    pub usage_classes: &'a mut HashMap<String, BTreeSet<String>>,
    /// Fields named only through `hasattr(self, name)`.
    pub hasattr_fields: &'a mut BTreeSet<String>,
    /// Sites found.
    pub sites: Vec<Site>,
    env: HashMap<String, Binding>,
    depth: u32,
}

const BUILTIN_TYPES: [&str; 8] = [
    "bool", "int", "float", "str", "list", "tuple", "dict", "set",
];

impl<'a> Walker<'a> {
    /// A walker over one method.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        modules: &'a mut Modules,
        module_name: String,
        module: &'a Module,
        info: &'a TypeInfo,
        method: &str,
        assume: &'a BTreeMap<String, Assumption>,
        minor_issues: Option<&'a str>,
        kinds: &'a HashMap<String, Kinds>,
        usage: &'a mut HashMap<String, Kinds>,
        usage_classes: &'a mut HashMap<String, BTreeSet<String>>,
        hasattr_fields: &'a mut BTreeSet<String>,
    ) -> Self {
        Walker {
            modules,
            module_name,
            module,
            info,
            is_init: method == "__init__",
            method: method.to_owned(),
            assume,
            minor_issues,
            kinds,
            usage,
            usage_classes,
            hasattr_fields,
            sites: Vec::new(),
            env: HashMap::new(),
            depth: 0,
        }
    }

    fn text(&self, e: &Expr) -> String {
        self.module
            .expr_text(e)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn stmt_text(&self, s: &Stmt) -> String {
        let t = self.module.text(s.start, s.end);
        t.lines().next().unwrap_or("").trim().to_owned()
    }

    /// Walks a method body.
    pub fn walk_body(&mut self, body: &[Stmt]) {
        self.walk(body, &[]);
    }

    fn walk(&mut self, body: &[Stmt], path: &[Pred]) {
        let mut path: Vec<Pred> = path.to_vec();
        for stmt in body {
            match &stmt.kind {
                StmtKind::If {
                    test,
                    body,
                    clauses,
                } => {
                    let t = self.cond(test);
                    self.type_error_sites(stmt, &path, &t);
                    let mut negs = vec![t.clone().not()];
                    let mut cont: Vec<Pred> = Vec::new();
                    let mut all_terminate = true;
                    let before = self.env.clone();
                    let mut assigned = BTreeSet::new();
                    let mut branch = |w: &mut Self,
                                      cond: Vec<Pred>,
                                      b: &[Stmt],
                                      cont: &mut Vec<Pred>,
                                      all: &mut bool| {
                        let mut p = path.clone();
                        p.extend(cond.iter().cloned());
                        w.walk(b, &p);
                        for (k, v) in &w.env {
                            if before.get(k) != Some(v) {
                                assigned.insert(k.clone());
                            }
                        }
                        w.env = before.clone();
                        if terminates(b) {
                        } else {
                            *all = false;
                            cont.push(Pred::And(cond));
                        }
                    };
                    branch(self, vec![t.clone()], body, &mut cont, &mut all_terminate);
                    let mut has_else = false;
                    for clause in clauses {
                        match &clause.test {
                            Some(test) => {
                                let ti = self.cond(test);
                                let mut reached = path.clone();
                                reached.extend(negs.iter().cloned());
                                self.type_error_sites(stmt, &reached, &ti);
                                let mut c = negs.clone();
                                c.push(ti.clone());
                                branch(self, c, &clause.body, &mut cont, &mut all_terminate);
                                negs.push(ti.not());
                            }
                            None => {
                                has_else = true;
                                branch(
                                    self,
                                    negs.clone(),
                                    &clause.body,
                                    &mut cont,
                                    &mut all_terminate,
                                );
                            }
                        }
                    }
                    if !has_else {
                        all_terminate = false;
                        cont.push(Pred::And(negs.clone()));
                    }
                    for name in assigned {
                        self.env.insert(
                            name.clone(),
                            Binding::Value(V::Opaque(format!(
                                "local `{name}` is assigned in a branch"
                            ))),
                        );
                    }
                    if all_terminate {
                        return;
                    }
                    // a branch that returns: what follows runs only when it was not taken
                    let any_returns =
                        body_returns(body) || clauses.iter().any(|c| body_returns(&c.body));
                    if any_returns {
                        path.push(Pred::Or(cont));
                    }
                }
                StmtKind::For {
                    target, iter, body, ..
                } => {
                    let var = target.as_name().map(str::to_owned);
                    let items = match self.val(iter) {
                        V::Lit(Lit::Seq(items)) => Some(items),
                        _ => None,
                    };
                    let before = self.env.clone();
                    match (var, items) {
                        (Some(var), Some(items)) => {
                            for item in items {
                                self.env.insert(var.clone(), Binding::Value(V::Lit(item)));
                                self.walk(body, &path);
                                self.env = before.clone();
                            }
                        }
                        (var, _) => {
                            if let Some(var) = var {
                                self.env.insert(
                                    var.clone(),
                                    Binding::Value(V::Opaque(format!(
                                        "loop variable `{var}` ranges over `{}`",
                                        self.text(iter)
                                    ))),
                                );
                            }
                            let mut p = path.clone();
                            p.push(Pred::opaque(
                                format!("for {} in {}", self.text(target), self.text(iter)),
                                "loop over an iterable that is not a literal collection",
                            ));
                            self.walk(body, &p);
                            self.env = before;
                        }
                    }
                }
                StmtKind::While { test, body } => {
                    let mut p = path.clone();
                    p.push(Pred::opaque(
                        format!("while {}", self.text(test)),
                        "while loop",
                    ));
                    let before = self.env.clone();
                    self.walk(body, &p);
                    self.env = before;
                }
                StmtKind::Try {
                    body,
                    handlers,
                    orelse,
                    finalbody,
                } => {
                    self.walk(body, &path);
                    for h in handlers {
                        let mut p = path.clone();
                        p.push(Pred::opaque("except ...", "inside an exception handler"));
                        let before = self.env.clone();
                        self.walk(h, &p);
                        self.env = before;
                    }
                    self.walk(orelse, &path);
                    self.walk(finalbody, &path);
                }
                StmtKind::With { body } => self.walk(body, &path),
                StmtKind::Assign { targets, value } => {
                    for t in targets {
                        self.assign(stmt, t, value, &path);
                    }
                }
                StmtKind::AnnAssign {
                    target,
                    value: Some(value),
                    ..
                } => {
                    self.assign(stmt, target, value, &path);
                }
                StmtKind::Expr(e) => self.call_site(stmt, e, &path),
                StmtKind::Raise(exc) => {
                    let message = exc.as_ref().and_then(|e| self.exception_message(e));
                    self.push_site(
                        stmt,
                        Detector::Raise,
                        &path,
                        Pred::True,
                        message,
                        None,
                        None,
                    );
                }
                StmtKind::Assert { test, msg } => {
                    let c = self.cond(test).not();
                    let message = msg.as_ref().map(|m| self.message(m, None));
                    self.push_site(stmt, Detector::Assert, &path, c, message, None, None);
                }
                _ => {}
            }
        }
    }

    /// One site per ordering comparison of a field with a number in `test`, reached under
    /// `path` and the operands Python evaluates before it: there a string value makes the
    /// comparison raise `TypeError: '<' not supported between instances of 'str' and 'int'`.
    fn type_error_sites(&mut self, stmt: &Stmt, path: &[Pred], test: &Pred) {
        let mut found = Vec::new();
        ordering_comparisons(test, &mut Vec::new(), &mut found);
        for (reach, field, op, left, right) in found {
            if excludes_strings(&reach, &field) {
                // An `isinstance(f, (int, ...))` guard before the comparison: never reached
                // with a string.
                continue;
            }
            let mut conj = reach;
            conj.push(Pred::Present(field.clone()));
            conj.push(Pred::Cmp(
                Operand::Field(field.clone()),
                Op::TypeIs,
                Operand::Lit(Lit::Str("str".to_owned())),
            ));
            let message =
                format!("'{op}' not supported between instances of '{left}' and '{right}'");
            self.push_site(
                stmt,
                Detector::ImplicitTypeError,
                path,
                Pred::And(conj),
                Some((message, true)),
                Some(field),
                None,
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push_site(
        &mut self,
        stmt: &Stmt,
        detector: Detector,
        path: &[Pred],
        extra: Pred,
        message: Option<(String, bool)>,
        subject: Option<String>,
        normalised: Option<(String, Result<Lit, String>)>,
    ) {
        let mut conj: Vec<Pred> = path.to_vec();
        conj.push(extra);
        self.sites.push(Site {
            detector,
            line: self.module.line_of(stmt.start),
            when: Pred::And(conj),
            message,
            subject,
            normalised,
            source: self.stmt_text(stmt),
        });
    }

    fn assign(&mut self, stmt: &Stmt, target: &Expr, value: &Expr, path: &[Pred]) {
        match &target.kind {
            ExprKind::Name(n) => {
                self.env.insert(n.clone(), Binding::Expr(value.clone()));
            }
            ExprKind::Subscript {
                value: container,
                index,
            } => {
                if container.as_name().is_some() && container.as_name() == self.minor_issues {
                    let subject = match self.val(index) {
                        V::Lit(Lit::Str(s)) => Some(s),
                        _ => None,
                    };
                    let subject_field = subject.as_ref().and_then(|s| self.field_for_attr(s));
                    let extra = match (&subject, &subject_field) {
                        (Some(_), Some(_)) => Pred::True,
                        _ => Pred::opaque(self.text(index), "minor-issue key is not a field name"),
                    };
                    let message = Some(self.message(value, subject_field.as_deref()));
                    self.push_site(
                        stmt,
                        Detector::MinorIssue,
                        path,
                        extra,
                        message,
                        subject_field,
                        None,
                    );
                }
            }
            ExprKind::Attribute { value: obj, attr } if obj.as_name() == Some("self") => {
                if path.is_empty() {
                    return;
                }
                let Some(field) = self.field_for_attr(attr) else {
                    return;
                };
                let v = self.val(value);
                if v == V::Field(field.clone()) {
                    return; // identity: the user's value is kept
                }
                if let V::Lit(l) = &v
                    && implied_value(path, &field).as_ref() == Some(l)
                {
                    return; // `if x is None: self.x = None`: the value does not change
                }
                let normalised = match v {
                    V::Lit(l) => Ok(l),
                    _ => Err(self.text(value)),
                };
                let message = match &normalised {
                    Ok(l) => format!(
                        "`{field}` is set to {{declared_value}}, which {}.{} silently replaces with {}",
                        self.info.class,
                        self.method,
                        escape(&l.python_repr(true))
                    ),
                    Err(_) => format!(
                        "`{field}` is set to {{declared_value}}, which {} silently rewrites",
                        self.info.class
                    ),
                };
                self.push_site(
                    stmt,
                    Detector::Normalise,
                    path,
                    Pred::True,
                    Some((message, true)),
                    Some(field.clone()),
                    Some((field, normalised)),
                );
            }
            _ => {}
        }
    }

    fn call_site(&mut self, stmt: &Stmt, e: &Expr, path: &[Pred]) {
        let ExprKind::Call { func, args, .. } = &e.kind else {
            return;
        };
        let Some(name) = func.dotted() else { return };
        let detector = if name == "warnings.warn" {
            Detector::WarningsWarn
        } else if let Some(method) = name.strip_prefix("logger.") {
            match method {
                "warning" | "warn" => Detector::LoggerWarning,
                "warning_once" => Detector::LoggerWarningOnce,
                _ => return,
            }
        } else {
            return;
        };
        let message = args.first().map(|m| {
            if args.len() > 1
                && matches!(
                    detector,
                    Detector::LoggerWarning | Detector::LoggerWarningOnce
                )
            {
                self.percent_format(m, args.get(1..).unwrap_or(&[]), None)
            } else {
                self.message(m, None)
            }
        });
        self.push_site(stmt, detector, path, Pred::True, message, None, None);
    }

    fn exception_message(&mut self, exc: &Expr) -> Option<(String, bool)> {
        match &exc.kind {
            ExprKind::Call { args, .. } => args.first().map(|m| self.message(m, None)),
            _ => None,
        }
    }

    // ------------------------------------------------------------------ values

    /// The field an attribute of `self` stores, if any.
    fn field_for_attr(&self, attr: &str) -> Option<String> {
        if let Some(f) = self.info.aliases.get(attr) {
            return Some(f.clone());
        }
        if self.info.fields.iter().any(|f| f.name == attr) {
            return Some(attr.to_owned());
        }
        None
    }

    fn self_attr(&mut self, attr: &str) -> V {
        if let Some(field) = self.field_for_attr(attr) {
            if !self.is_init && self.info.rewritten.contains(&field) {
                return V::Opaque(format!(
                    "`self.{attr}` is rewritten by `{}.__init__` before this check (not the user's value)",
                    self.info.class
                ));
            }
            return V::Field(field);
        }
        if let Some(l) = self.info.class_consts.get(attr) {
            return V::Lit(l.clone());
        }
        V::Opaque(format!(
            "`self.{attr}` is not a field of {}",
            self.info.native
        ))
    }

    fn val(&mut self, e: &Expr) -> V {
        self.depth += 1;
        let v = if self.depth > 64 {
            V::Opaque("expression nests too deeply".into())
        } else {
            self.val_inner(e)
        };
        self.depth -= 1;
        v
    }

    fn val_inner(&mut self, e: &Expr) -> V {
        match &e.kind {
            ExprKind::None => V::Lit(Lit::Null),
            ExprKind::Bool(b) => V::Lit(Lit::Bool(*b)),
            ExprKind::Int(i) => V::Lit(Lit::Int(*i)),
            ExprKind::Float(f) => V::Lit(Lit::Float(*f)),
            ExprKind::Str(s) => V::Lit(Lit::Str(s.clone())),
            ExprKind::Tuple(items) | ExprKind::List(items) | ExprKind::Set(items) => {
                let mut out = Vec::new();
                for i in items {
                    match self.val(i) {
                        V::Lit(l) => out.push(l),
                        V::Class(_) => return V::Opaque("collection of classes".into()),
                        _ => {
                            return V::Opaque(format!(
                                "collection `{}` holds non-literal items",
                                self.text(e)
                            ));
                        }
                    }
                }
                V::Lit(Lit::Seq(out))
            }
            ExprKind::Name(n) => self.name(n),
            ExprKind::Attribute { value, attr } => {
                if value.as_name() == Some("self") {
                    return self.self_attr(attr);
                }
                match e.dotted() {
                    Some(d) => V::Class(d),
                    None => V::Opaque(format!("attribute `{}`", self.text(e))),
                }
            }
            ExprKind::Call {
                func,
                args,
                keywords,
            } => self.call(e, func, args, keywords),
            ExprKind::Compare { .. } | ExprKind::BoolOp { .. } => V::Pred(self.cond(e)),
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => V::Pred(self.cond(operand).not()),
            ExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            } => match self.val(operand) {
                V::Lit(Lit::Int(i)) => i
                    .checked_neg()
                    .map_or(V::Opaque("overflow".into()), |v| V::Lit(Lit::Int(v))),
                V::Lit(Lit::Float(f)) => V::Lit(Lit::Float(-f)),
                V::Field(f) => V::Operand(Operand::Arith(
                    Box::new(Operand::Lit(Lit::Int(0))),
                    '-',
                    Box::new(Operand::Field(f)),
                )),
                _ => V::Opaque(format!("`{}`", self.text(e))),
            },
            ExprKind::BinOp { left, op, right } => {
                let l = self.val(left);
                let r = self.val(right);
                if let (V::Lit(a), V::Lit(b)) = (&l, &r) {
                    if let Some(v) = fold(a, *op, b) {
                        return V::Lit(v);
                    }
                }
                let sym = match op {
                    BinOp::Add => '+',
                    BinOp::Sub => '-',
                    BinOp::Mul => '*',
                    BinOp::Mod => '%',
                    _ => {
                        return V::Opaque(format!(
                            "operator in `{}` has no counterpart",
                            self.text(e)
                        ));
                    }
                };
                match (operand_of(l), operand_of(r)) {
                    (Some(a), Some(b)) => V::Operand(Operand::Arith(Box::new(a), sym, Box::new(b))),
                    _ => V::Opaque(format!("arithmetic on non-fields in `{}`", self.text(e))),
                }
            }
            _ => V::Opaque(format!("expression `{}`", self.text(e))),
        }
    }

    fn name(&mut self, n: &str) -> V {
        if let Some(b) = self.env.get(n).cloned() {
            return match b {
                Binding::Value(v) => v,
                Binding::Expr(expr) => {
                    // evaluated where it is read; a self-reference would loop, so hide the name
                    let saved = self.env.remove(n);
                    let v = self.val(&expr);
                    if let Some(s) = saved {
                        self.env.insert(n.to_owned(), s);
                    }
                    v
                }
            };
        }
        if self.is_init && self.info.params.contains(n) {
            return V::Field(n.to_owned());
        }
        if BUILTIN_TYPES.contains(&n) {
            return V::Class(n.to_owned());
        }
        let module = self.module_name.clone();
        if let Some(l) = self.modules.constant(&module, n, 0) {
            return V::Lit(l);
        }
        if n.chars().next().is_some_and(char::is_uppercase) {
            return V::Class(n.to_owned());
        }
        V::Opaque(format!("`{n}` is not a field, a constant or a literal"))
    }

    fn call(
        &mut self,
        e: &Expr,
        func: &Expr,
        args: &[Expr],
        keywords: &[(Option<String>, Expr)],
    ) -> V {
        let fname = func.dotted().unwrap_or_default();
        match (fname.as_str(), args) {
            ("getattr", [obj, name, ..]) if obj.as_name() == Some("self") => match self.val(name) {
                V::Lit(Lit::Str(s)) => self.self_attr(&s),
                _ => V::Opaque(format!("`{}` with a computed name", self.text(e))),
            },
            ("hasattr", [obj, name]) if obj.as_name() == Some("self") => match self.val(name) {
                V::Lit(Lit::Str(s)) => self.hasattr(&s),
                _ => V::Opaque(format!("`{}` with a computed name", self.text(e))),
            },
            ("len", [x]) => match operand_of(self.val(x)) {
                Some(o) => V::Operand(Operand::Len(Box::new(o))),
                None => V::Opaque(format!("`{}`", self.text(e))),
            },
            ("isinstance", [x, classes]) => {
                let subject = self.val(x);
                let names = self.class_names(classes);
                match (subject, names) {
                    (V::Field(f), Some(names)) => {
                        for n in &names {
                            self.record_class(&f, n);
                        }
                        let lits: Vec<Lit> = names.into_iter().map(Lit::Str).collect();
                        V::Pred(Pred::Cmp(
                            Operand::Field(f),
                            Op::TypeIs,
                            Operand::Lit(names_lit(lits)),
                        ))
                    }
                    (V::Opaque(r), _) => V::Opaque(r),
                    _ => V::Opaque(format!("`{}`", self.text(e))),
                }
            }
            ("kwargs.pop" | "kwargs.get", [key, ..])
                if self.is_init && self.info.kwargs_name.as_deref() == Some("kwargs") =>
            {
                match self.val(key) {
                    V::Lit(Lit::Str(k)) if self.info.fields.iter().any(|f| f.name == k) => {
                        V::Field(k)
                    }
                    _ => V::Opaque(format!(
                        "`{}` reads a kwarg that is not a field",
                        self.text(e)
                    )),
                }
            }
            _ => {
                let last = fname.rsplit('.').next().unwrap_or("");
                if let Some(a) = self.assume.get(last) {
                    return V::Lit(Lit::Bool(a.value));
                }
                let _ = keywords;
                V::Opaque(format!("call `{}`", self.text(e)))
            }
        }
    }

    /// `hasattr(self, attr)` in a method `__init__` has run (validators run at its end):
    /// - true when `__init__` sets the attribute on every path, or the class or a base class
    ///   defines it (method, property, class attribute);
    /// - when `__init__` stores unknown kwargs as attributes (`setattr(self, k, v)` over
    ///   `kwargs.items()`): the kwarg is passed, under the loop's own conditions. llemc's
    ///   `present` does not hold on an explicit null, which Python stores too: the translation
    ///   misses `attr: null` (the rule fires on fewer configs than the library rejects, never on
    ///   more, where the test is not negated);
    /// - false when nothing sets it; opaque when something sets it on some paths only, another
    ///   method sets it, or a base class is not in the source.
    fn hasattr(&mut self, attr: &str) -> V {
        if self.is_init {
            return V::Opaque(format!(
                "`hasattr(self, {attr:?})` inside `__init__` depends on the statements run before it"
            ));
        }
        if self.info.init_attrs.contains(attr) {
            return V::Lit(Lit::Bool(true));
        }
        let module = self.module_name.clone();
        let class = self.info.class.clone();
        match self.modules.class_defines(&module, &class, attr, 0) {
            Some(true) => return V::Lit(Lit::Bool(true)),
            Some(false) => {}
            None => {
                return V::Opaque(format!(
                    "a base class of {class} is not in the source: whether it defines `{attr}` is unknown"
                ));
            }
        }
        if self.info.conditional_attrs.contains(attr) || self.info.method_attrs.contains(attr) {
            return V::Opaque(format!(
                "`self.{attr}` is set on some paths only (a branch of `__init__` or another method)"
            ));
        }
        let is_param = self.info.fields.iter().any(|f| f.name == attr);
        match (&self.info.kwargs_setattr, is_param) {
            (Some(guards), false) => {
                self.hasattr_fields.insert(attr.to_owned());
                let mut parts = vec![Pred::Present(attr.to_owned())];
                for (g, truth) in guards.clone() {
                    let c = self.cond(&g);
                    parts.push(if truth { c } else { c.not() });
                }
                V::Pred(Pred::And(parts))
            }
            // a parameter or popped kwarg never stored under this name, or nothing stores it
            _ => V::Lit(Lit::Bool(false)),
        }
    }

    fn class_names(&mut self, classes: &Expr) -> Option<Vec<String>> {
        let items: Vec<&Expr> = match &classes.kind {
            ExprKind::Tuple(items) => items.iter().collect(),
            _ => vec![classes],
        };
        let mut out = Vec::new();
        for i in items {
            let name = match &i.kind {
                ExprKind::Name(n) => n.clone(),
                ExprKind::Attribute { attr, .. } => attr.clone(),
                _ => return None,
            };
            match name.as_str() {
                // bool is a subclass of int: isinstance(True, int) holds
                "int" => {
                    out.push("int".to_owned());
                    out.push("bool".to_owned());
                }
                "tuple" | "list" => out.push(name),
                _ => out.push(name),
            }
        }
        let mut dedup = Vec::new();
        for n in out {
            if !dedup.contains(&n) {
                dedup.push(n);
            }
        }
        Some(dedup)
    }

    fn record_lit(&mut self, field: &str, l: &Lit) {
        let k = lit_kinds(l);
        let entry = self.usage.entry(field.to_owned()).or_insert(Kinds::EMPTY);
        *entry = entry.or(k);
    }

    fn record_class(&mut self, field: &str, class: &str) {
        let k = match class {
            "bool" => Kinds::BOOL,
            "int" => Kinds::INT,
            "float" => Kinds::FLOAT,
            "str" => Kinds::STR,
            "list" | "tuple" | "set" => Kinds::LIST,
            "dict" => Kinds::DICT,
            other => {
                self.usage_classes
                    .entry(field.to_owned())
                    .or_default()
                    .insert(other.to_owned());
                Kinds::OBJECT
            }
        };
        let entry = self.usage.entry(field.to_owned()).or_insert(Kinds::EMPTY);
        *entry = entry.or(k);
    }

    // ------------------------------------------------------------------ conditions

    /// The truthiness of `e` as a predicate.
    pub fn cond(&mut self, e: &Expr) -> Pred {
        match &e.kind {
            ExprKind::BoolOp { op, values } => {
                let items: Vec<Pred> = values.iter().map(|v| self.cond(v)).collect();
                match op {
                    BoolOp::And => Pred::And(items),
                    BoolOp::Or => Pred::Or(items),
                }
            }
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => self.cond(operand).not(),
            ExprKind::Compare {
                left,
                ops,
                comparators,
            } => {
                let mut parts = Vec::new();
                let mut prev: &Expr = left;
                for (op, right) in ops.iter().zip(comparators) {
                    parts.push(self.compare(e, prev, *op, right));
                    prev = right;
                }
                if parts.len() == 1 {
                    parts.pop().unwrap_or(Pred::True)
                } else {
                    Pred::And(parts)
                }
            }
            _ => {
                let v = self.val(e);
                self.truthy(e, v)
            }
        }
    }

    fn truthy(&mut self, e: &Expr, v: V) -> Pred {
        match v {
            V::Pred(p) => p,
            V::Lit(l) => {
                if l.truthy() {
                    Pred::True
                } else {
                    Pred::False
                }
            }
            V::Class(_) => Pred::True,
            V::Field(f) => self.field_truthy(&f),
            V::Operand(o) => Pred::Not(Box::new(Pred::Cmp(o, Op::Eq, Operand::Lit(Lit::Int(0))))),
            V::Opaque(reason) => Pred::opaque(self.text(e), reason),
        }
    }

    /// Python truthiness of a field, as precise as its known type allows.
    fn field_truthy(&mut self, f: &str) -> Pred {
        let kinds = self.kinds.get(f).copied().unwrap_or(Kinds::ALL);
        let field = || Operand::Field(f.to_owned());
        let without_none = kinds.without(Kinds::NONE);
        if without_none.is_empty() {
            return Pred::False;
        }
        if without_none.within(Kinds::BOOL) {
            // a bool is truthy exactly when it equals True (1 and 1.0 do too)
            return Pred::Cmp(field(), Op::Eq, Operand::Lit(Lit::Bool(true)));
        }
        let mut parts = vec![Pred::Present(f.to_owned())];
        if without_none.intersects(Kinds::NUMBER) {
            // False, 0 and 0.0 all equal 0
            parts.push(Pred::Cmp(field(), Op::Ne, Operand::Lit(Lit::Int(0))));
        }
        if without_none.intersects(Kinds::STR.or(Kinds::LIST).or(Kinds::DICT)) {
            // empty str / list / dict; len() of anything else is not a test that holds
            parts.push(Pred::Not(Box::new(Pred::Cmp(
                Operand::Len(Box::new(field())),
                Op::Eq,
                Operand::Lit(Lit::Int(0)),
            ))));
        }
        Pred::And(parts)
    }

    fn compare(&mut self, whole: &Expr, left: &Expr, op: CmpOp, right: &Expr) -> Pred {
        let l = self.val(left);
        let r = self.val(right);
        if let V::Opaque(reason) = &l {
            return Pred::opaque(self.text(whole), reason.clone());
        }
        if let V::Opaque(reason) = &r {
            return Pred::opaque(self.text(whole), reason.clone());
        }
        // usage-based typing
        if let (V::Field(f), V::Lit(lit)) | (V::Lit(lit), V::Field(f)) = (&l, &r) {
            let (f, lit) = (f.clone(), lit.clone());
            match (op, &lit) {
                (CmpOp::In | CmpOp::NotIn, Lit::Seq(items)) => {
                    for i in items {
                        self.record_lit(&f, i);
                    }
                }
                _ => self.record_lit(&f, &lit),
            }
        }
        match op {
            CmpOp::Is | CmpOp::IsNot => {
                let (subject, ident) = match (&l, &r) {
                    (x, V::Lit(k)) | (V::Lit(k), x)
                        if ident_of(k).is_some() && !matches!(x, V::Lit(_)) =>
                    {
                        (x.clone(), ident_of(k))
                    }
                    (V::Lit(a), V::Lit(b)) => {
                        let same = a == b;
                        return if same == (op == CmpOp::Is) {
                            Pred::True
                        } else {
                            Pred::False
                        };
                    }
                    _ => (l.clone(), None),
                };
                let (Some(ident), Some(o)) = (ident, operand_of(subject)) else {
                    return Pred::opaque(
                        self.text(whole),
                        "identity test against something other than None/True/False",
                    );
                };
                let p = Pred::Is(o, ident);
                if op == CmpOp::Is { p } else { p.not() }
            }
            CmpOp::Eq | CmpOp::NotEq => {
                let p = match (&l, &r) {
                    (x, V::Lit(Lit::Null)) | (V::Lit(Lit::Null), x) => {
                        match operand_of(x.clone()) {
                            Some(o) => Pred::Is(o, Ident::Null),
                            None => {
                                return Pred::opaque(
                                    self.text(whole),
                                    "comparison of a non-field with None",
                                );
                            }
                        }
                    }
                    _ => {
                        // `x % y == 0` / `!= 0`: divisibility
                        if let (V::Operand(Operand::Arith(a, '%', b)), V::Lit(Lit::Int(0))) =
                            (&l, &r)
                        {
                            let p = Pred::Cmp((**a).clone(), Op::DivisibleBy, (**b).clone());
                            return if op == CmpOp::Eq {
                                p
                            } else {
                                Pred::Cmp((**a).clone(), Op::NotDivisibleBy, (**b).clone())
                            };
                        }
                        match (operand_of(l.clone()), operand_of(r.clone())) {
                            (Some(a), Some(b)) => {
                                let (a, b) = if matches!(a, Operand::Lit(_))
                                    && !matches!(b, Operand::Lit(_))
                                {
                                    (b, a)
                                } else {
                                    (a, b)
                                };
                                Pred::Cmp(a, Op::Eq, b)
                            }
                            _ => {
                                return Pred::opaque(
                                    self.text(whole),
                                    "comparison between values that are not fields or literals",
                                );
                            }
                        }
                    }
                };
                // `!=` is the complement of `==` in Python, also for None
                if op == CmpOp::Eq { p } else { p.not() }
            }
            CmpOp::Lt | CmpOp::LtE | CmpOp::Gt | CmpOp::GtE => {
                let o = match op {
                    CmpOp::Lt => Op::Lt,
                    CmpOp::LtE => Op::Le,
                    CmpOp::Gt => Op::Gt,
                    _ => Op::Ge,
                };
                match (operand_of(l), operand_of(r)) {
                    (Some(a), Some(b)) => {
                        if matches!(a, Operand::Lit(_)) && !matches!(b, Operand::Lit(_)) {
                            Pred::Cmp(b, o.flipped().unwrap_or(o), a)
                        } else {
                            Pred::Cmp(a, o, b)
                        }
                    }
                    _ => Pred::opaque(
                        self.text(whole),
                        "ordering between values that are not fields or literals",
                    ),
                }
            }
            CmpOp::In | CmpOp::NotIn => {
                let (V::Lit(Lit::Seq(items)), Some(subject)) = (&r, operand_of(l.clone())) else {
                    return Pred::opaque(
                        self.text(whole),
                        "membership in something other than a literal collection",
                    );
                };
                let has_none = items.contains(&Lit::Null);
                let rest: Vec<Lit> = items.iter().filter(|i| **i != Lit::Null).cloned().collect();
                let member = if rest.is_empty() {
                    Pred::False
                } else {
                    Pred::Cmp(subject.clone(), Op::In, Operand::Lit(Lit::Seq(rest)))
                };
                let p = if has_none {
                    Pred::Or(vec![Pred::Is(subject, Ident::Null), member])
                } else {
                    member
                };
                if op == CmpOp::In { p } else { p.not() }
            }
        }
    }

    // ------------------------------------------------------------------ messages

    /// Renders a message expression as a template (`{field}` placeholders, `{declared_value}`
    /// for the subject); the flag says whether every part could be rendered.
    pub fn message(&mut self, e: &Expr, subject: Option<&str>) -> (String, bool) {
        let mut out = String::new();
        let ok = self.render(e, subject, &mut out);
        (out, ok)
    }

    fn render(&mut self, e: &Expr, subject: Option<&str>, out: &mut String) -> bool {
        self.depth += 1;
        let r = if self.depth > 64 {
            false
        } else {
            self.render_inner(e, subject, out)
        };
        self.depth -= 1;
        r
    }

    fn render_inner(&mut self, e: &Expr, subject: Option<&str>, out: &mut String) -> bool {
        match &e.kind {
            ExprKind::Str(s) => {
                out.push_str(&escape(s));
                true
            }
            ExprKind::FString(parts) => {
                let mut ok = true;
                for p in parts {
                    match p {
                        FPart::Lit(s) => out.push_str(&escape(s)),
                        FPart::Interp {
                            expr, conversion, ..
                        } => {
                            ok &= self.render_value(expr, subject, *conversion == Some('r'), out);
                        }
                    }
                }
                ok
            }
            ExprKind::BinOp {
                left,
                op: BinOp::Add,
                right,
            } => {
                let a = self.render(left, subject, out);
                let b = self.render(right, subject, out);
                a && b
            }
            ExprKind::BinOp {
                left,
                op: BinOp::Mod,
                right,
            } => {
                let args: Vec<Expr> = match &right.kind {
                    ExprKind::Tuple(items) => items.clone(),
                    _ => vec![(**right).clone()],
                };
                let (t, ok) = self.percent_format(left, &args, subject);
                out.push_str(&t);
                ok
            }
            ExprKind::Call {
                func,
                args,
                keywords,
            } => {
                if let ExprKind::Attribute { value, attr } = &func.kind {
                    if attr == "format" {
                        if let V::Lit(Lit::Str(template)) = self.val(value) {
                            let (t, ok) = self.brace_format(&template, args, keywords, subject);
                            out.push_str(&t);
                            return ok;
                        }
                    }
                }
                self.render_value(e, subject, false, out)
            }
            ExprKind::Name(n) => {
                if let Some(Binding::Expr(expr)) = self.env.get(n).cloned() {
                    let saved = self.env.remove(n);
                    let ok = self.render(&expr, subject, out);
                    if let Some(s) = saved {
                        self.env.insert(n.clone(), s);
                    }
                    return ok;
                }
                self.render_value(e, subject, false, out)
            }
            _ => self.render_value(e, subject, false, out),
        }
    }

    fn render_value(
        &mut self,
        e: &Expr,
        subject: Option<&str>,
        repr: bool,
        out: &mut String,
    ) -> bool {
        // str(x) / repr(x)
        if let ExprKind::Call { func, args, .. } = &e.kind {
            if let (Some(f), [x]) = (func.as_name(), args.as_slice()) {
                if f == "str" || f == "repr" {
                    return self.render_value(x, subject, f == "repr", out);
                }
            }
        }
        match self.val(e) {
            V::Field(f) => {
                if Some(f.as_str()) == subject {
                    out.push_str("{declared_value}");
                } else {
                    out.push('{');
                    out.push_str(&f);
                    out.push('}');
                }
                true
            }
            V::Lit(l) => {
                let text = if repr {
                    l.python_repr(true)
                } else {
                    l.python_str(true)
                };
                out.push_str(&escape(&text));
                true
            }
            _ => {
                out.push('…');
                false
            }
        }
    }

    fn brace_format(
        &mut self,
        template: &str,
        args: &[Expr],
        keywords: &[(Option<String>, Expr)],
        subject: Option<&str>,
    ) -> (String, bool) {
        let mut out = String::new();
        let mut ok = true;
        let mut chars = template.chars().peekable();
        let mut auto = 0usize;
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    out.push_str("{{");
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    out.push_str("}}");
                }
                '{' => {
                    let mut field = String::new();
                    for d in chars.by_ref() {
                        if d == '}' {
                            break;
                        }
                        field.push(d);
                    }
                    let (name, conv) = match field.split_once('!') {
                        Some((n, rest)) => (n.to_owned(), rest.starts_with('r')),
                        None => (field.split(':').next().unwrap_or("").to_owned(), false),
                    };
                    let name = name.split(':').next().unwrap_or("").to_owned();
                    let arg = if name.is_empty() {
                        let a = args.get(auto).cloned();
                        auto += 1;
                        a
                    } else if let Ok(i) = name.parse::<usize>() {
                        args.get(i).cloned()
                    } else {
                        keywords
                            .iter()
                            .find(|(k, _)| k.as_deref() == Some(name.as_str()))
                            .map(|(_, v)| v.clone())
                    };
                    match arg {
                        Some(a) => ok &= self.render_value(&a, subject, conv, &mut out),
                        None => {
                            out.push('…');
                            ok = false;
                        }
                    }
                }
                '}' => out.push_str("}}"),
                c => out.push(c),
            }
        }
        (out, ok)
    }

    fn percent_format(
        &mut self,
        template: &Expr,
        args: &[Expr],
        subject: Option<&str>,
    ) -> (String, bool) {
        let V::Lit(Lit::Str(t)) = self.val(template) else {
            let mut out = String::new();
            let ok = self.render(template, subject, &mut out);
            return (out, ok && args.is_empty());
        };
        let mut out = String::new();
        let mut ok = true;
        let mut chars = t.chars().peekable();
        let mut next = 0usize;
        while let Some(c) = chars.next() {
            if c != '%' {
                match c {
                    '{' => out.push_str("{{"),
                    '}' => out.push_str("}}"),
                    c => out.push(c),
                }
                continue;
            }
            if chars.peek() == Some(&'%') {
                chars.next();
                out.push('%');
                continue;
            }
            // flags, width, precision, then the conversion letter
            let mut conv = ' ';
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    conv = d;
                    break;
                }
            }
            match args.get(next) {
                Some(a) => ok &= self.render_value(a, subject, conv == 'r', &mut out),
                None => {
                    out.push('…');
                    ok = false;
                }
            }
            next += 1;
        }
        (out, ok)
    }
}

fn operand_of(v: V) -> Option<Operand> {
    match v {
        V::Field(f) => Some(Operand::Field(f)),
        V::Lit(l) => Some(Operand::Lit(l)),
        V::Operand(o) => Some(o),
        _ => None,
    }
}

fn ident_of(l: &Lit) -> Option<Ident> {
    match l {
        Lit::Null => Some(Ident::Null),
        Lit::Bool(true) => Some(Ident::True),
        Lit::Bool(false) => Some(Ident::False),
        _ => None,
    }
}

/// The kinds of a literal.
pub fn lit_kinds(l: &Lit) -> Kinds {
    match l {
        Lit::Null => Kinds::NONE,
        Lit::Bool(_) => Kinds::BOOL,
        Lit::Int(_) => Kinds::INT,
        Lit::Float(_) => Kinds::FLOAT,
        Lit::Str(_) => Kinds::STR,
        Lit::Seq(_) => Kinds::LIST,
    }
}

/// Escapes literal braces for a message template.
pub fn escape(s: &str) -> String {
    s.replace('{', "{{").replace('}', "}}")
}

/// The value `field` must have (in the identity sense) wherever every condition of `path`
/// holds: `f is None` / `f absent` give None, `f is True|False` the bool, `f == "s"` the string
/// (a string equals only the same string; `f == 1` does not fix the value: `True` and `1.0` pass).
fn implied_value(path: &[Pred], field: &str) -> Option<Lit> {
    fn walk(p: &Pred, field: &str) -> Option<Lit> {
        let is_field = |o: &Operand| matches!(o, Operand::Field(f) if f == field);
        match p {
            Pred::And(items) => items.iter().find_map(|i| walk(i, field)),
            Pred::Absent(f) if f == field => Some(Lit::Null),
            Pred::Is(o, ident) if is_field(o) => Some(match ident {
                Ident::Null => Lit::Null,
                Ident::True => Lit::Bool(true),
                Ident::False => Lit::Bool(false),
            }),
            Pred::Cmp(a, Op::Eq, Operand::Lit(Lit::Str(s)))
            | Pred::Cmp(Operand::Lit(Lit::Str(s)), Op::Eq, a)
                if is_field(a) =>
            {
                Some(Lit::Str(s.clone()))
            }
            _ => None,
        }
    }
    path.iter().find_map(|p| walk(p, field))
}

fn terminates(body: &[Stmt]) -> bool {
    matches!(
        body.last().map(|s| &s.kind),
        Some(StmtKind::Return(_) | StmtKind::Raise(_))
    )
}

fn body_returns(body: &[Stmt]) -> bool {
    matches!(body.last().map(|s| &s.kind), Some(StmtKind::Return(_)))
}

/// An ordering comparison found by [`ordering_comparisons`]: the conditions under which Python
/// evaluates it, the field, the operator as written and the type names in the order Python's
/// TypeError message gives them (a string field against an int or float literal).
type Comparison = (Vec<Pred>, String, &'static str, &'static str, &'static str);

/// Every `field <op> number` / `number <op> field` in `p`, in Python's evaluation order, with
/// the conditions under which it is evaluated (`a and b` reaches `b` when `a` holds, `a or b`
/// when `a` does not).
fn ordering_comparisons(p: &Pred, reach: &mut Vec<Pred>, out: &mut Vec<Comparison>) {
    match p {
        Pred::And(items) | Pred::Or(items) => {
            let is_and = matches!(p, Pred::And(_));
            let depth = reach.len();
            for item in items {
                ordering_comparisons(item, reach, out);
                reach.push(if is_and {
                    item.clone()
                } else {
                    item.clone().not()
                });
            }
            reach.truncate(depth);
        }
        Pred::Not(inner) => ordering_comparisons(inner, reach, out),
        Pred::Cmp(a, op, b) => {
            let symbol = match op {
                Op::Lt => "<",
                Op::Le => "<=",
                Op::Gt => ">",
                Op::Ge => ">=",
                _ => return,
            };
            let number = |o: &Operand| match o {
                Operand::Lit(Lit::Int(_)) => Some("int"),
                Operand::Lit(Lit::Float(_)) => Some("float"),
                _ => None,
            };
            match (a, b) {
                (Operand::Field(f), other) => {
                    if let Some(n) = number(other) {
                        out.push((reach.clone(), f.clone(), symbol, "str", n));
                    }
                }
                (other, Operand::Field(f)) => {
                    if let Some(n) = number(other) {
                        out.push((reach.clone(), f.clone(), symbol, n, "str"));
                    }
                }
                _ => {}
            }
        }
        _ => {}
    }
}

/// Whether `reach` holds only when `field` is not a string (a `type_is` test without `str`, or
/// an ordering comparison with a number that Python evaluated first).
fn excludes_strings(reach: &[Pred], field: &str) -> bool {
    reach.iter().any(|p| match p {
        Pred::Cmp(Operand::Field(f), Op::TypeIs, Operand::Lit(types)) if f == field => {
            let names: Vec<&Lit> = match types {
                Lit::Seq(items) => items.iter().collect(),
                other => vec![other],
            };
            !names.iter().any(|n| matches!(n, Lit::Str(s) if s == "str"))
        }
        // An earlier ordering comparison of the field with a number already raised for a string.
        Pred::Cmp(a, Op::Lt | Op::Le | Op::Gt | Op::Ge, b) => matches!(
            (a, b),
            (Operand::Field(f), Operand::Lit(Lit::Int(_) | Lit::Float(_)))
                | (Operand::Lit(Lit::Int(_) | Lit::Float(_)), Operand::Field(f)) if f == field
        ),
        Pred::And(items) => excludes_strings(items, field),
        _ => false,
    })
}
