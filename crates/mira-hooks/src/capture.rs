//! A hook's stdout or stderr, kept up to a bound: a hook that floods its output costs
//! memory only up to the bound, and is still read to the end so it never blocks on a full
//! pipe.

/// Each stream keeps at most this much.
pub const OUTPUT_LIMIT: usize = 64 * 1024;

/// What a hook wrote on one stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CapturedOutput {
    /// The first [`OUTPUT_LIMIT`] bytes, decoded lossily (invalid UTF-8 becomes U+FFFD).
    pub text: String,
    /// Everything the hook wrote, kept or not.
    pub total_bytes: u64,
    /// Whether bytes past the limit were dropped (`total_bytes` says how many there were).
    pub truncated: bool,
}

impl CapturedOutput {
    /// The text, with a note of what was cut when it was, for showing to a person.
    pub fn text_with_note(&self) -> String {
        if self.truncated {
            format!(
                "{}\n[output cut: {} of {} bytes kept]",
                self.text,
                self.text.len(),
                self.total_bytes
            )
        } else {
            self.text.clone()
        }
    }
}

#[derive(Debug)]
pub(crate) struct Capture {
    kept: Vec<u8>,
    limit: usize,
    total: u64,
}

impl Capture {
    pub(crate) fn new(limit: usize) -> Capture {
        Capture {
            kept: Vec::new(),
            limit,
            total: 0,
        }
    }

    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.total += bytes.len() as u64;
        let room = self.limit.saturating_sub(self.kept.len());
        self.kept.extend_from_slice(&bytes[..room.min(bytes.len())]);
    }

    pub(crate) fn finish(self) -> CapturedOutput {
        let truncated = self.total > self.kept.len() as u64;
        let mut kept = self.kept;
        if truncated {
            // The cut may fall inside a character: drop its first bytes rather than show a
            // replacement character that was never written.
            if let Err(e) = std::str::from_utf8(&kept)
                && e.error_len().is_none()
            {
                kept.truncate(e.valid_up_to());
            }
        }
        CapturedOutput {
            text: String::from_utf8_lossy(&kept).into_owned(),
            total_bytes: self.total,
            truncated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_first_bytes_and_counts_all() {
        let mut capture = Capture::new(4);
        capture.push(b"ab");
        capture.push(b"cdef");
        capture.push(b"g");
        let out = capture.finish();
        assert_eq!(out.text, "abcd");
        assert_eq!(out.total_bytes, 7);
        assert!(out.truncated);
        assert!(out.text_with_note().contains("4 of 7 bytes"));
    }

    #[test]
    fn a_character_split_by_the_limit_is_dropped_and_bad_bytes_become_replacements() {
        let mut capture = Capture::new(4);
        capture.push("abc\u{e9}z".as_bytes());
        assert_eq!(capture.finish().text, "abc");
        let mut capture = Capture::new(16);
        capture.push(b"a\xffb");
        let out = capture.finish();
        assert_eq!(out.text, "a\u{fffd}b");
        assert!(!out.truncated);
    }
}
