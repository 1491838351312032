//! Fields of a native type: what its `__init__` takes (parameters, `kwargs.pop("x", default)`),
//! which attributes store them, which `__init__` rewrites, class constants and simple
//! properties; and the schema types and defaults derived from them.

use super::pred::Lit;
use super::resolve::{Modules, scan_top};
use crate::python::Module;
use crate::python::ast::{BinOp, Expr, ExprKind, Stmt, StmtKind};
use llemc_compiler::types::{Kinds, Ty};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A field's default as `__init__` gives it.
#[derive(Clone, Debug, PartialEq)]
pub enum DefaultVal {
    /// A literal.
    Lit(Lit),
    /// An expression that is not a literal (its source text).
    NonLiteral(String),
    /// No default: the argument is required.
    Required,
}

/// One field.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldInfo {
    /// The kwarg name.
    pub name: String,
    /// Its `__init__` default.
    pub default: DefaultVal,
    /// Its annotation as a schema type, if annotated.
    pub annotation: Option<Ty>,
    /// The type the class docstring documents for it, if any.
    pub doc: Option<Ty>,
    /// Whether it is only named through `hasattr` (not a real parameter).
    pub extra: bool,
}

/// What the miner knows about one native type.
#[derive(Clone, Debug, Default)]
pub struct TypeInfo {
    /// Fully qualified name.
    pub native: String,
    /// Class name.
    pub class: String,
    /// Fields in `__init__` order.
    pub fields: Vec<FieldInfo>,
    /// `__init__` parameter names that are fields.
    pub params: BTreeSet<String>,
    /// Attribute → field it stores (`_load_in_4bit` → `load_in_4bit`).
    pub aliases: HashMap<String, String>,
    /// Fields `__init__` overwrites with something other than the user's value.
    pub rewritten: BTreeSet<String>,
    /// Class attributes and simple properties with literal values.
    pub class_consts: HashMap<String, Lit>,
    /// Name of the `**kwargs` parameter of `__init__`.
    pub kwargs_name: Option<String>,
    /// generate()-time fallbacks from a `defaults` landmark.
    pub generate_defaults: Option<BTreeMap<String, Lit>>,
    /// Names of the base classes (last segment of each dotted name).
    pub bases: Vec<String>,
    /// Attributes `__init__` sets on every path (`self.x = ...` outside any branch or loop).
    pub init_attrs: BTreeSet<String>,
    /// Attributes `__init__` sets on some paths only.
    pub conditional_attrs: BTreeSet<String>,
    /// Attributes a method other than `__init__` sets (`self.x = ...`).
    pub method_attrs: BTreeSet<String>,
    /// When `__init__` stores every unknown kwarg as an attribute
    /// (`for k, v in kwargs.items(): setattr(self, k, v)`): the conditions the loop runs under,
    /// each with the truth value it must have (an `else:` branch gives `(test, false)`).
    pub kwargs_setattr: Option<Vec<(Expr, bool)>>,
}

