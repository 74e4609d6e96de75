//! Past fixes for an error: normalise and fingerprint the error text, then rank the
//! commits by what the error shares with them (BM25F over the message, the changed paths
//! and the changed lines, see [`crate::fix_rank`]), the files it names, and the fixes a
//! build proved. Nothing under a floor is shown. Each answer comes with its diff.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use mira_store::Db;
use mira_store::projects::Project;
use mira_store::tokenize;
use regex::Regex;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::GitError;
use crate::fix_rank::{self, FieldTerms, Stats};
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

/// What `fixes` answers to an empty error text.
pub const EMPTY_ERROR: &str = "the error text is empty: paste the error message or stack trace \
                               (quoted, or `-` to read it from standard input)";

/// What a report with no fixes says.
pub const NO_MATCH: &str = "no past fix matches this error";

/// Commits ranked by message and paths whose diffs are then read and scored as well:
/// reading a diff costs a tree lookup and a line diff per file, so only the best few.
const CANDIDATES: usize = 120;
/// Files of a candidate whose diff is read, at most (those the error names first).
const DIFF_FILES: usize = 8;
/// A file change of more lines than this (vendored, generated) is not read.
const DIFF_LINES: u32 = 4000;
/// Nothing scoring under this is shown: below it a commit shares a word or two with the
/// error by chance (BM25 units; see docs/benchmarks.md for how it was set).
pub const FLOOR: f64 = 4.0;
/// A commit that touches every file the error names gets this much.
const NAMED_FILES_SCORE: f64 = 3.0;
/// A message that says it fixes something gets this much: a tie-breaker, not a reason.
const FIX_WORDS_SCORE: f64 = 0.5;
/// A message that quotes the error's own headline (`KeyError: 'currency'`) names this
/// very error: as strong as touching every file the error names.
const HEADLINE_SCORE: f64 = 3.0;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PastFix {
    pub commit: String,
    pub summary: String,
    pub author_name: String,
    pub committed_at: i64,
    pub score: f64,
    /// Files of the commit that the error names, else the one whose change shares most
    /// with it.
    pub files: Vec<String>,
    /// Why it ranks: which signals matched.
    pub reasons: Vec<String>,
    /// Words of the error the commit shares, the weightiest first.
    pub matched: Vec<String>,
    /// The diff of the file in `files` (or of the commit's first file).
    pub diff: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FixReport {
    pub fingerprint: String,
    pub pattern: String,
    pub fixes: Vec<PastFix>,
    /// Set when no commit scores above the floor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Does `mentioned` (as an error prints it, maybe absolute or with a prefix) name `file`
/// (a path relative to the project root)?
fn names(mentioned: &str, file: &str) -> bool {
    mentioned == file || mentioned.ends_with(&format!("/{file}")) || file.ends_with(&format!("/{mentioned}"))
}

type CommitRow = (i64, String, String, String, i64);

/// One changed file: path, old path, lines changed (None for binary).
type Change = (String, Option<String>, Option<u32>);

/// A commit in the running, with its message and paths counted.
struct Candidate {
    sha: String,
    message: String,
    author_name: String,
    committed_at: i64,
    files: Vec<Change>,
    /// Files the error names.
    named: Vec<String>,
    proven: bool,
    fields: [FieldTerms; 2],
    /// Score from message, paths and the fixed signals; the diff's comes later.
    first: f64,
}

/// The word an error printed for each stemmed term, to show `retries` and not `retri`.
fn shown_words(error: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for word in tokenize::words(error) {
        let lower = word.to_lowercase();
        // The whole identifier as printed (`ConnectionResetError`), its parts lowercased.
        out.entry(lower).or_insert_with(|| word.to_string());
        for part in tokenize::identifier_parts(word) {
            if let [t] = tokenize::terms(&part).as_slice() {
                out.entry(t.clone()).or_insert(part);
            }
        }
    }
    out
}

/// A stored file change: commit id, path, old path, lines added and removed.
type ChangeRow = (i64, String, Option<String>, Option<i64>, Option<i64>);

/// Ranks past fixes for `error` in a project's indexed history and records the links.
pub async fn find(db: &Db, project: &Project, error: &str, limit: usize) -> Result<FixReport, GitError> {
    if error.trim().is_empty() {
        return Err(GitError::BadInput(EMPTY_ERROR.into()));
    }
    let pattern = normalize(error);
    let print = fingerprint(error);
    let mentioned = mentioned_files(error);
    let headline = headline(error);
    let terms = fix_rank::query_terms(error);
    let index: HashMap<String, u32> = terms
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), i as u32))
        .collect();
    let commits: Vec<CommitRow> = sqlx::query_as(
        "SELECT id, sha, message, author_name, committed_at FROM git_commits WHERE project_id = ? AND is_merge = 0 \
         ORDER BY committed_at DESC",
    )
    .bind(project.id)
    .fetch_all(db.pool())
    .await?;
    let changes: Vec<ChangeRow> = sqlx::query_as(
        "SELECT commit_id, path, old_path, lines_added, lines_removed FROM git_file_changes WHERE project_id = ?",
    )
    .bind(project.id)
    .fetch_all(db.pool())
    .await?;
    // Commits that build integration saw fix this error (a failing run, then a passing
    // one after them) are the strongest evidence. A pasted error often carries more
    // lines than the recorded one, so each line's fingerprint counts too.
    let mut prints = vec![print.clone()];
    prints.extend(error.lines().filter(|l| !l.trim().is_empty()).map(fingerprint));
    let mut from_builds = HashSet::new();
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
    let mut files_of: HashMap<i64, Vec<Change>> = HashMap::new();
    for (commit_id, path, old_path, added, removed) in changes {
        let lines = added
            .zip(removed)
            .map(|(a, r)| (a + r).clamp(0, u32::MAX as i64) as u32);
        files_of
            .entry(commit_id)
            .or_default()
            .push((path, old_path, lines));
    }

    // Stage one: every commit by its message and the paths it changed.
    let mut path_terms: HashMap<String, FieldTerms> = HashMap::new();
    let mut candidates: Vec<Candidate> = Vec::with_capacity(commits.len());
    for (id, sha, message, author_name, committed_at) in commits {
        let files = files_of.remove(&id).unwrap_or_default();
        let mut msg = FieldTerms::default();
        fix_rank::count(&message, &index, &mut msg);
        let mut paths = FieldTerms::default();
        for (path, old, _) in &files {
            for p in std::iter::once(path).chain(old) {
                let counted = path_terms.entry(p.clone()).or_insert_with(|| {
                    let mut f = FieldTerms::default();
                    fix_rank::count(p, &index, &mut f);
                    f
                });
                paths.len += counted.len;
                for (&t, &n) in &counted.counts {
                    *paths.counts.entry(t).or_default() += n;
                }
            }
        }
        let named: Vec<String> = files
            .iter()
            .filter(|(path, old, _)| {
                mentioned
                    .iter()
                    .any(|m| names(m, path) || old.as_deref().is_some_and(|o| names(m, o)))
            })
            .map(|(path, _, _)| path.clone())
            .collect();
        candidates.push(Candidate {
            proven: from_builds.contains(&sha),
            sha,
            message,
            author_name,
            committed_at,
            files,
            named,
            fields: [msg, paths],
            first: 0.0,
        });
    }
    let message_stats = Stats::of(terms.len(), candidates.iter().map(|c| &c.fields[0]));
    let path_stats = Stats::of(terms.len(), candidates.iter().map(|c| &c.fields[1]));
    for c in &mut candidates {
        let s = fix_rank::score(
            &[Some(&c.fields[0]), Some(&c.fields[1]), None],
            &[Some(&message_stats), Some(&path_stats), None],
        );
        c.first = s.score + fixed_signals(c, mentioned.len(), headline.as_deref());
    }
    // Best first; among equals, the most recent (the list came newest first).
    candidates.sort_by(|a, b| b.proven.cmp(&a.proven).then(b.first.total_cmp(&a.first)));
    candidates.truncate(CANDIDATES);

    // Stage two: the lines the candidates' diffs added and removed, read from the
    // repository (the index keeps line counts, not lines).
    let root = project.root.clone();
    let index_for_diffs = index.clone();
    let read = tokio::task::spawn_blocking(move || {
        let repo = Repo::discover(&root).ok();
        candidates
            .into_iter()
            .map(|c| {
                let (diff_terms, diff, file) = match &repo {
                    Some(repo) => read_diffs(repo, &c, &index_for_diffs),
                    None => (FieldTerms::default(), None, None),
                };
                (c, diff_terms, diff, file)
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| GitError::Git(e.to_string()))?;
    let diff_stats = Stats::of(terms.len(), read.iter().map(|r| &r.1));
    let shown = shown_words(error);
    let word = |t: u32| {
        let term = &terms[t as usize];
        shown.get(term).cloned().unwrap_or_else(|| term.clone())
    };

    let mut ranked: Vec<(bool, PastFix)> = Vec::new();
    for (c, diff_terms, diff, best_file) in read {
        let s = fix_rank::score(
            &[Some(&c.fields[0]), Some(&c.fields[1]), Some(&diff_terms)],
            &[Some(&message_stats), Some(&path_stats), Some(&diff_stats)],
        );
        let score = s.score + fixed_signals(&c, mentioned.len(), headline.as_deref());
        let mut matched: Vec<String> = Vec::new();
        let mut by_field: [Vec<String>; fix_rank::FIELDS] = Default::default();
        for &(t, field, _) in &s.parts {
            let w = word(t);
            if !matched.contains(&w) {
                matched.push(w.clone());
            }
            if by_field[field].len() < 6 && !by_field[field].contains(&w) {
                by_field[field].push(w);
            }
        }
        // A word or two in common is chance: a fix needs a few, or a named file.
        let specific = matched.len() >= 2 || !c.named.is_empty();
        if !c.proven && (score < FLOOR || !specific) {
            continue;
        }
        let mut reasons = Vec::new();
        if c.proven {
            reasons.push("a failing build passed after this commit".to_string());
        }
        if !c.named.is_empty() {
            reasons.push(format!("touches {}", c.named.join(", ")));
        }
        for (field, label) in [
            (fix_rank::MESSAGE, "message"),
            (fix_rank::DIFF, "changed lines"),
            (fix_rank::PATHS, "changed paths"),
        ] {
            if !by_field[field].is_empty() {
                let list: Vec<String> = by_field[field].iter().map(|w| format!("`{w}`")).collect();
                reasons.push(format!("{label} share {}", list.join(", ")));
            }
        }
        matched.truncate(12);
        let files = if c.named.is_empty() {
            best_file.into_iter().collect()
        } else {
            c.named.clone()
        };
        ranked.push((
            c.proven,
            PastFix {
                summary: c.message.lines().next().unwrap_or("").to_string(),
                commit: c.sha,
                author_name: c.author_name,
                committed_at: c.committed_at,
                score: (score * 100.0).round() / 100.0,
                files,
                reasons,
                matched,
                diff,
            },
        ));
    }
    // A fix a build proved comes first; then by score, among equals the most recent.
    ranked.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(b.1.score.total_cmp(&a.1.score))
            .then(b.1.committed_at.cmp(&a.1.committed_at))
    });
    ranked.truncate(limit);
    let fixes: Vec<PastFix> = ranked.into_iter().map(|r| r.1).collect();

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
        note: fixes.is_empty().then(|| NO_MATCH.to_string()),
        fixes,
    })
}

