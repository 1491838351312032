//! The static miner: parses the library source named by the SSOT's landmarks, finds every
//! rejection, warning and normalisation site in them, and translates the conditions that reach
//! each site into the `when:` language, losslessly or not at all (opaque).
//!
//! [`mine`] gives a [`MineOutput`]: the staging file (rules, opaque sites, report) and the
//! engine schema generated from the fields `__init__` takes.

mod docstring;
mod fields;
pub mod pred;
pub mod python;
mod resolve;
pub mod source;
mod translate;

use crate::source::source_version;
use fields::{DefaultVal, TypeInfo};
use llemc_compiler::corpus::{AddedBy, EmissionChannel, Outcome, RuleSeverity};
use llemc_compiler::schema_write::{
    FieldDefault, FieldDoc, NativeTypeDoc, SchemaDoc, write_schema,
};
use llemc_compiler::types::Kinds;
use llemc_compiler::yaml_out::Yaml;
use llemc_mining::ssot::{EngineSsot, Role};
use llemc_mining::staging::{
    Counts, ExpectedOutcome, MinerSource, OpaqueRule, Report, StagedRule, Staging,
};
use pred::{Lit, Pred, simplify};
use resolve::{Modules, find_class, find_method};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use translate::{Detector, Walker};

/// Why mining stopped (always exit code 2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MineError {
    /// The version is not listed in the SSOT.
    UnsupportedVersion(String),
    /// The source tree declares no version.
    NoVersion {
        /// The source tree.
        root: String,
        /// The package looked for.
        package: String,
    },
    /// The source's version is outside the SSOT's envelope.
    OutsideEnvelope {
        /// The version asked for.
        version: String,
        /// The version the source declares.
        found: String,
        /// The envelope.
        envelope: String,
    },
    /// Landmarks that could not be found.
    MissingLandmarks(Vec<String>),
    /// A source file does not parse.
    Syntax {
        /// Path relative to the source root.
        file: String,
        /// 1-based line.
        line: u32,
        /// 1-based column.
        column: u32,
        /// The parser's message.
        message: String,
    },
    /// A file could not be read.
    Io {
        /// The path.
        path: String,
        /// What went wrong.
        message: String,
    },
}

impl std::fmt::Display for MineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MineError::UnsupportedVersion(m) => f.write_str(m),
            MineError::NoVersion { root, package } => write!(
                f,
                "{root} declares no version (no {package}-*.dist-info/METADATA and no __version__ in {package}/__init__.py)"
            ),
            MineError::OutsideEnvelope {
                version,
                found,
                envelope,
            } => write!(
                f,
                "the source is version {found}, outside the envelope `{envelope}` of {version} in the SSOT: the library changed; add or update its entry under `versions:`"
            ),
            MineError::MissingLandmarks(items) => {
                write!(f, "landmark(s) not found, the library changed: ")?;
                f.write_str(&items.join("; "))?;
                write!(
                    f,
                    " (update engine_versions: rename the landmark, or list it under the version's `absent:`)"
                )
            }
            MineError::Syntax {
                file,
                line,
                column,
                message,
            } => {
                write!(
                    f,
                    "{file}:{line}:{column}: Python source does not parse: {message}"
                )
            }
            MineError::Io { path, message } => write!(f, "{path}: {message}"),
        }
    }
}

/// What one mining run produces.
#[derive(Clone, Debug)]
pub struct MineOutput {
    /// The staging file's content.
    pub staging: Staging,
    /// The generated engine schema (YAML text).
    pub schema_yaml: String,
}

struct TypeCtx {
    info: TypeInfo,
    module_name: String,
    rel_path: String,
    module: std::rc::Rc<crate::python::Module>,
    hasattr_fields: BTreeSet<String>,
    usage: HashMap<String, Kinds>,
    usage_classes: HashMap<String, BTreeSet<String>>,
}

/// A landmark method to walk: native type, method name, role.
type Method = (String, String, Role);

