//! One suite for every VectorStore backend: always the embedded engine; a Qdrant server
//! as well when QDRANT_URL is set in the environment.

use std::sync::Arc;

use mira_core::config::VectorConfig;
use mira_store::vectors::{self, Collection, EdgeStore, Query, SparseVector, VectorPoint, VectorStore};
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

/// The embedded engine always; a Qdrant server too when QDRANT_URL is set.
#[tokio::test]
async fn every_configured_backend_passes_the_suite() {
    let dir = tempfile::tempdir().unwrap();
    let store = EdgeStore::open(&dir.path().join("edge"), DIM).await.unwrap();
    suite(Arc::new(store)).await;

    if let Ok(url) = std::env::var("QDRANT_URL") {
        let config = VectorConfig {
            qdrant_url: Some(url),
            qdrant_api_key: std::env::var("QDRANT_API_KEY").ok().map(mira_core::Secret::new),
            embed_dim: DIM,
            embedder: "local".into(),
            embedder_model: None,
        };
        suite(vectors::open(&config, dir.path()).await.unwrap()).await;
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
