//! Walking statements: branches, loops, `try`, assignments, and the sites each detector finds.

use super::{Binding, Detector, Site, V, Walker, escape};
use crate::fields::DefaultVal;
use crate::pred::{Ident, Lit, Op, Operand, Pred};
use crate::python::ast::{BinOp, Clause, Expr, ExprKind, Stmt, StmtKind};
use std::collections::{BTreeSet, HashMap};
use std::ops::Not;

/// Where walking goes after an `if` statement.
enum AfterIf {
    /// Every branch ends in `raise` / `return`: nothing after the statement is reached.
    Stop,
    /// Walking goes on, under this extra condition when a branch returns.
    Continue(Option<Pred>),
}

/// What the branches of one `if` statement have done so far.
struct Branches {
    /// The local bindings before the statement.
    before: HashMap<String, Binding>,
    /// Locals some branch assigns.
    assigned: BTreeSet<String>,
    /// Locals some branch only appends to (`msg += "..."`): after the statement they hold their
    /// value before it, maybe followed by more.
    appended: BTreeSet<String>,
    /// The conditions of the branches that fall through.
    cont: Vec<Pred>,
    /// Whether every branch so far ends in `raise` / `return`.
    all_terminate: bool,
}

impl<'a> Walker<'a> {
    /// Walks a method body.
    pub fn walk_body(&mut self, body: &[Stmt]) {
        self.walk(body, &[]);
    }

    /// Walks `body` under `path`; gives the condition under which walking goes on after it, or
    /// `None` when every way through it ends in `raise` / `return`.
    fn walk(&mut self, body: &[Stmt], path: &[Pred]) -> Option<Vec<Pred>> {
        let mut path: Vec<Pred> = path.to_vec();
        for stmt in body {
            match &stmt.kind {
                StmtKind::If {
                    test,
                    body,
                    clauses,
                } => match self.walk_if(stmt, test, body, clauses, &path) {
                    AfterIf::Stop => return None,
                    AfterIf::Continue(extra) => path.extend(extra),
                },
                StmtKind::For {
                    target, iter, body, ..
                } => self.walk_for(target, iter, body, &path),
                StmtKind::While { test, body } => {
                    let mut p = path.clone();
                    p.push(Pred::opaque(
                        format!("while {}", self.text(test)),
                        "while loop",
                    ));
                    self.walk_scoped(body, &p);
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
                        self.walk_scoped(h, &p);
                    }
                    self.walk(orelse, &path);
                    self.walk(finalbody, &path);
                }
                StmtKind::Expr(e) if self.inlinable(e).is_some() => {
                    match self.walk_inlined(e, &path) {
                        Some(after) => path = after,
                        None => return None,
                    }
                }
                StmtKind::With { body } => match self.walk(body, &path) {
                    Some(after) => path = after,
                    None => return None,
                },
                StmtKind::Assign { targets, value } => {
                    for t in targets {
                        self.assign(stmt, t, value, &path);
                    }
                }
                StmtKind::AugAssign {
                    target,
                    op: BinOp::Add,
                    value,
                } => self.append(target, value),
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
        Some(path)
    }

    /// What a call statement walked in place runs: the body of the method a `self.m(args)`
    /// statement calls (a method of the class, not a landmark of its own), or of the
    /// module-level function a `f(args)` statement calls (vLLM 0.33's
    /// `_verify_num_sequences(self.n, "n")`), with its parameters bound to the arguments; never
    /// one already being walked. Gives the name, the body and the bindings.
    fn inlinable(&self, e: &Expr) -> Option<Inlined<'a>> {
        let ExprKind::Call {
            func,
            args,
            keywords,
        } = &e.kind
        else {
            return None;
        };
        if self.inlined.len() >= 8 {
            return None;
        }
        let module: &'a crate::python::Module = self.module;
        match &func.kind {
            ExprKind::Attribute { value, attr } => {
                if value.as_name() != Some("self")
                    || self.landmarks.contains(attr)
                    || self.inlined.contains(attr)
                    || *attr == self.method
                {
                    return None;
                }
                let class = crate::resolve::find_class(module, &self.info.class)?;
                match &crate::resolve::find_method(class, attr)?.kind {
                    StmtKind::FunctionDef {
                        params,
                        body,
                        kwarg: None,
                        ..
                    } => {
                        // `self` is the first parameter
                        let bindings = bind_arguments(params.get(1..)?, args, keywords)?;
                        Some((attr.clone(), body, bindings))
                    }
                    _ => None,
                }
            }
            ExprKind::Name(name) if !self.inlined.contains(name) => {
                let StmtKind::FunctionDef {
                    params,
                    body,
                    kwarg: None,
                    ..
                } = &module
                    .body
                    .iter()
                    .find(
                        |s| matches!(&s.kind, StmtKind::FunctionDef { name: n, .. } if n == name),
                    )?
                    .kind
                else {
                    return None;
                };
                let bindings = bind_arguments(params, args, keywords)?;
                Some((name.clone(), body, bindings))
            }
            _ => None,
        }
    }

