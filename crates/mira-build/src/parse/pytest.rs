//! pytest: the FAILURES and ERRORS sections (one block per test, `E` lines for the
//! error, `file.py:12: Exception` for where it happened) and the short summary
//! (`FAILED tests/test_x.py::test_y - message`), which names each test's node id.

use std::sync::LazyLock;

use regex::Regex;

use super::util::num;
use super::{LineParser, Step};
use crate::diagnostic::{Diagnostic, Location, Severity, Tool};

static BLOCK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^_{3,} (.+?) _{3,}$").expect("valid"));
static FRAME: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\S+\.py):(\d+): ?(.*)$").expect("valid"));
static SUMMARY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(FAILED|ERROR) (\S+)(?: - (.*))?$").expect("valid"));

/// `==== title ====`: the title of a section banner.
fn banner(line: &str) -> Option<&str> {
    let inner = line.trim_start_matches('=').trim_end_matches('=');
    let title = inner.strip_prefix(' ')?.strip_suffix(' ')?;
    (line.ends_with('=') && !title.is_empty()).then_some(title)
}

#[derive(Default, PartialEq)]
enum Section {
    #[default]
    Outside,
    Blocks,
    Summary,
}

struct Block {
    name: String,
    errors: Vec<String>,
    frames: Vec<(String, u32, String)>,
    node_id: Option<String>,
}

#[derive(Default)]
pub struct Pytest {
    section: Section,
    blocks: Vec<Block>,
    /// Summary lines without a block (`--tb=no`, `-q` runs).
    lone: Vec<Diagnostic>,
}

impl Block {
    /// `TestCalc.test_negative` is `test_calc.py::TestCalc::test_negative`;
    /// `ERROR collecting test_x.py` is `test_x.py`.
    fn matches(&self, node_id: &str) -> bool {
        if let Some(path) = self.name.strip_prefix("ERROR collecting ") {
            return node_id == path;
        }
        // Fixture errors: "ERROR at setup of test_x" is the test test_x.
        let name = ["ERROR at setup of ", "ERROR at teardown of "]
            .iter()
            .find_map(|p| self.name.strip_prefix(p))
            .unwrap_or(&self.name);
        let name = name.replace('.', "::");
        node_id.ends_with(&format!("::{name}"))
    }

    fn into_diagnostic(self) -> Diagnostic {
        let message = self
            .errors
            .first()
            .cloned()
            .unwrap_or_else(|| format!("{} failed", self.name));
        let mut d = Diagnostic::new(Tool::Pytest, Severity::Error, message);
        d.code = Some(self.node_id.unwrap_or_else(|| self.name.clone()));
        d.notes = self.errors.into_iter().skip(1).collect();
        // The test's own line is the first frame in the project (relative path); the
        // crash site, where the exception was raised, is the last frame.
        let own = self.frames.iter().position(|f| !f.0.starts_with('/'));
        if let Some(i) = own {
            let (file, line, _) = &self.frames[i];
            d = d.at(file, Some(*line), None);
        }
        if let Some(last) = self.frames.last()
            && own != Some(self.frames.len() - 1)
        {
            d.related.push(Location {
                file: last.0.clone(),
                line: Some(last.1),
                column: None,
                message: Some(last.2.clone()).filter(|m| !m.is_empty()),
            });
        }
        d
    }
}

impl Pytest {
    fn emit(&mut self, out: &mut Vec<Diagnostic>) {
        for block in self.blocks.drain(..) {
            out.push(block.into_diagnostic());
        }
        out.append(&mut self.lone);
    }
}

impl LineParser for Pytest {
    fn feed(&mut self, line: &str, out: &mut Vec<Diagnostic>) -> Step {
        if line.starts_with("==")
            && let Some(title) = banner(line)
        {
            match title {
                "FAILURES" | "ERRORS" => {
                    self.section = Section::Blocks;
                    return Step::Open;
                }
                "short test summary info" => {
                    self.section = Section::Summary;
                    return Step::Open;
                }
                _ if self.section != Section::Outside => {
                    self.section = Section::Outside;
                    self.emit(out);
                    return Step::Consumed;
                }
                _ => return Step::Ignored,
            }
        }
        match self.section {
            Section::Outside => Step::Ignored,
            Section::Blocks => {
                if let Some(c) = line.starts_with("___").then(|| BLOCK.captures(line)).flatten() {
                    self.blocks.push(Block {
                        name: c[1].to_string(),
                        errors: Vec::new(),
                        frames: Vec::new(),
                        node_id: None,
                    });
                } else if let Some(block) = self.blocks.last_mut() {
                    if let Some(text) = line.strip_prefix('E') {
                        if text.starts_with([' ', '\t']) && !text.trim().is_empty() && block.errors.len() < 20
                        {
                            block.errors.push(text.trim().to_string());
                        }
                    } else if let Some(c) = line.contains(".py:").then(|| FRAME.captures(line)).flatten()
                        && let Some(l) = num(&c[2])
                    {
                        block
                            .frames
                            .push((crate::diagnostic::clean_path(&c[1]), l, c[3].trim().to_string()));
                    }
                }
                Step::Open
            }
            Section::Summary => {
                if let Some(c) = SUMMARY.captures(line) {
                    let node_id = c[2].to_string();
                    if let Some(block) = self
                        .blocks
                        .iter_mut()
                        .find(|b| b.node_id.is_none() && b.matches(&node_id))
                    {
                        block.node_id = Some(node_id);
                    } else {
                        let message = c
                            .get(3)
                            .map(|m| m.as_str().to_string())
                            .unwrap_or_else(|| format!("{node_id} failed"));
                        let file = node_id.split("::").next().unwrap_or_default().to_string();
                        let mut d =
                            Diagnostic::new(Tool::Pytest, Severity::Error, message).with_code(node_id);
                        if file.ends_with(".py") {
                            d = d.at(&file, None, None);
                        }
                        self.lone.push(d);
                    }
                    return Step::Open;
                }
                // A message's further lines (pytest prints them whole when CI is set),
                // `!!! Interrupted` and the other outcomes (SKIPPED, XFAIL) stay inside
                // the summary until its closing banner.
                if line.starts_with([' ', '\t', '!'])
                    || ["SKIPPED", "XFAIL", "XPASS", "PASSED"]
                        .iter()
                        .any(|w| line.starts_with(w))
                {
                    return Step::Open;
                }
                self.section = Section::Outside;
                self.emit(out);
                Step::Ignored
            }
        }
    }

    fn flush(&mut self, out: &mut Vec<Diagnostic>) {
        self.section = Section::Outside;
        self.emit(out);
    }
}
