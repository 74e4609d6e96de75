//! The tools the model may call: their JSON Schemas, and running a call to a compact,
//! bounded text the model reads. A tool that fails answers with what went wrong (the
//! model can try again); only the engine decides to stop.

mod build;
mod code;
pub mod edit;
mod files;
mod git;
mod search;
mod task;
pub mod user;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use mira_core::Config;
use mira_llm::{ToolCall, ToolSpec};
use mira_store::Db;
use mira_store::projects::Project;
use serde_json::{Map, Value, json};

use crate::allowlist::Allowlist;
use crate::confine::{self, ConfineError};
use crate::extensions::Extensions;
use crate::operation::{Emitter, OperationHandle};
use crate::tool_filter::ToolFilter;

pub(crate) use task::Delegate;

/// Most characters of a tool result the model reads; more is cut with a note.
pub const MAX_OUTPUT_CHARS: usize = 16_000;

/// What a tool call came to.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolOutput {
    pub ok: bool,
    pub text: String,
    /// What the call spent on models (a sub-agent's operation), added to the operation's.
    pub cost_usd: f64,
}

impl ToolOutput {
    pub fn ok(text: impl Into<String>) -> Self {
        Self {
            ok: true,
            text: text.into(),
            cost_usd: 0.0,
        }
    }

    pub fn err(text: impl Into<String>) -> Self {
        Self {
            ok: false,
            text: text.into(),
            cost_usd: 0.0,
        }
    }
}

/// `text` cut to `max` characters (at a line end when one is near), with a note of how
/// much was left out and how to see it.
pub fn bound(text: String, max: usize, hint: &str) -> String {
    if text.chars().count() <= max {
        return text;
    }
    let mut end = text.char_indices().nth(max).map(|(i, _)| i).unwrap_or(text.len());
    if let Some(nl) = text[..end].rfind('\n')
        && nl > end / 2
    {
        end = nl + 1;
    }
    let left = text[end..].chars().count();
    format!("{}\n[... {left} more characters cut; {hint}]", &text[..end])
}

/// Whether the operation runs with a person who can decide and answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Each change waits for Apply or Reject.
    Ask,
    /// Changes are applied at once.
    Auto,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ask => "ask",
            Self::Auto => "auto",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "ask" | "" => Some(Self::Ask),
            "auto" => Some(Self::Auto),
            _ => None,
        }
    }
}

/// Everything a tool call may use.
pub struct ToolContext {
    pub(crate) db: Db,
    pub(crate) config: Arc<Config>,
    pub(crate) project: Project,
    /// Canonical project root.
    pub(crate) root: PathBuf,
    pub(crate) search: Option<mira_search::service::SearchService>,
    pub(crate) allowlist: Allowlist,
    pub(crate) run_timeout: Duration,
    pub(crate) mode: Mode,
    /// Someone can answer `ask_user`.
    pub(crate) user_available: bool,
    pub(crate) handle: OperationHandle,
    pub(crate) emitter: Emitter,
    /// The tools this operation may use (a command's `allowed-tools`, an agent's
    /// `tools`); `None`: all.
    pub(crate) filter: Option<ToolFilter>,
    /// What a `task` call needs to start a sub-agent; `None` in a sub-agent (they do not
    /// delegate further).
    pub(crate) delegate: Option<task::Delegate>,
    pub(crate) extensions: Option<Arc<Extensions>>,
}

impl ToolContext {
    pub(crate) fn operation_id(&self) -> i64 {
        self.handle.id
    }
}

