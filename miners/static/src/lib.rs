//! The static miner: parses the library source named by the SSOT's landmarks, finds every
//! rejection, warning and normalisation site in them, and translates the conditions that reach
//! each site into the `when:` language, losslessly or not at all (opaque).
//!
//! [`mine`] gives a [`MineOutput`]: the staging file (rules, opaque sites, report) and the
//! engine schema generated from the fields `__init__` takes.

mod docstring;
pub mod error;
mod fields;
mod mine;
pub mod pred;
pub mod python;
mod resolve;
pub mod source;
mod ssot_spans;
mod translate;

pub use error::{MineError, Missing, SsotFile};
pub use mine::{mine, supported_version};

use fields::{DefaultVal, TypeInfo};
use llemc_compiler::types::Kinds;
use llemc_mining::ssot::EngineSsot;
use llemc_mining::staging::{
    ExpectedOutcome, MinerSource, OpaqueRule, Report, StagedRule, Staging,
};
use pred::{Lit, Pred, simplify};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use translate::Detector;

/// What one mining run produces.
#[derive(Clone, Debug)]
pub struct MineOutput {
    /// The staging file's content.
    pub staging: Staging,
    /// The generated engine schema (YAML text).
    pub schema_yaml: String,
}

/// A native type being mined: its class's fields and what the validators show about them.
struct TypeCtx {
    info: TypeInfo,
    module_name: String,
    rel_path: String,
    module: std::rc::Rc<crate::python::Module>,
    hasattr_fields: BTreeSet<String>,
    usage: HashMap<String, Kinds>,
    usage_classes: HashMap<String, BTreeSet<String>>,
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
    let mut report = Report::default();
    let mut rules: BTreeMap<String, StagedRule> = BTreeMap::new();
    let mut opaque: BTreeMap<String, OpaqueRule> = BTreeMap::new();
    for (name, a) in &ssot.assume {
        report.assumptions.insert(name.clone(), a.reason.clone());
    }
    for (native, method, site) in sites {
        let rel_path = types
            .get(&native)
            .map(|c| c.rel_path.clone())
            .unwrap_or_default();
        let (severity, outcome, channel) = site.detector.outcome();
        let source = MinerSource {
            path: rel_path,
            method: method.clone(),
            line_at_scan: site.line,
        };
        report.sites += 1;
        let det = report
            .by_detector
            .entry(site.detector.name().to_owned())
            .or_default();
        det.sites += 1;
        let lm = report.by_landmark.entry(method.clone()).or_default();
        lm.sites += 1;
        let when = simplify(site.when.clone());
        if when == Pred::False {
            report.unreachable += 1;
            continue;
        }
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
        if when == Pred::True {
            reasons.push("the site is reached unconditionally (no condition to check)".into());
        }
        if let Some((_, Err(src))) = &site.normalised {
            reasons.push("the normalised value is not a literal".into());
            texts.push(src.clone());
        }
        let printed = if reasons.is_empty() {
            canonical(&when)
        } else {
            None
        };
        let Some(when_text) = printed.filter(|_| reasons.is_empty()) else {
            if reasons.is_empty() {
                reasons.push("the translated condition does not print as a predicate".into());
            }
            texts.push(site.source.clone());
            let partial = match &when {
                Pred::And(items) => {
                    let clean: Vec<Pred> =
                        items.iter().filter(|i| !i.has_opaque()).cloned().collect();
                    if clean.is_empty() {
                        None
                    } else {
                        canonical(&simplify(Pred::And(clean)))
                    }
                }
                other if !other.has_opaque() => canonical(other),
                _ => None,
            };
            let reason = reasons.join("; ");
            let source_text = texts.join(" | ");
            let id = format!(
                "{}_opaque_{}",
                id_prefix(&ssot.engine, &method),
                short_hash(&[
                    &native,
                    severity,
                    &reason,
                    &source_text,
                    partial.as_deref().unwrap_or("")
                ])
            );
            for r in &reasons {
                *report.opaque_reasons.entry(r.clone()).or_default() += 1;
            }
            if opaque.contains_key(&id) {
                report.duplicates += 1;
                continue;
            }
            report.opaque += 1;
            det.opaque += 1;
            lm.opaque += 1;
            opaque.insert(
                id.clone(),
                OpaqueRule {
                    id,
                    native_type: native.clone(),
                    severity: severity.to_owned(),
                    miner_source: source,
                    reason,
                    source_text,
                    partial_when: partial,
                },
            );
            continue;
        };
        let subject_key = if site.detector == Detector::Normalise {
            site.subject.clone().unwrap_or_default()
        } else {
            String::new()
        };
        let id = format!(
            "{}_{}",
            id_prefix(&ssot.engine, &method),
            short_hash(&[&native, severity, &when_text, &subject_key])
        );
        if rules.contains_key(&id) {
            report.duplicates += 1;
            continue;
        }
        let (message, complete) = site.message.clone().unwrap_or_else(|| {
            (
                format!("{method} raises (the library gives no message)"),
                true,
            )
        });
        if !complete {
            report.partial_messages += 1;
        }
        let mut normalised = BTreeMap::new();
        if let Some((field, Ok(l))) = &site.normalised {
            normalised.insert(field.clone(), lit_json(l));
        }
        report.translated += 1;
        det.translated += 1;
        lm.translated += 1;
        rules.insert(
            id.clone(),
            StagedRule {
                id,
                native_type: native.clone(),
                severity: severity.to_owned(),
                when: when_text,
                subject: site.subject.clone(),
                message_template: message,
                miner_source: source,
                expected_outcome: ExpectedOutcome {
                    outcome: outcome.to_owned(),
                    emission_channel: channel.to_owned(),
                    normalised_fields: normalised,
                },
                added_by: "static_miner".to_owned(),
                kwargs_positive: None,
                kwargs_negative: None,
            },
        );
    }
    Staging {
        engine: ssot.engine.clone(),
        engine_version: version.to_owned(),
        miner: "static_miner".to_owned(),
        rules: rules.into_values().collect(),
        opaque: opaque.into_values().collect(),
        report,
    }
}

