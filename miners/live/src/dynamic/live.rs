//! Probing through the embedded interpreter: one `llemc_live.observe` call per row.

use super::probes::Cluster;
use super::signals::{at, signals};
use super::{
    ClassSite, ClusterReport, Context, DynamicReport, DynamicStaging, Row, mine_cluster, staging,
};
use crate::bridge::{Live, LiveError};
use llemc_compiler::corpus::Stage;
use std::collections::BTreeMap;

/// Where to find each native type's class: native type → (module, class).
pub type Classes = BTreeMap<String, (String, String)>;

/// Probes every row of `cluster` (strict validation; for a `generate` cluster on through a
/// generation run, keeping only the rows that reach it) and returns the rows with their signals
/// and the outcome counts, or why the class is unavailable.
pub fn probe(
    live: &Live,
    cluster: &Cluster,
    module: &str,
    class: &str,
    minor_issues_variable: &str,
) -> Result<(Vec<Row>, BTreeMap<String, usize>), String> {
    let mut rows = Vec::new();
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    let (bridge_module, function) = match cluster.stage {
        Stage::Generate => ("llemc_generate", "observe_stage"),
        Stage::Construct | Stage::Validate => ("llemc_live", "observe"),
    };
    for kwargs in cluster.rows() {
        let mut observation = live
            .call(
                bridge_module,
                function,
                &serde_json::json!({
                    "module": module,
                    "class": class,
                    "kwargs": kwargs,
                    "strict": true,
                    "timeout_s": 10,
                    "minor_issues_variable": minor_issues_variable,
                }),
            )
            .map_err(|e| e.to_string())?;
        let outcome = at(&observation, "outcome")
            .as_str()
            .unwrap_or("?")
            .to_owned();
        if cluster.stage == Stage::Generate {
            // a row that fails before generate(), or whose run needs what this machine lacks,
            // says nothing about generate()
            if at(&observation, "reached") != &serde_json::Value::Bool(true) {
                *outcomes.entry("not reached".to_owned()).or_default() += 1;
                continue;
            }
            if outcome == "unavailable" {
                *outcomes.entry(outcome).or_default() += 1;
                continue;
            }
            // what generate() logs depends on how llemc calls it (no `max_new_tokens`, a
            // stopping criterion of its own), not only on the config: only raises count
            if let Some(map) = observation.as_object_mut() {
                map.insert("emissions".to_owned(), serde_json::Value::Array(Vec::new()));
            }
        }
        if outcome == "unavailable" {
            return Err(format!(
                "{module}.{class} is unavailable: {}",
                at(at(&observation, "exception"), "message")
                    .as_str()
                    .unwrap_or("")
            ));
        }
        *outcomes.entry(outcome).or_default() += 1;
        rows.push(Row {
            signals: signals(&observation, &kwargs),
            kwargs,
        });
    }
    Ok((rows, outcomes))
}

/// The source file of a module relative to its `sys.path` entry (else the module path).
fn module_path(live: &Live, module: &str) -> String {
    live.call(
        "llemc_lifts",
        "source_path",
        &serde_json::json!({ "module": module }),
    )
    .ok()
    .and_then(|v| v.as_str().map(str::to_owned))
    .filter(|p| !p.is_empty())
    .unwrap_or_else(|| module.to_owned())
}

/// Runs every cluster that applies to `ctx.version` and infers its rules.
pub fn mine_dynamic(
    live: &Live,
    ctx: &Context<'_>,
    clusters: &[Cluster],
    classes: &Classes,
    minor_issues_variable: &str,
) -> Result<DynamicStaging, LiveError> {
    let mut report = DynamicReport::default();
    let mut rules = Vec::new();
    for cluster in clusters {
        let mut cr = ClusterReport {
            name: cluster.name.clone(),
            native_type: cluster.native_type.clone(),
            rows: 0,
            outcomes: BTreeMap::new(),
            signals: Vec::new(),
            skipped: None,
        };
        match cluster.applies_to(ctx.version) {
            Ok(true) => {}
            Ok(false) => {
                cr.skipped = Some(format!(
                    "not for {} (versions: {})",
                    ctx.version,
                    cluster.versions.as_deref().unwrap_or("")
                ));
                report.by_cluster.push(cr);
                continue;
            }
            Err(e) => return Err(LiveError::Encoding(e)),
        }
        let from_ssot = classes.get(&cluster.native_type);
        let module = cluster
            .module
            .clone()
            .or_else(|| from_ssot.map(|c| c.0.clone()));
        let class = cluster
            .class
            .clone()
            .or_else(|| from_ssot.map(|c| c.1.clone()));
        let (Some(module), Some(class)) = (module, class) else {
            cr.skipped = Some(format!(
                "native type `{}` has no module/class (SSOT or cluster)",
                cluster.native_type
            ));
            report.by_cluster.push(cr);
            continue;
        };
        match probe(live, cluster, &module, &class, minor_issues_variable) {
            Ok((rows, outcomes)) => {
                cr.rows = rows.len();
                cr.outcomes = outcomes;
                report.clusters += 1;
                report.rows += rows.len();
                let site: ClassSite = (module_path(live, &module), module, class);
                rules.extend(mine_cluster(ctx, cluster, &site, &rows, &mut cr));
            }
            Err(e) => cr.skipped = Some(e),
        }
        report.by_cluster.push(cr);
    }
    Ok(staging(ctx, rules, report))
}
