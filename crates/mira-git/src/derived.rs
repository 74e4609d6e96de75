//! Keeping co-change and expertise tables in step with stored commits: from scratch
//! (first index, rewritten history, renames, or an old decay epoch), or by adding the
//! counts of new commits, which is what keeps a re-index of a few commits fast.

use std::collections::HashSet;

use mira_core::config::GitConfig;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::GitError;
use crate::cochange::{self, CommitFiles};
use crate::expertise::{self, AuthoredChange};
use crate::history::{ChangeStatus, CommitRecord};

/// Bound variables per multi-row INSERT: SQLite allows 32766. Fewer, bigger statements
/// mean fewer round trips to the database thread on a first index.
const MAX_VARIABLES: usize = 32_000;
/// Rows per INSERT for a table of `columns` columns.
const fn batch_rows(columns: usize) -> usize {
    MAX_VARIABLES / columns
}
/// Paths per refresh statement (each path is bound twice).
const BATCH_ROWS: usize = 400;

/// Recency weights grow as `2^(age / half-life)` from the epoch; past this exponent the
/// epoch is moved forward (a full recompute) long before f64 would overflow.
const MAX_GROWTH_EXPONENT: f64 = 400.0;

/// Version of how the derived counts are made; an index stored with an older one is
/// rebuilt, never added to. 2: co-change pairs carry `sized_weight` and `sized_commits`.
pub const COUNTS_VERSION: i64 = 2;

pub fn epoch_is_fresh(epoch: i64, now: i64, config: &GitConfig) -> bool {
    let shortest = config
        .cochange_half_life_days
        .min(config.expertise_half_life_days);
    ((now - epoch) as f64 / 86_400.0 / shortest) < MAX_GROWTH_EXPONENT
}

/// Whether the new commits can simply be added: renames re-map older history.
pub fn can_add(records: &[CommitRecord]) -> bool {
    !records
        .iter()
        .any(|r| r.changes.iter().any(|c| c.status == ChangeStatus::Renamed))
}

/// A commit as the derived tables see it: committed and authored time, author name and
/// address, whether it counts, and its files (path, old path of a rename, lines changed).
type Summary = (i64, i64, String, String, bool, Vec<(String, Option<String>, u64)>);

fn inputs(records: impl Iterator<Item = Summary>) -> (Vec<CommitFiles>, Vec<AuthoredChange>) {
    let mut commits = Vec::new();
    let mut authored = Vec::new();
    for (committed_at, authored_at, name, email, counted, files) in records {
        commits.push(CommitFiles {
            committed_at,
            files: files.iter().map(|(p, o, _)| (p.clone(), o.clone())).collect(),
            counted,
        });
        authored.push(AuthoredChange {
            author_name: name,
            author_email: email,
            authored_at,
            files,
            counted,
        });
    }
    (commits, authored)
}

fn record_inputs(records: &[CommitRecord], config: &GitConfig) -> (Vec<CommitFiles>, Vec<AuthoredChange>) {
    // Newest first; among equal times, the later-stored first, as `rebuild` reads them
    // (ORDER BY committed_at DESC, id DESC), so both paths learn renames in one order.
    let mut sorted: Vec<(usize, &CommitRecord)> = records.iter().enumerate().collect();
    sorted.sort_by_key(|(i, r)| (std::cmp::Reverse(r.committed_at), std::cmp::Reverse(*i)));
    inputs(sorted.into_iter().map(|(_, r)| {
        let counted = !r.is_merge() && r.changes.len() <= config.bulk_commit_files;
        let files = r
            .changes
            .iter()
            .map(|c| {
                let old = c.old_path.clone().filter(|_| c.status == ChangeStatus::Renamed);
                (
                    c.path.clone(),
                    old,
                    u64::from(c.added.unwrap_or(0) + c.removed.unwrap_or(0)),
                )
            })
            .collect();
        (
            r.committed_at,
            r.authored_at,
            r.author.name.clone(),
            r.author.email.clone(),
            counted,
            files,
        )
    }))
}

type ChangeRow = (
    i64,
    i64,
    i64,
    String,
    String,
    bool,
    String,
    Option<String>,
    String,
    Option<i64>,
    Option<i64>,
);

/// The tables this module keeps in step with the commits.
pub const DERIVED_TABLES: [&str; 3] = ["git_file_stats", "file_cochange_patterns", "author_expertise"];

