//! The MCP handler: initialize, tools, resources and prompts, over any rmcp transport.
//! One value per session (stdio: the process; HTTP: one per `Mcp-Session-Id`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mira_store::projects::{self, Project};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, GetPromptRequestParams,
    GetPromptResponse, GetPromptResult, Implementation, ListPromptsResult, ListResourcesResult,
    ListToolsResult, PaginatedRequestParams, ProgressNotificationParam, Prompt, PromptArgument,
    PromptMessage, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceContents, Role, ServerCapabilities, ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Map, Value};

use crate::args::ToolError;
use crate::backend::{Backend, Engine};
use crate::tools::{self, Call};

/// Where the project comes from, before the client's roots and the working directory.
#[derive(Clone, Debug, Default)]
pub struct ProjectChoice {
    /// `--project` (an id or a path), or `?project=` on the `/mcp` URL.
    pub explicit: Option<String>,
    /// Start a file watcher for the project (stdio, when this process holds the data
    /// dir; `mira serve` runs its own watchers).
    pub watch: bool,
}

/// The project of a session, found on the first call that needs it.
#[derive(Default)]
struct Session {
    project: tokio::sync::Mutex<Option<Project>>,
    watcher: Mutex<Option<mira_code::watch::ProjectWatcher>>,
}

#[derive(Clone)]
pub struct MiraMcp {
    backend: Arc<Backend>,
    choice: ProjectChoice,
    session: Arc<Session>,
}

const STATUS_URI: &str = "mira://project/status";

/// The longest a call waits for saved changes to be indexed before answering anyway.
const CATCH_UP_WAIT: Duration = Duration::from_secs(2);

impl MiraMcp {
    pub fn new(backend: Arc<Backend>, choice: ProjectChoice) -> Self {
        Self {
            backend,
            choice,
            session: Arc::new(Session::default()),
        }
    }

    /// The session's project: `--project` / `?project=`, else the first root the client
    /// offers, else the working directory (stdio), else the only registered project.
    /// A project seen for the first time is registered and indexed, with progress.
    async fn project(&self, ctx: &RequestContext<RoleServer>) -> Result<Project, ToolError> {
        let mut slot = self.session.project.lock().await;
        if let Some(p) = slot.as_ref() {
            return Ok(p.clone());
        }
        let db = &self.backend.db;
        let explicit = self.choice.explicit.clone().or_else(|| query_project(ctx));
        let project = if let Some(p) = explicit {
            match projects::find(db, &p).await {
                Ok(found) => found,
                Err(_) if Path::new(&p).is_dir() => self.register(Path::new(&p)).await?,
                Err(e) => {
                    return Err(ToolError(format!(
                        "no project `{p}` ({e}); registered: {}",
                        self.registered().await
                    )));
                }
            }
        } else if let Some(root) = client_root(ctx).await {
            self.register(&root).await?
        } else if let Some(cwd) = &self.backend.cwd {
            self.register(cwd).await?
        } else {
            let list = projects::list(db).await.map_err(crate::args::failed)?;
            match list.as_slice() {
                [only] => only.clone(),
                _ => {
                    return Err(ToolError(format!(
                        "which project? add ?project=ID (or a path) to the MCP URL; registered: {}",
                        self.registered().await
                    )));
                }
            }
        };
        if !self.indexed(&project).await {
            tracing::info!(project = %project.name, "indexing on first use");
            tools::index_project(&self.backend, &project, progress_fn(ctx, "Indexing"))
                .await
                .map_err(|e| ToolError(format!("indexing {} failed: {e}", project.root.display())))?;
        }
        if self.choice.watch {
            self.start_watcher(&project);
        }
        *slot = Some(project.clone());
        Ok(project)
    }

    async fn registered(&self) -> String {
        match projects::list(&self.backend.db).await {
            Ok(list) if !list.is_empty() => list
                .iter()
                .map(|p| format!("{} ({})", p.id, p.root.display()))
                .collect::<Vec<_>>()
                .join(", "),
            _ => "none (run `mira index` in the project)".into(),
        }
    }

    /// The registered project containing `dir` (the innermost), else `dir` registered now.
    async fn register(&self, dir: &Path) -> Result<Project, ToolError> {
        let root = projects::canonical_root(dir)
            .map_err(|e| ToolError(format!("cannot use {} as a project: {e}", dir.display())))?;
        let db = &self.backend.db;
        if let Some(p) = projects::innermost_containing(db, &root)
            .await
            .map_err(crate::args::failed)?
        {
            return Ok(p);
        }
        projects::add(db, &root, None)
            .await
            .map_err(|e| ToolError(format!("cannot register {}: {e}", root.display())))
    }

    async fn indexed(&self, project: &Project) -> bool {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM files WHERE project_id = ?")
            .bind(project.id)
            .fetch_one(self.backend.db.pool())
            .await
            .map(|n| n > 0)
            .unwrap_or(false)
    }

