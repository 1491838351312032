//! A small deterministic YAML writer for the subset generated corpora need: mappings with a fixed
//! key order, sequences, strings, integers, floats, booleans and null.
//!
//! Output is block style, with short all-scalar collections written inline (`{a: 1, b: x}`).
//! Strings are plain when that is unambiguous for YAML 1.2 *and* YAML 1.1 readers (PyYAML: `yes`,
//! `on`, `1_000` are quoted), single-quoted (quotes doubled) when they hold only printable
//! characters, and double-quoted with escapes otherwise. Floats use Python's shortest round-trip
//! digits and always carry a `.` (`1.0`, `1.0e-05`), which both YAML 1.2 and PyYAML read back as
//! floats. What is written reads back unchanged through `crate::yaml::parse_yaml`.

use crate::value::python_float;
use std::fmt::Write as _;

/// A YAML value with ordered mappings.
#[derive(Clone, Debug, PartialEq)]
pub enum Yaml {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A 64-bit integer.
    Int(i64),
    /// A float (`.inf`, `-.inf`, `.nan` included).
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Yaml>),
    /// A mapping with string keys, written in this order.
    Map(Vec<(String, Yaml)>),
}

/// The widest inline collection, in characters.
const INLINE_WIDTH: usize = 100;

impl Yaml {
    /// A string value.
    pub fn str(s: impl Into<String>) -> Yaml {
        Yaml::Str(s.into())
    }

