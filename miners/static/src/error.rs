//! Why mining stops, and the diagnostics that say so: each points into the SSOT entry that no
//! longer matches the library (the envelope, the landmark, the native type) or into the
//! library's source file that does not parse.
//!
//! | code | meaning |
//! |---|---|
//! | `E520` | the version is not listed in the SSOT |
//! | `E521` | the source tree declares no version |
//! | `E522` | the source's version is outside the SSOT's envelope |
//! | `E523` | a landmark (native type, module, class or method) is not in the source |
//! | `E524` | a source file does not parse as Python |
//! | `E901` | a source file cannot be read |

use crate::ssot_spans::SsotSpans;
use llemc_compiler::diagnostic::{Diagnostic, FileId, SourceMap};
use llemc_grammar::ast::Span;

/// Why mining stopped (always exit code 2); [`MineError::diagnostics`] reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MineError {
    /// The version is not listed in the SSOT.
    UnsupportedVersion {
        /// The Python distribution.
        distribution: String,
        /// The version asked for.
        version: String,
        /// The versions the SSOT lists.
        supported: Vec<String>,
    },
    /// The source tree declares no version.
    NoVersion {
        /// The source tree.
        root: String,
        /// The package looked for.
        package: String,
    },
    /// The source's version is outside the SSOT's envelope.
    OutsideEnvelope {
        /// The Python distribution.
        distribution: String,
        /// The version asked for.
        version: String,
        /// The version the source declares.
        found: String,
        /// The envelope.
        envelope: String,
    },
    /// Landmarks that could not be found.
    MissingLandmarks {
        /// The Python distribution.
        distribution: String,
        /// The version mined.
        version: String,
        /// What is missing, in SSOT order.
        missing: Vec<Missing>,
    },
    /// A source file does not parse.
    Syntax {
        /// Path relative to the source root.
        file: String,
        /// The path as given (source root joined).
        path: String,
        /// The file's text.
        text: String,
        /// Byte range of the error.
        span: Span,
        /// 1-based line.
        line: u32,
        /// 1-based column.
        column: u32,
        /// The parser's message.
        message: String,
    },
    /// A file could not be read.
    Io {
        /// The path.
        path: String,
        /// What went wrong.
        message: String,
    },
}

/// One landmark that is not in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Missing {
    /// A version's own landmark names a native type `native_types` does not declare.
    UndeclaredType {
        /// The native type.
        native_type: String,
        /// The landmark's method.
        method: String,
    },
    /// The module a native type lives in does not exist.
    Module {
        /// The native type.
        native_type: String,
        /// Its dotted module.
        module: String,
    },
    /// The module has no such class.
    Class {
        /// The native type.
        native_type: String,
        /// Its class.
        class: String,
        /// Its dotted module.
        module: String,
    },
    /// The class has no such method.
    Method {
        /// The native type.
        native_type: String,
        /// The method.
        method: String,
        /// The class.
        class: String,
        /// The class's dotted module.
        module: String,
    },
}

/// The SSOT file mining read, as text: diagnostics point into it.
#[derive(Clone, Copy, Debug)]
pub struct SsotFile<'a> {
    /// Its name as shown (the path it was read from).
    pub name: &'a str,
    /// Its text.
    pub text: &'a str,
}

impl MineError {
    /// The diagnostics that report this error; the files they point into are added to
    /// `sources`.
    pub fn diagnostics(&self, ssot: SsotFile<'_>, sources: &mut SourceMap) -> Vec<Diagnostic> {
        let file = sources.add(ssot.name, ssot.text);
        let at = Located {
            file,
            spans: SsotSpans::new(file, ssot.text),
        };
        match self {
            MineError::UnsupportedVersion {
                distribution,
                version,
                supported,
            } => vec![at.unsupported(distribution, version, supported)],
            MineError::NoVersion { root, package } => vec![no_version(root, package)],
            MineError::OutsideEnvelope {
                distribution,
                version,
                found,
                envelope,
            } => vec![at.outside_envelope(distribution, version, found, envelope)],
            MineError::MissingLandmarks {
                distribution,
                version,
                missing,
            } => missing
                .iter()
                .map(|m| at.missing(distribution, version, m))
                .collect(),
            MineError::Syntax {
                file,
                path,
                text,
                span,
                message,
                ..
            } => {
                let source = sources.add(path.as_str(), text.as_str());
                vec![
                    Diagnostic::error("E524", format!("{file} does not parse as Python"))
                        .with_primary(source, on_one_line(text, *span), message.as_str())
                        .with_help(
                            "the source tree is damaged or not this library's source: fetch it again (`llemc mine source`), or point the miner at an intact copy",
                        ),
                ]
            }
            MineError::Io { path, message } => vec![
                Diagnostic::error("E901", format!("cannot read `{path}`: {message}"))
                    .with_help("check that the source tree is complete and readable"),
            ],
        }
    }
}

