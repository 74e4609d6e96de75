//! Spend tracking and limits. Every call gets a `budget_tracking` row, written with its
//! cost once it has ended. A paid call first reserves its estimated cost from the
//! process's budget lease, in memory ([`crate::lease`]): headroom taken from the daily
//! and monthly limits in one checked write that sums settled spend, open reservations
//! and every process's leases, so concurrent calls (even from several processes) cannot
//! together pass a limit; only when the lease cannot cover a call is it grown, on the
//! call's path. Settlements and cache hits are queued to the [`Writer`] and written in
//! batches after the call has returned (each settlement's cost added to
//! `budget_summary` and taken off the lease's row in one transaction), and
//! [`Budget::status`] writes what is queued before it reads.

use mira_store::Db;
use serde::Serialize;

use std::sync::Arc;

use crate::error::LlmError;
pub use crate::lease::LeaseConfig;
use crate::lease::Leases;
use crate::types::Usage;
use crate::writer::{Op, Writer};

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Limits {
    pub daily_usd: f64,
    pub monthly_usd: f64,
}

#[derive(Debug, Clone)]
pub struct Budget {
    db: Db,
    pub limits: Limits,
    writer: Writer,
    leases: Arc<Leases>,
}

/// What a call is, for its row.
#[derive(Debug, Clone, PartialEq)]
pub struct CallMeta {
    pub provider: String,
    pub model: String,
    pub tier: Option<String>,
    pub operation: String,
    pub cacheable: bool,
}

/// How a call ended.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Settlement {
    pub usage: Usage,
    pub cost_usd: f64,
    pub latency_ms: u64,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PeriodStatus {
    pub key: String,
    pub limit_usd: f64,
    pub spent_usd: f64,
    /// Estimated cost of calls under way (of this process, and reservations of older
    /// versions' calls).
    pub reserved_usd: f64,
    /// Headroom running processes hold in budget leases and have not used: not spent,
    /// given back when they are idle, flush or exit (or when the lease expires). A call
    /// can be refused while `remaining_usd` covers it if other processes hold this.
    pub leased_usd: f64,
    pub remaining_usd: f64,
    pub calls: i64,
    pub cache_hits: i64,
    pub cache_misses: i64,
    pub saved_usd: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq, sqlx::FromRow)]
pub struct SpendRow {
    pub day: String,
    pub provider: String,
    pub model: String,
    pub tier: Option<String>,
    pub calls: i64,
    pub cost_usd: f64,
    pub input_tokens: i64,
    pub output_tokens: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BudgetStatus {
    pub day: PeriodStatus,
    pub month: PeriodStatus,
    /// Hits / (hits + misses) this month; `None` before the first cacheable call.
    pub cache_hit_rate: Option<f64>,
    /// What this month would have cost without the cache.
    pub month_without_cache_usd: f64,
    /// This month's spend extrapolated to the whole month.
    pub month_projection_usd: f64,
    /// Spend per day, provider, model and tier over the last 31 days (oldest first).
    pub by_day: Vec<SpendRow>,
}

fn periods(now: chrono::DateTime<chrono::Utc>) -> (String, String) {
    (
        now.format("%Y-%m-%d").to_string(),
        now.format("%Y-%m").to_string(),
    )
}

/// A reservation to settle: the call, when it was made, and the estimate it drew from
/// the lease of its day (nothing for a free call).
#[derive(Debug, Clone, PartialEq)]
pub struct Reservation {
    meta: CallMeta,
    ts: i64,
    day: String,
    month: String,
    estimate: f64,
}

impl Budget {
    /// With leases sized for `limits` ([`LeaseConfig::for_limits`]).
    pub fn new(db: Db, limits: Limits) -> Self {
        Self {
            writer: Writer::new(db.clone()),
            db,
            limits,
            leases: Arc::new(Leases::new(LeaseConfig::for_limits(limits))),
        }
    }

