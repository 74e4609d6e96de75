//! Refusals: each ends with a clear message the model reads (or, before starting, an
//! error), and leaves the files as they were.

use std::time::{Duration, Instant};

use mira_agent::{AgentError, AgentEvent, Mode};
use serde_json::json;

use crate::harness::{Fixture, LIB, compat_env, finish, results};
use crate::script::*;
use crate::server::Scripted;

#[tokio::test]
async fn paths_outside_the_root_are_refused_by_every_file_tool() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "secret").unwrap();
    let calls = vec![
        ("c1", "read_file", json!({"path": "../secret.txt"})),
        ("c2", "read_file", json!({"path": "/etc/passwd"})),
        ("c3", "read_file", json!({"path": "escape/secret.txt"})),
        ("c4", "list_files", json!({"directory": ".."})),
        ("c5", "list_files", json!({"directory": "escape"})),
        ("c6", "grep", json!({"pattern": "secret", "path": "/etc"})),
        ("c7", "grep", json!({"pattern": "secret", "path": "escape"})),
        (
            "c8",
            "edit_file",
            json!({"path": "../project/src/lib.rs", "search": "a - b", "replace": "a + b"}),
        ),
        (
            "c9",
            "edit_file",
            json!({"path": "escape/secret.txt", "search": "secret", "replace": "stolen"}),
        ),
        (
            "c10",
            "write_file",
            json!({"path": "../evil.txt", "content": "x"}),
        ),
        (
            "c11",
            "write_file",
            json!({"path": "/tmp/mira-agent-evil.txt", "content": "x"}),
        ),
        (
            "c12",
            "write_file",
            json!({"path": "escape/new.txt", "content": "x"}),
        ),
        (
            "c13",
            "write_file",
            json!({"path": "escape/secret.txt", "content": "x"}),
        ),
        ("c14", "blame", json!({"path": "../secret.txt"})),
        ("c15", "cochange", json!({"path": "/etc/passwd"})),
        ("c16", "git_diff", json!({"path": "../x"})),
    ];
    let n = calls.len();
    let server = Scripted::start(vec![
        openai_calls(&calls),
        openai_text("I cannot reach those files."),
    ])
    .await;
    let f = Fixture::new(&compat_env(&server.url("/v1"))).await;
    std::os::unix::fs::symlink(outside.path(), f.root().join("escape")).unwrap();
    let (outcome, events) = finish(f.start("Read the secrets", Mode::Auto).await).await;
    assert_eq!(outcome.status, "complete");
    let results = results(&events);
    assert_eq!(results.len(), n);
    for (name, ok, output) in &results {
        assert!(!ok, "{name} must fail: {output}");
        assert!(output.contains("refused:"), "{name}: {output}");
        assert!(
            output.contains("`..` is not allowed")
                || output.contains("absolute paths are not allowed")
                || output.contains("resolves outside the project root"),
            "{name}: {output}"
        );
    }
    // The model read the refusals, with their call ids.
    let last = server.request(1).body["messages"].as_array().unwrap().clone();
    let refusals: Vec<&serde_json::Value> = last.iter().filter(|m| m["role"] == "tool").collect();
    assert_eq!(refusals.len(), n);
    assert_eq!(refusals[0]["tool_call_id"], "c1");
    assert!(
        refusals[0]["content"]
            .as_str()
            .unwrap()
            .starts_with("error: refused:")
    );
    // Nothing moved.
    assert_eq!(
        std::fs::read_to_string(outside.path().join("secret.txt")).unwrap(),
        "secret"
    );
    assert!(!outside.path().join("new.txt").exists());
    assert!(!f.dir.path().join("evil.txt").exists());
    assert!(!std::path::Path::new("/tmp/mira-agent-evil.txt").exists());
    assert_eq!(f.read("src/lib.rs"), LIB);
    assert!(!events.iter().any(|e| matches!(e, AgentEvent::Artifact { .. })));
}

#[tokio::test]
async fn commands_outside_the_allowlist_are_refused() {
    let calls = vec![
        ("c1", "run_build", json!({"command": "rm -rf src"})),
        ("c2", "run_build", json!({"command": "sh -c 'rm -rf src'"})),
        ("c3", "run_build", json!({"command": "cargo test; rm -rf src"})),
        ("c4", "run_build", json!({"command": "curl http://example.com"})),
    ];
    let server = Scripted::start(vec![openai_calls(&calls), openai_text("Not allowed.")]).await;
    let f = Fixture::new(&compat_env(&server.url("/v1"))).await;
    let (outcome, events) = finish(f.start("Clean up", Mode::Auto).await).await;
    assert_eq!(outcome.status, "complete");
    for (name, ok, output) in results(&events) {
        assert!(!ok, "{name}: {output}");
        assert!(output.contains("is not an allowed command"), "{output}");
        assert!(
            output.contains("cargo test"),
            "the allowed commands are named: {output}"
        );
        assert!(output.contains("AGENT_ALLOWED_COMMANDS"), "{output}");
    }
    assert_eq!(f.read("src/lib.rs"), LIB);
    let runs = mira_build::queries::runs(&f.db, f.project.id, 10).await.unwrap();
    assert!(runs.is_empty(), "nothing ran: {runs:?}");
}

