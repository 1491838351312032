//! Binding a line of JSON straight into a frame: the bytes are parsed once, driven by the slot
//! trie, and only the values of slots become [`Value`]s; everything else is checked for syntax and
//! skipped without building anything.
//!
//! The result is exactly what parsing the line with serde_json and binding the tree would give
//! (the same slots, values, states and built objects). Whenever that is not plain to see, the line
//! is *refused* instead ([`Refused`]) and the caller takes the tree path, which also produces the
//! error message for a malformed line: any syntax error, a value that is not an object, a key the
//! trie knows given twice (serde_json keeps the last), a key with an escape, a `\u` escape of a
//! surrogate, a number beyond `f64`, nesting deeper than [`MAX_DEPTH`].
//!
//! The line is validated as UTF-8 once; keys are compared as bytes, so a key costs a scan and a
//! table probe.

use super::BindPlan;
use super::lex::{dict, integer_value, number_value, string_end};
use crate::frame::{Frame, SlotState};
use crate::loaded::LoadedProgram;
use llemc_compiler::ir::SlotId;
use llemc_compiler::value::Value;

/// Deeper nesting is left to serde_json (its own limit is 128).
const MAX_DEPTH: u32 = 100;

/// The line is not bound here; bind it through the tree path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused;

type Step<T> = Result<T, Refused>;

/// Binds JSON lines of one program, where a line is a whole config or one native type's kwargs.
#[derive(Clone, Debug)]
pub struct StreamBinder<'p> {
    program: &'p LoadedProgram,
    /// The trie node a line's root stands for.
    root: u32,
    /// Defaults applied when the line's root is a mapping, besides the root node's own.
    root_defaults: &'p [SlotId],
    /// Per object of the program: the trie node whose being a mapping means the object is built
    /// (`None`: never built by such a line).
    objects: Vec<Option<u32>>,
    /// Per trie node: the line it was last reached in.
    seen: Vec<u32>,
    /// Per trie node: the line it was last a mapping in.
    mapped: Vec<u32>,
    /// The current line's stamp (never 0).
    stamp: u32,
}

impl<'p> StreamBinder<'p> {
    /// A binder of whole config trees.
    pub fn tree(program: &'p LoadedProgram) -> StreamBinder<'p> {
        let plan = program.bind_plan();
        let objects = program
            .objects()
            .iter()
            .map(|(_, path)| plan.find(path.iter().map(String::as_str)))
            .collect();
        StreamBinder::new(program, 0, &[], objects)
    }

    /// A binder of the kwargs of `native_type`; `None` when the program has no slot for it, or
    /// when its kwargs are written under other config keys (a native type `fed_by` another:
    /// bind those with [`LoadedProgram::bind_native`]).
    pub fn native(program: &'p LoadedProgram, native_type: &str) -> Option<StreamBinder<'p>> {
        let plan = program.bind_plan();
        let mount = plan.mounts.iter().find(|m| m.native_type == native_type)?;
        if mount.keyed.is_some() {
            return None;
        }
        let base = program.mount(native_type).unwrap_or(&[]);
        let objects = program
            .objects()
            .iter()
            .map(|(_, path)| {
                path.starts_with(base)
                    .then(|| plan.find(path.iter().map(String::as_str)))
                    .flatten()
            })
            .collect();
        Some(StreamBinder::new(
            program,
            mount.node,
            &mount.defaults,
            objects,
        ))
    }

    fn new(
        program: &'p LoadedProgram,
        root: u32,
        root_defaults: &'p [SlotId],
        objects: Vec<Option<u32>>,
    ) -> StreamBinder<'p> {
        let nodes = program.bind_plan().nodes.len();
        StreamBinder {
            program,
            root,
            root_defaults,
            objects,
            seen: vec![0; nodes],
            mapped: vec![0; nodes],
            stamp: 0,
        }
    }

    /// Binds one line (without its line break) into `frame`, or refuses it; a refused line may
    /// leave the frame partly bound (binding the tree resets it).
    pub fn bind(&mut self, line: &[u8], frame: &mut Frame) -> Result<(), Refused> {
        let text = std::str::from_utf8(line).map_err(|_| Refused)?;
        self.bind_str(text, frame)
    }

    /// [`StreamBinder::bind`] on a line already known to be UTF-8.
    pub fn bind_str(&mut self, text: &str, frame: &mut Frame) -> Result<(), Refused> {
        let line = text.as_bytes();
        self.next_stamp();
        frame.reset();
        let mut line = Line {
            text,
            bytes: line,
            at: 0,
            depth: 0,
            plan: self.program.bind_plan(),
            binder: self,
            frame,
        };
        line.space();
        if line.peek() != Some(b'{') {
            return Err(Refused);
        }
        let root = line.binder.root;
        line.node(root, false)?;
        line.space();
        if line.at != line.bytes.len() {
            return Err(Refused);
        }
        let Line { binder, frame, .. } = line;
        binder.program.apply_defaults(binder.root_defaults, frame);
        for (index, node) in binder.objects.iter().enumerate() {
            let built = node.is_some_and(|n| binder.mapped.get(n as usize) == Some(&binder.stamp));
            frame.set_object(index, built);
        }
        Ok(())
    }

    fn next_stamp(&mut self) {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.seen.fill(0);
            self.mapped.fill(0);
            self.stamp = 1;
        }
    }
}

