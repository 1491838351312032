#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::ast::*;
use crate::{SyntaxError, parse_predicate, strip_spans};

fn parse(src: &str) -> Expr {
    let mut e = parse_predicate(src).unwrap_or_else(|e| panic!("{src:?}: {e}"));
    strip_spans(&mut e);
    e
}

fn err(src: &str) -> SyntaxError {
    match parse_predicate(src) {
        Ok(e) => panic!("{src:?} parsed: {e:?}"),
        Err(e) => e,
    }
}

fn msg(src: &str) -> String {
    err(src).message
}

fn o(kind: OperandKind) -> Operand {
    Operand {
        kind,
        span: Span::default(),
    }
}
fn e(kind: ExprKind) -> Expr {
    Expr {
        kind,
        span: Span::default(),
    }
}
fn field(p: &str) -> Operand {
    o(OperandKind::Field(FieldPath::parse_dotted(p)))
}
fn reference(p: &str) -> Operand {
    o(OperandKind::Ref(FieldPath::parse_dotted(p)))
}
fn lit(l: Literal) -> Operand {
    o(OperandKind::Literal(l))
}
fn int(v: i64) -> Operand {
    lit(Literal::Int(v))
}
fn float(v: f64) -> Operand {
    lit(Literal::Float(v))
}
fn string(s: &str) -> Operand {
    lit(Literal::Str(s.to_owned()))
}
fn arith(op: ArithOp, l: Operand, r: Operand) -> Operand {
    o(OperandKind::Arith {
        op,
        lhs: Box::new(l),
        rhs: Box::new(r),
    })
}
fn neg(x: Operand) -> Operand {
    o(OperandKind::Neg(Box::new(x)))
}
fn cmp(l: Operand, op: CompareOp, r: Operand) -> Expr {
    e(ExprKind::Compare { lhs: l, op, rhs: r })
}
fn present(x: Operand) -> Expr {
    e(ExprKind::Presence {
        operand: x,
        present: true,
    })
}

// ---- constructs ----------------------------------------------------------------------------

#[test]
fn every_compare_operator_and_alias() {
    for (text, op) in [
        ("==", CompareOp::Eq),
        ("equals", CompareOp::Eq),
        ("!=", CompareOp::Ne),
        ("not_equal", CompareOp::Ne),
        ("<", CompareOp::Lt),
        ("<=", CompareOp::Le),
        (">", CompareOp::Gt),
        (">=", CompareOp::Ge),
        ("in", CompareOp::In),
        ("not_in", CompareOp::NotIn),
        ("type_is", CompareOp::TypeIs),
        ("type_is_not", CompareOp::TypeIsNot),
        ("divisible_by", CompareOp::DivisibleBy),
        ("not_divisible_by", CompareOp::NotDivisibleBy),
    ] {
        assert_eq!(
            parse(&format!("x {text} 1")),
            cmp(field("x"), op, int(1)),
            "{text}"
        );
        // No space needed around symbols.
        if !text.chars().all(|c| c.is_ascii_alphabetic() || c == '_') {
            assert_eq!(
                parse(&format!("x{text}1")),
                cmp(field("x"), op, int(1)),
                "{text}"
            );
        }
    }
}

#[test]
fn presence_and_is() {
    assert_eq!(parse("a.b present"), present(field("a.b")));
    assert_eq!(
        parse("a absent"),
        e(ExprKind::Presence {
            operand: field("a"),
            present: false
        })
    );
    for (text, negated, target) in [
        ("is null", false, IsTarget::Null),
        ("is true", false, IsTarget::True),
        ("is false", false, IsTarget::False),
        ("is not null", true, IsTarget::Null),
        ("is not true", true, IsTarget::True),
        ("is  not\tfalse", true, IsTarget::False),
    ] {
        assert_eq!(
            parse(&format!("x {text}")),
            e(ExprKind::Is {
                operand: field("x"),
                negated,
                target
            }),
            "{text}"
        );
    }
}

