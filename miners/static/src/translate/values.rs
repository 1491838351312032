//! Translating Python expressions to values: fields, literals, module constants, calls,
//! `hasattr`, `isinstance`, and what their uses tell about field types.

use super::{BUILTIN_TYPES, Binding, V, Walker, lit_kinds, operand_of};
use crate::pred::{Lit, Op, Operand, Pred, names_lit};
use crate::python::ast::{BinOp, Expr, ExprKind, UnaryOp};
use crate::resolve::fold;
use llemc_compiler::types::Kinds;
use std::ops::Not;

impl Walker<'_> {
    /// The field an attribute of `self` stores, if any.
    pub(super) fn field_for_attr(&self, attr: &str) -> Option<String> {
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

    pub(super) fn val(&mut self, e: &Expr) -> V {
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
                if let Some(l) = self.environment.get(attr.as_str()) {
                    return V::Lit(l.clone()); // `envs.NAME`: the assumed default
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
                if let (V::Lit(a), V::Lit(b)) = (&l, &r)
                    && let Some(v) = fold(a, *op, b)
                {
                    return V::Lit(v);
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
                    (V::Lit(l), Some(names)) => match lit_isinstance(&l, &names) {
                        Some(b) => V::Lit(Lit::Bool(b)),
                        None => V::Opaque(format!("`{}`", self.text(e))),
                    },
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

    pub(super) fn record_lit(&mut self, field: &str, l: &Lit) {
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
}

/// Python's `isinstance(l, names)` for a literal (a bound constant argument) when every name is
/// a scalar builtin; `None` when it cannot be known here.
fn lit_isinstance(l: &Lit, names: &[String]) -> Option<bool> {
    let mut known = true;
    for name in names {
        let hit = match name.as_str() {
            "int" => matches!(l, Lit::Int(_) | Lit::Bool(_)),
            "float" => matches!(l, Lit::Float(_)),
            "bool" => matches!(l, Lit::Bool(_)),
            "str" => matches!(l, Lit::Str(_)),
            _ => {
                known = false;
                false
            }
        };
        if hit && !matches!(l, Lit::Seq(_)) {
            return Some(true);
        }
    }
    (known && !matches!(l, Lit::Seq(_))).then_some(false)
}
