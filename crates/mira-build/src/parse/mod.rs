//! Build output to diagnostics. Each tool has a line-driven parser; a [`Pipeline`] feeds
//! every line to the parser that is in the middle of a multi-line block first, then to
//! the others in a fixed order, so mixed output (a test script running several tools)
//! is understood too. Lines no parser claims stay in the raw log.

mod cargo_json;
mod eslint;
mod gcc;
mod generic;
mod go;
mod jstest;
mod pytest;
mod python;
mod rustc;
mod tsc;
mod util;

use crate::diagnostic::{Diagnostic, Tool};

pub use util::strip_ansi;

/// What a parser did with a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Not this parser's line.
    Ignored,
    /// Taken; the parser holds no open block.
    Consumed,
    /// Taken, and the lines that follow may continue the block.
    Open,
}

pub trait LineParser: Send {
    fn feed(&mut self, line: &str, out: &mut Vec<Diagnostic>) -> Step;
    /// Emits the block in progress, if any.
    fn flush(&mut self, out: &mut Vec<Diagnostic>);
}

/// The parsers that can understand output of `tool`, in the order they are asked.
/// `None` (unknown tool) asks every parser.
fn parsers_for(tool: Option<Tool>) -> Vec<Box<dyn LineParser>> {
    let all = |t: Tool| -> Box<dyn LineParser> {
        match t {
            Tool::Cargo => Box::new(cargo_json::CargoJson),
            Tool::Rustc => Box::new(rustc::Rustc::new(Tool::Rustc)),
            Tool::Clippy => Box::new(rustc::Rustc::new(Tool::Clippy)),
            Tool::Tsc => Box::new(tsc::Tsc::default()),
            Tool::Eslint => Box::new(eslint::Eslint::default()),
            Tool::Jest => Box::new(jstest::Jest::default()),
            Tool::Vitest => Box::new(jstest::Vitest::default()),
            Tool::Pytest => Box::new(pytest::Pytest::default()),
            Tool::Python => Box::new(python::Python::default()),
            Tool::Go => Box::new(go::Go::default()),
            Tool::Gcc => Box::new(gcc::Gcc::new(Tool::Gcc)),
            Tool::Clang => Box::new(gcc::Gcc::new(Tool::Clang)),
            Tool::Generic => Box::new(generic::Generic),
        }
    };
    let order: Vec<Tool> = match tool {
        Some(Tool::Cargo) | Some(Tool::Rustc) => vec![Tool::Cargo, Tool::Rustc],
        Some(Tool::Clippy) => vec![Tool::Cargo, Tool::Clippy],
        Some(Tool::Generic) => vec![],
        // JavaScript test runners print TypeScript and ESLint problems too when run from
        // a script, and each other's never: keep the cheap checks of the neighbours.
        Some(Tool::Jest) => vec![Tool::Jest, Tool::Tsc],
        Some(Tool::Vitest) => vec![Tool::Vitest, Tool::Tsc],
        Some(t) => vec![t],
        None => vec![
            Tool::Cargo,
            Tool::Rustc,
            Tool::Tsc,
            Tool::Eslint,
            Tool::Vitest,
            Tool::Jest,
            Tool::Pytest,
            Tool::Python,
            Tool::Go,
            Tool::Gcc,
        ],
    };
    let mut parsers: Vec<Box<dyn LineParser>> = order.into_iter().map(all).collect();
    // The fallback comes last, so a line is only "generic" when nobody knew it.
    parsers.push(all(Tool::Generic));
    parsers
}

/// Parses a stream of output, line by line, as it arrives.
pub struct Pipeline {
    parsers: Vec<Box<dyn LineParser>>,
    active: Option<usize>,
    /// Bytes the open block has taken in ([`crate::bounds::MAX_BLOCK_BYTES`]).
    block_bytes: usize,
    out: Vec<Diagnostic>,
    /// The start of a line whose end has not arrived, at most
    /// [`crate::bounds::MAX_LINE_BYTES`]; the rest of such a line is skipped.
    partial: Vec<u8>,
}

impl Pipeline {
    /// A pipeline for output of `tool`; `None` when the tool is not known.
    pub fn new(tool: Option<Tool>) -> Self {
        Self {
            parsers: parsers_for(tool),
            active: None,
            block_bytes: 0,
            out: Vec::new(),
            partial: Vec::new(),
        }
    }

