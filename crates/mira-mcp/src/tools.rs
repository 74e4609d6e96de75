//! The tools: their schemas and annotations, and running a call. Each answers the JSON
//! shape of the matching CLI command's `--json` (`mira callers X --json` and the
//! `callers` tool give the same object), plus `truncated` when `limit` cut it, and is
//! made by the same library queries the CLI and the agent's tools use.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mira_build::queries::ErrorFilter;
use mira_build::runner::{RunRequest, RunStatus};
use mira_code::queries as code;
use mira_code::{CodeError, named};
use mira_git::queries as git;
use mira_oracle::{ContextRequest, Level};
use mira_search::query::{Mode, SearchRequest};
use mira_store::projects::Project;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::args::{self, Args, ToolError, failed};
use crate::backend::Backend;
use crate::render;

/// One tool as offered to the host.
pub struct Spec {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub input: Value,
    pub output: Value,
    /// Changes nothing (all but `run_build` and `reindex`).
    pub read_only: bool,
    pub idempotent: bool,
}

/// A call's surroundings.
pub struct Call<'a> {
    pub backend: &'a Backend,
    pub project: &'a Project,
    /// Cancelled when the client cancels the request or goes away.
    pub cancel: CancellationToken,
    /// Progress of long work (indexing), sent as MCP progress notifications.
    pub progress: mira_search::Progress,
}

/// A tool's answer: the structured content and its short text rendering.
#[derive(Debug, Clone)]
pub struct Answer {
    pub value: Value,
    pub text: String,
}

