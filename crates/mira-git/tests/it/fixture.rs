//! Builds real git repositories with known authors, times, renames and merges.

use std::path::PathBuf;
use std::process::Command;

pub const DAY: i64 = 86_400;
/// A fixed "start of history" so times in assertions are exact.
pub const T0: i64 = 1_700_000_000;

pub struct Repo {
    pub dir: tempfile::TempDir,
}

impl Repo {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let repo = Self { dir };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.name", "Nobody"]);
        repo.git(&["config", "user.email", "nobody@example.org"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().canonicalize().unwrap()
    }

    pub fn git(&self, args: &[&str]) -> String {
        self.git_env(args, &[])
    }

    pub fn git_env(&self, args: &[&str], env: &[(&str, String)]) -> String {
        let mut cmd = Command::new("git");
        cmd.current_dir(self.dir.path()).args(args);
        cmd.env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_SYSTEM", "/dev/null");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn write(&self, path: &str, content: &str) {
        let full = self.dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, content).unwrap();
    }

    /// Commits everything staged and unstaged as `author` ("Name <email>") at `T0 + days`.
    pub fn commit(&self, author: &str, days: i64, message: &str) -> String {
        self.git(&["add", "-A"]);
        let (name, email) = author.split_once(" <").unwrap();
        let email = email.trim_end_matches('>');
        let date = format!("@{} +0000", T0 + days * DAY);
        self.git_env(
            &["commit", "-q", "--allow-empty", "-m", message],
            &[
                ("GIT_AUTHOR_NAME", name.to_string()),
                ("GIT_AUTHOR_EMAIL", email.to_string()),
                ("GIT_AUTHOR_DATE", date.clone()),
                ("GIT_COMMITTER_NAME", name.to_string()),
                ("GIT_COMMITTER_EMAIL", email.to_string()),
                ("GIT_COMMITTER_DATE", date),
            ],
        );
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }
}

/// Lines `prefix 0` .. `prefix n-1`.
pub fn lines(prefix: &str, n: usize) -> String {
    (0..n).map(|i| format!("{prefix} {i}\n")).collect()
}
