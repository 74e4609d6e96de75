//! Budget leases through real SQLite: two processes (two handles on one database file,
//! each with its own pool, writer and leases) share the limits exactly, a lease left by
//! a process that died stops counting once it expires, and the budget's status reports
//! spend, not what leases hold.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mira_llm::LlmError;
use mira_llm::budget::{Budget, CallMeta, LeaseConfig, Limits, Settlement};
use mira_llm::gateway::CallOptions;
use mira_store::Db;

use crate::harness::{Options, gateway, openai_answer, question, url};
use crate::server::{Reply, Scripted};

/// $1 per output token and none for input: a call with `max_tokens` 1 reserves exactly
/// $1 and costs exactly $1.
const DOLLAR: &str = "dollar-model=0:1000000:0";

fn dollar_call(n: usize) -> (mira_llm::ChatRequest, CallOptions) {
    let mut request = question(&format!("call {n}"));
    request.max_tokens = Some(1);
    let options = CallOptions {
        model: Some("openai:dollar-model".into()),
        bypass_cache: true,
        ..CallOptions::default()
    };
    (request, options)
}

fn meta() -> CallMeta {
    CallMeta {
        provider: "openai".into(),
        model: "m".into(),
        tier: None,
        operation: "test".into(),
        cacheable: false,
    }
}

/// A settlement of `usd` with nothing else to record.
fn costing(usd: f64) -> Settlement {
    Settlement {
        cost_usd: usd,
        ..Default::default()
    }
}

async fn lease_rows(db: &Db) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM budget_leases")
        .fetch_one(db.pool())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_racing_at_a_nearly_spent_budget_never_overspend() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mira.db");
    let server = Scripted::start((0..40).map(|_| Reply::Sse(openai_answer("ok", 5, 1))).collect()).await;
    // Leases of up to $2, so that each process takes more than one call needs.
    let options = || Options {
        openai: url(&server, "/v1"),
        limits: Limits {
            daily_usd: 5.0,
            monthly_usd: 100.0,
        },
        prices: Some(DOLLAR),
        lease: Some(LeaseConfig {
            max_usd: 2.0,
            ttl: Duration::from_secs(30),
        }),
        ..Options::default()
    };
    let db_a = Db::open(&path).await.unwrap();
    let db_b = Db::open(&path).await.unwrap();
    let a = Arc::new(gateway(&db_a, options()));
    let b = Arc::new(gateway(&db_b, options()));
    // $2 spent by the first process.
    for n in 0..2 {
        let (request, options) = dollar_call(n);
        a.chat(request, options).await.unwrap();
    }
    let tasks: Vec<_> = (0..30)
        .map(|n| {
            let g = if n % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move {
                let (request, options) = dollar_call(100 + n);
                g.chat(request, options).await
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(LlmError::BudgetExceeded { .. }) => {}
            Err(e) => panic!("unexpected error {e}"),
        }
    }
    assert!((1..=3).contains(&ok), "{ok} calls of $1 passed with $3 left");
    assert_eq!(server.requests().len(), 2 + ok);
    a.flush().await;
    b.flush().await;
    for g in [&a, &b] {
        let status = g.budget.status().await.unwrap();
        assert!(
            (status.day.spent_usd - (2 + ok) as f64).abs() < 1e-9,
            "{}",
            status.day.spent_usd
        );
        assert!(status.day.spent_usd <= 5.0 + 1e-9);
        assert_eq!(status.day.reserved_usd, 0.0);
        assert_eq!(status.day.leased_usd, 0.0, "flushed: both leases given back");
    }
    assert_eq!(lease_rows(&db_a).await, 0);
}