fn input(properties: Value, required: &[&str]) -> Value {
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

/// An output schema: the listed properties (loosely typed; the shapes are documented in
/// docs/mcp.md) plus `truncated`.
fn output(properties: Value, required: &[&str]) -> Value {
    let mut props = properties.as_object().cloned().unwrap_or_default();
    props.insert(
        "truncated".into(),
        json!({"type": "boolean", "description": "true when `limit` left results out"}),
    );
    let mut req: Vec<&str> = required.to_vec();
    req.push("truncated");
    json!({"type": "object", "properties": props, "required": req})
}

fn limit_prop(default: u64, max: u64) -> Value {
    json!({"type": "integer", "minimum": 1, "maximum": max, "default": default,
           "description": format!("Most results to return (default {default}); `truncated` says when more exist.")})
}

const PATH_DESC: &str = "A path relative to the project root (an absolute path inside it works too).";
const SYMBOL_DESC: &str =
    "A qualified name (`crate::store::Db::open`, `pkg.mod.Class.method`) or a plain name to look up.";

/// Default and largest `limit` of each bounded tool.
pub const LIMITS: &[(&str, u64, u64)] = &[
    ("search", 10, 50),
    ("symbols", 50, 500),
    ("definition", 10, 100),
    ("callers", 50, 500),
    ("callees", 50, 500),
    ("impact", 100, 1000),
    ("callgraph", 200, 2000),
    ("cochange", 10, 100),
    ("experts", 10, 100),
    ("blame", 200, 5000),
    ("file_history", 20, 200),
    ("fixes", 5, 20),
    ("build_errors", 30, 200),
    ("concepts", 50, 500),
    ("memory", 10, 50),
];

fn limits(tool: &str) -> (u64, u64) {
    LIMITS
        .iter()
        .find(|(n, _, _)| *n == tool)
        .map(|(_, d, m)| (*d, *m))
        .unwrap_or((50, 500))
}

/// Every tool, in the order they are listed.
pub fn specs() -> Vec<Spec> {
    let lim = |t: &str| {
        let (d, m) = limits(t);
        limit_prop(d, m)
    };
    let arr = json!({"type": "array"});
    let sym = json!({"type": "string", "description": SYMBOL_DESC});
    let path = json!({"type": "string", "description": PATH_DESC});
    let ro = |name, title, description, input, output| Spec {
        name,
        title,
        description,
        input,
        output,
        read_only: true,
        idempotent: true,
    };
    vec![
        ro(
            "search",
            "Search code by words and meaning",
            "Hybrid keyword + semantic search over the project's code, docs and commits; finds code by what it does (\"where are tokens refreshed\") where grep needs the exact word. Answers ranked symbols with file, lines and a snippet.",
            input(
                json!({
                    "query": {"type": "string", "description": "An identifier, words, or a question in plain language."},
                    "mode": {"type": "string", "enum": ["hybrid", "keyword", "dense"], "default": "hybrid"},
                    "path": {"type": "string", "description": "Only under this directory or file."},
                    "lang": {"type": "string", "description": "Only this language (rust, python, typescript, tsx, javascript, go, markdown)."},
                    "kind": {"type": "string", "description": "Only symbols of this kind (function, method, struct, class, doc, ...)."},
                    "in": {"type": "string", "enum": ["code", "git", "conversation"], "default": "code", "description": "What to search: code (and docs), git (commit messages) or conversation."},
                    "limit": lim("search"),
                }),
                &["query"],
            ),
            output(
                json!({"query": {"type": "string"}, "results": arr.clone(), "mode": {"type": "string"}, "notice": {"type": ["string", "null"]}}),
                &["query", "results"],
            ),
        ),
        ro(
            "context",
            "Ranked context for a task",
            "The context oracle: for a task (question, bug report, pasted error), the files that matter ranked with reasons, and excerpts from search, symbols, the call graph, co-change, build errors and past fixes that fit a token budget. Use it first on an unfamiliar task instead of many greps.",
            input(
                json!({
                    "task": {"type": "string", "description": "What you want to know or do; a pasted error or stack trace works."},
                    "file": {"type": "string", "description": "The file being worked on, relative to the project root."},
                    "tokens": {"type": "integer", "minimum": 256, "maximum": 200000, "description": "Token budget of the context (default: the level's)."},
                    "level": {"type": "string", "enum": ["minimal", "standard", "full"]},
                }),
                &["task"],
            ),
            output(
                json!({"files": arr.clone(), "items": arr.clone(), "tokens": {"type": "integer"}, "budget": {"type": "integer"}}),
                &["files", "items"],
            ),
        ),
        ro(
            "symbols",
            "Find symbols or outline a file",
            "Symbols (functions, methods, types) matching a name (exact qualified name, exact name, or part of one), or the outline of one file with `path`. Faster and more precise than grepping for `fn name`.",
            input(
                json!({"query": {"type": "string", "description": "A name or part of one."}, "path": path.clone(), "limit": lim("symbols")}),
                &[],
            ),
            output(
                json!({"query": {}, "mode": {"type": "string"}, "symbols": arr.clone()}),
                &["mode", "symbols"],
            ),
        ),
        ro(
            "definition",
            "Go to definition",
            "Where a symbol is defined (by name), or what the call at a position (`path`, `line`, `col`) resolves to, with signature and doc. Resolves through imports and methods where grep finds every same-named identifier.",
            input(
                json!({
                    "symbol": sym.clone(),
                    "path": path.clone(),
                    "line": {"type": "integer", "minimum": 1, "description": "1-based line in `path`."},
                    "col": {"type": "integer", "minimum": 0, "description": "0-based column in `line`."},
                    "limit": lim("definition"),
                }),
                &[],
            ),
            output(json!({"definitions": arr.clone()}), &["definitions"]),
        ),
        ro(
            "callers",
            "Who calls a symbol",
            "Every call site of a symbol from the project's call graph (resolved through imports, methods and modules), tests flagged. Grep cannot tell a call of this function from one of another with the same name.",
            input(
                json!({"symbol": sym.clone(), "limit": lim("callers")}),
                &["symbol"],
            ),
            output(
                json!({"query": {"type": "string"}, "matches": arr.clone()}),
                &["query", "matches"],
            ),
        ),
        ro(
            "callees",
            "What a symbol calls",
            "Every call a symbol makes, with where each callee is defined (or external/unresolved).",
            input(
                json!({"symbol": sym.clone(), "limit": lim("callees")}),
                &["symbol"],
            ),
            output(
                json!({"query": {"type": "string"}, "matches": arr.clone()}),
                &["query", "matches"],
            ),
        ),
        ro(
            "impact",
            "What may break if a symbol changes",
            "The transitive callers of a symbol up to `depth` levels, each with the call path, tests counted: what to re-check or re-test before changing it. Nothing like it is possible with grep.",
            input(
                json!({"symbol": sym.clone(), "depth": {"type": "integer", "minimum": 1, "maximum": 10, "default": 3}, "limit": lim("impact")}),
                &["symbol"],
            ),
            output(
                json!({"query": {"type": "string"}, "depth": {"type": "integer"}, "results": arr.clone()}),
                &["query", "results"],
            ),
        ),
        ro(
            "callgraph",
            "Call graph of a file, directory or symbol",
            "The call graph around a file or directory (`path`: every call made from it) or a symbol (`symbol`: its callers and callees), as nodes and edges, bounded by `limit` edges.",
            input(
                json!({"path": path.clone(), "symbol": sym.clone(), "limit": lim("callgraph")}),
                &[],
            ),
            output(
                json!({"nodes": arr.clone(), "edges": arr.clone()}),
                &["nodes", "edges"],
            ),
        ),
        ro(
            "cochange",
            "Files that change together",
            "Files that usually change in the same commits as a file, with confidence and evidence from the git history: what else to edit or check. Invisible to grep.",
            input(json!({"path": path.clone(), "limit": lim("cochange")}), &["path"]),
            output(
                json!({"file": {"type": "string"}, "suggestions": arr.clone()}),
                &["file", "suggestions"],
            ),
        ),
        ro(
            "experts",
            "Who knows this code",
            "Who knows a file or directory best (commits, lines owned, recency) from the git history; the whole project without `path`.",
            input(
                json!({"path": path.clone(), "bots": {"type": "boolean", "default": false}, "limit": lim("experts")}),
                &[],
            ),
            output(
                json!({"path": {"type": "string"}, "experts": arr.clone()}),
                &["path", "experts"],
            ),
        ),
        ro(
            "blame",
            "Who last changed each line",
            "git blame of a file (identical to `git blame`), optionally for a line range: commit, author, date and summary per line.",
            input(
                json!({"path": path.clone(), "start_line": {"type": "integer", "minimum": 1}, "end_line": {"type": "integer", "minimum": 1}, "limit": lim("blame")}),
                &["path"],
            ),
            output(
                json!({"file": {"type": "string"}, "lines": arr.clone()}),
                &["file", "lines"],
            ),
        ),
        ro(
            "file_history",
            "Commits of a file",
            "The commits that changed a file, newest first, following renames, with line counts.",
            input(
                json!({"path": path.clone(), "limit": lim("file_history")}),
                &["path"],
            ),
            output(json!({"commits": arr.clone()}), &["commits"]),
        ),
        ro(
            "fixes",
            "Past fixes for an error",
            "Past commits and build runs that fixed an error like this one (paste the message or stack trace), ranked, with the diff that fixed it.",
            input(
                json!({"error": {"type": "string", "description": "The error text."}, "limit": lim("fixes")}),
                &["error"],
            ),
            output(
                json!({"fingerprint": {"type": "string"}, "pattern": {"type": "string"}, "fixes": arr.clone(), "note": {"type": "string"}}),
                &["fixes"],
            ),
        ),
        ro(
            "build_errors",
            "Recorded build and test errors",
            "Build and test errors recorded by Mira's build runner (`mira build`, `run_build`), unresolved ones by default, with the code around each and known fixes.",
            input(
                json!({"status": {"type": "string", "enum": ["unresolved", "resolved", "all"], "default": "unresolved"}, "limit": lim("build_errors")}),
                &[],
            ),
            output(json!({"errors": arr.clone()}), &["errors"]),
        ),
        ro(
            "concepts",
            "Concept index",
            "The concepts found in the project (authentication, database, http, ...) with symbol counts, or with `concept` the symbols tagged with it: code about a topic whatever it is named.",
            input(
                json!({"concept": {"type": "string"}, "limit": lim("concepts")}),
                &[],
            ),
            output(
                json!({"concepts": arr.clone(), "concept": {"type": "string"}, "symbols": arr.clone()}),
                &[],
            ),
        ),
        ro(
            "memory",
            "What the user told Mira before",
            "Personal memory: the user's preferences, decisions, constraints and facts about this project (stated in past chats or told to Mira), and past chat turns, that bear on a query; each with when it held and the messages it came from. Superseded statements come marked with `valid_to`. The user's and this project's only.",
            input(
                json!({"query": {"type": "string", "description": "What to recall, in words (\"test runner\", \"how does the user want errors handled\")."}, "limit": lim("memory")}),
                &["query"],
            ),
            output(json!({"items": arr.clone()}), &["items"]),
        ),
        ro(
            "index_status",
            "Index status",
            "What Mira has indexed for the project: files, symbols, call edges, commits, search chunks and dense vectors, and the embedder.",
            input(json!({}), &[]),
            output(
                json!({"project": {"type": "object"}, "code": {"type": "object"}, "git": {"type": "object"}, "search": {"type": "object"}}),
                &["project", "code", "git"],
            ),
        ),
        Spec {
            name: "run_build",
            title: "Run a build or test command",
            description: "Runs an allowed build or test command (the project's detected build and test commands and AGENT_ALLOWED_COMMANDS; no shell, so no pipes or `&&`) through Mira's build runner, which records its errors for `build_errors` and `fixes`. Answers status, errors and the end of the output.",
            input: input(
                json!({"command": {"type": "string", "description": "The command line, e.g. `cargo test -p mycrate`."}, "timeout_secs": {"type": "integer", "minimum": 1, "maximum": 86400}}),
                &["command"],
            ),
            output: output(
                json!({"run": {"type": "object"}, "diagnostics": arr.clone(), "output_tail": {"type": "string"}}),
                &["run"],
            ),
            read_only: false,
            idempotent: false,
        },
        Spec {
            name: "reindex",
            title: "Bring the index up to date",
            description: "Re-indexes the project's code, git history and search index now (changed files only). Rarely needed: Mira indexes on first use and follows saved files.",
            input: input(json!({}), &[]),
            output: output(
                json!({"code": {"type": "object"}, "git": {}, "search": {}}),
                &["code"],
            ),
            read_only: false,
            idempotent: true,
        },
    ]
}

/// Text for `initialize`: when each tool beats grep and reading files.
pub const INSTRUCTIONS: &str = "Mira indexes this project's code (symbols and a resolved call graph), its git history and its builds, and keeps the index current as files are saved. Prefer these tools to grep and reading files when the question is about structure or history:\n\
- `context` first on an unfamiliar task: ranked files and excerpts for the task, in one call.\n\
- `search` when you know what code does but not its name (semantic + keyword).\n\
- `definition`, `callers`, `callees`: resolved through imports and methods, unlike grep, which also finds same-named identifiers.\n\
- `impact` before changing a function's signature or behaviour: transitive callers and the tests that reach it.\n\
- `cochange` after editing a file: the files that usually change with it.\n\
- `experts`, `blame`, `file_history`: who knows or last changed code, and why.\n\
- `build_errors` and `fixes` when a build fails: recorded errors and the past commits that fixed similar ones; `run_build` runs an allowed build or test command and records its errors.\n\
Use grep for literal text (strings, log messages, config keys). Paths are relative to the project root. Results are bounded by `limit`; `truncated: true` means ask for more or narrow the query.";

/// Runs a tool; the name must be one of [`specs`].
pub async fn call(cx: &Call<'_>, name: &str, args: &Args) -> Result<Answer, ToolError> {
    let spec = specs().into_iter().find(|s| s.name == name);
    if let Some(spec) = &spec {
        args::known(args, &spec.input)?;
    }
    let (default_limit, max_limit) = limits(name);
    let limit = args::integer(args, "limit", default_limit, 1, max_limit)? as usize;
    let value = match name {
        "search" => search(cx, args, limit).await?,
        "context" => context(cx, args).await?,
        "symbols" => symbols(cx, args, limit).await?,
        "definition" => definition(cx, args, limit).await?,
        "callers" => call_sites(cx, args, limit, true).await?,
        "callees" => call_sites(cx, args, limit, false).await?,
        "impact" => impact(cx, args, limit).await?,
        "callgraph" => callgraph(cx, args, limit).await?,
        "cochange" => cochange(cx, args, limit).await?,
        "experts" => experts(cx, args, limit).await?,
        "blame" => blame(cx, args, limit).await?,
        "file_history" => file_history(cx, args, limit).await?,
        "fixes" => fixes(cx, args, limit).await?,
        "build_errors" => build_errors(cx, args, limit).await?,
        "concepts" => concepts(cx, args, limit).await?,
        "memory" => memory(cx, args, limit).await?,
        "index_status" => index_status(cx).await?,
        "run_build" => run_build(cx, args).await?,
        "reindex" => reindex(cx).await?,
        other => return Err(ToolError(format!("there is no tool `{other}`"))),
    };
    let value = short_floats(value);
    let text = render::text(name, &value);
    Ok(Answer { value, text })
}

/// Scores computed in `f32` widen to `f64` in a JSON value (`6.228637218475342`):
/// written back as the `f32` they were, they read as the CLI prints them (`6.228637`)
/// and cost the host fewer tokens.
fn short_floats(value: Value) -> Value {
    match value {
        Value::Number(n) if n.is_f64() => {
            let x = n.as_f64().unwrap_or_default();
            let narrow = x as f32;
            if f64::from(narrow) == x
                && let Ok(short) = narrow.to_string().parse::<f64>()
                && let Some(n) = serde_json::Number::from_f64(short)
            {
                return Value::Number(n);
            }
            Value::Number(n)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(short_floats).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, short_floats(v))).collect()),
        other => other,
    }
}

