//! Past fixes for an error: normalise and fingerprint the error text, then rank the
//! commits that probably fixed errors like it, by what their message says, the files the
//! error names, and the words they share. Each answer comes with the diff that fixed it.

use std::sync::LazyLock;

use mira_store::Db;
use mira_store::projects::Project;
use regex::Regex;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::GitError;
use crate::history::Repo;

static HEX: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b0x[0-9a-fA-F]+\b").expect("valid"));
static TEMP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(/tmp|/var/folders|\\Temp)[/\\][^\s:'`]+").expect("valid"));
static PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:[A-Za-z]:[/\\]|/)?(?:[\w.@-]+[/\\])+[\w.@-]+\.[A-Za-z0-9]{1,8}").expect("valid")
});
static LINE_COL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r":\d+(?::\d+)?").expect("valid"));
static LINE_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(line|column|col)\s+\d+").expect("valid"));
static IDENT_DIGITS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"([A-Za-z_])\d+").expect("valid"));
static NUMBER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b\d+\b").expect("valid"));
static SPACE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\s+").expect("valid"));
static QUOTED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"[`'"]([A-Za-z_][\w:.]*)[`'"]"#).expect("valid"));
static FIX_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(fix(e[sd])?|bug|resolve[sd]?|close[sd]?|repair|patch|hotfix|crash|regression)\b")
        .expect("valid")
});

/// The score of a commit that build integration saw fix an error (recorded by
/// mira-build in `historical_fixes` with source `build`).
pub const BUILD_FIX_SCORE: f64 = 10.0;

/// The error with everything that varies between occurrences replaced: temp names,
/// paths, line and column numbers, hex addresses, numbers in identifiers.
pub fn normalize(error: &str) -> String {
    let text = TEMP.replace_all(error, "<tmp>");
    let text = PATH.replace_all(&text, "<path>");
    let text = HEX.replace_all(&text, "<hex>");
    let text = LINE_COL.replace_all(&text, ":<n>");
    let text = LINE_WORD.replace_all(&text, "$1 <n>");
    let text = IDENT_DIGITS.replace_all(&text, "$1<n>");
    let text = NUMBER.replace_all(&text, "<n>");
    SPACE.replace_all(text.trim(), " ").into_owned()
}

/// A short stable id of the normalised error.
pub fn fingerprint(error: &str) -> String {
    let digest = Sha256::digest(normalize(error).as_bytes());
    format!("{digest:x}")[..16].to_string()
}

/// Files an error names (`src/auth.rs:12:5` gives `src/auth.rs`).
pub fn mentioned_files(error: &str) -> Vec<String> {
    let mut out: Vec<String> = PATH
        .find_iter(error)
        .map(|m| m.as_str().trim_start_matches("./").replace('\\', "/"))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Identifiers an error quotes, the words most specific to it.
pub fn quoted_words(error: &str) -> Vec<String> {
    let mut out: Vec<String> = QUOTED
        .captures_iter(error)
        .map(|c| c[1].to_ascii_lowercase())
        .filter(|w| w.len() >= 3)
        .collect();
    out.sort();
    out.dedup();
    out
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PastFix {
    pub commit: String,
    pub summary: String,
    pub author_name: String,
    pub committed_at: i64,
    pub score: f64,
    /// Files of the commit that the error names.
    pub files: Vec<String>,
    /// Why it ranks: which signals matched.
    pub reasons: Vec<String>,
    /// The diff of the first matching file (or of the commit's first file).
    pub diff: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FixReport {
    pub fingerprint: String,
    pub pattern: String,
    pub fixes: Vec<PastFix>,
}

/// Does `mentioned` (as an error prints it, maybe absolute or with a prefix) name `file`
/// (a path relative to the project root)?
fn names(mentioned: &str, file: &str) -> bool {
    mentioned == file || mentioned.ends_with(&format!("/{file}")) || file.ends_with(&format!("/{mentioned}"))
}

type CommitRow = (i64, String, String, String, i64);

/// Ranks past fixes for `error` in a project's indexed history and records the links.
pub async fn find(db: &Db, project: &Project, error: &str, limit: usize) -> Result<FixReport, GitError> {
    let pattern = normalize(error);
    let print = fingerprint(error);
    let mentioned = mentioned_files(error);
    let words = quoted_words(error);
    let commits: Vec<CommitRow> = sqlx::query_as(
        "SELECT id, sha, message, author_name, committed_at FROM git_commits WHERE project_id = ? AND is_merge = 0 \
         ORDER BY committed_at DESC",
    )
    .bind(project.id)
    .fetch_all(db.pool())
    .await?;
    let changes: Vec<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT commit_id, path, old_path FROM git_file_changes WHERE project_id = ?")
            .bind(project.id)
            .fetch_all(db.pool())
            .await?;
    // Commits that build integration saw fix this error (a failing run, then a passing
    // one after them) are the strongest evidence. A pasted error often carries more
    // lines than the recorded one, so each line's fingerprint counts too.
    let mut prints = vec![print.clone()];
    prints.extend(error.lines().filter(|l| !l.trim().is_empty()).map(fingerprint));
    let mut from_builds = std::collections::HashSet::new();
    for p in &prints {
        let shas: Vec<String> = sqlx::query_scalar(
            "SELECT commit_sha FROM historical_fixes WHERE project_id = ? AND error_fingerprint = ? AND source = 'build'",
        )
        .bind(project.id)
        .bind(p)
        .fetch_all(db.pool())
        .await?;
        from_builds.extend(shas);
    }
    let mut files_of: std::collections::HashMap<i64, Vec<(String, Option<String>)>> = Default::default();
    for (commit_id, path, old_path) in changes {
        files_of.entry(commit_id).or_default().push((path, old_path));
    }
    let mut ranked: Vec<(PastFix, Option<String>)> = Vec::new();
    for (id, sha, message, author_name, committed_at) in commits {
        let files = files_of.remove(&id).unwrap_or_default();
        let matched: Vec<String> = files
            .iter()
            .filter(|(path, old)| {
                mentioned
                    .iter()
                    .any(|m| names(m, path) || old.as_deref().is_some_and(|o| names(m, o)))
            })
            .map(|(path, _)| path.clone())
            .collect();
        let mut score = 0.0;
        let mut reasons = Vec::new();
        if from_builds.contains(&sha) {
            score += BUILD_FIX_SCORE;
            reasons.push("a failing build passed after this commit".to_string());
        }
        if FIX_WORDS.is_match(&message) {
            score += 2.0;
            reasons.push("message says it fixes something".to_string());
        }
        if !mentioned.is_empty() && !matched.is_empty() {
            score += 3.0 * matched.len() as f64 / mentioned.len() as f64;
            reasons.push(format!("touches {}", matched.join(", ")));
        }
        let lower = message.to_ascii_lowercase();
        let shared: Vec<&String> = words.iter().filter(|w| lower.contains(w.as_str())).collect();
        if !shared.is_empty() {
            score += shared.len() as f64;
            reasons.push(format!(
                "message mentions {}",
                shared
                    .iter()
                    .map(|w| format!("`{w}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        // A commit must say it fixes something or touch a file the error names.
        if score < 2.0 {
            continue;
        }
        let diff_target = matched
            .first()
            .cloned()
            .or_else(|| files.first().map(|f| f.0.clone()));
        let old = diff_target
            .as_ref()
            .and_then(|t| files.iter().find(|f| &f.0 == t).and_then(|f| f.1.clone()));
        ranked.push((
            PastFix {
                commit: sha,
                summary: message.lines().next().unwrap_or("").to_string(),
                author_name,
                committed_at,
                score,
                files: matched,
                reasons,
                diff: diff_target,
            },
            old,
        ));
    }
    // Best first; among equals, the most recent.
    ranked.sort_by(|a, b| {
        b.0.score
            .total_cmp(&a.0.score)
            .then(b.0.committed_at.cmp(&a.0.committed_at))
    });
    ranked.truncate(limit);

    // Diffs come from the repository, only for the few shown.
    let root = project.root.clone();
    let fixes = tokio::task::spawn_blocking(move || {
        let repo = Repo::discover(&root).ok();
        ranked
            .into_iter()
            .map(|(mut fix, old)| {
                fix.diff = match (&repo, fix.diff.take()) {
                    (Some(repo), Some(path)) => {
                        repo.file_diff(&fix.commit, &path, old.as_deref()).ok().flatten()
                    }
                    _ => None,
                };
                fix
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| GitError::Git(e.to_string()))?;

    let mut tx = db.pool().begin().await?;
    for fix in &fixes {
        sqlx::query(
            "INSERT INTO historical_fixes (project_id, error_fingerprint, error_pattern, commit_sha, score, files, source, recorded_at) \
             VALUES (?, ?, ?, ?, ?, ?, 'history', ?) ON CONFLICT (project_id, error_fingerprint, commit_sha) DO UPDATE SET \
             score = excluded.score, files = excluded.files, recorded_at = excluded.recorded_at",
        )
        .bind(project.id)
        .bind(&print)
        .bind(&pattern)
        .bind(&fix.commit)
        .bind(fix.score)
        .bind(serde_json::to_string(&fix.files).unwrap_or_else(|_| "[]".into()))
        .bind(chrono::Utc::now().timestamp())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(FixReport {
        fingerprint: print,
        pattern,
        fixes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn occurrences_of_one_error_share_a_fingerprint() {
        let a = "error[E0425]: cannot find value `tok3n` in this scope\n --> /home/ann/proj/src/auth.rs:12:5";
        let b = "error[E0425]: cannot find value `tok7n` in this scope\n --> /build/x/src/auth.rs:48:17";
        assert_eq!(normalize(a), normalize(b));
        assert_eq!(fingerprint(a), fingerprint(b));
        let other = "error[E0308]: mismatched types\n --> src/auth.rs:12:5";
        assert_ne!(fingerprint(a), fingerprint(other));
    }

    #[test]
    fn normalisation_replaces_what_varies() {
        let text =
            "panic at 0x7ffdeadbeef in /tmp/cargo-abc123/foo.rs line 42: Worker17 failed after 3 tries";
        assert_eq!(
            normalize(text),
            "panic at <hex> in <tmp> line <n>: Worker<n> failed after <n> tries"
        );
    }

    #[test]
    fn files_and_quoted_words_are_extracted() {
        let error =
            "src/auth/token.rs:10:3: error: `validate_expiry` not found\n  in ./tests/auth_test.py line 3";
        assert_eq!(
            mentioned_files(error),
            vec!["src/auth/token.rs", "tests/auth_test.py"]
        );
        assert_eq!(quoted_words(error), vec!["validate_expiry"]);
        assert!(names("/home/x/proj/src/a.rs", "src/a.rs"));
        assert!(!names("src/ba.rs", "a.rs"));
    }
}