/// Mines `version` of the SSOT's engine from the source tree at `root`.
pub fn mine(ssot: &EngineSsot, version: &str, root: &Path) -> Result<MineOutput, MineError> {
    let (entry, found) = check_source(ssot, version, root)?;
    let landmarks = ssot.landmarks_for(entry);
    let mut modules = Modules::new(root);
    let mut missing = Vec::new();
    let mut types = load_types(ssot, &landmarks, &mut modules, &mut missing)?;
    let methods = find_methods(&landmarks, &types, &mut missing);
    if !missing.is_empty() {
        return Err(MineError::MissingLandmarks(missing));
    }
    read_defaults(&methods, &mut types, &mut modules);
    // two passes: the first learns field types from their uses, the second translates with them
    let mut kinds_by_type: HashMap<String, HashMap<String, Kinds>> = HashMap::new();
    let mut all_sites = Vec::new();
    for pass in 0..2 {
        all_sites = walk_validators(ssot, &methods, &mut types, &mut modules, &kinds_by_type);
        if pass == 0 {
            kinds_by_type = field_kinds(&types);
        }
    }
    let staging = build_staging(ssot, version, &types, all_sites);
    let schema_yaml = schema_yaml(ssot, version, &found, &types);
    Ok(MineOutput {
        staging,
        schema_yaml,
    })
}

/// The version's SSOT entry and the version the source declares (inside the envelope).
fn check_source<'s>(
    ssot: &'s EngineSsot,
    version: &str,
    root: &Path,
) -> Result<(&'s llemc_mining::ssot::VersionEntry, String), MineError> {
    let entry = ssot
        .version(version)
        .map_err(MineError::UnsupportedVersion)?;
    let package = ssot
        .native_types
        .first()
        .map(|n| n.module.split('.').next().unwrap_or("").to_owned())
        .unwrap_or_else(|| ssot.distribution.clone());
    let found = source_version(root, &package).ok_or_else(|| MineError::NoVersion {
        root: root.display().to_string(),
        package: package.clone(),
    })?;
    if !entry.specifier.matches(&found) {
        return Err(MineError::OutsideEnvelope {
            version: version.to_owned(),
            found,
            envelope: entry.envelope.clone(),
        });
    }
    Ok((entry, found))
}

/// The class of each native type a landmark names (what is not found goes to `missing`).
fn load_types(
    ssot: &EngineSsot,
    landmarks: &[llemc_mining::ssot::Landmark],
    modules: &mut Modules,
    missing: &mut Vec<String>,
) -> Result<BTreeMap<String, TypeCtx>, MineError> {
    let mut types: BTreeMap<String, TypeCtx> = BTreeMap::new();
    for l in landmarks {
        if types.contains_key(&l.native_type) {
            continue;
        }
        let Some(decl) = ssot.native(&l.native_type) else {
            missing.push(format!("native type {} is not declared", l.native_type));
            continue;
        };
        let Some(module) = modules.load(&decl.module)? else {
            missing.push(format!(
                "module {} (for {}) does not exist",
                decl.module, decl.name
            ));
            continue;
        };
        let Some(class) = find_class(&module, &decl.class) else {
            missing.push(format!("class {} in {}", decl.class, decl.module));
            continue;
        };
        let info = fields::collect(modules, &decl.module, &module, &decl.name, class);
        types.insert(
            l.native_type.clone(),
            TypeCtx {
                rel_path: modules.rel_path(&decl.module).unwrap_or_default(),
                module_name: decl.module.clone(),
                module: module.clone(),
                info,
                hasattr_fields: BTreeSet::new(),
                usage: HashMap::new(),
                usage_classes: HashMap::new(),
            },
        );
    }
    Ok(types)
}