/// The tools offered to the model: all of them, less `search` without a search service.
pub fn specs(search_available: bool) -> Vec<ToolSpec> {
    let mut out = Vec::new();
    let mut add = |name: &str, description: &str, parameters: Value| {
        out.push(ToolSpec {
            name: name.into(),
            description: description.into(),
            parameters,
        })
    };
    let path_prop =
        json!({"type": "string", "description": "A path relative to the project root, with `/`."});
    add(
        "read_file",
        "Read a text file of the project, with line numbers. Give start_line/end_line (1-based, inclusive) for part of a long file.",
        schema(
            json!({"path": path_prop.clone(), "start_line": {"type": "integer", "minimum": 1}, "end_line": {"type": "integer", "minimum": 1}}),
            &["path"],
        ),
    );
    add(
        "list_files",
        "List files under a directory of the project (recursively, respecting .gitignore), optionally only those matching a glob such as `*.rs` or `src/**/test_*.py`.",
        schema(
            json!({"directory": {"type": "string", "description": "Relative to the project root; empty for the root."}, "pattern": {"type": "string", "description": "A glob."}}),
            &[],
        ),
    );
    add(
        "grep",
        "Search the project's files for a regular expression (Rust regex syntax); answers path:line: text for each matching line.",
        schema(
            json!({"pattern": {"type": "string"}, "path": {"type": "string", "description": "A file or directory to search in."}, "glob": {"type": "string", "description": "Only files matching this glob, e.g. `*.rs`."}}),
            &["pattern"],
        ),
    );
    if search_available {
        add(
            "search",
            "Search the project's code by words and by meaning (hybrid keyword and semantic search); answers the best-matching symbols with their file and lines.",
            schema(
                json!({"query": {"type": "string"}, "mode": {"type": "string", "enum": ["hybrid", "keyword", "dense"]}, "path": {"type": "string"}, "limit": {"type": "integer", "minimum": 1, "maximum": 30}}),
                &["query"],
            ),
        );
    }
    add(
        "context",
        "Gather what Mira knows that is relevant to a task: ranked files and excerpts from search, symbols, the call graph, co-change, build errors and past fixes.",
        schema(
            json!({"task": {"type": "string"}, "file": {"type": "string"}, "tokens": {"type": "integer", "minimum": 256}}),
            &["task"],
        ),
    );
    add(
        "symbols",
        "Find symbols (functions, types, methods) by name, or list the symbols defined in one file.",
        schema(
            json!({"query": {"type": "string", "description": "A name or qualified name."}, "path": {"type": "string", "description": "A file: list its symbols instead."}}),
            &[],
        ),
    );
    let symbol = schema(
        json!({"symbol": {"type": "string", "description": "A qualified name, or a name to look up."}}),
        &["symbol"],
    );
    add(
        "callers",
        "Who calls a symbol, with the call sites.",
        symbol.clone(),
    );
    add("callees", "What a symbol calls, with the call sites.", symbol);
    add(
        "impact",
        "What may break if a symbol changes: its callers up to `depth` levels, with tests flagged.",
        schema(
            json!({"symbol": {"type": "string"}, "depth": {"type": "integer", "minimum": 1, "maximum": 6}}),
            &["symbol"],
        ),
    );
    add(
        "cochange",
        "Files that usually change together with a file in the git history, with the confidence.",
        schema(json!({"path": path_prop.clone()}), &["path"]),
    );
    add(
        "experts",
        "Who knows a file or directory best, from the git history.",
        schema(
            json!({"path": {"type": "string", "description": "A file or directory; empty for the project."}}),
            &[],
        ),
    );
    add(
        "log",
        "Recent commits of the project, or of one file (following renames).",
        schema(
            json!({"path": {"type": "string"}, "limit": {"type": "integer", "minimum": 1, "maximum": 50}}),
            &[],
        ),
    );
    add(
        "blame",
        "Who last changed each line of a file (as git blame).",
        schema(
            json!({"path": path_prop.clone(), "start_line": {"type": "integer", "minimum": 1}, "end_line": {"type": "integer", "minimum": 1}}),
            &["path"],
        ),
    );
    add(
        "fixes",
        "Past commits and build runs that fixed an error like the one given (an error message or stack trace).",
        schema(json!({"error": {"type": "string"}}), &["error"]),
    );
    add(
        "errors",
        "Build and test errors recorded for the project that are still unresolved.",
        schema(
            json!({"limit": {"type": "integer", "minimum": 1, "maximum": 50}}),
            &[],
        ),
    );
    add(
        "run_build",
        "Run an allowed build or test command in the project (for example `cargo test`); answers its status, errors and the end of its output. No shell: pipes and `&&` do not work.",
        schema(
            json!({"command": {"type": "string", "description": "The command line, e.g. `cargo test -p mycrate`."}, "timeout_secs": {"type": "integer", "minimum": 1}}),
            &["command"],
        ),
    );
    add(
        "git_status",
        "The git status of the project: branch and changed files.",
        schema(json!({}), &[]),
    );
    add(
        "git_diff",
        "The uncommitted changes of the project (or of one path) as a diff.",
        schema(
            json!({"path": {"type": "string"}, "staged": {"type": "boolean"}}),
            &[],
        ),
    );
    add(
        "edit_file",
        "Change a file by replacing an exact block of its text: `search` must match exactly once (copy it from read_file without the line numbers, with enough lines to be unique); it is replaced by `replace`.",
        schema(
            json!({"path": path_prop.clone(), "search": {"type": "string"}, "replace": {"type": "string"}}),
            &["path", "search", "replace"],
        ),
    );
    add(
        "write_file",
        "Write a whole file (created with its directories if missing, replaced otherwise).",
        schema(
            json!({"path": path_prop.clone(), "content": {"type": "string"}}),
            &["path", "content"],
        ),
    );
    add(
        "ask_user",
        "Ask the user a question when you cannot decide yourself; answers their reply.",
        schema(json!({"question": {"type": "string"}}), &["question"]),
    );
    out
}

/// What the model is offered in one operation: the built-in tools it may use (`search`
/// only with a search service), `task` when there are agents to delegate to, and the
/// MCP servers' tools.
pub(crate) async fn offered(ctx: &ToolContext) -> Vec<ToolSpec> {
    let mut out = specs(ctx.search.is_some());
    if let Some(t) = task::spec(ctx) {
        out.push(t);
    }
    if let Some(ext) = &ctx.extensions {
        out.extend(ext.mcp_tool_specs().await);
    }
    if let Some(filter) = &ctx.filter {
        out.retain(|t| filter.allows(&t.name));
    }
    out
}

