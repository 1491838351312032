//! Finding modules, classes, methods and module constants inside a library source tree.

use super::MineError;
use super::pred::Lit;
use crate::python::ast::{BinOp, Expr, ExprKind, Stmt, StmtKind, UnaryOp};
use crate::python::{Module, parse_module};
use llemc_grammar::ast::Span;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Parsed modules of one source tree, by dotted name.
pub struct Modules {
    root: PathBuf,
    cache: HashMap<String, Option<Rc<Module>>>,
}

impl Modules {
    /// A cache over the tree at `root` (the folder holding the top-level package).
    pub fn new(root: &Path) -> Self {
        Modules {
            root: root.to_path_buf(),
            cache: HashMap::new(),
        }
    }

    /// The path of `dotted` relative to the root, if it exists (`a/b.py` or `a/b/__init__.py`).
    pub fn rel_path(&self, dotted: &str) -> Option<String> {
        let base = dotted.replace('.', "/");
        let file = format!("{base}.py");
        if self.root.join(&file).is_file() {
            return Some(file);
        }
        let init = format!("{base}/__init__.py");
        if self.root.join(&init).is_file() {
            return Some(init);
        }
        None
    }

    /// The parsed module `dotted`; `Ok(None)` when there is no such file; a syntax error is a
    /// hard error naming the file and line.
    pub fn load(&mut self, dotted: &str) -> Result<Option<Rc<Module>>, MineError> {
        if let Some(m) = self.cache.get(dotted) {
            return Ok(m.clone());
        }
        let Some(rel) = self.rel_path(dotted) else {
            self.cache.insert(dotted.to_owned(), None);
            return Ok(None);
        };
        let path = self.root.join(&rel);
        let text = std::fs::read_to_string(&path).map_err(|e| MineError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let module = parse_module(&text).map_err(|e| MineError::Syntax {
            file: rel.clone(),
            path: path.display().to_string(),
            span: Span::new(e.start as usize, e.end as usize),
            text: text.clone(),
            line: e.line,
            column: e.column,
            message: e.message,
        })?;
        let module = Rc::new(module);
        self.cache.insert(dotted.to_owned(), Some(module.clone()));
        Ok(Some(module))
    }

    /// Like [`Modules::load`], but a module that fails to parse counts as missing (used when
    /// following imports for constants, where a broken unrelated module must not stop mining).
    fn load_quiet(&mut self, dotted: &str) -> Option<Rc<Module>> {
        self.load(dotted).ok().flatten()
    }

    /// Whether `dotted` is a package (`__init__.py`).
    fn is_package(&self, dotted: &str) -> bool {
        self.rel_path(dotted)
            .is_some_and(|p| p.ends_with("__init__.py"))
    }

    /// Resolves a relative import `from {dots}{module} import ...` seen in `current`.
    pub fn absolute(&self, current: &str, level: u32, module: Option<&str>) -> String {
        if level == 0 {
            return module.unwrap_or("").to_owned();
        }
        let mut parts: Vec<&str> = current.split('.').collect();
        if !self.is_package(current) {
            parts.pop();
        }
        for _ in 1..level {
            parts.pop();
        }
        let mut base = parts.join(".");
        if let Some(m) = module {
            if !base.is_empty() {
                base.push('.');
            }
            base.push_str(m);
        }
        base
    }

    /// The constant value of module-level name `name` in module `dotted`, following
    /// assignments and `from ... import` chains.
    pub fn constant(&mut self, dotted: &str, name: &str, depth: u32) -> Option<Lit> {
        let (module, expr) = self.definition(dotted, name, depth)?;
        self.const_expr(&module, &expr, depth + 1)
    }

    /// The expression module-level name `name` of module `dotted` is assigned, with the module
    /// that assigns it, following `from ... import` chains (a type alias, a constant).
    pub fn definition(&mut self, dotted: &str, name: &str, depth: u32) -> Option<(String, Expr)> {
        if depth > 24 {
            return None;
        }
        let module = self.load_quiet(dotted)?;
        let mut found: Option<Expr> = None;
        scan_top(&module.body, &mut |stmt| match &stmt.kind {
            StmtKind::Assign { targets, value }
                if targets.iter().any(|t| t.as_name() == Some(name)) && found.is_none() =>
            {
                found = Some(value.clone());
            }
            StmtKind::AnnAssign {
                target,
                value: Some(value),
                ..
            } if target.as_name() == Some(name) && found.is_none() => {
                found = Some(value.clone());
            }
            _ => {}
        });
        if let Some(expr) = found {
            return Some((dotted.to_owned(), expr));
        }
        let (from, orig) = self.imported(dotted, &module, name)?;
        self.definition(&from, &orig, depth + 1)
    }

    /// Where module `dotted` (parsed as `module`) imports `name` from: the absolute module and
    /// the name there (`from .cache import CacheConfig as C` gives `(pkg.cache, CacheConfig)`).
    fn imported(&self, dotted: &str, module: &Module, name: &str) -> Option<(String, String)> {
        let mut import: Option<(String, String)> = None;
        scan_top(&module.body, &mut |stmt| {
            if let StmtKind::ImportFrom {
                module: m,
                level,
                names,
            } = &stmt.kind
            {
                for (orig, alias) in names {
                    if alias.as_deref().unwrap_or(orig) == name && import.is_none() {
                        import = Some((self.absolute(dotted, *level, m.as_deref()), orig.clone()));
                    }
                }
            }
        });
        import
    }

    /// The module defining class `class` as seen from module `dotted` (defined there, or
    /// imported through `from ... import` chains), with that module's name.
    pub fn class_module(
        &mut self,
        dotted: &str,
        class: &str,
        depth: u32,
    ) -> Option<(String, Rc<Module>)> {
        if depth > 24 {
            return None;
        }
        let module = self.load_quiet(dotted)?;
        if find_class(&module, class).is_some() {
            return Some((dotted.to_owned(), module));
        }
        let (from, orig) = self.imported(dotted, &module, class)?;
        self.class_module(&from, &orig, depth + 1)
    }

    /// Whether class `class` (visible in module `dotted`, defined there or imported) or one of
    /// its base classes defines `attr` in its body (a method, property or class attribute).
    /// `None` when a class in the chain is not in the source (only `object`, `ABC` and
    /// `Generic` are known to define no public attribute).
    pub fn class_defines(
        &mut self,
        dotted: &str,
        class: &str,
        attr: &str,
        depth: u32,
    ) -> Option<bool> {
        if depth > 24 {
            return None;
        }
        if matches!(class, "object" | "ABC" | "Generic") {
            return Some(false);
        }
        let module = self.load_quiet(dotted)?;
        if let Some(stmt) = find_class(&module, class) {
            let StmtKind::ClassDef { body, bases, .. } = &stmt.kind else {
                return None;
            };
            let mut defined = false;
            scan_top(body, &mut |s| {
                defined |= match &s.kind {
                    StmtKind::FunctionDef { name, .. } | StmtKind::ClassDef { name, .. } => {
                        name == attr
                    }
                    StmtKind::Assign { targets, .. } => {
                        targets.iter().any(|t| t.as_name() == Some(attr))
                    }
                    StmtKind::AnnAssign { target, .. } => target.as_name() == Some(attr),
                    _ => false,
                };
            });
            if defined {
                return Some(true);
            }
            let bases: Vec<String> = bases
                .iter()
                .map(|b| b.dotted().unwrap_or_default())
                .collect();
            for base in bases {
                // a dotted base (`abc.ABC`) is looked up by its last name
                let name = base.rsplit('.').next().unwrap_or(&base).to_owned();
                if name.is_empty() {
                    return None;
                }
                if self.class_defines(dotted, &name, attr, depth + 1)? {
                    return Some(true);
                }
            }
            return Some(false);
        }
        let (from, orig) = self.imported(dotted, &module, class)?;
        self.class_defines(&from, &orig, attr, depth + 1)
    }

    /// The constant value of `expr` evaluated in module `dotted` (literals, collections,
    /// concatenation, arithmetic, and names of other constants).
    pub fn const_expr(&mut self, dotted: &str, expr: &Expr, depth: u32) -> Option<Lit> {
        if depth > 24 {
            return None;
        }
        match &expr.kind {
            ExprKind::None => Some(Lit::Null),
            ExprKind::Bool(b) => Some(Lit::Bool(*b)),
            ExprKind::Int(i) => Some(Lit::Int(*i)),
            ExprKind::Float(f) => Some(Lit::Float(*f)),
            ExprKind::Str(s) => Some(Lit::Str(s.clone())),
            ExprKind::Tuple(items) | ExprKind::List(items) | ExprKind::Set(items) => {
                let mut out = Vec::new();
                for i in items {
                    out.push(self.const_expr(dotted, i, depth + 1)?);
                }
                Some(Lit::Seq(out))
            }
            ExprKind::Name(n) => self.constant(dotted, n, depth + 1),
            ExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            } => match self.const_expr(dotted, operand, depth + 1)? {
                Lit::Int(i) => i.checked_neg().map(Lit::Int),
                Lit::Float(f) => Some(Lit::Float(-f)),
                _ => None,
            },
            ExprKind::BinOp { left, op, right } => {
                let l = self.const_expr(dotted, left, depth + 1)?;
                let r = self.const_expr(dotted, right, depth + 1)?;
                fold(&l, *op, &r)
            }
            _ => None,
        }
    }
}

