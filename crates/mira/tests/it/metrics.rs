//! Issue 21 item 4 (metrics part): the `/metrics` method label took any string, so 3,000
//! requests with made-up methods grew the page from 240 KB to 17 MB. This replays them,
//! with made-up paths too, and checks the page does not grow with them.

use crate::harness::{Dirs, Server};

async fn metrics_page(server: &Server) -> String {
    server
        .client()
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn made_up_methods_and_paths_do_not_grow_the_metrics() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs, &[("RATE_LIMIT_ENABLED", "false")]);
    let client = server.client();
    // Every kind of route once, so the page has its usual series before the flood.
    for path in ["/health", "/api/projects", "/api/nope", "/some/ui/page"] {
        client
            .get(server.url(path))
            .bearer_auth(&server.token)
            .send()
            .await
            .unwrap();
    }
    let before = metrics_page(&server).await;

    for i in 0..3000 {
        let method = reqwest::Method::from_bytes(format!("X{i}Y").as_bytes()).unwrap();
        let path = match i % 3 {
            0 => format!("/api/projects/{i}/file?path=f{i}"),
            1 => format!("/made/up/{i}"),
            _ => format!("/health/{i}"),
        };
        let mut request = client.request(method, server.url(&path));
        if i % 2 == 0 {
            request = request.bearer_auth(&server.token);
        }
        request.send().await.unwrap();
    }
    let after = metrics_page(&server).await;
    eprintln!(
        "metrics page: {} bytes before, {} after 3,000 made-up requests",
        before.len(),
        after.len()
    );

    assert!(!after.contains("X1Y") && !after.contains("made/up") && !after.contains("/health/"));
    assert!(after.contains(r#"method="other""#), "{after}");
    let series = |page: &str| {
        page.lines()
            .filter(|l| l.starts_with("mira_http_requests_total{"))
            .count()
    };
    // Folded: only a few new series (method `other` by route and status), not 3,000.
    assert!(
        series(&after) <= series(&before) + 12,
        "{} -> {}",
        series(&before),
        series(&after)
    );
    assert!(
        after.len() < before.len() + 64 * 1024,
        "{} -> {}",
        before.len(),
        after.len()
    );
}
