//! Turning a pest failure into a message about the tokens around it: the words of the
//! predicate's author, never the grammar's rule names.

use super::Rule;
use crate::SyntaxError;
use crate::ast::Span;
use crate::lexer::{TokKind, Token};

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

/// Turns a pest failure at byte `pos` into a message about the tokens around it.
pub(super) fn describe_failure(
    source: &str,
    tokens: &[Token],
    pos: usize,
    positives: &[Rule],
) -> SyntaxError {
    let at = Failure::new(source, tokens, pos, positives);
    if let Some(err) = at.after_is().or_else(|| at.after_len()) {
        return err;
    }
    if at.expects(&EXPECTS_VALUE) {
        return at.missing_value();
    }
    if let Some(err) = at.unclosed_at_end() {
        return err;
    }
    if at.expects(&EXPECTS_TEST_OP) {
        return at.missing_test_operator();
    }
    at.misplaced_token()
}

/// The tokens around a failure and what pest expected there.
struct Failure<'a> {
    source: &'a str,
    tokens: &'a [Token],
    positives: &'a [Rule],
    /// Index of the first token that starts at or after the failure.
    cur_index: usize,
    /// That token (none at the end of the input).
    cur: Option<Token>,
    /// Index of the last token that ends at or before the failure.
    prev_index: Option<usize>,
    /// That token.
    prev: Option<Token>,
    /// The token before it.
    before_prev: Option<Token>,
    /// The current token's span, or an empty span at the failure.
    here: Span,
    /// The brackets opened before the failure and not closed, innermost last.
    open: Vec<Token>,
}

