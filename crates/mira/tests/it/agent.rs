//! `mira agent` end to end through the real binary: a temp Rust crate with a failing
//! test, a scripted model (OpenAI wire format) that reads the test, edits the code,
//! runs `cargo test` through run_build and ends; in ask mode nothing is written until
//! the change is applied (answered y/n on stdin); `mira rewind` restores the original
//! bytes exactly.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde_json::{Value, json};

use crate::harness::{Dirs, run, stdout_json};

const BUGGY: &str = "pub fn add(a: i32, b: i32) -> i32 {\n    a - b\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn adds() {\n        assert_eq!(super::add(2, 3), 5);\n    }\n}\n";

type Shared = Arc<Mutex<(Vec<Value>, Vec<String>)>>;

/// Answers each chat completion with the next scripted SSE body, recording requests.
async fn model_server(replies: Vec<String>) -> (String, Shared) {
    async fn complete(
        State(shared): State<Shared>,
        axum::Json(body): axum::Json<Value>,
    ) -> axum::response::Response {
        let reply = {
            let mut s = shared.lock().unwrap();
            s.0.push(body);
            if s.1.is_empty() { None } else { Some(s.1.remove(0)) }
        };
        match reply {
            Some(sse) => axum::response::Response::builder()
                .header("content-type", "text/event-stream")
                .body(axum::body::Body::from(sse))
                .unwrap(),
            None => axum::response::Response::builder()
                .status(500)
                .body(axum::body::Body::from("no scripted reply left"))
                .unwrap(),
        }
    }
    let shared: Shared = Arc::new(Mutex::new((Vec::new(), replies)));
    let app = Router::new()
        .route("/v1/chat/completions", post(complete))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/v1"), shared)
}

fn sse(chunks: &[Value]) -> String {
    let mut out: String = chunks.iter().map(|c| format!("data: {c}\n\n")).collect();
    out.push_str("data: [DONE]\n\n");
    out
}

fn call(id: &str, name: &str, args: Value) -> String {
    sse(&[
        json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": id, "type": "function",
            "function": {"name": name, "arguments": args.to_string()}}]}}]}),
        json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}),
        json!({"choices": [], "usage": {"prompt_tokens": 500, "completion_tokens": 20}}),
    ])
}

fn text(t: &str) -> String {
    sse(&[
        json!({"choices": [{"index": 0, "delta": {"content": t}}]}),
        json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
        json!({"choices": [], "usage": {"prompt_tokens": 600, "completion_tokens": 10}}),
    ])
}

/// A Rust library crate with a failing test, made by `cargo init`.
fn make_crate(dirs: &Dirs, env: &[(&str, String)]) -> std::path::PathBuf {
    let root = dirs.tmp.path().join("fixme");
    let status = Command::new("cargo")
        .args(["init", "--lib", "--vcs", "none", "--name", "fixme"])
        .arg(&root)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    std::fs::write(root.join("src/lib.rs"), BUGGY).unwrap();
    root
}

/// What cargo needs when HOME is the test's temp dir.
fn toolchain_env(dirs: &Dirs) -> Vec<(&'static str, String)> {
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    vec![
        (
            "RUSTUP_HOME",
            std::env::var("RUSTUP_HOME").unwrap_or(format!("{home}/.rustup")),
        ),
        (
            "CARGO_HOME",
            std::env::var("CARGO_HOME").unwrap_or(format!("{home}/.cargo")),
        ),
        (
            "CARGO_TARGET_DIR",
            dirs.tmp.path().join("target").display().to_string(),
        ),
    ]
}

