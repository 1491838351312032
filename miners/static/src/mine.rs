//! One mining run: the source checked against the SSOT (version, envelope, landmarks), the
//! validators walked twice (the first pass learns field types from their uses, the second
//! translates with them), then the staging file and the generated schema.

use crate::error::{MineError, Missing};
use crate::fields;
use crate::python::Module;
use crate::python::ast::{Stmt, StmtKind};
use crate::resolve::{Modules, find_class, find_method};
use crate::source::source_version;
use crate::translate::{self, Walker};
use crate::{MineOutput, TypeCtx, build_staging, schema_yaml};
use llemc_compiler::corpus::Stage;
use llemc_compiler::types::Kinds;
use llemc_mining::ssot::{EngineSsot, Landmark, Role, VersionEntry};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// A landmark method found in the source: its native type, its name, its role and its stage.
type FoundMethod = (String, String, Role, Stage);

/// A site with where it was found.
pub(crate) struct FoundSite {
    /// The native type whose fields the site's condition reads.
    pub native: String,
    /// `Class.method` it was found in.
    pub method: String,
    /// The source file of that class, relative to the source root.
    pub rel_path: String,
    /// That method's stage.
    pub stage: Stage,
    /// The predicate under which the run reaches the method at all (consumers), if any.
    pub reached_when: Option<String>,
    /// The site.
    pub site: translate::Site,
}

/// Mines `version` of the SSOT's engine from the source tree at `root`.
pub fn mine(ssot: &EngineSsot, version: &str, root: &Path) -> Result<MineOutput, MineError> {
    let entry = supported_version(ssot, version)?;
    let found = source_in_envelope(ssot, entry, root)?;
    let landmarks = ssot.landmarks_for(entry);
    let mut modules = Modules::new(root);
    let mut missing = Vec::new();
    let mut types = load_types(ssot, &landmarks, &mut modules, &mut missing)?;
    let methods = find_methods(&landmarks, &types, &mut missing);
    let consumers = crate::consumers::find(&landmarks, &mut modules, &mut missing)?;
    if !missing.is_empty() {
        return Err(MineError::MissingLandmarks {
            distribution: ssot.distribution.clone(),
            version: version.to_owned(),
            missing,
        });
    }
    read_defaults(&methods, &mut types, &mut modules);
    // two passes: the first learns field types from their uses, the second translates with them
    walk_validators(ssot, &methods, &mut types, &mut modules, &HashMap::new());
    let kinds = learned_kinds(&types);
    let mut sites = walk_validators(ssot, &methods, &mut types, &mut modules, &kinds);
    sites.extend(crate::consumers::walk(
        ssot,
        &consumers,
        &types,
        &mut modules,
        &kinds,
    ));
    let staging = build_staging(ssot, version, &sites);
    crate::feeds::resolve_defaults(ssot, &mut types, &mut modules);
    let feeds = crate::feeds::find(ssot, &types);
    let schema_yaml = schema_yaml(ssot, version, &found, &types, &feeds);
    Ok(MineOutput {
        staging,
        schema_yaml,
    })
}

/// The SSOT's entry for `version`, or [`MineError::UnsupportedVersion`].
pub fn supported_version<'s>(
    ssot: &'s EngineSsot,
    version: &str,
) -> Result<&'s VersionEntry, MineError> {
    ssot.versions
        .iter()
        .find(|v| v.version == version)
        .ok_or_else(|| MineError::UnsupportedVersion {
            distribution: ssot.distribution.clone(),
            version: version.to_owned(),
            supported: ssot.versions.iter().map(|v| v.version.clone()).collect(),
        })
}

/// The version the source at `root` declares, which must be inside the entry's envelope.
fn source_in_envelope(
    ssot: &EngineSsot,
    entry: &VersionEntry,
    root: &Path,
) -> Result<String, MineError> {
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
            distribution: ssot.distribution.clone(),
            version: entry.version.clone(),
            found,
            envelope: entry.envelope.clone(),
        });
    }
    Ok(found)
}

