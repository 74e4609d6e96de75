//! The writes that follow a model call (its settlement, a cache hit's row, the answer
//! put in the cache, a hit's recency) are queued here and applied by one task in
//! batches, one `BEGIN IMMEDIATE` transaction per batch, so a call returns without
//! waiting for them. Readers that must see them (budget status, cache size) call
//! [`Writer::flush`] first, and so must a process before it exits.
//!
//! Budget correctness does not depend on the queue: a paid call's estimate is drawn
//! from the process's budget lease ([`crate::lease`]), whose row keeps counting it
//! against the limits until its settlement is written; the same transaction adds the
//! call's row and cost and takes the cost off the lease's row.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, Weak};

use mira_store::Db;
use sqlx::{Connection, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use crate::budget::{CallMeta, Settlement};
use crate::cache::Shared;
use crate::embed_cache::{EmbedRow, EmbedShared};
use crate::error::LlmError;
use crate::lease::Leases;
use crate::types::{ChatResponse, Usage};

/// Most operations taken from the queue at once: a bound on one batch's statements
/// (and their parameters: 17 a row, well within SQLite's 32,766) and on how long a
/// lease's refill can wait behind it.
const MAX_BATCH: usize = 64;

/// How long the task waits for more operations after the first of a batch (unless it
/// is asked to flush): fewer, fuller transactions, so less of the cores it shares with
/// the calls.
const GATHER: std::time::Duration = std::time::Duration::from_millis(5);

pub(crate) enum Op {
    /// A paid or free call's row, written once it has ended.
    Settle {
        meta: CallMeta,
        ts: i64,
        day: String,
        month: String,
        estimate: f64,
        /// The leases its cost was charged to (`None` for a free call made before any
        /// lease): the cost comes off the row of the lease of `day` when written.
        lease: Option<Arc<Leases>>,
        settlement: Settlement,
    },
    Hit {
        meta: CallMeta,
        ts: i64,
        day: String,
        month: String,
        usage: Usage,
        saved_usd: f64,
        latency_ms: u64,
    },
    CachePut {
        cache: Arc<Shared>,
        key: String,
        provider: String,
        model: String,
        response: Arc<ChatResponse>,
        cost_usd: f64,
        now: i64,
        expires_at: i64,
    },
    CacheTouch {
        cache: Arc<Shared>,
        key: String,
        now: i64,
    },
    CacheDelete {
        cache: Arc<Shared>,
        key: String,
    },
    /// Vectors of an embedding call, to store.
    EmbedPut {
        cache: Arc<EmbedShared>,
        rows: Vec<EmbedRow>,
        now: i64,
    },
    /// Stored vectors just used: their recency.
    EmbedTouch {
        keys: Vec<String>,
        now: i64,
    },
    /// Picks up answers other processes stored.
    CacheSync {
        cache: Arc<Shared>,
    },
    Flush(oneshot::Sender<()>),
}

/// A handle on the queue; clones share it. The task starts with the first write.
#[derive(Clone)]
pub(crate) struct Writer {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    sender: OnceLock<mpsc::UnboundedSender<Op>>,
    /// Held by the task around each batch and by a lease's refill or renewal around
    /// its statements, so that in this process they wait for each other here, woken
    /// the moment the other is done, rather than in SQLite's busy handler, which
    /// sleeps 1 ms, then 2, 5, ... (other processes still meet the busy handler). A
    /// lease's row and its copy in memory change only under it.
    gate: Arc<tokio::sync::Mutex<Option<SqliteConnection>>>,
}

/// A writer that does not keep the queue open (for the lease keeper).
pub(crate) struct WeakWriter(Weak<Inner>);

impl WeakWriter {
    pub(crate) fn upgrade(&self) -> Option<Writer> {
        self.0.upgrade().map(|inner| Writer { inner })
    }
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("db", &self.inner.db.path())
            .finish()
    }
}

impl Writer {
    pub(crate) fn new(db: Db) -> Self {
        Self {
            inner: Arc::new(Inner {
                db,
                sender: OnceLock::new(),
                gate: Arc::default(),
            }),
        }
    }

