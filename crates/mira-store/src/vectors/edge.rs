//! The embedded Qdrant engine (`qdrant-edge`): one shard directory per collection under
//! `<data dir>/vectors/`. The engine is synchronous, so every call runs on the blocking
//! thread pool.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use qdrant_edge::{
    Condition, CountRequest, CreateIndex, Distance, EdgeConfig, EdgeShard, EdgeSparseVectorParamsBuilder,
    EdgeVectorParamsBuilder, FieldCondition, FieldIndexOperations, Filter, Fusion, HasVectorCondition,
    JsonPath, Match, Modifier, NamedQuery, Payload, PayloadFieldSchema, PayloadOps, PayloadSchemaType,
    PointId, PointInsertOperations, PointOperations, PointStructPersisted, PointVectorsPersisted,
    Prefetch as EdgePrefetch, QueryEnum, QueryRequest, ScoringQuery, ScrollRequest, SetPayloadOp,
    UpdateOperation, UpdateVectorsOp, ValueVariants, VectorInternal, VectorOperations, VectorPersisted,
    VectorStructInternal, VectorStructPersisted, WalOptions, WithPayloadInterface, WithVector,
};
use serde_json::{Map, Value};

use super::{
    Collection, DENSE, Hit, HybridQuery, KEYWORD_FIELDS, KeywordFilter, PROJECT_FIELD, Query, SPARSE,
    StoredPoint, VectorPoint, VectorStore, vector_error,
};
use crate::StoreError;

/// One collection's shard. Writes and flushes are serialised by `write`: the engine's
/// flush takes its WAL lock with `try_lock` and would fail beside a running update.
#[derive(Debug)]
struct Shard {
    edge: EdgeShard,
    write: Mutex<()>,
}

#[derive(Debug, Clone)]
pub struct EdgeStore {
    shards: Arc<HashMap<Collection, Shard>>,
    dimension: usize,
    root: PathBuf,
}

/// 4 MiB WAL segments instead of the engine's 32 MiB: Mira writes in modest batches and a
/// laptop's disk should not hold 100 MB of pre-allocated logs for three collections.
fn wal_options() -> WalOptions {
    WalOptions {
        segment_capacity: 4 * 1024 * 1024,
        segment_queue_len: 0,
        retain_closed: NonZeroUsize::new(1).expect("non-zero"),
    }
}

fn shard_config(dimension: usize) -> EdgeConfig {
    let mut config = EdgeConfig::builder()
        .vector(
            DENSE,
            EdgeVectorParamsBuilder::new(dimension, Distance::Cosine).build(),
        )
        .sparse_vector(
            SPARSE,
            EdgeSparseVectorParamsBuilder::new()
                .modifier(Modifier::Idf)
                .build(),
        )
        .build();
    config.wal_options = Some(wal_options());
    config
}