/// Collects the fields of class statement `class` in `module`.
pub fn collect(
    modules: &mut Modules,
    module_name: &str,
    module: &Module,
    native: &str,
    class: &Stmt,
) -> TypeInfo {
    let StmtKind::ClassDef {
        name, body, bases, ..
    } = &class.kind
    else {
        return TypeInfo::default();
    };
    let mut info = TypeInfo {
        native: native.to_owned(),
        class: name.clone(),
        bases: bases
            .iter()
            .filter_map(|b| b.dotted())
            .map(|d| d.rsplit('.').next().unwrap_or(&d).to_owned())
            .collect(),
        ..TypeInfo::default()
    };
    let doc = match body.first().map(|s| &s.kind) {
        Some(StmtKind::Expr(e)) => e.as_str().map(super::docstring::args),
        _ => None,
    }
    .unwrap_or_default();
    collect_class_consts(modules, module_name, body, &mut info);
    scan_top(body, &mut |s| {
        if let StmtKind::FunctionDef { name, body, .. } = &s.kind
            && name != "__init__"
        {
            self_assignments(body, &mut info.method_attrs);
        }
    });
    let Some(init) = super::resolve::find_method(class, "__init__") else {
        // no `__init__`: a dataclass-like class (msgspec Struct, pydantic dataclass)
        annotated_fields(modules, module_name, module, body, &doc, &mut info);
        return info;
    };
    let StmtKind::FunctionDef {
        params,
        kwarg,
        body,
        ..
    } = &init.kind
    else {
        return info;
    };
    info.kwargs_name = kwarg.clone();
    for p in params.iter().skip(1) {
        let default = match &p.default {
            None => DefaultVal::Required,
            Some(d) => default_of(modules, module_name, module, d),
        };
        info.fields.push(FieldInfo {
            name: p.name.clone(),
            default,
            annotation: p
                .annotation
                .as_ref()
                .and_then(|a| annotation_type(modules, module_name, a)),
            doc: doc.get(&p.name).and_then(|d| d.ty.clone()),
            extra: false,
        });
        info.params.insert(p.name.clone());
    }
    // kwargs.pop("x", default) anywhere in __init__, in source order
    let kw = kwarg.clone().unwrap_or_default();
    InitScan {
        modules,
        module_name,
        module,
        kw: &kw,
        info: &mut info,
        locals: HashMap::new(),
    }
    .scan(body, false);
    info.kwargs_setattr = setattr_loop(body, &kw, &[]);
    for f in &mut info.fields {
        if f.doc.is_none() {
            f.doc = doc.get(&f.name).and_then(|d| d.ty.clone());
        }
    }
    info
}

/// The fields of a class whose constructor its annotated class attributes make (dataclasses,
/// msgspec Structs, pydantic dataclasses): `name: T = default` in class-body order. Names
/// starting with `_` are internal and `ClassVar`s are not fields; a default written as a call
/// (`field(default_factory=...)`) is not a literal.
fn annotated_fields(
    modules: &mut Modules,
    module_name: &str,
    module: &Module,
    body: &[Stmt],
    doc: &BTreeMap<String, super::docstring::DocArg>,
    info: &mut TypeInfo,
) {
    for stmt in body {
        let StmtKind::AnnAssign {
            target,
            annotation,
            value,
        } = &stmt.kind
        else {
            continue;
        };
        let Some(name) = target.as_name() else {
            continue;
        };
        let class_var = annotation
            .dotted()
            .or_else(|| match &annotation.kind {
                ExprKind::Subscript { value, .. } => value.dotted(),
                _ => None,
            })
            .is_some_and(|d| d.rsplit('.').next() == Some("ClassVar"));
        if name.starts_with('_') || class_var || value.as_ref().is_some_and(not_in_init) {
            continue;
        }
        let default = match value {
            None => DefaultVal::Required,
            Some(value) => field_default(modules, module_name, module, value),
        };
        info.fields.push(FieldInfo {
            name: name.to_owned(),
            default,
            annotation: annotation_type(modules, module_name, annotation),
            doc: doc.get(name).and_then(|d| d.ty.clone()),
            extra: false,
        });
        info.params.insert(name.to_owned());
    }
}

/// A call's positional and keyword arguments (`None` key: `**mapping`).
type CallArgs<'e> = (&'e [Expr], &'e [(Option<String>, Expr)]);

/// The arguments of a pydantic `Field(...)` or dataclasses `field(...)` call (however it was
/// imported), if `value` is one.
fn field_call(value: &Expr) -> Option<CallArgs<'_>> {
    let ExprKind::Call {
        func,
        args,
        keywords,
    } = &value.kind
    else {
        return None;
    };
    let callee = func.dotted()?;
    let name = callee.rsplit('.').next().unwrap_or(&callee);
    matches!(name, "Field" | "field").then_some((args.as_slice(), keywords.as_slice()))
}

/// `field(init=False)` / `Field(init=False)`: an attribute the constructor does not take.
fn not_in_init(value: &Expr) -> bool {
    field_call(value).is_some_and(|(_, keywords)| {
        keywords
            .iter()
            .any(|(k, v)| k.as_deref() == Some("init") && matches!(v.kind, ExprKind::Bool(false)))
    })
}

