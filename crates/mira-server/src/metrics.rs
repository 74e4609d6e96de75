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
    llm_routes: Family<Labels, Counter>,
    llm_failures: Family<Labels, Counter>,
    llm_tokens: Family<Labels, Counter>,
    llm_cost_micro_usd: Family<Labels, Counter>,
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
        let llm_routes = Family::<Labels, Counter>::default();
        registry.register(
            "llm_route_decisions",
            "Model calls by tier, provider, model and whether the cache answered",
            llm_routes.clone(),
        );
        let llm_failures = Family::<Labels, Counter>::default();
        registry.register(
            "llm_provider_failures",
            "Model calls a provider could not serve, by provider and error kind",
            llm_failures.clone(),
        );
        let llm_tokens = Family::<Labels, Counter>::default();
        registry.register(
            "llm_tokens",
            "Tokens of model calls by tier and kind",
            llm_tokens.clone(),
        );
        let llm_cost_micro_usd = Family::<Labels, Counter>::default();
        registry.register(
            "llm_cost_micro_usd",
            "Spend on model calls in millionths of a US dollar, by tier and provider",
            llm_cost_micro_usd.clone(),
        );
        Self {
            llm_routes,
            llm_failures,
            llm_tokens,
            llm_cost_micro_usd,
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

/// Routing decisions and call outcomes of the LLM gateway.
impl mira_llm::gateway::Observer for Metrics {
    fn routed(&self, route: &mira_llm::Route) {
        let labels: Labels = vec![
            (
                "tier",
                route.tier.map(|t| t.as_str()).unwrap_or("explicit").to_string(),
            ),
            ("provider", route.provider.clone()),
            ("model", route.model.clone()),
            ("cached", route.cached.to_string()),
        ];
        self.llm_routes.get_or_create(&labels).inc();
    }

    fn finished(&self, report: &mira_llm::CallReport) {
        let tier = report
            .route
            .tier
            .map(|t| t.as_str())
            .unwrap_or("explicit")
            .to_string();
        for (kind, n) in [
            ("input", report.usage.input),
            ("output", report.usage.output),
            ("cached", report.usage.cached),
            ("reasoning", report.usage.reasoning),
        ] {
            let labels: Labels = vec![("tier", tier.clone()), ("kind", kind.to_string())];
            self.llm_tokens.get_or_create(&labels).inc_by(n);
        }
        let labels: Labels = vec![("tier", tier), ("provider", report.route.provider.clone())];
        self.llm_cost_micro_usd
            .get_or_create(&labels)
            .inc_by((report.cost_usd * 1e6).round() as u64);
    }

    fn failed(&self, provider: &str, error: &mira_llm::LlmError) {
        let labels: Labels = vec![
            ("provider", provider.to_string()),
            ("kind", error.kind().to_string()),
        ];
        self.llm_failures.get_or_create(&labels).inc();
    }
}

/// Middleware: times every request and counts it under its route pattern (never the raw
/// path, so ids and file names do not explode the number of series).
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "other".to_string());
    let response = next.run(request).await;
    metrics.observe(
        method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// The method as a label: the standard methods by name, any other (hyper accepts any
/// token, so a client could mint a new series per request) as `other`.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
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

    #[test]
    fn routing_decisions_are_counted_per_tier() {
        use mira_llm::gateway::Observer;
        let m = Metrics::default();
        let route = mira_llm::Route {
            tier: Some(mira_llm::Tier::Fast),
            provider: "openai".into(),
            model: "gpt-5.1-mini".into(),
            reason: "simple tool".into(),
            cached: false,
            passed_over: vec![],
        };
        m.routed(&route);
        m.routed(&route);
        let text = m.render(mira_store::PoolStats {
            size: 1,
            idle: 1,
            max: 8,
        });
        assert!(
            text.contains(
                r#"mira_llm_route_decisions_total{tier="fast",provider="openai",model="gpt-5.1-mini",cached="false"} 2"#
            ),
            "{text}"
        );
    }
}