/// One line being bound.
struct Line<'l, 'p> {
    /// The line as text, and its bytes.
    text: &'l str,
    bytes: &'l [u8],
    at: usize,
    depth: u32,
    plan: &'p BindPlan,
    binder: &'l mut StreamBinder<'p>,
    frame: &'l mut Frame,
}

impl<'l> Line<'l, '_> {
    /// The text of bytes `start..end` (they end at ASCII delimiters).
    #[inline]
    fn slice(&self, start: usize, end: usize) -> Step<&'l str> {
        self.text.get(start..end).ok_or(Refused)
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    #[inline]
    fn space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    #[inline]
    fn eat(&mut self, byte: u8) -> Step<()> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(Refused)
        }
    }

    /// Marks trie node `n` reached in this line; a second time is a key given twice (serde_json
    /// keeps the last), refused.
    #[inline]
    fn mark_seen(&mut self, n: u32) -> Step<()> {
        let seen = self.binder.seen.get_mut(n as usize).ok_or(Refused)?;
        if *seen == self.binder.stamp {
            return Err(Refused);
        }
        *seen = self.binder.stamp;
        Ok(())
    }

    /// Parses the value at the cursor, reached at trie node `n`: binds the slot that ends there
    /// and the slots below it. Returns the value when `build` (an enclosing slot needs it).
    fn node(&mut self, n: u32, build: bool) -> Step<Option<Value>> {
        self.space();
        let plan = self.plan;
        let trie = plan.nodes.get(n as usize).ok_or(Refused)?;
        self.mark_seen(n)?;
        let Some(slot) = trie.slot else {
            return if self.peek() == Some(b'{') {
                self.object(n, build)
            } else if build {
                self.build().map(Some)
            } else {
                self.skip().map(|()| None)
            };
        };
        if !build {
            // A scalar is bound straight away.
            match self.peek() {
                Some(b'"') => {
                    let s = self.plain_string()?;
                    self.frame.set_str(slot, s, SlotState::Declared, None);
                    return Ok(None);
                }
                Some(b'-' | b'0'..=b'9') => {
                    let v = self.number(true)?.ok_or(Refused)?;
                    self.frame.set(slot, v, SlotState::Declared, None);
                    return Ok(None);
                }
                _ => {}
            }
        }
        let value = if self.peek() == Some(b'{') {
            self.object(n, true)?.ok_or(Refused)?
        } else {
            self.build()?
        };
        if build {
            self.frame
                .set(slot, value.clone(), SlotState::Declared, None);
            Ok(Some(value))
        } else {
            self.frame.set(slot, value, SlotState::Declared, None);
            Ok(None)
        }
    }

    fn nest(&mut self) -> Step<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Refused);
        }
        self.at += 1;
        self.space();
        Ok(())
    }

    /// After an entry or item: `,` (more follow, `true`) or `close` (`false`).
    #[inline]
    fn next_entry(&mut self, close: u8) -> Step<bool> {
        self.space();
        match self.peek() {
            Some(b',') => {
                self.at += 1;
                self.space();
                Ok(true)
            }
            Some(c) if c == close => {
                self.at += 1;
                Ok(false)
            }
            _ => Err(Refused),
        }
    }

    /// A key (without escapes) and its colon, as the range of its bytes; the cursor is at its
    /// opening quote.
    #[inline]
    fn key(&mut self) -> Step<(usize, usize)> {
        let key = self.raw_string()?;
        self.space();
        self.eat(b':')?;
        Ok(key)
    }

    /// An object at trie node `n`: its keys looked up among the node's children; afterwards the
    /// node is marked a mapping and its defaults apply.
    fn object(&mut self, n: u32, build: bool) -> Step<Option<Value>> {
        self.nest()?;
        let plan = self.plan;
        let trie = plan.nodes.get(n as usize).ok_or(Refused)?;
        let mut entries: Vec<(String, Value)> = Vec::new();
        let mut more = self.peek() != Some(b'}');
        if !more {
            self.at += 1;
        }
        while more {
            let (start, end) = self.key()?;
            let key = self.bytes.get(start..end).ok_or(Refused)?;
            match (plan.child_bytes(trie, key), build) {
                (Some(child), false) => {
                    self.node(child, false)?;
                }
                (None, false) => self.skip()?,
                (child, true) => {
                    let value = match child {
                        Some(child) => self.node(child, true)?.ok_or(Refused)?,
                        None => self.build()?,
                    };
                    entries.push((self.slice(start, end)?.to_owned(), value));
                }
            }
            more = self.next_entry(b'}')?;
        }
        self.depth -= 1;
        if let Some(m) = self.binder.mapped.get_mut(n as usize) {
            *m = self.binder.stamp;
        }
        if !trie.defaults.is_empty() {
            self.binder
                .program
                .apply_defaults(&trie.defaults, self.frame);
        }
        Ok(build.then(|| dict(entries)))
    }

    /// Checks the value at the cursor without building it.
    fn skip(&mut self) -> Step<()> {
        self.space();
        match self.peek().ok_or(Refused)? {
            b'{' => {
                self.nest()?;
                let mut more = self.peek() != Some(b'}');
                if !more {
                    self.at += 1;
                }
                while more {
                    self.checked_string()?;
                    self.space();
                    self.eat(b':')?;
                    self.skip()?;
                    more = self.next_entry(b'}')?;
                }
                self.depth -= 1;
                Ok(())
            }
            b'[' => {
                self.nest()?;
                let mut more = self.peek() != Some(b']');
                if !more {
                    self.at += 1;
                }
                while more {
                    self.skip()?;
                    more = self.next_entry(b']')?;
                }
                self.depth -= 1;
                Ok(())
            }
            b'"' => self.checked_string(),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(false).map(drop),
            _ => Err(Refused),
        }
    }

    /// Builds the value at the cursor (outside the trie).
    fn build(&mut self) -> Step<Value> {
        self.space();
        match self.peek().ok_or(Refused)? {
            b'{' => {
                self.nest()?;
                let mut entries = Vec::new();
                let mut more = self.peek() != Some(b'}');
                if !more {
                    self.at += 1;
                }
                while more {
                    let key = self.string()?;
                    self.space();
                    self.eat(b':')?;
                    entries.push((key, self.build()?));
                    more = self.next_entry(b'}')?;
                }
                self.depth -= 1;
                Ok(dict(entries))
            }
            b'[' => {
                self.nest()?;
                let mut items = Vec::new();
                let mut more = self.peek() != Some(b']');
                if !more {
                    self.at += 1;
                }
                while more {
                    items.push(self.build()?);
                    more = self.next_entry(b']')?;
                }
                self.depth -= 1;
                Ok(Value::List(items))
            }
            b'"' => self.string().map(Value::Str),
            b't' => self.literal(b"true").map(|()| Value::Bool(true)),
            b'f' => self.literal(b"false").map(|()| Value::Bool(false)),
            b'n' => self.literal(b"null").map(|()| Value::Null),
            b'-' | b'0'..=b'9' => self.number(true)?.ok_or(Refused),
            _ => Err(Refused),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Step<()> {
        let end = self.at + word.len();
        let same = self
            .bytes
            .get(self.at..end)
            .is_some_and(|b| b.iter().zip(word).all(|(x, y)| x == y));
        if !same {
            return Err(Refused);
        }
        self.at = end;
        Ok(())
    }

    /// The range of the bytes of a string literal without escapes (a string with one is
    /// refused).
    #[inline]
    fn raw_string(&mut self) -> Step<(usize, usize)> {
        let bytes = self.bytes;
        self.eat(b'"')?;
        let start = self.at;
        let end = bytes
            .get(start..)
            .and_then(string_end)
            .map(|n| start + n)
            .ok_or(Refused)?;
        if bytes.get(end) != Some(&b'"') {
            return Err(Refused);
        }
        self.at = end + 1;
        Ok((start, end))
    }

    /// A string literal without escapes, as text.
    #[inline]
    fn plain_string(&mut self) -> Step<&'l str> {
        let (start, end) = self.raw_string()?;
        self.slice(start, end)
    }

    /// Checks a string literal (escapes included) without keeping it.
    fn checked_string(&mut self) -> Step<()> {
        let bytes = self.bytes;
        self.eat(b'"')?;
        loop {
            let end = bytes
                .get(self.at..)
                .and_then(string_end)
                .map(|n| self.at + n)
                .ok_or(Refused)?;
            self.at = end + 1;
            match bytes.get(end) {
                Some(b'"') => return Ok(()),
                Some(b'\\') => {
                    self.escape()?;
                }
                _ => return Err(Refused),
            }
        }
    }

    /// A string literal, escapes decoded.
    fn string(&mut self) -> Step<String> {
        let bytes = self.bytes;
        self.eat(b'"')?;
        let mut out = String::new();
        loop {
            let start = self.at;
            let end = bytes
                .get(start..)
                .and_then(string_end)
                .map(|n| start + n)
                .ok_or(Refused)?;
            out.push_str(self.slice(start, end)?);
            self.at = end + 1;
            match bytes.get(end) {
                Some(b'"') => return Ok(out),
                Some(b'\\') => out.push(self.escape()?),
                _ => return Err(Refused),
            }
        }
    }

    /// The character of the escape after a `\\`.
    fn escape(&mut self) -> Step<char> {
        let c = self.peek().ok_or(Refused)?;
        self.at += 1;
        Ok(match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hex = self.slice(self.at, self.at + 4)?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(Refused);
                }
                let code = u32::from_str_radix(hex, 16).map_err(|_| Refused)?;
                self.at += 4;
                // Surrogates (pairs or lone) are left to serde_json.
                char::from_u32(code).ok_or(Refused)?
            }
            _ => return Err(Refused),
        })
    }

    /// Consumes a run of decimal digits, continuing `magnitude` while it fits in a `u64` (`fits`
    /// turns false once it does not); returns how many digits were read.
    fn digits(&mut self, magnitude: &mut u64, fits: &mut bool) -> usize {
        let first = self.at;
        while let Some(d @ b'0'..=b'9') = self.peek() {
            match magnitude
                .checked_mul(10)
                .and_then(|m| m.checked_add(u64::from(d - b'0')))
            {
                Some(m) => *magnitude = m,
                None => *fits = false,
            }
            self.at += 1;
        }
        self.at - first
    }

    /// A number, converted as serde_json converts it (see [`number_value`]) when wanted; a
    /// number beyond `f64` is refused either way (serde_json rejects it).
    fn number(&mut self, want: bool) -> Step<Option<Value>> {
        let start = self.at;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        // The integer part, accumulated while it fits (a plain integer needs no second pass).
        let mut magnitude: u64 = 0;
        let mut fits = true;
        match self.peek() {
            Some(b'0') => {
                self.at += 1;
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    return Err(Refused);
                }
            }
            Some(b'1'..=b'9') => {
                self.digits(&mut magnitude, &mut fits);
            }
            _ => return Err(Refused),
        }
        let int_digits = self.at - start;
        let mut float = false;
        let mut exponent = false;
        let mut fraction_digits = 0usize;
        if self.peek() == Some(b'.') {
            self.at += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(Refused);
            }
            // The digits continue the integer part's magnitude while it fits (for the fast path
            // below).
            fraction_digits = self.digits(&mut magnitude, &mut fits);
            float = true;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            self.required_digits()?;
            float = true;
            exponent = true;
        }
        if want && !float && fits {
            return Ok(Some(integer_value(negative, magnitude)));
        }
        if want
            && float
            && !exponent
            && let Some(value) = fast_float(negative, magnitude, fits, fraction_digits)
        {
            return Ok(Some(value));
        }
        let token = self.slice(start, self.at)?;
        if want {
            return number_value(token, float).map(Some);
        }
        if (exponent || int_digits > 300) && !token.parse::<f64>().is_ok_and(f64::is_finite) {
            return Err(Refused);
        }
        Ok(None)
    }

    fn required_digits(&mut self) -> Step<()> {
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(Refused);
        }
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
        Ok(())
    }
}

