//! Search as the server and the CLI use it: the store, the embedder (loaded once, on
//! first need), the concept rules, and the runs of a project's indexing.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mira_core::Config;
use mira_llm::Gateway;
use mira_store::Db;
use mira_store::projects::Project;
use mira_store::vectors::VectorStore;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use crate::concepts::{self, ConceptRules};
use crate::embedder::{self, DenseEmbedder};
use crate::index::{self, DenseSummary, IndexSummary};
use crate::query::{SearchRequest, SearchResponse, Searcher};
use crate::rank::Weights;
use crate::{Progress, SearchError};

/// A failed embedder load is tried again after this long (the user may have run
/// `mira models pull` meanwhile).
const EMBEDDER_RETRY: Duration = Duration::from_secs(30);

enum EmbedderState {
    NotLoaded,
    Ready(Arc<dyn DenseEmbedder>),
    Failed(String, Instant),
}

#[derive(Clone)]
pub struct SearchService {
    config: Arc<Config>,
    db: Db,
    store: Arc<dyn VectorStore>,
    /// What a provider embedder calls through (budget, spend, cache).
    /// Shared, so that the service stays small to move.
    gateway: Option<Arc<Gateway>>,
    embedder: Arc<Mutex<EmbedderState>>,
    /// Why the last filling of dense vectors stopped (a budget limit, a provider
    /// failure), until one completes: search status shows it.
    dense_problem: Arc<std::sync::Mutex<Option<String>>>,
    rules: Arc<Mutex<Option<Arc<ConceptRules>>>>,
    weights: Weights,
    /// Projects whose store this service has checked against SQLite (once per process:
    /// a disagreement comes from before it started).
    checked: Arc<std::sync::Mutex<HashSet<i64>>>,
}

impl std::fmt::Debug for SearchService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchService").finish_non_exhaustive()
    }
}

impl SearchService {
    pub fn new(config: Arc<Config>, db: Db, store: Arc<dyn VectorStore>) -> Self {
        Self {
            config,
            db,
            store,
            gateway: None,
            embedder: Arc::new(Mutex::new(EmbedderState::NotLoaded)),
            dense_problem: Arc::default(),
            rules: Arc::new(Mutex::new(None)),
            weights: Weights::from_env(),
            checked: Arc::default(),
        }
    }

    /// The process's model gateway, through which a provider embedder (MIRA_EMBEDDER
    /// other than `local`) makes its calls; without it only the local model is used.
    pub fn with_gateway(mut self, gateway: Gateway) -> Self {
        self.gateway = Some(Arc::new(gateway));
        self
    }

    /// Writes the spend and cached vectors of embedding calls still queued; call it
    /// before the process exits.
    pub async fn flush(&self) {
        if let Some(g) = &self.gateway {
            g.flush().await;
        }
    }

