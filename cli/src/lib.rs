//! The llemc command-line tools. The binaries are thin: each command is a function over
//! arguments and output streams, so tests drive them in-process.

pub mod backend;
pub mod embedded;
pub mod exit;
pub mod llem;
pub mod llemc;
pub mod output;
pub mod session;