#[test]
fn boolean_chains_are_flat() {
    let t = |n: &str| present(field(n));
    assert_eq!(
        parse("a present and b present and c present"),
        e(ExprKind::And(vec![t("a"), t("b"), t("c")]))
    );
    assert_eq!(
        parse("a present or b present or c present"),
        e(ExprKind::Or(vec![t("a"), t("b"), t("c")]))
    );
    // and binds tighter than or
    assert_eq!(
        parse("a present or b present and c present"),
        e(ExprKind::Or(vec![
            t("a"),
            e(ExprKind::And(vec![t("b"), t("c")]))
        ]))
    );
    // parentheses nest, they do not flatten
    assert_eq!(
        parse("(a present and b present) and c present"),
        e(ExprKind::And(vec![
            e(ExprKind::And(vec![t("a"), t("b")])),
            t("c")
        ]))
    );
    // not binds tighter than and
    assert_eq!(
        parse("not a present and b present"),
        e(ExprKind::And(vec![
            e(ExprKind::Not(Box::new(t("a")))),
            t("b")
        ]))
    );
    assert_eq!(
        parse("not not a present"),
        e(ExprKind::Not(Box::new(e(ExprKind::Not(Box::new(t("a")))))))
    );
    assert_eq!(parse("((a present))"), t("a"));
}

