//! The watcher on a real directory: edits, renames, deletes and a git checkout reach the
//! index without a manual run, and every change seen is in `local_changes`.

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mira_code::watch::{WatchBatch, WatchConfig, watch};
use mira_store::Db;
use mira_store::projects;

fn quick() -> WatchConfig {
    WatchConfig {
        debounce: Duration::from_millis(50),
        batch: Duration::from_millis(150),
        git_cooldown: Duration::from_millis(600),
    }
}

async fn names(db: &Db) -> Vec<String> {
    sqlx::query_scalar("SELECT qualified_name FROM code_elements ORDER BY qualified_name")
        .fetch_all(db.pool())
        .await
        .unwrap()
}

/// Waits until `check` holds for the stored symbols, or fails after 10 s.
async fn eventually(db: &Db, what: &str, check: impl Fn(&[String]) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let n = names(db).await;
        if check(&n) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: symbols are {n:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn git(root: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(root)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "T")
        .env("GIT_AUTHOR_EMAIL", "t@x.org")
        .env("GIT_COMMITTER_NAME", "T")
        .env("GIT_COMMITTER_EMAIL", "t@x.org")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn edits_renames_deletes_and_checkouts_reach_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("p");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("a.py"), "def first():\n    return 1\n").unwrap();
    git(&root, &["init", "-q", "-b", "main"]);
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "one"]);
    let db = Db::open(&dir.path().join("mira.db")).await.unwrap();
    let project = projects::add(&db, &root, None).await.unwrap();
    mira_code::index::index_project(&db, &project, Arc::new(|_, _| {}))
        .await
        .unwrap();
    let batches: Arc<Mutex<Vec<WatchBatch>>> = Arc::default();
    let seen = Arc::clone(&batches);
    let watcher = watch(
        db.clone(),
        project.clone(),
        quick(),
        Arc::new(move |r| seen.lock().unwrap().push(r.expect("a batch indexes"))),
    )
    .unwrap();

    std::fs::write(
        root.join("a.py"),
        "def first():\n    return 1\n\n\ndef second():\n    return first()\n",
    )
    .unwrap();
    eventually(&db, "edit", |n| n.contains(&"a.second".to_string())).await;

    std::fs::rename(root.join("a.py"), root.join("b.py")).unwrap();
    eventually(&db, "rename", |n| {
        n.contains(&"b.second".to_string()) && !n.iter().any(|q| q.starts_with("a"))
    })
    .await;

    std::fs::write(root.join("c.py"), "def third():\n    pass\n").unwrap();
    eventually(&db, "create", |n| n.contains(&"c.third".to_string())).await;
    std::fs::remove_file(root.join("c.py")).unwrap();
    eventually(&db, "delete", |n| !n.iter().any(|q| q.starts_with("c"))).await;

    // A branch switch: the tree changes under git, indexed once git is done.
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "two"]);
    git(&root, &["checkout", "-q", "-b", "other", "HEAD~1"]);
    eventually(&db, "checkout", |n| {
        n.contains(&"a.first".to_string()) && !n.iter().any(|q| q.starts_with("b"))
    })
    .await;
    assert!(
        batches.lock().unwrap().iter().any(|b| b.after_git),
        "the checkout batch waited for git"
    );

    // Saving identical bytes is seen but re-parses nothing.
    let before = batches.lock().unwrap().len();
    let text = std::fs::read_to_string(root.join("a.py")).unwrap();
    std::fs::write(root.join("a.py"), text).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while batches.lock().unwrap().len() == before {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no batch for the identical save"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(batches.lock().unwrap().last().unwrap().summary.parsed, 0);
    watcher.stop();

    let log: Vec<(String, String)> = sqlx::query_as("SELECT path, kind FROM local_changes ORDER BY id")
        .fetch_all(db.pool())
        .await
        .unwrap();
    for expected in [
        ("a.py", "modified"),
        ("b.py", "created"),
        ("c.py", "created"),
        ("c.py", "removed"),
    ] {
        assert!(
            log.iter().any(|(p, k)| (p.as_str(), k.as_str()) == expected),
            "{expected:?} not in {log:?}"
        );
    }
}