/// Folds a binary operation on two constants (`None` when Python would raise or the result is
/// not a plain constant).
pub fn fold(l: &Lit, op: BinOp, r: &Lit) -> Option<Lit> {
    match (l, op, r) {
        (Lit::Seq(a), BinOp::Add, Lit::Seq(b)) => {
            let mut out = a.clone();
            out.extend(b.iter().cloned());
            Some(Lit::Seq(out))
        }
        (Lit::Str(a), BinOp::Add, Lit::Str(b)) => Some(Lit::Str(format!("{a}{b}"))),
        (Lit::Int(a), op, Lit::Int(b)) => match op {
            BinOp::Add => a.checked_add(*b).map(Lit::Int),
            BinOp::Sub => a.checked_sub(*b).map(Lit::Int),
            BinOp::Mul => a.checked_mul(*b).map(Lit::Int),
            BinOp::Pow => u32::try_from(*b)
                .ok()
                .and_then(|e| a.checked_pow(e))
                .map(Lit::Int),
            BinOp::Mod if *b != 0 => {
                let m = a.checked_rem(*b)?;
                Some(Lit::Int(if m != 0 && ((m < 0) != (*b < 0)) {
                    m + b
                } else {
                    m
                }))
            }
            BinOp::FloorDiv if *b != 0 => Some(Lit::Int(a.div_euclid(*b))),
            _ => None,
        },
        (Lit::Float(_) | Lit::Int(_), op, Lit::Float(_) | Lit::Int(_)) => {
            let a = num(l)?;
            let b = num(r)?;
            match op {
                BinOp::Add => Some(Lit::Float(a + b)),
                BinOp::Sub => Some(Lit::Float(a - b)),
                BinOp::Mul => Some(Lit::Float(a * b)),
                BinOp::Div if b != 0.0 => Some(Lit::Float(a / b)),
                BinOp::Pow => Some(Lit::Float(a.powf(b))),
                _ => None,
            }
        }
        _ => None,
    }
}

