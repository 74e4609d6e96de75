//! Mira's storage layer.
//!
//! - [`Db`]: one SQLite database (sqlx, WAL mode) with embedded migrations applied at
//!   open; a database written by a newer Mira is refused.
//! - [`vectors::VectorStore`]: the vector store behind semantic search, with the
//!   embedded Qdrant engine ([`vectors::EdgeStore`]) by default and a Qdrant server
//!   ([`vectors::ServerStore`]) when `QDRANT_URL` is set.
//! - [`projects`]: registered projects, removed together with their rows and vectors.
//! - [`DataDirLock`]: one Mira process at a time owns a data dir's embedded stores.
//!
//! ```no_run
//! # async fn demo() -> Result<(), mira_store::StoreError> {
//! let db = mira_store::Db::open(std::path::Path::new("/tmp/mira/mira.db")).await?;
//! let projects = mira_store::projects::list(&db).await?;
//! # Ok(()) }
//! ```

mod db;
mod error;
pub mod file_terms;
mod lock;
pub mod private;
pub mod projects;
pub mod tokenize;
pub mod vectors;

pub use db::{Db, PoolStats};
pub use error::StoreError;
pub use lock::DataDirLock;
