//! Servers that cannot start: a command that does not exist, one that exits at once, an
//! HTTP endpoint that refuses connections. Each fails with a clear error; the good server
//! beside them works.

use std::collections::BTreeMap;

use mira_mcp_client::{McpClients, McpError, ServerConfig, ServerState, TransportConfig};
use serde_json::json;

use crate::support::{everything_stdio, options, source, stdio, wait_for, wait_ready};

#[tokio::test]
async fn broken_servers_fail_clearly_and_the_others_work() {
    let refused = {
        // A port nothing listens on: bound and released.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        ServerConfig {
            name: "refused".to_string(),
            source: source(),
            transport: TransportConfig::Http {
                url: format!("http://127.0.0.1:{port}/mcp"),
                headers: BTreeMap::new(),
            },
        }
    };
    let clients = McpClients::start(
        vec![
            stdio("missing", "/nonexistent/mira-no-such-server", &[]),
            stdio(
                "quitter",
                "node",
                &[
                    "-e",
                    "console.error('bad config: TOKEN is missing'); process.exit(3)",
                ],
            ),
            refused,
            everything_stdio("good"),
        ],
        options(),
    );

    let failed = |s: &mira_mcp_client::ServerStatus| s.state == ServerState::Failed && s.last_error.is_some();
    let missing = wait_for(&clients, "missing", "failed", failed).await;
    let error = missing.last_error.unwrap();
    assert!(
        error.contains("command \"/nonexistent/mira-no-such-server\" was not found"),
        "{error}"
    );
    assert!(error.contains("install it or fix \"command\""), "{error}");

    let quitter = wait_for(&clients, "quitter", "failed", failed).await;
    let error = quitter.last_error.unwrap();
    assert!(error.contains("the process exited with status 3"), "{error}");
    assert!(error.contains("bad config: TOKEN is missing"), "{error}");

    let refused = wait_for(&clients, "refused", "failed", failed).await;
    let error = refused.last_error.unwrap();
    assert!(error.contains("initialize failed"), "{error}");

    wait_ready(&clients, "good").await;
    let answer = clients
        .call_tool("mcp__good__echo", json!({"message": "fine"}), None)
        .await
        .unwrap();
    assert_eq!(answer.text, "Echo: fine");
    assert!(clients.tools().iter().all(|t| t.server == "good"));

    // They keep being retried with backoff, and keep failing the same way.
    let retried = wait_for(&clients, "quitter", "retried", |s| s.restarts >= 2 && failed(s)).await;
    assert!(retried.last_error.unwrap().contains("status 3"));

    // A call to a server that is not up says so.
    let error = clients.read_resource("missing", "x://y").await.unwrap_err();
    assert!(matches!(error, McpError::NotReady { .. }), "{error}");
    assert!(error.to_string().contains("was not found"), "{error}");
    let error = clients
        .call_tool("mcp__missing__anything", json!({}), None)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("server \"missing\" is"), "{error}");

    clients.shutdown().await;
    assert!(clients.status().iter().all(|s| s.state == ServerState::Stopped));
}
