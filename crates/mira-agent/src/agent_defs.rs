//! Sub-agent definitions: `.mira/agents/*.md` and Claude Code's `.claude/agents/*.md`
//! (project, then the user's home), read as they are. Frontmatter `name` and
//! `description` (required), `tools` (comma-separated or a list; absent: every tool the
//! main agent has) and `model` (`haiku`/`sonnet`/`opus`, a tier, a model, or `inherit`);
//! the body is the sub-agent's system prompt. A project's agent wins over a user's of the
//! same name; the loser is listed as shadowed.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::commands::LoadProblem;
use crate::frontmatter;
use crate::markdown_dirs::{self, Scope};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentDef {
    pub name: String,
    pub description: String,
    /// Tools it may use (Claude Code's names or Mira's); `None`: all of the main agent's.
    pub tools: Option<Vec<String>>,
    pub model: Option<String>,
    #[serde(skip)]
    pub prompt: String,
    pub scope: Scope,
    pub origin: String,
    #[serde(skip)]
    pub path: PathBuf,
    pub shadowed_by: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct AgentCatalog {
    pub agents: Vec<AgentDef>,
    pub problems: Vec<LoadProblem>,
}

impl AgentCatalog {
    pub fn load(project_root: Option<&Path>, home: Option<&Path>) -> Self {
        let mut catalog = AgentCatalog::default();
        for source in markdown_dirs::sources(project_root, home, "agents") {
            for found in markdown_dirs::markdown_files(&source.dir, false) {
                let origin = markdown_dirs::display(&found.path, project_root, home);
                let problem = |line, message: String| LoadProblem {
                    file: origin.clone(),
                    line,
                    message,
                };
                let text = match markdown_dirs::read(&found.path) {
                    Ok(t) => t,
                    Err(e) => {
                        catalog.problems.push(problem(None, e));
                        continue;
                    }
                };
                let doc = frontmatter::parse(&text);
                catalog.problems.extend(
                    doc.problems
                        .iter()
                        .map(|p| problem(Some(p.line), p.message.clone())),
                );
                let f = &doc.frontmatter;
                let Some(name) = f.text("name") else {
                    catalog.problems.push(problem(
                        Some(1),
                        "an agent needs a `name:` in its frontmatter (lowercase letters and hyphens)".into(),
                    ));
                    continue;
                };
                if !valid_name(&name) {
                    catalog.problems.push(problem(
                        Some(1),
                        format!("`{name}` cannot be an agent name: use letters, digits, `-` and `_`"),
                    ));
                    continue;
                }
                let Some(description) = f.text("description") else {
                    catalog.problems.push(problem(
                        Some(1),
                        format!("agent `{name}` needs a `description:` saying when to use it"),
                    ));
                    continue;
                };
                let shadowed_by = catalog
                    .agents
                    .iter()
                    .find(|a| a.name == name && a.shadowed_by.is_none())
                    .map(|a| a.origin.clone());
                catalog.agents.push(AgentDef {
                    name,
                    description,
                    tools: f.list("tools").filter(|t| !t.is_empty()),
                    model: f.text("model").filter(|m| m != "inherit"),
                    prompt: doc.body.trim().to_string(),
                    scope: source.scope,
                    origin,
                    path: found.path.clone(),
                    shadowed_by,
                });
            }
        }
        catalog
    }

    /// The agent that answers to `name` (not a shadowed one).
    pub fn get(&self, name: &str) -> Option<&AgentDef> {
        self.agents
            .iter()
            .find(|a| a.name == name && a.shadowed_by.is_none())
    }

    pub fn active(&self) -> impl Iterator<Item = &AgentDef> {
        self.agents.iter().filter(|a| a.shadowed_by.is_none())
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
