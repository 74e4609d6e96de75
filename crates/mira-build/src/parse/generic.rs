//! The fallback: any `path:line[:col]: message` line whose path looks like a source
//! file. Severity comes from the words in the message.

use std::sync::LazyLock;

use regex::Regex;

use super::util::num;
use super::{LineParser, Step};
use crate::diagnostic::{Diagnostic, Severity, Tool};

static SEVERITY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(error|fatal|failed|failure|warning|warn)\b").expect("valid"));

/// `path:line[:col][:| -] message` where the path has a file extension: path, line,
/// column, message. Parsed by hand, since it is tried on most lines of a log.
fn located(line: &str) -> Option<(&str, u32, Option<u32>, &str)> {
    let text = line.trim_start();
    let bytes = text.as_bytes();
    let digit = |b: &u8| b.is_ascii_digit();
    let (at, _) = text
        .match_indices(':')
        .find(|(i, _)| bytes.get(i + 1).is_some_and(digit))?;
    let path = &text[..at];
    let body = match path.as_bytes() {
        [drive, b':', ..] if drive.is_ascii_alphabetic() => &path[2..],
        _ => path,
    };
    if body.is_empty()
        || body
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b"():[]".contains(&b))
    {
        return None;
    }
    let (stem, ext) = body.rsplit_once('.')?;
    let stem_ok = stem.ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '-');
    let ext_ok = (1..=10).contains(&ext.len())
        && ext.starts_with(|c: char| c.is_ascii_alphabetic())
        && ext.bytes().all(|b| b.is_ascii_alphanumeric());
    if !stem_ok || !ext_ok {
        return None;
    }
    let rest = &text[at + 1..];
    let n = rest.bytes().take_while(digit).count();
    let line_no = num(&rest[..n])?;
    let mut rest = &rest[n..];
    let mut column = None;
    if let Some(after) = rest.strip_prefix(':') {
        let m = after.bytes().take_while(digit).count();
        if m > 0 {
            column = num(&after[..m]);
            rest = &after[m..];
        }
    }
    let rest = match rest.strip_prefix(':') {
        Some(r) => r,
        None if rest.starts_with(char::is_whitespace) => rest,
        None => return None,
    };
    let message = rest.trim();
    let message = message.strip_prefix("- ").unwrap_or(message);
    (!message.is_empty()).then_some((path, line_no, column, message))
}

pub struct Generic;

impl LineParser for Generic {
    fn feed(&mut self, line: &str, out: &mut Vec<Diagnostic>) -> Step {
        // Cheap test first: a colon followed by a digit.
        let bytes = line.as_bytes();
        if !line
            .match_indices(':')
            .any(|(i, _)| bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            return Step::Ignored;
        }
        let Some((path, line_no, column, message)) = located(line) else {
            return Step::Ignored;
        };
        // URLs (`http://host:8080/x.js`) are not places in files.
        if path.contains("//") {
            return Step::Ignored;
        }
        let severity = match SEVERITY.captures(message).map(|m| m[1].to_ascii_lowercase()) {
            Some(w) if w.starts_with("warn") => Severity::Warning,
            Some(_) => Severity::Error,
            None => Severity::Info,
        };
        let message = message
            .strip_prefix("error:")
            .or_else(|| message.strip_prefix("warning:"))
            .map(str::trim)
            .unwrap_or(message);
        // `b.c:2:52: warning:` and nothing more says nothing; the log keeps the line.
        if message.is_empty() {
            return Step::Ignored;
        }
        out.push(Diagnostic::new(Tool::Generic, severity, message).at(path, Some(line_no), column));
        Step::Consumed
    }

    fn flush(&mut self, _out: &mut Vec<Diagnostic>) {}
}
