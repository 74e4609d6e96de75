//! Budget leases: the process takes headroom from the daily and monthly limits in one
//! checked write (a `budget_leases` row) and its paid calls reserve their estimates
//! from it in memory, so a call's path touches SQLite only when its lease cannot cover
//! it (or is about to expire).
//!
//! Why the limits still hold exactly, across processes: a lease is granted or grown in
//! a `BEGIN IMMEDIATE` transaction that sums settled spend, open reservations and every
//! live lease (this process's included) against both limits, so all leases together
//! never pass a limit; a call draws only what its lease has not given out; and near a
//! limit a grant is what the call needs (never more than that plus half of what is
//! left), so there the check is as per call as before. What a lease's row holds is at
//! least what its calls in flight and its settlements not yet written hold plus what is
//! still `available`; cost above an estimate is taken from `available` when the call
//! settles (it may go below zero), so the next grant asks the database for it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sqlx::{Connection, SqliteConnection};

use crate::budget::Limits;
use crate::error::LlmError;
use crate::writer::Writer;

/// How much a lease takes and for how long.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeaseConfig {
    /// The most one grant takes.
    pub max_usd: f64,
    /// A lease not renewed for this long stops counting against the limits: how long
    /// the headroom of a process that died stays taken. Renewed every third of it.
    pub ttl: Duration,
}

impl LeaseConfig {
    /// At most $1 and a twentieth of either limit, so one process never holds much of
    /// a small budget; 30 s.
    pub fn for_limits(limits: Limits) -> Self {
        Self {
            max_usd: 1.0_f64
                .min(limits.daily_usd / 20.0)
                .min(limits.monthly_usd / 20.0)
                .max(0.0),
            ttl: Duration::from_secs(30),
        }
    }
}

/// Everything that counts against the day (?1) and month (?2) limits at ?3, and
/// whether lease ?4 still counts.
const COMMITTED: &str = "SELECT
    (SELECT TOTAL(cost_usd) FROM budget_summary WHERE period = 'day' AND key = ?1)
      + (SELECT TOTAL(reserved_usd) FROM budget_tracking WHERE day = ?1 AND status = 'reserved')
      + (SELECT TOTAL(amount_usd) FROM budget_leases WHERE day = ?1 AND expires_at > ?3),
    (SELECT TOTAL(cost_usd) FROM budget_summary WHERE period = 'month' AND key = ?2)
      + (SELECT TOTAL(reserved_usd) FROM budget_tracking WHERE month = ?2 AND status = 'reserved')
      + (SELECT TOTAL(amount_usd) FROM budget_leases WHERE month = ?2 AND expires_at > ?3),
    (SELECT expires_at > ?3 FROM budget_leases WHERE id = ?4)";

/// Below this a lease holds nothing.
const EMPTY: f64 = 1e-9;

/// One lease, for one day (and its month).
#[derive(Debug)]
struct Lease {
    id: i64,
    month: String,
    /// What the row holds, as last written; changed only under the writer's gate.
    row: f64,
    /// Not given out to any call. `row - available` is what calls in flight and
    /// settlements not yet written hold.
    available: f64,
    expires_at: i64,
    /// Its row was found expired: it no longer counts, and the next grant replaces it
    /// with one that also covers what this one holds.
    lost: bool,
    /// Drawn from since the keeper last looked; an idle lease gives back what is left.
    drawn: bool,
}

impl Lease {
    fn held(&self) -> f64 {
        self.row - self.available
    }
}

#[derive(Debug, Default)]
struct State {
    by_day: HashMap<String, Lease>,
    /// The last grant's size and time: grants double while they come quickly.
    last_grant: Option<(f64, Instant)>,
    keeper: bool,
}

/// This process's leases (one per budget); shared with the writer, which takes each
/// written settlement's cost off its lease's row.
#[derive(Debug)]
pub(crate) struct Leases {
    config: LeaseConfig,
    state: Mutex<State>,
}

