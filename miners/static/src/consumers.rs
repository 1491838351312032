//! Consumer landmarks: methods of classes the engine builds from a native type's fields during a
//! run (transformers' logits processors, built by `generate()`), walked with each constructor
//! parameter bound to the field or constant the SSOT says the run passes. Only their raises
//! become rules (a processor's own attributes are not the user's config); each rule is ANDed
//! with the SSOT's `reached_when:` and carries the landmark's stage.

use crate::TypeCtx;
use crate::error::{MineError, Missing};
use crate::mine::{FoundSite, method_body};
use crate::pred::Lit;
use crate::python::Module;
use crate::resolve::{Modules, find_class, find_method};
use crate::translate::{Detector, Walker};
use llemc_compiler::types::Kinds;
use llemc_mining::ssot::{Argument, EngineSsot, Landmark, Role};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

/// A consumer landmark found in the source: the landmark, its module and that module's file.
pub(crate) struct FoundConsumer {
    landmark: Landmark,
    module: Rc<Module>,
    rel_path: String,
}

/// The consumer landmarks present in the source; the absent ones go to `missing`.
pub(crate) fn find(
    landmarks: &[Landmark],
    modules: &mut Modules,
    missing: &mut Vec<Missing>,
) -> Result<Vec<FoundConsumer>, MineError> {
    let mut out = Vec::new();
    for l in landmarks {
        let Some(c) = &l.consumer else { continue };
        let Some(module) = modules.load(&c.module)? else {
            missing.push(Missing::Module {
                native_type: l.native_type.clone(),
                module: c.module.clone(),
            });
            continue;
        };
        let Some(class) = find_class(&module, &c.class) else {
            missing.push(Missing::Class {
                native_type: l.native_type.clone(),
                class: c.class.clone(),
                module: c.module.clone(),
            });
            continue;
        };
        if find_method(class, &l.method).is_none() {
            missing.push(Missing::Method {
                native_type: l.native_type.clone(),
                method: l.method.clone(),
                class: c.class.clone(),
                module: c.module.clone(),
            });
            continue;
        }
        out.push(FoundConsumer {
            landmark: l.clone(),
            rel_path: modules.rel_path(&c.module).unwrap_or_default(),
            module,
        });
    }
    Ok(out)
}

/// The raise sites of every consumer, with the field kinds learned from the validators (what
/// the consumers do with a field does not change the generated schema).
pub(crate) fn walk(
    ssot: &EngineSsot,
    consumers: &[FoundConsumer],
    types: &BTreeMap<String, TypeCtx>,
    modules: &mut Modules,
    kinds_by_type: &HashMap<String, HashMap<String, Kinds>>,
) -> Vec<FoundSite> {
    let mut sites = Vec::new();
    let empty = HashMap::new();
    for found in consumers {
        let l = &found.landmark;
        let (Some(c), Some(ctx), Role::Validator) =
            (&l.consumer, types.get(&l.native_type), l.role)
        else {
            continue;
        };
        let Some(body) = method_body(&found.module, &c.class, &l.method) else {
            continue;
        };
        let (mut usage, mut usage_classes, mut hasattr) =
            (HashMap::new(), HashMap::new(), BTreeSet::new());
        let mut walker = Walker::new(
            modules,
            c.module.clone(),
            &found.module,
            &ctx.info,
            &l.method,
            &ssot.assume,
            None,
            kinds_by_type.get(&l.native_type).unwrap_or(&empty),
            &mut usage,
            &mut usage_classes,
            &mut hasattr,
        );
        walker.as_consumer();
        for (name, argument) in &c.arguments {
            match argument {
                Argument::Field(field) => walker.bind_field(name, field),
                Argument::Literal(value) => {
                    if let Some(lit) = lit_of(value) {
                        walker.bind_literal(name, lit);
                    }
                }
            }
        }
        walker.walk_body(body);
        let raises = walker.sites.into_iter().filter(|s| {
            matches!(
                s.detector,
                Detector::Raise | Detector::Assert | Detector::ImplicitTypeError
            )
        });
        for site in raises {
            sites.push(FoundSite {
                native: l.native_type.clone(),
                method: format!("{}.{}", c.class, l.method),
                rel_path: found.rel_path.clone(),
                stage: l.stage,
                reached_when: c.reached_when.clone(),
                site,
            });
        }
    }
    sites
}

/// A JSON constant as a Python literal (objects have none).
fn lit_of(value: &serde_json::Value) -> Option<Lit> {
    use serde_json::Value;
    Some(match value {
        Value::Null => Lit::Null,
        Value::Bool(b) => Lit::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Lit::Int(i),
            None => Lit::Float(n.as_f64()?),
        },
        Value::String(s) => Lit::Str(s.clone()),
        Value::Array(items) => Lit::Seq(items.iter().map(lit_of).collect::<Option<_>>()?),
        Value::Object(_) => return None,
    })
}
