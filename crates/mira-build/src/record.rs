//! A run from start to stored result: the `build_runs` row goes in as `running` (so the
//! UI sees it at once), the command runs, and one transaction stores its errors
//! (deduplicated by hash), snapshots of the files they point at, its log, and the
//! resolutions of errors that an earlier run of the same command reported and this one
//! did not.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use mira_core::config::BuildConfig;
use mira_store::Db;
use mira_store::projects::Project;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use crate::diagnostic::{Diagnostic, Severity, Tool};
use crate::fingerprint::{error_hash, error_text, normalized_message};
use crate::queries::{self, RunSummary};
use crate::runner::{self, Finished, OnOutput, RunRequest, RunStatus};
use crate::{BuildError, gitinfo};

/// Files larger than this are not snapshotted (a diff of them would not be read).
const SNAPSHOT_MAX_BYTES: u64 = 1 << 20;

/// An error a run no longer reported, with what changed since the run that did.
#[derive(Debug, Clone, Serialize)]
pub struct Resolved {
    pub error_id: i64,
    pub message: String,
    pub file: Option<String>,
    pub failing_run_id: i64,
    pub commits: Vec<String>,
    pub files: Vec<String>,
    pub diff: Option<String>,
    /// The work tree was the same as in the failing run (same HEAD, same changes, same
    /// untracked files): the environment changed or the failure was flaky. Not a fix.
    pub unchanged: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunOutcome {
    pub run: RunSummary,
    pub diagnostics: Vec<Diagnostic>,
    /// Errors seen for the first time.
    pub new_errors: usize,
    /// Errors that had been resolved and came back.
    pub recurring: Vec<i64>,
    pub resolved: Vec<Resolved>,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Runs `request` in the project and records everything about it.
pub async fn run(
    db: &Db,
    project: &Project,
    config: &BuildConfig,
    request: RunRequest,
    on_output: OnOutput,
    cancel: CancellationToken,
) -> Result<RunOutcome, BuildError> {
    if request.argv.is_empty() {
        return Err(BuildError::EmptyCommand);
    }
    let tool = crate::detect::tool_of(&request.argv);
    let run_id = start(db, project, &request, tool).await?;
    run_started(db, project, config, request, tool, run_id, on_output, cancel).await
}

/// Inserts the `running` row; the caller gets its id before the command starts.
pub async fn start(
    db: &Db,
    project: &Project,
    request: &RunRequest,
    tool: Option<Tool>,
) -> Result<i64, BuildError> {
    let command = serde_json::to_string(&request.argv).expect("strings serialise");
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO build_runs (project_id, command, command_line, dir, tool, status, started_at) \
         VALUES (?, ?, ?, ?, ?, 'running', ?) RETURNING id",
    )
    .bind(project.id)
    .bind(command)
    .bind(request.command_line())
    .bind(&request.dir)
    .bind(tool.map(|t| t.as_str()))
    .bind(now_ms())
    .fetch_one(db.pool())
    .await?;
    Ok(id)
}

/// Runs the command of a row made by [`start`] and stores the result.
#[allow(clippy::too_many_arguments)]
pub async fn run_started(
    db: &Db,
    project: &Project,
    config: &BuildConfig,
    request: RunRequest,
    tool: Option<Tool>,
    run_id: i64,
    on_output: OnOutput,
    cancel: CancellationToken,
) -> Result<RunOutcome, BuildError> {
    // The commit and dirty state are read while the command runs, so they add no time.
    let root = project.root.clone();
    let git_state = tokio::spawn(async move { gitinfo::state(&root).await });
    let timeout = request.timeout.unwrap_or(config.timeout);
    let finished = runner::execute(
        &project.root,
        &request,
        tool,
        timeout,
        config.log_max_bytes,
        on_output,
        cancel,
    )
    .await;
    let state = git_state.await.unwrap_or_default();
    let finished = match finished {
        Ok(f) => f,
        Err(e) => {
            sqlx::query(
                "UPDATE build_runs SET status = 'failed_to_start', failure = ?, finished_at = ?, duration_ms = 0, \
                 commit_sha = ?, dirty = ?, worktree = ? WHERE id = ?",
            )
            .bind(e.to_string())
            .bind(now_ms())
            .bind(&state.head)
            .bind(state.dirty)
            .bind(&state.worktree)
            .bind(run_id)
            .execute(db.pool())
            .await?;
            return Err(e);
        }
    };
    let mut finished = finished;
    for d in &mut finished.diagnostics {
        rebase(&project.root, &request.dir, d);
    }
    store(db, project, run_id, tool, finished, state).await
}

/// Makes a diagnostic's paths relative to the project root: tools print them relative
/// to where they ran, or absolute.
fn rebase(root: &Path, dir: &str, d: &mut Diagnostic) {
    let fix = |file: &str| -> String {
        let path = Path::new(file);
        if path.is_absolute() {
            return path
                .strip_prefix(root)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_else(|_| file.to_string());
        }
        if dir.is_empty() {
            return file.to_string();
        }
        let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
        for part in file.split('/') {
            match part {
                "." | "" => {}
                ".." => {
                    parts.pop();
                }
                p => parts.push(p),
            }
        }
        parts.join("/")
    };
    if let Some(f) = d.file.take() {
        d.file = Some(fix(&f));
    }
    for r in &mut d.related {
        r.file = fix(&r.file);
    }
}

/// A failed run whose output no parser understood still failed: it is recorded as one
/// error carrying the last lines of output, so it shows, recurs and resolves like any
/// other, and the context oracle sees why the build is red.
fn unexplained_failure(finished: &Finished, tool: Option<Tool>) -> Option<Diagnostic> {
    if finished.status != RunStatus::Failed
        || finished.diagnostics.iter().any(|d| d.severity == Severity::Error)
    {
        return None;
    }
    let text = String::from_utf8_lossy(&finished.log);
    let mut tail: Vec<&str> = text
        .lines()
        .rev()
        .filter(|l| !l.trim().is_empty())
        .take(20)
        .collect();
    tail.reverse();
    let status = finished.failure.as_deref().unwrap_or("failed");
    let mut d = Diagnostic::new(
        tool.unwrap_or(Tool::Generic),
        Severity::Error,
        format!("the command {status} without an error Mira could read"),
    )
    .with_code("exit");
    d.notes = tail.into_iter().map(crate::parse::strip_ansi).collect();
    Some(d)
}

/// The most common tool among the diagnostics, for commands that did not say.
fn tool_from_output(diagnostics: &[Diagnostic]) -> Option<Tool> {
    let mut counts: HashMap<Tool, usize> = HashMap::new();
    for d in diagnostics.iter().filter(|d| d.tool != Tool::Generic) {
        *counts.entry(d.tool).or_default() += 1;
    }
    counts.into_iter().max_by_key(|(_, n)| *n).map(|(t, _)| t)
}

fn sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// A file a diagnostic names, if it is inside the project: its path relative to the root.
fn project_file(root: &Path, file: &str) -> Option<String> {
    let path = Path::new(file);
    let rel = if path.is_absolute() {
        path.strip_prefix(root).ok()?.to_path_buf()
    } else {
        path.to_path_buf()
    };
    if rel
        .components()
        .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return None;
    }
    Some(rel.to_string_lossy().replace('\\', "/"))
}

