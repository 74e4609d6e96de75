use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the database {path} was written by a newer Mira (schema version {found}, this Mira knows up to {known}). Upgrade Mira, or set MIRA_DATA_DIR to another directory."
    )]
    NewerSchema { path: PathBuf, found: i64, known: i64 },
    #[error("cannot open the database {path}: {message}")]
    Open { path: PathBuf, message: String },
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    InvalidProject(String),
    #[error("project {0} is already registered")]
    ProjectExists(String),
    #[error("no project {0}: `mira projects list` shows the registered ones")]
    ProjectNotFound(String),
    #[error("vector store: {0}")]
    Vector(String),
    #[error(
        "another Mira process (pid {pid}) is using the data dir {dir}. Stop it, use the running server, or set MIRA_DATA_DIR to another directory."
    )]
    Locked { dir: PathBuf, pid: String },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl StoreError {
    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let context = context.into();
        move |source| Self::Io { context, source }
    }
}
