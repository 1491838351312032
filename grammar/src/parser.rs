//! Parsing the textual spelling: pest grammar → AST with byte spans, and pest failures → messages.

use pest::Parser as _;
use pest::iterators::{Pair, Pairs};

use crate::SyntaxError;
use crate::ast::{
    ArithOp, CompareOp, Expr, ExprKind, FieldPath, IsTarget, Literal, Operand, OperandKind, Span,
};
use crate::lexer::{self, TokKind, Token};

mod generated {
    //! The parser pest derives from `predicate.pest`.
    #[derive(pest_derive::Parser)]
    #[grammar = "predicate.pest"]
    pub(crate) struct PredicateParser;
}

use generated::{PredicateParser, Rule};

/// Parses the textual spelling of a predicate (a rule's `when:` string).
///
/// Every node of the result carries its byte span in `source`. Errors point at the offending
/// token and never mention the grammar's internals. Nesting deeper than 64 levels is an error, so
/// no input can overflow the stack.
pub fn parse_predicate(source: &str) -> Result<Expr, SyntaxError> {
    if source.trim().is_empty() {
        return Err(
            SyntaxError::new(Span::new(0, source.len()), "empty predicate")
                .with_help("write a test such as `num_beams > 1`"),
        );
    }
    let lexed = lexer::lex(source);
    let limit = match &lexed.error {
        Some(e) if e.too_deep => return Err(e.error.clone()),
        Some(e) => e.token_start,
        None => source.len(),
    };
    // On a lexical error, the text before it is parsed anyway: a syntax error that comes first
    // is the one to report.
    let text = source.get(..limit).unwrap_or("");
    match PredicateParser::parse(Rule::predicate, text) {
        Ok(pairs) => match lexed.error {
            Some(e) => Err(e.error),
            None => build_predicate(pairs),
        },
        Err(err) => {
            let pos = match err.location {
                pest::error::InputLocation::Pos(p) => p,
                pest::error::InputLocation::Span((p, _)) => p,
            };
            if let Some(e) = lexed.error
                && (pos >= limit || text.get(pos..).is_none_or(|r| r.trim().is_empty()))
            {
                return Err(e.error);
            }
            let positives = match err.variant {
                pest::error::ErrorVariant::ParsingError { positives, .. } => positives,
                pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
            };
            Err(describe_failure(source, &lexed.tokens, pos, &positives))
        }
    }
}

// ---- AST building ------------------------------------------------------------------------

fn internal(span: Span) -> SyntaxError {
    SyntaxError::new(
        span,
        "internal error: the parser produced an unexpected tree",
    )
}

/// The span of a pair, without the whitespace pest lets a rule end with (a rule ending in an
/// empty repetition has skipped the whitespace before it).
fn span_of(pair: &Pair<'_, Rule>) -> Span {
    let s = pair.as_span();
    let trimmed = s.as_str().trim_end_matches([' ', '\t', '\r', '\n']);
    Span::new(s.start(), s.start() + trimmed.len())
}

/// The next child, which must exist.
fn child<'a>(pairs: &mut Pairs<'a, Rule>, parent: Span) -> Result<Pair<'a, Rule>, SyntaxError> {
    pairs.next().ok_or_else(|| internal(parent))
}

fn build_predicate(mut pairs: Pairs<'_, Rule>) -> Result<Expr, SyntaxError> {
    let top = pairs.next().ok_or_else(|| internal(Span::default()))?;
    let span = span_of(&top);
    let or_expr = top
        .into_inner()
        .find(|p| p.as_rule() == Rule::or_expr)
        .ok_or_else(|| internal(span))?;
    build_or(or_expr)
}

fn build_or(pair: Pair<'_, Rule>) -> Result<Expr, SyntaxError> {
    let span = span_of(&pair);
    let mut children = pair
        .into_inner()
        .filter(|p| p.as_rule() == Rule::and_expr)
        .map(build_and)
        .collect::<Result<Vec<_>, _>>()?;
    if children.len() == 1 {
        return children.pop().ok_or_else(|| internal(span));
    }
    Ok(Expr {
        kind: ExprKind::Or(children),
        span,
    })
}

