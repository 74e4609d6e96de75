use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use mira_core::config::Config;
use mira_git::index::index_project;
use mira_git::{blame, queries};
use mira_store::Db;
use mira_store::projects::{self, Project};

use crate::fixture::{DAY, Repo, T0, lines};

const ANN: &str = "Ann Smith <ann@x.org>";
const ANN_OLD: &str = "Ann S <ann.old@x.org>";
const BOB: &str = "Bob Jones <bob@x.org>";
const CAROL: &str = "Carol Fmt <carol@x.org>";

/// The shared history: renames, a mailmapped identity, a bulk formatting commit and a merge.
fn history() -> Repo {
    let repo = Repo::new();
    repo.write("src/auth.rs", &lines("auth", 10));
    repo.write("src/db.rs", &lines("db", 5));
    repo.write("README.md", "# Fixture\n");
    repo.write(".mailmap", "Ann Smith <ann@x.org> <ann.old@x.org>\n");
    repo.commit(ANN, 0, "initial import");

    repo.write("src/auth.rs", &format!("{}auth extra\n", lines("auth", 10)));
    repo.write("tests/auth_test.rs", &lines("test", 4));
    repo.commit(BOB, 1, "auth: add tests");

    repo.write("src/auth.rs", &lines("auth", 12));
    repo.write("tests/auth_test.rs", &lines("test", 6));
    repo.commit(ANN, 2, "fix: token expiry off by one");

    repo.write("src/db.rs", &lines("db", 7));
    repo.commit(ANN_OLD, 3, "db: pool size");

    repo.git(&["mv", "src/db.rs", "src/storage.rs"]);
    repo.commit(BOB, 4, "rename db to storage");

    repo.write("src/storage.rs", &lines("db", 9));
    repo.write("src/auth.rs", &lines("auth", 13));
    repo.commit(ANN, 5, "storage: sessions");

    for i in 0..60 {
        repo.write(&format!("gen/file{i:02}.rs"), "formatted\n");
    }
    repo.write("src/auth.rs", &lines("auth", 13).replace("auth", "Auth"));
    repo.write("tests/auth_test.rs", &lines("Test", 6));
    repo.commit(CAROL, 6, "format everything");

    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("src/auth.rs", &format!("{}feature\n", lines("Auth", 13)));
    repo.write(
        "tests/auth_test.rs",
        &format!("{}feature test\n", lines("Test", 6)),
    );
    repo.commit(BOB, 7, "auth: feature");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("README.md", "# Fixture\n\nMore words.\n");
    repo.commit(ANN, 7, "docs");
    let date = format!("@{} +0000", T0 + 8 * DAY);
    repo.git_env(
        &["merge", "-q", "--no-ff", "-m", "merge feature", "feature"],
        &[
            ("GIT_AUTHOR_NAME", "Ann Smith".into()),
            ("GIT_AUTHOR_EMAIL", "ann@x.org".into()),
            ("GIT_AUTHOR_DATE", date.clone()),
            ("GIT_COMMITTER_NAME", "Ann Smith".into()),
            ("GIT_COMMITTER_EMAIL", "ann@x.org".into()),
            ("GIT_COMMITTER_DATE", date),
        ],
    );
    repo
}

pub async fn setup(repo: &Repo) -> (tempfile::TempDir, Db, Project) {
    let data = tempfile::tempdir().unwrap();
    let db = Db::open(&data.path().join("mira.db")).await.unwrap();
    let project = projects::add(&db, &repo.path(), None).await.unwrap();
    (data, db, project)
}

pub fn git_config() -> mira_core::config::GitConfig {
    Config::with_data_dir("/tmp/unused").git
}

pub async fn index(db: &Db, project: &Project) -> mira_git::index::IndexSummary {
    index_project(db, project, &git_config(), Arc::new(|_, _| {}))
        .await
        .unwrap()
}

/// `git log --numstat -z` as {sha: {(path, old_path, added, removed)}}; binary files
/// have `None` counts.
type ChangeKey = (String, Option<String>, Option<i64>, Option<i64>);
type ChangeRow = (String, String, Option<String>, Option<i64>, Option<i64>);
type Numstat = HashMap<String, BTreeSet<ChangeKey>>;

