//! ESLint's `stylish` format (a file's path, then its problems indented beneath it) and
//! its `unix` format (`file:line:col: message [Error/rule]`).

use std::sync::LazyLock;

use regex::Regex;

use super::util::num;
use super::{LineParser, Step};
use crate::diagnostic::{Diagnostic, Severity, Tool};

static PROBLEM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s+(\d+):(\d+)\s+(error|warning)\s+(.+?)(?:\s{2,}(\S+))?\s*$").expect("valid")
});
static UNIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(.+?):(\d+):(\d+): (.*) \[(Error|Warning)(?:/(\S+))?\]$").expect("valid"));
/// A source file's path alone on a line, as stylish prints before its problems.
static FILE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[A-Za-z]:)?[^\s:]?[^:]*\.[cm]?[jt]sx?$|^[^\s:][^:]*\.(?:vue|svelte|astro|json|md|html)$")
        .expect("valid")
});

#[derive(Default)]
pub struct Eslint {
    file: Option<String>,
}

fn severity(word: &str) -> Severity {
    if word.eq_ignore_ascii_case("error") {
        Severity::Error
    } else {
        Severity::Warning
    }
}

impl LineParser for Eslint {
    fn feed(&mut self, line: &str, out: &mut Vec<Diagnostic>) -> Step {
        if let Some(file) = &self.file {
            if let Some(c) = PROBLEM.captures(line) {
                let mut d =
                    Diagnostic::new(Tool::Eslint, severity(&c[3]), &c[4]).at(file, num(&c[1]), num(&c[2]));
                d.code = c.get(5).map(|m| m.as_str().to_string());
                out.push(d);
                return Step::Open;
            }
            self.file = None;
            if line.trim().is_empty() {
                return Step::Consumed;
            }
        }
        if line.ends_with(']')
            && (line.contains("[Error") || line.contains("[Warning"))
            && let Some(c) = UNIX.captures(line)
        {
            // Stylish drops a message's final period and unix keeps it; one spelling
            // keeps the two formats one error.
            let message = c[4]
                .strip_suffix('.')
                .filter(|m| !m.ends_with(' '))
                .unwrap_or(&c[4]);
            let mut d =
                Diagnostic::new(Tool::Eslint, severity(&c[5]), message).at(&c[1], num(&c[2]), num(&c[3]));
            d.code = c.get(6).map(|m| m.as_str().to_string());
            out.push(d);
            return Step::Consumed;
        }
        if !line.starts_with([' ', '\t']) && FILE.is_match(line) {
            self.file = Some(line.trim().to_string());
            return Step::Open;
        }
        Step::Ignored
    }

    fn flush(&mut self, _out: &mut Vec<Diagnostic>) {
        self.file = None;
    }
}
