//! Issue 21 item 4 (connections): request headers had no time limit and connections no
//! cap, so 1,100 idle connections at a 1,024 open-file limit made `/health` time out.
//! These open such connections against the real server: unfinished headers and idle
//! connections are closed at MIRA_HEADER_TIMEOUT_SECS, and past MIRA_MAX_CONNECTIONS the
//! server closes connections that sent nothing rather than stop answering.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::harness::{Dirs, Server};

fn address(server: &Server) -> String {
    server.base.trim_start_matches("http://").to_string()
}

/// How long the server took to close `stream` (and what it sent before), or `None` when
/// it is still open after `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<(Duration, Vec<u8>)> {
    let start = Instant::now();
    let mut received = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout_at(start + limit, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some((start.elapsed(), received)),
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
        }
    }
}

/// Sends a complete `GET /health` and reads its answer, leaving the connection open.
async fn one_request(stream: &mut TcpStream) -> String {
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
        .await
        .expect("an answer")
        .unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

fn open_descriptors(server: &Server) -> usize {
    std::fs::read_dir(format!("/proc/{}/fd", server.child.id()))
        .unwrap()
        .count()
}

/// `GET /health` from a new client: its status and how long it took (`None`: no answer
/// within `limit`).
async fn health(server: &Server, limit: Duration) -> (Option<u16>, Duration) {
    let client = reqwest::Client::builder().timeout(limit).build().unwrap();
    let start = Instant::now();
    let status = client
        .get(server.url("/health"))
        .send()
        .await
        .ok()
        .map(|r| r.status().as_u16());
    (status, start.elapsed())
}

/// How many of `streams` the server has closed.
async fn count_closed(streams: &mut [TcpStream]) -> usize {
    let checks = streams
        .iter_mut()
        .map(|stream| closed_within(stream, Duration::from_millis(200)));
    futures_util::future::join_all(checks)
        .await
        .iter()
        .filter(|closed| closed.is_some())
        .count()
}

#[tokio::test]
async fn unfinished_headers_and_idle_connections_are_closed_at_the_header_timeout() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs, &[("MIRA_HEADER_TIMEOUT_SECS", "1")]);
    let address = address(&server);

    let mut half_sent = TcpStream::connect(&address).await.unwrap();
    half_sent
        .write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .await
        .unwrap();
    let mut silent = TcpStream::connect(&address).await.unwrap();
    let mut kept_alive = TcpStream::connect(&address).await.unwrap();
    assert!(one_request(&mut kept_alive).await.starts_with("HTTP/1.1 200"));

    // A slow but honest client that finishes its headers within the limit is served.
    let honest = async {
        let mut stream = TcpStream::connect(&address).await.unwrap();
        stream.write_all(b"GET /health HTTP/1.1\r\n").await.unwrap();
        tokio::time::sleep(Duration::from_millis(400)).await;
        stream.write_all(b"Host: 127.0.0.1\r\n\r\n").await.unwrap();
        let mut buf = [0u8; 4096];
        let n = stream.read(&mut buf).await.unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    };

    let limit = Duration::from_secs(5);
    let (half_sent, silent, kept_alive, honest) = tokio::join!(
        closed_within(&mut half_sent, limit),
        closed_within(&mut silent, limit),
        closed_within(&mut kept_alive, limit),
        honest
    );
    eprintln!(
        "closed after: half-sent headers {:?}, nothing sent {:?}, idle keep-alive {:?}; \
         what the half-sent one got: {:?}",
        half_sent.as_ref().map(|c| c.0),
        silent.as_ref().map(|c| c.0),
        kept_alive.as_ref().map(|c| c.0),
        half_sent
            .as_ref()
            .map(|c| String::from_utf8_lossy(&c.1).lines().next().map(str::to_string))
    );
    for (what, closed) in [
        ("half-sent headers", &half_sent),
        ("nothing sent", &silent),
        ("idle keep-alive", &kept_alive),
    ] {
        let (after, _) = closed
            .as_ref()
            .unwrap_or_else(|| panic!("{what}: still open after {limit:?}"));
        assert!(
            *after >= Duration::from_millis(600) && *after <= Duration::from_secs(3),
            "{what}: closed after {after:?}, the limit is 1 s"
        );
    }
    assert!(honest.starts_with("HTTP/1.1 200"), "{honest}");
}

