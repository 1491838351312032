//! Where the entries of an SSOT file (`engine_versions/<engine>.yaml`) are, so that a mining
//! error can point at the envelope, the landmark or the native type it is about.

use llemc_compiler::diagnostic::FileId;
use llemc_compiler::yaml::{Node, NodeKind, parse_yaml};
use llemc_grammar::ast::Span;

/// The SSOT's YAML tree (none when the text does not parse: then nothing has a span).
pub(crate) struct SsotSpans {
    root: Option<Node>,
}

impl SsotSpans {
    /// Reads the SSOT's text.
    pub(crate) fn new(file: FileId, text: &str) -> Self {
        SsotSpans {
            root: parse_yaml(file, text).ok(),
        }
    }

    /// The `versions` key.
    pub(crate) fn versions_key(&self) -> Option<Span> {
        let (key, _) = self.root.as_ref()?.get_entry("versions")?;
        Some(key.span)
    }

    /// The `envelope` of `version`, else its entry.
    pub(crate) fn envelope(&self, version: &str) -> Option<Span> {
        let (key, entry) = self.version(version)?;
        Some(entry.get("envelope").map_or(key.span, |e| e.span))
    }

    /// The landmark `native_type` / `method`: among `version`'s own landmarks, else the common
    /// ones.
    pub(crate) fn landmark(&self, version: &str, native_type: &str, method: &str) -> Option<Span> {
        let own = self
            .version(version)
            .and_then(|(_, entry)| entry.get("landmarks"));
        let common = self.root.as_ref()?.get("landmarks");
        [own, common]
            .into_iter()
            .flatten()
            .filter_map(Node::as_seq)
            .flatten()
            .find(|l| {
                l.get("native_type").and_then(Node::as_str) == Some(native_type)
                    && l.get("method").and_then(Node::as_str) == Some(method)
            })
            .map(|l| l.span)
    }

    /// `key` of the native type `name` under `native_types`, else its name.
    pub(crate) fn native_type(&self, name: &str, key: &str) -> Option<Span> {
        let (name_node, decl) = self.root.as_ref()?.get("native_types")?.get_entry(name)?;
        Some(decl.get(key).map_or(name_node.span, |v| v.span))
    }

    /// The entry of `version` under `versions` (a key such as `5.14` may read as a number).
    fn version(&self, version: &str) -> Option<&(Node, Node)> {
        let versions = self.root.as_ref()?.get("versions")?.as_map()?;
        versions.iter().find(|(k, _)| {
            let text = match &k.kind {
                NodeKind::Str(s) => s.clone(),
                NodeKind::Float(f) => f.to_string(),
                NodeKind::Int(i) => i.to_string(),
                _ => return false,
            };
            text == version
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    const SSOT: &str = "\
landmarks:
  - {native_type: a.A, method: check}
native_types:
  a.A:
    module: a.config
    class: A
versions:
  1.2:
    envelope: \">=1.2,<1.3\"
    landmarks:
      - {native_type: a.A, method: extra}
  2.0.0:
    absent: []
";

    fn text(span: Option<Span>) -> &'static str {
        let span = span.unwrap();
        &SSOT[span.start as usize..span.end as usize]
    }

    #[test]
    fn finds_each_kind_of_entry() {
        let spans = SsotSpans::new(FileId(0), SSOT);
        assert_eq!(text(spans.versions_key()), "versions");
        assert_eq!(text(spans.envelope("1.2")), "\">=1.2,<1.3\"");
        assert_eq!(text(spans.envelope("2.0.0")), "2.0.0");
        assert_eq!(
            text(spans.landmark("1.2", "a.A", "check")),
            "{native_type: a.A, method: check}"
        );
        assert_eq!(
            text(spans.landmark("1.2", "a.A", "extra")),
            "{native_type: a.A, method: extra}"
        );
        assert_eq!(spans.landmark("2.0.0", "a.A", "extra"), None);
        assert_eq!(text(spans.native_type("a.A", "class")), "A");
        assert_eq!(text(spans.native_type("a.A", "section")), "a.A");
        assert_eq!(spans.native_type("b.B", "class"), None);
    }

    #[test]
    fn text_that_does_not_parse_has_no_spans() {
        let spans = SsotSpans::new(FileId(0), "versions: [");
        assert_eq!(spans.versions_key(), None);
        assert_eq!(spans.envelope("1.2"), None);
    }
}
