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
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

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
    /// Objects the read commits needed and the object store lacks (a partial clone's
    /// filtered blobs, a shallow clone's cut-off parents): indexed without them.
    pub missing_objects: u64,
    pub elapsed_ms: u64,
}

impl IndexSummary {
    /// What was skipped, said for the user, when the clone lacks objects.
    pub fn missing_note(&self) -> Option<String> {
        (self.missing_objects > 0).then(|| {
            format!(
                "{} object(s) are not in this clone (a partial or shallow clone): those changes are \
                 indexed without line counts, and commits at a shallow boundary without their files; \
                 `git fetch --unshallow` or a full clone fills them in",
                self.missing_objects
            )
        })
    }
}

/// Rows per multi-row INSERT: 15 columns x 400 rows stays under SQLite's 32766 variables.
const BATCH_ROWS: usize = 400;

/// What the repository's history asks of the index, found before any commit is read.
struct Plan {
    head: Option<String>,
    /// Commits to read, newest first.
    to_read: Vec<String>,
    /// Commits to delete, or `None` when every stored commit not in `reachable` goes.
    removed: Vec<String>,
    reachable: Option<HashSet<String>>,
    rewritten: bool,
    /// The project's directory inside its repository (empty at the root).
    prefix: std::path::PathBuf,
}

/// Called with (commits read, commits to read), from a blocking thread.
pub type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// Commits in flight between the readers and the writer: enough to keep both busy, few
/// enough that memory stays flat on any history.
const CHANNEL_COMMITS: usize = 1024;

/// Commits from which an index run counts as a bulk load (a first index of a real
/// repository) and gets a larger SQLite page cache for its transaction.
const BULK_COMMITS: usize = 1_000;
const BULK_CACHE_KIB: i64 = 64 * 1024;

/// What the last index left: the reference time of its recency weights, and whether its
/// counts were made the way this version makes them (if not, they are rebuilt).
struct Previous {
    epoch: i64,
    counts_current: bool,
}

