//! The per-project index lease (`code_index_leases`): index runs of one project in
//! different processes (the server's watcher and a CLI `mira index`, or two CLIs) would
//! otherwise compute against the same stored state and then both write it, so the later
//! one inserts files the earlier one already inserted or rewrites rows from a stale view.
//! Within a process the runs are already serialised by `index::RUNS`; this serialises
//! them across processes.
//!
//! A run takes the row in a `BEGIN IMMEDIATE` transaction (so two takers cannot both see
//! it free), renews it while it works, checks it still holds it inside its write
//! transaction (`confirm`), and deletes it when done. A holder that died stops renewing
//! and its row is taken over once it expires, or at once when its pid no longer runs on
//! this machine (a run killed with SIGKILL).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use mira_store::Db;
use sqlx::SqliteConnection;

use crate::CodeError;

/// How long a lease lasts without renewal: a crashed indexer blocks others this long.
pub(crate) const TTL: Duration = Duration::from_secs(30);

/// How often the holder renews: several renewals fit in one TTL, so a busy database
/// delaying one renewal does not lose the lease.
const RENEW_EVERY: Duration = Duration::from_secs(5);

/// How often a waiting run looks again.
const POLL: Duration = Duration::from_millis(100);

pub(crate) struct Lease {
    db: Db,
    project_id: i64,
    token: String,
    renewer: tokio::task::JoinHandle<()>,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn new_token() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}-{}",
        std::process::id(),
        now_ms(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Whether a process with this pid runs on this machine. Unsure answers (no permission
/// to signal it, a pid that does not fit) count as alive, so the lease is only taken
/// over early when the holder is certainly gone.
fn process_alive(pid: i64) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return true;
        };
        if pid <= 0 {
            return true;
        }
        // Signal 0 checks for the process without sending anything.
        // SAFETY: kill with signal 0 has no effect on any process.
        let answer = unsafe { libc::kill(pid, 0) };
        answer == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// Takes the lease if it is free or expired; otherwise says which pid holds it.
async fn try_take(db: &Db, project_id: i64, token: &str) -> Result<Result<(), i64>, sqlx::Error> {
    let mut tx = db.pool().begin_with("BEGIN IMMEDIATE").await?;
    let now = now_ms();
    let holder: Option<(i64, i64)> =
        sqlx::query_as("SELECT pid, expires_at FROM code_index_leases WHERE project_id = ?")
            .bind(project_id)
            .fetch_optional(&mut *tx)
            .await?;
    // A holder that died (killed, crashed) is taken over at once instead of after its
    // lease runs out: its pid is gone from this machine.
    if let Some((pid, expires_at)) = holder
        && expires_at > now
        && process_alive(pid)
    {
        tx.rollback().await?;
        return Ok(Err(pid));
    }
    sqlx::query(
        "INSERT OR REPLACE INTO code_index_leases (project_id, token, pid, acquired_at, expires_at) \
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(project_id)
    .bind(token)
    .bind(std::process::id() as i64)
    .bind(now)
    .bind(now + TTL.as_millis() as i64)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Extends the lease; false when it is no longer this run's (it expired and was taken).
async fn renew(conn: &mut SqliteConnection, project_id: i64, token: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE code_index_leases SET expires_at = ? WHERE project_id = ? AND token = ?")
        .bind(now_ms() + TTL.as_millis() as i64)
        .bind(project_id)
        .bind(token)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

impl Lease {
    /// Takes the project's lease, waiting up to `wait` for another run to finish.
    pub(crate) async fn take(db: &Db, project_id: i64, wait: Duration) -> Result<Lease, CodeError> {
        let token = new_token();
        let deadline = Instant::now() + wait;
        loop {
            match try_take(db, project_id, &token).await? {
                Ok(()) => break,
                Err(pid) if Instant::now() >= deadline => {
                    return Err(CodeError::Busy { project_id, pid });
                }
                Err(_) => tokio::time::sleep(POLL).await,
            }
        }
        let renewer = {
            let db = db.clone();
            let token = token.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(RENEW_EVERY).await;
                    let renewed = match db.pool().acquire().await {
                        Ok(mut conn) => renew(&mut conn, project_id, &token).await,
                        Err(e) => Err(e),
                    };
                    match renewed {
                        Ok(true) => {}
                        // Lost: the write transaction's `confirm` refuses to commit.
                        Ok(false) => return,
                        // A busy database: the next renewal may get through before expiry.
                        Err(e) => tracing::warn!(project_id, error = %e, "cannot renew the code index lease"),
                    }
                }
            })
        };
        Ok(Lease {
            db: db.clone(),
            project_id,
            token,
            renewer,
        })
    }

    /// Checks, inside the run's write transaction, that the lease is still this run's and
    /// extends it; the transaction holds the write lock, so nobody can take it before the
    /// commit.
    pub(crate) async fn confirm(&self, conn: &mut SqliteConnection) -> Result<(), CodeError> {
        if renew(conn, self.project_id, &self.token).await? {
            Ok(())
        } else {
            Err(CodeError::Task(format!(
                "indexing project {} took over {} s without renewing its lease and another run took it; \
                 nothing was written, try again",
                self.project_id,
                TTL.as_secs()
            )))
        }
    }

    /// Gives the lease up so a waiting run can start at once.
    pub(crate) async fn release(self) {
        self.renewer.abort();
        let released = sqlx::query("DELETE FROM code_index_leases WHERE project_id = ? AND token = ?")
            .bind(self.project_id)
            .bind(&self.token)
            .execute(self.db.pool())
            .await;
        if let Err(e) = released {
            // It expires on its own; others wait until then.
            tracing::warn!(project_id = self.project_id, error = %e, "cannot release the code index lease");
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        // A run dropped before `release` (its future was cancelled) must stop renewing,
        // so its lease expires instead of being held for ever.
        self.renewer.abort();
    }
}