/// How long opening waits for a process that is closing the same store (it releases the
/// data dir lock a moment before the engine's own lock on its log).
const CLOSING_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// [`EdgeShard::load`], waiting while the engine's log is still locked by a closing
/// process.
fn load_waiting(path: &Path) -> Result<EdgeShard, qdrant_edge::OperationError> {
    let deadline = std::time::Instant::now() + CLOSING_WAIT;
    loop {
        match EdgeShard::load(path, None) {
            Err(e) if e.to_string().contains("WouldBlock") && std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

fn open_shard(path: &Path, name: &str, dimension: usize) -> Result<EdgeShard, StoreError> {
    let shard = if path.join("edge_config.json").exists() {
        load_waiting(path).map_err(|e| {
            StoreError::Vector(format!(
                "cannot load the embedded collection `{name}` at {}: {e}. If it is damaged, remove that directory and re-index.",
                path.display()
            ))
        })?
    } else {
        std::fs::create_dir_all(path).map_err(StoreError::io(format!("cannot create {}", path.display())))?;
        EdgeShard::new(path, shard_config(dimension)).map_err(vector_error)?
    };
    let stored = shard.config().vectors.get(DENSE).map(|v| v.size);
    if stored != Some(dimension) {
        return Err(StoreError::Vector(format!(
            "the embedded collection `{name}` holds {} vectors but MIRA_EMBED_DIM is {dimension}. Set MIRA_EMBED_DIM back, or remove {} and re-index with the new embedder.",
            stored.map_or("no dense".to_string(), |s| format!("{s}-dimension")),
            path.display()
        )));
    }
    let indexed = shard.info().payload_schema;
    let wanted = std::iter::once((project_path(), PayloadSchemaType::Integer)).chain(
        KEYWORD_FIELDS
            .iter()
            .map(|f| (field_path(f), PayloadSchemaType::Keyword)),
    );
    for (field, schema) in wanted {
        if indexed.contains_key(&field) {
            continue;
        }
        shard
            .update(UpdateOperation::FieldIndexOperation(
                FieldIndexOperations::CreateIndex(CreateIndex {
                    field_name: field,
                    field_schema: Some(PayloadFieldSchema::FieldType(schema)),
                }),
            ))
            .map_err(vector_error)?;
    }
    Ok(shard)
}

fn field_path(field: &str) -> JsonPath {
    JsonPath::try_from(field).expect("payload field names are valid JSON paths")
}

fn keyword_condition(filter: &KeywordFilter) -> Condition {
    Condition::Field(FieldCondition::new_match(
        field_path(&filter.field),
        Match::from(filter.any.clone()),
    ))
}

/// All of `conditions` (and the project, when given); `None` when there is nothing to
/// check.
fn all_of(project_id: Option<i64>, conditions: &[&KeywordFilter]) -> Option<Filter> {
    let mut must: Vec<Condition> = conditions.iter().map(|f| keyword_condition(f)).collect();
    if let Some(id) = project_id {
        must.push(Condition::Field(FieldCondition::new_match(
            project_path(),
            Match::new_value(ValueVariants::Integer(id)),
        )));
    }
    if must.is_empty() {
        return None;
    }
    Some(Filter {
        should: None,
        min_should: None,
        must: Some(must),
        must_not: None,
    })
}

fn edge_query(query: Query) -> Result<ScoringQuery, StoreError> {
    let (vector, using) = match query {
        Query::Dense(v) => (VectorInternal::Dense(v), DENSE),
        Query::Sparse(s) => (
            VectorInternal::Sparse(
                qdrant_edge::SparseVector::new(s.indices, s.values).map_err(vector_error)?,
            ),
            SPARSE,
        ),
    };
    Ok(ScoringQuery::Vector(QueryEnum::Nearest(NamedQuery {
        query: vector,
        using: Some(using.to_string()),
    })))
}

fn hits(points: Vec<qdrant_edge::ScoredPoint>) -> Vec<Hit> {
    points
        .into_iter()
        .filter_map(|p| {
            Some(Hit {
                id: numeric_id(&p.id)?,
                score: p.score,
                payload: payload_map(p.payload),
            })
        })
        .collect()
}

fn project_path() -> JsonPath {
    JsonPath::try_from(PROJECT_FIELD).expect("`project_id` is a valid JSON path")
}

fn project_filter(project_id: i64) -> Filter {
    Filter::new_must(Condition::Field(FieldCondition::new_match(
        project_path(),
        Match::new_value(ValueVariants::Integer(project_id)),
    )))
}

fn to_persisted(point: VectorPoint) -> Result<PointStructPersisted, StoreError> {
    let mut vectors = HashMap::new();
    if let Some(dense) = point.dense {
        vectors.insert(DENSE.to_string(), VectorInternal::Dense(dense));
    }
    if let Some(sparse) = point.sparse {
        let sparse = qdrant_edge::SparseVector::new(sparse.indices, sparse.values).map_err(vector_error)?;
        vectors.insert(SPARSE.to_string(), VectorInternal::Sparse(sparse));
    }
    let mut payload = point.payload;
    payload.insert(PROJECT_FIELD.to_string(), Value::from(point.project_id));
    Ok(PointStructPersisted {
        id: PointId::NumId(point.id),
        vector: VectorStructInternal::Named(vectors).into(),
        payload: Some(Payload(payload)),
    })
}

fn numeric_id(id: &PointId) -> Option<u64> {
    match id {
        PointId::NumId(n) => Some(*n),
        PointId::Uuid(_) => None,
    }
}

/// Points per page when listing ids: ids only, so a page is small.
const ID_PAGE: usize = 10_000;

fn payload_map(payload: Option<Payload>) -> Map<String, Value> {
    payload.map(|p| p.0).unwrap_or_default()
}

impl EdgeStore {
    /// Opens (creating if needed) the three collections under `root`.
    pub async fn open(root: &Path, dimension: usize) -> Result<Self, StoreError> {
        let root = root.to_path_buf();
        let root_for_task = root.clone();
        let shards = tokio::task::spawn_blocking(move || {
            let mut shards = HashMap::new();
            for collection in Collection::ALL {
                let path = root_for_task.join(collection.name());
                let edge = open_shard(&path, collection.name(), dimension)?;
                shards.insert(
                    collection,
                    Shard {
                        edge,
                        write: Mutex::new(()),
                    },
                );
            }
            Ok::<_, StoreError>(shards)
        })
        .await
        .map_err(vector_error)??;
        Ok(Self {
            shards: Arc::new(shards),
            dimension,
            root,
        })
    }

    /// Refuses a batch with a dense vector (given as id and length) of the wrong size.
    fn check_dimensions(
        &self,
        collection: Collection,
        mut lengths: impl Iterator<Item = (u64, usize)>,
    ) -> Result<(), StoreError> {
        match lengths.find(|(_, len)| *len != self.dimension) {
            Some((id, len)) => Err(StoreError::Vector(format!(
                "point {id} has a {len}-dimension vector; the collection `{}` takes {}",
                collection.name(),
                self.dimension
            ))),
            None => Ok(()),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Runs `f` on a collection's shard on the blocking pool.
    async fn with_shard<T: Send + 'static>(
        &self,
        collection: Collection,
        f: impl FnOnce(&Shard) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let shards = self.shards.clone();
        tokio::task::spawn_blocking(move || f(&shards[&collection]))
            .await
            .map_err(vector_error)?
    }

    async fn write(&self, collection: Collection, op: UpdateOperation) -> Result<(), StoreError> {
        self.with_shard(collection, move |shard| {
            let _guard = shard.write.lock().unwrap_or_else(|p| p.into_inner());
            shard.edge.update(op).map_err(vector_error)
        })
        .await
    }
}

#[async_trait]
impl VectorStore for EdgeStore {
    fn backend(&self) -> &'static str {
        "embedded"
    }

    fn dimension(&self) -> usize {
        self.dimension
    }

    async fn ensure_collections(&self) -> Result<(), StoreError> {
        // Created when opened; nothing more to do.
        Ok(())
    }

    async fn upsert(&self, collection: Collection, points: Vec<VectorPoint>) -> Result<(), StoreError> {
        if points.is_empty() {
            return Ok(());
        }
        self.check_dimensions(
            collection,
            points
                .iter()
                .filter_map(|p| p.dense.as_ref().map(|d| (p.id, d.len()))),
        )?;
        let points = points
            .into_iter()
            .map(to_persisted)
            .collect::<Result<Vec<_>, _>>()?;
        self.write(
            collection,
            UpdateOperation::PointOperation(PointOperations::UpsertPoints(
                PointInsertOperations::PointsList(points),
            )),
        )
        .await
    }

    async fn search(
        &self,
        collection: Collection,
        query: Query,
        project_id: Option<i64>,
        limit: usize,
    ) -> Result<Vec<Hit>, StoreError> {
        let request = QueryRequest {
            prefetches: vec![],
            query: Some(edge_query(query)?),
            filter: project_id.map(project_filter),
            score_threshold: None,
            limit,
            offset: 0,
            params: None,
            with_vector: WithVector::Bool(false),
            with_payload: WithPayloadInterface::Bool(true),
        };
        self.with_shard(collection, move |shard| {
            Ok(hits(shard.edge.query(request).map_err(vector_error)?))
        })
        .await
    }

    async fn hybrid(&self, collection: Collection, query: HybridQuery) -> Result<Vec<Hit>, StoreError> {
        let common: Vec<&KeywordFilter> = query.filters.iter().collect();
        let mut prefetches = Vec::with_capacity(query.prefetches.len());
        for p in query.prefetches {
            // The root filter is repeated in each prefetch: a prefetch ranks before the
            // fusion, so a point it lets through would take a rank a filtered one deserves.
            let conditions: Vec<&KeywordFilter> = common.iter().copied().chain(p.only.iter()).collect();
            prefetches.push(EdgePrefetch {
                prefetches: vec![],
                query: Some(edge_query(p.query)?),
                limit: p.limit,
                params: None,
                filter: all_of(query.project_id, &conditions),
                score_threshold: None,
            });
        }
        let single = prefetches.len() == 1;
        let request = if single {
            let p = prefetches.pop().expect("one prefetch");
            QueryRequest {
                prefetches: vec![],
                query: p.query,
                filter: p.filter,
                score_threshold: None,
                limit: query.limit,
                offset: 0,
                params: None,
                with_vector: WithVector::Bool(false),
                with_payload: WithPayloadInterface::Bool(true),
            }
        } else {
            QueryRequest {
                prefetches,
                query: Some(ScoringQuery::Fusion(Fusion::Rrf {
                    k: query.rrf_k.max(1),
                    weights: None,
                })),
                filter: all_of(query.project_id, &common),
                score_threshold: None,
                limit: query.limit,
                offset: 0,
                params: None,
                with_vector: WithVector::Bool(false),
                with_payload: WithPayloadInterface::Bool(true),
            }
        };
        if request.prefetches.is_empty() && request.query.is_none() {
            return Ok(Vec::new());
        }
        self.with_shard(collection, move |shard| {
            Ok(hits(shard.edge.query(request).map_err(vector_error)?))
        })
        .await
    }

    async fn set_dense(
        &self,
        collection: Collection,
        vectors: Vec<(u64, Vec<f32>)>,
    ) -> Result<(), StoreError> {
        if vectors.is_empty() {
            return Ok(());
        }
        self.check_dimensions(collection, vectors.iter().map(|(id, v)| (*id, v.len())))?;
        let ids: Vec<PointId> = vectors.iter().map(|(id, _)| PointId::NumId(*id)).collect();
        self.with_shard(collection, move |shard| {
            let _guard = shard.write.lock().unwrap_or_else(|p| p.into_inner());
            // Updating a point that is gone fails the whole batch; a re-index may have
            // removed some since they were read, so only those still there are updated.
            let present: std::collections::HashSet<u64> = shard
                .edge
                .retrieve(
                    &ids,
                    Some(WithPayloadInterface::Bool(false)),
                    Some(WithVector::Bool(false)),
                )
                .map_err(vector_error)?
                .iter()
                .filter_map(|r| numeric_id(&r.id))
                .collect();
            let points: Vec<PointVectorsPersisted> = vectors
                .into_iter()
                .filter(|(id, _)| present.contains(id))
                .map(|(id, v)| PointVectorsPersisted {
                    id: PointId::NumId(id),
                    vector: VectorStructPersisted::Named(HashMap::from([(
                        DENSE.to_string(),
                        VectorPersisted::Dense(v),
                    )])),
                })
                .collect();
            if points.is_empty() {
                return Ok(());
            }
            shard
                .edge
                .update(UpdateOperation::VectorOperation(VectorOperations::UpdateVectors(
                    UpdateVectorsOp {
                        points,
                        update_filter: None,
                    },
                )))
                .map_err(vector_error)
        })
        .await
    }

    async fn set_payload(
        &self,
        collection: Collection,
        ids: &[u64],
        payload: Map<String, Value>,
    ) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let points = ids.iter().map(|&id| PointId::NumId(id)).collect();
        self.write(
            collection,
            UpdateOperation::PayloadOperation(PayloadOps::SetPayload(SetPayloadOp {
                payload: Payload(payload),
                points: Some(points),
                filter: None,
                key: None,
            })),
        )
        .await
    }

    async fn get(&self, collection: Collection, ids: &[u64]) -> Result<Vec<StoredPoint>, StoreError> {
        let ids: Vec<PointId> = ids.iter().map(|&id| PointId::NumId(id)).collect();
        self.with_shard(collection, move |shard| {
            let records = shard
                .edge
                .retrieve(
                    &ids,
                    Some(WithPayloadInterface::Bool(true)),
                    Some(WithVector::Bool(false)),
                )
                .map_err(vector_error)?;
            Ok(records
                .into_iter()
                .filter_map(|r| {
                    Some(StoredPoint {
                        id: numeric_id(&r.id)?,
                        payload: payload_map(r.payload),
                    })
                })
                .collect())
        })
        .await
    }

    async fn delete(&self, collection: Collection, ids: &[u64]) -> Result<(), StoreError> {
        let ids = ids.iter().map(|&id| PointId::NumId(id)).collect();
        self.write(
            collection,
            UpdateOperation::PointOperation(PointOperations::DeletePoints { ids }),
        )
        .await
    }

    async fn delete_project(&self, project_id: i64) -> Result<(), StoreError> {
        for collection in Collection::ALL {
            self.write(
                collection,
                UpdateOperation::PointOperation(PointOperations::DeletePointsByFilter(project_filter(
                    project_id,
                ))),
            )
            .await?;
        }
        Ok(())
    }

    async fn count(&self, collection: Collection, project_id: Option<i64>) -> Result<u64, StoreError> {
        self.with_shard(collection, move |shard| {
            let n = shard
                .edge
                .count(CountRequest {
                    filter: project_id.map(project_filter),
                    exact: true,
                })
                .map_err(vector_error)?;
            Ok(n as u64)
        })
        .await
    }

    async fn ids(
        &self,
        collection: Collection,
        project_id: i64,
        with_dense: bool,
    ) -> Result<Vec<u64>, StoreError> {
        self.with_shard(collection, move |shard| {
            let mut filter = project_filter(project_id);
            if with_dense && let Some(must) = filter.must.as_mut() {
                must.push(Condition::HasVector(HasVectorCondition {
                    has_vector: DENSE.to_string(),
                }));
            }
            let mut ids = Vec::new();
            let mut offset = None;
            loop {
                let (records, next) = shard
                    .edge
                    .scroll(ScrollRequest {
                        offset,
                        limit: Some(ID_PAGE),
                        filter: Some(filter.clone()),
                        with_payload: Some(WithPayloadInterface::Bool(false)),
                        with_vector: WithVector::Bool(false),
                        order_by: None,
                    })
                    .map_err(vector_error)?;
                ids.extend(records.iter().filter_map(|r| numeric_id(&r.id)));
                match next {
                    Some(next) => offset = Some(next),
                    None => return Ok(ids),
                }
            }
        })
        .await
    }

    async fn health(&self) -> Result<(), StoreError> {
        self.count(Collection::Code, None).await.map(|_| ())
    }

    async fn flush(&self) -> Result<(), StoreError> {
        for collection in Collection::ALL {
            self.with_shard(collection, |shard| {
                let _guard = shard.write.lock().unwrap_or_else(|p| p.into_inner());
                shard.edge.flush();
                Ok(())
            })
            .await?;
        }
        Ok(())
    }
}
