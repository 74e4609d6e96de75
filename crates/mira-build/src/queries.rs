//! Reading runs, errors and their fixes back, for the CLI, the API and the context
//! oracle (the most recent unresolved errors, with the code they point at).

use std::path::Path;

use mira_store::Db;
use mira_store::projects::Project;
use serde::Serialize;

use crate::BuildError;
use crate::diagnostic::Diagnostic;
use crate::runner::RunStatus;

/// The score a commit gets in `historical_fixes` when a failing run was followed by a
/// passing one across it: stronger evidence than any guess from commit messages.
pub const BUILD_FIX_SCORE: f64 = mira_git::fixes::BUILD_FIX_SCORE;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RunSummary {
    pub id: i64,
    pub project_id: i64,
    pub command: Vec<String>,
    pub command_line: String,
    /// Where it ran, relative to the project root ("" = the root).
    pub dir: String,
    pub tool: Option<String>,
    pub status: RunStatus,
    pub exit_code: Option<i32>,
    pub failure: Option<String>,
    /// Milliseconds since the epoch.
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub duration_ms: Option<i64>,
    pub commit: Option<String>,
    pub dirty: Option<bool>,
    pub errors: i64,
    pub warnings: i64,
    pub infos: i64,
    pub log_bytes: i64,
    pub log_truncated: bool,
}

#[derive(sqlx::FromRow)]
struct RunRow {
    id: i64,
    project_id: i64,
    command: String,
    command_line: String,
    dir: String,
    tool: Option<String>,
    status: String,
    exit_code: Option<i32>,
    failure: Option<String>,
    started_at: i64,
    finished_at: Option<i64>,
    duration_ms: Option<i64>,
    commit_sha: Option<String>,
    dirty: Option<bool>,
    errors: i64,
    warnings: i64,
    infos: i64,
    log_bytes: i64,
    log_truncated: bool,
}

const RUN_COLUMNS: &str = "id, project_id, command, command_line, dir, tool, status, exit_code, failure, started_at, \
    finished_at, duration_ms, commit_sha, dirty, errors, warnings, infos, log_bytes, log_truncated";

fn run_from(r: RunRow) -> RunSummary {
    RunSummary {
        id: r.id,
        project_id: r.project_id,
        command: serde_json::from_str(&r.command).unwrap_or_default(),
        command_line: r.command_line,
        dir: r.dir,
        tool: r.tool,
        status: RunStatus::parse(&r.status),
        exit_code: r.exit_code,
        failure: r.failure,
        started_at: r.started_at,
        finished_at: r.finished_at,
        duration_ms: r.duration_ms,
        commit: r.commit_sha,
        dirty: r.dirty,
        errors: r.errors,
        warnings: r.warnings,
        infos: r.infos,
        log_bytes: r.log_bytes,
        log_truncated: r.log_truncated,
    }
}

pub async fn run(db: &Db, run_id: i64) -> Result<RunSummary, BuildError> {
    let row: Option<RunRow> = sqlx::query_as(&format!("SELECT {RUN_COLUMNS} FROM build_runs WHERE id = ?"))
        .bind(run_id)
        .fetch_optional(db.pool())
        .await?;
    row.map(run_from)
        .ok_or_else(|| BuildError::NotFound(format!("no build run {run_id}: `mira build --runs` lists them")))
}

/// The project's runs, newest first.
pub async fn runs(db: &Db, project_id: i64, limit: usize) -> Result<Vec<RunSummary>, BuildError> {
    let rows: Vec<RunRow> = sqlx::query_as(&format!(
        "SELECT {RUN_COLUMNS} FROM build_runs WHERE project_id = ? ORDER BY id DESC LIMIT ?"
    ))
    .bind(project_id)
    .bind(limit as i64)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(run_from).collect())
}

/// Every diagnostic a run reported, in the order printed, with the error it counts as.
pub async fn run_diagnostics(db: &Db, run_id: i64) -> Result<Vec<(i64, Diagnostic)>, BuildError> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT error_id, diagnostic FROM build_error_occurrences WHERE run_id = ? ORDER BY seq",
    )
    .bind(run_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, json)| serde_json::from_str(&json).ok().map(|d| (id, d)))
        .collect())
}

/// The raw output of a run, as the terminal showed it.
pub async fn run_log(db: &Db, run_id: i64) -> Result<Vec<u8>, BuildError> {
    let log: Option<Vec<u8>> = sqlx::query_scalar("SELECT content FROM build_logs WHERE run_id = ?")
        .bind(run_id)
        .fetch_optional(db.pool())
        .await?;
    log.ok_or_else(|| {
        BuildError::NotFound(format!(
            "build run {run_id} has no log (it is still running, or did not start)"
        ))
    })
}

