//! Issue 21 item 3: the file read checked the resolved path, then opened the path again,
//! so a symlink swapped in between served a file outside the root (43 times in 3,000).
//! These tests replay the swap while reading through the API and the WebSocket, and put
//! a FIFO in the project, which used to block the reading thread forever.

use std::ffi::CString;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::harness::{Dirs, Server};
use crate::websocket::{connect, next_reply};

const INSIDE: &str = "inside-content";
const OUTSIDE: &str = "OUTSIDE-SECRET";

fn c_path(path: &Path) -> CString {
    CString::new(path.to_str().unwrap()).unwrap()
}

/// Swaps two names atomically (`renameat2(RENAME_EXCHANGE)`), so each name always
/// exists and is by turns the real thing and a symlink out of the project.
fn exchange(a: &CString, b: &CString) {
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    assert_eq!(rc, 0, "renameat2: {}", std::io::Error::last_os_error());
}

/// A thread that swaps each pair, round after round, until `stop`; answers the rounds.
fn swap_until(stop: &Arc<AtomicBool>, pairs: Vec<(CString, CString)>) -> std::thread::JoinHandle<u64> {
    let stop = stop.clone();
    std::thread::spawn(move || {
        let mut swaps = 0u64;
        while !stop.load(Ordering::Relaxed) {
            for (a, b) in &pairs {
                exchange(a, b);
            }
            swaps += 1;
        }
        swaps
    })
}

#[derive(Default, Debug)]
struct Tally {
    inside: usize,
    refused: usize,
    outside: usize,
}

