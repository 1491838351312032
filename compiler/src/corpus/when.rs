//! The textual spelling of a predicate in a corpus (`when:`): parsing it with the grammar and
//! moving every span from the string into the file, through the scalar's quoting and escapes.

use crate::diagnostic::{Diagnostic, FileId};
use crate::yaml::{Node, string_offsets};
use llemc_grammar::ast::{Expr, ExprKind, Operand, OperandKind, Span};

/// Parses the `when:` string `node` of `rule` (e.g. "rule `x`"); spans of the result (or of the
/// `E001` syntax error) point into `source`.
#[allow(clippy::result_large_err)]
pub fn parse_when(file: FileId, source: &str, node: &Node, rule: &str) -> Result<Expr, Diagnostic> {
    let Some(text) = node.as_str() else {
        let found = node.kind_name();
        return Err(Diagnostic::error(
            "E202",
            format!("`when` of {rule} must be a string, found {found}"),
        )
        .with_primary(file, node.span, format!("this is {found}")));
    };
    let offsets = string_offsets(node, source);
    let map = |span: Span| map_span(span, &offsets, source, node.span);
    match parse_text(text) {
        Ok(mut expr) => {
            shift_expr(&mut expr, &map);
            Ok(expr)
        }
        Err(err) => {
            let mut diagnostic = Diagnostic::error(
                "E001",
                format!(
                    "syntax error in the `when` predicate of {rule}: {}",
                    err.message
                ),
            )
            .with_primary(file, map(err.span), err.message.clone());
            if let Some(help) = err.help {
                diagnostic = diagnostic.with_help(help);
            }
            Err(diagnostic)
        }
    }
}

/// The grammar's entry point, kept behind one function.
fn parse_text(text: &str) -> Result<Expr, llemc_grammar::SyntaxError> {
    llemc_grammar::parse_predicate(text)
}

/// Moves a span inside the decoded string to the file, through `offsets` (one per decoded byte).
fn map_span(span: Span, offsets: &[u32], source: &str, node_span: Span) -> Span {
    let after = |at: u32| -> u32 {
        let width = source
            .get(at as usize..)
            .and_then(|s| s.chars().next())
            .map(char::len_utf8)
            .unwrap_or(0);
        at.saturating_add(u32::try_from(width).unwrap_or(0))
    };
    let position = |index: u32| -> u32 {
        match offsets.get(index as usize) {
            Some(&at) => at,
            None => match offsets.last() {
                Some(&last) => after(last),
                None => node_span.start,
            },
        }
    };
    let start = position(span.start);
    let end = if span.end <= span.start {
        start
    } else {
        match span
            .end
            .checked_sub(1)
            .and_then(|i| offsets.get(i as usize))
        {
            Some(&last) => after(last),
            None => position(span.end),
        }
    };
    Span {
        start,
        end: end.max(start),
    }
}

fn shift_expr(expr: &mut Expr, map: &impl Fn(Span) -> Span) {
    expr.span = map(expr.span);
    match &mut expr.kind {
        ExprKind::Or(items) | ExprKind::And(items) => {
            items.iter_mut().for_each(|e| shift_expr(e, map))
        }
        ExprKind::Not(inner) => shift_expr(inner, map),
        ExprKind::Compare { lhs, rhs, .. } => {
            shift_operand(lhs, map);
            shift_operand(rhs, map);
        }
        ExprKind::Presence { operand, .. } | ExprKind::Is { operand, .. } => {
            shift_operand(operand, map)
        }
    }
}

fn shift_operand(operand: &mut Operand, map: &impl Fn(Span) -> Span) {
    operand.span = map(operand.span);
    match &mut operand.kind {
        OperandKind::Field(_) | OperandKind::Ref(_) | OperandKind::Literal(_) => {}
        OperandKind::List(items) => items.iter_mut().for_each(|o| shift_operand(o, map)),
        OperandKind::Len(inner) | OperandKind::Neg(inner) => shift_operand(inner, map),
        OperandKind::Arith { lhs, rhs, .. } => {
            shift_operand(lhs, map);
            shift_operand(rhs, map);
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::result_large_err
)]
mod tests {
    use super::*;
    use crate::yaml::parse_yaml;

    fn when(text: &str) -> Result<Expr, Diagnostic> {
        let node = parse_yaml(FileId(0), text).unwrap();
        parse_when(FileId(0), text, node.get("when").unwrap(), "rule `r`")
    }

    #[test]
    fn spans_land_in_the_file() {
        for text in [
            "when: num_beams > 1 and x present\n",
            "when: 'num_beams > 1 and x present'\n",
            "when: \"num_beams > 1 and x present\"\n",
            "when: |\n  num_beams > 1\n  and x present\n",
            "when: >\n  num_beams > 1\n  and x present\n",
            "when: num_beams > 1\n  and x present\n",
        ] {
            let expr = when(text).unwrap();
            let ExprKind::And(items) = &expr.kind else {
                panic!("{expr:?}")
            };
            assert_eq!(&text[items[0].span.range()], "num_beams > 1", "{text:?}");
            assert_eq!(&text[items[1].span.range()], "x present", "{text:?}");
        }
    }

    #[test]
    fn errors_land_on_the_right_byte() {
        // The error is at the `)` in every spelling.
        for text in [
            "when: a > 1 )\n",
            "when: 'a > 1 )'\n",
            "when: \"a \\u003E 1 )\"\n",
            "when: |\n  a > 1\n  )\n",
        ] {
            let d = when(text).unwrap_err();
            assert_eq!(d.code, "E001");
            let span = d.primary.unwrap().span;
            assert_eq!(
                &text[span.start as usize..span.start as usize + 1],
                ")",
                "{text:?} {}",
                d.message
            );
        }
        let d = when("when: 3\n").unwrap_err();
        assert_eq!(d.code, "E202");
    }
}
