//! Per-client rate limiting (by peer IP) of `/api` and `/ws`: 429 with `Retry-After`
//! and a JSON error body.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Response, StatusCode, header};
use mira_core::ErrorCode;
use mira_core::config::RateLimitConfig;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::PeerIpKeyExtractor;
use tower_governor::{GovernorError, GovernorLayer};

use crate::error::ApiError;

/// How often the limiter forgets clients that have gone quiet, so its memory stays bounded.
const FORGET_EVERY: Duration = Duration::from_secs(60);

/// Wraps `router` in the limiter. Needs the server to run with connect info (peer IPs).
pub fn apply<S: Clone + Send + Sync + 'static>(router: Router<S>, config: RateLimitConfig) -> Router<S> {
    if !config.enabled {
        return router;
    }
    // One request is replenished every 1/per_second seconds, up to `burst` at once.
    let period = Duration::from_nanos(1_000_000_000 / u64::from(config.per_second.max(1)));
    let governor = Arc::new(
        GovernorConfigBuilder::default()
            .period(period)
            .burst_size(config.burst)
            .key_extractor(PeerIpKeyExtractor)
            .finish()
            .expect("period and burst are positive"),
    );
    let forget = governor.clone();
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(FORGET_EVERY);
        loop {
            ticker.tick().await;
            forget.limiter().retain_recent();
        }
    });
    router.layer(GovernorLayer::new(governor).error_handler(to_response))
}

fn to_response(error: GovernorError) -> Response<Body> {
    match error {
        GovernorError::TooManyRequests { wait_time, headers } => {
            let error = ApiError::new(
                ErrorCode::RateLimited,
                format!(
                    "too many requests from this client; retry after {wait_time} s (RATE_LIMIT_PER_SECOND, RATE_LIMIT_BURST)"
                ),
            );
            let mut response = Response::new(Body::from(error.body().to_string()));
            *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            if let Some(headers) = headers {
                response.headers_mut().extend(headers);
            }
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, wait_time.max(1).into());
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("application/json"),
            );
            response
        }
        other => {
            let error = ApiError::internal(format!("rate limiter: {other}"));
            let mut response = Response::new(Body::from(error.body().to_string()));
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            response
        }
    }
}
