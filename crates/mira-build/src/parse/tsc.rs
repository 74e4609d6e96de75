//! The TypeScript compiler: `file(line,col): error TS2322: message` (plain, what tsc
//! prints to a pipe) or `file:line:col - error TS2322: message` (`--pretty`), with the
//! rest of a message chain indented on the lines after.

use std::sync::LazyLock;

use regex::Regex;

use super::util::num;
use super::{LineParser, Step};
use crate::diagnostic::{Diagnostic, Severity, Tool};

static PLAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(.+?)\((\d+),(\d+)\): (error|warning|message) (TS\d+): (.*)$").expect("valid")
});
static PRETTY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(.+?):(\d+):(\d+) - (error|warning|message) (TS\d+): (.*)$").expect("valid")
});
static GLOBAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(error|warning|message) (TS\d+): (.*)$").expect("valid"));

#[derive(Default)]
pub struct Tsc {
    pending: Option<Diagnostic>,
    pretty: bool,
}

fn severity(word: &str) -> Severity {
    match word {
        "error" => Severity::Error,
        "warning" => Severity::Warning,
        _ => Severity::Info,
    }
}

impl LineParser for Tsc {
    fn feed(&mut self, line: &str, out: &mut Vec<Diagnostic>) -> Step {
        if line.contains(" TS") || line.starts_with("error TS") {
            for (re, pretty) in [(&*PLAIN, false), (&*PRETTY, true)] {
                if let Some(c) = re.captures(line) {
                    self.flush(out);
                    let d = Diagnostic::new(Tool::Tsc, severity(&c[4]), &c[6])
                        .at(&c[1], num(&c[2]), num(&c[3]))
                        .with_code(&c[5]);
                    self.pending = Some(d);
                    self.pretty = pretty;
                    return Step::Open;
                }
            }
            if let Some(c) = GLOBAL.captures(line) {
                self.flush(out);
                out.push(Diagnostic::new(Tool::Tsc, severity(&c[1]), &c[3]).with_code(&c[2]));
                return Step::Consumed;
            }
        }
        let Some(d) = self.pending.as_mut() else {
            return Step::Ignored;
        };
        if self.pretty {
            // The pretty format shows the source and squiggles; a "Found N errors" line
            // ends the output.
            if line.starts_with("Found ") {
                self.flush(out);
                return Step::Consumed;
            }
            return Step::Open;
        }
        if line.starts_with("  ") && !line.trim().is_empty() {
            d.notes.push(line.trim().to_string());
            return Step::Open;
        }
        Step::Ignored
    }

    fn flush(&mut self, out: &mut Vec<Diagnostic>) {
        if let Some(d) = self.pending.take() {
            out.push(d);
        }
    }
}
