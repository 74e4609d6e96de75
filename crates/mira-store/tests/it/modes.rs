//! Issue 21: the database, its WAL and SHM were created 0644 and the data dir 0755, so
//! every local user could read conversations and stored provider errors. They are the
//! owner's only, and an older install's files are tightened when next opened.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use mira_store::Db;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn the_database_its_wal_and_shm_and_the_data_dir_are_private() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let path = data.join("mira.db");
    let db = Db::open(&path).await.unwrap();
    // A write, so the WAL and SHM exist.
    sqlx::query("CREATE TABLE IF NOT EXISTS t (x)")
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(mode(&data), 0o700, "data dir");
    for file in ["mira.db", "mira.db-wal", "mira.db-shm"] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    db.close().await;

    // An older install: everything readable by all. Opening again tightens it.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    for file in ["mira.db", "mira.db-wal", "mira.db-shm"] {
        let file = data.join(file);
        if file.exists() {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
    let db = Db::open(&path).await.unwrap();
    sqlx::query("INSERT INTO t VALUES (1)")
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(mode(&data), 0o700, "data dir");
    for file in ["mira.db", "mira.db-wal", "mira.db-shm"] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
}