fn build_and(pair: Pair<'_, Rule>) -> Result<Expr, SyntaxError> {
    let span = span_of(&pair);
    let mut children = pair
        .into_inner()
        .filter(|p| p.as_rule() == Rule::condition)
        .map(build_condition)
        .collect::<Result<Vec<_>, _>>()?;
    if children.len() == 1 {
        return children.pop().ok_or_else(|| internal(span));
    }
    Ok(Expr {
        kind: ExprKind::And(children),
        span,
    })
}

fn build_condition(pair: Pair<'_, Rule>) -> Result<Expr, SyntaxError> {
    let span = span_of(&pair);
    let inner = child(&mut pair.into_inner(), span)?;
    match inner.as_rule() {
        Rule::not_expr => {
            let mut parts = inner
                .into_inner()
                .filter(|p| p.as_rule() == Rule::condition);
            let operand = parts.next().ok_or_else(|| internal(span))?;
            Ok(Expr {
                kind: ExprKind::Not(Box::new(build_condition(operand)?)),
                span,
            })
        }
        Rule::paren_expr => {
            let or_expr = inner
                .into_inner()
                .find(|p| p.as_rule() == Rule::or_expr)
                .ok_or_else(|| internal(span))?;
            build_or(or_expr)
        }
        Rule::test => build_test(inner),
        _ => Err(internal(span)),
    }
}

fn build_test(pair: Pair<'_, Rule>) -> Result<Expr, SyntaxError> {
    let span = span_of(&pair);
    let mut parts = pair.into_inner();
    let operand = build_operand(child(&mut parts, span)?)?;
    let tail = child(&mut parts, span)?;
    let kind = match tail.as_rule() {
        Rule::presence => {
            let word = child(&mut tail.into_inner(), span)?;
            ExprKind::Presence {
                operand,
                present: word.as_rule() == Rule::present_kw,
            }
        }
        Rule::is_test => {
            let mut negated = false;
            let mut target = None;
            for part in tail.into_inner() {
                match part.as_rule() {
                    Rule::not_kw => negated = true,
                    Rule::is_target => {
                        let word = child(&mut part.into_inner(), span)?;
                        target = Some(match word.as_rule() {
                            Rule::null_kw => IsTarget::Null,
                            Rule::true_kw => IsTarget::True,
                            _ => IsTarget::False,
                        });
                    }
                    _ => {}
                }
            }
            let target = target.ok_or_else(|| internal(span))?;
            ExprKind::Is {
                operand,
                negated,
                target,
            }
        }
        Rule::compare => {
            let mut parts = tail.into_inner();
            let op_pair = child(&mut parts, span)?;
            let op = CompareOp::from_name(op_pair.as_str()).ok_or_else(|| internal(span))?;
            let rhs = build_operand(child(&mut parts, span)?)?;
            ExprKind::Compare {
                lhs: operand,
                op,
                rhs,
            }
        }
        _ => return Err(internal(span)),
    };
    Ok(Expr { kind, span })
}

