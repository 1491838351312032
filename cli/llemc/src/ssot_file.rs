//! Reading an engine's single source of truth (`engine_versions/<engine>.yaml`) for a command,
//! with diagnostics rendered to the command's error stream.

use crate::failure::fail_with;
use llemc_compiler::diagnostic::{Color, SourceMap, render_human};
use llemc_mining::failure::read_text;
use llemc_mining::layout::Layout;
use llemc_mining::ssot::{EngineSsot, read_ssot};
use std::io::Write;
use std::path::Path;

/// Reads the SSOT of `engine` (from `path`, default `engine_versions/<engine>.yaml`); on failure
/// writes the diagnostics to `err` and returns `None` (the caller exits 2).
pub fn load_ssot(engine: &str, path: Option<&Path>, err: &mut dyn Write) -> Option<EngineSsot> {
    let path = path
        .map(Path::to_path_buf)
        .unwrap_or_else(|| Layout::cwd().ssot(engine));
    let shown = path.display().to_string();
    let help = "run llemc from the repository root or pass --ssot";
    let text = match read_text(&path, &shown, Some(help)) {
        Ok(t) => t,
        Err(d) => {
            fail_with(err, d);
            return None;
        }
    };
    let mut sources = SourceMap::new();
    let file = sources.add(path.display().to_string(), text.clone());
    match read_ssot(file, &text) {
        Ok(s) => Some(s),
        Err(diags) => {
            let _ = err.write_all(render_human(&diags, &sources, Color::Never).as_bytes());
            None
        }
    }
}
