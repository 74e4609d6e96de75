//! What the user is working on now: the file open in the editor and its selection, the
//! files git reports changed, and the files saved in the last hours.

use std::time::Duration;

use super::{Found, Query, Scored, cite_lines, excerpt, item};
use crate::rank::Ballot;

/// Saves this recent count as "being changed now".
const RECENT_MS: i64 = 4 * 3600 * 1000;

pub async fn open_file(q: &Query<'_>) -> Result<Found, String> {
    let mut found = Found::default();
    let Some(path) = q.request.file.as_deref() else {
        return Ok(found);
    };
    let path = path.trim_start_matches("./");
    let mut ballot = Ballot::new("open", 1.5);
    ballot.push(path, "open in the editor");
    found.ballots.push(ballot);
    match q.request.selection {
        Some(sel) => {
            let (first, last) = (sel.start_line.min(sel.end_line), sel.start_line.max(sel.end_line));
            if let Some((text, lines)) = excerpt(&q.project.root, path, first, last, 120, 1_000).await {
                found.items.push(Scored {
                    item: item("open", Some(path), Some(lines), text, cite_lines(path, lines)),
                    base: 1.0,
                });
            }
        }
        None => {
            // The outline says what the file holds in a few tokens.
            let symbols = mira_code::queries::file_symbols(q.db, q.project.id, path)
                .await
                .map_err(|e| e.to_string())?;
            if !symbols.is_empty() {
                let mut text = format!("Outline of {path} (open in the editor):\n");
                for s in symbols
                    .iter()
                    .filter(|s| s.parent.is_none() || s.kind == "method")
                    .take(40)
                {
                    text.push_str(&format!(
                        "- {} {} (line {})\n",
                        s.kind, s.qualified_name, s.start_line
                    ));
                }
                found.items.push(Scored {
                    item: item("open", None, None, text, format!("{path} (outline)")),
                    base: 0.5,
                });
            }
        }
    }
    Ok(found)
}

pub async fn changes(q: &Query<'_>) -> Result<Found, String> {
    let mut found = Found::default();
    let mut changed: Vec<(String, String)> = Vec::new();
    if q.project.is_git {
        for (path, what) in git_status(&q.project.root).await? {
            changed.push((path, what));
        }
    }
    let since = now_ms() - RECENT_MS;
    let saved: Vec<String> = sqlx::query_scalar(
        "SELECT path FROM local_changes WHERE project_id = ? AND detected_at >= ? GROUP BY path ORDER BY MAX(detected_at) DESC LIMIT 20",
    )
    .bind(q.project.id)
    .bind(since)
    .fetch_all(q.db.pool())
    .await
    .map_err(|e| e.to_string())?;
    for path in saved {
        if !changed.iter().any(|(p, _)| *p == path) {
            changed.push((path, "saved recently".into()));
        }
    }
    if changed.is_empty() {
        return Ok(found);
    }
    let mut ballot = Ballot::new("changes", 0.4);
    let mut text = String::from("Files the user is changing now:\n");
    for (path, what) in changed.iter().take(25) {
        text.push_str(&format!("- {path} ({what})\n"));
        ballot.push(path, format!("being changed now ({what})"));
    }
    if changed.len() > 25 {
        text.push_str(&format!("- ... and {} more\n", changed.len() - 25));
    }
    found.ballots.push(ballot);
    found.items.push(Scored {
        item: item("changes", None, None, text, "working tree".into()),
        base: 0.2,
    });
    Ok(found)
}

/// `git status --porcelain` as (path, what) pairs.
async fn git_status(root: &std::path::Path) -> Result<Vec<(String, String)>, String> {
    let output = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::process::Command::new("git")
            .args(["status", "--porcelain=v1", "-z", "--untracked-files=normal"])
            .current_dir(root)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .map_err(|_| "git status took longer than 5 s".to_string())?
    .map_err(|e| format!("cannot run git status: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "git status failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(parse_status(&String::from_utf8_lossy(&output.stdout)))
}

fn parse_status(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut entries = text.split('\0');
    while let Some(entry) = entries.next() {
        if entry.len() < 4 {
            continue;
        }
        let (code, path) = entry.split_at(3);
        let code = code.trim();
        let what = match code {
            "??" => "new, untracked",
            c if c.contains('R') => {
                // The old name follows as its own entry.
                entries.next();
                "renamed"
            }
            c if c.contains('D') => "deleted",
            c if c.contains('A') => "added",
            _ => "modified",
        };
        out.push((path.to_string(), what.to_string()));
    }
    out
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::parse_status;

    #[test]
    fn porcelain_status_entries() {
        let text = " M src/a.rs\0?? notes.txt\0R  new.rs\0old.rs\0 D gone.rs\0";
        assert_eq!(
            parse_status(text),
            vec![
                ("src/a.rs".to_string(), "modified".to_string()),
                ("notes.txt".to_string(), "new, untracked".to_string()),
                ("new.rs".to_string(), "renamed".to_string()),
                ("gone.rs".to_string(), "deleted".to_string()),
            ]
        );
    }
}