fn pid(cx: &Call<'_>) -> i64 {
    cx.project.id
}

fn root<'a>(cx: &'a Call<'_>) -> &'a Path {
    &cx.project.root
}

/// Cuts a list to `limit`; whether it cut.
fn cut<T>(list: &mut Vec<T>, limit: usize) -> bool {
    let over = list.len() > limit;
    list.truncate(limit);
    over
}

fn with_truncated(mut value: Value, truncated: bool) -> Value {
    if let Some(o) = value.as_object_mut() {
        o.insert("truncated".into(), Value::Bool(truncated));
    }
    value
}

async fn search(cx: &Call<'_>, args: &Args, limit: usize) -> Result<Value, ToolError> {
    let query = args::string(args, "query", "where are access tokens checked")?;
    let mut request = SearchRequest::new(pid(cx), query);
    // One more than asked tells whether there is more.
    request.limit = limit + 1;
    if let Some(mode) = args::choice(args, "mode", &["hybrid", "keyword", "dense"])? {
        request.mode = Mode::parse(mode).map_err(|e| ToolError(e.to_string()))?;
    }
    if let Some(p) = args::opt_string(args, "path")? {
        request.path = Some(args::project_path(root(cx), p)?);
    }
    request.language = args::opt_string(args, "lang")?.map(str::to_string);
    request.kind = args::opt_string(args, "kind")?.map(str::to_string);
    request.collection = Some(
        args::choice(args, "in", &["code", "git", "conversation"])?
            .unwrap_or("code")
            .to_string(),
    );
    let mut answer = cx.backend.search(&request).await.map_err(failed)?;
    let truncated = cut(&mut answer.results, limit);
    // The file answers follow the same limit, so the answer is the CLI's for `limit`.
    answer.files.truncate(limit);
    let value = serde_json::to_value(answer).map_err(failed)?;
    Ok(with_truncated(value, truncated))
}

