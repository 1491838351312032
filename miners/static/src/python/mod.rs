//! Python source parsing behind llemc's own interface: [`parse_module`] turns source text into
//! the small tree of [`ast`]; no type of the underlying parser crate leaves this folder.

pub mod ast;
mod convert;

pub use ast::Module;

/// A Python syntax error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// Byte offset where the error starts.
    pub start: u32,
    /// Byte offset where it ends.
    pub end: u32,
    /// 1-based line.
    pub line: u32,
    /// 1-based column (in bytes).
    pub column: u32,
    /// The parser's message.
    pub message: String,
}

/// Parses a Python module.
pub fn parse_module(source: &str) -> Result<Module, SyntaxError> {
    match ruff_python_parser::parse_module(source) {
        Ok(parsed) => {
            let body = convert::suite(&parsed.syntax().body);
            Ok(Module::new(body, source.to_owned()))
        }
        Err(error) => {
            let offset = u32::from(error.location.start());
            let end = u32::from(error.location.end());
            let module = Module::new(Vec::new(), source.to_owned());
            let line = module.line_of(offset);
            let line_start = source
                .get(..offset as usize)
                .and_then(|s| s.rfind('\n').map(|i| i + 1))
                .unwrap_or(0);
            let column = u32::try_from(offset as usize - line_start.min(offset as usize) + 1)
                .unwrap_or(u32::MAX);
            Err(SyntaxError {
                start: offset,
                end,
                line,
                column,
                message: error.error.to_string(),
            })
        }
    }
}