/// Builds a left-associative chain `x op y op z` (an `operand` or a `term`) without recursion
/// over the chain's length.
fn build_chain(
    pair: Pair<'_, Rule>,
    item: fn(Pair<'_, Rule>) -> Result<Operand, SyntaxError>,
) -> Result<Operand, SyntaxError> {
    let span = span_of(&pair);
    let mut parts = pair.into_inner();
    let first = child(&mut parts, span)?;
    let start = span_of(&first).start;
    let mut acc = item(first)?;
    while let Some(op_pair) = parts.next() {
        let op = match op_pair.as_str() {
            "+" => ArithOp::Add,
            "-" => ArithOp::Sub,
            "*" => ArithOp::Mul,
            _ => ArithOp::Mod,
        };
        let rhs_pair = child(&mut parts, span)?;
        let end = span_of(&rhs_pair).end;
        let rhs = item(rhs_pair)?;
        acc = Operand {
            kind: OperandKind::Arith {
                op,
                lhs: Box::new(acc),
                rhs: Box::new(rhs),
            },
            span: Span { start, end },
        };
    }
    Ok(acc)
}

fn build_operand(pair: Pair<'_, Rule>) -> Result<Operand, SyntaxError> {
    build_chain(pair, build_term)
}

fn build_term(pair: Pair<'_, Rule>) -> Result<Operand, SyntaxError> {
    build_chain(pair, build_unary)
}

fn build_unary(pair: Pair<'_, Rule>) -> Result<Operand, SyntaxError> {
    let span = span_of(&pair);
    let inner = child(&mut pair.into_inner(), span)?;
    match inner.as_rule() {
        Rule::primary => build_primary(inner),
        Rule::neg => {
            let operand = inner
                .into_inner()
                .find(|p| p.as_rule() == Rule::unary)
                .ok_or_else(|| internal(span))?;
            Ok(Operand {
                kind: OperandKind::Neg(Box::new(build_unary(operand)?)),
                span,
            })
        }
        _ => Err(internal(span)),
    }
}

fn build_primary(pair: Pair<'_, Rule>) -> Result<Operand, SyntaxError> {
    let span = span_of(&pair);
    let inner = child(&mut pair.into_inner(), span)?;
    let text = inner.as_str();
    let literal = |l: Literal| {
        Ok(Operand {
            kind: OperandKind::Literal(l),
            span,
        })
    };
    match inner.as_rule() {
        Rule::null_kw => literal(Literal::Null),
        Rule::true_kw => literal(Literal::Bool(true)),
        Rule::false_kw => literal(Literal::Bool(false)),
        Rule::int => match text.parse::<i64>() {
            Ok(v) => literal(Literal::Int(v)),
            Err(_) => Err(SyntaxError::new(
                span,
                format!("integer literal `{text}` is out of range for a 64-bit integer"),
            )),
        },
        Rule::float => match text.parse::<f64>() {
            Ok(v) if v.is_finite() => literal(Literal::Float(v)),
            _ => Err(SyntaxError::new(
                span,
                format!("float literal `{text}` is out of range"),
            )),
        },
        Rule::string => {
            let start = inner.as_span().start();
            let quote = if text.starts_with('\'') { '\'' } else { '"' };
            let (value, _) = lexer::decode_string(inner.get_input(), start, quote)?;
            literal(Literal::Str(value))
        }
        Rule::path => Ok(Operand {
            kind: OperandKind::Field(FieldPath::parse_dotted(text)),
            span,
        }),
        Rule::reference => {
            let path = text.strip_prefix('@').unwrap_or(text);
            Ok(Operand {
                kind: OperandKind::Ref(FieldPath::parse_dotted(path)),
                span,
            })
        }
        Rule::list => {
            let items = inner
                .into_inner()
                .filter(|p| p.as_rule() == Rule::operand)
                .map(build_operand)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Operand {
                kind: OperandKind::List(items),
                span,
            })
        }
        Rule::len_call => {
            let operand = inner
                .into_inner()
                .find(|p| p.as_rule() == Rule::operand)
                .ok_or_else(|| internal(span))?;
            Ok(Operand {
                kind: OperandKind::Len(Box::new(build_operand(operand)?)),
                span,
            })
        }
        Rule::paren_operand => {
            let operand = inner
                .into_inner()
                .find(|p| p.as_rule() == Rule::operand)
                .ok_or_else(|| internal(span))?;
            build_operand(operand)
        }
        _ => Err(internal(span)),
    }
}

// ---- error messages ----------------------------------------------------------------------

/// Rules whose failure means "a test or a value was expected here".
const EXPECTS_VALUE: [Rule; 14] = [
    Rule::predicate,
    Rule::or_expr,
    Rule::and_expr,
    Rule::condition,
    Rule::not_expr,
    Rule::paren_expr,
    Rule::test,
    Rule::operand,
    Rule::term,
    Rule::unary,
    Rule::neg,
    Rule::primary,
    Rule::paren_operand,
    Rule::list,
];

/// Rules whose failure means "a test operator was expected here".
const EXPECTS_TEST_OP: [Rule; 7] = [
    Rule::presence,
    Rule::is_test,
    Rule::compare,
    Rule::cmp_op,
    Rule::present_kw,
    Rule::absent_kw,
    Rule::is_kw,
];

/// Rules whose failure means "the test is complete, something joining it was expected".
const EXPECTS_END: [Rule; 3] = [Rule::EOI, Rule::and_kw, Rule::or_kw];

/// How a token is named in a message: its text in backticks (shortened), or the end.
fn found(source: &str, token: Option<Token>) -> String {
    match token {
        None => "the end of the predicate".to_owned(),
        Some(t) => {
            let text = t.text(source);
            if text.chars().count() > 24 {
                let short: String = text.chars().take(20).collect();
                format!("`{short}...`")
            } else {
                format!("`{text}`")
            }
        }
    }
}