/// The landmark methods that exist (the others go to `missing`).
fn find_methods(
    landmarks: &[llemc_mining::ssot::Landmark],
    types: &BTreeMap<String, TypeCtx>,
    missing: &mut Vec<String>,
) -> Vec<Method> {
    let mut methods = Vec::new();
    for l in landmarks {
        let Some(ctx) = types.get(&l.native_type) else {
            continue;
        };
        let Some(class) = find_class(&ctx.module, &ctx.info.class) else {
            continue;
        };
        if find_method(class, &l.method).is_none() {
            missing.push(format!(
                "method {}.{} in {}",
                ctx.info.class, l.method, ctx.module_name
            ));
            continue;
        }
        methods.push((l.native_type.clone(), l.method.clone(), l.role));
    }
    methods
}

/// The body of a landmark method, if it is a function definition.
fn method_body<'m>(
    module: &'m crate::python::Module,
    class: &str,
    method: &str,
) -> Option<&'m [crate::python::ast::Stmt]> {
    let class = find_class(module, class)?;
    let m = find_method(class, method)?;
    match &m.kind {
        crate::python::ast::StmtKind::FunctionDef { body, .. } => Some(body),
        _ => None,
    }
}

/// The generate()-time fallbacks the `defaults` landmarks return.
fn read_defaults(methods: &[Method], types: &mut BTreeMap<String, TypeCtx>, modules: &mut Modules) {
    for (native, method, role) in methods {
        if *role != Role::Defaults {
            continue;
        }
        let Some(ctx) = types.get_mut(native) else {
            continue;
        };
        let module = ctx.module.clone();
        if let Some(body) = method_body(&module, &ctx.info.class, method) {
            ctx.info.generate_defaults = fields::returned_dict(modules, &ctx.module_name, body);
        }
    }
}

/// Walks every validator landmark with the field kinds learnt so far: the sites found.
fn walk_validators(
    ssot: &EngineSsot,
    methods: &[Method],
    types: &mut BTreeMap<String, TypeCtx>,
    modules: &mut Modules,
    kinds_by_type: &HashMap<String, HashMap<String, Kinds>>,
) -> Vec<(String, String, translate::Site)> {
    let mut all_sites = Vec::new();
    for (native, method, role) in methods {
        if *role != Role::Validator {
            continue;
        }
        let Some(ctx) = types.get_mut(native) else {
            continue;
        };
        let module = ctx.module.clone();
        let Some(body) = method_body(&module, &ctx.info.class, method) else {
            continue;
        };
        let empty = HashMap::new();
        let kinds = kinds_by_type.get(native).unwrap_or(&empty);
        let mut walker = Walker::new(
            modules,
            ctx.module_name.clone(),
            &module,
            &ctx.info,
            method,
            &ssot.assume,
            ssot.minor_issues_variable.as_deref(),
            kinds,
            &mut ctx.usage,
            &mut ctx.usage_classes,
            &mut ctx.hasattr_fields,
        );
        walker.walk_body(body);
        for s in walker.sites {
            all_sites.push((native.clone(), format!("{}.{method}", ctx.info.class), s));
        }
    }
    all_sites
}

/// The kinds of every field of every native type, from its declaration and its uses.
fn field_kinds(types: &BTreeMap<String, TypeCtx>) -> HashMap<String, HashMap<String, Kinds>> {
    let mut kinds_by_type = HashMap::new();
    for (native, ctx) in types {
        let mut map = HashMap::new();
        for f in &ctx.info.fields {
            let fallback = ctx
                .info
                .generate_defaults
                .as_ref()
                .and_then(|d| d.get(&f.name));
            let ty = fields::field_type(
                f,
                ctx.usage.get(&f.name).copied(),
                ctx.usage_classes.get(&f.name),
                fallback,
            );
            map.insert(f.name.clone(), ty.kinds());
        }
        kinds_by_type.insert(native.clone(), map);
    }
    kinds_by_type
}

fn short_hash(parts: &[&str]) -> String {
    let mut h = blake3::Hasher::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update(&[0]);
    }
    h.finalize()
        .to_hex()
        .as_str()
        .get(..10)
        .unwrap_or("")
        .to_owned()
}

fn id_prefix(engine: &str, method: &str) -> String {
    let (class, m) = method.split_once('.').unwrap_or(("", method));
    let m = m.trim_matches('_');
    format!("{engine}_{}_{}", class.to_lowercase(), m.to_lowercase())
}

