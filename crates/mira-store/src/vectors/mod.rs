//! The vector store behind semantic search: three collections (`code`, `conversation`,
//! `git`), each with a dense vector named [`DENSE`] and a sparse BM25 vector named
//! [`SPARSE`], and a `project_id` payload field indexed for filtering, plus the keyword
//! fields of [`KEYWORD_FIELDS`] for search filters. [`HybridQuery`] fuses several
//! ranked lists (BM25, dense, a concept-filtered list) with reciprocal rank fusion in one
//! query.

mod edge;
mod hybrid;
mod server;

use std::sync::Arc;

use async_trait::async_trait;
use mira_core::config::VectorConfig;
use serde_json::{Map, Value};

pub use edge::EdgeStore;
pub use hybrid::{HybridQuery, KEYWORD_FIELDS, KeywordFilter, Prefetch};
pub use server::ServerStore;

use crate::StoreError;

/// Name of the dense vector in every collection.
pub const DENSE: &str = "dense";
/// Name of the sparse (BM25) vector in every collection; its IDF is applied by the store.
pub const SPARSE: &str = "bm25";
/// Payload field every point carries, so a project's points can be found and removed.
pub const PROJECT_FIELD: &str = "project_id";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Collection {
    Code,
    Conversation,
    Git,
}

impl Collection {
    pub const ALL: [Collection; 3] = [Collection::Code, Collection::Conversation, Collection::Git];

    pub fn name(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::Conversation => "conversation",
            Self::Git => "git",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SparseVector {
    pub indices: Vec<u32>,
    pub values: Vec<f32>,
}

/// A point to store. At least one of `dense` and `sparse` should be present.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorPoint {
    pub id: u64,
    pub project_id: i64,
    pub dense: Option<Vec<f32>>,
    pub sparse: Option<SparseVector>,
    /// Extra payload; `project_id` is added by the store.
    pub payload: Map<String, Value>,
}

/// What to search with.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    Dense(Vec<f32>),
    Sparse(SparseVector),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub id: u64,
    pub score: f32,
    pub payload: Map<String, Value>,
}

/// A stored point as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPoint {
    pub id: u64,
    pub payload: Map<String, Value>,
}

/// One interface over the embedded engine and a Qdrant server, so every capability and
/// the shared test suite work against either.
#[async_trait]
pub trait VectorStore: Send + Sync + std::fmt::Debug {
    /// "embedded" or "qdrant-server", for `mira doctor` and `/ready`.
    fn backend(&self) -> &'static str;
    /// Dimension of the dense vectors.
    fn dimension(&self) -> usize;
    /// Creates the three collections and their payload index if they do not exist.
    async fn ensure_collections(&self) -> Result<(), StoreError>;
    /// Inserts or replaces points by id.
    async fn upsert(&self, collection: Collection, points: Vec<VectorPoint>) -> Result<(), StoreError>;
    /// The `limit` nearest points, optionally within one project, best first.
    async fn search(
        &self,
        collection: Collection,
        query: Query,
        project_id: Option<i64>,
        limit: usize,
    ) -> Result<Vec<Hit>, StoreError>;
    /// Points by id, in the order asked, skipping ids that do not exist.
    /// Several prefetches fused with reciprocal rank fusion, in one query; best first.
    /// With one prefetch, its own ranking.
    async fn hybrid(&self, collection: Collection, query: HybridQuery) -> Result<Vec<Hit>, StoreError>;
    /// Sets the dense vector of existing points, leaving their sparse vector and payload
    /// as they are. A point that no longer exists is skipped.
    async fn set_dense(
        &self,
        collection: Collection,
        vectors: Vec<(u64, Vec<f32>)>,
    ) -> Result<(), StoreError>;
    /// Sets (adds or replaces) payload fields of existing points.
    async fn set_payload(
        &self,
        collection: Collection,
        ids: &[u64],
        payload: Map<String, Value>,
    ) -> Result<(), StoreError>;
    async fn get(&self, collection: Collection, ids: &[u64]) -> Result<Vec<StoredPoint>, StoreError>;
    async fn delete(&self, collection: Collection, ids: &[u64]) -> Result<(), StoreError>;
    /// Removes every point of a project from every collection.
    async fn delete_project(&self, project_id: i64) -> Result<(), StoreError>;
    /// Exact number of points, optionally within one project.
    async fn count(&self, collection: Collection, project_id: Option<i64>) -> Result<u64, StoreError>;
    /// Ids of a project's points (only those with a dense vector when `with_dense`), in
    /// no set order: what the store really holds, to check SQLite's rows against.
    async fn ids(
        &self,
        collection: Collection,
        project_id: i64,
        with_dense: bool,
    ) -> Result<Vec<u64>, StoreError>;
    /// Answers when the store does (for `/ready`).
    async fn health(&self) -> Result<(), StoreError>;
    /// Makes everything written so far durable.
    async fn flush(&self) -> Result<(), StoreError>;
}

/// Opens the store the configuration asks for: a Qdrant server when `QDRANT_URL` is
/// set, otherwise the embedded engine in `<data dir>/vectors`. Collections are created.
pub async fn open(
    config: &VectorConfig,
    data_dir: &std::path::Path,
) -> Result<Arc<dyn VectorStore>, StoreError> {
    let store: Arc<dyn VectorStore> = match &config.qdrant_url {
        Some(url) => Arc::new(ServerStore::connect(
            url,
            config.qdrant_api_key.as_ref(),
            config.embed_dim,
        )?),
        None => Arc::new(EdgeStore::open(&data_dir.join("vectors"), config.embed_dim).await?),
    };
    store.ensure_collections().await?;
    Ok(store)
}

pub(crate) fn vector_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Vector(e.to_string())
}
