//! The TypeScript compiler: `file(line,col): error TS2322: message` (plain, what tsc
//! prints to a pipe) or `file:line:col - error TS2322: message` (`--pretty`), with the
//! rest of a message chain indented on the lines after.

use super::util::num;
use super::{LineParser, Step};
use crate::diagnostic::{Diagnostic, Severity, Tool};

/// The part after the place: `error TS2322: message` (also `warning`, `message`).
fn verdict(text: &str) -> Option<(&str, &str, &str)> {
    let (kind, rest) = text.split_once(' ')?;
    if !matches!(kind, "error" | "warning" | "message") {
        return None;
    }
    let (code, message) = rest.split_once(": ")?;
    let digits = code.strip_prefix("TS")?;
    let code_ok = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    (code_ok && !message.trim().is_empty()).then_some((kind, code, message))
}

/// A located tsc line, plain `file(line,col): error TS1: m` or pretty
/// `file:line:col - error TS1: m`: file, line, column, kind, code, message, pretty.
type Located<'a> = (&'a str, u32, u32, &'a str, &'a str, &'a str, bool);

fn located(line: &str) -> Option<Located<'_>> {
    if let Some(open) = line.find("): ") {
        let (place, after) = (&line[..open], &line[open + 3..]);
        if let Some((file, position)) = place.rsplit_once('(') {
            let (l, c) = position.split_once(',')?;
            let (kind, code, message) = verdict(after)?;
            return (!file.trim().is_empty()).then_some((file, num(l)?, num(c)?, kind, code, message, false));
        }
    }
    let dash = line.find(" - ")?;
    let (place, after) = (&line[..dash], &line[dash + 3..]);
    let (rest, c) = place.rsplit_once(':')?;
    let (file, l) = rest.rsplit_once(':')?;
    let (kind, code, message) = verdict(after)?;
    (!file.trim().is_empty()).then_some((file, num(l)?, num(c)?, kind, code, message, true))
}

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
            if let Some((file, l, c, kind, code, message, pretty)) = located(line) {
                self.flush(out);
                let d = Diagnostic::new(Tool::Tsc, severity(kind), message)
                    .at(file, Some(l), Some(c))
                    .with_code(code);
                self.pending = Some(d);
                self.pretty = pretty;
                return Step::Open;
            }
            if let Some((kind, code, message)) = verdict(line) {
                self.flush(out);
                out.push(Diagnostic::new(Tool::Tsc, severity(kind), message).with_code(code));
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