/// The default of a dataclass-like field from the value written after its annotation.
pub(crate) fn field_default(
    modules: &mut Modules,
    module_name: &str,
    module: &Module,
    value: &Expr,
) -> DefaultVal {
    match field_call_default(value) {
        FieldCall::Default(d) => default_of(modules, module_name, module, d),
        FieldCall::Computed(d) => DefaultVal::NonLiteral(module.expr_text(d).to_owned()),
        FieldCall::NoDefault => DefaultVal::Required,
    }
}

/// What the value written after a dataclass-like field's annotation says about its default.
enum FieldCall<'e> {
    /// This expression is the default (a plain value, or `Field(default=...)`).
    Default(&'e Expr),
    /// The default is computed (`Field(default_factory=...)`, `field(default_factory=...)`).
    Computed(&'e Expr),
    /// `Field()` / `field()` without a default: the argument is required.
    NoDefault,
}

/// Reads pydantic's `Field(default, ...)` / `Field(default=...)` and dataclasses'
/// `field(default=...)`; any other value is the default itself.
fn field_call_default(value: &Expr) -> FieldCall<'_> {
    let Some((args, keywords)) = field_call(value) else {
        return FieldCall::Default(value);
    };
    let keyword = |key: &str| {
        keywords
            .iter()
            .find(|(k, _)| k.as_deref() == Some(key))
            .map(|(_, v)| v)
    };
    match keyword("default").or_else(|| args.first()) {
        Some(d) => FieldCall::Default(d),
        None => match keyword("default_factory") {
            Some(_) => FieldCall::Computed(value),
            None => FieldCall::NoDefault,
        },
    }
}

/// Class attributes and properties that return literals.
fn collect_class_consts(
    modules: &mut Modules,
    module_name: &str,
    body: &[Stmt],
    info: &mut TypeInfo,
) {
    let mut add = |name: &str, value: &Expr| {
        if let Some(l) = modules.const_expr(module_name, value, 0) {
            info.class_consts.entry(name.to_owned()).or_insert(l);
        }
    };
    scan_top(body, &mut |s| match &s.kind {
        StmtKind::Assign { targets, value } => {
            for n in targets.iter().filter_map(Expr::as_name) {
                add(n, value);
            }
        }
        StmtKind::AnnAssign {
            target,
            value: Some(value),
            ..
        } => {
            if let Some(n) = target.as_name() {
                add(n, value);
            }
        }
        StmtKind::FunctionDef {
            name,
            decorators,
            body,
            ..
        } if decorators.iter().any(|d| d.as_name() == Some("property")) => {
            let stmts: Vec<&Stmt> = body
                .iter()
                .filter(|s| !matches!(&s.kind, StmtKind::Expr(e) if e.as_str().is_some()))
                .collect();
            if let [only] = stmts.as_slice()
                && let StmtKind::Return(Some(v)) = &only.kind
            {
                add(name, v);
            }
        }
        _ => {}
    });
}

/// A default as written: a literal when it folds to one, else its source text.
fn default_of(modules: &mut Modules, module_name: &str, module: &Module, d: &Expr) -> DefaultVal {
    match modules.const_expr(module_name, d, 0) {
        Some(l) => DefaultVal::Lit(l),
        None => DefaultVal::NonLiteral(module.expr_text(d).to_owned()),
    }
}

fn kwarg_pop(e: &Expr, kw: &str) -> Option<(String, Option<Expr>)> {
    let ExprKind::Call { func, args, .. } = &e.kind else {
        return None;
    };
    let ExprKind::Attribute { value, attr } = &func.kind else {
        return None;
    };
    if value.as_name() != Some(kw) || (attr != "pop" && attr != "get") || kw.is_empty() {
        return None;
    }
    let key = args.first()?.as_str()?.to_owned();
    Some((key, args.get(1).cloned()))
}

