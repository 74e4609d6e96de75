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

fn location(span: &Span, message: Option<String>) -> Location {
    Location {
        file: clean_path(&span.file_name),
        line: Some(span.line_start),
        column: Some(span.column_start),
        message,
    }
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
        if msg.level == "failure-note" || is_summary(&msg.message) {
            return Step::Consumed;
        }
        let code = msg.code.map(|c| c.code);
        let tool = if code.as_deref().is_some_and(|c| c.starts_with("clippy::")) {
            Tool::Clippy
        } else {
            Tool::Rustc
        };
        let mut d = Diagnostic::new(tool, severity(&msg.level), msg.message);
        d.code = code;
        // Rustc points at the macro call site first when a span comes from a macro; the
        // primary span is the one the message is about.
        if let Some(primary) = msg.spans.iter().find(|s| s.is_primary) {
            d.file = Some(clean_path(&primary.file_name));
            d.line = Some(primary.line_start);
            d.column = Some(primary.column_start);
            d.end_line = Some(primary.line_end);
            d.end_column = Some(primary.column_end);
        }
        for span in msg.spans.iter().filter(|s| !s.is_primary) {
            d.related.push(location(span, span.label.clone()));
        }
        for child in msg.children {
            d.notes.push(format!("{}: {}", child.level, child.message));
            for span in &child.spans {
                d.related.push(location(span, Some(child.message.clone())));
            }
        }
        out.push(d);
        Step::Consumed
    }

    fn flush(&mut self, _out: &mut Vec<Diagnostic>) {}
}