fn lit_json(l: &Lit) -> serde_json::Value {
    match l {
        Lit::Null => serde_json::Value::Null,
        Lit::Bool(b) => serde_json::Value::Bool(*b),
        Lit::Int(i) => serde_json::Value::from(*i),
        Lit::Float(f) => serde_json::Value::from(*f),
        Lit::Str(s) => serde_json::Value::String(s.clone()),
        Lit::Seq(items) => serde_json::Value::Array(items.iter().map(lit_json).collect()),
    }
}

fn canonical(pred: &Pred) -> Option<String> {
    let text = pred::print(pred)?;
    let expr = llemc_grammar::parse_predicate(&text).ok()?;
    Some(llemc_grammar::print_expr(&expr))
}

fn build_staging(
    ssot: &EngineSsot,
    version: &str,
    types: &BTreeMap<String, TypeCtx>,
    sites: Vec<(String, String, translate::Site)>,
) -> Staging {
    let mut stager = Stager {
        engine: &ssot.engine,
        types,
        report: Report::default(),
        rules: BTreeMap::new(),
        opaque: BTreeMap::new(),
    };
    for (name, a) in &ssot.assume {
        stager
            .report
            .assumptions
            .insert(name.clone(), a.reason.clone());
    }
    for (native, method, site) in sites {
        stager.site(&native, &method, &site);
    }
    Staging {
        engine: ssot.engine.clone(),
        engine_version: version.to_owned(),
        miner: "static_miner".to_owned(),
        rules: stager.rules.into_values().collect(),
        opaque: stager.opaque.into_values().collect(),
        report: stager.report,
    }
}

/// The staging file while its sites are added: rules and opaque sites by id, and the counts.
struct Stager<'a> {
    engine: &'a str,
    types: &'a BTreeMap<String, TypeCtx>,
    report: Report,
    rules: BTreeMap<String, StagedRule>,
    opaque: BTreeMap<String, OpaqueRule>,
}

/// What kept a site from becoming a rule: the reasons and the untranslatable source texts.
struct Untranslated {
    reasons: Vec<String>,
    texts: Vec<String>,
}