    /// Feeds one line (without its line ending).
    pub fn line(&mut self, raw: &str) {
        let stripped;
        let line = if raw.contains('\u{1b}') {
            stripped = util::strip_ansi(raw);
            stripped.as_str()
        } else {
            raw
        };
        // Every carriage return before the newline: a terminal's `\r\n` run through
        // another one arrives as `\r\r\n`.
        let line = line.trim_end_matches('\r');
        if let Some(i) = self.active {
            // A block that never ends (a flood of note lines) is closed where it stands,
            // so one diagnostic cannot grow without bound.
            self.block_bytes += line.len();
            if self.block_bytes > crate::bounds::MAX_BLOCK_BYTES {
                self.parsers[i].flush(&mut self.out);
                self.active = None;
            }
        }
        if let Some(i) = self.active {
            match self.parsers[i].feed(line, &mut self.out) {
                Step::Open => return,
                Step::Consumed => {
                    self.active = None;
                    return;
                }
                Step::Ignored => {
                    self.parsers[i].flush(&mut self.out);
                    self.active = None;
                }
            }
        }
        for (i, parser) in self.parsers.iter_mut().enumerate() {
            match parser.feed(line, &mut self.out) {
                Step::Ignored => continue,
                Step::Consumed => return,
                Step::Open => {
                    self.active = Some(i);
                    self.block_bytes = line.len();
                    return;
                }
            }
        }
    }

    /// Feeds raw bytes as they come from a pipe; a line cut between two chunks is kept
    /// until its end arrives. Only the first [`crate::bounds::MAX_LINE_BYTES`] of a line
    /// are kept and parsed, so one endless line never fills memory.
    pub fn bytes(&mut self, chunk: &[u8]) {
        let max = crate::bounds::MAX_LINE_BYTES;
        let mut rest = chunk;
        while let Some(pos) = rest.iter().position(|&b| b == b'\n') {
            let (head, tail) = rest.split_at(pos);
            if self.partial.is_empty() {
                self.line_bytes(&head[..head.len().min(max)]);
            } else {
                let mut joined = std::mem::take(&mut self.partial);
                let room = max.saturating_sub(joined.len());
                joined.extend_from_slice(&head[..head.len().min(room)]);
                self.line_bytes(&joined);
            }
            rest = &tail[1..];
        }
        let room = max.saturating_sub(self.partial.len());
        self.partial.extend_from_slice(&rest[..rest.len().min(room)]);
    }

    /// Bytes held for a line whose end has not arrived (bounded by
    /// [`crate::bounds::MAX_LINE_BYTES`]).
    pub fn pending_bytes(&self) -> usize {
        self.partial.len()
    }

    fn line_bytes(&mut self, bytes: &[u8]) {
        // Valid UTF-8 is the rule; checking it is cheaper than the lossy conversion.
        match std::str::from_utf8(bytes) {
            Ok(text) => self.line(text),
            Err(_) => self.line(&String::from_utf8_lossy(bytes)),
        }
    }

    /// Diagnostics completed since the last call.
    pub fn take_new(&mut self) -> Vec<Diagnostic> {
        std::mem::take(&mut self.out)
    }

    /// Ends the input and returns every diagnostic, in the order printed.
    pub fn finish(mut self) -> Vec<Diagnostic> {
        if !self.partial.is_empty() {
            let last = std::mem::take(&mut self.partial);
            self.line(&String::from_utf8_lossy(&last));
        }
        if let Some(i) = self.active.take() {
            self.parsers[i].flush(&mut self.out);
        }
        for parser in &mut self.parsers {
            parser.flush(&mut self.out);
        }
        self.out
    }
}

/// Parses a whole output at once, cut into lines exactly as the runner's stream is
/// (`str::lines` took `\r\r\n` as a line with a `\r` left in it; the stream did not).
pub fn parse(tool: Option<Tool>, output: &str) -> Vec<Diagnostic> {
    let mut pipeline = Pipeline::new(tool);
    pipeline.bytes(output.as_bytes());
    pipeline.finish()
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod fuzzed;