    /// Leases of another size or lifetime. Before the first call.
    pub fn with_lease(mut self, config: LeaseConfig) -> Self {
        self.leases = Arc::new(Leases::new(config));
        self
    }

    pub(crate) fn writer(&self) -> &Writer {
        &self.writer
    }

    /// Returns once every queued settlement and hit is written, and gives back what
    /// the leases hold beyond calls still under way. A process calls it before it
    /// exits (a lease it does not give back counts until it expires).
    pub async fn flush(&self) {
        self.writer.flush().await;
        if !self.leases.is_empty() {
            self.leases.maintain(&self.writer, true).await;
        }
    }

    /// Reserves `estimate` for a call from the lease, growing the lease (or taking a
    /// new one) when it cannot cover it, or refuses the call when settled spend, open
    /// reservations, every process's leases and the estimate would pass a limit. Free
    /// calls are recorded without a check.
    pub async fn reserve(&self, meta: &CallMeta, estimate: f64) -> Result<Reservation, LlmError> {
        let now = chrono::Utc::now();
        let (day, month) = periods(now);
        let reservation = Reservation {
            meta: meta.clone(),
            ts: now.timestamp_millis(),
            day,
            month,
            estimate: estimate.max(0.0),
        };
        if estimate <= 0.0 {
            return Ok(reservation);
        }
        let (day, month) = (&reservation.day, &reservation.month);
        loop {
            if self
                .leases
                .try_draw(day, estimate, chrono::Utc::now().timestamp_millis())
            {
                return Ok(reservation);
            }
            let mut gate = self.writer.gate().await?;
            // Another call may have grown the lease while this one waited.
            let now = chrono::Utc::now();
            if self.leases.try_draw(day, estimate, now.timestamp_millis()) {
                return Ok(reservation);
            }
            match self
                .leases
                .refill(&self.writer, gate.conn(), day, month, estimate, self.limits, now)
                .await
            {
                Ok(true) => return Ok(reservation),
                Ok(false) => continue,
                Err(e @ LlmError::BudgetExceeded { .. }) => return Err(e),
                Err(e) => {
                    gate.discard();
                    return Err(e);
                }
            }
        }
    }

    /// Records what the call cost (a failed call costs what the provider billed for
    /// it, usually nothing): what it did not use of its estimate goes back to the lease
    /// at once, cost above it is taken from the lease. Queued: the row is written with
    /// the writer's next batch; until then the lease's row keeps counting the cost.
    pub fn settle(&self, reservation: Reservation, s: Settlement) {
        let charged = self
            .leases
            .settle(&reservation.day, reservation.estimate, s.cost_usd);
        self.writer.send(Op::Settle {
            meta: reservation.meta,
            ts: reservation.ts,
            day: reservation.day,
            month: reservation.month,
            estimate: reservation.estimate,
            lease: charged.then(|| self.leases.clone()),
            settlement: s,
        });
    }

    /// A call answered from the cache: free, and `saved_usd` not spent. Queued.
    pub fn record_hit(&self, meta: &CallMeta, usage: Usage, saved_usd: f64, latency_ms: u64) {
        let now = chrono::Utc::now();
        let (day, month) = periods(now);
        self.writer.send(Op::Hit {
            meta: meta.clone(),
            ts: now.timestamp_millis(),
            day,
            month,
            usage,
            saved_usd,
            latency_ms,
        });
    }

