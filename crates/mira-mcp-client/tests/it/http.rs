//! The reference server in streamable HTTP mode on an ephemeral port.

use std::collections::BTreeMap;

use mira_mcp_client::{McpClients, ServerConfig, TransportConfig, TransportKind};
use serde_json::json;

use crate::support::{HttpServer, source, wait_ready};

#[tokio::test]
async fn lists_calls_reads_and_fetches_prompts_over_http() {
    let server = HttpServer::start().await;
    let config = ServerConfig {
        name: "web".to_string(),
        source: source(),
        transport: TransportConfig::Http {
            url: server.url(),
            // Passed on every request; the reference server ignores it.
            headers: BTreeMap::from([("X-Mira-Test".to_string(), "1".to_string())]),
        },
    };
    let clients = McpClients::start(vec![config], crate::support::options());
    let status = wait_ready(&clients, "web").await;
    assert_eq!(status.transport, TransportKind::Http);
    assert_eq!(status.pid, None);
    assert_eq!(
        status.server_info.as_ref().map(|i| i.name.as_str()),
        Some("mcp-servers/everything")
    );

    let tools = clients.tools();
    let echo = tools
        .iter()
        .find(|t| t.qualified_name == "mcp__web__echo")
        .expect("echo listed over HTTP");
    assert_eq!(echo.input_schema["required"], json!(["message"]));
    let answer = clients
        .call_tool("mcp__web__echo", json!({"message": "over http"}), None)
        .await
        .unwrap();
    assert_eq!(answer.text, "Echo: over http");
    let answer = clients
        .call_tool("mcp__web__get-sum", json!({"a": 1.5, "b": 2}), None)
        .await
        .unwrap();
    assert_eq!(answer.text, "The sum of 1.5 and 2 is 3.5.");

    let text = clients
        .read_resource("web", "demo://resource/dynamic/text/3")
        .await
        .unwrap();
    assert!(
        text.starts_with("Resource 3: This is a plaintext resource"),
        "{text}"
    );

    let arguments = BTreeMap::from([("city".to_string(), "Oslo".to_string())]);
    let prompt = clients
        .get_prompt("mcp__web__args-prompt", arguments)
        .await
        .unwrap();
    assert_eq!(prompt, "What's weather in Oslo?");

    clients.shutdown().await;
    drop(server);
}
