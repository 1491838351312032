//! Loading corpus files into the compiler's database: reading files, decoding UTF-8, finding the
//! engine schema that belongs to each corpus.

use crate::embedded;
use llemc_compiler::db::{Compiled, Database, Settings, SourceText, compile, parse_corpus};
use llemc_compiler::diagnostic::{Diagnostic, SourceMap};
use llemc_compiler::yaml::decode_utf8;
use llemc_mining::layout::Layout;
use std::path::{Path, PathBuf};

/// How corpora are to be compiled.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// `--compat`.
    pub compat: bool,
    /// `--schema`.
    pub schema: Option<PathBuf>,
    /// `--engine-version`.
    pub engine_version: Option<String>,
}

/// One corpus file in the session.
pub struct Unit {
    /// The path as given.
    pub path: String,
    /// Its source in the database.
    pub source: SourceText,
    /// Its compile settings.
    pub settings: Settings,
    /// Where its schema came from (`None` in compat mode or when none was found).
    pub schema_name: Option<String>,
}

/// Every loaded corpus with the database and the source map for diagnostics.
pub struct Session {
    /// The salsa database.
    pub db: Database,
    /// Every file read (corpora and schemas).
    pub sources: SourceMap,
    /// The corpora that could be read.
    pub units: Vec<Unit>,
    /// Files that could not be read at all (I/O errors: exit code 2).
    pub io_errors: Vec<Diagnostic>,
    /// Files that are not UTF-8 (diagnostics with a location: exit code 1).
    pub decode_errors: Vec<Diagnostic>,
}

/// Reads a file as text, turning failures into diagnostics.
pub fn read_text(path: &Path, sources: &mut SourceMap) -> Result<String, (Diagnostic, bool)> {
    let display = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        (
            Diagnostic::error("E901", format!("cannot read `{display}`: {e}"))
                .with_help("check the path and its permissions"),
            true,
        )
    })?;
    match decode_utf8(&display, &bytes) {
        Ok(text) => Ok(text),
        Err(mut d) => {
            // Show the text (invalid bytes replaced) so the label has a place to point at.
            let valid_up_to = std::str::from_utf8(&bytes)
                .err()
                .map(|e| e.valid_up_to())
                .unwrap_or(0);
            let file = sources.add(display, String::from_utf8_lossy(&bytes).into_owned());
            let span = llemc_grammar::ast::Span::new(valid_up_to, valid_up_to + 1);
            d.primary = Some(llemc_compiler::diagnostic::Label::new(
                file,
                span,
                "not UTF-8",
            ));
            Err((d, false))
        }
    }
}

impl Session {
    /// Loads corpora and finds their schemas.
    pub fn load(paths: &[PathBuf], options: &LoadOptions) -> Session {
        let mut session = Session {
            db: Database::default(),
            sources: SourceMap::new(),
            units: Vec::new(),
            io_errors: Vec::new(),
            decode_errors: Vec::new(),
        };
        let explicit_schema = options
            .schema
            .as_ref()
            .and_then(|p| session.schema_source(p));
        for path in paths {
            let text = match read_text(path, &mut session.sources) {
                Ok(text) => text,
                Err((d, io)) => {
                    if io {
                        session.io_errors.push(d)
                    } else {
                        session.decode_errors.push(d)
                    }
                    continue;
                }
            };
            let file = session
                .sources
                .add(path.display().to_string(), text.clone());
            let source = SourceText::new(&session.db, file, text);
            let (schema, schema_name) = if options.compat {
                (None, None)
            } else if let Some((s, name)) = &explicit_schema {
                (Some(*s), Some(name.clone()))
            } else {
                let engine = parse_corpus(&session.db, source)
                    .envelope
                    .as_ref()
                    .map(|e| e.engine.clone());
                match engine {
                    Some(engine) => match session.find_schema(path, &engine) {
                        Some((s, name)) => (Some(s), Some(name)),
                        None => (None, None),
                    },
                    None => (None, None),
                }
            };
            let settings = Settings::new(
                &session.db,
                options.compat,
                options.engine_version.clone(),
                schema,
            );
            session.units.push(Unit {
                path: path.display().to_string(),
                source,
                settings,
                schema_name,
            });
        }
        session
    }

    fn schema_source(&mut self, path: &Path) -> Option<(SourceText, String)> {
        match read_text(path, &mut self.sources) {
            Ok(text) => {
                let name = path.display().to_string();
                let file = self.sources.add(name.clone(), text.clone());
                Some((SourceText::new(&self.db, file, text), name))
            }
            Err((d, io)) => {
                if io {
                    self.io_errors.push(d)
                } else {
                    self.decode_errors.push(d)
                }
                None
            }
        }
    }

    /// The nearest schema of the engine: `schema.yaml` beside a corpus inside `engines/<engine>/`
    /// or `engines/<engine>/<version>/`, else `engines/<engine>/schema.yaml` in an ancestor, else
    /// the schema shipped in the binary.
    fn find_schema(&mut self, corpus: &Path, engine: &str) -> Option<(SourceText, String)> {
        let start = corpus.parent().map(Path::to_path_buf).unwrap_or_default();
        let absolute = std::fs::canonicalize(&start).unwrap_or(start);
        for dir in absolute.ancestors() {
            let candidates = [
                Layout::new(dir).engine_dir(engine).join("schema.yaml"),
                dir.join("schema.yaml"),
            ];
            for candidate in candidates {
                // `engines/<engine>/schema.yaml`, or `engines/<engine>/<version>/schema.yaml` beside a
                // per-version corpus.
                let parent = candidate.parent();
                let inside_engine_dir = parent
                    .and_then(Path::file_name)
                    .is_some_and(|n| n == engine)
                    || parent
                        .and_then(Path::parent)
                        .and_then(Path::file_name)
                        .is_some_and(|n| n == engine);
                if inside_engine_dir && candidate.is_file() {
                    let shown = relative_to_cwd(&candidate);
                    return self
                        .schema_source(Path::new(&shown))
                        .or_else(|| self.schema_source(&candidate));
                }
            }
        }
        let (name, text) = embedded::schema(engine)?;
        let file = self.sources.add(name, text);
        Some((
            SourceText::new(&self.db, file, text.to_owned()),
            name.to_owned(),
        ))
    }

    /// Compiles one unit.
    pub fn compile(&self, unit: &Unit) -> &Compiled {
        compile(&self.db, unit.source, unit.settings)
    }
}

fn relative_to_cwd(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| std::fs::canonicalize(cwd).ok())
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(|p| p.display().to_string()))
        .unwrap_or_else(|| path.display().to_string())
}
