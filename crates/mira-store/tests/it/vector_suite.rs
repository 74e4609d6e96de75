//! One suite for every VectorStore backend: always the embedded engine; a Qdrant server
//! as well when QDRANT_URL is set in the environment.

use std::sync::Arc;

use mira_core::config::VectorConfig;
use mira_store::vectors::{
    self, Collection, EdgeStore, HybridQuery, KeywordFilter, Prefetch, Query, SparseVector, VectorPoint,
    VectorStore,
};
use serde_json::{Map, Value, json};

const DIM: usize = 8;

fn unit(axis: usize, tilt: f32) -> Vec<f32> {
    let mut v = vec![0.0; DIM];
    v[axis] = 1.0;
    v[(axis + 1) % DIM] = tilt;
    v
}

fn payload(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

/// A project id no other run uses, so a shared server's leftovers cannot interfere.
fn fresh_project_id() -> i64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    (nanos % 1_000_000_000_000) as i64 + 1
}

async fn suite(store: Arc<dyn VectorStore>) {
    store.ensure_collections().await.unwrap();
    store.health().await.unwrap();
    let project = fresh_project_id();
    let other = project + 1;
    let base = (project as u64) * 10;

    let points = vec![
        VectorPoint {
            id: base + 1,
            project_id: project,
            dense: Some(unit(0, 0.1)),
            sparse: Some(SparseVector {
                indices: vec![1, 7],
                values: vec![1.0, 0.5],
            }),
            payload: payload(json!({"path": "src/auth.rs", "kind": "function"})),
        },
        VectorPoint {
            id: base + 2,
            project_id: project,
            dense: Some(unit(3, 0.1)),
            sparse: Some(SparseVector {
                indices: vec![2],
                values: vec![1.0],
            }),
            payload: payload(json!({"path": "src/db.rs", "kind": "struct"})),
        },
        VectorPoint {
            id: base + 3,
            project_id: other,
            dense: Some(unit(0, 0.0)),
            sparse: None,
            payload: payload(json!({"path": "other/main.rs"})),
        },
    ];
    store.upsert(Collection::Code, points).await.unwrap();

    // Dense search finds the nearest and respects the project filter.
    let hits = store
        .search(Collection::Code, Query::Dense(unit(0, 0.0)), Some(project), 5)
        .await
        .unwrap();
    assert_eq!(
        hits.iter().map(|h| h.id).collect::<Vec<_>>(),
        vec![base + 1, base + 2]
    );
    assert!(hits[0].score > hits[1].score);
    assert_eq!(hits[0].payload["path"], "src/auth.rs");
    assert_eq!(hits[0].payload["project_id"], project);

    let unfiltered = store
        .search(Collection::Code, Query::Dense(unit(0, 0.0)), None, 50)
        .await
        .unwrap();
    assert!(unfiltered.iter().any(|h| h.id == base + 3));

    // Sparse search matches on shared dimensions only.
    let sparse = store
        .search(
            Collection::Code,
            Query::Sparse(SparseVector {
                indices: vec![2],
                values: vec![1.0],
            }),
            Some(project),
            5,
        )
        .await
        .unwrap();
    assert_eq!(sparse.iter().map(|h| h.id).collect::<Vec<_>>(), vec![base + 2]);

    // Upsert replaces by id.
    store
        .upsert(
            Collection::Code,
            vec![VectorPoint {
                id: base + 2,
                project_id: project,
                dense: Some(unit(3, 0.1)),
                sparse: None,
                payload: payload(json!({"path": "src/db_renamed.rs"})),
            }],
        )
        .await
        .unwrap();
    let got = store
        .get(Collection::Code, &[base + 2, base + 999, base + 1])
        .await
        .unwrap();
    assert_eq!(
        got.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![base + 2, base + 1]
    );
    assert_eq!(got[0].payload["path"], "src/db_renamed.rs");
    assert_eq!(store.count(Collection::Code, Some(project)).await.unwrap(), 2);

    // Collections are separate.
    assert_eq!(store.count(Collection::Git, Some(project)).await.unwrap(), 0);
    store
        .upsert(
            Collection::Conversation,
            vec![VectorPoint {
                id: base + 1,
                project_id: project,
                dense: Some(unit(5, 0.0)),
                sparse: None,
                payload: Map::new(),
            }],
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .count(Collection::Conversation, Some(project))
            .await
            .unwrap(),
        1
    );
    assert_eq!(store.count(Collection::Code, Some(project)).await.unwrap(), 2);

    // Delete by id, then a whole project from every collection.
    store.delete(Collection::Code, &[base + 1]).await.unwrap();
    assert_eq!(store.count(Collection::Code, Some(project)).await.unwrap(), 1);
    store.delete_project(project).await.unwrap();
    for c in Collection::ALL {
        assert_eq!(store.count(c, Some(project)).await.unwrap(), 0, "{}", c.name());
    }
    assert_eq!(store.count(Collection::Code, Some(other)).await.unwrap(), 1);
    store.delete_project(other).await.unwrap();
    store.flush().await.unwrap();
}

