//! Reading an experiment config: header keys, the engine section, its sub-sections and their
//! kwargs, with "did you mean" for every unknown name.

use super::{
    DeclaredField, ExperimentConfig, HEADER_KEYS, ReadOutcome, SectionConfig, SupportedVersion,
};
use llemc_compiler::diagnostic::{Diagnostic, FileId};
use llemc_compiler::schema::{EngineSchema, NativeType, UnknownFields, suggest};
use llemc_compiler::types::Ty;
use llemc_compiler::yaml::{Node, NodeKind, parse_yaml};

/// Reads an experiment config from `text` (already decoded) against the supported engine
/// versions. The first version listed for an engine is its default.
pub fn read_experiment(
    file: FileId,
    text: &str,
    supported: &[SupportedVersion<'_>],
) -> ReadOutcome {
    let mut out = ReadOutcome::default();
    let root = match parse_yaml(file, text) {
        Ok(root) => root,
        Err(d) => {
            out.diagnostics.push(d);
            return out;
        }
    };
    let mut reader = Reader {
        file,
        diags: &mut out.diagnostics,
    };
    out.config = reader.config(root, supported);
    out
}

/// Reads an experiment config that is already parsed (e.g. a mapping inside another YAML file,
/// such as a sweep study's inline `experiment:`); spans are those of `root`.
pub fn read_experiment_node(
    file: FileId,
    root: Node,
    supported: &[SupportedVersion<'_>],
) -> ReadOutcome {
    let mut out = ReadOutcome::default();
    let mut reader = Reader {
        file,
        diags: &mut out.diagnostics,
    };
    out.config = reader.config(root, supported);
    out
}

struct Reader<'d> {
    file: FileId,
    diags: &'d mut Vec<Diagnostic>,
}

/// `did you mean `x`?` for the best suggestion, else the list of known names.
fn did_you_mean(wanted: &str, known: &[&str]) -> String {
    match suggest(wanted, known.iter().copied()).first() {
        Some(best) => format!("did you mean `{best}`?"),
        None if known.is_empty() => "nothing is expected here".to_owned(),
        None => format!("expected one of: {}", quoted_list(known)),
    }
}

fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Python's name for the type of a YAML value.
pub(super) fn py_type(node: &Node) -> &'static str {
    match node.kind {
        NodeKind::Null => "None",
        NodeKind::Bool(_) => "bool",
        NodeKind::Int(_) => "int",
        NodeKind::Float(_) => "float",
        NodeKind::Str(_) => "str",
        NodeKind::Seq(_) => "list",
        NodeKind::Map(_) => "dict",
    }
}