async fn context(cx: &Call<'_>, args: &Args) -> Result<Value, ToolError> {
    let task = args::string(args, "task", "where are access tokens checked?")?;
    let file = args::opt_string(args, "file")?
        .map(|f| args::project_path(root(cx), f))
        .transpose()?;
    let level = match args::choice(args, "level", &["minimal", "standard", "full"])? {
        Some(l) => Level::parse(l),
        None => None,
    };
    let request = ContextRequest {
        task: task.to_string(),
        file,
        selection: None,
        tokens: args::opt_integer(args, "tokens", 256, 200_000)?.map(|t| t as usize),
        level,
        room: None,
        explain: false,
        deadline_ms: None,
    };
    let context = cx.backend.context(cx.project, &request).await.map_err(failed)?;
    let value = serde_json::to_value(context).map_err(failed)?;
    // The token budget bounds the context; `dropped_sources` says what did not fit.
    Ok(with_truncated(value, false))
}

async fn memory(cx: &Call<'_>, args: &Args, limit: usize) -> Result<Value, ToolError> {
    let query = args::string(args, "query", "which test runner do we use")?;
    // One more than asked says whether there is more.
    let request = mira_memory::RecallRequest {
        query: query.to_string(),
        scope: mira_memory::Scope::project(pid(cx)),
        conversation: None,
        limit: limit + 1,
        budget_tokens: None,
        include_turns: true,
        dense: None,
        candidates: mira_memory::gate::CANDIDATE_TURNS,
    };
    let mut items = mira_memory::recall::recall(&cx.backend.db, &request)
        .await
        .map_err(failed)?;
    let truncated = items.len() > limit;
    items.truncate(limit);
    Ok(with_truncated(
        json!({ "query": query, "items": items }),
        truncated,
    ))
}

