//! Build system integration: run a build or test command in a project, stream its
//! output, parse what it reports into one diagnostic shape, keep each distinct error
//! once across runs, and learn what fixed an error when a later run no longer reports it.
//!
//! - [`parse`] turns output into [`Diagnostic`]s (cargo JSON and human, rustc, clippy,
//!   tsc, eslint, jest, vitest, pytest, go, gcc/clang, a generic `path:line` fallback);
//!   pure functions over text.
//! - [`detect`] names the tool behind a command.
//! - [`runner`] runs a command with live output, a timeout and cancellation.
//! - [`record`] stores a finished run: deduplicated errors, snapshots, resolutions.
//! - [`queries`] reads runs, errors and fixes back for the CLI, the API and the oracle.
//!
//! ```no_run
//! # async fn demo(db: &mira_store::Db, project: &mira_store::projects::Project) -> Result<(), mira_build::BuildError> {
//! let config = mira_core::config::Config::with_data_dir("/tmp/mira").build;
//! let request = mira_build::runner::RunRequest::new(vec!["cargo".into(), "build".into()]);
//! let outcome = mira_build::run(db, project, &config, request, std::sync::Arc::new(|_, _| {}),
//!     tokio_util::sync::CancellationToken::new()).await?;
//! println!("{} errors, {} resolved", outcome.run.errors, outcome.resolved.len());
//! # Ok(()) }
//! ```

pub mod bounds;
pub mod detect;
pub mod diagnostic;
pub mod parse;

// Running, recording and reading back runs (the default `runs` feature): everything that
// needs the database, git or tokio.
#[cfg(feature = "runs")]
pub mod fingerprint;
#[cfg(feature = "runs")]
mod gitinfo;
#[cfg(feature = "runs")]
pub mod queries;
#[cfg(feature = "runs")]
pub mod record;
#[cfg(feature = "runs")]
pub mod runner;

pub use diagnostic::{Diagnostic, Location, Severity, Tool};
#[cfg(feature = "runs")]
pub use record::{RunOutcome, run};

#[cfg(feature = "runs")]
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("no command given: pass the build or test command, e.g. `mira build -- cargo test`")]
    EmptyCommand,
    #[error("the command line could not be split into words (an unclosed quote?): {0}")]
    BadCommandLine(String),
    #[error(
        "cannot run `{program}`: {reason}. Check that it is installed and on PATH, or give its full path"
    )]
    CannotStart { program: String, reason: String },
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Io(String),
}