/// A fix known for an error: a later run that no longer reported it after a change (a run
/// that passed on the same work tree fixed nothing and is left out), or a commit that
/// `historical_fixes` links to errors like it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KnownFix {
    pub source: String,
    pub commit: Option<String>,
    pub commits: Vec<String>,
    pub files: Vec<String>,
    pub diff: Option<String>,
    pub fixing_run_id: Option<i64>,
    /// Seconds since the epoch.
    pub resolved_at: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ExcerptLine {
    pub line: u32,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ErrorSummary {
    pub id: i64,
    pub tool: String,
    pub severity: String,
    pub code: Option<String>,
    pub message: String,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub occurrences: i64,
    pub run_count: i64,
    pub first_seen_at: i64,
    pub last_seen_at: i64,
    pub last_run_id: i64,
    pub resolved_at: Option<i64>,
    pub resolved_run_id: Option<i64>,
    /// The run that no longer reported it started from the same work tree as the run that
    /// did (no edit, no commit): the environment changed or the failure was flaky.
    pub resolved_unchanged: bool,
    /// Came back after it had been resolved.
    pub recurring: bool,
    pub reopened: i64,
    pub fingerprint: String,
    /// The file around the line, as it is now.
    pub excerpt: Vec<ExcerptLine>,
    pub known_fixes: Vec<KnownFix>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorFilter {
    Unresolved,
    Resolved,
    All,
}

#[derive(sqlx::FromRow)]
struct ErrorRow {
    id: i64,
    tool: String,
    severity: String,
    code: Option<String>,
    message: String,
    file: Option<String>,
    line: Option<u32>,
    column: Option<u32>,
    occurrences: i64,
    run_count: i64,
    first_seen_at: i64,
    last_seen_at: i64,
    last_run_id: i64,
    resolved_at: Option<i64>,
    resolved_run_id: Option<i64>,
    resolved_unchanged: bool,
    reopened: i64,
    fingerprint: String,
}

const ERROR_COLUMNS: &str = "id, tool, severity, code, message, file, line, column, occurrences, run_count, \
    first_seen_at, last_seen_at, last_run_id, resolved_at, resolved_run_id, \
    COALESCE((SELECT unchanged FROM error_resolutions r WHERE r.error_id = build_errors.id \
      AND r.fixing_run_id = build_errors.resolved_run_id), 0) AS resolved_unchanged, \
    reopened, fingerprint";

/// Lines `line - 2 ..= line + 2` of the file now; empty when it cannot be read.
pub async fn excerpt(root: &Path, file: &str, line: u32) -> Vec<ExcerptLine> {
    let path = root.join(file);
    if !path.starts_with(root) || file.split('/').any(|p| p == "..") {
        return Vec::new();
    }
    let Ok(text) = tokio::fs::read_to_string(&path).await else {
        return Vec::new();
    };
    let first = line.saturating_sub(2).max(1);
    text.lines()
        .enumerate()
        .map(|(i, t)| (i as u32 + 1, t))
        .skip_while(|(n, _)| *n < first)
        .take_while(|(n, _)| *n <= line + 2)
        .map(|(n, t)| ExcerptLine {
            line: n,
            text: t.chars().take(400).collect(),
        })
        .collect()
}

async fn known_fixes(
    db: &Db,
    project_id: i64,
    error_id: i64,
    fingerprint: &str,
) -> Result<Vec<KnownFix>, BuildError> {
    let rows: Vec<(String, String, Option<String>, i64, i64)> = sqlx::query_as(
        "SELECT commits, files, diff, fixing_run_id, resolved_at FROM error_resolutions \
         WHERE error_id = ? AND unchanged = 0 ORDER BY resolved_at DESC LIMIT 5",
    )
    .bind(error_id)
    .fetch_all(db.pool())
    .await?;
    let mut out: Vec<KnownFix> = rows
        .into_iter()
        .map(|(commits, files, diff, run, at)| {
            let commits: Vec<String> = serde_json::from_str(&commits).unwrap_or_default();
            KnownFix {
                source: "build".into(),
                commit: commits.last().cloned(),
                commits,
                files: serde_json::from_str(&files).unwrap_or_default(),
                diff,
                fixing_run_id: Some(run),
                resolved_at: at / 1000,
            }
        })
        .collect();
    // Commits linked to errors like this one, from this or other errors' resolutions
    // and from `mira fixes`.
    let linked: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT commit_sha, files, source, recorded_at FROM historical_fixes \
         WHERE project_id = ? AND error_fingerprint = ? ORDER BY score DESC, recorded_at DESC LIMIT 5",
    )
    .bind(project_id)
    .bind(fingerprint)
    .fetch_all(db.pool())
    .await?;
    for (sha, files, source, at) in linked {
        if out.iter().any(|f| f.commits.contains(&sha)) {
            continue;
        }
        out.push(KnownFix {
            source,
            commit: Some(sha.clone()),
            commits: vec![sha],
            files: serde_json::from_str(&files).unwrap_or_default(),
            diff: None,
            fixing_run_id: None,
            resolved_at: at,
        });
    }
    Ok(out)
}

async fn summarize(db: &Db, project: &Project, r: ErrorRow) -> Result<ErrorSummary, BuildError> {
    let excerpt = match (&r.file, r.line) {
        (Some(file), Some(line)) => excerpt(&project.root, file, line).await,
        _ => Vec::new(),
    };
    let known_fixes = known_fixes(db, project.id, r.id, &r.fingerprint).await?;
    Ok(ErrorSummary {
        id: r.id,
        tool: r.tool,
        severity: r.severity,
        code: r.code,
        message: r.message,
        file: r.file,
        line: r.line,
        column: r.column,
        occurrences: r.occurrences,
        run_count: r.run_count,
        first_seen_at: r.first_seen_at,
        last_seen_at: r.last_seen_at,
        last_run_id: r.last_run_id,
        resolved_at: r.resolved_at,
        resolved_run_id: r.resolved_run_id,
        resolved_unchanged: r.resolved_unchanged,
        recurring: r.reopened > 0,
        reopened: r.reopened,
        fingerprint: r.fingerprint,
        excerpt,
        known_fixes,
    })
}

/// The project's errors, most recently seen first: by default the unresolved ones,
/// which is what the context oracle injects into a conversation.
pub async fn errors(
    db: &Db,
    project: &Project,
    filter: ErrorFilter,
    limit: usize,
) -> Result<Vec<ErrorSummary>, BuildError> {
    let condition = match filter {
        ErrorFilter::Unresolved => "AND resolved_at IS NULL",
        ErrorFilter::Resolved => "AND resolved_at IS NOT NULL",
        ErrorFilter::All => "",
    };
    let rows: Vec<ErrorRow> = sqlx::query_as(&format!(
        "SELECT {ERROR_COLUMNS} FROM build_errors WHERE project_id = ? {condition} \
         ORDER BY CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, last_seen_at DESC, id LIMIT ?"
    ))
    .bind(project.id)
    .bind(limit as i64)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(summarize(db, project, r).await?);
    }
    Ok(out)
}

