//! The commit and dirty state a run started from, and what changed between two runs.
//! Asks the `git` CLI: these are a few small calls per run, made while the build runs.

use std::path::Path;

use tokio::process::Command;

async fn git(root: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .current_dir(root)
        .args(args)
        .env("GIT_OPTIONAL_LOCKS", "0")
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// HEAD and whether the work tree has changes (untracked files count: a new source file
/// changes a build). `None` outside a repository or before the first commit.
pub async fn state(root: &Path) -> (Option<String>, Option<bool>) {
    let (head, status) = tokio::join!(
        git(root, &["rev-parse", "--verify", "-q", "HEAD"]),
        git(root, &["status", "--porcelain"])
    );
    let head = head.map(|h| h.trim().to_string()).filter(|h| !h.is_empty());
    (head, status.map(|s| !s.trim().is_empty()))
}

/// Commits after `from` up to `to`, oldest first.
pub async fn commits_between(root: &Path, from: &str, to: &str) -> Vec<String> {
    if from == to {
        return Vec::new();
    }
    git(root, &["rev-list", "--reverse", &format!("{from}..{to}")])
        .await
        .map(|s| s.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

/// Files that differ between commit `from` and the work tree now (committed or not).
pub async fn changed_files(root: &Path, from: &str) -> Vec<String> {
    let mut files: Vec<String> = git(root, &["diff", "--name-only", from])
        .await
        .map(|s| s.lines().map(str::to_string).collect())
        .unwrap_or_default();
    if let Some(untracked) = git(root, &["ls-files", "--others", "--exclude-standard"]).await {
        files.extend(untracked.lines().map(str::to_string));
    }
    files.sort();
    files.dedup();
    files
}