    /// Walks what a call statement runs in place (see [`Walker::inlinable`]), under `path`, with
    /// its own locals (a function's parameters bound to the caller's arguments); gives the
    /// condition under which the caller goes on.
    fn walk_inlined(&mut self, e: &Expr, path: &[Pred]) -> Option<Vec<Pred>> {
        let (name, body, bindings) = self.inlinable(e)?;
        let before = std::mem::take(&mut self.env);
        // an argument is read where the caller wrote it, so it is bound to the caller's value
        for (param, argument) in bindings {
            let value = Binding::Value(self.val(&argument));
            self.env.insert(param, value);
        }
        self.inlined.push(name);
        let after = self.walk(body, path);
        self.inlined.pop();
        self.env = before;
        after
    }

    /// Walks `body` with the local bindings restored afterwards.
    fn walk_scoped(&mut self, body: &[Stmt], path: &[Pred]) {
        let before = self.env.clone();
        self.walk(body, path);
        self.env = before;
    }

    /// `if` / `elif` / `else`: each branch under its condition and the negation of the ones
    /// before it; locals a branch assigns become opaque after the statement.
    fn walk_if(
        &mut self,
        stmt: &Stmt,
        test: &Expr,
        body: &[Stmt],
        clauses: &[Clause],
        path: &[Pred],
    ) -> AfterIf {
        let t = self.cond(test);
        self.real_number_sites(stmt, path, test);
        self.type_error_sites(stmt, path, &t);
        let mut negs = vec![t.clone().not()];
        let mut branches = Branches {
            before: self.env.clone(),
            assigned: BTreeSet::new(),
            appended: BTreeSet::new(),
            cont: Vec::new(),
            all_terminate: true,
        };
        self.walk_branch(path, vec![t], body, &mut branches);
        let mut has_else = false;
        for clause in clauses {
            match &clause.test {
                Some(test) => {
                    let ti = self.cond(test);
                    let mut reached = path.to_vec();
                    reached.extend(negs.iter().cloned());
                    self.type_error_sites(stmt, &reached, &ti);
                    let mut c = negs.clone();
                    c.push(ti.clone());
                    self.walk_branch(path, c, &clause.body, &mut branches);
                    negs.push(ti.not());
                }
                None => {
                    has_else = true;
                    self.walk_branch(path, negs.clone(), &clause.body, &mut branches);
                }
            }
        }
        if !has_else {
            branches.all_terminate = false;
            branches.cont.push(Pred::And(negs));
        }
        for name in branches.appended.difference(&branches.assigned) {
            if let Some(Binding::Expr(old)) = branches.before.get(name) {
                // the value before the statement, then an unknown tail (rendered `…`)
                let tail = Expr {
                    kind: ExprKind::Name(String::new()),
                    start: old.end,
                    end: old.end,
                };
                let maybe_more = concat(old.clone(), tail);
                self.env.insert(name.clone(), Binding::Expr(maybe_more));
            }
        }
        for name in branches.assigned {
            self.env.insert(
                name.clone(),
                Binding::Value(V::Opaque(format!("local `{name}` is assigned in a branch"))),
            );
        }
        if branches.all_terminate {
            return AfterIf::Stop;
        }
        // a branch that returns: what follows runs only when it was not taken
        let any_returns = body_returns(body) || clauses.iter().any(|c| body_returns(&c.body));
        AfterIf::Continue(any_returns.then_some(Pred::Or(branches.cont)))
    }

