//! `mira build` and `mira errors` on the command line, and build runs over the HTTP API
//! and the WebSocket, against the real binary and a real compiler (gcc).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::harness::{Dirs, Server, run, stdout_json};
use crate::websocket::{connect, next_reply};

const BROKEN_C: &str = "#include <stdio.h>\n\nint main(void) {\n    return count + 1;\n}\n";
const FIXED_C: &str =
    "#include <stdio.h>\n\nint main(void) {\n    int count = 0;\n    return count + 1;\n}\n";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn build_runs_the_command_records_errors_and_learns_the_fix() {
    let dirs = Dirs::new();
    std::fs::write(dirs.project().join("src/broken.c"), BROKEN_C).unwrap();
    let env = [("LC_ALL", "C")];

    let out = run(
        &dirs,
        &["build", "--", "gcc", "-fsyntax-only", "src/broken.c"],
        &env,
    );
    assert_eq!(out.status.code(), Some(1), "the command's own exit status");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("error: 'count' undeclared"),
        "gcc's output is passed on: {stderr}"
    );
    assert!(stderr.contains("mira: run 1 failed"), "{stderr}");
    assert!(stderr.contains("1 error (1 new)"), "{stderr}");

    let errors = stdout_json(&run(&dirs, &["errors", "--json"], &env));
    let list = errors["errors"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{errors:#}");
    assert_eq!(list[0]["file"], "src/broken.c");
    assert_eq!(
        (list[0]["line"].as_i64(), list[0]["column"].as_i64()),
        (Some(4), Some(12))
    );
    assert_eq!(list[0]["tool"], "gcc");
    assert!(
        list[0]["excerpt"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["text"].as_str().unwrap().contains("return count"))
    );

    // From a subdirectory the command runs there, and paths are still the project's.
    let out = dirs
        .command(&env)
        .current_dir(dirs.project().join("src"))
        .args(["build", "--json", "--", "gcc", "-fsyntax-only", "broken.c"])
        .output()
        .unwrap();
    let outcome: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(outcome["run"]["dir"], "src");
    assert_eq!(outcome["diagnostics"][0]["file"], "src/broken.c");
    assert_eq!(outcome["new_errors"], 0, "the same error as before");

    let runs = stdout_json(&run(&dirs, &["build", "--list", "--json"], &env));
    assert_eq!(runs["runs"].as_array().unwrap().len(), 2);
    assert_eq!(runs["runs"][1]["status"], "failed");
    assert_eq!(runs["runs"][1]["command_line"], "gcc -fsyntax-only src/broken.c");

    std::fs::write(dirs.project().join("src/broken.c"), FIXED_C).unwrap();
    let out = run(
        &dirs,
        &["build", "--", "gcc", "-fsyntax-only", "src/broken.c"],
        &env,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("resolved: 'count' undeclared"), "{stderr}");
    assert!(stderr.contains("fixed in the work tree"), "{stderr}");
    let open = stdout_json(&run(&dirs, &["errors", "--json"], &env));
    assert_eq!(open["errors"].as_array().unwrap().len(), 0);
    let all = stdout_json(&run(&dirs, &["errors", "--all", "--json"], &env));
    let fix = &all["errors"][0]["known_fixes"][0];
    assert!(
        fix["diff"].as_str().unwrap().contains("+    int count = 0;"),
        "{all:#}"
    );

    let log = run(&dirs, &["build", "--show", "1", "--log"], &env);
    assert!(text(&log.stdout).contains("undeclared"));
}

#[test]
fn a_build_that_passes_again_without_a_change_is_not_called_a_fix() {
    let dirs = Dirs::new();
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["add", "-A"],
        &[
            "-c",
            "user.name=Ann",
            "-c",
            "user.email=ann@x.org",
            "commit",
            "-q",
            "-m",
            "start",
        ],
    ] {
        let out = std::process::Command::new("git")
            .current_dir(dirs.project())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    // The failure depends on a file outside the project, as a missing toolchain would.
    let marker = dirs.data().with_file_name("toolchain-ready");
    let script = format!(
        "test -f '{}' || {{ echo 'src/main.rs:1:1: error: the toolchain is not ready' >&2; exit 1; }}",
        marker.display()
    );
    let build = || run(&dirs, &["build", "--", "sh", "-c", &script], &[]);
    let out = build();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    std::fs::write(&marker, "ready").unwrap();
    let out = build();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "resolved: the toolchain is not ready in src/main.rs (no change in the work tree since run 1"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("fixed in the work tree"), "{stderr}");
    let listed = text(&run(&dirs, &["errors", "--resolved"], &[]).stdout);
    assert!(
        listed.contains("resolved, no change in the work tree"),
        "{listed}"
    );
    assert!(!listed.contains("known fix"), "{listed}");
    let all = stdout_json(&run(&dirs, &["errors", "--all", "--json"], &[]));
    assert_eq!(all["errors"][0]["resolved_unchanged"], true, "{all:#}");
    assert_eq!(all["errors"][0]["known_fixes"], serde_json::json!([]), "{all:#}");
}