fn yaml_lit(l: &Lit) -> String {
    match l {
        Lit::Null => "null".into(),
        Lit::Bool(b) => b.to_string(),
        Lit::Int(i) => i.to_string(),
        Lit::Float(f) => {
            if f.is_finite() {
                format!("{f:?}")
            } else if f.is_nan() {
                ".nan".into()
            } else if *f > 0.0 {
                ".inf".into()
            } else {
                "-.inf".into()
            }
        }
        Lit::Str(s) => serde_json::to_string(s).unwrap_or_default(),
        Lit::Seq(items) => format!(
            "[{}]",
            items.iter().map(yaml_lit).collect::<Vec<_>>().join(", ")
        ),
    }
}

fn schema_yaml(
    ssot: &EngineSsot,
    version: &str,
    found: &str,
    types: &BTreeMap<String, TypeCtx>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Engine schema for {} {version}, GENERATED by `llemc mine static` from the library source\n# (source version {found}); do not edit by hand. See engines/{}/schema.yaml for the hand-written one.\n#\n# type:    the `__init__` annotation when there is one; else the type the class docstring's Args\n#          section documents, widened by any kind the default or the validators' comparisons /\n#          isinstance checks show that it does not list; else what those show alone; `any` when\n#          nothing does. None is a member when the default is None or a validator tests for None\n#          (`*optional*` in a docstring only says the argument may be omitted).\n# default: the generate()-time fallback where the SSOT names a `defaults` landmark\n#          (5.x `_get_default_generation_params()`), else the value `__init__` stores when the\n#          kwarg is not passed (5.x GenerationConfig: None); no `default:` when `__init__`\n#          computes it (a non-literal) or the argument is required.\n# required: the constructor cannot be called without it (no default in the signature).",
        ssot.distribution, ssot.engine
    );
    let _ = writeln!(out, "schema_version: 1");
    let _ = writeln!(out, "engine: {}", ssot.engine);
    let _ = writeln!(out, "library: {}", ssot.distribution);
    let _ = writeln!(out, "library_version: {version}");
    let _ = writeln!(out, "sections:");
    for n in &ssot.native_types {
        if let (Some(section), true) = (&n.section, types.contains_key(&n.name)) {
            let _ = writeln!(out, "  {section}: {}", n.name);
        }
    }
    let _ = writeln!(out, "native_types:");
    for n in &ssot.native_types {
        let Some(ctx) = types.get(&n.name) else {
            continue;
        };
        let _ = writeln!(out, "  {}:", n.name);
        let _ = writeln!(out, "    source: {}", ctx.rel_path);
        let _ = writeln!(out, "    fields:");
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
            let default = match ctx
                .info
                .generate_defaults
                .as_ref()
                .and_then(|d| d.get(&f.name))
            {
                Some(l) => Some(l.clone()),
                None => match &f.default {
                    DefaultVal::Lit(l) => Some(l.clone()),
                    _ => None,
                },
            };
            let ty_text = serde_json::to_string(&ty.to_string()).unwrap_or_default();
            match default {
                Some(d) => {
                    let _ = writeln!(
                        out,
                        "      {}: {{type: {ty_text}, default: {}}}",
                        f.name,
                        yaml_lit(&d)
                    );
                }
                None if matches!(f.default, DefaultVal::Required) => {
                    let _ = writeln!(out, "      {}: {{type: {ty_text}, required: true}}", f.name);
                }
                None => {
                    let _ = writeln!(out, "      {}: {{type: {ty_text}}}", f.name);
                }
            }
        }
        for extra in &ctx.hasattr_fields {
            if names.contains(extra.as_str()) {
                continue;
            }
            let _ = writeln!(
                out,
                "      {extra}: {{type: \"any\"}}   # not a parameter: an unknown kwarg stored as an attribute, tested with hasattr()"
            );
        }
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
    let mut corpus = String::new();
    let _ = writeln!(
        corpus,
        "schema_version: 1.1.0\nengine: {}\nengine_version: {}\nrules:",
        staging.engine, staging.engine_version
    );
    for r in &staging.rules {
        let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
        let _ = writeln!(corpus, "- id: {}", r.id);
        let _ = writeln!(corpus, "  engine: {}", staging.engine);
        let _ = writeln!(corpus, "  severity: {}", r.severity);
        let _ = writeln!(corpus, "  native_type: {}", r.native_type);
        let _ = writeln!(corpus, "  when: {}", q(&r.when));
        let _ = writeln!(corpus, "  message_template: {}", q(&r.message_template));
        let _ = writeln!(corpus, "  kwargs_positive: {{}}\n  kwargs_negative: {{}}");
        let _ = writeln!(
            corpus,
            "  expected_outcome: {{outcome: {}, emission_channel: {}, normalised_fields: []}}",
            r.expected_outcome.outcome, r.expected_outcome.emission_channel
        );
        let _ = writeln!(corpus, "  added_by: static_miner");
    }
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