/// The brackets opened before `pos` and not closed, innermost last.
fn unclosed(source: &str, tokens: &[Token], pos: usize) -> Vec<Token> {
    let mut open = Vec::new();
    for t in tokens.iter().take_while(|t| t.start < pos) {
        match t.text(source) {
            "(" | "[" if t.kind == TokKind::Punct => open.push(*t),
            ")" | "]" if t.kind == TokKind::Punct => {
                open.pop();
            }
            _ => {}
        }
    }
    open
}

/// The text of the operand that ends with token `index` (a bracketed group is taken whole,
/// with a `len` before it).
fn operand_before(source: &str, tokens: &[Token], index: usize) -> Option<String> {
    let last = *tokens.get(index)?;
    let mut first = index;
    if last.is(source, ")") || last.is(source, "]") {
        let mut level = 0usize;
        let mut i = index;
        loop {
            let t = *tokens.get(i)?;
            if t.is(source, ")") || t.is(source, "]") {
                level += 1;
            } else if t.is(source, "(") || t.is(source, "[") {
                level = level.checked_sub(1)?;
                if level == 0 {
                    break;
                }
            }
            i = i.checked_sub(1)?;
        }
        first = i;
        if let Some(before) = i.checked_sub(1).and_then(|j| tokens.get(j))
            && before.is(source, "len")
        {
            first = i - 1;
        }
    }
    let start = tokens.get(first)?.start;
    let text = source.get(start..last.end)?;
    (text.chars().count() <= 40).then(|| text.to_owned())
}