impl Reader<'_> {
    /// Reads the header, checks the top-level keys, picks the engine version and reads the
    /// engine's section.
    fn config(
        &mut self,
        root: Node,
        supported: &[SupportedVersion<'_>],
    ) -> Option<ExperimentConfig> {
        let Some(entries) = root.as_map() else {
            self.not_a_mapping(&root);
            return None;
        };
        let mut engines: Vec<&str> = Vec::new();
        for s in supported {
            if !engines.contains(&s.engine) {
                engines.push(s.engine);
            }
        }
        let engine = self.engine(&root, &engines);
        let model = self.model(&root);
        for (key, _) in entries {
            self.top_level_key(key, engine.as_deref(), &engines);
        }
        let engine = engine?;
        let (chosen, declared) = self.engine_version(&root, &engine, supported)?;
        let mut config = ExperimentConfig {
            file: self.file,
            engine: engine.clone(),
            model,
            engine_version: chosen.version.to_owned(),
            engine_version_declared: declared,
            sections: Vec::new(),
            fields: Vec::new(),
            root: Node::new(NodeKind::Null, root.span),
        };
        if let Some((key, body)) = root.get_entry(&engine) {
            self.engine_section(key, body, chosen.schema, &mut config);
        }
        config.root = root;
        Some(config)
    }

    fn not_a_mapping(&mut self, root: &Node) {
        self.diags.push(
            Diagnostic::error(
                "E700",
                format!(
                    "an experiment config must be a mapping, found {}",
                    if root.is_null() {
                        "an empty document"
                    } else {
                        root.kind_name()
                    }
                ),
            )
            .with_primary(self.file, root.span, "expected `engine:`, `model:`, ...")
            .with_help(
                "start from examples/transformers-valid.yaml: `engine: transformers`, \
                 `model: <name>`, then a `transformers:` section",
            ),
        );
    }

    /// `engine:`, when it names a known engine.
    fn engine(&mut self, root: &Node, engines: &[&str]) -> Option<String> {
        let Some((_, value)) = root.get_entry("engine") else {
            self.diags.push(
                Diagnostic::error("E701", "the experiment config has no `engine`")
                    .with_primary(self.file, root.span, "in this mapping")
                    .with_help(format!(
                        "add `engine: <name>`; known engines: {}",
                        quoted_list(engines)
                    )),
            );
            return None;
        };
        match value.as_str() {
            Some(name) if engines.contains(&name) => Some(name.to_owned()),
            Some(name) => {
                self.diags.push(
                    Diagnostic::error("E703", format!("unknown engine `{name}`"))
                        .with_primary(self.file, value.span, "not an engine llem knows")
                        .with_note(format!("known engines: {}", quoted_list(engines)))
                        .with_help(did_you_mean(name, engines)),
                );
                None
            }
            None => {
                self.wrong_header_type("engine", value, "the engine's name");
                None
            }
        }
    }

    /// `model:`, when it is a non-empty string.
    fn model(&mut self, root: &Node) -> Option<String> {
        let Some((_, value)) = root.get_entry("model") else {
            self.diags.push(
                Diagnostic::error("E701", "the experiment config has no `model`")
                    .with_primary(self.file, root.span, "in this mapping")
                    .with_help("add `model: <Hugging Face model id or local path>`"),
            );
            return None;
        };
        match value.as_str() {
            Some(m) if !m.trim().is_empty() => Some(m.to_owned()),
            Some(_) => {
                self.diags.push(
                    Diagnostic::error("E707", "`model` is empty")
                        .with_primary(self.file, value.span, "empty")
                        .with_help("write a Hugging Face model id or a local path"),
                );
                None
            }
            None => {
                self.wrong_header_type("model", value, "a model id or path");
                None
            }
        }
    }

    /// A top-level key must be a header key or the engine's own section.
    fn top_level_key(&mut self, key: &Node, engine: Option<&str>, engines: &[&str]) {
        match key.as_str() {
            Some(name) if HEADER_KEYS.contains(&name) => {}
            Some(name) if engine == Some(name) => {}
            Some(name) if engine.is_none() && engines.contains(&name) => {}
            Some(name) if engines.contains(&name) => {
                self.diags.push(
                    Diagnostic::error(
                        "E702",
                        format!(
                            "section `{name}` does not match `engine: {}`",
                            engine.unwrap_or("?")
                        ),
                    )
                    .with_primary(self.file, key.span, "settings for another engine")
                    .with_help(
                        "a config configures one engine: rename this section or change `engine`",
                    ),
                );
            }
            _ => {
                let mut known: Vec<&str> = HEADER_KEYS.to_vec();
                match engine {
                    Some(e) => known.push(e),
                    None => known.extend(engines.iter().copied()),
                }
                let shown = key
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| key.short_display());
                self.diags.push(
                    Diagnostic::error(
                        "E702",
                        format!("unknown key `{shown}` in the experiment config"),
                    )
                    .with_primary(self.file, key.span, "not a top-level key")
                    .with_help(did_you_mean(&shown, &known)),
                );
            }
        }
    }

    /// The engine version whose rules apply (`engine_version:`, else the engine's default) and
    /// whether it was written; `None` when it is unsupported or not a string.
    fn engine_version<'s, 'v>(
        &mut self,
        root: &Node,
        engine: &str,
        supported: &'s [SupportedVersion<'v>],
    ) -> Option<(&'s SupportedVersion<'v>, bool)> {
        let versions: Vec<&SupportedVersion<'_>> =
            supported.iter().filter(|s| s.engine == engine).collect();
        let Some((_, value)) = root.get_entry("engine_version") else {
            return versions.first().map(|v| (*v, false));
        };
        let Some(wanted) = value.as_str() else {
            self.wrong_header_type("engine_version", value, "a version such as \"5.14.1\"");
            return None;
        };
        if let Some(v) = versions.iter().find(|v| v.version == wanted) {
            return Some((*v, true));
        }
        let names: Vec<&str> = versions.iter().map(|v| v.version).collect();
        self.diags.push(
            Diagnostic::error(
                "E704",
                format!("{engine} {wanted} is not a supported engine version"),
            )
            .with_primary(self.file, value.span, "no rules for this version")
            .with_note(format!(
                "supported {engine} versions: {}",
                quoted_list(&names)
            ))
            .with_help(match names.first() {
                Some(first) => format!(
                    "use one of the supported versions, e.g. `engine_version: \"{first}\"`, or remove `engine_version` to use the default"
                ),
                None => "remove `engine_version`".to_owned(),
            }),
        );
        None
    }

    fn wrong_header_type(&mut self, key: &str, value: &Node, what: &str) {
        self.diags.push(
            Diagnostic::error(
                "E707",
                format!("`{key}` must be a string, found {}", value.kind_name()),
            )
            .with_primary(self.file, value.span, format!("expected {what}"))
            .with_help(format!(
                "write `{key}:` followed by {what} (quote it if needed)"
            )),
        );
    }

    fn engine_section(
        &mut self,
        key: &Node,
        body: &Node,
        schema: &EngineSchema,
        config: &mut ExperimentConfig,
    ) {
        let engine = config.engine.clone();
        let names: Vec<&str> = schema.sections.iter().map(|s| s.name.as_str()).collect();
        let entries = match &body.kind {
            NodeKind::Map(entries) => entries,
            NodeKind::Null => return,
            _ => {
                self.diags.push(
                    Diagnostic::error(
                        "E707",
                        format!(
                            "the `{engine}` section must be a mapping, found {}",
                            body.kind_name()
                        ),
                    )
                    .with_primary(self.file, body.span, "expected a mapping of sections")
                    .with_secondary(self.file, key.span, "this section")
                    .with_help(format!("its sections are: {}", quoted_list(&names))),
                );
                return;
            }
        };
        for (skey, sbody) in entries {
            let section = skey
                .as_str()
                .and_then(|name| schema.sections.iter().find(|s| s.name == name));
            let Some(section) = section else {
                let shown = skey
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| skey.short_display());
                self.diags.push(
                    Diagnostic::error("E705", format!("unknown section `{engine}.{shown}`"))
                        .with_primary(self.file, skey.span, format!("not a section of `{engine}`"))
                        .with_note(format!(
                            "the sections of `{engine}` are: {}",
                            quoted_list(&names)
                        ))
                        .with_help(did_you_mean(&shown, &names)),
                );
                continue;
            };
            let path = vec![engine.clone(), section.name.clone()];
            config.sections.push(SectionConfig {
                name: section.name.clone(),
                native_type: section.native_type.clone(),
                path: path.clone(),
                key_span: skey.span,
            });
            let Some(native) = schema.native(&section.native_type) else {
                continue;
            };
            match &sbody.kind {
                NodeKind::Map(fields) => {
                    self.fields(fields, native, &path, &[], schema, config);
                }
                NodeKind::Null => {}
                _ => self.diags.push(
                    Diagnostic::error(
                        "E707",
                        format!(
                            "section `{engine}.{}` must be a mapping of `{}` arguments, found {}",
                            section.name,
                            section.native_type,
                            sbody.kind_name()
                        ),
                    )
                    .with_primary(self.file, sbody.span, "expected a mapping")
                    .with_secondary(self.file, skey.span, "this section")
                    .with_help(format!(
                        "write one `name: value` line per `{}` argument",
                        section.native_type
                    )),
                ),
            }
        }
    }

    /// Reads the kwargs of one native type; recurses into mappings given for nested native
    /// types (`watermarking_config: {...}`).
    fn fields(
        &mut self,
        entries: &[(Node, Node)],
        native: &NativeType,
        section_path: &[String],
        prefix: &[String],
        schema: &EngineSchema,
        config: &mut ExperimentConfig,
    ) {
        let known: Vec<&str> = native.fields.iter().map(|f| f.name.as_str()).collect();
        for (key, value) in entries {
            let decl = key.as_str().and_then(|name| native.field(name));
            let Some(decl) = decl else {
                self.unknown_field(key, native, &known, config);
                continue;
            };
            let mut field: Vec<String> = prefix.to_vec();
            field.push(decl.name.clone());
            let mut path: Vec<String> = section_path.to_vec();
            path.extend(field.iter().cloned());
            config.fields.push(DeclaredField {
                path,
                owner: native.name.clone(),
                field: field.clone(),
                ty: decl.ty.clone(),
                key_span: key.span,
                value: value.clone(),
            });
            if let (NodeKind::Map(inner), Some(nested)) =
                (&value.kind, nested_native(&decl.ty, schema))
            {
                self.fields(inner, nested, section_path, &field, schema, config);
            }
        }
    }
}

