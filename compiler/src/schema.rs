//! Engine schemas (`engines/{engine}/schema.yaml`): the experiment-config sections of an engine,
//! the native type each feeds, and each native field's type and default.

use crate::diagnostic::{Diagnostic, FileId};
use crate::types::Ty;
use crate::value::Value;
use crate::yaml::{Node, NodeKind, parse_yaml};
use llemc_grammar::ast::{FieldPath, Span};

/// A parsed engine schema.
#[derive(Clone, Debug, PartialEq)]
pub struct EngineSchema {
    /// The file it was read from.
    pub file: FileId,
    /// `engine`, e.g. `transformers`.
    pub engine: String,
    /// `library`: the Python distribution.
    pub library: String,
    /// `library_version` the schema describes.
    pub library_version: String,
    /// Experiment-config sections under the engine key, in file order.
    pub sections: Vec<Section>,
    /// Native types, in file order.
    pub native_types: Vec<NativeType>,
}

/// One experiment-config section (`transformers.generation`) and the native type it feeds.
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    /// Section name under the engine key.
    pub name: String,
    /// Fully qualified native type name.
    pub native_type: String,
    /// Where it is declared.
    pub span: Span,
}

/// A native type (a library class whose constructor kwargs a section feeds).
#[derive(Clone, Debug, PartialEq)]
pub struct NativeType {
    /// Fully qualified name, e.g. `transformers.GenerationConfig`.
    pub name: String,
    /// Library source file defining it.
    pub source: Option<String>,
    /// Its fields in file order.
    pub fields: Vec<FieldDecl>,
    /// What the library does with a kwarg it does not declare (`unknown_fields:`).
    pub unknown_fields: UnknownFields,
    /// `fed_by:` the native type whose fields the engine passes on to this one (vLLM's
    /// `EngineArgs` builds `CacheConfig` from its own fields); each field says which feeder field
    /// it comes from (`from:`). The feeder's section is where a config writes them.
    pub fed_by: Option<String>,
    /// Where it is declared.
    pub span: Span,
}

/// What a native type's constructor does with a keyword argument it does not declare.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UnknownFields {
    /// It accepts it (takes `**kwargs`: stores it as an attribute, or drops it) and nothing reads
    /// it unless something asks for it by name: an unknown field is a warning. The default.
    #[default]
    Store,
    /// It raises (no `**kwargs`, pydantic `extra="forbid"`): an unknown field is an error.
    Reject,
}

impl UnknownFields {
    /// The spelling in a schema file.
    pub fn as_str(self) -> &'static str {
        match self {
            UnknownFields::Store => "store",
            UnknownFields::Reject => "reject",
        }
    }

    /// Reads the spelling in a schema file.
    pub fn parse(text: &str) -> Option<UnknownFields> {
        match text {
            "store" => Some(UnknownFields::Store),
            "reject" => Some(UnknownFields::Reject),
            _ => None,
        }
    }
}

/// One field of a native type.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldDecl {
    /// The kwarg name.
    pub name: String,
    /// Its declared type.
    pub ty: Ty,
    /// The value the library uses when the kwarg is not given (`None` = no fixed default).
    pub default: Option<Value>,
    /// Whether the constructor cannot be called without it (`required: true`).
    pub required: bool,
    /// `from:` in a native type that is `fed_by` another: the feeder's field whose value the
    /// engine passes unchanged to this one (`None`: the engine computes it, a config cannot set
    /// it).
    pub from: Option<String>,
    /// Where it is declared.
    pub span: Span,
}

impl NativeType {
    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&FieldDecl> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// A field path resolved against a native type.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolvedField {
    /// The native type holding the leaf field.
    pub owner: String,
    /// The leaf field's declaration.
    pub decl: FieldDecl,
    /// Whether the path goes through a nested native type (its default applies only when the
    /// parent is given).
    pub nested: bool,
}

/// Why a path did not resolve.
#[derive(Clone, Debug, PartialEq)]
pub struct UnresolvedField {
    /// Index of the first segment that did not resolve.
    pub segment: usize,
    /// The native type that was searched.
    pub searched: String,
    /// Close field names, best first.
    pub suggestions: Vec<String>,
}