fn schema(properties: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": properties, "required": required})
}

/// Runs one call; unknown tools and bad arguments are answered, not raised.
pub async fn run(ctx: &ToolContext, call: &ToolCall) -> ToolOutput {
    let empty = Map::new();
    let args = call.arguments.as_object().unwrap_or(&empty);
    if let Some(filter) = &ctx.filter
        && !filter.allows(&call.name)
    {
        return ToolOutput::err(format!(
            "refused: `{}` is not among the tools this operation may use ({})",
            call.name,
            filter.describe()
        ));
    }
    let result = match call.name.as_str() {
        "read_file" => files::read_file(ctx, args).await,
        "list_files" => files::list_files(ctx, args).await,
        "grep" => files::grep(ctx, args).await,
        "search" => search::search(ctx, args).await,
        "context" => search::context(ctx, args).await,
        "symbols" => code::symbols(ctx, args).await,
        "callers" => code::callers(ctx, args, true).await,
        "callees" => code::callers(ctx, args, false).await,
        "impact" => code::impact(ctx, args).await,
        "cochange" => git::cochange(ctx, args).await,
        "experts" => git::experts(ctx, args).await,
        "log" => git::log(ctx, args).await,
        "blame" => git::blame(ctx, args).await,
        "fixes" => git::fixes(ctx, args).await,
        "git_status" => git::status(ctx).await,
        "git_diff" => git::diff(ctx, args).await,
        "errors" => build::errors(ctx, args).await,
        "run_build" => build::run_build(ctx, args).await,
        "edit_file" => edit::edit_file(ctx, args).await,
        "write_file" => edit::write_file(ctx, args).await,
        "ask_user" => user::ask_user(ctx, args).await,
        "task" => task::task(ctx, args).await,
        other if other.starts_with("mcp__") => match &ctx.extensions {
            Some(ext) => {
                ext.call_mcp_tool(other, &call.arguments, ctx.handle.token())
                    .await
            }
            None => Err(format!("there is no MCP server for `{other}` in this operation")),
        },
        other => Err(format!(
            "there is no tool `{other}`; use one of the tools declared in this conversation"
        )),
    };
    match result {
        Ok(out) => out,
        Err(message) => ToolOutput::err(message),
    }
}

pub(crate) type Args = Map<String, Value>;

pub(crate) fn str_arg<'a>(args: &'a Args, name: &str) -> Result<&'a str, String> {
    args.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("the argument `{name}` (a string) is missing"))
}

pub(crate) fn opt_str<'a>(args: &'a Args, name: &str) -> Option<&'a str> {
    args.get(name).and_then(Value::as_str).filter(|s| !s.is_empty())
}

pub(crate) fn opt_u64(args: &Args, name: &str) -> Option<u64> {
    args.get(name).and_then(|v| {
        v.as_u64()
            .or_else(|| v.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
    })
}

pub(crate) fn refused(e: ConfineError) -> String {
    format!("refused: {}", e.message)
}

/// A path argument as a checked root-relative string (no disk access).
pub(crate) fn rel_path(args: &Args, name: &str) -> Result<String, String> {
    confine::relative_string(str_arg(args, name)?).map_err(refused)
}

/// Compact JSON of a query's result, bounded.
pub(crate) fn json_text(value: impl serde::Serialize, hint: &str) -> String {
    bound(
        serde_json::to_string(&value).unwrap_or_default(),
        MAX_OUTPUT_CHARS,
        hint,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_output_is_cut_with_a_note() {
        let text = "line\n".repeat(10_000);
        let cut = bound(text, 1000, "narrow it");
        assert!(cut.len() < 1200);
        assert!(cut.contains("more characters cut; narrow it"), "{cut}");
        assert_eq!(bound("short".into(), 10, "x"), "short");
    }

    #[test]
    fn allowed_tools_know_every_built_in_tool() {
        let names: Vec<String> = specs(true).into_iter().map(|t| t.name).collect();
        for name in &names {
            assert!(
                crate::tool_filter::is_built_in(name),
                "{name} is missing from tool_filter"
            );
        }
        for name in crate::tool_filter::READ_ONLY
            .iter()
            .chain(crate::tool_filter::ACTING)
        {
            assert!(
                *name == "task" || names.iter().any(|n| n == name),
                "{name} is not a tool"
            );
        }
    }

    #[test]
    fn every_tool_has_an_object_schema_and_search_is_optional() {
        let all = specs(true);
        assert!(all.iter().all(|t| t.parameters["type"] == "object"));
        assert!(all.iter().any(|t| t.name == "search"));
        assert!(!specs(false).iter().any(|t| t.name == "search"));
        let names: Vec<&str> = all.iter().map(|t| t.name.as_str()).collect();
        for name in [
            "read_file",
            "edit_file",
            "run_build",
            "ask_user",
            "context",
            "blame",
        ] {
            assert!(names.contains(&name), "{name}");
        }
    }
}
