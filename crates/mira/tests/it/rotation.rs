//! Issue 21 item 2: after `mira token --rotate` the running server still accepted the old
//! token and refused the new one until it restarted (the secret was read once). This
//! rotates with the real CLI against a running server and checks both at once, and that a
//! WebSocket opened with the old token is closed.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::harness::{Dirs, Server, run};
use crate::websocket::{connect, next_reply};

async fn status_with(server: &Server, token: &str) -> u16 {
    server
        .client()
        .get(server.url("/api/projects"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn ws_status_with(server: &Server, token: &str) -> Result<(), u16> {
    let mut request = server.ws_url().into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        format!("mira.v1, mira.token.{token}").parse().unwrap(),
    );
    match tokio_tungstenite::connect_async(request).await {
        Ok(_) => Ok(()),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
        Err(e) => panic!("websocket: {e}"),
    }
}

#[tokio::test]
async fn rotating_the_token_takes_effect_on_the_running_server_at_once() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs, &[]);
    let old = server.token.clone();
    assert_eq!(status_with(&server, &old).await, 200);
    let mut socket = connect(&server).await;
    assert_eq!(next_reply(&mut socket).await["type"], "hello");

    let output = run(&dirs, &["token", "--rotate"], &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let new = stdout
        .trim()
        .split_once("#token=")
        .expect("a URL with the new token")
        .1
        .to_string();
    assert_ne!(new, old);

    // No restart, no waiting: the CLI returned after the server switched.
    let switched = Instant::now();
    assert_eq!(status_with(&server, &old).await, 401, "the old token still works");
    assert_eq!(status_with(&server, &new).await, 200, "the new token is refused");
    assert_eq!(ws_status_with(&server, &old).await, Err(401));
    assert_eq!(ws_status_with(&server, &new).await, Ok(()));

    // The session opened with the old token is closed with a policy close frame.
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
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
    .expect("the old session is closed within 5 s");
    assert_eq!(closed, Some(CloseCode::Policy));
    eprintln!(
        "old session closed {:?} after the CLI returned",
        switched.elapsed()
    );

    // Rotating again with no server running rotates the files (the next start uses them).
    drop(server);
    let output = run(&dirs, &["token", "--rotate"], &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let offline = String::from_utf8(output.stdout).unwrap();
    let offline = offline.trim().split_once("#token=").unwrap().1.to_string();
    let server = Server::start(&dirs, &[]);
    assert_eq!(server.token, offline);
    assert_eq!(status_with(&server, &new).await, 401);
    assert_eq!(status_with(&server, &offline).await, 200);
}
