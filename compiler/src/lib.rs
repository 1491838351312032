//! The llemc rule compiler: corpus reading, engine schemas, checking, lowering to the typed IR.

pub mod diagnostic;
pub mod corpus;
pub mod yaml;
