//! A YAML reader that keeps the byte span of every node.
//!
//! Built on saphyr's event parser. Scalars resolve with the YAML 1.2 core schema (quoted and block
//! scalars are always strings); anchors and aliases are expanded (an alias is a copy of its anchored
//! node that keeps the alias's own span). Duplicate keys, several documents, integers outside the
//! 64-bit range, unknown tags and nesting deeper than [`MAX_DEPTH`] are errors. Loading is
//! iterative (no recursion on the input's shape) and linear in the size of the input.
//!
//! Codes: `E100` YAML syntax, `E101` invalid UTF-8, `E102` duplicate key, `E103` several
//! documents, `E104` integer out of range, `E105` nesting too deep, `E106` unsupported or
//! mismatched tag, `E107` alias expansion too large.

// `Diagnostic` is the crate's one error type and is returned by value on purpose.
#![allow(clippy::result_large_err)]

use crate::diagnostic::{Diagnostic, FileId};
use llemc_grammar::ast::Span;
use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Tag};
use std::collections::HashMap;

/// The deepest nesting of sequences and mappings accepted (the top-level collection is level 1).
pub const MAX_DEPTH: usize = 128;

/// The most nodes that alias expansion may copy in one document.
const MAX_ALIAS_NODES: usize = 1_000_000;

/// A YAML node with the byte span of its source text.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// What the node is.
    pub kind: NodeKind,
    /// Byte range in the file: a scalar's own text (after any anchor or tag; a block scalar from
    /// its `|` / `>` indicator), a collection from its start to its last entry, an alias's `*name`.
    pub span: Span,
}

/// The value of a [`Node`].
#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// `null`, `~` or nothing.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A 64-bit integer (decimal, `0x` hex or `0o` octal).
    Int(i64),
    /// A 64-bit float (including `.inf`, `-.inf`, `.nan`).
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, entries in written order (keys are unique).
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// A node from its kind and span.
    pub fn new(kind: NodeKind, span: Span) -> Self {
        Node { kind, span }
    }

    /// The string, if this is a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if this is a boolean scalar.
    pub fn as_bool(&self) -> Option<bool> {
        match self.kind {
            NodeKind::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The integer, if this is an integer scalar.
    pub fn as_i64(&self) -> Option<i64> {
        match self.kind {
            NodeKind::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The number as a float, if this is an integer or float scalar.
    pub fn as_f64(&self) -> Option<f64> {
        match self.kind {
            NodeKind::Int(i) => Some(i as f64),
            NodeKind::Float(f) => Some(f),
            _ => None,
        }
    }

    /// The items, if this is a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The entries, if this is a mapping.
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            NodeKind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// Whether this is a null scalar.
    pub fn is_null(&self) -> bool {
        matches!(self.kind, NodeKind::Null)
    }

    /// Whether this is a scalar (not a sequence or mapping).
    pub fn is_scalar(&self) -> bool {
        !matches!(self.kind, NodeKind::Seq(_) | NodeKind::Map(_))
    }

    /// The value under the string key `key`, if this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.get_entry(key).map(|(_, v)| v)
    }

    /// The `(key, value)` entry under the string key `key`, if this is a mapping that has it.
    pub fn get_entry(&self, key: &str) -> Option<&(Node, Node)> {
        self.as_map()?.iter().find(|(k, _)| k.as_str() == Some(key))
    }

    /// What kind of value this is, with an article, for messages: "a string", "a mapping", ...
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Null => "null",
            NodeKind::Bool(_) => "a boolean",
            NodeKind::Int(_) => "an integer",
            NodeKind::Float(_) => "a float",
            NodeKind::Str(_) => "a string",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }

    /// A short rendering of a scalar for messages (`"abc"`, `3`, `true`, `null`); collections
    /// render as `[...]` / `{...}`.
    pub fn short_display(&self) -> String {
        match &self.kind {
            NodeKind::Null => "null".to_owned(),
            NodeKind::Bool(b) => b.to_string(),
            NodeKind::Int(i) => i.to_string(),
            NodeKind::Float(f) => format_float(*f),
            NodeKind::Str(s) => {
                let mut shown: String = s.chars().take(60).collect();
                if shown.len() < s.len() {
                    shown.push('…');
                }
                format!("{shown:?}")
            }
            NodeKind::Seq(_) => "[...]".to_owned(),
            NodeKind::Map(_) => "{...}".to_owned(),
        }
    }
}

fn format_float(f: f64) -> String {
    if f.is_nan() {
        ".nan".to_owned()
    } else if f.is_infinite() {
        if f > 0.0 {
            ".inf".to_owned()
        } else {
            "-.inf".to_owned()
        }
    } else {
        format!("{f:?}")
    }
}

/// Decodes a file's bytes as UTF-8, or reports where the first invalid byte is.
pub fn decode_utf8(file_name: &str, bytes: &[u8]) -> Result<String, Diagnostic> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_owned()),
        Err(err) => {
            let offset = err.valid_up_to();
            let valid = bytes.get(..offset).unwrap_or(&[]);
            let prefix = std::str::from_utf8(valid).unwrap_or("");
            let line = prefix.matches('\n').count() + 1;
            let line_start = prefix.rfind('\n').map(|i| i + 1).unwrap_or(0);
            let column = prefix
                .get(line_start..)
                .map(|s| s.chars().count())
                .unwrap_or(0)
                + 1;
            let byte = bytes.get(offset).copied().unwrap_or(0);
            Err(Diagnostic::error("E101", format!("`{file_name}` is not valid UTF-8"))
                .with_note(format!(
                    "the first invalid byte (0x{byte:02X}) is at byte offset {offset}, line {line}, column {column}"
                ))
                .with_help("save the file as UTF-8"))
        }
    }
}