/// Keyword-only points, dense vectors added later, keyword filters and fusion.
async fn hybrid_suite(store: Arc<dyn VectorStore>) {
    let project = fresh_project_id() + 7;
    let base = (project as u64) * 10;
    let point = |n: u64, term: u32, lang: &str, dirs: &[&str]| VectorPoint {
        id: base + n,
        project_id: project,
        dense: None,
        sparse: Some(SparseVector {
            indices: vec![term],
            values: vec![1.0],
        }),
        payload: payload(json!({"language": lang, "dirs": dirs, "kind": "function", "concepts": []})),
    };
    store
        .upsert(
            Collection::Code,
            vec![
                point(1, 5, "rust", &["src", "src/a.rs"]),
                point(2, 5, "python", &["app", "app/b.py"]),
                point(3, 6, "rust", &["src", "src/c.rs"]),
            ],
        )
        .await
        .unwrap();
    let sparse = |term: u32| Prefetch {
        query: Query::Sparse(SparseVector {
            indices: vec![term],
            values: vec![1.0],
        }),
        limit: 10,
        only: Vec::new(),
    };
    let dense = |axis: usize| Prefetch {
        query: Query::Dense(unit(axis, 0.0)),
        limit: 10,
        only: Vec::new(),
    };
    let ids = |hits: Vec<vectors::Hit>| hits.into_iter().map(|h| h.id - base).collect::<Vec<_>>();
    let query = |prefetches: Vec<Prefetch>, filters: Vec<KeywordFilter>| HybridQuery {
        prefetches,
        project_id: Some(project),
        filters,
        limit: 10,
        rrf_k: 60,
    };
    // Points without a dense vector are found by keyword; a dense list finds none yet.
    let mut by_keyword = ids(store
        .hybrid(Collection::Code, query(vec![sparse(5)], vec![]))
        .await
        .unwrap());
    by_keyword.sort();
    assert_eq!(by_keyword, [1, 2]);
    assert!(
        store
            .hybrid(Collection::Code, query(vec![dense(2)], vec![]))
            .await
            .unwrap()
            .is_empty()
    );

    // Dense vectors join later without touching the keyword vector or the payload; a
    // point that is gone is skipped.
    store
        .set_dense(
            Collection::Code,
            vec![(base + 3, unit(2, 0.0)), (base + 9, unit(2, 0.0))],
        )
        .await
        .unwrap();
    assert_eq!(
        ids(store
            .hybrid(Collection::Code, query(vec![dense(2)], vec![]))
            .await
            .unwrap())[0],
        3
    );
    assert_eq!(
        ids(store
            .hybrid(Collection::Code, query(vec![sparse(6)], vec![]))
            .await
            .unwrap()),
        [3]
    );

    // Fusion: a point in both lists outranks points in one.
    store
        .set_dense(Collection::Code, vec![(base + 1, unit(2, 0.2))])
        .await
        .unwrap();
    let fused = ids(store
        .hybrid(Collection::Code, query(vec![sparse(5), dense(2)], vec![]))
        .await
        .unwrap());
    assert_eq!(fused[0], 1, "{fused:?}");
    assert_eq!(fused.len(), 3);

    // Keyword filters: language, a directory, and a filter of one list only.
    let rust = ids(store
        .hybrid(
            Collection::Code,
            query(vec![sparse(5)], vec![KeywordFilter::new("language", ["rust"])]),
        )
        .await
        .unwrap());
    assert_eq!(rust, [1]);
    let under_app = ids(store
        .hybrid(
            Collection::Code,
            query(
                vec![sparse(5), dense(2)],
                vec![KeywordFilter::new("dirs", ["app"])],
            ),
        )
        .await
        .unwrap());
    assert_eq!(under_app, [2]);

    // Payload set on existing points, read back and filtered on.
    store
        .set_payload(
            Collection::Code,
            &[base + 2],
            payload(json!({"concepts": ["database"]})),
        )
        .await
        .unwrap();
    let mut tagged = sparse(5);
    tagged.only = vec![KeywordFilter::new("concepts", ["database"])];
    assert_eq!(
        ids(store
            .hybrid(Collection::Code, query(vec![tagged], vec![]))
            .await
            .unwrap()),
        [2]
    );
    let got = store.get(Collection::Code, &[base + 2]).await.unwrap();
    assert_eq!(got[0].payload["language"], "python", "other fields stay");
    store.delete_project(project).await.unwrap();
}

