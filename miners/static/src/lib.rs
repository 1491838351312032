//! The static miner: parses the library source named by the SSOT's landmarks, finds every
//! rejection, warning and normalisation site in them, and translates the conditions that reach
//! each site into the `when:` language, losslessly or not at all (opaque).
//!
//! [`mine`] gives a [`MineOutput`]: the staging file (rules, opaque sites, report) and the
//! engine schema generated from the fields `__init__` takes.

mod consumers;
mod docstring;
pub mod error;
mod feeds;
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

use mine::FoundSite;

use fields::{DefaultVal, TypeInfo};
use llemc_compiler::corpus::{AddedBy, EmissionChannel, Outcome, RuleSeverity};
use llemc_compiler::diagnostic::Diagnostic;
use llemc_compiler::schema::UnknownFields;
use llemc_compiler::schema_write::{
    FieldDefault, FieldDoc, NativeTypeDoc, SchemaDoc, write_schema,
};
use llemc_compiler::types::Kinds;
use llemc_compiler::yaml_out::Yaml;
use llemc_mining::failure::Failure;
use llemc_mining::ssot::EngineSsot;
use llemc_mining::staging::{
    Counts, ExpectedOutcome, MinerSource, NormalisedFields, OpaqueRule, Report, StagedRule, Staging,
};
use pred::{Lit, Pred, simplify};
use std::collections::{BTreeMap, BTreeSet, HashMap};
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

/// Whether `name` occurs in `text` as a whole identifier (not inside a longer name).
fn mentions_identifier(text: &str, name: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(name).any(|(at, _)| {
        let before = text.get(..at).and_then(|t| t.chars().next_back());
        let after = text.get(at + name.len()..).and_then(|t| t.chars().next());
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}

fn build_staging(ssot: &EngineSsot, version: &str, sites: &[FoundSite]) -> Staging {
    let mut stager = Stager {
        engine: &ssot.engine,
        runtime_context: &ssot.runtime_context,
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
    for (name, a) in &ssot.environment {
        stager.report.assumptions.insert(
            format!("environment {name} = {}", a.value),
            a.reason.clone(),
        );
    }
    for found in sites {
        stager.site(found);
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
    /// Names validators read from the running engine (SSOT `runtime_context:`).
    runtime_context: &'a BTreeMap<String, llemc_mining::ssot::RuntimeContext>,
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
    fn site(&mut self, found: &FoundSite) {
        let (method, site) = (found.method.as_str(), &found.site);
        self.count(site.detector, method, |c| c.sites += 1);
        self.report.sites += 1;
        let when = simplify(site.when.clone());
        if when == Pred::False {
            self.report.unreachable += 1;
            return;
        }
        let mut untranslated = untranslated(&when, site);
        let printed = if untranslated.reasons.is_empty() {
            canonical(&when).and_then(|w| reached(found.reached_when.as_deref(), w))
        } else {
            None
        };
        match printed {
            Some(when_text) => self.rule(found, when_text),
            None => {
                if untranslated.reasons.is_empty() {
                    untranslated
                        .reasons
                        .push("the translated condition does not print as a predicate".into());
                }
                untranslated.texts.push(site.source.clone());
                self.opaque(found, &when, untranslated);
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

    fn source(found: &FoundSite) -> MinerSource {
        MinerSource::line(&found.rel_path, &found.method, found.site.line)
    }

    fn opaque(&mut self, found: &FoundSite, when: &Pred, untranslated: Untranslated) {
        let (native, method, site) = (found.native.as_str(), found.method.as_str(), &found.site);
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
        let needs = self.needs(&source_text);
        if let Some(needs) = &needs {
            *self
                .report
                .needs_runtime_context
                .entry(needs.clone())
                .or_default() += 1;
        }
        let source = Self::source(found);
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
                needs,
            },
        );
    }

    /// The runtime context an untranslatable condition reads: the first SSOT `runtime_context`
    /// name (in name order) that occurs in its source as a whole identifier.
    fn needs(&self, source_text: &str) -> Option<String> {
        self.runtime_context
            .iter()
            .find(|(name, _)| mentions_identifier(source_text, name))
            .map(|(_, context)| context.needs.clone())
    }

    fn rule(&mut self, found: &FoundSite, when_text: String) {
        let (native, method, site) = (found.native.as_str(), found.method.as_str(), &found.site);
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
        let mut expected_outcome = staged_outcome(outcome, channel, normalised);
        if let Some((field, Err(_))) = &site.normalised
            && site.reshaped
        {
            expected_outcome.normalised_fields =
                Some(NormalisedFields::Fields(vec![field.clone()]));
        }
        self.report.translated += 1;
        self.count(site.detector, method, |c| c.translated += 1);
        let source = Self::source(found);
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
                expected_outcome,
                added_by: AddedBy::StaticMiner,
                kwargs_positive: None,
                kwargs_negative: None,
                versions: None,
                stage: found.stage,
                // `assert cond` without a message: Python's AssertionError text is empty
                replay_match: (site.detector == Detector::Assert && site.message.is_none())
                    .then(|| "^$".to_owned()),
            },
        );
    }
}

/// `when` under the condition the run reaches its method in (`reached_when` of a consumer
/// landmark), canonical; `None` when the two do not combine into a predicate.
fn reached(reached_when: Option<&str>, when: String) -> Option<String> {
    let Some(guard) = reached_when else {
        return Some(when);
    };
    let expr = llemc_grammar::parse_predicate(&format!("({guard}) and ({when})")).ok()?;
    Some(llemc_grammar::print_expr(&expr))
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
    if let Some((_, Err(src))) = &site.normalised
        && !site.reshaped
    {
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
         required: the constructor cannot be called without it (no default in the signature).\n\
         unknown_fields: `store` when `__init__` takes `**kwargs` (an unknown kwarg is kept or dropped,\n\
         \x20        never an error), `reject` when it does not (Python raises TypeError).{}",
        ssot.distribution,
        ssot.engine,
        if ssot.native_types.iter().any(|n| n.fed_by.is_some()) {
            "\n\
             fed_by:  the native type whose fields the engine passes on to this one's constructor\n\
             \x20        (its section is where a config sets them); `from:` the feeder's field that a field\n\
             \x20        receives unchanged (a keyword argument `Class(field=self.from)` in the feeder's\n\
             \x20        source). A field without `from:` is computed by the engine: no config sets it."
        } else {
            ""
        }
    )
}

fn schema_yaml(
    ssot: &EngineSsot,
    version: &str,
    found: &str,
    types: &BTreeMap<String, TypeCtx>,
    feeds: &feeds::Feeds,
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
                let mut fields = schema_fields(ssot, n, ctx, types);
                if let Some(from) = feeds.get(&n.name) {
                    for field in &mut fields {
                        field.from = from.get(&field.name).cloned();
                    }
                }
                Some(NativeTypeDoc {
                    name: n.name.clone(),
                    source: Some(ctx.rel_path.clone()),
                    unknown_fields: Some(unknown_fields(&ctx.info)),
                    fed_by: n.fed_by.clone(),
                    fields,
                })
            })
            .collect(),
    };
    write_schema(&schema_comment(ssot, version, found), &doc)
}