/// Deletes a project's rows from `tables` (names from this crate, never from input).
pub async fn delete_project_rows(
    tx: &mut SqliteConnection,
    project_id: i64,
    tables: &[&str],
) -> Result<(), GitError> {
    for table in tables {
        sqlx::query(&format!("DELETE FROM {table} WHERE project_id = ?"))
            .bind(project_id)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Rebuilds every derived table of a project from its stored commits.
pub async fn rebuild(
    tx: &mut SqliteConnection,
    project_id: i64,
    epoch: i64,
    config: &GitConfig,
) -> Result<usize, GitError> {
    let rows: Vec<ChangeRow> = sqlx::query_as(
        "SELECT c.id, c.committed_at, c.authored_at, c.author_name, c.author_email, \
         (c.is_merge = 0 AND c.is_bulk = 0), COALESCE(f.path, ''), f.old_path, COALESCE(f.status, ''), f.lines_added, f.lines_removed \
         FROM git_commits c LEFT JOIN git_file_changes f ON f.commit_id = c.id \
         WHERE c.project_id = ? ORDER BY c.committed_at DESC, c.id DESC",
    )
    .bind(project_id)
    .fetch_all(&mut *tx)
    .await?;
    let mut grouped: Vec<Summary> = Vec::new();
    let mut last_id = None;
    for (id, committed_at, authored_at, name, email, counted, path, old_path, status, added, removed) in rows
    {
        if last_id != Some(id) {
            last_id = Some(id);
            grouped.push((committed_at, authored_at, name, email, counted, Vec::new()));
        }
        if path.is_empty() {
            continue;
        }
        let old_path = old_path.filter(|_| ChangeStatus::from_letter(&status) == Some(ChangeStatus::Renamed));
        let lines = (added.unwrap_or(0) + removed.unwrap_or(0)) as u64;
        grouped
            .last_mut()
            .expect("pushed above")
            .5
            .push((path, old_path, lines));
    }
    let (commits, authored) = inputs(grouped.into_iter());
    delete_project_rows(tx, project_id, &DERIVED_TABLES).await?;
    add(tx, project_id, &commits, &authored, epoch, config, true).await
}

/// Rebuilds the derived tables from records that are the project's whole history (a
/// first index), without reading them back from the database.
pub async fn rebuild_from_records(
    tx: &mut SqliteConnection,
    project_id: i64,
    records: &[CommitRecord],
    epoch: i64,
    config: &GitConfig,
) -> Result<usize, GitError> {
    delete_project_rows(tx, project_id, &DERIVED_TABLES).await?;
    let (commits, authored) = record_inputs(records, config);
    add(tx, project_id, &commits, &authored, epoch, config, true).await
}

/// Adds new commits' counts to the derived tables.
pub async fn add_records(
    tx: &mut SqliteConnection,
    project_id: i64,
    records: &[CommitRecord],
    epoch: i64,
    config: &GitConfig,
) -> Result<usize, GitError> {
    let (commits, authored) = record_inputs(records, config);
    add(tx, project_id, &commits, &authored, epoch, config, false).await
}

async fn add(
    tx: &mut SqliteConnection,
    project_id: i64,
    commits: &[CommitFiles],
    authored: &[AuthoredChange],
    epoch: i64,
    config: &GitConfig,
    // The tables were just emptied: every measure can be computed here, with no update pass.
    fresh: bool,
) -> Result<usize, GitError> {
    let started = std::time::Instant::now();
    // Two independent passes over the same commits: one per core.
    let (counts, tallies) = std::thread::scope(|scope| {
        let tallies = scope.spawn(|| expertise::tally(authored, epoch, config.expertise_half_life_days));
        let counts = cochange::count(commits, epoch, config.cochange_half_life_days);
        (counts, tallies.join())
    });
    let tallies = tallies.map_err(|_| GitError::Git("expertise tally panicked".into()))?;
    tracing::debug!(elapsed = ?started.elapsed(), pairs = counts.pairs.len(), tallies = tallies.len(), "derived counts computed");

    for batch in counts.files.chunks(batch_rows(3)) {
        let mut q = QueryBuilder::<Sqlite>::new("INSERT INTO git_file_stats (project_id, path, commits) ");
        q.push_values(batch, |mut row, f| {
            row.push_bind(project_id).push_bind(&f.path).push_bind(f.commits);
        });
        q.push(" ON CONFLICT (project_id, path) DO UPDATE SET commits = commits + excluded.commits");
        q.build().execute(&mut *tx).await?;
    }
    let commits_of: std::collections::HashMap<&str, u32> = counts
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.commits))
        .collect();
    for batch in counts.pairs.chunks(batch_rows(13)) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO file_cochange_patterns (project_id, file_a, file_b, shared_commits, commits_a, commits_b, \
             confidence_a_to_b, confidence_b_to_a, jaccard, last_cochange_at, recency_weight, sized_weight, sized_commits) ",
        );
        q.push_values(batch, |mut row, p| {
            let (a, b) = if fresh {
                (commits_of[p.file_a.as_str()], commits_of[p.file_b.as_str()])
            } else {
                (0, 0)
            };
            let d = cochange::derive(p.shared_commits, a, b, 0.0, 0, 0, 1.0);
            row.push_bind(project_id)
                .push_bind(&p.file_a)
                .push_bind(&p.file_b)
                .push_bind(p.shared_commits)
                .push_bind(a)
                .push_bind(b)
                .push_bind(d.confidence)
                .push_bind(d.reverse_confidence)
                .push_bind(d.jaccard)
                .push_bind(p.last_cochange_at)
                .push_bind(p.weight)
                .push_bind(p.sized_weight)
                .push_bind(p.sized_commits);
        });
        q.push(
            " ON CONFLICT (project_id, file_a, file_b) DO UPDATE SET shared_commits = shared_commits + excluded.shared_commits, \
             last_cochange_at = MAX(last_cochange_at, excluded.last_cochange_at), recency_weight = recency_weight + excluded.recency_weight, \
             sized_weight = sized_weight + excluded.sized_weight, sized_commits = sized_commits + excluded.sized_commits",
        );
        q.build().execute(&mut *tx).await?;
    }
    // Per-file counts changed for these files: refresh the measures of every pair with one.
    let touched: HashSet<&str> = counts.files.iter().map(|f| f.path.as_str()).collect();
    let touched: Vec<&str> = if fresh {
        Vec::new()
    } else {
        touched.into_iter().collect()
    };
    for batch in touched.chunks(BATCH_ROWS / 2) {
        for set in [
            "commits_a = (SELECT commits FROM git_file_stats s WHERE s.project_id = file_cochange_patterns.project_id AND s.path = file_a), \
             commits_b = (SELECT commits FROM git_file_stats s WHERE s.project_id = file_cochange_patterns.project_id AND s.path = file_b)",
            "confidence_a_to_b = CAST(shared_commits AS REAL) / commits_a, \
             confidence_b_to_a = CAST(shared_commits AS REAL) / commits_b, \
             jaccard = CAST(shared_commits AS REAL) / (commits_a + commits_b - shared_commits)",
        ] {
            let mut q = QueryBuilder::<Sqlite>::new(format!(
                "UPDATE file_cochange_patterns SET {set} WHERE project_id = "
            ));
            q.push_bind(project_id);
            for column in ["file_a", "file_b"] {
                q.push(if column == "file_a" {
                    " AND (file_a IN ("
                } else {
                    ") OR file_b IN ("
                });
                let mut list = q.separated(", ");
                for path in batch {
                    list.push_bind(*path);
                }
            }
            q.push("))");
            q.build().execute(&mut *tx).await?;
        }
    }

    tracing::debug!(elapsed = ?started.elapsed(), "co-change written");
    for batch in tallies.chunks(batch_rows(9)) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO author_expertise (project_id, scope, author_email, author_name, commits, lines_changed, \
             recency_weight, last_commit_at, is_bot) ",
        );
        q.push_values(batch, |mut row, t| {
            row.push_bind(project_id)
                .push_bind(&t.scope)
                .push_bind(&t.author_email)
                .push_bind(&t.author_name)
                .push_bind(t.commits)
                .push_bind(t.lines_changed as i64)
                .push_bind(t.weight)
                .push_bind(t.last_commit_at)
                .push_bind(t.is_bot);
        });
        q.push(
            " ON CONFLICT (project_id, scope, author_email) DO UPDATE SET commits = commits + excluded.commits, \
             lines_changed = lines_changed + excluded.lines_changed, recency_weight = recency_weight + excluded.recency_weight, \
             last_commit_at = MAX(last_commit_at, excluded.last_commit_at), author_name = excluded.author_name",
        );
        q.build().execute(&mut *tx).await?;
    }
    Ok(counts.pairs.len())
}