/// One pass over `__init__`: the kwargs it pops, the attributes that store fields (and under
/// which names), and the fields it rewrites.
struct InitScan<'a> {
    modules: &'a mut Modules,
    module_name: &'a str,
    module: &'a Module,
    /// Name of the `**kwargs` parameter (empty when there is none).
    kw: &'a str,
    info: &'a mut TypeInfo,
    /// Local variable -> the field it holds.
    locals: HashMap<String, String>,
}

impl InitScan<'_> {
    /// Scans `body`; `conditional` when it runs on some paths only (a branch, a loop, a handler).
    fn scan(&mut self, body: &[Stmt], conditional: bool) {
        for stmt in body {
            match &stmt.kind {
                StmtKind::Assign { targets, value } => {
                    let stored = self.stored_field(value, conditional);
                    for t in targets {
                        self.store(t, stored.as_deref(), conditional);
                    }
                }
                StmtKind::If { body, clauses, .. } => {
                    self.scan(body, true);
                    for c in clauses {
                        self.scan(&c.body, true);
                    }
                }
                StmtKind::For { body, .. }
                | StmtKind::While { body, .. }
                | StmtKind::With { body } => self.scan(body, true),
                StmtKind::Try {
                    body,
                    handlers,
                    orelse,
                    finalbody,
                } => {
                    self.scan(body, conditional);
                    for h in handlers {
                        self.scan(h, true);
                    }
                    self.scan(orelse, conditional);
                    self.scan(finalbody, conditional);
                }
                _ => {}
            }
        }
    }

    /// The field an assigned value is (the user's kwarg), if it is one; a kwarg popped on every
    /// path becomes a field.
    fn stored_field(&mut self, value: &Expr, conditional: bool) -> Option<String> {
        if let Some((key, default)) = kwarg_pop(value, self.kw) {
            if !conditional && !self.info.fields.iter().any(|f| f.name == key) {
                let default = match &default {
                    None => DefaultVal::Lit(Lit::Null),
                    Some(d) => default_of(self.modules, self.module_name, self.module, d),
                };
                self.info.fields.push(FieldInfo {
                    name: key.clone(),
                    default,
                    annotation: None,
                    doc: None,
                    extra: false,
                });
            }
            return Some(key);
        }
        let n = value.as_name()?;
        if self.info.params.contains(n) {
            Some(n.to_owned())
        } else {
            self.locals.get(n).cloned()
        }
    }

    /// Records what assigning `stored` (a field, or something else) to `target` means.
    fn store(&mut self, target: &Expr, stored: Option<&str>, conditional: bool) {
        match &target.kind {
            ExprKind::Name(n) => {
                if let (Some(f), false) = (stored, conditional) {
                    self.locals.insert(n.clone(), f.to_owned());
                }
            }
            ExprKind::Attribute { value: obj, attr } if obj.as_name() == Some("self") => {
                if conditional {
                    self.info.conditional_attrs.insert(attr.clone());
                } else {
                    self.info.init_attrs.insert(attr.clone());
                }
                self.store_attr(attr, stored, conditional);
            }
            _ => {}
        }
    }

    /// `self.attr = stored`: an alias of the field on every path; else a rewrite of the field
    /// the attribute stores.
    fn store_attr(&mut self, attr: &str, stored: Option<&str>, conditional: bool) {
        match stored {
            Some(f) if !conditional => {
                if attr != f {
                    self.info.aliases.insert(attr.to_owned(), f.to_owned());
                }
            }
            Some(f) if attr == f => {}
            _ => {
                let field = self.info.aliases.get(attr).cloned().or_else(|| {
                    self.info
                        .fields
                        .iter()
                        .find(|x| x.name == attr)
                        .map(|x| x.name.clone())
                });
                // an attribute set from something else is not a field
                if let Some(field) = field
                    && (conditional || stored.is_none())
                {
                    self.info.rewritten.insert(field);
                }
            }
        }
    }
}