    /// Keeps the code index (and, here, the search index) following saved files.
    fn start_watcher(&self, project: &Project) {
        let mut slot = self.session.watcher.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_some() || !self.backend.config.watcher.enabled {
            return;
        }
        let c = &self.backend.config.watcher;
        let config = mira_code::watch::WatchConfig {
            debounce: c.debounce,
            batch: c.batch,
            git_cooldown: c.git_cooldown,
        };
        let search = match &self.backend.engine {
            Engine::Local { search, .. } => Some(search.clone()),
            Engine::Remote(_) => None,
        };
        let handle = tokio::runtime::Handle::current();
        let indexed = project.clone();
        let on_batch: mira_code::watch::OnBatch = Arc::new(move |result| match result {
            Ok(b) if b.summary.parsed + b.summary.removed > 0 => {
                tracing::info!(
                    parsed = b.summary.parsed,
                    removed = b.summary.removed,
                    "re-indexed changed files"
                );
                if let Some(search) = search.clone() {
                    let project = indexed.clone();
                    handle.spawn(async move {
                        if let Err(e) = search.index_project(&project, Arc::new(|_, _| {})).await {
                            tracing::warn!("search index update failed: {e}");
                        }
                    });
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("re-indexing failed: {e}"),
        });
        match mira_code::watch::watch(self.backend.db.clone(), project.clone(), config, on_batch) {
            Ok(w) => *slot = Some(w),
            Err(e) => tracing::warn!(project = %project.name, "not watching: {e}"),
        }
    }

    async fn run_tool(
        &self,
        name: &str,
        args: Map<String, Value>,
        ctx: &RequestContext<RoleServer>,
    ) -> CallToolResult {
        let project = match self.project(ctx).await {
            Ok(p) => p,
            Err(e) => return error_result(e),
        };
        // A call made right after a save answers from the saved text: changes the
        // watcher has seen but not yet indexed are indexed first (bounded, never a hang).
        mira_code::watch::catch_up(&self.backend.db, project.id, CATCH_UP_WAIT).await;
        let cx = Call {
            backend: &self.backend,
            project: &project,
            cancel: ctx.ct.clone(),
            progress: progress_fn(ctx, "Indexing"),
        };
        let started = Instant::now();
        let result = tools::call(&cx, name, &args).await;
        tracing::debug!(
            tool = name,
            ms = started.elapsed().as_millis() as u64,
            ok = result.is_ok(),
            "tool call"
        );
        match result {
            Ok(answer) => {
                let mut r = CallToolResult::structured(answer.value);
                r.content = vec![ContentBlock::text(answer.text)];
                r
            }
            Err(e) => error_result(e),
        }
    }
}

fn error_result(e: ToolError) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(e.0)])
}