impl Stager<'_> {
    /// Adds one site: unreachable (counted), opaque, or a rule (each once per id).
    fn site(&mut self, native: &str, method: &str, site: &translate::Site) {
        self.count(site.detector, method, |c| c.sites += 1);
        self.report.sites += 1;
        let when = simplify(site.when.clone());
        if when == Pred::False {
            self.report.unreachable += 1;
            return;
        }
        let mut untranslated = untranslated(&when, site);
        let printed = if untranslated.reasons.is_empty() {
            canonical(&when)
        } else {
            None
        };
        match printed {
            Some(when_text) => self.rule(native, method, site, when_text),
            None => {
                if untranslated.reasons.is_empty() {
                    untranslated
                        .reasons
                        .push("the translated condition does not print as a predicate".into());
                }
                untranslated.texts.push(site.source.clone());
                self.opaque(native, method, site, &when, untranslated);
            }
        }
    }

    /// Applies `bump` to the counts of the site's detector and landmark.
    fn count(&mut self, detector: Detector, method: &str, bump: impl Fn(&mut Counts)) {
        bump(
            self.report
                .by_detector
                .entry(detector.name().to_owned())
                .or_default(),
        );
        bump(
            self.report
                .by_landmark
                .entry(method.to_owned())
                .or_default(),
        );
    }

    fn source(&self, native: &str, method: &str, site: &translate::Site) -> MinerSource {
        let rel_path = self
            .types
            .get(native)
            .map(|c| c.rel_path.clone())
            .unwrap_or_default();
        MinerSource::line(&rel_path, method, site.line)
    }

    fn opaque(
        &mut self,
        native: &str,
        method: &str,
        site: &translate::Site,
        when: &Pred,
        untranslated: Untranslated,
    ) {
        let (severity, _, _) = site.detector.outcome();
        let partial = match when {
            Pred::And(items) => {
                let clean: Vec<Pred> = items.iter().filter(|i| !i.has_opaque()).cloned().collect();
                if clean.is_empty() {
                    None
                } else {
                    canonical(&simplify(Pred::And(clean)))
                }
            }
            other if !other.has_opaque() => canonical(other),
            _ => None,
        };
        let reason = untranslated.reasons.join("; ");
        let source_text = untranslated.texts.join(" | ");
        let id = format!(
            "{}_opaque_{}",
            id_prefix(self.engine, method),
            short_hash(&[
                native,
                severity,
                &reason,
                &source_text,
                partial.as_deref().unwrap_or("")
            ])
        );
        for r in &untranslated.reasons {
            *self.report.opaque_reasons.entry(r.clone()).or_default() += 1;
        }
        if self.opaque.contains_key(&id) {
            self.report.duplicates += 1;
            return;
        }
        self.report.opaque += 1;
        self.count(site.detector, method, |c| c.opaque += 1);
        let source = self.source(native, method, site);
        self.opaque.insert(
            id.clone(),
            OpaqueRule {
                id,
                native_type: native.to_owned(),
                severity: staged_severity(severity),
                miner_source: source,
                reason,
                source_text,
                partial_when: partial,
            },
        );
    }

    fn rule(&mut self, native: &str, method: &str, site: &translate::Site, when_text: String) {
        let (severity, outcome, channel) = site.detector.outcome();
        let subject_key = if site.detector == Detector::Normalise {
            site.subject.clone().unwrap_or_default()
        } else {
            String::new()
        };
        let id = format!(
            "{}_{}",
            id_prefix(self.engine, method),
            short_hash(&[native, severity, &when_text, &subject_key])
        );
        if self.rules.contains_key(&id) {
            self.report.duplicates += 1;
            return;
        }
        let (message, complete) = site.message.clone().unwrap_or_else(|| {
            (
                format!("{method} raises (the library gives no message)"),
                true,
            )
        });
        if !complete {
            self.report.partial_messages += 1;
        }
        let mut normalised = BTreeMap::new();
        if let Some((field, Ok(l))) = &site.normalised {
            normalised.insert(field.clone(), lit_json(l));
        }
        self.report.translated += 1;
        self.count(site.detector, method, |c| c.translated += 1);
        let source = self.source(native, method, site);
        self.rules.insert(
            id.clone(),
            StagedRule {
                id,
                native_type: native.to_owned(),
                severity: staged_severity(severity),
                when: when_text,
                subject: site.subject.clone(),
                message_template: message,
                miner_source: Some(source),
                expected_outcome: staged_outcome(outcome, channel, normalised),
                added_by: AddedBy::StaticMiner,
                kwargs_positive: None,
                kwargs_negative: None,
                versions: None,
            },
        );
    }
}

/// Why a site's condition (or normalised value) cannot be a rule, if it cannot.
fn untranslated(when: &Pred, site: &translate::Site) -> Untranslated {
    let mut reasons: Vec<String> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    let mut parts = Vec::new();
    when.opaque_parts(&mut parts);
    for (src, reason) in parts {
        if !reasons.contains(&reason) {
            reasons.push(reason);
        }
        if !texts.contains(&src) {
            texts.push(src);
        }
    }
    if *when == Pred::True {
        reasons.push("the site is reached unconditionally (no condition to check)".into());
    }
    if let Some((_, Err(src))) = &site.normalised {
        reasons.push("the normalised value is not a literal".into());
        texts.push(src.clone());
    }
    Untranslated { reasons, texts }
}

/// A detector's severity as the staging type spells it.
fn staged_severity(severity: &str) -> RuleSeverity {
    RuleSeverity::parse(severity).unwrap_or(RuleSeverity::Error)
}

/// A detector's outcome and channel as the staging type spells them.
fn staged_outcome(
    outcome: &str,
    channel: &str,
    normalised: BTreeMap<String, serde_json::Value>,
) -> ExpectedOutcome {
    ExpectedOutcome::new(
        Outcome::parse(outcome).unwrap_or(Outcome::Error),
        EmissionChannel::parse(channel).unwrap_or(EmissionChannel::RuntimeException),
        normalised,
    )
}