/// The guards of a `for k, v in <kw>.items(): setattr(self, k, v)` loop in `body` (also inside
/// `if` / `else` and `try` blocks), if there is one.
fn setattr_loop(body: &[Stmt], kw: &str, guards: &[(Expr, bool)]) -> Option<Vec<(Expr, bool)>> {
    if kw.is_empty() {
        return None;
    }
    for stmt in body {
        let found = match &stmt.kind {
            StmtKind::For {
                target, iter, body, ..
            } => {
                let vars = match &target.kind {
                    ExprKind::Tuple(items) => match items.as_slice() {
                        [k, v] => k.as_name().zip(v.as_name()),
                        _ => None,
                    },
                    _ => None,
                };
                let over_kwargs = matches!(&iter.kind, ExprKind::Call { func, args, .. }
                    if args.is_empty() && matches!(&func.kind, ExprKind::Attribute { value, attr }
                        if attr == "items" && value.as_name() == Some(kw)));
                match vars {
                    Some((k, v)) if over_kwargs && stores_all(body, k, v) => Some(guards.to_vec()),
                    _ => None,
                }
            }
            StmtKind::If {
                test,
                body,
                clauses,
            } => {
                let mut g = guards.to_vec();
                g.push((test.clone(), true));
                let mut found = setattr_loop(body, kw, &g);
                let mut negs = guards.to_vec();
                negs.push((test.clone(), false));
                for c in clauses {
                    if found.is_some() {
                        break;
                    }
                    let mut g = negs.clone();
                    if let Some(t) = &c.test {
                        g.push((t.clone(), true));
                        negs.push((t.clone(), false));
                    }
                    found = setattr_loop(&c.body, kw, &g);
                }
                found
            }
            StmtKind::Try { body, .. } | StmtKind::With { body } => setattr_loop(body, kw, guards),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// Every `self.x = ...` target anywhere in `body`.
fn self_assignments(body: &[Stmt], out: &mut BTreeSet<String>) {
    for s in body {
        match &s.kind {
            StmtKind::Assign { targets, .. } => {
                for t in targets {
                    if let ExprKind::Attribute { value, attr } = &t.kind
                        && value.as_name() == Some("self")
                    {
                        out.insert(attr.clone());
                    }
                }
            }
            StmtKind::AnnAssign { target, .. } => {
                if let ExprKind::Attribute { value, attr } = &target.kind
                    && value.as_name() == Some("self")
                {
                    out.insert(attr.clone());
                }
            }
            // Nested definitions assign their own `self`.
            StmtKind::ClassDef { .. } | StmtKind::FunctionDef { .. } => {}
            _ => {
                for block in s.blocks() {
                    self_assignments(block, out);
                }
            }
        }
    }
}

/// Whether `body` calls `setattr(self, k, v)` on every pass (directly or in a `try` body).
fn stores_all(body: &[Stmt], k: &str, v: &str) -> bool {
    body.iter().any(|s| match &s.kind {
        StmtKind::Expr(e) => matches!(&e.kind, ExprKind::Call { func, args, .. }
            if func.as_name() == Some("setattr")
                && matches!(args.as_slice(), [o, a, b]
                    if o.as_name() == Some("self") && a.as_name() == Some(k) && b.as_name() == Some(v))),
        StmtKind::Try { body, .. } => stores_all(body, k, v),
        _ => false,
    })
}

/// A parameter annotation as a schema type (`None` when it cannot be read).
pub fn annotation_type(modules: &mut Modules, module_name: &str, e: &Expr) -> Option<Ty> {
    let text = Annotation { modules, depth: 0 }.text(module_name, e)?;
    Ty::parse(&text).ok()
}

/// An annotation as the schema's type grammar: module-level type aliases (`CacheDType =
/// Literal[...]`, also imported ones) expanded, `Literal[...]` as the types of its members, and
/// the wrappers that do not change what a value may be (`Annotated`, pydantic's
/// `SkipValidation`, `InitVar`, `Final`) unwrapped.
struct Annotation<'m> {
    modules: &'m mut Modules,
    depth: u32,
}

impl Annotation<'_> {
    fn text(&mut self, module: &str, e: &Expr) -> Option<String> {
        match &e.kind {
            ExprKind::Name(n) => Some(match n.as_str() {
                "Any" => "any".to_owned(),
                other => self
                    .alias(module, other)
                    .unwrap_or_else(|| other.to_owned()),
            }),
            ExprKind::None => Some("None".to_owned()),
            ExprKind::Attribute { .. } => e.dotted(),
            ExprKind::Str(s) => {
                if s.chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
                {
                    Some(self.alias(module, s).unwrap_or_else(|| s.clone()))
                } else {
                    None
                }
            }
            ExprKind::Subscript { value, index } => {
                let head = value.dotted()?;
                let head = head.rsplit('.').next().unwrap_or(&head).to_owned();
                let items: Vec<&Expr> = match &index.kind {
                    ExprKind::Tuple(items) => items.iter().collect(),
                    _ => vec![index],
                };
                match head.as_str() {
                    "Literal" => self.literal_members(module, &items),
                    "Annotated" | "SkipValidation" | "InitVar" | "Final" | "Required"
                    | "NotRequired" => self.text(module, items.first()?),
                    _ => {
                        let args: Vec<String> = items
                            .iter()
                            .map(|i| self.text(module, i))
                            .collect::<Option<_>>()?;
                        Some(format!("{head}[{}]", args.join(", ")))
                    }
                }
            }
            ExprKind::BinOp {
                left,
                op: BinOp::BitOr,
                right,
            } => {
                let mut members = Vec::new();
                self.union(module, left, &mut members)?;
                self.union(module, right, &mut members)?;
                Some(format!("Union[{}]", members.join(", ")))
            }
            _ => None,
        }
    }

    fn union(&mut self, module: &str, e: &Expr, out: &mut Vec<String>) -> Option<()> {
        match &e.kind {
            ExprKind::BinOp {
                left,
                op: BinOp::BitOr,
                right,
            } => {
                self.union(module, left, out)?;
                self.union(module, right, out)
            }
            _ => {
                out.push(self.text(module, e)?);
                Some(())
            }
        }
    }

    /// The expansion of `name` when the module assigns it a type expression (an alias).
    fn alias(&mut self, module: &str, name: &str) -> Option<String> {
        if self.depth > 16 {
            return None;
        }
        let (defined_in, expr) = self.modules.definition(module, name, 0)?;
        // `X = Literal[...]`, `X = A | B`, `X: TypeAlias = str`
        let is_type = match &expr.kind {
            ExprKind::Subscript { .. }
            | ExprKind::BinOp {
                op: BinOp::BitOr, ..
            } => true,
            ExprKind::Name(n) => matches!(
                n.as_str(),
                "str" | "int" | "float" | "bool" | "list" | "dict" | "tuple" | "set"
            ),
            _ => false,
        };
        if !is_type {
            return None;
        }
        self.depth += 1;
        let text = self.text(&defined_in, &expr);
        self.depth -= 1;
        text
    }

    /// The types of a `Literal[...]`'s members, as one type (a member that names another
    /// `Literal` alias contributes that alias's types).
    fn literal_members(&mut self, module: &str, items: &[&Expr]) -> Option<String> {
        let mut kinds: Vec<String> = Vec::new();
        for item in items {
            let kind = match &item.kind {
                ExprKind::None => "None".to_owned(),
                ExprKind::Bool(_) => "bool".to_owned(),
                ExprKind::Int(_) | ExprKind::OtherNumber(_) => "int".to_owned(),
                ExprKind::Float(_) => "float".to_owned(),
                ExprKind::Str(_) => "str".to_owned(),
                ExprKind::Unary { operand, .. } => match operand.kind {
                    ExprKind::Float(_) => "float".to_owned(),
                    _ => "int".to_owned(),
                },
                ExprKind::Name(name) => self.alias(module, name)?,
                _ => return None,
            };
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        match kinds.as_slice() {
            [] => None,
            [one] => Some(one.clone()),
            many => Some(format!("Union[{}]", many.join(", "))),
        }
    }
}

/// The schema type of a field: its annotation; else the type the class docstring documents,
/// widened by any kind the default, the generate()-time fallback or the validators' comparisons
/// and isinstance checks show that the docstring does not list; else what those show alone
/// (`any` when nothing does). `None` is a member when the default is None or a validator
/// compares the field with None (`*optional*` in a docstring says the argument may be omitted,
/// not that None is accepted: BitsAndBytesConfig rejects `load_in_8bit=None`).
pub fn field_type(
    field: &FieldInfo,
    usage: Option<Kinds>,
    classes: Option<&BTreeSet<String>>,
    fallback: Option<&Lit>,
) -> Ty {
    if let Some(t) = &field.annotation {
        // a default the annotation does not admit (`SkipValidation[BlockSize] = None`) is still
        // a value the field holds
        return match (&field.default, t.kinds().intersects(Kinds::NONE)) {
            (DefaultVal::Lit(Lit::Null), false) => match t {
                Ty::Union(m) => Ty::Union(m.iter().cloned().chain([Ty::None]).collect()),
                other => Ty::Union(vec![other.clone(), Ty::None]),
            },
            _ => t.clone(),
        };
    }
    let mut kinds = usage.unwrap_or(Kinds::EMPTY);
    if let Some(l) = fallback {
        kinds = kinds.or(super::translate::lit_kinds(l));
    }
    match &field.default {
        DefaultVal::Lit(l) => kinds = kinds.or(super::translate::lit_kinds(l)),
        DefaultVal::NonLiteral(_) | DefaultVal::Required => {}
    }
    let mut members = Vec::new();
    let mut rest = kinds;
    if let Some(doc) = &field.doc {
        match doc {
            Ty::Union(m) => members.extend(m.iter().filter(|t| **t != Ty::None).cloned()),
            Ty::None => {}
            other => members.push(other.clone()),
        }
        if doc.kinds().intersects(Kinds::NONE) {
            rest = rest.or(Kinds::NONE);
        }
        rest = rest.without(doc.kinds().without(Kinds::NONE));
        if members.contains(&Ty::Any) {
            return Ty::Any;
        }
    }
    members.extend(kind_members(rest, classes));
    if members.is_empty() {
        return Ty::Any;
    }
    let base = if members.len() == 1 {
        members.pop().unwrap_or(Ty::Any)
    } else {
        Ty::Union(members)
    };
    if rest.intersects(Kinds::NONE) {
        match base {
            Ty::Union(mut m) => {
                m.push(Ty::None);
                Ty::Union(m)
            }
            other => Ty::Union(vec![other, Ty::None]),
        }
    } else {
        base
    }
}

/// Schema types for a set of kinds (without None).
fn kind_members(kinds: Kinds, classes: Option<&BTreeSet<String>>) -> Vec<Ty> {
    let mut members = Vec::new();
    if kinds.intersects(Kinds::BOOL) {
        members.push(Ty::Bool);
    }
    if kinds.intersects(Kinds::FLOAT) {
        members.push(Ty::Float);
    } else if kinds.intersects(Kinds::INT) {
        members.push(Ty::Int);
    }
    if kinds.intersects(Kinds::STR) {
        members.push(Ty::Str);
    }
    if kinds.intersects(Kinds::LIST) {
        members.push(Ty::List(Box::new(Ty::Any)));
    }
    if kinds.intersects(Kinds::DICT) {
        members.push(Ty::Dict(Box::new(Ty::Any), Box::new(Ty::Any)));
    }
    if kinds.intersects(Kinds::OBJECT) {
        for c in classes.into_iter().flatten() {
            members.push(Ty::Class(c.clone()));
        }
    }
    members
}

/// The dict a `defaults` landmark returns (`return {"key": literal, ...}`).
pub fn returned_dict(
    modules: &mut Modules,
    module_name: &str,
    body: &[Stmt],
) -> Option<BTreeMap<String, Lit>> {
    for stmt in body {
        if let StmtKind::Return(Some(e)) = &stmt.kind
            && let ExprKind::Dict(items) = &e.kind
        {
            let mut out = BTreeMap::new();
            for (k, v) in items {
                let key = k.as_ref()?.as_str()?.to_owned();
                if let Some(l) = modules.const_expr(module_name, v, 0) {
                    out.insert(key, l);
                }
            }
            return Some(out);
        }
    }
    None
}