    pub(crate) fn downgrade(&self) -> WeakWriter {
        WeakWriter(Arc::downgrade(&self.inner))
    }

    pub(crate) fn db(&self) -> &Db {
        &self.inner.db
    }

    pub(crate) fn same(&self, other: &Writer) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Taken by a lease's refill or renewal; the task's next batch waits for it (the
    /// lock is fair). It holds the leases' own connection, out of the pool: no health
    /// check before each statement, and no WAL checkpoint on a call's path (see
    /// [`dedicated`]).
    pub(crate) async fn gate(&self) -> Result<Gate<'_>, LlmError> {
        let mut guard = self.inner.gate.lock().await;
        if guard.is_none() {
            *guard = Some(dedicated(&self.inner.db, false).await?);
        }
        Ok(Gate(guard))
    }

    /// Queues a write. Must be called within a Tokio runtime (the task is spawned on
    /// the first call).
    pub(crate) fn send(&self, op: Op) {
        let sender = self.inner.sender.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            // The task holds no handle, so it ends when the last one is dropped, after
            // writing what was queued (as long as the runtime runs).
            tokio::spawn(run(self.inner.db.clone(), self.inner.gate.clone(), rx));
            tx
        });
        if let Err(mpsc::error::SendError(op)) = sender.send(op) {
            // The task ended with its runtime; nothing can write any more.
            drop(op);
            tracing::error!("the gateway's writer has stopped; a call's accounting is lost");
        }
    }

    /// Returns once everything queued before it is written.
    pub async fn flush(&self) {
        if self.inner.sender.get().is_none() {
            return;
        }
        let (tx, rx) = oneshot::channel();
        self.send(Op::Flush(tx));
        let _ = rx.await;
    }
}

/// A connection of the pool's, taken out of it for good. The leases' one does
/// not checkpoint the WAL (the writer's does, as SQLite does by default after 1,000
/// pages), so a call never waits for a checkpoint's copying and fsync.
async fn dedicated(db: &Db, checkpoints: bool) -> Result<SqliteConnection, LlmError> {
    let mut conn = db.pool().acquire().await?.detach();
    if !checkpoints {
        sqlx::query("PRAGMA wal_autocheckpoint = 0")
            .execute(&mut conn)
            .await?;
    }
    Ok(conn)
}

/// The gate, held, with the leases' connection.
pub(crate) struct Gate<'a>(tokio::sync::MutexGuard<'a, Option<SqliteConnection>>);

impl Gate<'_> {
    pub(crate) fn conn(&mut self) -> &mut SqliteConnection {
        self.0.as_mut().expect("opened when the gate was taken")
    }

    /// After an error: the next one to take the gate opens a fresh connection.
    pub(crate) fn discard(&mut self) {
        *self.0 = None;
    }
}

/// Sums added to `budget_summary` by one batch, per (period, key).
#[derive(Default)]
struct SummaryDelta {
    calls: i64,
    hits: i64,
    misses: i64,
    cost: f64,
    saved: f64,
    input: i64,
    output: i64,
}

