//! Splitting a byte stream into lines without copying them: a line that lies whole in the reader's
//! buffer is handed out in place; only a line that straddles two reads is gathered, and never
//! beyond the line limit (a longer line is reported as too long without being stored).

use std::io::{BufRead, ErrorKind};

/// One line of input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// The line's bytes, without its `\n` and a `\r` before it.
    Text(&'a [u8]),
    /// A line longer than the limit.
    TooLong,
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
        while let Some(rest) = chunk.get(used..) {
            let Some(end) = memchr::memchr(b'\n', rest) else {
                break;
            };
            let body = rest.get(..end).unwrap_or_default();
            if pending {
                gather(&mut partial, &mut too_long, body, max);
                finish(&partial, too_long, max, f)?;
                partial.clear();
                (pending, too_long) = (false, false);
            } else {
                finish(body, false, max, f)?;
            }
            used += end + 1;
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
            out.push(match line {
                Line::Text(t) => Some(t.to_vec()),
                Line::TooLong => None,
            });
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
}
