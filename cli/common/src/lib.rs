//! What `llem` and `llemc` share on the command line: exit codes (`exit`), `--format` and
//! `--color` with diagnostic output (`output`), and `--backend` (`backend`).

pub mod backend;
pub mod exit;
pub mod output;