async fn symbols(cx: &Call<'_>, args: &Args, limit: usize) -> Result<Value, ToolError> {
    let db = &cx.backend.db;
    let query = args::opt_string(args, "query")?;
    let path = args::opt_string(args, "path")?
        .map(|p| args::project_path(root(cx), p))
        .transpose()?;
    let (mode, query_echo, mut found) = match (path, query) {
        (Some(path), _) => {
            let found = code::file_symbols(db, pid(cx), &path).await.map_err(failed)?;
            if found.is_empty() && !root(cx).join(&path).is_file() {
                return Err(ToolError(format!(
                    "there is no file `{path}` in the project; give an existing file, or `query` to find symbols by name"
                )));
            }
            ("file", Value::String(path), found)
        }
        (None, Some(q)) => (
            "search",
            Value::String(q.to_string()),
            code::find_symbols(db, pid(cx), q, limit + 1)
                .await
                .map_err(failed)?,
        ),
        (None, None) => (
            "all",
            Value::Null,
            code::all_symbols(db, pid(cx), None, limit + 1)
                .await
                .map_err(failed)?,
        ),
    };
    let truncated = cut(&mut found, limit);
    Ok(with_truncated(
        json!({ "query": query_echo, "mode": mode, "symbols": found }),
        truncated,
    ))
}

/// The qualified names SYMBOL stands for; an error when none is defined and no call
/// graph edge names it (with the nearest names the project has).
async fn resolve(cx: &Call<'_>, symbol: &str) -> Result<Vec<String>, ToolError> {
    named::resolve_symbol(&cx.backend.db, pid(cx), symbol)
        .await
        .map_err(|e| match e {
            CodeError::NotFound(m) | CodeError::NotIndexed(m) | CodeError::BadInput(m) => ToolError(format!(
                "{m}; the `symbols` tool finds names (part of a name works), `search` finds code"
            )),
            other => failed(other),
        })
}

async fn definition(cx: &Call<'_>, args: &Args, limit: usize) -> Result<Value, ToolError> {
    let db = &cx.backend.db;
    if let Some(path) = args::opt_string(args, "path")? {
        let path = args::project_path(root(cx), path)?;
        let Some(line) = args::opt_integer(args, "line", 1, u32::MAX as u64)? else {
            return Err(ToolError(
                "with `path`, give `line` (1-based) and optionally `col` (0-based); or give `symbol` instead"
                    .into(),
            ));
        };
        let col = args::opt_integer(args, "col", 0, u32::MAX as u64)?.unwrap_or(0);
        let found = code::definition_at(db, pid(cx), &path, line as u32, col as u32)
            .await
            .map_err(failed)?;
        return Ok(with_truncated(
            json!({ "definitions": found.into_iter().collect::<Vec<_>>() }),
            false,
        ));
    }
    let symbol = args::string(args, "symbol", "Db::open")?;
    let mut found = code::find_symbols(db, pid(cx), symbol, limit + 1)
        .await
        .map_err(failed)?;
    if found.is_empty() {
        let near = named::near_names(db, pid(cx), symbol).await.map_err(failed)?;
        let hint = if near.is_empty() {
            String::new()
        } else {
            format!("did you mean {}? ", near.join(", "))
        };
        return Err(ToolError(format!(
            "no symbol `{symbol}` is defined in the project; {hint}find the right name with `symbols` (part of a name works) or `search`"
        )));
    }
    let truncated = cut(&mut found, limit);
    Ok(with_truncated(json!({ "definitions": found }), truncated))
}

