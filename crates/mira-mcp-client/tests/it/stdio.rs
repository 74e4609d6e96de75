//! The reference server over stdio: listing, calls, resources, prompts, timeouts, cancels,
//! shutdown and drop.

use std::collections::BTreeMap;
use std::time::Duration;

use mira_mcp_client::{CancellationToken, ClientOptions, McpClients, McpError, ServerState, TransportKind};
use serde_json::json;

use crate::support::{GUARD, everything_stdio, options, process_running, wait_for, wait_ready};

#[tokio::test]
async fn lists_calls_reads_and_fetches_prompts() {
    let clients = McpClients::start(vec![everything_stdio("everything")], options());
    let status = wait_ready(&clients, "everything").await;

    let info = status.server_info.clone().expect("initialize answered");
    assert_eq!(info.name, "mcp-servers/everything");
    assert_eq!(info.version, "2.0.0");
    assert_eq!(info.protocol_version, "2025-11-25");
    assert_eq!(status.transport, TransportKind::Stdio);
    assert!(status.pid.is_some_and(process_running));
    assert_eq!((status.restarts, status.last_error.clone()), (0, None));

    // Tools, with qualified names and schemas.
    let echo = status
        .tools
        .iter()
        .find(|t| t.name == "echo")
        .expect("echo listed");
    assert_eq!(echo.qualified_name, "mcp__everything__echo");
    assert_eq!(echo.description.as_deref(), Some("Echoes back the input string"));
    assert_eq!(echo.input_schema["properties"]["message"]["type"], "string");
    let tools = clients.tools();
    let sum = tools
        .iter()
        .find(|t| t.qualified_name == "mcp__everything__get-sum")
        .expect("get-sum offered");
    assert_eq!(
        (sum.server.as_str(), sum.name.as_str()),
        ("everything", "get-sum")
    );
    assert_eq!(sum.input_schema["properties"]["a"]["type"], "number");
    assert_eq!(tools.len(), status.tools.len());

    // Calls, with the server's real answers.
    let answer = clients
        .call_tool(
            "mcp__everything__echo",
            json!({"message": "hello from mira"}),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        (answer.text.as_str(), answer.is_error),
        ("Echo: hello from mira", false)
    );
    let answer = clients
        .call_tool("mcp__everything__get-sum", json!({"a": 2, "b": 40}), None)
        .await
        .unwrap();
    assert_eq!(answer.text, "The sum of 2 and 40 is 42.");
    // An image comes back as a note, not base64.
    let image = clients
        .call_tool("mcp__everything__get-tiny-image", json!({}), None)
        .await
        .unwrap();
    assert!(image.text.contains("[image: image/png, "), "{}", image.text);
    // Bad arguments: the server's validation answers (as a tool error or a JSON-RPC error).
    match clients
        .call_tool("mcp__everything__get-sum", json!({"a": "two"}), None)
        .await
    {
        Ok(answer) => assert!(answer.is_error, "{answer:?}"),
        Err(error) => assert!(matches!(error, McpError::Server { .. }), "{error}"),
    }
    let unknown = clients
        .call_tool("mcp__everything__nope", json!({}), None)
        .await
        .unwrap_err();
    assert!(matches!(unknown, McpError::UnknownTool { .. }), "{unknown}");
    let not_object = clients
        .call_tool("mcp__everything__echo", json!(["x"]), None)
        .await
        .unwrap_err();
    assert!(
        matches!(not_object, McpError::InvalidArguments(_)),
        "{not_object}"
    );

    // Resources: listed, a template, and a read.
    assert!(
        status
            .resources
            .iter()
            .any(|r| r.uri.starts_with("demo://resource/static/document/"))
    );
    assert!(
        status
            .resource_templates
            .iter()
            .any(|t| t.uri_template == "demo://resource/dynamic/text/{resourceId}")
    );
    let text = clients
        .read_resource("everything", "demo://resource/dynamic/text/7")
        .await
        .unwrap();
    assert!(
        text.starts_with("Resource 7: This is a plaintext resource created at "),
        "{text}"
    );
    let blob = clients
        .read_resource("everything", "demo://resource/dynamic/blob/7")
        .await
        .unwrap();
    assert!(
        blob.starts_with("[binary resource demo://resource/dynamic/blob/7: text/plain, "),
        "{blob}"
    );
    let missing = clients.read_resource("nowhere", "x://y").await.unwrap_err();
    assert!(
        missing
            .to_string()
            .contains("the configured servers are: everything"),
        "{missing}"
    );

    // Prompts: listed with their arguments in order, and fetched with arguments.
    let args_prompt = status
        .prompts
        .iter()
        .find(|p| p.name == "args-prompt")
        .expect("args-prompt listed");
    assert_eq!(args_prompt.qualified_name, "mcp__everything__args-prompt");
    let arguments: Vec<(&str, bool)> = args_prompt
        .arguments
        .iter()
        .map(|a| (a.name.as_str(), a.required))
        .collect();
    assert_eq!(arguments, [("city", true), ("state", false)]);
    assert_eq!(
        args_prompt.arguments[0].description.as_deref(),
        Some("Name of the city")
    );
    assert!(
        clients
            .prompts()
            .iter()
            .any(|p| p.qualified_name == "mcp__everything__simple-prompt")
    );
    let arguments = BTreeMap::from([
        ("city".to_string(), "Paris".to_string()),
        ("state".to_string(), "TX".to_string()),
    ]);
    let prompt = clients
        .get_prompt("mcp__everything__args-prompt", arguments)
        .await
        .unwrap();
    assert_eq!(prompt, "What's weather in Paris, TX?");
    let simple = clients
        .get_prompt("mcp__everything__simple-prompt", BTreeMap::new())
        .await
        .unwrap();
    assert_eq!(simple, "This is a simple prompt without arguments.");

    clients.shutdown().await;
}

