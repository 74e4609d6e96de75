//! The one shape every parser produces, whatever tool printed the diagnostic.

use serde::{Deserialize, Serialize};

/// The tool that printed a diagnostic (or ran the build). Detected from the command
/// and from the output itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tool {
    Cargo,
    Rustc,
    Clippy,
    Tsc,
    Eslint,
    Jest,
    Vitest,
    Pytest,
    /// Python's own tracebacks (any script that dies of an exception).
    Python,
    Go,
    Gcc,
    Clang,
    Generic,
}

impl Tool {
    pub fn as_str(self) -> &'static str {
        match self {
            Tool::Cargo => "cargo",
            Tool::Rustc => "rustc",
            Tool::Clippy => "clippy",
            Tool::Tsc => "tsc",
            Tool::Eslint => "eslint",
            Tool::Jest => "jest",
            Tool::Vitest => "vitest",
            Tool::Pytest => "pytest",
            Tool::Python => "python",
            Tool::Go => "go",
            Tool::Gcc => "gcc",
            Tool::Clang => "clang",
            Tool::Generic => "generic",
        }
    }

    pub fn parse(text: &str) -> Option<Tool> {
        Some(match text {
            "cargo" => Tool::Cargo,
            "rustc" => Tool::Rustc,
            "clippy" => Tool::Clippy,
            "tsc" => Tool::Tsc,
            "eslint" => Tool::Eslint,
            "jest" => Tool::Jest,
            "vitest" => Tool::Vitest,
            "pytest" => Tool::Pytest,
            "python" => Tool::Python,
            "go" => Tool::Go,
            "gcc" => Tool::Gcc,
            "clang" => Tool::Clang,
            "generic" => Tool::Generic,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Tool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    /// Notes, help and informational lines that stand on their own.
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "info" => Some(Severity::Info),
            _ => None,
        }
    }
}

/// A place in a file: 1-based line and column, as the tools print them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Location {
    pub file: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// What the tool says about this place (a span label, a note's text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// One error, warning or failed test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub tool: Tool,
    pub severity: Severity,
    /// The tool's code for it: `E0425`, `TS2322`, `no-unused-vars`, `clippy::needless_return`,
    /// a test's id for a failed test.
    pub code: Option<String>,
    pub message: String,
    /// Relative to the directory the tool ran in, as printed (`./` removed).
    pub file: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub end_line: Option<u32>,
    pub end_column: Option<u32>,
    /// Notes and help the tool attached, each prefixed with its kind (`help: ...`).
    #[serde(default)]
    pub notes: Vec<String>,
    /// Other places the tool points at (secondary spans, "defined here", stack frames).
    #[serde(default)]
    pub related: Vec<Location>,
}

impl Diagnostic {
    pub fn new(tool: Tool, severity: Severity, message: impl Into<String>) -> Self {
        Self {
            tool,
            severity,
            code: None,
            message: message.into(),
            file: None,
            line: None,
            column: None,
            end_line: None,
            end_column: None,
            notes: Vec::new(),
            related: Vec::new(),
        }
    }

    /// Places the diagnostic. A column without its line is no place (`file:0:7`, whose
    /// line 0 reads as unknown), so it is dropped with the line.
    pub fn at(mut self, file: &str, line: Option<u32>, column: Option<u32>) -> Self {
        self.file = Some(clean_path(file));
        self.line = line;
        self.column = line.and(column);
        self
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// `file:line:col` or what of it is known, for messages to the user.
    pub fn location(&self) -> String {
        match (&self.file, self.line, self.column) {
            (Some(f), Some(l), Some(c)) => format!("{f}:{l}:{c}"),
            (Some(f), Some(l), None) => format!("{f}:{l}"),
            (Some(f), None, _) => f.clone(),
            (None, _, _) => String::new(),
        }
    }
}

/// Paths as tools print them, made comparable: `./src/a.rs` and `src/a.rs` are one file.
pub fn clean_path(path: &str) -> String {
    let path = path.trim();
    let path = path.strip_prefix("./").unwrap_or(path);
    path.replace('\\', "/")
}