async fn run(
    db: Db,
    gate: Arc<tokio::sync::Mutex<Option<SqliteConnection>>>,
    mut rx: mpsc::UnboundedReceiver<Op>,
) {
    let mut ops = Vec::with_capacity(MAX_BATCH);
    let mut conn: Option<SqliteConnection> = None;
    while let Some(first) = rx.recv().await {
        // Let the batch fill for a moment (calls queue faster than one transaction
        // each could keep up with), but not once a flush waits.
        let mut flushing = matches!(first, Op::Flush(_));
        ops.push(first);
        let deadline = tokio::time::Instant::now() + GATHER;
        while ops.len() < MAX_BATCH {
            let op = match rx.try_recv() {
                Ok(op) => op,
                Err(mpsc::error::TryRecvError::Empty) if !flushing => {
                    match tokio::time::timeout_at(deadline, rx.recv()).await {
                        Ok(Some(op)) => op,
                        _ => break,
                    }
                }
                Err(_) => break,
            };
            flushing |= matches!(op, Op::Flush(_));
            ops.push(op);
        }
        let mut flushes = Vec::new();
        let mut syncs = Vec::new();
        let mut writes = Vec::with_capacity(ops.len());
        for op in ops.drain(..) {
            match op {
                Op::Flush(tx) => flushes.push(tx),
                Op::CacheSync { cache } => syncs.push(cache),
                other => writes.push(other),
            }
        }
        if !writes.is_empty() {
            let _gate = gate.lock().await;
            let costs = lease_costs(&writes);
            let written = match conn.as_mut() {
                Some(c) => apply(c, &writes, &costs).await,
                None => match dedicated(&db, true).await {
                    Ok(c) => apply(conn.insert(c), &writes, &costs).await,
                    Err(e) => Err(e),
                },
            };
            for op in &writes {
                if let Op::EmbedPut { cache, rows, .. } = op {
                    cache.done(rows, written.is_ok());
                }
            }
            if let Err(e) = written {
                // A fresh connection next time, in case this one is the trouble.
                conn = None;
                tracing::error!(error = %e, "cannot record model calls and cached answers");
                // Not retried: the batch's rows and costs are lost, as they were when
                // reservations stayed reserved until `release_stale`; the lease's row
                // still counts the costs until its next write.
                // What the cache index believes may be ahead of the table now.
                for op in &writes {
                    if let Op::CachePut { cache, .. } = op {
                        cache.invalidate();
                    }
                }
            }
        }
        for cache in syncs {
            if let Err(e) = cache.sync(&db).await {
                tracing::warn!(error = %e, "cannot read answers other processes cached");
            }
        }
        for tx in flushes {
            let _ = tx.send(());
        }
    }
}

/// Per key: how many hits, and when the latest was.
type Touches<'a> = HashMap<&'a str, (i64, i64)>;

/// `(?, ?, ...), (?, ?, ...), ...`: `rows` rows of `columns` parameters.
fn values(rows: usize, columns: usize) -> String {
    let row = format!("({})", vec!["?"; columns].join(", "));
    vec![row; rows].join(", ")
}

/// The cost the settlements of `ops` charged, per leases and day.
fn lease_costs(ops: &[Op]) -> Vec<(Arc<Leases>, String, f64)> {
    let mut costs: Vec<(Arc<Leases>, String, f64)> = Vec::new();
    for op in ops {
        if let Op::Settle {
            lease: Some(leases),
            day,
            settlement,
            ..
        } = op
        {
            match costs
                .iter_mut()
                .find(|(l, d, _)| Arc::ptr_eq(l, leases) && d == day)
            {
                Some((_, _, cost)) => *cost += settlement.cost_usd,
                None => costs.push((leases.clone(), day.clone(), settlement.cost_usd)),
            }
        }
    }
    costs
}

