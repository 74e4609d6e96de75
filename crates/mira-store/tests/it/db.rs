use mira_store::{Db, StoreError};

#[tokio::test]
async fn opening_twice_applies_migrations_once_and_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mira.db");
    let db = Db::open(&path).await.unwrap();
    assert_eq!(db.schema_version().await.unwrap(), Db::known_schema_version());
    sqlx::query("INSERT INTO projects (name, root_path, is_git, created_at) VALUES ('a', '/a', 0, '2026-01-01T00:00:00Z')")
        .execute(db.pool())
        .await
        .unwrap();
    db.close().await;

    let db = Db::open(&path).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM projects")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(n, 1);
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(applied as usize, Db::known_schema_version() as usize);
}

#[tokio::test]
async fn database_is_in_wal_mode_with_foreign_keys() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("mira.db")).await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(fk, 1);
}

#[tokio::test]
async fn database_from_a_newer_mira_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mira.db");
    let db = Db::open(&path).await.unwrap();
    let future = Db::known_schema_version() + 1000;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (?, 'from the future', 1, x'00', 0)",
    )
    .bind(future)
    .execute(db.pool())
    .await
    .unwrap();
    db.close().await;

    let err = Db::open(&path).await.unwrap_err();
    match &err {
        StoreError::NewerSchema { found, known, .. } => {
            assert_eq!(*found, future);
            assert_eq!(*known, Db::known_schema_version());
        }
        other => panic!("expected NewerSchema, got {other}"),
    }
    assert!(err.to_string().contains("newer Mira"));
    assert!(err.to_string().contains("MIRA_DATA_DIR"));
}

#[tokio::test]
async fn unwritable_location_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "not a dir").unwrap();
    let err = Db::open(&blocker.join("mira.db")).await.unwrap_err();
    assert!(err.to_string().contains("cannot create"), "{err}");
}
