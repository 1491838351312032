//! Reading facts through the embedded interpreter.

use super::facts::ClassFacts;
use super::{LiftStaging, Target, lift};
use crate::bridge::{Live, LiveError};

/// Asks `llemc_lifts.inspect_class` about each target.
pub fn inspect(live: &Live, targets: &[Target]) -> Result<Vec<(Target, ClassFacts)>, LiveError> {
    let mut out = Vec::new();
    for t in targets {
        let value = live.call(
            "llemc_lifts",
            "inspect_class",
            &serde_json::json!({"module": t.module, "class": t.class}),
        )?;
        let facts: ClassFacts =
            serde_json::from_value(value).map_err(|e| LiveError::Encoding(e.to_string()))?;
        out.push((t.clone(), facts));
    }
    Ok(out)
}

/// Inspects `targets` and lifts their declarations (the library-agnostic entry point): rules
/// are compiled against `schema`, else against a schema generated from the facts.
pub fn lift_classes(
    live: &Live,
    engine: &str,
    version: &str,
    targets: &[Target],
    schema: Option<(&str, &str)>,
) -> Result<LiftStaging, LiveError> {
    let facts = inspect(live, targets)?;
    Ok(lift(engine, version, &facts, schema))
}