fn day_of(now: chrono::DateTime<chrono::Utc>) -> String {
    now.format("%Y-%m-%d").to_string()
}

impl Leases {
    pub(crate) fn new(config: LeaseConfig) -> Self {
        Self {
            config,
            state: Mutex::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("budget lease lock")
    }

    fn ttl_ms(&self) -> i64 {
        self.config.ttl.as_millis() as i64
    }

    /// Draws `estimate` from the lease of `day` when it covers it and is not close to
    /// expiring (a quarter of its time left: the keeper renews it at two thirds).
    pub(crate) fn try_draw(&self, day: &str, estimate: f64, now_ms: i64) -> bool {
        let margin = self.ttl_ms() / 4;
        let mut state = self.lock();
        match state.by_day.get_mut(day) {
            Some(l) if !l.lost && now_ms + margin < l.expires_at && l.available + 1e-12 >= estimate => {
                l.available -= estimate;
                l.drawn = true;
                true
            }
            _ => false,
        }
    }

    /// A call ended at `cost` having drawn `drawn` from the lease of `day`: what it did
    /// not use goes back, cost above its estimate is taken. False when the day has no
    /// lease (a free call made before any paid one): nothing was charged.
    pub(crate) fn settle(&self, day: &str, drawn: f64, cost: f64) -> bool {
        match self.lock().by_day.get_mut(day) {
            Some(l) => {
                l.available += drawn - cost;
                true
            }
            None => false,
        }
    }

    /// Takes `cost` (settlements of `day` written in the writer's transaction) off the
    /// row, in that transaction, and off what the lease holds in memory (at once: if
    /// the transaction fails, the row only holds more than it must until the lease is
    /// given back). The row never drops below what the lease's other calls hold: cost
    /// above estimates, taken from `available`, is in the settled spend from now on, so
    /// what was missing from the row is made up and `available` is back at zero.
    pub(crate) async fn write_cost(
        &self,
        conn: &mut SqliteConnection,
        day: &str,
        cost: f64,
    ) -> Result<(), LlmError> {
        let written = {
            let mut state = self.lock();
            match state.by_day.get_mut(day) {
                Some(l) if cost > 0.0 => {
                    let short = (-l.available).max(0.0);
                    l.row = (l.row - cost + short).max(0.0);
                    l.available += short;
                    Some((l.id, l.row))
                }
                _ => None,
            }
        };
        if let Some((id, row)) = written {
            sqlx::query("UPDATE budget_leases SET amount_usd = ? WHERE id = ?")
                .bind(row)
                .bind(id)
                .execute(conn)
                .await?;
        }
        Ok(())
    }

    /// What calls in flight and unwritten settlements of this process hold against a
    /// day or month `key`.
    pub(crate) fn held(&self, key: &str) -> f64 {
        self.lock()
            .by_day
            .iter()
            .filter(|(day, l)| day.as_str() == key || l.month == key)
            .map(|(_, l)| l.held())
            // `row` and `available` add the same amounts in another order.
            .filter(|held| *held > EMPTY)
            .sum()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.lock().by_day.is_empty()
    }

    /// Grows the lease of `day` (or takes a new one) so that a call of `estimate` can
    /// draw, and draws it: `Ok(true)`. `Ok(false)` when other calls drew what was
    /// granted first (ask again). Refused with [`LlmError::BudgetExceeded`] when the
    /// limits leave less than the call needs. Run under the writer's gate, on its
    /// connection.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn refill(
        self: &Arc<Self>,
        writer: &Writer,
        conn: &mut SqliteConnection,
        day: &str,
        month: &str,
        estimate: f64,
        limits: Limits,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, LlmError> {
        let now_ms = now.timestamp_millis();
        let (id, row, available, grow) = {
            let state = self.lock();
            let grow = match state.last_grant {
                Some((size, at)) if at.elapsed() < self.config.ttl / 3 => size * 2.0,
                _ => estimate * 4.0,
            };
            match state.by_day.get(day) {
                Some(l) => (Some(l.id), l.row, l.available, grow),
                None => (None, 0.0, 0.0, grow),
            }
        };
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let (day_total, month_total, ours): (f64, f64, Option<bool>) = sqlx::query_as(COMMITTED)
            .bind(day)
            .bind(month)
            .bind(now_ms)
            .bind(id.unwrap_or(-1))
            .fetch_one(&mut *tx)
            .await?;
        let valid = ours == Some(true);
        // What this process can draw without asking: its lease's available amount if
        // its row still counts; if not, less what its calls hold, which no row covers.
        let own = if valid { available } else { available - row };
        let need = estimate - own;
        let day_room = limits.daily_usd - day_total;
        let month_room = limits.monthly_usd - month_total;
        if day_room + 1e-12 < need || month_room + 1e-12 < need {
            tx.rollback().await?;
            let (period, limit, total) = if day_room + 1e-12 < need {
                ("daily", limits.daily_usd, day_total)
            } else {
                ("monthly", limits.monthly_usd, month_total)
            };
            return Err(LlmError::BudgetExceeded {
                period: period.to_string(),
                limit,
                spent: total - own,
                estimate,
            });
        }
        // Enough for the next calls while they come quickly, but never more than what
        // this call needs plus half of what is left, so near a limit other processes
        // keep their share and the check stays per call.
        let desired = need.max(grow.min(self.config.max_usd));
        let amount = desired.min(need.max(day_room.min(month_room) / 2.0)).max(0.0);
        let expires_at = now_ms + self.ttl_ms();
        let new_id = match id {
            Some(id) if valid => {
                sqlx::query(
                    "UPDATE budget_leases SET amount_usd = amount_usd + ?, expires_at = ? WHERE id = ?",
                )
                .bind(amount)
                .bind(expires_at)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                None
            }
            old => {
                if let Some(old) = old {
                    sqlx::query("DELETE FROM budget_leases WHERE id = ?")
                        .bind(old)
                        .execute(&mut *tx)
                        .await?;
                }
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO budget_leases (day, month, amount_usd, pid, created_at, expires_at)
                     VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                )
                .bind(day)
                .bind(month)
                .bind(amount)
                .bind(i64::from(std::process::id()))
                .bind(now_ms)
                .bind(expires_at)
                .fetch_one(&mut *tx)
                .await?;
                Some(id)
            }
        };
        tx.commit().await?;

        let mut state = self.lock();
        state.last_grant = Some((amount, Instant::now()));
        let start_keeper = !std::mem::replace(&mut state.keeper, true);
        let lease = state.by_day.entry(day.to_string()).or_insert_with(|| Lease {
            id: 0,
            month: month.to_string(),
            row: 0.0,
            available: 0.0,
            expires_at,
            lost: false,
            drawn: false,
        });
        match new_id {
            None => {
                lease.row += amount;
                lease.available += amount;
            }
            Some(new_id) => {
                // The new row covers what the old one's calls hold, and the rest is
                // available. `row` is unchanged since the snapshot (only the gate's
                // holder changes it); `available` may have moved.
                let held = lease.held();
                lease.id = new_id;
                lease.row = amount;
                lease.available = amount - held;
            }
        }
        lease.lost = false;
        lease.expires_at = expires_at;
        let drew = lease.available + 1e-12 >= estimate;
        if drew {
            lease.available -= estimate;
            lease.drawn = true;
        }
        drop(state);
        if start_keeper {
            self.start_keeper(writer);
        }
        Ok(drew)
    }

