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
        crate::json::from_json(self)
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

/// JSON → [`Value`] ([`crate::json::from_json`], the one conversion), under the name the
/// binders' callers know.
pub use crate::json::from_json as json_value;

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
