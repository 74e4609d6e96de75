use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::harness::{Dirs, Server};

#[tokio::test]
async fn a_burst_past_the_limit_gets_429_with_retry_after() {
    let dirs = Dirs::new();
    let server = Server::start(
        &dirs,
        &[("RATE_LIMIT_PER_SECOND", "1"), ("RATE_LIMIT_BURST", "5")],
    );
    let client = server.client();
    let mut statuses = Vec::new();
    let mut limited = None;
    for _ in 0..20 {
        let response = client
            .get(server.url("/api/projects"))
            .bearer_auth(&server.token)
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        if response.status() == 429 && limited.is_none() {
            let retry_after: u64 = response.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            let body: serde_json::Value = response.json().await.unwrap();
            limited = Some((retry_after, body));
        }
    }
    let ok = statuses.iter().filter(|s| **s == 200).count();
    assert!(
        (5..=7).contains(&ok),
        "burst of 5 at 1/s should let about 5 through: {statuses:?}"
    );
    let (retry_after, body) = limited.expect("some requests are limited");
    assert!(retry_after >= 1);
    assert_eq!(body["error"]["code"], "rate_limited");

    // Probes are never limited.
    for _ in 0..10 {
        assert_eq!(
            client.get(server.url("/health")).send().await.unwrap().status(),
            200
        );
    }
}

#[tokio::test]
async fn limiting_can_be_switched_off() {
    let dirs = Dirs::new();
    let server = Server::start(
        &dirs,
        &[("RATE_LIMIT_ENABLED", "false"), ("RATE_LIMIT_BURST", "2")],
    );
    for _ in 0..10 {
        server.get_json("/api/projects").await;
    }
}

// Issue 21 item 4: the limiter ran before the token check and keyed on the peer IP, so a
// local process without a token spent the budget of the UI (19 of 20 real requests
// refused during a flood). Now requests without a valid token share one budget of their
// own and each valid token has its own.

/// Statuses of `n` GETs of `/api/projects`, the `i`-th sent with `authorize(i)`,
/// `parallel` at a time.
async fn flood(
    server: &Server,
    n: usize,
    parallel: usize,
    authorize: impl Fn(usize, reqwest::RequestBuilder) -> reqwest::RequestBuilder,
) -> Vec<(u16, serde_json::Value, bool)> {
    let client = server.client();
    let url = server.url("/api/projects");
    futures_util::stream::iter(0..n)
        .map(|i| {
            let request = authorize(i, client.get(&url));
            async move {
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                let retry_after = response.headers().contains_key("retry-after");
                (status, response.json().await.unwrap(), retry_after)
            }
        })
        .buffer_unordered(parallel)
        .collect()
        .await
}

fn count(statuses: &[(u16, serde_json::Value, bool)], status: u16) -> usize {
    statuses.iter().filter(|(s, _, _)| *s == status).count()
}

/// No token, a forged bearer token, a forged WebSocket subprotocol token: every way
/// `auth::token_from_headers` reads one.
fn without_a_valid_token(i: usize, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    match i % 3 {
        0 => request,
        1 => request.bearer_auth("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.forged"),
        _ => request.header("sec-websocket-protocol", "mira.v1, mira.token.forged"),
    }
}