/// Applies `ops` in one transaction, each kind of write as one statement of many rows,
/// so a batch costs a handful of round trips to SQLite however many calls it holds.
async fn apply(
    conn: &mut SqliteConnection,
    ops: &[Op],
    costs: &[(Arc<Leases>, String, f64)],
) -> Result<(), LlmError> {
    let mut summary: HashMap<(&'static str, String), SummaryDelta> = HashMap::new();
    let mut settles = Vec::new();
    let mut hits = Vec::new();
    let mut puts = Vec::new();
    // Per cache and key: how many hits, and the latest.
    let mut touches: Vec<(&Arc<Shared>, Touches<'_>)> = Vec::new();
    let mut deletes = Vec::new();
    let mut embed_puts = Vec::new();
    let mut embed_touches = Vec::new();
    for op in ops {
        match op {
            Op::EmbedPut { cache, rows, now } => embed_puts.push((cache, rows.as_slice(), *now)),
            Op::EmbedTouch { keys, now } => embed_touches.push((keys.as_slice(), *now)),
            Op::Settle { .. } => settles.push(op),
            Op::Hit { .. } => hits.push(op),
            Op::CachePut {
                cache, key, response, ..
            } => {
                let text = serde_json::to_string(&**response).expect("answers serialize");
                if cache.fits(key, text.len() as i64) {
                    puts.push((op, text));
                }
            }
            Op::CacheTouch { cache, key, now } => {
                let keys = match touches.iter_mut().find(|(c, _)| Arc::ptr_eq(c, cache)) {
                    Some((_, keys)) => keys,
                    None => {
                        touches.push((cache, HashMap::new()));
                        &mut touches.last_mut().expect("just pushed").1
                    }
                };
                let t = keys.entry(key.as_str()).or_insert((0, *now));
                t.0 += 1;
                t.1 = t.1.max(*now);
            }
            Op::CacheDelete { cache, key } => deletes.push((cache, key)),
            Op::CacheSync { .. } | Op::Flush(_) => {}
        }
    }

    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    if !settles.is_empty() {
        let sql = format!(
            "INSERT INTO budget_tracking (ts, day, month, provider, model, tier, operation, status, reserved_usd,
                 cost_usd, input_tokens, output_tokens, cached_tokens, reasoning_tokens, latency_ms, error, cacheable)
             VALUES {}",
            values(settles.len(), 17)
        );
        let mut q = sqlx::query(&sql);
        for op in &settles {
            let Op::Settle {
                meta,
                ts,
                day,
                month,
                estimate,
                settlement: s,
                ..
            } = op
            else {
                unreachable!("only settlements")
            };
            q = q
                .bind(*ts)
                .bind(day.clone())
                .bind(month.clone())
                .bind(meta.provider.clone())
                .bind(meta.model.clone())
                .bind(meta.tier.clone())
                .bind(meta.operation.clone())
                .bind(if s.error.is_some() { "failed" } else { "settled" })
                .bind(*estimate)
                .bind(s.cost_usd)
                .bind(s.usage.input as i64)
                .bind(s.usage.output as i64)
                .bind(s.usage.cached as i64)
                .bind(s.usage.reasoning as i64)
                .bind(s.latency_ms as i64)
                .bind(s.error.clone())
                .bind(meta.cacheable);
            let miss = i64::from(meta.cacheable && s.error.is_none());
            for key in [("day", day.clone()), ("month", month.clone())] {
                let d = summary.entry(key).or_default();
                d.calls += 1;
                d.misses += miss;
                d.cost += s.cost_usd;
                d.input += s.usage.input as i64;
                d.output += s.usage.output as i64;
            }
        }
        q.execute(&mut *tx).await?;
        for (leases, day, cost) in costs {
            leases.write_cost(&mut tx, day, *cost).await?;
        }
    }
    if !hits.is_empty() {
        let sql = format!(
            "INSERT INTO budget_tracking (ts, day, month, provider, model, tier, operation, status, cache_hit,
                 saved_usd, input_tokens, output_tokens, cached_tokens, reasoning_tokens, latency_ms)
             SELECT column1, column2, column3, column4, column5, column6, column7, 'settled', 1,
                 column8, column9, column10, column11, column12, column13 FROM (VALUES {})",
            values(hits.len(), 13)
        );
        let mut q = sqlx::query(&sql);
        for op in &hits {
            let Op::Hit {
                meta,
                ts,
                day,
                month,
                usage,
                saved_usd,
                latency_ms,
            } = op
            else {
                unreachable!("only hits")
            };
            q = q
                .bind(*ts)
                .bind(day.clone())
                .bind(month.clone())
                .bind(meta.provider.clone())
                .bind(meta.model.clone())
                .bind(meta.tier.clone())
                .bind(meta.operation.clone())
                .bind(*saved_usd)
                .bind(usage.input as i64)
                .bind(usage.output as i64)
                .bind(usage.cached as i64)
                .bind(usage.reasoning as i64)
                .bind(*latency_ms as i64);
            for key in [("day", day.clone()), ("month", month.clone())] {
                let d = summary.entry(key).or_default();
                d.calls += 1;
                d.hits += 1;
                d.saved += saved_usd;
                d.input += usage.input as i64;
                d.output += usage.output as i64;
            }
        }
        q.execute(&mut *tx).await?;
    }
    // Answers, then recency, then evictions: an answer stored or used in this batch
    // counts as recent when the least recently used are chosen.
    let mut evict: Vec<(&Arc<Shared>, i64)> = Vec::new();
    if !puts.is_empty() {
        let sql = format!(
            "INSERT INTO llm_cache (key, provider, model, response, bytes, cost_usd, created_at, expires_at, last_hit_at)
             SELECT column1, column2, column3, column4, column5, column6, column7, column8, column7
             FROM (VALUES {}) WHERE true
             ON CONFLICT (key) DO UPDATE SET response = excluded.response, bytes = excluded.bytes,
                 cost_usd = excluded.cost_usd, created_at = excluded.created_at,
                 expires_at = excluded.expires_at, last_hit_at = excluded.last_hit_at",
            values(puts.len(), 8)
        );
        let mut q = sqlx::query(&sql);
        for (op, text) in &puts {
            let Op::CachePut {
                key,
                provider,
                model,
                cost_usd,
                now,
                expires_at,
                ..
            } = op
            else {
                unreachable!("only answers")
            };
            q = q
                .bind(key.clone())
                .bind(provider.clone())
                .bind(model.clone())
                .bind(text.clone())
                .bind(text.len() as i64)
                .bind(*cost_usd)
                .bind(*now)
                .bind(*expires_at);
        }
        q.execute(&mut *tx).await?;
        for (op, text) in &puts {
            let Op::CachePut { cache, key, now, .. } = op else {
                unreachable!("only answers")
            };
            cache.written(key, text.len() as i64);
            match evict.iter_mut().find(|(c, _)| Arc::ptr_eq(c, cache)) {
                Some((_, latest)) => *latest = (*latest).max(*now),
                None => evict.push((cache, *now)),
            }
        }
    }
    for (cache, keys) in &touches {
        let sql = format!(
            "UPDATE llm_cache SET hits = hits + v.column2, last_hit_at = max(last_hit_at, v.column3)
             FROM (VALUES {}) AS v WHERE llm_cache.key = v.column1 RETURNING key",
            values(keys.len(), 3)
        );
        let mut q = sqlx::query_scalar::<_, String>(&sql);
        for (key, (n, latest)) in keys {
            q = q.bind(key.to_string()).bind(*n).bind(*latest);
        }
        let found: std::collections::HashSet<String> = q.fetch_all(&mut *tx).await?.into_iter().collect();
        for key in keys.keys() {
            if !found.contains(*key) {
                // Gone from the table (another process evicted it): gone here too.
                cache.forget(key);
            }
        }
    }
    for (cache, key) in deletes {
        let bytes: Option<i64> = sqlx::query_scalar("DELETE FROM llm_cache WHERE key = ? RETURNING bytes")
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?;
        cache.removed(key, bytes.unwrap_or(0));
    }
    if !summary.is_empty() {
        let sql = format!(
            "INSERT INTO budget_summary (period, key, calls, cache_hits, cache_misses, cost_usd, saved_usd, input_tokens, output_tokens)
             SELECT column1, column2, column3, column4, column5, column6, column7, column8, column9
             FROM (VALUES {}) WHERE true
             ON CONFLICT (period, key) DO UPDATE SET calls = calls + excluded.calls,
                 cache_hits = cache_hits + excluded.cache_hits, cache_misses = cache_misses + excluded.cache_misses,
                 cost_usd = cost_usd + excluded.cost_usd, saved_usd = saved_usd + excluded.saved_usd,
                 input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens",
            values(summary.len(), 9)
        );
        let mut q = sqlx::query(&sql);
        for ((period, key), d) in &summary {
            q = q
                .bind(*period)
                .bind(key.clone())
                .bind(d.calls)
                .bind(d.hits)
                .bind(d.misses)
                .bind(d.cost)
                .bind(d.saved)
                .bind(d.input)
                .bind(d.output);
        }
        q.execute(&mut *tx).await?;
    }
    for (cache, now) in evict {
        cache.evict(&mut tx, now).await?;
    }
    if !embed_puts.is_empty() || !embed_touches.is_empty() {
        crate::embed_cache::apply(&mut tx, &embed_puts, &embed_touches).await?;
    }
    tx.commit().await?;
    Ok(())
}
