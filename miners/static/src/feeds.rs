//! Native types `fed_by` another (vLLM's config classes, built by `EngineArgs`): which feeder field
//! each of their fields comes from, and the feeder defaults that name a fed class's default.
//!
//! A fed field comes `from` a feeder field when one of the feeder's methods passes it unchanged
//! as a keyword argument, `CacheConfig(block_size=self.block_size)`. A value computed on the way
//! (`cache_dtype=resolve_kv_cache_dtype_string(self.kv_cache_dtype, ...)`) is not the user's, so
//! that field gets no `from` and no config can set it. When two calls pass different feeder
//! fields to one field, neither is kept.

use crate::TypeCtx;
use crate::fields::DefaultVal;
use crate::python::ast::{Expr, ExprKind, Stmt, StmtKind};
use crate::resolve::{Modules, find_class};
use llemc_mining::ssot::EngineSsot;
use std::collections::BTreeMap;

/// Field of a fed native type → the feeder field it comes from, per fed native type.
pub(crate) type Feeds = BTreeMap<String, BTreeMap<String, String>>;

/// Reads every `fed_by` of the SSOT from the feeders' source.
pub(crate) fn find(ssot: &EngineSsot, types: &BTreeMap<String, TypeCtx>) -> Feeds {
    let mut feeds = Feeds::new();
    for decl in &ssot.native_types {
        let (Some(feeder), Some(fed)) = (
            decl.fed_by.as_ref().and_then(|f| types.get(f)),
            types.get(&decl.name),
        ) else {
            continue;
        };
        let Some(class) = find_class(&feeder.module, &feeder.info.class) else {
            continue;
        };
        let mut passed: BTreeMap<String, Option<String>> = BTreeMap::new();
        each_call(std::slice::from_ref(class), &mut |func, keywords| {
            let callee = func.dotted();
            if callee.as_deref().map(|d| d.rsplit('.').next().unwrap_or(d))
                != Some(fed.info.class.as_str())
            {
                return;
            }
            for (key, value) in keywords {
                let Some(key) = key else { continue };
                let from = value
                    .self_attr()
                    .filter(|attr| feeder.info.fields.iter().any(|f| f.name == *attr))
                    .map(str::to_owned);
                passed
                    .entry(key.clone())
                    .and_modify(|seen| {
                        if *seen != from {
                            *seen = None;
                        }
                    })
                    .or_insert(from);
            }
        });
        let fields = passed
            .into_iter()
            .filter_map(|(field, from)| Some((field, from?)))
            .collect();
        feeds.insert(decl.name.clone(), fields);
    }
    feeds
}

/// A feeder field's default written as another class's field default (`CacheConfig.block_size`,
/// `get_field(LoadConfig, "ignore_patterns")`) becomes that default when it is a literal (the
/// class found through the feeder module's imports).
pub(crate) fn resolve_defaults(
    ssot: &EngineSsot,
    types: &mut BTreeMap<String, TypeCtx>,
    modules: &mut Modules,
) {
    // each feeder once, however many native types it feeds
    let feeders: std::collections::BTreeSet<String> = ssot
        .native_types
        .iter()
        .filter_map(|d| d.fed_by.clone())
        .collect();
    for feeder in feeders {
        let Some(ctx) = types.get_mut(&feeder) else {
            continue;
        };
        let module_name = ctx.module_name.clone();
        for field in &mut ctx.info.fields {
            let DefaultVal::NonLiteral(text) = &field.default else {
                continue;
            };
            let Some((class, attr)) = class_field_reference(text) else {
                continue;
            };
            if let Some(default) = class_field_default(modules, &module_name, &class, &attr) {
                field.default = default;
            }
        }
    }
}

/// The literal default of dataclass-like field `attr` of class `class` seen from `module`.
fn class_field_default(
    modules: &mut Modules,
    module: &str,
    class: &str,
    attr: &str,
) -> Option<DefaultVal> {
    let (defined_in, source) = modules.class_module(module, class, 0)?;
    let StmtKind::ClassDef { body, .. } = &find_class(&source, class)?.kind else {
        return None;
    };
    let value = body.iter().find_map(|stmt| match &stmt.kind {
        StmtKind::AnnAssign {
            target,
            value: Some(value),
            ..
        } if target.as_name() == Some(attr) => Some(value),
        _ => None,
    })?;
    match crate::fields::field_default(modules, &defined_in, &source, value) {
        lit @ DefaultVal::Lit(_) => Some(lit),
        _ => None,
    }
}

/// `Class.attr` or `get_field(Class, "attr")`, as written.
fn class_field_reference(text: &str) -> Option<(String, String)> {
    let text = text.trim();
    if let Some(args) = text
        .strip_prefix("get_field(")
        .and_then(|rest| rest.strip_suffix(')'))
    {
        let (class, attr) = args.split_once(',')?;
        let attr = attr.trim().trim_end_matches(',').trim();
        let attr = attr
            .strip_prefix('"')
            .and_then(|a| a.strip_suffix('"'))
            .or_else(|| attr.strip_prefix('\'').and_then(|a| a.strip_suffix('\'')))?;
        return Some((class.trim().to_owned(), attr.to_owned()));
    }
    let (class, attr) = text.split_once('.')?;
    let plain = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (plain(class) && plain(attr)).then(|| (class.to_owned(), attr.to_owned()))
}

/// What [`each_call`] calls for every call: the callee and the keyword arguments.
type OnCall<'f> = dyn FnMut(&Expr, &[(Option<String>, Expr)]) + 'f;

/// Calls `f(callee, keywords)` for every call expression in `body`, nested ones included.
fn each_call(body: &[Stmt], f: &mut OnCall<'_>) {
    for stmt in body {
        for expr in stmt.exprs() {
            each_call_expr(expr, f);
        }
        for block in stmt.blocks() {
            each_call(block, f);
        }
    }
}

fn each_call_expr(expr: &Expr, f: &mut OnCall<'_>) {
    if let ExprKind::Call { func, keywords, .. } = &expr.kind {
        f(func, keywords);
    }
    for child in expr.children() {
        each_call_expr(child, f);
    }
}

#[cfg(test)]
mod tests {
    use super::class_field_reference;

    #[test]
    fn reads_class_field_references() {
        assert_eq!(
            class_field_reference("CacheConfig.block_size"),
            Some(("CacheConfig".into(), "block_size".into()))
        );
        assert_eq!(
            class_field_reference("get_field(LoadConfig, \"ignore_patterns\")"),
            Some(("LoadConfig".into(), "ignore_patterns".into()))
        );
        assert_eq!(class_field_reference("field(default_factory=list)"), None);
        assert_eq!(class_field_reference("a.b.c"), None);
    }
}
