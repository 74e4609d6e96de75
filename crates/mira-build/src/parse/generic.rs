//! The fallback: any `path:line[:col]: message` line whose path looks like a source
//! file. Severity comes from the words in the message.

use std::sync::LazyLock;

use regex::Regex;

use super::util::num;
use super::{LineParser, Step};
use crate::diagnostic::{Diagnostic, Severity, Tool};

static LOCATED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*((?:[A-Za-z]:)?[^\s:()\[\]]*[\w-]\.[A-Za-z][A-Za-z0-9]{0,9}):(\d+)(?::(\d+))?(?::|\s+-|\s)\s*(\S.*)$")
        .expect("valid")
});
static SEVERITY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(error|fatal|failed|failure|warning|warn)\b").expect("valid"));

pub struct Generic;

impl LineParser for Generic {
    fn feed(&mut self, line: &str, out: &mut Vec<Diagnostic>) -> Step {
        // Cheap test first: a colon followed by a digit.
        let bytes = line.as_bytes();
        if !bytes.windows(2).any(|w| w[0] == b':' && w[1].is_ascii_digit()) {
            return Step::Ignored;
        }
        let Some(c) = LOCATED.captures(line) else {
            return Step::Ignored;
        };
        let message = c[4].trim();
        // URLs (`http://host:8080/x.js`) and times (`12:30:01`) are not places in files.
        if c[1].contains("//") {
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
        out.push(Diagnostic::new(Tool::Generic, severity, message).at(
            &c[1],
            num(&c[2]),
            c.get(3).and_then(|m| num(m.as_str())),
        ));
        Step::Consumed
    }

    fn flush(&mut self, _out: &mut Vec<Diagnostic>) {}
}
