//! Rate limiting of `/api`, `/ws` and `/mcp`, before the token check: each valid access
//! token has a budget of its own, and every request without one (no token, a wrong or an
//! expired one) draws from a single small budget shared by all of them. So a local
//! process that has no token can flood the server and be refused, but never spends the
//! budget of the client that has one (it used to, when clients were told apart by IP and
//! every local process is 127.0.0.1). Past a budget: 429 with `Retry-After` and the
//! usual JSON error body.

use std::num::NonZeroU32;
use std::sync::{Arc, Weak};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use mira_core::ErrorCode;
use mira_core::config::RateLimitConfig;

use crate::auth::Auth;
use crate::error::ApiError;

/// How often the limiter forgets tokens that have gone quiet, so its memory stays bounded.
const FORGET_EVERY: Duration = Duration::from_secs(60);

struct Limiter {
    auth: Auth,
    /// Keyed by the token's id (`jti`), never the token itself.
    per_token: DefaultKeyedRateLimiter<String>,
    unauthenticated: DefaultDirectRateLimiter,
}

/// Wraps `router` in the limiter (outside its token check, so refused floods of requests
/// without a token are cheap).
pub fn apply<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    config: RateLimitConfig,
    auth: Auth,
) -> Router<S> {
    if !config.enabled {
        return router;
    }
    let limiter = Arc::new(Limiter {
        auth,
        per_token: RateLimiter::keyed(quota(config.per_second, config.burst)),
        unauthenticated: RateLimiter::direct(quota(
            config.unauthenticated_per_second,
            config.unauthenticated_burst,
        )),
    });
    forget_quiet_tokens(Arc::downgrade(&limiter));
    router.layer(middleware::from_fn_with_state(limiter, limit))
}

/// One request replenished every 1/per_second seconds, up to `burst` at once.
fn quota(per_second: u32, burst: u32) -> Quota {
    let nonzero = |n: u32| NonZeroU32::new(n.max(1)).expect("at least 1");
    Quota::per_second(nonzero(per_second)).allow_burst(nonzero(burst))
}

/// Drops the state of tokens idle long enough to be back at a full budget; ends with the
/// router that owns the limiter.
fn forget_quiet_tokens(limiter: Weak<Limiter>) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(FORGET_EVERY);
        loop {
            ticker.tick().await;
            let Some(limiter) = limiter.upgrade() else { return };
            limiter.per_token.retain_recent();
        }
    });
}

async fn limit(State(limiter): State<Arc<Limiter>>, request: Request, next: Next) -> Response {
    // The token is read and checked exactly as `auth::require_token` will.
    let refused = match limiter.auth.token_id(request.headers()) {
        Some(id) => limiter.per_token.check_key(&id).err().map(|not_until| {
            let wait = not_until.wait_time_from(limiter.per_token.clock().now());
            too_many(
                wait,
                "too many requests with this access token",
                "RATE_LIMIT_PER_SECOND, RATE_LIMIT_BURST",
            )
        }),
        None => limiter.unauthenticated.check().err().map(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            too_many(
                wait,
                "too many requests without a valid access token (from all such clients together)",
                "RATE_LIMIT_UNAUTHENTICATED_PER_SECOND, RATE_LIMIT_UNAUTHENTICATED_BURST",
            )
        }),
    };
    match refused {
        Some(response) => response,
        None => next.run(request).await,
    }
}

/// 429 with the JSON error body and `Retry-After` in whole seconds (at least 1).
fn too_many(wait: Duration, what: &str, settings: &str) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let seconds = seconds.max(1);
    let error = ApiError::new(
        ErrorCode::RateLimited,
        format!("{what}; retry after {seconds} s ({settings})"),
    );
    let mut response = error.into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}
