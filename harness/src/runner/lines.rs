//! Splitting a byte stream that arrives in arbitrary chunks into lines.

/// Collects bytes and hands out complete lines (lossy UTF-8, without `\n` or `\r\n`).
#[derive(Debug, Default)]
pub(crate) struct LineBuffer {
    pending: Vec<u8>,
}

impl LineBuffer {
    /// Adds a chunk; returns the lines it completed.
    pub(crate) fn push(&mut self, chunk: &[u8]) -> Vec<String> {
        self.pending.extend_from_slice(chunk);
        let mut lines = Vec::new();
        while let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
            let rest = self.pending.split_off(end + 1);
            let line = std::mem::replace(&mut self.pending, rest);
            lines.push(decode(&line));
        }
        lines
    }

    /// The last line, if the stream did not end with a line end.
    pub(crate) fn finish(&mut self) -> Option<String> {
        if self.pending.is_empty() {
            None
        } else {
            Some(decode(&std::mem::take(&mut self.pending)))
        }
    }
}

/// A line's text without its line end.
pub(crate) fn decode(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.trim_end_matches('\n')
        .trim_end_matches('\r')
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_across_chunks() {
        let mut buffer = LineBuffer::default();
        assert_eq!(buffer.push(b"{\"event\": \"sta"), Vec::<String>::new());
        assert_eq!(
            buffer.push(b"rted\"}\nsecond\r\nthi"),
            vec!["{\"event\": \"started\"}", "second"]
        );
        assert_eq!(buffer.push(b"rd\n"), vec!["third"]);
        assert_eq!(buffer.finish(), None);
        assert_eq!(buffer.push(b"tail"), Vec::<String>::new());
        assert_eq!(buffer.finish(), Some("tail".to_owned()));
    }
}
