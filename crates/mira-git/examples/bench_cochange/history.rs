//! The history a co-change benchmark trains and tests on: every commit of HEAD read with
//! Mira's own reader (renames detected as `git log -M` does), oldest first.

use std::path::Path;
use std::sync::Mutex;

use mira_git::history::{ChangeStatus, CommitRecord, Repo};

/// One commit as the rankers see it.
#[derive(Debug, Clone)]
pub struct Commit {
    pub committed_at: i64,
    pub is_merge: bool,
    /// (path, old path of a rename).
    pub files: Vec<(String, Option<String>)>,
}

/// Every commit reachable from HEAD, oldest first (the walk is by commit time).
pub fn read(root: &Path) -> Result<Vec<Commit>, Box<dyn std::error::Error>> {
    let repo = Repo::discover(root)?;
    let head = repo.head()?.ok_or("the repository has no commits")?;
    let shas = repo.commits_between(&[head], &[])?;
    let slots: Mutex<Vec<Option<CommitRecord>>> = Mutex::new(vec![None; shas.len()]);
    repo.read_commits(&shas, &|_| {}, &|i, record| {
        slots.lock().expect("no reader panicked")[i] = Some(record);
        true
    })?;
    let mut out: Vec<Commit> = slots
        .into_inner()?
        .into_iter()
        .map(|r| {
            let r = r.expect("every commit was read");
            Commit {
                committed_at: r.committed_at,
                is_merge: r.is_merge(),
                files: r
                    .changes
                    .iter()
                    .map(|c| {
                        let old = c.old_path.clone().filter(|_| c.status == ChangeStatus::Renamed);
                        (c.path.clone(), old)
                    })
                    .collect(),
            }
        })
        .collect();
    out.reverse();
    Ok(out)
}
