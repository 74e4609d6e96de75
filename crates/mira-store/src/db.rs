//! The SQLite database: WAL mode, foreign keys on, migrations embedded in the binary.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::StoreError;

/// Every migration of every capability, applied in version order at open. Each runs in
/// its own transaction, and applied ones are recorded, so opening twice is harmless.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// A handle on the database; cheap to clone (it is a connection pool).
#[derive(Debug, Clone)]
pub struct Db {
    pool: SqlitePool,
    path: PathBuf,
}

/// Connection pool figures for `/metrics`.
#[derive(Debug, Clone, Copy)]
pub struct PoolStats {
    pub size: u32,
    pub idle: usize,
    pub max: u32,
}

const MAX_CONNECTIONS: u32 = 8;

/// An exclusive lock on `<database>.migrate.lock`, held while migrations run (released
/// when dropped, and by the OS if the process dies).
async fn migration_lock(db_path: &Path) -> Result<std::fs::File, StoreError> {
    let mut name = db_path.as_os_str().to_owned();
    name.push(".migrate.lock");
    let path = std::path::PathBuf::from(name);
    let opened = path.clone();
    tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&opened)?;
        file.lock()?;
        Ok::<_, std::io::Error>(file)
    })
    .await
    .map_err(|e| StoreError::io(format!("cannot lock {}", path.display()))(std::io::Error::other(e)))?
    .map_err(StoreError::io(format!("cannot lock {}", path.display())))
}

impl Db {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            crate::private::create_dir(parent)
                .map_err(StoreError::io(format!("cannot create {}", parent.display())))?;
        }
        // Created 0600 before SQLite opens it: SQLite gives the WAL and SHM files the
        // database's mode. Those left by an older install are tightened as well.
        crate::private::create_file(path)
            .map_err(StoreError::io(format!("cannot create {}", path.display())))?;
        for suffix in ["-wal", "-shm"] {
            let mut side = path.as_os_str().to_owned();
            side.push(suffix);
            let side = Path::new(&side);
            // Files of another owner cannot be tightened; they still open.
            if let Err(e) = crate::private::restrict_file(side) {
                tracing::warn!(file = %side.display(), error = %e, "cannot make the file private");
            }
        }
        let url = format!("sqlite://{}", path.display());
        let options = SqliteConnectOptions::from_str(&url)
            .map_err(|e| StoreError::Open {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // 16 MiB of page cache per connection (SQLite's default is 2 MiB): indexing
            // writes tens of thousands of rows into tables larger than that.
            .pragma("cache_size", "-16384");
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            // A connection to a local file does not go stale the way a network one
            // does; pinging it on every checkout doubled the round trips of a query
            // (memory recall, docs/benchmarks.md).
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Open {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        let db = Self {
            pool,
            path: path.to_path_buf(),
        };
        db.refuse_newer_schema().await?;
        // Two processes opening a new database at once would both apply the first
        // migration and one would fail; a file lock beside the database makes the second
        // wait and then find nothing left to apply.
        let _migrating = migration_lock(path).await?;
        MIGRATOR.run(&db.pool).await?;
        Ok(db)
    }

    /// The highest migration version this build knows.
    pub fn known_schema_version() -> i64 {
        MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
    }

    /// The highest migration version applied to this database.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        if !self.has_migration_table().await? {
            return Ok(0);
        }
        let version: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = 1")
                .fetch_one(&self.pool)
                .await?;
        Ok(version.unwrap_or(0))
    }

    async fn has_migration_table(&self) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// A newer Mira may have changed tables in ways this one would misread or damage.
    async fn refuse_newer_schema(&self) -> Result<(), StoreError> {
        let found = self.schema_version().await?;
        let known = Self::known_schema_version();
        if found > known {
            return Err(StoreError::NewerSchema {
                path: self.path.clone(),
                found,
                known,
            });
        }
        Ok(())
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Answers when the database does (for `/ready`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub fn pool_stats(&self) -> PoolStats {
        PoolStats {
            size: self.pool.size(),
            idle: self.pool.num_idle(),
            max: MAX_CONNECTIONS,
        }
    }

    /// Writes the WAL back into the main file and closes every connection.
    pub async fn close(&self) {
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await
        {
            tracing::warn!("WAL checkpoint at close failed: {e}");
        }
        self.pool.close().await;
    }
}