#[tokio::test]
async fn the_lease_of_a_process_that_died_stops_counting_when_it_expires() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mira.db");
    let limits = Limits {
        daily_usd: 10.0,
        monthly_usd: 100.0,
    };
    let ttl = Duration::from_millis(400);
    let a = Budget::new(Db::open(&path).await.unwrap(), limits).with_lease(LeaseConfig { max_usd: 8.0, ttl });
    // A $1 call takes a lease of $4 (four times the call), which keeps $3 after it.
    let first = a.reserve(&meta(), 1.0).await.unwrap();
    a.settle(first, costing(1.0));
    let status = a.status().await.unwrap();
    assert!((status.day.spent_usd - 1.0).abs() < 1e-9);
    assert!((status.day.leased_usd - 3.0).abs() < 1e-9, "{status:?}");
    // The process ends without giving its lease back.
    drop(a);

    let db = Db::open(&path).await.unwrap();
    let b = Budget::new(db.clone(), limits);
    let err = b.reserve(&meta(), 7.0).await.unwrap_err();
    assert_eq!(err.kind(), "budget_exceeded", "$1 spent and $3 leased leave $6");
    let status = b.status().await.unwrap();
    assert!((status.day.leased_usd - 3.0).abs() < 1e-9, "{status:?}");
    assert!(
        (status.day.remaining_usd - 9.0).abs() < 1e-9,
        "a lease is not spent: {status:?}"
    );

    let dead = Instant::now();
    let second = loop {
        match b.reserve(&meta(), 7.0).await {
            Ok(r) => break r,
            Err(e) if e.kind() == "budget_exceeded" => {
                assert!(dead.elapsed() < Duration::from_secs(5), "the lease never expired");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("{e}"),
        }
    };
    assert!(dead.elapsed() >= ttl / 2, "the lease counted until it expired");
    let status = b.status().await.unwrap();
    assert_eq!(status.day.leased_usd, 0.0, "{status:?}");
    assert!((status.day.reserved_usd - 7.0).abs() < 1e-9, "{status:?}");
    b.settle(second, costing(7.0));
    // $1 + $7 spent: what is left is $2, and the expired lease's $3 are not among it.
    let err = b.reserve(&meta(), 2.5).await.unwrap_err();
    assert_eq!(err.kind(), "budget_exceeded");
    b.reserve(&meta(), 2.0).await.unwrap();
    // At start, expired leases are deleted.
    b.release_stale(Duration::from_secs(3600)).await.unwrap();
    let expired: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM budget_leases WHERE expires_at <= ?")
        .bind(chrono::Utc::now().timestamp_millis())
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(expired, 0);
}

#[tokio::test]
async fn status_reports_spend_not_what_leases_hold() {
    let server = Scripted::start(vec![Reply::Sse(openai_answer("ok", 5, 1))]).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mira.db");
    let db = Db::open(&path).await.unwrap();
    let g = gateway(
        &db,
        Options {
            openai: url(&server, "/v1"),
            limits: Limits {
                daily_usd: 5.0,
                monthly_usd: 100.0,
            },
            prices: Some(DOLLAR),
            lease: Some(LeaseConfig {
                max_usd: 2.0,
                ttl: Duration::from_secs(30),
            }),
            ..Options::default()
        },
    );
    let (request, options) = dollar_call(0);
    g.chat(request, options).await.unwrap();
    // The call took a lease of $2 and spent $1 of it.
    let other = Budget::new(Db::open(&path).await.unwrap(), g.budget.limits);
    for status in [g.budget.status().await.unwrap(), other.status().await.unwrap()] {
        assert!((status.day.spent_usd - 1.0).abs() < 1e-9, "{status:?}");
        assert!((status.month.spent_usd - 1.0).abs() < 1e-9, "{status:?}");
        assert_eq!(status.day.reserved_usd, 0.0, "{status:?}");
        assert!((status.day.leased_usd - 1.0).abs() < 1e-9, "{status:?}");
        assert!((status.day.remaining_usd - 4.0).abs() < 1e-9, "{status:?}");
        assert_eq!(status.day.calls, 1);
        assert_eq!(status.by_day.len(), 1, "{:?}", status.by_day);
        assert!((status.by_day[0].cost_usd - 1.0).abs() < 1e-9);
    }
    assert_eq!(lease_rows(&db).await, 1);
    g.flush().await;
    assert_eq!(lease_rows(&db).await, 0, "flush gives the lease back");
    let status = other.status().await.unwrap();
    assert_eq!(status.day.leased_usd, 0.0);
    assert!((status.day.spent_usd - 1.0).abs() < 1e-9);
}

