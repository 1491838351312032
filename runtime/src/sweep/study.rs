//! Reading a study file: the base config reference, the grid axes and the extra points, each
//! axis resolved against the engine schema and every value type-checked before any point is
//! evaluated (codes `E720`–`E725`; a value of another type than the field's is a warning,
//! `W726`; see `docs/experiment-config.md`, "Sweeps").

use crate::experiment::{conforms, expected_name};
use llemc_compiler::diagnostic::{Diagnostic, FileId};
use llemc_compiler::schema::{EngineSchema, NativeType, UnknownFields, suggest};
use llemc_compiler::types::Ty;
use llemc_compiler::yaml::{Node, NodeKind};
use llemc_grammar::ast::Span;

/// The top-level keys of a study file.
pub const STUDY_KEYS: [&str; 4] = ["base", "experiment", "grid", "extra_points"];

/// Where the base experiment config comes from.
#[derive(Clone, Debug)]
pub enum BaseRef {
    /// `base: path` (relative to the study file), with the span of the path.
    File(String, Span),
    /// `experiment: {...}` written inline.
    Inline(Node),
}

/// The study file's structure, before the axes are resolved against a schema.
#[derive(Clone, Debug)]
pub struct RawStudy {
    /// The base config.
    pub base: BaseRef,
    /// `grid:` entries (key node, value node), in file order.
    pub grid: Vec<(Node, Node)>,
    /// `extra_points:` entries, each a list of (key node, value node).
    pub extra: Vec<Vec<(Node, Node)>>,
}

/// One override target: a dotted config path resolved to a field of a native type.
#[derive(Clone, Debug)]
pub struct Target {
    /// The path as written (`transformers.generation.num_beams`).
    pub dotted: String,
    /// Its segments.
    pub path: Vec<String>,
    /// The field's declared type.
    pub ty: Ty,
    /// The nested native type whose kwargs a mapping value holds (`watermarking_config`).
    pub nested: Option<String>,
}

/// One grid axis.
#[derive(Clone, Debug)]
pub struct Axis {
    /// The field it sets.
    pub target: Target,
    /// Its values as written.
    pub values: Vec<Node>,
}

/// One explicit extra point: overrides applied on top of the base.
#[derive(Clone, Debug)]
pub struct ExtraPoint {
    /// (field, value) in written order.
    pub overrides: Vec<(Target, Node)>,
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn did_you_mean(wanted: &str, known: &[&str]) -> String {
    match suggest(wanted, known.iter().copied()).first() {
        Some(best) => format!("did you mean `{best}`?"),
        None => format!("expected one of: {}", quoted(known)),
    }
}

/// Reads the study's top-level structure.
pub fn read_study(file: FileId, root: &Node, diags: &mut Vec<Diagnostic>) -> Option<RawStudy> {
    let Some(entries) = root.as_map() else {
        diags.push(
            Diagnostic::error(
                "E720",
                format!("a study file must be a mapping, found {}", root.kind_name()),
            )
            .with_primary(
                file,
                root.span,
                "expected `base:` (or `experiment:`) and `grid:`",
            )
            .with_help("write `base: experiment.yaml` and `grid: {field.path: [values]}`"),
        );
        return None;
    };
    let mut reader = StudyReader {
        file,
        diags,
        base: None,
        grid: Vec::new(),
        extra: Vec::new(),
        ok: true,
    };
    for (key, value) in entries {
        reader.entry(key, value);
    }
    let StudyReader {
        diags,
        base,
        grid,
        extra,
        ok,
        ..
    } = reader;
    let Some(base) = base else {
        diags.push(
            Diagnostic::error("E720", "the study names no base config")
                .with_primary(file, root.span, "no `base:` or `experiment:` here")
                .with_help("add `base: experiment.yaml` (relative to this file) or an inline `experiment:` mapping"),
        );
        return None;
    };
    ok.then_some(RawStudy { base, grid, extra })
}

/// The top-level entries of a study file, read one by one.
struct StudyReader<'d> {
    file: FileId,
    diags: &'d mut Vec<Diagnostic>,
    base: Option<BaseRef>,
    grid: Vec<(Node, Node)>,
    extra: Vec<Vec<(Node, Node)>>,
    ok: bool,
}

