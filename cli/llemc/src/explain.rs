//! `llemc explain`: one rule as written, its canonical predicate and its IR.

use super::CorpusOptions;
use crate::session::Session;
use llemc_cli_common::exit;
use llemc_cli_common::output::{Format, emit};
use llemc_compiler::db::parse_corpus;
use llemc_compiler::ir_print::rule_listing;
use llemc_compiler::program::canonical_predicate;
use llemc_compiler::schema::suggest;
use std::io::Write;
use std::path::Path;

pub(super) fn run(
    rule_id: &str,
    corpus: &Path,
    options: &CorpusOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let session = Session::load(&[corpus.to_path_buf()], &options.load_options());
    let color = options.color.resolve();
    let mut problems = session.io_errors.clone();
    problems.extend(session.decode_errors.iter().cloned());
    let Some(unit) = session.units.first() else {
        emit(&problems, &session.sources, options.format, color, out, err);
        return if session.io_errors.is_empty() {
            exit::FINDINGS
        } else {
            exit::USAGE
        };
    };
    let compiled = session.compile(unit);
    let parsed = parse_corpus(&session.db, unit.source);
    let Some(item) = parsed.rules.iter().find(|r| r.id(&session.db) == rule_id) else {
        let ids: Vec<&str> = parsed
            .rules
            .iter()
            .map(|r| r.id(&session.db).as_str())
            .collect();
        let hint = suggest(rule_id, ids.iter().copied())
            .first()
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        let _ = writeln!(
            err,
            "error: no rule `{rule_id}` in `{}`{hint}",
            corpus.display()
        );
        return exit::USAGE;
    };
    let rule = item.rule(&session.db);
    let own: Vec<_> = compiled
        .diagnostics
        .iter()
        .filter(|d| d.notes.iter().any(|n| n == &format!("in rule `{rule_id}`")))
        .cloned()
        .collect();
    let program_rule = compiled
        .program
        .as_ref()
        .and_then(|p| p.rules.iter().find(|r| r.id == rule_id).map(|r| (p, r)));
    let written = match &rule.predicate.when {
        Some(when) if rule.predicate.match_fields.is_empty() => llemc_grammar::print_expr(when),
        _ => llemc_grammar::print_expr(&rule.predicate.expr),
    };
    // where the library shows the behaviour (construct when the rule does not say)
    let stage = rule.stage.as_ref().map(|s| s.value).unwrap_or_default();
    match options.format {
        Format::Human => {
            let _ = writeln!(out, "rule:      {rule_id}");
            let _ = writeln!(out, "severity:  {}", rule.severity.value.as_str());
            let _ = writeln!(out, "stage:     {}", stage.as_str());
            if let Some(native) = &rule.native_type {
                let _ = writeln!(out, "native:    {}", native.value);
            }
            let _ = writeln!(out, "predicate: {written}");
            match program_rule {
                Some((program, ir)) => {
                    let _ = writeln!(out, "canonical: {}", canonical_predicate(program, ir));
                    let _ = writeln!(out, "\n{}", rule_listing(program, ir));
                }
                None => {
                    let _ = writeln!(
                        out,
                        "(not in the compiled program: it does not apply to this engine version, or the corpus has errors)"
                    );
                }
            }
        }
        Format::Json => {
            let value = serde_json::json!({
                "id": rule_id,
                "severity": rule.severity.value.as_str(),
                "stage": stage.as_str(),
                "native_type": rule.native_type.as_ref().map(|n| n.value.clone()),
                "predicate": written,
                "canonical": program_rule.map(|(p, r)| canonical_predicate(p, r)),
                "ir": program_rule.map(|(p, r)| rule_listing(p, r)),
            });
            let _ = writeln!(out, "{value:#}");
        }
    }
    emit(&own, &session.sources, Format::Human, color, out, err);
    if own.iter().any(|d| d.is_error()) {
        exit::FINDINGS
    } else {
        exit::OK
    }
}