#[tokio::test]
async fn cost_above_an_estimate_never_hides_the_other_calls_of_a_lease() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mira.db");
    let limits = Limits {
        daily_usd: 10.0,
        monthly_usd: 100.0,
    };
    let a = Budget::new(Db::open(&path).await.unwrap(), limits).with_lease(LeaseConfig {
        max_usd: 8.0,
        ttl: Duration::from_secs(30),
    });
    // A lease of $4; one call stays in flight at $1 while another, reserved at $1,
    // costs $5.
    let in_flight = a.reserve(&meta(), 1.0).await.unwrap();
    let expensive = a.reserve(&meta(), 1.0).await.unwrap();
    a.settle(expensive, costing(5.0));
    let status = a.status().await.unwrap();
    assert!((status.day.spent_usd - 5.0).abs() < 1e-9, "{status:?}");
    assert!((status.day.reserved_usd - 1.0).abs() < 1e-9, "{status:?}");
    // Another process sees $5 spent and the $1 still held: $4 left, not $5.
    let b = Budget::new(Db::open(&path).await.unwrap(), limits);
    let err = b.reserve(&meta(), 4.5).await.unwrap_err();
    assert_eq!(err.kind(), "budget_exceeded", "{err}");
    let last = b.reserve(&meta(), 4.0).await.unwrap();
    a.settle(in_flight, costing(1.0));
    b.settle(last, costing(4.0));
    a.flush().await;
    b.flush().await;
    let status = b.status().await.unwrap();
    assert!((status.day.spent_usd - 10.0).abs() < 1e-9, "{status:?}");
    assert_eq!(status.day.leased_usd, 0.0, "{status:?}");
}

#[tokio::test]
async fn a_lease_is_renewed_while_a_call_holds_it_and_given_back_when_idle() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mira.db");
    let limits = Limits {
        daily_usd: 10.0,
        monthly_usd: 100.0,
    };
    let ttl = Duration::from_millis(300);
    let a = Budget::new(Db::open(&path).await.unwrap(), limits).with_lease(LeaseConfig { max_usd: 8.0, ttl });
    let db = Db::open(&path).await.unwrap();
    let b = Budget::new(db.clone(), limits);
    // A long call: in flight for over three times the lease's lifetime.
    let long = a.reserve(&meta(), 1.0).await.unwrap();
    tokio::time::sleep(ttl * 4).await;
    // The lease was renewed (it still counts) and gave back what the call does not
    // hold: $1 of the $4 it took.
    let status = b.status().await.unwrap();
    assert!((status.day.leased_usd - 1.0).abs() < 1e-9, "{status:?}");
    let err = b.reserve(&meta(), 9.5).await.unwrap_err();
    assert_eq!(err.kind(), "budget_exceeded", "{err}");
    let other = b.reserve(&meta(), 9.0).await.unwrap();
    a.settle(long, costing(1.0));
    b.settle(other, costing(9.0));
    // Idle and holding nothing, the first process's lease goes (the second's, of 30 s,
    // stays until it is given back).
    tokio::time::sleep(ttl * 2).await;
    b.flush().await;
    let status = b.status().await.unwrap();
    assert!((status.day.spent_usd - 10.0).abs() < 1e-9, "{status:?}");
    assert_eq!(status.day.leased_usd, 0.0, "{status:?}");
    assert_eq!(lease_rows(&db).await, 0);
}
