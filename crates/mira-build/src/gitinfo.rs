//! The commit, dirty state and work-tree digest a run started from, and what changed
//! between two runs.
//! Asks the `git` CLI: these are a few small calls per run, made while the build runs.

use std::path::Path;

use sha2::{Digest, Sha256};
use tokio::process::Command;

async fn git(root: &Path, args: &[&str]) -> Option<String> {
    git_bytes(root, args)
        .await
        .map(|out| String::from_utf8_lossy(&out).into_owned())
}

async fn git_bytes(root: &Path, args: &[&str]) -> Option<Vec<u8>> {
    let out = Command::new("git")
        .current_dir(root)
        .args(args)
        .env("GIT_OPTIONAL_LOCKS", "0")
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .ok()?;
    out.status.success().then_some(out.stdout)
}

/// What a run started from, as git sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitState {
    pub head: Option<String>,
    /// Whether the work tree has changes (untracked files count: a new source file
    /// changes a build).
    pub dirty: Option<bool>,
    /// A digest of HEAD, every change to tracked files (staged or not) and the untracked
    /// files that are not ignored: two runs with the same digest built the same sources.
    pub worktree: Option<String>,
}

/// HEAD, the dirty flag and the work tree's digest. All `None` outside a repository or
/// before the first commit.
pub async fn state(root: &Path) -> GitState {
    let (head, diff, untracked) = tokio::join!(
        git(root, &["rev-parse", "--verify", "-q", "HEAD"]),
        git_bytes(
            root,
            &[
                "diff",
                "HEAD",
                "--binary",
                "--no-ext-diff",
                "--no-textconv",
                "--no-color"
            ]
        ),
        git_bytes(root, &["ls-files", "-z", "--others", "--exclude-standard"])
    );
    let head = head.map(|h| h.trim().to_string()).filter(|h| !h.is_empty());
    let (dirty, worktree) = match (&head, diff, untracked) {
        // The changes and the untracked files the digest reads tell dirtiness too.
        (Some(head), Some(diff), Some(untracked)) => (
            Some(!diff.is_empty() || !untracked.is_empty()),
            Some(worktree_digest(root, head, &diff, &untracked).await),
        ),
        // Before the first commit there is no HEAD to diff against.
        _ => (
            git(root, &["status", "--porcelain"])
                .await
                .map(|s| !s.trim().is_empty()),
            None,
        ),
    };
    GitState {
        head,
        dirty,
        worktree,
    }
}

/// Untracked files up to this size are hashed by content, bigger ones by size and
/// modification time (a build's stray outputs can be large).
const HASHED_UNTRACKED_BYTES: u64 = 1 << 20;

async fn worktree_digest(root: &Path, head: &str, diff: &[u8], untracked: &[u8]) -> String {
    let mut digest = Sha256::new();
    digest.update(head.as_bytes());
    digest.update([0]);
    digest.update(diff);
    for path in untracked.split(|b| *b == 0).filter(|p| !p.is_empty()) {
        digest.update([0]);
        digest.update(path);
        let full = root.join(String::from_utf8_lossy(path).as_ref());
        let Ok(meta) = tokio::fs::symlink_metadata(&full).await else {
            continue;
        };
        if meta.is_file() && meta.len() <= HASHED_UNTRACKED_BYTES {
            if let Ok(bytes) = tokio::fs::read(&full).await {
                digest.update(Sha256::digest(&bytes));
            }
        } else {
            let modified = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            digest.update(format!("{}:{modified}", meta.len()).as_bytes());
        }
    }
    format!("{:x}", digest.finalize())
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