fn git_numstat(repo: &Repo) -> Numstat {
    let out = repo.git(&["log", "--numstat", "-z", "-M", "--format=format:%x01%H"]);
    let mut result = Numstat::new();
    for chunk in out.split('\u{1}').filter(|c| !c.is_empty()) {
        let (sha, rest) = chunk.split_once('\n').unwrap_or((chunk, ""));
        let entry = result.entry(sha.trim_matches('\0').to_string()).or_default();
        let mut fields = rest.split('\0').filter(|f| !f.is_empty()).peekable();
        while let Some(stat) = fields.next() {
            let mut parts = stat.trim_start_matches('\n').splitn(3, '\t');
            let added = parts.next().unwrap().parse::<i64>().ok();
            let removed = parts.next().unwrap().parse::<i64>().ok();
            let path = parts.next().unwrap_or("");
            if path.is_empty() {
                let old = fields.next().unwrap().to_string();
                let new = fields.next().unwrap().to_string();
                entry.insert((new, Some(old), added, removed));
            } else {
                entry.insert((path.to_string(), None, added, removed));
            }
        }
    }
    result
}

/// Every commit's stored file changes are exactly what `git log --numstat -M` lists.
async fn assert_changes_match_git(repo: &Repo, db: &Db) {
    let expected = git_numstat(repo);
    let rows: Vec<ChangeRow> = sqlx::query_as(
        "SELECT c.sha, f.path, f.old_path, f.lines_added, f.lines_removed FROM git_file_changes f JOIN git_commits c ON c.id = f.commit_id",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let mut ours = Numstat::new();
    for (sha, path, old, added, removed) in rows {
        ours.entry(sha).or_default().insert((path, old, added, removed));
    }
    for (sha, files) in &expected {
        let mine = ours.remove(sha).unwrap_or_default();
        assert_eq!(&mine, files, "commit {sha}");
    }
    assert!(ours.is_empty(), "commits git does not list: {ours:?}");
}

#[tokio::test]
async fn file_changes_match_git_log_numstat_exactly() {
    let repo = history();
    let (_data, db, project) = setup(&repo).await;
    let summary = index(&db, &project).await;
    let expected = git_numstat(&repo);
    assert_eq!(summary.total_commits as usize, expected.len());
    assert_eq!(summary.new_commits, expected.len());
    assert_changes_match_git(&repo, &db).await;
}

/// The cases where a diff library and git part ways: a last line gaining its newline,
/// binary files (changed, and moved unchanged), CRLF text, identical files moved (git prefers the same file name), a
/// rename found by file name, a rename found by similarity, an empty file moved, and a
/// shrunken file that is no rename.
#[tokio::test]
async fn edge_cases_of_renames_and_line_counts_match_git() {
    let repo = history_of_edge_cases();
    let (_data, db, project) = setup(&repo).await;
    let summary = index(&db, &project).await;
    assert_eq!(summary.new_commits, 3);
    assert_changes_match_git(&repo, &db).await;

    // What git says, spelled out, so a change on both sides cannot hide.
    let rows: Vec<ChangeKey> = sqlx::query_as(
        "SELECT f.path, f.old_path, f.lines_added, f.lines_removed FROM git_file_changes f \
         JOIN git_commits c ON c.id = f.commit_id WHERE c.message LIKE 'move and edit%' ORDER BY f.path",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let get = |p: &str| rows.iter().find(|r| r.0 == p).cloned();
    assert_eq!(get("a.txt"), Some(("a.txt".into(), None, Some(1), Some(1))));
    assert_eq!(get("bin.dat"), Some(("bin.dat".into(), None, None, None)));
    assert_eq!(
        get("new/same.rs").and_then(|r| r.1),
        Some("dup1/same.rs".to_string()),
        "identical sources: the one with the same file name"
    );
    assert_eq!(
        get("lib/name.rs"),
        Some(("lib/name.rs".into(), Some("old/name.rs".into()), Some(2), Some(2)))
    );
    assert_eq!(get("guide/y.md").and_then(|r| r.1), Some("docs/x.md".to_string()));
    let moved: Option<(Option<String>, Option<i64>)> =
        sqlx::query_as("SELECT old_path, lines_added FROM git_file_changes WHERE path = 'assets/bin.dat'")
            .fetch_optional(db.pool())
            .await
            .unwrap();
    assert_eq!(moved, Some((Some("bin.dat".to_string()), None)));
}

/// Commits are written in batches as they are read and file changes in fixed-size
/// statements that span batches: a history longer than a batch, with more changes than
/// a statement holds, must still be stored whole and as git lists it.
#[tokio::test]
async fn long_histories_are_stored_whole_across_batches() {
    let repo = Repo::new();
    // git fast-import writes 450 commits in one process.
    let mut stream = String::new();
    for c in 0..450 {
        stream.push_str(&format!(
            "commit refs/heads/main\nmark :{}\ncommitter Ann Smith <ann@x.org> {} +0000\ndata 7\ncommit\n",
            c + 1,
            T0 + c * 600
        ));
        if c > 0 {
            stream.push_str(&format!("from :{c}\n"));
        }
        for f in 0..5 {
            let body = format!("{c}\n");
            stream.push_str(&format!(
                "M 100644 inline d{}/f{f}.txt\ndata {}\n{body}\n",
                (c + f) % 20,
                body.len()
            ));
        }
    }
    let mut child = std::process::Command::new("git")
        .current_dir(repo.dir.path())
        .args(["fast-import", "--quiet"])
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(stream.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    repo.git(&["reset", "-q", "--hard", "main"]);

    let (_data, db, project) = setup(&repo).await;
    let summary = index(&db, &project).await;
    assert_eq!(summary.new_commits, 450);
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM git_file_changes")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert!(stored > 2_000, "{stored} changes: more than one statement holds");
    assert_changes_match_git(&repo, &db).await;
}

fn history_of_edge_cases() -> Repo {
    let repo = Repo::new();
    let write_bytes = |path: &str, bytes: &[u8]| {
        let full = repo.dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, bytes).unwrap();
    };
    repo.write("a.txt", "x\ny");
    write_bytes("bin.dat", b"\x89PNG\0\0\x01binary\n");
    repo.write("crlf.txt", "one\r\ntwo\r\nthree\r\n");
    let same = lines("same", 12);
    repo.write("dup1/same.rs", &same);
    repo.write("dup2/other.rs", &same);
    repo.write("old/name.rs", &lines("name", 20));
    repo.write("docs/x.md", &lines("doc", 30));
    repo.write("empty.txt", "");
    repo.write("shrink.rs", &lines("shrink", 40));
    repo.commit(ANN, 0, "start");

    repo.write("a.txt", "x\ny\n");
    write_bytes("bin.dat", b"\x89PNG\0\0\x02binary\n");
    repo.write("crlf.txt", "one\r\ntwo!\r\nthree\r\n");
    repo.git(&["rm", "-q", "dup1/same.rs", "dup2/other.rs"]);
    repo.write("new/same.rs", &same);
    repo.git(&["rm", "-q", "old/name.rs"]);
    let mut renamed = lines("name", 20);
    renamed = renamed
        .replace("name 3\n", "name three\n")
        .replace("name 7\n", "name seven\n");
    repo.write("lib/name.rs", &renamed);
    repo.git(&["rm", "-q", "docs/x.md"]);
    let mut moved = lines("doc", 30);
    for i in [2, 5, 9, 14, 20, 27] {
        moved = moved.replace(&format!("doc {i}\n"), &format!("changed {i}\n"));
    }
    repo.write("guide/y.md", &moved);
    repo.git(&["rm", "-q", "empty.txt"]);
    repo.write("moved/empty.txt", "");
    repo.commit(BOB, 1, "move and edit");

    // A binary file moved as it is: git still reports `-` for its lines.
    repo.git(&["rm", "-q", "shrink.rs", "bin.dat"]);
    write_bytes("assets/bin.dat", b"\x89PNG\0\0\x02binary\n");
    repo.write("small.rs", &lines("shrink", 3));
    repo.write("a.txt", "x\ny");
    repo.commit(ANN, 2, "shrink and drop");
    repo
}

#[tokio::test]
async fn commits_carry_mailmapped_authors_merges_and_bulk_flags() {
    let repo = history();
    let (_data, db, project) = setup(&repo).await;
    index(&db, &project).await;
    let rows: Vec<(String, String, bool, bool, i64)> = sqlx::query_as(
        "SELECT author_email, message, is_merge, is_bulk, files_changed FROM git_commits ORDER BY committed_at, id",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let by_message = |m: &str| rows.iter().find(|r| r.1.trim() == m).unwrap().clone();
    assert_eq!(by_message("db: pool size").0, "ann@x.org", "mailmap applied");
    assert!(by_message("format everything").3, "62 files is a bulk commit");
    let merge = by_message("merge feature");
    assert!(merge.2 && merge.4 == 0);
    assert!(!rows.iter().any(|r| r.0 == "ann.old@x.org"));
}

#[tokio::test]
async fn cochange_counts_follow_renames_and_skip_bulk_and_merges() {
    let repo = history();
    let (_data, db, project) = setup(&repo).await;
    index(&db, &project).await;

    let related = queries::cochange(&db, project.id, "src/auth.rs", 10, &git_config())
        .await
        .unwrap();
    let test = related
        .iter()
        .find(|s| s.file == "tests/auth_test.rs")
        .expect("auth test co-changes");
    // Shared in days 1, 2, 7; the bulk commit (day 6) and the merge do not count.
    assert_eq!(test.shared_commits, 3);
    assert_eq!(test.commits_of_query, 5);
    assert!((test.confidence - 0.6).abs() < 1e-12);
    assert!((test.jaccard - 0.6).abs() < 1e-12);
    assert!(
        test.evidence
            .starts_with("changed together in 3 of 5 commits touching src/auth.rs, last ")
    );

    // storage.rs was db.rs: day 0 (as db.rs) and day 5 are shared with auth.rs.
    let storage = related
        .iter()
        .find(|s| s.file == "src/storage.rs")
        .expect("renamed file keeps history");
    assert_eq!(storage.shared_commits, 2);
    assert!((storage.confidence - 0.4).abs() < 1e-12);
    let back = queries::cochange(&db, project.id, "src/storage.rs", 10, &git_config())
        .await
        .unwrap();
    let auth = back.iter().find(|s| s.file == "src/auth.rs").unwrap();
    assert_eq!(auth.commits_of_query, 4);
    assert!((auth.confidence - 0.5).abs() < 1e-12);
    assert!(
        !related.iter().any(|s| s.file.starts_with("gen/")),
        "bulk commit files never pair"
    );
    // Best first: the test file (0.6) before storage (0.4).
    assert_eq!(related[0].file, "tests/auth_test.rs");
}

#[tokio::test]
async fn experts_of_a_renamed_file_and_a_directory() {
    let repo = history();
    let (_data, db, project) = setup(&repo).await;
    index(&db, &project).await;
    let experts = queries::experts(&db, project.id, "src/storage.rs", false, 10)
        .await
        .unwrap();
    let names: Vec<&str> = experts.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, vec!["Ann Smith", "Bob Jones"]);
    let ann = &experts[0];
    assert_eq!(
        ann.commits, 3,
        "days 0 and 3 as db.rs (one under the old address), day 5"
    );
    assert!((ann.commit_part - 0.75).abs() < 1e-12);
    let total: f64 = experts.iter().map(|e| e.score).sum();
    assert!((total - 100.0).abs() < 1e-9);
    let expected = 100.0 * (0.4 * ann.commit_part + 0.3 * ann.lines_part + 0.3 * ann.recency_part);
    assert!((ann.score - expected).abs() < 1e-9);

    let dir = queries::experts(&db, project.id, "src", false, 10).await.unwrap();
    assert!(!dir.is_empty());
    assert!(
        dir.iter().all(|e| e.name != "Carol Fmt"),
        "the bulk formatter is no expert"
    );
}

#[tokio::test]
async fn reindex_reads_only_new_commits_and_handles_rewritten_history() {
    let repo = history();
    let (_data, db, project) = setup(&repo).await;
    let first = index(&db, &project).await;
    let again = index(&db, &project).await;
    assert_eq!(again.new_commits, 0);
    assert_eq!(again.total_commits, first.total_commits);

    repo.write("src/auth.rs", "changed\n");
    repo.commit(ANN, 9, "one");
    repo.write("src/auth.rs", "changed again\n");
    repo.commit(ANN, 10, "two");
    let incremental = index(&db, &project).await;
    assert_eq!(incremental.new_commits, 2);
    assert_eq!(incremental.total_commits, first.total_commits + 2);
    assert!(!incremental.rewritten);

    // Rewrite: drop the two commits and add a different one.
    repo.git(&["reset", "-q", "--hard", "HEAD~2"]);
    repo.write("README.md", "rewritten\n");
    repo.commit(BOB, 11, "instead");
    let rewritten = index(&db, &project).await;
    assert!(rewritten.rewritten);
    assert_eq!(rewritten.removed_commits, 2);
    assert_eq!(rewritten.new_commits, 1);
    assert_eq!(rewritten.total_commits, first.total_commits + 1);
    let log = queries::log(&db, project.id, None, 3).await.unwrap();
    assert_eq!(log[0].summary, "instead");
    assert!(log.iter().all(|e| e.summary != "two"));
}

#[tokio::test]
async fn file_log_follows_renames() {
    let repo = history();
    let (_data, db, project) = setup(&repo).await;
    index(&db, &project).await;
    let log = queries::log(&db, project.id, Some("src/storage.rs"), 50)
        .await
        .unwrap();
    let summaries: Vec<&str> = log.iter().map(|e| e.summary.as_str()).collect();
    assert_eq!(
        summaries,
        vec![
            "storage: sessions",
            "rename db to storage",
            "db: pool size",
            "initial import"
        ]
    );
    assert_eq!(log[1].status.as_deref(), Some("R"));
    assert_eq!(log[3].path.as_deref(), Some("src/db.rs"));
}

#[tokio::test]
async fn blame_matches_git_and_its_cache_follows_the_file() {
    let repo = history();
    let (_data, db, project) = setup(&repo).await;
    let ours = blame::blame(&db, &project, "src/storage.rs").await.unwrap();
    let reference =
        blame::parse_porcelain(&repo.git(&["blame", "--porcelain", "--", "src/storage.rs"])).unwrap();
    assert_eq!(ours, reference);
    assert_eq!(ours.len(), 9);
    // Lines 0-4 came from the initial import under the old name.
    assert_eq!(ours[0].original_path, "src/db.rs");
    assert_eq!(ours[0].author_email, "ann@x.org");

    // Cached: same answer without git; an edit invalidates it.
    assert_eq!(blame::blame(&db, &project, "src/storage.rs").await.unwrap(), ours);
    repo.write("src/storage.rs", &format!("new first line\n{}", lines("db", 9)));
    let edited = blame::blame(&db, &project, "src/storage.rs").await.unwrap();
    assert_eq!(edited.len(), 10);
    assert_eq!(edited[0].commit, "0".repeat(40), "uncommitted line");
    let missing = blame::blame(&db, &project, "nope.rs").await;
    assert!(missing.is_err());
}

/// A tracked file swapped for a symlink to a file outside the project, or for a named
/// pipe, is not followed or waited on: blame answers at once with a clear error.
#[cfg(unix)]
#[tokio::test]
async fn blame_neither_follows_a_swapped_symlink_nor_waits_on_a_pipe() {
    let repo = history();
    let (_data, db, project) = setup(&repo).await;
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.rs"), "secret\n").unwrap();
    let file = project.root.join("src/storage.rs");
    std::fs::remove_file(&file).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.rs"), &file).unwrap();
    let err = blame::blame(&db, &project, "src/storage.rs").await.unwrap_err();
    assert!(err.to_string().contains("cannot read"), "{err}");

    std::fs::remove_file(&file).unwrap();
    let c = std::ffi::CString::new(file.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let started = std::time::Instant::now();
    let err = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        blame::blame(&db, &project, "src/storage.rs"),
    )
    .await
    .expect("a pipe is not waited on")
    .unwrap_err();
    assert!(err.to_string().contains("not a regular file"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[tokio::test]
async fn a_plain_directory_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let db = Db::open(&data.path().join("mira.db")).await.unwrap();
    let project = projects::add(&db, dir.path(), None).await.unwrap();
    let err = index_project(&db, &project, &git_config(), Arc::new(|_, _| {}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not in a git repository"), "{err}");
}

#[tokio::test]
async fn past_fixes_rank_the_commit_that_fixed_the_named_file_with_its_diff() {
    let repo = history();
    let (_data, db, project) = setup(&repo).await;
    index(&db, &project).await;
    let error =
        "thread 'auth::tests::expiry' panicked at /ci/build/src/auth.rs:12:5:\n`expiry` was off by one";
    let report = mira_git::fixes::find(&db, &project, error, 5).await.unwrap();
    assert_eq!(report.fingerprint, mira_git::fixes::fingerprint(error));
    let top = &report.fixes[0];
    assert_eq!(top.summary, "fix: token expiry off by one");
    assert_eq!(top.files, vec!["src/auth.rs"]);
    let diff = top.diff.as_deref().expect("the fixing hunk");
    assert!(
        diff.contains("--- a/src/auth.rs") && diff.contains("-auth extra") && diff.contains("+auth 11"),
        "{diff}"
    );
    // Commits that only touch the file without saying they fix anything rank lower.
    assert!(report.fixes.iter().skip(1).all(|f| f.score <= top.score));

    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM historical_fixes WHERE error_fingerprint = ?")
        .bind(&report.fingerprint)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(stored as usize, report.fixes.len());

    // The same error from another machine (other path, line) finds the same fix.
    let elsewhere = "thread 'auth::tests::expiry' panicked at src/auth.rs:40:9:\n`expiry` was off by one";
    assert_eq!(mira_git::fixes::fingerprint(elsewhere), report.fingerprint);
}

#[tokio::test]
async fn blame_agrees_with_git_on_this_repository() {
    // This project's own history, as checked out.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap();
    assert!(
        root.join(".git").exists(),
        "the tests run inside a git checkout of Mira"
    );
    let data = tempfile::tempdir().unwrap();
    let db = Db::open(&data.path().join("mira.db")).await.unwrap();
    let project = projects::add(&db, &root, None).await.unwrap();
    for file in ["Cargo.toml", "crates/mira-store/src/db.rs"] {
        let ours = blame::blame(&db, &project, file).await.unwrap();
        let out = std::process::Command::new("git")
            .current_dir(&root)
            .args(["blame", "--porcelain", "--", file])
            .output()
            .unwrap();
        let reference = blame::parse_porcelain(&String::from_utf8_lossy(&out.stdout)).unwrap();
        assert_eq!(ours, reference, "{file}");
        assert!(!ours.is_empty());
    }
}

/// Adding new commits' counts must give what indexing the whole history gives.
#[tokio::test]
async fn incremental_counts_equal_a_full_rebuild() {
    let repo = history();
    let (_data, db, project) = setup(&repo).await;
    index(&db, &project).await;
    repo.write("src/auth.rs", "auth v2\n");
    repo.write("src/storage.rs", "storage v2\n");
    repo.commit(BOB, 9, "auth and storage together");
    repo.write("tests/auth_test.rs", "test v2\n");
    repo.write("src/auth.rs", "auth v3\n");
    repo.commit(ANN, 10, "auth tests");
    let incremental = index(&db, &project).await;
    assert_eq!(incremental.new_commits, 2);

    let (_fresh_dir, fresh_db, fresh_project) = setup(&repo).await;
    index(&fresh_db, &fresh_project).await;
    for file in ["src/auth.rs", "src/storage.rs", "tests/auth_test.rs"] {
        let a = queries::cochange(&db, project.id, file, 50, &git_config())
            .await
            .unwrap();
        let b = queries::cochange(&fresh_db, fresh_project.id, file, 50, &git_config())
            .await
            .unwrap();
        assert_eq!(a.len(), b.len(), "{file}");
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(
                (&x.file, x.shared_commits, x.commits_of_query),
                (&y.file, y.shared_commits, y.commits_of_query)
            );
            assert!((x.confidence - y.confidence).abs() < 1e-12 && (x.jaccard - y.jaccard).abs() < 1e-12);
            assert!(
                (x.score - y.score).abs() < 1e-6 * y.score.max(1.0),
                "{file}: {} vs {}",
                x.score,
                y.score
            );
        }
        for scope in [file, "src", ""] {
            let a = queries::experts(&db, project.id, scope, true, 50).await.unwrap();
            let b = queries::experts(&fresh_db, fresh_project.id, scope, true, 50)
                .await
                .unwrap();
            assert_eq!(a.len(), b.len());
            for (x, y) in a.iter().zip(&b) {
                assert_eq!(
                    (&x.email, x.commits, x.lines_changed),
                    (&y.email, y.commits, y.lines_changed)
                );
                assert!(
                    (x.score - y.score).abs() < 1e-6,
                    "{scope}: {} vs {}",
                    x.score,
                    y.score
                );
            }
        }
    }
}
