//! Where each member of a JSON document starts, so a problem with one hook entry can name
//! its line. serde_json reports lines only for syntax errors; a `Value` has no positions.
//!
//! Only documents serde_json already accepted are scanned, so the scanner can be simple:
//! it never needs to report an error, only to stay in step with the structure.

use std::collections::HashMap;

/// One step of a path into a JSON document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Step {
    Key(String),
    Index(usize),
}

/// The 1-based line of every object member (the line of its key) and array element (the
/// line its value starts on), by path from the root.
#[derive(Debug, Default)]
pub(crate) struct JsonLines {
    lines: HashMap<Vec<Step>, usize>,
}

impl JsonLines {
    pub(crate) fn scan(text: &str) -> JsonLines {
        let mut scanner = Scanner {
            bytes: text.as_bytes(),
            text,
            at: 0,
            line: 1,
            found: JsonLines::default(),
        };
        let mut path = Vec::new();
        scanner.value(&mut path);
        scanner.found
    }

    /// The line of the member or element at `path`; the nearest enclosing one's when that
    /// path was not seen (it always is for a document serde_json accepted).
    pub(crate) fn line_of(&self, path: &[Step]) -> Option<usize> {
        (0..=path.len())
            .rev()
            .find_map(|len| self.lines.get(&path[..len]).copied())
    }
}

struct Scanner<'a> {
    bytes: &'a [u8],
    text: &'a str,
    at: usize,
    line: usize,
    found: JsonLines,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn bump(&mut self) {
        if self.peek() == Some(b'\n') {
            self.line += 1;
        }
        self.at += 1;
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.bump();
        }
    }

    fn value(&mut self, path: &mut Vec<Step>) {
        self.skip_whitespace();
        match self.peek() {
            Some(b'{') => self.object(path),
            Some(b'[') => self.array(path),
            Some(b'"') => {
                self.string();
            }
            Some(_) => {
                // A number, true, false or null: runs up to the next delimiter.
                while let Some(b) = self.peek() {
                    if matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r') {
                        break;
                    }
                    self.bump();
                }
            }
            None => {}
        }
    }

    fn object(&mut self, path: &mut Vec<Step>) {
        self.bump();
        loop {
            self.skip_whitespace();
            match self.peek() {
                Some(b'"') => {}
                Some(b',') => {
                    self.bump();
                    continue;
                }
                Some(b'}') => {
                    self.bump();
                    return;
                }
                _ => return,
            }
            let line = self.line;
            let key = self.string();
            self.skip_whitespace();
            if self.peek() == Some(b':') {
                self.bump();
            }
            path.push(Step::Key(key));
            self.found.lines.insert(path.clone(), line);
            self.value(path);
            path.pop();
        }
    }

    fn array(&mut self, path: &mut Vec<Step>) {
        self.bump();
        let mut index = 0;
        loop {
            self.skip_whitespace();
            match self.peek() {
                Some(b']') => {
                    self.bump();
                    return;
                }
                Some(b',') => {
                    self.bump();
                    continue;
                }
                None => return,
                Some(_) => {}
            }
            path.push(Step::Index(index));
            self.found.lines.insert(path.clone(), self.line);
            self.value(path);
            path.pop();
            index += 1;
        }
    }

    /// Skips a string and answers its decoded text (keys are looked up decoded).
    fn string(&mut self) -> String {
        let start = self.at;
        self.bump();
        while let Some(b) = self.peek() {
            self.bump();
            match b {
                b'\\' => self.bump(),
                b'"' => break,
                _ => {}
            }
        }
        let raw = &self.text[start..self.at.min(self.text.len())];
        serde_json::from_str(raw).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_and_elements_have_their_lines() {
        let text = "{\n  \"a\": [\n    {\"x\": 1},\n\n    {\"y\": \"q\\\"}\"}\n  ],\n  \"b\\u0041\": null\n}";
        let lines = JsonLines::scan(text);
        let a = Step::Key("a".into());
        assert_eq!(lines.line_of(std::slice::from_ref(&a)), Some(2));
        assert_eq!(lines.line_of(&[a.clone(), Step::Index(0)]), Some(3));
        assert_eq!(lines.line_of(&[a.clone(), Step::Index(1)]), Some(5));
        assert_eq!(
            lines.line_of(&[a, Step::Index(1), Step::Key("y".into())]),
            Some(5)
        );
        assert_eq!(lines.line_of(&[Step::Key("bA".into())]), Some(7));
    }
}