/// `?project=` of the HTTP request that carried this call.
fn query_project(ctx: &RequestContext<RoleServer>) -> Option<String> {
    let parts = ctx.extensions.get::<http::request::Parts>()?;
    let query = parts.uri.query()?;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == "project" && !v.is_empty()).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The first `file://` root the client offers, when it supports roots. (Roots are
/// deprecated by the newest revision, SEP-2577, but the 2025 revisions' clients use them.)
#[allow(deprecated)]
async fn client_root(ctx: &RequestContext<RoleServer>) -> Option<PathBuf> {
    let info = ctx.peer.peer_info()?;
    info.capabilities.roots.as_ref()?;
    let roots = tokio::time::timeout(Duration::from_secs(5), ctx.peer.list_roots())
        .await
        .ok()?
        .ok()?;
    roots.roots.iter().find_map(|r| {
        let path = r.uri.strip_prefix("file://")?;
        let path = PathBuf::from(percent_decode(path));
        path.is_dir().then_some(path)
    })
}

/// Progress callbacks of long work as `notifications/progress` on the request's token
/// (none when the client sent no token). The value only grows, across phases too.
fn progress_fn(ctx: &RequestContext<RoleServer>, label: &'static str) -> mira_search::Progress {
    let Some(token) = ctx.meta.get_progress_token() else {
        return Arc::new(|_, _| {});
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<ProgressNotificationParam>();
    let peer = ctx.peer.clone();
    tokio::spawn(async move {
        while let Some(p) = rx.recv().await {
            if peer.notify_progress(p).await.is_err() {
                break;
            }
        }
    });
    let base = Arc::new(AtomicU64::new(0));
    let last = Arc::new(Mutex::new((0u64, 0u64, Instant::now() - Duration::from_secs(1))));
    // MCP requires progress to increase with each notification: a new phase's 0 lands
    // where the last phase ended, which must not be sent again.
    let sent = Arc::new(AtomicU64::new(0));
    Arc::new(move |done: u64, total: u64| {
        let mut l = last.lock().unwrap_or_else(|p| p.into_inner());
        if done < l.0 {
            // A new phase started: keep counting up from the last one's total.
            base.fetch_add(l.1.max(l.0), Ordering::Relaxed);
        }
        let finished = total > 0 && done == total;
        let due = l.2.elapsed() >= Duration::from_millis(100);
        let changed = done != l.0 || total != l.1;
        *l = (done, total, if due || finished { Instant::now() } else { l.2 });
        let at = base.load(Ordering::Relaxed) + done;
        if changed && (due || finished) && at > sent.load(Ordering::Relaxed) {
            sent.store(at, Ordering::Relaxed);
            let p = ProgressNotificationParam::new(token.clone(), at as f64)
                .with_message(format!("{label}: {done}/{total}"));
            let _ = tx.send(p);
        }
    })
}

fn tool_of(spec: tools::Spec) -> Tool {
    let object =
        |v: Value| -> Arc<Map<String, Value>> { Arc::new(v.as_object().cloned().unwrap_or_default()) };
    let mut tool = Tool::new(spec.name, spec.description, object(spec.input));
    tool.title = Some(spec.title.to_string());
    tool.output_schema = Some(object(spec.output));
    tool.annotations = Some(
        ToolAnnotations::with_title(spec.title)
            .read_only(spec.read_only)
            .destructive(false)
            .idempotent(spec.idempotent)
            .open_world(false),
    );
    tool
}

impl ServerHandler for MiraMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .enable_prompts()
                .build(),
        )
        .with_server_info(
            Implementation::new("mira", env!("CARGO_PKG_VERSION"))
                .with_title("Mira")
                .with_description("Code, git and build intelligence of a project: callers, impact, co-change, experts, past fixes, build errors, concept search"),
        )
        .with_instructions(tools::INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(
            tools::specs().into_iter().map(tool_of).collect(),
        ))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let name = request.name.to_string();
        let names: Vec<&str> = tools::specs().iter().map(|s| s.name).collect();
        if !names.contains(&name.as_str()) {
            return Err(ErrorData::invalid_params(
                format!("unknown tool `{name}`; the tools are: {}", names.join(", ")),
                None,
            ));
        }
        let args = request.arguments.unwrap_or_default();
        let cancel = ctx.ct.clone();
        tokio::select! {
            result = self.run_tool(&name, args, &ctx) => Ok(result.into()),
            _ = cancel.cancelled() => Err(ErrorData::internal_error("the request was cancelled", None)),
        }
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(vec![
            Resource::new(STATUS_URI, "index-status")
                .with_title("Index status of the project")
                .with_description("What Mira has indexed: files, symbols, call edges, commits, search chunks (the `index_status` tool's answer).")
                .with_mime_type("application/json"),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        if request.uri != STATUS_URI {
            return Err(ErrorData::resource_not_found(
                format!("no resource `{}`; the resources are: {STATUS_URI}", request.uri),
                None,
            ));
        }
        let result = self.run_tool("index_status", Map::new(), &ctx).await;
        if result.is_error == Some(true) {
            let text = result
                .content
                .first()
                .and_then(|c| c.as_text())
                .map(|t| t.text.clone())
                .unwrap_or_default();
            return Err(ErrorData::internal_error(text, None));
        }
        let body = result.structured_content.unwrap_or(Value::Null).to_string();
        Ok(ReadResourceResult::new(vec![
            ResourceContents::text(body, STATUS_URI).with_mime_type("application/json"),
        ])
        .into())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Ok(ListPromptsResult::with_all_items(vec![
            Prompt::new(
                "change-safely",
                Some(
                    "Plan a change to a symbol: its definition, impact, callers, co-changing files and experts.",
                ),
                Some(vec![
                    PromptArgument::new("symbol")
                        .with_description("The function, method or type to change.")
                        .with_required(true),
                ]),
            ),
            Prompt::new(
                "fix-build",
                Some("Fix the project's recorded build errors using past fixes."),
                None::<Vec<PromptArgument>>,
            ),
        ]))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let text = match request.name.as_str() {
            "change-safely" => {
                let symbol = request
                    .arguments
                    .as_ref()
                    .and_then(|a| a.get("symbol"))
                    .and_then(Value::as_str)
                    .filter(|s| !s.trim().is_empty())
                    .ok_or_else(|| ErrorData::invalid_params("the prompt `change-safely` needs the argument `symbol`", None))?;
                format!(
                    "I want to change `{symbol}`. Before editing: call Mira's `definition` for it, `impact` (depth 3) to see what may break and which tests reach it, `callers` for the call sites to update, and `cochange` on its file for files that usually change with it. Then propose the change and the tests to run."
                )
            }
            "fix-build" => "Call Mira's `build_errors` to see the unresolved errors; for each, call `fixes` with its message to find past fixes of similar errors, then fix the code and confirm with `run_build`.".to_string(),
            other => {
                return Err(ErrorData::invalid_params(
                    format!("no prompt `{other}`; the prompts are: change-safely, fix-build"),
                    None,
                ));
            }
        };
        Ok(GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)]).into())
    }
}
