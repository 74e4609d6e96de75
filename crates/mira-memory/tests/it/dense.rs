//! Facts and summaries found by meaning, with the real local embedding model: vectors
//! made once per model, dropped with their item, remade after an edit, never compared
//! with another model's query.

use std::path::PathBuf;
use std::sync::Arc;

use mira_memory::dense::{self, DenseQuery, Meaning};
use mira_memory::recall::recall;
use mira_memory::{ItemId, Scope, facts};
use mira_search::embedder::{DenseEmbedder, LocalEmbedder};

use crate::db;

/// `MIRA_TEST_MODELS_DIR`, else the cache dir scripts/test.sh fills.
fn embedder() -> Arc<dyn DenseEmbedder> {
    let dir = std::env::var_os("MIRA_TEST_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into())).join(".cache/mira-models")
        })
        .join("all-MiniLM-L6-v2");
    assert!(
        dir.exists(),
        "{} is missing: run scripts/test.sh (it pulls the models)",
        dir.display()
    );
    Arc::new(LocalEmbedder::new(Arc::new(
        mira_models::Embedder::load(&dir).expect("embedder loads"),
    )))
}

async fn vectors(t: &crate::TempDb) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM memory_vectors")
        .fetch_one(t.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_fact_is_found_by_meaning_and_its_vector_follows_it() {
    let t = db().await;
    let scope = Scope::user();
    let postgres = facts::learn(
        &t.db,
        &scope,
        &facts::told("Remember that billing runs on Postgres 16.".into(), 1),
    )
    .await
    .unwrap()
    .id();
    facts::learn(
        &t.db,
        &scope,
        &facts::told("I prefer tabs over spaces.".into(), 2),
    )
    .await
    .unwrap();
    let e = embedder();
    assert_eq!(
        dense::embed_pending(&t.db, e.as_ref(), |_, _| {}).await.unwrap(),
        2
    );
    assert_eq!(
        dense::embed_pending(&t.db, e.as_ref(), |_, _| {}).await.unwrap(),
        0,
        "embedded twice"
    );

    // No word in common with the fact: keywords alone find nothing, meaning finds it.
    let question = "which database engine do we use";
    let mut request = crate::request(question, scope.clone());
    assert!(recall(&t.db, &request).await.unwrap().is_empty());
    request.dense = Some(Meaning::Embedder(e.clone()));
    let found = recall(&t.db, &request).await.unwrap();
    assert_eq!(
        found.first().map(|i| i.id.clone()),
        Some(format!("f{postgres}")),
        "{found:#?}"
    );

    // A query made by another model is never compared with these vectors.
    let mut other = request.clone();
    let vector = DenseQuery::embed(e.as_ref(), question).await.unwrap().vector;
    other.dense = Some(Meaning::Vector(DenseQuery {
        model: "local:another-model".into(),
        vector,
    }));
    assert!(recall(&t.db, &other).await.unwrap().is_empty());

    // An edit drops the vector (the next pass makes it again); a forget drops it for good.
    facts::edit(&t.db, postgres, "Remember that billing runs on Postgres 17.")
        .await
        .unwrap();
    assert_eq!(vectors(&t).await, 1);
    assert_eq!(
        dense::embed_pending(&t.db, e.as_ref(), |_, _| {}).await.unwrap(),
        1
    );
    ItemId::parse(&format!("f{postgres}"))
        .unwrap()
        .forget(&t.db)
        .await
        .unwrap();
    assert_eq!(vectors(&t).await, 1);
    assert!(
        recall(&t.db, &request)
            .await
            .unwrap()
            .iter()
            .all(|i| i.id != format!("f{postgres}"))
    );
}