fn num(l: &Lit) -> Option<f64> {
    match l {
        Lit::Int(i) => Some(*i as f64),
        Lit::Float(f) => Some(*f),
        _ => None,
    }
}

/// Calls `f` on every statement at module (or class-body) level, looking inside `if` / `try`
/// blocks (definitions guarded by `if is_torch_available():` and similar).
pub fn scan_top(body: &[Stmt], f: &mut dyn FnMut(&Stmt)) {
    for stmt in body {
        f(stmt);
        if guards(stmt) {
            for block in stmt.blocks() {
                scan_top(block, f);
            }
        }
    }
}

/// Whether the statement is an `if` or a `try`: the blocks a definition can be guarded by at
/// module or class level.
fn guards(stmt: &Stmt) -> bool {
    matches!(stmt.kind, StmtKind::If { .. } | StmtKind::Try { .. })
}

/// The class `name` defined in `module` (first definition, also inside `if` / `try` blocks).
pub fn find_class<'m>(module: &'m Module, name: &str) -> Option<&'m Stmt> {
    find_in(
        &module.body,
        &|k| matches!(k, StmtKind::ClassDef { name: n, .. } if n == name),
    )
}

fn find_in<'b>(body: &'b [Stmt], want: &dyn Fn(&StmtKind) -> bool) -> Option<&'b Stmt> {
    for stmt in body {
        if want(&stmt.kind) {
            return Some(stmt);
        }
        if guards(stmt)
            && let Some(found) = stmt.blocks().into_iter().find_map(|b| find_in(b, want))
        {
            return Some(found);
        }
    }
    None
}

/// The method `name` of a class statement (first definition, also inside `if` blocks).
pub fn find_method<'c>(class: &'c Stmt, name: &str) -> Option<&'c Stmt> {
    let StmtKind::ClassDef { body, .. } = &class.kind else {
        return None;
    };
    find_def(body, name)
}

fn find_def<'b>(body: &'b [Stmt], name: &str) -> Option<&'b Stmt> {
    find_in(
        body,
        &|k| matches!(k, StmtKind::FunctionDef { name: n, .. } if n == name),
    )
}
