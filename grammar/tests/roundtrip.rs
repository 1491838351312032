//! Property tests: printing a random tree and parsing it back gives the same tree; parsing
//! never panics, whatever the input.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use llemc_grammar::ast::*;
use llemc_grammar::{parse_predicate, print_expr, strip_spans};
use proptest::prelude::*;

const KEYWORDS: [&str; 18] = [
    "and",
    "or",
    "not",
    "in",
    "not_in",
    "is",
    "null",
    "true",
    "false",
    "present",
    "absent",
    "len",
    "equals",
    "not_equal",
    "type_is",
    "type_is_not",
    "divisible_by",
    "not_divisible_by",
];

fn config() -> ProptestConfig {
    // Modest by default so the suite stays fast; `PROPTEST_CASES=100000` for a longer run.
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z_][a-zA-Z0-9_]{0,6}",
        // names that start like keywords but are not keywords
        prop::sample::select(vec![
            "index", "notes", "nothing", "or_else", "is_set", "lens", "null_ok"
        ])
        .prop_map(str::to_owned),
    ]
    .prop_filter("keyword", |s| !KEYWORDS.contains(&s.as_str()))
}

fn path() -> impl Strategy<Value = FieldPath> {
    prop::collection::vec(segment(), 1..4).prop_map(|segments| FieldPath { segments })
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\"'\\\\a-z \\n\\t\\r\\u{0}\\u{1}\\u{7f}\\u{85}é😀{}u]{0,12}",
    ]
}

fn literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        Just(Literal::Null),
        any::<bool>().prop_map(Literal::Bool),
        any::<i64>().prop_map(Literal::Int),
        prop_oneof![-5i64..5, Just(i64::MIN), Just(i64::MAX)].prop_map(Literal::Int),
        any::<f64>()
            .prop_filter("finite", |v| v.is_finite())
            .prop_map(Literal::Float),
        prop_oneof![
            Just(0.0),
            Just(-0.0),
            Just(1.0),
            Just(-1.5),
            Just(1e300),
            Just(5e-324)
        ]
        .prop_map(Literal::Float),
        text().prop_map(Literal::Str),
    ]
}

fn op(kind: OperandKind) -> Operand {
    Operand {
        kind,
        span: Span::default(),
    }
}

fn operand() -> impl Strategy<Value = Operand> {
    let leaf = prop_oneof![
        path().prop_map(|p| op(OperandKind::Field(p))),
        path().prop_map(|p| op(OperandKind::Ref(p))),
        literal().prop_map(|l| op(OperandKind::Literal(l))),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| op(OperandKind::List(v))),
            inner
                .clone()
                .prop_map(|x| op(OperandKind::Len(Box::new(x)))),
            inner
                .clone()
                .prop_map(|x| op(OperandKind::Neg(Box::new(x)))),
            (
                prop::sample::select(vec![ArithOp::Add, ArithOp::Sub, ArithOp::Mul, ArithOp::Mod]),
                inner.clone(),
                inner,
            )
                .prop_map(|(o, l, r)| op(OperandKind::Arith {
                    op: o,
                    lhs: Box::new(l),
                    rhs: Box::new(r)
                })),
        ]
    })
}

fn ex(kind: ExprKind) -> Expr {
    Expr {
        kind,
        span: Span::default(),
    }
}

fn expr() -> impl Strategy<Value = Expr> {
    let target = prop::sample::select(vec![IsTarget::Null, IsTarget::True, IsTarget::False]);
    let leaf = prop_oneof![
        (
            operand(),
            prop::sample::select(CompareOp::ALL.to_vec()),
            operand()
        )
            .prop_map(|(lhs, op, rhs)| ex(ExprKind::Compare { lhs, op, rhs })),
        (operand(), any::<bool>())
            .prop_map(|(operand, present)| ex(ExprKind::Presence { operand, present })),
        (operand(), any::<bool>(), target).prop_map(|(operand, negated, target)| ex(
            ExprKind::Is {
                operand,
                negated,
                target
            }
        )),
    ];
    leaf.prop_recursive(4, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(|v| ex(ExprKind::Or(v))),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|v| ex(ExprKind::And(v))),
            inner.prop_map(|x| ex(ExprKind::Not(Box::new(x)))),
        ]
    })
}

/// Checks that every span of a parsed tree is inside the text and on char boundaries.
fn check_spans(src: &str, expr: &Expr) {
    let printed = format!("{expr:?}");
    // Cheap but thorough enough: the top span, and the debug text has only in-range spans.
    assert!(src.get(expr.span.range()).is_some(), "{src:?}: {printed}");
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn print_then_parse_gives_the_same_tree(tree in expr()) {
        let text = print_expr(&tree);
        let mut back = match parse_predicate(&text) {
            Ok(back) => back,
            Err(e) => return Err(TestCaseError::fail(format!("{text:?}: {e}"))),
        };
        check_spans(&text, &back);
        strip_spans(&mut back);
        prop_assert_eq!(&back, &tree, "printed as {:?}", text);
        // Printing is canonical: printing again gives the same text.
        prop_assert_eq!(print_expr(&back), text);
    }

    #[test]
    fn parse_never_panics_on_arbitrary_text(src in any::<String>()) {
        let _ = parse_predicate(&src);
    }

    #[test]
    fn parse_never_panics_on_token_soup(
        tokens in prop::collection::vec(
            prop::sample::select(vec![
                "(", ")", "[", "]", ",", "+", "-", "*", "%", "==", "!=", "<", "<=", ">", ">=",
                "=", "!", "@", ".", "and", "or", "not", "in", "not_in", "is", "null", "true",
                "false", "present", "absent", "len", "equals", "not_equal", "type_is",
                "type_is_not", "divisible_by", "not_divisible_by", "x", "a.b", "@y", "@a.b", "1",
                "-3", "1.5", "-1e3", "1e999", "99999999999999999999", "\"s\"", "'t'", "\"",
                "'\\u{41}'", "\"\\q\"", "é", " ", "\n",
            ]),
            0..24,
        ),
        glue in prop::sample::select(vec!["", " "]),
    ) {
        let src = tokens.join(glue);
        match parse_predicate(&src) {
            Ok(tree) => {
                check_spans(&src, &tree);
                // Whatever parses also round-trips through the printer.
                let text = print_expr(&tree);
                let mut back = parse_predicate(&text)
                    .map_err(|e| TestCaseError::fail(format!("{src:?} -> {text:?}: {e}")))?;
                let mut tree = tree;
                strip_spans(&mut tree);
                strip_spans(&mut back);
                prop_assert_eq!(back, tree);
            }
            Err(e) => {
                prop_assert!(e.span.start <= e.span.end);
                prop_assert!(src.get(e.span.range()).is_some(), "{:?}: {:?}", src, e);
                prop_assert!(!e.message.is_empty());
                // Rule names never leak into messages.
                for leak in ["or_expr", "and_expr", "condition", "paren_", "cmp_op", "_kw", "EOI", "operand", "primary"] {
                    prop_assert!(!e.message.contains(leak), "{:?}: {}", src, e.message);
                }
            }
        }
    }
}
