//! What a finished run reports: a short summary of one result, for people and as JSON, and the
//! table at the end of a study.

use llemc_compiler::diagnostic::Diagnostic;
use llemc_harness::ExperimentResult;
use serde_json::{Value, json};
use std::path::Path;

/// The figures of a result that people look at first, as JSON.
pub(super) fn result_json(result: &ExperimentResult, path: &Path) -> Value {
    json!({
        "result": path.display().to_string(),
        "config_hash": result.measurement_config_hash,
        "engine": result.engine,
        "engine_version": result.engine_version,
        "model": result.model_name,
        "prompts": result.prompts,
        "input_tokens": result.input_tokens,
        "output_tokens": result.output_tokens,
        "inference_time_sec": result.total_inference_time_sec,
        "output_tokens_per_second": result.output_tokens_per_second,
        "energy_method": result.energy_method,
        "total_energy_j": result.total_energy_j,
        "energy_adjusted_j": result.energy_adjusted_j,
        "avg_energy_per_token_j": result.avg_energy_per_token_j,
        "measurement_warnings": result.measurement_warnings,
    })
}

/// The summary of one result, for people: tokens, time, throughput, energy, where it is.
pub(super) fn result_lines(result: &ExperimentResult, path: &Path) -> Vec<String> {
    let mut lines = vec![format!(
        "{} prompts, {} tokens in, {} tokens out in {:.2} s ({})",
        result.prompts,
        result.input_tokens,
        result.output_tokens,
        result.total_inference_time_sec,
        throughput(result.output_tokens_per_second),
    )];
    lines.push(match result.total_energy_j {
        Some(total) => format!(
            "energy ({}): {total:.1} J in all, {} after the idle baseline, {} per token",
            result.energy_method,
            joules(result.energy_adjusted_j),
            joules(result.avg_energy_per_token_j),
        ),
        None => "energy: not measured (`--energy none`)".to_owned(),
    });
    lines.extend(
        result
            .measurement_warnings
            .iter()
            .map(|w| format!("warning: {w}")),
    );
    lines.push(format!("result: {}", path.display()));
    lines
}

fn throughput(tokens_per_second: Option<f64>) -> String {
    tokens_per_second.map_or_else(|| "no tokens".to_owned(), |t| format!("{t:.1} tokens/s"))
}

fn joules(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |j| format!("{j:.3} J"))
}

/// How one point of a study ended.
#[derive(Clone, Debug)]
pub(super) enum PointStatus {
    /// It ran and wrote its result.
    Completed {
        /// Generated tokens per second.
        tokens_per_second: Option<f64>,
        /// Total energy, when measured.
        energy_j: Option<f64>,
    },
    /// Its result existed already.
    Skipped,
    /// The run failed: why, and the exit code it calls for.
    Failed(Diagnostic, i32),
}

impl PointStatus {
    /// The status word in the table and in JSON.
    pub(super) fn word(&self) -> &'static str {
        match self {
            PointStatus::Completed { .. } => "completed",
            PointStatus::Skipped => "skipped",
            PointStatus::Failed(..) => "failed",
        }
    }
}

/// One row of the study's summary.
#[derive(Clone, Debug)]
pub(super) struct PointRow {
    /// The point's label: its coordinates (`num_beams=2, temperature=0.7`).
    pub(super) label: String,
    /// Its config hash (empty for a rejected point).
    pub(super) hash: String,
    /// How it ended.
    pub(super) status: PointStatus,
}

/// The study's summary table: one row per point, aligned columns.
pub(super) fn table(rows: &[PointRow]) -> String {
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|row| {
            let (rate, energy) = match &row.status {
                PointStatus::Completed {
                    tokens_per_second,
                    energy_j,
                } => (
                    tokens_per_second.map_or("-".to_owned(), |t| format!("{t:.1}")),
                    energy_j.map_or("-".to_owned(), |j| format!("{j:.1}")),
                ),
                _ => ("-".to_owned(), "-".to_owned()),
            };
            [
                row.label.clone(),
                row.hash.chars().take(12).collect(),
                row.status.word().to_owned(),
                rate,
                energy,
            ]
        })
        .collect();
    let header = ["point", "config", "status", "tokens/s", "energy (J)"].map(str::to_owned);
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for row in std::iter::once(&header).chain(&cells) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        text.push_str(line.join("  ").trim_end());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_aligns_every_column() {
        let rows = vec![
            PointRow {
                label: "num_beams=1".to_owned(),
                hash: "0123456789abcdef".to_owned(),
                status: PointStatus::Completed {
                    tokens_per_second: Some(12.345),
                    energy_j: None,
                },
            },
            PointRow {
                label: "num_beams=2, num_return_sequences=4".to_owned(),
                hash: "fedcba9876543210".to_owned(),
                status: PointStatus::Skipped,
            },
        ];
        assert_eq!(
            table(&rows),
            "point                                config        status     tokens/s  energy (J)\n\
             num_beams=1                          0123456789ab  completed  12.3      -\n\
             num_beams=2, num_return_sequences=4  fedcba987654  skipped    -         -\n"
        );
    }
}
