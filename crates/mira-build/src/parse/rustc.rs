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

static HEADER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(error|warning)(?:\[([A-Za-z0-9_:]+)\])?: (.+)$").expect("valid"));
static CHILD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(note|help)(?:\[[A-Za-z0-9_:]+\])?: (.*)$").expect("valid"));
static ARROW: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?:-->|:::) (.+?):(\d+):(\d+)\s*$").expect("valid"));
static SOURCE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\s*(\d+)\s*([|+~-]) ?(.*)$").expect("valid"));
static ATTACHED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\s*= (note|help): (.*)$").expect("valid"));
static LINT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"#\[(?:warn|deny|forbid)\(([A-Za-z0-9_:]+)\)\]").expect("valid"));
static CLIPPY_URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"rust-clippy/[^#\s]*#([a-z0-9_]+)").expect("valid"));

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
        if let Some(c) = ARROW.captures(line) {
            let (file, l, col) = (clean_path(&c[1]), num(&c[2]), num(&c[3]));
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
        if let Some(c) = ATTACHED.captures(line) {
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
        if let Some(c) = SOURCE.captures(line) {
            self.after_primary_source =
                self.child.is_none() && &c[2] == "|" && num(&c[1]).is_some_and(|n| Some(n) == d.line);
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
        if let Some(c) = CHILD.captures(line) {
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
        if (line.starts_with("error") || line.starts_with("warning"))
            && let Some(c) = HEADER.captures(line)
        {
            return self.start(&c[1], c.get(2).map(|m| m.as_str()), &c[3], out);
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
