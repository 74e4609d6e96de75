//! Claude Code's names for Mira's tools, so hooks written for Claude Code work unchanged:
//! their matchers (`Edit|Write`) and the fields they read from `tool_input` (`file_path`,
//! `old_string`, ...).

use std::path::{Component, Path, PathBuf};

use serde_json::{Map, Value};

/// Mira's tool name and the Claude Code tool names that mean the same call; the first is
/// the one a hook sees as `tool_name`.
const ALIASES: &[(&str, &[&str])] = &[
    ("edit_file", &["Edit", "MultiEdit"]),
    ("write_file", &["Write"]),
    ("read_file", &["Read"]),
    ("grep", &["Grep"]),
    ("list_files", &["Glob", "LS"]),
    ("run_build", &["Bash"]),
    ("task", &["Task"]),
];

/// Mira's tools whose `path` argument names one file, which Claude Code's tools call
/// `file_path` (an absolute path).
const FILE_PATH_TOOLS: &[&str] = &[
    "read_file",
    "edit_file",
    "write_file",
    "blame",
    "cochange",
    "symbols",
];

/// Claude Code's name for a Mira tool (`edit_file` -> `Edit`), if it has one.
pub fn claude_tool_name(mira: &str) -> Option<&'static str> {
    claude_tool_aliases(mira).first().copied()
}

/// Every Claude Code name a matcher may use for a Mira tool (`edit_file` -> `Edit`,
/// `MultiEdit`); empty for tools Claude Code does not have (MCP tools keep their
/// `mcp__server__tool` name in both).
pub fn claude_tool_aliases(mira: &str) -> &'static [&'static str] {
    ALIASES
        .iter()
        .find(|(name, _)| *name == mira)
        .map(|(_, aliases)| *aliases)
        .unwrap_or(&[])
}

/// The `tool_name` a hook reads: Claude Code's alias when there is one, else Mira's name.
pub fn hook_tool_name(mira: &str) -> &str {
    claude_tool_name(mira).unwrap_or(mira)
}

/// The `tool_input` a hook reads: Mira's arguments as they are, plus Claude Code's field
/// names where they differ, so a Claude Code hook's `jq .tool_input.file_path` works:
///
/// - `file_path`: the absolute path under `project_root` of a one-file tool's `path`
///   (read_file, edit_file, write_file, blame, cochange, symbols);
/// - edit_file: `old_string` = `search`, `new_string` = `replace`, `replace_all` = false
///   (Mira's edit replaces exactly one match);
/// - read_file: `offset` = `start_line`, `limit` = the number of lines up to `end_line`;
/// - list_files: `path` = the absolute `directory` (Glob's search root);
/// - run_build: `timeout` in milliseconds from `timeout_secs` (`command` is already Bash's).
///
/// A field Mira already has is never overwritten. Arguments that are not a JSON object are
/// passed through unchanged.
pub fn tool_input(mira: &str, arguments: &Value, project_root: &Path) -> Value {
    let Some(args) = arguments.as_object() else {
        return arguments.clone();
    };
    let mut input = args.clone();
    let mut add = |key: &str, value: Value| {
        input.entry(key.to_string()).or_insert(value);
    };
    if FILE_PATH_TOOLS.contains(&mira)
        && let Some(path) = non_empty_str(args, "path")
    {
        add("file_path", Value::String(absolute_under(project_root, path)));
    }
    match mira {
        "edit_file" => {
            if let Some(search) = args.get("search") {
                add("old_string", search.clone());
            }
            if let Some(replace) = args.get("replace") {
                add("new_string", replace.clone());
            }
            add("replace_all", Value::Bool(false));
        }
        "read_file" => {
            let start = args.get("start_line").and_then(Value::as_u64);
            let end = args.get("end_line").and_then(Value::as_u64);
            if let Some(start) = start {
                add("offset", start.into());
            }
            if let Some(end) = end {
                let first = start.unwrap_or(1);
                add("limit", (end.saturating_sub(first) + 1).into());
            }
        }
        "list_files" => {
            let directory = args.get("directory").and_then(Value::as_str).unwrap_or("");
            add("path", Value::String(absolute_under(project_root, directory)));
        }
        "run_build" => {
            if let Some(secs) = args.get("timeout_secs").and_then(Value::as_u64) {
                add("timeout", secs.saturating_mul(1000).into());
            }
        }
        _ => {}
    }
    Value::Object(input)
}

fn non_empty_str<'a>(args: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    args.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// `path` joined to the root and tidied without touching the disk (`.` dropped, `..`
/// applied), since the hook wants the path the tool will use, and the file may not exist
/// yet. Confinement is the agent's business, not the hook input's.
fn absolute_under(root: &Path, path: &str) -> String {
    let joined = root.join(path);
    let mut tidy = PathBuf::new();
    for component in joined.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                tidy.pop();
            }
            other => tidy.push(other),
        }
    }
    tidy.to_string_lossy().into_owned()
}
