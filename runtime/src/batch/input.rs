//! Splitting a byte stream into lines without copying them: a line that lies whole in the reader's
//! buffer is handed out in place; only a line that straddles two reads is gathered, and never
//! beyond the line limit (a longer line is reported as too long without being stored).

use std::io::{BufRead, ErrorKind};

/// One line of input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// The line's bytes, without its `\n` and a `\r` before it.
    Text(&'a [u8]),
    /// The same, already known to be UTF-8 (validated with the lines around it, at once).
    Utf8(&'a str),
    /// A line longer than the limit.
    TooLong,
}

impl<'a> Line<'a> {
    /// The line's bytes (none when it was too long).
    pub fn bytes(&self) -> Option<&'a [u8]> {
        match self {
            Line::Text(bytes) => Some(bytes),
            Line::Utf8(text) => Some(text.as_bytes()),
            Line::TooLong => None,
        }
    }
}

/// Calls `f` on every line of `input`: lines end at `\n`; a `\r` before it is dropped; a last
/// line without `\n` still counts, and nothing follows a final `\n`. A line is too long when,
/// without its `\r\n`, it has more than `max` bytes.
pub fn for_each_line(
    input: &mut dyn BufRead,
    max: usize,
    f: &mut dyn FnMut(Line<'_>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    // A line that straddles reads: its bytes so far (at most `max + 1`), or `too_long`.
    let mut partial: Vec<u8> = Vec::new();
    let mut pending = false;
    let mut too_long = false;
    loop {
        let chunk = match input.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            break;
        }
        let mut used = 0;
        if pending && let Some(end) = memchr::memchr(b'\n', chunk) {
            gather(
                &mut partial,
                &mut too_long,
                chunk.get(..end).unwrap_or_default(),
                max,
            );
            finish(&partial, too_long, max, f)?;
            partial.clear();
            (pending, too_long) = (false, false);
            used = end + 1;
        }
        if !pending {
            // The whole lines of the chunk, validated as UTF-8 at once (per line only when
            // that fails).
            let whole = memchr::memrchr(b'\n', chunk).map_or(used, |last| (last + 1).max(used));
            let region = chunk.get(used..whole).unwrap_or_default();
            match std::str::from_utf8(region) {
                Ok(text) => lines_of_text(text, max, f)?,
                Err(_) => lines_of_bytes(region, max, f)?,
            }
            used = whole;
        }
        let rest = chunk.get(used..).unwrap_or_default();
        if !rest.is_empty() {
            gather(&mut partial, &mut too_long, rest, max);
            pending = true;
        }
        let consumed = chunk.len();
        input.consume(consumed);
    }
    if pending {
        finish(&partial, too_long, max, f)?;
    }
    Ok(())
}

/// Calls `f` on each `\n`-terminated line of `text`.
fn lines_of_text(
    text: &str,
    max: usize,
    f: &mut dyn FnMut(Line<'_>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut rest = text;
    while let Some(end) = memchr::memchr(b'\n', rest.as_bytes()) {
        let (Some(body), Some(after)) = (rest.get(..end), rest.get(end + 1..)) else {
            break;
        };
        let body = body.strip_suffix('\r').unwrap_or(body);
        f(if body.len() > max {
            Line::TooLong
        } else {
            Line::Utf8(body)
        })?;
        rest = after;
    }
    Ok(())
}

/// Calls `f` on each `\n`-terminated line of `bytes`.
fn lines_of_bytes(
    bytes: &[u8],
    max: usize,
    f: &mut dyn FnMut(Line<'_>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut rest = bytes;
    while let Some(end) = memchr::memchr(b'\n', rest) {
        let (Some(body), Some(after)) = (rest.get(..end), rest.get(end + 1..)) else {
            break;
        };
        finish(body, false, max, f)?;
        rest = after;
    }
    Ok(())
}

/// Adds `body` to a straddling line, unless that makes it longer than any line that can fit.
fn gather(partial: &mut Vec<u8>, too_long: &mut bool, body: &[u8], max: usize) {
    if *too_long {
        return;
    }
    if partial.len() + body.len() > max.saturating_add(1) {
        *too_long = true;
        partial.clear();
    } else {
        partial.extend_from_slice(body);
    }
}

fn finish(
    body: &[u8],
    too_long: bool,
    max: usize,
    f: &mut dyn FnMut(Line<'_>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let body = body.strip_suffix(b"\r").unwrap_or(body);
    if too_long || body.len() > max {
        f(Line::TooLong)
    } else {
        f(Line::Text(body))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use std::io::BufReader;

    fn lines(input: &[u8], capacity: usize, max: usize) -> Vec<Option<Vec<u8>>> {
        let mut reader = BufReader::with_capacity(capacity, input);
        let mut out = Vec::new();
        for_each_line(&mut reader, max, &mut |line| {
            out.push(line.bytes().map(<[u8]>::to_vec));
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn lines_split_the_same_whatever_the_buffer_size() {
        let input = b"a\r\n\nbcd\r\n\r\nlonger line\nlast";
        let want: Vec<Option<Vec<u8>>> = vec![
            Some(b"a".to_vec()),
            Some(b"".to_vec()),
            Some(b"bcd".to_vec()),
            Some(b"".to_vec()),
            None,
            Some(b"last".to_vec()),
        ];
        for capacity in 1..=input.len() + 1 {
            assert_eq!(lines(input, capacity, 5), want, "capacity {capacity}");
        }
        assert_eq!(lines(b"x\n", 4, 5), vec![Some(b"x".to_vec())]);
        assert_eq!(lines(b"", 4, 5), Vec::<Option<Vec<u8>>>::new());
        assert_eq!(
            lines(b"12345\r\n123456\r\n", 3, 5),
            vec![Some(b"12345".to_vec()), None]
        );
    }

    #[test]
    fn lines_that_are_not_utf8_split_the_same_and_keep_their_bytes() {
        // A character split across reads, a byte that is no UTF-8, text after both.
        let mut bytes = "é1\nab".as_bytes().to_vec();
        bytes.push(0xff);
        bytes.extend_from_slice("\nçç\r\n\nxyz".as_bytes());
        let want: Vec<Option<Vec<u8>>> = vec![
            Some("é1".as_bytes().to_vec()),
            Some(b"ab\xff".to_vec()),
            Some("çç".as_bytes().to_vec()),
            Some(b"".to_vec()),
            Some(b"xyz".to_vec()),
        ];
        for capacity in 1..=bytes.len() + 1 {
            assert_eq!(lines(&bytes, capacity, 8), want, "capacity {capacity}");
        }
    }
}