/// Converts saphyr's character indices to byte offsets.
struct Offsets<'a> {
    text: &'a str,
    ascii: bool,
    /// Byte offset of every `STRIDE`-th character.
    checkpoints: Vec<u32>,
}

const STRIDE: usize = 64;

impl<'a> Offsets<'a> {
    fn new(text: &'a str) -> Self {
        let ascii = text.is_ascii();
        let mut checkpoints = Vec::new();
        if !ascii {
            for (n, (byte, _)) in text.char_indices().enumerate() {
                if n % STRIDE == 0 {
                    checkpoints.push(u32::try_from(byte).unwrap_or(u32::MAX));
                }
            }
        }
        Offsets {
            text,
            ascii,
            checkpoints,
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.ascii {
            return char_index.min(self.text.len());
        }
        let Some(&base) = self.checkpoints.get(char_index / STRIDE) else {
            return self.text.len();
        };
        let base = base as usize;
        let rest = self.text.get(base..).unwrap_or("");
        rest.char_indices()
            .nth(char_index % STRIDE)
            .map(|(b, _)| base + b)
            .unwrap_or(self.text.len())
    }

    fn span(&self, span: saphyr_parser::Span) -> Span {
        Span::new(self.byte(span.start.index()), self.byte(span.end.index()))
    }
}

/// Reads one YAML document into a [`Node`] tree with byte spans into `text`.
///
/// An empty stream is a null node. Errors (syntax, duplicate key, several documents, ...) come
/// back as one diagnostic pointing into `file`.
pub fn parse_yaml(file: FileId, text: &str) -> Result<Node, Diagnostic> {
    Loader::new(file, text).run()
}

enum FrameKind {
    Seq(Vec<Node>),
    Map {
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        index: Option<HashMap<KeyRepr, Span>>,
    },
}

struct Frame {
    kind: FrameKind,
    start: usize,
    end: usize,
    anchor: usize,
    height: usize,
    size: usize,
}

/// A hashable form of a scalar key, for duplicate detection.
#[derive(PartialEq, Eq, Hash)]
enum KeyRepr {
    Null,
    Bool(bool),
    Int(i64),
    Float(u64),
    Str(String),
}

impl KeyRepr {
    fn of(node: &Node) -> Option<KeyRepr> {
        Some(match &node.kind {
            NodeKind::Null => KeyRepr::Null,
            NodeKind::Bool(b) => KeyRepr::Bool(*b),
            NodeKind::Int(i) => KeyRepr::Int(*i),
            NodeKind::Float(f) => KeyRepr::Float(f.to_bits()),
            NodeKind::Str(s) => KeyRepr::Str(s.clone()),
            NodeKind::Seq(_) | NodeKind::Map(_) => return None,
        })
    }
}

/// An anchored node kept for aliases, with its height and node count.
struct Anchored {
    node: Node,
    height: usize,
    size: usize,
}

struct Loader<'a> {
    file: FileId,
    text: &'a str,
    offsets: Offsets<'a>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Anchored>,
    alias_nodes: usize,
    root: Option<Node>,
    documents: usize,
    /// Byte offset where the previous event ended (to find block scalar headers).
    prev_end: usize,
}

/// The result of finishing a node: the node, its height and its node count.
struct Built {
    node: Node,
    height: usize,
    size: usize,
}

impl<'a> Loader<'a> {
    fn new(file: FileId, text: &'a str) -> Self {
        Loader {
            file,
            text,
            offsets: Offsets::new(text),
            stack: Vec::new(),
            anchors: HashMap::new(),
            alias_nodes: 0,
            root: None,
            documents: 0,
            prev_end: 0,
        }
    }

