//! Whether a YAML value has a type the engine schema admits for a field.
//!
//! Follows Python's numeric tower where the library does: an `int` fits a `float` field (no
//! finding at all); a `bool` does not fit an `int` or `float` field (Python treats it as 0 or 1,
//! but in YAML it is almost always a mistake: the check warns, it never rejects);
//! a mapping is accepted for a class-typed field (the library builds the object from it, or a
//! rule says it cannot); `any` accepts everything. Recursion follows the type, never the value,
//! so it is bounded by the schema.

use super::read::py_type;
use llemc_compiler::types::Ty;
use llemc_compiler::yaml::{Node, NodeKind};
use llemc_grammar::ast::Span;

/// A value that does not fit its type: where, and what was found there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// The offending value (the whole value, or an element of it).
    pub span: Span,
    /// The type expected at that place.
    pub expected: String,
    /// Python's name for the type found there.
    pub found: &'static str,
    /// Whether the offending value is inside the field's value (an element or entry).
    pub nested: bool,
}

/// `Ok` when `node` fits `ty`.
pub fn conforms(ty: &Ty, node: &Node) -> Result<(), Mismatch> {
    check(ty, node, false)
}

/// The type as shown to users: `Optional[T]` loses its `Optional` (null is always accepted
/// where it is, and saying so adds nothing to "expects int, found str").
pub fn expected_name(ty: &Ty) -> String {
    match ty {
        Ty::Union(members) => {
            let non_none: Vec<&Ty> = members.iter().filter(|m| **m != Ty::None).collect();
            match non_none.as_slice() {
                [one] => expected_name(one),
                _ => {
                    let names: Vec<String> = non_none.iter().map(|m| expected_name(m)).collect();
                    names.join(" or ")
                }
            }
        }
        other => other.to_string(),
    }
}

fn top_level_fits(ty: &Ty, node: &Node) -> bool {
    match (ty, &node.kind) {
        (Ty::Any, _) => true,
        (Ty::None, NodeKind::Null) => true,
        (Ty::Bool, NodeKind::Bool(_)) => true,
        (Ty::Int, NodeKind::Int(_)) => true,
        (Ty::Float, NodeKind::Int(_) | NodeKind::Float(_)) => true,
        (Ty::Str, NodeKind::Str(_)) => true,
        (Ty::List(_), NodeKind::Seq(_)) => true,
        (Ty::Dict(_, _), NodeKind::Map(_)) => true,
        (Ty::Class(name), kind) => class_fits(name, kind),
        (Ty::Union(members), _) => members.iter().any(|m| top_level_fits(m, node)),
        _ => false,
    }
}

fn class_fits(name: &str, kind: &NodeKind) -> bool {
    match name {
        "tuple" | "typing.Tuple" | "Tuple" | "Sequence" | "typing.Sequence" => {
            matches!(kind, NodeKind::Seq(_))
        }
        _ => matches!(kind, NodeKind::Map(_)),
    }
}

fn check(ty: &Ty, node: &Node, nested: bool) -> Result<(), Mismatch> {
    let mismatch = || Mismatch {
        span: node.span,
        expected: expected_name(ty),
        found: py_type(node),
        nested,
    };
    match ty {
        Ty::Union(members) => {
            // The members whose outer shape fits; the value fits when one of them fits deeply.
            let mut first_error = None;
            for member in members.iter().filter(|m| top_level_fits(m, node)) {
                match check(member, node, nested) {
                    Ok(()) => return Ok(()),
                    Err(e) => {
                        if first_error.is_none() {
                            first_error = Some(e);
                        }
                    }
                }
            }
            Err(first_error.unwrap_or_else(mismatch))
        }
        Ty::List(element) => match &node.kind {
            NodeKind::Seq(items) => {
                for item in items {
                    check(element, item, true)?;
                }
                Ok(())
            }
            _ => Err(mismatch()),
        },
        Ty::Dict(key, value) => match &node.kind {
            NodeKind::Map(entries) => {
                for (k, v) in entries {
                    check(key, k, true)?;
                    check(value, v, true)?;
                }
                Ok(())
            }
            _ => Err(mismatch()),
        },
        _ => {
            if top_level_fits(ty, node) {
                Ok(())
            } else {
                Err(mismatch())
            }
        }
    }
}
