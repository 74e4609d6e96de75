//! Python's own tracebacks, printed by any script or tool that dies of an exception
//! (`python app.py`, `python -m module`, `manage.py`, a test runner other than pytest):
//! `Traceback (most recent call last):`, then `  File "path", line N, in func` frames
//! with their source lines and carets, then `Name: message`. A syntax error in the main
//! script has no header: `  File "path", line N`, the line, a caret, `SyntaxError: ...`.
//! Each exception of a chain is a diagnostic; its place is the innermost frame outside
//! the interpreter's and installed packages' files.

use std::sync::LazyLock;

use regex::Regex;

use super::util::{indented, num};
use super::{LineParser, Step};
use crate::diagnostic::{Diagnostic, Location, Severity, Tool};

const HEADER: &str = "Traceback (most recent call last):";

static FRAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^ {2}File "(.*\S.*)", line (\d+)(?:, in (.+))?$"#).expect("valid"));
/// `ValueError: bad value`, `pkg.errors.CustomError: ...`, `KeyboardInterrupt`.
static EXCEPTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*)(?::\s?(.*))?$").expect("valid"));

/// Paths of the interpreter's own modules and installed packages, and code that has no
/// file: a frame there is rarely where the user's bug is.
fn library(path: &str) -> bool {
    path.starts_with('<')
        || ["/site-packages/", "/dist-packages/", "/lib/python", "\\Lib\\"]
            .iter()
            .any(|p| path.contains(p))
}

#[derive(Default)]
struct Block {
    frames: Vec<Location>,
    /// Began with the `Traceback` header (else it is a bare syntax-error report).
    headed: bool,
}

#[derive(Default)]
pub struct Python {
    block: Option<Block>,
}

impl Python {
    fn emit(block: Block, name: &str, detail: Option<&str>, out: &mut Vec<Diagnostic>) {
        let place = block
            .frames
            .iter()
            .rev()
            .find(|f| !library(&f.file))
            .or(block.frames.last())
            .cloned();
        let short = name.rsplit('.').next().unwrap_or(name);
        let message = match detail.map(str::trim).filter(|d| !d.is_empty()) {
            Some(d) => format!("{short}: {d}"),
            None => short.to_string(),
        };
        let mut d = Diagnostic::new(Tool::Python, Severity::Error, message);
        d.code = Some(short.to_string());
        if let Some(place) = place {
            d.file = Some(place.file.strip_prefix("./").unwrap_or(&place.file).to_string());
            d.line = place.line;
        }
        d.related = block.frames;
        out.push(d);
    }
}

impl LineParser for Python {
    fn feed(&mut self, line: &str, out: &mut Vec<Diagnostic>) -> Step {
        if line == HEADER {
            self.block = Some(Block {
                headed: true,
                ..Block::default()
            });
            return Step::Open;
        }
        if let Some(c) = FRAME.captures(line) {
            let in_block = self.block.is_some();
            // Without a header only a frame with no function starts a block: the place
            // of a syntax error in the main script.
            if !in_block && c.get(3).is_some() {
                return Step::Ignored;
            }
            let block = self.block.get_or_insert_with(Block::default);
            block.frames.push(Location {
                file: c[1].to_string(),
                line: num(&c[2]),
                column: None,
                message: c.get(3).map(|f| format!("in {}", f.as_str())),
            });
            return Step::Open;
        }
        let Some(block) = self.block.as_ref() else {
            return Step::Ignored;
        };
        if indented(line) {
            // Source lines, carets, `...<3 lines>...`, `[Previous line repeated N more times]`.
            return Step::Open;
        }
        let exception = EXCEPTION.captures(line).filter(|c| {
            // A bare syntax-error report ends only in a SyntaxError (or its kinds).
            block.headed || c[1].ends_with("Error")
        });
        match exception {
            Some(c) if !block.frames.is_empty() => {
                let block = self.block.take().expect("checked above");
                Self::emit(block, &c[1], c.get(2).map(|m| m.as_str()), out);
                Step::Consumed
            }
            _ => {
                // Something else: not a traceback after all, or one cut short.
                self.block = None;
                Step::Ignored
            }
        }
    }

    fn flush(&mut self, _out: &mut Vec<Diagnostic>) {
        // A traceback without its exception line (cut off) names no error.
        self.block = None;
    }
}
