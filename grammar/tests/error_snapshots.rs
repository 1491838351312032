//! Snapshots of the syntax errors for a table of bad predicates, each rendered with a caret line
//! under the input.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use llemc_grammar::{SyntaxError, parse_predicate};

/// Renders an error as the input, a caret line under the offending text, and the help.
fn render(src: &str, err: &SyntaxError) -> String {
    let start = err.span.start as usize;
    let end = (err.span.end as usize).max(start);
    let col = src[..start].chars().count();
    let width = src[start..end].chars().count().max(1);
    let mut out = format!(
        "  | {src}\n  | {}{} {}\n  = span {}..{}",
        " ".repeat(col),
        "^".repeat(width),
        err.message,
        err.span.start,
        err.span.end
    );
    if let Some(help) = &err.help {
        out.push_str(&format!("\n  = help: {help}"));
    }
    out
}

const CASES: [(&str, &str); 31] = [
    ("empty", "   "),
    ("value_after_cmp", "num_beams >"),
    ("value_after_word_op", "x not_in"),
    ("value_after_arith", "max_new_tokens + > 1"),
    ("operator_after_field", "num_beams 4"),
    ("operator_after_len", "len(stop_strings)"),
    ("not_in_hint", "x not in [1, 2]"),
    (
        "unclosed_paren",
        "do_sample is false and (temperature != 1.0",
    ),
    ("unclosed_bracket", "x in [\"a\", \"b\""),
    ("unexpected_rparen", "top_p < 1.0)"),
    ("empty_parens", "x > 1 and ()"),
    ("unterminated_string", "x == \"static"),
    ("unknown_escape", "x == 'a\\qb'"),
    ("bad_unicode_escape", "x == \"\\u{110000}\""),
    ("is_target", "x is 0"),
    ("is_not_target", "x is not none"),
    ("and_trailing", "x present and"),
    ("or_leading", "or x present"),
    ("keyword_field", "present > 1"),
    ("keyword_in_path", "config.in.x present"),
    ("int_out_of_range", "x > 18446744073709551616"),
    ("float_out_of_range", "x > -1e400"),
    ("invalid_number", "x > 1_000"),
    ("single_equals", "num_beams = 1"),
    ("double_ampersand", "a present && b present"),
    ("chained_comparison", "0 < x < 10"),
    ("missing_join", "a present b present"),
    ("list_separator", "x in [1 2]"),
    (
        "arith_chain_too_long",
        "x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x + x > 0",
    ),
    ("len_without_paren", "len stop_strings > 0"),
    (
        "too_deep",
        "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((x present)))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))",
    ),
];

#[test]
fn syntax_error_snapshots() {
    for (name, src) in CASES {
        let err = match parse_predicate(src) {
            Ok(expr) => panic!("{name}: {src:?} parsed as {expr:?}"),
            Err(err) => err,
        };
        insta::assert_snapshot!(name, render(src, &err), src);
    }
}
