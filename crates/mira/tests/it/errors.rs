//! Replays the malformed-request attack of issue 21: every refusal under `/api` must be
//! JSON `{"error":{"code","message"}}` with the right status, unknown API paths 404
//! (never the UI page), and bad file names 400 (never 500).

use reqwest::Method;

use crate::harness::{Dirs, Server};

struct Case {
    method: Method,
    path: String,
    body: Option<&'static str>,
    content_type: Option<&'static str>,
    auth: bool,
    status: u16,
    code: &'static str,
}

fn case(method: Method, path: impl Into<String>, status: u16, code: &'static str) -> Case {
    Case {
        method,
        path: path.into(),
        body: None,
        content_type: None,
        auth: true,
        status,
        code,
    }
}

#[tokio::test]
async fn every_api_refusal_is_json_of_one_shape() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs, &[]);
    let id = server.get_json("/api/projects").await["projects"][0]["id"]
        .as_i64()
        .unwrap();
    let long_name = "a".repeat(300);
    let long_path = format!("{}/x", "d/".repeat(2100));
    let mut cases = vec![
        // No or a forged token.
        Case {
            auth: false,
            ..case(Method::GET, "/api/projects", 401, "unauthorized")
        },
        Case {
            auth: false,
            ..case(Method::GET, "/api/no/such/route", 401, "unauthorized")
        },
        // Unknown API paths: 404 JSON, not the UI page.
        case(Method::GET, "/api/no/such/route", 404, "not_found"),
        case(Method::GET, "/api", 404, "not_found"),
        case(Method::GET, "/api/", 404, "not_found"),
        case(Method::POST, "/api/projectz", 404, "not_found"),
        case(Method::GET, format!("/api/projects/{id}/nope"), 404, "not_found"),
        case(Method::GET, "/api/projects/999999", 404, "not_found"),
        // axum's own rejections, plain text before.
        case(Method::GET, "/api/projects/abc", 400, "bad_request"),
        case(Method::PUT, "/api/projects", 405, "method_not_allowed"),
        case(
            Method::GET,
            format!("/api/projects/{id}/code/symbols?limit=x"),
            400,
            "bad_request",
        ),
        Case {
            body: Some("{not json"),
            content_type: Some("application/json"),
            ..case(Method::POST, "/api/projects", 400, "bad_request")
        },
        Case {
            body: Some("{\"path\": 1}"),
            content_type: Some("application/json"),
            ..case(Method::POST, "/api/projects", 422, "bad_request")
        },
        Case {
            body: Some("path=x"),
            content_type: Some("text/plain"),
            ..case(Method::POST, "/api/projects", 415, "bad_request")
        },
        // Hostile file names: 400, never 500.
        case(
            Method::GET,
            format!("/api/projects/{id}/file?path=a%00b"),
            400,
            "bad_request",
        ),
        case(
            Method::GET,
            format!("/api/projects/{id}/tree?path=src%00"),
            400,
            "bad_request",
        ),
        case(
            Method::GET,
            format!("/api/projects/{id}/file?path={long_name}"),
            400,
            "bad_request",
        ),
        case(
            Method::GET,
            format!("/api/projects/{id}/tree?path={long_name}"),
            400,
            "bad_request",
        ),
        case(
            Method::GET,
            format!("/api/projects/{id}/file?path={long_path}"),
            400,
            "bad_request",
        ),
        case(
            Method::GET,
            format!("/api/projects/{id}/git/blame?path={long_name}"),
            400,
            "bad_request",
        ),
        case(
            Method::GET,
            format!("/api/projects/{id}/file?path=README.md/x"),
            404,
            "not_found",
        ),
        case(
            Method::GET,
            format!("/api/projects/{id}/file?path=../etc/passwd"),
            403,
            "forbidden",
        ),
    ];
    // The WebSocket route refuses a plain GET (no upgrade) in the same shape.
    cases.push(case(Method::GET, "/ws", 400, "bad_request"));

    let client = server.client();
    let mut failures = Vec::new();
    for c in &cases {
        let mut request = client.request(c.method.clone(), server.url(&c.path));
        if c.auth {
            request = request.bearer_auth(&server.token);
        }
        if let Some(content_type) = c.content_type {
            request = request.header("content-type", content_type);
        }
        if let Some(body) = c.body {
            request = request.body(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let text = response.text().await.unwrap();
        let body: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let shaped = body["error"]["code"].is_string()
            && body["error"]["message"].as_str().is_some_and(|m| !m.is_empty())
            && body.as_object().is_some_and(|o| o.len() == 1);
        if status != c.status
            || !content_type.starts_with("application/json")
            || !shaped
            || body["error"]["code"] != c.code
        {
            let shown: String = text.chars().take(200).collect();
            failures.push(format!(
                "{} {}: want {} {}, got {status} [{content_type}] {shown}",
                c.method,
                c.path.chars().take(80).collect::<String>(),
                c.status,
                c.code
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The UI still answers its own paths.
    let page = client.get(server.url("/some/client/route")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Mira test UI"));
}