/// Indexes (or brings up to date) the git history of a project.
///
/// Commits are read on blocking threads and written as they arrive, in the order of the
/// walk, so writing overlaps reading; everything happens in one transaction.
pub async fn index_project(
    db: &Db,
    project: &Project,
    config: &GitConfig,
    progress: Progress,
) -> Result<IndexSummary, GitError> {
    let started = Instant::now();
    let state: Option<(String, i64, i64)> = sqlx::query_as(
        "SELECT head_sha, decay_epoch, counts_version FROM git_index_state WHERE project_id = ?",
    )
    .bind(project.id)
    .fetch_optional(db.pool())
    .await?;
    let old_head = state.as_ref().map(|s| s.0.clone());
    let root = project.root.clone();
    let (plan_tx, plan_rx) = tokio::sync::oneshot::channel::<Plan>();
    let (record_tx, record_rx) = tokio::sync::mpsc::channel::<(usize, CommitRecord)>(CHANNEL_COMMITS);
    let reader = tokio::task::spawn_blocking(move || -> Result<(), GitError> {
        let repo = Repo::discover(&root)?;
        let plan = plan(&repo, &root, old_head.as_deref())?;
        let to_read = plan.to_read.clone();
        let total = to_read.len() as u64;
        if plan_tx.send(plan).is_err() {
            return Ok(());
        }
        progress(0, total);
        repo.read_commits(&to_read, &|done| progress(done, total), &|i, record| {
            record_tx.blocking_send((i, record)).is_ok()
        })
    });
    let stored = match plan_rx.await {
        Ok(plan) => {
            // On an error `store` drops the receiver, which stops the readers.
            let previous = state.map(|s| Previous {
                epoch: s.1,
                counts_current: s.2 == derived::COUNTS_VERSION,
            });
            store(db, project.id, plan, record_rx, previous, config).await
        }
        Err(_) => Err(GitError::Git("history reader stopped before planning".into())),
    };
    // A reader's error is the cause of anything the writer saw go wrong.
    let read = reader
        .await
        .unwrap_or_else(|e| Err(GitError::Git(format!("history reader failed: {e}"))));
    read?;
    let stored = stored?;
    tracing::debug!(total = ?started.elapsed(), "git index done");

    let total_commits: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM git_commits WHERE project_id = ?")
        .bind(project.id)
        .fetch_one(db.pool())
        .await?;
    Ok(IndexSummary {
        head: stored.head,
        new_commits: stored.new_commits,
        removed_commits: stored.removed,
        total_commits,
        rewritten: stored.rewritten,
        cochange_pairs: stored.pairs,
        missing_objects: stored.missing_objects,
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}

fn plan(repo: &Repo, root: &Path, old_head: Option<&str>) -> Result<Plan, GitError> {
    let Some(head) = repo.head()? else {
        return Ok(Plan {
            head: None,
            to_read: vec![],
            removed: vec![],
            reachable: None,
            rewritten: false,
            prefix: Default::default(),
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
    Ok(Plan {
        head: Some(head),
        to_read,
        removed,
        reachable,
        rewritten,
        prefix,
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

/// What `store` did.
struct Stored {
    head: Option<String>,
    new_commits: usize,
    removed: usize,
    rewritten: bool,
    pairs: usize,
    missing_objects: u64,
}

/// Writes new commits as the readers deliver them, drops gone ones, and brings the
/// derived tables up to date, all in one transaction: a crash or a reader's error leaves
/// the previous index whole.
async fn store(
    db: &Db,
    project_id: i64,
    plan: Plan,
    incoming: tokio::sync::mpsc::Receiver<(usize, CommitRecord)>,
    previous: Option<Previous>,
    config: &GitConfig,
) -> Result<Stored, GitError> {
    let started = Instant::now();
    let mut conn = db.pool().acquire().await?;
    // A big batch (a first index) dirties more pages than the everyday page cache holds;
    // a larger cache for this connection keeps them from spilling to the WAL mid-way.
    // Durability is unchanged: still WAL, still one transaction.
    let bulk = plan.to_read.len() >= BULK_COMMITS;
    let cache_size: Option<i64> = if bulk {
        let old = sqlx::query_scalar("PRAGMA cache_size")
            .fetch_one(&mut *conn)
            .await?;
        sqlx::query(&format!("PRAGMA cache_size = -{}", BULK_CACHE_KIB))
            .execute(&mut *conn)
            .await?;
        Some(old)
    } else {
        None
    };
    let stored = store_in(&mut conn, project_id, plan, incoming, previous, config, started).await;
    if let Some(old) = cache_size {
        // The connection goes back to the pool: leave it as it was. Failing to is no
        // reason to hide the index's own result (a bigger cache is only memory).
        if let Err(e) = sqlx::query(&format!("PRAGMA cache_size = {old}"))
            .execute(&mut *conn)
            .await
        {
            tracing::warn!(error = %e, "could not restore the SQLite page cache size");
        }
    }
    stored
}

/// `store` inside its transaction.
async fn store_in(
    conn: &mut SqliteConnection,
    project_id: i64,
    plan: Plan,
    mut incoming: tokio::sync::mpsc::Receiver<(usize, CommitRecord)>,
    previous: Option<Previous>,
    config: &GitConfig,
    started: Instant,
) -> Result<Stored, GitError> {
    let mut tx = sqlx::Connection::begin(conn).await?;
    let mut removed = 0;
    for sha in &plan.removed {
        removed += sqlx::query("DELETE FROM git_commits WHERE project_id = ? AND sha = ?")
            .bind(project_id)
            .bind(sha)
            .execute(&mut *tx)
            .await?
            .rows_affected() as usize;
    }
    if let Some(reachable) = &plan.reachable {
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

    // Records are put back in walk order before they are written, so commit ids (and with
    // them the order in which a rebuild learns renames) do not depend on thread timing.
    let expected = plan.to_read.len();
    let mut records: Vec<CommitRecord> = Vec::with_capacity(expected);
    let mut early: HashMap<usize, CommitRecord> = HashMap::new();
    // Each written record's id, `None` if its sha was already stored.
    let mut ids: Vec<Option<i64>> = Vec::with_capacity(expected);
    // The first file change not written yet: (record, change within it).
    let mut changes_from = (0, 0);
    while let Some((i, mut record)) = incoming.recv().await {
        if !plan.prefix.as_os_str().is_empty() {
            keep_under(&mut record, &plan.prefix);
        }
        early.insert(i, record);
        while let Some(next) = early.remove(&records.len()) {
            records.push(next);
        }
        if records.len() - ids.len() >= BATCH_ROWS {
            let batch = &records[ids.len()..];
            ids.extend(write_commits(&mut tx, project_id, batch, config).await?);
            changes_from = write_changes(&mut tx, project_id, &records, &ids, changes_from, false).await?;
        }
    }
    if records.len() != expected {
        // The readers stopped; the caller reports their error.
        return Err(GitError::Git(format!(
            "history reading stopped after {} of {expected} commits",
            records.len()
        )));
    }
    ids.extend(write_commits(&mut tx, project_id, &records[ids.len()..], config).await?);
    write_changes(&mut tx, project_id, &records, &ids, changes_from, true).await?;
    let inserted: Vec<bool> = ids.iter().map(Option::is_some).collect();
    tracing::debug!(elapsed = ?started.elapsed(), commits = records.len(), "commits read and written");

    let Some(head) = plan.head.as_deref() else {
        // No commits (an unborn branch): nothing to know.
        derived::delete_project_rows(&mut tx, project_id, &derived::DERIVED_TABLES).await?;
        derived::delete_project_rows(&mut tx, project_id, &["git_commits", "git_index_state"]).await?;
        tx.commit().await?;
        return Ok(Stored {
            head: None,
            new_commits: 0,
            removed,
            rewritten: plan.rewritten,
            pairs: 0,
            missing_objects: 0,
        });
    };
    let now = chrono::Utc::now().timestamp();
    let all_inserted = inserted.iter().all(|&f| f);
    // Only a duplicate sha (never in a normal walk) makes a copy necessary.
    let filtered: Vec<CommitRecord>;
    let new_records: &[CommitRecord] = if all_inserted {
        &records
    } else {
        filtered = records
            .iter()
            .zip(&inserted)
            .filter(|(_, f)| **f)
            .map(|(r, _)| r.clone())
            .collect();
        &filtered
    };
    let (epoch, pairs) = match previous {
        Some(Previous {
            epoch,
            counts_current: true,
        }) if removed == 0
            && plan.reachable.is_none()
            && derived::can_add(new_records)
            && derived::epoch_is_fresh(epoch, now, config) =>
        {
            (
                epoch,
                derived::add_records(&mut tx, project_id, new_records, epoch, config).await?,
            )
        }
        // First index: every commit is in memory already.
        None if removed == 0 && all_inserted => (
            now,
            derived::rebuild_from_records(&mut tx, project_id, new_records, now, config).await?,
        ),
        _ => (now, derived::rebuild(&mut tx, project_id, now, config).await?),
    };
    sqlx::query(
        "INSERT INTO git_index_state (project_id, head_sha, indexed_at, decay_epoch, counts_version) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT (project_id) DO UPDATE SET head_sha = excluded.head_sha, indexed_at = excluded.indexed_at, \
         decay_epoch = excluded.decay_epoch, counts_version = excluded.counts_version",
    )
    .bind(project_id)
    .bind(head)
    .bind(now)
    .bind(epoch)
    .bind(derived::COUNTS_VERSION)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::debug!(elapsed = ?started.elapsed(), "git index transaction committed");
    Ok(Stored {
        head: plan.head,
        new_commits: records.len(),
        removed,
        rewritten: plan.rewritten,
        pairs,
        missing_objects: records.iter().map(|r| u64::from(r.missing_objects)).sum(),
    })
}

/// Inserts commits with multi-row statements (one round trip per batch instead of per
/// row); returns each record's id, `None` for a sha that was already stored.
async fn write_commits(
    tx: &mut SqliteConnection,
    project_id: i64,
    records: &[CommitRecord],
    config: &GitConfig,
) -> Result<Vec<Option<i64>>, GitError> {
    let mut ids: Vec<Option<i64>> = vec![None; records.len()];
    for (b, batch) in records.chunks(BATCH_ROWS).enumerate() {
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
        let position: HashMap<&str, usize> = batch
            .iter()
            .enumerate()
            .map(|(i, r)| (r.sha.as_str(), i))
            .collect();
        for (id, sha) in rows {
            if let Some(&i) = position.get(sha.as_str()) {
                ids[b * BATCH_ROWS + i] = Some(id);
            }
        }
    }
    Ok(ids)
}

/// File change rows per INSERT (7 columns each). Always this many, except for the last
/// statement of a run: one SQL text, prepared once, instead of one per batch of commits.
const CHANGE_ROWS: usize = 2_000;

/// Writes the file changes of written commits from `from` on, in full statements of
/// `CHANGE_ROWS`, and the rest too when `all`; returns where the unwritten ones start.
async fn write_changes(
    tx: &mut SqliteConnection,
    project_id: i64,
    records: &[CommitRecord],
    ids: &[Option<i64>],
    from: (usize, usize),
    all: bool,
) -> Result<(usize, usize), GitError> {
    let mut pending: Vec<(i64, &crate::history::FileChange)> = Vec::with_capacity(CHANGE_ROWS);
    let mut start = from;
    let (mut r, mut c) = from;
    while r < ids.len() {
        let Some(id) = ids[r] else {
            (r, c) = (r + 1, 0);
            continue;
        };
        let Some(change) = records[r].changes.get(c) else {
            (r, c) = (r + 1, 0);
            continue;
        };
        pending.push((id, change));
        c += 1;
        if pending.len() == CHANGE_ROWS {
            insert_changes(tx, project_id, &pending).await?;
            pending.clear();
            start = (r, c);
        }
    }
    if all && !pending.is_empty() {
        insert_changes(tx, project_id, &pending).await?;
        start = (r, c);
    }
    Ok(start)
}

async fn insert_changes(
    tx: &mut SqliteConnection,
    project_id: i64,
    rows: &[(i64, &crate::history::FileChange)],
) -> Result<(), GitError> {
    let mut insert = QueryBuilder::<Sqlite>::new(
        "INSERT OR REPLACE INTO git_file_changes (commit_id, project_id, path, old_path, status, lines_added, lines_removed) ",
    );
    insert.push_values(rows, |mut row, (commit_id, change)| {
        row.push_bind(*commit_id)
            .push_bind(project_id)
            .push_bind(&change.path)
            .push_bind(&change.old_path)
            .push_bind(change.status.letter())
            .push_bind(change.added.map(i64::from))
            .push_bind(change.removed.map(i64::from));
    });
    insert.build().execute(&mut *tx).await?;
    Ok(())
}