#[test]
fn literals() {
    let rhs = |src: &str| match parse(&format!("x == {src}")).kind {
        ExprKind::Compare { rhs, .. } => rhs,
        other => panic!("{other:?}"),
    };
    assert_eq!(rhs("null"), lit(Literal::Null));
    assert_eq!(rhs("true"), lit(Literal::Bool(true)));
    assert_eq!(rhs("false"), lit(Literal::Bool(false)));
    assert_eq!(rhs("42"), int(42));
    assert_eq!(rhs("-3"), int(-3));
    assert_eq!(rhs("9223372036854775807"), int(i64::MAX));
    assert_eq!(rhs("-9223372036854775808"), int(i64::MIN));
    assert_eq!(rhs("1.5"), float(1.5));
    assert_eq!(rhs("-1.5e3"), float(-1500.0));
    assert_eq!(rhs("1e-3"), float(0.001));
    assert_eq!(rhs("2.5E+10"), float(2.5e10));
    assert_eq!(rhs("\"a b\""), string("a b"));
    assert_eq!(rhs("'a b'"), string("a b"));
    assert_eq!(rhs(r#""q\"q\\ \'x\n\t\r\0""#), string("q\"q\\ 'x\n\t\r\0"));
    assert_eq!(rhs(r"'it\'s'"), string("it's"));
    assert_eq!(rhs(r#"'say "hi"'"#), string("say \"hi\""));
    assert_eq!(rhs(r#""\u{e9}\u{1F600}""#), string("é😀"));
    assert_eq!(rhs("\"naïve ✓\""), string("naïve ✓"));
    assert_eq!(rhs("[]"), o(OperandKind::List(vec![])));
    assert_eq!(
        rhs("[1, 'a', @y,]"),
        o(OperandKind::List(vec![int(1), string("a"), reference("y")]))
    );
    assert_eq!(
        rhs("[[1], []]"),
        o(OperandKind::List(vec![
            o(OperandKind::List(vec![int(1)])),
            o(OperandKind::List(vec![]))
        ]))
    );
}

#[test]
fn fields_and_references() {
    assert_eq!(parse("a.b_2.C present"), present(field("a.b_2.C")));
    assert_eq!(parse("@a.b present"), present(reference("a.b")));
    assert_eq!(parse("_x present"), present(field("_x")));
    // words that merely start with a keyword are fields
    for name in [
        "index",
        "nothing",
        "notes",
        "island",
        "android",
        "orange",
        "length",
        "not_in_x",
        "nullable",
        "type_is_x",
    ] {
        assert_eq!(
            parse(&format!("{name} present")),
            present(field(name)),
            "{name}"
        );
    }
}

#[test]
fn arithmetic_precedence_and_associativity() {
    use ArithOp::*;
    let lhs = |src: &str| match parse(&format!("{src} > 0")).kind {
        ExprKind::Compare { lhs, .. } => lhs,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        lhs("a + b * c"),
        arith(Add, field("a"), arith(Mul, field("b"), field("c")))
    );
    assert_eq!(
        lhs("a - b - c"),
        arith(Sub, arith(Sub, field("a"), field("b")), field("c"))
    );
    assert_eq!(
        lhs("a % b * c"),
        arith(Mul, arith(Mod, field("a"), field("b")), field("c"))
    );
    assert_eq!(
        lhs("(a + b) * c"),
        arith(Mul, arith(Add, field("a"), field("b")), field("c"))
    );
    assert_eq!(lhs("a-3"), arith(Sub, field("a"), int(3)));
    assert_eq!(lhs("a - -3"), arith(Sub, field("a"), int(-3)));
    assert_eq!(lhs("-x"), neg(field("x")));
    assert_eq!(lhs("- 3"), neg(int(3)));
    assert_eq!(lhs("-(3)"), neg(int(3)));
    assert_eq!(lhs("--x"), neg(neg(field("x"))));
    assert_eq!(lhs("-x * y"), arith(Mul, neg(field("x")), field("y")));
    assert_eq!(lhs("-(x * y)"), neg(arith(Mul, field("x"), field("y"))));
    assert_eq!(
        lhs("len(a) + len([1])"),
        arith(
            Add,
            o(OperandKind::Len(Box::new(field("a")))),
            o(OperandKind::Len(Box::new(o(OperandKind::List(vec![int(
                1
            )]))))),
        )
    );
    assert_eq!(lhs("len ( a )"), o(OperandKind::Len(Box::new(field("a")))));
}

#[test]
fn parenthesised_operand_versus_parenthesised_test() {
    assert_eq!(parse("(a) present"), present(field("a")));
    assert_eq!(
        parse("(a + 1) > 2"),
        cmp(
            arith(ArithOp::Add, field("a"), int(1)),
            CompareOp::Gt,
            int(2)
        )
    );
    assert_eq!(parse("(a > 2)"), cmp(field("a"), CompareOp::Gt, int(2)));
    assert_eq!(
        parse("((a)) == ((1))"),
        cmp(field("a"), CompareOp::Eq, int(1))
    );
}

#[test]
fn whitespace_is_free() {
    assert_eq!(
        parse(" \t\n a\n>\r\n1 \n"),
        cmp(field("a"), CompareOp::Gt, int(1))
    );
}

#[test]
fn spans_are_exact() {
    let src = "not (a.b > -1.5) and len(@x) in [1, 'z']";
    let expr = parse_predicate(src).unwrap();
    let text = |s: Span| &src[s.range()];
    assert_eq!(text(expr.span), src);
    let ExprKind::And(children) = &expr.kind else {
        panic!()
    };
    assert_eq!(text(children[0].span), "not (a.b > -1.5)");
    let ExprKind::Not(inner) = &children[0].kind else {
        panic!()
    };
    assert_eq!(text(inner.span), "a.b > -1.5");
    let ExprKind::Compare { lhs, rhs, .. } = &inner.kind else {
        panic!()
    };
    assert_eq!(text(lhs.span), "a.b");
    assert_eq!(text(rhs.span), "-1.5");
    assert_eq!(text(children[1].span), "len(@x) in [1, 'z']");
    let ExprKind::Compare { lhs, rhs, .. } = &children[1].kind else {
        panic!()
    };
    assert_eq!(text(lhs.span), "len(@x)");
    let OperandKind::Len(x) = &lhs.kind else {
        panic!()
    };
    assert_eq!(text(x.span), "@x");
    let OperandKind::List(items) = &rhs.kind else {
        panic!()
    };
    assert_eq!(text(items[1].span), "'z'");

    let src = "(a + b) * -c - 2 > x";
    let text = |s: Span| &src[s.range()];
    let expr = parse_predicate(src).unwrap();
    let ExprKind::Compare { lhs, .. } = &expr.kind else {
        panic!()
    };
    assert_eq!(text(lhs.span), "(a + b) * -c - 2");
    let OperandKind::Arith { lhs: mul, .. } = &lhs.kind else {
        panic!()
    };
    assert_eq!(text(mul.span), "(a + b) * -c");
    let OperandKind::Arith {
        lhs: add,
        rhs: negc,
        ..
    } = &mul.kind
    else {
        panic!()
    };
    assert_eq!(text(add.span), "a + b");
    assert_eq!(text(negc.span), "-c");
}

// ---- errors --------------------------------------------------------------------------------

#[test]
fn empty_input() {
    assert_eq!(msg(""), "empty predicate");
    assert_eq!(msg(" \n\t "), "empty predicate");
}

#[test]
fn error_messages() {
    for (src, expected) in [
        ("x > ", "expected a value after `>`"),
        ("x in", "expected a value after `in`"),
        ("x == 1 +", "expected a value after `+`"),
        ("(a > 1", "unclosed `(`"),
        (
            "[1, 2] 3",
            "expected an operator such as `==`, `in` or `present` after `[1, 2]`",
        ),
        ("x in [1, 2", "unclosed `[`"),
        (
            "num_beams",
            "expected an operator such as `==`, `in` or `present` after `num_beams`",
        ),
        (
            "len(x) 3",
            "expected an operator such as `==`, `in` or `present` after `len(x)`",
        ),
        ("x > 1)", "unexpected `)`"),
        (")", "unexpected `)`"),
        ("x in [1]]", "unexpected `]`"),
        ("()", "empty parentheses"),
        ("x == 'abc", "unterminated string"),
        ("x == \"abc", "unterminated string"),
        ("x is", "expected `null`, `true` or `false` after `is`"),
        ("x is 3", "expected `null`, `true` or `false` after `is`"),
        (
            "x is not",
            "expected `null`, `true` or `false` after `is not`",
        ),
        ("a > 1 and", "`and` needs a test on both sides"),
        ("and a > 1", "`and` needs a test on both sides"),
        ("a > 1 or or b present", "`or` needs a test on both sides"),
        ("in > 3", "keyword `in` cannot be used as a field name"),
        ("a.in > 3", "keyword `in` cannot be used as a field name"),
        (
            "@null present",
            "keyword `null` cannot be used as a field name",
        ),
        (
            "x > present",
            "keyword `present` cannot be used as a field name",
        ),
        (
            "x > 99999999999999999999",
            "integer literal `99999999999999999999` is out of range for a 64-bit integer",
        ),
        (
            "x > -9223372036854775809",
            "integer literal `-9223372036854775809` is out of range for a 64-bit integer",
        ),
        ("x > 1e309", "float literal `1e309` is out of range"),
        ("x > 1_000", "invalid number `1_000`"),
        ("x > 1.", "invalid number `1.`"),
        ("x > .5", "unexpected `.`"),
        ("x > 3abc", "invalid number `3abc`"),
        ("x == \"\\q\"", "unknown escape `\\q` in string"),
        (
            "x == \"\\u{D800}\"",
            "`\\u{D800}` is not a unicode scalar value",
        ),
        (
            "x == \"\\u{}\"",
            "invalid unicode escape, expected `\\u{XXXX}`",
        ),
        ("x = 3", "unexpected `=`"),
        ("x && y", "unexpected `&&`"),
        ("a. > 1", "expected a field name after `.`"),
        ("@ x present", "expected a field name after `@`"),
        ("x > 1 > 2", "comparisons cannot be chained"),
        ("x in [1 2]", "expected `,` or `]`, found `2`"),
        (
            "x present y present",
            "expected `and`, `or` or the end of the predicate, found `y`",
        ),
        (
            "(x present y present)",
            "expected `and`, `or` or `)`, found `y`",
        ),
        ("len x", "expected `(` after `len`"),
        ("len(x > 1", "expected `)`, found `>`"),
        ("not", "expected a test after `not`"),
        ("== 3", "expected a field or a value before `==`"),
        ("x == $", "unexpected `$`"),
        (
            "x == 'a' 'b'",
            "expected `and`, `or` or the end of the predicate, found `'b'`",
        ),
    ] {
        assert_eq!(msg(src), expected, "input {src:?}");
    }
}

#[test]
fn error_spans_point_at_the_token() {
    let at = |src: &str| {
        let e = err(src);
        (e.span.start, e.span.end)
    };
    assert_eq!(at("x > "), (4, 4));
    assert_eq!(at("x > 1 )"), (6, 7));
    assert_eq!(at("x in (1"), (5, 6));
    assert_eq!(at("in > 3"), (0, 2));
    assert_eq!(at("a.in > 3"), (2, 4));
    assert_eq!(at("x == 'abc"), (5, 6));
    assert_eq!(at("a > 1 and"), (6, 9));
}

#[test]
fn earlier_syntax_error_wins_over_later_lexical_error() {
    assert_eq!(msg("x > > 'abc"), "expected a value after `>`");
    assert_eq!(
        msg("x present y 'abc"),
        "expected `and`, `or` or the end of the predicate, found `y`"
    );
    assert_eq!(msg("x > 'abc"), "unterminated string");
}

#[test]
fn helpful_hints() {
    assert_eq!(
        err("x not in [1]").help.as_deref(),
        Some("write `not_in` for non-membership")
    );
    assert_eq!(err("x = 1").help.as_deref(), Some("use `==` to compare"));
    assert_eq!(
        err("x || y").help.as_deref(),
        Some("use `or` to combine tests")
    );
}

// ---- nesting limits ------------------------------------------------------------------------

const TOO_DEEP: &str = "predicate nests too deeply (more than 64 levels)";

#[test]
fn sixty_four_levels_are_fine_sixty_five_are_not() {
    let parens = |n: usize| format!("{}a present{}", "(".repeat(n), ")".repeat(n));
    assert!(parse_predicate(&parens(64)).is_ok());
    assert_eq!(msg(&parens(65)), TOO_DEEP);
    let nots = |n: usize| format!("{}a present", "not ".repeat(n));
    assert!(parse_predicate(&nots(64)).is_ok());
    assert_eq!(msg(&nots(65)), TOO_DEEP);
    let brackets = |n: usize| format!("x in {}1{}", "[".repeat(n), "]".repeat(n));
    assert!(parse_predicate(&brackets(64)).is_ok());
    assert_eq!(msg(&brackets(65)), TOO_DEEP);
    let minus = |n: usize| format!("{}x > 1", "-".repeat(n));
    assert!(parse_predicate(&minus(64)).is_ok());
    assert_eq!(msg(&minus(65)), TOO_DEEP);
    // A unary minus ends with its operand; a `not` with its test.
    let spread = |n: usize| format!("{}x > 1", "-x - ".repeat(n));
    assert!(parse_predicate(&spread(60)).is_ok());
    let nots = |n: usize| vec!["not a present"; n].join(" and ");
    assert!(parse_predicate(&nots(100)).is_ok());
    assert!(
        parse_predicate(&format!(
            "{}x is not null{}",
            "(".repeat(64),
            ")".repeat(64)
        ))
        .is_ok()
    );
    // Arithmetic chains are limited per test.
    let chain = |n: usize| format!("x{} > 1", " + x".repeat(n));
    assert!(parse_predicate(&chain(64)).is_ok());
    assert_eq!(
        msg(&chain(65)),
        "too many arithmetic operators in one test (more than 64)"
    );
    let two = format!("{} and {}", chain(64), chain(64));
    assert!(parse_predicate(&two).is_ok());
    let long = format!("x{} > 1", " * x".repeat(100_000));
    assert_eq!(
        msg(&long),
        "too many arithmetic operators in one test (more than 64)"
    );
    // and/or chains are flat: no limit
    let flat = vec!["a present"; 5000].join(" and ");
    assert!(parse_predicate(&flat).is_ok());
}

#[test]
fn huge_nesting_is_an_error_not_a_stack_overflow() {
    for src in [
        "(".repeat(10_000),
        "not ".repeat(10_000),
        format!("{}a present{}", "(".repeat(10_000), ")".repeat(10_000)),
        format!("x in {}", "[".repeat(10_000)),
        format!("{}x > 1", "-".repeat(10_000)),
        format!("x > {}1", "len(".repeat(10_000)),
        "(not ".repeat(10_000),
        format!("{}x > 1", "(-".repeat(10_000)),
    ] {
        let e = err(&src);
        assert_eq!(e.message, TOO_DEEP);
        assert!(e.span.start > 0);
    }
}
