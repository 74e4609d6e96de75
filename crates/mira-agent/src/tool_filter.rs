//! Which tools an operation may use, from a command's `allowed-tools` or an agent's
//! `tools`, written with Claude Code's tool names or Mira's.
//!
//! Claude Code's names map to Mira's tools: Read, Write, Edit/MultiEdit, Grep, Glob/LS,
//! Bash, Task. `Bash(git add:*)` allows run_build and adds `git add` to the commands it
//! may run (the file is the user's own configuration, as in Claude Code, where the same
//! entry grants that permission). Reading tools bring Mira's read-only code intelligence
//! with them (search, context, symbols, callers, history, errors): they read as Read
//! does, and a Claude Code file cannot name them. `mcp__server` allows all of a server's
//! tools, `mcp__server__tool` one.

use std::collections::BTreeSet;

/// Mira's tools that only read, granted with any of Claude Code's reading tools.
pub const READ_ONLY: &[&str] = &[
    "read_file",
    "list_files",
    "grep",
    "search",
    "context",
    "symbols",
    "callers",
    "callees",
    "impact",
    "cochange",
    "experts",
    "log",
    "blame",
    "fixes",
    "git_status",
    "git_diff",
    "errors",
];

/// Mira's tools that change files, run commands, ask the person or delegate.
pub const ACTING: &[&str] = &["run_build", "edit_file", "write_file", "ask_user", "task"];

/// Whether `name` is one of the agent's built-in tools.
pub fn is_built_in(name: &str) -> bool {
    READ_ONLY.contains(&name) || ACTING.contains(&name)
}

/// The tools one operation may use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolFilter {
    /// Built-in tools by Mira's name.
    pub tools: BTreeSet<String>,
    /// `mcp__server` (all its tools) or `mcp__server__tool`.
    pub mcp: BTreeSet<String>,
    /// Command prefixes run_build may run beyond the project's allowlist.
    pub commands: Vec<String>,
    /// Entries that name nothing Mira has (WebFetch, NotebookEdit, ...), for a note.
    pub unknown: Vec<String>,
}

impl ToolFilter {
    /// Reads `allowed-tools` / `tools` entries.
    pub fn parse(entries: &[String]) -> Self {
        let mut f = ToolFilter::default();
        for entry in entries {
            let entry = entry.trim();
            let (name, pattern) = match entry.split_once('(') {
                Some((n, rest)) => (n.trim(), rest.strip_suffix(')').map(str::trim)),
                None => (entry, None),
            };
            if name.starts_with("mcp__") {
                f.mcp.insert(name.to_string());
                continue;
            }
            let mapped: &[&str] = match name {
                "Read" | "Grep" | "Glob" | "LS" => READ_ONLY,
                "Write" => &["write_file"],
                "Edit" | "MultiEdit" => &["edit_file"],
                "Bash" => &["run_build"],
                "Task" => &["task"],
                other if is_built_in(other) => {
                    f.tools.insert(other.to_string());
                    &[]
                }
                _ => {
                    f.unknown.push(entry.to_string());
                    &[]
                }
            };
            f.tools.extend(mapped.iter().map(|t| t.to_string()));
            if name == "Bash"
                && let Some(p) = pattern
            {
                let prefix = p.strip_suffix(":*").unwrap_or(p).trim();
                if !prefix.is_empty() && prefix != "*" {
                    f.commands.push(prefix.to_string());
                }
            }
        }
        f
    }

    /// Whether a tool (Mira's name, or `mcp__server__tool`) may be called.
    pub fn allows(&self, tool: &str) -> bool {
        if tool.starts_with("mcp__") {
            return self.mcp.iter().any(|m| match m.strip_suffix('*') {
                Some(prefix) => tool.starts_with(prefix),
                None => m == tool || tool.strip_prefix(m.as_str()).is_some_and(|r| r.starts_with("__")),
            });
        }
        self.tools.contains(tool)
    }

    /// What it allows, for messages.
    pub fn describe(&self) -> String {
        let mut names: Vec<&str> = self.tools.iter().map(String::as_str).collect();
        names.extend(self.mcp.iter().map(String::as_str));
        if names.is_empty() {
            "no tools".into()
        } else {
            names.join(", ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(entries: &[&str]) -> ToolFilter {
        ToolFilter::parse(&entries.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn claude_codes_names_map_to_miras_tools() {
        let f = parse(&["Read", "Grep", "Glob"]);
        assert!(f.allows("read_file") && f.allows("symbols") && f.allows("git_diff"));
        assert!(!f.allows("edit_file") && !f.allows("write_file") && !f.allows("run_build"));

        let f = parse(&[
            "Edit",
            "Bash(git add:*)",
            "Bash(git status:*)",
            "WebFetch",
            "mcp__github",
        ]);
        assert!(f.allows("edit_file") && f.allows("run_build"));
        assert!(!f.allows("read_file"));
        assert_eq!(f.commands, ["git add", "git status"]);
        assert_eq!(f.unknown, ["WebFetch"]);
        assert!(f.allows("mcp__github__create_issue"));
        assert!(!f.allows("mcp__githubx__a"));
        assert!(parse(&["mcp__*"]).allows("mcp__any__tool"));
        assert!(parse(&["mcp__git__*"]).allows("mcp__git__log"));

        let f = parse(&["read_file", "mcp__fs__read"]);
        assert!(f.allows("read_file") && !f.allows("grep"));
        assert!(f.allows("mcp__fs__read") && !f.allows("mcp__fs__write"));
    }
}
