//! Writing an engine schema (the format [`crate::schema`] reads): the one place generated
//! schemas are turned into text.
//!
//! One line per field, `{type: "...", default: ...}` (or `required: true`), with an optional
//! trailing comment; type names are always double-quoted, defaults are flow literals (strings
//! double-quoted, floats in Rust's shortest round-trip form). Deterministic: the same document
//! gives the same bytes.

use crate::schema::UnknownFields;
use crate::yaml_out::{Yaml, scalar_str};

/// A whole engine schema.
#[derive(Clone, Debug, PartialEq)]
pub struct SchemaDoc {
    /// `engine`.
    pub engine: String,
    /// `library`: the Python distribution.
    pub library: String,
    /// `library_version`.
    pub library_version: String,
    /// `sections`: experiment-config section to the native type it feeds.
    pub sections: Vec<(String, String)>,
    /// `native_types`, in the order written.
    pub native_types: Vec<NativeTypeDoc>,
}

/// One native type.
#[derive(Clone, Debug, PartialEq)]
pub struct NativeTypeDoc {
    /// Fully qualified name.
    pub name: String,
    /// `source`: the library file the class is defined in, when known.
    pub source: Option<String>,
    /// `unknown_fields`: what the constructor does with an undeclared kwarg, when known.
    pub unknown_fields: Option<UnknownFields>,
    /// `fed_by`: the native type whose fields the engine passes on to this one.
    pub fed_by: Option<String>,
    /// `fields`, in the order written.
    pub fields: Vec<FieldDoc>,
}

/// One field of a native type.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldDoc {
    /// Field name.
    pub name: String,
    /// `type`, in the type grammar of [`crate::types`].
    pub ty: String,
    /// `default` / `required`.
    pub default: FieldDefault,
    /// `from`: the feeder's field whose value the engine passes on to this one.
    pub from: Option<String>,
    /// A comment written after the field.
    pub note: Option<String>,
}

/// What a field holds when the constructor is not given it.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldDefault {
    /// A literal value.
    Value(Yaml),
    /// The constructor cannot be called without it.
    Required,
    /// Not known (computed by the constructor).
    Unknown,
}

/// The schema as text: `comment` as `#` lines, then the document.
pub fn write_schema(comment: &str, doc: &SchemaDoc) -> String {
    let mut out = String::new();
    for line in comment.lines() {
        if line.is_empty() {
            out.push_str("#\n");
        } else {
            out.push_str(&format!("# {line}\n"));
        }
    }
    out.push_str("schema_version: 1\n");
    out.push_str(&format!("engine: {}\n", plain(&doc.engine)));
    out.push_str(&format!("library: {}\n", plain(&doc.library)));
    out.push_str(&format!(
        "library_version: {}\n",
        plain(&doc.library_version)
    ));
    out.push_str("sections:\n");
    for (section, native) in &doc.sections {
        out.push_str(&format!("  {}: {}\n", plain(section), plain(native)));
    }
    out.push_str("native_types:\n");
    for native in &doc.native_types {
        out.push_str(&format!("  {}:\n", plain(&native.name)));
        if let Some(source) = &native.source {
            out.push_str(&format!("    source: {}\n", plain(source)));
        }
        if let Some(policy) = native.unknown_fields {
            out.push_str(&format!("    unknown_fields: {}\n", policy.as_str()));
        }
        if let Some(feeder) = &native.fed_by {
            out.push_str(&format!("    fed_by: {}\n", plain(feeder)));
        }
        if native.fields.is_empty() {
            out.push_str("    fields: {}\n");
            continue;
        }
        out.push_str("    fields:\n");
        for field in &native.fields {
            out.push_str(&field_line(field));
        }
    }
    out
}

/// A block-context scalar, quoted only when YAML would read it as something else.
fn plain(text: &str) -> String {
    scalar_str(text, false)
}

