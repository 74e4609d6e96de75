use mira_store::vectors::{Collection, EdgeStore, VectorPoint, VectorStore};
use mira_store::{Db, StoreError, projects};
use serde_json::Map;

async fn fixtures() -> (tempfile::TempDir, Db, EdgeStore) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("data/mira.db")).await.unwrap();
    let vectors = EdgeStore::open(&dir.path().join("data/vectors"), 8)
        .await
        .unwrap();
    (dir, db, vectors)
}

#[tokio::test]
async fn add_list_find_and_remove() {
    let (dir, db, vectors) = fixtures().await;
    let root = dir.path().join("my-app");
    std::fs::create_dir_all(root.join(".git")).unwrap();
    std::fs::create_dir_all(root.join("src")).unwrap();

    let p = projects::add(&db, &root, None).await.unwrap();
    assert_eq!(p.name, "my-app");
    assert!(p.is_git);
    assert_eq!(p.root, root.canonicalize().unwrap());

    let sub = projects::add(&db, &root.join("src"), Some("app source"))
        .await
        .unwrap();
    assert_eq!(sub.name, "app source");
    assert!(sub.is_git, "a directory inside a work tree is in git");

    let listed = projects::list(&db).await.unwrap();
    assert_eq!(listed, vec![p.clone(), sub.clone()]);
    assert_eq!(projects::find(&db, &p.id.to_string()).await.unwrap(), p);
    assert_eq!(projects::find(&db, root.to_str().unwrap()).await.unwrap(), p);

    projects::remove(&db, &vectors, p.id).await.unwrap();
    assert_eq!(projects::list(&db).await.unwrap(), vec![sub]);
    assert!(matches!(
        projects::get(&db, p.id).await,
        Err(StoreError::ProjectNotFound(_))
    ));
}

#[tokio::test]
async fn plain_directory_is_not_git() {
    let (dir, db, _vectors) = fixtures().await;
    let root = dir.path().join("plain");
    std::fs::create_dir_all(&root).unwrap();
    assert!(!projects::add(&db, &root, None).await.unwrap().is_git);
}

#[tokio::test]
async fn bad_paths_and_duplicates_are_refused() {
    let (dir, db, _vectors) = fixtures().await;
    let missing = dir.path().join("nope");
    let err = projects::add(&db, &missing, None).await.unwrap_err();
    assert!(matches!(err, StoreError::InvalidProject(_)));
    assert!(err.to_string().contains("existing directory"), "{err}");

    let file = dir.path().join("file.txt");
    std::fs::write(&file, "x").unwrap();
    let err = projects::add(&db, &file, None).await.unwrap_err();
    assert!(err.to_string().contains("not a directory"), "{err}");

    let root = dir.path().join("twice");
    std::fs::create_dir_all(&root).unwrap();
    projects::add(&db, &root, None).await.unwrap();
    // The same directory through another spelling of its path is still a duplicate.
    let other_spelling = dir.path().join("twice/../twice");
    assert!(matches!(
        projects::add(&db, &other_spelling, None).await,
        Err(StoreError::ProjectExists(_))
    ));
    assert_eq!(projects::list(&db).await.unwrap().len(), 1);
}

#[tokio::test]
async fn removing_a_project_removes_its_vectors_and_only_its_vectors() {
    let (dir, db, vectors) = fixtures().await;
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let pa = projects::add(&db, &a, None).await.unwrap();
    let pb = projects::add(&db, &b, None).await.unwrap();
    for (collection, base) in [(Collection::Code, 0u64), (Collection::Git, 100)] {
        let points = [(1, pa.id), (2, pa.id), (3, pb.id)]
            .into_iter()
            .map(|(n, project_id)| VectorPoint {
                id: base + n,
                project_id,
                dense: Some(vec![n as f32; 8]),
                sparse: None,
                payload: Map::new(),
            })
            .collect();
        vectors.upsert(collection, points).await.unwrap();
    }
    projects::remove(&db, &vectors, pa.id).await.unwrap();
    for collection in [Collection::Code, Collection::Git] {
        assert_eq!(vectors.count(collection, Some(pa.id)).await.unwrap(), 0);
        assert_eq!(vectors.count(collection, Some(pb.id)).await.unwrap(), 1);
    }
}

/// Inserts an operation of `project` with one checkpoint holding `sha` (its blob too).
async fn checkpoint_with(db: &Db, project: i64, id: &str, sha: &str) {
    let op: i64 = sqlx::query_scalar(
        "INSERT INTO operations (project_id, task, mode, status, created_at) \
         VALUES (?, 'edit', 'auto', 'complete', 0) RETURNING id",
    )
    .bind(project)
    .fetch_one(db.pool())
    .await
    .unwrap();
    sqlx::query("INSERT OR IGNORE INTO checkpoint_blobs (sha256, bytes) VALUES (?, ?)")
        .bind(sha)
        .bind(sha.as_bytes())
        .execute(db.pool())
        .await
        .unwrap();
    sqlx::query("INSERT INTO checkpoints (id, operation_id, seq, created_at) VALUES (?, ?, 1, 0)")
        .bind(id)
        .bind(op)
        .execute(db.pool())
        .await
        .unwrap();
    sqlx::query("INSERT INTO checkpoint_files (checkpoint_id, path, sha256) VALUES (?, 'a.txt', ?)")
        .bind(id)
        .bind(sha)
        .execute(db.pool())
        .await
        .unwrap();
}

#[tokio::test]
async fn removing_a_project_drops_the_checkpoint_contents_only_it_held() {
    let (dir, db, vectors) = fixtures().await;
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let pa = projects::add(&db, &a, None).await.unwrap();
    let pb = projects::add(&db, &b, None).await.unwrap();
    checkpoint_with(&db, pa.id, "c1", "only-a").await;
    checkpoint_with(&db, pa.id, "c2", "shared").await;
    checkpoint_with(&db, pb.id, "c3", "shared").await;

    projects::remove(&db, &vectors, pa.id).await.unwrap();
    let mut left: Vec<String> = sqlx::query_scalar("SELECT sha256 FROM checkpoint_blobs")
        .fetch_all(db.pool())
        .await
        .unwrap();
    left.sort();
    assert_eq!(left, vec!["shared".to_string()]);
    let checkpoints: Vec<String> = sqlx::query_scalar("SELECT id FROM checkpoints")
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(checkpoints, vec!["c3".to_string()]);
}
