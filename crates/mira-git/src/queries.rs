//! Reading git intelligence back: co-change suggestions with their evidence in words,
//! experts of a file or directory, and the history of a file.

use mira_core::config::GitConfig;
use mira_store::Db;
use serde::Serialize;

use crate::GitError;
use crate::cochange::growth;
use crate::expertise::{Tally, shares};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CochangeSuggestion {
    pub file: String,
    pub shared_commits: u32,
    /// Commits that touched the queried file.
    pub commits_of_query: u32,
    /// P(this file changes | the queried file changes).
    pub confidence: f64,
    pub jaccard: f64,
    pub last_cochange_at: i64,
    pub score: f64,
    pub evidence: String,
}

/// "3 days ago", "5 months ago".
pub fn ago(seconds: i64) -> String {
    let s = seconds.max(0);
    let (n, unit) = match s {
        0..=3599 => (s / 60, "minute"),
        3600..=86_399 => (s / 3600, "hour"),
        86_400..=2_591_999 => (s / 86_400, "day"),
        2_592_000..=31_535_999 => (s / 2_592_000, "month"),
        _ => (s / 31_536_000, "year"),
    };
    if n == 1 {
        format!("1 {unit} ago")
    } else {
        format!("{n} {unit}s ago")
    }
}

type CochangeRow = (String, String, i64, i64, i64, f64, f64, f64, i64, f64);

/// Files that tend to change with `path`, best first: pairs with at least the minimum
/// support, whose confidence in either direction reaches the minimum.
pub async fn cochange(
    db: &Db,
    project_id: i64,
    path: &str,
    limit: usize,
    config: &GitConfig,
) -> Result<Vec<CochangeSuggestion>, GitError> {
    let epoch: Option<i64> =
        sqlx::query_scalar("SELECT decay_epoch FROM git_index_state WHERE project_id = ?")
            .bind(project_id)
            .fetch_optional(db.pool())
            .await?;
    // Two index lookups (by file_a, by file_b) instead of an OR the planner may scan for.
    let columns = "file_a, file_b, shared_commits, commits_a, commits_b, confidence_a_to_b, confidence_b_to_a, jaccard, \
                   last_cochange_at, recency_weight";
    let filter = "shared_commits >= ? AND MAX(confidence_a_to_b, confidence_b_to_a) >= ?";
    let rows: Vec<CochangeRow> = sqlx::query_as(&format!(
        "SELECT {columns} FROM file_cochange_patterns WHERE project_id = ? AND file_a = ? AND {filter} \
         UNION ALL \
         SELECT {columns} FROM file_cochange_patterns INDEXED BY file_cochange_by_b WHERE project_id = ? AND file_b = ? AND {filter}"
    ))
    .bind(project_id)
    .bind(path)
    .bind(config.cochange_min_support)
    .bind(config.cochange_min_confidence)
    .bind(project_id)
    .bind(path)
    .bind(config.cochange_min_support)
    .bind(config.cochange_min_confidence)
    .fetch_all(db.pool())
    .await?;
    let now = chrono::Utc::now().timestamp();
    let divisor = growth(now, epoch.unwrap_or(now), config.cochange_half_life_days);
    let mut out: Vec<CochangeSuggestion> = rows
        .into_iter()
        .map(
            |(a, b, shared, commits_a, commits_b, a_to_b, b_to_a, jaccard, last, weight)| {
                let (file, commits_of_query, confidence) = if a == path {
                    (b, commits_a, a_to_b)
                } else {
                    (a, commits_b, b_to_a)
                };
                CochangeSuggestion {
                    evidence: format!(
                        "changed together in {shared} of {commits_of_query} commits touching {path}, last {}",
                        ago(now - last)
                    ),
                    file,
                    shared_commits: shared as u32,
                    commits_of_query: commits_of_query as u32,
                    confidence,
                    jaccard,
                    last_cochange_at: last,
                    score: weight / divisor,
                }
            },
        )
        .collect();
    out.sort_by(|x, y| {
        y.confidence
            .total_cmp(&x.confidence)
            .then(y.score.total_cmp(&x.score))
            .then(x.file.cmp(&y.file))
    });
    out.truncate(limit);
    Ok(out)
}

pub use crate::expertise::Expertise as Expert;

type TallyRow = (String, String, String, i64, i64, f64, i64, bool);

