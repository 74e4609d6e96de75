//! The same three-step task (read_file, edit_file, a final answer) in each provider's
//! wire format: the requests Mira sends declare the tools with their schemas and feed
//! each result back, in order, under the id (Gemini: the name) of its call.

use mira_agent::{AgentEvent, Mode};
use serde_json::{Value, json};

use crate::harness::{Fixture, compat_env, finish};
use crate::script::*;
use crate::server::{Recorded, Scripted};

const TASK: &str = "Fix add in src/lib.rs so its test passes.";

fn spec_of(name: &str) -> Value {
    mira_agent::tools::specs(false)
        .into_iter()
        .find(|t| t.name == name)
        .unwrap()
        .parameters
}

/// Checks the end state every provider's run shares: the file fixed, an applied
/// artifact with a diff, the operation complete and stored with its cost.
async fn check_outcome(f: &Fixture, outcome: &mira_agent::Outcome, events: &[AgentEvent]) {
    assert_eq!(outcome.status, "complete", "{outcome:?}");
    assert_eq!(outcome.summary, "Fixed: add now adds.");
    assert_eq!(outcome.steps, 3);
    assert!(f.read("src/lib.rs").contains("    a + b\n"));
    let artifact = events
        .iter()
        .find_map(|e| match e {
            AgentEvent::Artifact {
                diff, status, path, ..
            } => Some((diff.clone(), status.clone(), path.clone())),
            _ => None,
        })
        .expect("an artifact");
    assert_eq!(artifact.1, "applied");
    assert_eq!(artifact.2, "src/lib.rs");
    assert!(artifact.0.contains("-    a - b\n+    a + b\n"), "{}", artifact.0);
    let stored = mira_agent::store::list(&f.db, f.project.id, 10).await.unwrap();
    assert_eq!(stored[0].status, "complete");
    assert_eq!(stored[0].steps, 3);
    let kinds: Vec<String> = mira_agent::store::events(&f.db, stored[0].id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event["event"].as_str().unwrap().to_string())
        .collect();
    for kind in [
        "started",
        "step",
        "tool_call",
        "tool_result",
        "artifact",
        "usage",
        "text",
        "done",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} stored: {kinds:?}");
    }
    let checkpoints = mira_agent::checkpoints::list(&f.db, f.project.id, 10)
        .await
        .unwrap();
    assert_eq!(checkpoints.len(), 1);
    assert_eq!(checkpoints[0].files, ["src/lib.rs"]);
    assert!(checkpoints[0].new_files.is_empty());
}

#[tokio::test]
async fn openai_tool_calls_round_trip_with_their_ids() {
    let server = Scripted::start(vec![
        openai_calls(&[("call_read", "read_file", json!({"path": "src/lib.rs"}))]),
        openai_calls(&[("call_edit", "edit_file", fix_args())]),
        openai_text("Fixed: add now adds."),
    ])
    .await;
    let f = Fixture::new(&compat_env(&server.url("/v1"))).await;
    let (outcome, events) = finish(f.start(TASK, Mode::Auto).await).await;
    check_outcome(&f, &outcome, &events).await;

    let sent: Vec<Recorded> = server.requests();
    assert_eq!(sent.len(), 3);
    assert!(sent.iter().all(|r| r.path == "/v1/chat/completions"));
    let first = &sent[0].body;
    assert_eq!(first["model"], "tool-model");
    assert_eq!(first["stream"], true);
    let tools = first["tools"].as_array().unwrap();
    let read = tools
        .iter()
        .find(|t| t["function"]["name"] == "read_file")
        .unwrap();
    assert_eq!(read["type"], "function");
    assert_eq!(read["function"]["parameters"], spec_of("read_file"));
    let edit = tools
        .iter()
        .find(|t| t["function"]["name"] == "edit_file")
        .unwrap();
    assert_eq!(edit["function"]["parameters"], spec_of("edit_file"));
    assert_eq!(first["messages"][0]["role"], "system");
    assert!(first["messages"][1]["content"].as_str().unwrap().contains(TASK));

    let second = sent[1].body["messages"].as_array().unwrap();
    let n = second.len();
    assert_eq!(second[n - 2]["role"], "assistant");
    assert_eq!(second[n - 2]["tool_calls"][0]["id"], "call_read");
    assert_eq!(second[n - 1]["role"], "tool");
    assert_eq!(second[n - 1]["tool_call_id"], "call_read");
    assert!(
        second[n - 1]["content"]
            .as_str()
            .unwrap()
            .contains("2\t    a - b")
    );

    let third = sent[2].body["messages"].as_array().unwrap();
    let n = third.len();
    assert_eq!(
        third[n - 3]["tool_call_id"],
        "call_read",
        "earlier results stay in order"
    );
    assert_eq!(third[n - 2]["tool_calls"][0]["id"], "call_edit");
    assert_eq!(third[n - 1]["tool_call_id"], "call_edit");
    assert!(
        third[n - 1]["content"]
            .as_str()
            .unwrap()
            .starts_with("applied: src/lib.rs changed")
    );
}

