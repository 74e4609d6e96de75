//! Build intelligence: the errors still open in recorded builds, and past fixes of the
//! error text the task carries.

use mira_build::queries::{self as build_queries, ErrorFilter};

use super::{Found, Query, Scored, item};
use crate::assemble::truncate_lines;
use crate::rank::Ballot;

pub async fn errors(q: &Query<'_>) -> Result<Found, String> {
    let mut found = Found::default();
    let open = build_queries::errors(q.db, q.project, ErrorFilter::Unresolved, q.config.errors)
        .await
        .map_err(|e| e.to_string())?;
    if open.is_empty() {
        return Ok(found);
    }
    let weight = if q.config.error_focus { 2.0 } else { 0.7 };
    let mut ballot = Ballot::new("errors", weight);
    let mut text = format!("Open errors from recorded builds ({}):\n", open.len());
    let mut runs = Vec::new();
    for e in &open {
        let place = match (&e.file, e.line) {
            (Some(f), Some(l)) => format!("{f}:{l}"),
            (Some(f), None) => f.clone(),
            _ => "(no file)".into(),
        };
        let code = e.code.as_deref().map(|c| format!("[{c}] ")).unwrap_or_default();
        let first_line = e.message.lines().next().unwrap_or("");
        text.push_str(&format!(
            "- {} {}: {code}{first_line} at {place}\n",
            e.tool, e.severity
        ));
        if let Some(f) = &e.file {
            ballot.push(f, format!("has an open {} from {}", e.severity, e.tool));
        }
        if !runs.contains(&e.last_run_id) {
            runs.push(e.last_run_id);
        }
    }
    let citation = match runs.as_slice() {
        [one] => format!("build run {one}"),
        _ => format!(
            "build runs {}",
            runs.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(", ")
        ),
    };
    found.ballots.push(ballot);
    found.items.push(Scored {
        item: item("errors", None, None, text, citation),
        base: if q.config.error_focus { 0.9 } else { 0.3 },
    });
    Ok(found)
}

pub async fn fixes(q: &Query<'_>) -> Result<Found, String> {
    let mut found = Found::default();
    let report = mira_git::fixes::find(q.db, q.project, &q.request.task, q.config.fixes)
        .await
        .map_err(|e| e.to_string())?;
    let mut ballot = Ballot::new("fixes", 1.0);
    for (rank, fix) in report.fixes.iter().enumerate() {
        let short = &fix.commit[..fix.commit.len().min(7)];
        let mut text = format!(
            "A past fix of a similar error: commit {short} by {} ({}), \"{}\"\nWhy it matches: {}\n",
            fix.author_name,
            mira_git::queries::ago(now() - fix.committed_at),
            fix.summary,
            fix.reasons.join("; ")
        );
        if !fix.files.is_empty() {
            text.push_str(&format!("Files: {}\n", fix.files.join(", ")));
        }
        if let Some(diff) = &fix.diff {
            text.push_str(&truncate_lines(diff, 400));
        }
        for f in &fix.files {
            ballot.push(f, format!("changed by past fix {short}"));
        }
        found.items.push(Scored {
            item: item("fixes", None, None, text, format!("commit {short}")),
            base: 0.7 / (1.0 + rank as f64 * 0.3),
        });
    }
    found.ballots.push(ballot);
    Ok(found)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
