//! The incremental pipeline, driven by salsa:
//! corpus text → parsed rules (one tracked item per rule) → checked rule → program.
//!
//! Each rule item stores its rule with spans relative to the rule's start, so an edit to one rule
//! changes only that item: the other rules keep their memoised check results.
// salsa generates undocumented constructors and getters for the structs below.
#![allow(missing_docs)]

use crate::check::{CheckedRule, Mode, check_rule};
use crate::corpus::{Rule, read_corpus};
use crate::diagnostic::{Diagnostic, FileId};
use crate::ir::Program;
use crate::program::{ProgramHeader, assemble};
use crate::relocate::Relocate;
use crate::schema::{EngineSchema, read_schema};
use std::sync::{Arc, Mutex};

/// A source file given to the pipeline.
#[salsa::input]
pub struct SourceText {
    /// Its id in the caller's [`crate::diagnostic::SourceMap`].
    #[returns(copy)]
    pub file: FileId,
    /// Its text.
    #[returns(ref)]
    pub text: String,
}

/// How to compile.
#[salsa::input]
pub struct Settings {
    /// Compatibility mode: no schema, paths as written, declared values only.
    #[returns(copy)]
    pub compat: bool,
    /// The engine version to select rules for (`versions:`); default: the corpus's own.
    #[returns(ref)]
    pub engine_version: Option<String>,
    /// The engine schema (ignored in compatibility mode).
    #[returns(copy)]
    pub schema: Option<SourceText>,
}

/// One rule of a corpus, with spans relative to the rule's first byte.
#[salsa::tracked(debug)]
pub struct RuleItem<'db> {
    /// The corpus file.
    #[returns(copy)]
    pub file: FileId,
    /// The rule id (the item's identity, with its position among equal ids).
    #[returns(ref)]
    pub id: String,
    /// The engine version rules are selected for.
    #[returns(ref)]
    pub engine_version: String,
    /// The rule, spans relative to `offset`.
    #[tracked]
    #[returns(ref)]
    pub rule: Rule,
    /// Byte offset of the rule in its file.
    #[tracked]
    #[returns(copy)]
    pub offset: u32,
}

/// The envelope facts the rest of the pipeline needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Envelope {
    /// `engine`.
    pub engine: String,
    /// `engine_version` (empty when absent).
    pub engine_version: String,
}

/// A parsed corpus: envelope, rule items and the reader's diagnostics.
#[derive(Clone, Debug, PartialEq, salsa::SalsaValue)]
pub struct ParsedCorpus<'db> {
    /// The envelope, when the file was readable at all.
    pub envelope: Option<Envelope>,
    /// The rules in file order.
    pub rules: Vec<RuleItem<'db>>,
    /// Problems found while reading.
    pub diagnostics: Vec<Diagnostic>,
}

/// A parsed engine schema and its diagnostics.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedSchema {
    /// The schema, when readable.
    pub schema: Option<EngineSchema>,
    /// Problems found while reading.
    pub diagnostics: Vec<Diagnostic>,
}

/// The result of compiling a corpus.
#[derive(Clone, Debug, PartialEq)]
pub struct Compiled {
    /// The program (also produced when there are errors, for inspection; never write it then).
    pub program: Option<Program>,
    /// Every diagnostic, in file order per stage.
    pub diagnostics: Vec<Diagnostic>,
}

impl Compiled {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Reads a corpus into rule items.
#[salsa::tracked(returns(ref))]
pub fn parse_corpus<'db>(db: &'db dyn salsa::Database, source: SourceText) -> ParsedCorpus<'db> {
    let (corpus, diagnostics) = read_corpus(source.file(db), source.text(db));
    let Some(corpus) = corpus else {
        return ParsedCorpus {
            envelope: None,
            rules: Vec::new(),
            diagnostics,
        };
    };
    let envelope = Envelope {
        engine: corpus.engine.value.clone(),
        engine_version: corpus
            .engine_version
            .as_ref()
            .map(|v| v.value.clone())
            .unwrap_or_default(),
    };
    let rules = corpus
        .rules
        .into_iter()
        .map(|mut rule| {
            let offset = rule.span.start;
            rule.relocate(-i64::from(offset));
            RuleItem::new(
                db,
                corpus.file,
                rule.id.value.clone(),
                envelope.engine_version.clone(),
                rule,
                offset,
            )
        })
        .collect();
    ParsedCorpus {
        envelope: Some(envelope),
        rules,
        diagnostics,
    }
}

/// Reads the engine schema named by the settings.
#[salsa::tracked(returns(ref))]
pub fn parse_schema(db: &dyn salsa::Database, settings: Settings) -> ParsedSchema {
    match settings.schema(db) {
        Some(source) if !settings.compat(db) => {
            let (schema, diagnostics) = read_schema(source.file(db), source.text(db));
            ParsedSchema {
                schema,
                diagnostics,
            }
        }
        _ => ParsedSchema {
            schema: None,
            diagnostics: Vec::new(),
        },
    }
}