/// A literal as the schema writer takes it.
fn lit_yaml(l: &Lit) -> Yaml {
    match l {
        Lit::Null => Yaml::Null,
        Lit::Bool(b) => Yaml::Bool(*b),
        Lit::Int(i) => Yaml::Int(*i),
        Lit::Float(f) => Yaml::Float(*f),
        Lit::Str(s) => Yaml::Str(s.clone()),
        Lit::Seq(items) => Yaml::Seq(items.iter().map(lit_yaml).collect()),
    }
}

/// The header of a generated schema.
fn schema_comment(ssot: &EngineSsot, version: &str, found: &str) -> String {
    format!(
        "Engine schema for {} {version}, GENERATED by `llemc mine static` from the library source\n\
         (source version {found}); do not edit by hand. See engines/{}/schema.yaml for the hand-written one.\n\
         \n\
         type:    the `__init__` annotation when there is one; else the type the class docstring's Args\n\
         \x20        section documents, widened by any kind the default or the validators' comparisons /\n\
         \x20        isinstance checks show that it does not list; else what those show alone; `any` when\n\
         \x20        nothing does. None is a member when the default is None or a validator tests for None\n\
         \x20        (`*optional*` in a docstring only says the argument may be omitted).\n\
         default: the generate()-time fallback where the SSOT names a `defaults` landmark\n\
         \x20        (5.x `_get_default_generation_params()`), else the value `__init__` stores when the\n\
         \x20        kwarg is not passed (5.x GenerationConfig: None); no `default:` when `__init__`\n\
         \x20        computes it (a non-literal) or the argument is required.\n\
         required: the constructor cannot be called without it (no default in the signature).",
        ssot.distribution, ssot.engine
    )
}

fn schema_yaml(
    ssot: &EngineSsot,
    version: &str,
    found: &str,
    types: &BTreeMap<String, TypeCtx>,
) -> String {
    let doc = SchemaDoc {
        engine: ssot.engine.clone(),
        library: ssot.distribution.clone(),
        library_version: version.to_owned(),
        sections: ssot
            .native_types
            .iter()
            .filter(|n| types.contains_key(&n.name))
            .filter_map(|n| Some((n.section.clone()?, n.name.clone())))
            .collect(),
        native_types: ssot
            .native_types
            .iter()
            .filter_map(|n| {
                let ctx = types.get(&n.name)?;
                Some(NativeTypeDoc {
                    name: n.name.clone(),
                    source: Some(ctx.rel_path.clone()),
                    fields: schema_fields(ssot, n, ctx, types),
                })
            })
            .collect(),
    };
    write_schema(&schema_comment(ssot, version, found), &doc)
}

