//! Limits that keep a run's memory and its record flat whatever the command prints.
//!
//! A command can print without end (`yes "error: spam"`) or print one line of hundreds
//! of megabytes. The log is bounded by BUILD_LOG_MAX_BYTES (see `runner.rs`); these
//! bound the rest: how much of one line the parsers see, how long one multi-line block
//! may grow, and how many diagnostics (and bytes of them) a run keeps. What is dropped is
//! counted and said in a marker diagnostic, never silently lost.

use crate::diagnostic::{Diagnostic, Severity, Tool};

/// The most of one line the parsers see; the rest of the line is skipped as it arrives.
/// Generous, because one line of `cargo --message-format=json` carries a whole rendered
/// diagnostic.
pub const MAX_LINE_BYTES: usize = 1 << 20;
/// The most text one parser's open block (a rustc error with its notes, a jest failure)
/// may take in before it is closed where it stands.
pub const MAX_BLOCK_BYTES: usize = 4 << 20;
/// The most diagnostics a run keeps.
pub const MAX_DIAGNOSTICS: usize = 2000;
/// The most text (messages, notes, paths) of all kept diagnostics together.
pub const MAX_DIAGNOSTICS_BYTES: usize = 4 << 20;
/// The most text one diagnostic keeps: longer messages and notes are cut.
pub const MAX_ONE_DIAGNOSTIC_BYTES: usize = 64 << 10;
/// The most related places one diagnostic keeps (a stack trace's frames).
const MAX_RELATED: usize = 100;

/// The code of the marker that says diagnostics were dropped.
pub const DROPPED_CODE: &str = "mira-dropped";

/// The diagnostics a run keeps, within the limits above.
#[derive(Debug, Default)]
pub struct Kept {
    list: Vec<Diagnostic>,
    bytes: usize,
    dropped: u64,
    dropped_bytes: u64,
}

impl Kept {
    pub fn push(&mut self, mut d: Diagnostic) {
        trim(&mut d);
        let size = size_of(&d);
        if self.list.len() >= MAX_DIAGNOSTICS || self.bytes + size > MAX_DIAGNOSTICS_BYTES {
            self.dropped += 1;
            self.dropped_bytes += size as u64;
            return;
        }
        self.bytes += size;
        self.list.push(d);
    }

    pub fn extend(&mut self, diagnostics: impl IntoIterator<Item = Diagnostic>) {
        for d in diagnostics {
            self.push(d);
        }
    }

    /// The kept diagnostics in the order printed, then, if any were dropped, a marker
    /// saying how many.
    pub fn finish(self) -> Vec<Diagnostic> {
        let mut list = self.list;
        if self.dropped > 0 {
            list.push(
                Diagnostic::new(
                    Tool::Generic,
                    Severity::Info,
                    format!(
                        "{} more diagnostics ({} bytes) were dropped: a run keeps at most {MAX_DIAGNOSTICS} \
                         diagnostics and {MAX_DIAGNOSTICS_BYTES} bytes of them; the log keeps the output",
                        self.dropped, self.dropped_bytes
                    ),
                )
                .with_code(DROPPED_CODE),
            );
        }
        list
    }
}

fn size_of(d: &Diagnostic) -> usize {
    d.message.len()
        + d.code.as_ref().map_or(0, String::len)
        + d.file.as_ref().map_or(0, String::len)
        + d.notes.iter().map(String::len).sum::<usize>()
        + d.related
            .iter()
            .map(|r| r.file.len() + r.message.as_ref().map_or(0, String::len))
            .sum::<usize>()
}

/// Cuts one diagnostic down to [`MAX_ONE_DIAGNOSTIC_BYTES`], message first, then notes,
/// saying where it cut.
fn trim(d: &mut Diagnostic) {
    cut(&mut d.message, MAX_ONE_DIAGNOSTIC_BYTES / 2);
    let mut room = MAX_ONE_DIAGNOSTIC_BYTES.saturating_sub(d.message.len());
    let mut kept = 0;
    for note in &mut d.notes {
        if room == 0 {
            break;
        }
        cut(note, room);
        room -= note.len().min(room);
        kept += 1;
    }
    let cut_notes = d.notes.len() - kept;
    if cut_notes > 0 {
        d.notes.truncate(kept);
        d.notes.push(format!("[mira: {cut_notes} more notes cut]"));
    }
    if d.related.len() > MAX_RELATED {
        d.related.truncate(MAX_RELATED);
    }
}

/// Cuts `text` to at most `max` bytes (on a character boundary), marking the cut.
fn cut(text: &mut String, max: usize) {
    if text.len() <= max {
        return;
    }
    let total = text.len();
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push_str(&format!(" [mira: {} bytes cut]", total - end));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_the_limits_diagnostics_are_counted_not_kept() {
        let mut kept = Kept::default();
        for i in 0..MAX_DIAGNOSTICS + 5 {
            kept.push(Diagnostic::new(Tool::Generic, Severity::Error, format!("e{i}")));
        }
        let list = kept.finish();
        assert_eq!(list.len(), MAX_DIAGNOSTICS + 1);
        let marker = list.last().unwrap();
        assert_eq!(marker.code.as_deref(), Some(DROPPED_CODE));
        assert!(
            marker.message.starts_with("5 more diagnostics"),
            "{}",
            marker.message
        );
    }

    #[test]
    fn one_huge_diagnostic_is_cut() {
        let mut d = Diagnostic::new(
            Tool::Generic,
            Severity::Error,
            "é".repeat(MAX_ONE_DIAGNOSTIC_BYTES),
        );
        d.notes = vec!["n".repeat(1000); 1000];
        trim(&mut d);
        assert!(size_of(&d) <= MAX_ONE_DIAGNOSTIC_BYTES + 200, "{}", size_of(&d));
        assert!(d.message.ends_with("bytes cut]"));
        assert!(d.notes.last().unwrap().contains("more notes cut"));
    }
}
