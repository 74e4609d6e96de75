//! JavaScript test runners.
//!
//! Jest: `FAIL path/to/file.test.js`, then per failed test `  ● Suite › test`, the
//! error, a code frame and `at fn (file.test.js:5:23)`.
//!
//! Vitest: ` FAIL  file.test.ts > suite > test`, the error, the diff, and
//! ` ❯ file.test.ts:6:23` where it happened.

use std::sync::LazyLock;

use regex::Regex;

use super::util::num;
use super::{LineParser, Step};
use crate::diagnostic::{Diagnostic, Severity, Tool, clean_path};

static JEST_FRAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s+at (?:.*? \()?([^()\s]+?):(\d+):(\d+)\)?$").expect("valid"));
static VITEST_AT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*❯ (?:\S+ )?([^\s()]+?):(\d+):(\d+)$").expect("valid"));

/// A failed test being read.
struct Failure {
    name: String,
    file: Option<String>,
    message: Option<String>,
    notes: Vec<String>,
    at: Option<(String, u32, u32)>,
}

impl Failure {
    /// `name` is not empty: the callers only start a failure at a header that names it.
    fn new(name: &str, file: Option<String>) -> Self {
        Self {
            name: name.to_string(),
            file: file.filter(|f| !f.is_empty()),
            message: None,
            notes: Vec::new(),
            at: None,
        }
    }

    /// The first frame outside node_modules is where the test failed.
    fn place(&mut self, file: &str, line: &str, column: &str) {
        if self.at.is_none()
            && !file.contains("node_modules")
            && let (Some(l), Some(c)) = (num(line), num(column))
        {
            self.at = Some((clean_path(file), l, c));
        }
    }

    /// A line of the error: the first is the message, the next few its notes.
    fn text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        if self.message.is_none() {
            self.message = Some(text.to_string());
        } else if self.notes.len() < 20 {
            self.notes.push(text.to_string());
        }
    }

    fn into_diagnostic(self, tool: Tool) -> Diagnostic {
        let mut d = Diagnostic::new(
            tool,
            Severity::Error,
            self.message.unwrap_or_else(|| format!("{} failed", self.name)),
        )
        .with_code(self.name);
        match (self.at, self.file) {
            (Some((file, line, col)), _) => d = d.at(&file, Some(line), Some(col)),
            (None, Some(file)) => d = d.at(&file, None, None),
            (None, None) => {}
        }
        d.notes = self.notes;
        d
    }
}

#[derive(Default)]
pub struct Jest {
    file: Option<String>,
    current: Option<Failure>,
    /// The code frame started: later plain lines are source, not message.
    in_frame: bool,
}

impl LineParser for Jest {
    fn feed(&mut self, line: &str, out: &mut Vec<Diagnostic>) -> Step {
        // A header without its file or test name is not one jest prints.
        if let Some(file) = line
            .strip_prefix("FAIL ")
            .map(clean_path)
            .filter(|f| !f.is_empty())
        {
            self.flush(out);
            self.file = Some(file);
            return Step::Open;
        }
        if let Some(name) = line.strip_prefix("  ● ").map(str::trim).filter(|n| !n.is_empty()) {
            self.flush(out);
            self.current = Some(Failure::new(name, self.file.clone()));
            return Step::Open;
        }
        if line.starts_with("PASS ") || line.starts_with("Test Suites:") {
            self.flush(out);
            self.file = None;
            return Step::Consumed;
        }
        let Some(f) = self.current.as_mut() else {
            return if self.file.is_some() && line.starts_with(' ') {
                Step::Open
            } else {
                Step::Ignored
            };
        };
        let text = line.trim();
        if let Some(c) = JEST_FRAME.captures(line) {
            f.place(&c[1], &c[2], &c[3]);
            return Step::Open;
        }
        if text.starts_with('>')
            || text.starts_with('|')
            || text
                .split_once(" |")
                .is_some_and(|(n, _)| n.trim().parse::<u32>().is_ok())
        {
            self.in_frame = true;
            return Step::Open;
        }
        if !self.in_frame {
            f.text(text);
        }
        Step::Open
    }

    fn flush(&mut self, out: &mut Vec<Diagnostic>) {
        if let Some(f) = self.current.take() {
            out.push(f.into_diagnostic(Tool::Jest));
        }
        self.in_frame = false;
    }
}

#[derive(Default)]
pub struct Vitest {
    current: Option<Failure>,
    in_frame: bool,
}

impl LineParser for Vitest {
    fn feed(&mut self, line: &str, out: &mut Vec<Diagnostic>) -> Step {
        if let Some(rest) = line
            .strip_prefix(" FAIL ")
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            self.flush(out);
            // `file > suite > test`, or `file [ file ]` when the file failed to load.
            let (file, name) = match rest.split_once(" > ") {
                Some((file, _)) => (file.trim(), rest),
                None => {
                    let file = rest.split(" [").next().unwrap_or(rest).trim();
                    (file, file)
                }
            };
            self.current = Some(Failure::new(name, Some(clean_path(file))));
            return Step::Open;
        }
        let Some(f) = self.current.as_mut() else {
            return Step::Ignored;
        };
        if line.starts_with('⎯') || line.starts_with(" Test Files ") {
            self.flush(out);
            return Step::Consumed;
        }
        if let Some(c) = VITEST_AT.captures(line) {
            f.place(&c[1], &c[2], &c[3]);
            self.in_frame = true;
            return Step::Open;
        }
        let text = line.trim();
        if !self.in_frame {
            f.text(text);
        }
        Step::Open
    }

    fn flush(&mut self, out: &mut Vec<Diagnostic>) {
        if let Some(f) = self.current.take() {
            out.push(f.into_diagnostic(Tool::Vitest));
        }
        self.in_frame = false;
    }
}