    /// One branch of an `if` under `cond`: records the locals it assigns and, when it does not
    /// end in `raise` / `return`, the condition under which walking continues after it.
    fn walk_branch(
        &mut self,
        path: &[Pred],
        cond: Vec<Pred>,
        body: &[Stmt],
        branches: &mut Branches,
    ) {
        let mut p = path.to_vec();
        p.extend(cond.iter().cloned());
        self.walk(body, &p);
        for (k, v) in &self.env {
            match (branches.before.get(k), v) {
                (Some(before), after) if before == after => {}
                (Some(Binding::Expr(old)), Binding::Expr(new)) if appends_to(new, old) => {
                    branches.appended.insert(k.clone());
                }
                _ => {
                    branches.assigned.insert(k.clone());
                }
            }
        }
        self.env = branches.before.clone();
        if !terminates(body) {
            branches.all_terminate = false;
            branches.cont.push(Pred::And(cond));
        }
    }

    /// `for var in iter`: once per item of a literal collection, else under an opaque
    /// condition with the loop variable opaque.
    fn walk_for(&mut self, target: &Expr, iter: &Expr, body: &[Stmt], path: &[Pred]) {
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
                    self.walk(body, path);
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
                let mut p = path.to_vec();
                p.push(Pred::opaque(
                    format!("for {} in {}", self.text(target), self.text(iter)),
                    "loop over an iterable that is not a literal collection",
                ));
                self.walk(body, &p);
                self.env = before;
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn push_site(
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
        let mut read = BTreeSet::new();
        Pred::And(conj.clone()).fields(&mut read);
        for (field, guard) in &self.rewrites {
            if read.contains(field) {
                conj.push(guard.clone().not());
            }
        }
        self.sites.push(Site {
            detector,
            line: self.module.line_of(stmt.start),
            when: Pred::And(conj),
            message,
            subject,
            normalised,
            source: self.stmt_text(stmt),
            reshaped: false,
        });
    }

    /// `name += value` on a local: its binding becomes `old + value` (a message built in parts).
    fn append(&mut self, target: &Expr, value: &Expr) {
        let Some(name) = target.as_name() else { return };
        let next = match self.env.get(name) {
            Some(Binding::Expr(old)) => Binding::Expr(concat(old.clone(), value.clone())),
            Some(Binding::Value(_)) => {
                Binding::Value(V::Opaque(format!("local `{name}` is appended to")))
            }
            None => return,
        };
        self.env.insert(name.to_owned(), next);
    }

    fn assign(&mut self, stmt: &Stmt, target: &Expr, value: &Expr, path: &[Pred]) {
        match &target.kind {
            ExprKind::Name(n) => {
                self.env.insert(n.clone(), Binding::Expr(value.clone()));
            }
            ExprKind::Subscript {
                value: container,
                index,
            } if container.as_name().is_some() && container.as_name() == self.minor_issues => {
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
            ExprKind::Attribute { value: obj, attr } if obj.as_name() == Some("self") => {
                let Some(field) = self.field_for_attr(attr) else {
                    return;
                };
                let v = self.val(value);
                if v == V::Field(field.clone()) {
                    return; // identity: the user's value is kept
                }
                let implied = implied_value(path, &field);
                if let V::Lit(l) = &v
                    && implied.as_ref() == Some(l)
                {
                    return; // `if x is None: self.x = None`: the value does not change
                }
                if path.is_empty() || self.fills_default(&field, implied.as_ref()) {
                    self.rewrites.push((field, Pred::And(path.to_vec())));
                    return;
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
                let reshaped = matches!(&normalised, Err(text) if reads_self_attr(text, attr));
                let changed = match &normalised {
                    // a dataclass's `__post_init__` may set a field to the value it already
                    // holds (greedy sampling resets `top_p` to 1.0): that changes nothing
                    // (unless the condition fixes the value already: `logprobs is True` -> 1)
                    Ok(l @ (Lit::Bool(_) | Lit::Int(_) | Lit::Float(_) | Lit::Str(_)))
                        if self.method == "__post_init__" && implied.is_none() =>
                    {
                        Pred::Cmp(
                            Operand::Field(field.clone()),
                            Op::Ne,
                            Operand::Lit(l.clone()),
                        )
                    }
                    _ => Pred::True,
                };
                self.push_site(
                    stmt,
                    Detector::Normalise,
                    path,
                    changed,
                    Some((message, true)),
                    Some(field.clone()),
                    Some((field.clone(), normalised)),
                );
                if self.method == "__post_init__"
                    && reshaped
                    && let Some(site) = self.sites.last_mut()
                {
                    site.reshaped = true;
                }
                self.rewrites.push((field, Pred::And(path.to_vec())));
            }
            _ => {}
        }
    }

    /// Whether a reassignment under a condition that fixes `field` to `implied` only replaces
    /// the field's own default (`if self.stop is None: self.stop = []` with default None): a
    /// value the user did not choose, so no finding (the value still changes for later checks).
    fn fills_default(&self, field: &str, implied: Option<&Lit>) -> bool {
        let Some(implied) = implied else {
            return false;
        };
        self.method == "__post_init__"
            && self
                .info
                .fields
                .iter()
                .any(|f| f.name == field && f.default == DefaultVal::Lit(implied.clone()))
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
        let ExprKind::Call {
            func,
            args,
            keywords,
        } = &exc.kind
        else {
            return None;
        };
        let (mut text, mut complete) = self.message(args.first()?, None);
        let class = func.dotted().unwrap_or_default();
        let class = class.rsplit('.').next().unwrap_or_default();
        let Some(names) = self.message_keywords.get(class).cloned() else {
            return Some((text, complete));
        };
        // `str()` appends ` (k1=v1, k2=v2)` for the keywords given (a None value is left out)
        let mut extras = Vec::new();
        for name in names {
            let Some((_, value)) = keywords.iter().find(|(k, _)| k.as_deref() == Some(&name))
            else {
                continue;
            };
            if matches!(value.kind, ExprKind::None) {
                continue;
            }
            let mut rendered = String::new();
            complete &= self.render_value(value, None, false, &mut rendered);
            extras.push(format!("{name}={rendered}"));
        }
        if !extras.is_empty() {
            text.push_str(&format!(" ({})", extras.join(", ")));
        }
        Some((text, complete))
    }
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

/// Whether source `text` reads `self.<attr>` (and not a longer attribute name).
fn reads_self_attr(text: &str, attr: &str) -> bool {
    let needle = format!("self.{attr}");
    text.match_indices(&needle).any(|(at, _)| {
        !text
            .get(at + needle.len()..)
            .and_then(|rest| rest.chars().next())
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
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

/// `left + right`, as the walker reads `left += right`.
fn concat(left: Expr, right: Expr) -> Expr {
    let (start, end) = (left.start, right.end);
    Expr {
        kind: ExprKind::BinOp {
            left: Box::new(left),
            op: BinOp::Add,
            right: Box::new(right),
        },
        start,
        end,
    }
}

/// Whether `new` is `old + ...` (one or more appends).
fn appends_to(new: &Expr, old: &Expr) -> bool {
    match &new.kind {
        ExprKind::BinOp {
            left,
            op: BinOp::Add,
            ..
        } => left.as_ref() == old || appends_to(left, old),
        _ => false,
    }
}

/// What a call statement walked in place runs: its name, its body, and its parameters bound to
/// the call's arguments.
type Inlined<'a> = (String, &'a [Stmt], Vec<(String, Expr)>);

/// Binds a function's parameters to a call's arguments (positional, then keywords, then
/// literal defaults); `None` when the call does not fit plainly (`*args`, `**kwargs`, a
/// parameter left without a value).
fn bind_arguments(
    params: &[crate::python::ast::Param],
    args: &[Expr],
    keywords: &[(Option<String>, Expr)],
) -> Option<Vec<(String, Expr)>> {
    if args.len() > params.len() || args.iter().any(|a| matches!(a.kind, ExprKind::Starred(_))) {
        return None;
    }
    let mut bound: Vec<(String, Expr)> = Vec::new();
    for (param, arg) in params.iter().zip(args) {
        bound.push((param.name.clone(), arg.clone()));
    }
    for (key, value) in keywords {
        let key = key.as_ref()?;
        if !params.iter().any(|p| &p.name == key) || bound.iter().any(|(n, _)| n == key) {
            return None;
        }
        bound.push((key.clone(), value.clone()));
    }
    for param in params {
        if bound.iter().any(|(n, _)| *n == param.name) {
            continue;
        }
        bound.push((param.name.clone(), param.default.clone()?));
    }
    Some(bound)
}
