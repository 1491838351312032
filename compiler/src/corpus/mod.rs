//! Rule corpora: the model read with spans ([`model`], [`read_corpus`]), the lowering of
//! `match.fields` to the AST, the document form every pipeline stage edits ([`doc`]) and the one
//! writer that turns it into text ([`write`]).
//!
//! [`read_corpus`] checks a whole file in one pass and reports every problem it finds:
//!
//! | code | meaning |
//! |---|---|
//! | `E001` | syntax error in a `when:` predicate (located inside the string) |
//! | `E1xx` | YAML reading, see [`crate::yaml`] |
//! | `E200` | the top level is not a mapping |
//! | `E201` | a required key is missing (envelope, rule, `expected_outcome`) |
//! | `E202` | a value has the wrong type (or is empty where it must not be) |
//! | `E203` | `schema_version` is not a version number |
//! | `E204` | `schema_version` has a major other than 1 |
//! | `E205` | a value outside its closed set (severity, outcome, emission channel, added_by) |
//! | `E206` | duplicate rule id |
//! | `E207` | a rule's `engine` or `match.engine` differs from the corpus engine |
//! | `E208` | unknown operator in `match.fields` |
//! | `E209` | empty predicate (no tests, or an empty operator map) |
//! | `E210` | `in` / `not_in` operand is not a list |
//! | `E211` | an operand is a mapping |
//! | `E212` | `versions` is not a PEP 440 specifier |
//! | `E213` | a field path, reference or subject is not a dotted path |
//! | `E214` | `type_is` / `type_is_not` operand is not a type name or list of names |
//! | `E215` | unknown key inside `match` |
//! | `W201` | `present: false` / `absent: false` (the operand is ignored) |

pub mod doc;
pub mod match_fields;
pub mod model;
pub mod read;
mod suggest;
mod values;
pub mod when;
pub mod write;

pub use doc::{CorpusDoc, OutcomeDoc, RuleDoc, SourceDoc};
pub use match_fields::{OPERATOR_NAMES, lower_match_fields};
pub use model::*;
pub use read::{ADDED_BY, EMISSION_CHANNELS, OUTCOMES, SEVERITIES, STAGES, read_corpus};
pub use when::parse_when;
pub use write::{RULE_KEY_ORDER, rule_yaml, write_corpus};