async fn read_small(root: &Path, rel: &str) -> Option<Vec<u8>> {
    let path = root.join(rel);
    let meta = tokio::fs::metadata(&path).await.ok()?;
    if !meta.is_file() || meta.len() > SNAPSHOT_MAX_BYTES {
        return None;
    }
    tokio::fs::read(&path).await.ok()
}

#[derive(sqlx::FromRow)]
struct CandidateRow {
    id: i64,
    message: String,
    file: Option<String>,
    failing_run: i64,
    commit_sha: Option<String>,
    worktree: Option<String>,
    error_hash: String,
    code: Option<String>,
    severity: String,
    tool: String,
}

/// An unresolved error that an earlier run of this command reported.
struct Candidate {
    id: i64,
    message: String,
    file: Option<String>,
    failing_run: i64,
    failing_commit: Option<String>,
    /// The work tree the failing run started from and the same as this run's.
    unchanged: bool,
    error_text: String,
}

/// Unified diff of `file` from its snapshot at `run` to its content now.
async fn diff_since(
    db: &Db,
    root: &Path,
    run: i64,
    file: &str,
    now: Option<&[u8]>,
) -> Result<Option<String>, BuildError> {
    let before: Option<Vec<u8>> = sqlx::query_scalar(
        "SELECT c.content FROM build_file_snapshots s JOIN build_file_contents c \
         ON c.project_id = s.project_id AND c.content_hash = s.content_hash WHERE s.run_id = ? AND s.path = ?",
    )
    .bind(run)
    .bind(file)
    .fetch_optional(db.pool())
    .await?;
    let Some(before) = before else {
        return Ok(None);
    };
    let after = match now {
        Some(b) => b.to_vec(),
        None => read_small(root, file).await.unwrap_or_default(),
    };
    if before == after {
        return Ok(None);
    }
    let (old, new) = (String::from_utf8_lossy(&before), String::from_utf8_lossy(&after));
    let diff = similar::TextDiff::from_lines(old.as_ref(), new.as_ref())
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{file}"), &format!("b/{file}"))
        .to_string();
    Ok(Some(diff))
}

