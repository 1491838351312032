//! Walking one landmark method: detectors (raise, assert, warnings, logger, minor issues,
//! conditional normalisation) and the translation of the conditions that reach each site.

use super::fields::TypeInfo;
use super::pred::{Ident, Lit, Operand, Pred};
use super::resolve::Modules;
use crate::python::Module;
use crate::python::ast::{Expr, Stmt};
use llemc_compiler::types::Kinds;
use llemc_mining::ssot::Assumption;
use std::collections::{BTreeMap, BTreeSet, HashMap};

mod conditions;
mod messages;
mod type_error;
mod values;
mod walk;

/// Which detector found a site.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Detector {
    /// `raise` under a condition.
    Raise,
    /// `assert`.
    Assert,
    /// `warnings.warn(...)`.
    WarningsWarn,
    /// `logger.warning(...)` / `logger.warn(...)`.
    LoggerWarning,
    /// `logger.warning_once(...)`.
    LoggerWarningOnce,
    /// `minor_issues[field] = ...`.
    MinorIssue,
    /// `self.field = value` under a condition.
    Normalise,
    /// An ordering comparison of a field with a number in a condition: Python raises a TypeError
    /// there when the field holds a string.
    ImplicitTypeError,
}

impl Detector {
    /// Name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Detector::Raise => "raise",
            Detector::Assert => "assert",
            Detector::WarningsWarn => "warnings_warn",
            Detector::LoggerWarning => "logger_warning",
            Detector::LoggerWarningOnce => "logger_warning_once",
            Detector::MinorIssue => "minor_issues",
            Detector::Normalise => "normalise",
            Detector::ImplicitTypeError => "implicit_type_error",
        }
    }

    /// (severity, outcome, emission channel).
    pub fn outcome(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Detector::Raise | Detector::Assert | Detector::ImplicitTypeError => {
                ("error", "error", "runtime_exception")
            }
            Detector::WarningsWarn => ("warn", "warn", "warnings_warn"),
            Detector::LoggerWarning => ("warn", "warn", "logger_warning"),
            Detector::LoggerWarningOnce => ("warn", "warn", "logger_warning_once"),
            Detector::MinorIssue => ("dormant", "dormant_announced", "minor_issues_dict"),
            Detector::Normalise => ("dormant", "dormant_silent", "none"),
        }
    }
}

/// A site found in a landmark.
#[derive(Clone, Debug)]
pub struct Site {
    /// Detector.
    pub detector: Detector,
    /// 1-based line of the site statement.
    pub line: u32,
    /// The condition under which the site is reached (not yet simplified).
    pub when: Pred,
    /// Message template and whether it was fully rendered.
    pub message: Option<(String, bool)>,
    /// The field the site is about.
    pub subject: Option<String>,
    /// `field → normalised value` for normalisation sites; `Err(source)` when the value is not
    /// a literal.
    pub normalised: Option<(String, Result<Lit, String>)>,
    /// Source text of the site statement (first line), for opaque reports.
    pub source: String,
    /// A normalisation in a dataclass's `__post_init__` whose value is computed from the field's
    /// own value (`self.stop = [self.stop]`): the user's value kept in another form, a rule even
    /// though the new value is not a literal.
    pub reshaped: bool,
}

/// A translated value.
#[derive(Clone, Debug, PartialEq)]
enum V {
    Field(String),
    Lit(Lit),
    Operand(Operand),
    Pred(Pred),
    Class(String),
    Opaque(String),
}

#[derive(Clone, Debug, PartialEq)]
enum Binding {
    Expr(Expr),
    Value(V),
}

