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