#[tokio::test]
async fn anthropic_tool_use_round_trips_as_tool_result_blocks() {
    let server = Scripted::start(vec![
        anthropic_calls(&[("toolu_read", "read_file", json!({"path": "src/lib.rs"}))]),
        anthropic_calls(&[("toolu_edit", "edit_file", fix_args())]),
        anthropic_text("Fixed: add now adds."),
    ])
    .await;
    let env = vec![
        ("ANTHROPIC_API_KEY", "ant-key".to_string()),
        ("ANTHROPIC_BASE_URL", server.url("/v1")),
        ("MODEL_VOICE", "claude-test".into()),
        ("MODEL_FAST", "claude-test".into()),
        ("MODEL_THINKER", "claude-test".into()),
    ];
    let f = Fixture::new(&env).await;
    let (outcome, events) = finish(f.start(TASK, Mode::Auto).await).await;
    check_outcome(&f, &outcome, &events).await;

    let sent = server.requests();
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[0].path, "/v1/messages");
    assert_eq!(sent[0].header("x-api-key"), Some("ant-key"));
    let tools = sent[0].body["tools"].as_array().unwrap();
    let read = tools.iter().find(|t| t["name"] == "read_file").unwrap();
    assert_eq!(read["input_schema"], spec_of("read_file"));
    assert!(sent[0].body["system"].as_str().unwrap().contains("coding agent"));

    let messages = sent[2].body["messages"].as_array().unwrap();
    let blocks: Vec<String> = messages
        .iter()
        .flat_map(|m| m["content"].as_array().cloned().unwrap_or_default())
        .filter_map(|b| match b["type"].as_str() {
            Some("tool_use") => Some(format!("use {}", b["id"].as_str().unwrap())),
            Some("tool_result") => Some(format!("result {}", b["tool_use_id"].as_str().unwrap())),
            _ => None,
        })
        .collect();
    assert_eq!(
        blocks,
        [
            "use toolu_read",
            "result toolu_read",
            "use toolu_edit",
            "result toolu_edit"
        ]
    );
    let last = messages.last().unwrap();
    assert_eq!(last["role"], "user");
    assert!(
        last["content"][0]["content"]
            .as_str()
            .unwrap()
            .starts_with("applied:")
    );
}

#[tokio::test]
async fn gemini_function_calls_round_trip_by_name() {
    let server = Scripted::start(vec![
        gemini_calls(&[("read_file", json!({"path": "src/lib.rs"}))]),
        gemini_calls(&[("edit_file", fix_args())]),
        gemini_text("Fixed: add now adds."),
    ])
    .await;
    let env = vec![
        ("GEMINI_API_KEY", "g-key".to_string()),
        ("GEMINI_BASE_URL", server.url("/v1beta")),
        ("MODEL_VOICE", "gemini-test".into()),
        ("MODEL_FAST", "gemini-test".into()),
        ("MODEL_THINKER", "gemini-test".into()),
    ];
    let f = Fixture::new(&env).await;
    let (outcome, events) = finish(f.start(TASK, Mode::Auto).await).await;
    check_outcome(&f, &outcome, &events).await;

    let sent = server.requests();
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[0].path, "/v1beta/models/gemini-test:streamGenerateContent");
    assert_eq!(sent[0].query.as_deref(), Some("alt=sse"));
    let decls = sent[0].body["tools"][0]["functionDeclarations"]
        .as_array()
        .unwrap();
    let edit = decls.iter().find(|d| d["name"] == "edit_file").unwrap();
    assert_eq!(edit["parameters"], spec_of("edit_file"));

    let contents = sent[2].body["contents"].as_array().unwrap();
    let parts: Vec<String> = contents
        .iter()
        .flat_map(|c| c["parts"].as_array().cloned().unwrap_or_default())
        .filter_map(|p| {
            if let Some(call) = p.get("functionCall") {
                Some(format!("call {}", call["name"].as_str().unwrap()))
            } else {
                p.get("functionResponse")
                    .map(|r| format!("response {}", r["name"].as_str().unwrap()))
            }
        })
        .collect();
    assert_eq!(
        parts,
        [
            "call read_file",
            "response read_file",
            "call edit_file",
            "response edit_file"
        ]
    );
    let last = contents.last().unwrap();
    assert_eq!(last["role"], "user");
    assert!(
        last["parts"][0]["functionResponse"]["response"]["result"]
            .as_str()
            .unwrap()
            .starts_with("applied:")
    );
}