/// The SSOT in a source map, with the spans of its entries.
struct Located {
    file: FileId,
    spans: SsotSpans,
}

impl Located {
    /// `diagnostic` with its primary label at `span`, when the SSOT has it.
    fn at(&self, diagnostic: Diagnostic, span: Option<Span>, label: String) -> Diagnostic {
        match span {
            Some(span) => diagnostic.with_primary(self.file, span, label),
            None => diagnostic.with_note(label),
        }
    }

    fn unsupported(&self, distribution: &str, version: &str, supported: &[String]) -> Diagnostic {
        let d = Diagnostic::error(
            "E520",
            format!("{distribution} {version} is not a supported version"),
        )
        .with_help(format!(
            "mine one of the listed versions, or add `{version}` with its `envelope:` under `versions:`"
        ));
        self.at(
            d,
            self.spans.versions_key(),
            format!("lists {}", supported.join(", ")),
        )
    }

    fn outside_envelope(
        &self,
        distribution: &str,
        version: &str,
        found: &str,
        envelope: &str,
    ) -> Diagnostic {
        let d = Diagnostic::error(
            "E522",
            format!(
                "the source is {distribution} {found}, outside the envelope `{envelope}` of {version}"
            ),
        )
        .with_help(format!(
            "the library changed: add {found} under `versions:` with an envelope that holds it, or mine the source of {version}"
        ));
        self.at(
            d,
            self.spans.envelope(version),
            format!("{found} is outside this envelope"),
        )
    }

    fn missing(&self, distribution: &str, version: &str, missing: &Missing) -> Diagnostic {
        let (message, span, label, help) = match missing {
            Missing::UndeclaredType {
                native_type,
                method,
            } => (
                format!(
                    "landmark `{native_type}.{method}` names native type `{native_type}`, which `native_types` does not declare"
                ),
                self.spans.landmark(version, native_type, method),
                "unknown native type".to_owned(),
                format!("declare `{native_type}` under `native_types:`"),
            ),
            Missing::Module {
                native_type,
                module,
            } => (
                format!("module `{module}` of `{native_type}` is not in {distribution} {version}"),
                self.spans.native_type(native_type, "module"),
                "no such module in the source".to_owned(),
                "the library moved the class: update `module:`".to_owned(),
            ),
            Missing::Class {
                native_type,
                class,
                module,
            } => (
                format!(
                    "class `{class}` of `{native_type}` is not in `{module}` ({distribution} {version})"
                ),
                self.spans.native_type(native_type, "class"),
                format!("no such class in `{module}`"),
                "the library renamed or moved the class: update `class:` or `module:`".to_owned(),
            ),
            Missing::Method {
                native_type,
                method,
                class,
                module,
            } => (
                format!(
                    "landmark `{class}.{method}` is not in `{module}` ({distribution} {version})"
                ),
                self.spans.landmark(version, native_type, method),
                format!("`{class}` has no method `{method}`"),
                format!(
                    "the library changed: rename the landmark, or list `{native_type}.{method}` under the `absent:` of {version}"
                ),
            ),
        };
        self.at(
            Diagnostic::error("E523", message).with_help(help),
            span,
            label,
        )
    }
}

fn no_version(root: &str, package: &str) -> Diagnostic {
    Diagnostic::error("E521", format!("{root} declares no version"))
        .with_note(format!(
            "looked for {package}-*.dist-info/METADATA and `__version__` in {package}/__init__.py"
        ))
        .with_help(format!(
            "point the miner at the folder that holds the `{package}` package and its dist-info (an unpacked wheel)"
        ))
}

/// `span` cut at the end of the line it starts on (a parser error that takes in the newline
/// would otherwise be drawn across two lines).
fn on_one_line(text: &str, span: Span) -> Span {
    let start = span.start as usize;
    let line_end = text
        .get(start..)
        .and_then(|rest| rest.find('\n'))
        .map_or(text.len(), |i| start + i);
    Span::new(start, (span.end as usize).min(line_end))
}
