//! A server killed in the middle of a call: the call fails at once, the server is restarted,
//! and the server beside it never notices.

use std::time::Duration;

use mira_mcp_client::{McpClients, McpError, ServerState};
use serde_json::json;

use crate::support::{GUARD, everything_stdio, options, wait_for, wait_ready};

#[tokio::test]
async fn a_server_killed_mid_call_fails_the_call_and_is_restarted() {
    let clients = McpClients::start(
        vec![everything_stdio("victim"), everything_stdio("bystander")],
        options(),
    );
    let pid = wait_ready(&clients, "victim").await.pid.unwrap();
    wait_ready(&clients, "bystander").await;

    // Every state the victim passes through, in order.
    let seen = {
        let clients = clients.clone();
        let mut changes = clients.changes();
        tokio::spawn(async move {
            let mut seen = vec![ServerState::Ready];
            while changes.changed().await.is_ok() {
                let Some(status) = clients.server_status("victim") else {
                    break;
                };
                if seen.last() != Some(&status.state) {
                    seen.push(status.state);
                }
                if status.state == ServerState::Ready && status.restarts > 0 {
                    break;
                }
            }
            seen
        })
    };

    // 60 s of work; the call must end long before.
    let call = {
        let clients = clients.clone();
        tokio::spawn(async move {
            clients
                .call_tool(
                    "mcp__victim__trigger-long-running-operation",
                    json!({"duration": 60, "steps": 60}),
                    None,
                )
                .await
        })
    };
    // Let the request reach the server before killing it.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!call.is_finished(), "the long call is in flight");
    // SAFETY: sends SIGKILL to the server process this test started.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };

    let error = tokio::time::timeout(Duration::from_secs(20), call)
        .await
        .expect("the call ends well before the tool's 60 s")
        .unwrap()
        .unwrap_err();
    assert!(matches!(error, McpError::ServerStopped { .. }), "{error}");
    let message = error.to_string();
    assert!(
        message.contains("MCP server \"victim\" stopped while tool trigger-long-running-operation"),
        "{message}"
    );
    assert!(message.contains("being restarted"), "{message}");

    // The other server answers while the victim is down or coming back.
    let answer = clients
        .call_tool("mcp__bystander__echo", json!({"message": "unaffected"}), None)
        .await
        .unwrap();
    assert_eq!(answer.text, "Echo: unaffected");

    let status = wait_for(&clients, "victim", "restarted", |s| {
        s.state == ServerState::Ready && s.restarts >= 1
    })
    .await;
    let last_error = status.last_error.clone().expect("the failure is kept");
    assert!(
        last_error.contains("killed by signal 9 (SIGKILL)"),
        "{last_error}"
    );
    assert_ne!(status.pid, Some(pid), "a new process");
    let seen = tokio::time::timeout(GUARD, seen).await.unwrap().unwrap();
    assert_eq!(
        seen,
        [
            ServerState::Ready,
            ServerState::Failed,
            ServerState::Restarting,
            ServerState::Ready
        ]
    );

    let answer = clients
        .call_tool("mcp__victim__echo", json!({"message": "back"}), None)
        .await
        .unwrap();
    assert_eq!(answer.text, "Echo: back");
    let bystander = clients.server_status("bystander").unwrap();
    assert_eq!((bystander.state, bystander.restarts), (ServerState::Ready, 0));
    clients.shutdown().await;
}
