//! rustc and clippy in their human format (what `cargo build` prints to a terminal):
//!
//! ```text
//! error[E0425]: cannot find value `y` in this scope
//!  --> src/main.rs:3:13
//!   |
//! 3 |     let x = y + 1;
//!   |             ^ help: a local variable with a similar name exists: `x`
//!   |
//!   = note: ...
//! ```
//!
//! The span's end column comes from the carets under the primary line, so the result
//! matches `--message-format=json` where the terminal shows it.

use std::sync::LazyLock;

use regex::Regex;

use super::util::{indented, num};
use super::{LineParser, Step};
use crate::diagnostic::{Diagnostic, Location, Severity, Tool, clean_path};

static CHILD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(note|help)(?:\[[A-Za-z0-9_:]+\])?: (.*)$").expect("valid"));
static ATTACHED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\s*= (note|help): (.*)$").expect("valid"));
static LINT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"#\[(?:warn|deny|forbid)\(([A-Za-z0-9_:]+)\)\]").expect("valid"));
static CLIPPY_URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"rust-clippy/[^#\s]*#([a-z0-9_]+)").expect("valid"));

/// `error[E0425]: message` or `warning: message`: severity, code, message. Parsed by
/// hand: this runs on every line of a build log.
fn header(line: &str) -> Option<(&str, Option<&str>, &str)> {
    let (severity, rest) = if let Some(rest) = line.strip_prefix("error") {
        ("error", rest)
    } else {
        ("warning", line.strip_prefix("warning")?)
    };
    let (code, rest) = match rest.strip_prefix('[') {
        Some(inner) => {
            let (code, after) = inner.split_once(']')?;
            if code.is_empty()
                || !code
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
            {
                return None;
            }
            (Some(code), after)
        }
        None => (None, rest),
    };
    let message = rest.strip_prefix(": ")?;
    (!message.trim().is_empty()).then_some((severity, code, message))
}

/// ` --> src/main.rs:3:13` (or `::: ` for a place in another file): path, line, column.
fn arrow(trimmed: &str) -> Option<(&str, u32, u32)> {
    let rest = trimmed
        .strip_prefix("--> ")
        .or_else(|| trimmed.strip_prefix("::: "))?;
    let rest = rest.trim_end();
    let (rest, col) = rest.rsplit_once(':')?;
    let (path, line) = rest.rsplit_once(':')?;
    Some((path, num(line)?, num(col)?))
}

/// `12 |     code` (or `+`, `~`, `-` in suggested edits): the line number and separator.
fn source_line(trimmed: &str) -> Option<(u32, char)> {
    let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let separator = trimmed[digits..].trim_start().chars().next()?;
    matches!(separator, '|' | '+' | '~' | '-').then(|| Some((num(&trimmed[..digits])?, separator)))?
}

/// Lines that count or announce diagnostics rather than being one.
pub fn is_summary(message: &str) -> bool {
    message.starts_with("aborting due to")
        || message.starts_with("could not compile")
        || message.starts_with("build failed, waiting for other jobs")
        || message.starts_with("Some errors have detailed explanations")
        || message.starts_with("For more information about")
        || message.ends_with("warning emitted")
        || message.ends_with("warnings emitted")
        || (message.starts_with('`') && message.contains(" generated ") && message.contains("warning"))
}

pub struct Rustc {
    tool: Tool,
    pending: Option<Diagnostic>,
    /// Inside a child note or help (its location is related, not primary).
    child: Option<String>,
    /// The primary line's source text was just shown; the next caret row spans it.
    after_primary_source: bool,
    /// The last line was an attached `= note:`; deeper-indented lines continue it.
    in_attached: bool,
}

impl Rustc {
    pub fn new(tool: Tool) -> Self {
        Self {
            tool,
            pending: None,
            child: None,
            after_primary_source: false,
            in_attached: false,
        }
    }