/// Everything one walk needs.
pub struct Walker<'a> {
    /// Parsed modules.
    pub modules: &'a mut Modules,
    /// Dotted name of the module holding the class.
    pub module_name: String,
    /// The module.
    pub module: &'a Module,
    /// The native type.
    pub info: &'a TypeInfo,
    /// Whether the method is the class's `__init__` (parameters are the user's kwargs).
    pub is_init: bool,
    /// The method's name.
    pub method: String,
    /// Assumed calls.
    pub assume: &'a BTreeMap<String, Assumption>,
    /// Name of the minor-issues dict.
    pub minor_issues: Option<&'a str>,
    /// Field kinds used for truthiness (from the previous pass; empty on the first).
    pub kinds: &'a HashMap<String, Kinds>,
    /// Observed literal kinds per field (filled while translating).
    pub usage: &'a mut HashMap<String, Kinds>,
    /// Class names seen in `isinstance` per field.
    pub usage_classes: &'a mut HashMap<String, BTreeSet<String>>,
    /// Fields named only through `hasattr(self, name)`.
    pub hasattr_fields: &'a mut BTreeSet<String>,
    /// Sites found.
    pub sites: Vec<Site>,
    /// Methods of the class that are landmarks themselves: a call to one is not walked in place.
    pub landmarks: BTreeSet<String>,
    /// Environment variables read through the library's settings module (`envs.NAME`), with
    /// the value conditions are translated with (the SSOT's `environment:`).
    pub environment: BTreeMap<String, Lit>,
    /// Exception classes whose `str()` appends keyword arguments (the SSOT's `exceptions:`).
    pub message_keywords: BTreeMap<String, Vec<String>>,
    env: HashMap<String, Binding>,
    depth: u32,
    /// Fields the walked code has reassigned so far, each with the condition it was reassigned
    /// under: a later check reads the user's value only where that condition does not hold.
    rewrites: Vec<(String, Pred)>,
    /// The methods being walked in place (`self.m()` calls), innermost last.
    inlined: Vec<String>,
    /// Ordering comparisons written with the number first (`0 < self.x`), by field and the
    /// operator of their translation (`x > 0`): Python's TypeError names the operands in the
    /// order written.
    number_first: BTreeSet<(String, crate::pred::Op)>,
}

const BUILTIN_TYPES: [&str; 8] = [
    "bool", "int", "float", "str", "list", "tuple", "dict", "set",
];

impl<'a> Walker<'a> {
    /// A walker over one method.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        modules: &'a mut Modules,
        module_name: String,
        module: &'a Module,
        info: &'a TypeInfo,
        method: &str,
        assume: &'a BTreeMap<String, Assumption>,
        minor_issues: Option<&'a str>,
        kinds: &'a HashMap<String, Kinds>,
        usage: &'a mut HashMap<String, Kinds>,
        usage_classes: &'a mut HashMap<String, BTreeSet<String>>,
        hasattr_fields: &'a mut BTreeSet<String>,
    ) -> Self {
        Walker {
            modules,
            module_name,
            module,
            info,
            is_init: method == "__init__",
            method: method.to_owned(),
            assume,
            minor_issues,
            kinds,
            usage,
            usage_classes,
            hasattr_fields,
            sites: Vec::new(),
            landmarks: BTreeSet::new(),
            environment: BTreeMap::new(),
            message_keywords: BTreeMap::new(),
            env: HashMap::new(),
            depth: 0,
            rewrites: Vec::new(),
            inlined: Vec::new(),
            number_first: BTreeSet::new(),
        }
    }

    fn text(&self, e: &Expr) -> String {
        self.module
            .expr_text(e)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn stmt_text(&self, s: &Stmt) -> String {
        let t = self.module.text(s.start, s.end);
        t.lines().next().unwrap_or("").trim().to_owned()
    }
}

fn operand_of(v: V) -> Option<Operand> {
    match v {
        V::Field(f) => Some(Operand::Field(f)),
        V::Lit(l) => Some(Operand::Lit(l)),
        V::Operand(o) => Some(o),
        _ => None,
    }
}

fn ident_of(l: &Lit) -> Option<Ident> {
    match l {
        Lit::Null => Some(Ident::Null),
        Lit::Bool(true) => Some(Ident::True),
        Lit::Bool(false) => Some(Ident::False),
        _ => None,
    }
}

/// The kinds of a literal.
pub fn lit_kinds(l: &Lit) -> Kinds {
    match l {
        Lit::Null => Kinds::NONE,
        Lit::Bool(_) => Kinds::BOOL,
        Lit::Int(_) => Kinds::INT,
        Lit::Float(_) => Kinds::FLOAT,
        Lit::Str(_) => Kinds::STR,
        Lit::Seq(_) => Kinds::LIST,
    }
}

/// Escapes literal braces for a message template.
pub fn escape(s: &str) -> String {
    s.replace('{', "{{").replace('}', "}}")
}
