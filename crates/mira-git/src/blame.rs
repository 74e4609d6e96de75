//! Line-by-line blame. Attribution must be identical to `git blame`, so it comes from
//! `git blame --porcelain` itself (gitoxide's blame still disagrees with git on many
//! files); the answer is cached per (file content hash, HEAD).

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use mira_store::Db;
use mira_store::projects::Project;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{QueryBuilder, Sqlite};

use crate::GitError;
use crate::history::Repo;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlameLine {
    /// 1-based line in the file now.
    pub line: u32,
    /// All zeros for lines not committed yet.
    pub commit: String,
    pub original_line: u32,
    pub original_path: String,
    pub author_name: String,
    pub author_email: String,
    pub authored_at: i64,
    pub summary: String,
}

#[derive(Default, Clone)]
struct CommitInfo {
    author: String,
    mail: String,
    time: i64,
    summary: String,
    filename: String,
}

/// Parses `git blame --porcelain` output.
pub fn parse_porcelain(text: &str) -> Result<Vec<BlameLine>, GitError> {
    let bad = |line: &str| GitError::Git(format!("unexpected blame output line: {line:?}"));
    let mut commits: HashMap<String, CommitInfo> = HashMap::new();
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(header) = lines.next() {
        let mut parts = header.split(' ');
        let (Some(sha), Some(orig), Some(fin)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad(header));
        };
        if sha.len() < 40 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad(header));
        }
        let original_line: u32 = orig.parse().map_err(|_| bad(header))?;
        let line: u32 = fin.parse().map_err(|_| bad(header))?;
        let info = commits.entry(sha.to_string()).or_default();
        // Headers follow until the content line, which starts with a tab.
        for meta in lines.by_ref() {
            if meta.starts_with('\t') {
                break;
            }
            let (key, value) = meta.split_once(' ').unwrap_or((meta, ""));
            match key {
                "author" => info.author = value.to_string(),
                "author-mail" => info.mail = value.trim_start_matches('<').trim_end_matches('>').to_string(),
                "author-time" => info.time = value.parse().map_err(|_| bad(meta))?,
                "summary" => info.summary = value.to_string(),
                "filename" => info.filename = value.to_string(),
                _ => {}
            }
        }
        out.push(BlameLine {
            line,
            commit: sha.to_string(),
            original_line,
            original_path: info.filename.clone(),
            author_name: info.author.clone(),
            author_email: info.mail.clone(),
            authored_at: info.time,
            summary: info.summary.clone(),
        });
    }
    Ok(out)
}

/// Runs `git blame --porcelain` on `path` (relative to `root`).
pub fn git_blame(root: &Path, path: &str) -> Result<Vec<BlameLine>, GitError> {
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["blame", "--porcelain", "--", path])
        .output()
        .map_err(|e| GitError::GitCli(e.to_string()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.contains("no such path") || stderr.contains("No such file") {
            return Err(GitError::NotFound(format!(
                "{path} is not in the repository at HEAD"
            )));
        }
        return Err(GitError::Git(format!("git blame {path}: {}", stderr.trim())));
    }
    parse_porcelain(&String::from_utf8_lossy(&output.stdout))
}

