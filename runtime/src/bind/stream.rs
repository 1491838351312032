//! Binding a line of JSON straight into a frame: the bytes are parsed once, driven by the slot
//! trie, and only the values of slots become [`Value`]s; everything else is checked for syntax and
//! skipped without building anything.
//!
//! The result is exactly what parsing the line with serde_json and binding the tree would give
//! (the same slots, values, states and built objects). Whenever that is not plain to see, the line
//! is *refused* instead ([`Refused`]) and the caller takes the tree path, which also produces the
//! error message for a malformed line: any syntax error, a value that is not an object, a key the
//! trie knows given twice (serde_json keeps the last), a `\u` escape of a surrogate, a number
//! beyond `f64`, nesting deeper than [`MAX_DEPTH`].

use crate::frame::{Frame, SlotState};
use crate::loaded::LoadedProgram;
use llemc_compiler::ir::SlotId;
use llemc_compiler::value::Value;
use std::borrow::Cow;

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

    /// A binder of the kwargs of `native_type`; `None` when the program has no slot for it.
    pub fn native(program: &'p LoadedProgram, native_type: &str) -> Option<StreamBinder<'p>> {
        let plan = program.bind_plan();
        let mount = plan.mounts.iter().find(|m| m.native_type == native_type)?;
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
        self.next_stamp();
        frame.reset();
        let mut line = Line {
            text,
            bytes: line,
            at: 0,
            depth: 0,
            binder: self,
            frame,
        };
        line.space();
        if line.peek() != Some(b'{') {
            return Err(Refused);
        }
        let root = line.binder.root;
        line.value(Some(root), false)?;
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
    text: &'l str,
    bytes: &'l [u8],
    at: usize,
    depth: u32,
    binder: &'l mut StreamBinder<'p>,
    frame: &'l mut Frame,
}

impl<'l> Line<'l, '_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Step<()> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(Refused)
        }
    }

    /// Parses the value at the cursor, reached at trie node `node`. Returns the value when `build`
    /// (an enclosing slot needs it) or when it is a slot's value; binds slots on the way.
    fn value(&mut self, node: Option<u32>, build: bool) -> Step<Option<Value>> {
        self.space();
        let plan = self.binder.program.bind_plan();
        let slot = node
            .and_then(|n| plan.nodes.get(n as usize))
            .and_then(|n| n.slot);
        if let Some(n) = node {
            let seen = self.binder.seen.get_mut(n as usize).ok_or(Refused)?;
            if *seen == self.binder.stamp {
                return Err(Refused);
            }
            *seen = self.binder.stamp;
        }
        let want = build || slot.is_some();
        let value = match self.peek().ok_or(Refused)? {
            b'{' => self.object(node, want)?,
            b'[' => self.array(want)?,
            b'"' => {
                let s = self.string()?;
                want.then(|| Value::Str(s.into_owned()))
            }
            b't' => self.literal("true", Value::Bool(true), want)?,
            b'f' => self.literal("false", Value::Bool(false), want)?,
            b'n' => self.literal("null", Value::Null, want)?,
            b'-' | b'0'..=b'9' => self.number(want)?,
            _ => return Err(Refused),
        };
        match (slot, value) {
            (Some(slot), Some(v)) if build => {
                self.frame.set(slot, v.clone(), SlotState::Declared, None);
                Ok(Some(v))
            }
            (Some(slot), Some(v)) => {
                self.frame.set(slot, v, SlotState::Declared, None);
                Ok(None)
            }
            (_, value) => Ok(value),
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

    fn object(&mut self, node: Option<u32>, want: bool) -> Step<Option<Value>> {
        self.nest()?;
        let mut entries: Vec<(String, Value)> = Vec::new();
        if self.peek() == Some(b'}') {
            self.at += 1;
        } else {
            loop {
                self.space();
                let key = self.string()?;
                self.space();
                self.eat(b':')?;
                let plan = self.binder.program.bind_plan();
                let child = node
                    .and_then(|n| plan.nodes.get(n as usize))
                    .and_then(|n| plan.child(n, &key));
                let value = self.value(child, want)?;
                if let (true, Some(v)) = (want, value) {
                    entries.push((key.into_owned(), v));
                }
                self.space();
                match self.peek() {
                    Some(b',') => self.at += 1,
                    Some(b'}') => {
                        self.at += 1;
                        break;
                    }
                    _ => return Err(Refused),
                }
            }
        }
        self.depth -= 1;
        if let Some(n) = node {
            if let Some(m) = self.binder.mapped.get_mut(n as usize) {
                *m = self.binder.stamp;
            }
            let program = self.binder.program;
            if let Some(trie) = program.bind_plan().nodes.get(n as usize)
                && !trie.defaults.is_empty()
            {
                program.apply_defaults(&trie.defaults, self.frame);
            }
        }
        Ok(want.then(|| dict(entries)))
    }

    fn array(&mut self, want: bool) -> Step<Option<Value>> {
        self.nest()?;
        let mut items = Vec::new();
        if self.peek() == Some(b']') {
            self.at += 1;
        } else {
            loop {
                if let Some(v) = self.value(None, want)? {
                    items.push(v);
                }
                self.space();
                match self.peek() {
                    Some(b',') => self.at += 1,
                    Some(b']') => {
                        self.at += 1;
                        break;
                    }
                    _ => return Err(Refused),
                }
            }
        }
        self.depth -= 1;
        Ok(want.then_some(Value::List(items)))
    }

    fn literal(&mut self, word: &str, value: Value, want: bool) -> Step<Option<Value>> {
        let end = self.at + word.len();
        if self.bytes.get(self.at..end) != Some(word.as_bytes()) {
            return Err(Refused);
        }
        self.at = end;
        Ok(want.then_some(value))
    }

    /// A string literal: borrowed when it has no escapes.
    fn string(&mut self) -> Step<Cow<'l, str>> {
        let text = self.text;
        self.eat(b'"')?;
        let start = self.at;
        loop {
            match self.peek().ok_or(Refused)? {
                b'"' => {
                    let s = text.get(start..self.at).ok_or(Refused)?;
                    self.at += 1;
                    return Ok(Cow::Borrowed(s));
                }
                b'\\' => break,
                0..=0x1f => return Err(Refused),
                _ => self.at += 1,
            }
        }
        let mut out = self.text.get(start..self.at).ok_or(Refused)?.to_owned();
        loop {
            match self.peek().ok_or(Refused)? {
                b'"' => {
                    self.at += 1;
                    return Ok(Cow::Owned(out));
                }
                b'\\' => {
                    self.at += 1;
                    out.push(self.escape()?);
                }
                0..=0x1f => return Err(Refused),
                _ => {
                    let rest = self.text.get(self.at..).ok_or(Refused)?;
                    let c = rest.chars().next().ok_or(Refused)?;
                    out.push(c);
                    self.at += c.len_utf8();
                }
            }
        }
    }

    /// The character of the escape after a `\`.
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
                let hex = self.text.get(self.at..self.at + 4).ok_or(Refused)?;
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

    /// A number, converted as serde_json converts it (see [`number_value`]) when wanted; a
    /// number beyond `f64` is refused either way (serde_json rejects it).
    fn number(&mut self, want: bool) -> Step<Option<Value>> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.at += 1;
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    return Err(Refused);
                }
            }
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(Refused),
        }
        let int_digits = self.at - start;
        let mut float = false;
        let mut exponent = false;
        if self.peek() == Some(b'.') {
            self.at += 1;
            self.required_digits()?;
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
        let token = self.text.get(start..self.at).ok_or(Refused)?;
        if want {
            return number_value(token, float).map(Some);
        }
        if (exponent || int_digits > 300) && !token.parse::<f64>().is_ok_and(f64::is_finite) {
            return Err(Refused);
        }
        Ok(None)
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
    }

    fn required_digits(&mut self) -> Step<()> {
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(Refused);
        }
        self.digits();
        Ok(())
    }
}