    fn run(mut self) -> Result<Node, Diagnostic> {
        let mut parser = Parser::new_from_str(self.text);
        while let Some(result) = parser.next_event() {
            let (event, raw_span) = result.map_err(|e| self.scan_error(&e))?;
            let span = self.offsets.span(raw_span);
            self.event(event, span)?;
            if span.end as usize > self.prev_end {
                self.prev_end = span.end as usize;
            }
        }
        Ok(self
            .root
            .unwrap_or_else(|| Node::new(NodeKind::Null, Span::new(0, 0))))
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), Diagnostic> {
        match event {
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => Ok(()),
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(Diagnostic::error("E103", "the file holds more than one YAML document")
                        .with_primary(self.file, span, "a second document starts here")
                        .with_help("a corpus is one YAML document: remove the `---` line and everything after it, or merge the documents"));
                }
                Ok(())
            }
            Event::Alias(id) => {
                let Some(anchored) = self.anchors.get(&id) else {
                    return Err(Diagnostic::error(
                        "E100",
                        "invalid YAML: this alias refers to an unknown anchor",
                    )
                    .with_primary(self.file, span, "unknown anchor"));
                };
                let depth = self.stack.len();
                if depth + anchored.height > MAX_DEPTH {
                    return Err(self.too_deep(span));
                }
                self.alias_nodes = self.alias_nodes.saturating_add(anchored.size);
                if self.alias_nodes > MAX_ALIAS_NODES {
                    return Err(
                        Diagnostic::error("E107", "aliases expand to too many nodes")
                            .with_primary(
                                self.file,
                                span,
                                "this alias pushes the expansion over the limit",
                            )
                            .with_note(format!(
                                "expanding aliases may copy at most {MAX_ALIAS_NODES} nodes"
                            ))
                            .with_help(
                                "write the repeated values out, or use fewer nested aliases",
                            ),
                    );
                }
                let mut node = anchored.node.clone();
                node.span = span;
                let built = Built {
                    node,
                    height: anchored.height,
                    size: anchored.size,
                };
                self.push_value(built)
            }
            Event::Scalar(value, style, anchor, tag) => {
                let span = self.scalar_span(style, span);
                let kind = self.resolve(&value, style, tag.as_deref(), span)?;
                let built = Built {
                    node: Node::new(kind, span),
                    height: 0,
                    size: 1,
                };
                if anchor != 0 {
                    self.anchors.insert(
                        anchor,
                        Anchored {
                            node: built.node.clone(),
                            height: 0,
                            size: 1,
                        },
                    );
                }
                self.push_value(built)
            }
            Event::SequenceStart(anchor, tag) => {
                self.open(FrameKind::Seq(Vec::new()), anchor, tag.as_deref(), span)
            }
            Event::MappingStart(anchor, tag) => self.open(
                FrameKind::Map {
                    entries: Vec::new(),
                    key: None,
                    index: None,
                },
                anchor,
                tag.as_deref(),
                span,
            ),
            Event::SequenceEnd | Event::MappingEnd => self.close(span),
        }
    }

    fn too_deep(&self, span: Span) -> Diagnostic {
        Diagnostic::error(
            "E105",
            format!("the YAML nests deeper than {MAX_DEPTH} levels"),
        )
        .with_primary(
            self.file,
            span,
            format!("level {} starts here", MAX_DEPTH + 1),
        )
        .with_help("a corpus never needs this much nesting; flatten the structure")
    }

    fn open(
        &mut self,
        kind: FrameKind,
        anchor: usize,
        tag: Option<&Tag>,
        span: Span,
    ) -> Result<(), Diagnostic> {
        let expected = if matches!(kind, FrameKind::Seq(_)) {
            "seq"
        } else {
            "map"
        };
        if let Some(tag) = tag
            && !(tag.is_yaml_core_schema() && tag.suffix == expected)
        {
            return Err(self.bad_tag(tag, span));
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.too_deep(span));
        }
        let start = span.start as usize;
        self.stack.push(Frame {
            kind,
            start,
            end: span.end as usize,
            anchor,
            height: 0,
            size: 1,
        });
        Ok(())
    }

    fn close(&mut self, span: Span) -> Result<(), Diagnostic> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        // A flow collection's end event covers its closing bracket; a block one is empty.
        let mut end = frame.end;
        if span.end > span.start {
            end = end.max(span.end as usize);
        }
        let node_span = Span::new(frame.start, end.max(frame.start));
        let kind = match frame.kind {
            FrameKind::Seq(items) => NodeKind::Seq(items),
            FrameKind::Map { entries, key, .. } => {
                let mut entries = entries;
                if let Some(key) = key {
                    // A key without a value cannot come out of the parser; keep it with null.
                    let null_span = Span::new(key.span.end as usize, key.span.end as usize);
                    entries.push((key, Node::new(NodeKind::Null, null_span)));
                }
                NodeKind::Map(entries)
            }
        };
        let built = Built {
            node: Node::new(kind, node_span),
            height: frame.height + 1,
            size: frame.size,
        };
        if frame.anchor != 0 {
            self.anchors.insert(
                frame.anchor,
                Anchored {
                    node: built.node.clone(),
                    height: built.height,
                    size: built.size,
                },
            );
        }
        self.push_value(built)
    }

    /// Adds a finished node to the collection being built (or makes it the root).
    fn push_value(&mut self, built: Built) -> Result<(), Diagnostic> {
        let file = self.file;
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(built.node);
            return Ok(());
        };
        frame.height = frame.height.max(built.height);
        frame.size = frame.size.saturating_add(built.size);
        frame.end = frame.end.max(built.node.span.end as usize);
        match &mut frame.kind {
            FrameKind::Seq(items) => items.push(built.node),
            FrameKind::Map {
                entries,
                key,
                index,
            } => match key.take() {
                None => {
                    // A new key: check it against the keys seen so far.
                    if let Some(repr) = KeyRepr::of(&built.node) {
                        let first = match index {
                            Some(map) => map.get(&repr).copied(),
                            None => entries
                                .iter()
                                .find(|(k, _)| KeyRepr::of(k).as_ref() == Some(&repr))
                                .map(|(k, _)| k.span),
                        };
                        if let Some(first) = first {
                            return Err(Diagnostic::error(
                                "E102",
                                format!("duplicate key {} in this mapping", built.node.short_display()),
                            )
                            .with_primary(file, built.node.span, "this key is already defined")
                            .with_secondary(file, first, "first defined here")
                            .with_help("remove or rename one of the two entries (YAML keeps only one of them)"));
                        }
                        if let Some(map) = index {
                            map.insert(repr, built.node.span);
                        } else if entries.len() >= 16 {
                            let mut map: HashMap<KeyRepr, Span> = entries
                                .iter()
                                .filter_map(|(k, _)| KeyRepr::of(k).map(|r| (r, k.span)))
                                .collect();
                            map.insert(repr, built.node.span);
                            *index = Some(map);
                        }
                    }
                    *key = Some(built.node);
                }
                Some(k) => entries.push((k, built.node)),
            },
        }
        Ok(())
    }

    fn bad_tag(&self, tag: &Tag, span: Span) -> Diagnostic {
        let shown = if tag.is_yaml_core_schema() {
            format!("!!{}", tag.suffix)
        } else {
            tag.to_string()
        };
        Diagnostic::error("E106", format!("unsupported YAML tag `{shown}`"))
            .with_primary(self.file, span, "this node has the tag")
            .with_note("llemc reads plain YAML 1.2 core-schema values: null, booleans, integers, floats, strings, lists and mappings")
            .with_help("remove the tag")
    }

    /// The span of a scalar's own text: after its anchor and tag, and from the `|` / `>` header
    /// of a block scalar (whose event span starts at the content).
    fn scalar_span(&self, style: ScalarStyle, span: Span) -> Span {
        let start = span.start as usize;
        let end = (span.end as usize).max(start);
        match style {
            ScalarStyle::Literal | ScalarStyle::Folded => {
                let header = if style == ScalarStyle::Literal {
                    '|'
                } else {
                    '>'
                };
                match find_block_header(self.text, self.prev_end.min(start), start, header) {
                    Some(h) => Span::new(h, end),
                    None => span,
                }
            }
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                // saphyr's span runs on over trailing blanks and comments: stop at the closing quote.
                let own = skip_properties(self.text, start, end);
                Span::new(own, quoted_end(self.text, own, end, style))
            }
            ScalarStyle::Plain => {
                let own = skip_properties(self.text, start, end);
                Span::new(own, end)
            }
        }
    }

    fn resolve(
        &self,
        value: &str,
        style: ScalarStyle,
        tag: Option<&Tag>,
        span: Span,
    ) -> Result<NodeKind, Diagnostic> {
        let kind = match tag {
            None if style == ScalarStyle::Plain => resolve_plain(value),
            None => Ok(NodeKind::Str(value.to_owned())),
            Some(tag) if tag.is_yaml_core_schema() => match tag.suffix.as_str() {
                "str" => Ok(NodeKind::Str(value.to_owned())),
                suffix @ ("null" | "bool" | "int" | "float") => {
                    let kind = resolve_plain(value);
                    let fits = matches!(
                        (&kind, suffix),
                        (Ok(NodeKind::Null), "null")
                            | (Ok(NodeKind::Bool(_)), "bool")
                            | (Ok(NodeKind::Int(_)), "int" | "float")
                            | (Ok(NodeKind::Float(_)), "float")
                            | (Err(_), "int")
                    );
                    if !fits {
                        return Err(Diagnostic::error(
                            "E106",
                            format!("the value {value:?} does not match its tag `!!{suffix}`"),
                        )
                        .with_primary(self.file, span, format!("not a valid `!!{suffix}`"))
                        .with_help("remove the tag or fix the value"));
                    }
                    // `!!float 1` is the float 1.0.
                    match (kind, suffix) {
                        (Ok(NodeKind::Int(i)), "float") => Ok(NodeKind::Float(i as f64)),
                        (other, _) => other,
                    }
                }
                _ => return Err(self.bad_tag(tag, span)),
            },
            Some(tag) => return Err(self.bad_tag(tag, span)),
        };
        kind.map_err(|()| {
            Diagnostic::error(
                "E104",
                format!("the integer {value} does not fit in 64 bits"),
            )
            .with_primary(
                self.file,
                span,
                "outside the range -9223372036854775808..=9223372036854775807",
            )
            .with_help(format!(
                "quote it to make it a string (\"{value}\"), or write it as a float"
            ))
        })
    }

    fn scan_error(&self, err: &ScanError) -> Diagnostic {
        let at = self.offsets.byte(err.marker().index());
        let len = self
            .text
            .get(at..)
            .and_then(|s| s.chars().next())
            .map(char::len_utf8)
            .unwrap_or(0);
        if err.info().contains("recursion limit") {
            return self
                .too_deep(Span::new(at, at + len))
                .with_note(format!("the YAML parser says: {}", err.info()));
        }
        let (message, label, help) = explain_scan_error(err.info());
        Diagnostic::error("E100", format!("invalid YAML: {message}"))
            .with_primary(self.file, Span::new(at, at + len), label)
            .with_note(format!("the YAML parser says: {}", err.info()))
            .with_help(help)
    }
}