/// Experts of a scope (a file, a directory `src` or `src/`, or `""` for the project),
/// best first: 40% share of commits + 30% of lines + 30% of recency, 0-100.
pub async fn experts(
    db: &Db,
    project_id: i64,
    scope: &str,
    include_bots: bool,
    limit: usize,
) -> Result<Vec<Expert>, GitError> {
    let trimmed = scope.trim_matches('/');
    let candidates = if trimmed.is_empty() {
        vec![String::new()]
    } else {
        vec![trimmed.to_string(), format!("{trimmed}/")]
    };
    for candidate in candidates {
        let rows: Vec<TallyRow> = sqlx::query_as(
            "SELECT scope, author_email, author_name, commits, lines_changed, recency_weight, last_commit_at, is_bot \
             FROM author_expertise WHERE project_id = ? AND scope = ?",
        )
        .bind(project_id)
        .bind(&candidate)
        .fetch_all(db.pool())
        .await?;
        if rows.is_empty() {
            continue;
        }
        let tallies: Vec<Tally> = rows
            .into_iter()
            .map(
                |(scope, author_email, author_name, commits, lines, weight, last, is_bot)| Tally {
                    scope,
                    author_email,
                    author_name,
                    commits: commits as u32,
                    lines_changed: lines as u64,
                    weight,
                    last_commit_at: last,
                    is_bot,
                },
            )
            .collect();
        let mut out: Vec<Expert> = shares(&tallies)
            .into_iter()
            .filter(|e| include_bots || !e.is_bot)
            .collect();
        out.truncate(limit);
        return Ok(out);
    }
    Ok(vec![])
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LogEntry {
    pub sha: String,
    pub author_name: String,
    pub author_email: String,
    pub authored_at: i64,
    pub committed_at: i64,
    pub summary: String,
    pub is_merge: bool,
    /// For a file's log: the path it had in that commit, its status and lines.
    pub path: Option<String>,
    pub status: Option<String>,
    pub lines_added: Option<i64>,
    pub lines_removed: Option<i64>,
}

type LogRow = (
    String,
    String,
    String,
    i64,
    i64,
    String,
    bool,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
);

/// Commits of the project, newest first; with `path`, only those touching that file under
/// any of its names (renames are followed back).
pub async fn log(
    db: &Db,
    project_id: i64,
    path: Option<&str>,
    limit: usize,
) -> Result<Vec<LogEntry>, GitError> {
    let rows: Vec<LogRow> = match path {
        None => {
            sqlx::query_as(
                "SELECT sha, author_name, author_email, authored_at, committed_at, message, is_merge, NULL, NULL, NULL, NULL \
                 FROM git_commits WHERE project_id = ? ORDER BY committed_at DESC, id DESC LIMIT ?",
            )
            .bind(project_id)
            .bind(limit as i64)
            .fetch_all(db.pool())
            .await?
        }
        Some(path) => {
            let names = historical_names(db, project_id, path).await?;
            let mut all = Vec::new();
            for name in names {
                let rows: Vec<LogRow> = sqlx::query_as(
                    "SELECT c.sha, c.author_name, c.author_email, c.authored_at, c.committed_at, c.message, c.is_merge, \
                     f.path, f.status, f.lines_added, f.lines_removed FROM git_file_changes f \
                     JOIN git_commits c ON c.id = f.commit_id WHERE f.project_id = ? AND f.path = ? \
                     ORDER BY c.committed_at DESC, c.id DESC",
                )
                .bind(project_id)
                .bind(&name)
                .fetch_all(db.pool())
                .await?;
                all.extend(rows);
            }
            all.sort_by_key(|row| std::cmp::Reverse(row.4));
            all.dedup_by(|a, b| a.0 == b.0);
            all.truncate(limit);
            all
        }
    };
    Ok(rows
        .into_iter()
        .map(
            |(
                sha,
                author_name,
                author_email,
                authored_at,
                committed_at,
                message,
                is_merge,
                path,
                status,
                added,
                removed,
            )| {
                LogEntry {
                    sha,
                    author_name,
                    author_email,
                    authored_at,
                    committed_at,
                    summary: message.lines().next().unwrap_or("").to_string(),
                    is_merge,
                    path,
                    status,
                    lines_added: added,
                    lines_removed: removed,
                }
            },
        )
        .collect())
}

/// `path` and every name it had before renames.
async fn historical_names(db: &Db, project_id: i64, path: &str) -> Result<Vec<String>, GitError> {
    let mut names = vec![path.to_string()];
    let mut i = 0;
    while i < names.len() && names.len() < 64 {
        let older: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT old_path FROM git_file_changes WHERE project_id = ? AND path = ? AND status = 'R' AND old_path IS NOT NULL",
        )
        .bind(project_id)
        .bind(&names[i])
        .fetch_all(db.pool())
        .await?;
        for name in older {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        i += 1;
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::ago;

    #[test]
    fn ages_read_naturally() {
        assert_eq!(ago(3 * 86_400 + 5), "3 days ago");
        assert_eq!(ago(86_400), "1 day ago");
        assert_eq!(ago(120), "2 minutes ago");
        assert_eq!(ago(400 * 86_400), "1 year ago");
    }
}