impl StudyReader<'_> {
    fn fail(&mut self, diagnostic: Diagnostic) {
        self.diags.push(diagnostic);
        self.ok = false;
    }

    fn entry(&mut self, key: &Node, value: &Node) {
        let name = key
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| key.short_display());
        match name.as_str() {
            "base" | "experiment" => self.base(key, &name, value),
            "grid" => self.grid(value),
            "extra_points" => self.extra_points(value),
            _ => self.fail(
                Diagnostic::error("E720", format!("unknown study key `{name}`"))
                    .with_primary(self.file, key.span, "not a study key")
                    .with_help(did_you_mean(&name, &STUDY_KEYS)),
            ),
        }
    }

    /// `base: path` or `experiment: {...}`, once.
    fn base(&mut self, key: &Node, name: &str, value: &Node) {
        if self.base.is_some() {
            self.fail(
                Diagnostic::error("E720", "a study names its base config once")
                    .with_primary(self.file, key.span, "second base config")
                    .with_help("keep either `base: <file>` or `experiment: {...}`"),
            );
            return;
        }
        if name != "base" {
            self.base = Some(BaseRef::Inline(value.clone()));
            return;
        }
        match value.as_str() {
            Some(path) if !path.is_empty() => {
                self.base = Some(BaseRef::File(path.to_owned(), value.span));
            }
            _ => self.fail(
                Diagnostic::error(
                    "E720",
                    format!(
                        "`base` must be the path of an experiment config, found {}",
                        value.kind_name()
                    ),
                )
                .with_primary(self.file, value.span, "expected a file path")
                .with_help("write `base: experiment.yaml` (relative to this file)"),
            ),
        }
    }

    /// `grid: {field.path: [values]}`.
    fn grid(&mut self, value: &Node) {
        match &value.kind {
            NodeKind::Map(axes) => self.grid = axes.clone(),
            NodeKind::Null => {}
            _ => self.fail(
                Diagnostic::error(
                    "E722",
                    format!("`grid` must be a mapping, found {}", value.kind_name()),
                )
                .with_primary(
                    self.file,
                    value.span,
                    "expected `field.path: [values]` lines",
                )
                .with_help("write e.g. `transformers.generation.num_beams: [1, 2, 4]`"),
            ),
        }
    }

    /// `extra_points: [{field.path: value}, ...]`.
    fn extra_points(&mut self, value: &Node) {
        let points = match &value.kind {
            NodeKind::Seq(points) => points,
            NodeKind::Null => return,
            _ => {
                self.fail(
                    Diagnostic::error(
                        "E722",
                        format!("`extra_points` must be a list, found {}", value.kind_name()),
                    )
                    .with_primary(self.file, value.span, "expected a list of mappings")
                    .with_help("write one `- {field.path: value, ...}` item per point"),
                );
                return;
            }
        };
        for point in points {
            match &point.kind {
                NodeKind::Map(overrides) => self.extra.push(overrides.clone()),
                _ => self.fail(
                    Diagnostic::error(
                        "E722",
                        format!(
                            "each extra point must be a mapping, found {}",
                            point.kind_name()
                        ),
                    )
                    .with_primary(self.file, point.span, "expected `field.path: value` lines")
                    .with_help("write e.g. `- {transformers.generation.num_beams: 8}`"),
                ),
            }
        }
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

/// Resolves a dotted path key (`transformers.generation.num_beams`) against the schema.
pub fn resolve_target(
    file: FileId,
    key: &Node,
    engine: &str,
    schema: &EngineSchema,
    diags: &mut Vec<Diagnostic>,
) -> Option<Target> {
    let Some(dotted) = key.as_str() else {
        diags.push(
            Diagnostic::error(
                "E721",
                format!("a field path must be a string, found {}", key.kind_name()),
            )
            .with_primary(file, key.span, "expected a dotted field path")
            .with_help(format!("write e.g. `{engine}.generation.num_beams`")),
        );
        return None;
    };
    let path: Vec<String> = dotted.split('.').map(str::to_owned).collect();
    let unknown = |what: String, help: String| {
        Diagnostic::error("E721", what)
            .with_primary(file, key.span, "unknown field path")
            .with_help(help)
    };
    let first = path.first().map(String::as_str).unwrap_or("");
    if first != engine {
        diags.push(unknown(
            format!("`{dotted}` is not a field of the `{engine}` config"),
            format!("grid paths start with the engine key: `{engine}.<section>.<field>`"),
        ));
        return None;
    }
    let sections: Vec<&str> = schema.sections.iter().map(|s| s.name.as_str()).collect();
    let Some(section_name) = path.get(1) else {
        diags.push(unknown(
            format!("`{dotted}` names no section and field"),
            format!("the sections of `{engine}` are: {}", quoted(&sections)),
        ));
        return None;
    };
    let Some(section) = schema.sections.iter().find(|s| &s.name == section_name) else {
        diags.push(unknown(
            format!("unknown section `{engine}.{section_name}` in `{dotted}`"),
            did_you_mean(section_name, &sections),
        ));
        return None;
    };
    let mut owner = schema.native(&section.native_type)?;
    let fields = path.get(2..).unwrap_or(&[]);
    if fields.is_empty() {
        diags.push(unknown(
            format!("`{dotted}` is a section, not a field"),
            format!(
                "sweep one field of `{}` at a time, e.g. `{dotted}.<field>`",
                owner.name
            ),
        ));
        return None;
    }
    let mut ty: Option<Ty> = None;
    for (index, name) in fields.iter().enumerate() {
        if index > 0 {
            match ty.as_ref().and_then(|t| nested_native(t, schema)) {
                Some(inner) => owner = inner,
                None => {
                    diags.push(unknown(
                        format!(
                            "`{}` has no fields of its own (in `{dotted}`)",
                            fields.get(index - 1).map(String::as_str).unwrap_or("")
                        ),
                        "sweep the field itself".to_owned(),
                    ));
                    return None;
                }
            }
        }
        let Some(decl) = owner.field(name) else {
            let known: Vec<&str> = owner.fields.iter().map(|f| f.name.as_str()).collect();
            diags.push(unknown(
                format!("`{}` has no field `{name}`", owner.name),
                match suggest(name, known.iter().copied()).first() {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!(
                        "see the fields of `{}` in engines/{engine}/{}/schema.yaml",
                        owner.name, schema.library_version
                    ),
                },
            ));
            return None;
        };
        ty = Some(decl.ty.clone());
    }
    let ty = ty?;
    let nested = nested_native(&ty, schema).map(|n| n.name.clone());
    Some(Target {
        dotted: dotted.to_owned(),
        path,
        ty,
        nested,
    })
}

/// Checks one value for a target: its type, and for a mapping given to a nested native type,
/// every key and value inside it. Pushes a diagnostic pointing at the offending value; returns
/// `false` when one is an error.
pub fn check_value(
    file: FileId,
    target: &Target,
    value: &Node,
    schema: &EngineSchema,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    check_typed(file, &target.dotted, &target.ty, value, schema, diags)
}

fn check_typed(
    file: FileId,
    name: &str,
    ty: &Ty,
    value: &Node,
    schema: &EngineSchema,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    if let (NodeKind::Map(entries), Some(native)) = (&value.kind, nested_native(ty, schema)) {
        let mut ok = true;
        let known: Vec<&str> = native.fields.iter().map(|f| f.name.as_str()).collect();
        for (key, inner) in entries {
            let field = key.as_str().and_then(|k| native.field(k));
            let Some(field) = field else {
                let shown = key
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| key.short_display());
                let message = format!("`{}` has no field `{shown}`", native.name);
                let d = match native.unknown_fields {
                    UnknownFields::Store => Diagnostic::warning(
                        "W708",
                        format!(
                            "{message}: {} stores it and ignores it unless something reads it",
                            schema.engine
                        ),
                    )
                    .with_primary(
                        file,
                        key.span,
                        "unknown field, accepted without an error",
                    ),
                    UnknownFields::Reject => {
                        ok = false;
                        Diagnostic::error("E721", message).with_primary(
                            file,
                            key.span,
                            "unknown field",
                        )
                    }
                };
                diags.push(d.with_help(did_you_mean(&shown, &known)));
                continue;
            };
            ok &= check_typed(
                file,
                &format!("{name}.{}", field.name),
                &field.ty,
                inner,
                schema,
                diags,
            );
        }
        return ok;
    }
    // A value of a type the field does not declare is a warning (the library stores it as
    // written): the point is still checked; only a rule the gate confirmed rejects it.
    if let Err(m) = conforms(ty, value) {
        diags.push(
            Diagnostic::warning(
                "W726",
                format!("`{name}` expects {}, found {}", expected_name(ty), m.found),
            )
            .with_primary(
                file,
                m.span,
                format!("expected {}, found {}", m.expected, m.found),
            )
            .with_note(format!(
                "{} stores the value as written without checking its type; code that reads it \
                 later may fail or treat it differently",
                schema.engine
            ))
            .with_help(match (m.expected.as_str(), &value.kind) {
                ("int" | "float", NodeKind::Str(_)) => "write numbers without quotes".to_owned(),
                ("bool", NodeKind::Str(_)) => "write `true` or `false`, without quotes".to_owned(),
                _ => format!("give `{name}` values of type {}", expected_name(ty)),
            }),
        );
    }
    true
}