#[tokio::test]
async fn a_call_times_out_or_is_cancelled_and_the_server_keeps_working() {
    let options = ClientOptions {
        call_timeout: Duration::from_secs(1),
        ..options()
    };
    let clients = McpClients::start(vec![everything_stdio("everything")], options);
    wait_ready(&clients, "everything").await;
    let long = json!({"duration": 60, "steps": 60});

    let timed_out = tokio::time::timeout(
        GUARD,
        clients.call_tool(
            "mcp__everything__trigger-long-running-operation",
            long.clone(),
            None,
        ),
    )
    .await
    .expect("the call timeout ends the call")
    .unwrap_err();
    assert!(matches!(timed_out, McpError::Timeout { .. }), "{timed_out}");
    assert!(timed_out.to_string().contains("call_timeout"), "{timed_out}");

    let cancel = CancellationToken::new();
    let canceller = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            cancel.cancel();
        })
    };
    let cancelled = tokio::time::timeout(
        GUARD,
        clients.call_tool(
            "mcp__everything__trigger-long-running-operation",
            long,
            Some(cancel),
        ),
    )
    .await
    .expect("cancelling ends the call")
    .unwrap_err();
    canceller.await.unwrap();
    assert!(matches!(cancelled, McpError::Cancelled { .. }), "{cancelled}");

    let answer = clients
        .call_tool("mcp__everything__echo", json!({"message": "still here"}), None)
        .await
        .unwrap();
    assert_eq!(answer.text, "Echo: still here");
    assert_eq!(clients.server_status("everything").unwrap().restarts, 0);
    clients.shutdown().await;
}

#[tokio::test]
async fn shutdown_stops_the_process_and_later_calls_fail() {
    let clients = McpClients::start(vec![everything_stdio("everything")], options());
    let pid = wait_ready(&clients, "everything")
        .await
        .pid
        .expect("a stdio server has a pid");
    clients.shutdown().await;
    let status = clients.server_status("everything").unwrap();
    assert_eq!((status.state, status.pid), (ServerState::Stopped, None));
    assert!(
        !process_running(pid),
        "the server process {pid} still runs after shutdown"
    );
    let error = clients
        .call_tool("mcp__everything__echo", json!({"message": "x"}), None)
        .await
        .unwrap_err();
    assert!(matches!(error, McpError::Shutdown), "{error}");
}

#[tokio::test]
async fn dropping_the_clients_kills_the_server() {
    let clients = McpClients::start(vec![everything_stdio("everything")], options());
    let pid = wait_ready(&clients, "everything").await.pid.unwrap();
    drop(clients);
    tokio::time::timeout(GUARD, async {
        while process_running(pid) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the server process ends once the clients are dropped");
}

#[tokio::test]
async fn settled_waits_for_first_attempts_only() {
    let clients = McpClients::start(vec![everything_stdio("everything")], options());
    let statuses = clients.settled(GUARD).await;
    assert_eq!(statuses.len(), 1);
    assert_eq!(statuses[0].state, ServerState::Ready);
    let status = wait_for(&clients, "everything", "ready", |s| s.state == ServerState::Ready).await;
    assert!(!status.tools.is_empty());
    clients.shutdown().await;
}