/// Plain-English message, label and help for saphyr's scanner and parser errors.
fn explain_scan_error(info: &str) -> (String, String, String) {
    let t = |m: &str, l: &str, h: &str| (m.to_owned(), l.to_owned(), h.to_owned());
    if info.contains("tab") {
        return t(
            "a tab character is used where YAML allows only spaces",
            "tab here",
            "YAML indentation must use spaces: replace the tab with spaces",
        );
    }
    if info.contains("mapping values are not allowed") {
        return t(
            "a `:` here would start a mapping where none is allowed",
            "unexpected `:`",
            "if the value contains `: `, put the whole value in quotes; otherwise check this line's indentation",
        );
    }
    if info.contains("did not find expected key")
        || info.contains("invalid indentation")
        || info.contains("wrongly indented")
    {
        return t(
            "this line is not indented consistently with the lines above",
            "unexpected indentation",
            "keys of one mapping (and items of one list) must start in the same column",
        );
    }
    if info.contains("did not find expected '-' indicator")
        || info.contains("block sequence entries are not allowed")
    {
        return t(
            "a list item is not where a list item can be",
            "unexpected list item",
            "check the indentation: items of one list start with `-` in the same column",
        );
    }
    if info.contains("flow sequence") {
        return t(
            "a `[` list is not closed properly",
            "expected `,` or `]` here",
            "add the missing `]`, or a `,` between items",
        );
    }
    if info.contains("flow mapping") {
        return t(
            "a `{` mapping is not closed properly",
            "expected `,` or `}` here",
            "add the missing `}`, or a `,` between entries",
        );
    }
    if info.contains("quoted scalar, found unexpected end of stream")
        || info.contains("quoted scalar, found unexpected document")
    {
        return t(
            "a quoted string is never closed",
            "the file ends inside a quoted string",
            "add the closing quote",
        );
    }
    if info.contains("escape") {
        return t(
            "invalid escape sequence in a double-quoted string",
            "bad escape",
            "write `\\\\` for a backslash, or use single quotes, where backslashes are plain characters",
        );
    }
    if info.contains("unknown anchor") {
        return t(
            "this alias refers to an anchor that is not defined",
            "unknown anchor",
            "define the anchor with `&name` before using `*name`",
        );
    }
    if info.contains("duplicated anchor") {
        return t(
            "this anchor name is already defined",
            "anchor defined again",
            "give each anchor (`&name`) a different name",
        );
    }
    if info.contains("did not find expected node content") {
        return t(
            "a value is missing here",
            "expected a value",
            "write a value, or quote it if it starts with a YAML indicator character",
        );
    }
    if info.contains("unexpected character") || info.contains("cannot start") {
        return t(
            "a value starts with a character that YAML reserves",
            "reserved character",
            "put the value in quotes",
        );
    }
    if info.contains("simple key") {
        return t(
            "a mapping key is not followed by `:` where expected",
            "expected `key: value`",
            "check the line for a missing `:` or a key longer than 1024 characters",
        );
    }
    (
        info.to_owned(),
        "here".to_owned(),
        "check the YAML syntax near this location".to_owned(),
    )
}

