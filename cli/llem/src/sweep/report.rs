//! The sweep report: human text on standard error, or one JSON object on standard output.

use super::Context;
use llemc_cli_common::output::plural;
use llemc_compiler::corpus::RuleSeverity;
use llemc_runtime::experiment::{rule_code, show_value};
use llemc_runtime::json::to_json;
use llemc_runtime::loaded::LoadedProgram;
use llemc_runtime::sweep::Study;
use llemc_runtime::sweep::engine::{ShownPoint, Tally, node_json};
use llemc_runtime::sweep::study::Axis;
use serde_json::json;
use std::io::Write;

fn header(severity: RuleSeverity) -> &'static str {
    match severity {
        RuleSeverity::Error => "error",
        RuleSeverity::Warn => "warning",
        RuleSeverity::Dormant => "note",
    }
}

fn count(n: u64, word: &str) -> String {
    format!(
        "{n} {}",
        plural(usize::try_from(n).unwrap_or(usize::MAX), word)
    )
}

fn shape(context: &Context, axes: &[Axis], extra: usize) -> String {
    let sizes: Vec<String> = axes.iter().map(|a| a.values.len().to_string()).collect();
    let grid = if axes.is_empty() {
        "the base alone".to_owned()
    } else {
        format!(
            "{} grid of {}",
            sizes.join(" × "),
            count(context.grid, "point")
        )
    };
    if extra > 0 {
        format!("{grid} + {extra} extra")
    } else {
        grid
    }
}

fn point_label(point: &ShownPoint) -> String {
    match point.extra {
        Some(i) => format!("point {} (extra point {})", point.index, i + 1),
        None => format!("point {}", point.index),
    }
}

/// Human report on `err`.
pub fn human(
    context: &Context,
    program: &LoadedProgram,
    study: &Study,
    tally: &Tally,
    err: &mut dyn Write,
) {
    let (axes, extra) = (&study.axes, study.extra.len());
    let rules = program.program().rules.len();
    let _ = writeln!(
        err,
        "llem: sweep `{}` over `{}`: {} ({}), checked against {} {} rules ({} {}, {})",
        context.study,
        context.base,
        count(tally.points, "point"),
        shape(context, axes, extra),
        context.engine,
        context.engine_version,
        rules,
        plural(rules, "rule"),
        context.corpus_path
    );
    let fired: Vec<(usize, u64)> = tally
        .rule_points
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(i, n)| (i, *n))
        .collect();
    if !fired.is_empty() {
        let _ = writeln!(err, "\nfindings by rule (points where the rule fires):");
        for (i, n) in &fired {
            if let Some(rule) = program.program().rules.get(*i) {
                let _ = writeln!(
                    err,
                    "  {:<7} {} {:>9}  {}",
                    rule.severity.as_str(),
                    rule_code(rule.severity),
                    n,
                    rule.id
                );
            }
        }
    }
    if !tally.shown.is_empty() {
        let _ = writeln!(
            err,
            "\n{}:",
            if u64::try_from(tally.shown.len()).unwrap_or(u64::MAX) == tally.invalid {
                format!("invalid {}", plural(tally.shown.len(), "point"))
            } else {
                format!(
                    "first {} of {} invalid points",
                    tally.shown.len(),
                    tally.invalid
                )
            }
        );
        for point in &tally.shown {
            let coords: Vec<String> = point
                .coordinates
                .iter()
                .map(|(f, v)| format!("{f}={}", show_value(v)))
                .collect();
            let _ = writeln!(err, "  {}: {}", point_label(point), coords.join(", "));
            for f in &point.findings {
                let _ = writeln!(
                    err,
                    "    {}[{}] {}: {}",
                    header(f.severity),
                    rule_code(f.severity),
                    f.id,
                    f.message
                );
                for m in &f.merged {
                    let _ = writeln!(err, "      (the same behaviour: rule {})", m.id);
                }
            }
        }
    }
    let (errors, warnings, dormant) = (
        tally.findings.error,
        tally.findings.warn,
        tally.findings.dormant,
    );
    let _ = writeln!(
        err,
        "\nllem: {}: {} valid, {} invalid ({}, {}, {} dormant)",
        count(tally.points, "point"),
        tally.valid,
        tally.invalid,
        count(errors, "error"),
        count(warnings, "warning"),
        dormant
    );
}

/// JSON report on `out`, with the study's warnings as `diagnostics`.
pub fn json(
    context: &Context,
    (program, study, tally): (&LoadedProgram, &Study, &Tally),
    diagnostics: &serde_json::Value,
    out: &mut dyn Write,
) {
    let (axes, extra) = (&study.axes, study.extra.len());
    let rules: Vec<serde_json::Value> = tally
        .rule_points
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .filter_map(|(i, n)| {
            program.program().rules.get(i).map(|r| {
                json!({
                    "id": r.id,
                    "code": rule_code(r.severity),
                    "severity": r.severity.as_str(),
                    "points": n,
                })
            })
        })
        .collect();
    let shown: Vec<serde_json::Value> = tally
        .shown
        .iter()
        .map(|p| {
            let coordinates: serde_json::Map<String, serde_json::Value> = p
                .coordinates
                .iter()
                .map(|(f, v)| (f.clone(), to_json(v)))
                .collect();
            let findings: Vec<serde_json::Value> = p
                .findings
                .iter()
                .map(|f| {
                    let field = f
                        .subject
                        .and_then(|s| program.program().slots.get(s as usize))
                        .map(|s| s.path.join("."))
                        .unwrap_or_default();
                    let mut ids = vec![f.id.as_str()];
                    ids.extend(f.merged.iter().map(|m| m.id.as_str()));
                    json!({
                        "id": f.id,
                        "rules": ids,
                        "code": rule_code(f.severity),
                        "severity": f.severity.as_str(),
                        "field": field,
                        "effective_value": f.effective_value.as_ref().map(to_json),
                        "from_default": f.from_default,
                        "message": f.message,
                    })
                })
                .collect();
            json!({
                "index": p.index,
                "extra_point": p.extra,
                "coordinates": coordinates,
                "findings": findings,
            })
        })
        .collect();
    let axes_json: Vec<serde_json::Value> = axes
        .iter()
        .map(|a| {
            json!({
                "field": a.target.dotted,
                "values": a.values.iter().map(node_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    let (errors, warnings, dormant) = (
        tally.findings.error,
        tally.findings.warn,
        tally.findings.dormant,
    );
    let report = json!({
        "study": context.study,
        "base": context.base,
        "engine": context.engine,
        "engine_version": context.engine_version,
        "corpus": { "path": context.corpus_path, "rules": program.program().rules.len() },
        "checked": true,
        "axes": axes_json,
        "grid_points": context.grid,
        "extra_points": extra,
        "points": tally.points,
        "valid": tally.valid,
        "invalid": tally.invalid,
        "accepted": tally.invalid == 0,
        "deny_warnings": context.deny_warnings,
        "findings": { "error": errors, "warn": warnings, "dormant": dormant },
        "rules": rules,
        "invalid_points": shown,
        "diagnostics": diagnostics,
    });
    let _ = writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(&report).unwrap_or_default()
    );
}