#[tokio::test]
async fn search_blocks_that_match_nothing_or_twice_change_nothing() {
    let calls = vec![
        (
            "c1",
            "edit_file",
            json!({"path": "src/lib.rs", "search": "pub fn add(a: i32, b: i32) -> i32 {\n    a - c\n}", "replace": "x"}),
        ),
        (
            "c2",
            "edit_file",
            json!({"path": "src/lib.rs", "search": "    #[test]\n", "replace": "x"}),
        ),
        (
            "c3",
            "edit_file",
            json!({"path": "src/lib.rs", "search": "}\n", "replace": "x"}),
        ),
    ];
    let server = Scripted::start(vec![openai_calls(&calls), openai_text("Giving up.")]).await;
    let f = Fixture::new(&compat_env(&server.url("/v1"))).await;
    let (_, events) = finish(f.start("Edit", Mode::Auto).await).await;
    let r = results(&events);
    assert!(!r[0].1);
    assert!(
        r[0].2
            .contains("matches nothing in src/lib.rs; nothing was changed"),
        "{}",
        r[0].2
    );
    assert!(r[0].2.contains("most similar lines are 1-3"), "{}", r[0].2);
    assert!(
        r[0].2.contains("2\t    a - b"),
        "the nearest lines are shown: {}",
        r[0].2
    );
    assert!(r[1].1, "a block that matches once works: {}", r[1].2);
    assert!(!r[2].1);
    assert!(r[2].2.contains("matches 3 places"), "{}", r[2].2);
    assert!(r[2].2.contains("more lines of context"), "{}", r[2].2);
    let expected = LIB.replacen("    #[test]\n", "x", 1);
    assert_eq!(f.read("src/lib.rs"), expected);
}

#[tokio::test]
async fn cancelling_during_a_build_kills_it_and_stops() {
    let server = Scripted::start(vec![openai_calls(&[(
        "c1",
        "run_build",
        json!({"command": "sleep 30"}),
    )])])
    .await;
    let mut env = compat_env(&server.url("/v1"));
    env.push(("AGENT_ALLOWED_COMMANDS", "sleep;true".into()));
    let f = Fixture::new(&env).await;
    let mut op = f.start("Wait", Mode::Auto).await;
    let handle = op.handle.clone();
    let started = Instant::now();
    let mut events = Vec::new();
    while let Some(e) = op.events.recv().await {
        if let AgentEvent::ToolCall { name, .. } = &e {
            assert_eq!(name, "run_build");
            let h = handle.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                h.cancel();
            });
        }
        events.push(e);
    }
    let outcome = op.join.await.unwrap();
    assert_eq!(outcome.status, "cancelled", "{outcome:?}");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    let runs = mira_build::queries::runs(&f.db, f.project.id, 10).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status.as_str(), "cancelled");
    assert!(matches!(events.last(), Some(AgentEvent::Done { status, .. }) if status == "cancelled"));
    assert_eq!(server.requests().len(), 1, "no model call after the cancel");
    assert_eq!(f.read("src/lib.rs"), LIB);
}

#[tokio::test]
async fn the_step_limit_ends_the_operation() {
    let read = || openai_calls(&[("c", "read_file", json!({"path": "src/lib.rs"}))]);
    let server = Scripted::start(vec![read(), read(), read(), read()]).await;
    let f = Fixture::new(&compat_env(&server.url("/v1"))).await;
    let mut request = f.request("Read forever", Mode::Auto);
    request.max_steps = 3;
    let op = mira_agent::start(f.deps().await, request, None).await.unwrap();
    let (outcome, events) = finish(op).await;
    assert_eq!(outcome.status, "step_limit");
    assert_eq!(outcome.steps, 3);
    assert!(
        outcome.summary.contains("step limit (3 steps)"),
        "{}",
        outcome.summary
    );
    assert_eq!(server.requests().len(), 3);
    assert!(matches!(events.last(), Some(AgentEvent::Done { status, .. }) if status == "step_limit"));
    let stored = mira_agent::store::get(&f.db, op_id(&events)).await.unwrap();
    assert_eq!(stored.status, "step_limit");
    assert_eq!(f.read("src/lib.rs"), LIB);
}

fn op_id(events: &[AgentEvent]) -> i64 {
    match &events[0] {
        AgentEvent::Started { operation_id, .. } => *operation_id,
        other => panic!("first event {other:?}"),
    }
}

#[tokio::test]
async fn the_bundled_local_model_is_refused_with_what_to_configure() {
    let f = Fixture::new(&[]).await;
    let err = match mira_agent::start(f.deps().await, f.request("Fix it", Mode::Auto), None).await {
        Err(e) => e,
        Ok(_) => panic!("the local model must be refused"),
    };
    assert!(matches!(err, AgentError::Invalid(_)), "{err:?}");
    let text = err.to_string();
    for needle in [
        "GEMINI_API_KEY",
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "OPENAI_BASE_URL",
        "MIRA_LOCAL_MODEL",
        "Qwen2.5",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
    assert!(
        mira_agent::store::list(&f.db, f.project.id, 5)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn ask_user_without_a_user_is_told_to_decide() {
    let server = Scripted::start(vec![
        openai_calls(&[("c1", "ask_user", json!({"question": "Which name?"}))]),
        openai_text("Decided."),
    ])
    .await;
    let f = Fixture::new(&compat_env(&server.url("/v1"))).await;
    let (_, events) = finish(f.start("Rename", Mode::Auto).await).await;
    assert_eq!(results(&events)[0].2, "no user available, decide yourself");
}
