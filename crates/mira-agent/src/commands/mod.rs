//! Slash commands: Markdown prompts from `.mira/commands/` and Claude Code's
//! `.claude/commands/` (in the project and under the user's home) read as they are, Mira's
//! built-ins, and MCP servers' prompts. `git/pr.md` is `/git:pr`; a project's command
//! wins over a user's of the same name and a built-in over both, the losers still listed
//! as shadowed.

pub mod builtin;
pub mod expand;
pub mod inline;
pub mod invoke;
pub mod resolve;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::frontmatter;
use crate::markdown_dirs::{self, Scope};

/// A command read from a Markdown file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Command {
    /// Without the slash: `git:pr`.
    pub name: String,
    pub description: String,
    pub argument_hint: Option<String>,
    /// Tools the command's prompt may use (Claude Code's names or Mira's); `None`: all.
    pub allowed_tools: Option<Vec<String>>,
    /// The model or tier asked for (`haiku`, `claude-3-5-haiku-20241022`, `fast`, ...).
    pub model: Option<String>,
    #[serde(skip)]
    pub body: String,
    pub scope: Scope,
    /// The file, relative to the project root or as `~/...`.
    pub origin: String,
    #[serde(skip)]
    pub path: PathBuf,
    /// The name of what wins over it (`builtin`, or the winner's origin), when shadowed.
    pub shadowed_by: Option<String>,
}

/// Something wrong in a definition file; the rest still load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadProblem {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for LoadProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Every command found, winners and shadowed, with what could not be read.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub commands: Vec<Command>,
    pub problems: Vec<LoadProblem>,
}

impl Catalog {
    /// Reads the command folders of `project_root` and `home` (either may be absent).
    pub fn load(project_root: Option<&Path>, home: Option<&Path>) -> Self {
        let mut catalog = Catalog::default();
        for source in markdown_dirs::sources(project_root, home, "commands") {
            for found in markdown_dirs::markdown_files(&source.dir, true) {
                let origin = markdown_dirs::display(&found.path, project_root, home);
                match read_command(&found, source.scope, &origin) {
                    Ok((command, problems)) => {
                        catalog.problems.extend(problems.into_iter().map(|p| LoadProblem {
                            file: origin.clone(),
                            line: Some(p.line),
                            message: p.message,
                        }));
                        catalog.add(command);
                    }
                    Err(message) => catalog.problems.push(LoadProblem {
                        file: origin,
                        line: None,
                        message,
                    }),
                }
            }
        }
        catalog
    }

    fn add(&mut self, mut command: Command) {
        if builtin::find(&command.name).is_some() {
            command.shadowed_by = Some("builtin".into());
        } else if let Some(winner) = self
            .commands
            .iter()
            .find(|c| c.name == command.name && c.shadowed_by.is_none())
        {
            command.shadowed_by = Some(winner.origin.clone());
        }
        self.commands.push(command);
    }

    /// The command that answers to `name` (not a shadowed one).
    pub fn get(&self, name: &str) -> Option<&Command> {
        self.commands
            .iter()
            .find(|c| c.name == name && c.shadowed_by.is_none())
    }

    /// The names a user may type, for suggestions.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.commands
            .iter()
            .filter(|c| c.shadowed_by.is_none())
            .map(|c| c.name.as_str())
    }
}

fn read_command(
    found: &markdown_dirs::Found,
    scope: Scope,
    origin: &str,
) -> Result<(Command, Vec<frontmatter::Problem>), String> {
    let name = command_name(&found.relative)?;
    let text = markdown_dirs::read(&found.path)?;
    let doc = frontmatter::parse(&text);
    let f = &doc.frontmatter;
    let description = f
        .text("description")
        .unwrap_or_else(|| first_line_description(&doc.body));
    let command = Command {
        name,
        description,
        argument_hint: f.text("argument-hint"),
        allowed_tools: f.list("allowed-tools").filter(|l| !l.is_empty()),
        model: f.text("model").filter(|m| m != "inherit"),
        body: doc.body.clone(),
        scope,
        origin: origin.to_string(),
        path: found.path.clone(),
        shadowed_by: None,
    };
    Ok((command, doc.problems))
}

/// `git/pr.md` -> `git:pr`. A name with whitespace could never be typed after `/`.
fn command_name(relative: &Path) -> Result<String, String> {
    let stem = relative.with_extension("");
    let parts: Vec<String> = stem
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let name = parts.join(":");
    if name.is_empty() || name.chars().any(char::is_whitespace) {
        return Err(format!(
            "`{name}` cannot be a command name (no spaces); rename the file, e.g. to `{}`",
            name.split_whitespace().collect::<Vec<_>>().join("-")
        ));
    }
    Ok(name)
}

/// Claude Code's fallback: the first line of the prompt, without Markdown heading marks.
fn first_line_description(body: &str) -> String {
    let line = body
        .lines()
        .map(|l| l.trim().trim_start_matches('#').trim())
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut out: String = line.chars().take(100).collect();
    if line.chars().count() > 100 {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_folders() {
        assert_eq!(command_name(Path::new("git/pr.md")).unwrap(), "git:pr");
        assert_eq!(command_name(Path::new("a/b/c.md")).unwrap(), "a:b:c");
        assert_eq!(command_name(Path::new("review.md")).unwrap(), "review");
        assert!(
            command_name(Path::new("my cmd.md"))
                .unwrap_err()
                .contains("my-cmd")
        );
    }

    #[test]
    fn description_falls_back_to_the_first_line() {
        assert_eq!(
            first_line_description("\n# Review the diff\nmore"),
            "Review the diff"
        );
        assert_eq!(first_line_description(""), "");
    }
}