#[tokio::test]
async fn a_flood_without_a_valid_token_never_refuses_the_token_holder() {
    const AT_LEAST: usize = 600;
    let dirs = Dirs::new();
    // The default budgets: 20/s and 100 at once per token, 5/s and 20 at once without.
    let server = Server::start(&dirs, &[]);
    let started = Instant::now();
    let real_done = AtomicBool::new(false);
    // Rounds of 100 until the token holder is done, so the flood spans all its requests.
    let flooding = async {
        let mut statuses = Vec::new();
        while statuses.len() < AT_LEAST || !real_done.load(Ordering::Relaxed) {
            statuses.extend(flood(&server, 100, 16, without_a_valid_token).await);
        }
        (statuses, started.elapsed())
    };
    let real = async {
        let client = server.client();
        let mut statuses = Vec::new();
        for _ in 0..20 {
            let response = client
                .get(server.url("/api/projects"))
                .bearer_auth(&server.token)
                .send()
                .await
                .unwrap();
            statuses.push(response.status().as_u16());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // The WebSocket reads its token from the subprotocol; it has the token's budget too.
        let mut request = server.ws_url().into_client_request().unwrap();
        request.headers_mut().insert(
            "sec-websocket-protocol",
            format!("mira.v1, mira.token.{}", server.token).parse().unwrap(),
        );
        let websocket = tokio_tungstenite::connect_async(request).await.map(|_| ());
        let took = started.elapsed();
        real_done.store(true, Ordering::Relaxed);
        (statuses, websocket, took)
    };
    let ((flood, flood_took), (real, websocket, real_took)) = tokio::join!(flooding, real);

    let refused_flood = count(&flood, 429);
    let unauthorized = count(&flood, 401);
    let real_ok = real.iter().filter(|s| **s == 200).count();
    let sent = flood.len();
    eprintln!(
        "flood of {sent} without a valid token in {flood_took:?}: {refused_flood} got 429, {unauthorized} got 401; \
         token holder in {real_took:?}: {real_ok} of {} got 200, websocket {websocket:?}",
        real.len()
    );
    assert!(
        real_took < flood_took,
        "the token holder's requests ran during the flood"
    );
    assert_eq!(real_ok, 20, "no request with the token is refused: {real:?}");
    assert!(websocket.is_ok(), "{websocket:?}");
    assert_eq!(
        refused_flood + unauthorized,
        sent,
        "only 401 or 429 for the flood"
    );
    // 20 at once plus 5 a second while the flood lasts; the rest is refused.
    let allowed = 20 + 5 * (flood_took.as_secs() as usize + 1);
    assert!(unauthorized <= allowed, "{unauthorized} got past the limiter");
    let (_, body, retry_after) = flood.iter().find(|(s, _, _)| *s == 429).unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("RATE_LIMIT_UNAUTHENTICATED_PER_SECOND"),
        "{body}"
    );
    assert!(retry_after, "429 carries Retry-After");
}

#[tokio::test]
async fn each_token_has_its_own_budget_apart_from_requests_without_one() {
    let dirs = Dirs::new();
    let server = Server::start(
        &dirs,
        &[
            ("RATE_LIMIT_PER_SECOND", "1"),
            ("RATE_LIMIT_BURST", "5"),
            ("RATE_LIMIT_UNAUTHENTICATED_PER_SECOND", "1"),
            ("RATE_LIMIT_UNAUTHENTICATED_BURST", "3"),
        ],
    );
    // A second valid token, signed with the server's secret as `mira token` would.
    let ttl = Duration::from_secs(86_400);
    let second = mira_server::Auth::load_or_create(&dirs.data(), ttl)
        .unwrap()
        .issue_at(chrono::Utc::now().timestamp(), ttl);
    assert_ne!(second, server.token);

    // The first token spends its budget: 5 at once, then 429 naming the token's settings.
    let first = flood(&server, 10, 1, |_, r| r.bearer_auth(&server.token)).await;
    assert!(
        (5..=6).contains(&count(&first, 200)),
        "{:?}",
        first.iter().map(|s| s.0).collect::<Vec<_>>()
    );
    let (_, body, _) = first.iter().find(|(s, _, _)| *s == 429).unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("RATE_LIMIT_PER_SECOND"),
        "{body}"
    );

    // The second token and requests without a token are untouched by that.
    let other = flood(&server, 3, 1, |_, r| r.bearer_auth(&second)).await;
    assert_eq!(count(&other, 200), 3);
    let anonymous = flood(&server, 10, 1, without_a_valid_token).await;
    let anonymous_401 = count(&anonymous, 401);
    assert!(
        (3..=4).contains(&anonymous_401) && count(&anonymous, 429) == 10 - anonymous_401,
        "{:?}",
        anonymous.iter().map(|s| s.0).collect::<Vec<_>>()
    );

    // Spending the budget without a token took nothing from the second token.
    let other = flood(&server, 2, 1, |_, r| r.bearer_auth(&second)).await;
    assert_eq!(count(&other, 200), 2);
    eprintln!(
        "first token: {} of 10 served; second token: 5 of 5; without a token: {anonymous_401} of 10 reached the token check",
        count(&first, 200)
    );
}