/// Checks one rule (spans in the result are relative to the rule's start).
#[salsa::tracked(returns(ref))]
pub fn checked_rule<'db>(
    db: &'db dyn salsa::Database,
    item: RuleItem<'db>,
    settings: Settings,
) -> CheckedRule {
    let schema = parse_schema(db, settings);
    let mode = match (&schema.schema, settings.compat(db)) {
        (Some(schema), false) => Mode::Schema(schema),
        _ => Mode::Compat,
    };
    let version = settings
        .engine_version(db)
        .clone()
        .unwrap_or_else(|| item.engine_version(db).clone());
    check_rule(item.file(db), mode, &version, item.rule(db))
}

/// Compiles a corpus into a program with every diagnostic.
#[salsa::tracked(returns(ref))]
pub fn compile(db: &dyn salsa::Database, source: SourceText, settings: Settings) -> Compiled {
    let parsed = parse_corpus(db, source);
    let mut diagnostics = parsed.diagnostics.clone();
    let schema = parse_schema(db, settings);
    diagnostics.extend(schema.diagnostics.iter().cloned());
    let Some(envelope) = &parsed.envelope else {
        return Compiled {
            program: None,
            diagnostics,
        };
    };
    if !settings.compat(db) {
        match &schema.schema {
            None if settings.schema(db).is_none() => diagnostics.push(
                Diagnostic::error("E304", format!("no engine schema for `{}`", envelope.engine))
                    .with_help("pass `--schema engines/<engine>/schema.yaml`, or `--compat` for a corpus with absolute config paths"),
            ),
            Some(schema) if schema.engine != envelope.engine => diagnostics.push(
                Diagnostic::error("E304", format!("the corpus is for `{}` but the schema is for `{}`", envelope.engine, schema.engine))
                    .with_help(format!("use engines/{}/schema.yaml", envelope.engine)),
            ),
            _ => {}
        }
    }
    let mut checked = Vec::with_capacity(parsed.rules.len());
    for item in &parsed.rules {
        let mut rule = checked_rule(db, *item, settings).clone();
        let offset = i64::from(item.offset(db));
        rule.diagnostics.relocate(offset);
        rule.id_span = {
            let mut s = rule.id_span;
            crate::relocate::Relocate::relocate(&mut s, offset);
            s
        };
        diagnostics.extend(rule.diagnostics.iter().cloned());
        checked.push(rule);
    }
    let engine_version = settings
        .engine_version(db)
        .clone()
        .unwrap_or_else(|| envelope.engine_version.clone());
    let fingerprint = fingerprint(
        source.text(db),
        settings
            .schema(db)
            .filter(|_| !settings.compat(db))
            .map(|s| s.text(db).as_str()),
        &engine_version,
        settings.compat(db),
    );
    let header = ProgramHeader {
        engine: envelope.engine.clone(),
        engine_version,
        compat: settings.compat(db),
        fingerprint,
    };
    let (program, lints) = assemble(source.file(db), header, &checked);
    diagnostics.extend(lints);
    Compiled {
        program: Some(program),
        diagnostics,
    }
}

/// Fingerprint of everything a program depends on.
pub fn fingerprint(
    corpus: &str,
    schema: Option<&str>,
    engine_version: &str,
    compat: bool,
) -> String {
    let mut hasher = blake3::Hasher::new();
    for part in [
        corpus,
        schema.unwrap_or(""),
        engine_version,
        if compat { "compat" } else { "schema" },
    ] {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.finalize().to_hex().to_string()
}

/// The salsa database.
#[salsa::db]
#[derive(Clone)]
pub struct Database {
    storage: salsa::Storage<Self>,
    executions: Arc<Mutex<Option<Vec<String>>>>,
}

impl Default for Database {
    fn default() -> Self {
        let executions: Arc<Mutex<Option<Vec<String>>>> = Arc::default();
        let log = executions.clone();
        let storage = salsa::Storage::new(Some(Box::new(move |event: salsa::Event| {
            if let salsa::EventKind::WillExecute { database_key } = event.kind
                && let Ok(mut guard) = log.lock()
                && let Some(entries) = guard.as_mut()
            {
                entries.push(format!("{database_key:?}"));
            }
        })));
        Database {
            storage,
            executions,
        }
    }
}

impl Database {
    /// Starts recording which queries execute (for tests of incrementality).
    pub fn record_executions(&self) {
        if let Ok(mut guard) = self.executions.lock() {
            guard.get_or_insert_with(Vec::new);
        }
    }

    /// The queries executed since the last call (each as `query(id)`).
    pub fn take_executions(&self) -> Vec<String> {
        self.executions
            .lock()
            .map(|mut g| g.as_mut().map(std::mem::take).unwrap_or_default())
            .unwrap_or_default()
    }
}

#[salsa::db]
impl salsa::Database for Database {}
