//! Clones that lack objects: a partial clone (`--filter=blob:limit=...`) has no old
//! versions of big files, a shallow clone (`--depth`) no commits past its boundary. The
//! index takes what is there and says what it skipped, with the origin out of reach (no
//! lazy fetch can fill the gaps).

use std::process::Command;

use crate::fixture::{Repo, lines};
use crate::indexing::{index, setup};

const ANN: &str = "Ann <ann@example.org>";

/// Five commits; `big.py` (over the filter's limit) changes in each, `small.py` once.
fn origin() -> Repo {
    let repo = Repo::new();
    repo.git(&["config", "uploadpack.allowFilter", "true"]);
    for day in 0..5 {
        repo.write("big.py", &lines(&format!("x{day} ="), 200 + day as usize));
        if day == 2 {
            repo.write("small.py", "def f():\n    pass\n");
        }
        repo.commit(ANN, day, &format!("change {day}"));
    }
    repo
}

fn clone(origin: &Repo, extra: &[&str]) -> Repo {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", origin.path().display());
    let out = Command::new("git")
        .args(["clone", "-q", "--no-local"])
        .args(extra)
        .arg(&url)
        .arg(dir.path())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_SYSTEM", "/dev/null")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    Repo { dir }
}

#[tokio::test]
async fn a_partial_clone_indexes_without_its_filtered_blobs() {
    let origin = origin();
    let part = clone(&origin, &["--filter=blob:limit=100"]);
    drop(origin);
    let (_data, db, project) = setup(&part).await;
    let summary = index(&db, &project).await;
    assert_eq!(summary.new_commits, 5);
    assert!(summary.missing_objects > 0, "{summary:?}");
    assert!(
        summary
            .missing_note()
            .unwrap()
            .contains("partial or shallow clone")
    );

    // Every commit's changed paths are known from the trees; the small file's line
    // counts too, the big file's old versions are not.
    let rows: Vec<(String, Option<i64>)> =
        sqlx::query_as("SELECT path, lines_added FROM git_file_changes ORDER BY commit_id, path")
            .fetch_all(db.pool())
            .await
            .unwrap();
    assert_eq!(rows.iter().filter(|(p, _)| p == "big.py").count(), 5, "{rows:?}");
    assert!(rows.contains(&("small.py".to_string(), Some(2))), "{rows:?}");
    assert!(rows.iter().any(|(p, n)| p == "big.py" && n.is_none()), "{rows:?}");

    // Running again is idempotent and quiet about what it already skipped.
    let again = index(&db, &project).await;
    assert_eq!((again.new_commits, again.missing_objects), (0, 0));
}

#[tokio::test]
async fn a_shallow_clone_indexes_the_history_it_has() {
    let origin = origin();
    let shallow = clone(&origin, &["--depth", "2"]);
    drop(origin);
    let (_data, db, project) = setup(&shallow).await;
    let summary = index(&db, &project).await;
    assert_eq!(summary.new_commits, 2, "{summary:?}");
    assert_eq!(summary.missing_objects, 1, "the boundary commit's parent");
    // The boundary commit is not credited with every file of the tree.
    let files: Vec<(String, i64)> = sqlx::query_as(
        "SELECT c.message, COUNT(f.path) FROM git_commits c LEFT JOIN git_file_changes f ON f.commit_id = c.id \
         GROUP BY c.id ORDER BY c.committed_at",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert_eq!(
        files,
        vec![("change 3\n".to_string(), 0), ("change 4\n".to_string(), 1)]
    );
}