/// A query need not wait out the quiet time: `catch_up` indexes what the watcher has
/// seen at once, and costs nothing when everything seen is indexed.
#[tokio::test]
async fn catch_up_indexes_a_save_before_the_quiet_time_ends() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("p");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("a.py"), "def first():\n    return 1\n").unwrap();
    let db = Db::open(&dir.path().join("mira.db")).await.unwrap();
    let project = projects::add(&db, &root, None).await.unwrap();
    mira_code::index::index_project(&db, &project, Arc::new(|_, _| {}))
        .await
        .unwrap();
    let slow = WatchConfig {
        debounce: Duration::from_secs(30),
        batch: Duration::from_secs(60),
        git_cooldown: Duration::from_secs(60),
    };
    let watcher = watch(db.clone(), project.clone(), slow, Arc::new(|_| {})).unwrap();
    // The first query waits for the start-up sweep (nothing changed offline here)...
    mira_code::watch::catch_up(&db, project.id, Duration::from_secs(5)).await;
    assert!(
        !mira_code::watch::catch_up(&db, project.id, Duration::from_secs(5)).await,
        "nothing seen, nothing to wait for"
    );

    std::fs::write(root.join("b.py"), "def second():\n    return first()\n").unwrap();
    // The file event reaches the watcher within moments; from then on a catch-up
    // indexes it, 30 s before the quiet time would.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !mira_code::watch::catch_up(&db, project.id, Duration::from_secs(10)).await {
        assert!(tokio::time::Instant::now() < deadline, "the save was never seen");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(names(&db).await.contains(&"b.second".to_string()));
    // One write can raise several events (create, modify) that arrive apart; once they
    // are all indexed, a catch-up has nothing to wait for.
    while mira_code::watch::catch_up(&db, project.id, Duration::from_secs(5)).await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the save's events never settled"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Another database's project of the same id has no watcher here.
    let other = Db::open(&dir.path().join("other.db")).await.unwrap();
    assert!(!mira_code::watch::catch_up(&other, project.id, Duration::from_secs(5)).await);
    watcher.stop();
}

/// Edits made while no watcher ran (between sessions, a pull before the server starts)
/// are indexed when a watcher starts, and the first query waits for them.
#[tokio::test]
async fn a_new_watcher_catches_up_with_offline_edits() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("p");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("a.py"), "def first():\n    return 1\n").unwrap();
    let db = Db::open(&dir.path().join("mira.db")).await.unwrap();
    let project = projects::add(&db, &root, None).await.unwrap();
    mira_code::index::index_project(&db, &project, Arc::new(|_, _| {}))
        .await
        .unwrap();
    // Offline: one file edited, one added, one removed.
    std::fs::write(root.join("a.py"), "def renamed():\n    return 1\n").unwrap();
    std::fs::write(root.join("b.py"), "def added():\n    return renamed()\n").unwrap();

    let batches: Arc<Mutex<Vec<WatchBatch>>> = Arc::default();
    let seen = Arc::clone(&batches);
    let slow = WatchConfig {
        debounce: Duration::from_secs(30),
        batch: Duration::from_secs(60),
        git_cooldown: Duration::from_secs(60),
    };
    let watcher = watch(
        db.clone(),
        project.clone(),
        slow,
        Arc::new(move |r| seen.lock().unwrap().push(r.expect("the sweep indexes"))),
    )
    .unwrap();
    assert!(
        mira_code::watch::catch_up(&db, project.id, Duration::from_secs(10)).await,
        "the first query waits for the sweep"
    );
    let n = names(&db).await;
    assert!(
        n.contains(&"a.renamed".to_string()) && n.contains(&"b.added".to_string()),
        "{n:?}"
    );
    assert!(!n.contains(&"a.first".to_string()), "{n:?}");
    let sweep = batches.lock().unwrap()[0].summary.clone();
    assert_eq!(sweep.parsed, 2, "{sweep:?}");
    watcher.stop();

    // A project never indexed is left to its explicit first index.
    let fresh_root = dir.path().join("q");
    std::fs::create_dir_all(&fresh_root).unwrap();
    std::fs::write(fresh_root.join("c.py"), "def third():\n    pass\n").unwrap();
    let fresh = projects::add(&db, &fresh_root, None).await.unwrap();
    let watcher = watch(db.clone(), fresh.clone(), slow, Arc::new(|_| {})).unwrap();
    mira_code::watch::catch_up(&db, fresh.id, Duration::from_secs(10)).await;
    let files: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM files WHERE project_id = ?")
        .bind(fresh.id)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(files, 0);
    watcher.stop();
}
