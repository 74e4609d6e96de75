//! ESLint's `stylish` format (a file's path, then its problems indented beneath it) and
//! its `unix` format (`file:line:col: message [Error/rule]`).

use std::sync::LazyLock;

use regex::Regex;

use super::util::num;
use super::{LineParser, Step};
use crate::diagnostic::{Diagnostic, Severity, Tool};

static UNIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\S.*?):(\d+):(\d+): (.*\S.*) \[(Error|Warning)(?:/(\S+))?\]$").expect("valid")
});
/// A source file's path alone on a line, as stylish prints before its problems.
static FILE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[A-Za-z]:)?[^\s:]?[^:]*\.[cm]?[jt]sx?$|^[^\s:][^:]*\.(?:vue|svelte|astro|json|md|html)$")
        .expect("valid")
});

/// One problem line of the stylish format: `  2:9  error  message text  rule-name`
/// (columns are separated by two or more spaces; the rule is missing for parse errors).
struct Problem<'a> {
    line: u32,
    column: u32,
    severity: &'a str,
    message: &'a str,
    rule: Option<&'a str>,
}

fn problem(text: &str) -> Option<Problem<'_>> {
    if !text.starts_with([' ', '\t']) {
        return None;
    }
    let text = text.trim();
    let (position, rest) = text.split_once(char::is_whitespace)?;
    let (line, column) = position.split_once(':')?;
    let (line, column) = (num(line)?, num(column)?);
    let rest = rest.trim_start();
    let (severity, rest) = rest.split_once(char::is_whitespace)?;
    if severity != "error" && severity != "warning" {
        return None;
    }
    let rest = rest.trim_start();
    let (message, rule) = match rest.rfind("  ") {
        Some(i) if !rest[i..].trim().contains(' ') => (rest[..i].trim_end(), Some(rest[i..].trim())),
        _ => (rest, None),
    };
    if message.is_empty() {
        return None;
    }
    Some(Problem {
        line,
        column,
        severity,
        message,
        rule,
    })
}

/// A cheap first test for a stylish file header: a whole line that ends in a file
/// name ESLint lints, with no `: ` in it.
fn looks_like_source_path(line: &str) -> bool {
    if line.starts_with([' ', '\t']) || line.contains(": ") {
        return false;
    }
    matches!(
        line.rsplit_once('.').map(|(_, ext)| ext),
        Some(
            "js" | "jsx"
                | "ts"
                | "tsx"
                | "mjs"
                | "cjs"
                | "mts"
                | "cts"
                | "vue"
                | "svelte"
                | "astro"
                | "json"
                | "md"
                | "html"
        )
    )
}

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
            if let Some(p) = problem(line) {
                let mut d = Diagnostic::new(Tool::Eslint, severity(p.severity), p.message).at(
                    file,
                    Some(p.line),
                    Some(p.column),
                );
                d.code = p.rule.map(str::to_string);
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
                .filter(|m| !m.ends_with(' ') && !m.trim().is_empty())
                .unwrap_or(&c[4]);
            let mut d =
                Diagnostic::new(Tool::Eslint, severity(&c[5]), message).at(&c[1], num(&c[2]), num(&c[3]));
            d.code = c.get(6).map(|m| m.as_str().to_string());
            out.push(d);
            return Step::Consumed;
        }
        if looks_like_source_path(line) && FILE.is_match(line) {
            self.file = Some(line.trim().to_string());
            return Step::Open;
        }
        Step::Ignored
    }

    fn flush(&mut self, _out: &mut Vec<Diagnostic>) {
        self.file = None;
    }
}
