//! Code intelligence: what a project's code defines and what calls what.
//!
//! - [`extract::parse`] turns one file's text into facts ([`model::ParsedFile`]):
//!   elements (modules, types, functions, methods, fields...), imports, call sites and
//!   typed local bindings. Tree-sitter does the parsing; nothing here reads a disk.
//! - [`resolve`] links call sites to definitions across files, each edge graded
//!   `exact`, `probable`, `external` or `unresolved`. Also pure.
//! - [`walk`] finds the files of a project (respecting .gitignore) and says why a file
//!   is skipped; [`index`] stores everything in SQLite, re-indexing only what changed;
//!   [`queries`] reads callers, callees, impact, symbols and definitions back.
//!
//! ```no_run
//! # async fn demo(db: &mira_store::Db, project: &mira_store::projects::Project) -> Result<(), mira_code::CodeError> {
//! let summary = mira_code::index::index_project(db, project, std::sync::Arc::new(|_, _| {})).await?;
//! let callers = mira_code::queries::callers(db, project.id, "crate::store::Db::open").await?;
//! # Ok(()) }
//! ```

pub mod extract;
mod globs;
mod impact_graph;
pub mod index;
pub mod lang;
mod lease;
mod memory;
pub mod model;
pub mod named;
mod python_layout;
pub mod resolve;
mod stamps;
mod store;
pub mod walk;

/// Why indexing or a query failed; each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("{0}")]
    NotFound(String),
    /// The project's code has never been indexed.
    #[error("{0}")]
    NotIndexed(String),
    /// The request itself is wrong (an empty symbol); the message says what to send.
    #[error("{0}")]
    BadInput(String),
    #[error("{0}")]
    Task(String),
    /// Another process is indexing the same project (its lease is in the database).
    #[error("project {project_id} is being indexed by pid {pid}; try again when it finishes")]
    Busy { project_id: i64, pid: i64 },
}
pub mod queries;
pub mod watch;