    /// Renews the leases every third of their time and gives back what idle ones do not
    /// use; ends with the budget (it holds neither the leases nor the writer).
    fn start_keeper(self: &Arc<Self>, writer: &Writer) {
        let leases = Arc::downgrade(self);
        let writer = writer.downgrade();
        let period = self.config.ttl / 3;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(period).await;
                let (Some(leases), Some(writer)) = (leases.upgrade(), writer.upgrade()) else {
                    break;
                };
                leases.maintain(&writer, false).await;
            }
        });
    }

    /// Gives back what no call holds (every lease when `release_all`, else those not
    /// drawn from since the last look or of an earlier day), deletes leases left
    /// holding nothing, and renews the others.
    pub(crate) async fn maintain(&self, writer: &Writer, release_all: bool) {
        let mut gate = match writer.gate().await {
            Ok(gate) => gate,
            Err(e) => {
                tracing::warn!(error = %e, "cannot renew the budget lease");
                return;
            }
        };
        if let Err(e) = self.maintain_on(gate.conn(), release_all).await {
            gate.discard();
            tracing::warn!(error = %e, "cannot renew the budget lease");
        }
    }

    async fn maintain_on(&self, conn: &mut SqliteConnection, release_all: bool) -> Result<(), LlmError> {
        let now = chrono::Utc::now();
        let today = day_of(now);
        let now_ms = now.timestamp_millis();
        let expires_at = now_ms + self.ttl_ms();
        // What each lease gives back is taken out of `available` first, so that no call
        // draws it while it is being written.
        let plan: Vec<(String, i64, f64, bool, bool)> = {
            let mut state = self.lock();
            state
                .by_day
                .iter_mut()
                .map(|(day, l)| {
                    let give_back = release_all || !l.drawn || *day != today;
                    let taken = if give_back && l.available > 0.0 {
                        std::mem::take(&mut l.available)
                    } else {
                        0.0
                    };
                    l.drawn = false;
                    let empty = l.row - taken <= EMPTY && l.available.abs() <= EMPTY;
                    (day.clone(), l.id, taken, empty, l.lost)
                })
                .collect()
        };
        let mut result = Ok(());
        for (day, id, taken, empty, lost) in plan {
            if result.is_err() {
                // Not written: what was taken is available again.
                if let Some(l) = self.lock().by_day.get_mut(&day) {
                    l.available += taken;
                }
                continue;
            }
            let written: Result<u64, sqlx::Error> = if empty {
                // Nothing in flight, nothing unwritten, nothing kept: the row goes.
                sqlx::query("DELETE FROM budget_leases WHERE id = ?")
                    .bind(id)
                    .execute(&mut *conn)
                    .await
                    .map(|r| r.rows_affected())
            } else if lost {
                Ok(0)
            } else {
                // Renewed only while it still counts: once expired, other processes may
                // already have spent what it held.
                sqlx::query(
                    "UPDATE budget_leases SET amount_usd = max(0, amount_usd - ?), expires_at = ?
                     WHERE id = ? AND expires_at > ?",
                )
                .bind(taken)
                .bind(expires_at)
                .bind(id)
                .bind(now_ms)
                .execute(&mut *conn)
                .await
                .map(|r| r.rows_affected())
            };
            let mut state = self.lock();
            match written {
                Ok(_) if empty => {
                    state.by_day.remove(&day);
                }
                Ok(1) => {
                    if let Some(l) = state.by_day.get_mut(&day) {
                        l.row = (l.row - taken).max(0.0);
                        l.expires_at = expires_at;
                    }
                }
                Ok(_) => {
                    // Expired (the process stalled): it counts no more, so what it holds
                    // is asked for again by the next grant.
                    if let Some(l) = state.by_day.get_mut(&day) {
                        if !l.lost {
                            tracing::warn!(day = %day, "the budget lease expired before it was renewed");
                        }
                        l.lost = true;
                        l.available += taken;
                    }
                }
                Err(e) => {
                    if let Some(l) = state.by_day.get_mut(&day) {
                        l.available += taken;
                    }
                    result = Err(e.into());
                }
            }
        }
        result
    }
}
