//! The llemc predicate language: its grammar, its AST and its pretty-printer.
//!
//! [`parse_predicate`] turns the text of a `when:` string into an [`ast::Expr`] whose nodes carry
//! byte spans; [`print_expr`] writes an expression back as text that re-parses to the same tree.
//! The textual syntax is specified in `docs/predicate-language.md`.

pub mod ast;
mod error;
mod lexer;
mod parser;
mod printer;

pub use error::SyntaxError;
pub use parser::parse_predicate;
pub use printer::{print_expr, print_operand, strip_operand_spans, strip_spans};