/// The fields of one native type: its `__init__` parameters, then the attributes its
/// validators test with `hasattr()`.
fn schema_fields(
    ssot: &EngineSsot,
    n: &llemc_mining::ssot::NativeTypeDecl,
    ctx: &TypeCtx,
    types: &BTreeMap<String, TypeCtx>,
) -> Vec<FieldDoc> {
    let mut out = Vec::new();
    let mut names: BTreeSet<&str> = BTreeSet::new();
    for f in &ctx.info.fields {
        names.insert(&f.name);
        let fallback = ctx
            .info
            .generate_defaults
            .as_ref()
            .and_then(|d| d.get(&f.name));
        let mut ty = fields::field_type(
            f,
            ctx.usage.get(&f.name).copied(),
            ctx.usage_classes.get(&f.name),
            fallback,
        );
        let nested_decls: Vec<&llemc_mining::ssot::NativeTypeDecl> = ssot
            .native_types
            .iter()
            .filter(|d| d.nested_in.as_deref() == Some(&format!("{}.{}", n.name, f.name)))
            .collect();
        if !nested_decls.is_empty() {
            // a documented base class of the nested types stands for them
            let bases: BTreeSet<&str> = nested_decls
                .iter()
                .filter_map(|d| types.get(&d.name))
                .flat_map(|c| c.info.bases.iter().map(String::as_str))
                .collect();
            let nested = nested_decls
                .iter()
                .map(|d| llemc_compiler::types::Ty::Class(d.name.clone()))
                .collect();
            ty = with_classes(without_classes(ty, &bases), nested);
        }
        let default = match fallback {
            Some(l) => FieldDefault::Value(lit_yaml(l)),
            None => match &f.default {
                DefaultVal::Lit(l) => FieldDefault::Value(lit_yaml(l)),
                DefaultVal::Required => FieldDefault::Required,
                _ => FieldDefault::Unknown,
            },
        };
        out.push(FieldDoc {
            name: f.name.clone(),
            ty: ty.to_string(),
            default,
            note: None,
        });
    }
    for extra in &ctx.hasattr_fields {
        if names.contains(extra.as_str()) {
            continue;
        }
        out.push(FieldDoc {
            name: extra.clone(),
            ty: "any".to_owned(),
            default: FieldDefault::Unknown,
            note: Some(
                "not a parameter: an unknown kwarg stored as an attribute, tested with hasattr()"
                    .to_owned(),
            ),
        });
    }
    out
}

/// `ty` without the members naming one of `classes`.
fn without_classes(
    ty: llemc_compiler::types::Ty,
    classes: &BTreeSet<&str>,
) -> llemc_compiler::types::Ty {
    use llemc_compiler::types::Ty;
    match ty {
        Ty::Union(m) => Ty::Union(
            m.into_iter()
                .filter(|t| !matches!(t, Ty::Class(c) if classes.contains(c.as_str())))
                .collect(),
        ),
        other => other,
    }
}

/// `ty` widened by nested native types (a config object the field also accepts).
fn with_classes(
    ty: llemc_compiler::types::Ty,
    classes: Vec<llemc_compiler::types::Ty>,
) -> llemc_compiler::types::Ty {
    use llemc_compiler::types::Ty;
    let mut members = match ty {
        Ty::Any => return Ty::Any,
        Ty::Union(m) => m,
        other => vec![other],
    };
    let none = members
        .iter()
        .position(|m| *m == Ty::None)
        .map(|i| members.remove(i));
    members.extend(classes);
    if let Some(n) = none {
        members.push(n);
    }
    Ty::Union(members)
}

/// Compiles the staged rules as a corpus against `schema_yaml`: every `when:` must parse and
/// resolve. Returns the rendered diagnostics on failure.
pub fn check_against_schema(staging: &Staging, schema_yaml: &str) -> Result<(), String> {
    let rules = staging
        .rules
        .iter()
        .map(|r| {
            let mut doc = r.doc(&staging.engine);
            doc.subject = None;
            doc.miner_source = None;
            doc.kwargs_positive = Some(llemc_compiler::yaml_out::Yaml::Map(Vec::new()));
            doc.kwargs_negative = Some(llemc_compiler::yaml_out::Yaml::Map(Vec::new()));
            if let Some(outcome) = &mut doc.expected_outcome {
                outcome.normalised_fields = Some(llemc_compiler::yaml_out::Yaml::Seq(Vec::new()));
            }
            doc
        })
        .collect();
    let corpus = llemc_compiler::corpus::write_corpus(
        "",
        &llemc_mining::rule::corpus_doc(&staging.engine, &staging.engine_version, rules),
    );
    let input = llemc_runtime::compile::CorpusInput {
        name: "staging.yaml",
        text: &corpus,
        schema: Some(("schema.yaml", schema_yaml)),
        compat: false,
        engine_version: None,
    };
    match llemc_runtime::compile::compile_corpus(&input) {
        Ok(_) => Ok(()),
        Err(failure) => Err(llemc_compiler::diagnostic::render_human(
            &failure.diagnostics,
            &failure.sources,
            llemc_compiler::diagnostic::Color::Never,
        )),
    }
}
