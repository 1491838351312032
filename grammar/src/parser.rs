//! Parsing the textual spelling: pest grammar → AST with byte spans, and pest failures → messages.

use pest::Parser as _;
use pest::iterators::{Pair, Pairs};

use crate::SyntaxError;
use crate::ast::{
    ArithOp, CompareOp, Expr, ExprKind, FieldPath, IsTarget, Literal, Operand, OperandKind, Span,
};
use crate::lexer;

mod generated {
    //! The parser pest derives from `predicate.pest`.
    #[derive(pest_derive::Parser)]
    #[grammar = "predicate.pest"]
    pub(crate) struct PredicateParser;
}

use generated::{PredicateParser, Rule};

mod failure;
use failure::describe_failure;

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

#[cfg(test)]
mod tests;