/// Exact powers of ten as `f64` (10^22 is the largest that is exact).
const POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The value of a decimal `[-]digits.fraction` (no exponent) whose digits, read as one integer,
/// are `magnitude` with `fraction_digits` of them after the point, when it can be computed
/// exactly rounded without a full parse: the magnitude is at most 2^53 and the power of ten at
/// most 10^22, both exact in `f64`, so one correctly rounded division gives the correctly rounded
/// value (Clinger's fast path), as `str::parse::<f64>` would. `None`: take the full parse.
fn fast_float(negative: bool, magnitude: u64, fits: bool, fraction_digits: usize) -> Option<Value> {
    if !fits || magnitude > 1 << 53 {
        return None;
    }
    let scale = POWERS_OF_TEN.get(fraction_digits)?;
    #[allow(clippy::cast_precision_loss)]
    let value = magnitude as f64 / scale;
    Some(Value::Float(if negative { -value } else { value }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn the_fast_float_path_rounds_as_the_full_parse(
            negative: bool,
            int in 0u64..10_000_000,
            fraction in 0u64..u64::MAX,
            digits in 1usize..=22,
        ) {
            let fraction = format!("{fraction:020}");
            let fraction = fraction.get(..digits.min(20)).unwrap_or("0");
            let token = format!("{}{int}.{fraction}", if negative { "-" } else { "" });
            let whole: String = format!("{int}{fraction}");
            let (magnitude, fits) = match whole.parse::<u64>() {
                Ok(m) => (m, true),
                Err(_) => (0, false),
            };
            if let Some(fast) = fast_float(negative, magnitude, fits, fraction.len()) {
                let full: f64 = token.parse().unwrap_or(f64::NAN);
                let Value::Float(f) = fast else {
                    return Err(TestCaseError::fail(format!("{token}: not a float")));
                };
                prop_assert_eq!(f.to_bits(), full.to_bits(), "{}", token);
            }
        }
    }
}