/// Skips anchors (`&a`), tags (`!t`, `!!t`, `!<...>`), whitespace and comments before a node's
/// own text; returns the offset of the text (or `start` when nothing is skipped).
fn skip_properties(text: &str, start: usize, end: usize) -> usize {
    let bytes = text.as_bytes();
    let mut pos = start;
    loop {
        match bytes.get(pos) {
            Some(b'&') | Some(b'!') if pos < end => {
                if bytes.get(pos + 1) == Some(&b'<') {
                    while pos < end && bytes.get(pos) != Some(&b'>') {
                        pos += 1;
                    }
                    pos += 1;
                } else {
                    while pos < end
                        && !matches!(bytes.get(pos), Some(b' ' | b'\t' | b'\n' | b'\r') | None)
                    {
                        pos += 1;
                    }
                }
                // Whitespace and comments between the properties and the text.
                loop {
                    match bytes.get(pos) {
                        Some(b' ' | b'\t' | b'\n' | b'\r') if pos < end => pos += 1,
                        Some(b'#') if pos < end => {
                            while pos < end && !matches!(bytes.get(pos), Some(b'\n') | None) {
                                pos += 1;
                            }
                        }
                        _ => break,
                    }
                }
            }
            _ => break,
        }
    }
    if pos > end || !text.is_char_boundary(pos) {
        start
    } else {
        pos
    }
}

/// The offset just past the closing quote of the quoted scalar that starts at `start` (or `end`
/// when it cannot be found before `end`).
fn quoted_end(text: &str, start: usize, end: usize, style: ScalarStyle) -> usize {
    let bytes = text.as_bytes();
    let quote = if style == ScalarStyle::SingleQuoted {
        b'\''
    } else {
        b'"'
    };
    if bytes.get(start) != Some(&quote) {
        return end;
    }
    let mut pos = start + 1;
    while pos < end {
        match bytes.get(pos) {
            Some(b'\\') if quote == b'"' => pos += 2,
            Some(&b) if b == quote => {
                if quote == b'\'' && bytes.get(pos + 1) == Some(&b'\'') {
                    pos += 2;
                } else {
                    return pos + 1;
                }
            }
            _ => pos += 1,
        }
    }
    end
}

/// Finds the `|` / `>` header of a block scalar between the end of the previous event and the start
/// of the scalar's content, skipping properties and comments.
fn find_block_header(text: &str, from: usize, to: usize, header: char) -> Option<usize> {
    let region = text.get(from..to)?;
    let mut chars = region.char_indices().peekable();
    let mut prev_blank = true;
    while let Some((i, c)) = chars.next() {
        match c {
            '#' if prev_blank => {
                while chars.peek().is_some_and(|&(_, c)| c != '\n') {
                    chars.next();
                }
            }
            '&' | '!' | '*' if prev_blank => {
                while chars.peek().is_some_and(|&(_, c)| !c.is_whitespace()) {
                    chars.next();
                }
            }
            c if c == header => return Some(from + i),
            _ => {}
        }
        prev_blank = c.is_whitespace();
    }
    None
}

