use std::time::Duration;

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;

use crate::harness::{Dirs, Server};
use crate::websocket::{connect, next_reply};

#[tokio::test]
async fn sigterm_closes_websockets_and_keeps_committed_data() {
    let dirs = Dirs::new();
    let mut server = Server::start(&dirs, &[]);
    let extra = dirs.tmp.path().join("committed");
    std::fs::create_dir_all(&extra).unwrap();
    let created = server
        .client()
        .post(server.url("/api/projects"))
        .bearer_auth(&server.token)
        .json(&serde_json::json!({"path": extra, "name": "committed before SIGTERM"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    let mut socket = connect(&server).await;
    assert_eq!(next_reply(&mut socket).await["type"], "hello");

    let status = server.terminate();
    assert!(
        status.success(),
        "clean exit on SIGTERM: {status:?}\n{}",
        server.stderr_text()
    );

    // The WebSocket got a close frame saying the server is going away.
    let mut close_code = None;
    while let Ok(Some(Ok(message))) = tokio::time::timeout(Duration::from_secs(5), socket.next()).await {
        if let Message::Close(frame) = message {
            close_code = frame.map(|f| u16::from(f.code));
            break;
        }
    }
    assert_eq!(close_code, Some(1001));
    assert!(
        !dirs.data().join("server.json").exists(),
        "runtime file removed on exit"
    );

    let restarted = Server::start(&dirs, &[]);
    let projects = restarted.get_json("/api/projects").await;
    let names: Vec<&str> = projects["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["project", "committed before SIGTERM"]);
}

#[tokio::test]
async fn a_second_server_on_the_same_data_dir_is_refused_clearly() {
    let dirs = Dirs::new();
    let _first = Server::start(&dirs, &[]);
    let output = crate::harness::run(&dirs, &["serve"], &[]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("another Mira process"), "{stderr}");
}