impl Tally {
    fn add(&mut self, content: Option<&str>) {
        match content {
            Some(text) if text.contains(OUTSIDE) => self.outside += 1,
            Some(text) if text.contains(INSIDE) => self.inside += 1,
            _ => self.refused += 1,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_symlink_swapped_during_reads_never_serves_a_file_outside_the_root() {
    let dirs = Dirs::new();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("f.txt"), OUTSIDE).unwrap();
    let project = dirs.project();
    // The last component: `f.txt` is by turns a file and a symlink to the outside file.
    std::fs::write(project.join("f.txt"), INSIDE).unwrap();
    std::os::unix::fs::symlink(outside.path().join("f.txt"), project.join(".f-link")).unwrap();
    // A directory on the way: `sub` is by turns a directory and a symlink to outside.
    std::fs::create_dir(project.join("sub")).unwrap();
    std::fs::write(project.join("sub/f.txt"), INSIDE).unwrap();
    std::os::unix::fs::symlink(outside.path(), project.join(".sub-link")).unwrap();

    let server = Server::start(&dirs, &[("RATE_LIMIT_ENABLED", "false")]);
    let id = server.get_json("/api/projects").await["projects"][0]["id"]
        .as_i64()
        .unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let swapper = swap_until(
        &stop,
        vec![
            (c_path(&project.join("f.txt")), c_path(&project.join(".f-link"))),
            (c_path(&project.join("sub")), c_path(&project.join(".sub-link"))),
        ],
    );

    let started = Instant::now();
    // 4 clients x 750 reads of each path over HTTP: 6,000 reads.
    let mut readers = Vec::new();
    for _ in 0..4 {
        let (client, base, token) = (server.client(), server.base.clone(), server.token.clone());
        readers.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            for i in 0..1500 {
                let path = if i % 2 == 0 { "f.txt" } else { "sub%2Ff.txt" };
                let response = client
                    .get(format!("{base}/api/projects/{id}/file?path={path}"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                let status = response.status();
                let body: serde_json::Value = response.json().await.unwrap();
                assert!(
                    status.is_success() || [403, 404].contains(&status.as_u16()),
                    "{status}: {body}"
                );
                tally.add(body["content"].as_str());
            }
            tally
        }));
    }
    // And 1,000 `fs.read` calls on one WebSocket.
    let mut socket = connect(&server).await;
    assert_eq!(next_reply(&mut socket).await["type"], "hello");
    let mut ws = Tally::default();
    for i in 0..1000 {
        let path = if i % 2 == 0 { "f.txt" } else { "sub/f.txt" };
        socket
            .send(Message::text(
                json!({"id": format!("r{i}"), "type": "fs.read", "project_id": id, "path": path}).to_string(),
            ))
            .await
            .unwrap();
        let reply = next_reply(&mut socket).await;
        assert_eq!(reply["id"], format!("r{i}"));
        ws.add(reply["data"]["content"].as_str());
    }
    let mut http = Tally::default();
    for reader in readers {
        let t = reader.await.unwrap();
        http.inside += t.inside;
        http.refused += t.refused;
        http.outside += t.outside;
    }
    stop.store(true, Ordering::Relaxed);
    let swaps = swapper.join().unwrap();
    let elapsed = started.elapsed();
    eprintln!("http {http:?}, websocket {ws:?}, {swaps} swaps in {elapsed:?}");

    assert_eq!(http.outside, 0, "HTTP served the outside file: {http:?}");
    assert_eq!(ws.outside, 0, "the WebSocket served the outside file: {ws:?}");
    // The swaps really raced the reads: both outcomes were seen.
    assert!(http.inside > 0 && http.refused > 0, "{http:?}");
    assert!(swaps > 1000, "only {swaps} swaps");
}

#[tokio::test]
async fn a_fifo_in_the_project_is_answered_with_metadata_and_never_read() {
    let dirs = Dirs::new();
    let fifo = dirs.project().join("pipe");
    assert_eq!(unsafe { libc::mkfifo(c_path(&fifo).as_ptr(), 0o600) }, 0);
    let server = Server::start(&dirs, &[]);
    let id = server.get_json("/api/projects").await["projects"][0]["id"]
        .as_i64()
        .unwrap();

    let started = Instant::now();
    let file = tokio::time::timeout(
        Duration::from_secs(5),
        server.get_json(&format!("/api/projects/{id}/file?path=pipe")),
    )
    .await
    .expect("a FIFO is answered without blocking");
    assert_eq!(file["kind"], "fifo");
    assert!(file["content"].is_null());
    assert_eq!(file["path"], "pipe");

    let mut socket = connect(&server).await;
    assert_eq!(next_reply(&mut socket).await["type"], "hello");
    socket
        .send(Message::text(
            json!({"id": "p", "type": "fs.read", "project_id": id, "path": "pipe"}).to_string(),
        ))
        .await
        .unwrap();
    let reply = next_reply(&mut socket).await;
    assert_eq!(reply["data"]["kind"], "fifo", "{reply}");
    // The session is not frozen: the next call is answered too.
    socket
        .send(Message::text(
            json!({"id": "q", "type": "fs.read", "project_id": id, "path": "README.md"}).to_string(),
        ))
        .await
        .unwrap();
    let reply = next_reply(&mut socket).await;
    assert_eq!(reply["data"]["kind"], "file", "{reply}");

    let tree = server.get_json(&format!("/api/projects/{id}/tree")).await;
    assert!(
        tree["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == "pipe")
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// A build run's `dir` was checked by path and then the path was used again as the
/// command's working directory: `sub` swapped for a symlink in between ran the command
/// outside the project. Now the checked directory's descriptor is where it starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_build_dir_swapped_for_a_symlink_never_runs_the_command_outside_the_root() {
    let dirs = Dirs::new();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("f.txt"), OUTSIDE).unwrap();
    let project = dirs.project();
    std::fs::create_dir(project.join("sub")).unwrap();
    std::fs::write(project.join("sub/f.txt"), INSIDE).unwrap();
    std::os::unix::fs::symlink(outside.path(), project.join(".sub-link")).unwrap();

    let server = Server::start(&dirs, &[("RATE_LIMIT_ENABLED", "false")]);
    let id = server.get_json("/api/projects").await["projects"][0]["id"]
        .as_i64()
        .unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let swapper = swap_until(
        &stop,
        vec![(c_path(&project.join("sub")), c_path(&project.join(".sub-link")))],
    );

    let mut tally = Tally::default();
    for _ in 0..150 {
        let started = server
            .client()
            .post(server.url(&format!("/api/projects/{id}/build/runs")))
            .bearer_auth(&server.token)
            .json(&json!({"command": "cat f.txt", "dir": "sub"}))
            .send()
            .await
            .unwrap();
        let status = started.status().as_u16();
        let body: serde_json::Value = started.json().await.unwrap();
        if status != 202 {
            assert!([403, 404, 400].contains(&status), "{status}: {body}");
            tally.add(None);
            continue;
        }
        let run_id = body["run_id"].as_i64().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let run = server
                .get_json(&format!("/api/projects/{id}/build/runs/{run_id}"))
                .await;
            if run["run"]["status"] != "running" {
                break;
            }
            assert!(Instant::now() < deadline, "run {run_id} still running: {run}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let log = server
            .client()
            .get(server.url(&format!("/api/projects/{id}/build/runs/{run_id}/log")))
            .bearer_auth(&server.token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        tally.add(Some(&log));
    }
    stop.store(true, Ordering::Relaxed);
    let swaps = swapper.join().unwrap();
    eprintln!("build runs {tally:?}, {swaps} swaps");
    assert_eq!(tally.outside, 0, "a command ran outside the project: {tally:?}");
    // The swaps raced the runs: some started inside, some were refused.
    assert!(tally.inside > 0 && tally.refused > 0, "{tally:?}");
}