/// Resolves a plain scalar with the YAML 1.2 core schema. `Err(())`: an integer outside `i64`.
fn resolve_plain(value: &str) -> Result<NodeKind, ()> {
    match value {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(NodeKind::Null),
        "true" | "True" | "TRUE" => return Ok(NodeKind::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(NodeKind::Bool(false)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Ok(NodeKind::Float(f64::INFINITY));
        }
        "-.inf" | "-.Inf" | "-.INF" => return Ok(NodeKind::Float(f64::NEG_INFINITY)),
        ".nan" | ".NaN" | ".NAN" => return Ok(NodeKind::Float(f64::NAN)),
        _ => {}
    }
    if let Some(hex) = value.strip_prefix("0x") {
        if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return i64::from_str_radix(hex, 16)
                .map(NodeKind::Int)
                .map_err(|_| ());
        }
        return Ok(NodeKind::Str(value.to_owned()));
    }
    if let Some(oct) = value.strip_prefix("0o") {
        if !oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            return i64::from_str_radix(oct, 8)
                .map(NodeKind::Int)
                .map_err(|_| ());
        }
        return Ok(NodeKind::Str(value.to_owned()));
    }
    let unsigned = value.strip_prefix(['-', '+']).unwrap_or(value);
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse::<i64>().map(NodeKind::Int).map_err(|_| ());
    }
    if is_core_float(unsigned)
        && let Ok(f) = value.parse::<f64>()
    {
        return Ok(NodeKind::Float(f));
    }
    Ok(NodeKind::Str(value.to_owned()))
}

/// `( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?` (sign already removed).
fn is_core_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let from = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - from
    };
    let int_digits = digits(&mut i);
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = digits(&mut i);
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// For a string scalar, the byte offset in `source` of each byte of the decoded string (so that
/// `result[k]` is where byte `k` of the value was written). Works for plain, single- and
/// double-quoted (escapes included), literal and folded scalars by walking the raw text; bytes it
/// cannot place map to the start of the node. Empty for non-strings.
pub fn string_offsets(node: &Node, source: &str) -> Vec<u32> {
    let NodeKind::Str(value) = &node.kind else {
        return Vec::new();
    };
    let start = node.span.start as usize;
    let end = (node.span.end as usize).min(source.len());
    let Some(raw) = source.get(start..end) else {
        return vec![node.span.start; value.len()];
    };
    let style = match raw.as_bytes().first() {
        Some(b'"') => ScalarStyle::DoubleQuoted,
        Some(b'\'') => ScalarStyle::SingleQuoted,
        Some(b'|') => ScalarStyle::Literal,
        Some(b'>') => ScalarStyle::Folded,
        _ => ScalarStyle::Plain,
    };
    let mut cursor = match style {
        ScalarStyle::DoubleQuoted | ScalarStyle::SingleQuoted => 1,
        ScalarStyle::Literal | ScalarStyle::Folded => {
            raw.find('\n').map(|i| i + 1).unwrap_or(raw.len())
        }
        ScalarStyle::Plain => 0,
    };
    let mut out = Vec::with_capacity(value.len());
    let mut last = 0usize;
    for c in value.chars() {
        let at = match next_match(raw, &mut cursor, c, style) {
            Some(at) => at,
            None => last,
        };
        last = at;
        let abs = u32::try_from(start + at).unwrap_or(u32::MAX);
        out.extend(std::iter::repeat_n(abs, c.len_utf8()));
    }
    out
}

/// Advances `cursor` through `raw` to the text that produced the decoded character `c`.
fn next_match(raw: &str, cursor: &mut usize, c: char, style: ScalarStyle) -> Option<usize> {
    while let Some(rc) = raw.get(*cursor..).and_then(|s| s.chars().next()) {
        let at = *cursor;
        if style == ScalarStyle::DoubleQuoted && rc == '\\' {
            let (decoded, len) = decode_escape(raw.get(at..).unwrap_or(""));
            *cursor += len.max(1);
            if decoded == Some(c) {
                return Some(at);
            }
            continue;
        }
        if style == ScalarStyle::SingleQuoted && rc == '\'' {
            if c == '\'' && raw.get(at + 1..).is_some_and(|s| s.starts_with('\'')) {
                *cursor += 2;
                return Some(at);
            }
            *cursor += 1;
            continue;
        }
        if rc == c {
            *cursor += rc.len_utf8();
            return Some(at);
        }
        if (c == ' ' || c == '\n') && (rc == '\n' || rc == '\r') {
            *cursor += if raw.get(at..).is_some_and(|s| s.starts_with("\r\n")) {
                2
            } else {
                1
            };
            return Some(at);
        }
        *cursor += rc.len_utf8();
    }
    None
}

