//! Index runs of one project from different processes: the lease in the database makes
//! them take turns, so the rows are those of one clean index.
//!
//! Two `Db` handles opened through different paths to the same file (a symlinked data
//! dir) stand in for two processes: each has its own connection pool, and the
//! in-process serialisation and remembered symbol tables are keyed by the database path,
//! so only the lease in SQLite keeps the two runs apart.

use std::sync::Arc;
use std::time::Duration;

use mira_code::CodeError;
use mira_code::index::{index_project, index_project_waiting};
use mira_store::Db;
use mira_store::projects::{self, Project};

use crate::fixture::{copy_tree, fixture};
use crate::index::Indexed;

async fn unindexed(name: &str) -> Indexed {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    copy_tree(&fixture(name), &root);
    let db = Db::open(&dir.path().join("data/mira.db")).await.unwrap();
    let project = projects::add(&db, &root, None).await.unwrap();
    Indexed {
        _dir: dir,
        db,
        project,
    }
}

async fn leases(db: &Db) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM code_index_leases")
        .fetch_one(db.pool())
        .await
        .unwrap()
}

async fn hold_lease(db: &Db, project: &Project, pid: i64, expires_in_ms: i64) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    sqlx::query(
        "INSERT INTO code_index_leases (project_id, token, pid, acquired_at, expires_at) VALUES (?, 'other', ?, ?, ?)",
    )
    .bind(project.id)
    .bind(pid)
    .bind(now)
    .bind(now + expires_in_ms)
    .execute(db.pool())
    .await
    .unwrap();
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_runs_leave_what_one_clean_index_would() {
    for name in ["python", "rust"] {
        let ix = unindexed(name).await;
        let data = ix._dir.path().join("data");
        let alias = ix._dir.path().join("alias");
        std::os::unix::fs::symlink(&data, &alias).unwrap();
        let other = Db::open(&alias.join("mira.db")).await.unwrap();
        assert_ne!(
            other.path(),
            ix.db.path(),
            "the two handles must not share in-process state"
        );

        let (a, b) = tokio::join!(
            index_project(&ix.db, &ix.project, Arc::new(|_, _| {})),
            index_project(&other, &ix.project, Arc::new(|_, _| {})),
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        // One run indexed everything; the other, after waiting, found it done.
        let mut parsed = [a.parsed, b.parsed];
        parsed.sort();
        assert_eq!(parsed, [0, a.files], "{name}: {a:?} {b:?}");
        assert_eq!(leases(&ix.db).await, 0, "{name}: both leases released");
        ix.assert_equals_rebuild().await;

        // Edited and re-indexed by both again: still one clean index.
        let file = ix.root().join(if name == "python" {
            "shop/models.py"
        } else {
            "src/lib.rs"
        });
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, format!("{text}\n")).unwrap();
        let (a, b) = tokio::join!(
            index_project(&other, &ix.project, Arc::new(|_, _| {})),
            index_project(&ix.db, &ix.project, Arc::new(|_, _| {})),
        );
        let mut parsed = [a.unwrap().parsed, b.unwrap().parsed];
        parsed.sort();
        assert_eq!(parsed, [0, 1], "{name}");
        ix.assert_equals_rebuild().await;
        other.close().await;
    }
}

#[tokio::test]
async fn a_run_waits_for_a_live_lease_then_says_who_holds_it() {
    let ix = unindexed("python").await;
    // A pid that runs (this test's own): the holder is alive, so its lease is respected.
    let live = std::process::id() as i64;
    hold_lease(&ix.db, &ix.project, live, 60_000).await;
    let started = std::time::Instant::now();
    let err = index_project_waiting(
        &ix.db,
        &ix.project,
        Arc::new(|_, _| {}),
        Duration::from_millis(300),
    )
    .await
    .unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(300), "it waited first");
    assert!(
        matches!(err, CodeError::Busy { project_id, pid } if project_id == ix.project.id && pid == live),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "project {} is being indexed by pid {live}; try again when it finishes",
            ix.project.id
        )
    );
    let files: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM files")
        .fetch_one(ix.db.pool())
        .await
        .unwrap();
    assert_eq!(files, 0, "nothing written without the lease");
    assert_eq!(leases(&ix.db).await, 1, "the holder's lease is left alone");
}

#[tokio::test]
async fn a_lease_released_while_waiting_lets_the_run_go_on() {
    let ix = unindexed("python").await;
    hold_lease(&ix.db, &ix.project, std::process::id() as i64, 60_000).await;
    let db = ix.db.clone();
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        sqlx::query("DELETE FROM code_index_leases WHERE token = 'other'")
            .execute(db.pool())
            .await
            .unwrap();
    });
    let s = index_project_waiting(&ix.db, &ix.project, Arc::new(|_, _| {}), Duration::from_secs(10))
        .await
        .unwrap();
    release.await.unwrap();
    assert_eq!(s.parsed, s.files, "{s:?}");
    assert_eq!(leases(&ix.db).await, 0);
    ix.assert_equals_rebuild().await;
}

#[tokio::test]
async fn an_expired_lease_of_a_dead_run_is_taken_over() {
    let ix = unindexed("python").await;
    hold_lease(&ix.db, &ix.project, 4242, -1).await;
    let s = index_project_waiting(&ix.db, &ix.project, Arc::new(|_, _| {}), Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(s.parsed, s.files, "{s:?}");
    assert_eq!(leases(&ix.db).await, 0, "taken over, then released");
    ix.assert_equals_rebuild().await;
}

/// A run killed with SIGKILL leaves a lease that has not expired yet; its pid no longer
/// runs, so the next run takes it over at once instead of failing or waiting it out.
#[cfg(unix)]
#[tokio::test]
async fn an_unexpired_lease_of_a_killed_run_is_taken_over_at_once() {
    let ix = unindexed("python").await;
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let pid = gone.id() as i64;
    gone.wait().unwrap();
    hold_lease(&ix.db, &ix.project, pid, 60_000).await;
    let s = index_project_waiting(&ix.db, &ix.project, Arc::new(|_, _| {}), Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(s.parsed, s.files, "{s:?}");
    assert_eq!(leases(&ix.db).await, 0, "taken over, then released");
    ix.assert_equals_rebuild().await;
}
