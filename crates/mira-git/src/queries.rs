//! Reading git intelligence back: co-change suggestions with their evidence in words,
//! experts of a file or directory, and the history of a file.

use mira_core::config::GitConfig;
use mira_store::Db;
use serde::Serialize;

use crate::GitError;
use crate::cochange::{self, growth};
use crate::expertise::{Tally, shares};
use crate::structure::{self, Relation};

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
    /// Shared commits weighted by recency (each counts half per half-life of age).
    pub score: f64,
    /// As `score`, with each commit also weighted by its size (see
    /// [`cochange::size_discount`]): what suggestions are ranked by.
    pub weighted: f64,
    /// How the two paths relate by name, if they do (a test and its code, one directory).
    pub relation: Option<Relation>,
    /// The ranking key: `weighted`, raised for a related pair ([`cochange::strength`]).
    pub strength: f64,
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

type CochangeRow = (String, String, i64, i64, i64, f64, f64, f64, i64, f64, f64, f64);

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
                   last_cochange_at, recency_weight, sized_weight, sized_commits";
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
    let epoch = epoch.unwrap_or(now);
    let decay = Decay {
        score: growth(now, epoch, config.cochange_half_life_days),
        rank: growth(now, epoch, cochange::RANK_HALF_LIFE_DAYS),
    };
    let mut out: Vec<CochangeSuggestion> = rows
        .into_iter()
        .map(
            |(
                a,
                b,
                shared,
                commits_a,
                commits_b,
                a_to_b,
                b_to_a,
                jaccard,
                last,
                weight,
                sized,
                sized_commits,
            )| {
                let (other, commits_of_query, confidence) = if a == path {
                    (b, commits_a, a_to_b)
                } else {
                    (a, commits_b, b_to_a)
                };
                suggestion(
                    path,
                    StoredPair {
                        other,
                        shared_commits: shared as u32,
                        commits_of_query: commits_of_query as u32,
                        confidence,
                        jaccard,
                        last_cochange_at: last,
                        weight,
                        sized_weight: sized,
                        sized_commits,
                    },
                    now,
                    decay,
                )
            },
        )
        .collect();
    rank(&mut out, limit);
    Ok(out)
}

/// A stored co-change pair seen from the queried file, weights as stored (relative to
/// the decay epoch).
pub struct StoredPair {
    pub other: String,
    pub shared_commits: u32,
    pub commits_of_query: u32,
    pub confidence: f64,
    pub jaccard: f64,
    pub last_cochange_at: i64,
    pub weight: f64,
    pub sized_weight: f64,
    pub sized_commits: f64,
}

/// How much stored weights have grown from the decay epoch to now (`growth(now, epoch,
/// half_life)`), for the configured half-life (`score`) and the ranking's (`rank`).
#[derive(Debug, Clone, Copy)]
pub struct Decay {
    pub score: f64,
    pub rank: f64,
}

/// A pair as a suggestion for `path` at time `now`, with its evidence in words.
/// Public so the benchmark ranks exactly as the query does.
pub fn suggestion(path: &str, pair: StoredPair, now: i64, decay: Decay) -> CochangeSuggestion {
    let relation = structure::relation(path, &pair.other);
    let weighted = pair.sized_weight / decay.rank;
    let mut evidence = format!(
        "changed together in {} of {} commits touching {path}, last {}",
        pair.shared_commits,
        pair.commits_of_query,
        ago(now - pair.last_cochange_at)
    );
    if let Some(files) = cochange::typical_size(pair.shared_commits, pair.sized_commits) {
        evidence.push_str(&format!(", in commits of about {files} files"));
    }
    if let Some(r) = relation {
        evidence.push_str(&format!("; {}", r.describe()));
    }
    CochangeSuggestion {
        evidence,
        file: pair.other,
        shared_commits: pair.shared_commits,
        commits_of_query: pair.commits_of_query,
        confidence: pair.confidence,
        jaccard: pair.jaccard,
        last_cochange_at: pair.last_cochange_at,
        score: pair.weight / decay.score,
        weighted,
        relation,
        strength: cochange::strength(weighted, relation),
    }
}

/// Best first, by strength, then shared commits, then path; `limit` kept.
pub fn rank(suggestions: &mut Vec<CochangeSuggestion>, limit: usize) {
    suggestions.sort_by(|x, y| {
        y.strength
            .total_cmp(&x.strength)
            .then(y.shared_commits.cmp(&x.shared_commits))
            .then(x.file.cmp(&y.file))
    });
    suggestions.truncate(limit);
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
