//! Storing history in SQLite, incrementally: only commits not seen before are read, and
//! a rewritten history (force push, rebase) drops the commits that are gone.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use mira_core::config::GitConfig;
use mira_store::Db;
use mira_store::projects::Project;
use serde::Serialize;
use sqlx::{QueryBuilder, Sqlite};

use crate::GitError;
use crate::derived;
use crate::history::{CommitRecord, Repo};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct IndexSummary {
    pub head: Option<String>,
    pub new_commits: usize,
    pub removed_commits: usize,
    pub total_commits: i64,
    /// The stored head was no longer an ancestor of HEAD.
    pub rewritten: bool,
    /// File pairs whose co-change counts this run wrote (all of them on a full rebuild).
    pub cochange_pairs: usize,
    pub elapsed_ms: u64,
}

/// Rows per multi-row INSERT: 15 columns x 400 rows stays under SQLite's 32766 variables.
const BATCH_ROWS: usize = 400;

/// What the blocking part found in the repository.
struct Scan {
    head: Option<String>,
    records: Vec<CommitRecord>,
    /// Commits to delete, or `None` when every stored commit not in `reachable` goes.
    removed: Vec<String>,
    reachable: Option<HashSet<String>>,
    rewritten: bool,
}

/// Called with (commits read, commits to read), from a blocking thread.
pub type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// Indexes (or brings up to date) the git history of a project.
pub async fn index_project(
    db: &Db,
    project: &Project,
    config: &GitConfig,
    progress: Progress,
) -> Result<IndexSummary, GitError> {
    let started = Instant::now();
    let state: Option<(String, i64)> =
        sqlx::query_as("SELECT head_sha, decay_epoch FROM git_index_state WHERE project_id = ?")
            .bind(project.id)
            .fetch_optional(db.pool())
            .await?;
    let old_head = state.as_ref().map(|s| s.0.clone());
    let root = project.root.clone();
    let scan = tokio::task::spawn_blocking(move || scan(&root, old_head.as_deref(), &*progress))
        .await
        .map_err(|e| GitError::Git(format!("history reader failed: {e}")))??;
    let new_commits = scan.records.len();
    let scanned = started.elapsed();
    let (removed, cochange_pairs) = store(db, project.id, &scan, state.map(|s| s.1), config).await?;
    tracing::debug!(?scanned, total = ?started.elapsed(), "git index phases");

    let total_commits: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM git_commits WHERE project_id = ?")
        .bind(project.id)
        .fetch_one(db.pool())
        .await?;
    Ok(IndexSummary {
        head: scan.head,
        new_commits,
        removed_commits: removed,
        total_commits,
        rewritten: scan.rewritten,
        cochange_pairs,
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}

fn scan(
    root: &Path,
    old_head: Option<&str>,
    progress: &(dyn Fn(u64, u64) + Send + Sync),
) -> Result<Scan, GitError> {
    let repo = Repo::discover(root)?;
    let Some(head) = repo.head()? else {
        return Ok(Scan {
            head: None,
            records: vec![],
            removed: vec![],
            reachable: None,
            rewritten: false,
        });
    };
    let prefix = repo
        .workdir()
        .and_then(|w| root.strip_prefix(&w).ok().map(Path::to_path_buf))
        .unwrap_or_default();
    let (to_read, removed, reachable, rewritten) = match old_head {
        Some(old) if old == head => (vec![], vec![], None, false),
        Some(old) if repo.has_commit(old) => {
            let new = repo.commits_between(std::slice::from_ref(&head), &[old.to_string()])?;
            let gone = repo.commits_between(&[old.to_string()], std::slice::from_ref(&head))?;
            let rewritten = !gone.is_empty();
            (new, gone, None, rewritten)
        }
        Some(_) => {
            // The old head is gone (rewritten and garbage-collected): keep what is reachable.
            let all = repo.commits_between(std::slice::from_ref(&head), &[])?;
            let reachable: HashSet<String> = all.iter().cloned().collect();
            (all, vec![], Some(reachable), true)
        }
        None => (
            repo.commits_between(std::slice::from_ref(&head), &[])?,
            vec![],
            None,
            false,
        ),
    };
    let total = to_read.len() as u64;
    progress(0, total);
    let mut records = repo.read_commits(&to_read, &|done| progress(done, total))?;
    if !prefix.as_os_str().is_empty() {
        for record in &mut records {
            keep_under(record, &prefix);
        }
    }
    Ok(Scan {
        head: Some(head),
        records,
        removed,
        reachable,
        rewritten,
    })
}

/// Keeps the changes under a project that is a subdirectory of its repository, with
/// paths made relative to the project.
fn keep_under(record: &mut CommitRecord, prefix: &Path) {
    let prefix = format!("{}/", prefix.to_string_lossy().trim_end_matches('/'));
    let strip = |p: &str| p.strip_prefix(&prefix).map(str::to_string);
    record.changes = std::mem::take(&mut record.changes)
        .into_iter()
        .filter_map(|mut c| {
            c.path = strip(&c.path)?;
            c.old_path = c.old_path.as_deref().and_then(strip);
            Some(c)
        })
        .collect();
}

/// Writes new commits, drops gone ones, and brings the derived tables up to date, all in
/// one transaction: a crash leaves the previous index whole.
async fn store(
    db: &Db,
    project_id: i64,
    scan: &Scan,
    epoch: Option<i64>,
    config: &GitConfig,
) -> Result<(usize, usize), GitError> {
    let head = scan.head.as_deref();
    let mut tx = db.pool().begin().await?;
    let mut removed = 0;
    for sha in &scan.removed {
        removed += sqlx::query("DELETE FROM git_commits WHERE project_id = ? AND sha = ?")
            .bind(project_id)
            .bind(sha)
            .execute(&mut *tx)
            .await?
            .rows_affected() as usize;
    }
    if let Some(reachable) = &scan.reachable {
        let stored: Vec<String> = sqlx::query_scalar("SELECT sha FROM git_commits WHERE project_id = ?")
            .bind(project_id)
            .fetch_all(&mut *tx)
            .await?;
        for sha in stored.iter().filter(|s| !reachable.contains(*s)) {
            sqlx::query("DELETE FROM git_commits WHERE project_id = ? AND sha = ?")
                .bind(project_id)
                .bind(sha)
                .execute(&mut *tx)
                .await?;
            removed += 1;
        }
    }
    // Multi-row statements: one round trip per batch instead of per row.
    let mut ids: HashMap<&str, i64> = HashMap::new();
    for batch in scan.records.chunks(BATCH_ROWS) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT OR IGNORE INTO git_commits (project_id, sha, parents, author_name, author_email, committer_name, \
             committer_email, authored_at, committed_at, message, files_changed, lines_added, lines_removed, is_merge, is_bulk) ",
        );
        insert.push_values(batch, |mut row, record| {
            let added: u64 = record.changes.iter().filter_map(|c| c.added).map(u64::from).sum();
            let deleted: u64 = record
                .changes
                .iter()
                .filter_map(|c| c.removed)
                .map(u64::from)
                .sum();
            row.push_bind(project_id)
                .push_bind(&record.sha)
                .push_bind(record.parents.join(" "))
                .push_bind(&record.author.name)
                .push_bind(&record.author.email)
                .push_bind(&record.committer.name)
                .push_bind(&record.committer.email)
                .push_bind(record.authored_at)
                .push_bind(record.committed_at)
                .push_bind(&record.message)
                .push_bind(record.changes.len() as i64)
                .push_bind(added as i64)
                .push_bind(deleted as i64)
                .push_bind(record.is_merge())
                .push_bind(record.changes.len() > config.bulk_commit_files);
        });
        insert.push(" RETURNING id, sha");
        let rows: Vec<(i64, String)> = insert.build_query_as().fetch_all(&mut *tx).await?;
        for (id, sha) in rows {
            if let Some(record) = batch.iter().find(|r| r.sha == sha) {
                ids.insert(record.sha.as_str(), id);
            }
        }
    }
    let changes: Vec<(i64, &crate::history::FileChange)> = scan
        .records
        .iter()
        .filter_map(|r| ids.get(r.sha.as_str()).map(|id| (*id, r)))
        .flat_map(|(id, r)| r.changes.iter().map(move |c| (id, c)))
        .collect();
    for batch in changes.chunks(BATCH_ROWS) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT OR REPLACE INTO git_file_changes (commit_id, project_id, path, old_path, status, lines_added, lines_removed) ",
        );
        insert.push_values(batch, |mut row, (commit_id, change)| {
            row.push_bind(*commit_id)
                .push_bind(project_id)
                .push_bind(&change.path)
                .push_bind(&change.old_path)
                .push_bind(change.status.letter())
                .push_bind(change.added.map(i64::from))
                .push_bind(change.removed.map(i64::from));
        });
        insert.build().execute(&mut *tx).await?;
    }
    let Some(head) = head else {
        // No commits (an unborn branch): nothing to know.
        derived::delete_project_rows(&mut tx, project_id, &derived::DERIVED_TABLES).await?;
        derived::delete_project_rows(&mut tx, project_id, &["git_commits", "git_index_state"]).await?;
        tx.commit().await?;
        return Ok((removed, 0));
    };
    let now = chrono::Utc::now().timestamp();
    let inserted: Vec<CommitRecord> = scan
        .records
        .iter()
        .filter(|r| ids.contains_key(r.sha.as_str()))
        .cloned()
        .collect();
    let (epoch, pairs) = match epoch {
        Some(epoch)
            if removed == 0
                && scan.reachable.is_none()
                && derived::can_add(&inserted)
                && derived::epoch_is_fresh(epoch, now, config) =>
        {
            (
                epoch,
                derived::add_records(&mut tx, project_id, &inserted, epoch, config).await?,
            )
        }
        // First index: every commit is in memory already.
        None if removed == 0 && inserted.len() == scan.records.len() => (
            now,
            derived::rebuild_from_records(&mut tx, project_id, &inserted, now, config).await?,
        ),
        _ => (now, derived::rebuild(&mut tx, project_id, now, config).await?),
    };
    sqlx::query(
        "INSERT INTO git_index_state (project_id, head_sha, indexed_at, decay_epoch) VALUES (?, ?, ?, ?) \
         ON CONFLICT (project_id) DO UPDATE SET head_sha = excluded.head_sha, indexed_at = excluded.indexed_at, \
         decay_epoch = excluded.decay_epoch",
    )
    .bind(project_id)
    .bind(head)
    .bind(now)
    .bind(epoch)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((removed, pairs))
}
