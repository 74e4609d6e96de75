//! GCC and Clang: `file:line:col: error: message [-Wflag]`, notes that belong to the
//! diagnostic before them, the source line with `^~~~` under the span, and the
//! linker's `file.c:(.text+0x9): undefined reference to 'f'`.

use std::sync::LazyLock;

use regex::Regex;

use super::util::num;
use super::{LineParser, Step};
use crate::diagnostic::{Diagnostic, Location, Severity, Tool};

static DIAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(.+?):(\d+):(?:(\d+):)? (fatal error|error|warning|note): (.*?)(?: \[(-W[^\]\s]+)\])?$")
        .expect("valid")
});
static LINKER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(.+?):\(\.[\w.]+\+0x[0-9a-f]+\): (.*)$").expect("valid"));
static GUTTER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\s*(\d+)? \| ?(.*)$").expect("valid"));

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
        if line.contains(": ") {
            if let Some(c) = DIAG.captures(line) {
                let (file, l, col) = (&c[1], num(&c[2]), c.get(3).and_then(|m| num(m.as_str())));
                if &c[4] == "note"
                    && let Some(d) = self.pending.as_mut()
                {
                    d.notes.push(format!("note: {}", &c[5]));
                    d.related.push(Location {
                        file: crate::diagnostic::clean_path(file),
                        line: l,
                        column: col,
                        message: Some(c[5].to_string()),
                    });
                    self.after_source = false;
                    return Step::Open;
                }
                self.flush(out);
                let severity = match &c[4] {
                    "warning" => Severity::Warning,
                    "note" => Severity::Info,
                    _ => Severity::Error,
                };
                let mut d = Diagnostic::new(self.tool, severity, &c[5]).at(file, l, col);
                d.code = c.get(6).map(|m| m.as_str().to_string());
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
