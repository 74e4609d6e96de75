use crate::harness::{Dirs, Server};

#[tokio::test]
async fn health_live_and_ready_answer_without_a_token() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs, &[]);
    let client = server.client();
    let health: serde_json::Value = client
        .get(server.url("/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    let live = client.get(server.url("/live")).send().await.unwrap();
    assert_eq!(live.status(), 200);
    let ready = client.get(server.url("/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let ready: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["checks"]["database"], "ok");
    assert_eq!(ready["checks"]["vectors"], "ok (embedded)");
}

#[tokio::test]
async fn serve_registers_the_current_directory_and_serves_the_ui() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs, &[]);
    let projects = server.get_json("/api/projects").await;
    let list = projects["projects"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["root"], crate::harness::canonical(&dirs.project()));
    assert_eq!(list[0]["name"], "project");
    assert!(server.stdout_lines.iter().any(|l| l.contains("is running for")));

    let page = server.client().get(server.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Mira test UI"));
    // Client-side routes fall back to index.html.
    let deep = server
        .client()
        .get(server.url("/some/client/route"))
        .send()
        .await
        .unwrap();
    assert!(deep.text().await.unwrap().contains("Mira test UI"));
}

/// Checks the exposition text line by line: TYPE/HELP/UNIT comments, samples of the
/// form `name{labels} value`, histogram buckets that never decrease and end at +Inf
/// equal to _count, and the closing `# EOF`.
fn parse_exposition(text: &str) -> Vec<(String, String, f64)> {
    let mut samples = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.last(), Some(&"# EOF"), "exposition must end with # EOF");
    for line in &lines[..lines.len() - 1] {
        if let Some(comment) = line.strip_prefix("# ") {
            let kind = comment.split_whitespace().next().unwrap();
            assert!(
                ["TYPE", "HELP", "UNIT"].contains(&kind),
                "unexpected comment {line}"
            );
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("bad sample {line}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("bad value in {line}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let labels = rest
                    .strip_suffix('}')
                    .unwrap_or_else(|| panic!("unclosed labels in {line}"));
                for pair in labels.split("\",").filter(|p| !p.is_empty()) {
                    let (k, v) = pair
                        .split_once('=')
                        .unwrap_or_else(|| panic!("bad label in {line}"));
                    assert!(k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{line}");
                    assert!(v.starts_with('"'), "{line}");
                }
                (name, labels.to_string())
            }
            None => (series, String::new()),
        };
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "{line}"
        );
        samples.push((name.to_string(), labels, value));
    }
    samples
}

#[tokio::test]
async fn metrics_parse_and_count_requests_by_route_and_status() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs, &[]);
    let client = server.client();
    for _ in 0..3 {
        server.get_json("/api/projects").await;
    }
    let unauthorized = client.get(server.url("/api/projects")).send().await.unwrap();
    assert_eq!(unauthorized.status(), 401);
    let response = client.get(server.url("/metrics")).send().await.unwrap();
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = response.text().await.unwrap();
    let samples = parse_exposition(&text);
    let value = |name: &str, label_part: &str| {
        samples
            .iter()
            .find(|(n, l, _)| n == name && l.contains(label_part))
            .map(|(_, _, v)| *v)
    };
    assert_eq!(
        value(
            "mira_http_requests_total",
            r#"route="/api/projects",status="200""#
        ),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        value(
            "mira_http_requests_total",
            r#"route="/api/projects",status="401""#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(
            "mira_http_request_duration_seconds_count",
            r#"route="/api/projects",status="200""#
        ),
        Some(3.0)
    );
    assert!(value("mira_db_pool_max_connections", "").unwrap() >= 1.0);
    assert_eq!(value("mira_websockets_open", ""), Some(0.0));

    // Buckets of one series never decrease and the +Inf bucket equals the count.
    let buckets: Vec<f64> = samples
        .iter()
        .filter(|(n, l, _)| {
            n == "mira_http_request_duration_seconds_bucket"
                && l.contains(r#"status="200""#)
                && l.contains("/api/projects")
        })
        .map(|(_, _, v)| *v)
        .collect();
    assert!(buckets.len() > 5);
    assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "{buckets:?}");
    assert_eq!(*buckets.last().unwrap(), 3.0);
}
