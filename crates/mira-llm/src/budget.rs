//! Spend tracking and limits. Every call gets a `budget_tracking` row; a paid call first
//! reserves its estimated cost in a `BEGIN IMMEDIATE` transaction that also checks the
//! daily and monthly limits against settled spend plus open reservations, so concurrent
//! calls (even from several processes) cannot together pass a limit. Settling replaces
//! the estimate with the real cost and adds it to `budget_summary`.

use mira_store::Db;
use serde::Serialize;

use crate::error::LlmError;
use crate::types::Usage;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Limits {
    pub daily_usd: f64,
    pub monthly_usd: f64,
}

#[derive(Debug, Clone)]
pub struct Budget {
    db: Db,
    pub limits: Limits,
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

impl Budget {
    pub fn new(db: Db, limits: Limits) -> Self {
        Self { db, limits }
    }

    /// Reserves `estimate` for a call, or refuses it when settled spend plus open
    /// reservations plus the estimate would pass a limit. Free calls are recorded
    /// without a check. Returns the row id to settle.
    pub async fn reserve(&self, meta: &CallMeta, estimate: f64) -> Result<i64, LlmError> {
        let now = chrono::Utc::now();
        let (day, month) = periods(now);
        let mut tx = self.db.pool().begin_with("BEGIN IMMEDIATE").await?;
        if estimate > 0.0 {
            for (period, key, limit, column) in [
                ("daily", &day, self.limits.daily_usd, "day"),
                ("monthly", &month, self.limits.monthly_usd, "month"),
            ] {
                // Settled spend from the running sum, open reservations through the
                // (period, status) index: both stay cheap however many calls a day has.
                let settled: f64 = sqlx::query_scalar(
                    "SELECT TOTAL(cost_usd) FROM budget_summary WHERE period = ? AND key = ?",
                )
                .bind(column)
                .bind(key)
                .fetch_one(&mut *tx)
                .await?;
                let reserved: f64 = sqlx::query_scalar(&format!(
                    "SELECT TOTAL(reserved_usd) FROM budget_tracking WHERE {column} = ? AND status = 'reserved'"
                ))
                .bind(key)
                .fetch_one(&mut *tx)
                .await?;
                let spent = settled + reserved;
                if spent + estimate > limit + 1e-12 {
                    tx.rollback().await?;
                    return Err(LlmError::BudgetExceeded {
                        period: period.to_string(),
                        limit,
                        spent,
                        estimate,
                    });
                }
            }
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO budget_tracking (ts, day, month, provider, model, tier, operation, status, reserved_usd, cacheable)
             VALUES (?, ?, ?, ?, ?, ?, ?, 'reserved', ?, ?) RETURNING id",
        )
        .bind(now.timestamp_millis())
        .bind(&day)
        .bind(&month)
        .bind(&meta.provider)
        .bind(&meta.model)
        .bind(&meta.tier)
        .bind(&meta.operation)
        .bind(estimate)
        .bind(meta.cacheable)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Replaces a reservation with what the call cost (a failed call costs what the
    /// provider billed for it, usually nothing).
    pub async fn settle(&self, id: i64, s: &Settlement) -> Result<(), LlmError> {
        let mut tx = self.db.pool().begin_with("BEGIN IMMEDIATE").await?;
        let row: Option<(String, String, i64)> = sqlx::query_as(
            "UPDATE budget_tracking SET status = ?2, cost_usd = ?3, input_tokens = ?4, output_tokens = ?5,
                 cached_tokens = ?6, reasoning_tokens = ?7, latency_ms = ?8, error = ?9
             WHERE id = ?1 AND status = 'reserved' RETURNING day, month, cacheable",
        )
        .bind(id)
        .bind(if s.error.is_some() { "failed" } else { "settled" })
        .bind(s.cost_usd)
        .bind(s.usage.input as i64)
        .bind(s.usage.output as i64)
        .bind(s.usage.cached as i64)
        .bind(s.usage.reasoning as i64)
        .bind(s.latency_ms as i64)
        .bind(&s.error)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((day, month, cacheable)) = row {
            let miss = i64::from(cacheable == 1 && s.error.is_none());
            add_to_summary(&mut tx, &day, &month, s, 0, miss, 0.0).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A call answered from the cache: free, and `saved_usd` not spent.
    pub async fn record_hit(
        &self,
        meta: &CallMeta,
        usage: Usage,
        saved_usd: f64,
        latency_ms: u64,
    ) -> Result<(), LlmError> {
        let now = chrono::Utc::now();
        let (day, month) = periods(now);
        let mut tx = self.db.pool().begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query(
            "INSERT INTO budget_tracking (ts, day, month, provider, model, tier, operation, status, cache_hit,
                 saved_usd, input_tokens, output_tokens, cached_tokens, reasoning_tokens, latency_ms)
             VALUES (?, ?, ?, ?, ?, ?, ?, 'settled', 1, ?, ?, ?, ?, ?, ?)",
        )
        .bind(now.timestamp_millis())
        .bind(&day)
        .bind(&month)
        .bind(&meta.provider)
        .bind(&meta.model)
        .bind(&meta.tier)
        .bind(&meta.operation)
        .bind(saved_usd)
        .bind(usage.input as i64)
        .bind(usage.output as i64)
        .bind(usage.cached as i64)
        .bind(usage.reasoning as i64)
        .bind(latency_ms as i64)
        .execute(&mut *tx)
        .await?;
        let free = Settlement {
            usage,
            ..Settlement::default()
        };
        add_to_summary(&mut tx, &day, &month, &free, 1, 0, saved_usd).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Spend against the limits now, cache figures, and spend by day.
    pub async fn status(&self) -> Result<BudgetStatus, LlmError> {
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

async fn add_to_summary(
    tx: &mut sqlx::SqliteConnection,
    day: &str,
    month: &str,
    s: &Settlement,
    hit: i64,
    miss: i64,
    saved: f64,
) -> Result<(), LlmError> {
    for (period, key) in [("day", day), ("month", month)] {
        sqlx::query(
            "INSERT INTO budget_summary (period, key, calls, cache_hits, cache_misses, cost_usd, saved_usd, input_tokens, output_tokens)
             VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (period, key) DO UPDATE SET calls = calls + 1, cache_hits = cache_hits + ?3,
                 cache_misses = cache_misses + ?4, cost_usd = cost_usd + ?5, saved_usd = saved_usd + ?6,
                 input_tokens = input_tokens + ?7, output_tokens = output_tokens + ?8",
        )
        .bind(period)
        .bind(key)
        .bind(hit)
        .bind(miss)
        .bind(s.cost_usd)
        .bind(saved)
        .bind(s.usage.input as i64)
        .bind(s.usage.output as i64)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}