/// The class of each native type a landmark names, with its fields; what cannot be found goes
/// to `missing`.
fn load_types(
    ssot: &EngineSsot,
    landmarks: &[Landmark],
    modules: &mut Modules,
    missing: &mut Vec<Missing>,
) -> Result<BTreeMap<String, TypeCtx>, MineError> {
    let mut types: BTreeMap<String, TypeCtx> = BTreeMap::new();
    // each native type once, however many landmarks name it (and reported missing once); then
    // the ones no landmark names, which the schema still describes (a feeder, a fed class)
    let mut tried = BTreeSet::new();
    let named = landmarks
        .iter()
        .map(|l| (l.native_type.as_str(), l.method.as_str()))
        .chain(ssot.native_types.iter().map(|n| (n.name.as_str(), "")));
    for (native_type, method) in named {
        if !tried.insert(native_type) {
            continue;
        }
        let Some(decl) = ssot.native(native_type) else {
            missing.push(Missing::UndeclaredType {
                native_type: native_type.to_owned(),
                method: method.to_owned(),
            });
            continue;
        };
        let Some(module) = modules.load(&decl.module)? else {
            missing.push(Missing::Module {
                native_type: decl.name.clone(),
                module: decl.module.clone(),
            });
            continue;
        };
        let Some(class) = find_class(&module, &decl.class) else {
            missing.push(Missing::Class {
                native_type: decl.name.clone(),
                class: decl.class.clone(),
                module: decl.module.clone(),
            });
            continue;
        };
        let info = fields::collect(modules, &decl.module, &module, &decl.name, class);
        types.insert(
            native_type.to_owned(),
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

/// The landmark methods present in their classes; the absent ones go to `missing`.
fn find_methods(
    landmarks: &[Landmark],
    types: &BTreeMap<String, TypeCtx>,
    missing: &mut Vec<Missing>,
) -> Vec<FoundMethod> {
    let mut methods = Vec::new();
    for l in landmarks.iter().filter(|l| l.consumer.is_none()) {
        let Some(ctx) = types.get(&l.native_type) else {
            continue;
        };
        let Some(class) = find_class(&ctx.module, &ctx.info.class) else {
            continue;
        };
        if find_method(class, &l.method).is_none() {
            missing.push(Missing::Method {
                native_type: l.native_type.clone(),
                method: l.method.clone(),
                class: ctx.info.class.clone(),
                module: ctx.module_name.clone(),
            });
            continue;
        }
        methods.push((l.native_type.clone(), l.method.clone(), l.role, l.stage));
    }
    methods
}

/// The body of `method` of `class` in `module`.
pub(crate) fn method_body<'m>(module: &'m Module, class: &str, method: &str) -> Option<&'m [Stmt]> {
    match &find_method(find_class(module, class)?, method)?.kind {
        StmtKind::FunctionDef { body, .. } => Some(body),
        _ => None,
    }
}

/// The generate()-time fallbacks the `defaults` landmarks return.
fn read_defaults(
    methods: &[FoundMethod],
    types: &mut BTreeMap<String, TypeCtx>,
    modules: &mut Modules,
) {
    for (native, method, role, _) in methods {
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

/// One pass over the validator landmarks with the field kinds learned so far; gives the sites.
fn walk_validators(
    ssot: &EngineSsot,
    methods: &[FoundMethod],
    types: &mut BTreeMap<String, TypeCtx>,
    modules: &mut Modules,
    kinds_by_type: &HashMap<String, HashMap<String, Kinds>>,
) -> Vec<FoundSite> {
    let mut sites = Vec::new();
    let empty = HashMap::new();
    for (native, method, role, stage) in methods {
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
        let mut walker = Walker::new(
            modules,
            ctx.module_name.clone(),
            &module,
            &ctx.info,
            method,
            &ssot.assume,
            ssot.minor_issues_variable.as_deref(),
            kinds_by_type.get(native).unwrap_or(&empty),
            &mut ctx.usage,
            &mut ctx.usage_classes,
            &mut ctx.hasattr_fields,
        );
        walker.environment = ssot
            .environment
            .iter()
            .filter_map(|(name, a)| Some((name.clone(), crate::pred::Lit::from_json(&a.value)?)))
            .collect();
        walker.message_keywords = ssot.message_keywords.clone();
        walker.landmarks = methods
            .iter()
            .filter(|(n, _, _, _)| n == native)
            .map(|(_, m, _, _)| m.clone())
            .collect();
        walker.walk_body(body);
        for s in walker.sites {
            sites.push(FoundSite {
                native: native.clone(),
                method: format!("{}.{method}", ctx.info.class),
                rel_path: ctx.rel_path.clone(),
                stage: *stage,
                reached_when: None,
                site: s,
            });
        }
    }
    sites
}

/// The kinds of every field of every native type: annotation and docstring, widened by what
/// the first pass saw the validators do with it.
fn learned_kinds(types: &BTreeMap<String, TypeCtx>) -> HashMap<String, HashMap<String, Kinds>> {
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