/// Resolves and checks every grid axis (`E721`–`E724`).
pub fn resolve_axes(
    file: FileId,
    grid: &[(Node, Node)],
    engine: &str,
    schema: &EngineSchema,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<Axis>> {
    let mut axes = Vec::new();
    let mut ok = true;
    for (key, value) in grid {
        let Some(target) = resolve_target(file, key, engine, schema, diags) else {
            ok = false;
            continue;
        };
        if axes.iter().any(|a: &Axis| a.target.dotted == target.dotted) {
            diags.push(
                Diagnostic::error("E721", format!("`{}` is swept twice", target.dotted))
                    .with_primary(file, key.span, "second axis for this field")
                    .with_help("merge the two lists into one axis"),
            );
            ok = false;
            continue;
        }
        let Some(values) = value.as_seq() else {
            diags.push(
                Diagnostic::error(
                    "E722",
                    format!(
                        "the values of `{}` must be a list, found {}",
                        target.dotted,
                        value.kind_name()
                    ),
                )
                .with_primary(file, value.span, "expected a list of values")
                .with_secondary(file, key.span, "this axis")
                .with_help(format!(
                    "write `{}: [{}]` to sweep a single value",
                    target.dotted,
                    value.short_display()
                )),
            );
            ok = false;
            continue;
        };
        if values.is_empty() {
            diags.push(
                Diagnostic::error("E724", format!("the axis `{}` has no values", target.dotted))
                    .with_primary(file, value.span, "empty list")
                    .with_secondary(file, key.span, "this axis")
                    .with_help("give it at least one value, or remove the axis (an empty axis makes the grid empty)"),
            );
            ok = false;
            continue;
        }
        let mut values_ok = true;
        for v in values {
            values_ok &= check_value(file, &target, v, schema, diags);
        }
        ok &= values_ok;
        axes.push(Axis {
            target,
            values: values.to_vec(),
        });
    }
    ok.then_some(axes)
}

/// Resolves and checks every extra point.
pub fn resolve_extra(
    file: FileId,
    extra: &[Vec<(Node, Node)>],
    engine: &str,
    schema: &EngineSchema,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<ExtraPoint>> {
    let mut points = Vec::new();
    let mut ok = true;
    for overrides in extra {
        let mut point = ExtraPoint {
            overrides: Vec::new(),
        };
        for (key, value) in overrides {
            let Some(target) = resolve_target(file, key, engine, schema, diags) else {
                ok = false;
                continue;
            };
            ok &= check_value(file, &target, value, schema, diags);
            point.overrides.push((target, value.clone()));
        }
        points.push(point);
    }
    ok.then_some(points)
}

/// The number of grid points, or `None` when it does not fit a `u64`.
pub fn grid_size(axes: &[Axis]) -> Option<u64> {
    axes.iter().try_fold(1u64, |acc, a| {
        acc.checked_mul(u64::try_from(a.values.len()).ok()?)
    })
}