async fn store(
    db: &Db,
    project: &Project,
    run_id: i64,
    tool: Option<Tool>,
    mut finished: Finished,
    state: gitinfo::GitState,
) -> Result<RunOutcome, BuildError> {
    let root = &project.root;
    let gitinfo::GitState {
        head: commit,
        dirty,
        worktree,
    } = state;
    let now = now_ms();
    let tool = tool.or_else(|| tool_from_output(&finished.diagnostics));
    if let Some(d) = unexplained_failure(&finished, tool) {
        finished.diagnostics.push(d);
    }
    let count = |s: Severity| finished.diagnostics.iter().filter(|d| d.severity == s).count() as i64;
    let (errors, warnings, infos) = (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
    );
    let hashes: Vec<String> = finished.diagnostics.iter().map(error_hash).collect();
    let reported: HashSet<&str> = hashes.iter().map(String::as_str).collect();

    // Snapshots of the files the diagnostics point at, read before the transaction.
    let mut snapshots: Vec<(String, String, Vec<u8>)> = Vec::new();
    let mut seen_files = HashSet::new();
    for d in &finished.diagnostics {
        let Some(rel) = d.file.as_deref().and_then(|f| project_file(root, f)) else {
            continue;
        };
        if seen_files.insert(rel.clone())
            && let Some(content) = read_small(root, &rel).await
        {
            snapshots.push((rel, sha256(&content), content));
        }
    }

    // Errors of earlier runs of this command that this run did not report.
    let mut resolved = Vec::new();
    if finished.status.completed() {
        // Unresolved errors that an earlier run of this command line (in this dir)
        // reported, with the latest such run: the one the fix is measured from.
        let rows: Vec<CandidateRow> = sqlx::query_as(
            "SELECT e.id, e.message, e.file, f.run_id AS failing_run, \
             (SELECT commit_sha FROM build_runs WHERE id = f.run_id) AS commit_sha, \
             (SELECT worktree FROM build_runs WHERE id = f.run_id) AS worktree, \
             e.error_hash, e.code, e.severity, e.tool \
             FROM build_errors e JOIN ( \
               SELECT o.error_id, MAX(o.run_id) AS run_id FROM build_error_occurrences o \
               JOIN build_runs r ON r.id = o.run_id \
               WHERE o.project_id = ? AND r.id != ? \
               AND (r.command_line, r.dir) = (SELECT command_line, dir FROM build_runs WHERE id = ?) \
               GROUP BY o.error_id \
             ) f ON f.error_id = e.id \
             WHERE e.resolved_at IS NULL",
        )
        .bind(project.id)
        .bind(run_id)
        .bind(run_id)
        .fetch_all(db.pool())
        .await?;
        let candidates: Vec<Candidate> = rows
            .into_iter()
            .filter(|r| !reported.contains(r.error_hash.as_str()))
            .map(|r| {
                let d = Diagnostic {
                    code: r.code,
                    ..Diagnostic::new(
                        Tool::parse(&r.tool).unwrap_or(Tool::Generic),
                        Severity::parse(&r.severity).unwrap_or(Severity::Error),
                        r.message.clone(),
                    )
                };
                Candidate {
                    id: r.id,
                    message: r.message,
                    file: r.file,
                    failing_run: r.failing_run,
                    failing_commit: r.commit_sha,
                    unchanged: worktree.is_some() && r.worktree == worktree,
                    error_text: error_text(&d),
                }
            })
            .collect();
        for c in candidates {
            let commits = match (&c.failing_commit, &commit) {
                (Some(from), Some(to)) => gitinfo::commits_between(root, from, to).await,
                _ => Vec::new(),
            };
            let mut files = match &c.failing_commit {
                Some(from) if !commits.is_empty() => gitinfo::changed_files(root, from).await,
                _ => Vec::new(),
            };
            let rel = c.file.as_deref().and_then(|f| project_file(root, f));
            let now_content = rel
                .as_ref()
                .and_then(|r| snapshots.iter().find(|s| &s.0 == r).map(|s| s.2.as_slice()));
            let diff = match &rel {
                Some(r) if !c.unchanged => diff_since(db, root, c.failing_run, r, now_content).await?,
                _ => None,
            };
            if let Some(r) = &rel
                && diff.is_some()
                && !files.contains(r)
            {
                files.push(r.clone());
            }
            resolved.push((c, commits, files, diff));
        }
    }

    let mut tx = db.pool().begin().await?;
    let mut new_errors = 0;
    let mut recurring = Vec::new();
    for (seq, (d, hash)) in finished.diagnostics.iter().zip(&hashes).enumerate() {
        let existing: Option<(i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT id, last_run_id, resolved_at FROM build_errors WHERE project_id = ? AND error_hash = ?",
        )
        .bind(project.id)
        .bind(hash)
        .fetch_optional(&mut *tx)
        .await?;
        let error_id = match existing {
            Some((id, last_run, resolved_at)) => {
                let new_run = i64::from(last_run != run_id);
                let reopened = i64::from(resolved_at.is_some());
                if reopened == 1 {
                    recurring.push(id);
                }
                sqlx::query(
                    "UPDATE build_errors SET occurrences = occurrences + 1, run_count = run_count + ?, \
                     reopened = reopened + ?, resolved_at = NULL, resolved_run_id = NULL, message = ?, \
                     line = ?, column = ?, last_seen_at = ?, last_run_id = ? WHERE id = ?",
                )
                .bind(new_run)
                .bind(reopened)
                .bind(&d.message)
                .bind(d.line)
                .bind(d.column)
                .bind(now)
                .bind(run_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                id
            }
            None => {
                new_errors += 1;
                sqlx::query_scalar(
                    "INSERT INTO build_errors (project_id, error_hash, tool, severity, code, message, normalized, \
                     fingerprint, file, line, column, occurrences, run_count, first_seen_at, last_seen_at, \
                     first_run_id, last_run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1, ?, ?, ?, ?) RETURNING id",
                )
                .bind(project.id)
                .bind(hash)
                .bind(d.tool.as_str())
                .bind(d.severity.as_str())
                .bind(&d.code)
                .bind(&d.message)
                .bind(normalized_message(&d.message))
                .bind(mira_git::fixes::fingerprint(&error_text(d)))
                .bind(&d.file)
                .bind(d.line)
                .bind(d.column)
                .bind(now)
                .bind(now)
                .bind(run_id)
                .bind(run_id)
                .fetch_one(&mut *tx)
                .await?
            }
        };
        sqlx::query(
            "INSERT INTO build_error_occurrences (run_id, seq, project_id, error_id, line, column, diagnostic) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(run_id)
        .bind(seq as i64)
        .bind(project.id)
        .bind(error_id)
        .bind(d.line)
        .bind(d.column)
        .bind(serde_json::to_string(d).expect("diagnostics serialise"))
        .execute(&mut *tx)
        .await?;
    }
    for (path, hash, content) in &snapshots {
        sqlx::query(
            "INSERT INTO build_file_contents (project_id, content_hash, content) VALUES (?, ?, ?) \
             ON CONFLICT DO NOTHING",
        )
        .bind(project.id)
        .bind(hash)
        .bind(content)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT OR REPLACE INTO build_file_snapshots (run_id, path, project_id, content_hash) VALUES (?, ?, ?, ?)")
            .bind(run_id)
            .bind(path)
            .bind(project.id)
            .bind(hash)
            .execute(&mut *tx)
            .await?;
    }
    let mut resolved_out = Vec::new();
    for (c, commits, files, diff) in resolved {
        // Another run may have settled it meanwhile; only the first one records it.
        let updated = sqlx::query(
            "UPDATE build_errors SET resolved_at = ?, resolved_run_id = ? WHERE id = ? AND resolved_at IS NULL",
        )
        .bind(now)
        .bind(run_id)
        .bind(c.id)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            continue;
        }
        sqlx::query(
            "INSERT INTO error_resolutions (project_id, error_id, failing_run_id, fixing_run_id, from_commit, to_commit, \
             commits, files, diff, resolved_at, unchanged) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(project.id)
        .bind(c.id)
        .bind(c.failing_run)
        .bind(run_id)
        .bind(&c.failing_commit)
        .bind(&commit)
        .bind(serde_json::to_string(&commits).expect("strings serialise"))
        .bind(serde_json::to_string(&files).expect("strings serialise"))
        .bind(&diff)
        .bind(now)
        .bind(c.unchanged)
        .execute(&mut *tx)
        .await?;
        // The commits between a failing and a passing run fixed it: git intelligence's
        // `mira fixes` finds them under the error's fingerprint.
        let linked: Vec<&String> = c.file.iter().collect();
        for sha in &commits {
            sqlx::query(
                "INSERT INTO historical_fixes (project_id, error_fingerprint, error_pattern, commit_sha, score, files, source, recorded_at) \
                 VALUES (?, ?, ?, ?, ?, ?, 'build', ?) ON CONFLICT (project_id, error_fingerprint, commit_sha) DO UPDATE SET \
                 score = MAX(score, excluded.score), source = 'build', recorded_at = excluded.recorded_at",
            )
            .bind(project.id)
            .bind(mira_git::fixes::fingerprint(&c.error_text))
            .bind(mira_git::fixes::normalize(&c.error_text))
            .bind(sha)
            .bind(queries::BUILD_FIX_SCORE)
            .bind(serde_json::to_string(&linked).expect("strings serialise"))
            .bind(now / 1000)
            .execute(&mut *tx)
            .await?;
        }
        resolved_out.push(Resolved {
            error_id: c.id,
            message: c.message,
            file: c.file,
            failing_run_id: c.failing_run,
            commits,
            files,
            diff,
            unchanged: c.unchanged,
        });
    }
    sqlx::query(
        "UPDATE build_runs SET status = ?, exit_code = ?, failure = ?, finished_at = ?, duration_ms = ?, tool = ?, \
         commit_sha = ?, dirty = ?, worktree = ?, errors = ?, warnings = ?, infos = ?, log_bytes = ?, \
         log_truncated = ? WHERE id = ?",
    )
    .bind(finished.status.as_str())
    .bind(finished.exit_code)
    .bind(&finished.failure)
    .bind(now_ms())
    .bind(finished.duration.as_millis() as i64)
    .bind(tool.map(|t| t.as_str()))
    .bind(&commit)
    .bind(dirty)
    .bind(&worktree)
    .bind(errors)
    .bind(warnings)
    .bind(infos)
    .bind(finished.log_bytes as i64)
    .bind(finished.log_truncated)
    .bind(run_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT OR REPLACE INTO build_logs (run_id, project_id, content) VALUES (?, ?, ?)")
        .bind(run_id)
        .bind(project.id)
        .bind(&finished.log)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(RunOutcome {
        run: queries::run(db, run_id).await?,
        diagnostics: finished.diagnostics,
        new_errors,
        recurring,
        resolved: resolved_out,
    })
}

/// Runs still marked `running` that began before `before_ms` cannot still be going
/// (the process that ran them is gone): they are marked interrupted.
pub async fn mark_interrupted(db: &Db, before_ms: i64) -> Result<u64, BuildError> {
    let done = sqlx::query(
        "UPDATE build_runs SET status = 'interrupted', failure = 'Mira stopped before the run finished' \
         WHERE status = 'running' AND started_at < ?",
    )
    .bind(before_ms)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected())
}
