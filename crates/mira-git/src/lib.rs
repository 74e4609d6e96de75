//! Git intelligence: commits with their file changes, files that change together,
//! line-by-line blame, and who knows which part of the code.
//!
//! - [`history`] reads commits from a repository (gitoxide), with .mailmap applied and
//!   renames detected as git detects them ([`renames`]), so file changes match
//!   `git log --numstat -M`; [`index::index_project`] stores them incrementally, while
//!   they are read, and handles rewritten history.
//! - [`cochange`] and [`expertise`] are pure computations over stored commits.
//! - [`blame`] asks `git blame --porcelain`, the reference, and caches the answer.
//!
//! ```no_run
//! # async fn demo(db: &mira_store::Db, project: &mira_store::projects::Project) -> Result<(), mira_git::GitError> {
//! let config = mira_core::config::Config::with_data_dir("/tmp/mira").git;
//! let summary = mira_git::index::index_project(db, project, &config, std::sync::Arc::new(|_, _| {})).await?;
//! let related = mira_git::queries::cochange(db, project.id, "src/auth.rs", 10, &config).await?;
//! # Ok(()) }
//! ```

pub mod absence;
pub mod blame;
pub mod cochange;
mod derived;
pub mod expertise;
mod fix_rank;
pub mod fixes;
pub mod history;
pub mod index;
pub mod queries;
pub mod renames;
pub mod structure;

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("{} is not in a git repository ({message}); run `git init` there or register a repository", path.display())]
    NotARepository { path: PathBuf, message: String },
    #[error("git: {0}")]
    Git(String),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("{0}")]
    NotFound(String),
    /// The project's history has never been indexed.
    #[error("{0}")]
    NotIndexed(String),
    #[error("`git` could not be run ({0}); install git to use blame")]
    GitCli(String),
    /// The caller gave something unusable (an empty error text to `fixes`).
    #[error("{0}")]
    BadInput(String),
}
