//! A Qdrant server over gRPC (`qdrant-client`), used when `QDRANT_URL` is set.

use std::collections::HashMap;

use async_trait::async_trait;
use mira_core::Secret;
use qdrant_client::Qdrant;
use qdrant_client::qdrant::point_id::PointIdOptions;
use qdrant_client::qdrant::{
    Condition, CountPointsBuilder, CreateCollectionBuilder, CreateFieldIndexCollectionBuilder,
    DeletePointsBuilder, Distance, FieldType, Filter, GetPointsBuilder, Modifier, NamedVectors, PointId,
    PointStruct, PointVectors, PointsIdsList, PrefetchQueryBuilder, QueryPointsBuilder, Rrf,
    ScrollPointsBuilder, SetPayloadPointsBuilder, SparseVectorParamsBuilder, SparseVectorsConfigBuilder,
    UpdatePointVectorsBuilder, UpsertPointsBuilder, Vector, VectorInput, VectorParamsBuilder,
    VectorsConfigBuilder,
};
use serde_json::{Map, Value};

use super::{
    Collection, DENSE, Hit, HybridQuery, KEYWORD_FIELDS, KeywordFilter, PROJECT_FIELD, Query, SPARSE,
    StoredPoint, VectorPoint, VectorStore, vector_error,
};
use crate::StoreError;

pub struct ServerStore {
    client: Qdrant,
    url: String,
    dimension: usize,
}

impl std::fmt::Debug for ServerStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerStore").field("url", &self.url).finish()
    }
}

fn project_filter(project_id: i64) -> Filter {
    Filter::must([Condition::matches(PROJECT_FIELD, project_id)])
}

/// All of `conditions`, and the project when given.
fn all_of(project_id: Option<i64>, conditions: &[&KeywordFilter]) -> Option<Filter> {
    let mut must: Vec<Condition> = conditions
        .iter()
        .map(|f| Condition::matches(f.field.clone(), f.any.clone()))
        .collect();
    if let Some(id) = project_id {
        must.push(Condition::matches(PROJECT_FIELD, id));
    }
    (!must.is_empty()).then(|| Filter::must(must))
}

fn query_input(query: Query) -> (VectorInput, &'static str) {
    match query {
        Query::Dense(v) => (VectorInput::new_dense(v), DENSE),
        Query::Sparse(s) => (VectorInput::new_sparse(s.indices, s.values), SPARSE),
    }
}

fn hits(points: Vec<qdrant_client::qdrant::ScoredPoint>) -> Vec<Hit> {
    points
        .into_iter()
        .filter_map(|p| {
            Some(Hit {
                id: numeric_id(p.id)?,
                score: p.score,
                payload: json_payload(p.payload),
            })
        })
        .collect()
}

/// Points per page when listing ids.
const ID_PAGE: u32 = 10_000;

fn numeric_id(id: Option<PointId>) -> Option<u64> {
    match id?.point_id_options? {
        PointIdOptions::Num(n) => Some(n),
        PointIdOptions::Uuid(_) => None,
    }
}

fn json_payload(payload: HashMap<String, qdrant_client::qdrant::Value>) -> Map<String, Value> {
    payload.into_iter().map(|(k, v)| (k, Value::from(v))).collect()
}

fn server_error(url: &str) -> impl Fn(qdrant_client::QdrantError) -> StoreError + '_ {
    move |e| StoreError::Vector(format!("Qdrant server at {url}: {e}"))
}

impl ServerStore {
    /// Prepares a client; nothing is sent until the first call.
    pub fn connect(url: &str, api_key: Option<&Secret>, dimension: usize) -> Result<Self, StoreError> {
        let mut builder = Qdrant::from_url(url);
        if let Some(key) = api_key {
            builder = builder.api_key(key.expose().to_string());
        }
        let client = builder.build().map_err(server_error(url))?;
        Ok(Self {
            client,
            url: url.to_string(),
            dimension,
        })
    }
}

