//! The llemc rule compiler: corpus reading, engine schemas, checking, lowering to the typed IR.

pub mod artifact;
pub mod atomic_write;
pub mod canon;
pub mod check;
pub mod corpus;
pub mod db;
pub mod diagnostic;
pub mod ir;
pub mod ir_print;
pub mod program;
pub mod relocate;
pub mod schema;
pub mod schema_write;
pub mod template;
pub mod types;
pub mod value;
pub mod versions;
pub mod yaml;
pub mod yaml_out;