/// The embedded engine always; a Qdrant server too when QDRANT_URL is set.
#[tokio::test]
async fn every_configured_backend_passes_the_suite() {
    let dir = tempfile::tempdir().unwrap();
    let store = EdgeStore::open(&dir.path().join("edge"), DIM).await.unwrap();
    let store: Arc<dyn VectorStore> = Arc::new(store);
    suite(store.clone()).await;
    hybrid_suite(store).await;

    if let Ok(url) = std::env::var("QDRANT_URL") {
        let config = VectorConfig {
            qdrant_url: Some(url),
            qdrant_api_key: std::env::var("QDRANT_API_KEY").ok().map(mira_core::Secret::new),
            embed_dim: DIM,
            embedder: "local".into(),
            embedder_model: None,
        };
        let server = vectors::open(&config, dir.path()).await.unwrap();
        suite(server.clone()).await;
        hybrid_suite(server).await;
    }
}

#[tokio::test]
async fn embedded_points_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = EdgeStore::open(dir.path(), DIM).await.unwrap();
        store
            .upsert(
                Collection::Git,
                vec![VectorPoint {
                    id: 42,
                    project_id: 7,
                    dense: Some(unit(1, 0.0)),
                    sparse: None,
                    payload: payload(json!({"sha": "abc"})),
                }],
            )
            .await
            .unwrap();
        store.flush().await.unwrap();
    }
    let store = EdgeStore::open(dir.path(), DIM).await.unwrap();
    let got = store.get(Collection::Git, &[42]).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].payload["sha"], "abc");
}

#[tokio::test]
async fn embedded_store_refuses_a_changed_dimension_and_wrong_vectors() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = EdgeStore::open(dir.path(), DIM).await.unwrap();
        let err = store
            .upsert(
                Collection::Code,
                vec![VectorPoint {
                    id: 1,
                    project_id: 1,
                    dense: Some(vec![1.0; DIM + 1]),
                    sparse: None,
                    payload: Map::new(),
                }],
            )
            .await
            .unwrap_err();
        assert!(err.to_string().contains("9-dimension"), "{err}");
    }
    let err = EdgeStore::open(dir.path(), 16).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("MIRA_EMBED_DIM is 16") && text.contains("8-dimension"),
        "{text}"
    );
}