/// The line of an error that says what went wrong (`KeyError: 'currency'`), lower-cased:
/// the first line shaped `Name: message` that is not a frame or a traceback header.
fn headline(error: &str) -> Option<String> {
    error
        .lines()
        .map(str::trim)
        .find(|l| {
            l.len() >= 8
                && !l.starts_with("File ")
                && !l.starts_with("Traceback")
                && l.split_once(": ").is_some_and(|(name, _)| {
                    !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || "._:".contains(c))
                })
        })
        .map(str::to_lowercase)
}

/// What does not come from term matches: a build's proof, the files the error names, a
/// message that says "fix".
fn fixed_signals(c: &Candidate, mentioned: usize, headline: Option<&str>) -> f64 {
    let mut s = 0.0;
    if headline.is_some_and(|h| c.message.to_lowercase().contains(h)) {
        s += HEADLINE_SCORE;
    }
    if c.proven {
        s += BUILD_FIX_SCORE;
    }
    if mentioned > 0 && !c.named.is_empty() {
        s += NAMED_FILES_SCORE * c.named.len().min(mentioned) as f64 / mentioned as f64;
    }
    if FIX_WORDS.is_match(&c.message) {
        s += FIX_WORDS_SCORE;
    }
    s
}

/// Counts the query's terms in the lines a candidate's diffs added and removed; answers
/// them with the diff and path of the file that shares most with the error (a named file
/// first).
fn read_diffs(
    repo: &Repo,
    c: &Candidate,
    index: &HashMap<String, u32>,
) -> (FieldTerms, Option<String>, Option<String>) {
    let mut files: Vec<&Change> = c
        .files
        .iter()
        .filter(|f| f.2.is_some_and(|n| n <= DIFF_LINES))
        .collect();
    files.sort_by_key(|f| !c.named.contains(&f.0));
    files.truncate(DIFF_FILES);
    let mut all = FieldTerms::default();
    let mut best: Option<(usize, String, String)> = None;
    for (i, (path, old, _)) in files.into_iter().enumerate() {
        let Ok(Some(diff)) = repo.file_diff(&c.sha, path, old.as_deref()) else {
            continue;
        };
        let mut this = FieldTerms::default();
        for line in diff.lines() {
            let changed = (line.starts_with('+') && !line.starts_with("+++"))
                || (line.starts_with('-') && !line.starts_with("---"));
            if changed {
                fix_rank::count(&line[1..], index, &mut this);
            }
        }
        // A named file is always the one shown; else the one with most shared words.
        let weight = if c.named.contains(path) {
            usize::MAX - i
        } else {
            this.counts.len()
        };
        if best.as_ref().is_none_or(|b| weight > b.0) {
            best = Some((weight, diff, path.clone()));
        }
        all.len += this.len;
        for (t, n) in this.counts {
            *all.counts.entry(t).or_default() += n;
        }
    }
    match best {
        Some((_, diff, path)) => (all, Some(diff), Some(path)),
        None => (all, None, None),
    }
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