#[test]
fn build_explains_what_it_cannot_do() {
    let dirs = Dirs::new();
    let out = run(&dirs, &["build", "--", "mira-no-such-tool", "--version"], &[]);
    assert_eq!(out.status.code(), Some(127));
    assert!(text(&out.stderr).contains("cannot run `mira-no-such-tool`: no such program"));
    let out = run(&dirs, &["build"], &[]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("give the command to run after `--`"));
    let out = run(&dirs, &["build", "--timeout", "1", "--", "sleep", "20"], &[]);
    assert_eq!(out.status.code(), Some(124));
    assert!(text(&out.stderr).contains("timed out"), "{}", text(&out.stderr));
}

/// Events until `stop` says enough, or 20 s.
async fn events_until(
    socket: &mut crate::websocket::Socket,
    mut stop: impl FnMut(&Value) -> bool,
) -> Vec<Value> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while tokio::time::Instant::now() < deadline {
        let Ok(Some(Ok(Message::Text(t)))) =
            tokio::time::timeout(Duration::from_secs(20), socket.next()).await
        else {
            continue;
        };
        let frame: Value = serde_json::from_str(&t).unwrap();
        if frame["type"] != "event" {
            continue;
        }
        let done = stop(&frame);
        seen.push(frame);
        if done {
            break;
        }
    }
    seen
}

#[tokio::test]
async fn api_runs_stream_over_the_websocket_and_can_be_cancelled() {
    let dirs = Dirs::new();
    std::fs::write(dirs.project().join("src/broken.c"), BROKEN_C).unwrap();
    let server = Server::start(&dirs, &[("LC_ALL", "C")]);
    let mut socket = connect(&server).await;
    assert_eq!(next_reply(&mut socket).await["type"], "hello");
    let projects = server.get_json("/api/projects").await;
    let id = projects["projects"][0]["id"].as_i64().unwrap();
    let post = |path: String, body: Value| {
        let request = server
            .client()
            .post(server.url(&path))
            .bearer_auth(&server.token)
            .json(&body);
        async move { request.send().await.unwrap() }
    };

    // Bad requests are refused with the reason.
    let empty = post(format!("/api/projects/{id}/build/runs"), json!({"command": "  "})).await;
    assert_eq!(empty.status(), 400);
    let outside = post(
        format!("/api/projects/{id}/build/runs"),
        json!({"command": "true", "dir": "../.."}),
    )
    .await;
    assert_eq!(outside.status(), 403);

    // A failing compile: output and outcome arrive as events.
    let started = post(
        format!("/api/projects/{id}/build/runs"),
        json!({"command": "gcc -fsyntax-only src/broken.c"}),
    )
    .await;
    assert_eq!(started.status(), 202);
    let run_id = started.json::<Value>().await.unwrap()["run_id"].as_i64().unwrap();
    let events = events_until(&mut socket, |f| f["event"] == "build_finished").await;
    // Other work (the search index of the project, at start) may push progress between.
    assert_eq!(
        events
            .iter()
            .find(|f| f["event"].as_str().is_some_and(|e| e.starts_with("build_")))
            .map(|f| f["event"].clone()),
        Some(json!("build_started"))
    );
    let output: String = events
        .iter()
        .filter(|f| f["event"] == "build_output")
        .map(|f| f["data"]["text"].as_str().unwrap().to_string())
        .collect();
    assert!(output.contains("undeclared"), "{events:#?}");
    let finished = events.last().unwrap();
    assert_eq!(finished["data"]["run_id"], run_id);
    assert_eq!(finished["data"]["run"]["status"], "failed");
    assert_eq!(finished["data"]["new_errors"], 1);
    let errors = server.get_json(&format!("/api/projects/{id}/build/errors")).await;
    assert_eq!(errors["errors"][0]["file"], "src/broken.c");
    let detail = server
        .get_json(&format!("/api/projects/{id}/build/runs/{run_id}"))
        .await;
    assert_eq!(detail["diagnostics"][0]["diagnostic"]["line"], 4);

    // A long run started over the WebSocket, cancelled over HTTP.
    socket
        .send(Message::Text(
            json!({"id": "b1", "type": "build.run", "project_id": id, "command": "sh -c 'echo begun; sleep 30'"})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    let mut long_id = None;
    let events = events_until(&mut socket, |f| {
        f["event"] == "build_output" && f["data"]["text"].as_str().unwrap_or("").contains("begun")
    })
    .await;
    for f in &events {
        if f["event"] == "build_started" {
            long_id = f["data"]["run_id"].as_i64();
        }
    }
    let long_id = long_id.expect("a build_started event");
    let cancel = post(
        format!("/api/projects/{id}/build/runs/{long_id}/cancel"),
        json!({}),
    )
    .await;
    assert_eq!(cancel.status(), 202);
    let events = events_until(&mut socket, |f| f["event"] == "build_finished").await;
    assert_eq!(events.last().unwrap()["data"]["run"]["status"], "cancelled");
    let again = post(
        format!("/api/projects/{id}/build/runs/{long_id}/cancel"),
        json!({}),
    )
    .await;
    assert_eq!(again.status(), 409, "no longer running");
    let log = server
        .client()
        .get(server.url(&format!("/api/projects/{id}/build/runs/{long_id}/log")))
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(log, "begun\n");
}
