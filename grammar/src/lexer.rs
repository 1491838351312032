//! A small hand-written lexer that runs before the pest grammar.
//!
//! It has three jobs:
//! 1. report lexical errors (unterminated strings, bad escapes, stray characters, numbers out of
//!    range, keywords used as field names) with precise messages;
//! 2. bound the nesting depth of the input, so that neither pest's recursive descent nor the AST
//!    builder can overflow the stack;
//! 3. give the error mapper in `parser.rs` a token stream to look at around a pest failure.
//!
//! It tokenizes exactly as the grammar does (`-3` is one token in prefix position, `a.b` is one
//! path token, keywords end at a non-identifier character).

use crate::SyntaxError;
use crate::ast::Span;

/// The most levels of nesting a predicate may have.
pub(crate) const MAX_DEPTH: u32 = 64;

/// Every keyword of the language.
pub(crate) const KEYWORDS: [&str; 18] = [
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

/// The keywords that are also binary test operators.
const WORD_OPERATORS: [&str; 8] = [
    "in",
    "not_in",
    "equals",
    "not_equal",
    "type_is",
    "type_is_not",
    "divisible_by",
    "not_divisible_by",
];

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokKind {
    /// A field path `a.b.c` (never a keyword).
    Path,
    /// A reference `@a.b`.
    Ref,
    /// An integer literal, possibly negative.
    Int,
    /// A float literal, possibly negative.
    Float,
    /// A string literal, quotes included.
    Str,
    /// A keyword.
    Keyword,
    /// A symbol operator or bracket: `( ) [ ] , + - * % == != < <= > >=`.
    Punct,
}

/// One token: its kind and where it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) kind: TokKind,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

impl Token {
    /// The token's text in `source`.
    pub(crate) fn text(self, source: &str) -> &str {
        source.get(self.start..self.end).unwrap_or("")
    }

    /// Whether the token is the punctuation or keyword `what`.
    pub(crate) fn is(self, source: &str, what: &str) -> bool {
        matches!(self.kind, TokKind::Punct | TokKind::Keyword) && self.text(source) == what
    }

    /// Whether the token is a binary test operator (symbol or word).
    pub(crate) fn is_compare_op(self, source: &str) -> bool {
        let text = self.text(source);
        match self.kind {
            TokKind::Punct => matches!(text, "==" | "!=" | "<" | "<=" | ">" | ">="),
            TokKind::Keyword => WORD_OPERATORS.contains(&text),
            _ => false,
        }
    }

    /// Whether the token ends a value, so that a following `-` is binary.
    fn ends_value(self, source: &str) -> bool {
        match self.kind {
            TokKind::Path | TokKind::Ref | TokKind::Int | TokKind::Float | TokKind::Str => true,
            TokKind::Keyword => matches!(self.text(source), "null" | "true" | "false"),
            TokKind::Punct => matches!(self.text(source), ")" | "]"),
        }
    }

    /// The token's span.
    pub(crate) fn span(self) -> Span {
        Span::new(self.start, self.end)
    }
}

/// The result of lexing: the tokens read, and the first error met (lexing stops there).
pub(crate) struct Lexed {
    pub(crate) tokens: Vec<Token>,
    pub(crate) error: Option<LexError>,
}

/// A lexical error, or the nesting limit being exceeded.
pub(crate) struct LexError {
    pub(crate) error: SyntaxError,
    /// Nesting errors are reported before anything else, since pest must not see such input.
    pub(crate) too_deep: bool,
    /// Where the token holding the error starts: the grammar only sees the text before it.
    pub(crate) token_start: usize,
}

fn error(start: usize, end: usize, message: String, help: Option<&str>) -> LexError {
    LexError {
        error: SyntaxError {
            span: Span::new(start, end),
            message,
            help: help.map(str::to_owned),
        },
        too_deep: false,
        token_start: start,
    }
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The most binary arithmetic operators one test may hold (this bounds the depth of the
/// left-nested `Arith` trees that chains like `a + b + c` build).
pub(crate) const MAX_ARITH: u32 = 64;

/// Which limit a token broke.
enum Limit {
    Depth,
    Arith,
}

/// Tracks how deeply the tokens read so far nest, exactly as the spec counts it: each open
/// parenthesis or bracket, each `not` (until the end of its test) and each unary minus (until the
/// end of its operand) is one level. Also counts the arithmetic operators of the current test.
struct Depth {
    /// Saved `(base, nots)` of each enclosing bracket.
    frames: Vec<(u32, u32)>,
    /// Levels outside the innermost open bracket, that bracket included.
    base: u32,
    /// `not`s whose test has not ended yet, inside the innermost bracket.
    nots: u32,
    /// Unary minuses whose operand has not ended yet.
    minuses: u32,
    /// Binary arithmetic operators since the last `and` / `or`.
    arith: u32,
}

impl Depth {
    fn current(&self) -> u32 {
        self.base
            .saturating_add(self.nots)
            .saturating_add(self.minuses)
    }

    /// Accounts for one token; returns the limit it breaks, if any.
    fn push(
        &mut self,
        token: Token,
        source: &str,
        unary_minus: bool,
        after_is: bool,
    ) -> Option<Limit> {
        let text = token.text(source);
        match token.kind {
            TokKind::Punct => match text {
                "(" | "[" => {
                    self.frames.push((self.base, self.nots));
                    self.base = self.current().saturating_add(1);
                    self.nots = 0;
                    self.minuses = 0;
                }
                ")" | "]" => {
                    if let Some((base, nots)) = self.frames.pop() {
                        self.base = base;
                        self.nots = nots;
                    }
                    // The bracketed group completes the operand of any pending unary minus.
                    self.minuses = 0;
                }
                "-" if unary_minus => self.minuses = self.minuses.saturating_add(1),
                "+" | "-" | "*" | "%" => {
                    self.arith = self.arith.saturating_add(1);
                    if self.arith > MAX_ARITH {
                        return Some(Limit::Arith);
                    }
                }
                _ => {}
            },
            TokKind::Keyword => match text {
                // `is not` is part of a test, not a negation that nests.
                "not" if !after_is => self.nots = self.nots.saturating_add(1),
                "and" | "or" => {
                    self.nots = 0;
                    self.minuses = 0;
                    self.arith = 0;
                }
                "null" | "true" | "false" => self.minuses = 0,
                _ => {}
            },
            // A value completes the operand of any pending unary minus.
            _ => self.minuses = 0,
        }
        (self.current() > MAX_DEPTH).then_some(Limit::Depth)
    }
}

/// Splits `source` into tokens, stopping at the first lexical error or at the nesting limit.
pub(crate) fn lex(source: &str) -> Lexed {
    let mut tokens: Vec<Token> = Vec::new();
    let mut depth = Depth {
        frames: Vec::new(),
        base: 0,
        nots: 0,
        minuses: 0,
        arith: 0,
    };
    let mut chars = source.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if matches!(c, ' ' | '\t' | '\r' | '\n') {
            chars.next();
            continue;
        }
        let prefix_position = tokens.last().is_none_or(|t| !t.ends_value(source));
        let rest = source.get(start..).unwrap_or("");
        let scanned = if c == '"' || c == '\'' {
            scan_string(source, start, c)
        } else if c.is_ascii_digit()
            || (c == '-'
                && prefix_position
                && rest.chars().nth(1).is_some_and(|d| d.is_ascii_digit()))
        {
            scan_number(source, start)
        } else if is_ident_start(c) {
            scan_path(source, start, TokKind::Path)
        } else if c == '@' {
            scan_path(source, start, TokKind::Ref)
        } else {
            scan_punct(source, start, c)
        };
        let token = match scanned {
            Ok(token) => token,
            Err(mut e) => {
                e.token_start = start;
                return Lexed {
                    tokens,
                    error: Some(e),
                };
            }
        };
        let unary_minus = prefix_position && token.kind == TokKind::Punct;
        let after_is = tokens.last().is_some_and(|t| t.is(source, "is"));
        if let Some(limit) = depth.push(token, source, unary_minus, after_is) {
            let (message, help) = match limit {
                Limit::Depth => (
                    format!("predicate nests too deeply (more than {MAX_DEPTH} levels)"),
                    "parentheses, brackets, `not` and unary `-` each count as one level; \
                     split the predicate or simplify it",
                ),
                Limit::Arith => (
                    format!("too many arithmetic operators in one test (more than {MAX_ARITH})"),
                    "split the test, or compute the value another way",
                ),
            };
            let e = LexError {
                error: SyntaxError {
                    span: token.span(),
                    message,
                    help: Some(help.to_owned()),
                },
                too_deep: true,
                token_start: token.start,
            };
            return Lexed {
                tokens,
                error: Some(e),
            };
        }
        tokens.push(token);
        // Skip the chars of the token.
        while chars.peek().is_some_and(|&(i, _)| i < token.end) {
            chars.next();
        }
    }
    Lexed {
        tokens,
        error: None,
    }
}

/// The byte offset just after the identifier starting at `start`.
fn ident_end(source: &str, start: usize) -> usize {
    let rest = source.get(start..).unwrap_or("");
    start + rest.find(|c: char| !is_ident_char(c)).unwrap_or(rest.len())
}

fn scan_path(source: &str, start: usize, kind: TokKind) -> Result<Token, LexError> {
    let mut pos = start;
    if kind == TokKind::Ref {
        pos += 1; // '@'
        let next = source.get(pos..).and_then(|r| r.chars().next());
        if !next.is_some_and(is_ident_start) {
            return Err(error(
                start,
                pos,
                "expected a field name after `@`".to_owned(),
                Some("a reference names a field, as in `@num_beams` or `@a.b`"),
            ));
        }
    }
    let mut segments = 0usize;
    let mut keyword: Option<(usize, usize)> = None;
    loop {
        let seg_end = ident_end(source, pos);
        let segment = source.get(pos..seg_end).unwrap_or("");
        if keyword.is_none() && KEYWORDS.contains(&segment) {
            keyword = Some((pos, seg_end));
        }
        segments += 1;
        pos = seg_end;
        let rest = source.get(pos..).unwrap_or("");
        if rest.starts_with('.') {
            if rest.chars().nth(1).is_some_and(is_ident_start) {
                pos += 1;
                continue;
            }
            return Err(error(
                start,
                pos + 1,
                "expected a field name after `.`".to_owned(),
                Some("a field path is names joined by `.`, as in `watermarking_config.bias`"),
            ));
        }
        break;
    }
    if let Some((ks, ke)) = keyword {
        // A lone keyword is a keyword token; inside a path or after `@` it is an error.
        if segments > 1 || kind == TokKind::Ref {
            let word = source.get(ks..ke).unwrap_or("");
            return Err(error(
                ks,
                ke,
                format!("keyword `{word}` cannot be used as a field name"),
                None,
            ));
        }
        return Ok(Token {
            kind: TokKind::Keyword,
            start,
            end: pos,
        });
    }
    Ok(Token {
        kind,
        start,
        end: pos,
    })
}

fn scan_number(source: &str, start: usize) -> Result<Token, LexError> {
    let bytes = source.as_bytes();
    let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
    let digits_end = |mut i: usize| {
        while at(i).is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut pos = start;
    if at(pos) == b'-' {
        pos += 1;
    }
    pos = digits_end(pos);
    let mut is_float = false;
    if at(pos) == b'.' && at(pos + 1).is_ascii_digit() {
        is_float = true;
        pos = digits_end(pos + 1);
    }
    if matches!(at(pos), b'e' | b'E') {
        let mut exp = pos + 1;
        if matches!(at(exp), b'+' | b'-') {
            exp += 1;
        }
        if at(exp).is_ascii_digit() {
            is_float = true;
            pos = digits_end(exp);
        }
    }
    let text_of = |end: usize| source.get(start..end).unwrap_or("");
    if at(pos).is_ascii_alphanumeric() || matches!(at(pos), b'_' | b'.') {
        // Extend over the rest of the malformed word for the message.
        let mut end = pos;
        while at(end).is_ascii_alphanumeric() || matches!(at(end), b'_' | b'.') {
            end += 1;
        }
        let help = if at(pos) == b'_' {
            "digits cannot be separated by `_`"
        } else if at(pos) == b'.' {
            "a float needs digits after the `.`, as in `1.0`"
        } else {
            "numbers are written like `3`, `-1.5` or `2e-3`"
        };
        return Err(error(
            start,
            end,
            format!("invalid number `{}`", text_of(end)),
            Some(help),
        ));
    }
    let text = text_of(pos);
    if is_float {
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => {}
            _ => {
                return Err(error(
                    start,
                    pos,
                    format!("float literal `{text}` is out of range"),
                    Some("floats are 64-bit, at most about 1.8e308 in magnitude"),
                ));
            }
        }
        Ok(Token {
            kind: TokKind::Float,
            start,
            end: pos,
        })
    } else {
        if text.parse::<i64>().is_err() {
            return Err(error(
                start,
                pos,
                format!("integer literal `{text}` is out of range for a 64-bit integer"),
                Some("integers go from -9223372036854775808 to 9223372036854775807"),
            ));
        }
        Ok(Token {
            kind: TokKind::Int,
            start,
            end: pos,
        })
    }
}

/// The help line listing the escapes.
pub(crate) const ESCAPES_HELP: &str =
    "the escapes are `\\\\`, `\\\"`, `\\'`, `\\n`, `\\t`, `\\r`, `\\0` and `\\u{XXXX}`";

/// Decodes the string literal at `start` (quote included); returns its value and end offset.
pub(crate) fn decode_string(
    source: &str,
    start: usize,
    quote: char,
) -> Result<(String, usize), SyntaxError> {
    let mut value = String::new();
    let body = source.get(start + 1..).unwrap_or("");
    let mut chars = body
        .char_indices()
        .map(|(i, c)| (i + start + 1, c))
        .peekable();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            return Ok((value, i + 1));
        }
        if c != '\\' {
            value.push(c);
            continue;
        }
        let bad = |end: usize, message: String| SyntaxError {
            span: Span::new(i, end),
            message,
            help: Some(ESCAPES_HELP.to_owned()),
        };
        let Some((j, e)) = chars.next() else {
            break;
        };
        match e {
            '\\' => value.push('\\'),
            '"' => value.push('"'),
            '\'' => value.push('\''),
            'n' => value.push('\n'),
            't' => value.push('\t'),
            'r' => value.push('\r'),
            '0' => value.push('\0'),
            'u' => {
                let rest = source.get(j + 1..).unwrap_or("");
                let close = rest.find('}');
                let digits = close
                    .and_then(|k| rest.get(1..k))
                    .filter(|_| rest.starts_with('{'));
                let end = close.map_or(j + 1, |k| j + 2 + k);
                let code = digits
                    .filter(|d| !d.is_empty() && d.len() <= 6)
                    .filter(|d| d.chars().all(|h| h.is_ascii_hexdigit()))
                    .and_then(|d| u32::from_str_radix(d, 16).ok());
                let Some(code) = code else {
                    return Err(bad(
                        j + 1,
                        "invalid unicode escape, expected `\\u{XXXX}`".to_owned(),
                    ));
                };
                let Some(ch) = char::from_u32(code) else {
                    return Err(bad(
                        end,
                        format!("`\\u{{{code:X}}}` is not a unicode scalar value"),
                    ));
                };
                value.push(ch);
                while chars.peek().is_some_and(|&(k, _)| k < end) {
                    chars.next();
                }
            }
            other => {
                return Err(bad(
                    j + other.len_utf8(),
                    format!("unknown escape `\\{other}` in string"),
                ));
            }
        }
    }
    Err(SyntaxError {
        span: Span::new(start, start + 1),
        message: "unterminated string".to_owned(),
        help: Some(format!("close the string with `{quote}`")),
    })
}