async fn call_sites(cx: &Call<'_>, args: &Args, limit: usize, callers: bool) -> Result<Value, ToolError> {
    let symbol = args::string(args, "symbol", "Db::open")?;
    let db = &cx.backend.db;
    let key = if callers { "callers" } else { "callees" };
    let mut matches = Vec::new();
    let mut truncated = false;
    let mut left = limit;
    for q in resolve(cx, symbol).await? {
        let mut calls = if callers {
            code::callers(db, pid(cx), &q).await
        } else {
            code::callees(db, pid(cx), &q).await
        }
        .map_err(failed)?;
        truncated |= cut(&mut calls, left);
        left -= calls.len();
        matches.push(json!({ "symbol": q, key: calls }));
    }
    Ok(with_truncated(
        json!({ "query": symbol, "matches": matches }),
        truncated,
    ))
}

async fn impact(cx: &Call<'_>, args: &Args, limit: usize) -> Result<Value, ToolError> {
    let symbol = args::string(args, "symbol", "Db::open")?;
    let depth = args::integer(args, "depth", 3, 1, 10)? as u32;
    let mut results = Vec::new();
    let mut truncated = false;
    for q in resolve(cx, symbol).await? {
        let mut r = code::impact(&cx.backend.db, pid(cx), &q, depth)
            .await
            .map_err(failed)?;
        truncated |= cut(&mut r.impacted, limit);
        results.push(r);
    }
    Ok(with_truncated(
        json!({ "query": symbol, "depth": depth, "results": results }),
        truncated,
    ))
}

async fn callgraph(cx: &Call<'_>, args: &Args, limit: usize) -> Result<Value, ToolError> {
    let db = &cx.backend.db;
    let path = args::opt_string(args, "path")?;
    let symbol = args::opt_string(args, "symbol")?;
    if path.is_some() && symbol.is_some() {
        return Err(ToolError("give either `path` or `symbol`, not both".into()));
    }
    let mut graph = if let Some(symbol) = symbol {
        let mut graph = code::Graph::default();
        let mut seen = std::collections::BTreeSet::new();
        let mut node =
            |graph: &mut code::Graph, id: &str, kind: &str, file: Option<&str>, line: Option<u32>| {
                if seen.insert(id.to_string()) {
                    graph.nodes.push(code::Node {
                        id: id.to_string(),
                        kind: kind.to_string(),
                        file: file.map(str::to_string),
                        line,
                        language: None,
                    });
                }
            };
        for q in resolve(cx, symbol).await? {
            if let Some(s) = code::find_symbols(db, pid(cx), &q, 1)
                .await
                .map_err(failed)?
                .into_iter()
                .find(|s| s.qualified_name == q)
            {
                node(&mut graph, &q, &s.kind, Some(&s.file), Some(s.start_line));
            } else {
                node(&mut graph, &q, "external", None, None);
            }
            for c in code::callers(db, pid(cx), &q).await.map_err(failed)? {
                node(&mut graph, &c.symbol, &c.kind, None, None);
                graph.edges.push(code::GraphEdge {
                    caller: c.symbol,
                    callee: q.clone(),
                    resolution: c.resolution,
                    file: c.file,
                    line: c.line,
                });
            }
            for c in code::callees(db, pid(cx), &q).await.map_err(failed)? {
                node(&mut graph, &c.symbol, &c.kind, None, None);
                graph.edges.push(code::GraphEdge {
                    caller: q.clone(),
                    callee: c.symbol,
                    resolution: c.resolution,
                    file: c.file,
                    line: c.line,
                });
            }
        }
        graph
    } else {
        let prefix = path
            .map(|p| args::project_path(root(cx), p))
            .transpose()?
            .filter(|p| !p.is_empty());
        code::callgraph(db, pid(cx), prefix.as_deref())
            .await
            .map_err(failed)?
    };
    let truncated = graph.edges.len() > limit;
    if truncated {
        graph.edges.truncate(limit);
        // Keep the nodes the kept edges touch (and the defined ones, up to the limit).
        let used: std::collections::HashSet<String> = graph
            .edges
            .iter()
            .flat_map(|e| [e.caller.clone(), e.callee.clone()])
            .collect();
        graph.nodes.retain(|n| used.contains(&n.id));
    }
    let value = serde_json::to_value(graph).map_err(failed)?;
    Ok(with_truncated(value, truncated))
}

async fn cochange(cx: &Call<'_>, args: &Args, limit: usize) -> Result<Value, ToolError> {
    let file = args::project_path(root(cx), args::string(args, "path", "src/main.rs")?)?;
    let mut found = git::cochange(&cx.backend.db, pid(cx), &file, limit + 1, &cx.backend.config.git)
        .await
        .map_err(failed)?;
    let truncated = cut(&mut found, limit);
    Ok(with_truncated(
        json!({ "file": file, "suggestions": found }),
        truncated,
    ))
}