#[async_trait]
impl VectorStore for ServerStore {
    fn backend(&self) -> &'static str {
        "qdrant-server"
    }

    fn dimension(&self) -> usize {
        self.dimension
    }

    async fn ensure_collections(&self) -> Result<(), StoreError> {
        let err = server_error(&self.url);
        for collection in Collection::ALL {
            let name = collection.name();
            if self.client.collection_exists(name).await.map_err(&err)? {
                continue;
            }
            self.client
                .create_collection(
                    CreateCollectionBuilder::new(name)
                        .vectors_config({
                            let mut config = VectorsConfigBuilder::default();
                            config.add_named_vector_params(
                                DENSE,
                                VectorParamsBuilder::new(self.dimension as u64, Distance::Cosine),
                            );
                            config
                        })
                        .sparse_vectors_config({
                            let mut config = SparseVectorsConfigBuilder::default();
                            config.add_named_vector_params(
                                SPARSE,
                                SparseVectorParamsBuilder::default().modifier(Modifier::Idf as i32),
                            );
                            config
                        }),
                )
                .await
                .map_err(&err)?;
            self.client
                .create_field_index(
                    CreateFieldIndexCollectionBuilder::new(name, PROJECT_FIELD, FieldType::Integer)
                        .wait(true),
                )
                .await
                .map_err(&err)?;
        }
        // Collections made by an earlier version lack the keyword indexes; creating an
        // index that exists is a no-op on the server.
        for collection in Collection::ALL {
            for field in KEYWORD_FIELDS {
                self.client
                    .create_field_index(
                        CreateFieldIndexCollectionBuilder::new(collection.name(), field, FieldType::Keyword)
                            .wait(true),
                    )
                    .await
                    .map_err(&err)?;
            }
        }
        Ok(())
    }

    async fn upsert(&self, collection: Collection, points: Vec<VectorPoint>) -> Result<(), StoreError> {
        if points.is_empty() {
            return Ok(());
        }
        let mut structs = Vec::with_capacity(points.len());
        for point in points {
            let mut vectors = NamedVectors::default();
            if let Some(dense) = point.dense {
                vectors = vectors.add_vector(DENSE, Vector::new_dense(dense));
            }
            if let Some(sparse) = point.sparse {
                vectors = vectors.add_vector(SPARSE, Vector::new_sparse(sparse.indices, sparse.values));
            }
            let mut payload = point.payload;
            payload.insert(PROJECT_FIELD.to_string(), Value::from(point.project_id));
            let payload = qdrant_client::Payload::try_from(Value::Object(payload)).map_err(vector_error)?;
            structs.push(PointStruct::new(point.id, vectors, payload));
        }
        self.client
            .upsert_points(UpsertPointsBuilder::new(collection.name(), structs).wait(true))
            .await
            .map_err(server_error(&self.url))?;
        Ok(())
    }

    async fn search(
        &self,
        collection: Collection,
        query: Query,
        project_id: Option<i64>,
        limit: usize,
    ) -> Result<Vec<Hit>, StoreError> {
        let (input, using) = query_input(query);
        let mut request = QueryPointsBuilder::new(collection.name())
            .query(input)
            .using(using)
            .limit(limit as u64)
            .with_payload(true);
        if let Some(id) = project_id {
            request = request.filter(project_filter(id));
        }
        let response = self
            .client
            .query(request)
            .await
            .map_err(server_error(&self.url))?;
        Ok(hits(response.result))
    }

    async fn hybrid(&self, collection: Collection, query: HybridQuery) -> Result<Vec<Hit>, StoreError> {
        let common: Vec<&KeywordFilter> = query.filters.iter().collect();
        let mut request = QueryPointsBuilder::new(collection.name())
            .limit(query.limit as u64)
            .with_payload(true);
        if query.prefetches.len() == 1 {
            let p = query.prefetches.into_iter().next().expect("one prefetch");
            let conditions: Vec<&KeywordFilter> = common.iter().copied().chain(p.only.iter()).collect();
            let (input, using) = query_input(p.query);
            request = request.query(input).using(using);
            if let Some(filter) = all_of(query.project_id, &conditions) {
                request = request.filter(filter);
            }
        } else if query.prefetches.is_empty() {
            return Ok(Vec::new());
        } else {
            for p in query.prefetches {
                let conditions: Vec<&KeywordFilter> = common.iter().copied().chain(p.only.iter()).collect();
                let (input, using) = query_input(p.query);
                let mut prefetch = PrefetchQueryBuilder::default()
                    .query(input)
                    .using(using)
                    .limit(p.limit as u64);
                if let Some(filter) = all_of(query.project_id, &conditions) {
                    prefetch = prefetch.filter(filter);
                }
                request = request.add_prefetch(prefetch);
            }
            request = request.query(qdrant_client::qdrant::Query::new_rrf(Rrf {
                k: Some(query.rrf_k.max(1) as u32),
                weights: Vec::new(),
            }));
            if let Some(filter) = all_of(query.project_id, &common) {
                request = request.filter(filter);
            }
        }
        let response = self
            .client
            .query(request)
            .await
            .map_err(server_error(&self.url))?;
        Ok(hits(response.result))
    }

    async fn set_dense(
        &self,
        collection: Collection,
        vectors: Vec<(u64, Vec<f32>)>,
    ) -> Result<(), StoreError> {
        if vectors.is_empty() {
            return Ok(());
        }
        // Points removed since they were read would fail the batch: update only those
        // that exist.
        let ids: Vec<u64> = vectors.iter().map(|(id, _)| *id).collect();
        let present: std::collections::HashSet<u64> = self
            .get(collection, &ids)
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect();
        let points: Vec<PointVectors> = vectors
            .into_iter()
            .filter(|(id, _)| present.contains(id))
            .map(|(id, v)| PointVectors {
                id: Some(id.into()),
                vectors: Some(HashMap::from([(DENSE.to_string(), v)]).into()),
            })
            .collect();
        if points.is_empty() {
            return Ok(());
        }
        self.client
            .update_vectors(UpdatePointVectorsBuilder::new(collection.name(), points).wait(true))
            .await
            .map_err(server_error(&self.url))?;
        Ok(())
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
        let payload = qdrant_client::Payload::try_from(Value::Object(payload)).map_err(vector_error)?;
        let points = PointsIdsList {
            ids: ids.iter().map(|&id| id.into()).collect(),
        };
        self.client
            .set_payload(
                SetPayloadPointsBuilder::new(collection.name(), payload)
                    .points_selector(points)
                    .wait(true),
            )
            .await
            .map_err(server_error(&self.url))?;
        Ok(())
    }

    async fn get(&self, collection: Collection, ids: &[u64]) -> Result<Vec<StoredPoint>, StoreError> {
        let point_ids: Vec<PointId> = ids.iter().map(|&id| id.into()).collect();
        let response = self
            .client
            .get_points(GetPointsBuilder::new(collection.name(), point_ids).with_payload(true))
            .await
            .map_err(server_error(&self.url))?;
        let mut by_id: HashMap<u64, StoredPoint> = response
            .result
            .into_iter()
            .filter_map(|p| {
                let id = numeric_id(p.id)?;
                Some((
                    id,
                    StoredPoint {
                        id,
                        payload: json_payload(p.payload),
                    },
                ))
            })
            .collect();
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    async fn delete(&self, collection: Collection, ids: &[u64]) -> Result<(), StoreError> {
        let ids = PointsIdsList {
            ids: ids.iter().map(|&id| id.into()).collect(),
        };
        self.client
            .delete_points(DeletePointsBuilder::new(collection.name()).points(ids).wait(true))
            .await
            .map_err(server_error(&self.url))?;
        Ok(())
    }

    async fn delete_project(&self, project_id: i64) -> Result<(), StoreError> {
        for collection in Collection::ALL {
            self.client
                .delete_points(
                    DeletePointsBuilder::new(collection.name())
                        .points(project_filter(project_id))
                        .wait(true),
                )
                .await
                .map_err(server_error(&self.url))?;
        }
        Ok(())
    }

    async fn count(&self, collection: Collection, project_id: Option<i64>) -> Result<u64, StoreError> {
        let mut request = CountPointsBuilder::new(collection.name()).exact(true);
        if let Some(id) = project_id {
            request = request.filter(project_filter(id));
        }
        let response = self
            .client
            .count(request)
            .await
            .map_err(server_error(&self.url))?;
        Ok(response.result.map(|r| r.count).unwrap_or(0))
    }

    async fn ids(
        &self,
        collection: Collection,
        project_id: i64,
        with_dense: bool,
    ) -> Result<Vec<u64>, StoreError> {
        let mut must = vec![Condition::matches(PROJECT_FIELD, project_id)];
        if with_dense {
            must.push(Condition::has_vector(DENSE));
        }
        let filter = Filter::must(must);
        let mut ids = Vec::new();
        let mut offset: Option<PointId> = None;
        loop {
            let mut request = ScrollPointsBuilder::new(collection.name())
                .filter(filter.clone())
                .limit(ID_PAGE)
                .with_payload(false)
                .with_vectors(false);
            if let Some(offset) = offset.take() {
                request = request.offset(offset);
            }
            let page = self
                .client
                .scroll(request)
                .await
                .map_err(server_error(&self.url))?;
            ids.extend(page.result.into_iter().filter_map(|p| numeric_id(p.id)));
            match page.next_page_offset {
                Some(next) => offset = Some(next),
                None => return Ok(ids),
            }
        }
    }

    async fn health(&self) -> Result<(), StoreError> {
        self.client
            .health_check()
            .await
            .map_err(server_error(&self.url))?;
        Ok(())
    }

    async fn flush(&self) -> Result<(), StoreError> {
        // Every write above waits for the server to apply it; the server owns durability.
        Ok(())
    }
}