/// The hash of the work tree's file, read only if `path` itself is a regular file: a
/// symlink swapped in after the caller's check is not followed, and a named pipe is
/// neither waited on nor read (git reads a tracked symlink as its link text, so the
/// blame itself never follows one either).
fn hash_file(path: &Path) -> Result<String, GitError> {
    use std::io::Read;
    let unreadable = |e: std::io::Error| GitError::NotFound(format!("cannot read {}: {e}", path.display()));
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let mut file = options.open(path).map_err(unreadable)?;
    if !file.metadata().map_err(unreadable)?.is_file() {
        return Err(GitError::NotFound(format!(
            "{} is not a regular file; only files are blamed",
            path.display()
        )));
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(unreadable)?;
    Ok(format!("{:x}", Sha256::digest(&bytes)))
}

type Row = (i64, String, i64, String, String, String, i64, String);

/// Rows per multi-row INSERT (10 columns), under SQLite's bound-variable limit.
const BATCH_ROWS: usize = 1000;

/// Blame of a file in a project, from the cache when neither the file nor HEAD changed.
/// `path` is relative to the project root and must already be confined to it.
pub async fn blame(db: &Db, project: &Project, path: &str) -> Result<Vec<BlameLine>, GitError> {
    let root = project.root.clone();
    let file = root.join(path);
    let (hash, head) = tokio::task::spawn_blocking(move || {
        let hash = hash_file(&file)?;
        let head = Repo::head_of(&root)?.unwrap_or_default();
        Ok::<_, GitError>((hash, head))
    })
    .await
    .map_err(|e| GitError::Git(e.to_string()))??;
    let cached: Option<(String, String)> =
        sqlx::query_as("SELECT content_hash, head_sha FROM blame_files WHERE project_id = ? AND path = ?")
            .bind(project.id)
            .bind(path)
            .fetch_optional(db.pool())
            .await?;
    if cached.as_ref() == Some(&(hash.clone(), head.clone())) {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT line, commit_sha, original_line, original_path, author_name, author_email, authored_at, summary \
             FROM blame_annotations WHERE project_id = ? AND path = ? ORDER BY line",
        )
        .bind(project.id)
        .bind(path)
        .fetch_all(db.pool())
        .await?;
        return Ok(rows
            .into_iter()
            .map(
                |(
                    line,
                    commit,
                    original_line,
                    original_path,
                    author_name,
                    author_email,
                    authored_at,
                    summary,
                )| {
                    BlameLine {
                        line: line as u32,
                        commit,
                        original_line: original_line as u32,
                        original_path,
                        author_name,
                        author_email,
                        authored_at,
                        summary,
                    }
                },
            )
            .collect());
    }
    let root = project.root.clone();
    let relative = path.to_string();
    let lines = tokio::task::spawn_blocking(move || git_blame(&root, &relative))
        .await
        .map_err(|e| GitError::Git(e.to_string()))??;
    let mut tx = db.pool().begin().await?;
    sqlx::query("DELETE FROM blame_annotations WHERE project_id = ? AND path = ?")
        .bind(project.id)
        .bind(path)
        .execute(&mut *tx)
        .await?;
    for batch in lines.chunks(BATCH_ROWS) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO blame_annotations (project_id, path, line, commit_sha, original_line, original_path, \
             author_name, author_email, authored_at, summary) ",
        );
        insert.push_values(batch, |mut row, l| {
            row.push_bind(project.id)
                .push_bind(path)
                .push_bind(l.line)
                .push_bind(&l.commit)
                .push_bind(l.original_line)
                .push_bind(&l.original_path)
                .push_bind(&l.author_name)
                .push_bind(&l.author_email)
                .push_bind(l.authored_at)
                .push_bind(&l.summary);
        });
        insert.build().execute(&mut *tx).await?;
    }
    sqlx::query(
        "INSERT INTO blame_files (project_id, path, content_hash, head_sha, blamed_at) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT (project_id, path) DO UPDATE SET content_hash = excluded.content_hash, head_sha = excluded.head_sha, \
         blamed_at = excluded.blamed_at",
    )
    .bind(project.id)
    .bind(path)
    .bind(&hash)
    .bind(&head)
    .bind(chrono::Utc::now().timestamp())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn porcelain_headers_are_shared_across_lines_of_one_commit() {
        let sha = "a".repeat(40);
        let text = format!(
            "{sha} 1 1 2\nauthor Ann\nauthor-mail <ann@x.org>\nauthor-time 1700000000\nauthor-tz +0000\nsummary first\nfilename old.rs\n\tline one\n{sha} 2 2\n\tline two\n"
        );
        let lines = parse_porcelain(&text).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].author_name, "Ann");
        assert_eq!(lines[1].author_email, "ann@x.org");
        assert_eq!(lines[1].original_path, "old.rs");
        assert_eq!(lines[1].authored_at, 1_700_000_000);
        assert!(parse_porcelain("garbage\n").is_err());
    }
}