async fn experts(cx: &Call<'_>, args: &Args, limit: usize) -> Result<Value, ToolError> {
    let path = match args::opt_string(args, "path")? {
        Some(p) => args::project_path(root(cx), p)?,
        None => String::new(),
    };
    let bots = args::boolean(args, "bots")?;
    let mut found = git::experts(&cx.backend.db, pid(cx), &path, bots, limit + 1)
        .await
        .map_err(failed)?;
    let truncated = cut(&mut found, limit);
    Ok(with_truncated(
        json!({ "path": path, "experts": found }),
        truncated,
    ))
}

async fn blame(cx: &Call<'_>, args: &Args, limit: usize) -> Result<Value, ToolError> {
    let arg = args::string(args, "path", "src/main.rs")?;
    let rel = args::project_path(root(cx), arg)?;
    let resolved = mira_agent::confine::resolve(root(cx), &rel).map_err(|e| ToolError(e.message))?;
    if !resolved.is_file() {
        return Err(ToolError(format!(
            "`{rel}` is not a file of the project; give a file path"
        )));
    }
    let file = mira_agent::confine::display_relative(root(cx), &resolved);
    let start = args::opt_integer(args, "start_line", 1, u32::MAX as u64)?.unwrap_or(1) as u32;
    let end = args::opt_integer(args, "end_line", 1, u32::MAX as u64)?
        .map(|e| e as u32)
        .unwrap_or(u32::MAX);
    if end < start {
        return Err(ToolError(format!("end_line {end} is before start_line {start}")));
    }
    let mut lines: Vec<_> = mira_git::blame::blame(&cx.backend.db, cx.project, &file)
        .await
        .map_err(failed)?
        .into_iter()
        .filter(|l| l.line >= start && l.line <= end)
        .collect();
    let truncated = cut(&mut lines, limit);
    Ok(with_truncated(json!({ "file": file, "lines": lines }), truncated))
}

async fn file_history(cx: &Call<'_>, args: &Args, limit: usize) -> Result<Value, ToolError> {
    let file = args::project_path(root(cx), args::string(args, "path", "src/main.rs")?)?;
    let mut commits = git::log(&cx.backend.db, pid(cx), Some(&file), limit + 1)
        .await
        .map_err(failed)?;
    let truncated = cut(&mut commits, limit);
    Ok(with_truncated(json!({ "commits": commits }), truncated))
}

async fn fixes(cx: &Call<'_>, args: &Args, limit: usize) -> Result<Value, ToolError> {
    // An empty text would match nothing; say what to send instead.
    if args
        .get("error")
        .and_then(Value::as_str)
        .is_some_and(|s| s.trim().is_empty())
    {
        return Err(ToolError(format!(
            "`error` is empty: {}",
            mira_git::fixes::EMPTY_ERROR
        )));
    }
    let error = args::string(args, "error", "error[E0308]: mismatched types")?;
    let mut report = mira_git::fixes::find(&cx.backend.db, cx.project, error, limit + 1)
        .await
        .map_err(failed)?;
    let truncated = cut(&mut report.fixes, limit);
    let value = serde_json::to_value(report).map_err(failed)?;
    Ok(with_truncated(value, truncated))
}

async fn build_errors(cx: &Call<'_>, args: &Args, limit: usize) -> Result<Value, ToolError> {
    let filter = match args::choice(args, "status", &["unresolved", "resolved", "all"])? {
        Some("all") => ErrorFilter::All,
        Some("resolved") => ErrorFilter::Resolved,
        _ => ErrorFilter::Unresolved,
    };
    let mut errors = mira_build::queries::errors(&cx.backend.db, cx.project, filter, limit + 1)
        .await
        .map_err(failed)?;
    let truncated = cut(&mut errors, limit);
    Ok(with_truncated(json!({ "errors": errors }), truncated))
}

async fn concepts(cx: &Call<'_>, args: &Args, limit: usize) -> Result<Value, ToolError> {
    let db = &cx.backend.db;
    if let Some(concept) = args::opt_string(args, "concept")? {
        let rules = mira_search::concepts::load(db).await.map_err(failed)?;
        let mut tagged = mira_search::concepts::symbols_with(db, &rules, pid(cx), concept)
            .await
            .map_err(failed)?;
        let truncated = cut(&mut tagged, limit);
        return Ok(with_truncated(
            json!({ "concept": concept, "symbols": tagged }),
            truncated,
        ));
    }
    let mut counts = mira_search::concepts::counts(db, pid(cx)).await.map_err(failed)?;
    let truncated = cut(&mut counts, limit);
    Ok(with_truncated(json!({ "concepts": counts }), truncated))
}

