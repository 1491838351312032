//! Config trees the runtime can bind: parsed JSON, and YAML nodes that keep their spans.

use llemc_compiler::schema::node_value;
use llemc_compiler::value::Value;
use llemc_compiler::yaml::{Node, NodeKind};
use llemc_grammar::ast::Span;

/// A nested config value that can be walked by key.
pub trait ConfigTree {
    /// The value under `key` when this is a mapping.
    fn child(&self, key: &str) -> Option<&Self>;
    /// Whether this is a mapping.
    fn is_mapping(&self) -> bool;
    /// The value as a Python-semantics [`Value`].
    fn to_value(&self) -> Value;
    /// Where the value was written, when known.
    fn span(&self) -> Option<Span>;
    /// Calls `f` on every `(key, value)` entry of a mapping (nothing for other values) and returns
    /// `true`; returns `false` without calling `f` when this tree cannot enumerate its entries
    /// cheaply or its keys may repeat (the binder then looks keys up with [`ConfigTree::child`]).
    fn for_each_entry(&self, f: &mut dyn FnMut(&str, &Self)) -> bool {
        let _ = f;
        false
    }
}

impl ConfigTree for serde_json::Value {
    fn child(&self, key: &str) -> Option<&Self> {
        self.as_object().and_then(|m| m.get(key))
    }

    fn is_mapping(&self) -> bool {
        self.is_object()
    }

    fn to_value(&self) -> Value {
        json_value(self)
    }

    fn span(&self) -> Option<Span> {
        None
    }

    fn for_each_entry(&self, f: &mut dyn FnMut(&str, &Self)) -> bool {
        if let Some(map) = self.as_object() {
            for (key, value) in map {
                f(key, value);
            }
        }
        true
    }
}

/// Converts JSON to a [`Value`]: integers beyond 64 bits become floats.
pub fn json_value(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => Value::Str(s.clone()),
        serde_json::Value::Array(items) => Value::List(items.iter().map(json_value).collect()),
        serde_json::Value::Object(map) => Value::Dict(
            map.iter()
                .map(|(k, v)| (Value::Str(k.clone()), json_value(v)))
                .collect(),
        ),
    }
}

impl ConfigTree for Node {
    fn child(&self, key: &str) -> Option<&Self> {
        match &self.kind {
            NodeKind::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    fn is_mapping(&self) -> bool {
        matches!(self.kind, NodeKind::Map(_))
    }

    fn to_value(&self) -> Value {
        node_value(self)
    }

    fn span(&self) -> Option<Span> {
        Some(self.span)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_floats_are_read_exactly() {
        // Correct rounding matters: `x >= 1.0` must not hold on 0.9999999999999999.
        let v: serde_json::Value = serde_json::from_str("0.9999999999999999").unwrap_or_default();
        assert_eq!(json_value(&v), Value::Float(0.999_999_999_999_999_9));
        assert_ne!(json_value(&v), Value::Float(1.0));
        let big: serde_json::Value =
            serde_json::from_str("18446744073709551616").unwrap_or_default();
        assert_eq!(json_value(&big), Value::Float(18_446_744_073_709_551_616.0));
    }
}