fn scan_string(source: &str, start: usize, quote: char) -> Result<Token, LexError> {
    match decode_string(source, start, quote) {
        Ok((_, end)) => Ok(Token {
            kind: TokKind::Str,
            start,
            end,
        }),
        Err(error) => Err(LexError {
            error,
            too_deep: false,
            token_start: start,
        }),
    }
}

fn scan_punct(source: &str, start: usize, c: char) -> Result<Token, LexError> {
    let rest = source.get(start..).unwrap_or("");
    let two = ["==", "!=", "<=", ">="];
    if let Some(op) = two.iter().find(|op| rest.starts_with(**op)) {
        return Ok(Token {
            kind: TokKind::Punct,
            start,
            end: start + op.len(),
        });
    }
    if "()[],+-*%<>".contains(c) {
        return Ok(Token {
            kind: TokKind::Punct,
            start,
            end: start + 1,
        });
    }
    let (len, help) = match c {
        '=' => (1, Some("use `==` to compare")),
        '!' => (1, Some("use `not` to negate a test, or `!=` to compare")),
        '&' => (
            if rest.starts_with("&&") { 2 } else { 1 },
            Some("use `and` to combine tests"),
        ),
        '|' => (
            if rest.starts_with("||") { 2 } else { 1 },
            Some("use `or` to combine tests"),
        ),
        '.' => (1, Some("a float needs a digit before the `.`, as in `0.5`")),
        '{' | '}' => (1, Some("lists are written with brackets: `[1, 2]`")),
        _ if c.is_alphabetic() => (
            c.len_utf8(),
            Some("field names use ASCII letters, digits and `_`"),
        ),
        _ => (c.len_utf8(), None),
    };
    let shown = rest.get(..len).unwrap_or("");
    let message = if c.is_control() {
        format!("unexpected character {:?}", c)
    } else {
        format!("unexpected `{shown}`")
    };
    Err(error(start, start + len, message, help))
}
