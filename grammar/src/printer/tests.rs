#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::ast::*;
use crate::{parse_predicate, print_expr, print_operand, strip_spans};

/// Parses, prints, and checks the printed text re-parses to the same tree.
fn canon(src: &str) -> String {
    let mut first = parse_predicate(src).unwrap();
    let printed = print_expr(&first);
    let mut second = parse_predicate(&printed).unwrap_or_else(|e| panic!("{printed:?}: {e}"));
    strip_spans(&mut first);
    strip_spans(&mut second);
    assert_eq!(first, second, "{src:?} printed as {printed:?}");
    printed
}

fn o(kind: OperandKind) -> Operand {
    Operand {
        kind,
        span: Span::default(),
    }
}

#[test]
fn canonical_text() {
    for (src, expected) in [
        ("a==1", "a == 1"),
        ("a equals 1", "a == 1"),
        ("a not_equal 1", "a != 1"),
        (
            "a present and (b absent or c is not null)",
            "a present and (b absent or c is not null)",
        ),
        (
            "(a present and b absent) or c is true",
            "a present and b absent or c is true",
        ),
        (
            "(a present and b present) and c present",
            "(a present and b present) and c present",
        ),
        (
            "a present and (b present and c present)",
            "a present and (b present and c present)",
        ),
        (
            "(a present or b present) or c present",
            "(a present or b present) or c present",
        ),
        ("not (a present)", "not a present"),
        (
            "not (a present or b present)",
            "not (a present or b present)",
        ),
        ("not not a present", "not not a present"),
        ("((a + b) * (c - d)) % 2 == 0", "(a + b) * (c - d) % 2 == 0"),
        ("a - (b - c) > 0", "a - (b - c) > 0"),
        ("(a - b) - c > 0", "a - b - c > 0"),
        ("a * (b % c) > 0", "a * (b % c) > 0"),
        ("-(a + b) > -(3)", "-(a + b) > - 3"),
        ("- 3 > - 1.5", "- 3 > - 1.5"),
        ("--x > -(-3)", "--x > - -3"),
        ("x - - 3 > x - -3", "x - - 3 > x - -3"),
        ("a - -3 > 0", "a - -3 > 0"),
        (
            "len( [ 1 , 'x' , ] ) in [ @a.b, null, true ]",
            "len([1, \"x\"]) in [@a.b, null, true]",
        ),
        ("x == 1.0", "x == 1.0"),
        ("x == 1e300", "x == 1e300"),
        ("x == 2.5E+10", "x == 25000000000.0"),
        ("x == -0.0", "x == -0.0"),
        ("x == 'it\\'s \"q\"'", r#"x == "it's \"q\"""#),
        ("x == '\\n\\t\\r\\0\\\\'", r#"x == "\n\t\r\0\\""#),
        ("x == '\\u{7f}\\u{1b}é'", "x == \"\\u{7f}\\u{1b}é\""),
    ] {
        assert_eq!(canon(src), expected, "{src:?}");
    }
}

#[test]
fn floats_keep_their_exact_value() {
    for v in [
        0.1,
        1.0 / 3.0,
        f64::MAX,
        f64::MIN_POSITIVE,
        5e-324,
        -1e-7,
        1e16,
        123456789.125,
        -0.0,
    ] {
        let expr = Expr {
            kind: ExprKind::Compare {
                lhs: o(OperandKind::Field(FieldPath::parse_dotted("x"))),
                op: CompareOp::Eq,
                rhs: o(OperandKind::Literal(Literal::Float(v))),
            },
            span: Span::default(),
        };
        let text = print_expr(&expr);
        let back = parse_predicate(&text).unwrap();
        let ExprKind::Compare { rhs, .. } = back.kind else {
            panic!()
        };
        let OperandKind::Literal(Literal::Float(w)) = rhs.kind else {
            panic!("{text}")
        };
        assert_eq!(v.to_bits(), w.to_bits(), "{text}");
    }
}

#[test]
fn print_operand_and_display() {
    let neg_lit = o(OperandKind::Neg(Box::new(o(OperandKind::Literal(
        Literal::Int(3),
    )))));
    assert_eq!(print_operand(&neg_lit), "- 3");
    assert_eq!(neg_lit.to_string(), "- 3");
    let e = parse_predicate("a>1").unwrap();
    assert_eq!(e.to_string(), "a > 1");
}

#[test]
fn deep_trees_built_by_code_do_not_overflow() {
    // 100,000 nested `not`s: printing and stripping use explicit stacks.
    let mut expr = parse_predicate("a present").unwrap();
    for _ in 0..100_000 {
        expr = Expr {
            kind: ExprKind::Not(Box::new(expr)),
            span: Span::new(1, 2),
        };
    }
    let text = print_expr(&expr);
    assert_eq!(text.len(), "not ".len() * 100_000 + "a present".len());
    strip_spans(&mut expr);
    assert_eq!(expr.span, Span::default());
    // Dropping a 100,000-deep Box chain recursively would overflow a test thread: unwind it.
    let mut cur = expr;
    while let ExprKind::Not(inner) = cur.kind {
        cur = *inner;
    }
}

#[test]
fn printing_never_adds_nesting_levels() {
    // Found by the fuzzer: `- 0` printed as `-(0)` added a level beyond the limit.
    let src = format!("x > {}{}- 0", "- ".repeat(62), "-");
    canon(&src);
    let src = "-(a) - (-b) > 0";
    assert_eq!(canon(src), "-a - -b > 0");
    // Redundant parentheses in the source may split chains; the printer joins them.
    let half = vec!["x"; 32].join(" + ");
    canon(&format!("({half}) + ({half}) > 0"));
}
