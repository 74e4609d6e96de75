//! GCC and Clang: `file:line:col: error: message [-Wflag]`, notes that belong to the
//! diagnostic before them, the source line with `^~~~` under the span, and the
//! linker's `file.c:(.text+0x9): undefined reference to 'f'`.

use std::sync::LazyLock;

use regex::Regex;

use super::util::num;
use super::{LineParser, Step};
use crate::diagnostic::{Diagnostic, Location, Severity, Tool};

static LINKER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\S.*?):\(\.[\w.]+\+0x[0-9a-f]+\): (.*\S.*)$").expect("valid"));
static GUTTER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\s*(\d+)? \| ?(.*)$").expect("valid"));

/// `file:line[:col]: kind: message [-Wflag]`, parsed by hand: it is tried on every line
/// that has a `: ` in it.
struct GccLine<'a> {
    file: &'a str,
    line: u32,
    column: Option<u32>,
    kind: &'a str,
    message: &'a str,
    flag: Option<&'a str>,
}

const KINDS: [(&str, &str); 4] = [
    (": fatal error: ", "fatal error"),
    (": error: ", "error"),
    (": warning: ", "warning"),
    (": note: ", "note"),
];

fn gcc_line(text: &str) -> Option<GccLine<'_>> {
    let (at, marker, kind) = KINDS
        .into_iter()
        .find_map(|(marker, kind)| text.find(marker).map(|i| (i, marker, kind)))?;
    let place = &text[..at];
    let message = &text[at + marker.len()..];
    let (head, last) = place.rsplit_once(':')?;
    let last = num(last)?;
    let (file, line, column) = match head.rsplit_once(':') {
        Some((file, line)) if num(line).is_some() => (file, num(line)?, Some(last)),
        _ => (head, last, None),
    };
    // A place without a file, or a kind without a message, is not a diagnostic.
    if file.trim().is_empty() || file.contains(": ") || message.trim().is_empty() {
        return None;
    }
    let (message, flag) = match message.strip_suffix(']').and_then(|m| m.rsplit_once(" [")) {
        Some((m, flag)) if flag.starts_with("-W") => (m, Some(flag)),
        _ => (message, None),
    };
    Some(GccLine {
        file,
        line,
        column,
        kind,
        message,
        flag,
    })
}

pub struct Gcc {
    tool: Tool,
    pending: Option<Diagnostic>,
    after_source: bool,
}

impl Gcc {
    pub fn new(tool: Tool) -> Self {
        Self {
            tool,
            pending: None,
            after_source: false,
        }
    }
}

impl LineParser for Gcc {
    fn feed(&mut self, line: &str, out: &mut Vec<Diagnostic>) -> Step {
        // Cheap tests first: most lines of a build log are none of these.
        let colon_space = line.contains(": ");
        let parsed = if colon_space { gcc_line(line) } else { None };
        if parsed.is_some() || (colon_space && (line.contains(":(.") || line.contains(": In "))) {
            if let Some(g) = parsed {
                let (file, l, col) = (g.file, Some(g.line), g.column);
                if g.kind == "note"
                    && let Some(d) = self.pending.as_mut()
                {
                    d.notes.push(format!("note: {}", g.message));
                    d.related.push(Location {
                        file: crate::diagnostic::clean_path(file),
                        line: l,
                        column: col,
                        message: Some(g.message.to_string()),
                    });
                    self.after_source = false;
                    return Step::Open;
                }
                self.flush(out);
                let severity = match g.kind {
                    "warning" => Severity::Warning,
                    "note" => Severity::Info,
                    _ => Severity::Error,
                };
                let mut d = Diagnostic::new(self.tool, severity, g.message).at(file, l, col);
                d.code = g.flag.map(str::to_string);
                self.pending = Some(d);
                self.after_source = false;
                return Step::Open;
            }
            if let Some(c) = LINKER.captures(line) {
                self.flush(out);
                out.push(Diagnostic::new(self.tool, Severity::Error, &c[2]).at(&c[1], None, None));
                return Step::Consumed;
            }
            // "main.c: In function 'main':" introduces the diagnostics that follow.
            if line.ends_with(':') && (line.contains(": In function") || line.contains(": In ")) {
                self.flush(out);
                return Step::Consumed;
            }
        }
        let Some(d) = self.pending.as_mut() else {
            return Step::Ignored;
        };
        if let Some(c) = GUTTER.captures(line) {
            if c.get(1).is_some() {
                self.after_source = true;
            } else if self.after_source {
                self.after_source = false;
                if let Some(col) = d.column {
                    let marks = &c[2];
                    let at = (col as usize).saturating_sub(1);
                    if marks.get(at..at + 1) == Some("^") {
                        let len = marks[at..].chars().take_while(|&c| c == '^' || c == '~').count();
                        d.end_line = d.line;
                        d.end_column = Some(col + len as u32);
                    }
                }
            }
            return Step::Open;
        }
        Step::Ignored
    }

    fn flush(&mut self, out: &mut Vec<Diagnostic>) {
        if let Some(d) = self.pending.take() {
            out.push(d);
        }
        self.after_source = false;
    }
}