/// One error with every run that reported it.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorDetail {
    #[serde(flatten)]
    pub error: ErrorSummary,
    pub occurrences: Vec<Occurrence>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Occurrence {
    pub run_id: i64,
    pub started_at: i64,
    pub commit: Option<String>,
    pub diagnostic: Diagnostic,
}

pub async fn error(db: &Db, project: &Project, error_id: i64) -> Result<ErrorDetail, BuildError> {
    let row: Option<ErrorRow> = sqlx::query_as(&format!(
        "SELECT {ERROR_COLUMNS} FROM build_errors WHERE project_id = ? AND id = ?"
    ))
    .bind(project.id)
    .bind(error_id)
    .fetch_optional(db.pool())
    .await?;
    let row = row.ok_or_else(|| {
        BuildError::NotFound(format!("no build error {error_id} in project {}", project.id))
    })?;
    let error = summarize(db, project, row).await?;
    let rows: Vec<(i64, i64, Option<String>, String)> = sqlx::query_as(
        "SELECT o.run_id, r.started_at, r.commit_sha, o.diagnostic FROM build_error_occurrences o \
         JOIN build_runs r ON r.id = o.run_id WHERE o.error_id = ? ORDER BY o.run_id DESC, o.seq LIMIT 100",
    )
    .bind(error_id)
    .fetch_all(db.pool())
    .await?;
    let occurrences = rows
        .into_iter()
        .filter_map(|(run_id, started_at, commit, json)| {
            serde_json::from_str(&json).ok().map(|diagnostic| Occurrence {
                run_id,
                started_at,
                commit,
                diagnostic,
            })
        })
        .collect();
    Ok(ErrorDetail { error, occurrences })
}
