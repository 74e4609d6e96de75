use std::time::Duration;

use crate::harness::{Dirs, Server};

async fn status_and_error(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn api_refuses_missing_wrong_and_expired_tokens_with_json_401() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs, &[]);
    let client = server.client();
    let url = server.url("/api/projects");

    let (status, body) = status_and_error(client.get(&url).send().await.unwrap()).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "unauthorized");
    assert!(body["error"]["message"].as_str().unwrap().contains("missing"));

    let (status, body) =
        status_and_error(client.get(&url).bearer_auth("abc.def.ghi").send().await.unwrap()).await;
    assert_eq!(status, 401);
    assert!(body["error"]["message"].as_str().unwrap().contains("not valid"));

    // A token signed with this server's secret but expired an hour ago.
    let auth = mira_server::Auth::load_or_create(&dirs.data(), Duration::from_secs(3600)).unwrap();
    let expired = auth.issue_at(chrono_now() - 7200, Duration::from_secs(3600));
    let (status, body) = status_and_error(client.get(&url).bearer_auth(&expired).send().await.unwrap()).await;
    assert_eq!(status, 401);
    assert!(
        body["error"]["message"].as_str().unwrap().contains("expired"),
        "{body}"
    );

    // A token from another Mira (another secret) is refused too.
    let other = tempfile::tempdir().unwrap();
    let stranger = mira_server::Auth::load_or_create(other.path(), Duration::from_secs(3600)).unwrap();
    let foreign = stranger.current_token().unwrap();
    let (status, _) = status_and_error(client.get(&url).bearer_auth(&foreign).send().await.unwrap()).await;
    assert_eq!(status, 401);

    let ok = client.get(&url).bearer_auth(&server.token).send().await.unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn websocket_upgrade_needs_a_token() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs, &[]);
    let response = server
        .client()
        .get(server.url("/ws"))
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("sec-websocket-protocol", "mira.v1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn secret_and_token_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dirs = Dirs::new();
    let server = Server::start(&dirs, &[]);
    for name in ["secret.key", "token"] {
        let mode = std::fs::metadata(dirs.data().join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}");
    }
    // The token never appears in the server's log.
    drop(
        server
            .client()
            .get(server.url("/api/projects"))
            .bearer_auth(&server.token)
            .send()
            .await
            .unwrap(),
    );
    let mut server = server;
    server.terminate();
    assert!(!server.stderr_text().contains(&server.token));
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