/// Turns a pest failure at byte `pos` into a message about the tokens around it.
fn describe_failure(source: &str, tokens: &[Token], pos: usize, positives: &[Rule]) -> SyntaxError {
    let cur_index = tokens.partition_point(|t| t.start < pos);
    let cur = tokens.get(cur_index).copied();
    let prev_index = tokens.partition_point(|t| t.end <= pos).checked_sub(1);
    let prev = prev_index.and_then(|i| tokens.get(i)).copied();
    let before_prev = prev_index
        .and_then(|i| i.checked_sub(1))
        .and_then(|i| tokens.get(i))
        .copied();
    let here = cur.map_or(Span::new(pos, pos), Token::span);
    let expects = |rules: &[Rule]| positives.iter().any(|r| rules.contains(r));
    let prev_is = |what: &str| prev.is_some_and(|t| t.is(source, what));
    let cur_is = |what: &str| cur.is_some_and(|t| t.is(source, what));
    let prev_text = prev.map_or("", |t| t.text(source));
    let cur_text = cur.map_or("", |t| t.text(source));
    let open = unclosed(source, tokens, pos);
    let unclosed_error = |t: Token| {
        let (open, close) = if t.is(source, "(") {
            ("(", ")")
        } else {
            ("[", "]")
        };
        SyntaxError::new(t.span(), format!("unclosed `{open}`"))
            .with_help(format!("add a `{close}` to close it"))
    };

    // After `is` / `is not`.
    if prev_is("is") || (prev_is("not") && before_prev.is_some_and(|t| t.is(source, "is"))) {
        let what = if prev_is("is") { "is" } else { "is not" };
        let err = SyntaxError::new(
            here,
            format!("expected `null`, `true` or `false` after `{what}`"),
        );
        return if cur.is_some() {
            err.with_help(
                "`is` tests identity with `null`, `true` or `false`; compare other values with `==`",
            )
        } else {
            err
        };
    }
    // After `len`.
    if prev_is("len") {
        return SyntaxError::new(here, "expected `(` after `len`")
            .with_help("`len` is a keyword: `len(x)` is the length of `x`");
    }

    if expects(&EXPECTS_VALUE) {
        if let Some(c) = cur.filter(|c| c.kind == TokKind::Keyword) {
            if cur_is("and") || cur_is("or") {
                return SyntaxError::new(
                    c.span(),
                    format!("`{cur_text}` needs a test on both sides"),
                );
            }
            if !matches!(cur_text, "not" | "null" | "true" | "false" | "len") {
                return SyntaxError::new(
                    c.span(),
                    format!("keyword `{cur_text}` cannot be used as a field name"),
                );
            }
        }
        if let Some(p) = prev {
            if p.is_compare_op(source) {
                let err = SyntaxError::new(here, format!("expected a value after `{prev_text}`"));
                return if cur.is_none() {
                    err
                } else {
                    err.with_help(format!("found {}", found(source, cur)))
                };
            }
            if ["+", "-", "*", "%"].iter().any(|op| p.is(source, op)) {
                return SyntaxError::new(here, format!("expected a value after `{prev_text}`"));
            }
            if prev_is("and") || prev_is("or") {
                return SyntaxError::new(
                    p.span(),
                    format!("`{prev_text}` needs a test on both sides"),
                );
            }
            if prev_is("not") {
                return SyntaxError::new(here, "expected a test after `not`")
                    .with_help("`not` negates the test that follows it, as in `not x present`");
            }
            if prev_is(",") && !cur_is("]") {
                return SyntaxError::new(here, "expected a value after `,`");
            }
        }
        if cur.is_none()
            && let Some(t) = open.last()
        {
            return unclosed_error(*t);
        }
        if cur_is(")") {
            if prev_is("(") {
                return SyntaxError::new(here, "empty parentheses")
                    .with_help("parentheses hold a test or a value");
            }
            return SyntaxError::new(here, "unexpected `)`");
        }
        if cur_is("]") {
            return SyntaxError::new(here, "unexpected `]`");
        }
        if cur.is_some_and(|c| c.is_compare_op(source)) {
            return SyntaxError::new(
                here,
                format!("expected a field or a value before `{cur_text}`"),
            );
        }
        return match cur {
            None => SyntaxError::new(here, "unexpected end of predicate"),
            Some(_) => SyntaxError::new(
                here,
                format!("expected a test, found {}", found(source, cur)),
            ),
        };
    }

    if cur.is_none()
        && let Some(t) = open.last()
    {
        return unclosed_error(*t);
    }

    if expects(&EXPECTS_TEST_OP) {
        let message = match prev_index.and_then(|i| operand_before(source, tokens, i)) {
            Some(text) => {
                format!("expected an operator such as `==`, `in` or `present` after `{text}`")
            }
            None => {
                "expected an operator such as `==`, `in` or `present` after this value".to_owned()
            }
        };
        let err = SyntaxError::new(here, message);
        let next = tokens.get(cur_index + 1).copied();
        return if cur_is("not") && next.is_some_and(|n| n.is(source, "in")) {
            err.with_help("write `not_in` for non-membership")
        } else if cur_is("not") {
            err.with_help("`not` goes before the test, as in `not x present`")
        } else if cur.is_some() {
            err.with_help(format!("found {}", found(source, cur)))
        } else {
            err
        };
    }

    let in_list = expects(&[Rule::comma, Rule::rbracket]);
    let in_parens = expects(&[Rule::rparen]);
    if cur_is(")") && !in_parens {
        return SyntaxError::new(here, "unexpected `)`")
            .with_help("remove it or add a matching `(`");
    }
    if cur_is("]") && !in_list {
        return SyntaxError::new(here, "unexpected `]`")
            .with_help("remove it or add a matching `[`");
    }
    if cur.is_some_and(|c| c.is_compare_op(source)) && expects(&EXPECTS_END) {
        return SyntaxError::new(here, "comparisons cannot be chained")
            .with_help("combine two tests with `and`, as in `0 < x and x < 10`");
    }
    let found_cur = found(source, cur);
    if in_list {
        return SyntaxError::new(here, format!("expected `,` or `]`, found {found_cur}"));
    }
    if in_parens && expects(&EXPECTS_END) {
        return SyntaxError::new(
            here,
            format!("expected `and`, `or` or `)`, found {found_cur}"),
        );
    }
    if in_parens {
        return SyntaxError::new(here, format!("expected `)`, found {found_cur}"));
    }
    if expects(&EXPECTS_END) {
        return SyntaxError::new(
            here,
            format!("expected `and`, `or` or the end of the predicate, found {found_cur}"),
        )
        .with_help("combine tests with `and` / `or`");
    }
    match cur {
        None => SyntaxError::new(here, "unexpected end of predicate"),
        Some(_) => SyntaxError::new(here, format!("unexpected {found_cur}")),
    }
}

#[cfg(test)]
mod tests;
