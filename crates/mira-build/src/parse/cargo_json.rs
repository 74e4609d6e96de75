//! `cargo ... --message-format=json`: one JSON object a line; compiler messages carry
//! rustc's structured diagnostic (spans, children, code).

use serde::Deserialize;

use super::rustc::is_summary;
use super::{LineParser, Step};
use crate::diagnostic::{Diagnostic, Location, Severity, Tool, clean_path};

#[derive(Default)]
pub struct CargoJson;

#[derive(Deserialize)]
struct Envelope {
    reason: String,
    message: Option<Message>,
}

#[derive(Deserialize)]
struct Message {
    message: String,
    code: Option<Code>,
    level: String,
    #[serde(default)]
    spans: Vec<Span>,
    #[serde(default)]
    children: Vec<Message>,
}

#[derive(Deserialize)]
struct Code {
    code: String,
}

#[derive(Deserialize)]
struct Span {
    file_name: String,
    line_start: u32,
    line_end: u32,
    column_start: u32,
    column_end: u32,
    is_primary: bool,
    label: Option<String>,
}

fn severity(level: &str) -> Severity {
    match level {
        "error" | "error: internal compiler error" => Severity::Error,
        "warning" => Severity::Warning,
        _ => Severity::Info,
    }
}

/// Where a span is: line, column, end line, end column, 1-based as rustc writes them.
/// The JSON comes from whatever process ran, not necessarily rustc: 0 reads as unknown,
/// a column needs its line and an end before the start is no end.
type Place = (Option<u32>, Option<u32>, Option<u32>, Option<u32>);

fn place(span: &Span) -> Place {
    let line = Some(span.line_start).filter(|&l| l > 0);
    let column = line.and(Some(span.column_start).filter(|&c| c > 0));
    let end_line = line.filter(|&l| span.line_end >= l).map(|_| span.line_end);
    let end_column = end_line.and(Some(span.column_end).filter(|&c| c > 0));
    (line, column, end_line, end_column)
}

/// A secondary place; `None` for a span without a file name.
fn location(span: &Span, message: Option<String>) -> Option<Location> {
    let file = clean_path(&span.file_name);
    let (line, column, _, _) = place(span);
    (!file.is_empty()).then_some(Location {
        file,
        line,
        column,
        message,
    })
}

impl LineParser for CargoJson {
    fn feed(&mut self, line: &str, out: &mut Vec<Diagnostic>) -> Step {
        let trimmed = line.trim_start();
        if !trimmed.starts_with("{\"reason\":") {
            return Step::Ignored;
        }
        // Artifacts, build scripts and the final status are cargo's bookkeeping.
        if !trimmed.starts_with("{\"reason\":\"compiler-message\"") {
            return Step::Consumed;
        }
        let Ok(envelope) = serde_json::from_str::<Envelope>(trimmed) else {
            return Step::Ignored;
        };
        let Some(msg) = envelope.message.filter(|_| envelope.reason == "compiler-message") else {
            return Step::Consumed;
        };
        // A message with no text says nothing; the log keeps the line.
        if msg.level == "failure-note" || is_summary(&msg.message) || msg.message.trim().is_empty() {
            return Step::Consumed;
        }
        let code = msg.code.map(|c| c.code).filter(|c| !c.trim().is_empty());
        let tool = if code.as_deref().is_some_and(|c| c.starts_with("clippy::")) {
            Tool::Clippy
        } else {
            Tool::Rustc
        };
        let mut d = Diagnostic::new(tool, severity(&msg.level), msg.message);
        d.code = code;
        // Rustc points at the macro call site first when a span comes from a macro; the
        // primary span is the one the message is about.
        if let Some(primary) = msg.spans.iter().find(|s| s.is_primary)
            && let file = clean_path(&primary.file_name)
            && !file.is_empty()
        {
            d.file = Some(file);
            (d.line, d.column, d.end_line, d.end_column) = place(primary);
        }
        for span in msg.spans.iter().filter(|s| !s.is_primary) {
            d.related.extend(location(span, span.label.clone()));
        }
        for child in msg.children {
            d.notes.push(format!("{}: {}", child.level, child.message));
            for span in &child.spans {
                d.related.extend(location(span, Some(child.message.clone())));
            }
        }
        out.push(d);
        Step::Consumed
    }

    fn flush(&mut self, _out: &mut Vec<Diagnostic>) {}
}
