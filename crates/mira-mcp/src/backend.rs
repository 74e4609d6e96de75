//! What the tools run against: the database, the configuration, and the vector-backed
//! services (search, the context oracle), which live in this process when it holds the
//! data dir, or in the running `mira serve` when that one does.

use std::sync::Arc;

use mira_core::Config;
use mira_oracle::{Context, ContextRequest, Oracle};
use mira_search::query::{SearchRequest, SearchResponse};
use mira_search::service::SearchService;
use mira_store::Db;
use mira_store::projects::Project;
use serde_json::{Value, json};

/// The services that need the embedded vector store.
// One value per process, cloned rarely: boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub enum Engine {
    /// This process holds the data dir (`mira serve`, or `mira mcp` alone).
    Local { search: SearchService, oracle: Oracle },
    /// Another process (a running `mira serve`) holds it: asked over its HTTP API.
    Remote(Arc<dyn Remote>),
}

/// Search, context and the search index through the running server. The `mira` binary
/// implements it with `mira_server::client` (which this crate cannot depend on: the
/// server depends on this crate to mount `/mcp`).
#[async_trait::async_trait]
pub trait Remote: Send + Sync {
    async fn search(&self, request: &SearchRequest) -> anyhow::Result<SearchResponse>;
    async fn context(&self, project_id: i64, request: &ContextRequest) -> anyhow::Result<Context>;
    /// `GET /api/projects/{id}/search/status`.
    async fn search_status(&self, project_id: i64) -> anyhow::Result<Value>;
    /// Asks the server to bring the project's search index up to date.
    async fn refresh_search(&self, project_id: i64) -> anyhow::Result<Value>;
}

/// Shared by every session of one process.
pub struct Backend {
    pub db: Db,
    pub config: Arc<Config>,
    pub engine: Engine,
    /// `mira serve`: the server's own tasks keep the search index fresh, so a reindex
    /// asks them (through this hook) instead of indexing in the call.
    pub refresh_search: Option<Arc<dyn Fn(Project) -> String + Send + Sync>>,
    /// The stdio server's working directory, the last fallback for the project.
    pub cwd: Option<std::path::PathBuf>,
}

impl Backend {
    pub fn new(db: Db, config: Arc<Config>, engine: Engine) -> Self {
        Self {
            db,
            config,
            engine,
            refresh_search: None,
            cwd: None,
        }
    }

    pub async fn search(&self, request: &SearchRequest) -> anyhow::Result<SearchResponse> {
        match &self.engine {
            Engine::Local { search, .. } => Ok(search.search(request).await?),
            Engine::Remote(remote) => remote.search(request).await,
        }
    }

    pub async fn context(&self, project: &Project, request: &ContextRequest) -> anyhow::Result<Context> {
        match &self.engine {
            Engine::Local { oracle, .. } => Ok(oracle.gather(project, request).await?),
            Engine::Remote(remote) => remote.context(project.id, request).await,
        }
    }

    /// The search part of `index_status`, shaped as `GET /api/projects/{id}/search/status`.
    pub async fn search_status(&self, project_id: i64) -> anyhow::Result<Value> {
        match &self.engine {
            Engine::Local { search, .. } => {
                let collections = mira_search::index::status(&self.db, project_id).await?;
                let embedder = search.embedder().await;
                let name = embedder.as_ref().ok().map(|e| e.name());
                let problem = embedder.err().or_else(|| search.dense_problem());
                Ok(json!({
                    "collections": collections,
                    "embedder": name,
                    "embedder_problem": problem,
                }))
            }
            Engine::Remote(remote) => remote.search_status(project_id).await,
        }
    }

    /// Brings the search index up to date: in this call when the store is here (with
    /// progress), else by asking the server, which runs it in the background.
    pub async fn index_search(
        &self,
        project: &Project,
        progress: mira_search::Progress,
    ) -> anyhow::Result<Value> {
        if let Some(refresh) = &self.refresh_search {
            let task = refresh(project.clone());
            return Ok(json!({ "background_task": task }));
        }
        match &self.engine {
            Engine::Local { search, .. } => {
                let summary = search.index_project(project, progress).await?;
                Ok(serde_json::to_value(summary)?)
            }
            Engine::Remote(remote) => Ok(json!({ "server": remote.refresh_search(project.id).await? })),
        }
    }
}
