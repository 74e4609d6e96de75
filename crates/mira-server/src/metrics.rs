//! Prometheus metrics: request counts and latency by route and status, open WebSockets,
//! and the database pool, rendered in the text exposition format on `/metrics`.

use std::sync::Arc;
use std::sync::atomic::AtomicI64;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels = Vec<(&'static str, String)>;
type HistogramFamily = Family<Labels, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    latency: HistogramFamily,
    pub websockets_open: Gauge<i64, AtomicI64>,
    db_pool_size: Gauge<i64, AtomicI64>,
    db_pool_idle: Gauge<i64, AtomicI64>,
    db_pool_max: Gauge<i64, AtomicI64>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("mira");
        let requests = Family::<Labels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by method, route and status",
            requests.clone(),
        );
        let latency: HistogramFamily = Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by method, route and status",
            latency.clone(),
        );
        let websockets_open = Gauge::default();
        registry.register(
            "websockets_open",
            "Open WebSocket connections",
            websockets_open.clone(),
        );
        let db_pool_size = Gauge::default();
        registry.register(
            "db_pool_connections",
            "SQLite pool connections (open)",
            db_pool_size.clone(),
        );
        let db_pool_idle = Gauge::default();
        registry.register(
            "db_pool_idle_connections",
            "SQLite pool connections (idle)",
            db_pool_idle.clone(),
        );
        let db_pool_max = Gauge::default();
        registry.register(
            "db_pool_max_connections",
            "SQLite pool size limit",
            db_pool_max.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            websockets_open,
            db_pool_size,
            db_pool_idle,
            db_pool_max,
        }
    }
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let labels: Labels = vec![
            ("method", method.to_string()),
            ("route", route.to_string()),
            ("status", status.to_string()),
        ];
        self.requests.get_or_create(&labels).inc();
        self.latency.get_or_create(&labels).observe(seconds);
    }

    /// Renders everything, with the pool figures read now.
    pub fn render(&self, pool: mira_store::PoolStats) -> String {
        self.db_pool_size.set(i64::from(pool.size));
        self.db_pool_idle.set(pool.idle as i64);
        self.db_pool_max.set(i64::from(pool.max));
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }
}

/// Middleware: times every request and counts it under its route pattern (never the raw
/// path, so ids and file names do not explode the number of series).
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "other".to_string());
    let response = next.run(request).await;
    metrics.observe(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_has_counters_histograms_and_gauges() {
        let m = Metrics::default();
        m.observe("GET", "/api/projects", 200, 0.003);
        m.websockets_open.inc();
        let text = m.render(mira_store::PoolStats {
            size: 2,
            idle: 1,
            max: 8,
        });
        assert!(
            text.contains(r#"mira_http_requests_total{method="GET",route="/api/projects",status="200"} 1"#),
            "{text}"
        );
        assert!(
            text.contains("mira_http_request_duration_seconds_bucket"),
            "{text}"
        );
        assert!(text.contains("mira_websockets_open 1"), "{text}");
        assert!(text.contains("mira_db_pool_connections 2"), "{text}");
        assert!(text.trim_end().ends_with("# EOF"), "{text}");
    }
}