impl EngineSchema {
    /// The native type called `name`.
    pub fn native(&self, name: &str) -> Option<&NativeType> {
        self.native_types.iter().find(|n| n.name == name)
    }

    /// The section feeding `native_type`, if any.
    pub fn section_for(&self, native_type: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.native_type == native_type)
    }

    /// The field of `native`'s feeder (`fed_by`) whose value the engine passes to `field`:
    /// `None` when `native` is not fed; `Some(None)` when the engine computes `field` itself, so
    /// no config can set it.
    pub fn fed_from(&self, native: &str, field: &str) -> Option<Option<&FieldDecl>> {
        let native = self.native(native)?;
        let feeder = self.native(native.fed_by.as_deref()?)?;
        let from = native.field(field).and_then(|f| f.from.as_deref());
        Some(from.and_then(|name| feeder.field(name)))
    }

    /// Resolves `path` (field names, possibly through nested native types) inside `native`.
    pub fn resolve(
        &self,
        native: &str,
        path: &FieldPath,
    ) -> Result<ResolvedField, UnresolvedField> {
        let mut owner = self.native(native).ok_or_else(|| UnresolvedField {
            segment: 0,
            searched: native.to_owned(),
            suggestions: Vec::new(),
        })?;
        let mut nested = false;
        let count = path.segments.len();
        for (index, segment) in path.segments.iter().enumerate() {
            let Some(decl) = owner.field(segment) else {
                return Err(UnresolvedField {
                    segment: index,
                    searched: owner.name.clone(),
                    suggestions: suggest(segment, owner.fields.iter().map(|f| f.name.as_str())),
                });
            };
            if index + 1 == count {
                return Ok(ResolvedField {
                    owner: owner.name.clone(),
                    decl: decl.clone(),
                    nested,
                });
            }
            let inner = nested_native(&decl.ty).and_then(|n| self.native(n));
            match inner {
                Some(inner) => {
                    owner = inner;
                    nested = true;
                }
                None => {
                    return Err(UnresolvedField {
                        segment: index + 1,
                        searched: format!(
                            "{} (field `{}` has no fields of its own)",
                            owner.name, decl.name
                        ),
                        suggestions: Vec::new(),
                    });
                }
            }
        }
        Err(UnresolvedField {
            segment: 0,
            searched: native.to_owned(),
            suggestions: Vec::new(),
        })
    }
}

/// The first class name in a type that could be a nested native type.
fn nested_native(ty: &Ty) -> Option<&str> {
    match ty {
        Ty::Class(name) => Some(name),
        Ty::Union(members) => members.iter().find_map(nested_native),
        _ => None,
    }
}

/// Names close to `wanted` (edit distance), best first, at most three.
pub fn suggest<'a>(wanted: &str, candidates: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut scored: Vec<(f64, &str)> = candidates
        .map(|c| (strsim::jaro_winkler(wanted, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .collect();
    scored.sort_by(|a, b| {
        b.0.partial_cmp(&a.0)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.1.cmp(b.1))
    });
    scored
        .into_iter()
        .take(3)
        .map(|(_, c)| c.to_owned())
        .collect()
}

/// `did you mean `x`?` for the name closest to `wanted`, else `otherwise`.
fn suggestion_or<'a>(
    wanted: &str,
    candidates: impl Iterator<Item = &'a str>,
    otherwise: &str,
) -> String {
    suggest(wanted, candidates)
        .first()
        .map_or_else(|| otherwise.to_owned(), |s| format!("did you mean `{s}`?"))
}

/// Where to point for a key missing from a mapping: its first key (the whole mapping when empty).
fn first_line(whole: Span, entries: &[(Node, Node)]) -> Span {
    entries.first().map(|(k, _)| k.span).unwrap_or(whole)
}

/// Converts a YAML node to a value (mappings keep their order).
pub fn node_value(node: &Node) -> Value {
    match &node.kind {
        NodeKind::Null => Value::Null,
        NodeKind::Bool(b) => Value::Bool(*b),
        NodeKind::Int(i) => Value::Int(*i),
        NodeKind::Float(f) => Value::Float(*f),
        NodeKind::Str(s) => Value::Str(s.clone()),
        NodeKind::Seq(items) => Value::List(items.iter().map(node_value).collect()),
        NodeKind::Map(entries) => Value::Dict(
            entries
                .iter()
                .map(|(k, v)| (node_value(k), node_value(v)))
                .collect(),
        ),
    }
}