/// What the constructor does with an undeclared kwarg: `__init__` takes `**kwargs` (it stores
/// or drops them) or it raises `TypeError`.
fn unknown_fields(info: &TypeInfo) -> UnknownFields {
    if info.kwargs_name.is_some() {
        UnknownFields::Store
    } else {
        UnknownFields::Reject
    }
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
            from: None,
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
            from: None,
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
/// resolve. `E525` (a miner bug) and the compiler's diagnostics into the corpus on failure.
pub fn check_against_schema(staging: &Staging, schema_yaml: &str) -> Result<(), Failure> {
    let rules = staging
        .rules
        .iter()
        .map(|r| {
            let mut doc = r.doc(&staging.engine);
            doc.subject = None;
            doc.miner_source = None;
            doc.kwargs_positive = Some(Yaml::Map(Vec::new()));
            doc.kwargs_negative = Some(Yaml::Map(Vec::new()));
            if let Some(outcome) = &mut doc.expected_outcome {
                outcome.normalised_fields = Some(Yaml::Seq(Vec::new()));
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
        Err(failure) => {
            let mut diagnostics = vec![
                Diagnostic::error(
                    "E525",
                    "the mined rules do not compile against the generated schema (a miner bug)",
                )
                .with_help("report it with the diagnostics below; nothing was written"),
            ];
            diagnostics.extend(failure.diagnostics);
            Err(Failure::new(diagnostics, failure.sources))
        }
    }
}