async fn index_status(cx: &Call<'_>) -> Result<Value, ToolError> {
    let pool = cx.backend.db.pool();
    let count = |sql: &'static str| async move {
        sqlx::query_scalar::<_, i64>(sql)
            .bind(cx.project.id)
            .fetch_one(pool)
            .await
            .map_err(failed)
    };
    let files = count("SELECT COUNT(*) FROM files WHERE project_id = ?").await?;
    let symbols = count("SELECT COUNT(*) FROM code_elements WHERE project_id = ?").await?;
    let edges = count("SELECT COUNT(*) FROM call_graph WHERE project_id = ?").await?;
    let commits = count("SELECT COUNT(*) FROM git_commits WHERE project_id = ?").await?;
    let search = match cx.backend.search_status(pid(cx)).await {
        Ok(v) => v,
        Err(e) => json!({ "error": e.to_string() }),
    };
    Ok(with_truncated(
        json!({
            "project": cx.project,
            "code": { "files": files, "symbols": symbols, "call_edges": edges },
            "git": { "commits": commits },
            "search": search,
        }),
        false,
    ))
}

/// Output kept of a run: the end of the log, where test results and errors are.
const TAIL_BYTES: usize = 6_000;
const MAX_DIAGNOSTICS: usize = 50;

async fn run_build(cx: &Call<'_>, args: &Args) -> Result<Value, ToolError> {
    let line = args::string(args, "command", "cargo test")?;
    let mut request = RunRequest::from_command_line(line).map_err(|e| ToolError(e.to_string()))?;
    let config = &cx.backend.config;
    let allowlist =
        mira_agent::allowlist::Allowlist::for_project(&cx.project.root, &config.agent.allowed_commands);
    allowlist.check(&request.argv).map_err(|e| {
        ToolError(format!(
            "refused: {e}. Allowed: {}",
            allowlist.describe().join(", ")
        ))
    })?;
    if let Some(t) = args::opt_integer(args, "timeout_secs", 1, 86_400)? {
        request.timeout = Some(Duration::from_secs(t).min(config.build.timeout));
    }
    let tail = Arc::new(Mutex::new(Vec::<u8>::new()));
    let sink = tail.clone();
    let on_output: mira_build::runner::OnOutput =
        Arc::new(move |_: mira_build::runner::Stream, chunk: &[u8]| {
            let mut buf = sink.lock().unwrap_or_else(|p| p.into_inner());
            buf.extend_from_slice(chunk);
            let excess = buf.len().saturating_sub(TAIL_BYTES * 2);
            buf.drain(..excess);
        });
    let outcome = mira_build::run(
        &cx.backend.db,
        cx.project,
        &config.build,
        request,
        on_output,
        cx.cancel.child_token(),
    )
    .await
    .map_err(|e| ToolError(e.to_string()))?;
    let tail = tail.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let text = String::from_utf8_lossy(&tail);
    let start = text.len().saturating_sub(TAIL_BYTES);
    let start = (start..text.len())
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(text.len());
    let mut value = serde_json::to_value(&outcome).map_err(failed)?;
    let mut truncated = false;
    if let Some(d) = value.get_mut("diagnostics").and_then(Value::as_array_mut) {
        truncated = d.len() > MAX_DIAGNOSTICS;
        d.truncate(MAX_DIAGNOSTICS);
    }
    value["output_tail"] = Value::String(text[start..].to_string());
    value["succeeded"] = Value::Bool(outcome.run.status == RunStatus::Succeeded);
    Ok(with_truncated(value, truncated))
}

async fn reindex(cx: &Call<'_>) -> Result<Value, ToolError> {
    index_project(cx.backend, cx.project, cx.progress.clone())
        .await
        .map(|v| with_truncated(v, false))
        .map_err(failed)
}

/// Indexes code, then git history, then search, reporting progress as one sequence.
pub async fn index_project(
    backend: &Backend,
    project: &Project,
    progress: mira_search::Progress,
) -> anyhow::Result<Value> {
    let code = mira_code::index::index_project(&backend.db, project, progress.clone()).await?;
    let git =
        match mira_git::index::index_project(&backend.db, project, &backend.config.git, progress.clone())
            .await
        {
            Ok(s) => serde_json::to_value(s)?,
            Err(mira_git::GitError::NotARepository { .. }) if !project.is_git => Value::Null,
            Err(e) => return Err(e.into()),
        };
    let search = match backend.index_search(project, progress).await {
        Ok(v) => v,
        // Code and history are usable without the search index.
        Err(e) => json!({ "error": e.to_string() }),
    };
    Ok(json!({ "code": code, "git": git, "search": search }))
}

#[cfg(test)]
mod float_tests {
    use super::short_floats;
    use serde_json::json;

    #[test]
    fn f32_scores_read_as_printed_and_f64_values_stay() {
        let widened = f64::from(6.228_637_f32);
        assert_eq!(widened.to_string(), "6.228637218475342");
        let v = short_floats(json!({"results": [{"score": widened, "n": 3}], "ratio": 0.1_f64}));
        assert_eq!(v["results"][0]["score"].to_string(), "6.228637");
        assert_eq!(v["ratio"].to_string(), "0.1");
        assert_eq!(v["results"][0]["n"], 3);
    }
}