    /// The value under `key` when this is a mapping.
    pub fn get(&self, key: &str) -> Option<&Yaml> {
        match self {
            Yaml::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, when this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Yaml::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Whether this is null.
    pub fn is_null(&self) -> bool {
        matches!(self, Yaml::Null)
    }

    /// Converts a parsed YAML node (key order kept; non-string keys are written as text).
    pub fn from_node(node: &crate::yaml::Node) -> Yaml {
        use crate::yaml::NodeKind;
        match &node.kind {
            NodeKind::Null => Yaml::Null,
            NodeKind::Bool(b) => Yaml::Bool(*b),
            NodeKind::Int(i) => Yaml::Int(*i),
            NodeKind::Float(f) => Yaml::Float(*f),
            NodeKind::Str(s) => Yaml::Str(s.clone()),
            NodeKind::Seq(items) => Yaml::Seq(items.iter().map(Yaml::from_node).collect()),
            NodeKind::Map(entries) => Yaml::Map(
                entries
                    .iter()
                    .map(|(k, v)| {
                        let key = match &k.kind {
                            NodeKind::Str(s) => s.clone(),
                            _ => k.short_display(),
                        };
                        (key, Yaml::from_node(v))
                    })
                    .collect(),
            ),
        }
    }

    /// Converts JSON (object keys in the map's order; integers beyond 64 bits become floats).
    pub fn from_json(v: &serde_json::Value) -> Yaml {
        match v {
            serde_json::Value::Null => Yaml::Null,
            serde_json::Value::Bool(b) => Yaml::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Yaml::Int(i),
                None => Yaml::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Yaml::Str(s.clone()),
            serde_json::Value::Array(items) => {
                Yaml::Seq(items.iter().map(Yaml::from_json).collect())
            }
            serde_json::Value::Object(map) => Yaml::Map(
                map.iter()
                    .map(|(k, v)| (k.clone(), Yaml::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Converts to JSON (non-finite floats become null, which JSON cannot hold).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Yaml::Null => serde_json::Value::Null,
            Yaml::Bool(b) => serde_json::Value::Bool(*b),
            Yaml::Int(i) => serde_json::Value::from(*i),
            Yaml::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Yaml::Str(s) => serde_json::Value::String(s.clone()),
            Yaml::Seq(items) => serde_json::Value::Array(items.iter().map(Yaml::to_json).collect()),
            Yaml::Map(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Writes a whole document (ends with a newline).
pub fn to_string(doc: &Yaml) -> String {
    let mut out = String::new();
    match doc {
        Yaml::Map(entries) if !entries.is_empty() => write_map_entries(&mut out, entries, 0),
        Yaml::Seq(items) if !items.is_empty() => write_seq_items(&mut out, items, 0),
        other => {
            out.push_str(&inline(other, false));
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push(' ');
    }
}

/// Whether a collection is written inline: only scalars inside (or empty), and short.
fn inline_form(v: &Yaml) -> Option<String> {
    match v {
        Yaml::Seq(items) => {
            if items.iter().any(|i| {
                matches!(i, Yaml::Seq(x) if !x.is_empty())
                    || matches!(i, Yaml::Map(x) if !x.is_empty())
            }) {
                return None;
            }
        }
        Yaml::Map(entries) => {
            if entries.iter().any(|(_, i)| {
                matches!(i, Yaml::Seq(x) if !x.is_empty())
                    || matches!(i, Yaml::Map(x) if !x.is_empty())
            }) {
                return None;
            }
        }
        _ => return Some(inline(v, false)),
    }
    let text = inline(v, true);
    (text.chars().count() <= INLINE_WIDTH || is_empty_collection(v)).then_some(text)
}

fn is_empty_collection(v: &Yaml) -> bool {
    matches!(v, Yaml::Seq(x) if x.is_empty()) || matches!(v, Yaml::Map(x) if x.is_empty())
}

fn write_map_entries(out: &mut String, entries: &[(String, Yaml)], level: usize) {
    for (i, (key, value)) in entries.iter().enumerate() {
        if i > 0 {
            indent(out, level);
        }
        out.push_str(&scalar_str(key, false));
        out.push(':');
        write_value_after_key(out, value, level);
    }
}

fn write_value_after_key(out: &mut String, value: &Yaml, level: usize) {
    if let Some(text) = inline_form(value) {
        out.push(' ');
        out.push_str(&text);
        out.push('\n');
        return;
    }
    out.push('\n');
    match value {
        Yaml::Map(entries) => {
            indent(out, level + 2);
            write_map_entries(out, entries, level + 2);
        }
        Yaml::Seq(items) => {
            indent(out, level);
            write_seq_items(out, items, level);
        }
        _ => {}
    }
}

fn write_seq_items(out: &mut String, items: &[Yaml], level: usize) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            indent(out, level);
        }
        out.push('-');
        match inline_form(item) {
            Some(text) => {
                out.push(' ');
                out.push_str(&text);
                out.push('\n');
            }
            None => match item {
                Yaml::Map(entries) => {
                    out.push(' ');
                    write_map_entries(out, entries, level + 2);
                }
                Yaml::Seq(inner) => {
                    out.push(' ');
                    write_seq_items(out, inner, level + 2);
                }
                _ => out.push('\n'),
            },
        }
    }
}

/// One value on one line (flow style for collections).
fn inline(v: &Yaml, flow: bool) -> String {
    match v {
        Yaml::Null => "null".to_owned(),
        Yaml::Bool(b) => b.to_string(),
        Yaml::Int(i) => i.to_string(),
        Yaml::Float(f) => float_text(*f),
        Yaml::Str(s) => scalar_str(s, flow),
        Yaml::Seq(items) => {
            let parts: Vec<String> = items.iter().map(|i| inline(i, true)).collect();
            format!("[{}]", parts.join(", "))
        }
        Yaml::Map(entries) => {
            let parts: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}: {}", scalar_str(k, true), inline(v, true)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}

/// A float that reads back as the same float in YAML 1.2 and in PyYAML.
pub fn float_text(f: f64) -> String {
    if f.is_nan() {
        return ".nan".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.to_owned();
    }
    let text = python_float(f);
    match text.find('e') {
        Some(pos) if !text.contains('.') => {
            let (mantissa, exponent) = text.split_at(pos);
            format!("{mantissa}.0{exponent}")
        }
        _ => text,
    }
}

/// Words that YAML 1.1 readers (PyYAML) resolve to something other than a string.
const YAML11_WORDS: [&str; 12] = [
    "y", "n", "yes", "no", "on", "off", "null", "true", "false", "~", "nan", "inf",
];

/// A string scalar: plain when safe, else single- or double-quoted.
pub fn scalar_str(s: &str, flow: bool) -> String {
    if plain_ok(s, flow) {
        return s.to_owned();
    }
    if s.chars().all(single_quote_ok) {
        return format!("'{}'", s.replace('\'', "''"));
    }
    double_quoted(s)
}

fn plain_ok(s: &str, flow: bool) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    // Version numbers (`5.14.1`): strings for every YAML reader.
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() >= 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return true;
    }
    if !(first.is_ascii_alphabetic() || first == '_') {
        return false;
    }
    if s.ends_with(' ') || s.contains("  ") || s.contains(": ") || s.contains(" #") {
        return false;
    }
    if s.ends_with(':') {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    if YAML11_WORDS.contains(&lower.as_str()) {
        return false;
    }
    s.chars().all(|c| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                '_' | '.' | '/' | '-' | '+' | '(' | ')' | '=' | '<' | '>' | ' '
            )
            || (!flow && matches!(c, '[' | ']' | ',' | '{' | '}'))
    }) && !(flow && s.contains(['[', ']', ',', '{', '}']))
}

/// Characters a single-quoted scalar may hold as themselves (printable, no line breaks).
fn single_quote_ok(c: char) -> bool {
    let u = u32::from(c);
    (0x20..=0x7e).contains(&u)
        || ((0xa0..=0xd7ff).contains(&u) && u != 0x2028 && u != 0x2029)
        || ((0xe000..=0xfffd).contains(&u) && u != 0xfeff)
        || u >= 0x10000
}

fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if single_quote_ok(c) => out.push(c),
            c => {
                let u = u32::from(c);
                if u <= 0xffff {
                    let _ = write!(out, "\\u{u:04x}");
                } else {
                    let _ = write!(out, "\\U{u:08x}");
                }
            }
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_keep_a_dot() {
        assert_eq!(float_text(1.0), "1.0");
        assert_eq!(float_text(1e-5), "1.0e-05");
        assert_eq!(float_text(2.5e16), "2.5e+16");
        assert_eq!(float_text(0.1), "0.1");
        assert_eq!(float_text(f64::NEG_INFINITY), "-.inf");
    }

    #[test]
    fn strings_are_quoted_when_needed() {
        assert_eq!(scalar_str("lefthash", false), "lefthash");
        assert_eq!(scalar_str("yes", false), "'yes'");
        assert_eq!(scalar_str("1.0", false), "'1.0'");
        assert_eq!(scalar_str("it's", false), "'it''s'");
        assert_eq!(scalar_str("a\nb", false), "\"a\\nb\"");
        assert_eq!(scalar_str("a, b", true), "'a, b'");
        assert_eq!(scalar_str("", false), "''");
    }
}