    /// Why dense vectors stopped being filled in, when the last run did not finish.
    pub fn dense_problem(&self) -> Option<String> {
        self.dense_problem
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// With a given embedder (tests, benchmarks) instead of the configured one.
    pub fn with_embedder(self, embedder: Arc<dyn DenseEmbedder>) -> Self {
        *self.embedder.try_lock().expect("a new service is not shared yet") = EmbedderState::Ready(embedder);
        self
    }

    /// With other ranking weights (benchmarks compare them with the default).
    pub fn with_weights(mut self, weights: Weights) -> Self {
        self.weights = weights;
        self
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn store(&self) -> &Arc<dyn VectorStore> {
        &self.store
    }

    /// The configured embedder, loaded on first use; `Err` says why there is none.
    pub async fn embedder(&self) -> Result<Arc<dyn DenseEmbedder>, String> {
        let mut state = self.embedder.lock().await;
        match &*state {
            EmbedderState::Ready(e) => return Ok(Arc::clone(e)),
            EmbedderState::Failed(why, at) if at.elapsed() < EMBEDDER_RETRY => return Err(why.clone()),
            _ => {}
        }
        match embedder::from_config(&self.config, self.gateway.as_deref()).await {
            Ok(e) => {
                *state = EmbedderState::Ready(Arc::clone(&e));
                Ok(e)
            }
            Err(e) => {
                let why = e.to_string();
                tracing::warn!(error = %why, "semantic search runs by keyword only");
                *state = EmbedderState::Failed(why.clone(), Instant::now());
                Err(why)
            }
        }
    }

    pub async fn rules(&self) -> Result<Arc<ConceptRules>, SearchError> {
        let mut rules = self.rules.lock().await;
        if let Some(r) = &*rules {
            return Ok(Arc::clone(r));
        }
        let loaded = Arc::new(concepts::load(&self.db).await?);
        *rules = Some(Arc::clone(&loaded));
        Ok(loaded)
    }

    /// Adds a user concept rule; the next index and query use it.
    pub async fn add_rule(&self, kind: &str, pattern: &str, concept: &str) -> Result<(), SearchError> {
        concepts::add_rule(&self.db, kind, pattern, concept).await?;
        *self.rules.lock().await = None;
        Ok(())
    }

    /// The keyword index of a project's code, docs, commits and chats (run after the
    /// code and git indexes). Dense vectors follow with [`Self::fill_dense`].
    pub async fn index_project(
        &self,
        project: &Project,
        progress: Progress,
    ) -> Result<IndexSummary, SearchError> {
        let started = Instant::now();
        let rules = self.rules().await?;
        let repaired = self.repair_once(project.id).await?;
        let mut summary = index::index_code(&self.db, self.store.as_ref(), project, &rules, progress).await?;
        summary.repaired = repaired;
        summary.commits_indexed =
            index::index_git(&self.db, self.store.as_ref(), project.id, Arc::new(|_, _| {})).await?;
        summary.messages_indexed =
            index::index_conversations(&self.db, self.store.as_ref(), project.id).await?;
        summary.pending_dense = index::pending(&self.db, project.id).await?;
        self.store.flush().await?;
        summary.elapsed_ms = started.elapsed().as_millis() as u64;
        Ok(summary)
    }

    /// The first index run of a project in this process first makes SQLite and the store
    /// agree (after a crash of an earlier process, say).
    async fn repair_once(&self, project_id: i64) -> Result<index::Repaired, SearchError> {
        if self
            .checked
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&project_id)
        {
            return Ok(index::Repaired::default());
        }
        let lock = index::project_lock(&self.db, project_id);
        let _guard = lock.lock().await;
        let repaired = index::repair(&self.db, self.store.as_ref(), project_id).await?;
        if !repaired.is_empty() {
            tracing::warn!(
                project_id,
                rows_dropped = repaired.rows_dropped,
                dense_reset = repaired.dense_reset,
                orphans_deleted = repaired.orphans_deleted,
                "the search index disagreed with the vector store (an earlier run stopped abruptly); what was lost is indexed again"
            );
        }
        self.checked
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(project_id);
        Ok(repaired)
    }

    /// Embeds what the keyword index left without a dense vector.
    pub async fn fill_dense(
        &self,
        project_id: i64,
        progress: Progress,
        cancel: &CancellationToken,
    ) -> Result<DenseSummary, SearchError> {
        let embedder = self.embedder().await.map_err(SearchError::Embedder)?;
        let filled = index::fill_dense(
            &self.db,
            self.store.as_ref(),
            embedder.as_ref(),
            project_id,
            progress,
            cancel,
        )
        .await;
        // What earlier batches stored stays (each is recorded as it is stored); the
        // store is flushed either way.
        let flushed = self.store.flush().await;
        let mut problem = self.dense_problem.lock().unwrap_or_else(|p| p.into_inner());
        match &filled {
            Err(SearchError::Embedder(why)) => *problem = Some(why.clone()),
            Ok(_) => *problem = None,
            Err(_) => {}
        }
        drop(problem);
        let summary = filled?;
        flushed?;
        Ok(summary)
    }

    pub async fn search(&self, request: &SearchRequest) -> Result<SearchResponse, SearchError> {
        let rules = self.rules().await?;
        let embedder = if request.mode == crate::query::Mode::Keyword {
            Err("keyword mode asked for".to_string())
        } else {
            self.embedder().await
        };
        let (embedder, problem) = match embedder {
            Ok(e) => (Some(e), None),
            Err(why) => (None, Some(why)),
        };
        Searcher {
            db: &self.db,
            store: self.store.as_ref(),
            embedder: embedder.as_deref(),
            embedder_problem: problem,
            dense_problem: self.dense_problem(),
            rules: &rules,
            weights: self.weights,
        }
        .search(request)
        .await
    }
}