    /// Spend against the limits now, cache figures, and spend by day.
    pub async fn status(&self) -> Result<BudgetStatus, LlmError> {
        self.writer.flush().await;
        let now = chrono::Utc::now();
        let (day, month) = periods(now);
        let day_status = self.period("day", &day, self.limits.daily_usd).await?;
        let month_status = self.period("month", &month, self.limits.monthly_usd).await?;
        let since = (now - chrono::Duration::days(30)).format("%Y-%m-%d").to_string();
        let by_day: Vec<SpendRow> = sqlx::query_as(
            "SELECT day, provider, model, tier, COUNT(*) AS calls, TOTAL(cost_usd) AS cost_usd,
                 SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens
             FROM budget_tracking WHERE day >= ? AND status != 'reserved'
             GROUP BY day, provider, model, tier ORDER BY day, provider, model",
        )
        .bind(&since)
        .fetch_all(self.db.pool())
        .await?;
        let lookups = month_status.cache_hits + month_status.cache_misses;
        let cache_hit_rate = (lookups > 0).then(|| month_status.cache_hits as f64 / lookups as f64);
        let days_in_month = days_in_month(now);
        let day_of_month = now.format("%d").to_string().parse::<f64>().unwrap_or(1.0);
        Ok(BudgetStatus {
            cache_hit_rate,
            month_without_cache_usd: month_status.spent_usd + month_status.saved_usd,
            month_projection_usd: month_status.spent_usd / day_of_month * days_in_month,
            day: day_status,
            month: month_status,
            by_day,
        })
    }

    async fn period(&self, period: &str, key: &str, limit: f64) -> Result<PeriodStatus, LlmError> {
        let summary: Option<(i64, i64, i64, f64, f64)> = sqlx::query_as(
            "SELECT calls, cache_hits, cache_misses, cost_usd, saved_usd FROM budget_summary WHERE period = ? AND key = ?",
        )
        .bind(period)
        .bind(key)
        .fetch_optional(self.db.pool())
        .await?;
        let (calls, cache_hits, cache_misses, spent, saved) = summary.unwrap_or((0, 0, 0, 0.0, 0.0));
        // Reservation rows are left only by calls of older versions (this one reserves
        // from leases); of the leases, only what this process's calls hold is known
        // to be in use.
        let (reserved, leases): (f64, f64) = sqlx::query_as(&format!(
            "SELECT (SELECT TOTAL(reserved_usd) FROM budget_tracking WHERE {period} = ?1 AND status = 'reserved'),
                 (SELECT TOTAL(amount_usd) FROM budget_leases WHERE {period} = ?1 AND expires_at > ?2)"
        ))
        .bind(key)
        .bind(chrono::Utc::now().timestamp_millis())
        .fetch_one(self.db.pool())
        .await?;
        let held = self.leases.held(key);
        let reserved = reserved + held;
        Ok(PeriodStatus {
            key: key.to_string(),
            limit_usd: limit,
            spent_usd: spent,
            reserved_usd: reserved,
            leased_usd: (leases - held).max(0.0),
            remaining_usd: (limit - spent - reserved).max(0.0),
            calls,
            cache_hits,
            cache_misses,
            saved_usd: saved,
        })
    }

    /// Reservations left by a process of an older version that died mid-call are
    /// released (they would otherwise hold budget forever), and expired leases (which
    /// no longer count) deleted. Called at start; returns the reservations released.
    pub async fn release_stale(&self, older_than: std::time::Duration) -> Result<u64, LlmError> {
        self.writer.flush().await;
        let now = chrono::Utc::now().timestamp_millis();
        let before = now - older_than.as_millis() as i64;
        sqlx::query("DELETE FROM budget_leases WHERE expires_at <= ?")
            .bind(now)
            .execute(self.db.pool())
            .await?;
        Ok(sqlx::query(
            "UPDATE budget_tracking SET status = 'failed', error = 'interrupted' WHERE status = 'reserved' AND ts < ?",
        )
        .bind(before)
        .execute(self.db.pool())
        .await?
        .rows_affected())
    }
}

fn days_in_month(now: chrono::DateTime<chrono::Utc>) -> f64 {
    use chrono::Datelike;
    let (y, m) = (now.year(), now.month());
    let next = if m == 12 {
        chrono::NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        chrono::NaiveDate::from_ymd_opt(y, m + 1, 1)
    };
    let first = chrono::NaiveDate::from_ymd_opt(y, m, 1);
    match (first, next) {
        (Some(a), Some(b)) => (b - a).num_days() as f64,
        _ => 30.0,
    }
}
