//! Which project a command is about, and paths relative to its root.

use std::path::{Component, Path, PathBuf};

use anyhow::{Context, bail};
use mira_store::Db;
use mira_store::projects::{self, Project};

/// The project named by `--project` (id or path), else the registered project whose
/// root contains the current directory (the innermost one).
pub async fn project(db: &Db, explicit: Option<&str>) -> anyhow::Result<Project> {
    if let Some(p) = explicit {
        return Ok(projects::find(db, p).await?);
    }
    let cwd = std::env::current_dir()?.canonicalize()?;
    let mut candidates: Vec<Project> = projects::list(db)
        .await?
        .into_iter()
        .filter(|p| cwd.starts_with(&p.root))
        .collect();
    candidates.sort_by_key(|p| std::cmp::Reverse(p.root.components().count()));
    match candidates.into_iter().next() {
        Some(p) => Ok(p),
        None => bail!(
            "{} is not inside a registered project: run `mira index` here, `mira projects add PATH`, or pass --project",
            cwd.display()
        ),
    }
}

/// `arg` (relative to the current directory, or absolute) as a path relative to the
/// project root with `/` separators. The file need not exist (it may have been deleted).
pub fn relative_path(project: &Project, arg: &str) -> anyhow::Result<String> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let joined = normalize(&cwd.join(arg));
    // The cwd may be reached through a symlink; compare with both spellings of the root.
    let cwd_canonical = cwd.canonicalize().unwrap_or(cwd.clone());
    let joined_canonical = normalize(&cwd_canonical.join(arg));
    for candidate in [&joined_canonical, &joined] {
        if let Ok(rel) = candidate.strip_prefix(&project.root) {
            return Ok(rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"));
        }
    }
    bail!(
        "{arg} is outside the project {} ({})",
        project.name,
        project.root.display()
    )
}

/// Removes `.` and `..` lexically.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}