fn field_line(field: &FieldDoc) -> String {
    let ty = serde_json::to_string(&field.ty).unwrap_or_default();
    let from = match &field.from {
        Some(from) => format!(
            ", from: {}",
            serde_json::to_string(from).unwrap_or_default()
        ),
        None => String::new(),
    };
    let value = match &field.default {
        FieldDefault::Value(v) => format!("{{type: {ty}, default: {}{from}}}", literal(v)),
        FieldDefault::Required => format!("{{type: {ty}, required: true{from}}}"),
        FieldDefault::Unknown => format!("{{type: {ty}{from}}}"),
    };
    match &field.note {
        Some(note) => format!("      {}: {value}   # {note}\n", plain(&field.name)),
        None => format!("      {}: {value}\n", plain(&field.name)),
    }
}

/// A default value as a flow literal.
fn literal(value: &Yaml) -> String {
    match value {
        Yaml::Null => "null".into(),
        Yaml::Bool(b) => b.to_string(),
        Yaml::Int(i) => i.to_string(),
        Yaml::Float(f) if f.is_finite() => format!("{f:?}"),
        Yaml::Float(f) if f.is_nan() => ".nan".into(),
        Yaml::Float(f) if *f > 0.0 => ".inf".into(),
        Yaml::Float(_) => "-.inf".into(),
        Yaml::Str(s) => serde_json::to_string(s).unwrap_or_default(),
        Yaml::Seq(items) => format!(
            "[{}]",
            items.iter().map(literal).collect::<Vec<_>>().join(", ")
        ),
        Yaml::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!(
                    "{}: {}",
                    serde_json::to_string(k).unwrap_or_default(),
                    literal(v)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::diagnostic::FileId;

    #[test]
    fn writes_what_the_schema_reader_reads() {
        let doc = SchemaDoc {
            engine: "e".into(),
            library: "e-lib".into(),
            library_version: "1.2.3".into(),
            sections: vec![("gen".into(), "e.T".into())],
            native_types: vec![NativeTypeDoc {
                name: "e.T".into(),
                source: Some("e/t.py".into()),
                unknown_fields: Some(UnknownFields::Reject),
                fed_by: None,
                fields: vec![
                    FieldDoc {
                        name: "n".into(),
                        ty: "Optional[int]".into(),
                        default: FieldDefault::Value(Yaml::Int(3)),
                        note: None,
                        from: None,
                    },
                    FieldDoc {
                        name: "r".into(),
                        ty: "float".into(),
                        default: FieldDefault::Value(Yaml::Float(1e-5)),
                        note: None,
                        from: None,
                    },
                    FieldDoc {
                        name: "s".into(),
                        ty: "list[str]".into(),
                        default: FieldDefault::Value(Yaml::Seq(vec![Yaml::str("a\"b")])),
                        note: None,
                        from: None,
                    },
                    FieldDoc {
                        name: "m".into(),
                        ty: "int".into(),
                        default: FieldDefault::Required,
                        note: None,
                        from: None,
                    },
                    FieldDoc {
                        name: "x".into(),
                        ty: "any".into(),
                        default: FieldDefault::Unknown,
                        note: Some("an attribute".into()),
                        from: None,
                    },
                ],
            }],
        };
        let text = write_schema("Generated.\n\nSecond.", &doc);
        assert_eq!(
            text,
            "# Generated.\n#\n# Second.\nschema_version: 1\nengine: e\nlibrary: e-lib\nlibrary_version: 1.2.3\nsections:\n  gen: e.T\nnative_types:\n  e.T:\n    source: e/t.py\n    unknown_fields: reject\n    fields:\n      'n': {type: \"Optional[int]\", default: 3}\n      r: {type: \"float\", default: 1e-5}\n      s: {type: \"list[str]\", default: [\"a\\\"b\"]}\n      m: {type: \"int\", required: true}\n      x: {type: \"any\"}   # an attribute\n"
        );
        let (schema, diags) = crate::schema::read_schema(FileId(0), &text);
        assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
        let schema = schema.unwrap();
        assert_eq!(
            schema.native("e.T").map(|n| n.unknown_fields),
            Some(UnknownFields::Reject)
        );
    }
}
