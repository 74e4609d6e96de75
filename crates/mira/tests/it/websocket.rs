use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::harness::{Dirs, Server};

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn connect(server: &Server) -> Socket {
    let mut request = server.ws_url().into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        format!("mira.v1, mira.token.{}", server.token).parse().unwrap(),
    );
    let (socket, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket connects");
    assert_eq!(response.headers()["sec-websocket-protocol"], "mira.v1");
    socket
}

/// The next JSON text frame that is not a heartbeat or an event.
pub async fn next_reply(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a frame within 10 s")
            .expect("socket open")
            .expect("valid frame");
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(&text).unwrap();
            if value["type"] != "heartbeat" && value["type"] != "event" {
                return value;
            }
        }
    }
}

#[tokio::test]
async fn hello_requests_and_bad_frames_keep_the_connection_usable() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs, &[("MIRA_WS_MAX_FRAME_BYTES", "2048")]);
    let mut socket = connect(&server).await;

    let hello = next_reply(&mut socket).await;
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["protocol"], 1);
    assert_eq!(hello["max_frame_bytes"], 2048);

    socket.send(Message::text("this is not json")).await.unwrap();
    let error = next_reply(&mut socket).await;
    assert_eq!(error["type"], "error");
    assert_eq!(error["code"], "bad_frame");

    socket.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
    assert_eq!(next_reply(&mut socket).await["code"], "bad_frame");

    socket
        .send(Message::text(r#"{"id":"u1","type":"no.such.thing"}"#))
        .await
        .unwrap();
    let unknown = next_reply(&mut socket).await;
    assert_eq!(unknown["code"], "unknown_type");
    assert_eq!(unknown["id"], "u1");

    socket
        .send(Message::text(r#"{"id":"p1","type":"ping"}"#))
        .await
        .unwrap();
    assert_eq!(next_reply(&mut socket).await, json!({"type": "pong", "id": "p1"}));

    socket
        .send(Message::text(r#"{"id":2,"type":"projects.list"}"#))
        .await
        .unwrap();
    let result = next_reply(&mut socket).await;
    assert_eq!(result["type"], "result");
    assert_eq!(result["id"], 2);
    let project_id = result["data"]["projects"][0]["id"].as_i64().unwrap();

    socket
        .send(Message::text(
            json!({"id": "t", "type": "fs.tree", "project_id": project_id, "path": "src"}).to_string(),
        ))
        .await
        .unwrap();
    let tree = next_reply(&mut socket).await;
    assert_eq!(tree["data"]["entries"][1]["path"], "src/main.rs");

    socket
        .send(Message::text(
            json!({"id": "r", "type": "fs.read", "project_id": project_id, "path": "../x"}).to_string(),
        ))
        .await
        .unwrap();
    assert_eq!(next_reply(&mut socket).await["code"], "forbidden");
}

#[tokio::test]
async fn heartbeats_and_activity_events_are_pushed() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs, &[("MIRA_WS_HEARTBEAT_SECS", "1")]);
    let mut socket = connect(&server).await;
    assert_eq!(next_reply(&mut socket).await["type"], "hello");

    let other = dirs.tmp.path().join("another");
    std::fs::create_dir_all(&other).unwrap();
    let created = server
        .client()
        .post(server.url("/api/projects"))
        .bearer_auth(&server.token)
        .json(&json!({"path": other}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    let (mut heartbeat, mut activity) = (false, false);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !(heartbeat && activity) && tokio::time::Instant::now() < deadline {
        let Some(Ok(Message::Text(text))) = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .unwrap()
        else {
            continue;
        };
        let frame: Value = serde_json::from_str(&text).unwrap();
        heartbeat |= frame["type"] == "heartbeat";
        // The search index of the registered project is brought up to date in the
        // background at start; its events may come first.
        let background = frame["data"]["kind"]
            .as_str()
            .is_some_and(|k| k.starts_with("search."));
        if frame["type"] == "event" && frame["event"] == "activity" && !background {
            assert_eq!(frame["data"]["kind"], "project.added");
            activity = true;
        }
    }
    assert!(heartbeat, "a heartbeat within the interval");
    assert!(activity, "the activity event of the new project");
}
