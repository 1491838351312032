//! The JSON facts `llemc_lifts.inspect_class` returns about one class.

use serde::Deserialize;

/// One declared constraint (`gt`, `ge`, `lt`, `le`, `multiple_of`, `min_length`, `max_length`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Constraint {
    /// The constraint kind.
    pub kind: String,
    /// Its bound (a finite number).
    pub value: serde_json::Value,
}

/// One constructor field.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct FieldFacts {
    /// The constructor keyword (alias if the model declares one).
    pub name: String,
    /// The annotation as Python shows it.
    #[serde(default)]
    pub annotation: String,
    /// Whether `None` is allowed.
    #[serde(default)]
    pub nullable: bool,
    /// Python type names the annotation allows (besides `None`).
    #[serde(default)]
    pub types: Vec<String>,
    /// `Literal[...]` members, if the annotation is one.
    #[serde(default)]
    pub literal: Option<Vec<serde_json::Value>>,
    /// Declared constraints.
    #[serde(default)]
    pub constraints: Vec<Constraint>,
}

/// A declaration that was not lifted.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Skipped {
    /// The field (`*` for the class).
    pub field: String,
    /// Why.
    pub reason: String,
}

/// What a class declares.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ClassFacts {
    /// `pydantic`, `msgspec`, `dataclass`, `plain`, `unavailable`.
    pub kind: String,
    /// Source file relative to its `sys.path` entry.
    #[serde(default)]
    pub path: String,
    /// Line of the class statement.
    #[serde(default)]
    pub line: Option<u32>,
    /// `construct`, `decode`, `declared_only`, `none`.
    #[serde(default)]
    pub enforced: String,
    /// Constructor fields, sorted by name.
    #[serde(default)]
    pub fields: Vec<FieldFacts>,
    /// What was not understood.
    #[serde(default)]
    pub skipped: Vec<Skipped>,
    /// Why the class could not be imported.
    #[serde(default)]
    pub error: Option<String>,
}
