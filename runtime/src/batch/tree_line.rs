//! The tree path for a line: serde_json parses it, the tree binder binds it. It decides every line
//! the streaming binder refuses, and words the error of a malformed one.

use super::Binding;
use crate::frame::Frame;
use crate::loaded::LoadedProgram;
use std::fmt::Write as _;

/// Binds line `n` into `frame`; on failure writes why into `message` and returns `false`.
pub(super) fn bind(
    program: &LoadedProgram,
    binding: Binding<'_>,
    line: &[u8],
    frame: &mut Frame,
    message: &mut String,
    n: u64,
) -> bool {
    let config = match parse(line) {
        Ok(config) => config,
        Err(why) => {
            let _ = write!(message, "line {n}: {why}");
            return false;
        }
    };
    let bound = match binding {
        Binding::Tree => {
            program.bind(&config, frame);
            true
        }
        Binding::Native(native) => program.bind_native(native, &config, frame),
    };
    if !bound {
        let _ = write!(message, "line {n}: native type not in this program");
    }
    bound
}

/// Parses one line as a JSON object, or says why it is not one.
fn parse(line: &[u8]) -> Result<serde_json::Value, String> {
    let text = std::str::from_utf8(line)
        .map_err(|e| format!("not valid UTF-8 (byte {})", e.valid_up_to() + 1))?;
    if text.trim().is_empty() {
        return Err("blank line (expected a JSON object)".to_owned());
    }
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let what = full.strip_suffix(&suffix).unwrap_or(&full);
        format!("column {}: invalid JSON: {what}", e.column())
    })?;
    if !value.is_object() {
        let kind = match &value {
            serde_json::Value::Null => "null",
            serde_json::Value::Bool(_) => "a boolean",
            serde_json::Value::Number(_) => "a number",
            serde_json::Value::String(_) => "a string",
            serde_json::Value::Array(_) => "an array",
            serde_json::Value::Object(_) => "an object",
        };
        return Err(format!("expected a JSON object, found {kind}"));
    }
    Ok(value)
}
