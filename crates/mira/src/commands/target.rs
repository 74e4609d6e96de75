//! Which project a command is about, and paths relative to its root.

use anyhow::{Context, bail};
use mira_agent::confine;
use mira_store::Db;
use mira_store::projects::{self, Project};

/// The project named by `--project` (id or path), else the registered project whose
/// root contains the current directory (the innermost one).
pub async fn project(db: &Db, explicit: Option<&str>) -> anyhow::Result<Project> {
    if let Some(p) = explicit {
        return Ok(projects::find(db, p).await?);
    }
    let cwd = std::env::current_dir()?.canonicalize()?;
    match projects::innermost_containing(db, &cwd).await? {
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
    let joined = confine::lexical_normalize(&cwd.join(arg));
    // The cwd may be reached through a symlink; compare with both spellings of the root.
    let cwd_canonical = cwd.canonicalize().unwrap_or(cwd.clone());
    let joined_canonical = confine::lexical_normalize(&cwd_canonical.join(arg));
    for candidate in [&joined_canonical, &joined] {
        if let Ok(rel) = candidate.strip_prefix(&project.root) {
            return Ok(confine::slash_path(rel));
        }
    }
    bail!(
        "{arg} is outside the project {} ({})",
        project.name,
        project.root.display()
    )
}