impl Reader<'_> {
    /// A kwarg `native` does not declare: a warning (`W708`) when the library accepts unknown
    /// kwargs (`unknown_fields: store`), an error (`E706`) when it raises.
    fn unknown_field(
        &mut self,
        key: &Node,
        native: &NativeType,
        known: &[&str],
        config: &ExperimentConfig,
    ) {
        let engine = &config.engine;
        let shown = key
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| key.short_display());
        let name = &native.name;
        let mut d = match native.unknown_fields {
            UnknownFields::Store => Diagnostic::warning(
                "W708",
                format!(
                    "`{name}` has no field `{shown}`: {engine} stores it and ignores it unless \
                     something reads it"
                ),
            )
            .with_primary(
                self.file,
                key.span,
                "unknown field, accepted without an error",
            )
            .with_note(format!(
                "`{name}` takes any keyword argument, so a misspelt setting silently measures a \
                 different experiment"
            )),
            UnknownFields::Reject => {
                Diagnostic::error("E706", format!("`{name}` has no field `{shown}`"))
                    .with_primary(self.file, key.span, "unknown field")
                    .with_note(format!(
                        "`{name}` takes no other keyword arguments: {engine} raises when it \
                         builds it"
                    ))
            }
        };
        d = match suggest(&shown, known.iter().copied()).first() {
            Some(best) => d.with_help(format!("did you mean `{best}`?")),
            None => {
                let schema = format!("engines/{engine}/{}/schema.yaml", config.engine_version);
                d.with_help(match native.unknown_fields {
                    UnknownFields::Store => format!(
                        "see the fields of `{name}` in {schema}; remove `{shown}` unless your \
                         code reads it"
                    ),
                    UnknownFields::Reject => {
                        format!("remove `{shown}`; the fields of `{name}` are in {schema}")
                    }
                })
            }
        };
        self.diags.push(d);
    }
}

/// The first class in `ty` that the schema declares as a native type.
fn nested_native<'s>(ty: &Ty, schema: &'s EngineSchema) -> Option<&'s NativeType> {
    match ty {
        Ty::Class(name) => schema.native(name),
        Ty::Union(members) => members.iter().find_map(|m| nested_native(m, schema)),
        _ => None,
    }
}