/// The value serde_json gives a number token (valid JSON): an integer within `i64` is an int; a
/// larger one, `-0`, and any token with a fraction or exponent is a float (correctly rounded).
fn number_value(token: &str, float: bool) -> Step<Value> {
    let finite = |t: &str| -> Step<Value> {
        match t.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Value::Float(f)),
            _ => Err(Refused),
        }
    };
    if float {
        return finite(token);
    }
    let (negative, digits) = match token.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, token),
    };
    let Ok(magnitude) = digits.parse::<u64>() else {
        return finite(token);
    };
    #[allow(clippy::cast_precision_loss)]
    let as_float = magnitude as f64;
    Ok(match (negative, i64::try_from(magnitude)) {
        (false, Ok(i)) => Value::Int(i),
        (false, Err(_)) => Value::Float(as_float),
        (true, _) if magnitude == 0 => Value::Float(-0.0),
        (true, _) => match 0i64.checked_sub_unsigned(magnitude) {
            Some(i) => Value::Int(i),
            None => Value::Float(-as_float),
        },
    })
}

/// A JSON object as serde_json's map holds it: keys sorted, the last of equal keys kept.
fn dict(mut entries: Vec<(String, Value)>) -> Value {
    entries.reverse();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries.dedup_by(|later, earlier| later.0 == earlier.0);
    Value::Dict(
        entries
            .into_iter()
            .map(|(k, v)| (Value::Str(k), v))
            .collect(),
    )
}