fn env_refs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_agent_fixes_a_failing_test_in_ask_mode_and_rewind_restores_the_bytes() {
    let dirs = Dirs::new();
    let fix = json!({"path": "src/lib.rs", "search": "    a - b\n", "replace": "    a + b\n"});
    let (url, shared) = model_server(vec![
        call("call_read", "read_file", json!({"path": "src/lib.rs"})),
        call("call_edit1", "edit_file", fix.clone()),
        call("call_edit2", "edit_file", fix),
        call("call_test", "run_build", json!({"command": "cargo test"})),
        text("Fixed add: it subtracted. cargo test passes."),
    ])
    .await;
    let mut env = toolchain_env(&dirs);
    env.extend([
        ("OPENAI_BASE_URL", url),
        ("MODEL_FAST", "compat:tool-model".into()),
        ("MODEL_VOICE", "compat:tool-model".into()),
        ("MODEL_THINKER", "compat:tool-model".into()),
    ]);
    let root = make_crate(&dirs, &env);
    let original = std::fs::read(root.join("src/lib.rs")).unwrap();
    let root_arg = root.display().to_string();
    let added = run(&dirs, &["projects", "add", &root_arg, "--json"], &env_refs(&env));
    stdout_json(&added);

    let mut child = dirs
        .command(&env_refs(&env))
        .args([
            "agent",
            "Make the failing test pass",
            "--project",
            &root_arg,
            "--json",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let lib = root.join("src/lib.rs");
    let mut events = Vec::new();
    let mut answers = vec!["n", "y"].into_iter();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    while let Ok(line) = lines_rx.recv_timeout(std::time::Duration::from_secs(300)) {
        let event: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        if event["event"] == "artifact" {
            assert_eq!(event["status"], "pending");
            assert_eq!(
                std::fs::read(&lib).unwrap(),
                original,
                "nothing is written before a decision"
            );
            let answer = answers.next().expect("two changes proposed");
            writeln!(stdin, "{answer}").unwrap();
        }
        if event["event"] == "artifact_decided" && event["status"] == "rejected" {
            assert_eq!(
                std::fs::read(&lib).unwrap(),
                original,
                "a rejected change is not written"
            );
        }
        let done = event["event"] == "done";
        events.push(event);
        if done {
            break;
        }
    }
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "events {events:#?}\nstderr {stderr}");
    let done = events.last().unwrap();
    assert_eq!(done["status"], "complete");
    assert_eq!(done["steps"], 5);
    assert_eq!(
        std::fs::read_to_string(&lib).unwrap(),
        BUGGY.replace("a - b", "a + b")
    );

    // The model read each result under its call's id; the build passed.
    let requests = shared.lock().unwrap().0.clone();
    assert_eq!(requests.len(), 5);
    let tool_messages: Vec<Value> = requests[4]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool")
        .cloned()
        .collect();
    let ids: Vec<&str> = tool_messages
        .iter()
        .map(|m| m["tool_call_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["call_read", "call_edit1", "call_edit2", "call_test"]);
    assert!(
        tool_messages[0]["content"]
            .as_str()
            .unwrap()
            .contains("assert_eq!(super::add(2, 3), 5);")
    );
    assert!(
        tool_messages[1]["content"]
            .as_str()
            .unwrap()
            .contains("the user rejected this change")
    );
    assert!(
        tool_messages[2]["content"]
            .as_str()
            .unwrap()
            .starts_with("applied:")
    );
    let build = tool_messages[3]["content"].as_str().unwrap();
    assert!(build.starts_with("`cargo test`: succeeded"), "{build}");
    assert!(build.contains("test result: ok"), "{build}");

    // Two checkpoints (one per proposed change), newest first; rewinding to the applied
    // change's checkpoint puts the original bytes back, and again changes nothing.
    let listed = stdout_json(&run(
        &dirs,
        &["checkpoints", "--project", &root_arg, "--json"],
        &env_refs(&env),
    ));
    let checkpoints = listed["checkpoints"].as_array().unwrap();
    assert_eq!(checkpoints.len(), 2);
    assert_eq!(checkpoints[0]["artifact_status"], "applied");
    assert_eq!(checkpoints[1]["artifact_status"], "rejected");
    let id = checkpoints[0]["id"].as_str().unwrap();
    let rewound = stdout_json(&run(&dirs, &["rewind", &id[..8], "--json"], &env_refs(&env)));
    assert_eq!(rewound["files"][0]["path"], "src/lib.rs");
    assert_eq!(rewound["files"][0]["action"], "restored");
    assert_eq!(std::fs::read(&lib).unwrap(), original, "byte-exact");
    let again = stdout_json(&run(&dirs, &["rewind", id, "--json"], &env_refs(&env)));
    assert_eq!(again["files"][0]["action"], "unchanged");
    let unknown = run(&dirs, &["rewind", "ffff0000"], &env_refs(&env));
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no checkpoint starts with `ffff0000`"));
}

#[test]
fn the_agent_refuses_the_bundled_local_model_and_says_what_to_configure() {
    let dirs = Dirs::new();
    let project = dirs.project().display().to_string();
    stdout_json(&run(&dirs, &["projects", "add", &project, "--json"], &[]));
    let out = run(&dirs, &["agent", "Fix it", "--auto"], &[]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    for needle in ["GEMINI_API_KEY", "OPENAI_BASE_URL", "MIRA_LOCAL_MODEL"] {
        assert!(stderr.contains(needle), "{needle}: {stderr}");
    }
    let listed = stdout_json(&run(&dirs, &["checkpoints", "--json"], &[]));
    assert_eq!(listed["checkpoints"], json!([]));
}

/// The agent frames of request `id`, deciding each pending artifact with `decision`
/// after checking that nothing was written yet.
async fn agent_frames(
    socket: &mut crate::websocket::Socket,
    id: &str,
    file: &std::path::Path,
    original: &[u8],
) -> Vec<Value> {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let mut frames = Vec::new();
    loop {
        let message = tokio::time::timeout(std::time::Duration::from_secs(60), socket.next())
            .await
            .expect("a frame within 60 s")
            .unwrap()
            .unwrap();
        let Message::Text(text) = message else { continue };
        let v: Value = serde_json::from_str(&text).unwrap();
        if v["type"] != "agent" || v["id"] != id {
            continue;
        }
        if v["event"] == "artifact" && v["status"] == "pending" {
            assert_eq!(
                std::fs::read(file).unwrap(),
                original,
                "nothing written before apply"
            );
            let decide = json!({"id": "d1", "type": "agent.decide", "operation_id": v["operation_id"],
                "artifact_id": v["artifact_id"], "decision": "apply"});
            socket.send(Message::text(decide.to_string())).await.unwrap();
        }
        let end = v["event"] == "done";
        frames.push(v);
        if end {
            return frames;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_server_streams_an_operation_takes_a_decision_and_rewinds_over_the_api() {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    let dirs = Dirs::new();
    let (url, _shared) = model_server(vec![
        call(
            "call_1",
            "edit_file",
            json!({"path": "src/main.rs", "search": "\"hi\"", "replace": "\"hello\""}),
        ),
        text("Greeting changed."),
    ])
    .await;
    let env: Vec<(&str, String)> = vec![
        ("OPENAI_BASE_URL", url),
        ("MODEL_FAST", "compat:tool-model".into()),
        ("MODEL_VOICE", "compat:tool-model".into()),
        ("MODEL_THINKER", "compat:tool-model".into()),
    ];
    let server = crate::harness::Server::start(&dirs, &env_refs(&env));
    let projects = server.get_json("/api/projects").await;
    let project_id = projects["projects"][0]["id"].as_i64().unwrap();
    let file = dirs.project().join("src/main.rs");
    let original = std::fs::read(&file).unwrap();

    let mut socket = crate::websocket::connect(&server).await;
    let start = json!({"id": "a1", "type": "agent.start", "project_id": project_id, "task": "Say hello"});
    socket.send(Message::text(start.to_string())).await.unwrap();
    let frames = agent_frames(&mut socket, "a1", &file, &original).await;
    let events: Vec<&str> = frames.iter().map(|f| f["event"].as_str().unwrap()).collect();
    assert_eq!(events[0], "started", "{frames:#?}");
    assert!(events.contains(&"artifact_decided"), "{events:?}");
    let done = frames.last().unwrap();
    assert_eq!(done["status"], "complete", "{frames:#?}");
    let operation_id = done["operation_id"].as_i64().unwrap();
    assert!(std::fs::read_to_string(&file).unwrap().contains("\"hello\""));

    let detail = server.get_json(&format!("/api/operations/{operation_id}")).await;
    assert_eq!(detail["operation"]["status"], "complete");
    assert_eq!(detail["artifacts"][0]["status"], "applied");
    assert!(detail["events"].as_array().unwrap().len() >= 6);
    let listed = server
        .get_json(&format!("/api/projects/{project_id}/operations"))
        .await;
    assert_eq!(listed["operations"][0]["id"], operation_id);

    let checkpoints = server
        .get_json(&format!("/api/projects/{project_id}/checkpoints"))
        .await;
    let id = checkpoints["checkpoints"][0]["id"].as_str().unwrap().to_string();
    let response = server
        .client()
        .post(server.url(&format!("/api/checkpoints/{}/rewind", &id[..10])))
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let rewound: Value = response.json().await.unwrap();
    assert_eq!(rewound["files"][0]["action"], "restored");
    assert_eq!(std::fs::read(&file).unwrap(), original);

    // A decision for nothing pending, and an unknown checkpoint, are clear errors.
    let response = server
        .client()
        .post(server.url(&format!("/api/operations/{operation_id}/artifacts/999")))
        .bearer_auth(&server.token)
        .json(&json!({"decision": "apply"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let response = server
        .client()
        .post(server.url("/api/checkpoints/ffff0000/rewind"))
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}
