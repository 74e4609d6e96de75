//! Spend tracking and limits. Every call gets a `budget_tracking` row; a paid call first
//! reserves its estimated cost in one write statement that also checks the daily and
//! monthly limits against settled spend plus open reservations, so concurrent calls
//! (even from several processes) cannot together pass a limit. Settling replaces the
//! estimate with the real cost and adds it to `budget_summary`; settlements and cache
//! hits are queued to the [`Writer`] and written in batches after the call has
//! returned, and [`Budget::status`] writes what is queued before it reads.

use mira_store::Db;
use serde::Serialize;

use crate::error::LlmError;
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
    /// Estimated cost of calls under way.
    pub reserved_usd: f64,
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

/// A reservation to settle: its row and what it holds against which periods.
#[derive(Debug, Clone, PartialEq)]
pub struct Reservation {
    pub id: i64,
    day: String,
    month: String,
    estimate: f64,
}

/// Inserts the reservation only when settled spend, open reservations, the cost of
/// queued settlements above their estimates (?10, ?11) and this estimate stay within
/// both limits: one statement, so it runs under SQLite's write lock from its first
/// read to its insert and no other writer (of any process) can come in between.
const RESERVE: &str = "INSERT INTO budget_tracking (ts, day, month, provider, model, tier, operation, status, reserved_usd, cacheable)
     SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, 'reserved', ?8, ?9
     WHERE ?8 <= 0 OR (
         (SELECT TOTAL(cost_usd) FROM budget_summary WHERE period = 'day' AND key = ?2)
           + (SELECT TOTAL(reserved_usd) FROM budget_tracking WHERE day = ?2 AND status = 'reserved')
           + ?10 + ?8 <= ?12 + 1e-12
         AND (SELECT TOTAL(cost_usd) FROM budget_summary WHERE period = 'month' AND key = ?3)
           + (SELECT TOTAL(reserved_usd) FROM budget_tracking WHERE month = ?3 AND status = 'reserved')
           + ?11 + ?8 <= ?13 + 1e-12)
     RETURNING id";

impl Budget {
    pub fn new(db: Db, limits: Limits) -> Self {
        Self {
            writer: Writer::new(db.clone()),
            db,
            limits,
        }
    }

    pub(crate) fn writer(&self) -> &Writer {
        &self.writer
    }

    /// Returns once every queued settlement and hit is written.
    pub async fn flush(&self) {
        self.writer.flush().await;
    }

    /// Reserves `estimate` for a call, or refuses it when settled spend plus open
    /// reservations plus the estimate would pass a limit. Free calls are recorded
    /// without a check.
    pub async fn reserve(&self, meta: &CallMeta, estimate: f64) -> Result<Reservation, LlmError> {
        let now = chrono::Utc::now();
        let (day, month) = periods(now);
        let mut flushed = false;
        loop {
            let id: Option<i64> = {
                // In this process, wait for the writer here rather than in SQLite.
                let mut gate = self.writer.gate().await?;
                let (over_day, over_month) = {
                    let pending = self.writer.pending();
                    (pending.excess(&day), pending.excess(&month))
                };
                let found: Result<Option<i64>, sqlx::Error> = sqlx::query_scalar(RESERVE)
                    .bind(now.timestamp_millis())
                    .bind(&day)
                    .bind(&month)
                    .bind(&meta.provider)
                    .bind(&meta.model)
                    .bind(&meta.tier)
                    .bind(&meta.operation)
                    .bind(estimate)
                    .bind(meta.cacheable)
                    .bind(over_day)
                    .bind(over_month)
                    .bind(self.limits.daily_usd)
                    .bind(self.limits.monthly_usd)
                    .fetch_optional(gate.conn())
                    .await;
                match found {
                    Ok(id) => id,
                    Err(e) => {
                        gate.discard();
                        return Err(e.into());
                    }
                }
            };
            if let Some(id) = id {
                return Ok(Reservation {
                    id,
                    day,
                    month,
                    estimate,
                });
            }
            if flushed {
                return Err(self.refusal(&day, &month, estimate).await?);
            }
            // Queued settlements still count at their estimates, usually above what the
            // calls cost: write them, then ask again.
            self.writer.flush().await;
            flushed = true;
        }
    }

    /// The error for a refused reservation, with the figures of the period it passes.
    async fn refusal(&self, day: &str, month: &str, estimate: f64) -> Result<LlmError, LlmError> {
        let mut first = None;
        for (period, key, limit, column) in [
            ("daily", day, self.limits.daily_usd, "day"),
            ("monthly", month, self.limits.monthly_usd, "month"),
        ] {
            let settled: f64 =
                sqlx::query_scalar("SELECT TOTAL(cost_usd) FROM budget_summary WHERE period = ? AND key = ?")
                    .bind(column)
                    .bind(key)
                    .fetch_one(self.db.pool())
                    .await?;
            let reserved: f64 = sqlx::query_scalar(&format!(
                "SELECT TOTAL(reserved_usd) FROM budget_tracking WHERE {column} = ? AND status = 'reserved'"
            ))
            .bind(key)
            .fetch_one(self.db.pool())
            .await?;
            let spent = settled + reserved + self.writer.pending().excess(key);
            let error = LlmError::BudgetExceeded {
                period: period.to_string(),
                limit,
                spent,
                estimate,
            };
            if spent + estimate > limit + 1e-12 {
                return Ok(error);
            }
            // Both fit now (another call settled meanwhile): still refused, with the
            // daily figures, rather than retried without end.
            first.get_or_insert(error);
        }
        Ok(first.expect("two periods"))
    }

    /// Replaces a reservation with what the call cost (a failed call costs what the
    /// provider billed for it, usually nothing). Queued: written with the writer's next
    /// batch; until then the reservation keeps counting against the limits, and any cost
    /// above its estimate is counted in memory.
    pub fn settle(&self, reservation: Reservation, s: Settlement) {
        self.writer.send(Op::Settle {
            id: reservation.id,
            excess: (s.cost_usd - reservation.estimate).max(0.0),
            day: reservation.day,
            month: reservation.month,
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
        let reserved: f64 = sqlx::query_scalar(&format!(
            "SELECT TOTAL(reserved_usd) FROM budget_tracking WHERE {period} = ? AND status = 'reserved'"
        ))
        .bind(key)
        .fetch_one(self.db.pool())
        .await?;
        Ok(PeriodStatus {
            key: key.to_string(),
            limit_usd: limit,
            spent_usd: spent,
            reserved_usd: reserved,
            remaining_usd: (limit - spent - reserved).max(0.0),
            calls,
            cache_hits,
            cache_misses,
            saved_usd: saved,
        })
    }

    /// Reservations left by a process that died mid-call are released (they would
    /// otherwise hold budget forever). Called at start.
    pub async fn release_stale(&self, older_than: std::time::Duration) -> Result<u64, LlmError> {
        self.writer.flush().await;
        let before = chrono::Utc::now().timestamp_millis() - older_than.as_millis() as i64;
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