/// Reads an engine schema file, reporting every problem found.
pub fn read_schema(file: FileId, text: &str) -> (Option<EngineSchema>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let root = match parse_yaml(file, text) {
        Ok(root) => root,
        Err(d) => return (None, vec![d]),
    };
    let mut reader = SchemaReader {
        file,
        diags: &mut diags,
    };
    let schema = reader.schema(&root);
    (schema, diags)
}

struct SchemaReader<'d> {
    file: FileId,
    diags: &'d mut Vec<Diagnostic>,
}

impl SchemaReader<'_> {
    fn err(&mut self, code: &'static str, span: Span, message: String, label: &str, help: &str) {
        self.diags.push(
            Diagnostic::error(code, message)
                .with_primary(self.file, span, label)
                .with_help(help),
        );
    }

    fn map<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [(Node, Node)]> {
        match &node.kind {
            NodeKind::Map(entries) => Some(entries),
            _ => {
                self.err(
                    "E501",
                    node.span,
                    format!("{what} must be a mapping, found {}", node.kind_name()),
                    "expected a mapping here",
                    "see engines/transformers/5.14.1/schema.yaml for the layout of an engine schema",
                );
                None
            }
        }
    }

    fn string(&mut self, entries: &[(Node, Node)], key: &str, whole: Span) -> Option<String> {
        match entries.iter().find(|(k, _)| k.as_str() == Some(key)) {
            Some((_, v)) => match v.as_str() {
                Some(s) => Some(s.to_owned()),
                None => {
                    self.err(
                        "E501",
                        v.span,
                        format!("`{key}` must be a string, found {}", v.kind_name()),
                        "expected a string",
                        "quote the value",
                    );
                    None
                }
            },
            None => {
                self.err(
                    "E502",
                    first_line(whole, entries),
                    format!("engine schema is missing `{key}`"),
                    "in the mapping that starts here",
                    &format!("add `{key}:`"),
                );
                None
            }
        }
    }

    fn schema(&mut self, root: &Node) -> Option<EngineSchema> {
        let entries = self.map(root, "an engine schema")?;
        for (k, _) in entries {
            let known = [
                "schema_version",
                "engine",
                "library",
                "library_version",
                "sections",
                "native_types",
            ];
            if let Some(name) = k.as_str()
                && !known.contains(&name)
            {
                let suggestions = suggest(name, known.iter().copied());
                let mut d =
                    Diagnostic::error("E503", format!("unknown key `{name}` in engine schema"))
                        .with_primary(self.file, k.span, "not a schema key");
                d = match suggestions.first() {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(format!("the keys are: {}", known.join(", "))),
                };
                self.diags.push(d);
            }
        }
        let engine = self.string(entries, "engine", root.span);
        let library = self.string(entries, "library", root.span);
        let library_version = self.string(entries, "library_version", root.span);
        let mut native_types = Vec::new();
        match entries
            .iter()
            .find(|(k, _)| k.as_str() == Some("native_types"))
        {
            Some((_, node)) => {
                if let Some(types) = self.map(node, "`native_types`") {
                    for (name, body) in types {
                        if let Some(native) = self.native_type(name, body) {
                            native_types.push(native);
                        }
                    }
                }
            }
            None => self.err(
                "E502",
                first_line(root.span, entries),
                "engine schema is missing `native_types`".into(),
                "in the mapping that starts here",
                "add `native_types:`",
            ),
        }
        let mut sections = Vec::new();
        match entries.iter().find(|(k, _)| k.as_str() == Some("sections")) {
            Some((_, node)) => {
                if let Some(items) = self.map(node, "`sections`") {
                    for (name, target) in items {
                        let (Some(name_s), Some(target_s)) = (name.as_str(), target.as_str())
                        else {
                            self.err(
                                "E501",
                                target.span,
                                "a section maps a name to a native type name".into(),
                                "expected `name: native.Type`",
                                "write e.g. `generation: transformers.GenerationConfig`",
                            );
                            continue;
                        };
                        if !native_types.iter().any(|n: &NativeType| n.name == target_s) {
                            let help = suggestion_or(
                                target_s,
                                native_types.iter().map(|n| n.name.as_str()),
                                "declare it under `native_types`",
                            );
                            self.err(
                                "E504",
                                target.span,
                                format!("section `{name_s}` feeds `{target_s}`, which is not declared under `native_types`"),
                                "unknown native type",
                                &help,
                            );
                        }
                        sections.push(Section {
                            name: name_s.to_owned(),
                            native_type: target_s.to_owned(),
                            span: name.span.to(target.span),
                        });
                    }
                }
            }
            None => self.err(
                "E502",
                first_line(root.span, entries),
                "engine schema is missing `sections`".into(),
                "in the mapping that starts here",
                "add `sections:`",
            ),
        }
        self.check_feeders(&native_types);
        Some(EngineSchema {
            file: self.file,
            engine: engine?,
            library: library?,
            library_version: library_version?,
            sections,
            native_types,
        })
    }

    /// `E508`: a `fed_by` names a declared native type, and every `from:` a field of it; `from:`
    /// only appears in a fed native type.
    fn check_feeders(&mut self, native_types: &[NativeType]) {
        for native in native_types {
            let feeder = match &native.fed_by {
                Some(name) => match native_types.iter().find(|n| &n.name == name) {
                    Some(feeder) => Some(feeder),
                    None => {
                        let help = suggestion_or(
                            name,
                            native_types.iter().map(|n| n.name.as_str()),
                            "declare the feeder under `native_types`",
                        );
                        let message = format!(
                            "`{}` is `fed_by` `{name}`, which `native_types` does not declare",
                            native.name
                        );
                        self.err("E508", native.span, message, "unknown feeder", &help);
                        continue;
                    }
                },
                None => None,
            };
            for field in &native.fields {
                let Some(from) = &field.from else { continue };
                match feeder {
                    Some(feeder) if feeder.field(from).is_some() => {}
                    Some(feeder) => {
                        let help = suggestion_or(
                            from,
                            feeder.fields.iter().map(|f| f.name.as_str()),
                            &format!("name a field of `{}`", feeder.name),
                        );
                        self.err(
                            "E508",
                            field.span,
                            format!(
                                "`{}.{}` comes `from` `{from}`, which `{}` does not declare",
                                native.name, field.name, feeder.name
                            ),
                            "unknown feeder field",
                            &help,
                        );
                    }
                    None => self.err(
                        "E508",
                        field.span,
                        format!(
                            "`{}.{}` has `from:` but `{}` is not `fed_by` another native type",
                            native.name, field.name, native.name
                        ),
                        "`from` without `fed_by`",
                        "add `fed_by:` to the native type, or drop `from:`",
                    ),
                }
            }
        }
    }

    fn native_type(&mut self, name: &Node, body: &Node) -> Option<NativeType> {
        let Some(type_name) = name.as_str() else {
            self.err(
                "E501",
                name.span,
                "a native type name must be a string".into(),
                "here",
                "write e.g. `transformers.GenerationConfig:`",
            );
            return None;
        };
        let entries = self.map(body, &format!("native type `{type_name}`"))?;
        let source = entries
            .iter()
            .find(|(k, _)| k.as_str() == Some("source"))
            .and_then(|(_, v)| v.as_str())
            .map(str::to_owned);
        let unknown_fields = self.unknown_fields(entries, type_name);
        let fed_by = self.optional_string(entries, "fed_by");
        let mut fields = Vec::new();
        match entries.iter().find(|(k, _)| k.as_str() == Some("fields")) {
            Some((_, fnode)) => {
                if let Some(items) = self.map(fnode, &format!("`fields` of `{type_name}`")) {
                    for (fname, fbody) in items {
                        if let Some(field) = self.field(fname, fbody) {
                            fields.push(field);
                        }
                    }
                }
            }
            None => self.err(
                "E502",
                first_line(body.span, entries),
                format!("native type `{type_name}` has no `fields`"),
                "in the mapping that starts here",
                "add `fields:`",
            ),
        }
        Some(NativeType {
            name: type_name.to_owned(),
            source,
            fields,
            unknown_fields,
            fed_by,
            span: name.span,
        })
    }

    /// An optional string-valued key (`E501` when it is not a string).
    fn optional_string(&mut self, entries: &[(Node, Node)], key: &str) -> Option<String> {
        let (_, node) = entries.iter().find(|(k, _)| k.as_str() == Some(key))?;
        match node.as_str() {
            Some(s) => Some(s.to_owned()),
            None => {
                self.err(
                    "E501",
                    node.span,
                    format!("`{key}` must be a string, found {}", node.kind_name()),
                    "expected a string",
                    "write a native type's or a field's name",
                );
                None
            }
        }
    }

    /// `unknown_fields: store | reject` of a native type (`store` when absent).
    fn unknown_fields(&mut self, entries: &[(Node, Node)], type_name: &str) -> UnknownFields {
        let Some((_, node)) = entries
            .iter()
            .find(|(k, _)| k.as_str() == Some("unknown_fields"))
        else {
            return UnknownFields::default();
        };
        match node.as_str().and_then(UnknownFields::parse) {
            Some(policy) => policy,
            None => {
                self.err(
                    "E501",
                    node.span,
                    format!("`unknown_fields` of `{type_name}` must be `store` or `reject`"),
                    "expected `store` or `reject`",
                    "write `store` when the constructor accepts unknown kwargs, `reject` when it raises",
                );
                UnknownFields::default()
            }
        }
    }

    fn field(&mut self, name: &Node, body: &Node) -> Option<FieldDecl> {
        let Some(field_name) = name.as_str() else {
            self.err(
                "E501",
                name.span,
                "a field name must be a string".into(),
                "here",
                "write the kwarg name",
            );
            return None;
        };
        let entries = self.map(body, &format!("field `{field_name}`"))?;
        let ty_node = entries
            .iter()
            .find(|(k, _)| k.as_str() == Some("type"))
            .map(|(_, v)| v);
        let ty = match ty_node {
            Some(node) => match node.as_str().map(Ty::parse) {
                Some(Ok(ty)) => ty,
                Some(Err(message)) => {
                    self.err("E505", node.span, message, "malformed type", "types look like `Optional[int]`, `Union[str, list[str]]`, `dict[str, any]`");
                    Ty::Any
                }
                None => {
                    self.err(
                        "E505",
                        node.span,
                        format!("the type of `{field_name}` must be a string"),
                        "here",
                        "write e.g. `type: Optional[int]`",
                    );
                    Ty::Any
                }
            },
            None => {
                self.err(
                    "E502",
                    body.span,
                    format!("field `{field_name}` has no `type`"),
                    "in this mapping",
                    "add `type:` (use `any` when unknown)",
                );
                Ty::Any
            }
        };
        let default = entries
            .iter()
            .find(|(k, _)| k.as_str() == Some("default"))
            .map(|(_, v)| node_value(v));
        let required = match entries.iter().find(|(k, _)| k.as_str() == Some("required")) {
            None => false,
            Some((_, v)) => match v.as_bool() {
                Some(flag) => flag,
                None => {
                    self.err(
                        "E507",
                        v.span,
                        format!("`required` of `{field_name}` must be true or false"),
                        "here",
                        "write `required: true` for a constructor argument without a default",
                    );
                    false
                }
            },
        };
        if required && default.is_some() {
            self.err(
                "E507",
                body.span,
                format!("`{field_name}` is `required` and has a `default`"),
                "both given",
                "a required argument has no default: drop one of them",
            );
        }
        if let Some(value) = &default
            && !ty.kinds().intersects(value.kind())
            && ty != Ty::Any
        {
            self.err(
                "E506",
                body.span,
                format!(
                    "the default of `{field_name}` ({}) is not a `{ty}`",
                    crate::value::repr(value)
                ),
                "default does not match the type",
                "fix the type or the default",
            );
        }
        let from = self.optional_string(entries, "from");
        Some(FieldDecl {
            name: field_name.to_owned(),
            ty,
            default,
            required,
            from,
            span: name.span,
        })
    }
}
