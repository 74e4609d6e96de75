//! notifications/tools/list_changed and paged tools/list, against a small server written
//! from the specification (tests/fixtures/list_changed_server.js).

use mira_mcp_client::{McpClients, ServerState};
use serde_json::json;

use crate::support::{fixture, options, stdio, wait_for, wait_ready};

#[tokio::test]
async fn lists_every_page_and_lists_again_when_the_server_says_so() {
    let clients = McpClients::start(
        vec![stdio("dyn", "node", &[&fixture("list_changed_server.js")])],
        options(),
    );
    let status = wait_ready(&clients, "dyn").await;
    assert_eq!(
        status.tools.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["add_tool"]
    );

    let answer = clients
        .call_tool("mcp__dyn__add_tool", json!({}), None)
        .await
        .unwrap();
    assert_eq!(answer.text, "added extra_1");
    let status = wait_for(&clients, "dyn", "relisted", |s| s.tools.len() == 2).await;
    assert_eq!(status.state, ServerState::Ready);
    clients
        .call_tool("mcp__dyn__add_tool", json!({}), None)
        .await
        .unwrap();
    // Three tools arrive on three pages.
    let status = wait_for(&clients, "dyn", "relisted", |s| s.tools.len() == 3).await;
    let names: Vec<&str> = status.tools.iter().map(|t| t.qualified_name.as_str()).collect();
    assert_eq!(
        names,
        ["mcp__dyn__add_tool", "mcp__dyn__extra_1", "mcp__dyn__extra_2"]
    );
    let answer = clients
        .call_tool("mcp__dyn__extra_2", json!(null), None)
        .await
        .unwrap();
    assert_eq!(answer.text, "called extra_2");
    clients.shutdown().await;
}