impl<'a> Failure<'a> {
    fn new(source: &'a str, tokens: &'a [Token], pos: usize, positives: &'a [Rule]) -> Self {
        let cur_index = tokens.partition_point(|t| t.start < pos);
        let cur = tokens.get(cur_index).copied();
        let prev_index = tokens.partition_point(|t| t.end <= pos).checked_sub(1);
        let before_prev = prev_index
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| tokens.get(i))
            .copied();
        Failure {
            source,
            tokens,
            positives,
            cur_index,
            cur,
            prev_index,
            prev: prev_index.and_then(|i| tokens.get(i)).copied(),
            before_prev,
            here: cur.map_or(Span::new(pos, pos), Token::span),
            open: unclosed(source, tokens, pos),
        }
    }

    fn expects(&self, rules: &[Rule]) -> bool {
        self.positives.iter().any(|r| rules.contains(r))
    }

    fn prev_is(&self, what: &str) -> bool {
        self.prev.is_some_and(|t| t.is(self.source, what))
    }

    fn cur_is(&self, what: &str) -> bool {
        self.cur.is_some_and(|t| t.is(self.source, what))
    }

    fn prev_text(&self) -> &'a str {
        self.prev.map_or("", |t| t.text(self.source))
    }

    fn cur_text(&self) -> &'a str {
        self.cur.map_or("", |t| t.text(self.source))
    }

    /// How the current token is named in a message.
    fn found_cur(&self) -> String {
        found(self.source, self.cur)
    }

    /// The input ends inside brackets: the innermost one is unclosed.
    fn unclosed_at_end(&self) -> Option<SyntaxError> {
        if self.cur.is_some() {
            return None;
        }
        let t = self.open.last()?;
        let (open, close) = if t.is(self.source, "(") {
            ("(", ")")
        } else {
            ("[", "]")
        };
        Some(
            SyntaxError::new(t.span(), format!("unclosed `{open}`"))
                .with_help(format!("add a `{close}` to close it")),
        )
    }

    /// After `is` / `is not`, only `null`, `true` or `false` may follow.
    fn after_is(&self) -> Option<SyntaxError> {
        let is_not =
            self.prev_is("not") && self.before_prev.is_some_and(|t| t.is(self.source, "is"));
        if !self.prev_is("is") && !is_not {
            return None;
        }
        let what = if self.prev_is("is") { "is" } else { "is not" };
        let err = SyntaxError::new(
            self.here,
            format!("expected `null`, `true` or `false` after `{what}`"),
        );
        Some(if self.cur.is_some() {
            err.with_help(
                "`is` tests identity with `null`, `true` or `false`; compare other values with `==`",
            )
        } else {
            err
        })
    }

    /// After `len`, only `(` may follow.
    fn after_len(&self) -> Option<SyntaxError> {
        self.prev_is("len").then(|| {
            SyntaxError::new(self.here, "expected `(` after `len`")
                .with_help("`len` is a keyword: `len(x)` is the length of `x`")
        })
    }

    /// A test or a value was expected.
    fn missing_value(&self) -> SyntaxError {
        self.keyword_as_value()
            .or_else(|| self.nothing_after_prev())
            .or_else(|| self.unclosed_at_end())
            .unwrap_or_else(|| self.unexpected_instead_of_value())
    }

    /// A keyword stands where a value was expected.
    fn keyword_as_value(&self) -> Option<SyntaxError> {
        let c = self.cur.filter(|c| c.kind == TokKind::Keyword)?;
        let cur_text = self.cur_text();
        if self.cur_is("and") || self.cur_is("or") {
            return Some(SyntaxError::new(
                c.span(),
                format!("`{cur_text}` needs a test on both sides"),
            ));
        }
        if !matches!(cur_text, "not" | "null" | "true" | "false" | "len") {
            return Some(SyntaxError::new(
                c.span(),
                format!("keyword `{cur_text}` cannot be used as a field name"),
            ));
        }
        None
    }

    /// The previous token (an operator, `and` / `or`, `not`, `,`) needs something after it.
    fn nothing_after_prev(&self) -> Option<SyntaxError> {
        let p = self.prev?;
        let prev_text = self.prev_text();
        if p.is_compare_op(self.source) {
            let err = SyntaxError::new(self.here, format!("expected a value after `{prev_text}`"));
            return Some(if self.cur.is_none() {
                err
            } else {
                err.with_help(format!("found {}", self.found_cur()))
            });
        }
        if ["+", "-", "*", "%"].iter().any(|op| p.is(self.source, op)) {
            return Some(SyntaxError::new(
                self.here,
                format!("expected a value after `{prev_text}`"),
            ));
        }
        if self.prev_is("and") || self.prev_is("or") {
            return Some(SyntaxError::new(
                p.span(),
                format!("`{prev_text}` needs a test on both sides"),
            ));
        }
        if self.prev_is("not") {
            return Some(
                SyntaxError::new(self.here, "expected a test after `not`")
                    .with_help("`not` negates the test that follows it, as in `not x present`"),
            );
        }
        if self.prev_is(",") && !self.cur_is("]") {
            return Some(SyntaxError::new(self.here, "expected a value after `,`"));
        }
        None
    }

    /// Something other than a test or a value came where one was expected.
    fn unexpected_instead_of_value(&self) -> SyntaxError {
        let here = self.here;
        if self.cur_is(")") {
            if self.prev_is("(") {
                return SyntaxError::new(here, "empty parentheses")
                    .with_help("parentheses hold a test or a value");
            }
            return SyntaxError::new(here, "unexpected `)`");
        }
        if self.cur_is("]") {
            return SyntaxError::new(here, "unexpected `]`");
        }
        if self.cur.is_some_and(|c| c.is_compare_op(self.source)) {
            return SyntaxError::new(
                here,
                format!("expected a field or a value before `{}`", self.cur_text()),
            );
        }
        match self.cur {
            None => SyntaxError::new(here, "unexpected end of predicate"),
            Some(_) => {
                SyntaxError::new(here, format!("expected a test, found {}", self.found_cur()))
            }
        }
    }

    /// A value stands alone where a test operator (`==`, `in`, `present`, ...) was expected.
    fn missing_test_operator(&self) -> SyntaxError {
        let message = match self
            .prev_index
            .and_then(|i| operand_before(self.source, self.tokens, i))
        {
            Some(text) => {
                format!("expected an operator such as `==`, `in` or `present` after `{text}`")
            }
            None => {
                "expected an operator such as `==`, `in` or `present` after this value".to_owned()
            }
        };
        let err = SyntaxError::new(self.here, message);
        let next = self.tokens.get(self.cur_index + 1).copied();
        if self.cur_is("not") && next.is_some_and(|n| n.is(self.source, "in")) {
            err.with_help("write `not_in` for non-membership")
        } else if self.cur_is("not") {
            err.with_help("`not` goes before the test, as in `not x present`")
        } else if self.cur.is_some() {
            err.with_help(format!("found {}", self.found_cur()))
        } else {
            err
        }
    }

    /// A complete test is followed by a token that does not belong there.
    fn misplaced_token(&self) -> SyntaxError {
        let here = self.here;
        let in_list = self.expects(&[Rule::comma, Rule::rbracket]);
        let in_parens = self.expects(&[Rule::rparen]);
        if self.cur_is(")") && !in_parens {
            return SyntaxError::new(here, "unexpected `)`")
                .with_help("remove it or add a matching `(`");
        }
        if self.cur_is("]") && !in_list {
            return SyntaxError::new(here, "unexpected `]`")
                .with_help("remove it or add a matching `[`");
        }
        if self.cur.is_some_and(|c| c.is_compare_op(self.source)) && self.expects(&EXPECTS_END) {
            return SyntaxError::new(here, "comparisons cannot be chained")
                .with_help("combine two tests with `and`, as in `0 < x and x < 10`");
        }
        let found_cur = self.found_cur();
        if in_list {
            return SyntaxError::new(here, format!("expected `,` or `]`, found {found_cur}"));
        }
        if in_parens && self.expects(&EXPECTS_END) {
            return SyntaxError::new(
                here,
                format!("expected `and`, `or` or `)`, found {found_cur}"),
            );
        }
        if in_parens {
            return SyntaxError::new(here, format!("expected `)`, found {found_cur}"));
        }
        if self.expects(&EXPECTS_END) {
            return SyntaxError::new(
                here,
                format!("expected `and`, `or` or the end of the predicate, found {found_cur}"),
            )
            .with_help("combine tests with `and` / `or`");
        }
        match self.cur {
            None => SyntaxError::new(here, "unexpected end of predicate"),
            Some(_) => SyntaxError::new(here, format!("unexpected {found_cur}")),
        }
    }
}

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