    fn start(
        &mut self,
        severity: &str,
        code: Option<&str>,
        message: &str,
        out: &mut Vec<Diagnostic>,
    ) -> Step {
        self.flush(out);
        if is_summary(message) {
            return Step::Consumed;
        }
        let severity = if severity == "error" {
            Severity::Error
        } else {
            Severity::Warning
        };
        let mut d = Diagnostic::new(self.tool, severity, message);
        d.code = code.map(str::to_string);
        self.pending = Some(d);
        self.child = None;
        self.after_primary_source = false;
        Step::Open
    }

    fn continuation(&mut self, line: &str) -> Step {
        let Some(d) = self.pending.as_mut() else {
            return Step::Ignored;
        };
        let attached = std::mem::take(&mut self.in_attached);
        if attached && line.starts_with("     ") && !line.trim_start().starts_with(['|', '=']) {
            if let Some(note) = d.notes.last_mut() {
                note.push('\n');
                note.push_str(line.trim());
            }
            self.in_attached = true;
            return Step::Open;
        }
        let trimmed = line.trim_start();
        // Each regex below runs only on lines that start the way its kind of line does.
        if let Some((file, l, col)) = arrow(trimmed) {
            let (file, l, col) = (clean_path(file), Some(l), Some(col));
            if self.child.is_none() && d.file.is_none() {
                d.file = Some(file);
                d.line = l;
                d.column = col;
            } else {
                d.related.push(Location {
                    file,
                    line: l,
                    column: col,
                    message: self.child.clone(),
                });
            }
            return Step::Open;
        }
        if let Some(c) = trimmed
            .starts_with("= ")
            .then(|| ATTACHED.captures(line))
            .flatten()
        {
            let text = c[2].to_string();
            if d.code.is_none() {
                if let Some(m) = CLIPPY_URL.captures(&text) {
                    d.code = Some(format!("clippy::{}", &m[1]));
                } else if let Some(m) = LINT.captures(&text) {
                    d.code = Some(m[1].to_string());
                }
            }
            d.notes.push(format!("{}: {}", &c[1], text));
            self.in_attached = true;
            return Step::Open;
        }
        if let Some((n, separator)) = source_line(trimmed) {
            self.after_primary_source = self.child.is_none() && separator == '|' && Some(n) == d.line;
            return Step::Open;
        }
        if self.after_primary_source {
            self.after_primary_source = false;
            if let (Some(col), Some((_, marks))) = (d.column, line.split_once('|')) {
                let marks = marks.strip_prefix(' ').unwrap_or(marks);
                let at = (col as usize).saturating_sub(1);
                let carets = marks
                    .get(at..)
                    .map(|rest| rest.chars().take_while(|&c| c == '^').count())
                    .unwrap_or(0);
                if carets > 0 && marks[..at].chars().all(|c| c == ' ' || c == '^' || c == '-') {
                    d.end_line = d.line;
                    d.end_column = Some(col + carets as u32);
                }
            }
            return Step::Open;
        }
        if indented(line) || line.starts_with("...") {
            return Step::Open;
        }
        let child = line.starts_with("note") || line.starts_with("help");
        if let Some(c) = child.then(|| CHILD.captures(line)).flatten() {
            let text = c[2].to_string();
            d.notes.push(format!("{}: {}", &c[1], text));
            self.child = Some(text);
            return Step::Open;
        }
        Step::Ignored
    }
}

impl LineParser for Rustc {
    fn feed(&mut self, line: &str, out: &mut Vec<Diagnostic>) -> Step {
        if let Some((severity, code, message)) = header(line) {
            return self.start(severity, code, message, out);
        }
        if self.pending.is_none() {
            return Step::Ignored;
        }
        if line.trim().is_empty() {
            self.flush(out);
            return Step::Consumed;
        }
        self.continuation(line)
    }

    fn flush(&mut self, out: &mut Vec<Diagnostic>) {
        if let Some(mut d) = self.pending.take() {
            if d.code.as_deref().is_some_and(|c| c.starts_with("clippy::")) {
                d.tool = Tool::Clippy;
            }
            out.push(d);
        }
        self.child = None;
        self.after_primary_source = false;
    }
}
