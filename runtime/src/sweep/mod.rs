//! Parameter sweeps (`llem sweep check`): a study file names a base experiment config, a grid of
//! values for some of its fields and extra points; every point is checked without materialising
//! the grid. See `docs/experiment-config.md`, "Sweeps".
//!
//! - [`study`]: reading the study file and resolving its axes against the engine schema
//!   (`E720`–`E724`).
//! - [`engine`]: the incremental evaluation of every point.
//! - [`resolve`] and [`base_type_warnings`]: the checks between reading and running (`E725`, and
//!   base values of another type than declared, the same at every point).

pub mod engine;
pub mod study;

use crate::experiment::{ExperimentConfig, FindingKind, check_experiment};
use crate::jit::Backend;
use crate::loaded::LoadedProgram;
use llemc_compiler::diagnostic::{Diagnostic, FileId};
use llemc_compiler::schema::EngineSchema;
use llemc_compiler::yaml::Node;
use study::{Axis, ExtraPoint, RawStudy};

/// A study ready to run.
#[derive(Clone, Debug)]
pub struct Study {
    /// The grid axes, resolved and type-checked.
    pub axes: Vec<Axis>,
    /// The extra points, resolved and type-checked.
    pub extra: Vec<ExtraPoint>,
    /// The number of grid points.
    pub grid: u64,
    /// Grid points plus extra points.
    pub total: u64,
    /// Warnings about the study's values (`W726` types, `W708` unknown nested fields).
    pub warnings: Vec<Diagnostic>,
}

/// Resolves and checks the axes and extra points of a study (`root`, read from `file`) against
/// the schema of the base config's engine; the diagnostics when any is wrong or the study has
/// more points than fit in 64 bits (`E725`).
pub fn resolve(
    file: FileId,
    root: &Node,
    raw: &RawStudy,
    engine: &str,
    schema: &EngineSchema,
) -> Result<Study, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let axes = study::resolve_axes(file, &raw.grid, engine, schema, &mut diags);
    let extra = study::resolve_extra(file, &raw.extra, engine, schema, &mut diags);
    let (Some(axes), Some(extra)) = (axes, extra) else {
        return Err(diags);
    };
    let Some(grid) = study::grid_size(&axes) else {
        let sizes: Vec<String> = axes
            .iter()
            .map(|a| format!("{} ({})", a.target.dotted, a.values.len()))
            .collect();
        let grid_span = root
            .get_entry("grid")
            .map(|(k, _)| k.span)
            .unwrap_or(root.span);
        return Err(vec![
            Diagnostic::error("E725", "the grid has more points than fit in 64 bits")
                .with_primary(file, grid_span, "this grid")
                .with_note(format!("axis sizes: {}", sizes.join(" × ")))
                .with_help("split the study into several smaller ones"),
        ]);
    };
    let Some(total) = grid.checked_add(u64::try_from(extra.len()).unwrap_or(u64::MAX)) else {
        return Err(vec![
            Diagnostic::error("E725", "the study has more points than fit in 64 bits")
                .with_primary(file, root.span, "this study"),
        ]);
    };
    Ok(Study {
        axes,
        extra,
        grid,
        total,
        warnings: diags,
    })
}

/// The base config's values of another type than the schema declares that no axis overrides:
/// they are the same at every point, so they are reported once, for the whole study (their
/// `W811` warnings).
pub fn base_type_warnings(
    config: &ExperimentConfig,
    program: &LoadedProgram,
    axes: &[Axis],
) -> Vec<Diagnostic> {
    let check = check_experiment(config, program, Backend::Interp);
    check
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::WrongType)
        .filter(|f| {
            !axes.iter().any(|a| {
                f.field == a.target.dotted || f.field.starts_with(&format!("{}.", a.target.dotted))
            })
        })
        .map(|f| f.diagnostic.clone())
        .collect()
}
