//! Issue 21 item 4 (frame part): WebSocket frames over MIRA_WS_MAX_FRAME_BYTES were
//! buffered up to 64 MiB before being refused. They are now refused at the limit: the
//! frame header alone ends the read, and the server closes with 1009.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::harness::{Dirs, Server};
use crate::websocket::{Socket, connect, next_reply};

const LIMIT: usize = 2048;

/// The close frame's code, or `None` if the connection ended without one.
async fn close_code(socket: &mut Socket) -> Option<CloseCode> {
    tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(message) = socket.next().await {
            match message {
                Ok(Message::Close(frame)) => return frame.map(|f| f.code),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
        None
    })
    .await
    .expect("the server ends the connection within 5 s")
}

#[tokio::test]
async fn frames_over_the_limit_are_refused_at_the_limit() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs, &[("MIRA_WS_MAX_FRAME_BYTES", &LIMIT.to_string())]);

    // A frame of exactly the limit is answered as usual.
    let mut socket = connect(&server).await;
    assert_eq!(next_reply(&mut socket).await["type"], "hello");
    let mut frame = json!({"id": "at", "type": "ping", "pad": ""}).to_string();
    let pad = "x".repeat(LIMIT - frame.len());
    frame = json!({"id": "at", "type": "ping", "pad": pad}).to_string();
    assert_eq!(frame.len(), LIMIT);
    socket.send(Message::text(frame)).await.unwrap();
    assert_eq!(next_reply(&mut socket).await["type"], "pong");

    // One byte more ends the connection with 1009 (message too big).
    let over = json!({"id": "over", "type": "ping", "pad": format!("{pad}x")}).to_string();
    socket.send(Message::text(over)).await.unwrap();
    assert_eq!(close_code(&mut socket).await, Some(CloseCode::Size));

    // A header declaring 32 MiB, followed by 16 bytes and nothing more: refused on the
    // header, without waiting for (or holding) the payload.
    let mut socket = connect(&server).await;
    assert_eq!(next_reply(&mut socket).await["type"], "hello");
    let mut raw = vec![0x81u8, 0x80 | 127];
    raw.extend_from_slice(&(32u64 << 20).to_be_bytes());
    raw.extend_from_slice(&[0u8; 4]); // mask key
    raw.extend_from_slice(&[b'x'; 16]);
    let started = Instant::now();
    match socket.get_mut() {
        tokio_tungstenite::MaybeTlsStream::Plain(tcp) => tcp.write_all(&raw).await.unwrap(),
        _ => unreachable!("plain ws://"),
    }
    assert_eq!(close_code(&mut socket).await, Some(CloseCode::Size));
    eprintln!("a 32 MiB header was refused in {:?}", started.elapsed());
    assert!(started.elapsed() < Duration::from_secs(2));

    // The server still serves new sessions.
    let mut socket = connect(&server).await;
    assert_eq!(next_reply(&mut socket).await["type"], "hello");
}