/// Decodes one double-quoted escape at the start of `s` (which starts with `\`): the character it
/// stands for (`None` for an escaped line break) and the number of bytes it spans.
fn decode_escape(s: &str) -> (Option<char>, usize) {
    let mut chars = s.chars();
    chars.next();
    let Some(e) = chars.next() else {
        return (None, 1);
    };
    let simple = match e {
        '0' => Some('\0'),
        'a' => Some('\u{7}'),
        'b' => Some('\u{8}'),
        't' | '\t' => Some('\t'),
        'n' => Some('\n'),
        'v' => Some('\u{b}'),
        'f' => Some('\u{c}'),
        'r' => Some('\r'),
        'e' => Some('\u{1b}'),
        ' ' => Some(' '),
        '"' => Some('"'),
        '/' => Some('/'),
        '\\' => Some('\\'),
        'N' => Some('\u{85}'),
        '_' => Some('\u{a0}'),
        'L' => Some('\u{2028}'),
        'P' => Some('\u{2029}'),
        _ => None,
    };
    if let Some(ch) = simple {
        return (Some(ch), 1 + e.len_utf8());
    }
    let hex_len = match e {
        'x' => 2,
        'u' => 4,
        'U' => 8,
        '\n' => return (None, 2),
        '\r' => {
            return (
                None,
                if s.get(2..).is_some_and(|r| r.starts_with('\n')) {
                    3
                } else {
                    2
                },
            );
        }
        _ => return (None, 1 + e.len_utf8()),
    };
    let digits = s.get(2..2 + hex_len).unwrap_or("");
    let ch = u32::from_str_radix(digits, 16)
        .ok()
        .and_then(char::from_u32);
    (ch, 2 + digits.len())
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Node {
        parse_yaml(FileId(0), text).unwrap()
    }

    fn err(text: &str) -> Diagnostic {
        parse_yaml(FileId(0), text).unwrap_err()
    }

    fn slice(text: &str, span: Span) -> &str {
        &text[span.range()]
    }

    #[test]
    fn core_schema_scalars() {
        let text = "a: ~\nb: null\nc:\nd: true\ne: False\nf: 12\ng: -0x1F\nh: 0x1F\ni: 0o17\nj: 1.5\nk: -.inf\nl: .nan\nm: 1e3\nn: '12'\no: \"true\"\np: yes\nq: 1.0.0\nr: +7\ns: 1_000\n";
        let n = parse(text);
        let g = |k: &str| n.get(k).unwrap().kind.clone();
        assert_eq!(g("a"), NodeKind::Null);
        assert_eq!(g("b"), NodeKind::Null);
        assert_eq!(g("c"), NodeKind::Null);
        assert_eq!(g("d"), NodeKind::Bool(true));
        assert_eq!(g("e"), NodeKind::Bool(false));
        assert_eq!(g("f"), NodeKind::Int(12));
        assert_eq!(g("g"), NodeKind::Str("-0x1F".into()));
        assert_eq!(g("h"), NodeKind::Int(31));
        assert_eq!(g("i"), NodeKind::Int(15));
        assert_eq!(g("j"), NodeKind::Float(1.5));
        assert_eq!(g("k"), NodeKind::Float(f64::NEG_INFINITY));
        assert!(matches!(g("l"), NodeKind::Float(f) if f.is_nan()));
        assert_eq!(g("m"), NodeKind::Float(1000.0));
        assert_eq!(g("n"), NodeKind::Str("12".into()));
        assert_eq!(g("o"), NodeKind::Str("true".into()));
        assert_eq!(g("p"), NodeKind::Str("yes".into()));
        assert_eq!(g("q"), NodeKind::Str("1.0.0".into()));
        assert_eq!(g("r"), NodeKind::Int(7));
        assert_eq!(g("s"), NodeKind::Str("1_000".into()));
    }

    #[test]
    fn spans_are_bytes() {
        let text = "é: ünïcode\nb: [x, 'y']\n";
        let n = parse(text);
        let (k, v) = &n.as_map().unwrap()[0];
        assert_eq!(slice(text, k.span), "é");
        assert_eq!(slice(text, v.span), "ünïcode");
        let b = n.get("b").unwrap();
        assert_eq!(slice(text, b.span), "[x, 'y']");
        assert_eq!(slice(text, b.as_seq().unwrap()[1].span), "'y'");
    }

    #[test]
    fn anchors_and_aliases() {
        let text = "a: &id001\n  x: 1\nb: *id001\nc: &s é\nd: *s\n";
        let n = parse(text);
        let b = n.get("b").unwrap();
        assert_eq!(b.get("x").unwrap().as_i64(), Some(1));
        assert_eq!(slice(text, b.span), "*id001");
        assert_eq!(slice(text, n.get("c").unwrap().span), "é");
        assert_eq!(n.get("d").unwrap().as_str(), Some("é"));
    }

    #[test]
    fn duplicate_keys() {
        let d = err("a: 1\nb: 2\na: 3\n");
        assert_eq!(d.code, "E102");
        assert_eq!(d.primary.unwrap().span, Span::new(10, 11));
        assert_eq!(d.secondary[0].span, Span::new(0, 1));
        // Many keys: the hashed index path.
        let mut text: String = (0..40).map(|i| format!("k{i}: {i}\n")).collect();
        text.push_str("k7: 0\n");
        assert_eq!(err(&text).code, "E102");
    }

    #[test]
    fn several_documents() {
        assert_eq!(err("a: 1\n---\nb: 2\n").code, "E103");
        parse("---\na: 1\n...\n");
    }

    #[test]
    fn big_integers() {
        assert_eq!(err("a: 99999999999999999999\n").code, "E104");
        assert_eq!(err("a: 0xFFFFFFFFFFFFFFFFFF\n").code, "E104");
        assert_eq!(
            parse("a: -9223372036854775808").get("a").unwrap().as_i64(),
            Some(i64::MIN)
        );
    }

    #[test]
    fn syntax_errors_have_locations() {
        let text = "a:\n\tb: 1\n";
        let d = err(text);
        assert_eq!(d.code, "E100");
        assert!(d.message.contains("tab"), "{}", d.message);
        assert_eq!(d.primary.unwrap().span.start, 4);
        let d = err("a: [1, 2\nb: 3\n");
        assert_eq!(d.code, "E100");
        assert!(d.help.is_some());
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(err(&text).code, "E105");
        let mut block = String::new();
        for i in 0..200 {
            block.push_str(&" ".repeat(i));
            block.push_str("k:\n");
        }
        assert_eq!(err(&block).code, "E105");
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        parse(&ok);
        // An alias may not push a copy past the limit.
        let text = format!(
            "a: &x {}{}\nb: {}*x{}\n",
            "[".repeat(100),
            "]".repeat(100),
            "[".repeat(60),
            "]".repeat(60)
        );
        assert_eq!(err(&text).code, "E105");
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = i - 1;
            text.push_str(&format!("a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"));
        }
        assert_eq!(err(&text).code, "E107");
    }

    #[test]
    fn tags() {
        assert_eq!(parse("a: !!str 12").get("a").unwrap().as_str(), Some("12"));
        assert_eq!(parse("a: !!float 1").get("a").unwrap().as_f64(), Some(1.0));
        assert_eq!(err("a: !custom 12").code, "E106");
        assert_eq!(err("a: !!int abc").code, "E106");
    }

    #[test]
    fn empty_input_is_null() {
        assert!(parse("").is_null());
        assert!(parse("# only a comment\n").is_null());
    }

    #[test]
    fn utf8() {
        assert_eq!(decode_utf8("f", b"ok").unwrap(), "ok");
        let d = decode_utf8("f.yaml", b"a: 1\nb: \xff\n").unwrap_err();
        assert_eq!(d.code, "E101");
        assert!(
            d.notes[0].contains("byte offset 8, line 2, column 4"),
            "{:?}",
            d.notes
        );
    }

    fn offsets_check(text: &str, key: &str, expect: &str) {
        let n = parse(text);
        let v = n.get(key).unwrap();
        let s = v.as_str().unwrap();
        assert_eq!(s, expect);
        let offs = string_offsets(v, text);
        assert_eq!(offs.len(), s.len());
        // Every non-whitespace decoded char sits on the same char in the source.
        for (i, c) in s.char_indices() {
            if !c.is_whitespace() && c != '\'' && c != '"' {
                let at = offs[i] as usize;
                let found = text[at..].chars().next();
                assert!(
                    found == Some(c) || found == Some('\\'),
                    "char {i} {c:?} of {s:?} in {text:?}: {found:?}"
                );
            }
        }
    }

    #[test]
    fn string_offsets_all_styles() {
        offsets_check("w: a and b\n", "w", "a and b");
        offsets_check("w: a and\n  b or\n\n  c\n", "w", "a and b or\nc");
        offsets_check("w: 'it''s x'\n", "w", "it's x");
        offsets_check(
            "w: \"a\\tb \\\"q\\\" \\u00e9 é z\"\n",
            "w",
            "a\tb \"q\" é é z",
        );
        offsets_check("w: \"a \\\n   b\"\n", "w", "a b");
        offsets_check("w: |\n  x > 1\n  and y\n", "w", "x > 1\nand y\n");
        offsets_check("w: >-\n  x > 1\n  and y\n", "w", "x > 1 and y");
        offsets_check("w: &a |2-\n   2 > 1\n", "w", " 2 > 1");
        offsets_check("w: !!str 'x'\n", "w", "x");
        let text = "w: \"ab\\ncd\"\n";
        let n = parse(text);
        let v = n.get("w").unwrap();
        let offs = string_offsets(v, text);
        assert_eq!(offs, vec![4, 5, 6, 8, 9]);
    }

    #[test]
    fn quoted_spans_stop_at_the_quote() {
        let text = "a: \"x\\\" y\"  # c\nb: 'it''s' # c\nc: [\"p\" , 'q' ]\n";
        let n = parse(text);
        assert_eq!(slice(text, n.get("a").unwrap().span), "\"x\\\" y\"");
        assert_eq!(slice(text, n.get("b").unwrap().span), "'it''s'");
        let c = n.get("c").unwrap().as_seq().unwrap();
        assert_eq!(slice(text, c[0].span), "\"p\"");
        assert_eq!(slice(text, c[1].span), "'q'");
    }

    #[test]
    fn block_scalar_span_starts_at_header() {
        let text = "a: |\n  xx\nb: >\n  yy\n";
        let n = parse(text);
        assert!(slice(text, n.get("a").unwrap().span).starts_with('|'));
        assert!(slice(text, n.get("b").unwrap().span).starts_with('>'));
    }

    #[test]
    fn long_non_ascii_text() {
        let mut text = String::new();
        for i in 0..500 {
            text.push_str(&format!("k{i}: \"ééé ü {i}\" # ∑∑∑\n"));
        }
        let n = parse(&text);
        for (i, (k, v)) in n.as_map().unwrap().iter().enumerate() {
            assert_eq!(slice(&text, k.span), format!("k{i}"));
            assert_eq!(slice(&text, v.span), format!("\"ééé ü {i}\""));
        }
    }

    #[test]
    fn crlf_spans() {
        let text = "a: é\r\nbb: 'x'\r\n";
        let n = parse(text);
        assert_eq!(slice(text, n.get("bb").unwrap().span), "'x'");
    }
}