#[tokio::test]
async fn past_the_connection_cap_connections_that_sent_nothing_make_way_for_a_client() {
    const CAP: usize = 50;
    const IDLE: usize = 100;
    let dirs = Dirs::new();
    // A long header timeout, so that eviction, not the timeout, keeps the server answering.
    let server = Server::start(
        &dirs,
        &[("MIRA_MAX_CONNECTIONS", "50"), ("MIRA_HEADER_TIMEOUT_SECS", "60")],
    );
    let before = open_descriptors(&server);
    let address = address(&server);
    let mut idle = Vec::new();
    for _ in 0..IDLE {
        idle.push(TcpStream::connect(&address).await.unwrap());
    }
    // Let the server accept (and evict) them all.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let during = open_descriptors(&server);
    let (status, took) = health(&server, Duration::from_secs(5)).await;
    let closed = count_closed(&mut idle).await;
    eprintln!(
        "{IDLE} idle connections at a cap of {CAP}: server descriptors {before} before, {during} with them; \
         /health {status:?} in {took:?}; {closed} idle connections closed"
    );
    assert_eq!(status, Some(200), "/health answers past the cap");
    assert!(took < Duration::from_secs(2), "/health took {took:?}");
    assert!(
        during <= before + CAP + 2,
        "the server holds at most the cap: {during} descriptors, {before} before"
    );
    assert!(
        closed >= IDLE - CAP,
        "the connections past the cap that sent nothing are closed: {closed}"
    );
}

#[tokio::test]
async fn a_thousand_idle_connections_at_a_1024_file_limit_leave_health_answering() {
    const IDLE: usize = 1_100;
    let dirs = Dirs::new();
    // The numbers, with the default cap (derived from the limit) and timeout.
    let server = Server::spawn(dirs.command_with_file_limit(1024, &[]));
    let address = address(&server);
    let mut idle = Vec::new();
    for _ in 0..IDLE {
        idle.push(TcpStream::connect(&address).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let during = open_descriptors(&server);
    let (status, took) = health(&server, Duration::from_secs(5)).await;
    let api = server
        .client()
        .get(server.url("/api/projects"))
        .bearer_auth(&server.token)
        .send()
        .await
        .map(|r| r.status().as_u16());
    let closed = count_closed(&mut idle).await;
    eprintln!(
        "{IDLE} idle connections at an open-file limit of 1,024: server descriptors {during}; \
         /health {status:?} in {took:?}; /api/projects {api:?}; {closed} idle connections closed"
    );
    assert_eq!(status, Some(200));
    assert!(took < Duration::from_secs(2), "/health took {took:?}");
    assert_eq!(api.ok(), Some(200), "the stores still open files");
    assert!(
        during < 1024 - 100,
        "room left for the stores: {during} descriptors"
    );
    assert!(closed > 0);
}

#[tokio::test]
async fn at_the_cap_with_every_connection_a_client_a_new_one_waits_for_an_idle_one_to_close() {
    const CAP: usize = 10;
    let dirs = Dirs::new();
    let server = Server::start(
        &dirs,
        &[("MIRA_MAX_CONNECTIONS", "10"), ("MIRA_HEADER_TIMEOUT_SECS", "2")],
    );
    let address = address(&server);
    // Each sends one request and keeps its connection open: clients, so none is evicted.
    let mut clients = Vec::new();
    for _ in 0..CAP {
        let mut stream = TcpStream::connect(&address).await.unwrap();
        assert!(one_request(&mut stream).await.starts_with("HTTP/1.1 200"));
        clients.push(stream);
    }
    let (status, took) = health(&server, Duration::from_secs(8)).await;
    eprintln!(
        "{CAP} kept-alive clients at a cap of {CAP} with a 2 s header timeout: a new /health {status:?} in {took:?}"
    );
    assert_eq!(status, Some(200));
    assert!(
        took >= Duration::from_millis(1000) && took <= Duration::from_secs(4),
        "waits until the idle connections time out (2 s): {took:?}"
    );
}
